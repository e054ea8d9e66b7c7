package bench

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// The corpus draws its principals from fixed pools, built once from a
// constant seed: the same for every corpus, so only the choice among them
// depends on CorpusOptions.Seed.

const (
	kindUser = iota
	kindRole
	kindService
	kindRoot
	kindWeb
)

// principal is a caller with its userIdentity pre-rendered as JSON.
type principal struct {
	kind    int
	name    string // user name, session name, or web identity subject
	arn     string
	json    []byte
	ips     []string
	uas     []string
	service string // AWS service caller: sourceIPAddress is the service, no TLS
	console bool   // session credentials from the console
	private bool   // calls through a VPC endpoint
	login   *principal

	// For role sessions: the role, so others can assume it.
	roleARN, roleID, roleName, stsPrefix, session string
}

type account struct {
	id                  string
	users               []*principal // IAM users with long-term keys
	humans              []*principal // SSO sessions of people
	workloads           []*principal // EC2, Lambda and ECS role sessions
	instances           []*principal // the EC2 subset of workloads
	invoked             []*principal // role sessions used by AWS services (invokedBy)
	services            []*principal // AWSService identities
	webIdentity         []*principal // GitHub Actions OIDC callers
	webIdentitySessions []*principal // their role sessions
	configSession       *principal
	cfnSession          *principal
	root                *principal
	buckets             []string
	kmsKey, vpce, vpc   string // kmsKey is the key ID
	serviceIDs          map[string][]byte
}

// serviceJSON is the AWSService userIdentity of svc.
func (a *account) serviceJSON(svc string) []byte { return a.serviceIDs[svc] }

// pick returns a random principal from one of the lists (a list is chosen
// first, so repeating a list weights it).
func (a *account) pick(r *rand.Rand, lists ...[]*principal) *principal {
	l := lists[r.IntN(len(lists))]
	return l[r.IntN(len(l))]
}

type poolSet struct{ accounts []*account }

var pools = sync.OnceValue(buildPools)

var (
	functionNames = []string{"order-processor", "thumbnailer", "report-builder", "stripe-webhook", "search-indexer", "nightly-export"}
	browserUAs    = []string{
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.2792.79",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14.6; rv:131.0) Gecko/20100101 Firefox/131.0",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
	}
	ssmAgentUA  = "aws-sdk-go/1.55.5 (go1.22.7; linux; amd64) amazon-ssm-agent/3.3.987.0"
	workloadUAs = []string{
		"aws-sdk-java/2.28.16 Linux/6.1.109-118.189.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/21.0.4+7-LTS Java/21.0.4 vendor/Amazon.com_Inc. md/internal io/sync http/Apache cfg/retry-mode/legacy",
		"aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#arm64 api/s3#1.65.3 m/E,Z,e",
		"aws-sdk-js/3.670.0 ua/2.1 os/linux#5.10.226-235.879.amzn2.x86_64 lang/js md/nodejs#20.17.0 api/s3#3.670.0 m/E,N",
		"Boto3/1.35.40 md/Botocore#1.35.40 ua/2.0 os/linux#6.1.109-118.189.amzn2023.aarch64 md/arch#aarch64 lang/python#3.12.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.40",
	}
	lambdaUAs = []string{
		"Boto3/1.35.40 md/Botocore#1.35.40 ua/2.0 os/linux#5.10.226-235.879.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.35.40",
		"aws-sdk-js/3.670.0 ua/2.1 os/linux#5.10.226-235.879.amzn2.x86_64 lang/js md/nodejs#20.17.0 api/dynamodb#3.670.0 exec-env/AWS_Lambda_nodejs20.x m/E",
	}
	humanUAs = []string{
		"AWS Internal",
		"aws-cli/2.17.42 md/awscrt#0.21.2 ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.12.5 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#ec2.describe-instances",
		"aws-cli/2.18.5 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#s3.ls",
		"APN/1.0 HashiCorp/1.0 Terraform/1.9.7 (+https://www.terraform.io) terraform-provider-aws/5.72.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.2 ua/2.1 os/macos lang/go#1.23.2 md/GOOS#darwin md/GOARCH#arm64 api/sts#1.32.2",
		"S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.750 Linux/5.10.226-192.879.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.412-b09 java/1.8.0_412 vendor/Oracle_Corporation cfg/retry-mode/standard",
	}
	userUAs = []string{
		"aws-cli/2.17.42 md/awscrt#0.21.2 ua/2.0 os/windows#10 md/arch#amd64 lang/python#3.12.5 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#s3.sync",
		"rclone/v1.68.1",
		"aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/s3#1.65.3 m/E,Z",
		"Boto3/1.35.40 md/Botocore#1.35.40 ua/2.0 os/linux#6.8.0-1016-aws md/arch#x86_64 lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.40",
	}
	ghUA = "aws-cli/2.18.5 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-1014-azure md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#cloudformation.deploy"
)

type poolGen struct{ r *rand.Rand }

func (p *poolGen) chars(set string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = set[p.r.IntN(len(set))]
	}
	return string(b)
}

// publicIP is a plausible public IPv4 address.
func (p *poolGen) publicIP() string {
	firsts := []int{3, 13, 18, 34, 35, 44, 52, 54, 62, 77, 81, 85, 91, 104, 141, 151, 176, 185, 193, 212, 217}
	return fmt.Sprintf("%d.%d.%d.%d", firsts[p.r.IntN(len(firsts))], p.r.IntN(256), p.r.IntN(256), 1+p.r.IntN(254))
}

func (p *poolGen) publicIPv6() string {
	return fmt.Sprintf("2a02:%x:%x:%x::%x", 0x1000+p.r.IntN(0xefff), p.r.IntN(0xffff), p.r.IntN(0xffff), 1+p.r.IntN(0xfff))
}

func q(s string) string { return `"` + s + `"` }

func (p *poolGen) created() string {
	return time.Date(2026, 10, 13, 18+p.r.IntN(6), p.r.IntN(60), p.r.IntN(60), 0, time.UTC).Format(time.RFC3339)
}

func (p *poolGen) user(acct, name string, ips, uas []string) *principal {
	pid, key := "AIDA"+p.chars(keyChars, 17), "AKIA"+p.chars(keyChars, 16)
	arn := "arn:aws:iam::" + acct + ":user/" + name
	common := `{"type":"IAMUser","principalId":` + q(pid) + `,"arn":` + q(arn) + `,"accountId":` + q(acct)
	u := &principal{kind: kindUser, name: name, arn: arn, ips: ips, uas: uas,
		json: []byte(common + `,"accessKeyId":` + q(key) + `,"userName":` + q(name) + `}`)}
	u.login = &principal{kind: kindUser, name: name, arn: arn, ips: ips, uas: browserUAs,
		json: []byte(common + `,"userName":` + q(name) + `}`)}
	return u
}

type roleDef struct {
	acct, path, name string
	id               string
}

func (p *poolGen) role(acct, path, name string) roleDef {
	return roleDef{acct: acct, path: path, name: name, id: "AROA" + p.chars(keyChars, 17)}
}

type sessOpt struct {
	ec2, console, private bool
	invokedBy, webID      string
}

func (p *poolGen) session(r roleDef, sess string, ips, uas []string, o sessOpt) *principal {
	roleARN := "arn:aws:iam::" + r.acct + ":role/" + r.path + r.name
	stsPrefix := "arn:aws:sts::" + r.acct + ":assumed-role/" + r.name + "/"
	var b strings.Builder
	b.WriteString(`{"type":"AssumedRole","principalId":` + q(r.id+":"+sess) + `,"arn":` + q(stsPrefix+sess) +
		`,"accountId":` + q(r.acct) + `,"accessKeyId":` + q("ASIA"+p.chars(keyChars, 16)) +
		`,"sessionContext":{"sessionIssuer":{"type":"Role","principalId":` + q(r.id) + `,"arn":` + q(roleARN) +
		`,"accountId":` + q(r.acct) + `,"userName":` + q(r.name) + `},"webIdFederationData":{`)
	if o.webID != "" {
		b.WriteString(`"federatedProvider":` + q(o.webID) + `,"attributes":{}`)
	}
	mfa := "false"
	if o.console {
		mfa = "true"
	}
	b.WriteString(`},"attributes":{"creationDate":` + q(p.created()) + `,"mfaAuthenticated":` + q(mfa) + `}`)
	if o.ec2 {
		b.WriteString(`,"ec2RoleDelivery":"2.0"`)
	}
	b.WriteString("}")
	pr := &principal{kind: kindRole, name: sess, arn: stsPrefix + sess, ips: ips, uas: uas, console: o.console, private: o.private,
		roleARN: roleARN, roleID: r.id, roleName: r.name, stsPrefix: stsPrefix, session: sess}
	if o.invokedBy != "" {
		b.WriteString(`,"invokedBy":` + q(o.invokedBy))
		pr.service, pr.ips, pr.uas = o.invokedBy, []string{o.invokedBy}, []string{o.invokedBy}
	}
	b.WriteString("}")
	pr.json = []byte(b.String())
	return pr
}

func buildPools() *poolSet {
	p := &poolGen{r: rand.New(rand.NewPCG(0x7069636b6574, 0x62656e6368))}
	ps := &poolSet{}
	for _, def := range []struct{ id, env string }{{"111122223333", "prod"}, {"444455556666", "staging"}, {"777788889999", "analytics"}} {
		a := &account{id: def.id}
		acct := def.id
		office := []string{p.publicIP(), p.publicIP(), p.publicIPv6()}
		for _, name := range []string{"alice.martin", "bob.nguyen", "chen.wei", "deploy-bot", "backup-agent", "svc-reporting", "grafana-reader", "terraform-ci"} {
			ips := office[:2]
			if strings.Contains(name, "-") {
				ips = []string{p.publicIP()}
			}
			a.users = append(a.users, p.user(acct, name, ips, userUAs))
		}
		for _, r := range []struct{ perm, hash string }{{"AdministratorAccess", p.chars(hexDigits, 16)}, {"ReadOnlyAccess", p.chars(hexDigits, 16)}, {"PowerUserAccess", p.chars(hexDigits, 16)}} {
			role := p.role(acct, "aws-reserved/sso.amazonaws.com/", "AWSReservedSSO_"+r.perm+"_"+r.hash)
			for _, who := range []string{"alice.martin", "dmitri.ivanov", "fatima.zahra", "kenji.sato", "lucia.rossi"} {
				a.humans = append(a.humans, p.session(role, who+"@example.com", office, humanUAs, sessOpt{console: true}))
			}
		}
		for _, rn := range []string{"app-server-role", "worker-role", "bastion-role"} {
			role := p.role(acct, "", rn)
			for range 4 {
				inst := "i-0" + p.chars(hexDigits, 16)
				private := p.r.IntN(3) != 0
				ip := fmt.Sprintf("10.%d.%d.%d", 20+p.r.IntN(40), p.r.IntN(256), 1+p.r.IntN(254))
				if !private {
					ip = p.publicIP()
				}
				s := p.session(role, inst, []string{ip}, workloadUAs, sessOpt{ec2: true, private: private})
				a.workloads = append(a.workloads, s)
				a.instances = append(a.instances, s)
			}
		}
		for _, fn := range functionNames {
			role := p.role(acct, "service-role/", fn+"-role")
			a.workloads = append(a.workloads, p.session(role, fn, []string{p.publicIP(), p.publicIP()}, lambdaUAs, sessOpt{}))
		}
		for _, svc := range []string{"webshop-api", "webshop-worker"} {
			role := p.role(acct, "", svc+"-task-role")
			for range 3 {
				a.workloads = append(a.workloads, p.session(role, p.chars(hexDigits, 32), []string{fmt.Sprintf("10.%d.%d.%d", 60+p.r.IntN(20), p.r.IntN(256), 1+p.r.IntN(254))}, workloadUAs, sessOpt{private: true}))
			}
		}
		cfg := p.role(acct, "aws-service-role/config.amazonaws.com/", "AWSServiceRoleForConfig")
		a.configSession = p.session(cfg, "AWSConfig-Describe", nil, nil, sessOpt{invokedBy: "config.amazonaws.com"})
		cfn := p.role(acct, "", "cfn-exec-role")
		a.cfnSession = p.session(cfn, "AWSCloudFormation", nil, nil, sessOpt{invokedBy: "cloudformation.amazonaws.com"})
		asg := p.role(acct, "aws-service-role/autoscaling.amazonaws.com/", "AWSServiceRoleForAutoScaling")
		elb := p.role(acct, "aws-service-role/elasticloadbalancing.amazonaws.com/", "AWSServiceRoleForElasticLoadBalancing")
		ecs := p.role(acct, "aws-service-role/ecs.amazonaws.com/", "AWSServiceRoleForECS")
		a.invoked = []*principal{
			a.configSession, a.cfnSession,
			p.session(asg, "AutoScaling", nil, nil, sessOpt{invokedBy: "autoscaling.amazonaws.com"}),
			p.session(elb, "ElasticLoadBalancing", nil, nil, sessOpt{invokedBy: "elasticloadbalancing.amazonaws.com"}),
			p.session(ecs, "ecs-service-scheduler", nil, nil, sessOpt{invokedBy: "ecs.amazonaws.com"}),
		}
		for _, svc := range []string{"lambda.amazonaws.com", "lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com", "ssm.amazonaws.com"} {
			a.services = append(a.services, &principal{kind: kindService, service: svc, ips: []string{svc}, uas: []string{svc},
				json: []byte(`{"type":"AWSService","invokedBy":` + q(svc) + `}`)})
		}
		oidc := "arn:aws:iam::" + acct + ":oidc-provider/token.actions.githubusercontent.com"
		gh := p.role(acct, "", "github-actions-deploy")
		for _, repo := range []string{"acme/webshop", "acme/platform-infra", "acme/data-pipeline"} {
			sub := "repo:" + repo + ":environment:" + def.env
			runner := []string{p.publicIP()}
			a.webIdentity = append(a.webIdentity, &principal{kind: kindWeb, name: sub, ips: runner, uas: []string{ghUA},
				json: []byte(`{"type":"WebIdentityUser","principalId":` + q(oidc+":sts.amazonaws.com:"+sub) + `,"userName":` + q(sub) + `,"identityProvider":` + q(oidc) + `}`)})
			a.webIdentitySessions = append(a.webIdentitySessions, p.session(gh, "GitHubActions-"+p.chars("0123456789", 11), runner, []string{ghUA}, sessOpt{webID: oidc}))
		}
		a.serviceIDs = map[string][]byte{}
		for _, svc := range []string{"cloudtrail.amazonaws.com", "logs.amazonaws.com", "s3.amazonaws.com", "sns.amazonaws.com"} {
			a.serviceIDs[svc] = []byte(`{"type":"AWSService","invokedBy":` + q(svc) + `}`)
		}
		a.root = &principal{kind: kindRoot, arn: "arn:aws:iam::" + acct + ":root", ips: []string{p.publicIP()}, uas: []string{"AWS Internal"}, console: true,
			json: []byte(`{"type":"Root","principalId":` + q(acct) + `,"arn":"arn:aws:iam::` + acct + `:root","accountId":` + q(acct) +
				`,"accessKeyId":` + q("ASIA"+p.chars(keyChars, 16)) + `,"sessionContext":{"sessionIssuer":{},"webIdFederationData":{},"attributes":{"creationDate":` + q(p.created()) + `,"mfaAuthenticated":"false"}}}`)}
		a.buckets = []string{"acme-" + def.env + "-media", "acme-" + def.env + "-app-config", "acme-" + def.env + "-exports", "acme-" + def.env + "-logs-" + acct, "acme-" + def.env + "-backups", "acme-" + def.env + "-data-lake"}
		a.kmsKey = p.chars(hexDigits, 8) + "-" + p.chars(hexDigits, 4) + "-4" + p.chars(hexDigits, 3) + "-a" + p.chars(hexDigits, 3) + "-" + p.chars(hexDigits, 12)
		a.vpce = "vpce-0" + p.chars(hexDigits, 16)
		a.vpc = "vpc-0" + p.chars(hexDigits, 16)
		ps.accounts = append(ps.accounts, a)
	}
	return ps
}

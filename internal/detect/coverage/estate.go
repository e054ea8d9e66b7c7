package coverage

import (
	"fmt"
	"strings"
	"time"
)

// An estate is one account's cast: its users, roles, instances, buckets
// and where they call from. Everything in it is derived from the seed and
// the account, so two runs see the same people doing the same kind of work.
type estate struct {
	seed   uint64
	acct   string
	region string

	users      []consoleUser
	ghRole     role // assumed by GitHub Actions through OIDC
	tfRole     role // assumed by the GitHub Actions session to run Terraform
	repo       string
	runners    []string // fixed egress addresses of the self-hosted runners
	configRole role
	appRole    role // the EC2 instance profile's role
	instances  []instance
	fnRole     role // the Lambda function's execution role
	fn         string
	fnIPs      []string // Lambda egress addresses (AWS)
	assets     string   // buckets
	data       string
	artifacts  string
	kmsKey     string
	trailARN   string
	secret     string
	params     []string
	sgID, vpc  string
	cluster    string
}

type consoleUser struct {
	name, principalID, ip, ua string
	admin                     bool
}

type role struct {
	name, id, arn string
}

type instance struct {
	id, ip, privateIP string
}

// Addresses used by the estates. The office and home addresses are public
// ranges of ordinary ISPs; the runners' and the AWS compute addresses are
// in AWS's published EC2 ranges (us-east-1), as self-hosted runners behind
// a NAT gateway's Elastic IP are.
var (
	officeIPs  = []string{"81.2.69.142", "81.2.69.160", "89.160.20.112", "216.160.83.56"}
	homeIPs    = []string{"2.125.160.216", "67.43.156.14", "175.16.199.5", "89.160.20.128"}
	runnerIPs  = []string{"52.4.19.60", "52.4.19.61", "34.192.11.227"}
	awsHostIPs = []string{"3.91.171.22", "54.210.167.204", "52.23.184.7", "18.208.11.42", "44.192.31.203", "3.236.14.99", "54.157.80.18", "3.83.200.41"}
	lambdaIPs  = []string{"3.236.102.17", "3.238.177.9", "44.200.81.133", "100.26.48.211"}
)

var browserUAs = []string{
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:123.0) Gecko/20100101 Firefox/123.0",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
}

const (
	uaGHOIDC     = "aws-sdk-nodejs/2.1583.0 linux/v20.11.1 configure-aws-credentials-for-github-actions promise"
	uaTerraform  = "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.40.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.3 os/linux lang/go#1.21.8 md/GOOS#linux md/GOARCH#amd64 api/%s#1.0.0"
	uaCLI        = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1016-aws exe/x86_64.ubuntu.22 prompt/off command/%s"
	uaCLIRunner  = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1017-azure exe/x86_64.ubuntu.22 prompt/off command/%s"
	uaBoto3      = "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1.79-99.167.amzn2023.x86_64 md/arch#x86_64 lang/python#3.11.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69"
	uaBoto3Func  = "Boto3/1.34.42 md/Botocore#1.34.42 ua/2.0 os/linux#5.10.214-223.855.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.42"
	uaSSMAgent   = "aws-sdk-go/1.44.260 (go1.21.6; linux; amd64) amazon-ssm-agent/3.3.40.0"
	uaJavaSDK    = "aws-sdk-java/2.25.11 Linux/6.1.79-99.167.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/21.0.2+13-LTS Java/21.0.2 vendor/Amazon.com_Inc. md/internal exec-env/AWS_ECS_EC2 io/sync http/Apache cfg/retry-mode/legacy"
	ciRepoPrefix = "acme-platform"
)

var firstNames = []string{"alice.martin", "bruno.silva", "chen.wei", "dara.okafor", "eva.novak", "farid.haddad"}

func newEstate(seed uint64, acct, region string) *estate {
	r := newRnd(seed, "estate:"+acct)
	e := &estate{seed: seed, acct: acct, region: region}
	// Three console users, one of them an administrator; two work from
	// the office, one from home.
	start := r.IntN(len(firstNames))
	for i := range 3 {
		name := firstNames[(start+i)%len(firstNames)]
		ip := officeIPs[(start+i)%len(officeIPs)]
		if i == 2 {
			ip = homeIPs[r.IntN(len(homeIPs))]
		}
		e.users = append(e.users, consoleUser{
			name:        name,
			principalID: stableKey(seed, acct+"/user/"+name, "AIDA", 17),
			ip:          ip,
			ua:          browserUAs[(start+i)%len(browserUAs)],
			admin:       i == 0,
		})
	}
	e.ghRole = e.newRole("github-actions-deploy", "")
	e.tfRole = e.newRole("terraform-ci", "")
	e.repo = fmt.Sprintf("%s/infra-%s", ciRepoPrefix, acct[len(acct)-4:])
	e.runners = []string{runnerIPs[r.IntN(len(runnerIPs))]}
	e.runners = append(e.runners, runnerIPs[(indexOf(runnerIPs, e.runners[0])+1)%len(runnerIPs)])
	e.configRole = e.newRole("AWSServiceRoleForConfig", "aws-service-role/config.amazonaws.com/")
	e.appRole = e.newRole("app-web-role", "")
	for range 3 {
		e.instances = append(e.instances, instance{
			id:        "i-0" + r.hex(16),
			ip:        awsHostIPs[r.IntN(len(awsHostIPs))],
			privateIP: fmt.Sprintf("10.20.%d.%d", 1+r.IntN(3), 10+r.IntN(200)),
		})
	}
	e.fnRole = e.newRole("orders-processor-role", "service-role/")
	e.fn = "orders-processor"
	e.fnIPs = []string{lambdaIPs[r.IntN(len(lambdaIPs))], lambdaIPs[r.IntN(len(lambdaIPs))]}
	e.assets = "acme-app-assets-" + acct
	e.data = "acme-orders-data-" + acct
	e.artifacts = "acme-ci-artifacts-" + acct
	e.kmsKey = fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region, acct, r.uuid())
	e.trailARN = fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/org-trail", region, acct)
	e.secret = "prod/orders/db"
	e.params = []string{"/prod/orders/db-host", "/prod/orders/db-password", "/prod/orders/feature-flags"}
	e.sgID = "sg-0" + r.hex(16)
	e.vpc = "vpc-0" + r.hex(16)
	e.cluster = "orders"
	return e
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func (e *estate) newRole(name, path string) role {
	return role{
		name: name,
		id:   stableKey(e.seed, e.acct+"/role/"+name, "AROA", 17),
		arn:  fmt.Sprintf("arn:aws:iam::%s:role/%s%s", e.acct, path, name),
	}
}

// session is an AssumedRole identity of ro with session name sess, whose
// credentials were issued at created.
func (e *estate) session(ro role, sess, key string, created time.Time, mfa bool) *identity {
	m := "false"
	if mfa {
		m = "true"
	}
	return &identity{
		Type:        "AssumedRole",
		PrincipalID: ro.id + ":" + sess,
		ARN:         fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", e.acct, ro.name, sess),
		AccountID:   e.acct,
		AccessKeyID: key,
		SessionContext: &sessionContext{
			SessionIssuer:       &issuer{Type: "Role", PrincipalID: ro.id, ARN: ro.arn, AccountID: e.acct, UserName: ro.name},
			WebIDFederationData: &webIDFederated{},
			Attributes:          attributes{CreationDate: ctTime(created), MFAAuthenticated: m},
		},
	}
}

// hostHeader is the endpoint a client names for service src.
func hostHeader(src, region, bucket string) string {
	svc := strings.TrimSuffix(src, ".amazonaws.com")
	switch svc {
	case "iam":
		return "iam.amazonaws.com"
	case "signin":
		return "signin.aws.amazon.com"
	case "s3":
		if bucket != "" {
			return bucket + ".s3." + region + ".amazonaws.com"
		}
		return "s3." + region + ".amazonaws.com"
	case "ce":
		return "ce.us-east-1.amazonaws.com"
	}
	return svc + "." + region + ".amazonaws.com"
}

var tls13 = []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"}

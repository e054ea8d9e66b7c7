//go:build ignore

// Command gen writes Picket's bundled demo scenario: gzip-compressed
// CloudTrail log files (and one digest file) in the S3 delivery layout,
// telling one two-hour intrusion story in two AWS accounts amid ordinary
// background activity. Every record is synthetic, written by this program;
// the output is deterministic for a given -seed.
//
// Regenerate from the repository root with:
//
//	go run internal/demo/scenario/gen/main.go -out internal/demo/scenario
//
// The timeline and the findings the scenario must raise are described in
// internal/demo/scenario/README.md; keep both in step when editing.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

const (
	prod = "111122223333" // acme-prod: the organization's management account
	stg  = "444455556666" // acme-staging
	use1 = "us-east-1"
	euw1 = "eu-west-1"

	attackerIP = "203.0.113.77"
	rootIP     = "198.51.100.23"
	leechIP    = "192.0.2.146"
	officeIP   = "198.18.23.10" // corporate VPN egress
	homeIP     = "198.18.77.41" // kalinda.perera working from home
	tomasIP    = "198.18.23.57"
	runnerIP   = "198.19.201.34" // CI runner
	orgTrail   = "arn:aws:cloudtrail:us-east-1:111122223333:trail/acme-org-trail"
	logBucket  = "acme-audit-logs-111122223333"
	xmlnsS3    = "http://s3.amazonaws.com/doc/2006-03-01/"
	xmlnsEC2   = "http://ec2.amazonaws.com/doc/2016-11-15/"
)

var base = time.Date(2026, 10, 14, 8, 0, 0, 0, time.UTC)

// at is a time on the scenario day.
func at(h, m, s int) time.Time { return time.Date(2026, 10, 14, h, m, s, 0, time.UTC) }

// kv and O give JSON objects a fixed key order, as CloudTrail writes them.
type kv struct {
	K string
	V any
}

// O is an ordered JSON object.
type O []kv

func (o O) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(marshal(f.K))
		b.WriteByte(':')
		b.Write(marshal(f.V))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal encodes without HTML escaping (CloudTrail writes & and < as is).
func marshal(v any) []byte {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		panic(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

type rec struct {
	t            time.Time
	acct, region string
	seq          int
	o            O
}

type gen struct {
	r    *rand.Rand
	recs []rec
}

const (
	upperNum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	alnum    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

func (g *gen) chars(set string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = set[g.r.IntN(len(set))]
	}
	return string(b)
}

func (g *gen) hex(n int) string { return g.chars("0123456789abcdef", n) }

func (g *gen) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.UintN(256))
	}
	return b
}

func (g *gen) uuid() string {
	b := g.bytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (g *gen) s3ReqID() string { return strings.ToUpper(g.hex(16)) }
func (g *gen) amzID2() string  { return base64.StdEncoding.EncodeToString(g.bytes(57)) }
func (g *gen) key(prefix string) string {
	return prefix + g.chars(upperNum, 16)
}
func (g *gen) token() string {
	return "IQoJb3JpZ2luX2VjE" + base64.StdEncoding.EncodeToString(g.bytes(180))
}

// in returns a random second in [t, t+d).
func (g *gen) in(t time.Time, d time.Duration) time.Time {
	return t.Add(time.Duration(g.r.Int64N(int64(d/time.Second))) * time.Second)
}

// ---- identities ----

type user struct{ name, acct, pid, akid string }

func (g *gen) newUser(acct, name string) user {
	return user{name: name, acct: acct, pid: "AIDA" + g.chars(upperNum, 17), akid: g.key("AKIA")}
}
func (u user) arn() string { return "arn:aws:iam::" + u.acct + ":user/" + u.name }

type role struct{ name, acct, id, path string }

func (g *gen) newRole(acct, path, name string) role {
	return role{name: name, acct: acct, id: "AROA" + g.chars(upperNum, 17), path: path}
}
func (r role) arn() string { return "arn:aws:iam::" + r.acct + ":role/" + r.path + r.name }
func (r role) sessionARN(s string) string {
	return "arn:aws:sts::" + r.acct + ":assumed-role/" + r.name + "/" + s
}

type actor struct {
	id      O
	acct    string
	ip, ua  string
	console bool
	akid    string
	arn     string
}

func (g *gen) cli(u user, ip, ua string) *actor {
	return &actor{acct: u.acct, ip: ip, ua: ua, akid: u.akid, arn: u.arn(), id: O{
		{"type", "IAMUser"}, {"principalId", u.pid}, {"arn", u.arn()}, {"accountId", u.acct},
		{"accessKeyId", u.akid}, {"userName", u.name},
	}}
}

func attrs(created time.Time, mfa bool) O {
	return O{{"creationDate", created.Format(time.RFC3339)}, {"mfaAuthenticated", fmt.Sprint(mfa)}}
}

// consoleUser is an IAM user's console session making API calls.
func (g *gen) consoleUser(u user, created time.Time, mfa bool, ip, ua string) *actor {
	k := g.key("ASIA")
	return &actor{acct: u.acct, ip: ip, ua: ua, console: true, akid: k, arn: u.arn(), id: O{
		{"type", "IAMUser"}, {"principalId", u.pid}, {"arn", u.arn()}, {"accountId", u.acct},
		{"accessKeyId", k}, {"userName", u.name},
		{"sessionContext", O{{"sessionIssuer", O{}}, {"webIdFederationData", O{}}, {"attributes", attrs(created, mfa)}}},
	}}
}

type sessOpts struct {
	mfa       bool
	invokedBy string
	ec2       bool
	webID     string // OIDC provider ARN
	console   bool
}

func (g *gen) session(r role, name string, created time.Time, ip, ua string, o sessOpts) *actor {
	k := g.key("ASIA")
	web := O{}
	if o.webID != "" {
		web = O{{"federatedProvider", o.webID}, {"attributes", O{}}}
	}
	sc := O{
		{"sessionIssuer", O{{"type", "Role"}, {"principalId", r.id}, {"arn", r.arn()}, {"accountId", r.acct}, {"userName", r.name}}},
		{"webIdFederationData", web},
		{"attributes", attrs(created, o.mfa)},
	}
	if o.ec2 {
		sc = append(sc, kv{"ec2RoleDelivery", "2.0"})
	}
	id := O{
		{"type", "AssumedRole"}, {"principalId", r.id + ":" + name}, {"arn", r.sessionARN(name)},
		{"accountId", r.acct}, {"accessKeyId", k}, {"sessionContext", sc},
	}
	if o.invokedBy != "" {
		id = append(id, kv{"invokedBy", o.invokedBy})
		ip, ua = o.invokedBy, o.invokedBy
	}
	return &actor{acct: r.acct, ip: ip, ua: ua, console: o.console, akid: k, arn: r.sessionARN(name), id: id}
}

func service(acct, svc string) *actor {
	return &actor{acct: acct, ip: svc, ua: svc, id: O{{"type", "AWSService"}, {"invokedBy", svc}}}
}

// ---- records ----

type call struct {
	at           time.Time
	a            *actor
	acct, region string
	src, name    string
	ua, ip       string
	params, resp any
	errCode      string
	errMsg       string
	ro, data     bool
	res          []O
	typ          string
	extra        O
	ver          string
	host         string
	vpce         string
	shared       string
	svcDetails   O
	noReqID      bool
	reqID        string
	noTLS        bool
	tls12        bool
	id           O // overrides a.id
}

func svcPrefix(src string) string { return strings.TrimSuffix(src, ".amazonaws.com") }

func (g *gen) add(c call) {
	if c.acct == "" {
		c.acct = c.a.acct
	}
	if c.region == "" {
		c.region = use1
	}
	if c.ua == "" {
		c.ua = c.a.ua
	}
	if c.ip == "" {
		c.ip = c.a.ip
	}
	if c.typ == "" {
		c.typ = "AwsApiCall"
	}
	if c.ver == "" {
		switch c.src {
		case "s3.amazonaws.com", "ec2.amazonaws.com", "guardduty.amazonaws.com", "bedrock.amazonaws.com", "organizations.amazonaws.com":
			c.ver = "1.09"
		default:
			c.ver = "1.08"
		}
	}
	id := c.id
	if id == nil {
		id = c.a.id
	}
	o := O{
		{"eventVersion", c.ver}, {"userIdentity", id},
		{"eventTime", c.at.Format("2006-01-02T15:04:05Z")},
		{"eventSource", c.src}, {"eventName", c.name}, {"awsRegion", c.region},
		{"sourceIPAddress", c.ip}, {"userAgent", c.ua},
	}
	if c.errCode != "" {
		o = append(o, kv{"errorCode", c.errCode}, kv{"errorMessage", c.errMsg})
	}
	o = append(o, kv{"requestParameters", c.params}, kv{"responseElements", c.resp})
	if c.extra != nil {
		o = append(o, kv{"additionalEventData", c.extra})
	}
	if !c.noReqID {
		if c.reqID == "" {
			if c.src == "s3.amazonaws.com" {
				c.reqID = g.s3ReqID()
			} else {
				c.reqID = g.uuid()
			}
		}
		o = append(o, kv{"requestID", c.reqID})
	}
	o = append(o, kv{"eventID", g.uuid()}, kv{"readOnly", c.ro})
	if c.res != nil {
		o = append(o, kv{"resources", c.res})
	}
	o = append(o, kv{"eventType", c.typ})
	if c.src == "lambda.amazonaws.com" && c.typ == "AwsApiCall" {
		o = append(o, kv{"apiVersion", "2015-03-31"})
	}
	o = append(o, kv{"managementEvent", !c.data}, kv{"recipientAccountId", c.acct})
	if c.shared != "" {
		o = append(o, kv{"sharedEventID", c.shared})
	}
	if c.vpce != "" {
		o = append(o, kv{"vpcEndpointId", c.vpce}, kv{"vpcEndpointAccountId", c.acct})
	}
	if c.svcDetails != nil {
		o = append(o, kv{"serviceEventDetails", c.svcDetails})
	}
	cat := "Management"
	if c.data {
		cat = "Data"
	}
	o = append(o, kv{"eventCategory", cat})
	if !c.noTLS && !strings.HasSuffix(c.ip, ".amazonaws.com") && c.ip != "AWS Internal" {
		host := c.host
		if host == "" {
			switch c.src {
			case "iam.amazonaws.com", "sts.amazonaws.com", "organizations.amazonaws.com":
				host = c.src
				if c.src == "organizations.amazonaws.com" {
					host = "organizations.us-east-1.amazonaws.com"
				}
			case "signin.amazonaws.com":
				host = "signin.aws.amazon.com"
			default:
				host = svcPrefix(c.src) + "." + c.region + ".amazonaws.com"
			}
		}
		if c.tls12 {
			o = append(o, kv{"tlsDetails", O{{"tlsVersion", "TLSv1.2"}, {"cipherSuite", "ECDHE-RSA-AES128-GCM-SHA256"}, {"clientProvidedHostHeader", host}}})
		} else {
			o = append(o, kv{"tlsDetails", O{{"tlsVersion", "TLSv1.3"}, {"cipherSuite", "TLS_AES_128_GCM_SHA256"}, {"clientProvidedHostHeader", host}}})
		}
	}
	if c.a.console {
		o = append(o, kv{"sessionCredentialFromConsole", "true"})
	}
	g.recs = append(g.recs, rec{t: c.at, acct: c.acct, region: c.region, seq: len(g.recs), o: o})
}

func resBucket(acct, b string) O {
	return O{{"accountId", acct}, {"type", "AWS::S3::Bucket"}, {"ARN", "arn:aws:s3:::" + b}}
}
func resObject(b, k string) O {
	return O{{"type", "AWS::S3::Object"}, {"ARN", "arn:aws:s3:::" + b + "/" + k}}
}
func resOf(acct, typ, arn string) O { return O{{"accountId", acct}, {"type", typ}, {"ARN", arn}} }

func (g *gen) s3extra(in, out int, anon bool) O {
	if anon {
		return O{{"CipherSuite", "TLS_AES_128_GCM_SHA256"}, {"bytesTransferredIn", in}, {"x-amz-id-2", g.amzID2()}, {"bytesTransferredOut", out}}
	}
	return O{{"SignatureVersion", "SigV4"}, {"CipherSuite", "TLS_AES_128_GCM_SHA256"}, {"bytesTransferredIn", in},
		{"AuthenticationMethod", "AuthHeader"}, {"x-amz-id-2", g.amzID2()}, {"bytesTransferredOut", out}}
}

// s3data records an object-level S3 data event.
type s3op struct {
	t             time.Time
	a             *actor
	region, owner string
	name, bucket  string
	key, prefix   string
	size          int
	ua, vpce, ip  string
	errCode       string
	id            O
	anon          bool
}

func (g *gen) s3data(op s3op) {
	if op.region == "" {
		op.region = use1
	}
	if op.owner == "" {
		op.owner = op.a.acct
	}
	host := op.bucket + ".s3." + op.region + ".amazonaws.com"
	var params, resp any
	res := []O{resObject(op.bucket, op.key), resBucket(op.owner, op.bucket)}
	ro := true
	in, out := 0, op.size
	switch op.name {
	case "GetObject", "HeadObject":
		params = O{{"bucketName", op.bucket}, {"Host", host}, {"key", op.key}}
	case "PutObject":
		ro = false
		in, out = op.size, 0
		params = O{{"bucketName", op.bucket}, {"Host", host}, {"key", op.key}, {"x-amz-server-side-encryption", "aws:kms"}}
		resp = O{{"x-amz-server-side-encryption", "aws:kms"}, {"x-amz-version-id", g.chars(alnum, 32)}, {"x-amz-server-side-encryption-bucket-key-enabled", "true"}}
	case "ListObjects":
		params = O{{"list-type", "2"}, {"bucketName", op.bucket}, {"encoding-type", "url"}, {"prefix", op.prefix}, {"delimiter", "/"}, {"Host", host}}
		res = []O{resBucket(op.owner, op.bucket)}
	}
	c := call{at: op.t, a: op.a, acct: op.owner, region: op.region, src: "s3.amazonaws.com", name: op.name,
		ua: op.ua, ip: op.ip, params: params, resp: resp, ro: ro, data: true, res: res, extra: g.s3extra(in, out, op.anon),
		host: host, vpce: op.vpce, id: op.id}
	if op.errCode == "AccessDenied" {
		c.errCode, c.errMsg = "AccessDenied", "Access Denied"
		c.resp = nil
	}
	g.add(c)
}

// s3mgmt records a bucket-level S3 management call.
func (g *gen) s3mgmt(t time.Time, a *actor, region, name, bucket, sub string, extra O, ua string, ro bool) {
	params := O{{"bucketName", bucket}, {"Host", bucket + ".s3.amazonaws.com"}}
	if sub != "" {
		params = append(O{{sub, ""}}, params...)
	}
	params = append(params, extra...)
	in := 0
	if !ro {
		in = 200 + g.r.IntN(400)
	}
	g.add(call{at: t, a: a, region: region, src: "s3.amazonaws.com", name: name, ua: ua, params: params, ro: ro,
		res: []O{resBucket(a.acct, bucket)}, extra: g.s3extra(in, 0, false), host: bucket + ".s3.amazonaws.com"})
}

func pab(v bool) O {
	return O{{"xmlns", xmlnsS3}, {"RestrictPublicBuckets", v}, {"BlockPublicPolicy", v}, {"BlockPublicAcls", v}, {"IgnorePublicAcls", v}}
}

func expiry(t time.Time, d time.Duration) string { return t.Add(d).Format("Jan 2, 2006, 3:04:05 PM") }

// assumeRole records sts:AssumeRole by a, returning the new session.
func (g *gen) assumeRole(t time.Time, a *actor, r role, name string, dur time.Duration, ua, ip string) (*actor, string) {
	sess := g.session(r, name, t, ip, ua, sessOpts{})
	params := O{{"roleArn", r.arn()}, {"roleSessionName", name}}
	if dur != time.Hour {
		params = append(params, kv{"durationSeconds", int(dur / time.Second)})
	}
	resp := O{
		{"credentials", O{{"accessKeyId", sess.akid}, {"sessionToken", g.token()}, {"expiration", expiry(t, dur)}}},
		{"assumedRoleUser", O{{"assumedRoleId", r.id + ":" + name}, {"arn", r.sessionARN(name)}}},
	}
	shared := ""
	if r.acct != a.acct {
		shared = g.uuid()
	}
	c := call{at: t, a: a, src: "sts.amazonaws.com", name: "AssumeRole", ua: ua, ip: ip, params: params, resp: resp,
		ro: true, res: []O{resOf(r.acct, "AWS::IAM::Role", r.arn())}, shared: shared}
	g.add(c)
	if shared != "" {
		// The role's account logs the same call, seen from its side.
		c.acct = r.acct
		c.id = O{{"type", "AWSAccount"}, {"principalId", principalOf(a)}, {"accountId", a.acct}}
		g.add(c)
	}
	return sess, shared
}

func principalOf(a *actor) string {
	for _, f := range a.id {
		if f.K == "principalId" {
			return f.V.(string)
		}
	}
	return ""
}

// serviceAssume records an AWS service assuming a role for a workload.
func (g *gen) serviceAssume(t time.Time, svc string, r role, name string) {
	a := service(r.acct, svc)
	resp := O{{"credentials", O{{"accessKeyId", g.key("ASIA")}, {"sessionToken", g.token()}, {"expiration", expiry(t, 12*time.Hour)}}}}
	params := O{{"roleArn", r.arn()}, {"roleSessionName", name}}
	if svc == "ec2.amazonaws.com" {
		params = append(params, kv{"durationSeconds", 21600})
		resp = O{{"credentials", O{{"accessKeyId", g.key("ASIA")}, {"sessionToken", g.token()}, {"expiration", expiry(t, 6*time.Hour)}}}}
	}
	g.add(call{at: t, a: a, src: "sts.amazonaws.com", name: "AssumeRole", params: params, resp: resp, ro: true,
		res: []O{resOf(r.acct, "AWS::IAM::Role", r.arn())}, shared: g.uuid()})
}

func kali(cmd string) string {
	return "aws-cli/2.15.30 Python/3.11.8 Linux/6.6.9-amd64-kali exe/x86_64.kali.2024 prompt/off command/" + cmd
}

func mac(cmd string) string {
	return "aws-cli/2.17.42 md/awscrt#0.21.2 ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.12.5 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#" + cmd
}

func ghcli(cmd string) string {
	return "aws-cli/2.18.5 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-1014-azure md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#" + cmd
}

const (
	chromeMac  = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36"
	edgeWin    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.2792.79"
	firefoxLin = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	javaSDK    = "aws-sdk-java/2.28.16 Linux/6.1.109-118.189.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/21.0.4+7-LTS Java/21.0.4 vendor/Amazon.com_Inc. md/internal io/sync http/Apache cfg/retry-mode/legacy"
	goSDK      = "aws-sdk-go-v2/1.32.2 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/ssm#1.55.2"
	ssmAgent   = "aws-sdk-go/1.55.5 (go1.22.7; linux; amd64) amazon-ssm-agent/3.3.987.0"
	boto3      = "Boto3/1.35.40 md/Botocore#1.35.40 ua/2.0 os/linux#5.10.226-235.879.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.35.40"
	consoleUA  = "AWS Internal"
)

func main() {
	out := flag.String("out", "internal/demo/scenario", "scenario directory (AWSLogs/ is replaced)")
	seed := flag.Uint64("seed", 20261014, "random seed")
	flag.Parse()
	g := &gen{r: rand.New(rand.NewPCG(*seed, 0x70696b6574))}
	g.story()
	if err := g.write(*out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// ---- the story ----

func (g *gen) story() {
	// People and workloads.
	maria := g.newUser(prod, "maria.gonzalez")
	kalinda := g.newUser(prod, "kalinda.perera")
	tomas := g.newUser(prod, "tomas.novak")
	ci := g.newUser(prod, "dev-ci-deployer")

	appRole := g.newRole(prod, "", "app-server-role")
	appEU := g.newRole(prod, "", "app-server-eu-role")
	appStg := g.newRole(stg, "", "app-server-role")
	lambdaRole := g.newRole(prod, "service-role/", "order-processor-role")
	configRole := g.newRole(prod, "aws-service-role/config.amazonaws.com/", "AWSServiceRoleForConfig")
	configStg := g.newRole(stg, "aws-service-role/config.amazonaws.com/", "AWSServiceRoleForConfig")
	ghRole := g.newRole(prod, "", "github-actions-deploy")
	ghStg := g.newRole(stg, "", "github-actions-deploy")
	cfnRole := g.newRole(prod, "", "cfn-exec-role")
	cfnStg := g.newRole(stg, "", "cfn-exec-role")
	opsRole := g.newRole(prod, "", "ops-automation")
	opsStg := g.newRole(stg, "", "ops-automation")
	irRole := g.newRole(prod, "aws-reserved/sso.amazonaws.com/", "AWSReservedSSO_IncidentResponse_5f1c2e3d4a6b7c8d")
	irStg := g.newRole(stg, "aws-reserved/sso.amazonaws.com/", "AWSReservedSSO_IncidentResponse_0b9a8c7d6e5f4a3b")

	instUSE := []string{"i-0a1b2c3d4e5f60718", "i-0b7c6d5e4f3a21908"}
	instEU := []string{"i-0f3c9a8b7d6e5f401", "i-07d1e2f3a4b5c6d78"}
	instStg := "i-0e5d4c3b2a1f09876"
	vpceUSE, vpceEU, vpceStg := "vpce-0a1b2c3d4e5f6a7b8", "vpce-0c9d8e7f6a5b4c3d2", "vpce-0f1e2d3c4b5a69788"
	kmsUSE := "arn:aws:kms:us-east-1:111122223333:key/4b6e2f1a-8c3d-4e5f-9a0b-1c2d3e4f5a6b"
	kmsEU := "arn:aws:kms:eu-west-1:111122223333:key/9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
	kmsStg := "arn:aws:kms:us-east-1:444455556666:key/2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d"
	oidc := func(acct string) string {
		return "arn:aws:iam::" + acct + ":oidc-provider/token.actions.githubusercontent.com"
	}

	dayStart := at(0, 10, 0)
	appSess := map[string]*actor{}
	for i, id := range instUSE {
		appSess[id] = g.session(appRole, id, dayStart.Add(time.Duration(i)*17*time.Minute), "10.20.1."+fmt.Sprint(41+i*13), javaSDK, sessOpts{ec2: true})
	}
	for i, id := range instEU {
		appSess[id] = g.session(appEU, id, dayStart.Add(time.Duration(i)*23*time.Minute), "10.40.2."+fmt.Sprint(17+i*9), javaSDK, sessOpts{ec2: true})
	}
	appSess[instStg] = g.session(appStg, instStg, dayStart, "10.60.1.25", javaSDK, sessOpts{ec2: true})
	lambdaSess := g.session(lambdaRole, "order-processor", at(7, 58, 12), "198.19.14.203", boto3, sessOpts{})
	cfgSess := g.session(configRole, "AWSConfig-Describe", at(7, 40, 0), "", "", sessOpts{invokedBy: "config.amazonaws.com"})
	cfgStgSess := g.session(configStg, "AWSConfig-Describe", at(7, 42, 0), "", "", sessOpts{invokedBy: "config.amazonaws.com"})

	appKeys := []string{"config/app.yaml", "config/feature-flags.json", "templates/email/order-confirmation.html", "templates/email/shipping-update.html", "certs/partner-ca.pem"}
	mediaKeys := []string{"products/2026/10/sku-48213-main.webp", "products/2026/10/sku-48213-alt1.webp", "products/2026/09/sku-47790-main.webp", "banners/autumn-sale-hero.jpg", "products/2026/10/sku-48377-main.webp"}

	// ---- background, window by window ----
	for w := 0; w < 26; w++ {
		ws := base.Add(time.Duration(w) * 5 * time.Minute)
		// Production us-east-1 application servers: config and media reads
		// through the S3 gateway endpoint, KMS, SSM and Secrets Manager.
		for _, id := range instUSE {
			s := appSess[id]
			for n := 1 + g.r.IntN(2); n > 0; n-- {
				if g.r.IntN(3) == 0 {
					g.s3data(s3op{t: g.in(ws, 5*time.Minute), a: s, name: "GetObject", bucket: "acme-prod-app-config", key: appKeys[g.r.IntN(len(appKeys))], size: 800 + g.r.IntN(9000), vpce: vpceUSE})
				} else {
					name := "GetObject"
					if g.r.IntN(4) == 0 {
						name = "HeadObject"
					}
					g.s3data(s3op{t: g.in(ws, 5*time.Minute), a: s, name: name, bucket: "acme-prod-media", key: mediaKeys[g.r.IntN(len(mediaKeys))], size: 40000 + g.r.IntN(400000), vpce: vpceUSE})
				}
			}
			if g.r.IntN(2) == 0 {
				g.add(call{at: g.in(ws, 5*time.Minute), a: s, src: "kms.amazonaws.com", name: "Decrypt", ro: true,
					params: O{{"encryptionAlgorithm", "SYMMETRIC_DEFAULT"}, {"encryptionContext", O{{"aws:s3:arn", "arn:aws:s3:::acme-prod-app-config/config/app.yaml"}}}},
					res:    []O{resOf(prod, "AWS::KMS::Key", kmsUSE)}})
			}
			if g.r.IntN(3) == 0 {
				g.add(call{at: g.in(ws, 5*time.Minute), a: s, src: "ssm.amazonaws.com", name: "UpdateInstanceInformation", ua: ssmAgent,
					params: O{{"instanceId", id}, {"agentVersion", "3.3.987.0"}, {"agentStatus", "Active"}, {"platformType", "Linux"}, {"platformName", "Amazon Linux"}, {"platformVersion", "2023"}, {"iPAddress", s.ip}, {"computerName", "ip-" + strings.ReplaceAll(s.ip, ".", "-") + ".ec2.internal"}, {"agentName", "amazon-ssm-agent"}, {"availabilityZone", "us-east-1a"}, {"availabilityZoneId", "use1-az4"}},
					resp:   nil})
			}
		}
		if w%4 == 1 {
			s := appSess[instUSE[w%2]]
			t := g.in(ws, 5*time.Minute)
			secret := "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/webshop/db-Xk3p9Q"
			g.add(call{at: t, a: s, src: "secretsmanager.amazonaws.com", name: "GetSecretValue", ro: true,
				params: O{{"secretId", secret}}})
			ks := g.session(appRole, instUSE[w%2], dayStart, "", "", sessOpts{ec2: true, invokedBy: "secretsmanager.amazonaws.com"})
			ks.id[4].V = s.akid
			g.add(call{at: t, a: ks, src: "kms.amazonaws.com", name: "Decrypt", ro: true,
				params: O{{"encryptionContext", O{{"SecretARN", secret}, {"SecretVersionId", "c7e1f0a2-5b3d-4e6f-8a9b-0c1d2e3f4a5b"}}}, {"encryptionAlgorithm", "SYMMETRIC_DEFAULT"}},
				res:    []O{resOf(prod, "AWS::KMS::Key", kmsUSE)}})
			g.add(call{at: g.in(ws, 5*time.Minute), a: s, src: "ssm.amazonaws.com", name: "GetParameters", ua: goSDK, ro: true,
				params: O{{"names", []string{"/webshop/prod/db-host", "/webshop/prod/cache-endpoint", "/webshop/prod/feature-flags"}}, {"withDecryption", true}}})
		}
		// The order-processor Lambda: a fresh execution role session and log
		// stream every quarter hour, KMS for its environment.
		if w%3 == 0 {
			t := g.in(ws, 2*time.Minute)
			g.serviceAssume(t, "lambda.amazonaws.com", lambdaRole, "order-processor")
			g.add(call{at: t.Add(3 * time.Second), a: lambdaSess, src: "logs.amazonaws.com", name: "CreateLogStream",
				params: O{{"logGroupName", "/aws/lambda/order-processor"}, {"logStreamName", "2026/10/14/[$LATEST]" + g.hex(32)}}})
			g.add(call{at: t.Add(4 * time.Second), a: lambdaSess, src: "kms.amazonaws.com", name: "Decrypt", ro: true, ua: boto3,
				params: O{{"encryptionContext", O{{"LambdaFunctionName", "order-processor"}}}, {"encryptionAlgorithm", "SYMMETRIC_DEFAULT"}},
				res:    []O{resOf(prod, "AWS::KMS::Key", kmsUSE)}})
			g.s3data(s3op{t: t.Add(5 * time.Second), a: lambdaSess, name: "PutObject", bucket: "acme-prod-order-archive", key: "orders/2026/10/14/" + g.uuid() + ".json", size: 2000 + g.r.IntN(6000)})
		}
		// AWS Config recording resource changes.
		if g.r.IntN(3) != 0 {
			names := []string{"DescribeInstances", "DescribeSecurityGroups", "DescribeNetworkInterfaces", "DescribeVolumes"}
			n := names[g.r.IntN(len(names))]
			g.add(call{at: g.in(ws, 5*time.Minute), a: cfgSess, src: "ec2.amazonaws.com", name: n, ro: true, params: describeParams(n, instUSE)})
		}
		if w%6 == 2 {
			g.add(call{at: g.in(ws, 5*time.Minute), a: cfgSess, src: "s3.amazonaws.com", name: "GetBucketAcl", ro: true,
				params: O{{"bucketName", "acme-prod-media"}, {"Host", "acme-prod-media.s3.amazonaws.com"}, {"acl", ""}},
				res:    []O{resBucket(prod, "acme-prod-media")}, extra: g.s3extra(0, 0, false)})
		}
		// EC2 refreshes instance-profile credentials hourly.
		if w%12 == 5 {
			for _, id := range instUSE {
				g.serviceAssume(g.in(ws, 5*time.Minute), "ec2.amazonaws.com", appRole, id)
			}
		}

		// Production eu-west-1.
		for _, id := range instEU {
			s := appSess[id]
			for n := g.r.IntN(2); n >= 0; n-- {
				g.s3data(s3op{t: g.in(ws, 5*time.Minute), a: s, region: euw1, name: "GetObject", bucket: "acme-prod-eu-media", key: mediaKeys[g.r.IntN(len(mediaKeys))], size: 40000 + g.r.IntN(400000), vpce: vpceEU})
			}
			if g.r.IntN(3) == 0 {
				g.add(call{at: g.in(ws, 5*time.Minute), a: s, region: euw1, src: "kms.amazonaws.com", name: "Decrypt", ro: true,
					params: O{{"encryptionAlgorithm", "SYMMETRIC_DEFAULT"}, {"encryptionContext", O{{"aws:s3:arn", "arn:aws:s3:::acme-prod-eu-media/config/app.yaml"}}}},
					res:    []O{resOf(prod, "AWS::KMS::Key", kmsEU)}})
			}
		}
		if g.r.IntN(2) == 0 {
			id := instEU[g.r.IntN(2)]
			g.add(call{at: g.in(ws, 5*time.Minute), a: appSess[id], region: euw1, src: "ssm.amazonaws.com", name: "UpdateInstanceInformation", ua: ssmAgent,
				params: O{{"instanceId", id}, {"agentVersion", "3.3.987.0"}, {"agentStatus", "Active"}, {"platformType", "Linux"}, {"platformName", "Amazon Linux"}, {"platformVersion", "2023"}, {"iPAddress", appSess[id].ip}, {"computerName", "ip-" + strings.ReplaceAll(appSess[id].ip, ".", "-") + ".eu-west-1.compute.internal"}, {"agentName", "amazon-ssm-agent"}, {"availabilityZone", "eu-west-1b"}, {"availabilityZoneId", "euw1-az1"}}})
		}
		if w%2 == 0 {
			g.add(call{at: g.in(ws, 5*time.Minute), a: cfgSess, region: euw1, src: "ec2.amazonaws.com", name: "DescribeInstances", ro: true, params: describeParams("DescribeInstances", instEU)})
		}

		// Staging us-east-1: one app server and Config.
		if g.r.IntN(2) == 0 {
			g.s3data(s3op{t: g.in(ws, 5*time.Minute), a: appSess[instStg], name: "GetObject", bucket: "acme-staging-app-config", key: appKeys[g.r.IntN(len(appKeys))], size: 800 + g.r.IntN(9000), vpce: vpceStg})
		}
		if w%3 == 1 {
			g.add(call{at: g.in(ws, 5*time.Minute), a: appSess[instStg], src: "kms.amazonaws.com", name: "Decrypt", ro: true,
				params: O{{"encryptionAlgorithm", "SYMMETRIC_DEFAULT"}, {"encryptionContext", O{{"aws:s3:arn", "arn:aws:s3:::acme-staging-app-config/config/app.yaml"}}}},
				res:    []O{resOf(stg, "AWS::KMS::Key", kmsStg)}})
		}
		if w%4 == 3 {
			g.add(call{at: g.in(ws, 5*time.Minute), a: cfgStgSess, src: "ec2.amazonaws.com", name: "DescribeSecurityGroups", ro: true, params: describeParams("DescribeSecurityGroups", nil)})
		}
	}
	// KMS rotates a key on its own (an AWS service event).
	g.add(call{at: at(9, 0, 4), a: &actor{acct: prod, ip: "AWS Internal", ua: "AWS Internal", id: O{{"accountId", prod}, {"invokedBy", "AWS Internal"}}},
		region: euw1, src: "kms.amazonaws.com", name: "RotateKey", typ: "AwsServiceEvent", noReqID: true,
		res: []O{resOf(prod, "AWS::KMS::Key", kmsEU)}, svcDetails: O{{"keyId", kmsEU[strings.LastIndex(kmsEU, "/")+1:]}}})

	// ---- people ----
	// kalinda.perera (her name contains "kali"; her laptop is a Mac).
	{
		a := g.cli(kalinda, homeIP, "")
		g.add(call{at: at(8, 6, 11), a: a, ua: mac("sts.get-caller-identity"), src: "sts.amazonaws.com", name: "GetCallerIdentity", ro: true})
		g.add(call{at: at(8, 6, 40), a: a, ua: mac("ec2.describe-instances"), src: "ec2.amazonaws.com", name: "DescribeInstances", ro: true, params: describeParams("DescribeInstances", nil)})
		g.add(call{at: at(8, 7, 2), a: a, ua: mac("s3.ls"), src: "s3.amazonaws.com", name: "ListBuckets", ro: true, host: "s3.us-east-1.amazonaws.com",
			params: O{{"Host", "s3.us-east-1.amazonaws.com"}}, extra: g.s3extra(0, 0, false)})
		g.s3data(s3op{t: at(8, 7, 30), a: a, ua: mac("s3.ls"), name: "ListObjects", bucket: "acme-prod-app-config", prefix: "config/", size: 1893})
		g.s3data(s3op{t: at(8, 7, 51), a: a, ua: mac("s3.cp"), name: "GetObject", bucket: "acme-prod-app-config", key: "config/feature-flags.json", size: 4127})
		g.add(call{at: at(9, 44, 8), a: a, ua: mac("logs.describe-log-groups"), src: "logs.amazonaws.com", name: "DescribeLogGroups", ro: true,
			params: O{{"logGroupNamePrefix", "/aws/lambda/order"}}})
		g.add(call{at: at(9, 44, 39), a: a, ua: mac("logs.filter-log-events"), src: "logs.amazonaws.com", name: "FilterLogEvents", ro: true,
			params: O{{"logGroupName", "/aws/lambda/order-processor"}, {"startTime", at(9, 0, 0).UnixMilli()}, {"filterPattern", "ERROR"}}})
		g.add(call{at: at(10, 1, 15), a: a, ua: mac("lambda.get-function"), src: "lambda.amazonaws.com", name: "GetFunction20150331v2", ro: true,
			params: O{{"functionName", "order-processor"}}})
	}
	// maria.gonzalez, cloud platform lead: console with MFA, tightens the
	// password policy, tunes GuardDuty in Ireland.
	{
		g.add(call{at: at(8, 14, 2), a: g.cli(maria, officeIP, chromeMac), id: O{{"type", "IAMUser"}, {"principalId", maria.pid}, {"arn", maria.arn()}, {"accountId", prod}, {"userName", maria.name}},
			src: "signin.amazonaws.com", name: "ConsoleLogin", typ: "AwsConsoleSignIn", noReqID: true,
			resp:  O{{"ConsoleLogin", "Success"}},
			extra: O{{"LoginTo", "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_" + g.hex(16)}, {"MobileVersion", "No"}, {"MFAIdentifier", "arn:aws:iam::111122223333:mfa/maria.gonzalez-yubikey"}, {"MFAUsed", "Yes"}}})
		a := g.consoleUser(maria, at(8, 14, 2), true, officeIP, consoleUA)
		g.add(call{at: at(8, 15, 20), a: a, src: "iam.amazonaws.com", name: "GetAccountSummary", ro: true})
		g.add(call{at: at(8, 16, 5), a: a, src: "iam.amazonaws.com", name: "GetAccountPasswordPolicy", ro: true})
		g.add(call{at: at(8, 18, 47), a: a, src: "iam.amazonaws.com", name: "UpdateAccountPasswordPolicy",
			params: O{{"minimumPasswordLength", 16}, {"requireSymbols", true}, {"requireNumbers", true}, {"requireUppercaseCharacters", true}, {"requireLowercaseCharacters", true}, {"allowUsersToChangePassword", true}, {"maxPasswordAge", 90}, {"passwordReusePrevention", 24}, {"hardExpiry", false}}})
		g.add(call{at: at(8, 19, 3), a: a, src: "iam.amazonaws.com", name: "GetAccountPasswordPolicy", ro: true})
		g.add(call{at: at(8, 20, 30), a: a, src: "iam.amazonaws.com", name: "ListUsers", ro: true, params: O{{"maxItems", 1000}}})
		g.add(call{at: at(8, 24, 12), a: a, ua: chromeMac, src: "ec2.amazonaws.com", name: "DescribeInstances", ro: true, params: describeParams("DescribeInstances", nil)})
		g.add(call{at: at(8, 31, 9), a: a, region: euw1, src: "guardduty.amazonaws.com", name: "GetDetector", ro: true,
			params: O{{"detectorId", "7ac2e5f81b3d4c6e9f0a1b2c3d4e5f60"}}})
		g.add(call{at: at(8, 32, 44), a: a, region: euw1, src: "guardduty.amazonaws.com", name: "UpdateDetector",
			params: O{{"detectorId", "7ac2e5f81b3d4c6e9f0a1b2c3d4e5f60"}, {"enable", true}, {"findingPublishingFrequency", "FIFTEEN_MINUTES"}}})
		g.add(call{at: at(8, 38, 15), a: a, src: "cloudtrail.amazonaws.com", name: "LookupEvents", ro: true,
			params: O{{"lookupAttributes", []O{{{"attributeKey", "EventName"}, {"attributeValue", "UpdateAccountPasswordPolicy"}}}}, {"maxResults", 50}}})
	}
	// tomas.novak, junior engineer: looks at CloudTrail and is not allowed
	// to stop a trail.
	{
		g.add(call{at: at(9, 18, 22), a: g.cli(tomas, tomasIP, edgeWin), id: O{{"type", "IAMUser"}, {"principalId", tomas.pid}, {"arn", tomas.arn()}, {"accountId", prod}, {"userName", tomas.name}},
			src: "signin.amazonaws.com", name: "ConsoleLogin", typ: "AwsConsoleSignIn", noReqID: true,
			resp:  O{{"ConsoleLogin", "Success"}},
			extra: O{{"LoginTo", "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_" + g.hex(16)}, {"MobileVersion", "No"}, {"MFAIdentifier", "arn:aws:iam::111122223333:mfa/tomas.novak-phone"}, {"MFAUsed", "Yes"}}})
		a := g.consoleUser(tomas, at(9, 18, 22), true, tomasIP, consoleUA)
		g.add(call{at: at(9, 20, 41), a: a, src: "cloudtrail.amazonaws.com", name: "DescribeTrails", ro: true, params: O{{"includeShadowTrails", true}}})
		g.add(call{at: at(9, 21, 17), a: a, src: "cloudtrail.amazonaws.com", name: "GetTrailStatus", ro: true, params: O{{"name", "arn:aws:cloudtrail:us-east-1:111122223333:trail/acme-prod-audit"}}})
		g.add(call{at: at(9, 24, 33), a: a, src: "cloudtrail.amazonaws.com", name: "StopLogging",
			params:  O{{"name", "arn:aws:cloudtrail:us-east-1:111122223333:trail/acme-prod-audit"}},
			errCode: "AccessDenied", errMsg: "User: arn:aws:iam::111122223333:user/tomas.novak is not authorized to perform: cloudtrail:StopLogging on resource: arn:aws:cloudtrail:us-east-1:111122223333:trail/acme-prod-audit because no identity-based policy allows the cloudtrail:StopLogging action"})
	}

	// ---- CI: GitHub Actions deploys through CloudFormation ----
	deploy := func(acct string, r, cfn role, t time.Time, full bool) {
		sub := "repo:acme/webshop:environment:production"
		if acct == stg {
			sub = "repo:acme/webshop:environment:staging"
		}
		web := &actor{acct: acct, ip: runnerIP, ua: ghcli("sts.assume-role-with-web-identity"), id: O{
			{"type", "WebIdentityUser"}, {"principalId", oidc(acct) + ":sts.amazonaws.com:" + sub},
			{"userName", sub}, {"identityProvider", oidc(acct)},
		}}
		sessName := "GitHubActions-" + fmt.Sprint(11800000000+g.r.IntN(99999999))
		sess := g.session(r, sessName, t, runnerIP, "", sessOpts{webID: oidc(acct)})
		g.add(call{at: t, a: web, src: "sts.amazonaws.com", name: "AssumeRoleWithWebIdentity", ro: true,
			params: O{{"roleArn", r.arn()}, {"roleSessionName", sessName}, {"durationSeconds", 3600}},
			resp: O{{"credentials", O{{"accessKeyId", sess.akid}, {"sessionToken", g.token()}, {"expiration", expiry(t, time.Hour)}}},
				{"subjectFromWebIdentityToken", sub}, {"assumedRoleUser", O{{"assumedRoleId", r.id + ":" + sessName}, {"arn", r.sessionARN(sessName)}}},
				{"provider", oidc(acct)[strings.Index(oidc(acct), "/")+1:]}, {"audience", "sts.amazonaws.com"}},
			res: []O{resOf(acct, "AWS::IAM::Role", r.arn()), resOf(acct, "AWS::IAM::OidcProvider", oidc(acct))}})
		stack := "arn:aws:cloudformation:us-east-1:" + acct + ":stack/webshop/" + g.uuid()
		cs := "arn:aws:cloudformation:us-east-1:" + acct + ":changeSet/gha-" + g.hex(7) + "/" + g.uuid()
		tag := "sha-" + g.hex(7)
		g.add(call{at: t.Add(4 * time.Second), a: sess, ua: ghcli("cloudformation.deploy"), src: "cloudformation.amazonaws.com", name: "DescribeStacks", ro: true, params: O{{"stackName", "webshop"}}})
		g.add(call{at: t.Add(6 * time.Second), a: sess, ua: ghcli("cloudformation.deploy"), src: "cloudformation.amazonaws.com", name: "CreateChangeSet",
			params: O{{"stackName", "webshop"}, {"templateURL", "https://s3.us-east-1.amazonaws.com/acme-cfn-artifacts-" + acct + "/webshop/" + g.hex(32) + ".template"},
				{"parameters", []O{{{"parameterKey", "ImageTag"}, {"parameterValue", tag}}, {{"parameterKey", "Environment"}, {"usePreviousValue", true}}}},
				{"capabilities", []string{"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"}}, {"roleARN", cfn.arn()},
				{"changeSetName", cs[strings.Index(cs, "changeSet/")+10 : strings.LastIndex(cs, "/")]}, {"changeSetType", "UPDATE"}},
			resp: O{{"id", cs}, {"stackId", stack}}})
		for i := 0; i < 2; i++ {
			g.add(call{at: t.Add(time.Duration(11+6*i) * time.Second), a: sess, ua: ghcli("cloudformation.deploy"), src: "cloudformation.amazonaws.com", name: "DescribeChangeSet", ro: true,
				params: O{{"changeSetName", cs}}})
		}
		g.add(call{at: t.Add(24 * time.Second), a: sess, ua: ghcli("cloudformation.deploy"), src: "cloudformation.amazonaws.com", name: "ExecuteChangeSet",
			params: O{{"changeSetName", cs}, {"stackName", "webshop"}}})
		exec := g.session(cfn, "AWSCloudFormation", t.Add(25*time.Second), "", "", sessOpts{invokedBy: "cloudformation.amazonaws.com"})
		fn := "arn:aws:lambda:us-east-1:" + acct + ":function:order-processor"
		g.add(call{at: t.Add(31 * time.Second), a: exec, src: "lambda.amazonaws.com", name: "UpdateFunctionCode20150331v2",
			params: O{{"functionName", fn}, {"imageUri", acct + ".dkr.ecr.us-east-1.amazonaws.com/order-processor:" + tag}, {"publish", false}, {"dryRun", false}},
			resp: O{{"functionName", "order-processor"}, {"functionArn", fn}, {"role", "arn:aws:iam::" + acct + ":role/service-role/order-processor-role"}, {"codeSize", 0}, {"timeout", 30}, {"memorySize", 512},
				{"lastModified", t.Add(31 * time.Second).Format("2006-01-02T15:04:05.000+0000")}, {"codeSha256", base64.StdEncoding.EncodeToString(g.bytes(32))}, {"version", "$LATEST"},
				{"tracingConfig", O{{"mode", "PassThrough"}}}, {"revisionId", g.uuid()}, {"state", "Active"}, {"lastUpdateStatus", "InProgress"},
				{"lastUpdateStatusReason", "The function is being created."}, {"lastUpdateStatusReasonCode", "Creating"}, {"packageType", "Image"}, {"architectures", []string{"arm64"}}}})
		for i := 0; i < 3; i++ {
			g.add(call{at: t.Add(time.Duration(40+20*i) * time.Second), a: sess, ua: ghcli("cloudformation.deploy"), src: "cloudformation.amazonaws.com", name: "DescribeStackEvents", ro: true,
				params: O{{"stackName", "webshop"}}})
		}
		if !full {
			return
		}
		// A new invoices bucket: private, shared with staging's reporting
		// role only, access logged. None of this may raise a finding.
		b := "acme-prod-invoices"
		ct := t.Add(33 * time.Second)
		g.s3mgmt(ct, exec, use1, "CreateBucket", b, "", O{{"x-amz-object-ownership", "BucketOwnerEnforced"}}, "", false)
		g.s3mgmt(ct.Add(2*time.Second), exec, use1, "PutBucketPublicAccessBlock", b, "publicAccessBlock", O{{"PublicAccessBlockConfiguration", pab(true)}}, "", false)
		g.s3mgmt(ct.Add(3*time.Second), exec, use1, "PutBucketEncryption", b, "encryption", O{{"ServerSideEncryptionConfiguration", O{{"xmlns", xmlnsS3}, {"Rule", O{{"ApplyServerSideEncryptionByDefault", O{{"SSEAlgorithm", "aws:kms"}, {"KMSMasterKeyID", kmsUSE}}}, {"BucketKeyEnabled", true}}}}}}, "", false)
		g.s3mgmt(ct.Add(5*time.Second), exec, use1, "PutBucketVersioning", b, "versioning", O{{"VersioningConfiguration", O{{"Status", "Enabled"}, {"xmlns", xmlnsS3}}}}, "", false)
		g.s3mgmt(ct.Add(6*time.Second), exec, use1, "PutBucketPolicy", b, "policy", O{{"bucketPolicy", O{{"Version", "2012-10-17"}, {"Statement", []O{
			{{"Sid", "StagingReportingRead"}, {"Effect", "Allow"}, {"Principal", O{{"AWS", "arn:aws:iam::444455556666:role/reporting-export"}}}, {"Action", []string{"s3:GetObject", "s3:ListBucket"}}, {"Resource", []string{"arn:aws:s3:::" + b, "arn:aws:s3:::" + b + "/*"}}},
			{{"Sid", "DenyInsecureTransport"}, {"Effect", "Deny"}, {"Principal", "*"}, {"Action", "s3:*"}, {"Resource", []string{"arn:aws:s3:::" + b, "arn:aws:s3:::" + b + "/*"}}, {"Condition", O{{"Bool", O{{"aws:SecureTransport", "false"}}}}}},
		}}}}}, "", false)
		g.s3mgmt(ct.Add(8*time.Second), exec, use1, "PutBucketLogging", b, "logging", O{{"BucketLoggingStatus", O{{"xmlns", xmlnsS3}, {"LoggingEnabled", O{{"TargetBucket", "acme-prod-s3-access-logs"}, {"TargetPrefix", b + "/"}}}}}}, "", false)
		g.s3mgmt(ct.Add(9*time.Second), exec, use1, "PutBucketTagging", b, "tagging", O{{"Tagging", O{{"xmlns", xmlnsS3}, {"TagSet", O{{"Tag", []O{{{"Key", "aws:cloudformation:stack-name"}, {"Value", "webshop"}}, {{"Key", "data-classification"}, {"Value", "confidential"}}}}}}}}}, "", false)
	}
	deploy(prod, ghRole, cfnRole, at(8, 44, 51), true)
	deploy(stg, ghStg, cfnStg, at(9, 12, 4), false)
	deploy(prod, ghRole, cfnRole, at(9, 49, 36), false)

	// ---- the intrusion ----
	// a. The leaked access key of dev-ci-deployer, from a Kali Linux box.
	atk := g.cli(ci, attackerIP, "")
	denied := func(action, res string) string {
		return "User: arn:aws:iam::111122223333:user/dev-ci-deployer is not authorized to perform: " + action + " on resource: " + res + " because no identity-based policy allows the " + action + " action"
	}
	g.add(call{at: at(8, 52, 14), a: atk, ua: kali("sts.get-caller-identity"), src: "sts.amazonaws.com", name: "GetCallerIdentity", ro: true})
	g.add(call{at: at(8, 52, 40), a: atk, ua: kali("iam.get-user"), src: "iam.amazonaws.com", name: "GetUser", ro: true})
	g.add(call{at: at(8, 53, 5), a: atk, ua: kali("iam.list-attached-user-policies"), src: "iam.amazonaws.com", name: "ListAttachedUserPolicies", ro: true, params: O{{"userName", ci.name}}})
	g.add(call{at: at(8, 53, 31), a: atk, ua: kali("iam.list-user-policies"), src: "iam.amazonaws.com", name: "ListUserPolicies", ro: true, params: O{{"userName", ci.name}}})
	g.add(call{at: at(8, 53, 58), a: atk, ua: kali("iam.get-account-authorization-details"), src: "iam.amazonaws.com", name: "GetAccountAuthorizationDetails", ro: true,
		params:  O{{"filter", []string{"User", "Role", "Group", "LocalManagedPolicy"}}},
		errCode: "AccessDenied", errMsg: denied("iam:GetAccountAuthorizationDetails", "*")})
	g.add(call{at: at(8, 54, 20), a: atk, ua: kali("iam.list-users"), src: "iam.amazonaws.com", name: "ListUsers", ro: true})
	g.add(call{at: at(8, 54, 47), a: atk, ua: kali("iam.list-roles"), src: "iam.amazonaws.com", name: "ListRoles", ro: true})
	g.add(call{at: at(8, 54, 48), a: atk, ua: kali("iam.list-roles"), src: "iam.amazonaws.com", name: "ListRoles", ro: true, params: O{{"marker", g.chars(alnum, 120)}}})
	g.add(call{at: at(8, 55, 21), a: atk, ua: kali("iam.list-groups"), src: "iam.amazonaws.com", name: "ListGroups", ro: true,
		errCode: "AccessDenied", errMsg: denied("iam:ListGroups", "arn:aws:iam::111122223333:group/")})
	g.add(call{at: at(8, 55, 40), a: atk, ua: kali("iam.list-access-keys"), src: "iam.amazonaws.com", name: "ListAccessKeys", ro: true, params: O{{"userName", ci.name}}})
	g.add(call{at: at(8, 56, 2), a: atk, ua: kali("s3.ls"), src: "s3.amazonaws.com", name: "ListBuckets", ro: true, host: "s3.us-east-1.amazonaws.com",
		params: O{{"Host", "s3.us-east-1.amazonaws.com"}}, extra: g.s3extra(0, 0, false)})
	g.add(call{at: at(8, 56, 30), a: atk, ua: kali("ec2.describe-instances"), src: "ec2.amazonaws.com", name: "DescribeInstances", ro: true, params: describeParams("DescribeInstances", nil)})
	g.add(call{at: at(8, 56, 51), a: atk, ua: kali("ec2.describe-regions"), src: "ec2.amazonaws.com", name: "DescribeRegions", ro: true, params: O{{"regionSet", O{}}, {"allRegions", false}}})
	g.add(call{at: at(8, 57, 12), a: atk, ua: kali("ec2.describe-instances"), region: euw1, src: "ec2.amazonaws.com", name: "DescribeInstances", ro: true, params: describeParams("DescribeInstances", nil)})
	g.add(call{at: at(8, 57, 40), a: atk, ua: kali("secretsmanager.list-secrets"), src: "secretsmanager.amazonaws.com", name: "ListSecrets", ro: true,
		errCode: "AccessDenied", errMsg: denied("secretsmanager:ListSecrets", "*")})
	g.add(call{at: at(8, 58, 3), a: atk, ua: kali("kms.list-keys"), src: "kms.amazonaws.com", name: "ListKeys", ro: true,
		errCode: "AccessDenied", errMsg: denied("kms:ListKeys", "*")})
	g.add(call{at: at(8, 58, 30), a: atk, ua: kali("ssm.describe-parameters"), src: "ssm.amazonaws.com", name: "DescribeParameters", ro: true,
		errCode: "AccessDeniedException", errMsg: denied("ssm:DescribeParameters", "arn:aws:ssm:us-east-1:111122223333:*")})
	g.add(call{at: at(8, 59, 10), a: atk, ua: kali("cloudtrail.describe-trails"), src: "cloudtrail.amazonaws.com", name: "DescribeTrails", ro: true, params: O{{"trailNameList", []string{}}, {"includeShadowTrails", true}}})
	g.add(call{at: at(8, 59, 33), a: atk, ua: kali("cloudtrail.get-trail-status"), src: "cloudtrail.amazonaws.com", name: "GetTrailStatus", ro: true, params: O{{"name", orgTrail}}})
	g.add(call{at: at(9, 0, 5), a: atk, ua: kali("guardduty.list-detectors"), src: "guardduty.amazonaws.com", name: "ListDetectors", ro: true})
	g.add(call{at: at(9, 1, 12), a: atk, ua: kali("iam.get-role"), src: "iam.amazonaws.com", name: "GetRole", ro: true, params: O{{"roleName", opsRole.name}}})
	g.add(call{at: at(9, 1, 40), a: atk, ua: kali("iam.list-attached-role-policies"), src: "iam.amazonaws.com", name: "ListAttachedRolePolicies", ro: true, params: O{{"roleName", opsRole.name}}})

	// b. The organization trail is stopped.
	g.add(call{at: at(9, 6, 41), a: atk, ua: kali("cloudtrail.stop-logging"), src: "cloudtrail.amazonaws.com", name: "StopLogging", params: O{{"name", orgTrail}}})
	g.add(call{at: at(9, 7, 5), a: atk, ua: kali("cloudtrail.get-trail-status"), src: "cloudtrail.amazonaws.com", name: "GetTrailStatus", ro: true, params: O{{"name", orgTrail}}})

	// c. The customer-exports bucket is opened to the internet and read.
	exp, static := "acme-prod-customer-exports", "acme-prod-static-assets"
	g.s3mgmt(at(9, 11, 20), atk, use1, "GetBucketPublicAccessBlock", exp, "publicAccessBlock", nil, kali("s3api.get-public-access-block"), true)
	g.add(call{at: at(9, 11, 48), a: atk, ua: kali("s3api.get-bucket-policy"), src: "s3.amazonaws.com", name: "GetBucketPolicy", ro: true,
		params: O{{"bucketName", exp}, {"Host", exp + ".s3.amazonaws.com"}, {"policy", ""}}, errCode: "NoSuchBucketPolicy", errMsg: "The bucket policy does not exist",
		res: []O{resBucket(prod, exp)}, extra: g.s3extra(0, 0, false), host: exp + ".s3.amazonaws.com"})
	publicPolicy := O{{"Version", "2012-10-17"}, {"Statement", []O{{{"Sid", "AllowPublicRead"}, {"Effect", "Allow"}, {"Principal", "*"}, {"Action", "s3:GetObject"}, {"Resource", "arn:aws:s3:::" + exp + "/*"}}}}}
	g.add(call{at: at(9, 12, 33), a: atk, ua: kali("s3api.put-bucket-policy"), src: "s3.amazonaws.com", name: "PutBucketPolicy",
		params:  O{{"bucketPolicy", publicPolicy}, {"bucketName", exp}, {"Host", exp + ".s3.amazonaws.com"}, {"policy", ""}},
		errCode: "AccessDenied", errMsg: "Access Denied", res: []O{resBucket(prod, exp)}, extra: g.s3extra(187, 0, false), host: exp + ".s3.amazonaws.com"})
	ctl := prod + ".s3-control.us-east-1.amazonaws.com"
	g.add(call{at: at(9, 13, 10), a: atk, ua: kali("s3control.get-public-access-block"), src: "s3.amazonaws.com", name: "GetAccountPublicAccessBlock", ro: true,
		params: O{{"Host", ctl}}, extra: g.s3extra(0, 0, false), host: ctl})
	g.add(call{at: at(9, 13, 41), a: atk, ua: kali("s3control.put-public-access-block"), src: "s3.amazonaws.com", name: "PutAccountPublicAccessBlock",
		params: O{{"PublicAccessBlockConfiguration", pab(false)}, {"Host", ctl}}, extra: g.s3extra(288, 0, false), host: ctl})
	g.s3mgmt(at(9, 14, 15), atk, use1, "PutBucketPublicAccessBlock", exp, "publicAccessBlock", O{{"PublicAccessBlockConfiguration", pab(false)}}, kali("s3api.put-public-access-block"), false)
	g.s3mgmt(at(9, 14, 52), atk, use1, "PutBucketPolicy", exp, "policy", O{{"bucketPolicy", publicPolicy}}, kali("s3api.put-bucket-policy"), false)
	g.s3data(s3op{t: at(9, 15, 30), a: atk, ua: kali("s3.ls"), name: "ListObjects", bucket: exp, prefix: "", size: 612})
	g.s3data(s3op{t: at(9, 15, 58), a: atk, ua: kali("s3.ls"), name: "ListObjects", bucket: exp, prefix: "exports/2026-10/", size: 2841})
	exports := []string{}
	for d := 1; d <= 13; d++ {
		for _, region := range []string{"eu", "us"} {
			exports = append(exports, fmt.Sprintf("exports/2026-10/customers-%s-2026-10-%02d.csv.gz", region, d))
		}
	}
	t := at(9, 16, 20)
	for i := 0; i < 12; i++ {
		g.s3data(s3op{t: t, a: atk, ua: kali("s3.cp"), name: "GetObject", bucket: exp, key: exports[len(exports)-1-i], size: 3_000_000 + g.r.IntN(9_000_000)})
		t = t.Add(time.Duration(6+g.r.IntN(9)) * time.Second)
	}
	g.s3mgmt(at(9, 19, 30), atk, use1, "GetBucketAcl", static, "acl", nil, kali("s3api.get-bucket-acl"), true)
	owner := g.hex(64)
	g.s3mgmt(at(9, 20, 5), atk, use1, "PutBucketAcl", static, "acl", O{{"AccessControlPolicy", O{
		{"AccessControlList", O{{"Grant", []O{
			{{"Grantee", O{{"xsi:type", "CanonicalUser"}, {"xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"}, {"ID", owner}}}, {"Permission", "FULL_CONTROL"}},
			{{"Grantee", O{{"xsi:type", "Group"}, {"xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"}, {"URI", "http://acs.amazonaws.com/groups/global/AllUsers"}}}, {"Permission", "READ"}},
		}}}},
		{"xmlns", xmlnsS3}, {"Owner", O{{"ID", owner}}},
	}}}, kali("s3api.put-bucket-acl"), false)
	anon := O{{"type", "AWSAccount"}, {"principalId", ""}, {"accountId", "anonymous"}}
	leech := &actor{acct: prod, ip: leechIP, ua: "curl/8.5.0", id: anon}
	t = at(9, 21, 10)
	for i := 0; i < 4; i++ {
		g.s3data(s3op{t: t, a: leech, name: "GetObject", bucket: exp, key: exports[i*2], size: 3_000_000 + g.r.IntN(9_000_000), anon: true})
		t = t.Add(time.Duration(20+g.r.IntN(40)) * time.Second)
	}
	g.s3mgmt(at(9, 23, 31), atk, use1, "GetBucketLogging", exp, "logging", nil, kali("s3api.get-bucket-logging"), true)
	g.s3mgmt(at(9, 23, 58), atk, use1, "PutBucketLogging", exp, "logging", O{{"BucketLoggingStatus", O{{"xmlns", xmlnsS3}}}}, kali("s3api.put-bucket-logging"), false)

	// e. Defense evasion through the ops-automation role.
	sessName := fmt.Sprint("botocore-session-", at(9, 29, 9).Unix())
	ops, _ := g.assumeRole(at(9, 29, 10), atk, opsRole, sessName, time.Hour, kali("sts.assume-role"), attackerIP)
	ops.ip = attackerIP
	g.add(call{at: at(9, 30, 2), a: ops, ua: kali("sts.get-caller-identity"), src: "sts.amazonaws.com", name: "GetCallerIdentity", ro: true})
	g.add(call{at: at(9, 31, 15), a: ops, ua: kali("ec2.describe-flow-logs"), src: "ec2.amazonaws.com", name: "DescribeFlowLogs", ro: true,
		params: O{{"DescribeFlowLogsRequest", O{}}}})
	flows := []string{"fl-0c4e5a6b7d8e9f012", "fl-03a9b8c7d6e5f4a31"}
	g.add(call{at: at(9, 31, 50), a: ops, ua: kali("ec2.delete-flow-logs"), src: "ec2.amazonaws.com", name: "DeleteFlowLogs",
		params: O{{"DeleteFlowLogsRequest", O{{"FlowLogId", []O{{{"content", flows[0]}, {"tag", 1}}, {{"content", flows[1]}, {"tag", 2}}}}}}},
		resp:   O{{"DeleteFlowLogsResponse", O{{"xmlns", xmlnsEC2}, {"requestId", g.uuid()}, {"unsuccessful", ""}}}}})
	detProd := "d2c6e4f8a1b3c5d7e9f0a2b4c6d8e0f2"
	g.add(call{at: at(9, 33, 20), a: ops, ua: kali("guardduty.list-detectors"), src: "guardduty.amazonaws.com", name: "ListDetectors", ro: true})
	g.add(call{at: at(9, 33, 45), a: ops, ua: kali("guardduty.delete-detector"), src: "guardduty.amazonaws.com", name: "DeleteDetector", params: O{{"detectorId", detProd}}})
	g.add(call{at: at(9, 35, 10), a: ops, ua: kali("bedrock.get-model-invocation-logging-configuration"), src: "bedrock.amazonaws.com", name: "GetModelInvocationLoggingConfiguration", ro: true})
	g.add(call{at: at(9, 35, 40), a: ops, ua: kali("bedrock.delete-model-invocation-logging-configuration"), src: "bedrock.amazonaws.com", name: "DeleteModelInvocationLoggingConfiguration"})
	g.add(call{at: at(9, 37, 5), a: ops, ua: kali("ec2.describe-instances"), region: euw1, src: "ec2.amazonaws.com", name: "DescribeInstances", ro: true,
		params: O{{"instancesSet", O{}}, {"filterSet", O{{"items", []O{{{"name", "platform"}, {"valueSet", O{{"items", []O{{{"value", "windows"}}}}}}}}}}}}})
	g.add(call{at: at(9, 37, 40), a: ops, ua: kali("ec2.get-password-data"), region: euw1, src: "ec2.amazonaws.com", name: "GetPasswordData", ro: true,
		params: O{{"instanceId", "i-0d4f6a8c2e1b3579a"}},
		resp:   O{{"requestId", g.uuid()}, {"instanceId", "i-0d4f6a8c2e1b3579a"}, {"timestamp", at(7, 2, 51).UnixMilli()}, {"passwordData", "HIDDEN_DUE_TO_SECURITY_REASONS"}}})
	// Into staging, by role chaining.
	stgName := fmt.Sprint("botocore-session-", at(9, 40, 19).Unix())
	opsS, _ := g.assumeRole(at(9, 40, 20), ops, opsStg, stgName, time.Hour, kali("sts.assume-role"), attackerIP)
	opsS.ip = attackerIP
	detStg := "5b1e9c7a3f2d4e6b8a0c1d2e3f4a5b6c"
	g.add(call{at: at(9, 41, 30), a: opsS, ua: kali("guardduty.list-detectors"), src: "guardduty.amazonaws.com", name: "ListDetectors", ro: true})
	g.add(call{at: at(9, 41, 55), a: opsS, ua: kali("guardduty.update-detector"), src: "guardduty.amazonaws.com", name: "UpdateDetector", params: O{{"detectorId", detStg}, {"enable", false}}})
	g.add(call{at: at(9, 43, 10), a: opsS, ua: kali("organizations.describe-organization"), src: "organizations.amazonaws.com", name: "DescribeOrganization", ro: true})
	g.add(call{at: at(9, 43, 40), a: opsS, ua: kali("organizations.leave-organization"), src: "organizations.amazonaws.com", name: "LeaveOrganization",
		errCode: "AccessDeniedException", errMsg: "You don't have permissions to access this resource. User: " + opsStg.sessionARN(stgName) + " is not authorized to perform: organizations:LeaveOrganization on resource: * with an explicit deny in a service control policy"})

	// d. The root user signs in from another address, without MFA, and
	// weakens the password policy.
	g.add(call{at: at(9, 55, 12), a: &actor{acct: prod}, id: O{{"type", "Root"}, {"principalId", prod}, {"arn", "arn:aws:iam::111122223333:root"}, {"accountId", prod}, {"accessKeyId", ""}},
		ip: rootIP, ua: firefoxLin, src: "signin.amazonaws.com", name: "ConsoleLogin", typ: "AwsConsoleSignIn", noReqID: true,
		resp:  O{{"ConsoleLogin", "Success"}},
		extra: O{{"LoginTo", "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_" + g.hex(16)}, {"MobileVersion", "No"}, {"MFAUsed", "No"}}})
	rk := g.key("ASIA")
	root := &actor{acct: prod, ip: rootIP, ua: consoleUA, console: true, id: O{
		{"type", "Root"}, {"principalId", prod}, {"arn", "arn:aws:iam::111122223333:root"}, {"accountId", prod}, {"accessKeyId", rk},
		{"sessionContext", O{{"sessionIssuer", O{}}, {"webIdFederationData", O{}}, {"attributes", attrs(at(9, 55, 12), false)}}},
	}}
	g.add(call{at: at(9, 55, 40), a: root, src: "iam.amazonaws.com", name: "GetAccountSummary", ro: true})
	g.add(call{at: at(9, 56, 5), a: root, src: "iam.amazonaws.com", name: "ListUsers", ro: true, params: O{{"maxItems", 1000}}})
	g.add(call{at: at(9, 56, 50), a: root, src: "iam.amazonaws.com", name: "GetAccountPasswordPolicy", ro: true})
	g.add(call{at: at(9, 57, 30), a: root, src: "iam.amazonaws.com", name: "UpdateAccountPasswordPolicy",
		params: O{{"minimumPasswordLength", 6}, {"requireSymbols", false}, {"requireNumbers", false}, {"requireUppercaseCharacters", false}, {"requireLowercaseCharacters", false}, {"allowUsersToChangePassword", true}, {"hardExpiry", false}}})
	g.add(call{at: at(9, 58, 15), a: root, src: "iam.amazonaws.com", name: "ListAccessKeys", ro: true})
	g.add(call{at: at(9, 58, 52), a: root, src: "iam.amazonaws.com", name: "ListMFADevices", ro: true})

	// ---- the response ----
	priya := "priya.shah@acme.example"
	ir := g.session(irRole, priya, at(10, 3, 50), officeIP, chromeMac, sessOpts{console: true})
	irS := g.session(irStg, priya, at(10, 5, 30), officeIP, chromeMac, sessOpts{console: true})
	g.add(call{at: at(10, 4, 30), a: ir, src: "cloudtrail.amazonaws.com", name: "StartLogging", params: O{{"name", orgTrail}}})
	g.add(call{at: at(10, 5, 10), a: ir, src: "guardduty.amazonaws.com", name: "CreateDetector",
		params: O{{"enable", true}, {"findingPublishingFrequency", "FIFTEEN_MINUTES"}, {"features", []O{{{"name", "S3_DATA_EVENTS"}, {"status", "ENABLED"}}, {{"name", "RUNTIME_MONITORING"}, {"status", "ENABLED"}}}}},
		resp:   O{{"detectorId", "e8a1c3f5b7d94e2a6c8b0d1f3a5c7e9b"}}})
	g.add(call{at: at(10, 6, 20), a: irS, src: "guardduty.amazonaws.com", name: "UpdateDetector", params: O{{"detectorId", detStg}, {"enable", true}}})
	g.add(call{at: at(10, 7, 2), a: ir, src: "iam.amazonaws.com", name: "UpdateAccessKey", params: O{{"userName", ci.name}, {"accessKeyId", ci.akid}, {"status", "Inactive"}}})
	g.s3mgmt(at(10, 8, 11), ir, use1, "PutBucketPublicAccessBlock", exp, "publicAccessBlock", O{{"PublicAccessBlockConfiguration", pab(true)}}, chromeMac, false)
	g.s3mgmt(at(10, 8, 40), ir, use1, "DeleteBucketPolicy", exp, "policy", nil, chromeMac, false)
}

func describeParams(name string, ids []string) any {
	switch name {
	case "DescribeInstances":
		if len(ids) > 0 {
			items := make([]O, len(ids))
			for i, id := range ids {
				items[i] = O{{"instanceId", id}}
			}
			return O{{"instancesSet", O{{"items", items}}}, {"filterSet", O{}}}
		}
		return O{{"instancesSet", O{}}, {"filterSet", O{}}}
	case "DescribeSecurityGroups":
		return O{{"securityGroupSet", O{}}, {"securityGroupIdSet", O{}}, {"filterSet", O{}}}
	case "DescribeNetworkInterfaces":
		return O{{"networkInterfaceIdSet", O{}}, {"filterSet", O{{"items", []O{{{"name", "attachment.instance-id"}, {"valueSet", O{{"items", []O{{{"value", ids[0]}}}}}}}}}}}}
	case "DescribeVolumes":
		return O{{"volumeSet", O{}}, {"filterSet", O{{"items", []O{{{"name", "attachment.instance-id"}, {"valueSet", O{{"items", []O{{{"value", ids[len(ids)-1]}}}}}}}}}}}}
	}
	return nil
}

// ---- output ----

type logFile struct {
	key        string
	raw        []byte
	first, end time.Time
	acct       string
	region     string
	delivered  time.Time
}

func (g *gen) write(out string) error {
	sort.SliceStable(g.recs, func(i, j int) bool {
		if !g.recs[i].t.Equal(g.recs[j].t) {
			return g.recs[i].t.Before(g.recs[j].t)
		}
		return g.recs[i].seq < g.recs[j].seq
	})
	type fk struct {
		acct, region string
		w            int
	}
	groups := map[fk][]rec{}
	var keys []fk
	for _, r := range g.recs {
		k := fk{r.acct, r.region, int(r.t.Sub(base) / (5 * time.Minute))}
		if r.t.Before(base) {
			return fmt.Errorf("record before the timeline: %v", r.t)
		}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.acct != b.acct {
			return a.acct < b.acct
		}
		if a.region != b.region {
			return a.region < b.region
		}
		return a.w < b.w
	})
	if err := os.RemoveAll(filepath.Join(out, "AWSLogs")); err != nil {
		return err
	}
	var files []logFile
	total, size := 0, int64(0)
	for _, k := range keys {
		rs := groups[k]
		var recs []O
		for _, r := range rs {
			recs = append(recs, r.o)
		}
		raw := marshal(O{{"Records", recs}})
		end := base.Add(time.Duration(k.w+1) * 5 * time.Minute)
		delivered := end.Add(time.Duration(2+g.r.IntN(4)) * time.Minute)
		name := fmt.Sprintf("%s_CloudTrail_%s_%s_%s.json.gz", k.acct, k.region, delivered.Format("20060102T1504Z"), g.chars(alnum, 16))
		key := path.Join("AWSLogs", k.acct, "CloudTrail", k.region, "2026/10/14", name)
		files = append(files, logFile{key: key, raw: raw, first: rs[0].t, end: rs[len(rs)-1].t, acct: k.acct, region: k.region, delivered: delivered})
		n, err := writeGz(filepath.Join(out, filepath.FromSlash(key)), raw)
		if err != nil {
			return err
		}
		total += len(rs)
		size += n
	}
	// One hourly digest for production us-east-1, 08:00-09:00.
	dStart, dEnd := at(8, 0, 0), at(9, 0, 0)
	dName := func(t time.Time) string {
		return path.Join("AWSLogs", prod, "CloudTrail-Digest", use1, t.Format("2006/01/02"),
			prod+"_CloudTrail-Digest_"+use1+"_acme-prod-audit_"+use1+"_"+t.Format("20060102T150405Z")+".json.gz")
	}
	var lf []O
	var oldest, newest time.Time
	for _, f := range files {
		if f.acct != prod || f.region != use1 || f.delivered.Before(dStart) || !f.delivered.Before(dEnd) {
			continue
		}
		sum := sha256.Sum256(f.raw)
		lf = append(lf, O{{"s3Bucket", logBucket}, {"s3Object", f.key}, {"hashValue", hex.EncodeToString(sum[:])}, {"hashAlgorithm", "SHA-256"},
			{"newestEventTime", f.end.Format(time.RFC3339)}, {"oldestEventTime", f.first.Format(time.RFC3339)}})
		if oldest.IsZero() || f.first.Before(oldest) {
			oldest = f.first
		}
		if f.end.After(newest) {
			newest = f.end
		}
	}
	digestAt := dEnd.Add(7*time.Minute + 31*time.Second)
	digest := O{
		{"awsAccountId", prod},
		{"digestStartTime", dStart.Format(time.RFC3339)},
		{"digestEndTime", dEnd.Format(time.RFC3339)},
		{"digestS3Bucket", logBucket},
		{"digestS3Object", dName(digestAt)},
		{"digestPublicKeyFingerprint", g.hex(32)},
		{"digestSignatureAlgorithm", "SHA256withRSA"},
		{"newestEventTime", newest.Format(time.RFC3339)},
		{"oldestEventTime", oldest.Format(time.RFC3339)},
		{"previousDigestS3Bucket", logBucket},
		{"previousDigestS3Object", dName(digestAt.Add(-time.Hour))},
		{"previousDigestHashValue", g.hex(64)},
		{"previousDigestHashAlgorithm", "SHA-256"},
		{"previousDigestSignature", g.hex(512)},
		{"logFiles", lf},
	}
	n, err := writeGz(filepath.Join(out, filepath.FromSlash(dName(digestAt))), marshal(digest))
	if err != nil {
		return err
	}
	size += n
	fmt.Printf("%d records in %d log files + 1 digest (%d log files listed), %d bytes compressed\n", total, len(files), len(lf), size)
	return nil
}

func writeGz(name string, raw []byte) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return 0, err
	}
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(raw)
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return int64(b.Len()), os.WriteFile(name, b.Bytes(), 0o644)
}

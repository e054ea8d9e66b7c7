package baseline

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/decode/cloudtrail"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

const acct = "111122223333"

// who is a calling identity as CloudTrail logs it.
type who struct {
	typ, arn, issuer, user, invokedBy string
}

func iamUser(name string) who {
	return who{typ: "IAMUser", arn: "arn:aws:iam::" + acct + ":user/" + name, user: name}
}

func role(name, session string) who {
	return who{typ: "AssumedRole", arn: "arn:aws:sts::" + acct + ":assumed-role/" + name + "/" + session,
		issuer: "arn:aws:iam::" + acct + ":role/" + name}
}

func (w who) identity() map[string]any {
	id := map[string]any{"type": w.typ, "accountId": acct, "principalId": "AIDAEXAMPLE"}
	if w.arn != "" {
		id["arn"] = w.arn
	}
	if w.user != "" {
		id["userName"] = w.user
	}
	if w.invokedBy != "" {
		id["invokedBy"] = w.invokedBy
	}
	if w.issuer != "" {
		id["sessionContext"] = map[string]any{"sessionIssuer": map[string]any{"type": "Role", "arn": w.issuer, "userName": shortName(w.issuer)}}
	}
	return id
}

// call is one synthetic CloudTrail record.
type call struct {
	at       time.Time
	who      who
	api      string // "iam:CreateUser" (service prefix of eventSource)
	ip, ua   string
	err      string
	data     bool // S3 data event
	bucket   string
	evType   string
	response map[string]any
}

const (
	uaCLI       = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79 exe/x86_64.amzn.2023 prompt/off command/sts.get-caller-identity"
	uaTerraform = "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.42.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.26.0 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/sts#1.28.5"
	uaBoto3     = "Boto3/1.34.70 md/Botocore#1.34.70 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.70"
	uaMac       = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"
	uaWindows   = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36"
	uaStratus   = "stratus-red-team_5c59eb79-6dac-405c-a4c4-e19aec03c666"
	uaRequests  = "python-requests/2.31.0"
)

func (c call) record() map[string]any {
	svc, name, _ := cut(c.api, ":")
	r := map[string]any{
		"eventVersion": "1.09", "eventTime": c.at.UTC().Format(time.RFC3339), "eventSource": svc + ".amazonaws.com",
		"eventName": name, "awsRegion": "eu-west-1", "sourceIPAddress": c.ip, "userAgent": c.ua,
		"userIdentity": c.who.identity(), "eventType": "AwsApiCall", "eventCategory": "Management",
		"recipientAccountId": acct, "eventID": fmt.Sprintf("%x", c.at.UnixNano()),
	}
	if c.evType != "" {
		r["eventType"] = c.evType
	}
	if c.err != "" {
		r["errorCode"] = c.err
	}
	if c.data {
		r["eventCategory"] = "Data"
	}
	if c.bucket != "" {
		r["requestParameters"] = map[string]any{"bucketName": c.bucket, "key": "data/file.csv"}
		r["resources"] = []any{map[string]any{"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::" + c.bucket}}
	}
	if c.response != nil {
		r["responseElements"] = c.response
	}
	return r
}

func cut(s, sep string) (string, string, bool) {
	for i := 0; i+len(sep) <= len(s); i++ {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}

func parse(t testing.TB, rec map[string]any) *event.Event {
	t.Helper()
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	e, err := cloudtrail.Parse(b)
	if err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return e
}

func (c call) event(t testing.TB) *event.Event { return parse(t, c.record()) }

// run feeds the calls (sorted by time) and returns the findings raised.
func run(t testing.TB, d *Detector, calls []call) []finding.Finding {
	t.Helper()
	sort.SliceStable(calls, func(i, j int) bool { return calls[i].at.Before(calls[j].at) })
	var out []finding.Finding
	for _, c := range calls {
		out = d.Detect(context.Background(), c.event(t), out)
	}
	for i := range out {
		out[i].Seal()
	}
	return out
}

// typeSet returns the distinct finding types, sorted.
func typeSet(fs []finding.Finding) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range fs {
		if !seen[f.Type] {
			seen[f.Type] = true
			out = append(out, f.Type)
		}
	}
	sort.Strings(out)
	return out
}

var day0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // a Monday

// ciHistory: a CI role deploying every weekday, hourly from 09:00 to
// 17:00, from its runners' /24 with the CLI and Terraform; it reads
// state, pushes images and artifacts, and never touches IAM.
func ciHistory(days int) []call {
	ci := func(s string) who { return role("ci-deploy", s) }
	var out []call
	for d := 0; d < days; d++ {
		day := day0.AddDate(0, 0, d)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		for h := 9; h <= 17; h++ {
			at := day.Add(time.Duration(h)*time.Hour + 5*time.Minute)
			w := ci(fmt.Sprintf("gh-run-%d-%d", d, h))
			ip := fmt.Sprintf("192.0.2.%d", 10+(d+h)%20)
			for i, api := range []string{"sts:GetCallerIdentity", "ecr:GetAuthorizationToken", "ec2:DescribeInstances", "ec2:DescribeSecurityGroups", "ecs:DescribeServices", "ecs:UpdateService"} {
				out = append(out, call{at: at.Add(time.Duration(i) * time.Second), who: w, api: api, ip: ip, ua: uaCLI})
			}
			for i, api := range []string{"sts:GetCallerIdentity", "s3:ListBuckets", "iam:GetRole", "ec2:DescribeVpcs", "lambda:GetFunction20150331v2"} {
				out = append(out, call{at: at.Add(time.Duration(30+i) * time.Second), who: w, api: api, ip: ip, ua: uaTerraform})
			}
		}
	}
	return out
}

// consoleHistory: a person who signs in every weekday morning from the
// office with a Mac, browses, and reads a few objects.
func consoleHistory(days int) []call {
	w := iamUser("alice")
	var out []call
	for d := 0; d < days; d++ {
		day := day0.AddDate(0, 0, d)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		at := day.Add(8*time.Hour + 30*time.Minute)
		out = append(out, call{at: at, who: w, api: "signin:ConsoleLogin", ip: "198.51.100.7", ua: uaMac, evType: "AwsConsoleSignIn",
			response: map[string]any{"ConsoleLogin": "Success"}})
		for i, api := range []string{"ec2:DescribeInstances", "cloudwatch:GetMetricData", "iam:ListUsers", "s3:ListBuckets"} {
			out = append(out, call{at: at.Add(time.Duration(i+1) * time.Minute), who: w, api: api, ip: "198.51.100.7", ua: "AWS Internal"})
		}
		for i := 0; i < 3; i++ {
			out = append(out, call{at: at.Add(time.Duration(10+i) * time.Minute), who: w, api: "s3:GetObject", ip: "198.51.100.7", ua: "[" + uaMac + "]", data: true, bucket: "team-reports"})
		}
	}
	return out
}

// serviceHistory: calls made by or through AWS services, which are never
// profiled.
func serviceHistory(days int) []call {
	var out []call
	for d := 0; d < days; d++ {
		at := day0.AddDate(0, 0, d).Add(3 * time.Hour)
		out = append(out,
			call{at: at, who: who{typ: "AWSService", invokedBy: "cloudtrail.amazonaws.com"}, api: "sts:AssumeRole", ip: "cloudtrail.amazonaws.com", ua: "cloudtrail.amazonaws.com"},
			call{at: at, who: func() who { w := role("ec2-app", "i-0abc"); w.invokedBy = "ec2.amazonaws.com"; return w }(), api: "kms:Decrypt", ip: "ec2.amazonaws.com", ua: "ec2.amazonaws.com"},
			call{at: at, who: role("AWSServiceRoleForConfig", "AWSConfig-Describe"), api: "ec2:DescribeInstances", ip: "config.amazonaws.com", ua: "config.amazonaws.com"},
		)
	}
	return out
}

package guardduty

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/testutil"
)

// rawFinding holds the fields of a GuardDuty finding the decoder maps,
// read with encoding/json (which matches keys case-insensitively, so the
// CLI's PascalCase and the API's camelCase both fill it) to check the
// decoder against.
type rawFinding struct {
	ID, Arn, Type, AccountID, Region, Partition, Title, Description string
	Severity                                                        float64
	CreatedAt, UpdatedAt                                            string
	Resource                                                        struct {
		ResourceType     string
		AccessKeyDetails *finding.AccessKeyDetails
	}
	Service struct {
		ServiceName, DetectorID, ResourceRole, EventFirstSeen, EventLastSeen string
		Count                                                                int64
		Archived                                                             bool
		AdditionalInfo                                                       map[string]any
		Action                                                               struct {
			ActionType       string
			AwsAPICallAction *struct {
				API, ServiceName, CallerType string
				RemoteIPDetails              *struct{ IPAddressV4 string }
				DomainDetails                *struct{ Domain string }
				AffectedResources            map[string]string
			} `json:"awsApiCallAction"`
		}
	}
}

// checkAgainstRaw compares a decoded event with the finding's raw JSON.
func checkAgainstRaw(t *testing.T, name string, e *event.Event, raw []byte) {
	t.Helper()
	var r rawFinding
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	f := e.Finding
	if e.ID != r.ID || e.Account != r.AccountID || e.Region != r.Region || !e.Time.Equal(ts(r.UpdatedAt)) {
		t.Errorf("%s: event %s %s %s %v", name, e.ID, e.Account, e.Region, e.Time)
	}
	if f.ID != r.ID || f.Arn != r.Arn || f.Type != r.Type || f.Severity != r.Severity || f.AccountID != r.AccountID || f.Region != r.Region ||
		f.Partition != r.Partition || f.Title != r.Title || f.Description != r.Description ||
		!f.CreatedAt.Equal(ts(r.CreatedAt)) || !f.UpdatedAt.Equal(ts(r.UpdatedAt)) {
		t.Errorf("%s: finding\n%s\nraw %+v", name, js(f), r)
	}
	if f.Resource.ResourceType != r.Resource.ResourceType || !reflect.DeepEqual(f.Resource.AccessKeyDetails, r.Resource.AccessKeyDetails) {
		t.Errorf("%s: resource %s, raw %+v", name, js(f.Resource), r.Resource)
	}
	s, rs := &f.Service, &r.Service
	if s.ServiceName != "guardduty" || rs.ServiceName != "guardduty" || s.DetectorID != rs.DetectorID || s.ResourceRole != rs.ResourceRole ||
		s.Count != rs.Count || s.Archived != rs.Archived || !s.EventFirstSeen.Equal(ts(rs.EventFirstSeen)) || !s.EventLastSeen.Equal(ts(rs.EventLastSeen)) {
		t.Errorf("%s: service %s, raw %+v", name, js(s), rs)
	}
	a, ra := s.Action, rs.Action
	if a.ActionType != ra.ActionType || (a.AwsAPICallAction == nil) != (ra.AwsAPICallAction == nil) {
		t.Fatalf("%s: action %s, raw %+v", name, js(a), ra)
	}
	if c, rc := a.AwsAPICallAction, ra.AwsAPICallAction; c != nil {
		if c.API != rc.API || c.ServiceName != rc.ServiceName || c.CallerType != rc.CallerType || !reflect.DeepEqual(c.AffectedResources, rc.AffectedResources) ||
			(rc.RemoteIPDetails != nil) != (c.RemoteIPDetails != nil) || rc.RemoteIPDetails != nil && c.RemoteIPDetails.IPAddressV4 != rc.RemoteIPDetails.IPAddressV4 ||
			(rc.DomainDetails != nil) != (c.DomainDetails != nil) || rc.DomainDetails != nil && c.DomainDetails.Domain != rc.DomainDetails.Domain {
			t.Errorf("%s: api call %s, raw %+v", name, js(c), rc)
		}
	}
	for k, v := range rs.AdditionalInfo {
		if !reflect.DeepEqual(s.AdditionalInfo[k], v) {
			t.Errorf("%s: additionalInfo[%s] = %v, raw %v", name, k, s.AdditionalInfo[k], v)
		}
	}
	if f.Keys.Resource != "guardduty:"+r.ID || s.AdditionalInfo["source"].(map[string]any)["arn"] != r.Arn {
		t.Errorf("%s: keys %+v, source %v", name, f.Keys, s.AdditionalInfo["source"])
	}
	checkNothingLost(t, e)
}

// TestSharedCLIGetFindings decodes the AWS CLI's `guardduty get-findings`
// example output (PascalCase keys).
func TestSharedCLIGetFindings(t *testing.T) {
	p := testutil.SharedData(t, "aws-docs-samples", "aws-cli-examples", "guardduty", "get-findings.1.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !Sniff(b) {
		t.Error("Sniff does not recognise the CLI output")
	}
	c, _ := decodeBytes(t, b, decode.Options{Origin: event.Origin{Path: p}})
	var resp struct{ Findings []json.RawMessage }
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatal(err)
	}
	if len(c.events) != len(resp.Findings) || len(c.events) == 0 || len(c.bad) != 0 {
		t.Fatalf("%d events, %d findings, bad %+v", len(c.events), len(resp.Findings), c.bad)
	}
	for i, e := range c.events {
		checkAgainstRaw(t, "get-findings", e, resp.Findings[i])
	}
	// The sample's remote IP's geolocation has no place in the schema.
	geo := c.events[0].Finding.Service.AdditionalInfo["guardduty"].(map[string]any)["service"].(map[string]any)["action"].(map[string]any)["awsApiCallAction"].(map[string]any)["remoteIpDetails"].(map[string]any)["geoLocation"]
	if !reflect.DeepEqual(geo, map[string]any{"lat": 51.5164, "lon": -0.093}) {
		t.Errorf("geoLocation %v", geo)
	}
}

type pantherCase struct {
	RuleID   string          `json:"rule_id"`
	TestName string          `json:"test_name"`
	Expected bool            `json:"expected_result"`
	Log      json.RawMessage `json:"log"`
}

func pantherCases(t *testing.T, file string) []pantherCase {
	t.Helper()
	b, err := os.ReadFile(testutil.SharedData(t, "panther-rule-tests", file))
	if err != nil {
		t.Fatal(err)
	}
	var out []pantherCase
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var tc pantherCase
		if err := json.Unmarshal(line, &tc); err != nil {
			t.Fatal(err)
		}
		out = append(out, tc)
	}
	return out
}

// envelopeTemplate returns the GuardDuty EventBridge event of the
// GuardDuty user guide (blocks/001), whose detail is a placeholder.
func envelopeTemplate(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(testutil.SharedData(t, "aws-docs-samples", "guardduty", "blocks"), "001_guardduty_findings_cloudwatch.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("{GUARDDUTY_FINDING_JSON_OBJECT}")) {
		t.Fatal("the template has no placeholder")
	}
	return string(b)
}

// TestSharedPantherFindings decodes the findings of Panther's
// AWS.GuardDuty rule tests in every shape the decoder reads — JSON lines,
// a JSON array, a GetFindings response, EventBridge events built from the
// GuardDuty user guide's template, inside a CloudWatch Logs subscription
// message and inside SNS notifications — checks every mapped field against
// the raw JSON, and checks Panther's expected rule outcomes: the
// severity band of the rule, and no alert for sample findings
// (additionalInfo.sample, which Picket's router also reads).
func TestSharedPantherFindings(t *testing.T) {
	cases := pantherCases(t, "tests_AWS_GuardDuty.jsonl")
	tmpl := envelopeTemplate(t)
	if len(cases) < 6 {
		t.Fatalf("only %d cases", len(cases))
	}
	var logs, envs []string
	for _, tc := range cases {
		logs = append(logs, string(tc.Log))
		envs = append(envs, strings.Replace(tmpl, "{GUARDDUTY_FINDING_JSON_OBJECT}", string(tc.Log), 1))
		if !Sniff(tc.Log) {
			t.Errorf("%s: Sniff does not recognise the finding", tc.TestName)
		}
	}
	var cw, sns bytes.Buffer
	cw.WriteString(`{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/aws/events/gd","logStream":"x","subscriptionFilters":["f"],"logEvents":[`)
	for i, e := range envs {
		if i > 0 {
			cw.WriteByte(',')
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, []byte(e)); err != nil {
			t.Fatal(err)
		}
		msg, _ := json.Marshal(compact.String())
		cw.WriteString(`{"id":"1","timestamp":1581703000000,"message":` + string(msg) + `}`)
		n, _ := json.Marshal(map[string]string{"Type": "Notification", "MessageId": "m", "Message": compact.String()})
		sns.Write(n)
		sns.WriteByte('\n')
	}
	cw.WriteString("]}")
	shapes := map[string]string{
		"lines":       strings.Join(logs, "\n") + "\n",
		"array":       "[\n" + strings.Join(logs, ",\n") + "\n]",
		"api":         `{"findings":[` + strings.Join(logs, ",") + `]}`,
		"eventbridge": strings.Join(envs, "\n"),
		"cloudwatch":  cw.String(),
		"sns":         sns.String(),
	}
	var first []*event.Event
	for _, name := range []string{"lines", "array", "api", "eventbridge", "cloudwatch", "sns"} {
		in := []byte(shapes[name])
		if !Sniff(in) {
			t.Errorf("%s: Sniff does not recognise it", name)
		}
		c, _ := decodeBytes(t, in, decode.Options{Origin: event.Origin{Path: name}})
		if len(c.events) != len(cases) || len(c.bad) != 0 {
			t.Fatalf("%s: %d events of %d, bad %+v", name, len(c.events), len(cases), c.bad)
		}
		for i, e := range c.events {
			tc := cases[i]
			checkAgainstRaw(t, name+"/"+tc.TestName, e, tc.Log)
			sample, _ := e.Finding.Service.AdditionalInfo["sample"].(bool)
			if sample != strings.Contains(tc.TestName, "Sample") {
				t.Errorf("%s: sample %v", tc.TestName, sample)
			}
			band := map[string]finding.Label{"AWS.GuardDuty.HighSeverityFinding": finding.High, "AWS.GuardDuty.MediumSeverityFinding": finding.Medium,
				"AWS.GuardDuty.LowSeverityFinding": finding.Low}[tc.RuleID]
			if fires := e.Finding.SeverityLabel() == band && !sample; fires != tc.Expected {
				t.Errorf("%s/%s: rule would fire %v, Panther expects %v (severity %v)", tc.RuleID, tc.TestName, fires, tc.Expected, e.Finding.Severity)
			}
			if first == nil {
				continue
			}
			if !reflect.DeepEqual(e.Finding, first[i].Finding) || !bytes.Equal(compact(t, e.RawBytes), compact(t, first[i].RawBytes)) {
				t.Errorf("%s/%s differs from JSON lines:\n%s\n%s", name, tc.TestName, js(e.Finding), js(first[i].Finding))
			}
		}
		if first == nil {
			first = c.events
		}
	}
}

func compact(t *testing.T, b []byte) []byte {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestSharedUserGuideBlocks decodes the JSON blocks of the GuardDuty user
// guide: none is a finding. The EventBridge template (its detail a
// placeholder) is malformed JSON, and the event patterns (whose source is a
// list) are not events: all are quarantined, with reasons, and nothing
// panics.
func TestSharedUserGuideBlocks(t *testing.T) {
	dir := testutil.SharedData(t, "aws-docs-samples", "guardduty", "blocks")
	for _, tc := range []struct{ file, reason string }{
		{"001_guardduty_findings_cloudwatch.txt", "malformed JSON"},
		{"002_guardduty_findings_cloudwatch.json", "EventBridge event: fields source and detail-type: expected strings"},
		{"005_guardduty_findings_cloudwatch.json", "EventBridge event: fields source and detail-type: expected strings"},
		{"015_findings_suppression-rule.json", "not a GuardDuty finding"},
	} {
		b, err := os.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		c, _ := decodeBytes(t, b, decode.Options{})
		if len(c.events) != 0 || len(c.bad) != 1 || !strings.Contains(c.bad[0].Reason, tc.reason) {
			t.Errorf("%s: %d events, bad %+v", tc.file, len(c.events), c.bad)
		}
	}
}

// TestSharedSniff checks that Sniff claims none of the other formats'
// shared samples: CloudTrail (AWS's examples, Stratus detonations, Panther's
// tests), VPC Flow Logs, Route 53 Resolver query logs, Kubernetes audit
// events, Config items, EventBridge examples — nor Security Hub's ASFF
// findings, GuardDuty's included.
func TestSharedSniff(t *testing.T) {
	var files []string
	for _, dir := range []string{"cloudtrail", "vpc-flow-logs", "route53-resolver", "eks", "config", "eventbridge", "securityhub"} {
		m, _ := filepath.Glob(filepath.Join(testutil.SharedData(t, "aws-docs-samples", dir, "blocks"), "*"))
		files = append(files, m...)
	}
	files = append(files, filepath.Join(testutil.SharedData(t, "aws-docs-samples", "guardduty", "blocks"), "008_securityhub-integration.json"))
	m, _ := filepath.Glob(filepath.Join(testutil.SharedData(t, "aws-docs-samples", "aws-cli-examples"), "securityhub", "*.json"))
	files = append(files, m...)
	m, _ = filepath.Glob(filepath.Join(testutil.SharedData(t, "cloudtrail-misc-samples"), "*", "*.json"))
	files = append(files, m...)
	if len(files) < 150 {
		t.Fatalf("only %d files", len(files))
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if Sniff(b) {
			t.Errorf("Sniff claims %s", p)
		}
	}
	n := 0
	for _, file := range []string{"tests_AWS_CloudTrail.jsonl", "tests_Amazon_EKS_Audit.jsonl", "tests_AWS_VPCDns.jsonl", "tests_AWS_VPCFlow.jsonl",
		"tests_AWS_SecurityFindingFormat.jsonl", "tests_AWS_S3ServerAccess.jsonl", "tests_AWS_WAFWebACL.jsonl"} {
		for _, tc := range pantherCases(t, file) {
			n++
			if Sniff(tc.Log) {
				t.Errorf("Sniff claims %s: %s", file, tc.TestName)
			}
		}
	}
	if n < 200 {
		t.Fatalf("only %d Panther logs", n)
	}
}

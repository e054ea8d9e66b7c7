package builtin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/cloudtrail"
	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/testutil"
)

var fixedNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

type runner struct {
	en  *detect.Engine
	out []finding.Finding
	bad []string
}

func (r *runner) Event(e *event.Event) error {
	r.out = r.en.Detect(context.Background(), e, r.out)
	return nil
}
func (r *runner) Quarantine(b decode.Bad) error { r.bad = append(r.bad, b.Reason); return nil }

func detectBytes(t *testing.T, b []byte) []finding.Finding {
	t.Helper()
	r := &runner{en: detect.NewEngine(All(), func() time.Time { return fixedNow })}
	if _, err := cloudtrail.New().Decode(context.Background(), bytes.NewReader(b), decode.Options{}, r); err != nil {
		t.Fatal(err)
	}
	if len(r.bad) > 0 {
		t.Fatalf("quarantined: %v", r.bad)
	}
	return r.out
}

func types(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Type)
	}
	sort.Strings(out)
	return out
}

// The rule cases are data: one record and the finding types it must raise
// (none for the benign look-alikes).
func TestRuleCases(t *testing.T) {
	f, err := os.Open("testdata/cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var tc struct {
			Name   string          `json:"name"`
			Expect []string        `json:"expect"`
			Record json.RawMessage `json:"record"`
		}
		if err := json.Unmarshal(sc.Bytes(), &tc); err != nil {
			t.Fatal(err)
		}
		n++
		t.Run(tc.Name, func(t *testing.T) {
			got := types(detectBytes(t, tc.Record))
			want := append([]string(nil), tc.Expect...)
			sort.Strings(want)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("findings %q, want %q", got, want)
			}
		})
	}
	if n < 40 {
		t.Fatalf("only %d cases read", n)
	}
}

// Every type a detector declares is a GuardDuty-style name, and every type
// raised by the cases is declared by the detector that raised it.
func TestDetectorInfo(t *testing.T) {
	reg, err := detect.NewRegistry(All()...)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range reg.All() {
		in := d.Info()
		if len(in.Types) == 0 || len(in.Kinds) == 0 || !slices.Contains(in.Tags, "cloudtrail") || in.Description == "" {
			t.Errorf("%s: incomplete info %+v", in.Name, in)
		}
		for _, typ := range in.Types {
			colon, slash := strings.Index(typ, ":"), strings.Index(typ, "/")
			if colon < 1 || slash < colon+2 || len(typ) > 64 {
				t.Errorf("%s: type %q is not ThreatPurpose:Resource/Name (≤ 64 chars; GuardDuty's own custom types exceed the API's old 50)", in.Name, typ)
			}
		}
	}
}

func TestFindingShape(t *testing.T) {
	b, _ := os.ReadFile("testdata/cases.jsonl")
	var line []byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if bytes.Contains(l, []byte(`"name": "policy principal star"`)) {
			line = l
		}
	}
	var tc struct {
		Record json.RawMessage `json:"record"`
	}
	json.Unmarshal(line, &tc)
	fs := detectBytes(t, tc.Record)
	if len(fs) != 1 {
		t.Fatalf("%d findings", len(fs))
	}
	f := fs[0]
	if f.SeverityLabel() != finding.High || f.Severity != 8.0 {
		t.Errorf("severity %v (%v)", f.Severity, f.SeverityLabel())
	}
	if len(f.ID) != 32 || !strings.HasSuffix(f.Arn, "/finding/"+f.ID) || !strings.HasPrefix(f.Arn, "arn:aws:guardduty:us-east-1:111122223333:") {
		t.Errorf("id %q arn %q", f.ID, f.Arn)
	}
	if f.Resource.ResourceType != "S3Bucket" || len(f.Resource.S3BucketDetails) != 1 || f.Resource.S3BucketDetails[0].Name != "acme-exports" ||
		f.Resource.AccessKeyDetails == nil || f.Resource.AccessKeyDetails.AccessKeyID != "AKIAEXAMPLEOPS000001" || f.Resource.AccessKeyDetails.UserName != "ops-admin" {
		t.Errorf("resource %+v", f.Resource)
	}
	call := f.Service.Action.AwsAPICallAction
	if f.Service.Action.ActionType != "AWS_API_CALL" || call == nil || call.API != "PutBucketPolicy" || call.ServiceName != "s3.amazonaws.com" ||
		call.CallerType != "Remote IP" || call.RemoteIPDetails == nil || call.RemoteIPDetails.IPAddressV4 != "198.51.100.10" {
		t.Errorf("action %+v", call)
	}
	if f.Service.Count != 1 || !f.Service.EventFirstSeen.Equal(time.Date(2026, 10, 14, 10, 0, 0, 0, time.UTC)) || !f.CreatedAt.Equal(fixedNow) {
		t.Errorf("service %+v created %v", f.Service, f.CreatedAt)
	}
	js, err := json.Marshal(f)
	if err != nil || !bytes.Contains(js, []byte(`"type":"Policy:S3/BucketAnonymousAccessGranted"`)) || !bytes.Contains(js, []byte(`"schemaVersion":"2.0"`)) {
		t.Errorf("json: %s %v", js, err)
	}
}

// The Stratus Red Team detonation logs (real attack records) raise exactly
// the findings their techniques stand for, and nothing else.
func TestStratusDetonations(t *testing.T) {
	dir := testutil.SharedData(t, "stratus-red-team", "detonation-logs")
	want := map[string][]string{
		"aws.defense-evasion.cloudtrail-stop.json":            {"Stealth:IAMUser/CloudTrailLoggingDisabled"},
		"aws.defense-evasion.cloudtrail-delete.json":          {"Stealth:IAMUser/CloudTrailLoggingDisabled"},
		"aws.defense-evasion.cloudtrail-event-selectors.json": {"Stealth:IAMUser/CloudTrailLoggingDisabled"},
		"aws.defense-evasion.vpc-remove-flow-logs.json":       {"DefenseImpairment:EC2/DisableOrModifyTools"},
		"aws.defense-evasion.organizations-leave.json":        {"DefenseImpairment:Organizations/ModifyCloudResourceHierarchy"},
		"aws.defense-evasion.dns-delete-logs.json":            {"DefenseImpairment:Route53Resolver/DisableOrModifyTools"},
		"aws.credential-access.ec2-get-password-data.json":    {"CredentialAccess:EC2/UnsecuredCredentials"},
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) < 30 {
		t.Fatalf("only %d detonation logs", len(files))
	}
	for _, p := range files {
		name := filepath.Base(p)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			fs := detectBytes(t, b)
			got := map[string]bool{}
			for _, f := range fs {
				got[f.Type] = true
			}
			var gotTypes []string
			for k := range got {
				gotTypes = append(gotTypes, k)
			}
			sort.Strings(gotTypes)
			if strings.Join(gotTypes, ",") != strings.Join(want[name], ",") {
				t.Errorf("types %q, want %q", gotTypes, want[name])
			}
		})
	}
}

// The 30 denied GetPasswordData calls of one caller are one finding (Low,
// an attempt) once aggregated by fingerprint.
func TestPasswordDataAttemptsAggregate(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testutil.SharedData(t, "stratus-red-team", "detonation-logs"), "aws.credential-access.ec2-get-password-data.json"))
	if err != nil {
		t.Fatal(err)
	}
	fs := detectBytes(t, b)
	ids := map[string]int{}
	for _, f := range fs {
		ids[f.ID]++
		if f.Severity != 3.0 || f.SeverityLabel() != finding.Low {
			t.Errorf("denied attempt severity %v", f.Severity)
		}
	}
	if len(fs) != 30 || len(ids) != 1 {
		t.Errorf("%d findings with %d distinct fingerprints, want 30 and 1", len(fs), len(ids))
	}
}

// Panther's CloudTrail rule tests: where a Panther rule covers the same
// behaviour as a Picket detector, both must agree on its cases.
func TestPantherCases(t *testing.T) {
	path := filepath.Join(testutil.SharedData(t, "panther-rule-tests"), "tests_AWS_CloudTrail.jsonl")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	same := map[string]string{
		"AWS.S3.DeletePublicAccessBlock":     "Policy:S3/BucketBlockPublicAccessDisabled",
		"AWS.Console.RootLogin":              "Policy:IAMUser/RootCredentialUsage",
		"AWS.CloudTrail.DNSLogsDeleted":      "DefenseImpairment:Route53Resolver/DisableOrModifyTools",
		"AWS.EC2.ManyPasswordReadAttempts":   "CredentialAccess:EC2/UnsecuredCredentials",
		"AWS.CloudTrail.RootPasswordChanged": "Policy:IAMUser/RootCredentialUsage",
	}
	checked := 0
	for _, l := range bytes.Split(b, []byte("\n")) {
		var tc struct {
			RuleID   string          `json:"rule_id"`
			Name     string          `json:"test_name"`
			Expected bool            `json:"expected_result"`
			Log      json.RawMessage `json:"log"`
		}
		if len(l) == 0 || json.Unmarshal(l, &tc) != nil || same[tc.RuleID] == "" || !bytes.Contains(tc.Log, []byte(`"eventTime"`)) {
			continue
		}
		checked++
		got := slices.Contains(types(detectBytes(t, tc.Log)), same[tc.RuleID])
		if got != tc.Expected {
			t.Errorf("%s / %s: %s fired=%v, Panther expects %v", tc.RuleID, tc.Name, same[tc.RuleID], got, tc.Expected)
		}
	}
	if checked < 8 {
		t.Errorf("only %d Panther cases checked", checked)
	}
}

func TestPentestDistro(t *testing.T) {
	tests := map[string]string{
		"aws-cli/2.15.30 Python/3.11.8 Linux/6.6.9-amd64-kali exe/x86_64.kali.2024": "Kali",
		"Boto3/1.34 os/linux#6.5.0-13parrot1-amd64":                                 "Parrot",
		"aws-sdk-go-v2/1.30.3 Linux/6.6.30-pentoo":                                  "Pentoo",
		"KALI":                                  "Kali",
		"aws-cli/2 Darwin/23 user/kalinda":      "",
		"parrots pentool kalium":                "",
		"":                                      "",
		"Mozilla/5.0 (X11; Kali; Linux x86_64)": "Kali",
	}
	for ua, want := range tests {
		if got := pentestDistro(ua); got != want {
			t.Errorf("pentestDistro(%q) = %q, want %q", ua, got, want)
		}
	}
}

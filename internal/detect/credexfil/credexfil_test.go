package credexfil

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/awsip"
	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/cloudtrail"
	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/detect/builtin"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/testutil"
)

var fixedNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// testOptions: the organisation's office egress and a shared-services
// account, used by the cases.
var testOptions = Options{
	OwnPrefixes: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")},
	OwnAccounts: []string{"777788889999"},
}

func ranges(t testing.TB) *awsip.Ranges {
	t.Helper()
	r, err := awsip.Load("../../awsip/testdata/ip-ranges.json")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func engine(t testing.TB) *detect.Engine {
	t.Helper()
	dets, err := New(ranges(t), testOptions)
	if err != nil {
		t.Fatal(err)
	}
	return detect.NewEngine(dets, func() time.Time { return fixedNow })
}

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

// run decodes b (a CloudTrail file or records) through en.
func run(t testing.TB, en *detect.Engine, b []byte) *runner {
	t.Helper()
	r := &runner{en: en}
	if _, err := cloudtrail.New().Decode(context.Background(), bytes.NewReader(b), decode.Options{}, r); err != nil {
		t.Fatal(err)
	}
	return r
}

func types(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Type)
	}
	return out
}

type testCase struct {
	Name    string            `json:"name"`
	Expect  []string          `json:"expect"`
	Records []json.RawMessage `json:"records"`
}

func readCases(t testing.TB) []testCase {
	f, err := os.Open("testdata/cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []testCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var tc testCase
		if err := json.Unmarshal(sc.Bytes(), &tc); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, tc)
	}
	return cases
}

// Each case is a sequence of records through one fresh engine and the
// finding types it raises, in order.
func TestCases(t *testing.T) {
	cases := readCases(t)
	if len(cases) < 50 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			en := engine(t)
			var out []finding.Finding
			var bad []string
			for _, rec := range tc.Records {
				r := run(t, en, rec)
				out = append(out, r.out...)
				bad = append(bad, r.bad...)
			}
			if strings.Contains(tc.Name, "quarantined") != (len(bad) > 0) {
				t.Errorf("quarantined: %q", bad)
			}
			if got := types(out); strings.Join(got, ",") != strings.Join(tc.Expect, ",") {
				t.Errorf("findings %q, want %q", got, tc.Expect)
			}
		})
	}
}

func caseRecords(t *testing.T, name string) []json.RawMessage {
	for _, tc := range readCases(t) {
		if tc.Name == name {
			return tc.Records
		}
	}
	t.Fatalf("no case %q", name)
	return nil
}

func detectCase(t *testing.T, name string) []finding.Finding {
	en := engine(t)
	var out []finding.Finding
	for _, rec := range caseRecords(t, name) {
		out = append(out, run(t, en, rec).out...)
	}
	return out
}

func TestOutsideFindingShape(t *testing.T) {
	fs := detectCase(t, "instance creds outside AWS")
	if len(fs) != 1 {
		t.Fatalf("%d findings", len(fs))
	}
	f := fs[0]
	if f.Severity != 8.0 || f.SeverityLabel() != finding.High || f.AccountID != "111122223333" || f.Region != "us-east-1" || len(f.ID) != 32 {
		t.Errorf("finding %+v", f)
	}
	if f.Resource.ResourceType != "Instance" || f.Resource.InstanceDetails == nil || f.Resource.InstanceDetails.InstanceID != "i-0abc1234def567890" ||
		f.Resource.AccessKeyDetails == nil || f.Resource.AccessKeyDetails.AccessKeyID != "ASIAEXAMPLEINSTANCE1" {
		t.Errorf("resource %+v", f.Resource)
	}
	call := f.Service.Action.AwsAPICallAction
	if call == nil || call.RemoteIPDetails == nil || call.RemoteIPDetails.IPAddressV4 != "203.0.113.50" || call.API != "ListBuckets" {
		t.Errorf("action %+v", call)
	}
	if f.Keys.Actor != "arn:aws:sts::111122223333:assumed-role/web-app-role/i-0abc1234def567890" || f.Keys.Resource != "203.0.113.0/24" {
		t.Errorf("keys %+v", f.Keys)
	}
	if f.Service.AdditionalInfo["ec2RoleDelivery"] != "2.0" {
		t.Errorf("additional info %v", f.Service.AdditionalInfo)
	}
	if _, err := json.Marshal(f); err != nil {
		t.Error(err)
	}
	// Without an instance ID the resource is the access key.
	fs = detectCase(t, "instance creds, ec2RoleDelivery only")
	if len(fs) != 1 || fs[0].Resource.ResourceType != "AccessKey" || fs[0].Resource.InstanceDetails != nil {
		t.Errorf("delivery-only finding %+v", fs)
	}
	// IPv6 remote address and network key.
	fs = detectCase(t, "instance creds outside AWS, IPv6")
	if len(fs) != 1 || fs[0].Service.Action.AwsAPICallAction.RemoteIPDetails.IPAddressV6 != "2a01:4f8:c17:1a2b::1" || fs[0].Keys.Resource != "2a01:4f8:c17:1a2b::/64" {
		t.Errorf("IPv6 finding %+v", fs)
	}
}

func TestInsideFindingShape(t *testing.T) {
	fs := detectCase(t, "inside AWS: repeats from home raise nothing, the other address each time")
	if len(fs) != 2 || fs[0].ID != fs[1].ID {
		t.Fatalf("want 2 findings with one fingerprint: %+v", fs)
	}
	info := fs[0].Service.AdditionalInfo
	if info["awsRegion"] != "eu-west-3" || info["heuristic"] != "home-address" || !slices.Equal(info["homeAddresses"].([]string), []string{"3.85.12.34"}) {
		t.Errorf("additional info %v", info)
	}
	if !strings.Contains(fs[0].Description, "35.180.1.2") || !strings.Contains(fs[0].Description, "3.85.12.34") {
		t.Errorf("description %q", fs[0].Description)
	}
	fs = detectCase(t, "instance creds through another account's VPC endpoint")
	if len(fs) != 1 || fs[0].Service.AdditionalInfo["remoteAccountId"] != "444455556666" || fs[0].Keys.Resource != "vpce-account:444455556666" {
		t.Errorf("VPC endpoint finding %+v", fs)
	}
}

func TestResourceAndRootShape(t *testing.T) {
	fs := detectCase(t, "lambda creds outside AWS")
	if len(fs) != 1 || fs[0].Severity != 8.0 || fs[0].Service.AdditionalInfo["issuedBy"] != "lambda.amazonaws.com" ||
		fs[0].Service.AdditionalInfo["resourceSession"] != "orders-fn" || fs[0].Resource.ResourceType != "AccessKey" {
		t.Errorf("lambda finding %+v", fs)
	}
	fs = detectCase(t, "short-term root session")
	if len(fs) != 1 || fs[0].Severity != 2.0 || fs[0].SeverityLabel() != finding.Low || fs[0].Keys.Resource != "ASIAEXAMPLEROOTSESS1|198.51.100.0/24" {
		t.Errorf("root finding %+v", fs)
	}
}

// Without ranges only the root detector is built, and New says why.
func TestNoRanges(t *testing.T) {
	dets, err := New(nil, Options{})
	if !errors.Is(err, ErrNoRanges) || !strings.Contains(err.Error(), "detectors.aws_ip_ranges") {
		t.Errorf("error %v", err)
	}
	if len(dets) != 1 || dets[0].Info().Name != TypeShortTermRoot {
		t.Errorf("detectors %v", dets)
	}
}

func TestInfo(t *testing.T) {
	dets, err := New(ranges(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := detect.NewRegistry(dets...)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{TypeInstanceOutside, TypeInstanceInside, TypeResourceOutside, TypeShortTermRoot}
	for i, d := range reg.All() {
		in := d.Info()
		if in.Name != want[i] || !slices.Equal(in.Types, []string{want[i]}) || len(in.Actions) != 0 ||
			!slices.Equal(in.Kinds, []event.Kind{event.KindCloudTrail}) || in.Description == "" {
			t.Errorf("info %+v", in)
		}
		for _, tag := range []string{"cloudtrail", "iam", "credentials"} {
			if !slices.Contains(in.Tags, tag) {
				t.Errorf("%s: no tag %s", in.Name, tag)
			}
		}
	}
	sel, err := reg.Select("credentials", nil)
	if err != nil || len(sel) != 4 {
		t.Errorf("select credentials: %d, %v", len(sel), err)
	}
}

// The root detector and the built-in Policy:IAMUser/RootCredentialUsage
// never both fire on one call: the built-in skips calls with assumedRoot,
// this one needs it. Each root case raises exactly one of the two or none.
func TestRootDetectorsExclusive(t *testing.T) {
	dets, _ := New(nil, Options{})
	en := detect.NewEngine(append(builtin.All(), dets...), func() time.Time { return fixedNow })
	want := map[string]string{
		"short-term root session":                                   TypeShortTermRoot,
		"short-term root session, assumedRoot a boolean":            TypeShortTermRoot,
		"root console session with temporary keys (not AssumeRoot)": "Policy:IAMUser/RootCredentialUsage",
		"root long-term key":                                        "Policy:IAMUser/RootCredentialUsage",
		"assumedRoot false":                                         "Policy:IAMUser/RootCredentialUsage",
		"short-term root session, denied":                           "",
	}
	for name, typ := range want {
		var got []string
		for _, rec := range caseRecords(t, name) {
			for _, f := range run(t, en, rec).out {
				if strings.Contains(f.Type, "RootCredentialUsage") {
					got = append(got, f.Type)
				}
			}
		}
		if strings.Join(got, ",") != typ {
			t.Errorf("%s: %q, want %q", name, got, typ)
		}
	}
}

func TestSessionParsing(t *testing.T) {
	tests := []struct {
		arn, acct, role, name string
		ok                    bool
	}{
		{"arn:aws:sts::111122223333:assumed-role/web/i-0abc1234def567890", "111122223333", "web", "i-0abc1234def567890", true},
		{"arn:aws-us-gov:sts::111122223333:assumed-role/web/sess", "111122223333", "web", "sess", true},
		{"arn:aws:sts::111122223333:assumed-role/web", "", "", "", false},
		{"arn:aws:iam::111122223333:user/web", "", "", "", false},
		{"arn:aws:sts:::assumed-role/web/x", "", "", "", false},
		{"", "", "", "", false},
	}
	for _, tc := range tests {
		a, r, n, ok := parseAssumedRole(tc.arn)
		if a != tc.acct || r != tc.role || n != tc.name || ok != tc.ok {
			t.Errorf("%q: %q %q %q %v", tc.arn, a, r, n, ok)
		}
	}
	for s, want := range map[string]bool{"i-0abc1234": true, "i-0abc1234def567890": true, "i-786a3A8B5C0d92eF4": true, "i-0abc123": false,
		"i-0abc1234d": false, "i-0abc1234def56789g": false, "j-0abc1234": false, "": false} {
		if isInstanceID(s) != want {
			t.Errorf("isInstanceID(%q) = %v", s, !want)
		}
	}
	for arn, want := range map[string]string{"arn:aws:iam::111122223333:role/service-role/fn-role": "111122223333/fn-role",
		"arn:aws:iam::111122223333:role/r": "111122223333/r", "arn:aws:iam::111122223333:role/": "", "arn:aws:iam::111122223333:user/r": ""} {
		a, r, ok := parseRoleARN(arn)
		got := ""
		if ok {
			got = a + "/" + r
		}
		if got != want {
			t.Errorf("parseRoleARN(%q) = %q, want %q", arn, got, want)
		}
	}
}

// The Stratus Red Team detonation of ec2-steal-instance-credentials: the
// stolen credentials (session i-786a3A8B5C0d92eF4, IMDSv1) are used from
// 18.236.253.47, which is in AWS's EC2 range 18.236.0.0/15 (us-west-2):
// the attacker ran from an EC2 host. So OutsideAWS must not fire. InsideAWS
// cannot fire on the log alone: the instance itself never calls with its
// credentials in it, so the attacker's address is the first seen (a limit
// of the home-address heuristic, documented). With one earlier call of
// the instance from its own address, both stolen-credential calls raise
// InsideAWS, aggregated into one finding.
func TestStratusStealInstanceCredentials(t *testing.T) {
	p := filepath.Join(testutil.SharedData(t, "stratus-red-team", "detonation-logs"), "aws.credential-access.ec2-steal-instance-credentials.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	rg, ok := ranges(t).Lookup(netip.MustParseAddr("18.236.253.47"))
	if !ok || !rg.HasService("EC2") {
		t.Fatal("the test ranges must hold the Stratus attacker address 18.236.253.47 (AWS EC2, us-west-2)")
	}
	r := run(t, engine(t), b)
	if len(r.bad) > 0 || len(r.out) > 0 {
		t.Errorf("alone: findings %q, quarantined %q", types(r.out), r.bad)
	}

	// The instance's own earlier call, from another address of its block.
	var recs []map[string]any
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatal(err)
	}
	var own map[string]any
	for _, rec := range recs {
		if rec["eventName"] == "GetCallerIdentity" {
			js, _ := json.Marshal(rec)
			json.Unmarshal(js, &own)
		}
	}
	if own == nil {
		t.Fatal("no GetCallerIdentity record")
	}
	own["sourceIPAddress"] = "18.236.10.20"
	own["eventTime"] = "2024-08-02T08:21:10Z"
	own["eventID"] = "00000000-0000-4000-8000-0000000000aa"
	own["userAgent"] = "aws-sdk-go-v2/1.30.3 os/linux exec-env/EC2"
	first, _ := json.Marshal(own)
	en := engine(t)
	_ = run(t, en, first)
	r = run(t, en, b)
	if got := types(r.out); strings.Join(got, ",") != TypeInstanceInside+","+TypeInstanceInside {
		t.Fatalf("with the instance's own call first: %q", got)
	}
	if r.out[0].ID != r.out[1].ID || r.out[0].Resource.InstanceDetails.InstanceID != "i-786a3A8B5C0d92eF4" ||
		r.out[0].Service.Action.AwsAPICallAction.RemoteIPDetails.IPAddressV4 != "18.236.253.47" {
		t.Errorf("findings %+v", r.out)
	}
}

// Real logs that hold no credential misuse raise nothing: every Stratus
// detonation (none uses resource or instance credentials from outside
// AWS, none is a short-term root session) and the misc samples.
func TestRealLogsQuiet(t *testing.T) {
	var files []string
	for _, dir := range []string{
		testutil.SharedData(t, "stratus-red-team", "detonation-logs"),
		testutil.SharedData(t, "cloudtrail-misc-samples"),
	} {
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 40 {
		t.Fatalf("only %d files", len(files))
	}
	events := 0
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		en := engine(t)
		cr := &counter{runner: runner{en: en}}
		if _, err := cloudtrail.New().Decode(context.Background(), bytes.NewReader(b), decode.Options{}, cr); err != nil {
			continue // malformed upstream samples (documented in SOURCE.md)
		}
		events += cr.n
		if len(cr.out) > 0 {
			t.Errorf("%s: %q", filepath.Base(p), types(cr.out))
		}
	}
	if events < 300 {
		t.Errorf("only %d events replayed", events)
	}
}

type counter struct {
	runner
	n int
}

func (c *counter) Event(e *event.Event) error { c.n++; return c.runner.Event(e) }

// BenchmarkDetect: ns and allocs per event through the four detectors.
// common: IAM user and ordinary role sessions (no finding possible);
// instance: instance-role calls from the instance's home address.
func BenchmarkDetect(b *testing.B) {
	cases := readCases(b)
	pick := func(names ...string) []*event.Event {
		var evs []*event.Event
		for _, tc := range cases {
			if !slices.Contains(names, tc.Name) {
				continue
			}
			for _, rec := range tc.Records {
				e, err := cloudtrail.Parse(rec)
				if err != nil {
					b.Fatal(err)
				}
				evs = append(evs, e.Clone())
			}
		}
		if len(evs) == 0 {
			b.Fatal("no events")
		}
		return evs
	}
	sets := []struct {
		name string
		evs  []*event.Event
	}{
		{"common", pick("IAM user outside AWS", "human role session outside AWS", "instance creds with a long-term key", "lambda creds without the AssumeRole seen")},
		{"instance-home", pick("instance creds from its own AWS address")},
		{"instance-vpce", pick("instance creds through a VPC endpoint")},
	}
	for _, s := range sets {
		b.Run(s.name, func(b *testing.B) {
			en := engine(b)
			ctx := context.Background()
			var out []finding.Finding
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				out = en.Detect(ctx, s.evs[i%len(s.evs)], out[:0])
			}
			if len(out) > 0 {
				b.Fatalf("raised %q", types(out))
			}
		})
	}
}

func TestCommonPathAllocs(t *testing.T) {
	en := engine(t)
	var evs []*event.Event
	for _, tc := range readCases(t) {
		switch tc.Name {
		case "IAM user outside AWS", "human role session outside AWS", "instance creds from its own AWS address", "instance creds through a VPC endpoint", "lambda creds from an AWS address":
		default:
			continue
		}
		for _, rec := range tc.Records {
			e, err := cloudtrail.Parse(rec)
			if err != nil {
				t.Fatal(err)
			}
			evs = append(evs, e.Clone())
		}
	}
	ctx := context.Background()
	out := make([]finding.Finding, 0, 4)
	for _, e := range evs {
		out = en.Detect(ctx, e, out[:0]) // learn homes first
	}
	n := testing.AllocsPerRun(200, func() {
		for _, e := range evs {
			out = en.Detect(ctx, e, out[:0])
		}
	})
	if n != 0 || len(out) != 0 {
		t.Errorf("%v allocs for %d events (findings %q)", n, len(evs), types(out))
	}
}

package asff

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/guardduty"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/testutil"
)

// rawASFF holds the attributes the decoder maps, read with encoding/json.
type rawASFF struct {
	Id, ProductArn, ProductName, GeneratorId, AwsAccountId, Region, Title, Description string
	CreatedAt, UpdatedAt, FirstObservedAt, LastObservedAt                              string
	Types                                                                              []string
	Severity                                                                           struct {
		Label      string
		Normalized json.Number
		Product    float64
	}
	ProductFields map[string]string
	Resources     []struct{ Type, Id, Partition, Region, ResourceRole string }
	Workflow      struct{ Status string }
	RecordState   string
}

// wantSeverity computes the severity from the raw attributes, by the
// documented rule, independently of the decoder.
func wantSeverity(t *testing.T, r *rawASFF, gd bool) float64 {
	if gd && r.Severity.Product > 0 {
		return r.Severity.Product
	}
	band := map[string]float64{"CRITICAL": 9, "HIGH": 8, "MEDIUM": 5, "LOW": 2, "INFORMATIONAL": 1}[r.Severity.Label]
	if r.Severity.Normalized != "" {
		n, err := r.Severity.Normalized.Float64()
		if err != nil {
			t.Fatal(err)
		}
		s := min(max(n/10, 1), 10)
		if r.Severity.Label == "" || finding.LabelOf(s) == finding.LabelOf(band) {
			return s
		}
	}
	return band
}

// checkAgainstRaw compares a decoded event with the finding's raw JSON.
func checkAgainstRaw(t *testing.T, name string, e *event.Event, raw []byte) {
	t.Helper()
	var r rawASFF
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	f := e.Finding
	gd := r.ProductName == "GuardDuty" || r.ProductFields["aws/securityhub/ProductName"] == "GuardDuty"
	region := r.Region
	if region == "" && len(r.Resources) > 0 {
		region = r.Resources[0].Region
	}
	if e.ID != r.Id || f.ID != r.Id || e.Account != r.AwsAccountId || f.AccountID != r.AwsAccountId || e.Region != region || f.Region != region ||
		!e.Time.Equal(ts(r.UpdatedAt)) || f.Title != r.Title || f.Description != r.Description ||
		!f.CreatedAt.Equal(ts(r.CreatedAt)) || !f.UpdatedAt.Equal(ts(r.UpdatedAt)) {
		t.Errorf("%s: event %s %s %s %v finding %s", name, e.ID, e.Account, e.Region, e.Time, js(f))
	}
	if want := wantSeverity(t, &r, gd); f.Severity != want {
		t.Errorf("%s: severity %v, want %v (%+v)", name, f.Severity, want, r.Severity)
	}
	if len(r.Resources) > 0 {
		rt := map[string]string{"AwsEc2Instance": "Instance", "AwsIamAccessKey": "AccessKey", "AwsS3Bucket": "S3Bucket", "AwsEksCluster": "EKSCluster"}[r.Resources[0].Type]
		if rt == "" {
			rt = r.Resources[0].Type
		}
		if f.Resource.ResourceType != rt || f.Partition != r.Resources[0].Partition {
			t.Errorf("%s: resource type %q partition %q", name, f.Resource.ResourceType, f.Partition)
		}
	}
	s := &f.Service
	if archived := r.Workflow.Status == "SUPPRESSED" || r.RecordState == "ARCHIVED" || r.ProductFields["aws/guardduty/service/archived"] == "true"; s.Archived != archived {
		t.Errorf("%s: archived %v", name, s.Archived)
	}
	product := r.ProductName
	if product == "" {
		product = r.ProductFields["aws/securityhub/ProductName"]
	}
	if s.ServiceName != strings.ToLower(product) {
		t.Errorf("%s: service name %q, product %q", name, s.ServiceName, product)
	}
	first, last := r.FirstObservedAt, r.LastObservedAt
	if first == "" {
		first = r.CreatedAt
	}
	if last == "" {
		last = r.UpdatedAt
	}
	if gd {
		first, last = r.ProductFields["aws/guardduty/service/eventFirstSeen"], r.ProductFields["aws/guardduty/service/eventLastSeen"]
	}
	if !s.EventFirstSeen.Equal(ts(first)) || !s.EventLastSeen.Equal(ts(last)) {
		t.Errorf("%s: seen %v – %v, want %s – %s", name, s.EventFirstSeen, s.EventLastSeen, first, last)
	}
	wantKeys := "asff:" + r.Id
	if gd {
		wantKeys = "guardduty:" + r.Id[strings.LastIndex(r.Id, "/")+1:]
	}
	if f.Keys.Resource != wantKeys || s.AdditionalInfo["source"].(map[string]any)["generatorId"] != r.GeneratorId {
		t.Errorf("%s: keys %+v source %v", name, f.Keys, s.AdditionalInfo["source"])
	}
	// The type: GuardDuty's, from Types, or built.
	if gd {
		if want, ok := GuardDutyType(r.Types[0], true); !ok || f.Type != want {
			t.Errorf("%s: type %q from %v", name, f.Type, r.Types)
		}
	} else if _, ok := GuardDutyType(r.Types[0], false); !ok {
		want := Purpose(r.Types[0]) + ":" + ResourceToken(r.Resources[0].Type) + "/" + GeneratorName(r.GeneratorId) + ".SecurityHub"
		if f.Type != want {
			t.Errorf("%s: type %q, want %q", name, f.Type, want)
		}
	}
	checkResidue(t, e)
}

func readShared(t *testing.T, rel ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(testutil.SharedData(t, rel...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSharedControlFindings decodes Security Hub's sample control findings
// (FSBP, CIS 1.2 and 1.4, PCI DSS, Control Tower) one by one, as a
// BatchImportFindings request, and inside the EventBridge "Imported"
// event of Security Hub's user guide (its <finding content> placeholder
// filled). The two samples that are not valid JSON (a trailing comma, a
// missing comma) are quarantined as malformed.
func TestSharedControlFindings(t *testing.T) {
	dir := testutil.SharedData(t, "aws-docs-samples", "securityhub", "blocks")
	files, _ := filepath.Glob(filepath.Join(dir, "0[01][0-9]_sample-control-findings.*"))
	if len(files) != 7 {
		t.Fatalf("%d sample control findings", len(files))
	}
	tmpl := string(readShared(t, "aws-docs-samples", "securityhub", "blocks", "002_securityhub-cwe-event-formats.txt"))
	placeholder := regexp.MustCompile(`\{\s*<finding content>\s*\}`)
	if !placeholder.MatchString(tmpl) {
		t.Fatal("no placeholder in the EventBridge template")
	}
	var all []string
	var single []*event.Event
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !Sniff(b) || guardduty.Sniff(b) {
			t.Errorf("%s: Sniff %v, guardduty.Sniff %v", p, Sniff(b), guardduty.Sniff(b))
		}
		c, _ := decodeBytes(t, b, decode.Options{Origin: event.Origin{Path: p}})
		if strings.HasSuffix(p, ".txt") {
			if len(c.events) != 0 || len(c.bad) != 1 || !strings.HasPrefix(c.bad[0].Reason, "malformed JSON") {
				t.Errorf("%s: %d events, bad %+v", p, len(c.events), c.bad)
			}
			continue
		}
		if len(c.events) != 1 || len(c.bad) != 0 {
			t.Fatalf("%s: %d events, bad %+v", p, len(c.events), c.bad)
		}
		checkAgainstRaw(t, filepath.Base(p), c.events[0], b)
		if f := c.events[0].Finding; !strings.HasPrefix(f.Type, "Policy:") || !strings.HasSuffix(f.Type, ".SecurityHub") {
			t.Errorf("%s: type %q", p, f.Type)
		}
		all = append(all, string(b))
		single = append(single, c.events[0])
		env := placeholder.ReplaceAllLiteralString(tmpl, string(b))
		ce, _ := decodeBytes(t, []byte(env), decode.Options{})
		if len(ce.events) != 1 || !reflect.DeepEqual(ce.events[0].Finding, c.events[0].Finding) || !bytes.Equal(compact(t, ce.events[0].RawBytes), compact(t, b)) {
			t.Errorf("%s in EventBridge: %d events, bad %+v", p, len(ce.events), ce.bad)
		}
	}
	batch := `{"Findings":[` + strings.Join(all, ",") + `]}`
	c, _ := decodeBytes(t, []byte(batch), decode.Options{})
	if len(c.events) != len(single) {
		t.Fatalf("batch: %d events", len(c.events))
	}
	for i, e := range c.events {
		if !reflect.DeepEqual(e.Finding, single[i].Finding) {
			t.Errorf("batch %d differs", i)
		}
	}
	// The sample findings of each standard check one control (CloudTrail.2
	// or PCI.CloudTrail.1): distinct types, as the standards are.
	types := map[string]bool{}
	for _, e := range single {
		types[e.Finding.Type] = true
	}
	if len(types) != len(single) {
		t.Errorf("types collide: %v", types)
	}
}

func compact(t *testing.T, b []byte) []byte {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestSharedGuardDutyInASFF decodes the typical GuardDuty finding in ASFF
// from GuardDuty's user guide: GuardDuty's type, severity and service
// fields come back from Types and ProductFields.
func TestSharedGuardDutyInASFF(t *testing.T) {
	b := readShared(t, "aws-docs-samples", "guardduty", "blocks", "008_securityhub-integration.json")
	if !Sniff(b) || guardduty.Sniff(b) {
		t.Error("Sniff")
	}
	c, _ := decodeBytes(t, b, decode.Options{})
	if len(c.events) != 1 {
		t.Fatalf("%d events, bad %+v", len(c.events), c.bad)
	}
	e := c.events[0]
	checkAgainstRaw(t, "guardduty-asff", e, b)
	var r rawASFF
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	pf := func(k string) string { return r.ProductFields["aws/guardduty/service/"+k] }
	f, s := e.Finding, &e.Finding.Service
	if f.Type != "UnauthorizedAccess:EC2/SSHBruteForce" || f.Severity != 2 || s.ServiceName != "guardduty" || s.DetectorID != pf("detectorId") ||
		s.ResourceRole != pf("resourceRole") || s.Count != 74 || pf("count") != "74" {
		t.Errorf("finding %s", js(f))
	}
	nc := s.Action.NetworkConnectionAction
	if s.Action.ActionType != pf("action/actionType") || nc == nil || nc.ConnectionDirection != pf("action/networkConnectionAction/connectionDirection") ||
		nc.Protocol != pf("action/networkConnectionAction/protocol") || nc.LocalPortDetails.Port != 22 || nc.LocalPortDetails.PortName != "SSH" ||
		nc.RemotePortDetails.Port != 46717 || nc.RemoteIPDetails.IPAddressV4 != pf("action/networkConnectionAction/remoteIpDetails/ipAddressV4") ||
		nc.LocalIPDetails.IPAddressV4 != pf("action/networkConnectionAction/localIpDetails/ipAddressV4") {
		t.Errorf("action %s", js(s.Action))
	}
	inst := f.Resource.InstanceDetails
	if inst == nil || inst.InstanceID != "i-0c10c2c7863d1a356" || len(inst.NetworkInterfaces) != 1 ||
		inst.NetworkInterfaces[0] != (finding.NetworkInterface{PrivateIPAddress: "172.31.43.6", VpcID: "vpc-a0c2d7c7", SubnetID: "subnet-4975b475"}) {
		t.Errorf("instance %s", js(inst))
	}
	// GuardDuty's catalog has the type, with a Low default severity.
	var catalog []struct {
		FindingType     string `json:"finding_type"`
		DefaultSeverity string `json:"default_severity"`
	}
	if err := json.Unmarshal(readShared(t, "aws-docs-samples", "guardduty", "finding_types_catalog.json"), &catalog); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ct := range catalog {
		if ct.FindingType == f.Type {
			found = true
			if !strings.HasPrefix(ct.DefaultSeverity, f.SeverityLabel().String()) {
				t.Errorf("catalog severity %q, finding %v", ct.DefaultSeverity, f.SeverityLabel())
			}
		}
	}
	if !found {
		t.Errorf("%s is not in GuardDuty's catalog", f.Type)
	}
}

// TestSharedGuardDutyTypeTable checks GuardDutyType against the table of
// GuardDuty types and their ASFF names in GuardDuty's user guide, and
// against every type of GuardDuty's catalog written the ASFF way.
func TestSharedGuardDutyTypeTable(t *testing.T) {
	md := readShared(t, "aws-docs-samples", "guardduty", "source-md", "securityhub-integration.md")
	row := regexp.MustCompile(`^\|\s+(\S+)\s+\|\s+(\S.*\S)\s+\|\s*$`)
	unescape := strings.NewReplacer(`\-`, "-", `\.`, ".", `\!`, "!", `\_`, "_")
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(md))
	for sc.Scan() {
		m := row.FindStringSubmatch(sc.Text())
		if m == nil || !strings.Contains(m[1], ":") {
			continue
		}
		n++
		gd, asffType := unescape.Replace(m[1]), unescape.Replace(m[2])
		if !strings.Contains(gd, "/") {
			// The table writes a few GuardDuty types the ASFF way
			// ("Discovery:S3-MaliciousIPCaller").
			gd = strings.Replace(gd, "-", "/", 1)
		}
		if got, ok := GuardDutyType(asffType, true); !ok || got != gd {
			t.Errorf("%s: %q, want %q", asffType, got, gd)
		}
	}
	if n < 70 {
		t.Fatalf("only %d rows", n)
	}
	var catalog []struct {
		FindingType string `json:"finding_type"`
	}
	if err := json.Unmarshal(readShared(t, "aws-docs-samples", "guardduty", "finding_types_catalog.json"), &catalog); err != nil {
		t.Fatal(err)
	}
	for _, ct := range catalog {
		asffType := "TTPs/Some Tactic/" + strings.Replace(ct.FindingType, "/", "-", 1)
		if got, ok := GuardDutyType(asffType, true); !ok || got != ct.FindingType {
			t.Errorf("%s: %q", ct.FindingType, got)
		}
	}
	if len(catalog) < 90 {
		t.Fatalf("only %d catalog types", len(catalog))
	}
}

// TestSharedCLIGetFindings decodes the AWS CLI's `securityhub get-findings`
// example: an archived informational PCI DSS control finding.
func TestSharedCLIGetFindings(t *testing.T) {
	b := readShared(t, "aws-docs-samples", "aws-cli-examples", "securityhub", "get-findings.1.json")
	if !Sniff(b) {
		t.Error("Sniff")
	}
	c, _ := decodeBytes(t, b, decode.Options{})
	var resp struct{ Findings []json.RawMessage }
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatal(err)
	}
	if len(c.events) != len(resp.Findings) || len(c.events) == 0 {
		t.Fatalf("%d events, bad %+v", len(c.events), c.bad)
	}
	for i, e := range c.events {
		checkAgainstRaw(t, "get-findings", e, resp.Findings[i])
	}
	if f := c.events[0].Finding; f.Severity != 1 || !f.Service.Archived || f.Region != "us-west-1" || f.Type != "Policy:Account/PCI.Lambda.2.SecurityHub" {
		t.Errorf("%s", js(f))
	}
}

// TestSharedPantherFindings decodes the ASFF findings of Panther's
// AWS.SecurityFindingFormat rule tests (a custom decoy detector, with
// Panther's p_ fields), as JSON lines and as a BatchImportFindings request,
// and checks Panther's expectation: the rule fires on decoy parameters
// that were read (Decrypt), not on the others.
func TestSharedPantherFindings(t *testing.T) {
	b := readShared(t, "panther-rule-tests", "tests_AWS_SecurityFindingFormat.jsonl")
	var logs []string
	var expected []bool
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var tc struct {
			Expected bool            `json:"expected_result"`
			Log      json.RawMessage `json:"log"`
		}
		if err := json.Unmarshal(line, &tc); err != nil {
			t.Fatal(err)
		}
		logs = append(logs, string(tc.Log))
		expected = append(expected, tc.Expected)
		if !Sniff(tc.Log) || guardduty.Sniff(tc.Log) {
			t.Error("Sniff")
		}
	}
	if len(logs) < 2 {
		t.Fatalf("%d logs", len(logs))
	}
	for _, in := range []string{strings.Join(logs, "\n"), `{"Findings":[` + strings.Join(logs, ",") + `]}`} {
		c, _ := decodeBytes(t, []byte(in), decode.Options{})
		if len(c.events) != len(logs) {
			t.Fatalf("%d events, bad %+v", len(c.events), c.bad)
		}
		for i, e := range c.events {
			checkAgainstRaw(t, "panther", e, []byte(logs[i]))
			f := e.Finding
			a := f.Service.Action.AwsAPICallAction
			if f.Type != "Behavior:Other/ssm.amazonaws.com.SecurityHub" || f.Severity != 7 || f.Service.ServiceName != "decoydetector" ||
				f.Service.Action.ActionType != "AWS_API_CALL" || a == nil || a.CallerType != "remoteIp" || a.ServiceName != "kms.amazonaws.com" ||
				f.Service.Action.NetworkConnectionAction != nil || f.Service.Action.DNSRequestAction != nil || f.Service.Action.PortProbeAction != nil {
				t.Errorf("%s", js(f))
			}
			if fires := a.API == "Decrypt"; fires != expected[i] {
				t.Errorf("%s: Panther expects %v", a.API, expected[i])
			}
			if _, ok := f.Service.AdditionalInfo["asff"].(map[string]any)["p_log_type"]; !ok {
				t.Error("Panther's fields are not kept")
			}
		}
	}
}

// TestSharedSniff checks Sniff on the other formats' shared samples and
// that asff.Sniff and guardduty.Sniff never both claim one.
func TestSharedSniff(t *testing.T) {
	var files []string
	for _, dir := range []string{"cloudtrail", "vpc-flow-logs", "route53-resolver", "eks", "config", "eventbridge", "guardduty"} {
		m, _ := filepath.Glob(filepath.Join(testutil.SharedData(t, "aws-docs-samples", dir, "blocks"), "*"))
		files = append(files, m...)
	}
	m, _ := filepath.Glob(filepath.Join(testutil.SharedData(t, "cloudtrail-misc-samples"), "*", "*.json"))
	files = append(files, m...)
	files = append(files, testutil.SharedData(t, "aws-docs-samples", "aws-cli-examples", "guardduty", "get-findings.1.json"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if Sniff(b) != strings.HasSuffix(p, "008_securityhub-integration.json") {
			t.Errorf("Sniff(%s) = %v", p, Sniff(b))
		}
	}
	all, _ := filepath.Glob(filepath.Join(testutil.SharedData(t, "aws-docs-samples"), "*", "blocks", "*"))
	for _, p := range all {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if Sniff(b) && guardduty.Sniff(b) {
			t.Errorf("both claim %s", p)
		}
	}
	n := 0
	for _, file := range []string{"tests_AWS_CloudTrail.jsonl", "tests_Amazon_EKS_Audit.jsonl", "tests_AWS_VPCDns.jsonl", "tests_AWS_VPCFlow.jsonl", "tests_AWS_GuardDuty.jsonl"} {
		b := readShared(t, "panther-rule-tests", file)
		for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			var tc struct{ Log json.RawMessage }
			if err := json.Unmarshal(line, &tc); err != nil {
				t.Fatal(err)
			}
			n++
			if Sniff(tc.Log) {
				t.Errorf("Sniff claims a %s log", file)
			}
		}
	}
	if n < 200 {
		t.Fatalf("only %d logs", n)
	}
}

package suppress

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/testutil"
)

// fixtures are the findings in testdata, by file name without ".json".
var fixtureNames = []string{"portprobe", "iam_exfil", "netconn", "s3_public", "dns"}

func loadFixture(t testing.TB, name string) finding.Finding {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	// Strict: a key the schema doesn't have would silently make a test
	// field "missing".
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var f finding.Finding
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}

func loadFixtures(t testing.TB) map[string]*finding.Finding {
	t.Helper()
	m := map[string]*finding.Finding{}
	for _, n := range fixtureNames {
		f := loadFixture(t, n)
		m[n] = &f
	}
	return m
}

func mustCriteria(t testing.TB, src string) Criteria {
	t.Helper()
	c, err := ParseCriteria([]byte(src))
	if err != nil {
		t.Fatalf("ParseCriteria(%s): %v", src, err)
	}
	return c
}

// TestMatch runs each criterion over every fixture; want lists exactly
// the fixtures that must match, so every case checks positives and
// negatives at once.
func TestMatch(t *testing.T) {
	fx := loadFixtures(t)
	all := fixtureNames
	except := func(names ...string) []string {
		var out []string
		for _, n := range all {
			if !slices.Contains(names, n) {
				out = append(out, n)
			}
		}
		return out
	}
	tests := []struct {
		name      string
		criterion string // the inside of {"Criterion": ...}
		want      []string
	}{
		// Equals / NotEquals on strings: exact and case-sensitive.
		{"type equals", `{"type":{"Equals":["Recon:EC2/PortProbeUnprotectedPort"]}}`, []string{"portprobe"}},
		{"type equals is case-sensitive", `{"type":{"Equals":["recon:ec2/portprobeunprotectedport"]}}`, nil},
		{"type equals no trimming", `{"type":{"Equals":["Recon:EC2/PortProbeUnprotectedPort "]}}`, nil},
		{"type equals any of two", `{"type":{"Equals":["Recon:EC2/PortProbeUnprotectedPort","Backdoor:EC2/C&CActivity.B!DNS"]}}`, []string{"portprobe", "dns"}},
		{"deprecated Eq", `{"type":{"Eq":["Policy:S3/BucketBlockPublicAccessDisabled"]}}`, []string{"s3_public"}},
		{"api camelCase equals", `{"type":{"equals":["Policy:S3/BucketBlockPublicAccessDisabled"]}}`, []string{"s3_public"}},
		{"type not equals", `{"type":{"NotEquals":["Recon:EC2/PortProbeUnprotectedPort"]}}`, except("portprobe")},
		{"deprecated Neq two values", `{"type":{"Neq":["Recon:EC2/PortProbeUnprotectedPort","Backdoor:EC2/C&CActivity.B!DNS"]}}`, except("portprobe", "dns")},
		{"accountId not equals", `{"accountId":{"NotEquals":["123456789012"]}}`, []string{"s3_public"}},
		{"accountId as bare number", `{"accountId":{"Equals":[210987654321]}}`, []string{"s3_public"}},
		{"region", `{"region":{"Equals":["eu-west-1"]}}`, []string{"netconn"}},
		{"id", `{"id":{"Equals":["44b8ab50fd2b0039a9e48f570example"]}}`, []string{"s3_public"}},
		{"resource type", `{"resource.resourceType":{"Equals":["Instance"]}}`, []string{"portprobe", "netconn", "dns"}},

		// Missing fields: positive operators fail, negative ones hold.
		{"equals on missing field", `{"resource.accessKeyDetails.userName":{"Equals":["app-role"]}}`, []string{"iam_exfil"}},
		{"not equals on missing field", `{"resource.accessKeyDetails.userName":{"NotEquals":["app-role"]}}`, except("iam_exfil")},
		{"not equals of an absent value", `{"resource.accessKeyDetails.userName":{"NotEquals":["nobody"]}}`, all},
		{"matches on missing field", `{"service.action.dnsRequestAction.domain":{"Matches":["*"]}}`, []string{"dns"}},
		{"not matches on missing field", `{"service.action.dnsRequestAction.domain":{"NotMatches":["*.example.com"]}}`, except("dns")},
		{"range on missing field", `{"service.action.networkConnectionAction.remotePortDetails.port":{"GreaterThan":0}}`, []string{"netconn"}},
		// instanceId has no omitempty: "" is present (as in the JSON) and matches "*".
		{"empty string is present", `{"resource.instanceDetails.instanceId":{"Matches":["*"]}}`, []string{"portprobe", "netconn", "dns"}},

		// Numbers.
		{"severity equals", `{"severity":{"Equals":["2"]}}`, []string{"portprobe", "s3_public"}},
		{"severity equals numerically", `{"severity":{"Equals":["2.0","7.50"]}}`, []string{"portprobe", "s3_public", "dns"}},
		{"severity not equals", `{"severity":{"NotEquals":["2"]}}`, []string{"iam_exfil", "netconn", "dns"}},
		{"severity gt", `{"severity":{"GreaterThan":5}}`, []string{"iam_exfil", "dns"}},
		{"severity gte", `{"severity":{"GreaterThanOrEqual":5}}`, []string{"iam_exfil", "netconn", "dns"}},
		{"severity lt", `{"severity":{"LessThan":5}}`, []string{"portprobe", "s3_public"}},
		{"severity lte", `{"severity":{"LessThanOrEqual":5}}`, []string{"portprobe", "netconn", "s3_public"}},
		{"severity deprecated gt", `{"severity":{"Gt":7}}`, []string{"iam_exfil", "dns"}},
		{"severity fractional bound", `{"severity":{"Gte":7.5,"Lt":8}}`, []string{"dns"}},
		{"severity range", `{"severity":{"Gte":4,"Lt":8}}`, []string{"netconn", "dns"}},
		{"severity empty range", `{"severity":{"Gt":8,"Lt":8}}`, nil},
		{"count", `{"service.count":{"GreaterThan":10}}`, []string{"portprobe"}},

		// Booleans (GuardDuty's documented "false" spelling).
		{"archived false", `{"service.archived":{"Equals":["false"]}}`, except("s3_public")},
		{"archived true", `{"service.archived":{"Eq":["true"]}}`, []string{"s3_public"}},
		{"archived not true", `{"service.archived":{"NotEquals":["true"]}}`, except("s3_public")},
		{"archived bare boolean", `{"service.archived":{"Equals":[true]}}`, []string{"s3_public"}},
		// blocked has no omitempty, so false is present.
		{"blocked false", `{"service.action.networkConnectionAction.blocked":{"Equals":["false"]}}`, []string{"netconn"}},

		// Arrays: any element.
		{"second interface ip", `{"resource.instanceDetails.networkInterfaces.privateIpAddress":{"Equals":["10.0.2.40"]}}`, []string{"portprobe"}},
		{"interface ip excluded", `{"resource.instanceDetails.networkInterfaces.privateIpAddress":{"NotEquals":["10.0.2.40"]}}`, except("portprobe")},
		{"interface ip pattern", `{"resource.instanceDetails.networkInterfaces.privateIpAddress":{"Matches":["10.0.?.*"]}}`, []string{"portprobe", "dns"}},
		{"interface ip not pattern", `{"resource.instanceDetails.networkInterfaces.privateIpAddress":{"NotMatches":["10.0.1.*"]}}`, except("portprobe")},
		{"second bucket", `{"resource.s3BucketDetails.name":{"Equals":["backup-Archive"]}}`, []string{"s3_public"}},
		{"bucket name case", `{"resource.s3BucketDetails.name":{"Equals":["backup-archive"]}}`, nil},
		{"probe port any element", `{"service.action.portProbeAction.portProbeDetails.localPortDetails.port":{"Equals":["3389"]}}`, []string{"portprobe"}},
		{"probe port range any element", `{"service.action.portProbeAction.portProbeDetails.localPortDetails.port":{"Gte":3000}}`, []string{"portprobe"}},
		// The bounds must hold for one element: neither 22 nor 3389 is in (22, 3389).
		{"range within one element", `{"service.action.portProbeAction.portProbeDetails.localPortDetails.port":{"Gt":22,"Lt":3389}}`, nil},
		{"probe remote ip", `{"service.action.portProbeAction.portProbeDetails.remoteIpDetails.ipAddressV4":{"Equals":["203.0.113.9"]}}`, []string{"portprobe"}},

		// Remote IPs (the brief's fields).
		{"api caller ip", `{"service.action.awsApiCallAction.remoteIpDetails.ipAddressV4":{"Equals":["198.51.100.6"]}}`, []string{"iam_exfil"}},
		{"connection remote ip", `{"service.action.networkConnectionAction.remoteIpDetails.ipAddressV4":{"Equals":["192.0.2.15"]}}`, []string{"netconn"}},
		{"api", `{"service.action.awsApiCallAction.api":{"Equals":["DescribeInstances","PutBucketPublicAccessBlock"]}}`, []string{"iam_exfil", "s3_public"}},
		{"action type", `{"service.action.actionType":{"Equals":["AWS_API_CALL"]}}`, []string{"iam_exfil", "s3_public"}},

		// Wildcards.
		{"instance prefix", `{"resource.instanceDetails.instanceId":{"Matches":["i-0abc*"]}}`, []string{"portprobe", "netconn"}},
		{"instance not prefix", `{"resource.instanceDetails.instanceId":{"NotMatches":["i-0abc*"]}}`, except("portprobe", "netconn")},
		{"question mark", `{"type":{"Matches":["Recon:EC2/PortProbe?nprotectedPort"]}}`, []string{"portprobe"}},
		{"question mark is one char", `{"type":{"Matches":["Recon:EC2/PortProbe??nprotectedPort"]}}`, nil},
		{"star in the middle", `{"type":{"Matches":["*:EC2/*"]}}`, []string{"portprobe", "netconn", "dns"}},
		{"anchored", `{"type":{"Matches":["EC2/*"]}}`, nil},
		{"wildcard case-sensitive", `{"type":{"Matches":["recon:*"]}}`, nil},
		{"escaped star matches star", `{"service.action.awsApiCallAction.userAgent":{"Matches":["*(\\*test\\*)"]}}`, []string{"iam_exfil"}},
		{"escaped star is literal", `{"service.action.awsApiCallAction.userAgent":{"Matches":["*(\\*prod\\*)"]}}`, nil},
		{"escaped question mark", `{"type":{"Matches":["Recon:EC2/PortProbe\\?nprotectedPort"]}}`, nil},
		{"escaped backslash", `{"type":{"Matches":["Recon:EC2\\\\*"]}}`, nil},
		{"special characters are literal", `{"type":{"Matches":["Backdoor:EC2/C&CActivity.B!DNS"]}}`, []string{"dns"}},

		// Times: epoch ms (GuardDuty) or RFC3339, compared at ms precision.
		{"updatedAt after", `{"updatedAt":{"GreaterThan":"2024-03-03T00:00:00Z"}}`, []string{"netconn", "s3_public", "dns"}},
		{"updatedAt after epoch ms", `{"updatedAt":{"GreaterThan":1709424000000}}`, []string{"netconn", "s3_public", "dns"}},
		{"updatedAt window", `{"updatedAt":{"Gte":1709251200000,"Lt":"2024-03-03T00:00:00Z"}}`, []string{"portprobe", "iam_exfil"}},
		{"updatedAt equals to the ms", `{"updatedAt":{"Equals":["2024-03-01T11:45:30.500Z"]}}`, []string{"portprobe"}},
		{"updatedAt equals epoch ms", `{"updatedAt":{"Equals":["1709293530500"]}}`, []string{"portprobe"}},
		{"updatedAt equals other zone", `{"updatedAt":{"Equals":["2024-03-01T12:45:30.5+01:00"]}}`, []string{"portprobe"}},
		{"updatedAt boundary is exclusive", `{"updatedAt":{"GreaterThan":1709293530500}}`, except("portprobe")},
		{"eventLastSeen", `{"service.eventLastSeen":{"LessThanOrEqual":"2024-03-01T11:44:59Z"}}`, []string{"portprobe"}},

		// Free-form additionalInfo and map[string]string.
		{"threat list name", `{"service.additionalInfo.threatListName":{"Equals":["picket-blocklist"]}}`, []string{"netconn"}},
		{"threat list name missing", `{"service.additionalInfo.threatListName":{"NotEquals":["picket-blocklist"]}}`, except("netconn")},
		{"nested number", `{"service.additionalInfo.intel.confidence":{"GreaterThanOrEqual":75}}`, []string{"netconn"}},
		{"nested number equals", `{"service.additionalInfo.intel.confidence":{"Equals":["80"]}}`, []string{"netconn"}},
		{"nested time string", `{"service.additionalInfo.intel.firstSeen":{"LessThan":"2024-03-01T00:00:00Z"}}`, []string{"netconn"}},
		{"array in map", `{"service.additionalInfo.threatNames":{"Equals":["Generic C2"]}}`, []string{"netconn"}},
		{"array in map pattern", `{"service.additionalInfo.threatNames":{"Matches":["Cobalt*"]}}`, []string{"netconn"}},
		{"bool in map", `{"service.additionalInfo.sample":{"Equals":["false"]}}`, []string{"portprobe"}},
		{"string is not a bool", `{"service.additionalInfo.unusualProtocol":{"Equals":["true"]}}`, nil},
		{"affected resources key", `{"service.action.awsApiCallAction.affectedResources.AWS::IAM::Role":{"Matches":["arn:aws:iam::*:role/app-*"]}}`, []string{"iam_exfil"}},

		// Several fields: AND.
		{"and: both hold", `{"type":{"Equals":["Recon:EC2/PortProbeUnprotectedPort"]},"resource.instanceDetails.instanceId":{"Equals":["i-0abc1234def567890"]}}`, []string{"portprobe"}},
		{"and: one fails", `{"type":{"Equals":["Recon:EC2/PortProbeUnprotectedPort"]},"resource.instanceDetails.instanceId":{"Equals":["i-0abc9999def000111"]}}`, nil},
		{"and: three fields", `{"accountId":{"Equals":["123456789012"]},"severity":{"Gte":5},"resource.resourceType":{"NotEquals":["AccessKey"]}}`, []string{"netconn", "dns"}},
		// Operators on one field: AND.
		{"equals and not matches", `{"resource.resourceType":{"Equals":["Instance"],"NotMatches":["Inst*"]}}`, nil},
		{"equals and range", `{"severity":{"Equals":["2","5","8"],"Gt":2}}`, []string{"iam_exfil", "netconn"}},

		// A GuardDuty attribute Picket doesn't carry is always missing.
		{"unpopulated equals", `{"resource.instanceDetails.imageId":{"Equals":["ami-0a7a207083example"]}}`, nil},
		{"unpopulated not equals", `{"resource.instanceDetails.imageId":{"NotEquals":["ami-0a7a207083example"]}}`, all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCriteria(t, `{"Criterion":`+tt.criterion+`}`)
			var got []string
			for _, n := range all {
				if c.Match(fx[n]) {
					got = append(got, n)
				}
			}
			want := slices.Clone(tt.want)
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("matched %v, want %v", got, want)
			}
		})
	}
}

func TestMatchNilAndZero(t *testing.T) {
	c := mustCriteria(t, `{"Criterion":{"type":{"NotEquals":["x"]}}}`)
	if c.Match(nil) {
		t.Error("criteria matched a nil finding")
	}
	var f finding.Finding
	if !c.Match(&f) {
		t.Error("NotEquals did not match an empty finding")
	}
	var zero Criteria
	if zero.Match(&f) || !zero.IsZero() {
		t.Error("the zero Criteria must match nothing")
	}
}

// Picket's Finding may be built in code rather than decoded; additional
// info can then hold Go types JSON never produces.
func TestMatchGoValues(t *testing.T) {
	f := finding.Finding{Type: "T", Service: finding.Service{AdditionalInfo: map[string]any{
		"n":     int64(3),
		"names": []string{"a", "b"},
		"m":     map[string]string{"k": "v"},
		"num":   json.Number("12.5"),
		"nil":   nil,
	}}}
	tests := []struct {
		crit string
		want bool
	}{
		{`{"service.additionalInfo.n":{"Equals":["3"]}}`, true},
		{`{"service.additionalInfo.n":{"Gt":2}}`, true},
		{`{"service.additionalInfo.names":{"Equals":["b"]}}`, true},
		{`{"service.additionalInfo.m.k":{"Equals":["v"]}}`, true},
		{`{"service.additionalInfo.num":{"Lt":13}}`, true},
		{`{"service.additionalInfo.nil":{"Matches":["*"]}}`, false},
		{`{"service.additionalInfo.nil":{"NotEquals":["x"]}}`, true},
		{`{"service.additionalInfo.n.deeper":{"Equals":["3"]}}`, false},
	}
	for _, tt := range tests {
		c := mustCriteria(t, `{"Criterion":`+tt.crit+`}`)
		if got := c.Match(&f); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.crit, got, tt.want)
		}
	}
}

// TestDocumentedExamples runs GuardDuty's own filter examples.
func TestDocumentedExamples(t *testing.T) {
	fx := loadFixtures(t)

	// findings_suppression-rule.md: "suppress any unarchived findings
	// where a DNS request to test.example.com was made".
	c := mustCriteria(t, `{
        "Criterion": {
            "service.archived": {"Eq": ["false"]},
            "service.action.dnsRequestAction.domain": {"Eq": ["test.example.com"]}
        }
    }`)
	for n, f := range fx {
		if got, want := c.Match(f), n == "dns"; got != want {
			t.Errorf("DNS suppression example on %s: %v, want %v", n, got, want)
		}
	}

	// aws guardduty create-filter: Portscan findings for one AMI. Picket's
	// findings carry no imageId, so it parses but matches nothing.
	c = mustCriteria(t, `{"Criterion": {"type": {"Eq": ["Recon:EC2/Portscan"]},"resource.instanceDetails.imageId": {"Eq": ["ami-0a7a207083example"]}}}`)
	if got := c.Unpopulated(); !slices.Equal(got, []string{"resource.instanceDetails.imageId"}) {
		t.Errorf("Unpopulated = %v", got)
	}
	f := *fx["portprobe"]
	f.Type = "Recon:EC2/Portscan"
	if c.Match(&f) {
		t.Error("imageId criterion matched a finding without an image ID")
	}

	// findings_suppression-rule.md "Common use cases", written as terms.
	for _, terms := range [][]string{
		{"type=UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", "service.action.awsApiCallAction.remoteIpDetails.ipAddressV4=198.51.100.6"},
		{"type=Recon:EC2/Portscan", "resource.instanceDetails.imageId=ami-999999999"},
		{"type=UnauthorizedAccess:EC2/SSHBruteForce", "resource.instanceDetails.tags.value=devops"},
		{"type=Recon:EC2/PortProbeUnprotectedPort", "resource.instanceDetails.tags.key=prod"},
	} {
		c, err := ParseTerms(terms)
		if err != nil {
			t.Errorf("%v: %v", terms, err)
			continue
		}
		want := terms[0] == "type=UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"
		if got := c.Match(fx["iam_exfil"]); got != want {
			t.Errorf("%v on iam_exfil: %v, want %v", terms, got, want)
		}
	}
}

func TestSharedCLIExample(t *testing.T) {
	dir := testutil.SharedData(t, "aws-docs-samples", "aws-cli-examples", "guardduty")
	// list-findings example 3: its criteria, and its output finding ID,
	// which is the finding get-findings example 1 prints.
	crit, err := os.ReadFile(filepath.Join(dir, "list-findings.3.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := mustCriteria(t, string(crit))
	raw, err := os.ReadFile(filepath.Join(dir, "get-findings.1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Findings []finding.Finding }
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Findings) != 1 {
		t.Fatalf("%d findings", len(out.Findings))
	}
	f := out.Findings[0]
	if f.ID != "1ab92989eaf0e742df4a014d5example" || f.Resource.AccessKeyDetails == nil {
		t.Fatalf("decoded %+v", f)
	}
	if !c.Match(&f) {
		t.Errorf("documented criteria %s did not match the documented finding", c)
	}
	f.Service.Archived = true
	if c.Match(&f) {
		t.Error("matched an archived finding")
	}
	f.Service.Archived = false
	f.Resource.AccessKeyDetails.UserName = "Testuser"
	if c.Match(&f) {
		t.Error("userName matched case-insensitively")
	}
	n, sample := Preview(mustCriteria(t, `{"Criterion":{"type":{"Matches":["Recon:IAMUser/*"]}}}`), out.Findings)
	if n != 1 || !slices.Equal(sample, []string{"1ab92989eaf0e742df4a014d5example"}) {
		t.Errorf("Preview = %d, %v", n, sample)
	}
	if strings.Contains(c.String(), `"Eq"`) {
		t.Errorf("deprecated name kept: %s", c)
	}
}

// TestOmitEmpty: presence follows encoding/json. An omitempty field with
// an empty value is missing; a field without omitempty is present.
func TestOmitEmpty(t *testing.T) {
	f := finding.Finding{
		Resource: finding.Resource{AccessKeyDetails: &finding.AccessKeyDetails{UserName: ""}},
		Service: finding.Service{Action: finding.Action{NetworkConnectionAction: &finding.NetworkConnectionAction{
			LocalPortDetails: &finding.PortDetails{Port: 0},
		}}},
	}
	tests := []struct {
		crit string
		want bool
	}{
		{`{"resource.accessKeyDetails.userName":{"Matches":["*"]}}`, false},   // omitempty ""
		{`{"resource.accessKeyDetails.userName":{"NotMatches":["*"]}}`, true}, // so missing
		{`{"service.action.networkConnectionAction.localPortDetails.port":{"Equals":["0"]}}`, true},
		{`{"service.action.networkConnectionAction.blocked":{"Equals":["false"]}}`, true},
		{`{"service.action.networkConnectionAction.protocol":{"Matches":["*"]}}`, true}, // no omitempty
		{`{"service.action.awsApiCallAction.api":{"Matches":["*"]}}`, false},            // nil pointer
		{`{"updatedAt":{"LessThan":"2000-01-01T00:00:00Z"}}`, false},                    // zero time is missing
		{`{"updatedAt":{"NotEquals":["0"]}}`, true},
	}
	for _, tt := range tests {
		c := mustCriteria(t, `{"Criterion":`+tt.crit+`}`)
		if got := c.Match(&f); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.crit, got, tt.want)
		}
	}
}

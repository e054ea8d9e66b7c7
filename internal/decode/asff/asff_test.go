package asff

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/guardduty"
	"github.com/picket-dev/picket/internal/decode/jsonstream"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

type collector struct {
	events []*event.Event
	bad    []decode.Bad
}

func (c *collector) Event(e *event.Event) error {
	ce := e.Clone()
	f := *e.Finding
	f.Detach()
	ce.Finding = &f
	c.events = append(c.events, ce)
	return nil
}

func (c *collector) Quarantine(b decode.Bad) error {
	b.Sample = append([]byte(nil), b.Sample...)
	c.bad = append(c.bad, b)
	return nil
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeBytes(t testing.TB, b []byte, o decode.Options) (*collector, decode.Stats) {
	t.Helper()
	var c collector
	st, err := New().Decode(context.Background(), bytes.NewReader(b), o, &c)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if st.Events != int64(len(c.events)) || st.Quarantined != int64(len(c.bad)) || st.Events+st.Quarantined+st.Skipped != st.Records {
		t.Fatalf("stats %+v do not add up (handler saw %d events, %d bad)", st, len(c.events), len(c.bad))
	}
	if st.Bytes != int64(len(b)) {
		t.Fatalf("Bytes = %d of %d", st.Bytes, len(b))
	}
	return &c, st
}

func ts(s string) time.Time {
	t, err := decode.ParseTime([]byte(s))
	if err != nil {
		panic(err)
	}
	return t
}

func js(x any) string {
	b, _ := json.MarshalIndent(x, "", " ")
	return string(b)
}

func ids(evs []*event.Event) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

const (
	inspectorID = "arn:aws:inspector2:eu-west-1:111122223333:finding/0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	macieID     = "arn:aws:macie2:eu-west-1:111122223333:finding/5f0c3ab2d1e4"
	analyzerID  = "arn:aws:access-analyzer:eu-west-1:111122223333:analyzer/org/arn:aws:iam::111122223333:role/deploy"
	decoyID     = "decoy-7f3e9c1a"
	gdID        = "arn:aws:guardduty:eu-west-1:111122223333:detector/12abc34d567e8fa901bc2d34e56789f0/finding/b2000000000000000000000000000005"
	falcoID     = "falco-9d1c"
)

// TestTestdata decodes every testdata file and checks what each holds.
func TestTestdata(t *testing.T) {
	for _, tc := range []struct {
		file      string
		ids       []string
		bad, skip int64
		reasons   []string
	}{
		{file: "findings.jsonl", ids: []string{inspectorID, macieID, analyzerID, decoyID, gdID, falcoID}},
		{file: "batch-import.json", ids: []string{macieID, analyzerID, falcoID}},
		// Imported (two findings), Custom Action and Insight Results
		// (skipped), OCSF (not supported), Imported.
		{file: "eventbridge.json", ids: []string{inspectorID, gdID, decoyID}, bad: 1, skip: 2,
			reasons: []string{`EventBridge event: unsupported Security Hub event "Findings Imported V2"`}},
		// An SNS notification and a CloudWatch Logs message, each holding
		// an EventBridge event.
		{file: "wrapped.json", ids: []string{analyzerID, falcoID, macieID}},
		// GuardDuty's own shape is not ASFF.
		{file: "guardduty-finding.json", bad: 1, reasons: []string{"not an ASFF finding: no Id, AwsAccountId, ProductArn or GeneratorId"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c, st := decodeBytes(t, readTestdata(t, tc.file), decode.Options{Origin: event.Origin{Path: tc.file}})
			if got := ids(c.events); !reflect.DeepEqual(got, append([]string{}, tc.ids...)) {
				t.Errorf("ids %v, want %v", got, tc.ids)
			}
			if st.Quarantined != tc.bad || st.Skipped != tc.skip {
				t.Errorf("stats %+v", st)
			}
			for i, r := range tc.reasons {
				if c.bad[i].Reason != r {
					t.Errorf("reason %q, want %q", c.bad[i].Reason, r)
				}
			}
			for _, e := range c.events {
				var raw struct{ Id string }
				if err := json.Unmarshal(e.RawBytes, &raw); err != nil || raw.Id != e.ID || e.Kind != event.KindFinding || e.Raw == nil {
					t.Errorf("event %s: RawBytes %.60s", e.ID, e.RawBytes)
				}
				checkResidue(t, e)
			}
		})
	}
}

// copied are the attributes the residue leaves out.
var copied = map[string]bool{"Id": true, "SchemaVersion": true, "ProductArn": true, "ProductName": true, "GeneratorId": true, "AwsAccountId": true,
	"Region": true, "Title": true, "Description": true, "CreatedAt": true, "UpdatedAt": true, "FirstObservedAt": true, "LastObservedAt": true}

// checkResidue checks that AdditionalInfo["asff"] holds every other
// top-level attribute, whole.
func checkResidue(t *testing.T, e *event.Event) {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(e.RawBytes, &raw); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{}
	for k, v := range raw {
		if !copied[k] {
			want[k] = v
		}
	}
	got, _ := e.Finding.Service.AdditionalInfo["asff"].(map[string]any)
	if len(want) == 0 && got == nil {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: residue\n%s\nwant\n%s", e.ID, js(got), js(want))
	}
}

// TestMapping checks the findings of findings.jsonl field by field.
func TestMapping(t *testing.T) {
	c, _ := decodeBytes(t, readTestdata(t, "findings.jsonl"), decode.Options{})
	const acct = "111122223333"
	type want struct {
		typ, service, detector, role, partition string
		sev                                     float64
		resource                                finding.Resource
		action                                  finding.Action
		count                                   int64
		first, last, time                       string
		archived                                bool
		keys                                    string
		info                                    map[string]any
	}
	wants := map[string]want{
		inspectorID: {typ: "Vulnerability:EC2/AWSInspector.SecurityHub", service: "inspector", detector: "AWSInspector", sev: 7, partition: "aws",
			resource: finding.Resource{ResourceType: "Instance", InstanceDetails: &finding.InstanceDetails{InstanceID: "i-0a1b2c3d4e5f60718", NetworkInterfaces: []finding.NetworkInterface{
				{NetworkInterfaceID: "eni-0123456789abcdef0", PrivateIPAddress: "10.0.1.25", VpcID: "vpc-0a1b2c3d", SubnetID: "subnet-0a1b2c3d"}, {NetworkInterfaceID: "eni-0fedcba9876543210"}}}},
			count: 1, first: "2026-02-20T08:00:00Z", last: "2026-03-02T08:00:00Z", time: "2026-03-02T08:01:00Z", keys: "asff:" + inspectorID},
		macieID: {typ: "SensitiveData:S3Object/Personal", service: "macie", detector: "aws/macie/classification", sev: 4, partition: "aws",
			resource: finding.Resource{ResourceType: "S3Bucket", S3BucketDetails: []finding.S3BucketDetail{{Arn: "arn:aws:s3:::customer-exports", Name: "customer-exports"}}},
			count:    1, first: "2026-03-01T12:00:00Z", last: "2026-03-01T12:00:00Z", time: "2026-03-01T12:00:00Z", keys: "asff:" + macieID},
		analyzerID: {typ: "Policy:IAMRole/access-analyzer.SecurityHub", service: "iam access analyzer", detector: "aws/access-analyzer", sev: 1, partition: "aws",
			resource: finding.Resource{ResourceType: "AwsIamRole"}, archived: true,
			count: 1, first: "2026-02-01T00:00:00Z", last: "2026-02-10T00:00:00Z", time: "2026-02-10T00:00:00Z", keys: "asff:" + analyzerID},
		decoyID: {typ: "CredentialAccess:IAMUser/ssm.amazonaws.com.SecurityHub", service: "decoydetector", detector: "ssm.amazonaws.com", sev: 9.5, role: "ACTOR", partition: "aws",
			resource: finding.Resource{ResourceType: "AccessKey", AccessKeyDetails: &finding.AccessKeyDetails{AccessKeyID: "AKIAEXAMPLEKEY000003", PrincipalID: "AIDAEXAMPLEUSER00003", UserName: "carol", UserType: "IAMUser"}},
			action: finding.Action{ActionType: "AWS_API_CALL", AwsAPICallAction: &finding.AwsAPICallAction{API: "GetParameter", ServiceName: "ssm.amazonaws.com", CallerType: "remoteIp",
				RemoteIPDetails: &finding.RemoteIPDetails{IPAddressV4: "198.51.100.23"}}},
			archived: true, count: 1, first: "2026-03-02T09:00:00Z", last: "2026-03-02T09:05:00Z", time: "2026-03-02T09:05:00Z", keys: "asff:" + decoyID},
		gdID: {typ: "Recon:EC2/PortProbeUnprotectedPort", service: "guardduty", detector: "12abc34d567e8fa901bc2d34e56789f0", sev: 2, role: "TARGET", partition: "aws",
			resource: finding.Resource{ResourceType: "Instance", InstanceDetails: &finding.InstanceDetails{InstanceID: "i-0a1b2c3d4e5f60718",
				NetworkInterfaces: []finding.NetworkInterface{{PrivateIPAddress: "10.0.1.25", VpcID: "vpc-0a1b2c3d", SubnetID: "subnet-0a1b2c3d"}}}},
			action: finding.Action{ActionType: "PORT_PROBE", PortProbeAction: &finding.PortProbeAction{PortProbeDetails: []finding.PortProbeDetail{
				{LocalPortDetails: &finding.PortDetails{Port: 3389, PortName: "RDP"}, RemoteIPDetails: &finding.RemoteIPDetails{IPAddressV4: "192.0.2.44"}},
				{LocalPortDetails: &finding.PortDetails{Port: 22}, RemoteIPDetails: &finding.RemoteIPDetails{IPAddressV4: "192.0.2.45"}}}}},
			count: 3, first: "2026-03-02T09:00:00Z", last: "2026-03-02T09:30:00Z", time: "2026-03-02T09:35:00Z", keys: "guardduty:b2000000000000000000000000000005",
			info: map[string]any{"sample": true, "threatListName": "Example"}},
		falcoID: {typ: "Execution:EKS/Terminal-shell-in-container.SecurityHub", service: "falco", detector: "falco/rules/Terminal shell in container", sev: 9, partition: "aws",
			resource: finding.Resource{ResourceType: "EKSCluster", EksClusterDetails: &finding.EksClusterDetails{Name: "prod", Arn: "arn:aws:eks:eu-west-1:111122223333:cluster/prod"}},
			count:    1, first: "2026-03-02T10:20:00Z", last: "2026-03-02T10:20:00Z", time: "2026-03-02T10:20:00Z", keys: "asff:" + falcoID},
	}
	if len(c.events) != len(wants) {
		t.Fatalf("%d events", len(c.events))
	}
	for _, e := range c.events {
		w, f := wants[e.ID], e.Finding
		var raw struct{ Title, Description, CreatedAt, UpdatedAt, ProductArn, GeneratorId string }
		if err := json.Unmarshal(e.RawBytes, &raw); err != nil {
			t.Fatal(err)
		}
		if e.Account != acct || e.Region != "eu-west-1" || !e.Time.Equal(ts(w.time)) {
			t.Errorf("%s: event %s %s %v", e.ID, e.Account, e.Region, e.Time)
		}
		if f.Type != w.typ || f.Severity != w.sev || f.AccountID != acct || f.Region != "eu-west-1" || f.Partition != w.partition || f.ID != e.ID ||
			f.Title != raw.Title || f.Description != raw.Description || !f.CreatedAt.Equal(ts(raw.CreatedAt)) || !f.UpdatedAt.Equal(ts(raw.UpdatedAt)) {
			t.Errorf("%s: %q %v %q %q %q %v %v", e.ID, f.Type, f.Severity, f.AccountID, f.Region, f.Partition, f.CreatedAt, f.UpdatedAt)
		}
		if !reflect.DeepEqual(f.Resource, w.resource) {
			t.Errorf("%s: resource\n%s\nwant\n%s", e.ID, js(f.Resource), js(w.resource))
		}
		s := &f.Service
		if !reflect.DeepEqual(s.Action, w.action) {
			t.Errorf("%s: action\n%s\nwant\n%s", e.ID, js(s.Action), js(w.action))
		}
		if s.ServiceName != w.service || s.DetectorID != w.detector || s.Count != w.count || s.ResourceRole != w.role || s.Archived != w.archived ||
			!s.EventFirstSeen.Equal(ts(w.first)) || !s.EventLastSeen.Equal(ts(w.last)) {
			t.Errorf("%s: service %+v", e.ID, s)
		}
		if f.Keys != (finding.Keys{Resource: w.keys}) {
			t.Errorf("%s: keys %+v", e.ID, f.Keys)
		}
		src := map[string]any{"producer": w.service, "format": "asff", "id": e.ID, "productArn": raw.ProductArn, "generatorId": raw.GeneratorId,
			"createdAt": ts(raw.CreatedAt).Format(time.RFC3339Nano), "updatedAt": ts(raw.UpdatedAt).Format(time.RFC3339Nano)}
		if !reflect.DeepEqual(s.AdditionalInfo["source"], src) {
			t.Errorf("%s: source %v", e.ID, s.AdditionalInfo["source"])
		}
		for k, v := range w.info {
			if !reflect.DeepEqual(s.AdditionalInfo[k], v) {
				t.Errorf("%s: additionalInfo[%s] = %#v", e.ID, k, s.AdditionalInfo[k])
			}
		}
		if n := len(s.AdditionalInfo) - len(w.info) - 2; n != 0 {
			t.Errorf("%s: additionalInfo has %d unexpected keys: %v", e.ID, n, s.AdditionalInfo)
		}
	}
}

// TestSameFindingBothWays reads one GuardDuty finding as GuardDuty sends it
// and as Security Hub forwards it in ASFF: sealed, both are the same Picket
// finding (same fingerprint), with the same type, severity, count, seen
// window and action.
func TestSameFindingBothWays(t *testing.T) {
	gd, err := guardduty.Parse(readTestdata(t, "guardduty-finding.json"))
	if err != nil || len(gd) != 1 {
		t.Fatal(err)
	}
	c, _ := decodeBytes(t, readTestdata(t, "findings.jsonl"), decode.Options{})
	var a *finding.Finding
	for _, e := range c.events {
		if e.ID == gdID {
			a = e.Finding
		}
	}
	g := gd[0].Finding
	g.Seal()
	a.Seal()
	if g.ID != a.ID || g.Type != a.Type || g.Severity != a.Severity || g.Service.Count != a.Service.Count || g.Service.DetectorID != a.Service.DetectorID ||
		!g.Service.EventFirstSeen.Equal(a.Service.EventFirstSeen) || !g.Service.EventLastSeen.Equal(a.Service.EventLastSeen) ||
		g.Service.ResourceRole != a.Service.ResourceRole || g.Service.FeatureName != a.Service.FeatureName || g.Service.ServiceName != a.Service.ServiceName {
		t.Errorf("GuardDuty's\n%s\nASFF's\n%s", js(g), js(a))
	}
	// The ASFF action has no portName for port 22: GuardDuty's finding has
	// none either.
	if !reflect.DeepEqual(g.Service.Action, a.Service.Action) {
		t.Errorf("actions differ\n%s\n%s", js(g.Service.Action), js(a.Service.Action))
	}
	for _, k := range []string{"sample", "threatListName"} {
		if g.Service.AdditionalInfo[k] != a.Service.AdditionalInfo[k] {
			t.Errorf("additionalInfo[%s]: %v vs %v", k, g.Service.AdditionalInfo[k], a.Service.AdditionalInfo[k])
		}
	}
}

func TestGuardDutyType(t *testing.T) {
	for _, tc := range []struct {
		in   string
		gd   bool
		want string
	}{
		{"TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce", true, "UnauthorizedAccess:EC2/SSHBruteForce"},
		{"TTPs/PenTest:IAMUser/KaliLinux", true, "PenTest:IAMUser/KaliLinux"},
		{"TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS", true, "Backdoor:EC2/C&CActivity.B!DNS"},
		{"TTPs/Command and Control/Trojan:EC2-DNSDataExfiltration!DNS", true, "Trojan:EC2/DNSDataExfiltration"},
		{"TTPs/Command and Control/Trojan:EC2-DNSDataExfiltration!DNS", false, "Trojan:EC2/DNSDataExfiltration!DNS"},
		{"Sensitive Data Identifications/PII/SensitiveData:S3Object-Personal", false, "SensitiveData:S3Object/Personal"},
		{"Unusual Behaviors/VM/Behavior:EC2-NetworkPortUnusual", true, "Behavior:EC2/NetworkPortUnusual"},
		{"Software and Configuration Checks/Vulnerabilities/CVE", false, ""},
		{"TTPs/Initial Access/Foo bar:Baz-qux", false, ""}, // a purpose with a space
		{"TTPs/Initial Access/Foo:Ba z-qux", false, ""},    // a resource with a space
		{"TTPs/Initial Access/Foo:Bar-", false, ""},        // no name
		{"TTPs/Initial Access/Foo:Bar-baz qux", false, ""}, // a name with a space
		{"TTPs/Initial Access/foo:Bar-baz", false, ""},     // not capitalized
		{"Effects/Data Exposure/Policy:S3-BucketBlockPublicAccessDisabled", true, "Policy:S3/BucketBlockPublicAccessDisabled"},
		{"", false, ""},
	} {
		got, ok := GuardDutyType(tc.in, tc.gd)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("GuardDutyType(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}

func TestBuiltTypeParts(t *testing.T) {
	for in, want := range map[string]string{
		"TTPs/Initial Access": "InitialAccess", "TTPs/Command and Control/x": "CommandAndControl", "TTPs": "TTP",
		"Effects/Data Exfiltration": "Exfiltration", "Effects/Resource Consumption": "Impact",
		"Unusual Behaviors/User": "Behavior", "Software and Configuration Checks/Vulnerabilities/CVE": "Vulnerability",
		"Software and Configuration Checks/Industry and Regulatory Standards/CIS": "Policy",
		"Sensitive Data Identifications/PII":                                      "SensitiveData", "custom namespace/x": "CustomNamespace", "": "Finding", "!!!": "Finding",
	} {
		if got := Purpose(in); got != want {
			t.Errorf("Purpose(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"AwsEc2Instance": "EC2", "AwsEc2SecurityGroup": "EC2", "AwsIamAccessKey": "IAMUser", "AwsIamUser": "IAMUser", "AwsIamRole": "IAMRole",
		"AwsIamPolicy": "IAM", "AwsS3Bucket": "S3", "AwsS3Object": "S3", "AwsEksCluster": "EKS", "AwsLambdaFunction": "Lambda",
		"AwsRdsDbInstance": "RDS", "AwsEcsCluster": "ECS", "AwsAccount": "Account", "AwsCloudTrailTrail": "CloudTrailTrail",
		"Other": "Other", "Container": "Container", "": "Unknown", "Aws": "Unknown", "Weird Type!": "Weird-Type",
	} {
		if got := ResourceToken(in); got != want {
			t.Errorf("ResourceToken(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"aws-foundational-security-best-practices/v/1.0.0/CloudTrail.2":                      "CloudTrail.2",
		"arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/2.7":       "cis-aws-foundations-benchmark.2.7",
		"cis-aws-foundations-benchmark/v/1.4.0/3.7":                                          "cis-aws-foundations-benchmark.3.7",
		"security-control/CloudTrail.2":                                                      "CloudTrail.2",
		"ssm.amazonaws.com":                                                                  "ssm.amazonaws.com",
		"arn:aws:guardduty:us-east-1:111122223333:detector/d4b040365221be2b54a6264dc9a4bc64": "d4b040365221be2b54a6264dc9a4bc64",
		"arn:aws:inspector2:us-east-1:111122223333:rule":                                     "rule",
		"falco/rules/Terminal shell in container":                                            "Terminal-shell-in-container",
		"":      "Unknown",
		"1.2/3": "3",
	} {
		if got := GeneratorName(in); got != want {
			t.Errorf("GeneratorName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSeverity checks the severity rules on Severity objects.
func TestSeverity(t *testing.T) {
	base := `{"Id":"s","AwsAccountId":"111122223333","Region":"us-east-1","GeneratorId":"g","Types":["TTPs"],`
	for _, tc := range []struct {
		product, sev string
		want         float64
		err          string
	}{
		{"", `"Severity":{"Label":"CRITICAL"}`, 9, ""},
		{"", `"Severity":{"Label":"HIGH"}`, 8, ""},
		{"", `"Severity":{"Label":"MEDIUM"}`, 5, ""},
		{"", `"Severity":{"Label":"LOW"}`, 2, ""},
		{"", `"Severity":{"Label":"INFORMATIONAL"}`, 1, ""},
		{"", `"Severity":{"Normalized":0}`, 1, ""},
		{"", `"Severity":{"Normalized":55}`, 5.5, ""},
		{"", `"Severity":{"Normalized":"85"}`, 8.5, ""},
		{"", `"Severity":{"Normalized":100}`, 10, ""},
		{"", `"Severity":{"Label":"HIGH","Normalized":75}`, 7.5, ""},
		{"", `"Severity":{"Label":"HIGH","Normalized":40}`, 8, ""}, // they disagree: the Label wins
		{"", `"Severity":{"Label":"INFORMATIONAL","Normalized":0,"Product":0}`, 1, ""},
		{"", `"FindingProviderFields":{"Severity":{"Label":"LOW","Original":"2"}}`, 2, ""},
		{"", `"Severity":{"Product":2}`, 0, "field Severity: no Label or Normalized"},
		{"GuardDuty", `"Severity":{"Product":5.3,"Label":"MEDIUM","Normalized":53}`, 5.3, ""},
		{"GuardDuty", `"Severity":{"Product":0,"Label":"MEDIUM","Normalized":40}`, 4, ""},
		{"GuardDuty", `"Severity":{"Product":"x","Label":"LOW"}`, 2, ""},
		{"GuardDuty", `"FindingProviderFields":{"Severity":{"Original":"8.0","Label":"HIGH"}}`, 8, ""},
		{"", `"Severity":{"Label":"SEVERE"}`, 0, `field Severity.Label: unknown severity label "SEVERE"`},
		{"", `"Severity":{"Normalized":"high"}`, 0, `field Severity.Normalized: not a number: "high"`},
		{"", `"Severity":{"Normalized":101}`, 0, "field Severity.Normalized: not from 0 to 100: 101"},
		{"", `"Severity":{"Normalized":-1}`, 0, "field Severity.Normalized: not from 0 to 100: -1"},
		{"", `"Severity":"HIGH"`, 0, "field Severity: expected an object, got string"},
		{"", `"Severity":{"Label":4}`, 0, "field Severity.Label: expected a string, got number"},
		{"", `"Title":"no severity"`, 0, "field Severity is missing"},
	} {
		in := base + tc.sev
		if tc.product != "" {
			in += `,"ProductName":"` + tc.product + `"`
		}
		evs, err := Parse([]byte(in + "}"))
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.sev, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.sev, err)
		case evs[0].Finding.Severity != tc.want:
			t.Errorf("%s: severity %v, want %v", tc.sev, evs[0].Finding.Severity, tc.want)
		}
	}
}

// TestBad feeds bad records, each followed by a good one.
func TestBad(t *testing.T) {
	good := `{"SchemaVersion":"2018-10-08","Id":"g1","ProductArn":"arn:aws:securityhub:us-east-1::product/aws/securityhub","GeneratorId":"security-control/S3.1","AwsAccountId":"111122223333","Types":["Software and Configuration Checks"],"CreatedAt":"2026-01-01T00:00:00Z","UpdatedAt":"2026-01-01T00:00:00Z","Severity":{"Label":"LOW"},"Title":"t","Description":"d","Resources":[{"Type":"AwsAccount","Id":"AWS::::Account:111122223333","Region":"us-east-1"}]}`
	mk := func(edit func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal([]byte(good), &m); err != nil {
			panic(err)
		}
		edit(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	res := func(k string, v any) func(m map[string]any) {
		return func(m map[string]any) { m["Resources"].([]any)[0].(map[string]any)[k] = v }
	}
	for _, tc := range []struct{ name, in, reason string }{
		{"malformed", `{"Id":`, "record is truncated"},
		{"not a finding", `{"a":1}`, "not an ASFF finding: no Id, AwsAccountId, ProductArn or GeneratorId"},
		{"scalar in array", `["x"]`, "not an ASFF finding: expected a JSON object, got string"},
		{"no id", mk(func(m map[string]any) { delete(m, "Id") }), "field Id is missing"},
		{"no account", mk(func(m map[string]any) { delete(m, "AwsAccountId") }), "field AwsAccountId is missing"},
		{"bad account", mk(func(m map[string]any) { m["AwsAccountId"] = "me" }), `field AwsAccountId: not an AWS account ID: "me"`},
		{"id number", mk(func(m map[string]any) { m["Id"] = 5 }), "field Id: expected a string, got number"},
		{"no type", mk(func(m map[string]any) { delete(m, "Types"); delete(m, "GeneratorId") }), "fields Types and GeneratorId are missing"},
		{"types string", mk(func(m map[string]any) { m["Types"] = "TTPs" }), "field Types: expected an array, got string"},
		{"types element", mk(func(m map[string]any) { m["Types"] = []any{1} }), "field Types[0]: expected a string, got number"},
		{"resources object", mk(func(m map[string]any) { m["Resources"] = map[string]any{} }), "field Resources: expected an array, got object"},
		{"resource string", mk(func(m map[string]any) { m["Resources"] = []any{"x"} }), "field Resources[0]: expected an object, got string"},
		{"resource type", mk(res("Type", 1)), "field Resources[0].Type: expected a string, got number"},
		{"details", mk(res("Details", "x")), "field Resources[0].Details: expected an object, got string"},
		{"ec2 details", mk(func(m map[string]any) {
			r := m["Resources"].([]any)[0].(map[string]any)
			r["Type"], r["Details"] = "AwsEc2Instance", map[string]any{"AwsEc2Instance": map[string]any{"IpV4Addresses": "10.0.0.1"}}
		}), "field Resources[0].Details.AwsEc2Instance.IpV4Addresses: expected an array, got string"},
		{"time", mk(func(m map[string]any) { m["UpdatedAt"] = "now" }), `field UpdatedAt: not a time: "now"`},
		{"product fields", mk(func(m map[string]any) { m["ProductFields"] = map[string]any{"x": 1} }), "field ProductFields.x: expected a string, got number"},
		{"gd product fields", mk(func(m map[string]any) {
			m["ProductName"] = "GuardDuty"
			m["ProductFields"] = map[string]any{"aws/guardduty/service/count": "many"}
		}), `field ProductFields (GuardDuty's service fields): field service.count: not a number: "many"`},
		{"action", mk(func(m map[string]any) { m["Action"] = map[string]any{"ActionType": 1} }), "field Action.actionType: expected a string, got number"},
		{"workflow", mk(func(m map[string]any) { m["Workflow"] = "NEW" }), "field Workflow: expected an object, got string"},
		{"record state", mk(func(m map[string]any) { m["RecordState"] = true }), "field RecordState: expected a string, got true"},
		{"no region", mk(func(m map[string]any) { delete(m, "Resources"); m["ProductArn"] = "x" }), "field Region is missing"},
		{"NaN", strings.Replace(good, `"Title":"t"`, `"Title":"t","Confidence":NaN`, 1), "field Confidence: not a JSON number: NaN"},
		{"detail findings", `{"detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","detail":{"findings":{}}}`, "EventBridge event: field detail.findings: expected an array, got object"},
		{"detail finding", `{"detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","detail":{"findings":[{"Id":"x"}]}}`,
			"EventBridge event: field detail.findings[0]: field AwsAccountId is missing"},
		{"guardduty event", `{"detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{}}`, `EventBridge event: not an ASFF finding: an event from "aws.guardduty"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := decodeBytes(t, []byte(tc.in+"\n"+good+"\n"), decode.Options{Origin: event.Origin{Path: "p"}})
			if len(c.bad) != 1 || len(c.events) != 1 || c.events[0].ID != "g1" {
				t.Fatalf("%d bad, %d events: %+v", len(c.bad), len(c.events), c.bad)
			}
			if b := c.bad[0]; !strings.Contains(b.Reason, tc.reason) || b.Origin.Path != "p" || b.Origin.Index != 0 || b.Origin.Line != 1 {
				t.Errorf("bad %q %+v, want %q", b.Reason, b.Origin, tc.reason)
			}
			if e := c.events[0]; e.Origin.Index != 1 || e.Origin.Line != 2 {
				t.Errorf("good record's origin %+v", e.Origin)
			}
		})
	}
}

func TestStreamEdges(t *testing.T) {
	good := readTestdata(t, "findings.jsonl")
	c, _ := decodeBytes(t, append(append([]byte{}, good...), good[:50]...), decode.Options{})
	if len(c.events) != 6 || len(c.bad) != 1 || !c.bad[0].Tail || !errors.Is(c.bad[0].Err, jsonstream.ErrTruncated) {
		t.Fatalf("truncated: %d events, %+v", len(c.events), c.bad)
	}
	c, _ = decodeBytes(t, good, decode.Options{MaxRecordBytes: 1200}) // lines of 1690, 1009, 886, 1415, 2932, 682 bytes
	if len(c.events) != 3 || len(c.bad) != 3 || !errors.Is(c.bad[0].Err, jsonstream.ErrTooLarge) || c.bad[2].Origin.Index != 4 {
		t.Fatalf("too large: %d events, %d bad", len(c.events), len(c.bad))
	}
	for _, file := range []string{"findings.jsonl", "eventbridge.json", "wrapped.json", "batch-import.json"} {
		in := readTestdata(t, file)
		whole, st1 := decodeBytes(t, in, decode.Options{})
		var c collector
		st2, err := New().Decode(context.Background(), iotest.OneByteReader(bytes.NewReader(in)), decode.Options{}, &c)
		if err != nil || st1 != st2 || !reflect.DeepEqual(ids(whole.events), ids(c.events)) {
			t.Errorf("%s one byte at a time: %+v vs %+v, %v", file, st1, st2, err)
		}
		// Resuming from each record index delivers the findings from there.
		for start := int64(0); start <= st1.Records; start++ {
			c2, st3 := decodeBytes(t, in, decode.Options{Start: start})
			var want []string
			for _, e := range whole.events {
				if e.Origin.Index >= start {
					want = append(want, e.ID)
				}
			}
			if got := ids(c2.events); st3.Records != st1.Records || !reflect.DeepEqual(got, append([]string{}, want...)) {
				t.Errorf("%s from %d: %v, want %v", file, start, got, want)
			}
		}
	}
}

func TestSniff(t *testing.T) {
	for _, file := range []string{"findings.jsonl", "eventbridge.json", "batch-import.json", "wrapped.json"} {
		if !Sniff(readTestdata(t, file)) {
			t.Errorf("Sniff does not recognise %s", file)
		}
	}
	if Sniff(readTestdata(t, "guardduty-finding.json")) || guardduty.Sniff(readTestdata(t, "findings.jsonl")) {
		t.Error("asff and guardduty both claim a file")
	}
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{`{"Findings":[{"SchemaVersion":"2018-10-08","Id":"x"}]}`, true},
		{`{"AwsAccountId":"111122223333"}`, true},
		{`{"Message":"{\"source\":\"aws.securityhub\"}"}`, true},
		{`{"eventVersion":"1.08","eventName":"BatchImportFindings","requestParameters":{"findings":[{"AwsAccountId":"1","ProductArn":"p"}]}}`, false},
		{`{"detail-type":"GuardDuty Finding","source":"aws.guardduty"}`, false},
		{`{"query_name":"x.","ProductArn":"y"}`, false},
		{`{"auditID":"x","ProductArn":"y"}`, false},
		{`version account-id interface-id`, false},
		{``, false},
	} {
		if got := Sniff([]byte(tc.in)); got != tc.want {
			t.Errorf("Sniff(%.60s) = %v", tc.in, got)
		}
	}
}

func TestParse(t *testing.T) {
	in := readTestdata(t, "findings.jsonl")
	evs, err := Parse(in)
	if err != nil || len(evs) != 6 {
		t.Fatal(len(evs), err)
	}
	want := js(evs[4].Finding)
	for i := range in {
		in[i] = ' '
	}
	if js(evs[4].Finding) != want {
		t.Fatal("Parse's events borrow the input")
	}
}

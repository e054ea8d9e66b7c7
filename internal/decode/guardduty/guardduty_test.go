package guardduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/jsonstream"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// collector keeps copies of what a decoder hands out.
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
	checkStats(t, st, int64(len(c.events)), int64(len(c.bad)))
	if st.Bytes != int64(len(b)) {
		t.Fatalf("Bytes = %d of %d", st.Bytes, len(b))
	}
	return &c, st
}

func checkStats(t testing.TB, st decode.Stats, events, bad int64) {
	t.Helper()
	if st.Events != events || st.Quarantined != bad || st.Events+st.Quarantined+st.Skipped != st.Records {
		t.Fatalf("stats %+v do not add up (handler saw %d events, %d bad)", st, events, bad)
	}
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ids(evs []*event.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

// TestTestdata decodes every testdata file and checks what each holds: the
// findings (in order), the records quarantined and skipped.
func TestTestdata(t *testing.T) {
	const p = "a10000000000000000000000000000"
	for _, tc := range []struct {
		file      string
		ids       []string
		bad, skip int64
		reasons   []string
	}{
		{file: "findings.jsonl", ids: []string{p + "01", p + "02", p + "03", p + "04", p + "05", p + "06", p + "07"}},
		// A finding, a malware scan result (skipped), a finding, a Security
		// Hub event (not GuardDuty's).
		{file: "eventbridge.json", ids: []string{p + "01", p + "04"}, bad: 1, skip: 1,
			reasons: []string{`EventBridge event: not a GuardDuty finding: an event from "aws.securityhub" ("Security Hub Findings - Imported")`}},
		{file: "api-response.json", ids: []string{p + "02", p + "03"}},
		{file: "cli-get-findings.json", ids: []string{p + "01"}},
		// A control message (skipped), then an EventBridge event and a bare
		// finding in log events.
		{file: "cloudwatch.json", ids: []string{p + "05", p + "06"}, skip: 1},
		{file: "sns.json", ids: []string{p + "07"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c, st := decodeBytes(t, readTestdata(t, tc.file), decode.Options{Origin: event.Origin{Source: "t", Path: tc.file}})
			if got := ids(c.events); !slicesEqual(got, tc.ids) {
				t.Errorf("ids %v, want %v", got, tc.ids)
			}
			if st.Quarantined != tc.bad || st.Skipped != tc.skip {
				t.Errorf("stats %+v, want %d bad and %d skipped", st, tc.bad, tc.skip)
			}
			for i, r := range tc.reasons {
				if c.bad[i].Reason != r {
					t.Errorf("reason %q, want %q", c.bad[i].Reason, r)
				}
			}
			for _, e := range c.events {
				if e.Kind != event.KindFinding || e.Finding == nil || e.Raw == nil || len(e.RawBytes) == 0 || e.Origin.Path != tc.file {
					t.Fatalf("incomplete event %+v", e)
				}
				// RawBytes is the finding, never an envelope.
				var raw map[string]any
				if err := json.Unmarshal(e.RawBytes, &raw); err != nil {
					t.Fatal(err)
				}
				if raw["id"] != e.ID && raw["Id"] != e.ID {
					t.Errorf("RawBytes is not finding %s: %.80s", e.ID, e.RawBytes)
				}
			}
		})
	}
}

func slicesEqual(a, b []string) bool { return reflect.DeepEqual(a, b) || len(a) == 0 && len(b) == 0 }

// TestMapping checks the mapped findings of findings.jsonl field by field.
func TestMapping(t *testing.T) {
	c, _ := decodeBytes(t, readTestdata(t, "findings.jsonl"), decode.Options{})
	if len(c.events) != 7 {
		t.Fatalf("%d events", len(c.events))
	}
	const acct, det = "111122223333", "12abc34d567e8fa901bc2d34e56789f0"
	arn := func(id string) string {
		return "arn:aws:guardduty:eu-west-1:111122223333:detector/" + det + "/finding/" + id
	}
	eni := finding.NetworkInterface{NetworkInterfaceID: "eni-0123456789abcdef0", PrivateIPAddress: "10.0.1.25", VpcID: "vpc-0a1b2c3d", SubnetID: "subnet-0a1b2c3d"}
	want := []struct {
		typ      string
		sev      float64
		resource finding.Resource
		action   finding.Action
		count    int64
		first    string
		last     string
		role     string
		feature  string
		archived bool
		info     map[string]any // producer's additionalInfo keys
	}{
		{typ: "UnauthorizedAccess:EC2/SSHBruteForce", sev: 2,
			resource: finding.Resource{ResourceType: "Instance", InstanceDetails: &finding.InstanceDetails{InstanceID: "i-0a1b2c3d4e5f60718",
				NetworkInterfaces: []finding.NetworkInterface{eni, {NetworkInterfaceID: "eni-0fedcba9876543210", PrivateIPAddress: "10.0.2.7", VpcID: "vpc-0a1b2c3d", SubnetID: "subnet-0f0e0d0c"}}}},
			action: finding.Action{ActionType: "NETWORK_CONNECTION", NetworkConnectionAction: &finding.NetworkConnectionAction{
				ConnectionDirection: "INBOUND", Protocol: "TCP", LocalIPDetails: &finding.RemoteIPDetails{IPAddressV4: "10.0.1.25"},
				LocalPortDetails: &finding.PortDetails{Port: 22, PortName: "SSH"}, RemoteIPDetails: &finding.RemoteIPDetails{IPAddressV4: "198.51.100.7"},
				RemotePortDetails: &finding.PortDetails{Port: 46717, PortName: "Unknown"}}},
			count: 74, first: "2026-03-02T10:00:01Z", last: "2026-03-02T11:40:00Z", role: "TARGET", feature: "FlowLogs",
			info: map[string]any{"threatListName": "ProofPoint", "unusual": map[string]any{"hoursOfDay": []any{10.0, 11.0}}}},
		{typ: "Recon:EC2/PortProbeUnprotectedPort", sev: 2,
			resource: finding.Resource{ResourceType: "Instance", InstanceDetails: &finding.InstanceDetails{InstanceID: "i-0a1b2c3d4e5f60718", NetworkInterfaces: []finding.NetworkInterface{eni}}},
			action: finding.Action{ActionType: "PORT_PROBE", PortProbeAction: &finding.PortProbeAction{PortProbeDetails: []finding.PortProbeDetail{
				{LocalPortDetails: &finding.PortDetails{Port: 3389, PortName: "RDP"}, LocalIPDetails: &finding.RemoteIPDetails{IPAddressV4: "10.0.1.25"}, RemoteIPDetails: &finding.RemoteIPDetails{IPAddressV4: "192.0.2.44"}},
				{LocalPortDetails: &finding.PortDetails{Port: 22, PortName: "SSH"}, RemoteIPDetails: &finding.RemoteIPDetails{IPAddressV4: "192.0.2.45"}}}}},
			count: 3, first: "2026-03-02T09:00:00Z", last: "2026-03-02T09:30:00Z", role: "TARGET", feature: "FlowLogs"},
		{typ: "Backdoor:EC2/C&CActivity.B!DNS", sev: 8,
			resource: finding.Resource{ResourceType: "Instance", InstanceDetails: &finding.InstanceDetails{InstanceID: "i-0a1b2c3d4e5f60718"}},
			action:   finding.Action{ActionType: "DNS_REQUEST", DNSRequestAction: &finding.DNSRequestAction{Domain: "guarddutyc2activityb.com", Protocol: "UDP", Blocked: true, DomainWithSuffix: "guarddutyc2activityb.com"}},
			count:    1, first: "2026-03-02T10:05:00Z", last: "2026-03-02T10:05:00Z", role: "TARGET", feature: "DnsLogs",
			info: map[string]any{"threatListName": "GeneratedFindingThreatListName", "sample": true}},
		{typ: "Stealth:IAMUser/CloudTrailLoggingDisabled", sev: 2,
			resource: finding.Resource{ResourceType: "AccessKey", AccessKeyDetails: &finding.AccessKeyDetails{AccessKeyID: "ASIAEXAMPLEKEY000001", PrincipalID: "AROAEXAMPLEROLEID0001:alice", UserName: "Admin", UserType: "AssumedRole"}},
			action: finding.Action{ActionType: "AWS_API_CALL", AwsAPICallAction: &finding.AwsAPICallAction{API: "StopLogging", ServiceName: "cloudtrail.amazonaws.com",
				CallerType: "Remote IP", ErrorCode: "AccessDenied", UserAgent: "aws-cli/2.15.0", RemoteIPDetails: &finding.RemoteIPDetails{IPAddressV4: "203.0.113.99"},
				AffectedResources: map[string]string{"AWS::CloudTrail::Trail": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main"}}},
			count: 1, first: "2026-03-02T10:10:10Z", last: "2026-03-02T10:10:10Z", role: "TARGET", feature: "CloudTrail"},
		{typ: "Policy:S3/BucketBlockPublicAccessDisabled", sev: 2,
			resource: finding.Resource{ResourceType: "S3Bucket", AccessKeyDetails: &finding.AccessKeyDetails{AccessKeyID: "ASIAEXAMPLEKEY000002", PrincipalID: "AIDAEXAMPLEUSER00001", UserName: "bob", UserType: "IAMUser"},
				S3BucketDetails: []finding.S3BucketDetail{{Arn: "arn:aws:s3:::logs-archive", Name: "logs-archive", Type: "Destination"}}},
			action: finding.Action{ActionType: "AWS_API_CALL", AwsAPICallAction: &finding.AwsAPICallAction{API: "PutBucketPublicAccessBlock", ServiceName: "s3.amazonaws.com",
				CallerType: "Domain", DomainDetails: &finding.DomainDetails{Domain: "console.aws.amazon.com"}}},
			count: 2, first: "2026-03-01T22:00:00Z", last: "2026-03-02T08:00:00Z", role: "TARGET", feature: "CloudTrail"},
		{typ: "Execution:Kubernetes/ExecInKubeSystemPod", sev: 5,
			resource: finding.Resource{ResourceType: "EKSCluster", EksClusterDetails: &finding.EksClusterDetails{Name: "prod", Arn: "arn:aws:eks:eu-west-1:111122223333:cluster/prod"},
				KubernetesDetails: &finding.KubernetesDetails{KubernetesUserDetails: &finding.KubernetesUserDetails{Username: "arn:aws:sts::111122223333:assumed-role/Admin/alice",
					UID: "aws-iam-authenticator:111122223333:AROAEXAMPLEROLEID0001", Groups: []string{"system:masters", "system:authenticated"}}}},
			action: finding.Action{ActionType: "KUBERNETES_API_CALL", KubernetesAPICallAction: &finding.KubernetesAPICallAction{
				RequestURI: "/api/v1/namespaces/kube-system/pods/coredns-5c6f9/exec?command=sh", Verb: "create", SourceIPs: []string{"203.0.113.50"},
				UserAgent: "kubectl/v1.31.2", RemoteIPDetails: &finding.RemoteIPDetails{IPAddressV4: "203.0.113.50"}, StatusCode: 101, Namespace: "kube-system",
				Resource: "pods", Subresource: "exec", ResourceName: "coredns-5c6f9"}},
			count: 1, first: "2026-03-02T10:20:00Z", last: "2026-03-02T10:20:00Z", role: "TARGET", feature: "EksAuditLogs"},
		{typ: "Execution:Runtime/NewBinaryExecuted", sev: 5.5,
			resource: finding.Resource{ResourceType: "Instance", InstanceDetails: &finding.InstanceDetails{InstanceID: "i-0a1b2c3d4e5f60718", NetworkInterfaces: []finding.NetworkInterface{{NetworkInterfaceID: "eni-0123456789abcdef0"}}}},
			action: finding.Action{ActionType: "NETWORK_CONNECTION", NetworkConnectionAction: &finding.NetworkConnectionAction{ConnectionDirection: "OUTBOUND", Protocol: "TCP",
				RemoteIPDetails: &finding.RemoteIPDetails{IPAddressV6: "2001:db8::99"}, RemotePortDetails: &finding.PortDetails{Port: 443, PortName: "HTTPS"}}},
			count: 1, first: "2026-03-02T10:30:00Z", last: "2026-03-02T10:30:00Z", role: "ACTOR", feature: "RuntimeMonitoring", archived: true},
	}
	for i, w := range want {
		e := c.events[i]
		f := e.Finding
		id := fmt.Sprintf("a10000000000000000000000000000%02d", i+1)
		t.Run(w.typ, func(t *testing.T) {
			if e.ID != id || e.Account != acct || e.Region != "eu-west-1" || !e.Time.Equal(ts("2026-03-02T11:45:30.456Z")) {
				t.Errorf("event %s %s %s %v", e.ID, e.Account, e.Region, e.Time)
			}
			if f.ID != id || f.Arn != arn(id) || f.AccountID != acct || f.Region != "eu-west-1" || f.Partition != "aws" || f.SchemaVersion != "2.0" {
				t.Errorf("identity %q %q %q %q %q", f.ID, f.Arn, f.AccountID, f.Region, f.Partition)
			}
			if f.Type != w.typ || f.Severity != w.sev || !strings.HasSuffix(f.Description, "(description)") || !strings.HasPrefix(f.Description, f.Title) || f.Title == "" {
				t.Errorf("type %q severity %v title %q description %q", f.Type, f.Severity, f.Title, f.Description)
			}
			if !f.CreatedAt.Equal(ts("2026-03-02T10:15:00.123Z")) || !f.UpdatedAt.Equal(ts("2026-03-02T11:45:30.456Z")) {
				t.Errorf("createdAt %v updatedAt %v", f.CreatedAt, f.UpdatedAt)
			}
			if !reflect.DeepEqual(f.Resource, w.resource) {
				t.Errorf("resource\n%s\nwant\n%s", js(f.Resource), js(w.resource))
			}
			s := &f.Service
			if !reflect.DeepEqual(s.Action, w.action) {
				t.Errorf("action\n%s\nwant\n%s", js(s.Action), js(w.action))
			}
			if s.ServiceName != "guardduty" || s.DetectorID != det || s.Count != w.count || s.ResourceRole != w.role || s.FeatureName != w.feature || s.Archived != w.archived ||
				!s.EventFirstSeen.Equal(ts(w.first)) || !s.EventLastSeen.Equal(ts(w.last)) {
				t.Errorf("service %s", js(s))
			}
			if f.Keys != (finding.Keys{Resource: "guardduty:" + id}) {
				t.Errorf("keys %+v", f.Keys)
			}
			src := map[string]any{"producer": "guardduty", "format": "guardduty", "id": id, "arn": arn(id),
				"createdAt": "2026-03-02T10:15:00.123Z", "updatedAt": "2026-03-02T11:45:30.456Z"}
			if !reflect.DeepEqual(s.AdditionalInfo["source"], src) {
				t.Errorf("source %v", s.AdditionalInfo["source"])
			}
			for k, v := range w.info {
				if !reflect.DeepEqual(s.AdditionalInfo[k], v) {
					t.Errorf("additionalInfo[%s] = %#v, want %#v", k, s.AdditionalInfo[k], v)
				}
			}
			if n := len(s.AdditionalInfo) - len(w.info) - 2; n != 0 {
				t.Errorf("additionalInfo has %d unexpected keys: %v", n, s.AdditionalInfo)
			}
		})
	}
	// What the schema has no place for is in the residue.
	res := c.events[0].Finding.Service.AdditionalInfo["guardduty"].(map[string]any)
	inst := res["resource"].(map[string]any)["instanceDetails"].(map[string]any)
	if inst["imageId"] != "ami-0123456789abcdef0" || inst["instanceId"] != nil {
		t.Errorf("instance residue %v", inst)
	}
	nis := inst["networkInterfaces"].([]any)
	if len(nis) != 2 || nis[0].(map[string]any)["publicIp"] != "203.0.113.10" || len(nis[1].(map[string]any)) != 0 {
		t.Errorf("interfaces residue %v", nis)
	}
	country := res["service"].(map[string]any)["action"].(map[string]any)["networkConnectionAction"].(map[string]any)["remoteIpDetails"].(map[string]any)["country"]
	if !reflect.DeepEqual(country, map[string]any{"countryName": "Germany"}) {
		t.Errorf("country %v", country)
	}
	if res7 := c.events[6].Finding.Service.AdditionalInfo["guardduty"].(map[string]any); res7["confidence"] != 5.5 ||
		res7["service"].(map[string]any)["runtimeDetails"].(map[string]any)["process"].(map[string]any)["pid"] != 4242.0 {
		t.Errorf("runtime residue %v", res7)
	}
}

func js(x any) string {
	b, _ := json.MarshalIndent(x, "", " ")
	return string(b)
}

// TestShapesAgree decodes the same finding written in each shape: the
// Findings must be identical, the CLI's PascalCase included.
func TestShapesAgree(t *testing.T) {
	first := func(file string) *finding.Finding {
		c, _ := decodeBytes(t, readTestdata(t, file), decode.Options{})
		for _, e := range c.events {
			if e.ID == "a1000000000000000000000000000001" {
				return e.Finding
			}
		}
		t.Fatalf("%s: finding 01 not found", file)
		return nil
	}
	want := first("findings.jsonl")
	for _, file := range []string{"eventbridge.json", "cli-get-findings.json"} {
		if got := first(file); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n%s\nwant\n%s", file, js(got), js(want))
		}
	}
	if !reflect.DeepEqual(want.Service.AdditionalInfo["threatListName"], "ProofPoint") {
		t.Fatal("additionalInfo not unpacked")
	}
}

// TestNothingLost checks, for every finding in testdata, that each leaf of
// the producer's JSON is either mapped to the same value or in the residue
// (AdditionalInfo["guardduty"]), and that the residue repeats nothing that
// was mapped.
func TestNothingLost(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.json*")
	n := 0
	for _, file := range files {
		c, _ := decodeBytes(t, readTestdata(t, filepath.Base(file)), decode.Options{})
		for _, e := range c.events {
			n++
			checkNothingLost(t, e)
		}
	}
	if n < 14 {
		t.Fatalf("only %d findings checked", n)
	}
}

func checkNothingLost(t *testing.T, e *event.Event) {
	t.Helper()
	var raw any
	if err := json.Unmarshal(e.RawBytes, &raw); err != nil {
		t.Fatal(err)
	}
	raw = camel(raw)
	// The JSON API's additionalInfo holds its object in a string.
	if svc, ok := raw.(map[string]any)["service"].(map[string]any); ok {
		if ai, ok := svc["additionalInfo"].(map[string]any); ok {
			if s, ok := ai["value"].(string); ok && len(ai) <= 2 {
				var x any
				if err := json.Unmarshal([]byte(s), &x); err != nil {
					t.Fatal(err)
				}
				svc["additionalInfo"] = x
			}
		}
	}
	f := *e.Finding
	f.Service.AdditionalInfo = map[string]any{}
	for k, v := range e.Finding.Service.AdditionalInfo {
		f.Service.AdditionalInfo[k] = v
	}
	residue, _ := f.Service.AdditionalInfo["guardduty"].(map[string]any)
	delete(f.Service.AdditionalInfo, "guardduty")
	delete(f.Service.AdditionalInfo, "source")
	var mapped any
	if err := json.Unmarshal([]byte(js(&f)), &mapped); err != nil {
		t.Fatal(err)
	}
	rawLeaves, mappedLeaves, restLeaves := map[string]any{}, map[string]any{}, map[string]any{}
	flatten("", raw, rawLeaves)
	flatten("", mapped, mappedLeaves)
	flatten("", any(residue), restLeaves)
	for p, v := range rawLeaves {
		if m, ok := mappedLeaves[p]; ok && same(m, v) {
			continue
		}
		if r, ok := restLeaves[p]; ok && same(r, v) {
			continue
		}
		if _, ok := mappedLeaves[p]; !ok && zero(v) {
			continue // an empty value, nowhere: nothing lost
		}
		t.Errorf("%s: %s = %#v is lost (mapped %#v, residue %#v)", e.ID, p, v, mappedLeaves[p], restLeaves[p])
	}
	for p := range restLeaves {
		if _, ok := mappedLeaves[p]; ok && p != "schemaVersion" {
			t.Errorf("%s: residue repeats mapped %s", e.ID, p)
		}
	}
}

// camel lowers PascalCase keys as the decoder does (the CLI's shape).
func camel(x any) any {
	switch v := x.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			if len(k) > 1 && k[0] >= 'A' && k[0] <= 'Z' && !(k[1] >= 'A' && k[1] <= 'Z') {
				k = string(k[0]+'a'-'A') + k[1:]
			}
			out[k] = camel(e)
		}
		return out
	case []any:
		for i := range v {
			v[i] = camel(v[i])
		}
	}
	return x
}

func flatten(p string, x any, out map[string]any) {
	switch v := x.(type) {
	case map[string]any:
		for k, e := range v {
			q := k
			if p != "" {
				q = p + "." + k
			}
			flatten(q, e, out)
		}
	case []any:
		for i, e := range v {
			flatten(fmt.Sprintf("%s[%d]", p, i), e, out)
		}
	default:
		out[p] = x
	}
}

func same(a, b any) bool {
	if reflect.DeepEqual(a, b) {
		return true
	}
	as, ok1 := a.(string)
	bs, ok2 := b.(string)
	if ok1 && ok2 {
		ta, err1 := decode.ParseTime([]byte(as))
		tb, err2 := decode.ParseTime([]byte(bs))
		return err1 == nil && err2 == nil && ta.Equal(tb)
	}
	return false
}

func zero(x any) bool { return x == nil || x == "" || x == 0.0 || x == false }

// TestBad feeds bad records, each followed by a good one: each bad one is
// quarantined with its origin and a reason naming what is wrong, and the
// stream goes on.
func TestBad(t *testing.T) {
	good := `{"schemaVersion":"2.0","accountId":"111122223333","region":"us-east-1","id":"g1","type":"Recon:EC2/Portscan","severity":5,"resource":{"resourceType":"Instance"},"service":{"count":1}}`
	mk := func(edit func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal([]byte(good), &m); err != nil {
			panic(err)
		}
		edit(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	svc := func(k string, v any) func(m map[string]any) {
		return func(m map[string]any) { m["service"].(map[string]any)[k] = v }
	}
	for _, tc := range []struct {
		name, in, reason string
	}{
		{"malformed", `{"id":"x",`, "record is truncated"},
		{"not json", `{"id": x}`, "malformed JSON: "},
		{"scalar", `42`, "malformed JSON: expected an object"},
		{"array in array", `[[1]]`, "not a GuardDuty finding: expected a JSON object, got array"},
		{"not a finding", `{"hello":"world"}`, "not a GuardDuty finding: no type, id or accountId"},
		{"no type", mk(func(m map[string]any) { delete(m, "type") }), "field type is missing"},
		{"no id", mk(func(m map[string]any) { delete(m, "id") }), "field id is missing"},
		{"no account", mk(func(m map[string]any) { delete(m, "accountId") }), "field accountId is missing"},
		{"bad account", mk(func(m map[string]any) { m["accountId"] = "12345" }), `field accountId: not an AWS account ID: "12345"`},
		{"no severity", mk(func(m map[string]any) { delete(m, "severity") }), "field severity is missing"},
		{"severity word", mk(func(m map[string]any) { m["severity"] = "high" }), `field severity: not a number: "high"`},
		{"severity object", mk(func(m map[string]any) { m["severity"] = map[string]any{} }), "field severity: expected a number, got object"},
		{"severity range", mk(func(m map[string]any) { m["severity"] = 11 }), "field severity: not from 0 to 10: 11"},
		{"severity NaN", strings.Replace(good, `"severity":5`, `"severity":NaN`, 1), "field severity: not a number: NaN"},
		{"type number", mk(func(m map[string]any) { m["type"] = 7 }), "field type: expected a string, got number"},
		{"resource string", mk(func(m map[string]any) { m["resource"] = "i-1" }), "field resource: expected an object, got string"},
		{"instance array", mk(func(m map[string]any) { m["resource"] = map[string]any{"instanceDetails": []any{}} }), "field resource.instanceDetails: expected an object, got array"},
		{"interfaces", mk(func(m map[string]any) {
			m["resource"] = map[string]any{"instanceDetails": map[string]any{"networkInterfaces": []any{map[string]any{}, map[string]any{"vpcId": 1}}}}
		}), "field resource.instanceDetails.networkInterfaces[1].vpcId: expected a string, got number"},
		{"count negative", mk(svc("count", -1)), "field service.count: not an integer from 0 to 9007199254740992: -1"},
		{"count fraction", mk(svc("count", 1.5)), "field service.count: not an integer"},
		{"archived word", mk(svc("archived", "maybe")), `field service.archived: not a boolean: "maybe"`},
		{"time", mk(svc("eventFirstSeen", "yesterday")), `field service.eventFirstSeen: not a time: "yesterday"`},
		{"time number", mk(func(m map[string]any) { m["updatedAt"] = 1700000000 }), "field updatedAt: expected a string, got number"},
		{"port", mk(svc("action", map[string]any{"networkConnectionAction": map[string]any{"localPortDetails": map[string]any{"port": 70000}}})),
			"field service.action.networkConnectionAction.localPortDetails.port: not an integer from 0 to 65535: 70000"},
		{"probe details", mk(svc("action", map[string]any{"portProbeAction": map[string]any{"portProbeDetails": []any{"x"}}})),
			"field service.action.portProbeAction.portProbeDetails[0]: expected an object, got string"},
		{"additionalInfo", mk(svc("additionalInfo", 3)), "field service.additionalInfo: expected an object, got number"},
		{"residue NaN", strings.Replace(good, `"severity":5`, `"severity":5,"confidence":NaN`, 1), "field confidence: not a JSON number: NaN"},
		{"no region", mk(func(m map[string]any) { delete(m, "region") }), "field region is missing"},
		{"detail missing", `{"detail-type":"GuardDuty Finding","source":"aws.guardduty"}`, "EventBridge event: field detail is missing"},
		{"detail bad", `{"detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{"id":"x","type":"T","accountId":"111122223333"}}`,
			"EventBridge event: field detail: field severity is missing"},
		{"other source", `{"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","detail":{}}`, `EventBridge event: not a GuardDuty finding: an event from "aws.s3"`},
		{"findings not array", `{"NextToken":"x","findings":{}}`, "field findings: expected an array, got object"},
		{"findings element", `{"NextToken":"x","Findings":[3]}`, "Findings[0]: not a GuardDuty finding: expected a JSON object, got number"},
		{"log message", `{"messageType":"DATA_MESSAGE","owner":"111122223333","logEvents":[{"message":"{nope"}]}`, "CloudWatch Logs message: field logEvents[0].message: malformed JSON: "},
		{"log event", `{"messageType":"DATA_MESSAGE","owner":"111122223333","logEvents":[7]}`, "CloudWatch Logs message: field logEvents[0]: expected an object, got number"},
		{"log events", `{"messageType":"DATA_MESSAGE","logEvents":{}}`, "CloudWatch Logs message: field logEvents: expected an array, got object"},
		{"sns", `{"Type":"Notification","Message":"{\"hello\":1}"}`, "SNS message: field Message: not a GuardDuty finding: no type, id or accountId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in + "\n" + good + "\n"
			c, _ := decodeBytes(t, []byte(in), decode.Options{Origin: event.Origin{Source: "s", Path: "p"}})
			if len(c.bad) != 1 || len(c.events) != 1 || c.events[0].ID != "g1" {
				t.Fatalf("%d bad, %d events: %+v", len(c.bad), len(c.events), c.bad)
			}
			b := c.bad[0]
			if !strings.Contains(b.Reason, tc.reason) {
				t.Errorf("reason %q, want %q", b.Reason, tc.reason)
			}
			off := int64(0)
			if tc.in[0] == '[' {
				off = 1 // the element inside the array
			}
			if b.Origin.Source != "s" || b.Origin.Path != "p" || b.Origin.Index != 0 || b.Origin.Line != 1 || b.Origin.Offset != off {
				t.Errorf("origin %+v", b.Origin)
			}
			if len(b.Sample) == 0 && !strings.HasPrefix(tc.name, "detail missing") {
				t.Errorf("no sample")
			}
			if e := c.events[0]; e.Origin.Index != 1 || e.Origin.Line != 2 || e.Origin.Offset != int64(len(tc.in)+1) {
				t.Errorf("good record's origin %+v", e.Origin)
			}
		})
	}
}

// TestNumbersAsStrings reads numbers and booleans written as strings, as
// some exports and ASFF's flattened fields do.
func TestNumbersAsStrings(t *testing.T) {
	evs, err := Parse([]byte(`{"accountId":"111122223333","region":"us-east-1","id":"s1","type":"T:EC2/X","severity":"7.5",` +
		`"service":{"count":"12","archived":"true","action":{"networkConnectionAction":{"blocked":"false","localPortDetails":{"port":"22"}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	f := evs[0].Finding
	if f.Severity != 7.5 || f.Service.Count != 12 || !f.Service.Archived || f.Service.Action.NetworkConnectionAction.LocalPortDetails.Port != 22 {
		t.Errorf("%s", js(f))
	}
}

// TestRegionAndTime checks the fallbacks: the region from the arn or the
// EventBridge event, the time from eventLastSeen, createdAt or the event.
func TestRegionAndTime(t *testing.T) {
	for _, tc := range []struct {
		in, region, time string
	}{
		{`{"accountId":"111122223333","id":"r1","type":"T","severity":1,"arn":"arn:aws:guardduty:ap-south-1:111122223333:detector/d/finding/r1","createdAt":"2026-01-01T00:00:00Z"}`,
			"ap-south-1", "2026-01-01T00:00:00Z"},
		{`{"accountId":"111122223333","id":"r2","type":"T","severity":1,"region":"eu-north-1","createdAt":"2026-01-01T00:00:00Z","service":{"eventLastSeen":"2026-01-02T00:00:00Z"}}`,
			"eu-north-1", "2026-01-02T00:00:00Z"},
		{`{"detail-type":"GuardDuty Finding","source":"aws.guardduty","region":"sa-east-1","time":"2026-02-03T04:05:06Z","detail":{"accountId":"111122223333","id":"r3","type":"T","severity":1}}`,
			"sa-east-1", "2026-02-03T04:05:06Z"},
		{`{"messageType":"DATA_MESSAGE","logEvents":[{"timestamp":1767225600000,"message":"{\"accountId\":\"111122223333\",\"id\":\"r4\",\"type\":\"T\",\"severity\":1,\"region\":\"us-west-2\"}"}]}`,
			"us-west-2", "2026-01-01T00:00:00Z"},
	} {
		evs, err := Parse([]byte(tc.in))
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if e := evs[0]; e.Region != tc.region || e.Finding.Region != tc.region || !e.Time.Equal(ts(tc.time)) {
			t.Errorf("%s: region %q time %v", e.ID, e.Region, e.Time)
		}
	}
}

// TestRecordIndexes checks that every finding in a container has its own
// record index, and that resuming from any index delivers exactly the
// records from there.
func TestRecordIndexes(t *testing.T) {
	one := func(id string) string {
		return `{"accountId":"111122223333","region":"us-east-1","id":"` + id + `","type":"T:EC2/X","severity":2}`
	}
	msg := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	in := one("a") + "\n" +
		`{"NextToken":"t","Findings":[` + one("b") + `,` + one("c") + `]}` + "\n" + // the array not first: one record, two indexes
		`{"NextToken":"t","Findings":[]}` + "\n" + // empty: one index, skipped
		`{"findings":[` + one("d") + `,` + one("e") + `]}` + "\n" + // split by the scanner
		`{"messageType":"DATA_MESSAGE","logEvents":[{"message":` + msg(one("f")) + `},{"message":` + msg(`{"detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":`+one("g")+`}`) + `}]}` + "\n" +
		`{"detail-type":"GuardDuty Runtime Protection Unhealthy","source":"aws.guardduty","detail":{}}` + "\n" + // skipped
		one("h") + "\n"
	c, st := decodeBytes(t, []byte(in), decode.Options{})
	wantIDs := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	wantIdx := []int64{0, 1, 2, 4, 5, 6, 7, 9}
	if got := ids(c.events); !reflect.DeepEqual(got, wantIDs) || st.Records != 10 || st.Skipped != 2 {
		t.Fatalf("ids %v, stats %+v", got, st)
	}
	for i, e := range c.events {
		if e.Origin.Index != wantIdx[i] {
			t.Errorf("%s: index %d, want %d", e.ID, e.Origin.Index, wantIdx[i])
		}
	}
	if c.events[1].Origin.Offset != c.events[2].Origin.Offset || c.events[1].Origin.Line != 2 {
		t.Errorf("container findings' origins %+v %+v", c.events[1].Origin, c.events[2].Origin)
	}
	for start := int64(0); start <= 11; start++ {
		c2, st2 := decodeBytes(t, []byte(in), decode.Options{Start: start})
		var want []string
		for i, idx := range wantIdx {
			if idx >= start {
				want = append(want, wantIDs[i])
			}
		}
		if got := ids(c2.events); !slicesEqual(got, want) || st2.Records != st.Records {
			t.Errorf("start %d: %v (stats %+v), want %v", start, got, st2, want)
		}
	}
}

// TestStreamEdges checks a truncated last record (Tail), a record too
// large, reading one byte at a time, a handler error and a cancelled
// context.
func TestStreamEdges(t *testing.T) {
	good := readTestdata(t, "findings.jsonl")
	t.Run("truncated", func(t *testing.T) {
		in := append(append([]byte{}, good...), good[:100]...)
		c, _ := decodeBytes(t, in, decode.Options{})
		if len(c.events) != 7 || len(c.bad) != 1 || !c.bad[0].Tail || !errors.Is(c.bad[0].Err, jsonstream.ErrTruncated) || c.bad[0].Origin.Line != 8 {
			t.Fatalf("%d events, bad %+v", len(c.events), c.bad)
		}
	})
	t.Run("too large", func(t *testing.T) {
		line := bytes.SplitN(good, []byte("\n"), 2)[0]
		huge := strings.Replace(string(line), `"title":"`, `"title":"`+strings.Repeat("x", 5000), 1)
		c, _ := decodeBytes(t, []byte(huge+"\n"+string(good)), decode.Options{MaxRecordBytes: 4096})
		if len(c.events) != 7 || len(c.bad) != 1 || !errors.Is(c.bad[0].Err, jsonstream.ErrTooLarge) || c.bad[0].Origin.Index != 0 {
			t.Fatalf("%d events, bad %+v", len(c.events), c.bad)
		}
	})
	t.Run("one byte at a time", func(t *testing.T) {
		for _, file := range []string{"findings.jsonl", "eventbridge.json", "cloudwatch.json", "cli-get-findings.json"} {
			in := readTestdata(t, file)
			whole, st1 := decodeBytes(t, in, decode.Options{})
			var c collector
			st2, err := New().Decode(context.Background(), iotest.OneByteReader(bytes.NewReader(in)), decode.Options{}, &c)
			if err != nil || st1 != st2 || !reflect.DeepEqual(ids(whole.events), ids(c.events)) {
				t.Errorf("%s: %+v vs %+v, %v", file, st1, st2, err)
			}
		}
	})
	t.Run("handler error", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		h := handlerFunc(func(*event.Event) error {
			if n++; n == 2 {
				return stop
			}
			return nil
		})
		st, err := New().Decode(context.Background(), bytes.NewReader(good), decode.Options{}, h)
		if !errors.Is(err, stop) || st.Events != 2 {
			t.Fatalf("%v %+v", err, st)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := New().Decode(ctx, bytes.NewReader(good), decode.Options{}, handlerFunc(nil)); !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
	})
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("disk on fire")
		var c collector
		st, err := New().Decode(context.Background(), io.MultiReader(bytes.NewReader(good[:len(good)-10]), iotest.ErrReader(boom)), decode.Options{}, &c)
		if err != nil || st.Events != 6 || len(c.bad) != 1 || !errors.Is(c.bad[0].Err, boom) || !c.bad[0].Tail {
			t.Fatalf("%v %+v %+v", err, st, c.bad)
		}
	})
}

type handlerFunc func(e *event.Event) error

func (f handlerFunc) Event(e *event.Event) error  { return f(e) }
func (f handlerFunc) Quarantine(decode.Bad) error { return nil }

// TestDecoderReuse decodes different streams with one decoder: nothing of
// one stream leaks into the next, and the events of a stream borrow memory
// that the next one overwrites (so handlers must copy, as collector does).
func TestDecoderReuse(t *testing.T) {
	d := New()
	for _, file := range []string{"findings.jsonl", "sns.json", "findings.jsonl", "api-response.json"} {
		in := readTestdata(t, file)
		var c collector
		if _, err := d.Decode(context.Background(), bytes.NewReader(in), decode.Options{}, &c); err != nil {
			t.Fatal(err)
		}
		fresh, _ := decodeBytes(t, in, decode.Options{})
		for i := range c.events {
			if !reflect.DeepEqual(c.events[i].Finding, fresh.events[i].Finding) {
				t.Fatalf("%s: finding %d differs with a reused decoder", file, i)
			}
		}
	}
}

// TestParse checks Parse's events own their memory and its error.
func TestParse(t *testing.T) {
	in := readTestdata(t, "findings.jsonl")
	evs, err := Parse(in)
	if err != nil || len(evs) != 7 {
		t.Fatal(len(evs), err)
	}
	want := js(evs[0].Finding)
	for i := range in {
		in[i] = 'x'
	}
	if js(evs[0].Finding) != want || evs[0].ID != "a1000000000000000000000000000001" {
		t.Fatal("Parse's events borrow the input")
	}
	evs, err = Parse([]byte("{\"a\":1}\n{\"b\":2}\n"))
	if len(evs) != 0 || err == nil || !strings.Contains(err.Error(), "(and 1 more bad records)") {
		t.Fatal(evs, err)
	}
}

func TestSniff(t *testing.T) {
	for _, file := range []string{"findings.jsonl", "eventbridge.json", "api-response.json", "cli-get-findings.json", "cloudwatch.json", "sns.json"} {
		if !Sniff(readTestdata(t, file)) {
			t.Errorf("Sniff does not recognise %s", file)
		}
	}
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{`{"schemaVersion": "2.0", "accountId":"1","severity":2}`, true},
		{"\ufeff  [{\"SchemaVersion\":\"2.0\",\"AccountId\":\"1\",\"Severity\":2}]", true},
		{`{"logEvents":[{"message":"{\"schemaVersion\":\"2.0\",\"accountId\":\"1\",\"severity\":2}"}]}`, true},
		{`{"Message":"{\"source\":\"aws.guardduty\"}"}`, true},
		{`{"service":{"detectorId":"d"}}`, true},
		{`{"schemaVersion":"1.0","accountId":"1","severity":{"score":1}}`, false}, // Macie
		{`{"detail-type":"Macie Finding","source":"aws.macie","detail":{"schemaVersion":"2.0","accountId":"1","severity":2}}`, false},
		{`{"eventVersion":"1.08","eventSource":"guardduty.amazonaws.com","requestParameters":{"detectorId":"d"}}`, false},
		{`{"SchemaVersion":"2018-10-08","AwsAccountId":"1","ProductArn":"arn:aws:securityhub:us-east-1::product/aws/guardduty","DetectorId":"x"}`, false},
		{`{"query_name":"guardduty.example.","detectorId":"x"}`, false},
		{`2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1 2 ACCEPT OK`, false},
		{``, false},
		{`{"hello":"world"}`, false},
	} {
		if got := Sniff([]byte(tc.in)); got != tc.want {
			t.Errorf("Sniff(%.60s) = %v", tc.in, got)
		}
	}
	// Only the first decode.SniffLen bytes count.
	long := `{"pad":"` + strings.Repeat("x", decode.SniffLen) + `","detectorId":"d"}`
	if Sniff([]byte(long)) {
		t.Error("Sniff looked past SniffLen")
	}
}

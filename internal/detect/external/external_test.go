package external

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/asff"
	"github.com/picket-dev/picket/internal/decode/guardduty"
	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

func TestInfo(t *testing.T) {
	in := New().Info()
	if in.Name != "external" || !reflect.DeepEqual(in.Kinds, []event.Kind{event.KindFinding}) || !reflect.DeepEqual(in.Tags, []string{"external"}) ||
		len(in.Actions) != 0 || in.Description == "" {
		t.Fatalf("%+v", in)
	}
	r, err := detect.NewRegistry(New())
	if err != nil {
		t.Fatal(err)
	}
	if sel, err := r.Select("external", nil); err != nil || len(sel) != 1 {
		t.Fatal(sel, err)
	}
}

const gdFinding = `{"schemaVersion":"2.0","accountId":"111122223333","region":"eu-west-1","partition":"aws",
"id":"a1000000000000000000000000000001","arn":"arn:aws:guardduty:eu-west-1:111122223333:detector/d/finding/a1000000000000000000000000000001",
"type":"UnauthorizedAccess:EC2/SSHBruteForce","severity":2,"title":"t","description":"d",
"createdAt":"2026-03-02T10:15:00.123Z","updatedAt":"2026-03-02T11:45:30.456Z",
"resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-1","imageId":"ami-1","networkInterfaces":[{"networkInterfaceId":"eni-1","publicIp":"203.0.113.1"}]}},
"service":{"serviceName":"guardduty","detectorId":"d","count":74,"archived":false,"resourceRole":"TARGET","eventFirstSeen":"2026-03-02T10:00:01Z","eventLastSeen":"2026-03-02T11:40:00Z",
"additionalInfo":{"sample":true},"action":{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{"connectionDirection":"INBOUND","protocol":"TCP","remoteIpDetails":{"ipAddressV4":"198.51.100.7","country":{"countryName":"X"}}}}}}`

// oneLine compacts a finding written over several lines (JSON lines hold
// one record a line).
func oneLine(t *testing.T, s string) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// detectOne decodes one GuardDuty finding and raises it.
func detectOne(t *testing.T, in string) (*event.Event, []finding.Finding) {
	t.Helper()
	evs, err := guardduty.Parse(oneLine(t, in))
	if err != nil || len(evs) != 1 {
		t.Fatal(err)
	}
	return evs[0], New().Detect(context.Background(), evs[0], nil)
}

// TestDetectCopies raises the producer's finding as it is.
func TestDetectCopies(t *testing.T) {
	e, out := detectOne(t, gdFinding)
	if len(out) != 1 {
		t.Fatalf("%d findings", len(out))
	}
	if !reflect.DeepEqual(out[0], *e.Finding) {
		t.Fatalf("not a copy:\n%+v\n%+v", out[0], *e.Finding)
	}
	f := out[0]
	if f.Service.EventFirstSeen != time.Date(2026, 3, 2, 10, 0, 1, 0, time.UTC) || f.Service.EventLastSeen != time.Date(2026, 3, 2, 11, 40, 0, 0, time.UTC) ||
		f.Service.Count != 74 || f.Severity != 2 || f.Type != "UnauthorizedAccess:EC2/SSHBruteForce" {
		t.Errorf("%+v", f)
	}
	// The copy is deep: changing the event's finding does not change it.
	e.Finding.Resource.InstanceDetails.NetworkInterfaces[0].NetworkInterfaceID = "changed"
	e.Finding.Service.AdditionalInfo["sample"] = false
	if f.Resource.InstanceDetails.NetworkInterfaces[0].NetworkInterfaceID != "eni-1" || f.Service.AdditionalInfo["sample"] != true {
		t.Error("the raised finding shares memory with the event's")
	}
}

// TestDetectOwnsMemory raises findings from events whose strings borrow a
// decoder's buffer, then overwrites the buffer: the findings must not
// change.
func TestDetectOwnsMemory(t *testing.T) {
	h := &raise{}
	d := guardduty.New()
	decodeInto(t, d, append(oneLine(t, gdFinding), '\n'), h)
	want, _ := json.Marshal(h.out)
	// The same decoder reads another stream: its buffers and parser are
	// reused.
	decodeInto(t, d, []byte(`{"accountId":"999999999999","region":"us-east-1","id":"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz","type":"Other:EC2/Overwrite","severity":9,"title":"overwritten","service":{"additionalInfo":{"sample":"no"}}}`+"\n"), &raise{})
	if got, _ := json.Marshal(h.out); string(got) != string(want) {
		t.Fatalf("the raised finding changed with the decoder's memory:\n%s\nwas\n%s", got, want)
	}
}

// raise runs the detector on each event while it is valid.
type raise struct {
	out []finding.Finding
	bad int
}

func (r *raise) Event(e *event.Event) error {
	r.out = New().Detect(context.Background(), e, r.out)
	return nil
}

func (r *raise) Quarantine(decode.Bad) error { r.bad++; return nil }

func decodeInto(t *testing.T, d decode.Decoder, in []byte, h *raise) {
	t.Helper()
	if _, err := d.Decode(context.Background(), bytes.NewReader(in), decode.Options{}, h); err != nil || h.bad != 0 || len(h.out) == 0 {
		t.Fatalf("%v, %d bad, %d raised", err, h.bad, len(h.out))
	}
}

// TestEngine runs the detector in an engine: the finding is sealed with a
// fingerprint stable per producer finding — an update of the same
// GuardDuty finding (higher count, later updatedAt) has the same ID, another
// GuardDuty finding of the same type does not — and keeps what the
// producer said.
func TestEngine(t *testing.T) {
	now := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	en := detect.NewEngine([]detect.Detector{New()}, func() time.Time { return now })
	run := func(in string) finding.Finding {
		evs, err := guardduty.Parse(oneLine(t, in))
		if err != nil || len(evs) != 1 {
			t.Fatal(err)
		}
		out := en.Detect(context.Background(), evs[0], nil)
		if len(out) != 1 {
			t.Fatalf("%d findings", len(out))
		}
		return out[0]
	}
	first := run(gdFinding)
	if len(first.ID) != 32 || first.Arn == "" || first.Service.ServiceName != "guardduty" || first.Service.Count != 74 || !first.CreatedAt.Equal(time.Date(2026, 3, 2, 10, 15, 0, 123e6, time.UTC)) ||
		first.Service.EventFirstSeen != time.Date(2026, 3, 2, 10, 0, 1, 0, time.UTC) {
		t.Fatalf("%+v", first)
	}
	if src := first.Service.AdditionalInfo["source"].(map[string]any); src["id"] != "a1000000000000000000000000000001" ||
		src["arn"] != "arn:aws:guardduty:eu-west-1:111122223333:detector/d/finding/a1000000000000000000000000000001" {
		t.Errorf("source %v", src)
	}
	update := run(replace(gdFinding, `"count":74`, `"count":80`))
	other := run(replace(gdFinding, `"id":"a1000000000000000000000000000001"`, `"id":"a1000000000000000000000000000002"`))
	if update.ID != first.ID || update.Service.Count != 80 {
		t.Errorf("an update is another finding: %s vs %s", update.ID, first.ID)
	}
	if other.ID == first.ID {
		t.Error("two GuardDuty findings share a fingerprint")
	}
}

func replace(s, old, new string) string { return strings.Replace(s, old, new, 1) }

// TestASFF raises a Security Hub finding the same way.
func TestASFF(t *testing.T) {
	evs, err := asff.Parse([]byte(`{"SchemaVersion":"2018-10-08","Id":"x-1","ProductArn":"arn:aws:securityhub:us-east-1::product/aws/inspector","ProductName":"Inspector","GeneratorId":"AWSInspector","AwsAccountId":"111122223333","Region":"us-east-1","Types":["Software and Configuration Checks/Vulnerabilities/CVE"],"CreatedAt":"2026-01-01T00:00:00Z","UpdatedAt":"2026-01-02T00:00:00Z","FirstObservedAt":"2025-12-31T00:00:00Z","Severity":{"Label":"HIGH","Normalized":70},"Title":"CVE","Description":"d","Resources":[{"Type":"AwsEc2Instance","Id":"arn:aws:ec2:us-east-1:111122223333:instance/i-9"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	out := New().Detect(context.Background(), evs[0], nil)
	if len(out) != 1 || out[0].Type != "Vulnerability:EC2/AWSInspector.SecurityHub" || out[0].Severity != 7 || out[0].Service.ServiceName != "inspector" ||
		out[0].Service.EventFirstSeen != time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC) || out[0].Keys.Resource != "asff:x-1" {
		t.Fatalf("%+v", out)
	}
}

// TestNothingToRaise: events of other kinds, or without a finding, raise
// nothing, and out is returned as it was.
func TestNothingToRaise(t *testing.T) {
	prev := []finding.Finding{{Type: "x"}}
	for _, e := range []*event.Event{
		{Kind: event.KindCloudTrail},
		{Kind: event.KindFinding},
		{Kind: event.KindFinding, Finding: &finding.Finding{}},
		{Kind: event.KindCloudTrail, Finding: &finding.Finding{Type: "T"}},
	} {
		if out := New().Detect(context.Background(), e, prev); len(out) != 1 || &out[0] != &prev[0] {
			t.Errorf("%+v raised %v", e, out)
		}
	}
}

package abuse

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/event"
)

type collect struct {
	events []*event.Event
	bad    []string
}

func (c *collect) Event(e *event.Event) error { c.events = append(c.events, e.Clone()); return nil }
func (c *collect) Quarantine(b decode.Bad) error {
	c.bad = append(c.bad, b.Reason)
	return nil
}

func TestDecode(t *testing.T) {
	b, err := os.ReadFile("testdata/reports.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var c collect
	st, err := New().Decode(context.Background(), bytes.NewReader(b), decode.Options{}, &c)
	if err != nil {
		t.Fatal(err)
	}
	if st.Events != 4 || st.Quarantined != 6 {
		t.Fatalf("stats %+v, reasons %q", st, c.bad)
	}
	for _, want := range []string{"caseId: required", "not a 12-digit", "reportedAt", `"kind" must be "AbuseReport"`, "resources"} {
		if !strings.Contains(strings.Join(c.bad, "\n"), want) {
			t.Errorf("no quarantine reason about %q in %q", want, c.bad)
		}
	}
	type row struct {
		typ, account, region, resType string
		sev                           float64
	}
	want := []row{
		{"Recon:EC2/AbuseReport.PortScan", "111122223333", "us-east-1", "Instance", 8},
		{"Trojan:S3/AbuseReport.MalwareHosting", "111122223333", "", "S3Bucket", 8},
		{"Behavior:Account/AbuseReport.Other", "111122223333", "eu-west-1", "Account", 5},
		{"Backdoor:EC2/AbuseReport.Spam", "444455556666", "us-west-2", "Instance", 8},
	}
	for i, e := range c.events {
		f := e.Finding
		got := row{f.Type, f.AccountID, f.Region, f.Resource.ResourceType, f.Severity}
		if got != want[i] {
			t.Errorf("report %d: %+v, want %+v", i, got, want[i])
		}
		if e.Kind != event.KindFinding || f.Service.ServiceName != ServiceName || !f.External() || !strings.HasPrefix(f.Keys.Resource, "abuse:100000000") {
			t.Errorf("report %d: %+v", i, f)
		}
	}
	if id := c.events[0].Finding.Resource.InstanceDetails.InstanceID; id != "i-0abc1234def567890" {
		t.Errorf("instance %q", id)
	}
	info := c.events[0].Finding.Service.AdditionalInfo["abuseReport"].(map[string]any)
	if info["reportedIp"] != "198.51.100.7" || len(info["targets"].([]string)) != 2 {
		t.Errorf("abuse info %v", info)
	}
	if !Sniff(b) || Sniff([]byte(`{"eventVersion":"1.08","eventName":"x"}`)) {
		t.Error("sniff")
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := os.ReadFile("testdata/reports.jsonl")
	for _, l := range bytes.Split(b, []byte("\n")) {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var c collect
		st, err := New().Decode(context.Background(), bytes.NewReader(in), decode.Options{}, &c)
		if err != nil {
			t.Fatal(err)
		}
		if st.Events != int64(len(c.events)) || st.Quarantined != int64(len(c.bad)) {
			t.Fatalf("stats %+v vs %d events %d bad", st, len(c.events), len(c.bad))
		}
		for _, e := range c.events {
			if e.Finding == nil || e.Finding.Type == "" || len(e.Finding.AccountID) != 12 {
				t.Fatalf("bad finding %+v", e.Finding)
			}
		}
	})
}

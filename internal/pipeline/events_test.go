package pipeline

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/cloudtrail"
	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/store"
)

// Each kind of log fills the searchable columns with its own fields, and
// the row owns its copy of the record.
func TestStoredEvent(t *testing.T) {
	at := time.Date(2026, 10, 14, 9, 0, 0, 0, time.FixedZone("x", 3600))
	raw := []byte(`{"eventName":"DeleteBucket"}`)
	cases := []struct {
		name string
		e    event.Event
		want [8]string // account, kind, actor, srcIP, action, service, outcome, resource
	}{
		{"cloudtrail", event.Event{Kind: event.KindCloudTrail, Account: "111122223333", SourceIP: "203.0.113.5", Action: "DeleteBucket",
			Service: "s3.amazonaws.com", Actor: event.Actor{ARN: "arn:aws:iam::111122223333:user/a"},
			Resources: []event.Resource{{ARN: "arn:aws:s3:::b"}}},
			[8]string{"111122223333", "cloudtrail", "arn:aws:iam::111122223333:user/a", "203.0.113.5", "DeleteBucket", "s3.amazonaws.com", "success", "arn:aws:s3:::b"}},
		{"cloudtrail failed, service caller", event.Event{Kind: event.KindCloudTrail, Account: "1", SourceIP: "s3.amazonaws.com", Action: "GetObject",
			Failed: true, Actor: event.Actor{InvokedBy: "athena.amazonaws.com"}},
			[8]string{"1", "cloudtrail", "athena.amazonaws.com", "s3.amazonaws.com", "GetObject", "", "failure", ""}},
		{"flow rejected", event.Event{Kind: event.KindVPCFlow, Account: "2", Net: event.Network{SrcAddr: netip.MustParseAddr("198.51.100.7"),
			Action: "REJECT", InterfaceID: "eni-1", InstanceID: "i-1"}},
			[8]string{"2", "vpcflow", "i-1", "198.51.100.7", "REJECT", "vpcflow", "failure", "eni-1"}},
		{"dns nxdomain", event.Event{Kind: event.KindDNS, Account: "3", DNS: event.DNS{Query: "x.example.", RCode: "NXDOMAIN",
			SrcAddr: netip.MustParseAddr("10.0.0.5"), InstanceID: "i-2", VPCID: "vpc-1"}},
			[8]string{"3", "dns", "i-2", "10.0.0.5", "x.example.", "route53resolver", "failure", "vpc-1"}},
		{"external finding", event.Event{Kind: event.KindFinding, Finding: &finding.Finding{Type: "Recon:EC2/PortProbeUnprotectedPort", AccountID: "4",
			Keys: finding.Keys{Actor: "1.2.3.4", Resource: "i-3"}, Service: finding.Service{ServiceName: "guardduty"}}},
			[8]string{"4", "finding", "1.2.3.4", "", "Recon:EC2/PortProbeUnprotectedPort", "guardduty", "success", "i-3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.e
			e.Time, e.RawBytes, e.Origin = at, raw, event.Origin{Source: "trail"}
			se := StoredEvent(&e)
			got := [8]string{se.Account, se.Kind, se.Actor, se.SrcIP, se.Action, se.Service, se.Outcome, se.Resource}
			if got != tc.want {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
			if se.Source != "trail" || !se.Time.Equal(at) || se.Time.Location() != time.UTC || string(se.Raw) != string(raw) {
				t.Errorf("row %+v", se)
			}
			if len(se.Raw) > 0 && &se.Raw[0] == &raw[0] {
				t.Error("the row shares the decoder's buffer")
			}
		})
	}
}

// batchSink remembers how many events and state entries each commit held.
type batchSink struct {
	Collector
	events, state []int
	keys          []string
}

func (s *batchSink) Commit(ctx context.Context, b *store.Batch) (store.CommitResult, error) {
	s.events = append(s.events, len(b.Events))
	s.state = append(s.state, len(b.State))
	for _, e := range b.State {
		s.keys = append(s.keys, e.Detector+"/"+e.Key)
	}
	return s.Collector.Commit(ctx, b)
}

// counter is a stateful detector: every event of an account dirties the
// account's entry.
type counter struct {
	dirty map[string]bool
}

func (c *counter) Info() detect.Info {
	return detect.Info{Name: "counter", Kinds: []event.Kind{event.KindCloudTrail}}
}
func (c *counter) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	c.dirty[e.Account] = true
	return out
}
func (c *counter) StateName() string                              { return "counter" }
func (c *counter) RestoreState(entries []detect.StateEntry) error { return nil }
func (c *counter) DirtyState(out []detect.StateEntry) []detect.StateEntry {
	for k := range c.dirty {
		out = append(out, detect.StateEntry{Key: k, Value: []byte("v")})
	}
	clear(c.dirty)
	return out
}

// Events are committed with the batch that read them when the job stores
// events; a stateful detector's changes go with every commit.
func TestEventsAndStateCommitted(t *testing.T) {
	obj := corpusFile(t, 1000)
	dec, err := decode.NewRegistry(map[string]decode.Factory{cloudtrail.Format: cloudtrail.New})
	if err != nil {
		t.Fatal(err)
	}
	for _, keep := range []bool{true, false} {
		s := &batchSink{}
		c := &counter{dirty: map[string]bool{}}
		p := New(dec, detect.NewEngine([]detect.Detector{c}, nil), s, Options{BatchSize: 400}, nil, nil)
		if _, err := p.Process(t.Context(), Job{Source: "t", Format: "cloudtrail", Object: obj, Checkpoint: true, StoreEvents: keep}); err != nil {
			t.Fatal(err)
		}
		want := []int{400, 400, 200}
		if !keep {
			want = []int{0, 0, 0}
		}
		if !slices.Equal(s.events, want) {
			t.Errorf("store_events=%v: events per commit %v, want %v", keep, s.events, want)
		}
		if len(s.state) != 3 || s.state[0] == 0 || len(s.keys) == 0 || !strings.HasPrefix(s.keys[0], "counter/") {
			t.Errorf("state per commit %v, keys %v", s.state, s.keys)
		}
	}
}

package detect

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

type fake struct {
	info  Info
	calls int
}

func (f *fake) Info() Info { return f.info }
func (f *fake) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	f.calls++
	return append(out, finding.Finding{Type: f.info.Types[0], AccountID: e.Account, Region: "us-east-1"})
}

func det(name string, tags []string, actions ...string) *fake {
	return &fake{info: Info{Name: name, Tags: tags, Types: []string{"Test:IAMUser/" + name}, Kinds: []event.Kind{event.KindCloudTrail}, Actions: actions}}
}

func TestEngineDispatchesByAction(t *testing.T) {
	stop, all, other := det("stop", nil, "StopLogging"), det("all", nil), det("other", nil, "DeleteTrail")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	en := NewEngine([]Detector{stop, all, other}, func() time.Time { return now })
	e := &event.Event{Kind: event.KindCloudTrail, Action: "StopLogging", Account: "111122223333"}
	out := en.Detect(context.Background(), e, nil)
	if stop.calls != 1 || all.calls != 1 || other.calls != 0 || len(out) != 2 {
		t.Fatalf("calls stop=%d all=%d other=%d, findings %d", stop.calls, all.calls, other.calls, len(out))
	}
	for _, f := range out {
		if len(f.ID) != 32 || !f.CreatedAt.Equal(now) || f.Service.Count != 1 || f.SchemaVersion != "2.0" {
			t.Errorf("finding not sealed/stamped: %+v", f)
		}
	}
	// Another kind reaches no CloudTrail detector.
	out = en.Detect(context.Background(), &event.Event{Kind: event.KindUnknown, Action: "StopLogging"}, out[:0])
	if len(out) != 0 {
		t.Errorf("unknown kind raised %d findings", len(out))
	}
}

func TestRegistry(t *testing.T) {
	if _, err := NewRegistry(det("a", nil), det("a", nil)); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Fatalf("duplicate names: err = %v", err)
	}
	reg, err := NewRegistry(det("a", []string{"cloudtrail", "iam"}), det("b", []string{"cloudtrail", "noisy"}), det("c", []string{"s3"}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		expr     string
		disabled []string
		want     string
		err      string
	}{
		{"", nil, "a,b,c", ""},
		{"+cloudtrail", nil, "a,b", ""},
		{"+cloudtrail,-noisy", nil, "a", ""},
		{"-noisy", nil, "a,c", ""},
		{"s3, a", nil, "a,c", ""},
		{"", []string{"b"}, "a,c", ""},
		{"+nosuchtag", nil, "", "nosuchtag"},
		{"", []string{"zzz"}, "", "zzz"},
	}
	for _, tc := range tests {
		got, err := reg.Select(tc.expr, tc.disabled)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Select(%q): err = %v, want %q", tc.expr, err, tc.err)
			}
			continue
		}
		var names []string
		for _, d := range got {
			names = append(names, d.Info().Name)
		}
		if strings.Join(names, ",") != tc.want || err != nil {
			t.Errorf("Select(%q, %v) = %v (%v), want %s", tc.expr, tc.disabled, names, err, tc.want)
		}
	}
	if strings.Join(reg.Tags(), ",") != "cloudtrail,iam,noisy,s3" {
		t.Errorf("tags = %v", reg.Tags())
	}
}

package sigma

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/decode/cloudtrail"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

const corrBase = `title: Failed console login
id: base-failed-login
name: failed_login
logsource: {product: aws, service: cloudtrail}
level: low
detection:
  sel:
    eventName: ConsoleLogin
    responseElements.ConsoleLogin: Failure
  condition: sel
---
title: Access key created
name: key_created
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName: CreateAccessKey
  condition: sel
---
title: Trail stopped
name: trail_stopped
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName: StopLogging
  condition: sel
`

func ctEvent(t *testing.T, name, user, ip string, at time.Time, extra string) *event.Event {
	t.Helper()
	rec := fmt.Sprintf(`{"eventVersion":"1.09","eventTime":%q,"eventSource":"signin.amazonaws.com","eventName":%q,"awsRegion":"us-east-1","sourceIPAddress":%q,"recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/%s","accountId":"111122223333","userName":%q}%s}`,
		at.UTC().Format(time.RFC3339), name, ip, user, user, extra)
	e, err := cloudtrail.Parse([]byte(rec))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func corrSet(t *testing.T, corr string) *Set {
	t.Helper()
	rules, errs := Parse("corr.yml", []byte(corrBase+"---\n"+corr))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	crs, errs := Compile(rules, Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var sel []*CompiledRule
	for _, r := range crs {
		if r.corr != nil {
			sel = append(sel, r)
		}
	}
	return NewSet(sel)
}

func run(s *Set, evs ...*event.Event) []finding.Finding {
	var out []finding.Finding
	for _, e := range evs {
		out = s.Detect(context.Background(), e, out)
	}
	return out
}

const failure = `,"responseElements":{"ConsoleLogin":"Failure"}`

func TestEventCount(t *testing.T) {
	s := corrSet(t, `title: Brute force
logsource: {product: aws, service: cloudtrail}
level: high
tags: [attack.credential-access]
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [userIdentity.userName]
  timespan: 10m
  condition: {gte: 3}
`)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Two failures for alice, one for bob: nothing yet; base rules raise
	// nothing of their own (generate: false).
	got := run(s, ctEvent(t, "ConsoleLogin", "alice", "1.2.3.4", t0, failure),
		ctEvent(t, "ConsoleLogin", "bob", "1.2.3.4", t0.Add(time.Minute), failure),
		ctEvent(t, "ConsoleLogin", "alice", "1.2.3.4", t0.Add(2*time.Minute), failure))
	if len(got) != 0 {
		t.Fatalf("early findings: %v", got)
	}
	// A success does not count; the third failure within 10 minutes fires.
	got = run(s, ctEvent(t, "ConsoleLogin", "alice", "1.2.3.4", t0.Add(3*time.Minute), `,"responseElements":{"ConsoleLogin":"Success"}`),
		ctEvent(t, "ConsoleLogin", "alice", "1.2.3.4", t0.Add(4*time.Minute), failure))
	if len(got) != 1 {
		t.Fatalf("got %d findings, want 1", len(got))
	}
	f := got[0]
	if f.Type != "CredentialAccess:IAMUser/BruteForce.Sigma" || f.Severity != 7.5 {
		t.Errorf("finding %s %.1f", f.Type, f.Severity)
	}
	c := f.Service.AdditionalInfo["sigma"].(map[string]any)["correlation"].(map[string]any)
	if c["count"] != int64(3) || c["group"].(map[string]any)["userIdentity.userName"] != "alice" {
		t.Errorf("correlation info %v", c)
	}
	// Spread over more than the timespan: no finding.
	s = corrSet(t, strings.Replace(`title: Brute force
logsource: {product: aws, service: cloudtrail}
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [userIdentity.userName]
  timespan: 10m
  condition: {gte: 3}
`, "", "", 1))
	got = run(s, ctEvent(t, "ConsoleLogin", "carol", "1.2.3.4", t0, failure),
		ctEvent(t, "ConsoleLogin", "carol", "1.2.3.4", t0.Add(6*time.Minute), failure),
		ctEvent(t, "ConsoleLogin", "carol", "1.2.3.4", t0.Add(12*time.Minute), failure))
	if len(got) != 0 {
		t.Fatalf("spread failures raised %d findings", len(got))
	}
}

func TestValueCount(t *testing.T) {
	s := corrSet(t, `title: Spray from many addresses
logsource: {product: aws, service: cloudtrail}
correlation:
  type: value_count
  rules: [failed_login]
  group-by: [userIdentity.userName]
  timespan: 1h
  condition: {gte: 3, field: sourceIPAddress}
`)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	got := run(s, ctEvent(t, "ConsoleLogin", "alice", "1.1.1.1", t0, failure),
		ctEvent(t, "ConsoleLogin", "alice", "1.1.1.1", t0.Add(time.Minute), failure),
		ctEvent(t, "ConsoleLogin", "alice", "2.2.2.2", t0.Add(2*time.Minute), failure))
	if len(got) != 0 {
		t.Fatalf("two distinct addresses raised %d", len(got))
	}
	got = run(s, ctEvent(t, "ConsoleLogin", "alice", "3.3.3.3", t0.Add(3*time.Minute), failure))
	if len(got) != 1 {
		t.Fatalf("third distinct address raised %d, want 1", len(got))
	}
}

func TestTemporal(t *testing.T) {
	ordered := `title: Key then trail stop
logsource: {product: aws, service: cloudtrail}
correlation:
  type: temporal_ordered
  rules: [key_created, trail_stopped]
  group-by: [userIdentity.userName]
  timespan: 30m
`
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := corrSet(t, ordered)
	if got := run(s, ctEvent(t, "StopLogging", "alice", "1.1.1.1", t0, ""), ctEvent(t, "CreateAccessKey", "alice", "1.1.1.1", t0.Add(time.Minute), "")); len(got) != 0 {
		t.Fatalf("wrong order raised %d", len(got))
	}
	if got := run(s, ctEvent(t, "StopLogging", "alice", "1.1.1.1", t0.Add(2*time.Minute), "")); len(got) != 1 {
		t.Fatalf("right order raised %d, want 1", len(got))
	}
	s = corrSet(t, strings.Replace(ordered, "temporal_ordered", "temporal", 1))
	if got := run(s, ctEvent(t, "StopLogging", "bob", "1.1.1.1", t0, ""), ctEvent(t, "CreateAccessKey", "bob", "1.1.1.1", t0.Add(time.Minute), "")); len(got) != 1 {
		t.Fatalf("temporal (any order) raised %d, want 1", len(got))
	}
	if got := run(s, ctEvent(t, "StopLogging", "carol", "1.1.1.1", t0, ""), ctEvent(t, "CreateAccessKey", "carol", "1.1.1.1", t0.Add(31*time.Minute), "")); len(got) != 0 {
		t.Fatalf("temporal outside the timespan raised %d", len(got))
	}
}

func TestCorrelationErrors(t *testing.T) {
	for _, tc := range []struct{ corr, want string }{
		{"title: x\ncorrelation:\n  type: event_count\n  rules: [nope]\n  timespan: 5m\n  condition: {gte: 2}\n", `unknown rule "nope"`},
		{"title: x\ncorrelation:\n  type: event_count\n  rules: [failed_login]\n  timespan: 5 minutes\n  condition: {gte: 2}\n", "invalid timespan"},
		{"title: x\ncorrelation:\n  type: value_count\n  rules: [failed_login]\n  timespan: 5m\n  condition: {gte: 2}\n", "condition.field"},
		{"title: x\ncorrelation:\n  type: sequence\n  rules: [failed_login]\n  timespan: 5m\n", "unknown correlation type"},
		{"title: x\ncorrelation:\n  type: temporal\n  rules: [failed_login]\n  timespan: 5m\n", "at least two rules"},
	} {
		rules, errs := Parse("c.yml", []byte(corrBase+"---\n"+tc.corr))
		if len(errs) == 0 {
			_, errs = Compile(rules, Options{})
		}
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
			t.Errorf("%q: errors %v, want %q", tc.corr, errs, tc.want)
		}
	}
}

// A shadow rule counts its matches and raises archived findings only.
func TestShadowAndFindingShape(t *testing.T) {
	rules, errs := Parse("s.yml", []byte(corrBase))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	crs, _ := Compile(rules, Options{Shadow: []string{"trail_stopped"}})
	s := NewSet(crs)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	got := run(s, ctEvent(t, "StopLogging", "alice", "203.0.113.5", t0, ""), ctEvent(t, "ConsoleLogin", "bob", "198.51.100.1", t0, failure))
	if len(got) != 2 {
		t.Fatalf("%d findings, want 2", len(got))
	}
	shadow, live := got[0], got[1]
	if !shadow.Service.Archived || live.Service.Archived {
		t.Errorf("archived: shadow %v, live %v", shadow.Service.Archived, live.Service.Archived)
	}
	info := live.Service.AdditionalInfo["sigma"].(map[string]any)
	if info["id"] != "base-failed-login" || info["title"] != "Failed console login" {
		t.Errorf("sigma info %v", info)
	}
	m := info["matched"].(map[string]any)
	if m["eventName"] != "ConsoleLogin" || m["responseElements.ConsoleLogin"] != "Failure" {
		t.Errorf("matched fields %v", m)
	}
	if live.Type != "Behavior:IAMUser/FailedLogin.Sigma" || live.Severity != 2.0 || live.Service.DetectorID != "sigma/failed_login" {
		t.Errorf("finding %s %.1f %s", live.Type, live.Severity, live.Service.DetectorID)
	}
	if live.Resource.AccessKeyDetails == nil || live.Resource.AccessKeyDetails.UserName != "bob" {
		t.Errorf("resource %+v", live.Resource)
	}
	var n uint64
	for _, st := range s.Stats() {
		n += st.Matches
	}
	if n != 2 {
		t.Errorf("match counts %v", s.Stats())
	}
}

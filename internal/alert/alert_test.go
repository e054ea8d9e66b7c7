package alert

import (
	"errors"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func act(k Kind, at time.Duration) Action {
	return Action{Kind: k, Actor: "slack:U1", At: t0.Add(at)}
}

// Each row: a path of actions from a fresh alert, the state reached, and
// whether the last action is refused.
func TestStateMachine(t *testing.T) {
	archive := func(r Reason) Action { a := act(Archive, time.Hour); a.Reason, a.Note = r, "scanner"; return a }
	for _, tc := range []struct {
		name    string
		path    []Action
		want    State
		illegal bool
	}{
		{"open", []Action{act(Open, 0)}, New, false},
		{"notify", []Action{act(Open, 0), act(Notify, time.Second)}, Notified, false},
		{"acknowledge", []Action{act(Open, 0), act(Notify, 1), act(Acknowledge, time.Minute)}, Acknowledged, false},
		{"acknowledge before the notification arrived", []Action{act(Open, 0), act(Acknowledge, 1)}, Acknowledged, false},
		{"resolve", []Action{act(Open, 0), act(Notify, 1), act(Acknowledge, 2), act(Resolve, 3)}, Resolved, false},
		{"archive with a reason", []Action{act(Open, 0), act(Notify, 1), archive(FalsePositive)}, Archived, false},
		{"archive without a reason", []Action{act(Open, 0), act(Archive, 1)}, New, true},
		{"archive with an unknown reason", []Action{act(Open, 0), archive("because")}, New, true},
		{"acknowledge twice", []Action{act(Open, 0), act(Acknowledge, 1), act(Acknowledge, 2)}, Acknowledged, true},
		{"notify twice", []Action{act(Open, 0), act(Notify, 1), act(Notify, 2)}, Notified, true},
		{"resolve a resolved alert", []Action{act(Open, 0), act(Resolve, 1), act(Resolve, 2)}, Resolved, true},
		{"acknowledge an archived alert", []Action{act(Open, 0), archive(Handled), act(Acknowledge, 2*time.Hour)}, Archived, true},
		{"unarchive goes back where it was", []Action{act(Open, 0), act(Notify, 1), act(Acknowledge, 2), archive(Duplicate), act(Unarchive, 2*time.Hour)}, Acknowledged, false},
		{"unarchive an open alert", []Action{act(Open, 0), act(Unarchive, 1)}, New, true},
		{"recurrence after resolved reopens", []Action{act(Open, 0), act(Resolve, 1), act(Recur, 2)}, New, false},
		{"recurrence after archived as expected stays archived", []Action{act(Open, 0), archive(Expected), act(Recur, 2*time.Hour)}, Archived, false},
		{"recurrence after archived as false positive reopens", []Action{act(Open, 0), archive(FalsePositive), act(Recur, 2*time.Hour)}, New, false},
		{"escalate", []Action{act(Open, 0), act(Escalate, 1)}, New, false},
		{"escalate twice", []Action{act(Open, 0), act(Escalate, 1), act(Escalate, 2)}, New, true},
		{"escalate a closed alert", []Action{act(Open, 0), act(Resolve, 1), act(Escalate, 2)}, Resolved, true},
		{"open twice", []Action{act(Open, 0), act(Open, 1)}, New, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &Alert{ID: "a1"}
			var err error
			for i, ac := range tc.path {
				before := *a
				var tr Transition
				tr, err = Apply(a, ac)
				if err != nil {
					if i != len(tc.path)-1 {
						t.Fatalf("step %d (%s): %v", i, ac.Kind, err)
					}
					if *a != before {
						t.Errorf("a refused action changed the alert")
					}
					break
				}
				if tr.From != before.State || tr.To != a.State || tr.Kind != ac.Kind || tr.Actor != ac.Actor || !tr.At.Equal(ac.At) {
					t.Errorf("step %d: transition %+v (alert %s → %s)", i, tr, before.State, a.State)
				}
			}
			if tc.illegal != (err != nil) {
				t.Fatalf("last action error %v, want illegal=%v", err, tc.illegal)
			}
			if err != nil && tc.name != "archive with an unknown reason" && !errors.Is(err, ErrIllegal) {
				t.Errorf("error %v does not wrap ErrIllegal", err)
			}
			if a.State != tc.want {
				t.Errorf("state %s, want %s", a.State, tc.want)
			}
		})
	}
}

func TestRecurrenceCountsAndResets(t *testing.T) {
	a := &Alert{ID: "a1"}
	for _, ac := range []Action{act(Open, 0), act(Notify, time.Minute), act(Acknowledge, 5*time.Minute), act(Resolve, time.Hour)} {
		if _, err := Apply(a, ac); err != nil {
			t.Fatal(err)
		}
	}
	if rt := a.ResponseTimes(); rt.ToNotify != time.Minute || rt.ToAcknowledge != 5*time.Minute || rt.ToClose != time.Hour {
		t.Errorf("response times %+v", rt)
	}
	if _, err := Apply(a, act(Recur, 2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if a.Occurrences != 1 || !a.AckedAt.IsZero() || !a.ClosedAt.IsZero() || a.AckedBy != "" {
		t.Errorf("reopened alert %+v", a)
	}
	b := &Alert{ID: "b"}
	Apply(b, act(Open, 0))
	ar := act(Archive, time.Minute)
	ar.Reason = Expected
	Apply(b, ar)
	for i := range 3 {
		Apply(b, act(Recur, time.Duration(i+2)*time.Minute))
	}
	if b.State != Archived || b.Occurrences != 3 || b.Reason != Expected {
		t.Errorf("expected activity: %+v", b)
	}
	if _, err := Apply(&Alert{}, Action{Kind: Open, At: t0}); err == nil {
		t.Error("an action without an actor was accepted")
	}
	if _, err := ParseReason("Expected"); err != nil {
		t.Error(err)
	}
}

func TestStats(t *testing.T) {
	mk := func(acct string, sev float64, ack, closed time.Duration) Alert {
		a := Alert{ID: acct, Account: acct, Severity: sev, Type: "T", Route: "account:" + acct, CreatedAt: t0, NotifiedAt: t0.Add(time.Second), State: Notified}
		if ack > 0 {
			a.AckedAt, a.State = t0.Add(ack), Acknowledged
		}
		if closed > 0 {
			a.ClosedAt, a.State = t0.Add(closed), Resolved
		}
		return a
	}
	alerts := []Alert{
		mk("a", 8, 10*time.Minute, time.Hour),   // High, acked in time
		mk("a", 8, 20*time.Minute, 2*time.Hour), // High, acked late
		mk("a", 8, 0, 0),                        // High, open, unacked for 1h at now
		mk("b", 2, 2*time.Hour, 0),              // Low, acked in time, open
	}
	now := t0.Add(time.Hour)
	rows, err := Stats(alerts, "account", DefaultSLA, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Key != "a" || rows[0].Alerts != 3 || rows[0].Open != 1 || rows[0].PastSLA != 2 {
		t.Fatalf("rows %+v", rows)
	}
	if rows[0].AckP50 != 10*time.Minute || rows[0].AckP90 != 20*time.Minute || rows[0].CloseP50 != time.Hour || rows[0].NotifyP50 != time.Second {
		t.Errorf("percentiles %+v", rows[0])
	}
	if rows[1].PastSLA != 0 || rows[1].Open != 1 {
		t.Errorf("low row %+v", rows[1])
	}
	sev, _ := Stats(alerts, "severity", DefaultSLA, now)
	if sev[0].Key != "High" || sev[0].Alerts != 3 {
		t.Errorf("by severity %+v", sev)
	}
	if _, err := Stats(alerts, "color", DefaultSLA, now); err == nil {
		t.Error("unknown grouping accepted")
	}
}

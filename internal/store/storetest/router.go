package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/store"
)

func pending(t *testing.T, s store.Store) map[string]store.PendingFinding {
	t.Helper()
	ps, err := s.PendingFindings(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.PendingFinding{}
	for _, p := range ps {
		out[p.Finding.ID] = p
	}
	return out
}

func routeCommit(t *testing.T, s store.Store, b *store.RouteBatch) {
	t.Helper()
	if err := s.RouteCommit(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

// A new or changed finding is pending until routed at its version; a
// change after the routing decision was read makes it pending again.
func testRoutingVersions(t *testing.T, s store.Store) {
	a := newFinding("111111111111", "Recon:EC2/PortProbeUnprotectedPort", "i-1")
	b := newFinding("111111111111", "Policy:IAMUser/RootCredentialUsage", "root")
	commit(t, s, &store.Batch{Findings: []finding.Finding{a, b}, Now: at(0)})
	p := pending(t, s)
	if len(p) != 2 || p[a.ID].Version != 1 {
		t.Fatalf("pending %v", p)
	}
	// Route a, queue a notification, record state.
	routeCommit(t, s, &store.RouteBatch{
		Routed:   []store.RoutedVersion{{FindingID: a.ID, Version: 1}},
		Notified: []store.NotifiedState{{FindingID: a.ID, Target: "slack:team", Severity: 5, Count: 1, At: at(time.Second)}},
		Outbox:   []store.OutboxRow{{DedupKey: a.ID + "/1", Target: "slack:team", FindingID: a.ID, GroupKey: "g", Payload: []byte(`{"k":1}`), NotBefore: at(time.Second)}},
		Now:      at(time.Second),
	})
	p = pending(t, s)
	if _, still := p[a.ID]; still || len(p) != 1 {
		t.Fatalf("after routing a: pending %v", p)
	}
	// b changes between reading and routing: the stale decision does not
	// mark it routed.
	commit(t, s, &store.Batch{Findings: []finding.Finding{b}, Now: at(2 * time.Second)})
	routeCommit(t, s, &store.RouteBatch{Routed: []store.RoutedVersion{{FindingID: b.ID, Version: 1}}, Now: at(3 * time.Second)})
	p = pending(t, s)
	if p[b.ID].Version != 2 {
		t.Fatalf("b after a stale routing: %v", p)
	}
	// a repeats: pending again, with its notify state.
	commit(t, s, &store.Batch{Findings: []finding.Finding{a}, Now: at(4 * time.Second)})
	p = pending(t, s)
	st, ok := p[a.ID].Notified["slack:team"]
	if !ok || st.Severity != 5 || st.Count != 1 || !st.At.Equal(at(time.Second)) {
		t.Fatalf("a's notify state %+v", p[a.ID].Notified)
	}
	// A duplicate dedup key is ignored; suppression archives b and routes it.
	routeCommit(t, s, &store.RouteBatch{
		Routed:     []store.RoutedVersion{{FindingID: a.ID, Version: 2}, {FindingID: b.ID, Version: 2}},
		Outbox:     []store.OutboxRow{{DedupKey: a.ID + "/1", Target: "slack:team", FindingID: a.ID, GroupKey: "g", Payload: []byte(`{"k":2}`), NotBefore: at(5 * time.Second)}},
		Suppressed: []string{b.ID},
		Now:        at(5 * time.Second),
	})
	if p = pending(t, s); len(p) != 0 {
		t.Fatalf("pending after routing all: %v", p)
	}
	if f := getFinding(t, s, b.ID); !f.Service.Archived {
		t.Error("suppressed finding not archived")
	}
	rows, err := s.Outbox(context.Background(), "", 10)
	if err != nil || len(rows) != 1 || string(rows[0].Payload) != `{"k":1}` {
		t.Fatalf("outbox %v %v", rows, err)
	}
}

func testOutbox(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := newFinding("111111111111", "Recon:EC2/PortProbeUnprotectedPort", "i-1")
	commit(t, s, &store.Batch{Findings: []finding.Finding{f}, Now: at(0)})
	routeCommit(t, s, &store.RouteBatch{
		Routed:   []store.RoutedVersion{{FindingID: f.ID, Version: 1}},
		Notified: []store.NotifiedState{{FindingID: f.ID, Target: "slack:team", Severity: 5, Count: 1, At: at(0)}},
		Outbox: []store.OutboxRow{
			{DedupKey: "n1", Target: "slack:team", FindingID: f.ID, GroupKey: "g", Payload: []byte(`1`), NotBefore: at(0)},
			{DedupKey: "n2", Target: "slack:team", FindingID: f.ID, GroupKey: "g", Payload: []byte(`2`), NotBefore: at(time.Minute)},
		},
		Now: at(0),
	})
	// Only the due row is claimed; a claimed row is not claimed again
	// while leased.
	rows, err := s.ClaimOutbox(ctx, "w1", at(time.Second), time.Minute, 10)
	if err != nil || len(rows) != 1 || rows[0].DedupKey != "n1" || rows[0].Attempts != 1 || rows[0].Thread != "" {
		t.Fatalf("claim: %+v %v", rows, err)
	}
	if again, _ := s.ClaimOutbox(ctx, "w2", at(2*time.Second), time.Minute, 10); len(again) != 0 {
		t.Fatalf("leased row claimed again: %+v", again)
	}
	// Another owner cannot complete it.
	if err := s.CompleteOutbox(ctx, "w2", store.OutboxCompletion{ID: rows[0].ID, State: store.OutboxSent}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("foreign completion: %v", err)
	}
	// Retry later, then send: the thread is recorded for the finding.
	if err := s.CompleteOutbox(ctx, "w1", store.OutboxCompletion{ID: rows[0].ID, State: store.OutboxPending, RetryAt: at(30 * time.Second), Error: "HTTP 500"}); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.ClaimOutbox(ctx, "w1", at(10*time.Second), time.Minute, 10); len(r) != 0 {
		t.Fatalf("claimed before its retry time: %+v", r)
	}
	rows, err = s.ClaimOutbox(ctx, "w1", at(31*time.Second), time.Minute, 10)
	if err != nil || len(rows) != 1 || rows[0].Attempts != 2 || rows[0].LastError != "HTTP 500" {
		t.Fatalf("retry claim: %+v %v", rows, err)
	}
	if err := s.CompleteOutbox(ctx, "w1", store.OutboxCompletion{ID: rows[0].ID, State: store.OutboxSent, Thread: "1700000000.000100", FindingID: f.ID, Target: "slack:team", At: at(32 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	// The second row, due later, carries the first message's thread; an
	// expired lease can be taken over.
	rows, err = s.ClaimOutbox(ctx, "w1", at(2*time.Minute), time.Second, 10)
	if err != nil || len(rows) != 1 || rows[0].DedupKey != "n2" || rows[0].Thread != "1700000000.000100" {
		t.Fatalf("second claim: %+v %v", rows, err)
	}
	rows, err = s.ClaimOutbox(ctx, "w2", at(2*time.Minute+2*time.Second), time.Minute, 10)
	if err != nil || len(rows) != 1 || rows[0].Attempts != 2 {
		t.Fatalf("takeover after lease expiry: %+v %v", rows, err)
	}
	if err := s.CompleteOutbox(ctx, "w2", store.OutboxCompletion{ID: rows[0].ID, State: store.OutboxDead, Error: "channel_not_found"}); err != nil {
		t.Fatal(err)
	}
	counts, err := s.OutboxCounts(ctx)
	if err != nil || counts[store.OutboxSent] != 1 || counts[store.OutboxDead] != 1 || counts[store.OutboxPending] != 0 {
		t.Fatalf("counts %v %v", counts, err)
	}
	dead, _ := s.Outbox(ctx, store.OutboxDead, 10)
	if len(dead) != 1 || dead[0].LastError != "channel_not_found" {
		t.Fatalf("dead rows %+v", dead)
	}
}

// Two workers claiming at once never get the same row.
func testOutboxConcurrentClaims(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := newFinding("111111111111", "Recon:EC2/PortProbeUnprotectedPort", "i-1")
	commit(t, s, &store.Batch{Findings: []finding.Finding{f}, Now: at(0)})
	var rows []store.OutboxRow
	for i := range 60 {
		rows = append(rows, store.OutboxRow{DedupKey: fmt.Sprint("n", i), Target: "t", FindingID: f.ID, GroupKey: "g", Payload: []byte(`{}`), NotBefore: at(0)})
	}
	routeCommit(t, s, &store.RouteBatch{Outbox: rows, Now: at(0)})
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprint("w", w)
			for range 10 {
				got, err := s.ClaimOutbox(ctx, owner, at(time.Second), time.Hour, 5)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, r := range got {
					if prev, dup := seen[r.ID]; dup {
						t.Errorf("row %d claimed by %s and %s", r.ID, prev, owner)
					}
					seen[r.ID] = owner
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 60 {
		t.Errorf("%d of 60 rows claimed", len(seen))
	}
}

func testSuppressionRules(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := store.SuppressionRule{ID: "r1", Name: "scanner", Owner: "sec", Reason: "our scanner", Criteria: []byte(`{"Criterion":{"type":{"Equals":["Recon:EC2/PortProbeUnprotectedPort"]}}}`),
		Expires: at(time.Hour), CreatedAt: at(0), CreatedBy: "alice"}
	if err := s.PutSuppressionRule(ctx, r, store.AuditEntry{Action: "add", Actor: "alice", At: at(0), Detail: "{}"}); err != nil {
		t.Fatal(err)
	}
	r2 := r
	r2.ID, r2.Expires = "r2", time.Time{}
	if err := s.PutSuppressionRule(ctx, r2, store.AuditEntry{Action: "add", Actor: "bob", At: at(time.Second)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.SuppressionRules(ctx)
	if err != nil || len(got) != 2 || got[0].ID != "r1" || !got[0].Expires.Equal(at(time.Hour)) || !got[1].Expires.IsZero() || string(got[0].Criteria) != string(r.Criteria) {
		t.Fatalf("rules %+v %v", got, err)
	}
	if err := s.DeleteSuppressionRule(ctx, "r1", store.AuditEntry{Action: "remove", Actor: "carol", At: at(2 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSuppressionRule(ctx, "r1", store.AuditEntry{Action: "remove", Actor: "carol"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	audit, err := s.SuppressionAudit(ctx, 10)
	if err != nil || len(audit) != 3 {
		t.Fatalf("audit %+v %v", audit, err)
	}
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Actor+":"+a.Action+":"+a.RuleID)
	}
	if want := []string{"carol:remove:r1", "bob:add:r2", "alice:add:r1"}; fmt.Sprint(actions) != fmt.Sprint(want) {
		t.Errorf("audit order %v, want %v", actions, want)
	}
}

package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/store"
)

func testAlerts(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := alert.Alert{FindingID: "f1", Account: "111111111111", Region: "us-east-1", Type: "Recon:EC2/PortProbeUnprotectedPort", Severity: 5, Title: "probe", Route: "account:111111111111"}
	got, tr, err := s.ApplyAlert(ctx, "a1", &a, alert.Action{Kind: alert.Open, Actor: "picket", At: at(0)})
	if err != nil || got.State != alert.New || tr.To != alert.New || !got.CreatedAt.Equal(at(0)) {
		t.Fatalf("open: %+v %+v %v", got, tr, err)
	}
	if _, _, err := s.ApplyAlert(ctx, "a1", &a, alert.Action{Kind: alert.Open, Actor: "picket", At: at(1)}); !errors.Is(err, alert.ErrIllegal) {
		t.Errorf("second open: %v", err)
	}
	// An illegal transition stores nothing.
	if _, _, err := s.ApplyAlert(ctx, "a1", nil, alert.Action{Kind: alert.Resolve, Actor: "slack:U1", At: at(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ApplyAlert(ctx, "a1", nil, alert.Action{Kind: alert.Acknowledge, Actor: "slack:U2", At: at(2 * time.Minute)}); !errors.Is(err, alert.ErrIllegal) {
		t.Errorf("acknowledge a resolved alert: %v", err)
	}
	if _, _, err := s.ApplyAlert(ctx, "nope", nil, alert.Action{Kind: alert.Acknowledge, Actor: "slack:U2", At: at(0)}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown alert: %v", err)
	}
	// Opened and recurred through a routing commit; the outbox row's
	// delivery marks the alert notified.
	f := newFinding("222222222222", "Backdoor:EC2/C&CActivity.B", "i-2")
	commit(t, s, &store.Batch{Findings: []finding.Finding{f}, Now: at(0)})
	b := alert.Alert{FindingID: f.ID, Account: f.AccountID, Type: f.Type, Severity: 8, Route: "account:222222222222"}
	b.ID = "a2"
	routeCommit(t, s, &store.RouteBatch{
		AlertOpens:   []store.AlertOpen{{Alert: b, Actor: "picket"}},
		AlertActions: []store.AlertAction{{AlertID: "a1", Action: alert.Action{Kind: alert.Recur, Actor: "picket", At: at(time.Hour)}}},
		Outbox:       []store.OutboxRow{{DedupKey: "n-a2", Target: "account:222222222222", FindingID: f.ID, AlertID: "a2", GroupKey: "g", Payload: []byte(`{}`), NotBefore: at(0)}},
		Now:          at(time.Hour),
	})
	rows, err := s.ClaimOutbox(ctx, "w", at(time.Hour), time.Minute, 10)
	if err != nil || len(rows) != 1 || rows[0].AlertID != "a2" {
		t.Fatalf("claim %+v %v", rows, err)
	}
	if err := s.CompleteOutbox(ctx, "w", store.OutboxCompletion{ID: rows[0].ID, State: store.OutboxSent, At: at(time.Hour + time.Second)}); err != nil {
		t.Fatal(err)
	}
	a2, err := s.GetAlert(ctx, "a2")
	if err != nil || a2.State != alert.Notified || !a2.NotifiedAt.Equal(at(time.Hour+time.Second)) {
		t.Fatalf("a2 after delivery: %+v %v", a2, err)
	}
	a1, _ := s.GetAlert(ctx, "a1")
	if a1.State != alert.New || a1.Occurrences != 1 {
		t.Errorf("a1 after recurrence: %+v", a1)
	}
	hist, err := s.AlertHistory(ctx, "a1")
	if err != nil || len(hist) != 3 || hist[0].Kind != alert.Open || hist[1].To != alert.Resolved || hist[1].Actor != "slack:U1" || hist[2].Kind != alert.Recur {
		t.Fatalf("history %+v %v", hist, err)
	}
	open, err := s.ListAlerts(ctx, store.AlertQuery{States: []alert.State{alert.New, alert.Notified}})
	if err != nil || len(open) != 2 {
		t.Fatalf("open alerts %+v %v", open, err)
	}
	mine, _ := s.ListAlerts(ctx, store.AlertQuery{Accounts: []string{"222222222222"}})
	if len(mine) != 1 || mine[0].ID != "a2" {
		t.Errorf("by account %+v", mine)
	}
	byID, _ := s.AlertsByID(ctx, []string{"a1", "a2", "zz"})
	if len(byID) != 2 {
		t.Errorf("by id %v", byID)
	}
}

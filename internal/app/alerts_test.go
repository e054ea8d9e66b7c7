package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/notify"
	"github.com/picket-dev/picket/internal/pipeline"
	"github.com/picket-dev/picket/internal/source"
	"github.com/picket-dev/picket/internal/store"
)

// A developer's archive from Slack is posted to the security channel and
// waits; an objection cancels it; a security engineer's applies at once.
func TestAlertServiceArchive(t *testing.T) {
	slack := newFakeSlack(t)
	cfg := routedConfig(t, slack.srv.URL)
	a, err := New(t.Context(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	for i, user := range []string{"alice", "bob"} {
		job := pipeline.Job{Source: "push", Format: "cloudtrail", Object: source.BytesObject("svc-"+user, []byte(stopLogging(user, i)), time.Now())}
		if _, err := a.newPipe().Process(ctx, job); err != nil {
			t.Fatal(err)
		}
	}
	a.dispatch.RouteOnce(ctx)
	a.dispatch.SendOnce(ctx)
	as, _ := a.Store().ListAlerts(ctx, store.AlertQuery{})
	if len(as) != 2 {
		t.Fatalf("%d alerts", len(as))
	}
	svc := &AlertService{Store: a.Store(), Dispatch: a.dispatch, SecurityUsers: []string{"USEC"}, ArchiveDelay: time.Hour}
	if ch := svc.ChannelOf(as[0]); ch != "C0111111111" {
		t.Errorf("channel %q", ch)
	}
	if open, _ := svc.OpenAlerts(ctx, []string{"C0111111111"}, 10); len(open) != 2 {
		t.Errorf("open alerts in the channel: %d", len(open))
	}
	dev, sec := as[0].ID, as[1].ID
	if _, err := svc.RequestArchive(ctx, dev, "slack:UDEV", alert.FalsePositive, "test trail"); err != nil {
		t.Fatal(err)
	}
	got, _ := svc.Alert(ctx, dev)
	if got.State == alert.Archived {
		t.Fatal("a developer's archive applied at once")
	}
	a.dispatch.SendOnce(ctx)
	var toSecurity bool
	for _, p := range slack.snapshot() {
		if p.Channel == "C0SECURITY1" && strings.Contains(p.Body, "False positive") && strings.Contains(p.Body, "test trail") {
			toSecurity = true
		}
	}
	if !toSecurity {
		t.Errorf("the security channel did not see the reason: %+v", slack.snapshot())
	}
	if _, err := svc.Object(ctx, dev, "slack:USEC"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Object(ctx, dev, "slack:USEC"); err == nil {
		t.Error("objected twice")
	}
	got2, err := svc.RequestArchive(ctx, sec, "slack:USEC", alert.Handled, "done")
	if err != nil || got2.State != alert.Archived || got2.ClosedBy != "slack:USEC" {
		t.Errorf("security archive: %+v %v", got2, err)
	}
	if _, err := svc.RequestArchive(ctx, sec, "slack:UDEV", alert.Handled, ""); err == nil {
		t.Error("archived a closed alert")
	}
}

// Messages rewritten for a repeat keep the alert's status and offer only
// the buttons that still apply.
func TestAlertButtonsFollowState(t *testing.T) {
	labels := func(state, status string) string {
		var out []string
		for _, b := range AlertButtons(notify.Message{AlertID: "a1", AlertState: state, AlertStatus: status}) {
			out = append(out, b.Label)
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct{ state, status, want string }{
		{"", "", "Acknowledge,Archive…,Escalate"},
		{"notified", "", "Acknowledge,Archive…,Escalate"},
		{"acknowledged", "Acknowledged by slack:U1 at 2026-11-25 12:03 UTC", "Archive…,Escalate"},
		{"acknowledged", "Acknowledged by slack:U1 · Escalated by picket", "Archive…"},
		{"archived", "Archived", ""},
		{"resolved", "Resolved", ""},
	} {
		if got := labels(tc.state, tc.status); got != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.state, tc.status, got, tc.want)
		}
	}
	if AlertButtons(notify.Message{AlertID: "a1", Reason: notify.ReasonReminder}) != nil {
		t.Error("buttons on a reminder")
	}
}

package worker_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/alert/worker"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/notify"
	"github.com/picket-dev/picket/internal/route"
	"github.com/picket-dev/picket/internal/store"
	"github.com/picket-dev/picket/internal/store/sqlite"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

type okNotifier struct{ sent []notify.Message }

func (n *okNotifier) Send(_ context.Context, tg notify.Target, m notify.Message) (notify.Result, error) {
	n.sent = append(n.sent, m)
	return notify.Result{Thread: "ts-1"}, nil
}

func setup(t *testing.T) (store.Store, *route.Dispatcher, *okNotifier, *time.Time) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var cfg route.Config
	yaml.Unmarshal([]byte(`
default: {slackConfig: {channelID: C0DEFAULT01}}
security_team: {slackConfig: {channelID: C0SECURITY1}, min_severity: 9.5}
slack: {token_env: T}
`), &cfg)
	tab, err := route.NewTable(cfg, nil, func(string) (string, bool) { return "xoxb", true })
	if err != nil {
		t.Fatal(err)
	}
	clock := t0
	n := &okNotifier{}
	d := route.NewDispatcher(st, tab, n, "d", func() time.Time { return clock }, nil, nil)
	return st, d, n, &clock
}

func newHigh(t *testing.T, st store.Store, d *route.Dispatcher, at time.Time) alert.Alert {
	t.Helper()
	f := finding.Finding{AccountID: "999999999999", Region: "us-east-1", Type: "Backdoor:EC2/C&CActivity.B", Severity: 8, Title: "c2",
		Resource: finding.Resource{ResourceType: "Instance", InstanceDetails: &finding.InstanceDetails{InstanceID: "i-1"}}, CreatedAt: at, UpdatedAt: at}
	f.Service.Count, f.Service.EventFirstSeen, f.Service.EventLastSeen = 1, at, at
	f.Seal()
	if _, err := st.Commit(context.Background(), &store.Batch{Findings: []finding.Finding{f}, Now: at}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.RouteOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SendOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	as, _ := st.ListAlerts(context.Background(), store.AlertQuery{})
	if len(as) != 1 {
		t.Fatalf("%d alerts", len(as))
	}
	return as[0]
}

// A High alert nobody acknowledges: a reminder in its channel after 15
// minutes, an escalation to security after 30; a worker killed mid-way
// leaves its job to the next one after the lease.
func TestSLAReminders(t *testing.T) {
	ctx := context.Background()
	st, d, n, clock := setup(t)
	a := newHigh(t, st, d, *clock)
	w := worker.New(st, alert.DefaultSLA, "w1", func() time.Time { return *clock }, nil)
	w.DigestHour = -1
	if ran, _ := w.RunOnce(ctx); ran != 0 {
		t.Fatalf("%d jobs ran before the SLA", ran)
	}
	*clock = clock.Add(16 * time.Minute)
	// A worker that claims the job and dies: the job waits for its lease.
	dead := worker.New(st, alert.DefaultSLA, "dead", func() time.Time { return *clock }, nil)
	if _, err := st.ClaimJobs(ctx, "dead", *clock, dead.Lease, 10); err != nil {
		t.Fatal(err)
	}
	if ran, _ := w.RunOnce(ctx); ran != 0 {
		t.Fatal("a leased job ran twice")
	}
	*clock = clock.Add(2 * time.Minute)
	if ran, err := w.RunOnce(ctx); ran != 1 || err != nil {
		t.Fatalf("reminder: ran %d, %v", ran, err)
	}
	d.SendOnce(ctx)
	last := n.sent[len(n.sent)-1]
	if last.Reason != notify.ReasonReminder || last.AlertID != a.ID || last.Route != "default" {
		t.Fatalf("reminder message %+v", last)
	}
	*clock = clock.Add(15 * time.Minute)
	w.RunOnce(ctx)
	d.SendOnce(ctx)
	last = n.sent[len(n.sent)-1]
	a2, _ := st.GetAlert(ctx, a.ID)
	if last.Reason != notify.ReasonEscalation || last.Route != worker.SecurityRoute || !a2.Escalated || a2.EscalatedBy != "picket" {
		t.Fatalf("escalation %+v, alert %+v", last, a2)
	}
}

// Acknowledged in time: no reminder.
func TestNoReminderWhenAcknowledged(t *testing.T) {
	ctx := context.Background()
	st, d, n, clock := setup(t)
	a := newHigh(t, st, d, *clock)
	sent := len(n.sent)
	st.ApplyAlert(ctx, a.ID, nil, alert.Action{Kind: alert.Acknowledge, Actor: "slack:U1", At: clock.Add(5 * time.Minute)})
	w := worker.New(st, alert.DefaultSLA, "w1", func() time.Time { return *clock }, nil)
	w.DigestHour = -1
	*clock = clock.Add(time.Hour)
	w.RunOnce(ctx)
	d.SendOnce(ctx)
	if len(n.sent) != sent {
		t.Errorf("reminded an acknowledged alert: %+v", n.sent[sent:])
	}
	done, _ := st.ListJobs(ctx, store.JobDone, 10)
	if len(done) != 1 {
		t.Errorf("jobs done %d, want the first reminder, finding nothing to do", len(done))
	}
}

// A developer's archive waits; a security engineer's objection cancels it.
func TestDeferredArchive(t *testing.T) {
	ctx := context.Background()
	st, d, _, clock := setup(t)
	a := newHigh(t, st, d, *clock)
	job := worker.Archive(a.ID, "slack:UDEV", alert.Expected, "our scanner", *clock, 10*time.Minute)
	st.EnqueueJobs(ctx, []store.Job{job})
	w := worker.New(st, alert.DefaultSLA, "w1", func() time.Time { return *clock }, nil)
	*clock = clock.Add(11 * time.Minute)
	w.RunOnce(ctx)
	got, _ := st.GetAlert(ctx, a.ID)
	if got.State != alert.Archived || got.Reason != alert.Expected || got.ClosedBy != "slack:UDEV" {
		t.Fatalf("after the delay: %+v", got)
	}
	// Another alert: the archive is objected to in time.
	st2, d2, _, clock2 := setup(t)
	b := newHigh(t, st2, d2, *clock2)
	st2.EnqueueJobs(ctx, []store.Job{worker.Archive(b.ID, "slack:UDEV", alert.FalsePositive, "", *clock2, 10*time.Minute)})
	if ok, _ := st2.CancelJob(ctx, worker.ArchiveKey(b.ID)); !ok {
		t.Fatal("no pending archive to cancel")
	}
	*clock2 = clock2.Add(time.Hour)
	worker.New(st2, alert.DefaultSLA, "w", func() time.Time { return *clock2 }, nil).RunOnce(ctx)
	if got, _ := st2.GetAlert(ctx, b.ID); got.State == alert.Archived {
		t.Error("an objected archive happened")
	}
}

// Once a day each channel gets the list of its open alerts, once.
func TestDigest(t *testing.T) {
	ctx := context.Background()
	st, d, n, clock := setup(t)
	a := newHigh(t, st, d, *clock)
	w := worker.New(st, alert.DefaultSLA, "w1", func() time.Time { return *clock }, nil)
	w.DigestHour = 13
	*clock = clock.Add(30 * time.Minute) // 12:30: not yet
	w.RunOnce(ctx)
	d.SendOnce(ctx)
	for _, m := range n.sent {
		if m.Reason == notify.ReasonDigest {
			t.Fatal("digest before its hour")
		}
	}
	*clock = clock.Add(40 * time.Minute) // 13:10
	w.RunOnce(ctx)
	w.RunOnce(ctx)
	d.SendOnce(ctx)
	var digests []notify.Message
	for _, m := range n.sent {
		if m.Reason == notify.ReasonDigest {
			digests = append(digests, m)
		}
	}
	if len(digests) != 1 || len(digests[0].Digest) != 1 || digests[0].Digest[0].AlertID != a.ID || !digests[0].Digest[0].PastSLA || digests[0].Route != "default" {
		t.Fatalf("digests %+v", digests)
	}
}

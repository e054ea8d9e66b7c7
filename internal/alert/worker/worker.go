// Package worker runs the alert workflow's deferred work from the store's
// durable job queue: reminders when an alert is not acknowledged within
// its SLA (the second one escalates to the security team) and archives a
// developer asked for, applied after a delay unless a security engineer
// objects. Jobs are leased, retried with backoff and survive restarts;
// several workers on one PostgreSQL store never run a job twice.
package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/notify"
	"github.com/picket-dev/picket/internal/store"
)

// Job kinds.
const (
	KindReminder = "sla-reminder"
	KindArchive  = "deferred-archive"
	KindDigest   = "digest"
)

// Digest schedules the daily digest of the day that starts at day (UTC
// midnight), sent at hour.
func Digest(day time.Time, hour int) store.Job {
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	return store.Job{Kind: KindDigest, Key: "digest|" + day.Format("2006-01-02"), Payload: []byte(`{}`), RunAt: day.Add(time.Duration(hour) * time.Hour)}
}

// SecurityRoute is the route key of the security team's channel.
const SecurityRoute = "security"

// Reminder schedules reminder n (1 or 2) of alert a, due when its SLA
// has passed n times since it was opened (or reopened).
func Reminder(a alert.Alert, sla alert.SLA, n int) store.Job {
	p, _ := json.Marshal(reminder{AlertID: a.ID, N: n, Occurrence: a.Occurrences})
	due := a.UpdatedAt
	if a.Occurrences == 0 || due.IsZero() {
		due = a.CreatedAt
	}
	return store.Job{Kind: KindReminder, Key: "remind|" + a.ID + "|" + strconv.Itoa(a.Occurrences) + "|" + strconv.Itoa(n),
		Payload: p, RunAt: due.Add(time.Duration(n) * sla.For(a.Severity))}
}

type reminder struct {
	AlertID    string `json:"alertId"`
	N          int    `json:"n"`
	Occurrence int    `json:"occurrence"`
}

// Archive schedules the archive a developer asked for, after delay.
func Archive(alertID, actor string, reason alert.Reason, note string, now time.Time, delay time.Duration) store.Job {
	p, _ := json.Marshal(archive{AlertID: alertID, Actor: actor, Reason: reason, Note: note})
	return store.Job{Kind: KindArchive, Key: ArchiveKey(alertID), Payload: p, RunAt: now.Add(delay)}
}

// ArchiveKey is the key of an alert's pending archive (to cancel it).
func ArchiveKey(alertID string) string { return "archive|" + alertID }

type archive struct {
	AlertID string       `json:"alertId"`
	Actor   string       `json:"actor"`
	Reason  alert.Reason `json:"reason"`
	Note    string       `json:"note"`
}

// Worker runs jobs.
type Worker struct {
	st    store.Store
	owner string
	now   func() time.Time
	log   *slog.Logger
	sla   alert.SLA

	// Archived, when set, is told about each deferred archive applied (the
	// Slack app rewrites the alert's message).
	Archived func(ctx context.Context, a alert.Alert)
	// DigestHour is the UTC hour of the daily digest of open alerts per
	// channel; negative turns the digest off.
	DigestHour int
	Lease      time.Duration // default 1 min
	Poll       time.Duration // default 1 s
	Backoff    time.Duration // first retry delay, doubled per attempt; default 5 s
	MaxTries   int           // then failed; default 10
	BatchSize  int           // jobs per round; default 50
}

// New makes a worker. owner names this process in leases.
func New(st store.Store, sla alert.SLA, owner string, now func() time.Time, log *slog.Logger) *Worker {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Worker{st: st, owner: owner, now: now, log: log, sla: sla, DigestHour: 9, Lease: time.Minute, Poll: time.Second, Backoff: 5 * time.Second, MaxTries: 10, BatchSize: 50}
}

// Run runs jobs until ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	t := time.NewTicker(w.Poll)
	defer t.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("alert worker", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// RunOnce claims and runs the due jobs; it returns how many ran.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	if w.DigestHour >= 0 {
		// Today's and tomorrow's digests exist (idempotent keys).
		now := w.now().UTC()
		if err := w.st.EnqueueJobs(ctx, []store.Job{Digest(now, w.DigestHour), Digest(now.Add(24*time.Hour), w.DigestHour)}); err != nil {
			return 0, err
		}
	}
	jobs, err := w.st.ClaimJobs(ctx, w.owner, w.now().UTC(), w.Lease, w.BatchSize)
	if err != nil {
		return 0, err
	}
	for _, j := range jobs {
		err := w.run(ctx, j)
		now := w.now().UTC()
		switch {
		case err == nil:
			err = w.st.CompleteJob(ctx, w.owner, j.ID, store.JobDone, time.Time{}, "")
		case j.Attempts >= w.MaxTries:
			w.log.Error("alert job failed for good", "kind", j.Kind, "key", j.Key, "attempts", j.Attempts, "err", err)
			err = w.st.CompleteJob(ctx, w.owner, j.ID, store.JobFailed, time.Time{}, err.Error())
		default:
			w.log.Warn("alert job will be retried", "kind", j.Kind, "key", j.Key, "attempt", j.Attempts, "err", err)
			err = w.st.CompleteJob(ctx, w.owner, j.ID, store.JobPending, now.Add(w.Backoff<<min(j.Attempts-1, 10)), err.Error())
		}
		if err != nil {
			w.log.Warn("completing alert job", "key", j.Key, "err", err)
		}
	}
	return len(jobs), nil
}

func (w *Worker) run(ctx context.Context, j store.Job) error {
	switch j.Kind {
	case KindReminder:
		var r reminder
		if err := json.Unmarshal(j.Payload, &r); err != nil {
			return fmt.Errorf("bad reminder job: %w", err)
		}
		return w.remind(ctx, r)
	case KindArchive:
		var a archive
		if err := json.Unmarshal(j.Payload, &a); err != nil {
			return fmt.Errorf("bad archive job: %w", err)
		}
		got, _, err := w.st.ApplyAlert(ctx, a.AlertID, nil, alert.Action{Kind: alert.Archive, Actor: a.Actor, Reason: a.Reason, Note: a.Note, At: w.now().UTC()})
		if errors.Is(err, alert.ErrIllegal) {
			return nil // closed meanwhile: nothing to do
		}
		if err == nil && w.Archived != nil {
			w.Archived(ctx, got)
		}
		return err
	case KindDigest:
		return w.digest(ctx, j)
	}
	return fmt.Errorf("unknown job kind %q", j.Kind)
}

// digest sends each channel (route) the list of its open alerts.
func (w *Worker) digest(ctx context.Context, j store.Job) error {
	now := w.now().UTC()
	if now.Sub(j.RunAt) > 12*time.Hour {
		return nil // a digest days late is noise: skip it
	}
	as, err := w.st.ListAlerts(ctx, store.AlertQuery{States: []alert.State{alert.New, alert.Notified, alert.Acknowledged}, Limit: 10000})
	if err != nil {
		return err
	}
	byRoute := map[string][]notify.DigestItem{}
	var routes []string
	for _, a := range as {
		if _, ok := byRoute[a.Route]; !ok {
			routes = append(routes, a.Route)
		}
		byRoute[a.Route] = append(byRoute[a.Route], notify.DigestItem{AlertID: a.ID, Type: a.Type, Title: a.Title, Severity: a.Severity,
			Account: a.Account, State: string(a.State), CreatedAt: a.CreatedAt, PastSLA: a.PastSLA(w.sla, now)})
	}
	b := &store.RouteBatch{Now: now}
	for _, r := range routes {
		m := notify.Message{Key: j.Key + "|" + r, Reason: notify.ReasonDigest, Route: r, Time: now, Digest: byRoute[r]}
		payload, _ := json.Marshal(m)
		b.Outbox = append(b.Outbox, store.OutboxRow{DedupKey: m.Key, Target: r, GroupKey: m.Key, Payload: payload, NotBefore: now})
	}
	if len(b.Outbox) == 0 {
		return nil
	}
	return w.st.RouteCommit(ctx, b)
}

// remind sends reminder r if the alert still waits for someone: the first
// to the alert's channel (and schedules the second), the second escalates
// to the security team.
func (w *Worker) remind(ctx context.Context, r reminder) error {
	a, err := w.st.GetAlert(ctx, r.AlertID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if (a.State != alert.New && a.State != alert.Notified) || a.Occurrences != r.Occurrence {
		return nil // acknowledged, closed, or reopened since (a new series runs)
	}
	now := w.now().UTC()
	f, err := w.st.GetFinding(ctx, a.FindingID)
	if err != nil {
		return err
	}
	waited := now.Sub(a.CreatedAt).Round(time.Minute)
	m := notify.Message{Finding: *f, AlertID: a.ID, Account: notify.Account{ID: a.Account}, Time: now}
	b := &store.RouteBatch{Now: now}
	if r.N <= 1 {
		m.Key = fmt.Sprintf("reminder|%s|%d|1", a.ID, a.Occurrences)
		m.Reason, m.Route = notify.ReasonReminder, a.Route
		m.Note = fmt.Sprintf("open for %s, past its %s SLA.", waited, w.sla.For(a.Severity))
		b.Jobs = append(b.Jobs, Reminder(a, w.sla, 2))
		b.Outbox = append(b.Outbox, outboxRow(m, a.Route, a.FindingID))
	} else {
		m.Key = fmt.Sprintf("reminder|%s|%d|2", a.ID, a.Occurrences)
		m.Reason, m.Route = notify.ReasonEscalation, SecurityRoute
		m.Note = fmt.Sprintf("not acknowledged in %s (SLA %s).", waited, w.sla.For(a.Severity))
		if !a.Escalated {
			b.AlertActions = append(b.AlertActions, store.AlertAction{AlertID: a.ID, Action: alert.Action{Kind: alert.Escalate, Actor: "picket", Note: m.Note, At: now}})
		}
		b.Outbox = append(b.Outbox, outboxRow(m, SecurityRoute, a.FindingID))
	}
	return w.st.RouteCommit(ctx, b)
}

func outboxRow(m notify.Message, target, findingID string) store.OutboxRow {
	payload, _ := json.Marshal(m)
	return store.OutboxRow{DedupKey: m.Key, Target: target, FindingID: findingID, AlertID: m.AlertID,
		GroupKey: m.Key, Payload: payload, NotBefore: m.Time}
}

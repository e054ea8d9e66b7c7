package route

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/alert/worker"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/notify"
	"github.com/picket-dev/picket/internal/route/rego"
	"github.com/picket-dev/picket/internal/store"
)

// Suppressor finds the suppression rule a finding matches.
type Suppressor interface {
	// Suppressing returns the ID of the first unexpired rule f matches.
	Suppressing(f *finding.Finding, now time.Time) (ruleID string, ok bool)
}

// Dispatcher routes stored findings into the outbox and sends the outbox.
// Several dispatchers may run against one store (PostgreSQL): routing
// commits are conditional on the finding's version and outbox rows are
// leased, so nothing is sent twice.
type Dispatcher struct {
	st       store.Store
	table    atomic.Pointer[Table]
	supp     atomic.Pointer[suppHolder]
	policy   Policy
	notifier notify.Notifier
	owner    string
	now      func() time.Time
	log      *slog.Logger
	wake     chan struct{}
	metrics  *Metrics

	Lease     time.Duration // outbox lease; default 1 min
	Batch     int           // findings routed / rows claimed per round; default 200
	Poll      time.Duration // idle poll interval; default 1s
	BackoffLo time.Duration // first retry delay; default 2s
	BackoffHi time.Duration // longest retry delay; default 10 min
	// SLA schedules the reminders of opened alerts (nil: alert.DefaultSLA).
	SLA alert.SLA
}

type suppHolder struct{ s Suppressor }

// Policy decides, per finding, what Rego routing policies say.
type Policy interface {
	Decide(ctx context.Context, f *finding.Finding, event []byte) (rego.Decision, error)
}

// NewDispatcher makes a dispatcher. owner names this process in leases.
func NewDispatcher(st store.Store, t *Table, n notify.Notifier, owner string, now func() time.Time, log *slog.Logger, m *Metrics) *Dispatcher {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Dispatcher{st: st, notifier: n, owner: owner, now: now, log: log, wake: make(chan struct{}, 1), metrics: m,
		Lease: time.Minute, Batch: 200, Poll: time.Second, BackoffLo: 2 * time.Second, BackoffHi: 10 * time.Minute}
	d.table.Store(t)
	return d
}

// SetTable swaps the routing table (config or accounts file reloaded).
func (d *Dispatcher) SetTable(t *Table) { d.table.Store(t) }

func (d *Dispatcher) sla() alert.SLA {
	if d.SLA != nil {
		return d.SLA
	}
	return alert.DefaultSLA
}

// SetPolicy sets the Rego routing policies (nil: none). Call before Run.
func (d *Dispatcher) SetPolicy(p Policy) { d.policy = p }

// SetSuppressor swaps the suppression rules.
func (d *Dispatcher) SetSuppressor(s Suppressor) { d.supp.Store(&suppHolder{s}) }

// Wake asks the dispatcher to route now (after a commit stored findings).
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run routes and sends until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.wake:
		case <-t.C:
		}
		for {
			routed, err := d.RouteOnce(ctx)
			if err != nil && ctx.Err() == nil {
				d.log.Error("routing findings", "err", err)
			}
			sent, err := d.SendOnce(ctx)
			if err != nil && ctx.Err() == nil {
				d.log.Error("sending notifications", "err", err)
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if routed < d.Batch && sent < d.Batch {
				break
			}
		}
		t.Reset(d.Poll)
	}
}

// RouteOnce routes one batch of changed findings; it returns how many.
func (d *Dispatcher) RouteOnce(ctx context.Context) (int, error) {
	pend, err := d.st.PendingFindings(ctx, d.Batch)
	if err != nil || len(pend) == 0 {
		return 0, err
	}
	t := d.table.Load()
	now := d.now().UTC()
	b := &store.RouteBatch{Now: now}
	var p fastjson.Parser
	repeat := t.cfg.RepeatInterval
	if repeat <= 0 {
		repeat = DefaultRepeatInterval
	}
	window := t.cfg.IncidentWindow
	if window == 0 {
		window = DefaultIncidentWindow
	}
	keys := make([]string, len(pend))
	var lookup []string
	for i := range pend {
		if keys[i] = IncidentKey(&pend[i].Finding); keys[i] != "" {
			lookup = append(lookup, keys[i])
		}
	}
	incidents := map[string]map[string]store.Incident{}
	if window > 0 {
		if incidents, err = d.st.Incidents(ctx, lookup); err != nil {
			return 0, err
		}
	}
	alertIDs := make([]string, len(pend))
	for i := range pend {
		alertIDs[i] = AlertID(keys[i], pend[i].Finding.ID)
	}
	alerts, err := d.st.AlertsByID(ctx, alertIDs)
	if err != nil {
		return 0, err
	}
	opened := map[string]bool{}
	for i := range pend {
		pf := &pend[i]
		f := &pf.Finding
		b.Routed = append(b.Routed, store.RoutedVersion{FindingID: f.ID, Version: pf.Version})
		if f.Service.Archived || f.Severity < t.cfg.MinSeverity {
			continue
		}
		if h := d.supp.Load(); h != nil && h.s != nil {
			if rule, ok := h.s.Suppressing(f, now); ok {
				b.Suppressed = append(b.Suppressed, f.ID)
				d.metrics.suppressed(rule)
				continue
			}
		}
		var dec rego.Decision
		if d.policy != nil {
			var raw []byte
			if evs, err := d.st.Evidence(ctx, f.ID); err == nil && len(evs) > 0 {
				raw = evs[len(evs)-1].Raw
			}
			var err error
			if dec, err = d.policy.Decide(ctx, f, raw); err != nil {
				// Fail open: a broken policy must not silence alerts.
				d.log.Warn("routing policy failed: notifying as if there were none", "finding", f.ID, "err", err)
				dec = rego.Decision{}
			}
			if dec.Drop {
				d.metrics.dropped()
				continue
			}
			if dec.Severity != nil {
				f.Severity = *dec.Severity
			}
		}
		env, err := Envelope(f)
		if err != nil {
			return 0, err
		}
		ev, err := p.ParseBytes(env)
		if err != nil {
			return 0, err
		}
		dests := t.Destinations(f, ev)
		for _, ch := range dec.Channels {
			dests = appendUnique(dests, Destination{Key: "target:" + ch, Route: "policy"})
		}
		// The finding's alert: an incident handled by people. A closed one
		// that happens again reopens — except expected activity, which
		// stays archived and only counts.
		aid := alertIDs[i]
		al, hasAlert := alerts[aid]
		reopen := false
		if hasAlert && !al.State.Open() && (pf.Version > 1 || al.FindingID != f.ID) {
			b.AlertActions = append(b.AlertActions, store.AlertAction{AlertID: aid, Action: alert.Action{Kind: alert.Recur, Actor: "picket", At: now}})
			if al.State == alert.Archived && al.Reason == alert.Expected {
				continue
			}
			reopen = true
			re := al
			re.Occurrences++
			re.UpdatedAt = now
			b.Jobs = append(b.Jobs, worker.Reminder(re, d.sla(), 1))
		}
		for _, dst := range dests {
			var prev *store.NotifyState
			if st, ok := pf.Notified[dst.Key]; ok {
				prev = &st
			}
			reason, ok := Throttle(f, prev, now, repeat)
			if reopen && !ok {
				reason, ok = notify.ReasonRepeat, true // reopened: say so, whatever the interval
			}
			if !ok {
				d.metrics.throttled()
				continue
			}
			if !hasAlert && !opened[aid] {
				opened[aid] = true
				na := alert.Alert{
					ID: aid, FindingID: f.ID, Account: f.AccountID, Region: f.Region, Type: f.Type, Severity: f.Severity,
					Title: f.Title, Route: dst.Key, CreatedAt: now,
				}
				b.AlertOpens = append(b.AlertOpens, store.AlertOpen{Actor: "picket", Alert: na})
				b.Jobs = append(b.Jobs, worker.Reminder(na, d.sla(), 1))
			}
			threadOf := ""
			if window > 0 && keys[i] != "" {
				if in, ok := incidents[keys[i]][dst.Key]; ok && in.FindingID != f.ID && now.Sub(in.At) < window {
					if reason == notify.ReasonNew {
						reason, threadOf = notify.ReasonCorrelated, in.FindingID
					}
				} else if reason == notify.ReasonNew {
					b.Incidents = append(b.Incidents, store.IncidentRecord{Key: keys[i], Target: dst.Key, FindingID: f.ID, At: now})
				}
				if in, ok := incidents[keys[i]][dst.Key]; ok && in.FindingID == f.ID {
					b.Incidents = append(b.Incidents, store.IncidentRecord{Key: keys[i], Target: dst.Key, FindingID: f.ID, At: now})
				}
			}
			m := notify.Message{
				Key: fmt.Sprintf("%s|%s|%d", f.ID, dst.Key, pf.Version), Reason: reason, Finding: *f,
				Account: t.Account(f.AccountID), Route: dst.Route, Time: now, Sample: isSample(f), Labels: dec.Labels, AlertID: aid,
				ConsoleURL: link(t.cfg.ConsoleURL, "/findings/"+f.ID), RunbookURL: t.RunbookURL(f.Type),
			}
			if prev != nil {
				m.Previous = &notify.Previous{Severity: prev.Severity, Count: prev.Count}
			}
			if hasAlert && !reopen {
				m.AlertState, m.AlertStatus = string(al.State), AlertStatus(al)
			}
			payload, err := json.Marshal(m)
			if err != nil {
				return 0, err
			}
			b.Outbox = append(b.Outbox, store.OutboxRow{
				DedupKey: m.Key, Target: dst.Key, FindingID: f.ID, ThreadOf: threadOf, AlertID: aid, Payload: payload,
				GroupKey:  dst.Key + "|" + f.AccountID + "|" + f.Type + "|" + string(reason),
				NotBefore: now.Add(t.cfg.GroupWait),
			})
			b.Notified = append(b.Notified, store.NotifiedState{FindingID: f.ID, Target: dst.Key, Severity: f.Severity, Count: f.Service.Count, At: now})
		}
	}
	if err := d.st.RouteCommit(ctx, b); err != nil {
		return 0, err
	}
	d.metrics.queued(len(b.Outbox))
	return len(pend), nil
}

// AlertID names the alert of a finding: its incident (see IncidentKey),
// or the finding alone when the incident is too vague to name.
func AlertID(incidentKey, findingID string) string {
	if incidentKey == "" {
		return findingID
	}
	sum := sha256.Sum256([]byte(incidentKey))
	return hex.EncodeToString(sum[:16])
}

// AlertStatus describes where an alert stands, for messages.
func AlertStatus(a alert.Alert) string {
	var s string
	switch {
	case a.State == alert.Acknowledged:
		s = fmt.Sprintf("Acknowledged by %s at %s", a.AckedBy, a.AckedAt.UTC().Format("2006-01-02 15:04 UTC"))
	case a.State == alert.Archived:
		s = fmt.Sprintf("Archived (%s) by %s at %s", a.Reason.Label(), a.ClosedBy, a.ClosedAt.UTC().Format("2006-01-02 15:04 UTC"))
	case a.State == alert.Resolved:
		s = fmt.Sprintf("Resolved by %s at %s", a.ClosedBy, a.ClosedAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if a.Escalated {
		if s != "" {
			s += " · "
		}
		s += fmt.Sprintf("Escalated by %s", a.EscalatedBy)
	}
	return s
}

// DefaultIncidentWindow is how long findings of one incident thread together.
const DefaultIncidentWindow = time.Hour

// IncidentKey names the incident a finding belongs to: its type family
// (the type without the detection mechanism and artifact, so GuardDuty's
// "Recon:EC2/PortProbeUnprotectedPort" and Picket's match), account,
// region, the affected resource and the actor.
func IncidentKey(f *finding.Finding) string {
	family := f.Type
	if i := strings.IndexByte(family, '/'); i >= 0 {
		if j := strings.IndexAny(family[i:], ".!"); j > 0 {
			family = family[:i+j]
		}
	}
	var res, actor string
	r := &f.Resource
	switch {
	case r.InstanceDetails != nil && r.InstanceDetails.InstanceID != "":
		res = "instance:" + r.InstanceDetails.InstanceID
	case len(r.S3BucketDetails) > 0:
		res = "bucket:" + r.S3BucketDetails[0].Name
	case r.EksClusterDetails != nil:
		res = "eks:" + r.EksClusterDetails.Name
	case r.AccessKeyDetails != nil && r.AccessKeyDetails.AccessKeyID != "":
		res = "key:" + r.AccessKeyDetails.AccessKeyID
	}
	if a := r.AccessKeyDetails; a != nil {
		actor = a.UserName
		if actor == "" {
			actor = a.PrincipalID
		}
	}
	if res == "" && actor == "" {
		return "" // too vague to call two findings one incident
	}
	return strings.Join([]string{family, f.AccountID, f.Region, res, actor}, "|")
}

func link(base, path string) string {
	if base == "" {
		return ""
	}
	return strings.TrimSuffix(base, "/") + path
}

func isSample(f *finding.Finding) bool {
	s, _ := f.Service.AdditionalInfo["sample"].(bool)
	return s
}

// SendOnce claims due notifications and sends them; rows of one group
// (target, account, type, reason) due together go as one message.
func (d *Dispatcher) SendOnce(ctx context.Context) (int, error) {
	now := d.now().UTC()
	rows, err := d.st.ClaimOutbox(ctx, d.owner, now, d.Lease, d.Batch)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	t := d.table.Load()
	groups := map[string][]store.OutboxRow{}
	var order []string
	for _, r := range rows {
		if _, ok := groups[r.GroupKey]; !ok {
			order = append(order, r.GroupKey)
		}
		groups[r.GroupKey] = append(groups[r.GroupKey], r)
	}
	for _, g := range order {
		d.sendGroup(ctx, t, groups[g])
	}
	return len(rows), nil
}

func (d *Dispatcher) sendGroup(ctx context.Context, t *Table, rows []store.OutboxRow) {
	first := rows[0]
	complete := func(c store.OutboxCompletion) {
		for i, r := range rows {
			c := c
			c.ID, c.FindingID, c.Target = r.ID, r.FindingID, r.Target
			if i > 0 {
				c.Thread = ""
			}
			if err := d.st.CompleteOutbox(ctx, d.owner, c); err != nil {
				d.log.Warn("completing notification", "id", r.ID, "err", err)
			}
		}
	}
	var m notify.Message
	if err := json.Unmarshal(first.Payload, &m); err != nil {
		complete(store.OutboxCompletion{State: store.OutboxDead, Error: "bad payload: " + err.Error(), At: d.now()})
		return
	}
	m.Thread, m.Grouped = first.Thread, len(rows)-1
	if m.Reason == notify.ReasonCorrelated && m.Thread == "" {
		// The incident's first message has no thread reference (a webhook
		// delivery, or not sent yet): say it as a message of its own.
		m.Reason = notify.ReasonNew
	}
	target, err := t.Target(first.Target)
	if err != nil {
		complete(store.OutboxCompletion{State: store.OutboxDead, Error: err.Error(), At: d.now()})
		d.metrics.sent(first.Target, "dead")
		return
	}
	start := time.Now()
	res, err := d.notifier.Send(ctx, target, m)
	d.metrics.latency(time.Since(start))
	now := d.now().UTC()
	if err == nil {
		complete(store.OutboxCompletion{State: store.OutboxSent, Thread: res.Thread, At: now})
		d.metrics.sent(first.Target, "sent")
		d.metrics.delivered(now.Sub(m.Time))
		return
	}
	retry, after := notify.Retryable(err)
	maxAttempts := t.cfg.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	if !retry || first.Attempts >= maxAttempts {
		d.log.Warn("notification failed for good", "target", first.Target, "finding", first.FindingID, "attempts", first.Attempts, "err", err)
		complete(store.OutboxCompletion{State: store.OutboxDead, Error: err.Error(), At: now})
		d.metrics.sent(first.Target, "dead")
		d.fallback(ctx, t, rows, err, now)
		return
	}
	delay := d.backoff(first.Attempts)
	if after > delay {
		delay = after
	}
	d.log.Info("notification will be retried", "target", first.Target, "finding", first.FindingID, "attempt", first.Attempts, "in", delay, "err", err)
	complete(store.OutboxCompletion{State: store.OutboxPending, RetryAt: now.Add(delay), Error: err.Error(), At: now})
	d.metrics.sent(first.Target, "retry")
}

// backoff is exponential with full jitter between BackoffLo and BackoffHi.
func (d *Dispatcher) backoff(attempt int) time.Duration {
	hi := d.BackoffLo << min(attempt, 20)
	if hi > d.BackoffHi || hi <= 0 {
		hi = d.BackoffHi
	}
	return d.BackoffLo + time.Duration(rand.Int64N(int64(hi-d.BackoffLo)+1))
}

// fallback queues dead notifications to the fallback target, once.
func (d *Dispatcher) fallback(ctx context.Context, t *Table, rows []store.OutboxRow, cause error, now time.Time) {
	if t.cfg.Fallback == "" || strings.HasPrefix(rows[0].Target, "target:"+t.cfg.Fallback) {
		return
	}
	b := &store.RouteBatch{Now: now}
	for _, r := range rows {
		b.Outbox = append(b.Outbox, store.OutboxRow{DedupKey: r.DedupKey + "|fallback", Target: "target:" + t.cfg.Fallback,
			FindingID: r.FindingID, GroupKey: r.GroupKey + "|fallback", Payload: r.Payload, NotBefore: now})
	}
	if err := d.st.RouteCommit(ctx, b); err != nil {
		d.log.Error("queueing fallback notification", "err", errors.Join(err, cause))
	}
}

// Metrics of routing and delivery.
type Metrics struct {
	notifications *prometheus.CounterVec
	suppressedN   *prometheus.CounterVec
	throttledN    prometheus.Counter
	droppedN      prometheus.Counter
	queuedN       prometheus.Counter
	sendSeconds   prometheus.Histogram
	deliverySecs  prometheus.Histogram
}

// NewMetrics registers the routing metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "picket_notifications_total", Help: "Notification send attempts by route target and outcome (sent, retry, dead)."}, []string{"target", "outcome"}),
		suppressedN:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "picket_findings_suppressed_total", Help: "Findings archived by a suppression rule."}, []string{"rule"}),
		throttledN:    prometheus.NewCounter(prometheus.CounterOpts{Name: "picket_notifications_throttled_total", Help: "Finding changes not notified because of the repeat interval."}),
		droppedN:      prometheus.NewCounter(prometheus.CounterOpts{Name: "picket_notifications_dropped_total", Help: "Findings a routing policy decided not to notify."}),
		queuedN:       prometheus.NewCounter(prometheus.CounterOpts{Name: "picket_notifications_queued_total", Help: "Notifications written to the outbox."}),
		sendSeconds:   prometheus.NewHistogram(prometheus.HistogramOpts{Name: "picket_notification_send_seconds", Help: "Time of one send to a channel.", Buckets: prometheus.DefBuckets}),
		deliverySecs:  prometheus.NewHistogram(prometheus.HistogramOpts{Name: "picket_notification_delivery_seconds", Help: "From routing decision to successful send.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 16)}),
	}
	if reg != nil {
		reg.MustRegister(m.notifications, m.suppressedN, m.throttledN, m.droppedN, m.queuedN, m.sendSeconds, m.deliverySecs)
	}
	return m
}

func (m *Metrics) sent(target, outcome string) {
	if m != nil {
		kind, _, _ := strings.Cut(target, ":")
		m.notifications.WithLabelValues(kind, outcome).Inc()
	}
}
func (m *Metrics) suppressed(rule string) {
	if m != nil {
		m.suppressedN.WithLabelValues(rule).Inc()
	}
}
func (m *Metrics) throttled() {
	if m != nil {
		m.throttledN.Inc()
	}
}
func (m *Metrics) dropped() {
	if m != nil {
		m.droppedN.Inc()
	}
}
func (m *Metrics) queued(n int) {
	if m != nil {
		m.queuedN.Add(float64(n))
	}
}
func (m *Metrics) latency(d time.Duration) {
	if m != nil {
		m.sendSeconds.Observe(d.Seconds())
	}
}
func (m *Metrics) delivered(d time.Duration) {
	if m != nil {
		m.deliverySecs.Observe(d.Seconds())
	}
}

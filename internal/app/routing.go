package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/config"
	"github.com/picket-dev/picket/internal/notify"
	"github.com/picket-dev/picket/internal/notify/pagerduty"
	"github.com/picket-dev/picket/internal/notify/slack"
	"github.com/picket-dev/picket/internal/notify/stdout"
	"github.com/picket-dev/picket/internal/notify/webhook"
	"github.com/picket-dev/picket/internal/route"
	"github.com/picket-dev/picket/internal/route/rego"
	"github.com/picket-dev/picket/internal/store"
)

// Notifiers is the registry of notification channels.
func Notifiers() notify.Registry {
	hc := &http.Client{Timeout: 15 * time.Second}
	sl := slack.New(hc)
	sl.Buttons = AlertButtons
	return notify.Registry{
		"slack":     sl,
		"webhook":   webhook.New(hc),
		"pagerduty": pagerduty.New(hc),
		"stdout":    stdout.New(os.Stdout),
	}
}

// AlertButtons are the alert-handling buttons of a Slack alert message
// (the Slack bot answers them): on messages about an alert that may still
// be handled — not on reminders' replies or archive requests.
func AlertButtons(m notify.Message) []slack.Button {
	if m.AlertID == "" || m.Reason == notify.ReasonArchiveRequested || m.Reason == notify.ReasonReminder || m.Reason == notify.ReasonEscalation {
		return nil
	}
	var bs []slack.Button
	switch m.AlertState {
	case "resolved", "archived":
		return nil // closed: nothing to do from the message
	case "", "new", "notified":
		bs = append(bs, slack.Button{Label: "Acknowledge", ActionID: slack.ActionAck, Value: m.AlertID, Style: "primary"})
	}
	bs = append(bs, slack.Button{Label: "Archive…", ActionID: slack.ActionArchive, Value: m.AlertID})
	if !strings.Contains(m.AlertStatus, "Escalated") {
		bs = append(bs, slack.Button{Label: "Escalate", ActionID: slack.ActionEscalate, Value: m.AlertID, Style: "danger"})
	}
	return bs
}

// wakingSink wakes the dispatcher after a commit that stored findings,
// so a notification leaves within milliseconds rather than a poll.
type wakingSink struct {
	store.Store
	wake func()
}

func (w wakingSink) Commit(ctx context.Context, b *store.Batch) (store.CommitResult, error) {
	res, err := w.Store.Commit(ctx, b)
	if err == nil && len(res.NewFindings)+len(res.UpdatedFindings) > 0 {
		w.wake()
	}
	return res, err
}

// outboxCollector reports the outbox by state at scrape time.
type outboxCollector struct{ st store.Store }

var outboxDesc = prometheus.NewDesc("picket_outbox_notifications", "Notifications in the outbox by state (pending, sent, dead).", []string{"state"}, nil)

func (c outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- outboxDesc }

func (c outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.st.OutboxCounts(ctx)
	if err != nil {
		return
	}
	for st, n := range counts {
		ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(n), st)
	}
}

// routingTable builds the routing table from the config and the accounts file.
func routingTable(cfg *config.Config) (*route.Table, time.Time, error) {
	var accts []route.AccountRoute
	var mod time.Time
	if f := cfg.Routing.AccountsFile; f != "" {
		fi, err := os.Stat(f)
		if err != nil {
			return nil, mod, fmt.Errorf("routing accounts file: %w", err)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, mod, fmt.Errorf("routing accounts file: %w", err)
		}
		if accts, err = route.ParseAccounts(b); err != nil {
			return nil, mod, fmt.Errorf("routing accounts file %s: %w", f, err)
		}
		if errs := route.ValidateAccounts(accts, cfg.Routing.AllowedHosts); len(errs) > 0 {
			return nil, mod, fmt.Errorf("routing accounts file %s: %v", f, errs[0])
		}
		mod = fi.ModTime()
	}
	t, err := route.NewTable(cfg.Routing, accts, nil)
	return t, mod, err
}

// routingEnabled: a config with no routing section notifies nobody.
func routingEnabled(c route.Config) bool {
	return c.AccountsFile != "" || c.Default != nil || c.SecurityTeam != nil || len(c.Rules) > 0
}

// watchRouting reloads the accounts file when it changes and the
// suppression rules from the store, so neither needs a restart.
func (a *App) watchRouting(ctx context.Context) error {
	every := a.routingPoll
	if every <= 0 {
		every = 10 * time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if err := a.loadSuppression(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("loading suppression rules", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		if f := a.cfg.Routing.AccountsFile; f != "" {
			fi, err := os.Stat(f)
			if err != nil || fi.ModTime().Equal(a.accountsMod) {
				continue
			}
			t, mod, err := routingTable(a.cfg)
			if err != nil {
				a.log.Error("routing accounts file not reloaded: keeping the previous one", "err", err)
				a.accountsMod = fi.ModTime()
				continue
			}
			a.accountsMod = mod
			a.dispatch.SetTable(t)
			a.log.Info("routing accounts file reloaded", "file", f)
		}
	}
}

func (a *App) loadSuppression(ctx context.Context) error {
	rules, err := a.store.SuppressionRules(ctx)
	if err != nil {
		return err
	}
	s, err := NewSuppressor(rules)
	if err != nil {
		return err
	}
	a.dispatch.SetSuppressor(s)
	return nil
}

// NewDispatcher builds the routing dispatcher cfg describes, on st (for
// tools such as sample-findings that route in their own process).
func NewDispatcher(cfg *config.Config, st store.Store, n notify.Notifier, log *slog.Logger, now func() time.Time) (*route.Dispatcher, error) {
	tab, _, err := routingTable(cfg)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	d := route.NewDispatcher(st, tab, n, fmt.Sprintf("%s/%d", host, os.Getpid()), now, log, nil)
	if err := setPolicy(d, cfg); err != nil {
		return nil, err
	}
	rules, err := st.SuppressionRules(context.Background())
	if err != nil {
		return nil, err
	}
	s, err := NewSuppressor(rules)
	if err != nil {
		return nil, err
	}
	d.SetSuppressor(s)
	return d, nil
}

// setPolicy loads the routing policies into d.
func setPolicy(d *route.Dispatcher, cfg *config.Config) error {
	if len(cfg.Routing.Policies) == 0 {
		return nil
	}
	names := make([]string, 0, len(cfg.Routing.Targets))
	for n := range cfg.Routing.Targets {
		names = append(names, n)
	}
	eng, err := rego.Load(cfg.Routing.Policies, rego.WithTargets(names...))
	if err != nil {
		return fmt.Errorf("routing policies: %w", err)
	}
	d.SetPolicy(eng)
	return nil
}

// alertCollector reports open alerts and response times at scrape time.
type alertCollector struct {
	st  store.Store
	sla alert.SLA
	now func() time.Time
}

var (
	alertsOpenDesc    = prometheus.NewDesc("picket_alerts_open", "Open alerts by severity label.", []string{"severity"}, nil)
	alertsPastSLADesc = prometheus.NewDesc("picket_alerts_past_sla", "Alerts of the last 30 days not acknowledged within their SLA, by severity label.", []string{"severity"}, nil)
	alertsAckDesc     = prometheus.NewDesc("picket_alert_time_to_acknowledge_seconds", "Time to acknowledge over the last 30 days (p50, p90), by severity label.", []string{"severity", "quantile"}, nil)
)

func (c alertCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- alertsOpenDesc
	ch <- alertsPastSLADesc
	ch <- alertsAckDesc
}

func (c alertCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := time.Now()
	if c.now != nil {
		now = c.now()
	}
	as, err := c.st.ListAlerts(ctx, store.AlertQuery{Since: now.Add(-30 * 24 * time.Hour), Limit: 100000})
	if err != nil {
		return
	}
	rows, err := alert.Stats(as, "severity", c.sla, now)
	if err != nil {
		return
	}
	for _, r := range rows {
		ch <- prometheus.MustNewConstMetric(alertsOpenDesc, prometheus.GaugeValue, float64(r.Open), r.Key)
		ch <- prometheus.MustNewConstMetric(alertsPastSLADesc, prometheus.GaugeValue, float64(r.PastSLA), r.Key)
		ch <- prometheus.MustNewConstMetric(alertsAckDesc, prometheus.GaugeValue, r.AckP50.Seconds(), r.Key, "0.5")
		ch <- prometheus.MustNewConstMetric(alertsAckDesc, prometheus.GaugeValue, r.AckP90.Seconds(), r.Key, "0.9")
	}
}

package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/alert/worker"
	"github.com/picket-dev/picket/internal/notify"
	"github.com/picket-dev/picket/internal/route"
	"github.com/picket-dev/picket/internal/slackbot"
	"github.com/picket-dev/picket/internal/store"
)

// AlertService is what the Slack bot (and other front ends) act through:
// alert transitions in the store, archives deferred for the security
// team's review, and the routing table's channels.
type AlertService struct {
	Store    store.Store
	Dispatch *route.Dispatcher
	// SecurityUsers archive at once; anyone else's archive waits
	// ArchiveDelay for an objection.
	SecurityUsers []string
	ArchiveDelay  time.Duration
	RunbookURLFor func(alertType string) string
	Now           func() time.Time
}

func (s *AlertService) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Alert returns one alert.
func (s *AlertService) Alert(ctx context.Context, id string) (alert.Alert, error) {
	return s.Store.GetAlert(ctx, id)
}

// Act applies an action.
func (s *AlertService) Act(ctx context.Context, id string, act alert.Action) (alert.Alert, error) {
	if act.At.IsZero() {
		act.At = s.now()
	}
	a, _, err := s.Store.ApplyAlert(ctx, id, nil, act)
	return a, err
}

func (s *AlertService) isSecurity(actor string) bool {
	return slices.Contains(s.SecurityUsers, strings.TrimPrefix(actor, "slack:"))
}

// RequestArchive archives at once for a security engineer; for anyone
// else it posts the reason to the security team's channel and schedules
// the archive after ArchiveDelay, which an objection cancels.
func (s *AlertService) RequestArchive(ctx context.Context, id, actor string, reason alert.Reason, note string) (alert.Alert, error) {
	if _, err := alert.ParseReason(string(reason)); err != nil {
		return alert.Alert{}, err
	}
	a, err := s.Store.GetAlert(ctx, id)
	if err != nil {
		return a, err
	}
	if !a.State.Open() {
		return a, fmt.Errorf("%w: alert %s is %s", alert.ErrIllegal, id, a.State)
	}
	now := s.now()
	if s.isSecurity(actor) {
		return s.Act(ctx, id, alert.Action{Kind: alert.Archive, Actor: actor, Reason: reason, Note: note, At: now})
	}
	delay := s.ArchiveDelay
	if delay <= 0 {
		delay = 30 * time.Minute
	}
	f, err := s.Store.GetFinding(ctx, a.FindingID)
	if err != nil {
		return a, err
	}
	m := notify.Message{
		Key: fmt.Sprintf("archive-request|%s|%d", a.ID, now.Unix()), Reason: notify.ReasonArchiveRequested, Finding: *f,
		Account: notify.Account{ID: a.Account}, Route: worker.SecurityRoute, AlertID: a.ID, Time: now,
		Note: fmt.Sprintf("%s asks to archive it as %q: %s — it will be archived at %s unless a security engineer objects.",
			actor, reason.Label(), note, now.Add(delay).Format(time.RFC3339)),
	}
	payload, _ := json.Marshal(m)
	b := &store.RouteBatch{Now: now,
		Jobs:   []store.Job{worker.Archive(a.ID, actor, reason, note, now, delay)},
		Outbox: []store.OutboxRow{{DedupKey: m.Key, Target: worker.SecurityRoute, FindingID: a.FindingID, AlertID: a.ID, GroupKey: m.Key, Payload: payload, NotBefore: now}},
	}
	if err := s.Store.RouteCommit(ctx, b); err != nil {
		return a, err
	}
	if s.Dispatch != nil {
		s.Dispatch.Wake()
	}
	return a, nil
}

// Object cancels a pending archive.
func (s *AlertService) Object(ctx context.Context, id, actor string) (alert.Alert, error) {
	ok, err := s.Store.CancelJob(ctx, worker.ArchiveKey(id))
	if err != nil {
		return alert.Alert{}, err
	}
	if !ok {
		return alert.Alert{}, fmt.Errorf("alert %s has no pending archive", id)
	}
	return s.Store.GetAlert(ctx, id)
}

// OpenAlerts lists the open alerts routed to the given Slack channels.
func (s *AlertService) OpenAlerts(ctx context.Context, channels []string, limit int) ([]alert.Alert, error) {
	as, err := s.Store.ListAlerts(ctx, store.AlertQuery{States: []alert.State{alert.New, alert.Notified, alert.Acknowledged}, Limit: 1000})
	if err != nil {
		return nil, err
	}
	var out []alert.Alert
	for _, a := range as {
		if slices.Contains(channels, s.ChannelOf(a)) {
			out = append(out, a)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
	}
	return out, nil
}

// ChannelOf is the Slack channel an alert was routed to.
func (s *AlertService) ChannelOf(a alert.Alert) string {
	if s.Dispatch == nil {
		return ""
	}
	return s.Dispatch.Table().ChannelOf(a.Route)
}

// RunbookURL links an alert's runbook.
func (s *AlertService) RunbookURL(a alert.Alert) string {
	if s.RunbookURLFor == nil {
		return ""
	}
	return s.RunbookURLFor(a.Type)
}

// slackBotFor builds the Slack app when alerts.slack is configured.
func slackBotFor(a *App) (*slackbot.Bot, error) {
	sc := a.cfg.Alerts.Slack
	if sc.SigningSecretEnv == "" && sc.AppTokenEnv == "" {
		return nil, nil
	}
	if a.dispatch == nil {
		return nil, fmt.Errorf("alerts.slack needs routing (alerts come from routed findings)")
	}
	cfg := slackbot.Config{
		SigningSecret: os.Getenv(sc.SigningSecretEnv),
		AppToken:      os.Getenv(sc.AppTokenEnv),
		BotToken:      os.Getenv(a.cfg.Routing.Slack.TokenEnv),
		OnDutyGroup:   sc.OnDutyGroup,
		APIURL:        a.cfg.Routing.Slack.APIURL,
	}
	if st := a.cfg.Routing.SecurityTeam; st != nil {
		cfg.SecurityChannel = st.SlackConfig.ChannelID
	}
	svc := &AlertService{Store: a.store, Dispatch: a.dispatch, SecurityUsers: a.cfg.Alerts.SecurityUsers,
		ArchiveDelay: a.cfg.Alerts.ArchiveDelay, Now: a.now, RunbookURLFor: func(t string) string {
			return a.dispatch.Table().RunbookURL(t)
		}}
	return slackbot.New(cfg, svc, a.log, a.now, &http.Client{Timeout: 15 * time.Second})
}

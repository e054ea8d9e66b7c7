// Package pagerduty triggers PagerDuty incidents through the Events API
// v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/).
//
// Every message is a trigger event whose dedup_key is the finding ID, so
// a repeat or a severity increase updates the open alert of that finding
// instead of paging again for a new one. Target.Token is the
// integration's routing key; Target.URL overrides DefaultURL's base.
//
// Severity maps from the finding's band: Critical → critical, High →
// error, Medium → warning, Low → info.
//
// Errors are *notify.Error: 429 (RetryAfter from Retry-After, which
// PagerDuty rarely sends), 408, 5xx and network errors are retryable;
// 400 (an invalid event or routing key) and other 4xx are not. A 2xx is
// success (PagerDuty answers 202). No error contains the routing key.
package pagerduty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/notify"
	"github.com/picket-dev/picket/internal/notify/internal/notifyhttp"
	"github.com/picket-dev/picket/internal/report"
)

// DefaultURL is the Events API v2 base; the notifier posts to
// <base>/v2/enqueue.
const DefaultURL = "https://events.pagerduty.com"

// maxSummary is PagerDuty's limit on payload.summary; longer is cut.
const maxSummary = 1024

// Event is an Events API v2 event as Picket sends it.
type Event struct {
	RoutingKey  string  `json:"routing_key"`
	EventAction string  `json:"event_action"` // always trigger
	DedupKey    string  `json:"dedup_key"`
	Payload     Payload `json:"payload"`
	Client      string  `json:"client"`
	ClientURL   string  `json:"client_url,omitempty"`
	Links       []Link  `json:"links,omitempty"`
}

// Payload is the event's payload.
type Payload struct {
	Summary       string        `json:"summary"`
	Source        string        `json:"source"`
	Severity      string        `json:"severity"`
	Timestamp     string        `json:"timestamp,omitempty"`
	Component     string        `json:"component,omitempty"`
	Group         string        `json:"group,omitempty"`
	Class         string        `json:"class,omitempty"`
	CustomDetails CustomDetails `json:"custom_details"`
}

// CustomDetails is shown in the alert: why it was sent and the finding.
type CustomDetails struct {
	Key      string           `json:"key"`
	Reason   notify.Reason    `json:"reason"`
	Sample   bool             `json:"sample,omitempty"`
	Account  notify.Account   `json:"account"`
	Route    string           `json:"route,omitempty"`
	Grouped  int              `json:"grouped,omitempty"`
	Previous *notify.Previous `json:"previous,omitempty"`
	Finding  finding.Finding  `json:"finding"`
}

// Link is a link shown on the incident.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// Severity is PagerDuty's severity for a finding's band.
func Severity(l finding.Label) string {
	switch l {
	case finding.Critical:
		return "critical"
	case finding.High:
		return "error"
	case finding.Medium:
		return "warning"
	}
	return "info"
}

// NewEvent is the trigger event for m, without the routing key.
func NewEvent(m notify.Message) Event {
	f := &m.Finding
	acc := m.Account
	if acc.ID == "" {
		acc.ID = f.AccountID
	}
	group := acc.ID
	if acc.Name != "" {
		group = acc.Name
	}
	summary := fmt.Sprintf("%s %s in %s %s", f.SeverityLabel(), f.Type, acc.ID, f.Region)
	if f.Title != "" {
		summary += ": " + f.Title
	}
	if m.Sample {
		summary = "[SAMPLE] " + summary
	}
	e := Event{
		EventAction: "trigger",
		DedupKey:    f.ID,
		Payload: Payload{
			Summary:   cut(summary, maxSummary),
			Source:    "aws:" + acc.ID + ":" + f.Region,
			Severity:  Severity(f.SeverityLabel()),
			Component: report.Resource(f),
			Group:     group,
			Class:     f.Type,
			CustomDetails: CustomDetails{
				Key: m.Key, Reason: m.Reason, Sample: m.Sample, Account: acc, Route: m.Route,
				Grouped: m.Grouped, Previous: m.Previous, Finding: *f,
			},
		},
		Client:    "Picket",
		ClientURL: m.ConsoleURL,
	}
	if t := f.Service.EventLastSeen; !t.IsZero() {
		e.Payload.Timestamp = t.UTC().Format(time.RFC3339)
	}
	if m.ConsoleURL != "" {
		e.Links = append(e.Links, Link{Href: m.ConsoleURL, Text: "Open in console"})
	}
	if m.RunbookURL != "" {
		e.Links = append(e.Links, Link{Href: m.RunbookURL, Text: "Runbook"})
	}
	return e
}

// cut shortens s to max runes, ending with "…" when cut.
func cut(s string, max int) string {
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max-1]) + "…"
}

// Notifier triggers PagerDuty events. It is safe for concurrent use.
type Notifier struct {
	client *http.Client
	now    func() time.Time
}

// New returns a notifier using httpClient (nil: a client with a 30s
// timeout). Redirects are not followed.
func New(httpClient *http.Client) *Notifier {
	return &Notifier{client: notifyhttp.Client(httpClient), now: time.Now}
}

var _ notify.Notifier = (*Notifier)(nil)

// Send triggers the event for m. The result's Thread is the dedup key
// PagerDuty reports.
func (n *Notifier) Send(ctx context.Context, t notify.Target, m notify.Message) (notify.Result, error) {
	if m.Reason == notify.ReasonDigest {
		return notify.Result{}, nil // a digest pages nobody
	}
	if t.Token == "" {
		return notify.Result{}, &notify.Error{Err: errors.New("pagerduty: target has no routing key")}
	}
	e := NewEvent(m)
	e.RoutingKey = t.Token
	body, err := notifyhttp.JSON(e)
	if err != nil {
		return notify.Result{}, &notify.Error{Err: fmt.Errorf("pagerduty: encoding event: %w", err)}
	}
	base := t.URL
	if base == "" {
		base = DefaultURL
	}
	h := http.Header{"Content-Type": {"application/json"}}
	resp, err := notifyhttp.Post(ctx, n.client, strings.TrimSuffix(base, "/")+"/v2/enqueue", h, body, "pagerduty")
	if err != nil {
		return notify.Result{}, err
	}
	if err := notifyhttp.StatusError(resp, n.now(), "pagerduty", t.Token); err != nil {
		return notify.Result{}, err
	}
	var r struct {
		DedupKey string `json:"dedup_key"`
	}
	// The body only confirms the dedup key; the status already said the
	// event was accepted, so an odd body is no reason to send it again.
	if json.Unmarshal(resp.Body, &r) != nil || r.DedupKey == "" {
		r.DedupKey = e.DedupKey
	}
	return notify.Result{Thread: r.DedupKey}, nil
}

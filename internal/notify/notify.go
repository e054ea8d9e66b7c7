// Package notify delivers notifications about findings to people: Slack,
// generic webhooks, PagerDuty, stdout. A Notifier only sends one message
// and says whether a failure is worth retrying; retries, backoff, rate
// limits and the durable outbox belong to the dispatcher (package route),
// so every channel gets them the same way.
package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/picket-dev/picket/internal/finding"
)

// Reason says why a notification is sent.
type Reason string

// Reasons.
const (
	ReasonNew              Reason = "new"               // first time the finding is seen
	ReasonSeverityIncrease Reason = "severity-increase" // it got more severe
	ReasonRepeat           Reason = "repeat"            // it went on; sent once per repeat interval
	ReasonSample           Reason = "sample"            // picket sample-findings
	// ReasonCorrelated: another finding of an incident already notified
	// (another producer, or another detector, reporting the same type
	// family on the same resource and actor): it goes in that thread.
	ReasonCorrelated Reason = "also-reported"
	// ReasonReminder: the alert is not acknowledged within its SLA.
	ReasonReminder Reason = "reminder"
	// ReasonEscalation: the alert is escalated to the security team.
	ReasonEscalation Reason = "escalation"
	// ReasonArchiveRequested: someone asked to archive the alert; the
	// security team sees why and may object before it happens.
	ReasonArchiveRequested Reason = "archive-requested"
	// ReasonDigest: the daily list of a channel's open alerts (Digest).
	ReasonDigest Reason = "digest"
)

// Account names the AWS account a finding belongs to.
type Account struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"` // e.g. the Slack channel name or an alias
}

// Message is one notification about one finding (or, after a group wait,
// the first of several: Grouped counts the others).
type Message struct {
	// Key is unique per notification and stable across retries: the
	// idempotency key receivers can dedupe on.
	Key     string          `json:"key"`
	Reason  Reason          `json:"reason"`
	Finding finding.Finding `json:"finding"`
	Account Account         `json:"account"`
	Route   string          `json:"route"`             // the routing rule that chose the target
	AlertID string          `json:"alertId,omitempty"` // the alert (incident) it belongs to: buttons act on it
	Note    string          `json:"note,omitempty"`    // reminders and escalations: why
	// AlertState and AlertStatus say where the alert stands (e.g.
	// "acknowledged", "Acknowledged by slack:U1 at 12:03 UTC"), so a
	// message rewritten for a repeat keeps showing it.
	AlertState  string       `json:"alertState,omitempty"`
	AlertStatus string       `json:"alertStatus,omitempty"`
	Digest      []DigestItem `json:"digest,omitempty"`   // ReasonDigest: the open alerts
	Previous    *Previous    `json:"previous,omitempty"` // what was last notified, for updates
	Grouped     int          `json:"grouped,omitempty"`  // further findings folded into this message
	// Labels were added by routing policies (Rego), e.g. {"team": "payments"}.
	Labels map[string]string `json:"labels,omitempty"`
	// Links for the buttons (empty: no button).
	ConsoleURL string `json:"consoleUrl,omitempty"`
	RunbookURL string `json:"runbookUrl,omitempty"`
	// Thread is the channel's reference of the first message about this
	// finding (Slack: its ts), so repeats reply in its thread and updates
	// edit it. Empty for the first message.
	Thread string    `json:"thread,omitempty"`
	Sample bool      `json:"sample,omitempty"` // a sample finding: say so
	Time   time.Time `json:"time"`             // when the notification was decided
}

// DigestItem is one open alert in a digest.
type DigestItem struct {
	AlertID   string    `json:"alertId"`
	Type      string    `json:"type"`
	Title     string    `json:"title"`
	Severity  float64   `json:"severity"`
	Account   string    `json:"accountId"`
	State     string    `json:"state"`
	CreatedAt time.Time `json:"createdAt"`
	PastSLA   bool      `json:"pastSla"`
}

// Previous is the state last notified.
type Previous struct {
	Severity float64 `json:"severity"`
	Count    int64   `json:"count"`
}

// Target is where a message goes. Secrets (webhook URLs, tokens, keys)
// come resolved from the environment and must never be logged.
type Target struct {
	Kind    string `json:"kind"`              // slack, webhook, pagerduty, stdout
	Channel string `json:"channel,omitempty"` // Slack channel ID (bot token delivery)
	Name    string `json:"name,omitempty"`    // readable name (channel name), for logs
	// URL is the Slack incoming webhook, the generic webhook endpoint, or
	// an override of the API base URL (tests, proxies). Secret.
	URL string `json:"-"`
	// Token is the Slack bot token, or the PagerDuty routing key. Secret.
	Token string `json:"-"`
	// SigningKey signs generic webhook bodies (HMAC-SHA256). Secret.
	SigningKey string `json:"-"`
}

// Result is what a successful send reports back.
type Result struct {
	// Thread is the channel's reference of the message sent (Slack ts with
	// a bot token), stored so later messages can thread or update it.
	Thread string
}

// Notifier sends one message to one target.
type Notifier interface {
	// Send delivers m. A failure is an *Error when the notifier knows
	// whether retrying can help; any other error counts as retryable.
	Send(ctx context.Context, t Target, m Message) (Result, error)
}

// Error is a failed send, classified.
type Error struct {
	Retryable  bool
	RetryAfter time.Duration // from HTTP 429 Retry-After; 0 if none
	Status     int           // HTTP status, when there was one
	Err        error
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("HTTP %d: %v", e.Status, e.Err)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether err is worth retrying and after how long at
// least (0: the dispatcher's backoff decides).
func Retryable(err error) (bool, time.Duration) {
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable, e.RetryAfter
	}
	return true, 0
}

// Registry maps target kinds to notifiers.
type Registry map[string]Notifier

// Send dispatches m to the notifier of t.Kind.
func (r Registry) Send(ctx context.Context, t Target, m Message) (Result, error) {
	n, ok := r[t.Kind]
	if !ok {
		return Result{}, &Error{Retryable: false, Err: fmt.Errorf("no notifier for target kind %q", t.Kind)}
	}
	return n.Send(ctx, t, m)
}

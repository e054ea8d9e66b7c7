package store

import (
	"context"
	"time"

	"github.com/picket-dev/picket/internal/alert"

	"github.com/picket-dev/picket/internal/finding"
)

// Notifications: every change to a finding bumps its version; the
// dispatcher reads the findings whose version it has not routed yet,
// decides (suppress, route, throttle), and in one transaction writes the
// outbox rows and the routed version (RouteCommit). A sender then claims
// due outbox rows with a lease, sends, and completes them. A crash at any
// point leaves either the finding unrouted or the row pending: nothing is
// lost, and dedup keys keep anything from being queued twice.

// Router is the store side of routing and notification.
type Router interface {
	// PendingFindings returns up to limit findings changed since they were
	// last routed, oldest change first, with their version and the state
	// last notified for them per target.
	PendingFindings(ctx context.Context, limit int) ([]PendingFinding, error)
	// RouteCommit stores routing decisions atomically: outbox rows (a row
	// whose DedupKey exists is ignored), suppressed findings archived, and
	// each finding marked routed at its version — unless it changed again
	// meanwhile, in which case it stays pending and is routed anew.
	RouteCommit(ctx context.Context, b *RouteBatch) error
	// ClaimOutbox leases up to limit pending rows due at now (NotBefore
	// passed, no live lease) to owner until now+lease, attempts counted.
	ClaimOutbox(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]OutboxRow, error)
	// CompleteOutbox records a claimed row's outcome, only if owner still
	// holds its lease (ErrConflict otherwise).
	CompleteOutbox(ctx context.Context, owner string, c OutboxCompletion) error
	// Outbox lists rows, newest first (state "" means any).
	Outbox(ctx context.Context, state string, limit int) ([]OutboxRow, error)
	// OutboxCounts counts rows by state.
	OutboxCounts(ctx context.Context) (map[string]int64, error)

	// Incidents returns, for incident keys, the first finding notified per
	// target (see RouteBatch.Incidents).
	Incidents(ctx context.Context, keys []string) (map[string]map[string]Incident, error)

	// SuppressionRules lists the stored suppression rules, oldest first.
	SuppressionRules(ctx context.Context) ([]SuppressionRule, error)
	// PutSuppressionRule adds (or replaces, by ID) a rule and audits it.
	PutSuppressionRule(ctx context.Context, r SuppressionRule, a AuditEntry) error
	// DeleteSuppressionRule removes a rule (ErrNotFound if absent) and audits it.
	DeleteSuppressionRule(ctx context.Context, id string, a AuditEntry) error
	// SuppressionAudit lists audit entries, newest first.
	SuppressionAudit(ctx context.Context, limit int) ([]AuditEntry, error)
}

// PendingFinding is a finding to route.
type PendingFinding struct {
	Finding finding.Finding
	Version int64
	// Notified is what was last notified for this finding, by target key.
	Notified map[string]NotifyState
}

// NotifyState is what was last notified about a finding to one target.
type NotifyState struct {
	Severity float64
	Count    int64
	At       time.Time
	Thread   string // the channel's reference of the first message (Slack ts)
}

// RouteBatch is one routing commit.
type RouteBatch struct {
	Routed     []RoutedVersion
	Outbox     []OutboxRow
	Notified   []NotifiedState // state recorded when a notification is queued
	Suppressed []string        // finding IDs to archive (matched a suppression rule)
	// Incidents record the first finding notified for an incident and
	// target; an existing record is kept (its time refreshed when the same
	// finding is notified again).
	Incidents []IncidentRecord
	// Alerts opened by this commit, and actions on existing alerts
	// (recurrences), applied in the same transaction.
	AlertOpens   []AlertOpen
	AlertActions []AlertAction
	// Jobs scheduled with these changes (SLA reminders of opened alerts).
	Jobs []Job
	Now  time.Time
}

// AlertAction is an action on an alert within a routing commit.
type AlertAction struct {
	AlertID string
	Action  alert.Action
}

// Incident is the first finding notified for an incident to a target.
type Incident struct {
	FindingID string
	At        time.Time
}

// IncidentRecord records an incident's finding for a target.
type IncidentRecord struct {
	Key, Target, FindingID string
	At                     time.Time
}

// RoutedVersion marks a finding routed at a version.
type RoutedVersion struct {
	FindingID string
	Version   int64
}

// NotifiedState records what was queued for a finding and target.
type NotifiedState struct {
	FindingID string
	Target    string
	Severity  float64
	Count     int64
	At        time.Time
}

// Outbox row states.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxDead    = "dead"
)

// OutboxRow is one notification to send.
type OutboxRow struct {
	ID        int64     `json:"id"`
	DedupKey  string    `json:"dedupKey"`  // unique: the notification's idempotency key
	Target    string    `json:"target"`    // target key in the routing config
	FindingID string    `json:"findingId"` // for the thread lookup
	GroupKey  string    `json:"groupKey"`  // rows due together with one group key are sent as one message
	Payload   []byte    `json:"payload"`   // the notify.Message as JSON
	State     string    `json:"state"`
	Attempts  int       `json:"attempts"`
	NotBefore time.Time `json:"notBefore"`
	LastError string    `json:"lastError,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	SentAt    time.Time `json:"sentAt,omitempty"`
	// ThreadOf names the finding whose message this one threads under
	// (another finding of the same incident); "" means FindingID.
	ThreadOf string `json:"threadOf,omitempty"`
	// AlertID is the alert this notification is about: its first
	// successful send marks the alert notified.
	AlertID string `json:"alertId,omitempty"`
	// Thread is filled by ClaimOutbox from the notify state of
	// (ThreadOf or FindingID, Target): the first message's reference.
	Thread string `json:"thread,omitempty"`
}

// OutboxCompletion is the outcome of sending a row.
type OutboxCompletion struct {
	ID        int64
	State     string    // sent, pending (retry at RetryAt) or dead
	RetryAt   time.Time // for pending
	Error     string    // last error, for pending and dead
	Thread    string    // for sent: stored as the thread of (finding, target) if it has none
	FindingID string
	Target    string
	At        time.Time
}

// SuppressionRule is a stored suppression rule; Criteria is GuardDuty's
// FindingCriteria JSON (package route/suppress interprets it).
type SuppressionRule struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Owner     string    `json:"owner"`
	Reason    string    `json:"reason"`
	Criteria  []byte    `json:"criteria"`
	Expires   time.Time `json:"expires,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	CreatedBy string    `json:"createdBy"`
}

// AuditEntry is one change to the suppression rules.
type AuditEntry struct {
	ID     int64     `json:"id"`
	RuleID string    `json:"ruleId"`
	Action string    `json:"action"` // add, replace, remove
	Actor  string    `json:"actor"`
	At     time.Time `json:"at"`
	Detail string    `json:"detail"` // the rule as JSON, or a note
}

// Alerter is the store side of the alert table.
type Alerter interface {
	// ApplyAlert applies act to alert id in one transaction, with its
	// history row; for alert.Open, a is the alert to create. Illegal
	// transitions fail (wrapping alert.ErrIllegal) and store nothing.
	ApplyAlert(ctx context.Context, id string, a *alert.Alert, act alert.Action) (alert.Alert, alert.Transition, error)
	// GetAlert returns one alert, or ErrNotFound.
	GetAlert(ctx context.Context, id string) (alert.Alert, error)
	// AlertsByID returns the alerts that exist among ids.
	AlertsByID(ctx context.Context, ids []string) (map[string]alert.Alert, error)
	// ListAlerts returns alerts matching q, most recently updated first.
	ListAlerts(ctx context.Context, q AlertQuery) ([]alert.Alert, error)
	// AlertHistory returns an alert's transitions, oldest first.
	AlertHistory(ctx context.Context, id string) ([]alert.Transition, error)
}

// AlertQuery filters alerts. Zero values mean any.
type AlertQuery struct {
	States   []alert.State
	Accounts []string
	Routes   []string
	Since    time.Time // created at or after
	Limit    int       // 0 means 100
}

// AlertOpen opens an alert in a routing commit (ignored if it exists).
type AlertOpen struct {
	Alert alert.Alert
	Actor string
}

// Jobs is the durable job queue the alert worker runs.
type Jobs interface {
	// EnqueueJobs adds jobs; a job whose Key exists (pending or not) is
	// ignored, so scheduling is idempotent.
	EnqueueJobs(ctx context.Context, jobs []Job) error
	// ClaimJobs leases up to limit pending jobs due at now to owner.
	ClaimJobs(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]Job, error)
	// CompleteJob records a claimed job's outcome if owner still holds it
	// (ErrConflict otherwise): done, pending again at RetryAt, or failed.
	CompleteJob(ctx context.Context, owner string, id int64, state string, retryAt time.Time, errText string) error
	// CancelJob cancels a pending job by key; it reports whether one was.
	CancelJob(ctx context.Context, key string) (bool, error)
	// ListJobs lists jobs, newest first (state "" means any).
	ListJobs(ctx context.Context, state string, limit int) ([]Job, error)
}

// Job states.
const (
	JobPending  = "pending"
	JobDone     = "done"
	JobFailed   = "failed"
	JobCanceled = "canceled"
)

// Job is one unit of deferred work.
type Job struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Key       string    `json:"key"` // unique: scheduling the same work twice is one job
	Payload   []byte    `json:"payload"`
	RunAt     time.Time `json:"runAt"`
	State     string    `json:"state"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"lastError,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

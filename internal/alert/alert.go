// Package alert holds the alert table's model: an alert is a routed
// finding (or the findings of one incident) that people handle. It has a
// state — new → notified → acknowledged → resolved, or archived with a
// reason — and an escalated flag; every transition is an append-only
// history row saying who, when, from, to and why. Apply is the state
// machine: it rejects illegal transitions with a clear error and never
// touches storage, so it is tested alone; package store keeps alerts.
package alert

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// State is an alert's state.
type State string

// States.
const (
	New          State = "new"
	Notified     State = "notified"
	Acknowledged State = "acknowledged"
	Resolved     State = "resolved"
	Archived     State = "archived"
)

// Open reports whether the alert still needs someone.
func (s State) Open() bool { return s == New || s == Notified || s == Acknowledged }

// Reason is an archive reason category.
type Reason string

// Archive reasons.
const (
	FalsePositive Reason = "false-positive"
	Expected      Reason = "expected"     // expected or intended activity
	NotAffected   Reason = "not-affected" // the resource is not ours / not exposed
	Handled       Reason = "handled"      // a true positive, dealt with
	Duplicate     Reason = "duplicate"    // of another alert
)

// Reasons lists the archive reasons, for menus.
var Reasons = []Reason{FalsePositive, Expected, NotAffected, Handled, Duplicate}

// Label is a reason's words.
func (r Reason) Label() string {
	switch r {
	case FalsePositive:
		return "False positive"
	case Expected:
		return "Expected / intended activity"
	case NotAffected:
		return "Not affected"
	case Handled:
		return "Handled true positive"
	case Duplicate:
		return "Duplicate"
	}
	return string(r)
}

// ParseReason reads a reason category.
func ParseReason(s string) (Reason, error) {
	r := Reason(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Reasons, r) {
		return r, nil
	}
	return "", fmt.Errorf("unknown archive reason %q (want one of %s)", s, joinReasons())
}

func joinReasons() string {
	var s []string
	for _, r := range Reasons {
		s = append(s, string(r))
	}
	return strings.Join(s, ", ")
}

// Alert is one alert.
type Alert struct {
	ID        string    `json:"id"`        // the incident's ID (stable across its findings)
	FindingID string    `json:"findingId"` // the finding that opened it
	Account   string    `json:"accountId"`
	Region    string    `json:"region"`
	Type      string    `json:"type"`
	Severity  float64   `json:"severity"`
	Title     string    `json:"title"`
	Route     string    `json:"route"` // the route target key it was sent to first (its channel)
	State     State     `json:"state"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`

	NotifiedAt time.Time `json:"notifiedAt,omitzero"`
	AckedAt    time.Time `json:"acknowledgedAt,omitzero"`
	AckedBy    string    `json:"acknowledgedBy,omitempty"`
	ClosedAt   time.Time `json:"closedAt,omitzero"` // resolved or archived
	ClosedBy   string    `json:"closedBy,omitempty"`
	Reason     Reason    `json:"archiveReason,omitempty"`
	Note       string    `json:"note,omitempty"`

	Escalated   bool      `json:"escalated"`
	EscalatedBy string    `json:"escalatedBy,omitempty"`
	EscalatedAt time.Time `json:"escalatedAt,omitzero"`

	// Occurrences counts the times the incident came back after it was
	// closed (a recurrence).
	Occurrences int `json:"occurrences"`
}

// Kind is what happened to an alert.
type Kind string

// Kinds of action.
const (
	Open        Kind = "open"        // the alert is created (state new)
	Notify      Kind = "notify"      // its first notification was delivered
	Acknowledge Kind = "acknowledge" // someone took it
	Resolve     Kind = "resolve"     // dealt with
	Archive     Kind = "archive"     // closed with a reason
	Unarchive   Kind = "unarchive"   // an archive taken back (e.g. a security engineer objects)
	Escalate    Kind = "escalate"    // security engineers asked in
	Recur       Kind = "recur"       // the incident happened again
)

// Action is a request to change an alert.
type Action struct {
	Kind   Kind
	Actor  string // Slack user (slack:U123), console user (console:alice), or "picket"
	Reason Reason // Archive
	Note   string // free text (archive reason text, escalation context)
	At     time.Time
}

// Transition is one history row.
type Transition struct {
	ID      int64     `json:"id"`
	AlertID string    `json:"alertId"`
	Kind    Kind      `json:"kind"`
	Actor   string    `json:"actor"`
	At      time.Time `json:"at"`
	From    State     `json:"from"`
	To      State     `json:"to"`
	Reason  Reason    `json:"reason,omitempty"`
	Note    string    `json:"note,omitempty"`
}

// ErrIllegal is wrapped by errors for transitions the state machine refuses.
var ErrIllegal = errors.New("illegal alert transition")

// Apply performs act on a, returning the history row. a is unchanged when
// the transition is illegal.
func Apply(a *Alert, act Action) (Transition, error) {
	if act.Actor == "" {
		return Transition{}, errors.New("an alert action needs an actor")
	}
	if act.At.IsZero() {
		return Transition{}, errors.New("an alert action needs a time")
	}
	from := a.State
	next := *a
	refuse := func(why string) (Transition, error) {
		return Transition{}, fmt.Errorf("%w: cannot %s alert %s (%s): %s", ErrIllegal, act.Kind, a.ID, from, why)
	}
	switch act.Kind {
	case Open:
		if from != "" {
			return refuse("it exists")
		}
		next.State, next.CreatedAt = New, act.At
	case Notify:
		if from != New {
			return refuse("only a new alert is notified")
		}
		next.State, next.NotifiedAt = Notified, act.At
	case Acknowledge:
		if from != New && from != Notified {
			return refuse("only a new or notified alert can be acknowledged")
		}
		next.State, next.AckedAt, next.AckedBy = Acknowledged, act.At, act.Actor
	case Resolve:
		if !from.Open() {
			return refuse("it is closed")
		}
		next.State, next.ClosedAt, next.ClosedBy, next.Note = Resolved, act.At, act.Actor, act.Note
	case Archive:
		if !from.Open() {
			return refuse("it is closed")
		}
		if act.Reason == "" {
			return refuse("archiving needs a reason category")
		}
		if _, err := ParseReason(string(act.Reason)); err != nil {
			return Transition{}, err
		}
		next.State, next.ClosedAt, next.ClosedBy, next.Reason, next.Note = Archived, act.At, act.Actor, act.Reason, act.Note
	case Unarchive:
		if from != Archived {
			return refuse("it is not archived")
		}
		next.State, next.ClosedAt, next.ClosedBy, next.Reason = reopenState(a), time.Time{}, "", ""
	case Escalate:
		if !from.Open() {
			return refuse("it is closed")
		}
		if a.Escalated {
			return refuse("it is already escalated")
		}
		next.Escalated, next.EscalatedBy, next.EscalatedAt = true, act.Actor, act.At
	case Recur:
		switch {
		case from == Resolved:
			// A resolved incident that comes back is open again.
			next.State, next.ClosedAt, next.ClosedBy = New, time.Time{}, ""
			next.AckedAt, next.AckedBy, next.NotifiedAt = time.Time{}, "", time.Time{}
			next.Occurrences++
		case from == Archived && a.Reason == Expected:
			// Expected activity stays archived; it counts.
			next.Occurrences++
		case from == Archived:
			next.State, next.ClosedAt, next.ClosedBy, next.Reason = New, time.Time{}, "", ""
			next.AckedAt, next.AckedBy, next.NotifiedAt = time.Time{}, "", time.Time{}
			next.Occurrences++
		default:
			next.Occurrences++ // still open: only counted
		}
	default:
		return Transition{}, fmt.Errorf("unknown alert action %q", act.Kind)
	}
	next.UpdatedAt = act.At
	*a = next
	return Transition{AlertID: a.ID, Kind: act.Kind, Actor: act.Actor, At: act.At, From: from, To: next.State, Reason: act.Reason, Note: act.Note}, nil
}

// reopenState is where an unarchived alert goes back to.
func reopenState(a *Alert) State {
	switch {
	case !a.AckedAt.IsZero():
		return Acknowledged
	case !a.NotifiedAt.IsZero():
		return Notified
	}
	return New
}

// Times are an alert's response times (zero when the step has not happened).
type Times struct {
	ToNotify, ToAcknowledge, ToClose time.Duration
}

// ResponseTimes measures a from its creation.
func (a *Alert) ResponseTimes() Times {
	var t Times
	if !a.NotifiedAt.IsZero() {
		t.ToNotify = a.NotifiedAt.Sub(a.CreatedAt)
	}
	if !a.AckedAt.IsZero() {
		t.ToAcknowledge = a.AckedAt.Sub(a.CreatedAt)
	}
	if !a.ClosedAt.IsZero() {
		t.ToClose = a.ClosedAt.Sub(a.CreatedAt)
	}
	return t
}

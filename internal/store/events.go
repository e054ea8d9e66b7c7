package store

import (
	"context"
	"time"

	"github.com/picket-dev/picket/internal/search"
)

// Events keeps raw events for investigation, with the fields searches
// filter on in indexed columns and the record kept whole.
type Events interface {
	// SearchEvents returns the stored events matching q, newest first.
	SearchEvents(ctx context.Context, q EventQuery) ([]StoredEvent, error)
	// GetEvent returns one stored event, or ErrNotFound.
	GetEvent(ctx context.Context, id int64) (StoredEvent, error)
	// PruneEvents deletes a source's events older than before (every
	// source's when source is "") and returns how many it deleted. At most
	// limit rows go per call (0: all), so a large prune can run in steps.
	PruneEvents(ctx context.Context, source string, before time.Time, limit int) (int64, error)
}

// StoredEvent is a raw event with its indexed fields. Strings never hold
// NULL: a field the event does not have is "".
type StoredEvent struct {
	ID       int64     `json:"id"`
	Time     time.Time `json:"time"`
	Account  string    `json:"account"`
	Region   string    `json:"region"`
	Kind     string    `json:"source"` // cloudtrail, vpcflow, dns, k8saudit, finding
	Source   string    `json:"sourceName"`
	EventID  string    `json:"eventId,omitempty"`
	Actor    string    `json:"actor"`
	SrcIP    string    `json:"srcIP"`
	Action   string    `json:"action"`
	Service  string    `json:"service"`
	Outcome  string    `json:"outcome"` // success or failure
	Resource string    `json:"resource"`
	Raw      []byte    `json:"-"`
}

// Fields are the event's searchable fields by the canonical names of
// package search.
func (e *StoredEvent) Fields() map[string]string {
	return map[string]string{
		"account": e.Account, "region": e.Region, "source": e.Kind, "actor": e.Actor, "srcIP": e.SrcIP,
		"action": e.Action, "outcome": e.Outcome, "resource": e.Resource, "service": e.Service,
	}
}

// EventQuery selects stored events.
type EventQuery struct {
	Accounts []string      // restrict to these accounts (caller scope); nil: all
	Filter   *search.Query // nil: everything
	Since    time.Time     // event time at or after (zero: no bound)
	Until    time.Time     // event time before (zero: no bound)
	// Before continues a listing: events strictly older than this
	// (time, id) position, the last row of the previous page.
	Before *EventCursor
	Limit  int // 0 means 100
}

// EventCursor is a position in the newest-first order of events.
type EventCursor struct {
	Time time.Time
	ID   int64
}

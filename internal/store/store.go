// Package store defines where Picket keeps its state — findings and their
// evidence, quarantined records, and source checkpoints — behind one
// interface with two real implementations: SQLite (store/sqlite, the embedded
// default) and PostgreSQL (store/postgres). store/storetest is the
// conformance suite both pass.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// ErrNotFound is returned when a looked-up item does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned by Commit when a conditional checkpoint write
// (Checkpoint.Expect) finds that another writer moved the checkpoint: the
// whole batch is rolled back, and the caller reads the object again from
// the stored checkpoint.
var ErrConflict = errors.New("checkpoint changed by another writer")

// Store is the persistence seam. Implementations are safe for concurrent use.
type Store interface {
	// Commit applies a batch atomically: every finding is merged into the
	// stored finding with the same ID (count added, seen window widened,
	// archive state and createdAt kept) or inserted; evidence is added up to
	// Batch.EvidenceLimit rows per finding (duplicates by event ID ignored);
	// quarantine records are added (duplicates by origin ignored), after
	// those of Batch.Reread are removed; and checkpoints are written, each
	// conditionally when its Expect is set. Either all of it is stored or
	// none.
	Commit(ctx context.Context, b *Batch) (CommitResult, error)

	// GetFinding returns one finding, or ErrNotFound.
	GetFinding(ctx context.Context, id string) (*finding.Finding, error)
	// ListFindings returns the findings matching q, in q.Sort's order (most
	// recently updated first by default), and the total number matching q
	// (ignoring Limit/Offset). An unknown q.Sort or q.AlertStates value is
	// an error.
	ListFindings(ctx context.Context, q FindingQuery) ([]finding.Finding, int, error)
	// FindingFacets summarizes the findings matching q (Limit, Offset and
	// Sort ignored): counts by severity label, the top types and accounts,
	// and the total.
	FindingFacets(ctx context.Context, q FindingQuery) (Facets, error)
	// Evidence returns the stored raw events of a finding, oldest first.
	Evidence(ctx context.Context, findingID string) ([]finding.Evidence, error)
	// SetArchived archives or unarchives findings and returns how many
	// changed state. Unknown IDs are ignored.
	SetArchived(ctx context.Context, ids []string, archived bool, now time.Time) (int, error)

	// Checkpoint returns the checkpoint of one key of a source.
	Checkpoint(ctx context.Context, source, key string) (Checkpoint, bool, error)
	// Checkpoints returns every checkpoint of a source, by key.
	Checkpoints(ctx context.Context, source string) (map[string]Checkpoint, error)

	// Quarantine lists quarantined records, newest first.
	Quarantine(ctx context.Context, q QuarantineQuery) ([]Quarantined, error)
	// QuarantineCount counts quarantined records, optionally for one source.
	QuarantineCount(ctx context.Context, source string) (int64, error)

	// Events is the investigation side: stored raw events.
	Events
	// LoadState returns the persisted state entries of a stateful
	// detector (Batch.State writes them).
	LoadState(ctx context.Context, detector string) ([]StateEntry, error)

	// Router is the routing and notification side (outbox, suppression).
	Router
	// Alerter keeps the alert table.
	Alerter
	// Jobs is the alert worker's durable queue.
	Jobs
	// Ping checks that the store answers (for /healthz).
	Ping(ctx context.Context) error

	// Close releases the store.
	Close() error
}

// Batch is what one commit stores.
type Batch struct {
	// Findings are new occurrences; Service.Count is how many occurrences
	// this batch saw (already aggregated by ID within the batch).
	Findings    []finding.Finding
	Evidence    []finding.Evidence
	Quarantine  []Quarantined
	Checkpoints []Checkpoint
	// Events are raw events kept for investigation (sources with
	// store_events on).
	Events []StoredEvent
	// State are stateful detectors' changed entries, upserted; an entry
	// with an empty Value is deleted.
	State []StateEntry
	// Reread names objects read again from a record on (a file completed
	// after it was first read while being written): their quarantined
	// records from that index on are removed, as those records are decoded
	// anew in this batch.
	Reread        []Reread
	EvidenceLimit int       // max evidence rows kept per finding; 0 means DefaultEvidenceLimit
	Now           time.Time // createdAt/updatedAt of this commit
}

// DefaultEvidenceLimit is how many raw events are kept per finding by default.
const DefaultEvidenceLimit = 10

// Empty reports whether the batch stores nothing.
func (b *Batch) Empty() bool {
	return len(b.Findings) == 0 && len(b.Evidence) == 0 && len(b.Quarantine) == 0 && len(b.Checkpoints) == 0 &&
		len(b.Reread) == 0 && len(b.Events) == 0 && len(b.State) == 0
}

// Reread says that records of Path in Source from index From on are being
// read again.
type Reread struct {
	Source string
	Path   string
	From   int64
}

// CommitResult says what a commit changed.
type CommitResult struct {
	NewFindings     []string // IDs inserted by this commit
	UpdatedFindings []string // IDs that existed and were merged into
}

// Checkpoint records how far a source has read one object (file).
type Checkpoint struct {
	Source   string    `json:"source"`
	Key      string    `json:"key"`      // file path or object key
	Position int64     `json:"position"` // records consumed (the next record index to read)
	Offset   int64     `json:"offset"`   // bytes consumed, for information
	Size     int64     `json:"size"`     // object size when last read
	ModTime  time.Time `json:"modTime"`  // object modification time when last read
	Done     bool      `json:"done"`     // read to the end
	// FileID identifies the file that was read (device and inode), so that
	// a file replaced by another of the same name is read from the start
	// rather than resumed.
	FileID    string    `json:"fileId,omitempty"`
	UpdatedAt time.Time `json:"updatedAt"`
	// Expect, when set, makes the write conditional: Commit fails with
	// ErrConflict unless the stored position (0 when there is none) equals
	// *Expect. Two processes reading the same file cannot both count it.
	// Not stored.
	Expect *int64 `json:"-"`
}

// Quarantined is a record (or the rest of a file) that could not be decoded.
type Quarantined struct {
	ID     int64        `json:"id"`
	Origin event.Origin `json:"origin"`
	Format string       `json:"format"`
	Reason string       `json:"reason"`
	Sample []byte       `json:"sample"` // the first bytes of the record
	At     time.Time    `json:"at"`
}

// MaxSample is how many bytes of a bad record are kept.
const MaxSample = 1024

// FindingQuery filters findings. Zero values mean "any"; filters combine
// with AND.
type FindingQuery struct {
	Accounts []string // restrict to these accounts (caller scope)
	Types    []string
	Regions  []string
	// Actors and Resources match the finding's fingerprint keys exactly
	// (a finding's related findings: the same actor or resource).
	Actors      []string
	Resources   []string
	MinSeverity float64 // severity at or above
	MaxSeverity float64 // when > 0, severity below (High: MinSeverity 7, MaxSeverity 9)
	Archived    *bool
	Since       time.Time // updatedAt at or after
	Until       time.Time // updatedAt before
	// Text is a case-insensitive substring of the type, title, actor key,
	// resource key or ID (% and _ match themselves). Case folding is
	// Unicode on PostgreSQL and ASCII-only on SQLite.
	Text string
	// AlertStates keeps findings with an alert (alerts.finding_id) in one
	// of these states (new, notified, acknowledged, resolved, archived);
	// AlertNone keeps findings without an alert.
	AlertStates []string
	// Sort is the order: "" or SortUpdated, SortSeverity, SortCount,
	// SortFirstSeen, SortLastSeen. Ties are broken by ID, so pages are
	// stable.
	Sort string
	// FacetTop is how many types and accounts FindingFacets lists (0:
	// FacetsTop; negative: none, only the severity counts).
	FacetTop int
	Limit    int // 0 means 100
	Offset   int
}

// FindingQuery.Sort values, each descending.
const (
	SortUpdated   = "updated"    // updatedAt (the default)
	SortSeverity  = "severity"   // severity, then updatedAt
	SortCount     = "count"      // occurrence count
	SortFirstSeen = "first_seen" // service.eventFirstSeen
	SortLastSeen  = "last_seen"  // service.eventLastSeen
)

// FindingSorts lists the FindingQuery.Sort values ("" means SortUpdated).
var FindingSorts = []string{SortUpdated, SortSeverity, SortCount, SortFirstSeen, SortLastSeen}

// AlertNone in FindingQuery.AlertStates selects findings without an alert.
const AlertNone = "none"

// FacetsTop is how many types and accounts Facets lists.
const FacetsTop = 10

// Facets summarizes the findings matching a query.
type Facets struct {
	// Severity counts by label: Low [1, 4), Medium [4, 7), High [7, 9),
	// Critical [9, 10]; every label is present. Severities below 1 count
	// as Low, as finding.LabelOf has it.
	Severity map[string]int `json:"severity"`
	Types    []KeyCount     `json:"types"`    // the FacetsTop most frequent, count desc then key asc
	Accounts []KeyCount     `json:"accounts"` // likewise
	Total    int            `json:"total"`
}

// KeyCount is one facet value and how many findings have it.
type KeyCount struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

// QuarantineQuery filters quarantined records.
type QuarantineQuery struct {
	Source string
	Limit  int // 0 means 100
}

// StateEntry is one persisted entry of a stateful detector.
type StateEntry struct {
	Detector  string
	Key       string
	Value     []byte
	UpdatedAt time.Time
}

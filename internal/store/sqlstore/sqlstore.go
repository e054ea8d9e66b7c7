// Package sqlstore implements store.Store once, on database/sql, for every
// SQL engine Picket supports (store/sqlite and store/postgres). A small
// Dialect carries what differs between engines: placeholder style, row
// locking, time representation, and the engine's schema migrations.
//
// Findings are kept whole as JSON in a body column, with the fields that are
// filtered and sorted on copied into indexed columns on every write.
package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/store"
)

// Store is a store.Store on a SQL database.
type Store struct {
	db *sql.DB
	d  Dialect
}

var _ store.Store = (*Store)(nil)

// New migrates db's schema to d's latest version and returns a Store on it.
// The Store owns db from then on: Close closes it. On error db is left open
// for the caller to close.
func New(ctx context.Context, db *sql.DB, d Dialect) (*Store, error) {
	if err := d.checkMigrations(); err != nil {
		return nil, err
	}
	s := &Store{db: db, d: d}
	if err := s.migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrating %s schema: %w", d.Name, err)
	}
	return s, nil
}

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("pinging %s store: %w", s.d.Name, err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	return q.ExecContext(ctx, s.d.rebind(query), s.d.args(args)...)
}

func (s *Store) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	return q.QueryContext(ctx, s.d.rebind(query), s.d.args(args)...)
}

func (s *Store) queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	return q.QueryRowContext(ctx, s.d.rebind(query), s.d.args(args)...)
}

const (
	findingWriteCols = "type, severity, account_id, region, resource_type, title, count, first_seen, last_seen, created_at, updated_at, archived, key_resource, key_actor, body"
	findingReadCols  = "body, key_resource, key_actor"
)

// findingArgs are the values of findingWriteCols.
func findingArgs(f *finding.Finding) ([]any, error) {
	body, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encoding finding %s: %w", f.ID, err)
	}
	return []any{
		f.Type, f.Severity, f.AccountID, f.Region, f.Resource.ResourceType, f.Title, f.Service.Count,
		f.Service.EventFirstSeen, f.Service.EventLastSeen, f.CreatedAt, f.UpdatedAt, f.Service.Archived,
		f.Keys.Resource, f.Keys.Actor, string(body),
	}, nil
}

func (s *Store) insertFinding(ctx context.Context, tx *sql.Tx, f *finding.Finding) (bool, error) {
	args, err := findingArgs(f)
	if err != nil {
		return false, err
	}
	// version counts changes; the router notifies what it has not routed.
	r, err := s.exec(ctx, tx, "INSERT INTO findings (id, "+findingWriteCols+", version) VALUES (?"+strings.Repeat(", ?", len(args))+
		", 1) ON CONFLICT (id) DO NOTHING", append([]any{f.ID}, args...)...)
	if err != nil {
		return false, fmt.Errorf("inserting finding %s: %w", f.ID, err)
	}
	n, err := r.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("inserting finding %s: %w", f.ID, err)
	}
	return n == 1, nil
}

func (s *Store) updateFinding(ctx context.Context, tx *sql.Tx, f *finding.Finding) error {
	args, err := findingArgs(f)
	if err != nil {
		return err
	}
	set := strings.ReplaceAll(findingWriteCols, ",", " = ?,") + " = ?"
	if _, err := s.exec(ctx, tx, "UPDATE findings SET "+set+", version = version + 1 WHERE id = ?", append(args, f.ID)...); err != nil {
		return fmt.Errorf("updating finding %s: %w", f.ID, err)
	}
	return nil
}

// scanFinding decodes a row of findingReadCols.
func scanFinding(sc interface{ Scan(...any) error }) (finding.Finding, error) {
	var (
		f    finding.Finding
		body string
	)
	if err := sc.Scan(&body, &f.Keys.Resource, &f.Keys.Actor); err != nil {
		return f, err
	}
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		return f, fmt.Errorf("decoding stored finding: %w", err)
	}
	normalize(&f)
	return f, nil
}

// normalize puts a finding's times in UTC, as they are stored and returned.
func normalize(f *finding.Finding) {
	f.CreatedAt, f.UpdatedAt = f.CreatedAt.UTC(), f.UpdatedAt.UTC()
	f.Service.EventFirstSeen, f.Service.EventLastSeen = f.Service.EventFirstSeen.UTC(), f.Service.EventLastSeen.UTC()
}

// readFinding reads (and, where the dialect locks rows, locks) one finding.
func (s *Store) readFinding(ctx context.Context, q querier, id string, lock bool) (finding.Finding, bool, error) {
	query := "SELECT " + findingReadCols + " FROM findings WHERE id = ?"
	if lock {
		query += s.d.forUpdate()
	}
	f, err := scanFinding(s.queryRow(ctx, q, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, false, nil
	}
	if err != nil {
		return f, false, fmt.Errorf("reading finding %s: %w", id, err)
	}
	return f, true, nil
}

// Commit stores a batch in one transaction; see store.Store. Findings are
// merged in ID order, locking each stored row first, so concurrent commits
// touching the same findings queue instead of deadlocking. A conditional
// checkpoint (Expect set) that another writer moved fails the commit with an
// error wrapping store.ErrConflict, and nothing of the batch is stored.
// Evidence must belong to a finding that is stored or in the batch: the
// database rejects any other, failing the whole commit.
func (s *Store) Commit(ctx context.Context, b *store.Batch) (store.CommitResult, error) {
	if b == nil || b.Empty() {
		return store.CommitResult{}, nil
	}
	res, err := s.commit(ctx, b)
	if err != nil {
		return store.CommitResult{}, fmt.Errorf("committing batch: %w", err)
	}
	return res, nil
}

func (s *Store) commit(ctx context.Context, b *store.Batch) (res store.CommitResult, err error) {
	now := b.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	limit := b.EvidenceLimit
	if limit <= 0 {
		limit = store.DefaultEvidenceLimit
	}

	// Fold repeats within the batch, on copies: the caller's batch is left alone.
	incoming := make(map[string]*finding.Finding, len(b.Findings))
	for i := range b.Findings {
		f := b.Findings[i]
		if f.ID == "" {
			return res, fmt.Errorf("finding %d (%s) has no ID", i, f.Type)
		}
		if prev, ok := incoming[f.ID]; ok {
			prev.Merge(&f)
			continue
		}
		incoming[f.ID] = &f
	}
	ids := make([]string, 0, len(incoming)+len(b.Evidence))
	for id := range incoming {
		ids = append(ids, id)
	}
	for _, e := range b.Evidence {
		ids = append(ids, e.FindingID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()

	// Events first: a later failure (orphan evidence, a moved checkpoint)
	// must roll them back too.
	if err := s.addEvents(ctx, tx, b.Events); err != nil {
		return res, err
	}
	for _, id := range ids {
		in, ok := incoming[id]
		if !ok {
			// Evidence only: lock the finding so the evidence count below
			// stays exact under concurrent commits.
			if s.d.RowLocks {
				var locked string
				err := s.queryRow(ctx, tx, "SELECT id FROM findings WHERE id = ? FOR UPDATE", id).Scan(&locked)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return res, fmt.Errorf("locking finding %s: %w", id, err)
				}
			}
			continue
		}
		stored, found, err := s.readFinding(ctx, tx, id, true)
		if err != nil {
			return res, err
		}
		if !found {
			f := *in
			f.CreatedAt, f.UpdatedAt = now, now
			normalize(&f)
			inserted, err := s.insertFinding(ctx, tx, &f)
			if err != nil {
				return res, err
			}
			if inserted {
				res.NewFindings = append(res.NewFindings, id)
				continue
			}
			// Another transaction inserted it since our read: merge into its row.
			stored, found, err = s.readFinding(ctx, tx, id, true)
			if err != nil {
				return res, err
			}
			if !found {
				return res, fmt.Errorf("finding %s: conflicting insert but no row", id)
			}
		}
		stored.Merge(in) // keeps the stored archive state and createdAt
		stored.UpdatedAt = now
		normalize(&stored)
		if err := s.updateFinding(ctx, tx, &stored); err != nil {
			return res, err
		}
		res.UpdatedFindings = append(res.UpdatedFindings, id)
	}

	if err := s.addEvidence(ctx, tx, b, limit); err != nil {
		return res, err
	}
	if err := s.addQuarantine(ctx, tx, b, now); err != nil {
		return res, err
	}
	if err := s.putCheckpoints(ctx, tx, b, now); err != nil {
		return res, err
	}
	if err := s.putState(ctx, tx, b.State, now); err != nil {
		return res, err
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("committing transaction: %w", err)
	}
	return res, nil
}

// addEvidence stores evidence rows while their finding has fewer than limit;
// a duplicate event ID is ignored and does not count.
func (s *Store) addEvidence(ctx context.Context, tx *sql.Tx, b *store.Batch, limit int) error {
	counts := make(map[string]int)
	for _, e := range b.Evidence {
		n, ok := counts[e.FindingID]
		if !ok {
			if err := s.queryRow(ctx, tx, "SELECT COUNT(*) FROM evidence WHERE finding_id = ?", e.FindingID).Scan(&n); err != nil {
				return fmt.Errorf("counting evidence of finding %s: %w", e.FindingID, err)
			}
		}
		if n >= limit {
			counts[e.FindingID] = n
			continue
		}
		r, err := s.exec(ctx, tx, `INSERT INTO evidence (finding_id, event_id, event_time, source, path, record_index, byte_offset, raw)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (finding_id, event_id) DO NOTHING`,
			e.FindingID, e.EventID, e.EventTime, e.Source, e.Path, e.Index, e.Offset, e.Raw)
		if err != nil {
			return fmt.Errorf("storing evidence %s of finding %s: %w", e.EventID, e.FindingID, err)
		}
		added, err := r.RowsAffected()
		if err != nil {
			return fmt.Errorf("storing evidence %s of finding %s: %w", e.EventID, e.FindingID, err)
		}
		counts[e.FindingID] = n + int(added)
	}
	return nil
}

// addQuarantine stores the batch's bad records, duplicates by origin
// ignored, after removing those of the objects the batch reads again
// (dropReread). Rows are written in key order (here and in putCheckpoints),
// as findings are locked in ID order, so two commits inserting the same
// keys cannot deadlock.
func (s *Store) addQuarantine(ctx context.Context, tx *sql.Tx, b *store.Batch, now time.Time) error {
	if err := s.dropReread(ctx, tx, b); err != nil {
		return err
	}
	qs := slices.Clone(b.Quarantine)
	slices.SortStableFunc(qs, func(a, b store.Quarantined) int {
		return cmp.Or(strings.Compare(a.Origin.Source, b.Origin.Source), strings.Compare(a.Origin.Path, b.Origin.Path),
			cmp.Compare(a.Origin.Index, b.Origin.Index))
	})
	for _, q := range qs {
		at := q.At
		if at.IsZero() {
			at = now
		}
		sample := q.Sample
		if len(sample) > store.MaxSample {
			sample = sample[:store.MaxSample]
		}
		o := q.Origin
		if _, err := s.exec(ctx, tx, `INSERT INTO quarantine (source, path, record_index, byte_offset, line, format, reason, sample, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, path, record_index) DO NOTHING`,
			o.Source, o.Path, o.Index, o.Offset, o.Line, q.Format, q.Reason, sample, at); err != nil {
			return fmt.Errorf("quarantining %s %s#%d: %w", o.Source, o.Path, o.Index, err)
		}
	}
	return nil
}

// dropReread removes the quarantined records of the batch's Reread objects
// from their From index on: the batch decodes those records anew, and
// quarantines again those that still fail. Deleted in (source, path) order,
// as the other rows a commit writes, so concurrent commits queue rather
// than deadlock.
func (s *Store) dropReread(ctx context.Context, tx *sql.Tx, b *store.Batch) error {
	rs := slices.Clone(b.Reread)
	slices.SortStableFunc(rs, func(a, b store.Reread) int {
		return cmp.Or(strings.Compare(a.Source, b.Source), strings.Compare(a.Path, b.Path), cmp.Compare(a.From, b.From))
	})
	for _, r := range rs {
		if _, err := s.exec(ctx, tx, "DELETE FROM quarantine WHERE source = ? AND path = ? AND record_index >= ?",
			r.Source, r.Path, r.From); err != nil {
			return fmt.Errorf("clearing quarantine of %s %s from #%d: %w", r.Source, r.Path, r.From, err)
		}
	}
	return nil
}

// putCheckpoints upserts the batch's checkpoints; one whose Expect is set
// is written only if the stored position (0 when there is no row) equals
// *Expect, and otherwise fails the commit with store.ErrConflict.
//
// The condition is checked by the write itself, on the row it locks, so it
// holds against concurrent commits: on PostgreSQL an UPDATE (or an upsert's
// DO UPDATE) waits for a concurrent writer of the row and evaluates its
// WHERE on the row that writer committed, and an INSERT racing another
// INSERT of the same key waits for it and takes the DO UPDATE path; on
// SQLite the IMMEDIATE transaction holds the database's write lock.
func (s *Store) putCheckpoints(ctx context.Context, tx *sql.Tx, b *store.Batch, now time.Time) error {
	cs := slices.Clone(b.Checkpoints)
	slices.SortStableFunc(cs, func(a, b store.Checkpoint) int {
		return cmp.Or(strings.Compare(a.Source, b.Source), strings.Compare(a.Key, b.Key))
	})
	for _, c := range cs {
		at := c.UpdatedAt
		if at.IsZero() {
			at = now
		}
		const (
			insert = `INSERT INTO checkpoints (source, object_key, position, byte_offset, size, mod_time, done, file_id, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (source, object_key) DO UPDATE SET position = excluded.position, byte_offset = excluded.byte_offset,
				size = excluded.size, mod_time = excluded.mod_time, done = excluded.done, file_id = excluded.file_id,
				updated_at = excluded.updated_at`
			update = `UPDATE checkpoints SET position = ?, byte_offset = ?, size = ?, mod_time = ?, done = ?, file_id = ?, updated_at = ?
			WHERE source = ? AND object_key = ? AND position = ?`
		)
		var (
			r   sql.Result
			err error
		)
		switch {
		case c.Expect == nil:
			r, err = s.exec(ctx, tx, insert, c.Source, c.Key, c.Position, c.Offset, c.Size, c.ModTime, c.Done, c.FileID, at)
		case *c.Expect == 0:
			// No row yet, or one still at position 0.
			r, err = s.exec(ctx, tx, insert+" WHERE checkpoints.position = 0",
				c.Source, c.Key, c.Position, c.Offset, c.Size, c.ModTime, c.Done, c.FileID, at)
		default:
			// A missing row is at position 0, never *c.Expect: no insert.
			r, err = s.exec(ctx, tx, update, c.Position, c.Offset, c.Size, c.ModTime, c.Done, c.FileID, at,
				c.Source, c.Key, *c.Expect)
		}
		if err != nil {
			return fmt.Errorf("writing checkpoint %s %s: %w", c.Source, c.Key, err)
		}
		if c.Expect == nil {
			continue
		}
		n, err := r.RowsAffected()
		if err != nil {
			return fmt.Errorf("writing checkpoint %s %s: %w", c.Source, c.Key, err)
		}
		if n != 1 {
			return fmt.Errorf("checkpoint %s %s is no longer at position %d: %w", c.Source, c.Key, *c.Expect, store.ErrConflict)
		}
	}
	return nil
}

// GetFinding returns one finding, or an error wrapping store.ErrNotFound.
func (s *Store) GetFinding(ctx context.Context, id string) (*finding.Finding, error) {
	f, found, err := s.readFinding(ctx, s.db, id, false)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("finding %s: %w", id, store.ErrNotFound)
	}
	return &f, nil
}

// ListFindings returns a page of the findings matching q, in q.Sort's
// order (most recently updated first by default; ties by ID), and how many
// match in all. An empty q.Accounts means every account.
func (s *Store) ListFindings(ctx context.Context, q store.FindingQuery) ([]finding.Finding, int, error) {
	f, err := s.newFindingFilter(ctx, q)
	if err != nil {
		return nil, 0, fmt.Errorf("listing findings: %w", err)
	}
	order, err := findingOrder(q.Sort)
	if err != nil {
		return nil, 0, fmt.Errorf("listing findings: %w", err)
	}
	total, err := s.countFindings(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("counting findings: %w", err)
	}
	limit, offset := q.Limit, max(q.Offset, 0)
	if limit <= 0 {
		limit = 100
	}
	if offset >= total {
		return []finding.Finding{}, total, nil
	}
	// Many matches: read in updated_at order until the page is full (see
	// denseFactor). Few: start from the filters' indexes and sort.
	cond, args := f.where(alertIn, false)
	// An actor or resource key has its own index with the account: its
	// matches (hundreds at most) are read from it and sorted.
	keyed := len(q.Actors) > 0 || len(q.Resources) > 0
	if (q.Sort == "" || q.Sort == store.SortUpdated) && !keyed {
		if total >= denseFactor*(offset+limit) {
			cond, args = f.where(alertExists, true)
		}
	}
	if keyed && s.d.TextTime && strings.HasPrefix(order, "updated_at ") {
		// SQLite (without table statistics) would read the account's
		// findings in updated_at order rather than the few of the key:
		// ordering by an expression leaves it the key's index.
		order = "updated_at || ''" + strings.TrimPrefix(order, "updated_at")
	}
	rows, err := s.query(ctx, s.db, "SELECT "+findingReadCols+" FROM findings"+cond+
		" ORDER BY "+order+" LIMIT ? OFFSET ?", append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("listing findings: %w", err)
	}
	defer rows.Close()
	out := make([]finding.Finding, 0, min(limit, total-offset))
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("listing findings: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("listing findings: %w", err)
	}
	return out, total, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// Evidence returns the stored raw events of a finding, oldest event first;
// none for an unknown finding.
func (s *Store) Evidence(ctx context.Context, findingID string) ([]finding.Evidence, error) {
	rows, err := s.query(ctx, s.db, `SELECT finding_id, event_id, event_time, source, path, record_index, byte_offset, raw
		FROM evidence WHERE finding_id = ? ORDER BY event_time, event_id`, findingID)
	if err != nil {
		return nil, fmt.Errorf("reading evidence of finding %s: %w", findingID, err)
	}
	defer rows.Close()
	out := []finding.Evidence{}
	for rows.Next() {
		var e finding.Evidence
		if err := rows.Scan(&e.FindingID, &e.EventID, utcTime{&e.EventTime}, &e.Source, &e.Path, &e.Index, &e.Offset, &e.Raw); err != nil {
			return nil, fmt.Errorf("reading evidence of finding %s: %w", findingID, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading evidence of finding %s: %w", findingID, err)
	}
	return out, nil
}

// SetArchived archives or unarchives findings and returns how many changed
// state; those also get updatedAt = now. Unknown IDs are ignored.
func (s *Store) SetArchived(ctx context.Context, ids []string, archived bool, now time.Time) (int, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) == 0 {
		return 0, nil
	}
	if now.IsZero() {
		now = time.Now()
	}
	n, err := s.setArchived(ctx, ids, archived, now.UTC())
	if err != nil {
		return 0, fmt.Errorf("setting archived=%t: %w", archived, err)
	}
	return n, nil
}

// setArchivedChunk bounds the IN list below every engine's parameter limit.
const setArchivedChunk = 500

func (s *Store) setArchived(ctx context.Context, ids []string, archived bool, now time.Time) (n int, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	for chunk := range slices.Chunk(ids, setArchivedChunk) {
		args := make([]any, 0, len(chunk)+1)
		for _, id := range chunk {
			args = append(args, id)
		}
		// Locked in ID order, as Commit does, so the two cannot deadlock.
		rows, err := s.query(ctx, tx, "SELECT "+findingReadCols+" FROM findings WHERE id IN ("+placeholders(len(chunk))+
			") AND archived <> ? ORDER BY id"+s.d.forUpdate(), append(args, archived)...)
		if err != nil {
			return 0, err
		}
		var changed []finding.Finding
		for rows.Next() {
			f, err := scanFinding(rows)
			if err != nil {
				rows.Close()
				return 0, err
			}
			changed = append(changed, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		for i := range changed {
			f := &changed[i]
			f.Service.Archived = archived
			f.UpdatedAt = now
			if err := s.updateFinding(ctx, tx, f); err != nil {
				return 0, err
			}
		}
		n += len(changed)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("committing transaction: %w", err)
	}
	return n, nil
}

const checkpointCols = "source, object_key, position, byte_offset, size, mod_time, done, file_id, updated_at"

func scanCheckpoint(sc interface{ Scan(...any) error }) (store.Checkpoint, error) {
	var c store.Checkpoint
	err := sc.Scan(&c.Source, &c.Key, &c.Position, &c.Offset, &c.Size, utcTime{&c.ModTime}, &c.Done, &c.FileID, utcTime{&c.UpdatedAt})
	return c, err
}

// Checkpoint returns the checkpoint of one key of a source; ok is false when
// there is none.
func (s *Store) Checkpoint(ctx context.Context, source, key string) (store.Checkpoint, bool, error) {
	c, err := scanCheckpoint(s.queryRow(ctx, s.db, "SELECT "+checkpointCols+" FROM checkpoints WHERE source = ? AND object_key = ?", source, key))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Checkpoint{}, false, nil
	}
	if err != nil {
		return store.Checkpoint{}, false, fmt.Errorf("reading checkpoint %s %s: %w", source, key, err)
	}
	return c, true, nil
}

// Checkpoints returns every checkpoint of a source, by key.
func (s *Store) Checkpoints(ctx context.Context, source string) (map[string]store.Checkpoint, error) {
	rows, err := s.query(ctx, s.db, "SELECT "+checkpointCols+" FROM checkpoints WHERE source = ?", source)
	if err != nil {
		return nil, fmt.Errorf("reading checkpoints of %s: %w", source, err)
	}
	defer rows.Close()
	out := make(map[string]store.Checkpoint)
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("reading checkpoints of %s: %w", source, err)
		}
		out[c.Key] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading checkpoints of %s: %w", source, err)
	}
	return out, nil
}

// Quarantine lists quarantined records, newest first, optionally of one source.
func (s *Store) Quarantine(ctx context.Context, q store.QuarantineQuery) ([]store.Quarantined, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	query := "SELECT id, source, path, record_index, byte_offset, line, format, reason, sample, created_at FROM quarantine"
	var args []any
	if q.Source != "" {
		query += " WHERE source = ?"
		args = append(args, q.Source)
	}
	rows, err := s.query(ctx, s.db, query+" ORDER BY created_at DESC, id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("listing quarantine: %w", err)
	}
	defer rows.Close()
	out := []store.Quarantined{}
	for rows.Next() {
		var r store.Quarantined
		o := &r.Origin
		if err := rows.Scan(&r.ID, &o.Source, &o.Path, &o.Index, &o.Offset, &o.Line, &r.Format, &r.Reason, &r.Sample, utcTime{&r.At}); err != nil {
			return nil, fmt.Errorf("listing quarantine: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing quarantine: %w", err)
	}
	return out, nil
}

// QuarantineCount counts quarantined records, of one source or ("") all.
func (s *Store) QuarantineCount(ctx context.Context, source string) (int64, error) {
	query, args := "SELECT COUNT(*) FROM quarantine", []any(nil)
	if source != "" {
		query, args = query+" WHERE source = ?", []any{source}
	}
	var n int64
	if err := s.queryRow(ctx, s.db, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting quarantine: %w", err)
	}
	return n, nil
}

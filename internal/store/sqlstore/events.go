package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/picket-dev/picket/internal/search"
	"github.com/picket-dev/picket/internal/store"
)

const eventCols = "event_time, account_id, region, source_kind, source, event_id, actor, src_ip, src_ip_key, action, service, outcome, resource, raw"

// eventRowsPerInsert bounds one multi-row INSERT (14 parameters a row;
// SQLite allows 32,766 and PostgreSQL 65,535 per statement).
const eventRowsPerInsert = 200

// searchCols map the query language's fields to the events columns.
var (
	searchCols = map[string]string{
		"account": "account_id", "region": "region", "source": "source_kind", "actor": "actor", "srcIP": "src_ip",
		"action": "action", "outcome": "outcome", "resource": "resource", "service": "service",
	}
	searchIPCols = map[string]string{"srcIP": "src_ip_key"}
)

// addEvents inserts the batch's events, many rows per statement.
func (s *Store) addEvents(ctx context.Context, tx *sql.Tx, evs []store.StoredEvent) error {
	row := "(?" + strings.Repeat(", ?", 13) + ")"
	for len(evs) > 0 {
		n := min(len(evs), eventRowsPerInsert)
		var q strings.Builder
		q.WriteString("INSERT INTO events (" + eventCols + ") VALUES ")
		args := make([]any, 0, n*14)
		for i, e := range evs[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(row)
			key := ""
			if a, err := netip.ParseAddr(e.SrcIP); err == nil {
				key = search.IPKey(a)
			}
			raw := e.Raw
			if raw == nil {
				raw = []byte{}
			}
			args = append(args, e.Time, e.Account, e.Region, e.Kind, e.Source, e.EventID, e.Actor, e.SrcIP, key,
				e.Action, e.Service, e.Outcome, e.Resource, raw)
		}
		if _, err := s.exec(ctx, tx, q.String(), args...); err != nil {
			return fmt.Errorf("storing %d events: %w", n, err)
		}
		evs = evs[n:]
	}
	return nil
}

// putState upserts detector state entries (an empty value deletes one), in key order (as other rows)
// so that concurrent commits queue rather than deadlock.
func (s *Store) putState(ctx context.Context, tx *sql.Tx, entries []store.StateEntry, now time.Time) error {
	es := slices.Clone(entries)
	slices.SortStableFunc(es, func(a, b store.StateEntry) int {
		if c := strings.Compare(a.Detector, b.Detector); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	for _, e := range es {
		if len(e.Value) == 0 { // the detector forgot the key (evicted)
			if _, err := s.exec(ctx, tx, "DELETE FROM detector_state WHERE detector = ? AND state_key = ?", e.Detector, e.Key); err != nil {
				return fmt.Errorf("deleting state %s/%s: %w", e.Detector, e.Key, err)
			}
			continue
		}
		at := e.UpdatedAt
		if at.IsZero() {
			at = now
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO detector_state (detector, state_key, value, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (detector, state_key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			e.Detector, e.Key, e.Value, at); err != nil {
			return fmt.Errorf("storing state %s/%s: %w", e.Detector, e.Key, err)
		}
	}
	return nil
}

// LoadState returns a detector's stored state entries, by key.
func (s *Store) LoadState(ctx context.Context, detector string) ([]store.StateEntry, error) {
	rows, err := s.query(ctx, s.db, "SELECT state_key, value, updated_at FROM detector_state WHERE detector = ? ORDER BY state_key", detector)
	if err != nil {
		return nil, fmt.Errorf("loading state of %s: %w", detector, err)
	}
	defer rows.Close()
	var out []store.StateEntry
	for rows.Next() {
		e := store.StateEntry{Detector: detector}
		if err := rows.Scan(&e.Key, &e.Value, utcTime{&e.UpdatedAt}); err != nil {
			return nil, fmt.Errorf("loading state of %s: %w", detector, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// SearchEvents returns the events matching q, newest first. The filter is
// compiled to SQL over the indexed columns; the account scope and time
// range are further conditions, so an index on (account_id, event_time)
// answers "one account over a day".
func (s *Store) SearchEvents(ctx context.Context, q store.EventQuery) ([]store.StoredEvent, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	where, args, err := q.Filter.SQL(searchCols, searchIPCols)
	if err != nil {
		return nil, err
	}
	conds := []string{"(" + where + ")"}
	if q.Accounts != nil {
		if len(q.Accounts) == 0 {
			return nil, nil
		}
		conds = append(conds, "account_id IN (?"+strings.Repeat(", ?", len(q.Accounts)-1)+")")
		for _, a := range q.Accounts {
			args = append(args, a)
		}
	}
	if !q.Since.IsZero() {
		conds = append(conds, "event_time >= ?")
		args = append(args, q.Since)
	}
	if !q.Until.IsZero() {
		conds = append(conds, "event_time < ?")
		args = append(args, q.Until)
	}
	if c := q.Before; c != nil {
		// event_time <= ? bounds the index range, so a page starts at
		// the cursor instead of skipping every newer event.
		conds = append(conds, "event_time <= ? AND (event_time < ? OR (event_time = ? AND id < ?))")
		args = append(args, c.Time, c.Time, c.Time, c.ID)
	}
	rows, err := s.query(ctx, s.db, "SELECT id, "+eventCols+" FROM events WHERE "+strings.Join(conds, " AND ")+
		" ORDER BY event_time DESC, id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("searching events: %w", err)
	}
	defer rows.Close()
	var out []store.StoredEvent
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func scanEvent(sc interface{ Scan(...any) error }) (store.StoredEvent, error) {
	var e store.StoredEvent
	var ipKey string
	if err := sc.Scan(&e.ID, utcTime{&e.Time}, &e.Account, &e.Region, &e.Kind, &e.Source, &e.EventID, &e.Actor, &e.SrcIP, &ipKey,
		&e.Action, &e.Service, &e.Outcome, &e.Resource, &e.Raw); err != nil {
		return e, fmt.Errorf("reading stored event: %w", err)
	}
	return e, nil
}

// GetEvent returns one stored event.
func (s *Store) GetEvent(ctx context.Context, id int64) (store.StoredEvent, error) {
	e, err := scanEvent(s.queryRow(ctx, s.db, "SELECT id, "+eventCols+" FROM events WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("event %d: %w", id, store.ErrNotFound)
	}
	return e, err
}

// PruneEvents deletes old events, at most limit (0: all) per call.
func (s *Store) PruneEvents(ctx context.Context, source string, before time.Time, limit int) (int64, error) {
	cond, args := "event_time < ?", []any{before}
	if source != "" {
		cond += " AND source = ?"
		args = append(args, source)
	}
	q := "DELETE FROM events WHERE " + cond
	if limit > 0 {
		q = "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE " + cond + " LIMIT ?)"
		args = append(args, limit)
	}
	r, err := s.exec(ctx, s.db, q, args...)
	if err != nil {
		return 0, fmt.Errorf("pruning events of %q before %s: %w", source, before.Format(time.RFC3339), err)
	}
	return r.RowsAffected()
}

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/store"
)

func (s *Store) readAlert(ctx context.Context, q querier, id string, lock bool) (alert.Alert, bool, error) {
	suffix := ""
	if lock {
		suffix = s.d.forUpdate()
	}
	var body string
	err := s.queryRow(ctx, q, "SELECT body FROM alerts WHERE id = ?"+suffix, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return alert.Alert{}, false, nil
	}
	if err != nil {
		return alert.Alert{}, false, fmt.Errorf("reading alert %s: %w", id, err)
	}
	var a alert.Alert
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		return a, false, fmt.Errorf("decoding alert %s: %w", id, err)
	}
	return a, true, nil
}

func (s *Store) writeAlert(ctx context.Context, tx *sql.Tx, a *alert.Alert, insert bool) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	if insert {
		_, err = s.exec(ctx, tx, `INSERT INTO alerts (id, finding_id, account_id, type, severity, route, state, created_at, updated_at, body)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, a.FindingID, a.Account, a.Type, a.Severity, a.Route, string(a.State), a.CreatedAt, a.UpdatedAt, string(body))
	} else {
		_, err = s.exec(ctx, tx, `UPDATE alerts SET severity = ?, state = ?, updated_at = ?, body = ? WHERE id = ?`,
			a.Severity, string(a.State), a.UpdatedAt, string(body), a.ID)
	}
	if err != nil {
		return fmt.Errorf("writing alert %s: %w", a.ID, err)
	}
	return nil
}

func (s *Store) addHistory(ctx context.Context, tx *sql.Tx, tr alert.Transition) error {
	_, err := s.exec(ctx, tx, `INSERT INTO alert_history (alert_id, kind, actor, at, from_state, to_state, reason, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		tr.AlertID, string(tr.Kind), tr.Actor, tr.At, string(tr.From), string(tr.To), string(tr.Reason), tr.Note)
	if err != nil {
		return fmt.Errorf("recording alert history: %w", err)
	}
	return nil
}

// applyAlert applies act within tx. For Open, create is the new alert; an
// alert that exists is left as it is (ok false).
func (s *Store) applyAlert(ctx context.Context, tx *sql.Tx, id string, create *alert.Alert, act alert.Action) (alert.Alert, alert.Transition, bool, error) {
	a, found, err := s.readAlert(ctx, tx, id, true)
	if err != nil {
		return a, alert.Transition{}, false, err
	}
	if act.Kind == alert.Open {
		if found {
			return a, alert.Transition{}, false, nil
		}
		if create == nil {
			return a, alert.Transition{}, false, errors.New("opening an alert needs the alert")
		}
		a = *create
		a.ID, a.State = id, ""
	} else if !found {
		return a, alert.Transition{}, false, fmt.Errorf("alert %s: %w", id, store.ErrNotFound)
	}
	tr, err := alert.Apply(&a, act)
	if err != nil {
		return a, tr, false, err
	}
	if err := s.writeAlert(ctx, tx, &a, act.Kind == alert.Open); err != nil {
		return a, tr, false, err
	}
	if err := s.addHistory(ctx, tx, tr); err != nil {
		return a, tr, false, err
	}
	return a, tr, true, nil
}

// ApplyAlert implements store.Alerter.
func (s *Store) ApplyAlert(ctx context.Context, id string, create *alert.Alert, act alert.Action) (a alert.Alert, tr alert.Transition, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return a, tr, fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	a, tr, ok, err := s.applyAlert(ctx, tx, id, create, act)
	if err != nil {
		return a, tr, err
	}
	if !ok {
		return a, tr, fmt.Errorf("alert %s exists: %w", id, alert.ErrIllegal)
	}
	return a, tr, tx.Commit()
}

// GetAlert implements store.Alerter.
func (s *Store) GetAlert(ctx context.Context, id string) (alert.Alert, error) {
	a, ok, err := s.readAlert(ctx, s.db, id, false)
	if err != nil {
		return a, err
	}
	if !ok {
		return a, fmt.Errorf("alert %s: %w", id, store.ErrNotFound)
	}
	return a, nil
}

// AlertsByID implements store.Alerter.
func (s *Store) AlertsByID(ctx context.Context, ids []string) (map[string]alert.Alert, error) {
	out := map[string]alert.Alert{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.query(ctx, s.db, "SELECT body FROM alerts WHERE id IN ("+placeholders(len(ids))+")", args...)
	if err != nil {
		return nil, fmt.Errorf("reading alerts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var a alert.Alert
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			return nil, err
		}
		out[a.ID] = a
	}
	return out, rows.Err()
}

// ListAlerts implements store.Alerter.
func (s *Store) ListAlerts(ctx context.Context, q store.AlertQuery) ([]alert.Alert, error) {
	var where []string
	var args []any
	in := func(col string, vals []string) {
		if len(vals) == 0 {
			return
		}
		where = append(where, col+" IN ("+placeholders(len(vals))+")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	var states []string
	for _, st := range q.States {
		states = append(states, string(st))
	}
	in("state", states)
	in("account_id", q.Accounts)
	in("route", q.Routes)
	if !q.Since.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, q.Since)
	}
	query := "SELECT body FROM alerts"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.query(ctx, s.db, query+" ORDER BY updated_at DESC, id LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("listing alerts: %w", err)
	}
	defer rows.Close()
	var out []alert.Alert
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var a alert.Alert
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AlertHistory implements store.Alerter.
func (s *Store) AlertHistory(ctx context.Context, id string) ([]alert.Transition, error) {
	rows, err := s.query(ctx, s.db, "SELECT id, alert_id, kind, actor, at, from_state, to_state, reason, note FROM alert_history WHERE alert_id = ? ORDER BY id", id)
	if err != nil {
		return nil, fmt.Errorf("reading alert history: %w", err)
	}
	defer rows.Close()
	var out []alert.Transition
	for rows.Next() {
		var tr alert.Transition
		var kind, from, to, reason string
		if err := rows.Scan(&tr.ID, &tr.AlertID, &kind, &tr.Actor, utcTime{&tr.At}, &from, &to, &reason, &tr.Note); err != nil {
			return nil, err
		}
		tr.Kind, tr.From, tr.To, tr.Reason = alert.Kind(kind), alert.State(from), alert.State(to), alert.Reason(reason)
		out = append(out, tr)
	}
	return out, rows.Err()
}

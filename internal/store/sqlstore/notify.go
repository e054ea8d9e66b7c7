package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/store"
)

// PendingFindings implements store.Router.
func (s *Store) PendingFindings(ctx context.Context, limit int) ([]store.PendingFinding, error) {
	if limit <= 0 {
		limit = 500
	}
	rows, err := s.query(ctx, s.db, "SELECT "+findingReadCols+", version FROM findings WHERE version > routed_version ORDER BY updated_at, id LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("reading unrouted findings: %w", err)
	}
	var out []store.PendingFinding
	byID := map[string]int{}
	for rows.Next() {
		var p store.PendingFinding
		f, err := scanFinding(scanExtra{rows, &p.Version})
		if err != nil {
			rows.Close()
			return nil, err
		}
		p.Finding = f
		byID[f.ID] = len(out)
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(out))
	for _, p := range out {
		args = append(args, p.Finding.ID)
	}
	rows, err = s.query(ctx, s.db, "SELECT finding_id, target, severity, count, notified_at, thread FROM notify_state WHERE finding_id IN ("+placeholders(len(args))+")", args...)
	if err != nil {
		return nil, fmt.Errorf("reading notify state: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, target string
		var st store.NotifyState
		if err := rows.Scan(&id, &target, &st.Severity, &st.Count, utcTime{&st.At}, &st.Thread); err != nil {
			return nil, err
		}
		p := &out[byID[id]]
		if p.Notified == nil {
			p.Notified = map[string]store.NotifyState{}
		}
		p.Notified[target] = st
	}
	return out, rows.Err()
}

// RouteCommit implements store.Router.
func (s *Store) RouteCommit(ctx context.Context, b *store.RouteBatch) (err error) {
	now := b.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	for _, o := range b.Outbox {
		if _, err := s.exec(ctx, tx, `INSERT INTO outbox (dedup_key, target, finding_id, thread_of, alert_id, group_key, payload, state, attempts, not_before, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (dedup_key) DO NOTHING`,
			o.DedupKey, o.Target, o.FindingID, o.ThreadOf, o.AlertID, o.GroupKey, string(o.Payload), store.OutboxPending, o.NotBefore, now); err != nil {
			return fmt.Errorf("queueing notification %s: %w", o.DedupKey, err)
		}
	}
	for _, n := range b.Notified {
		if _, err := s.exec(ctx, tx, `INSERT INTO notify_state (finding_id, target, severity, count, notified_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (finding_id, target) DO UPDATE SET severity = excluded.severity, count = excluded.count, notified_at = excluded.notified_at`,
			n.FindingID, n.Target, n.Severity, n.Count, n.At); err != nil {
			return fmt.Errorf("recording notify state: %w", err)
		}
	}
	for _, in := range b.Incidents {
		if _, err := s.exec(ctx, tx, `INSERT INTO incidents (incident_key, target, finding_id, at) VALUES (?, ?, ?, ?)
			ON CONFLICT (incident_key, target) DO UPDATE SET at = excluded.at WHERE incidents.finding_id = excluded.finding_id`,
			in.Key, in.Target, in.FindingID, in.At); err != nil {
			return fmt.Errorf("recording incident: %w", err)
		}
	}
	for _, ao := range b.AlertOpens {
		act := alert.Action{Kind: alert.Open, Actor: ao.Actor, At: now}
		if _, _, _, err := s.applyAlert(ctx, tx, ao.Alert.ID, &ao.Alert, act); err != nil {
			return err
		}
	}
	for _, aa := range b.AlertActions {
		if _, _, _, err := s.applyAlert(ctx, tx, aa.AlertID, nil, aa.Action); err != nil && !errors.Is(err, alert.ErrIllegal) && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if err := s.enqueueJobs(ctx, tx, b.Jobs, now); err != nil {
		return err
	}
	archived := map[string]bool{}
	for _, id := range b.Suppressed {
		f, ok, err := s.readFinding(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if !ok || f.Service.Archived {
			continue
		}
		f.Service.Archived = true
		f.UpdatedAt = now
		if err := s.updateFinding(ctx, tx, &f); err != nil {
			return err
		}
		archived[id] = true
	}
	for _, r := range b.Routed {
		v := r.Version
		if archived[r.FindingID] {
			v++ // the archive above is routed by this decision too
		}
		if _, err := s.exec(ctx, tx, "UPDATE findings SET routed_version = ? WHERE id = ? AND version = ?", v, r.FindingID, v); err != nil {
			return fmt.Errorf("marking finding %s routed: %w", r.FindingID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing routing: %w", err)
	}
	return nil
}

const outboxCols = "o.id, o.dedup_key, o.target, o.finding_id, o.thread_of, o.alert_id, o.group_key, o.payload, o.state, o.attempts, o.not_before, o.last_error, o.created_at, o.sent_at"

func scanOutbox(sc interface{ Scan(...any) error }, extra ...any) (store.OutboxRow, error) {
	var r store.OutboxRow
	var payload string
	dst := []any{&r.ID, &r.DedupKey, &r.Target, &r.FindingID, &r.ThreadOf, &r.AlertID, &r.GroupKey, &payload, &r.State, &r.Attempts,
		utcTime{&r.NotBefore}, &r.LastError, utcTime{&r.CreatedAt}, utcTime{&r.SentAt}}
	if err := sc.Scan(append(dst, extra...)...); err != nil {
		return r, err
	}
	r.Payload = []byte(payload)
	return r, nil
}

// ClaimOutbox implements store.Router.
func (s *Store) ClaimOutbox(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) (out []store.OutboxRow, err error) {
	if limit <= 0 {
		limit = 100
	}
	now = now.UTC()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	lock := ""
	if s.d.RowLocks {
		lock = " FOR UPDATE OF o SKIP LOCKED" // two senders never take one row
	}
	rows, err := s.query(ctx, tx, "SELECT "+outboxCols+", COALESCE(n.thread, '') FROM outbox o LEFT JOIN notify_state n ON n.finding_id = (CASE WHEN o.thread_of <> '' THEN o.thread_of ELSE o.finding_id END) AND n.target = o.target"+
		" WHERE o.state = ? AND o.not_before <= ? AND (o.lease_until IS NULL OR o.lease_until < ?) ORDER BY o.not_before, o.id LIMIT ?"+lock,
		store.OutboxPending, now, now, limit)
	if err != nil {
		return nil, fmt.Errorf("claiming notifications: %w", err)
	}
	for rows.Next() {
		var thread string
		r, err := scanOutbox(rows, &thread)
		if err != nil {
			rows.Close()
			return nil, err
		}
		r.Thread = thread
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		// Conditional on the lease still being free: on engines without
		// row locks a concurrent claimer may have taken it.
		res, err := s.exec(ctx, tx, "UPDATE outbox SET lease_owner = ?, lease_until = ?, attempts = attempts + 1 WHERE id = ? AND state = ? AND (lease_until IS NULL OR lease_until < ?)",
			owner, now.Add(lease), out[i].ID, store.OutboxPending, now)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			out[i].ID = 0
		}
		out[i].Attempts++
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("committing claim: %w", err)
	}
	kept := out[:0]
	for _, r := range out {
		if r.ID != 0 {
			kept = append(kept, r)
		}
	}
	return kept, nil
}

// CompleteOutbox implements store.Router.
func (s *Store) CompleteOutbox(ctx context.Context, owner string, c store.OutboxCompletion) (err error) {
	at := c.At
	if at.IsZero() {
		at = time.Now()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var res sql.Result
	switch c.State {
	case store.OutboxSent:
		res, err = s.exec(ctx, tx, "UPDATE outbox SET state = ?, sent_at = ?, lease_owner = '', lease_until = NULL, last_error = '' WHERE id = ? AND lease_owner = ? AND state = ?",
			store.OutboxSent, at, c.ID, owner, store.OutboxPending)
	case store.OutboxPending:
		res, err = s.exec(ctx, tx, "UPDATE outbox SET not_before = ?, lease_owner = '', lease_until = NULL, last_error = ? WHERE id = ? AND lease_owner = ? AND state = ?",
			c.RetryAt, c.Error, c.ID, owner, store.OutboxPending)
	case store.OutboxDead:
		res, err = s.exec(ctx, tx, "UPDATE outbox SET state = ?, lease_owner = '', lease_until = NULL, last_error = ? WHERE id = ? AND lease_owner = ? AND state = ?",
			store.OutboxDead, c.Error, c.ID, owner, store.OutboxPending)
	default:
		return fmt.Errorf("unknown outbox state %q", c.State)
	}
	if err != nil {
		return fmt.Errorf("completing notification %d: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("notification %d: lease lost: %w", c.ID, store.ErrConflict)
	}
	if c.State == store.OutboxSent {
		var alertID string
		if err := s.queryRow(ctx, tx, "SELECT alert_id FROM outbox WHERE id = ?", c.ID).Scan(&alertID); err != nil {
			return fmt.Errorf("notification %d: %w", c.ID, err)
		}
		if alertID != "" {
			// The alert's first delivered notification marks it notified.
			a, found, err := s.readAlert(ctx, tx, alertID, true)
			if err != nil {
				return err
			}
			if found && a.State == alert.New {
				if _, _, _, err := s.applyAlert(ctx, tx, alertID, nil, alert.Action{Kind: alert.Notify, Actor: "picket", At: at}); err != nil {
					return err
				}
			}
		}
	}
	if c.State == store.OutboxSent && c.Thread != "" && c.FindingID != "" {
		if _, err := s.exec(ctx, tx, "UPDATE notify_state SET thread = ? WHERE finding_id = ? AND target = ? AND thread = ''", c.Thread, c.FindingID, c.Target); err != nil {
			return fmt.Errorf("recording thread: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing completion: %w", err)
	}
	return nil
}

// Outbox implements store.Router.
func (s *Store) Outbox(ctx context.Context, state string, limit int) ([]store.OutboxRow, error) {
	if limit <= 0 {
		limit = 100
	}
	q := "SELECT " + outboxCols + " FROM outbox o"
	var args []any
	if state != "" {
		q += " WHERE o.state = ?"
		args = append(args, state)
	}
	rows, err := s.query(ctx, s.db, q+" ORDER BY o.id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("listing outbox: %w", err)
	}
	defer rows.Close()
	var out []store.OutboxRow
	for rows.Next() {
		r, err := scanOutbox(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// OutboxCounts implements store.Router.
func (s *Store) OutboxCounts(ctx context.Context) (map[string]int64, error) {
	rows, err := s.query(ctx, s.db, "SELECT state, COUNT(*) FROM outbox GROUP BY state")
	if err != nil {
		return nil, fmt.Errorf("counting outbox: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{store.OutboxPending: 0, store.OutboxSent: 0, store.OutboxDead: 0}
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// Incidents implements store.Router.
func (s *Store) Incidents(ctx context.Context, keys []string) (map[string]map[string]store.Incident, error) {
	out := map[string]map[string]store.Incident{}
	if len(keys) == 0 {
		return out, nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	rows, err := s.query(ctx, s.db, "SELECT incident_key, target, finding_id, at FROM incidents WHERE incident_key IN ("+placeholders(len(keys))+")", args...)
	if err != nil {
		return nil, fmt.Errorf("reading incidents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, target string
		var in store.Incident
		if err := rows.Scan(&key, &target, &in.FindingID, utcTime{&in.At}); err != nil {
			return nil, err
		}
		if out[key] == nil {
			out[key] = map[string]store.Incident{}
		}
		out[key][target] = in
	}
	return out, rows.Err()
}

// SuppressionRules implements store.Router.
func (s *Store) SuppressionRules(ctx context.Context) ([]store.SuppressionRule, error) {
	rows, err := s.query(ctx, s.db, "SELECT id, name, owner, reason, criteria, expires_at, created_at, created_by FROM suppression_rules ORDER BY created_at, id")
	if err != nil {
		return nil, fmt.Errorf("listing suppression rules: %w", err)
	}
	defer rows.Close()
	var out []store.SuppressionRule
	for rows.Next() {
		var r store.SuppressionRule
		var crit string
		if err := rows.Scan(&r.ID, &r.Name, &r.Owner, &r.Reason, &crit, utcTime{&r.Expires}, utcTime{&r.CreatedAt}, &r.CreatedBy); err != nil {
			return nil, err
		}
		r.Criteria = []byte(crit)
		out = append(out, r)
	}
	return out, rows.Err()
}

// PutSuppressionRule implements store.Router.
func (s *Store) PutSuppressionRule(ctx context.Context, r store.SuppressionRule, a store.AuditEntry) (err error) {
	if r.ID == "" {
		return errors.New("suppression rule has no ID")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var expires any
	if !r.Expires.IsZero() {
		expires = r.Expires
	}
	res, err := s.exec(ctx, tx, `INSERT INTO suppression_rules (id, name, owner, reason, criteria, expires_at, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, owner = excluded.owner, reason = excluded.reason, criteria = excluded.criteria, expires_at = excluded.expires_at`,
		r.ID, r.Name, r.Owner, r.Reason, string(r.Criteria), expires, r.CreatedAt, r.CreatedBy)
	if err != nil {
		return fmt.Errorf("storing suppression rule: %w", err)
	}
	_ = res
	if err := s.audit(ctx, tx, a, r.ID); err != nil {
		return err
	}
	return tx.Commit()
}

// DeleteSuppressionRule implements store.Router.
func (s *Store) DeleteSuppressionRule(ctx context.Context, id string, a store.AuditEntry) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	res, err := s.exec(ctx, tx, "DELETE FROM suppression_rules WHERE id = ?", id)
	if err != nil {
		return fmt.Errorf("removing suppression rule: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("suppression rule %s: %w", id, store.ErrNotFound)
	}
	if err := s.audit(ctx, tx, a, id); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *Store) audit(ctx context.Context, tx *sql.Tx, a store.AuditEntry, ruleID string) error {
	at := a.At
	if at.IsZero() {
		at = time.Now()
	}
	if _, err := s.exec(ctx, tx, "INSERT INTO suppression_audit (rule_id, action, actor, at, detail) VALUES (?, ?, ?, ?, ?)",
		ruleID, a.Action, a.Actor, at, a.Detail); err != nil {
		return fmt.Errorf("auditing suppression change: %w", err)
	}
	return nil
}

// SuppressionAudit implements store.Router.
func (s *Store) SuppressionAudit(ctx context.Context, limit int) ([]store.AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.query(ctx, s.db, "SELECT id, rule_id, action, actor, at, detail FROM suppression_audit ORDER BY id DESC LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("listing suppression audit: %w", err)
	}
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		var a store.AuditEntry
		if err := rows.Scan(&a.ID, &a.RuleID, &a.Action, &a.Actor, utcTime{&a.At}, &a.Detail); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// scanExtra scans findingReadCols plus trailing columns.
type scanExtra struct {
	rows  *sql.Rows
	extra any
}

func (s scanExtra) Scan(dst ...any) error { return s.rows.Scan(append(dst, s.extra)...) }

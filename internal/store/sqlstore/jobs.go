package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/picket-dev/picket/internal/store"
)

func (s *Store) enqueueJobs(ctx context.Context, tx *sql.Tx, jobs []store.Job, now time.Time) error {
	for _, j := range jobs {
		if _, err := s.exec(ctx, tx, `INSERT INTO jobs (kind, job_key, payload, run_at, state, created_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (job_key) DO NOTHING`, j.Kind, j.Key, string(j.Payload), j.RunAt, store.JobPending, now); err != nil {
			return fmt.Errorf("scheduling job %s: %w", j.Key, err)
		}
	}
	return nil
}

// EnqueueJobs implements store.Jobs.
func (s *Store) EnqueueJobs(ctx context.Context, jobs []store.Job) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err := s.enqueueJobs(ctx, tx, jobs, time.Now().UTC()); err != nil {
		return err
	}
	return tx.Commit()
}

const jobCols = "id, kind, job_key, payload, run_at, state, attempts, last_error, created_at"

func scanJob(sc interface{ Scan(...any) error }) (store.Job, error) {
	var j store.Job
	var payload string
	err := sc.Scan(&j.ID, &j.Kind, &j.Key, &payload, utcTime{&j.RunAt}, &j.State, &j.Attempts, &j.LastError, utcTime{&j.CreatedAt})
	j.Payload = []byte(payload)
	return j, err
}

// ClaimJobs implements store.Jobs.
func (s *Store) ClaimJobs(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) (out []store.Job, err error) {
	if limit <= 0 {
		limit = 50
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
		lock = " FOR UPDATE SKIP LOCKED"
	}
	rows, err := s.query(ctx, tx, "SELECT "+jobCols+" FROM jobs WHERE state = ? AND run_at <= ? AND (lease_until IS NULL OR lease_until < ?) ORDER BY run_at, id LIMIT ?"+lock,
		store.JobPending, now, now, limit)
	if err != nil {
		return nil, fmt.Errorf("claiming jobs: %w", err)
	}
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	kept := out[:0]
	for _, j := range out {
		res, err := s.exec(ctx, tx, "UPDATE jobs SET lease_owner = ?, lease_until = ?, attempts = attempts + 1 WHERE id = ? AND state = ? AND (lease_until IS NULL OR lease_until < ?)",
			owner, now.Add(lease), j.ID, store.JobPending, now)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			j.Attempts++
			kept = append(kept, j)
		}
	}
	return kept, tx.Commit()
}

// CompleteJob implements store.Jobs.
func (s *Store) CompleteJob(ctx context.Context, owner string, id int64, state string, retryAt time.Time, errText string) error {
	var res sql.Result
	var err error
	switch state {
	case store.JobDone, store.JobFailed:
		res, err = s.exec(ctx, s.db, "UPDATE jobs SET state = ?, lease_owner = '', lease_until = NULL, last_error = ? WHERE id = ? AND lease_owner = ? AND state = ?",
			state, errText, id, owner, store.JobPending)
	case store.JobPending:
		res, err = s.exec(ctx, s.db, "UPDATE jobs SET run_at = ?, lease_owner = '', lease_until = NULL, last_error = ? WHERE id = ? AND lease_owner = ? AND state = ?",
			retryAt, errText, id, owner, store.JobPending)
	default:
		return fmt.Errorf("unknown job state %q", state)
	}
	if err != nil {
		return fmt.Errorf("completing job %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("job %d: lease lost: %w", id, store.ErrConflict)
	}
	return nil
}

// CancelJob implements store.Jobs.
func (s *Store) CancelJob(ctx context.Context, key string) (bool, error) {
	res, err := s.exec(ctx, s.db, "UPDATE jobs SET state = ?, lease_owner = '', lease_until = NULL WHERE job_key = ? AND state = ?", store.JobCanceled, key, store.JobPending)
	if err != nil {
		return false, fmt.Errorf("canceling job %s: %w", key, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ListJobs implements store.Jobs.
func (s *Store) ListJobs(ctx context.Context, state string, limit int) ([]store.Job, error) {
	if limit <= 0 {
		limit = 100
	}
	q := "SELECT " + jobCols + " FROM jobs"
	var args []any
	if state != "" {
		q += " WHERE state = ?"
		args = append(args, state)
	}
	rows, err := s.query(ctx, s.db, q+" ORDER BY id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("listing jobs: %w", err)
	}
	defer rows.Close()
	var out []store.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrSchemaTooNew is returned by New when the database was migrated by a
// newer Picket than this one: running older code on it could corrupt it.
var ErrSchemaTooNew = errors.New("database schema is newer than this version of Picket supports")

func (d *Dialect) latest() int {
	if len(d.Migrations) == 0 {
		return 0
	}
	return d.Migrations[len(d.Migrations)-1].Version
}

func (d *Dialect) checkMigrations() error {
	prev := 0
	for _, m := range d.Migrations {
		if m.Version <= prev {
			return fmt.Errorf("%s migration %d (%s): versions must ascend from 1", d.Name, m.Version, m.Name)
		}
		prev = m.Version
	}
	return nil
}

// migrate brings the schema to the latest version, one migration per
// transaction. A database already at the latest version is only read, so
// opening it never waits for a writer (SQLite readers run beside a writer in
// WAL mode, but a migration transaction would queue behind it).
func (s *Store) migrate(ctx context.Context) error {
	latest := s.d.latest()
	var v int
	err := s.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v)
	if err == nil && v == latest {
		return nil
	}
	if err == nil && v > latest {
		return fmt.Errorf("%w: version %d, known %d", ErrSchemaTooNew, v, latest)
	}
	// The table is missing or behind: migrate, re-reading the version under
	// the migration lock since another process may be migrating too.
	for {
		applied, err := s.migrateStep(ctx, latest)
		if err != nil {
			return err
		}
		if !applied {
			return nil
		}
	}
}

// migrateStep applies the migration after the current version, if any, and
// reports whether it applied one.
func (s *Store) migrateStep(ctx context.Context, latest int) (applied bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("beginning migration: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if s.d.MigrationLock != "" {
		if _, err := tx.ExecContext(ctx, s.d.MigrationLock); err != nil {
			return false, fmt.Errorf("locking for migration: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.d.MigrationsTable); err != nil {
		return false, fmt.Errorf("creating schema_migrations: %w", err)
	}
	var v int
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v); err != nil {
		return false, fmt.Errorf("reading schema version: %w", err)
	}
	if v > latest {
		return false, fmt.Errorf("%w: version %d, known %d", ErrSchemaTooNew, v, latest)
	}
	var next *Migration
	for i := range s.d.Migrations {
		if s.d.Migrations[i].Version > v {
			next = &s.d.Migrations[i]
			break
		}
	}
	if next == nil {
		return false, tx.Commit()
	}
	for _, stmt := range next.Statements {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return false, fmt.Errorf("applying %s migration %d (%s): %w", s.d.Name, next.Version, next.Name, err)
		}
	}
	if _, err := s.exec(ctx, tx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", next.Version, time.Now()); err != nil {
		return false, fmt.Errorf("recording migration %d: %w", next.Version, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("committing migration %d: %w", next.Version, err)
	}
	return true, nil
}

// AppliedMigrations returns when each schema version was applied.
func (s *Store) AppliedMigrations(ctx context.Context) (map[int]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT version, applied_at FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("listing migrations: %w", err)
	}
	defer rows.Close()
	out := make(map[int]time.Time)
	for rows.Next() {
		var v int
		var at time.Time
		if err := rows.Scan(&v, utcTime{&at}); err != nil {
			return nil, fmt.Errorf("listing migrations: %w", err)
		}
		out[v] = at
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing migrations: %w", err)
	}
	return out, nil
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

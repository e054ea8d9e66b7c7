// Package sqlite opens Picket's embedded store: a single SQLite file, through
// the pure-Go modernc.org/sqlite driver, implemented by store/sqlstore.
//
// The database runs in WAL mode so other processes (the CLI reading findings
// while the daemon ingests) can read while a write is in progress, and every
// transaction begins IMMEDIATE so writers queue on the busy timeout instead
// of failing with SQLITE_BUSY when a read lock cannot be upgraded.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/picket-dev/picket/internal/store"
	"github.com/picket-dev/picket/internal/store/sqlstore"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// busyTimeoutMS is how long a writer waits for another writer's transaction.
// Commits are short; a long wait means something is stuck.
const busyTimeoutMS = 10000

// Open opens (creating it and its directory if needed) the SQLite database
// at path and migrates its schema.
func Open(ctx context.Context, path string) (store.Store, error) {
	if path == "" || strings.ContainsRune(path, '?') || strings.HasPrefix(path, "file:") || path == ":memory:" {
		// '?' would start the driver's parameters; URIs and in-memory
		// databases are not files every pooled connection can share.
		return nil, fmt.Errorf("opening sqlite store: invalid database path %q", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("opening sqlite store: %w", err)
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("opening sqlite store %s: %w", path, err)
	}
	s, err := sqlstore.New(ctx, db, dialect)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("opening sqlite store %s: %w", path, err)
	}
	return s, nil
}

// dsn is the modernc.org/sqlite data source name Open uses for path.
// synchronous=NORMAL is durable in WAL mode except for the last commits on
// power loss, and a commit's checkpoints roll back with its findings, so
// those records are simply read again.
func dsn(path string) string {
	return fmt.Sprintf("%s?_txlock=immediate&_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=case_sensitive_like(1)",
		path, busyTimeoutMS)
}

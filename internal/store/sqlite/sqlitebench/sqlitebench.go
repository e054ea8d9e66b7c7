// Package sqlitebench builds the large SQLite databases the store's and the
// console's benchmarks run on (it is imported by benchmarks only):
//
//   - [Findings]: a million findings (Findings, over Accounts accounts and
//     len(Types()) types; one in AlertEvery has an alert);
//   - [Combined]: the same findings plus ten million stored events (Events,
//     CloudTrail-like, over EventDays days from EventsStart).
//
// Building them takes minutes, so each is built once into os.TempDir(),
// named after the schema the store migrates to (its latest version and a
// hash of the resulting schema, so any migration change rebuilds them), and
// reused by later runs; delete picket-bench-*.db there to rebuild. Rows are
// written by multi-row INSERTs in large transactions on one connection,
// not through Commit, which would take far longer.
package sqlitebench

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/store/sqlite"
)

// Account is the ID of the account of rank i (0 is the one with the most
// findings and events).
func Account(i int) string { return fmt.Sprintf("%012d", 100000000000+i*7919) }

// schemaKey names the latest schema: its version and a hash of what the
// migrations leave in sqlite_master, read from an empty migrated database.
func schemaKey(ctx context.Context) (string, error) {
	dir, err := os.MkdirTemp("", "picket-bench-schema-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	s, err := sqlite.Open(ctx, filepath.Join(dir, "schema.db"))
	if err != nil {
		return "", err
	}
	s.Close()
	db, err := sql.Open("sqlite", filepath.Join(dir, "schema.db"))
	if err != nil {
		return "", err
	}
	defer db.Close()
	var version int
	if err := db.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&version); err != nil {
		return "", err
	}
	rows, err := db.QueryContext(ctx, "SELECT type, name, COALESCE(sql, '') FROM sqlite_master ORDER BY type, name")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	h := sha256.New()
	for rows.Next() {
		var typ, name, text string
		if err := rows.Scan(&typ, &name, &text); err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %s %s\n", typ, name, text)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return fmt.Sprintf("v%d-%s", version, hex.EncodeToString(h.Sum(nil))[:8]), nil
}

// cached returns the path of the database named name for this schema,
// calling build on a fresh path first if there is none.
func cached(tb testing.TB, name string, build func(ctx context.Context, path string) error) string {
	tb.Helper()
	ctx := context.Background()
	key, err := schemaKey(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("picket-bench-%s-%s.db", name, key))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tb.Logf("building %s (once)", path)
	start := time.Now()
	tmp := path + ".building"
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(tmp + suffix)
	}
	if err := build(ctx, tmp); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("built %s in %v", filepath.Base(path), time.Since(start).Round(time.Second))
	return path
}

// Findings returns the path of the million-finding database.
func Findings(tb testing.TB) string { return cached(tb, "findings-1m", buildFindings) }

// Combined returns the path of the database with the million findings and
// ten million stored events.
func Combined(tb testing.TB) string {
	findings := Findings(tb)
	return cached(tb, "findings-1m-events-10m", func(ctx context.Context, path string) error {
		if err := copyFile(findings, path); err != nil {
			return err
		}
		return buildEvents(ctx, path)
	})
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// openBulk opens path for a bulk load on one connection: no journal (a
// failed build is deleted), no syncs, a 2 GB page cache. closeBulk puts the
// database back in WAL mode, as the store runs it.
func openBulk(ctx context.Context, path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=cache_size(-2000000)&_pragma=foreign_keys(1)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func closeBulk(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, "PRAGMA journal_mode = WAL")
	if err2 := db.Close(); err == nil {
		err = err2
	}
	return err
}

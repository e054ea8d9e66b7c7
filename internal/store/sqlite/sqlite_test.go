package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/store"
	"github.com/picket-dev/picket/internal/store/sqlstore"
	"github.com/picket-dev/picket/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return mustOpen(t, filepath.Join(t.TempDir(), "picket.db"))
	})
}

func TestReopen(t *testing.T) {
	storetest.RunReopen(t, func(t *testing.T) func() (store.Store, error) {
		path := filepath.Join(t.TempDir(), "picket.db")
		return func() (store.Store, error) { return Open(context.Background(), path) }
	})
}

func mustOpen(t *testing.T, path string) store.Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rawDB opens the file the way Open does, without the store, to act as
// another process.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func sampleFinding() finding.Finding {
	f := finding.Finding{AccountID: "111111111111", Region: "us-east-1", Type: "Recon:IAMUser/MaliciousIPCaller",
		Severity: finding.SevMedium, Keys: finding.Keys{Resource: "AKIA1"}}
	f.Seal()
	return f
}

func TestOpenCreatesDirectoryInWALMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "picket.db")
	mustOpen(t, path)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not created: %v", err)
	}
	var mode string
	if err := rawDB(t, path).QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode %q (%v), want wal", mode, err)
	}
}

func TestOpenRejectsNonFilePaths(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db", filepath.Join(t.TempDir(), "x.db?mode=ro")} {
		if s, err := Open(t.Context(), p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", p)
		}
	}
}

// TestReadWhileWriting holds a write transaction open on one connection (as
// the ingesting daemon would) and checks that a second Open of the file,
// from another goroutine, opens and reads without waiting for it and sees
// only committed data.
func TestReadWhileWriting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "picket.db")
	w := mustOpen(t, path)
	f := sampleFinding()
	if _, err := w.Commit(t.Context(), &store.Batch{Findings: []finding.Finding{f}, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}

	tx, err := rawDB(t, path).BeginTx(t.Context(), nil) // BEGIN IMMEDIATE: takes the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("UPDATE findings SET count = 99"); err != nil {
		t.Fatal(err)
	}

	type result struct {
		count, listed int
		err           error
	}
	done := make(chan result, 1)
	go func() {
		r, err := Open(context.Background(), path)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer r.Close()
		got, err := r.GetFinding(context.Background(), f.ID)
		if err != nil {
			done <- result{err: err}
			return
		}
		_, total, err := r.ListFindings(context.Background(), store.FindingQuery{})
		done <- result{count: int(got.Service.Count), listed: total, err: err}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			t.Fatalf("reading beside a writer: %v", res.err)
		}
		if res.count != 1 || res.listed != 1 {
			t.Errorf("reader saw count %d and %d findings, want the committed 1 and 1", res.count, res.listed)
		}
	case <-time.After(5 * time.Second): // well under the busy timeout a blocked reader would wait
		t.Fatal("the reader waited for the write transaction")
	}
}

// TestWriteWhileReading holds a read transaction open on another connection
// (a long listing by the CLI or API) and checks that a commit does not wait
// for it — WAL's point — while the reader keeps its snapshot.
func TestWriteWhileReading(t *testing.T) {
	path := filepath.Join(t.TempDir(), "picket.db")
	w := mustOpen(t, path)
	f := sampleFinding()
	if _, err := w.Commit(t.Context(), &store.Batch{Findings: []finding.Finding{f}, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	reader, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)") // deferred transactions: a plain reader
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	rtx, err := reader.BeginTx(t.Context(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rtx.Rollback()
	var before int
	if err := rtx.QueryRow("SELECT count FROM findings").Scan(&before); err != nil || before != 1 {
		t.Fatalf("reader: count %d (%v), want 1", before, err)
	}

	done := make(chan error, 1)
	go func() {
		_, err := w.Commit(context.Background(), &store.Batch{Findings: []finding.Finding{sampleFinding()}, Now: time.Now()})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("commit beside a reader: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the commit waited for the read transaction")
	}
	var during int
	if err := rtx.QueryRow("SELECT count FROM findings").Scan(&during); err != nil || during != 1 {
		t.Errorf("reader's snapshot: count %d (%v), want still 1", during, err)
	}
	if got, err := w.GetFinding(t.Context(), f.ID); err != nil || got.Service.Count != 2 {
		t.Errorf("after the commit: %v %v, want count 2", got, err)
	}
}

// TestWriterWaitsForWriter checks that a commit arriving while another
// connection holds the write lock waits for it instead of failing with
// SQLITE_BUSY.
func TestWriterWaitsForWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "picket.db")
	s := mustOpen(t, path)
	tx, err := rawDB(t, path).BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO checkpoints (source, object_key, position, byte_offset, size, mod_time, done, updated_at) VALUES ('other', 'k', 1, 0, 0, '', 0, '')"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Commit(context.Background(), &store.Batch{Findings: []finding.Finding{sampleFinding()}, Now: time.Now()})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("commit finished (%v) while another writer held the lock", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("waiting commit: %v", err)
	}
	if n, _, err := s.ListFindings(t.Context(), store.FindingQuery{}); err != nil || len(n) != 1 {
		t.Errorf("after the wait: %d findings (%v), want 1", len(n), err)
	}
}

func TestSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "picket.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := rawDB(t, path).Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (999, '2030-01-01T00:00:00.000000000Z')"); err != nil {
		t.Fatal(err)
	}
	s, err = Open(t.Context(), path)
	if !errors.Is(err, sqlstore.ErrSchemaTooNew) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open of a newer schema: %v, want ErrSchemaTooNew", err)
	}
}

// TestMigrateFromV1 opens a database made by schema version 1 (checkpoints
// without a file ID) with the current code, which migrates it to the
// latest version and keeps its data.
func TestMigrateFromV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "picket.db")
	v1 := dialect
	v1.Migrations = dialect.Migrations[:1]
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	old, err := sqlstore.New(t.Context(), db, v1)
	if err != nil {
		db.Close()
		t.Fatalf("creating a version 1 database: %v", err)
	}
	f := sampleFinding()
	f.Service.Count = 3
	// The finding as version 1 code wrote it (the columns it had).
	body, _ := json.Marshal(f)
	v1now := time.Now()
	if _, err := db.Exec(`INSERT INTO findings (id, type, severity, account_id, region, resource_type, title, count, first_seen, last_seen, created_at, updated_at, archived, key_resource, key_actor, body)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, f.ID, f.Type, f.Severity, f.AccountID, f.Region, "", "", f.Service.Count, v1time(v1now), v1time(v1now), v1time(v1now), v1time(v1now), false, f.Keys.Resource, f.Keys.Actor, string(body)); err != nil {
		t.Fatal(err)
	}
	// Version 1's checkpoint row, written as version 1 code did.
	if _, err := db.Exec(`INSERT INTO checkpoints (source, object_key, position, byte_offset, size, mod_time, done, updated_at)
		VALUES ('src', 'logs/a.json', 7, 700, 1000, '2024-05-06T07:08:09.000000000Z', 1, '2024-05-06T08:00:00.000000000Z')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("SELECT file_id FROM checkpoints"); err == nil {
		t.Fatal("the version 1 database already has checkpoints.file_id")
	}
	before, err := old.AppliedMigrations(t.Context())
	if err != nil || len(before) != 1 {
		t.Fatalf("version 1 migrations %v (%v), want [1]", before, err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s := mustOpen(t, path)
	after, err := s.(*sqlstore.Store).AppliedMigrations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(dialect.Migrations) || len(after) < 2 || !after[1].Equal(before[1]) {
		t.Errorf("migrations after reopening %v, want versions 1 (unchanged, %v) to %d", after, before[1], len(dialect.Migrations))
	}
	if got, err := s.GetFinding(t.Context(), f.ID); err != nil || got.Service.Count != 3 {
		t.Errorf("finding after migrating: %+v, %v; want count 3", got, err)
	}
	if _, n, err := s.ListFindings(t.Context(), store.FindingQuery{Text: "akia1"}); err != nil || n != 1 {
		t.Errorf("text search after migrating (the index is filled): %d findings, %v; want 1", n, err)
	}
	c, ok, err := s.Checkpoint(t.Context(), "src", "logs/a.json")
	if err != nil || !ok {
		t.Fatalf("checkpoint after migrating: ok=%t err=%v", ok, err)
	}
	if c.Position != 7 || c.Offset != 700 || c.Size != 1000 || !c.Done || c.FileID != "" ||
		!c.ModTime.Equal(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)) {
		t.Errorf("checkpoint after migrating: %+v", c)
	}
	// The migrated row takes file IDs and conditional writes.
	seven := int64(7)
	if _, err := s.Commit(t.Context(), &store.Batch{Checkpoints: []store.Checkpoint{{Source: "src", Key: "logs/a.json", Position: 9,
		ModTime: c.ModTime, FileID: "2049:12", Expect: &seven}}, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if c, _, err := s.Checkpoint(t.Context(), "src", "logs/a.json"); err != nil || c.Position != 9 || c.FileID != "2049:12" {
		t.Errorf("checkpoint written after migrating: %+v, %v", c, err)
	}
}

// v1time is a time as the SQLite dialect stores it.
func v1time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// The trigram index (migration 9) follows inserts, updates of the searched
// columns only, and deletes; text search finds exactly what LIKE does.
func TestFindingsTextIndex(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "picket.db")
	s := mustOpen(t, path)
	db := rawDB(t, path)
	f := sampleFinding()
	f.Title = `Alpha said "hi"`
	if _, err := s.Commit(ctx, &store.Batch{Findings: []finding.Finding{f}, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	count := func(text string) int {
		t.Helper()
		_, n, err := s.ListFindings(ctx, store.FindingQuery{Text: text})
		if err != nil {
			t.Fatalf("text %q: %v", text, err)
		}
		return n
	}
	indexRows := func() (n int, rowid int64) {
		t.Helper()
		if err := db.QueryRow("SELECT COUNT(*), COALESCE(MAX(rowid), 0) FROM findings_text").Scan(&n, &rowid); err != nil {
			t.Fatal(err)
		}
		return n, rowid
	}
	for text, want := range map[string]int{"alpha": 1, `"hi"`: 1, `said "`: 1, "AL": 1,
		"akia1": 1, f.ID[3:12]: 1, "maliciousipcaller": 1, "beta": 0, `"`: 1, "a\x00b": 0} {
		if got := count(text); got != want {
			t.Errorf("text %q: %d findings, want %d", text, got, want)
		}
	}
	n, rowid := indexRows()
	if n != 1 {
		t.Fatalf("%d index rows, want 1", n)
	}
	// Rewriting every column unchanged (as Commit's merge does) leaves the
	// index alone; changing the title replaces the row.
	if _, err := db.Exec("UPDATE findings SET title = title, count = count + 1 WHERE id = ?", f.ID); err != nil {
		t.Fatal(err)
	}
	if n2, rowid2 := indexRows(); n2 != 1 || rowid2 != rowid {
		t.Errorf("after an unchanged update: %d rows, rowid %d, want 1, %d", n2, rowid2, rowid)
	}
	if _, err := db.Exec("UPDATE findings SET title = 'Bravo' WHERE id = ?", f.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := indexRows(); n != 1 || count("alpha") != 0 || count("bravo") != 1 {
		t.Errorf("after a title change: %d rows, alpha %d, bravo %d; want 1, 0, 1", n, count("alpha"), count("bravo"))
	}
	if _, err := db.Exec("DELETE FROM findings WHERE id = ?", f.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := indexRows(); n != 0 {
		t.Errorf("after deleting the finding: %d index rows", n)
	}
}

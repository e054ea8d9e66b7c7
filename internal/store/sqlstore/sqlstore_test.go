package sqlstore

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

func TestRebind(t *testing.T) {
	tests := []struct {
		numbered bool
		in, want string
	}{
		{false, "SELECT a FROM t WHERE b = ? AND c IN (?, ?)", "SELECT a FROM t WHERE b = ? AND c IN (?, ?)"},
		{true, "SELECT a FROM t WHERE b = ? AND c IN (?, ?)", "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)"},
		{true, "SELECT '?' FROM t WHERE b = ?", "SELECT '?' FROM t WHERE b = $1"},
		{true, "SELECT 1", "SELECT 1"},
	}
	for _, tc := range tests {
		d := Dialect{Numbered: tc.numbered}
		if got := d.rebind(tc.in); got != tc.want {
			t.Errorf("rebind(%q, numbered=%t) = %q, want %q", tc.in, tc.numbered, got, tc.want)
		}
	}
}

func TestArgs(t *testing.T) {
	when := time.Date(2024, 1, 2, 3, 4, 5, 6000, time.FixedZone("X", 3600))
	textD, nativeD := Dialect{TextTime: true}, Dialect{}
	text := textD.args([]any{when, "ok", "a\x00b\xffc", int64(3), []byte{0, 0xff}})
	if text[0] != "2024-01-02T02:04:05.000006000Z" {
		t.Errorf("text time %v", text[0])
	}
	if text[1] != "ok" || text[2] != "a\uFFFDb\uFFFDc" || text[3] != int64(3) || string(text[4].([]byte)) != "\x00\xff" {
		t.Errorf("args %q", text[1:])
	}
	native := nativeD.args([]any{when})
	if got, ok := native[0].(time.Time); !ok || got.Location() != time.UTC || !got.Equal(when) {
		t.Errorf("native time %v", native[0])
	}
	// Fixed-width text sorts like the times it holds.
	early := textD.args([]any{time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)})[0].(string)
	late := textD.args([]any{time.Date(2024, 1, 2, 3, 4, 5, 100, time.UTC)})[0].(string)
	if early >= late {
		t.Errorf("%s sorts after %s", early, late)
	}
}

// testDialect is a minimal SQLite dialect for exercising migrations.
func testDialect(migrations ...Migration) Dialect {
	return Dialect{
		Name:            "test",
		TextTime:        true,
		MigrationsTable: "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
		Migrations:      migrations,
	}
}

func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_txlock=immediate&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	m1 := Migration{Version: 1, Name: "one", Statements: []string{"CREATE TABLE a (x INTEGER)"}}
	m2bad := Migration{Version: 2, Name: "two", Statements: []string{"CREATE TABLE b (x INTEGER)", "THIS IS NOT SQL"}}
	m2 := Migration{Version: 2, Name: "two", Statements: []string{"CREATE TABLE b (x INTEGER)", "INSERT INTO b VALUES (1)"}}

	s, err := New(t.Context(), openDB(t, path), testDialect(m1))
	if err != nil {
		t.Fatal(err)
	}
	v1 := versions(t, s)
	if len(v1) != 1 {
		t.Fatalf("versions %v, want [1]", v1)
	}

	// A failing migration is rolled back whole: b is not left half-made.
	if _, err := New(t.Context(), openDB(t, path), testDialect(m1, m2bad)); err == nil || !strings.Contains(err.Error(), "migration 2") {
		t.Fatalf("New with a bad migration: %v, want an error naming migration 2", err)
	}
	db := openDB(t, path)
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'").Scan(&n); err != nil || n != 0 {
		t.Errorf("table b exists after the failed migration (%d, %v)", n, err)
	}
	if got := versions(t, &Store{db: db}); len(got) != 1 {
		t.Errorf("versions after failure %v, want [1]", got)
	}

	// The fixed migration applies; opening again applies nothing.
	s2, err := New(t.Context(), db, testDialect(m1, m2))
	if err != nil {
		t.Fatal(err)
	}
	v2 := versions(t, s2)
	if len(v2) != 2 || !v2[1].Equal(v1[1]) {
		t.Errorf("versions %v, want 1 (unchanged, %v) and 2", v2, v1[1])
	}
	if _, err := New(t.Context(), db, testDialect(m1, m2)); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM b").Scan(&n); err != nil || n != 1 {
		t.Errorf("migration 2 ran %d times (%v), want once", n, err)
	}

	// Code knowing only version 1 refuses the version-2 database.
	if _, err := New(t.Context(), db, testDialect(m1)); !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("older code on a newer schema: %v, want ErrSchemaTooNew", err)
	}
}

func TestMigrationOrderChecked(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "m.db"))
	for _, ms := range [][]Migration{
		{{Version: 2}, {Version: 1}},
		{{Version: 1}, {Version: 1}},
		{{Version: 0}},
	} {
		if _, err := New(t.Context(), db, testDialect(ms...)); err == nil {
			t.Errorf("New accepted migration versions %v", ms)
		}
	}
}

func versions(t *testing.T, s *Store) map[int]time.Time {
	t.Helper()
	v, err := s.AppliedMigrations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/store"
	"github.com/picket-dev/picket/internal/store/pgtest"
	"github.com/picket-dev/picket/internal/store/sqlstore"
	"github.com/picket-dev/picket/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(t.Context(), pgtest.DSN(t))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	})
}

func TestReopen(t *testing.T) {
	storetest.RunReopen(t, func(t *testing.T) func() (store.Store, error) {
		dsn := pgtest.DSN(t)
		return func() (store.Store, error) { return Open(context.Background(), dsn) }
	})
}

func TestSchemaTooNew(t *testing.T) {
	dsn := pgtest.DSN(t)
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (999, now())"); err != nil {
		t.Fatal(err)
	}
	s, err = Open(t.Context(), dsn)
	if !errors.Is(err, sqlstore.ErrSchemaTooNew) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open of a newer schema: %v, want ErrSchemaTooNew", err)
	}
}

// TestInsertRace has another transaction insert a finding between Commit's
// read (no row yet) and its insert: Commit's insert waits for it, finds the
// conflict, and merges into the row the other transaction committed.
func TestInsertRace(t *testing.T) {
	dsn := pgtest.DSN(t)
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	f := finding.Finding{AccountID: "111111111111", Region: "us-east-1", Type: "Recon:IAMUser/MaliciousIPCaller",
		Severity: finding.SevMedium, Keys: finding.Keys{Resource: "AKIA1"}, CreatedAt: now, UpdatedAt: now}
	f.Seal()
	f.Service.Count = 4
	f.Service.EventFirstSeen, f.Service.EventLastSeen = now, now
	body, err := json.Marshal(&f)
	if err != nil {
		t.Fatal(err)
	}
	other, err := db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback()
	if _, err := other.Exec(`INSERT INTO findings (id, type, severity, account_id, region, resource_type, title, count,
		first_seen, last_seen, created_at, updated_at, archived, key_resource, key_actor, body)
		VALUES ($1, $2, $3, $4, $5, '', '', $6, $7, $7, $7, $7, false, $8, '', $9)`,
		f.ID, f.Type, f.Severity, f.AccountID, f.Region, f.Service.Count, now, f.Keys.Resource, string(body)); err != nil {
		t.Fatal(err)
	}

	repeat := f
	repeat.Service.Count = 3
	type result struct {
		res store.CommitResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := s.Commit(context.Background(), &store.Batch{Findings: []finding.Finding{repeat}, Now: now.Add(time.Hour)})
		done <- result{res, err}
	}()
	select {
	case r := <-done:
		t.Fatalf("Commit finished (%+v, %v) while a conflicting insert was pending", r.res, r.err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := other.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("Commit after the conflicting insert: %v", r.err)
	}
	if len(r.res.NewFindings) != 0 || len(r.res.UpdatedFindings) != 1 {
		t.Errorf("result %+v, want the finding updated, not new", r.res)
	}
	got, err := s.GetFinding(t.Context(), f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Service.Count != 7 || !got.CreatedAt.Equal(now) {
		t.Errorf("count %d createdAt %v, want 7 and %v", got.Service.Count, got.CreatedAt, now)
	}
}

// TestErrorsHidePassword opens DSNs that fail in different ways and checks
// that no error text carries the password, raw or URL-escaped.
func TestErrorsHidePassword(t *testing.T) {
	cfg, err := pgx.ParseConfig(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	server := func(password, database string) string {
		u := url.URL{Scheme: "postgres", User: url.UserPassword(cfg.User, password),
			Host: net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), Path: "/" + database, RawQuery: "sslmode=disable"}
		return u.String()
	}
	const wrong = "Wr0ng-p@ss/w0rd"

	tests := []struct {
		name     string
		dsn      string
		password string
	}{
		{"wrong password", server(wrong, cfg.Database), wrong},
		{"missing database", server(cfg.Password, "no_such_database"), cfg.Password},
		{"unreachable URL", "postgres://picket:s3cr3t-P%40ss@127.0.0.1:1/picket?connect_timeout=2", "s3cr3t-P@ss"},
		{"unreachable keywords", "host=127.0.0.1 port=1 user=picket password='s3cr3t pa\\'ss' dbname=picket connect_timeout=2", "s3cr3t pa'ss"},
		{"malformed URL", "postgres://picket:s3cr3t-malformed@127.0.0.1:notaport/picket", "s3cr3t-malformed"},
		{"malformed keywords", "host=127.0.0.1 password=s3cr3t-kw port=abc", "s3cr3t-kw"},
		{"unescaped @ in URL password", "postgres://picket:s3cr3t@xyzw@127.0.0.1:notaport/picket", "s3cr3t@xyzw"},
		{"password in query", "postgres://picket@127.0.0.1:1/picket?password=s3cr3t-q&connect_timeout=2", "s3cr3t-q"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(t.Context(), tc.dsn)
			if err == nil {
				s.Close()
				if tc.name == "wrong password" && os.Getenv(pgtest.EnvDSN) != "" {
					t.Skip("the server at " + pgtest.EnvDSN + " does not check passwords")
				}
				t.Fatal("Open succeeded, want an error")
			}
			msg := err.Error()
			t.Logf("error: %s", msg)
			// The password whole or escaped, and its longer fragments, which a
			// partial redaction could leave behind.
			leaks := []string{tc.password, url.QueryEscape(tc.password), url.PathEscape(tc.password)}
			for _, frag := range strings.FieldsFunc(tc.password, func(r rune) bool { return strings.ContainsRune("@:/' ", r) }) {
				if len(frag) >= 4 {
					leaks = append(leaks, frag)
				}
			}
			for _, p := range leaks {
				if p == "" {
					continue // the test server may have no password
				}
				if strings.Contains(msg, p) {
					t.Errorf("error reveals the password %q: %s", p, msg)
				}
			}
			if !strings.Contains(msg, "postgres") {
				t.Errorf("error %q does not say what failed", msg)
			}
		})
	}
}

// TestMigrateFromV1 opens a database made by schema version 1 (checkpoints
// without a file ID) with the current code, which migrates it to the
// latest version and keeps its data.
func TestMigrateFromV1(t *testing.T) {
	dsn := pgtest.DSN(t)
	v1 := dialect
	v1.Migrations = dialect.Migrations[:1]
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	old, err := sqlstore.New(t.Context(), db, v1)
	if err != nil {
		db.Close()
		t.Fatalf("creating a version 1 database: %v", err)
	}
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	f := finding.Finding{AccountID: "111111111111", Region: "us-east-1", Type: "Recon:IAMUser/MaliciousIPCaller",
		Severity: finding.SevMedium, Keys: finding.Keys{Resource: "AKIA1"}}
	f.Seal()
	f.Service.Count = 3
	// The finding as version 1 code wrote it (the columns it had).
	body, _ := json.Marshal(f)
	v1now := now
	if _, err := db.Exec(`INSERT INTO findings (id, type, severity, account_id, region, resource_type, title, count, first_seen, last_seen, created_at, updated_at, archived, key_resource, key_actor, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`, f.ID, f.Type, f.Severity, f.AccountID, f.Region, "", "", f.Service.Count, v1time(v1now), v1time(v1now), v1time(v1now), v1time(v1now), false, f.Keys.Resource, f.Keys.Actor, string(body)); err != nil {
		t.Fatal(err)
	}
	// Version 1's checkpoint row, written as version 1 code did.
	if _, err := db.Exec(`INSERT INTO checkpoints (source, object_key, position, byte_offset, size, mod_time, done, updated_at)
		VALUES ('src', 'logs/a.json', 7, 700, 1000, $1, true, $1)`, now); err != nil {
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

	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("opening the version 1 database: %v", err)
	}
	defer s.Close()
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
	c, ok, err := s.Checkpoint(t.Context(), "src", "logs/a.json")
	if err != nil || !ok {
		t.Fatalf("checkpoint after migrating: ok=%t err=%v", ok, err)
	}
	if c.Position != 7 || c.Offset != 700 || c.Size != 1000 || !c.Done || c.FileID != "" || !c.ModTime.Equal(now) {
		t.Errorf("checkpoint after migrating: %+v", c)
	}
	// The migrated row takes file IDs and conditional writes.
	seven := int64(7)
	if _, err := s.Commit(t.Context(), &store.Batch{Checkpoints: []store.Checkpoint{{Source: "src", Key: "logs/a.json", Position: 9,
		ModTime: now, FileID: "2049:12", Expect: &seven}}, Now: now}); err != nil {
		t.Fatal(err)
	}
	if c, _, err := s.Checkpoint(t.Context(), "src", "logs/a.json"); err != nil || c.Position != 9 || c.FileID != "2049:12" {
		t.Errorf("checkpoint written after migrating: %+v, %v", c, err)
	}
}

func v1time(t time.Time) time.Time { return t.UTC() }

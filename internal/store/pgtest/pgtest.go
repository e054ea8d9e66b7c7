// Package pgtest gives tests a throwaway PostgreSQL database: each call of
// DSN creates a fresh, empty database on a server that pgtest starts from
// the local PostgreSQL binaries (initdb, pg_ctl) and stops when the tests
// end — or on the server named by $PICKET_TEST_POSTGRES_DSN.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
//
//	func TestX(t *testing.T) {
//		dsn := pgtest.DSN(t)
//		…
//	}
//
// When no server can be had, DSN skips the test — except under CI=true,
// where it fails it, so CI never passes by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// EnvDSN names the environment variable holding the DSN of an existing
// server to use instead of starting one. Its user must be allowed to create
// databases.
const EnvDSN = "PICKET_TEST_POSTGRES_DSN"

// startTimeout bounds starting and stopping the server, so a wedged server
// fails the run instead of hanging it.
const startTimeout = 60 * time.Second

var (
	managed  atomic.Bool // Run is in charge of the server's lifetime
	once     sync.Once
	srv      *server // the server pgtest started, if any
	adminDSN string  // DSN of the server's maintenance database
	admin    *sql.DB
	setupErr error
	dbSeq    atomic.Int64
)

// Run runs the tests and then stops the server, if pgtest started one. The
// server is started on the first call of DSN, so test runs that need no
// database start none.
func Run(m *testing.M) int {
	managed.Store(true)
	defer teardown()
	return m.Run()
}

func teardown() {
	if admin != nil {
		admin.Close()
	}
	if srv != nil {
		srv.stop()
	}
}

// DSN returns the DSN of a new, empty database, dropped when t ends.
func DSN(t testing.TB) string {
	t.Helper()
	if !managed.Load() && os.Getenv(EnvDSN) == "" {
		t.Fatal("pgtest: call pgtest.Run from TestMain (it stops the server when the tests end)")
	}
	once.Do(setup)
	if setupErr != nil {
		unavailable(t, setupErr)
	}
	name := fmt.Sprintf("picket_test_%d_%d", os.Getpid(), dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: dropping database %s: %v", name, err)
		}
	})
	dsn, err := withDatabase(adminDSN, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dsn
}

// unavailable skips t for want of a server, or fails it under CI=true.
func unavailable(t testing.TB, err error) {
	t.Helper()
	msg := "pgtest: no PostgreSQL server: " + err.Error() + " (install PostgreSQL or set " + EnvDSN + ")"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func setup() {
	adminDSN = os.Getenv(EnvDSN)
	if adminDSN == "" {
		srv, setupErr = start()
		if setupErr != nil {
			return
		}
		adminDSN = srv.dsn("postgres")
	}
	admin, setupErr = sql.Open("pgx", adminDSN)
	if setupErr != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		setupErr = fmt.Errorf("connecting to %s: %w", redacted(adminDSN), err)
	}
}

// withDatabase returns dsn with its database replaced by name.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parsing %s: invalid URL", EnvDSN)
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	return dsn + " dbname=" + name, nil // a later keyword wins
}

func redacted(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	return "the server"
}

// server is a PostgreSQL cluster in a temporary directory, listening on
// 127.0.0.1 with password authentication (so tests can check what a wrong
// password does) and on a Unix socket in the directory.
type server struct {
	dir      string
	pgctl    string
	port     int
	password string
	cred     *syscall.Credential // the postgres OS user's, when running as root
	watchdog *os.File            // write end of the watchdog's stdin; closing it (or dying) stops the server
}

func (s *server) dsn(db string) string {
	return fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/%s?sslmode=disable", s.password, s.port, db)
}

func start() (*server, error) {
	initdb, pgctl, err := binaries()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir, pgctl: pgctl, password: randomHex(16)}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
		}
	}()
	// PostgreSQL refuses to run as root: run it as the postgres user.
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and no postgres user to run the server as: %w", err)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, int(uid), int(gid)); err != nil {
			return nil, err
		}
	}
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.password+"\n"), 0o600); err != nil {
		return nil, err
	}
	if s.cred != nil {
		if err := os.Chown(pwfile, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			return nil, err
		}
	}
	if out, err := s.run(initdb, "-D", filepath.Join(dir, "db"), "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync",
		"--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile="+pwfile); err != nil {
		return nil, fmt.Errorf("initdb: %w: %s", err, lastLines(out, 5))
	}
	os.Remove(pwfile)

	// A port picked free can be taken before the server binds it: retry.
	for attempt := 0; ; attempt++ {
		if s.port, err = freePort(); err != nil {
			return nil, err
		}
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
			s.port, dir)
		var out []byte
		out, err = s.run(pgctl, "-D", filepath.Join(dir, "db"), "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start")
		if err == nil {
			break
		}
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		err = fmt.Errorf("pg_ctl start: %w: %s %s", err, lastLines(out, 3), lastLines(log, 5))
		s.stopServer() // in case it half-started
		if attempt == 2 {
			return nil, err
		}
	}
	if err := s.startWatchdog(); err != nil {
		s.stopServer()
		return nil, err
	}
	ok = true
	return s, nil
}

// startWatchdog starts a shell, in its own session, that stops the server
// and removes its directory once its stdin closes: when stop closes it, or
// when this process dies without running stop (a panic, a -timeout, a
// kill). A crashed test run never leaves a server behind.
func (s *server) startWatchdog() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	script := fmt.Sprintf(`read _; %s -D %s/db -m immediate -w -t 30 stop; rm -rf %s`, shellQuote(s.pgctl), shellQuote(s.dir), shellQuote(s.dir))
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Stdin = r
	cmd.Dir = s.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: s.cred}
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("starting watchdog: %w", err)
	}
	go cmd.Wait() //nolint:errcheck // reaps it; its exit status does not matter
	s.watchdog = w
	return nil
}

func (s *server) stop() {
	s.stopServer()
	if s.watchdog != nil {
		s.watchdog.Close()
	}
	os.RemoveAll(s.dir)
}

func (s *server) stopServer() {
	db := filepath.Join(s.dir, "db")
	if _, err := s.run(s.pgctl, "-D", db, "-m", "fast", "-w", "-t", "30", "stop"); err != nil {
		_, _ = s.run(s.pgctl, "-D", db, "-m", "immediate", "-w", "-t", "30", "stop")
	}
}

// run runs a PostgreSQL program as the server's OS user, bounded in time.
func (s *server) run(name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = s.dir // the postgres user may not be able to read the current directory
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd.CombinedOutput()
}

// binaries finds initdb and pg_ctl on PATH or in Debian's versioned
// directories, newest version first.
func binaries() (initdb, pgctl string, err error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if c := filepath.Join(filepath.Dir(p), "pg_ctl"); isExec(c) {
			return p, c, nil
		}
		if c, err := exec.LookPath("pg_ctl"); err == nil {
			return p, c, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, d := range dirs {
		if i, c := filepath.Join(d, "initdb"), filepath.Join(d, "pg_ctl"); isExec(i) && isExec(c) {
			return i, c, nil
		}
	}
	return "", "", errors.New("initdb and pg_ctl not found on PATH or in /usr/lib/postgresql/*/bin")
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

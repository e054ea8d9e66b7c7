package pgtest

import (
	"database/sql"
	"os"
	"testing"
	"time"
)

func TestMain(m *testing.M) { os.Exit(Run(m)) }

func TestDSNGivesFreshDatabases(t *testing.T) {
	var first string
	t.Run("first", func(t *testing.T) {
		first = DSN(t)
		db := open(t, first)
		if _, err := db.Exec("CREATE TABLE leftover (x INT)"); err != nil {
			t.Fatal(err)
		}
	})
	second := DSN(t)
	if second == first {
		t.Fatalf("DSN returned %s twice", first)
	}
	var n int
	if err := open(t, second).QueryRow("SELECT COUNT(*) FROM pg_tables WHERE tablename = 'leftover'").Scan(&n); err != nil || n != 0 {
		t.Errorf("second database not empty: %d tables named leftover (%v)", n, err)
	}
	// The first test's database was dropped when it ended.
	if err := open(t, first).Ping(); err == nil {
		t.Error("the first test's database still exists")
	}
}

// TestServerStops starts a second server and checks both ways it stops: by
// stop, and by the watchdog when the test process is gone (simulated by
// closing the watchdog's pipe without calling stop).
func TestServerStops(t *testing.T) {
	if os.Getenv(EnvDSN) != "" {
		t.Skip("using the server at " + EnvDSN)
	}
	for _, viaWatchdog := range []bool{false, true} {
		s, err := start()
		if err != nil {
			unavailable(t, err)
		}
		dsn := s.dsn("postgres")
		if err := open(t, dsn).Ping(); err != nil {
			s.stop()
			t.Fatalf("new server not reachable: %v", err)
		}
		if viaWatchdog {
			s.watchdog.Close()
		} else {
			s.stop()
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, statErr := os.Stat(s.dir)
			pingErr := open(t, dsn).Ping()
			if os.IsNotExist(statErr) && pingErr != nil {
				break
			}
			if time.Now().After(deadline) {
				s.stop()
				t.Fatalf("watchdog=%t: server still up (ping %v) or %s still there (%v)", viaWatchdog, pingErr, s.dir, statErr)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

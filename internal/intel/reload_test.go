package intel

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReloadSwapsAtomically reloads a list over and over while readers
// look up an entry present in every version: every lookup must hit, and
// every hit must come whole from one version (its line and its version's
// load time agree).
func TestReloadSwapsAtomically(t *testing.T) {
	dir := t.TempDir()
	versions := []string{
		"192.0.2.1\nshared.example\n10.0.0.0/8\n",                                // lines 1, 2
		"# version B\n# padding to change the size\n192.0.2.1\nshared.example\n", // lines 3, 4
	}
	cfg := listConfigs(t, dir, []memList{{name: "threat", kind: KindThreat, content: versions[0]}})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	s, _, err := Load(context.Background(), cfg, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var lookups atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	a := netip.MustParseAddr("192.0.2.1")
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				h, ok := s.LookupIP(a)
				d, okd := s.LookupDomain("x.shared.example")
				lookups.Add(1)
				if !ok || !okd {
					errc <- errors.New("an entry present in every version was missed")
					return
				}
				for _, h := range []Hit{h, d} {
					v := int(h.ListUpdated.Sub(t0)/time.Second) % 2
					wantLine := map[int]int{0: 1, 1: 3}[v]
					if h.IsDomain() {
						wantLine++
					}
					if h.Line != wantLine || !h.FirstSeen.Equal(t0) || !h.ListLoaded.Equal(t0) {
						errc <- errors.New("torn hit: " + h.String() + " updated " + h.ListUpdated.String() +
							" first seen " + h.FirstSeen.String())
						return
					}
				}
			}
		}()
	}
	path := cfg.Lists[0].Path
	for i := 1; i <= 200; i++ {
		writeFile(t, path, versions[i%2])
		clk.Set(t0.Add(time.Duration(i) * time.Second))
		ch, err := s.Reload(context.Background())
		if err != nil || len(ch.Lists) != 1 || ch.Lists[0].Added != (i+1)%2 || ch.Lists[0].Removed != i%2 {
			t.Fatalf("reload %d: %v %+v", i, err, ch.Lists)
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if lookups.Load() == 0 {
		t.Error("no lookups ran")
	}
}

func TestReloadReportsTrustedWidening(t *testing.T) {
	dir := t.TempDir()
	cfg := listConfigs(t, dir, []memList{
		{name: "threat", kind: KindThreat, content: "198.51.100.7\nevil.example\n"},
		{name: "trusted", kind: KindTrusted, content: "203.0.113.0/24\ncorp.example\n"},
	})
	var logs syncBuffer
	clk := &clock{t: testNow}
	s, ch, err := Load(context.Background(), cfg, Options{Now: clk.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Lists) != 2 || !ch.Lists[1].Initial || ch.Lists[1].Added != 2 || len(ch.TrustedAdded) != 0 {
		t.Fatalf("initial load: %+v", ch)
	}
	if _, ok := s.LookupIP(netip.MustParseAddr("198.51.100.7")); !ok {
		t.Fatal("threat entry not found before the trusted list widened")
	}

	// An attacker adds the threat's range and domain to the trusted list.
	writeFile(t, cfg.Lists[1].Path, "203.0.113.0/24\n198.51.100.0/24\nEvil.Example\n")
	clk.Add(time.Minute)
	ch, err = s.Reload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.TrustedAdded) == 0 || len(ch.Lists) != 1 || ch.Lists[0].List != "trusted" || ch.Lists[0].Added != 2 || ch.Lists[0].Removed != 1 {
		t.Fatalf("changes: %+v", ch)
	}
	var added, removed []string
	for _, e := range ch.TrustedAdded {
		added = append(added, e.String()+" "+e.Raw)
		if e.Kind != KindTrusted || !e.FirstSeen.Equal(clk.Now()) {
			t.Errorf("added entry %+v", e)
		}
	}
	for _, e := range ch.TrustedRemoved {
		removed = append(removed, e.String())
	}
	if got, want := strings.Join(added, "|"), "trusted:2 198.51.100.0/24 198.51.100.0/24|trusted:3 evil.example Evil.Example"; got != want {
		t.Errorf("TrustedAdded = %s, want %s", got, want)
	}
	if got, want := strings.Join(removed, "|"), "trusted:2 corp.example"; got != want {
		t.Errorf("TrustedRemoved = %s, want %s", got, want)
	}
	// The unchanged entry keeps its first-seen time.
	if r := s.CheckIP(netip.MustParseAddr("203.0.113.1")); !r.Trusted.FirstSeen.Equal(testNow) || !r.Trusted.ListLoaded.Equal(testNow) {
		t.Errorf("unchanged trusted entry: %+v", r.Trusted)
	}
	if _, ok := s.LookupIP(netip.MustParseAddr("198.51.100.7")); ok {
		t.Error("threat entry still reported after the trusted list covered it")
	}
	if r := s.CheckDomain("x.evil.example"); !r.Suppressed() || r.Trusted.Line != 3 || r.Threat.Line != 2 {
		t.Errorf("CheckDomain = %+v", r)
	}
	if !strings.Contains(logs.String(), "trusted intel list widened") || !strings.Contains(logs.String(), "198.51.100.0/24") {
		t.Errorf("no warning logged:\n%s", logs.String())
	}
}

// TestReloadTrustedIgnoresForgedTimes rewrites a trusted list with content
// of the same size and puts its modification time back: the change is
// still found, because trusted lists are hashed on every reload. A threat
// list is trusted to its size and time (documented): the same trick is not
// noticed there.
func TestReloadTrustedIgnoresForgedTimes(t *testing.T) {
	dir := t.TempDir()
	cfg := listConfigs(t, dir, []memList{
		{name: "threat", kind: KindThreat, content: "10.0.0.1\n"},
		{name: "trusted", kind: KindTrusted, content: "10.9.0.1\n"},
	})
	s, _, err := Load(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	forge := func(path, content string) {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, content)
		if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
			t.Fatal(err)
		}
	}
	forge(cfg.Lists[0].Path, "10.0.0.2\n")
	forge(cfg.Lists[1].Path, "10.9.0.2\n")
	ch, err := s.Reload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Lists) != 1 || ch.Lists[0].List != "trusted" || len(ch.TrustedAdded) != 1 || ch.TrustedAdded[0].Value() != "10.9.0.2" {
		t.Fatalf("changes: %+v", ch)
	}
	if _, ok := s.LookupIP(netip.MustParseAddr("10.0.0.1")); !ok {
		t.Error("threat list was re-read although its size and time did not change")
	}
	// Nothing changed: nothing is reported.
	if ch, err := s.Reload(context.Background()); err != nil || len(ch.Lists) != 0 || ch.Changed() {
		t.Errorf("idle reload: %+v %v", ch, err)
	}
}

func TestReloadKeepsLastGoodVersion(t *testing.T) {
	dir := t.TempDir()
	cfg := listConfigs(t, dir, []memList{
		{name: "threat", kind: KindThreat, content: "192.0.2.1\n"},
		{name: "missing", kind: KindThreat, content: ""},
	})
	missing := cfg.Lists[1].Path
	if err := os.Remove(missing); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: testNow}
	s, ch, err := Load(context.Background(), cfg, Options{Now: clk.Now})
	if err == nil || !strings.Contains(err.Error(), "intel list missing") || s == nil {
		t.Fatalf("Load: %v", err)
	}
	if len(ch.Lists) != 2 || ch.Lists[0].Err != nil || ch.Lists[1].Err == nil {
		t.Fatalf("changes: %+v", ch.Lists)
	}
	a1, a2 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	if _, ok := s.LookupIP(a1); !ok {
		t.Fatal("the list that loaded is not used")
	}
	path := cfg.Lists[0].Path
	steps := []struct {
		name    string
		content string // "" with remove: delete the file
		remove  bool
		err     string
		hit1    bool
	}{
		{name: "empty file", content: "", err: "no entries", hit1: true},
		{name: "only bad lines", content: "not an entry\n", err: "1 bad lines", hit1: true},
		{name: "deleted", remove: true, err: "no such file", hit1: true},
		{name: "fixed", content: "192.0.2.2\n"},
	}
	for _, st := range steps {
		if st.remove {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		} else {
			writeFile(t, path, st.content)
		}
		clk.Add(time.Minute)
		ch, err := s.Reload(context.Background())
		if st.err != "" {
			if err == nil || !strings.Contains(err.Error(), st.err) || !strings.Contains(err.Error(), "intel list threat") {
				t.Errorf("%s: err = %v, want %q", st.name, err, st.err)
			}
			if ch.Changed() {
				t.Errorf("%s: Changed() after a failure", st.name)
			}
		} else if err != nil && !strings.Contains(err.Error(), "missing") {
			t.Errorf("%s: %v", st.name, err)
		}
		if _, ok := s.LookupIP(a1); ok != st.hit1 {
			t.Errorf("%s: old entry hit = %v", st.name, ok)
		}
		if _, ok := s.LookupIP(a2); ok == st.hit1 {
			t.Errorf("%s: new entry hit = %v", st.name, ok)
		}
		status := s.Lists()[0]
		if !status.Loaded || (status.LastError != "") != (st.err != "") || !status.LastAttempt.Equal(clk.Now()) {
			t.Errorf("%s: status %+v", st.name, status)
		}
	}
	st := s.Lists()[1]
	if st.Loaded || st.LastError == "" || st.Name != "missing" {
		t.Errorf("missing list status: %+v", st)
	}
}

func TestReloadFirstSeen(t *testing.T) {
	dir := t.TempDir()
	cfg := listConfigs(t, dir, []memList{{name: "threat", kind: KindThreat, content: "192.0.2.1\nold.example\n2001:db8::/32\n"}})
	t1 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clk := &clock{t: t1}
	s, _, err := Load(context.Background(), cfg, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfg.Lists[0].Path, "# moved down\n192.0.2.2\n192.0.2.1\nold.example\nnew.example\n2001:db8::/32\n")
	t2 := clk.Add(time.Hour)
	ch, err := s.Reload(context.Background())
	if err != nil || ch.Lists[0].Added != 2 || ch.Lists[0].Removed != 0 || ch.Lists[0].Initial {
		t.Fatalf("reload: %v %+v", err, ch.Lists)
	}
	tests := []struct {
		q          string
		line       int
		firstSeen  time.Time
		listLoaded time.Time
	}{
		{"192.0.2.1", 3, t1, t1}, {"192.0.2.2", 2, t2, t1}, {"old.example", 4, t1, t1},
		{"new.example", 5, t2, t1}, {"2001:db8::5", 6, t1, t1},
	}
	for _, tt := range tests {
		var h Hit
		if a, err := netip.ParseAddr(tt.q); err == nil {
			h, _ = s.LookupIP(a)
		} else {
			h, _ = s.LookupDomain(tt.q)
		}
		if h.Line != tt.line || !h.FirstSeen.Equal(tt.firstSeen) || !h.ListLoaded.Equal(tt.listLoaded) || !h.ListUpdated.Equal(t2) {
			t.Errorf("%s: %+v, want line %d first seen %v", tt.q, h, tt.line, tt.firstSeen)
		}
	}
}

func TestURLList(t *testing.T) {
	var (
		mu       sync.Mutex
		body     = "192.0.2.1\n"
		etag     = `"v1"`
		failing  bool
		slow     bool
		requests int
		lastINM  string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		lastINM = r.Header.Get("If-None-Match")
		b, e, f, sl := body, etag, failing, slow
		mu.Unlock()
		switch {
		case sl:
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		case f:
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		case r.Header.Get("If-None-Match") == e:
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", e)
		w.Write([]byte(b))
	}))
	defer srv.Close()
	set := func(f func()) { mu.Lock(); f(); mu.Unlock() }
	reqs := func() int { mu.Lock(); defer mu.Unlock(); return requests }

	cache := filepath.Join(t.TempDir(), "cache", "feed.txt")
	cfg := Config{Lists: []ListConfig{{Name: "feed", Kind: KindThreat, Format: FormatTXT, URL: srv.URL + "/feed.txt", Path: cache}}}
	clk := &clock{t: testNow}
	opts := Options{Now: clk.Now, FetchTimeout: time.Second}
	s, ch, err := Load(context.Background(), cfg, opts)
	if err != nil || len(ch.Lists) != 1 || ch.Lists[0].Source != srv.URL+"/feed.txt" {
		t.Fatalf("Load: %v %+v", err, ch)
	}
	a1, a2 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	if _, ok := s.LookupIP(a1); !ok {
		t.Fatal("fetched entry not found")
	}
	if b, err := os.ReadFile(cache); err != nil || string(b) != "192.0.2.1\n" {
		t.Fatalf("last good copy: %q %v", b, err)
	}

	// Not due: no request.
	clk.Add(30 * time.Minute)
	if ch, err := s.Reload(context.Background()); err != nil || len(ch.Lists) != 0 || reqs() != 1 {
		t.Fatalf("reload before refresh: %v %+v requests %d", err, ch, reqs())
	}
	// Due, not modified.
	clk.Add(time.Hour)
	if ch, err := s.Reload(context.Background()); err != nil || len(ch.Lists) != 0 || reqs() != 2 || lastINM != `"v1"` {
		t.Fatalf("conditional reload: %v %+v requests %d If-None-Match %q", err, ch, reqs(), lastINM)
	}
	// Changed.
	set(func() { body, etag = "192.0.2.2\n", `"v2"` })
	clk.Add(2 * time.Hour)
	if ch, err := s.Reload(context.Background()); err != nil || len(ch.Lists) != 1 || ch.Lists[0].Added != 1 || ch.Lists[0].Removed != 1 {
		t.Fatalf("changed: %v %+v", err, ch)
	}
	if _, ok := s.LookupIP(a2); !ok {
		t.Fatal("new content not used")
	}
	// Failing and slow servers: the last good version stays.
	set(func() { failing = true })
	clk.Add(2 * time.Hour)
	if _, err := s.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("failing server: %v", err)
	}
	set(func() { failing, slow = false, true })
	clk.Add(2 * time.Hour)
	start := time.Now()
	if _, err := s.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "deadline") || time.Since(start) > 3*time.Second {
		t.Fatalf("slow server: %v after %v", err, time.Since(start))
	}
	if _, ok := s.LookupIP(a2); !ok {
		t.Fatal("last good version dropped")
	}
	// A restart while the server is down reads the last good copy.
	set(func() { slow, failing = false, true })
	s2, ch, err := Load(context.Background(), cfg, opts)
	if err != nil || len(ch.Lists) != 1 || !ch.Lists[0].FromCache || !s2.Lists()[0].FromCache {
		t.Fatalf("restart: %v %+v", err, ch)
	}
	if _, ok := s2.LookupIP(a2); !ok {
		t.Fatal("last good copy not used")
	}
	// It fetches again at the next reload, not after a refresh interval.
	set(func() { failing = false })
	n := reqs()
	if _, err := s2.Reload(context.Background()); err != nil || reqs() != n+1 {
		t.Fatalf("retry after cache: %v, %d requests", err, reqs()-n)
	}
}

func TestListsStatus(t *testing.T) {
	s := loadLists(t, testNow, memList{name: "a", kind: KindThreat, content: "192.0.2.1\n192.0.2.1\nbad line\n"})
	st := s.Lists()
	if len(st) != 1 || !st[0].Loaded || st[0].Entries != 1 || st[0].Duplicates != 1 || st[0].Bad != 1 ||
		st[0].Format != FormatTXT || len(st[0].Digest) != 64 || !st[0].FirstLoaded.Equal(testNow) {
		t.Errorf("status: %+v", st)
	}
}

// TestReloadTrustedListAppearingLater: a trusted list that was missing at
// start-up and appears later widens trust at run time; all its entries are
// reported.
func TestReloadTrustedListAppearingLater(t *testing.T) {
	dir := t.TempDir()
	cfg := listConfigs(t, dir, []memList{
		{name: "threat", kind: KindThreat, content: "192.0.2.1\n"},
		{name: "trusted", kind: KindTrusted, content: ""},
	})
	if err := os.Remove(cfg.Lists[1].Path); err != nil {
		t.Fatal(err)
	}
	s, _, err := Load(context.Background(), cfg, Options{})
	if err == nil {
		t.Fatal("missing trusted list not reported")
	}
	writeFile(t, cfg.Lists[1].Path, "192.0.2.0/24\nok.example\n")
	ch, err := s.Reload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.TrustedAdded) != 2 || !ch.Lists[0].Initial || ch.Lists[0].Added != 2 {
		t.Fatalf("changes: %+v", ch)
	}
	if _, ok := s.LookupIP(netip.MustParseAddr("192.0.2.1")); ok {
		t.Error("trusted list not applied")
	}
}

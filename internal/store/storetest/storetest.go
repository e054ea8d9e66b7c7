// Package storetest is the conformance suite every store.Store
// implementation must pass. An implementation's tests call Run with a
// function that opens a new, empty store, and RunReopen when the same
// database can be opened again:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { … })
//	}
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/store"
)

// Run runs the suite. open must return a new, empty store for each call; the
// suite closes it when the test ends.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	fresh := func(t *testing.T) store.Store {
		t.Helper()
		s := open(t)
		t.Cleanup(func() { s.Close() })
		return s
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"DistinctIDs", testDistinctIDs},
		{"ArchivedSurvivesMerge", testArchivedSurvivesMerge},
		{"SetArchived", testSetArchived},
		{"NotFound", testNotFound},
		{"ListFindings", testListFindings},
		{"ListDefaultLimit", testListDefaultLimit},
		{"FindingFilters", testFindingFilters},
		{"FindingSortPaging", testFindingSortPaging},
		{"FindingFacets", testFindingFacets},
		{"FindingFacetsTop", testFindingFacetsTop},
		{"FindingQueryErrors", testFindingQueryErrors},
		{"Evidence", testEvidence},
		{"Quarantine", testQuarantine},
		{"Checkpoints", testCheckpoints},
		{"ConditionalCheckpoints", testConditionalCheckpoints},
		{"ConditionalConflictStoresNothing", testConditionalConflictStoresNothing},
		{"ConditionalConcurrentCommits", func(t *testing.T, s store.Store) { testConditionalConcurrentCommits(t, s, true) }},
		// Without a shared finding, whose row lock would queue the commits,
		// only the checkpoint write itself keeps them apart.
		{"ConditionalConcurrentCheckpointsOnly", func(t *testing.T, s store.Store) { testConditionalConcurrentCommits(t, s, false) }},
		{"Reread", testReread},
		{"EmptyBatch", testEmptyBatch},
		{"UTC", testUTC},
		{"ConcurrentCommits", testConcurrentCommits},
		{"RoutingVersions", testRoutingVersions},
		{"Outbox", testOutbox},
		{"OutboxConcurrentClaims", testOutboxConcurrentClaims},
		{"SuppressionRules", testSuppressionRules},
		{"Alerts", testAlerts},
		{"Jobs", testJobs},
		{"JobsTwoWorkers", testJobsTwoWorkers},
		{"Events", testEvents},
		{"EventsBulk", testEventsBulk},
		{"DetectorState", testDetectorState},
		{"RelatedFilters", testRelatedFilters},
		{"SeverityOnlyFacets", testSeverityOnlyFacets},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, fresh(t)) })
	}
	// Table-driven over a fresh store per case.
	t.Run("Merge", func(t *testing.T) { testMerge(t, fresh) })
	t.Run("Atomicity", func(t *testing.T) { testAtomicity(t, fresh) })
	t.Run("Ping", func(t *testing.T) {
		s := open(t)
		if err := s.Ping(t.Context()); err != nil {
			t.Fatalf("Ping on an open store: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Ping(t.Context()); err == nil {
			t.Error("Ping on a closed store succeeded")
		}
	})
}

// Migrator is implemented by stores with a versioned schema. RunReopen uses
// it to check that opening a database again applies no migration.
type Migrator interface {
	AppliedMigrations(ctx context.Context) (map[int]time.Time, error)
}

// RunReopen checks what only a persistent store can do: data survives
// closing and opening the database again, opening again applies no
// migration, and several first Opens racing on a new database all succeed.
// database prepares a new, empty database for t and returns a function
// opening it, which is called several times (concurrently, too).
func RunReopen(t *testing.T, database func(t *testing.T) func() (store.Store, error)) {
	t.Run("KeepsData", func(t *testing.T) {
		open := database(t)
		s := mustOpen(t, open)
		f := newFinding("111111111111", typeRecon, "AKIA1", withCount(2))
		commit(t, s, &store.Batch{
			Findings:    []finding.Finding{f},
			Evidence:    []finding.Evidence{evidence(f.ID, "e1", at(time.Minute), []byte("raw-1"))},
			Quarantine:  []store.Quarantined{quarantined("src", "p", 0, at(0))},
			Checkpoints: []store.Checkpoint{{Source: "src", Key: "k", Position: 7, ModTime: at(0)}},
			Now:         at(time.Hour),
		})
		var before map[int]time.Time
		m, isMigrator := s.(Migrator)
		if isMigrator {
			before = appliedMigrations(t, m)
			if len(before) == 0 {
				t.Fatal("no migration recorded after the first open")
			}
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}

		s = mustOpen(t, open)
		got := getFinding(t, s, f.ID)
		if got.Service.Count != 2 || !got.CreatedAt.Equal(at(time.Hour)) {
			t.Errorf("after reopen: count %d createdAt %v, want 2 and %v", got.Service.Count, got.CreatedAt, at(time.Hour))
		}
		if ev := evidenceOf(t, s, f.ID); len(ev) != 1 || string(ev[0].Raw) != "raw-1" {
			t.Errorf("after reopen: evidence %+v, want raw-1", ev)
		}
		if n := quarantineCount(t, s, "src"); n != 1 {
			t.Errorf("after reopen: %d quarantined, want 1", n)
		}
		if c, ok, err := s.Checkpoint(t.Context(), "src", "k"); err != nil || !ok || c.Position != 7 {
			t.Errorf("after reopen: checkpoint %+v ok=%t err=%v, want position 7", c, ok, err)
		}
		// Merging after reopen adds to the stored count.
		commit(t, s, &store.Batch{Findings: []finding.Finding{newFinding("111111111111", typeRecon, "AKIA1", withCount(3))}, Now: at(2 * time.Hour)})
		if got := getFinding(t, s, f.ID); got.Service.Count != 5 {
			t.Errorf("merge after reopen: count %d, want 5", got.Service.Count)
		}
		if isMigrator {
			after := appliedMigrations(t, s.(Migrator))
			if len(after) != len(before) {
				t.Errorf("migrations after reopen %v, before %v", after, before)
			}
			for v, when := range before {
				if !after[v].Equal(when) {
					t.Errorf("migration %d re-applied: applied_at %v, first %v", v, after[v], when)
				}
			}
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	})

	t.Run("ConcurrentFirstOpen", func(t *testing.T) {
		open := database(t)
		const n = 4
		stores := make([]store.Store, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { stores[i], errs[i] = open() })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("open %d of %d racing on a new database: %v", i, n, errs[i])
			}
			t.Cleanup(func() { stores[i].Close() })
		}
		f := newFinding("111111111111", typeRecon, "AKIA1")
		commit(t, stores[0], &store.Batch{Findings: []finding.Finding{f}, Now: at(0)})
		if got := getFinding(t, stores[n-1], f.ID); got.Service.Count != 1 {
			t.Errorf("count via another store %d, want 1", got.Service.Count)
		}
		if m, ok := stores[0].(Migrator); ok {
			first := appliedMigrations(t, m)
			for v := 1; v <= len(first); v++ {
				if _, ok := first[v]; !ok {
					t.Errorf("migrations %v: version %d missing", first, v)
				}
			}
		}
	})
}

func mustOpen(t *testing.T, open func() (store.Store, error)) store.Store {
	t.Helper()
	s, err := open()
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

func appliedMigrations(t *testing.T, m Migrator) map[int]time.Time {
	t.Helper()
	v, err := m.AppliedMigrations(t.Context())
	if err != nil {
		t.Fatalf("AppliedMigrations: %v", err)
	}
	return v
}

// Fixtures. Times are whole microseconds: the finest every engine keeps.

var base = time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)

func at(d time.Duration) time.Time { return base.Add(d) }

const (
	typeRecon   = "Recon:IAMUser/MaliciousIPCaller"
	typeStealth = "Stealth:IAMUser/CloudTrailLoggingDisabled"
)

// newFinding returns a sealed finding; its ID depends only on account, type
// and key, so two calls with the same ones are occurrences of one finding.
func newFinding(account, typ, key string, opts ...func(*finding.Finding)) finding.Finding {
	f := finding.Finding{
		AccountID:   account,
		Region:      "us-east-1",
		Type:        typ,
		Severity:    finding.SevMedium,
		Title:       "title " + key,
		Description: "description " + key,
		Resource: finding.Resource{
			ResourceType:     "AccessKey",
			AccessKeyDetails: &finding.AccessKeyDetails{AccessKeyID: key, UserName: "alice", UserType: "IAMUser"},
		},
		Service: finding.Service{
			DetectorID: "detector-1",
			Action: finding.Action{ActionType: "AWS_API_CALL", AwsAPICallAction: &finding.AwsAPICallAction{
				API: "GetObject", ServiceName: "s3.amazonaws.com", CallerType: "Remote IP",
				RemoteIPDetails: &finding.RemoteIPDetails{IPAddressV4: "198.51.100.7"},
			}},
			Count:          1,
			EventFirstSeen: at(0),
			EventLastSeen:  at(time.Minute),
			ResourceRole:   "TARGET",
			AdditionalInfo: map[string]any{"note": "x", "score": 0.5},
		},
		Keys: finding.Keys{Resource: key, Actor: "arn:aws:iam::" + account + ":user/alice"},
	}
	for _, o := range opts {
		o(&f)
	}
	f.Seal()
	return f
}

func withCount(n int64) func(*finding.Finding) {
	return func(f *finding.Finding) { f.Service.Count = n }
}

func withRegion(r string) func(*finding.Finding) {
	return func(f *finding.Finding) { f.Region = r }
}

func withSeverity(sev float64) func(*finding.Finding) {
	return func(f *finding.Finding) { f.Severity = sev; f.Title = fmt.Sprintf("severity %v", sev) }
}

func withSeen(first, last time.Time, api string) func(*finding.Finding) {
	return func(f *finding.Finding) {
		f.Service.EventFirstSeen, f.Service.EventLastSeen = first, last
		f.Service.Action.AwsAPICallAction.API = api
	}
}

func evidence(findingID, eventID string, when time.Time, raw []byte) finding.Evidence {
	return finding.Evidence{FindingID: findingID, EventID: eventID, EventTime: when, Source: "scan",
		Path: "logs/" + eventID + ".json.gz", Index: int64(len(eventID)), Offset: 1000 + int64(len(raw)), Raw: raw}
}

func quarantined(source, path string, index int64, when time.Time) store.Quarantined {
	return store.Quarantined{
		Origin: event.Origin{Source: source, Path: path, Index: index, Offset: 100 * index, Line: index + 1},
		Format: "cloudtrail", Reason: "bad json", Sample: []byte(`{"Records":[{`), At: when,
	}
}

// Helpers that fail the test on error.

func commit(t *testing.T, s store.Store, b *store.Batch) store.CommitResult {
	t.Helper()
	res, err := s.Commit(t.Context(), b)
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return res
}

func getFinding(t *testing.T, s store.Store, id string) *finding.Finding {
	t.Helper()
	f, err := s.GetFinding(t.Context(), id)
	if err != nil {
		t.Fatalf("GetFinding(%s): %v", id, err)
	}
	return f
}

func evidenceOf(t *testing.T, s store.Store, id string) []finding.Evidence {
	t.Helper()
	ev, err := s.Evidence(t.Context(), id)
	if err != nil {
		t.Fatalf("Evidence(%s): %v", id, err)
	}
	return ev
}

func quarantineCount(t *testing.T, s store.Store, source string) int64 {
	t.Helper()
	n, err := s.QuarantineCount(t.Context(), source)
	if err != nil {
		t.Fatalf("QuarantineCount(%q): %v", source, err)
	}
	return n
}

func setArchived(t *testing.T, s store.Store, ids []string, archived bool, now time.Time) int {
	t.Helper()
	n, err := s.SetArchived(t.Context(), ids, archived, now)
	if err != nil {
		t.Fatalf("SetArchived: %v", err)
	}
	return n
}

// sameFinding compares findings by their JSON form (which is what GuardDuty
// consumers see) plus the identity keys, which JSON omits.
func sameFinding(t *testing.T, got, want *finding.Finding) {
	t.Helper()
	w := *want
	w.CreatedAt, w.UpdatedAt = w.CreatedAt.UTC(), w.UpdatedAt.UTC()
	w.Service.EventFirstSeen, w.Service.EventLastSeen = w.Service.EventFirstSeen.UTC(), w.Service.EventLastSeen.UTC()
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(&w)
	if !bytes.Equal(gj, wj) {
		t.Errorf("finding differs:\n got %s\nwant %s", gj, wj)
	}
	if got.Keys != want.Keys {
		t.Errorf("keys %+v, want %+v", got.Keys, want.Keys)
	}
}

func testRoundTrip(t *testing.T, s store.Store) {
	f := newFinding("111111111111", typeRecon, "AKIA1", withCount(4))
	f.CreatedAt, f.UpdatedAt = at(-time.Hour), at(-time.Hour) // a detector's values; the store sets its own
	res := commit(t, s, &store.Batch{Findings: []finding.Finding{f}, Now: at(time.Hour)})
	if !slices.Equal(res.NewFindings, []string{f.ID}) || len(res.UpdatedFindings) != 0 {
		t.Errorf("result %+v, want new [%s]", res, f.ID)
	}
	want := f
	want.CreatedAt, want.UpdatedAt = at(time.Hour), at(time.Hour)
	sameFinding(t, getFinding(t, s, f.ID), &want)
}

func testMerge(t *testing.T, fresh func(*testing.T) store.Store) {
	const acct = "111111111111"
	first := newFinding(acct, typeRecon, "AKIA1", withCount(2), withSeverity(5), withSeen(at(0), at(time.Minute), "GetObject"))
	tests := []struct {
		name        string
		repeat      finding.Finding
		count       int64
		first, last time.Time
		api         string
		severity    float64
		title       string
		description string
	}{
		{
			name: "wider window, later action, higher severity",
			repeat: newFinding(acct, typeRecon, "AKIA1", withCount(3), withSeverity(8), withSeen(at(-time.Hour), at(2*time.Hour), "PutObject"),
				func(f *finding.Finding) { f.Description = "newer description" }),
			count: 5, first: at(-time.Hour), last: at(2 * time.Hour), api: "PutObject", severity: 8, title: "severity 8",
			description: "newer description",
		},
		{
			name:   "inside the window keeps the latest action and higher severity",
			repeat: newFinding(acct, typeRecon, "AKIA1", withCount(1), withSeverity(2), withSeen(at(10*time.Second), at(50*time.Second), "ListBuckets")),
			count:  3, first: at(0), last: at(time.Minute), api: "GetObject", severity: 5, title: "severity 5",
			description: first.Description,
		},
		{
			// The title describes the latest call, as the action does.
			name:   "later but less severe moves the action and title, not the severity",
			repeat: newFinding(acct, typeRecon, "AKIA1", withCount(10), withSeverity(2), withSeen(at(3*time.Hour), at(3*time.Hour), "DeleteObject")),
			count:  12, first: at(0), last: at(3 * time.Hour), api: "DeleteObject", severity: 5, title: "severity 2",
			description: first.Description,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := fresh(t)
			if tc.repeat.ID != first.ID {
				t.Fatalf("fixture: repeat has ID %s, first %s", tc.repeat.ID, first.ID)
			}
			commit(t, s, &store.Batch{Findings: []finding.Finding{first}, Now: at(time.Hour)})
			res := commit(t, s, &store.Batch{Findings: []finding.Finding{tc.repeat}, Now: at(5 * time.Hour)})
			if len(res.NewFindings) != 0 || !slices.Equal(res.UpdatedFindings, []string{first.ID}) {
				t.Errorf("result %+v, want updated [%s]", res, first.ID)
			}
			got := getFinding(t, s, first.ID)
			if got.Service.Count != tc.count {
				t.Errorf("count %d, want %d", got.Service.Count, tc.count)
			}
			if !got.Service.EventFirstSeen.Equal(tc.first) || !got.Service.EventLastSeen.Equal(tc.last) {
				t.Errorf("seen %v – %v, want %v – %v", got.Service.EventFirstSeen, got.Service.EventLastSeen, tc.first, tc.last)
			}
			if api := got.Service.Action.AwsAPICallAction.API; api != tc.api {
				t.Errorf("action API %q, want %q", api, tc.api)
			}
			if got.Severity != tc.severity || got.Title != tc.title {
				t.Errorf("severity %v %q, want %v %q", got.Severity, got.Title, tc.severity, tc.title)
			}
			if got.Description != tc.description {
				t.Errorf("description %q, want %q", got.Description, tc.description)
			}
			if !got.CreatedAt.Equal(at(time.Hour)) || !got.UpdatedAt.Equal(at(5*time.Hour)) {
				t.Errorf("created %v updated %v, want %v and %v", got.CreatedAt, got.UpdatedAt, at(time.Hour), at(5*time.Hour))
			}
			if got.Arn != first.Arn || got.Keys != first.Keys || got.AccountID != first.AccountID {
				t.Errorf("identity changed: %s %+v %s", got.Arn, got.Keys, got.AccountID)
			}
			if n, total := listAll(t, s); total != 1 || len(n) != 1 {
				t.Errorf("%d findings stored, want 1", total)
			}
		})
	}
}

func listAll(t *testing.T, s store.Store) ([]finding.Finding, int) {
	t.Helper()
	fs, total, err := s.ListFindings(t.Context(), store.FindingQuery{})
	if err != nil {
		t.Fatalf("ListFindings: %v", err)
	}
	return fs, total
}

func testDistinctIDs(t *testing.T, s store.Store) {
	a := newFinding("111111111111", typeRecon, "AKIA1", withCount(2))
	b := newFinding("111111111111", typeRecon, "AKIA2", withCount(3))
	c := newFinding("111111111111", typeRecon, "AKIA1", withCount(4), withRegion("eu-west-1"))
	if a.ID == b.ID || a.ID == c.ID {
		t.Fatal("fixture: IDs collide")
	}
	res := commit(t, s, &store.Batch{Findings: []finding.Finding{a, b, c}, Now: at(0)})
	if len(res.NewFindings) != 3 {
		t.Errorf("new findings %v, want 3", res.NewFindings)
	}
	for _, f := range []finding.Finding{a, b, c} {
		if got := getFinding(t, s, f.ID); got.Service.Count != f.Service.Count || got.Region != f.Region {
			t.Errorf("finding %s: count %d region %s, want %d %s", f.ID, got.Service.Count, got.Region, f.Service.Count, f.Region)
		}
	}
	if _, total := listAll(t, s); total != 3 {
		t.Errorf("%d findings, want 3", total)
	}
}

func testArchivedSurvivesMerge(t *testing.T, s store.Store) {
	f := newFinding("111111111111", typeRecon, "AKIA1")
	commit(t, s, &store.Batch{Findings: []finding.Finding{f}, Now: at(0)})
	if n := setArchived(t, s, []string{f.ID}, true, at(time.Hour)); n != 1 {
		t.Fatalf("SetArchived changed %d, want 1", n)
	}
	repeat := newFinding("111111111111", typeRecon, "AKIA1", withCount(2))
	repeat.Service.Archived = false // a new occurrence is never archived; the stored state wins
	commit(t, s, &store.Batch{Findings: []finding.Finding{repeat}, Now: at(2 * time.Hour)})
	got := getFinding(t, s, f.ID)
	if !got.Service.Archived || got.Service.Count != 3 {
		t.Errorf("after merge: archived %t count %d, want true 3", got.Service.Archived, got.Service.Count)
	}
	archived := true
	fs, total, err := s.ListFindings(t.Context(), store.FindingQuery{Archived: &archived})
	if err != nil {
		t.Fatal(err)
	}
	if total != 1 || len(fs) != 1 || fs[0].ID != f.ID {
		t.Errorf("archived list %d %v, want [%s]", total, ids(fs), f.ID)
	}
}

func testSetArchived(t *testing.T, s store.Store) {
	a := newFinding("111111111111", typeRecon, "A")
	b := newFinding("111111111111", typeRecon, "B")
	c := newFinding("111111111111", typeRecon, "C")
	commit(t, s, &store.Batch{Findings: []finding.Finding{a, b, c}, Now: at(0)})
	unknown := "ffffffffffffffffffffffffffffffff"
	steps := []struct {
		name     string
		ids      []string
		archived bool
		changed  int
		want     map[string]bool // archived state of a, b, c after the step
	}{
		{"archive two and an unknown ID", []string{a.ID, b.ID, unknown}, true, 2, map[string]bool{a.ID: true, b.ID: true, c.ID: false}},
		{"archive again changes nothing", []string{a.ID, a.ID}, true, 0, map[string]bool{a.ID: true, b.ID: true, c.ID: false}},
		{"unarchive one", []string{a.ID, c.ID, unknown}, false, 1, map[string]bool{a.ID: false, b.ID: true, c.ID: false}},
		{"no IDs", nil, true, 0, map[string]bool{a.ID: false, b.ID: true, c.ID: false}},
		{"only unknown", []string{unknown}, true, 0, map[string]bool{a.ID: false, b.ID: true, c.ID: false}},
	}
	prev := map[string]bool{a.ID: false, b.ID: false, c.ID: false}
	for i, st := range steps {
		now := at(time.Duration(i+1) * time.Hour)
		before := map[string]time.Time{}
		for id := range st.want {
			before[id] = getFinding(t, s, id).UpdatedAt
		}
		if n := setArchived(t, s, st.ids, st.archived, now); n != st.changed {
			t.Errorf("%s: changed %d, want %d", st.name, n, st.changed)
		}
		for id, want := range st.want {
			got := getFinding(t, s, id)
			if got.Service.Archived != want {
				t.Errorf("%s: %s archived %t, want %t", st.name, id[:6], got.Service.Archived, want)
			}
			// Changing state is an update; leaving it alone is not.
			if want != prev[id] && !got.UpdatedAt.Equal(now) {
				t.Errorf("%s: %s updatedAt %v, want %v", st.name, id[:6], got.UpdatedAt, now)
			}
			if want == prev[id] && !got.UpdatedAt.Equal(before[id]) {
				t.Errorf("%s: unchanged %s updatedAt moved to %v", st.name, id[:6], got.UpdatedAt)
			}
		}
		prev = st.want
	}
	if _, err := s.GetFinding(t.Context(), unknown); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetArchived created the unknown finding: %v", err)
	}
}

func testNotFound(t *testing.T, s store.Store) {
	commit(t, s, &store.Batch{Findings: []finding.Finding{newFinding("111111111111", typeRecon, "A")}, Now: at(0)})
	id := "0123456789abcdef0123456789abcdef"
	f, err := s.GetFinding(t.Context(), id)
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetFinding(unknown) = %v, %v; want ErrNotFound", f, err)
	}
	if ev := evidenceOf(t, s, id); len(ev) != 0 {
		t.Errorf("evidence of unknown finding: %v", ev)
	}
}

func ids(fs []finding.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

func testListFindings(t *testing.T, s store.Store) {
	const (
		acctA, acctB, acctC = "111111111111", "222222222222", "333333333333"
	)
	f1 := newFinding(acctA, typeRecon, "k1", withSeverity(2))
	f2 := newFinding(acctA, typeStealth, "k2", withSeverity(5), withRegion("eu-west-1"))
	f3 := newFinding(acctB, typeRecon, "k3", withSeverity(8))
	f4 := newFinding(acctB, typeStealth, "k4", withSeverity(9))
	f5 := newFinding(acctC, typeRecon, "k5", withSeverity(5), withRegion("eu-west-1"))
	commit(t, s, &store.Batch{Findings: []finding.Finding{f1}, Now: at(1 * time.Hour)})
	commit(t, s, &store.Batch{Findings: []finding.Finding{f2}, Now: at(2 * time.Hour)})
	commit(t, s, &store.Batch{Findings: []finding.Finding{f3}, Now: at(3 * time.Hour)})
	commit(t, s, &store.Batch{Findings: []finding.Finding{f4, f5}, Now: at(4 * time.Hour)})
	setArchived(t, s, []string{f3.ID}, true, at(3*time.Hour)) // keeps f3's place in the order

	// f4 and f5 share updatedAt: ties go by ID.
	top := []string{f4.ID, f5.ID}
	slices.Sort(top)
	all := append(slices.Clone(top), f3.ID, f2.ID, f1.ID)
	yes, no := true, false
	without := func(drop ...string) []string {
		return slices.DeleteFunc(slices.Clone(all), func(id string) bool { return slices.Contains(drop, id) })
	}
	tests := []struct {
		name  string
		q     store.FindingQuery
		want  []string
		total int
	}{
		{"all", store.FindingQuery{}, all, 5},
		{"one account", store.FindingQuery{Accounts: []string{acctA}}, []string{f2.ID, f1.ID}, 2},
		{"account scope", store.FindingQuery{Accounts: []string{acctA, acctC}}, without(f3.ID, f4.ID), 3},
		{"unknown account", store.FindingQuery{Accounts: []string{"999999999999"}}, nil, 0},
		{"type", store.FindingQuery{Types: []string{typeStealth}}, []string{f4.ID, f2.ID}, 2},
		{"types", store.FindingQuery{Types: []string{typeStealth, typeRecon}}, all, 5},
		{"region", store.FindingQuery{Regions: []string{"eu-west-1"}}, without(f1.ID, f3.ID, f4.ID), 2},
		{"min severity", store.FindingQuery{MinSeverity: 7}, []string{f4.ID, f3.ID}, 2},
		{"min severity inclusive", store.FindingQuery{MinSeverity: 5}, without(f1.ID), 4},
		{"archived", store.FindingQuery{Archived: &yes}, []string{f3.ID}, 1},
		{"not archived", store.FindingQuery{Archived: &no}, without(f3.ID), 4},
		{"since inclusive", store.FindingQuery{Since: at(3 * time.Hour)}, without(f1.ID, f2.ID), 3},
		{"since later", store.FindingQuery{Since: at(3*time.Hour + time.Microsecond)}, top, 2},
		{"combined", store.FindingQuery{Accounts: []string{acctA, acctB}, Types: []string{typeRecon}, MinSeverity: 2, Archived: &no}, []string{f1.ID}, 1},
		{"limit", store.FindingQuery{Limit: 2}, all[:2], 5},
		{"limit and offset", store.FindingQuery{Limit: 2, Offset: 2}, all[2:4], 5},
		{"last page", store.FindingQuery{Limit: 2, Offset: 4}, all[4:], 5},
		{"offset past the end", store.FindingQuery{Offset: 10}, nil, 5},
		{"filtered page", store.FindingQuery{Types: []string{typeRecon}, Limit: 1, Offset: 1}, []string{f3.ID}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs, total, err := s.ListFindings(t.Context(), tc.q)
			if err != nil {
				t.Fatalf("ListFindings: %v", err)
			}
			if got := ids(fs); !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("IDs %v, want %v", short(got), short(tc.want))
			}
			if total != tc.total {
				t.Errorf("total %d, want %d", total, tc.total)
			}
		})
	}
	// Listed findings are whole, not just IDs.
	fs, _, err := s.ListFindings(t.Context(), store.FindingQuery{Accounts: []string{acctA}, Types: []string{typeRecon}})
	if err != nil || len(fs) != 1 {
		t.Fatalf("ListFindings: %v %v", ids(fs), err)
	}
	want := f1
	want.CreatedAt, want.UpdatedAt = at(time.Hour), at(time.Hour)
	sameFinding(t, &fs[0], &want)
}

func short(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id[:6]
	}
	return out
}

func testListDefaultLimit(t *testing.T, s store.Store) {
	var fs []finding.Finding
	for i := range 105 {
		fs = append(fs, newFinding("111111111111", typeRecon, fmt.Sprintf("k%03d", i)))
	}
	commit(t, s, &store.Batch{Findings: fs, Now: at(0)})
	got, total, err := s.ListFindings(t.Context(), store.FindingQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 100 || total != 105 {
		t.Errorf("default page %d of %d, want 100 of 105", len(got), total)
	}
	if !slices.IsSortedFunc(got, func(a, b finding.Finding) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("equal updatedAt not ordered by ID")
	}
}

func testEvidence(t *testing.T, s store.Store) {
	f := newFinding("111111111111", typeRecon, "F")
	g := newFinding("111111111111", typeRecon, "G")
	h := newFinding("111111111111", typeRecon, "H")
	raws := [][]byte{
		[]byte(`{"eventID":"e1","eventName":"GetObject"}`),
		{0xff, 0xfe, 0x00, 'x', '\n', 0x80},
		[]byte("ünïcödé ✓\r\n\t\"quoted\""),
		[]byte(`{}`),
		[]byte(`{"e":5}`),
	}
	// Batch order is newest event first; Evidence returns oldest first.
	var evs []finding.Evidence
	for i, raw := range raws {
		evs = append(evs, evidence(f.ID, fmt.Sprintf("e%d", i+1), at(-time.Duration(i)*time.Minute), raw))
	}
	commit(t, s, &store.Batch{Findings: []finding.Finding{f, g, h}, Evidence: evs, EvidenceLimit: 3, Now: at(0)})
	want := []finding.Evidence{evs[2], evs[1], evs[0]} // the first three, oldest first
	checkEvidence := func(step string, got, want []finding.Evidence) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d evidence rows, want %d", step, len(got), len(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.FindingID != w.FindingID || g.EventID != w.EventID || !g.EventTime.Equal(w.EventTime) ||
				g.Source != w.Source || g.Path != w.Path || g.Index != w.Index || g.Offset != w.Offset {
				t.Errorf("%s: row %d = %+v, want %+v", step, i, g, w)
			}
			if !bytes.Equal(g.Raw, w.Raw) {
				t.Errorf("%s: row %d raw %q, want %q", step, i, g.Raw, w.Raw)
			}
		}
	}
	checkEvidence("limit 3", evidenceOf(t, s, f.ID), want)

	// At the limit, a later batch adds nothing, new or duplicate.
	commit(t, s, &store.Batch{
		Findings:      []finding.Finding{newFinding("111111111111", typeRecon, "F")},
		Evidence:      []finding.Evidence{evidence(f.ID, "e9", at(-time.Hour), []byte("late")), evidence(f.ID, "e1", at(time.Hour), []byte("dup"))},
		EvidenceLimit: 3, Now: at(time.Hour),
	})
	checkEvidence("after limit reached", evidenceOf(t, s, f.ID), want)

	// Duplicate event IDs, in one batch and across batches, are kept once
	// (the first); evidence-only batches work for stored findings.
	first := evidence(g.ID, "dup", at(0), []byte("first"))
	commit(t, s, &store.Batch{Evidence: []finding.Evidence{first, evidence(g.ID, "dup", at(time.Second), []byte("second"))}, Now: at(time.Hour)})
	commit(t, s, &store.Batch{Evidence: []finding.Evidence{evidence(g.ID, "dup", at(time.Second), []byte("third"))}, Now: at(2 * time.Hour)})
	checkEvidence("duplicates", evidenceOf(t, s, g.ID), []finding.Evidence{first})

	// EvidenceLimit 0 means the default.
	var many []finding.Evidence
	for i := range store.DefaultEvidenceLimit + 2 {
		many = append(many, evidence(h.ID, fmt.Sprintf("h%02d", i), at(time.Duration(i)*time.Second), []byte{byte(i)}))
	}
	commit(t, s, &store.Batch{Evidence: many, Now: at(time.Hour)})
	checkEvidence("default limit", evidenceOf(t, s, h.ID), many[:store.DefaultEvidenceLimit])
}

func testQuarantine(t *testing.T, s store.Store) {
	big := bytes.Repeat([]byte{'x', 0xff}, store.MaxSample) // 2×MaxSample, not UTF-8
	q1 := quarantined("s1", "a.json", 0, at(1*time.Minute))
	q1.Sample = big
	q2 := quarantined("s1", "a.json", 1, at(2*time.Minute))
	q2dup := quarantined("s1", "a.json", 1, at(5*time.Minute))
	q2dup.Reason = "second report of the same record"
	q3 := quarantined("s2", "b.json", 0, at(3*time.Minute))
	q4 := quarantined("s1", "c.json", 0, time.Time{}) // no time: the batch's
	commit(t, s, &store.Batch{Quarantine: []store.Quarantined{q1, q2, q2dup, q3, q4}, Now: at(10 * time.Minute)})
	commit(t, s, &store.Batch{Quarantine: []store.Quarantined{q1}, Now: at(20 * time.Minute)})

	for _, c := range []struct {
		source string
		want   int64
	}{{"s1", 3}, {"s2", 1}, {"", 4}, {"nope", 0}} {
		if n := quarantineCount(t, s, c.source); n != c.want {
			t.Errorf("QuarantineCount(%q) = %d, want %d", c.source, n, c.want)
		}
	}

	got, err := s.Quarantine(t.Context(), store.QuarantineQuery{Source: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	q4.At = at(10 * time.Minute)
	q1.Sample = big[:store.MaxSample]
	want := []store.Quarantined{q4, q2, q1}
	if len(got) != len(want) {
		t.Fatalf("Quarantine(s1) has %d records, want %d", len(got), len(want))
	}
	seen := map[int64]bool{}
	for i, w := range want {
		g := got[i]
		if g.Origin != w.Origin || g.Format != w.Format || g.Reason != w.Reason || !g.At.Equal(w.At) || !bytes.Equal(g.Sample, w.Sample) {
			t.Errorf("record %d = %+v (%d sample bytes), want %+v (%d)", i, g, len(g.Sample), w, len(w.Sample))
		}
		if g.ID == 0 || seen[g.ID] {
			t.Errorf("record %d has ID %d: want a distinct non-zero ID", i, g.ID)
		}
		seen[g.ID] = true
	}

	got, err = s.Quarantine(t.Context(), store.QuarantineQuery{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Origin != q4.Origin || got[1].Origin != q3.Origin {
		t.Errorf("Quarantine(limit 2) = %+v, want c.json then b.json", got)
	}
}

func testCheckpoints(t *testing.T, s store.Store) {
	ctx := t.Context()
	if c, ok, err := s.Checkpoint(ctx, "s1", "k1"); err != nil || ok {
		t.Fatalf("missing checkpoint: %+v ok=%t err=%v, want ok=false", c, ok, err)
	}
	k1 := store.Checkpoint{Source: "s1", Key: "logs/k1.json.gz", Position: 10, Offset: 100, Size: 1000, ModTime: at(-time.Hour), FileID: "2049:131077"}
	k2 := store.Checkpoint{Source: "s1", Key: "logs/k2.json.gz", Position: 5, Offset: 50, Size: 50, ModTime: at(-2 * time.Hour), Done: true, UpdatedAt: at(time.Minute)}
	other := store.Checkpoint{Source: "s2", Key: "logs/k1.json.gz", Position: 99, ModTime: at(0), FileID: "64768:42"}
	commit(t, s, &store.Batch{Checkpoints: []store.Checkpoint{k1, k2, other}, Now: at(time.Hour)})
	k1.UpdatedAt, other.UpdatedAt = at(time.Hour), at(time.Hour) // no time: the batch's

	check := func(step string, want store.Checkpoint) {
		t.Helper()
		got, ok, err := s.Checkpoint(ctx, want.Source, want.Key)
		if err != nil || !ok {
			t.Fatalf("%s: Checkpoint(%s, %s): ok=%t err=%v", step, want.Source, want.Key, ok, err)
		}
		if !sameCheckpoint(got, want) {
			t.Errorf("%s: checkpoint %+v, want %+v", step, got, want)
		}
	}
	check("insert", k1)
	check("insert", k2)
	check("insert", other)

	k1.Position, k1.Offset, k1.Size, k1.Done, k1.ModTime, k1.UpdatedAt = 20, 200, 2000, true, at(time.Hour), at(3*time.Hour)
	k1.FileID = "2049:999999" // the file was replaced by another of the same name
	commit(t, s, &store.Batch{Checkpoints: []store.Checkpoint{k1}, Now: at(2 * time.Hour)})
	check("upsert", k1)
	k2.FileID, k2.UpdatedAt = "2049:7", at(4*time.Hour) // an identity first learned on update
	commit(t, s, &store.Batch{Checkpoints: []store.Checkpoint{k2}, Now: at(4 * time.Hour)})
	check("upsert with a file ID", k2)
	check("other source untouched", other)

	all, err := s.Checkpoints(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || !sameCheckpoint(all[k1.Key], k1) || !sameCheckpoint(all[k2.Key], k2) {
		t.Errorf("Checkpoints(s1) = %+v, want k1 and k2", all)
	}
	if none, err := s.Checkpoints(ctx, "s3"); err != nil || len(none) != 0 {
		t.Errorf("Checkpoints(s3) = %v, %v; want none", none, err)
	}
}

func sameCheckpoint(a, b store.Checkpoint) bool {
	return a.Source == b.Source && a.Key == b.Key && a.Position == b.Position && a.Offset == b.Offset &&
		a.Size == b.Size && a.ModTime.Equal(b.ModTime) && a.Done == b.Done && a.FileID == b.FileID && a.UpdatedAt.Equal(b.UpdatedAt) &&
		a.Expect == nil && b.Expect == nil
}

func ptr(n int64) *int64 { return &n }

// commitConflict commits b and fails the test unless the commit fails with
// store.ErrConflict.
func commitConflict(t *testing.T, s store.Store, b *store.Batch) {
	t.Helper()
	res, err := s.Commit(t.Context(), b)
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Commit = %+v, %v; want an error wrapping ErrConflict", res, err)
	}
	if len(res.NewFindings)+len(res.UpdatedFindings) != 0 {
		t.Errorf("failed Commit reported changes: %+v", res)
	}
}

// checkpointAt fails the test unless the checkpoint of source and key
// exists at position (with the file ID, when fileID is not "-"), or, for
// position < 0, does not exist.
func checkpointAt(t *testing.T, s store.Store, step, source, key string, position int64, fileID string) {
	t.Helper()
	c, ok, err := s.Checkpoint(t.Context(), source, key)
	if err != nil {
		t.Fatalf("%s: Checkpoint(%s, %s): %v", step, source, key, err)
	}
	switch {
	case position < 0 && ok:
		t.Errorf("%s: checkpoint %s %s = %+v, want none", step, source, key, c)
	case position < 0:
	case !ok:
		t.Errorf("%s: checkpoint %s %s missing, want position %d", step, source, key, position)
	case c.Position != position || (fileID != "-" && c.FileID != fileID):
		t.Errorf("%s: checkpoint %s %s at %d file %q, want %d file %q", step, source, key, c.Position, c.FileID, position, fileID)
	}
}

func testConditionalCheckpoints(t *testing.T, s store.Store) {
	// A new key: Expect 0 inserts.
	k := store.Checkpoint{Source: "s", Key: "k", Position: 10, Offset: 1000, Size: 5000, ModTime: at(0), FileID: "1:1", Expect: ptr(0)}
	commit(t, s, &store.Batch{Checkpoints: []store.Checkpoint{k}, Now: at(time.Hour)})
	checkpointAt(t, s, "insert expecting 0", "s", "k", 10, "1:1")
	got, _, err := s.Checkpoint(t.Context(), "s", "k")
	if err != nil {
		t.Fatal(err)
	}
	want := k
	want.Expect, want.UpdatedAt = nil, at(time.Hour)
	if !sameCheckpoint(got, want) {
		t.Errorf("conditional insert stored %+v, want %+v", got, want)
	}

	// The previous position updates.
	k.Position, k.Offset, k.Expect = 25, 2500, ptr(10)
	commit(t, s, &store.Batch{Checkpoints: []store.Checkpoint{k}, Now: at(2 * time.Hour)})
	checkpointAt(t, s, "update expecting the previous position", "s", "k", 25, "1:1")

	// Any other position conflicts and changes nothing: an older one, a
	// newer one, and 0 (a reader starting the file over).
	for _, stale := range []int64{10, 26, 0} {
		bad := k
		bad.Position, bad.FileID, bad.Expect = 40, "other", ptr(stale)
		commitConflict(t, s, &store.Batch{Checkpoints: []store.Checkpoint{bad}, Now: at(3 * time.Hour)})
		checkpointAt(t, s, fmt.Sprintf("after expecting %d", stale), "s", "k", 25, "1:1")
	}

	// A missing row is at position 0: any other Expect conflicts and inserts nothing.
	commitConflict(t, s, &store.Batch{Checkpoints: []store.Checkpoint{{Source: "s", Key: "missing", Position: 8, ModTime: at(0), Expect: ptr(3)}}, Now: at(3 * time.Hour)})
	checkpointAt(t, s, "missing row, expecting 3", "s", "missing", -1, "")
	// The same key of another source is another row.
	commitConflict(t, s, &store.Batch{Checkpoints: []store.Checkpoint{{Source: "other", Key: "k", Position: 30, ModTime: at(0), Expect: ptr(25)}}, Now: at(3 * time.Hour)})
	checkpointAt(t, s, "same key in another source", "other", "k", -1, "")

	// A stored row at position 0 matches Expect 0.
	commit(t, s, &store.Batch{Checkpoints: []store.Checkpoint{{Source: "s", Key: "zero", Position: 0, ModTime: at(0)}}, Now: at(time.Hour)})
	commit(t, s, &store.Batch{Checkpoints: []store.Checkpoint{{Source: "s", Key: "zero", Position: 4, ModTime: at(0), FileID: "9:9", Expect: ptr(0)}}, Now: at(time.Hour)})
	checkpointAt(t, s, "row at 0, expecting 0", "s", "zero", 4, "9:9")

	// Expect nil always writes, even backwards.
	k.Position, k.FileID, k.Expect = 3, "2:2", nil
	commit(t, s, &store.Batch{Checkpoints: []store.Checkpoint{k}, Now: at(4 * time.Hour)})
	checkpointAt(t, s, "unconditional write", "s", "k", 3, "2:2")
	k.Position, k.Expect = 50, ptr(25)
	commitConflict(t, s, &store.Batch{Checkpoints: []store.Checkpoint{k}, Now: at(5 * time.Hour)})
	k.Expect = ptr(3)
	commit(t, s, &store.Batch{Checkpoints: []store.Checkpoint{k}, Now: at(5 * time.Hour)})
	checkpointAt(t, s, "expecting the unconditionally written position", "s", "k", 50, "2:2")

	// Several conditional checkpoints in one batch, all matching.
	commit(t, s, &store.Batch{Checkpoints: []store.Checkpoint{
		{Source: "s", Key: "k", Position: 60, ModTime: at(0), FileID: "2:2", Expect: ptr(50)},
		{Source: "s", Key: "zero", Position: 5, ModTime: at(0), FileID: "9:9", Expect: ptr(4)},
		{Source: "s", Key: "new", Position: 1, ModTime: at(0), Expect: ptr(0)},
	}, Now: at(6 * time.Hour)})
	checkpointAt(t, s, "batch of matches", "s", "k", 60, "2:2")
	checkpointAt(t, s, "batch of matches", "s", "zero", 5, "9:9")
	checkpointAt(t, s, "batch of matches", "s", "new", 1, "")
}

// testConditionalConflictStoresNothing commits a batch with one of
// everything whose conditional checkpoint lost the race: none of it may be
// stored, and the store goes on working.
func testConditionalConflictStoresNothing(t *testing.T, s store.Store) {
	const acct = "111111111111"
	existing := newFinding(acct, typeRecon, "existing", withCount(1))
	commit(t, s, &store.Batch{
		Findings: []finding.Finding{existing},
		Quarantine: []store.Quarantined{
			quarantined("src", "a.json", 0, at(0)), quarantined("src", "a.json", 1, at(0)), quarantined("src", "a.json", 2, at(0)),
		},
		Checkpoints: []store.Checkpoint{
			{Source: "src", Key: "a", Position: 7, ModTime: at(0), FileID: "a"},
			{Source: "src", Key: "k", Position: 25, ModTime: at(0), FileID: "k"},
		},
		Now: at(0),
	})

	repeat := newFinding(acct, typeRecon, "existing", withCount(5))
	added := newFinding(acct, typeRecon, "new-in-batch")
	again := quarantined("src", "a.json", 1, at(time.Hour))
	again.Reason = "read again"
	batch := func(expect int64) *store.Batch {
		return &store.Batch{
			Findings:   []finding.Finding{repeat, added},
			Evidence:   []finding.Evidence{evidence(existing.ID, "ev", at(0), []byte("raw")), evidence(added.ID, "ev2", at(0), []byte("raw"))},
			Quarantine: []store.Quarantined{again, quarantined("src", "b.json", 0, at(time.Hour))},
			Reread:     []store.Reread{{Source: "src", Path: "a.json", From: 0}},
			// Unconditional writes sorting before and after the conditional one.
			Checkpoints: []store.Checkpoint{
				{Source: "src", Key: "z", Position: 3, ModTime: at(time.Hour)},
				{Source: "src", Key: "k", Position: 40, ModTime: at(time.Hour), FileID: "k2", Expect: ptr(expect)},
				{Source: "src", Key: "a", Position: 8, ModTime: at(time.Hour), FileID: "a2"},
			},
			Now: at(time.Hour),
		}
	}
	commitConflict(t, s, batch(10))

	if got := getFinding(t, s, existing.ID); got.Service.Count != 1 || !got.UpdatedAt.Equal(at(0)) {
		t.Errorf("existing finding merged into: count %d updatedAt %v, want 1 and %v", got.Service.Count, got.UpdatedAt, at(0))
	}
	if _, err := s.GetFinding(t.Context(), added.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("new finding of the failed batch: %v, want ErrNotFound", err)
	}
	if _, total := listAll(t, s); total != 1 {
		t.Errorf("%d findings, want 1", total)
	}
	if ev := evidenceOf(t, s, existing.ID); len(ev) != 0 {
		t.Errorf("evidence of the failed batch stored: %v", ev)
	}
	qs, err := s.Quarantine(t.Context(), store.QuarantineQuery{Source: "src"})
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 3 {
		t.Errorf("quarantine after the failed batch: %+v, want the 3 records of a.json", qs)
	}
	for _, q := range qs {
		if q.Origin.Path != "a.json" || q.Reason != "bad json" {
			t.Errorf("quarantine after the failed batch has %+v, want only the original a.json records", q)
		}
	}
	checkpointAt(t, s, "failed batch", "src", "a", 7, "a")
	checkpointAt(t, s, "failed batch", "src", "k", 25, "k")
	checkpointAt(t, s, "failed batch", "src", "z", -1, "")

	// The same batch expecting the stored position is stored whole.
	res := commit(t, s, batch(25))
	if !slices.Equal(res.NewFindings, []string{added.ID}) || !slices.Equal(res.UpdatedFindings, []string{existing.ID}) {
		t.Errorf("result %+v, want new [%s] updated [%s]", res, added.ID, existing.ID)
	}
	if got := getFinding(t, s, existing.ID); got.Service.Count != 6 {
		t.Errorf("after the matching commit: count %d, want 6", got.Service.Count)
	}
	if ev := evidenceOf(t, s, existing.ID); len(ev) != 1 {
		t.Errorf("after the matching commit: %d evidence rows, want 1", len(ev))
	}
	if n := quarantineCount(t, s, "src"); n != 2 {
		t.Errorf("after the matching commit: %d quarantined, want a.json#1 (read again) and b.json#0", n)
	}
	checkpointAt(t, s, "matching batch", "src", "a", 8, "a2")
	checkpointAt(t, s, "matching batch", "src", "k", 40, "k2")
	checkpointAt(t, s, "matching batch", "src", "z", 3, "")
}

// testConditionalConcurrentCommits has several writers (two picket
// processes reading one file) commit the same records with the same
// expected checkpoint at once: exactly one may store them. Round 0 races on
// a checkpoint that does not exist yet, later rounds on a stored one. With
// withFinding, every batch also carries the same finding, which must be
// counted once per round.
func testConditionalConcurrentCommits(t *testing.T, s store.Store, withFinding bool) {
	const (
		workers = 8
		rounds  = 12
	)
	f := newFinding("111111111111", typeRecon, "RACE")
	for r := range rounds {
		expect := int64(10 * r)
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			winners   []int
			conflicts int
			errs      []error
		)
		start := make(chan struct{})
		for w := range workers {
			wg.Go(func() {
				<-start
				var fs []finding.Finding
				if withFinding {
					fs = []finding.Finding{f}
				}
				_, err := s.Commit(t.Context(), &store.Batch{
					Findings:   fs,
					Quarantine: []store.Quarantined{quarantined("race", fmt.Sprintf("w%d", w), int64(r), at(0))},
					Checkpoints: []store.Checkpoint{{Source: "race", Key: "file", Position: expect + 10, ModTime: at(0),
						FileID: fmt.Sprint(w), Expect: ptr(expect)}},
					Now: at(time.Duration(r) * time.Minute),
				})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					winners = append(winners, w)
				case errors.Is(err, store.ErrConflict):
					conflicts++
				default:
					errs = append(errs, fmt.Errorf("round %d worker %d: %w", r, w, err))
				}
			})
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			t.Error(err)
		}
		if len(winners) != 1 || conflicts != workers-1 {
			t.Fatalf("round %d: %d commits succeeded (%v), %d conflicted; want 1 and %d", r, len(winners), winners, conflicts, workers-1)
		}
		if withFinding {
			if got := getFinding(t, s, f.ID); got.Service.Count != int64(r+1) {
				t.Errorf("round %d: finding count %d, want %d", r, got.Service.Count, r+1)
			}
		}
		checkpointAt(t, s, fmt.Sprintf("round %d", r), "race", "file", expect+10, fmt.Sprint(winners[0]))
		qs, err := s.Quarantine(t.Context(), store.QuarantineQuery{Source: "race", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(qs) != r+1 {
			t.Errorf("round %d: %d quarantined records, want %d (the winners')", r, len(qs), r+1)
		}
		for _, q := range qs {
			if q.Origin.Index == int64(r) && q.Origin.Path != fmt.Sprintf("w%d", winners[0]) {
				t.Errorf("round %d: a losing commit's record %+v stored", r, q.Origin)
			}
		}
	}
}

func testReread(t *testing.T, s store.Store) {
	var rows []store.Quarantined
	for _, o := range []struct{ source, path string }{{"s1", "a.json"}, {"s1", "b.json"}, {"s2", "a.json"}} {
		for i := range int64(5) {
			rows = append(rows, quarantined(o.source, o.path, i, at(time.Duration(i)*time.Second)))
		}
	}
	commit(t, s, &store.Batch{Quarantine: rows, Now: at(0)})

	// a.json of s1 is read again from record 2: records 2 and 4 fail again
	// (with another reason), record 3 now decodes.
	re2 := quarantined("s1", "a.json", 2, at(time.Hour))
	re2.Reason = "truncated"
	re4 := quarantined("s1", "a.json", 4, at(time.Hour))
	re4.Reason = "truncated"
	commit(t, s, &store.Batch{
		Quarantine: []store.Quarantined{re4, re2},
		Reread:     []store.Reread{{Source: "s1", Path: "a.json", From: 2}},
		Now:        at(time.Hour),
	})
	type key struct {
		source, path string
		index        int64
	}
	stored := func() map[key]string {
		t.Helper()
		qs, err := s.Quarantine(t.Context(), store.QuarantineQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		out := map[key]string{}
		for _, q := range qs {
			out[key{q.Origin.Source, q.Origin.Path, q.Origin.Index}] = q.Reason
		}
		return out
	}
	want := map[key]string{}
	for _, q := range rows {
		want[key{q.Origin.Source, q.Origin.Path, q.Origin.Index}] = q.Reason
	}
	delete(want, key{"s1", "a.json", 3})
	want[key{"s1", "a.json", 2}] = "truncated"
	want[key{"s1", "a.json", 4}] = "truncated"
	check := func(step string) {
		t.Helper()
		got := stored()
		for k, reason := range want {
			if r, ok := got[k]; !ok || r != reason {
				t.Errorf("%s: record %+v reason %q (stored %t), want %q", step, k, r, ok, reason)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("%s: record %+v stored, want it removed", step, k)
			}
		}
	}
	check("reread from 2")

	// A batch with only a Reread is not empty, and removes the records.
	only := &store.Batch{Reread: []store.Reread{{Source: "s2", Path: "a.json", From: 3}}, Now: at(2 * time.Hour)}
	if only.Empty() {
		t.Error("a batch with only Reread is Empty")
	}
	commit(t, s, only)
	delete(want, key{"s2", "a.json", 3})
	delete(want, key{"s2", "a.json", 4})
	check("reread-only batch")

	// From 0 removes the whole object's records; a From past them removes none.
	commit(t, s, &store.Batch{Reread: []store.Reread{{Source: "s1", Path: "b.json", From: 0}, {Source: "s1", Path: "a.json", From: 5}}, Now: at(3 * time.Hour)})
	for i := range int64(5) {
		delete(want, key{"s1", "b.json", i})
	}
	check("reread from 0 and past the end")
}

func testEmptyBatch(t *testing.T, s store.Store) {
	for _, b := range []*store.Batch{nil, {}, {Now: at(0), EvidenceLimit: 3}} {
		res, err := s.Commit(t.Context(), b)
		if err != nil || len(res.NewFindings)+len(res.UpdatedFindings) != 0 {
			t.Errorf("Commit(%+v) = %+v, %v; want nothing", b, res, err)
		}
	}
	if _, total := listAll(t, s); total != 0 {
		t.Errorf("%d findings after empty commits", total)
	}
}

func testUTC(t *testing.T, s store.Store) {
	zone := time.FixedZone("UTC+5", 5*3600)
	in := func(d time.Duration) time.Time { return at(d).In(zone) }
	f := newFinding("111111111111", typeRecon, "Z", withSeen(in(0), in(time.Minute), "GetObject"))
	commit(t, s, &store.Batch{
		Findings:    []finding.Finding{f},
		Evidence:    []finding.Evidence{evidence(f.ID, "e", in(time.Second), []byte("x"))},
		Quarantine:  []store.Quarantined{quarantined("s", "p", 0, in(2*time.Second))},
		Checkpoints: []store.Checkpoint{{Source: "s", Key: "k", ModTime: in(3 * time.Second), UpdatedAt: in(4 * time.Second)}},
		Now:         in(time.Hour),
	})
	utc := func(what string, got, want time.Time) {
		t.Helper()
		if got.Location() != time.UTC || !got.Equal(want) {
			t.Errorf("%s = %v, want %v in UTC", what, got, want.UTC())
		}
	}
	got := getFinding(t, s, f.ID)
	utc("createdAt", got.CreatedAt, at(time.Hour))
	utc("updatedAt", got.UpdatedAt, at(time.Hour))
	utc("eventFirstSeen", got.Service.EventFirstSeen, at(0))
	utc("eventLastSeen", got.Service.EventLastSeen, at(time.Minute))
	if ev := evidenceOf(t, s, f.ID); len(ev) == 1 {
		utc("evidence time", ev[0].EventTime, at(time.Second))
	} else {
		t.Errorf("%d evidence rows, want 1", len(ev))
	}
	if qs, err := s.Quarantine(t.Context(), store.QuarantineQuery{}); err == nil && len(qs) == 1 {
		utc("quarantine time", qs[0].At, at(2*time.Second))
	} else {
		t.Errorf("quarantine %v %v, want 1 record", qs, err)
	}
	if c, ok, err := s.Checkpoint(t.Context(), "s", "k"); err == nil && ok {
		utc("checkpoint modTime", c.ModTime, at(3*time.Second))
		utc("checkpoint updatedAt", c.UpdatedAt, at(4*time.Second))
	} else {
		t.Errorf("checkpoint ok=%t err=%v", ok, err)
	}
	// A since in another zone is the same instant.
	fs, total, err := s.ListFindings(t.Context(), store.FindingQuery{Since: in(time.Hour)})
	if err != nil || total != 1 || len(fs) != 1 {
		t.Errorf("since the commit instant in UTC+5: %d %v %v, want the finding", total, ids(fs), err)
	}
	if _, total, _ := s.ListFindings(t.Context(), store.FindingQuery{Since: in(time.Hour + time.Second)}); total != 0 {
		t.Errorf("since after the commit: %d findings, want 0", total)
	}
}

func testAtomicity(t *testing.T, fresh func(*testing.T) store.Store) {
	const acct = "111111111111"
	unknownID := "00000000000000000000000000000000"
	tests := []struct {
		name string
		// batch builds the failing batch; existing is a stored finding it merges into.
		batch func(existing finding.Finding) *store.Batch
		ctx   func(t *testing.T) context.Context
		is    error // the commit's error wraps this, when set
	}{
		{
			// The evidence row's finding exists nowhere: the database
			// rejects it, after the findings were already written.
			name: "evidence of an unknown finding",
			batch: func(existing finding.Finding) *store.Batch {
				b := fullBatch(existing)
				b.Evidence = append(b.Evidence, evidence(unknownID, "orphan", at(0), []byte("x")))
				return b
			},
			ctx: func(t *testing.T) context.Context { return t.Context() },
		},
		{
			name:  "cancelled context",
			batch: fullBatch,
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				return ctx
			},
			is: context.Canceled,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := fresh(t)
			existing := newFinding(acct, typeRecon, "existing", withCount(1))
			commit(t, s, &store.Batch{Findings: []finding.Finding{existing}, Now: at(0)})
			b := tc.batch(existing)
			res, err := s.Commit(tc.ctx(t), b)
			if err == nil {
				t.Fatalf("Commit succeeded (%+v), want an error", res)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("Commit error %v, want one wrapping %v", err, tc.is)
			}
			if got := getFinding(t, s, existing.ID); got.Service.Count != 1 || !got.UpdatedAt.Equal(at(0)) {
				t.Errorf("existing finding changed: count %d updatedAt %v", got.Service.Count, got.UpdatedAt)
			}
			if _, err := s.GetFinding(t.Context(), b.Findings[1].ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("new finding of the failed batch: %v, want ErrNotFound", err)
			}
			if ev := evidenceOf(t, s, existing.ID); len(ev) != 0 {
				t.Errorf("evidence of the failed batch stored: %v", ev)
			}
			if n := quarantineCount(t, s, ""); n != 0 {
				t.Errorf("%d quarantined records of the failed batch stored", n)
			}
			if c, ok, err := s.Checkpoint(t.Context(), "src", "key"); err != nil || ok {
				t.Errorf("checkpoint of the failed batch: %+v ok=%t err=%v", c, ok, err)
			}
			// The store still works.
			commit(t, s, fullBatch(existing))
			if got := getFinding(t, s, existing.ID); got.Service.Count != 6 {
				t.Errorf("after a good commit: count %d, want 6", got.Service.Count)
			}
		})
	}
}

// fullBatch merges into existing and adds one of everything else.
func fullBatch(existing finding.Finding) *store.Batch {
	repeat := newFinding(existing.AccountID, existing.Type, existing.Keys.Resource, withCount(5))
	added := newFinding(existing.AccountID, existing.Type, "new-in-batch")
	return &store.Batch{
		Findings:    []finding.Finding{repeat, added},
		Evidence:    []finding.Evidence{evidence(existing.ID, "ev", at(0), []byte("raw"))},
		Quarantine:  []store.Quarantined{quarantined("src", "bad.json", 3, at(0))},
		Checkpoints: []store.Checkpoint{{Source: "src", Key: "key", Position: 10, ModTime: at(0)}},
		Now:         at(time.Hour),
	}
}

func testConcurrentCommits(t *testing.T, s store.Store) {
	const (
		workers = 8
		rounds  = 10
		limit   = 5
	)
	a := newFinding("111111111111", typeRecon, "A")
	b := newFinding("111111111111", typeRecon, "B")
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		errs    []error
		created = map[string]int{}
		updated = map[string]int{}
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	start := make(chan struct{}) // released together, so the first inserts race too
	for w := range workers {
		wg.Go(func() {
			<-start
			for r := range rounds {
				fs := []finding.Finding{a, b}
				if w%2 == 1 {
					fs = []finding.Finding{b, a} // opposite orders must not deadlock
				}
				res, err := s.Commit(t.Context(), &store.Batch{
					Findings:      fs,
					Evidence:      []finding.Evidence{evidence(a.ID, fmt.Sprintf("w%d-r%d", w, r), at(time.Duration(r)*time.Second), []byte("x"))},
					EvidenceLimit: limit,
					Now:           at(time.Duration(w*rounds+r) * time.Second),
				})
				if err != nil {
					fail(fmt.Errorf("worker %d round %d: %w", w, r, err))
					return
				}
				mu.Lock()
				for _, id := range res.NewFindings {
					created[id]++
				}
				for _, id := range res.UpdatedFindings {
					updated[id]++
				}
				mu.Unlock()
			}
		})
	}
	// Archiving concurrently takes the same row locks, in its own order.
	wg.Go(func() {
		<-start
		for i := range rounds {
			if _, err := s.SetArchived(t.Context(), []string{b.ID, a.ID}, i%2 == 0, at(time.Hour)); err != nil {
				fail(fmt.Errorf("SetArchived %d: %w", i, err))
				return
			}
		}
	})
	close(start)
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	for _, f := range []finding.Finding{a, b} {
		got := getFinding(t, s, f.ID)
		if got.Service.Count != workers*rounds {
			t.Errorf("finding %s: count %d, want %d", f.ID[:6], got.Service.Count, workers*rounds)
		}
		if created[f.ID] != 1 || updated[f.ID] != workers*rounds-1 {
			t.Errorf("finding %s: reported new %d times and updated %d, want 1 and %d", f.ID[:6], created[f.ID], updated[f.ID], workers*rounds-1)
		}
	}
	if ev := evidenceOf(t, s, a.ID); len(ev) != limit {
		t.Errorf("%d evidence rows under concurrent commits, want the limit %d", len(ev), limit)
	}
}

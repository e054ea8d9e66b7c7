package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/search"
	"github.com/picket-dev/picket/internal/store"
)

func storedEvent(acct, action, actor, ip string, when time.Time, src string) store.StoredEvent {
	return store.StoredEvent{Time: when, Account: acct, Region: "us-east-1", Kind: "cloudtrail", Source: src,
		EventID: fmt.Sprintf("%s-%s-%d", acct, action, when.UnixNano()), Actor: actor, SrcIP: ip, Action: action,
		Service: "s3.amazonaws.com", Outcome: "success", Resource: "arn:aws:s3:::bucket-" + acct,
		Raw: []byte(fmt.Sprintf(`{"eventName":%q}`, action))}
}

func search1(t *testing.T, s store.Store, q store.EventQuery, filter string) []store.StoredEvent {
	t.Helper()
	f, err := search.Parse(filter)
	if err != nil {
		t.Fatal(err)
	}
	q.Filter = f
	evs, err := s.SearchEvents(context.Background(), q)
	if err != nil {
		t.Fatalf("search %q: %v", filter, err)
	}
	return evs
}

func actions(evs []store.StoredEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Account + ":" + e.Action
	}
	return out
}

// Stored events are found by the query language, scoped by account and
// time, newest first, page by page; the raw record comes back; pruning
// removes only what is old, per source.
func testEvents(t *testing.T, s store.Store) {
	ctx := context.Background()
	evs := []store.StoredEvent{
		storedEvent("111111111111", "ListBuckets", "arn:aws:iam::111111111111:user/alice", "203.0.113.5", at(1*time.Hour), "trail"),
		storedEvent("111111111111", "DeleteBucket", "arn:aws:iam::111111111111:user/alice", "203.0.113.9", at(2*time.Hour), "trail"),
		storedEvent("111111111111", "DeleteObject", "arn:aws:iam::111111111111:user/bob", "198.51.100.7", at(3*time.Hour), "trail"),
		storedEvent("222222222222", "DeleteBucket", "arn:aws:iam::222222222222:user/carol", "203.0.113.20", at(4*time.Hour), "trail"),
		storedEvent("222222222222", "GetObject", "arn:aws:iam::222222222222:user/carol", "2001:db8::1", at(5*time.Hour), "data"),
	}
	evs[2].Outcome = "failure"
	commit(t, s, &store.Batch{Events: evs, Now: at(6 * time.Hour)})

	cases := []struct {
		name   string
		q      store.EventQuery
		filter string
		want   []string
	}{
		{"all newest first", store.EventQuery{}, "", []string{"222222222222:GetObject", "222222222222:DeleteBucket", "111111111111:DeleteObject", "111111111111:DeleteBucket", "111111111111:ListBuckets"}},
		{"wildcard", store.EventQuery{}, "action=Delete*", []string{"222222222222:DeleteBucket", "111111111111:DeleteObject", "111111111111:DeleteBucket"}},
		{"case-sensitive", store.EventQuery{}, "action=delete*", []string{}},
		{"scoped to one account", store.EventQuery{Accounts: []string{"111111111111"}}, "action=Delete*", []string{"111111111111:DeleteObject", "111111111111:DeleteBucket"}},
		{"empty scope sees nothing", store.EventQuery{Accounts: []string{}}, "", []string{}},
		{"account field cannot widen the scope", store.EventQuery{Accounts: []string{"111111111111"}}, "account=222222222222", []string{}},
		{"cidr", store.EventQuery{}, "srcIP in 203.0.113.0/24", []string{"222222222222:DeleteBucket", "111111111111:DeleteBucket", "111111111111:ListBuckets"}},
		{"ipv6 cidr", store.EventQuery{}, "srcIP in 2001:db8::/32", []string{"222222222222:GetObject"}},
		{"not and or", store.EventQuery{}, "NOT (outcome=failure OR actor=*carol)", []string{"111111111111:DeleteBucket", "111111111111:ListBuckets"}},
		{"time range", store.EventQuery{Since: at(2 * time.Hour), Until: at(4 * time.Hour)}, "", []string{"111111111111:DeleteObject", "111111111111:DeleteBucket"}},
		{"limit", store.EventQuery{Limit: 2}, "", []string{"222222222222:GetObject", "222222222222:DeleteBucket"}},
		{"page after a cursor", store.EventQuery{Limit: 2, Before: &store.EventCursor{Time: at(4 * time.Hour), ID: 0}}, "", []string{"111111111111:DeleteObject", "111111111111:DeleteBucket"}},
		{"cursor keeps same-time rows with smaller ids", store.EventQuery{Limit: 2, Before: &store.EventCursor{Time: at(4 * time.Hour), ID: 1 << 40}}, "", []string{"222222222222:DeleteBucket", "111111111111:DeleteObject"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := actions(search1(t, s, tc.q, tc.filter))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}

	// Paging through everything two at a time visits each event once.
	var seen []string
	var cur *store.EventCursor
	for range 10 {
		page := search1(t, s, store.EventQuery{Limit: 2, Before: cur}, "")
		if len(page) == 0 {
			break
		}
		seen = append(seen, actions(page)...)
		last := page[len(page)-1]
		cur = &store.EventCursor{Time: last.Time, ID: last.ID}
	}
	if len(seen) != len(evs) {
		t.Errorf("paging saw %v", seen)
	}

	all := search1(t, s, store.EventQuery{}, "action=GetObject")
	if len(all) != 1 || string(all[0].Raw) != `{"eventName":"GetObject"}` || !all[0].Time.Equal(at(5*time.Hour)) || all[0].Time.Location() != time.UTC ||
		all[0].SrcIP != "2001:db8::1" || all[0].Source != "data" {
		t.Fatalf("stored event: %+v", all)
	}
	one, err := s.GetEvent(ctx, all[0].ID)
	if err != nil || one.Action != "GetObject" || string(one.Raw) != string(all[0].Raw) {
		t.Fatalf("GetEvent: %+v %v", one, err)
	}
	if _, err := s.GetEvent(ctx, 1<<50); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing event: %v", err)
	}

	// Retention is per source: trail events before 3h go, data stays.
	n, err := s.PruneEvents(ctx, "trail", at(3*time.Hour), 0)
	if err != nil || n != 2 {
		t.Fatalf("pruned %d, %v; want 2", n, err)
	}
	n, err = s.PruneEvents(ctx, "", at(100*time.Hour), 1)
	if err != nil || n != 1 {
		t.Fatalf("pruned %d with limit 1, %v", n, err)
	}
	if got := search1(t, s, store.EventQuery{}, ""); len(got) != 2 {
		t.Fatalf("after pruning: %v", actions(got))
	}
}

// Many events in one commit (more than one INSERT statement) all arrive,
// and a failing commit stores none of them.
func testEventsBulk(t *testing.T, s store.Store) {
	var evs []store.StoredEvent
	for i := range 450 {
		evs = append(evs, storedEvent("111111111111", fmt.Sprintf("Call%03d", i), "a", "10.0.0.1", at(time.Duration(i)*time.Second), "trail"))
	}
	commit(t, s, &store.Batch{Events: evs})
	if got := search1(t, s, store.EventQuery{Limit: 1000}, ""); len(got) != 450 || got[0].Action != "Call449" {
		t.Fatalf("%d events stored, first %v", len(got), actions(got[:1]))
	}
	bad := store.Batch{Events: evs[:3], Evidence: []finding.Evidence{evidence("no-such-finding", "e1", at(0), nil)}}
	if _, err := s.Commit(context.Background(), &bad); err == nil {
		t.Fatal("commit with orphan evidence succeeded")
	}
	if got := search1(t, s, store.EventQuery{Limit: 1000}, ""); len(got) != 450 {
		t.Fatalf("a failed commit stored events: %d", len(got))
	}
}

// Detector state is upserted with commits and read back per detector.
func testDetectorState(t *testing.T, s store.Store) {
	ctx := context.Background()
	commit(t, s, &store.Batch{State: []store.StateEntry{
		{Detector: "baseline", Key: "111/alice", Value: []byte{1, 2, 3}},
		{Detector: "baseline", Key: "111/bob", Value: []byte("bob-v1")},
		{Detector: "sequence", Key: "k", Value: []byte("s")},
	}, Now: at(time.Hour)})
	commit(t, s, &store.Batch{State: []store.StateEntry{{Detector: "baseline", Key: "111/bob", Value: []byte("bob-v2")}}, Now: at(2 * time.Hour)})
	got, err := s.LoadState(ctx, "baseline")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Key != "111/alice" || string(got[0].Value) != "\x01\x02\x03" || string(got[1].Value) != "bob-v2" ||
		!got[1].UpdatedAt.Equal(at(2*time.Hour)) || got[1].Detector != "baseline" {
		t.Fatalf("state: %+v", got)
	}
	commit(t, s, &store.Batch{State: []store.StateEntry{{Detector: "baseline", Key: "111/alice"}}, Now: at(3 * time.Hour)})
	if got, err := s.LoadState(ctx, "baseline"); err != nil || len(got) != 1 || got[0].Key != "111/bob" {
		t.Fatalf("after deleting alice: %+v %v", got, err)
	}
	if none, err := s.LoadState(ctx, "nothing"); err != nil || len(none) != 0 {
		t.Fatalf("unknown detector: %v %v", none, err)
	}
}

// Actors and Resources select findings by their exact fingerprint keys,
// within the account scope: a key that is a substring of another's does
// not match it.
func testRelatedFilters(t *testing.T, s store.Store) {
	mk := func(acct, actor, res string) finding.Finding {
		f := newFinding(acct, "Recon:IAMUser/MaliciousIPCaller", actor+res)
		f.Keys.Actor, f.Keys.Resource = actor, res
		f.Seal()
		return f
	}
	fs := []finding.Finding{
		mk("111111111111", "deploy-bot-4", "bucket-a"),
		mk("111111111111", "deploy-bot-47", "bucket-a"),
		mk("111111111111", "deploy-bot-4", "bucket-b"),
		mk("222222222222", "deploy-bot-4", "bucket-a"),
	}
	commit(t, s, &store.Batch{Findings: fs, Now: at(time.Hour)})
	count := func(q store.FindingQuery) int {
		t.Helper()
		got, total, err := s.ListFindings(context.Background(), q)
		if err != nil || total != len(got) {
			t.Fatalf("%+v: %d/%d %v", q, len(got), total, err)
		}
		return total
	}
	for _, c := range []struct {
		q    store.FindingQuery
		want int
	}{
		{store.FindingQuery{Actors: []string{"deploy-bot-4"}}, 3},
		{store.FindingQuery{Actors: []string{"deploy-bot-4"}, Accounts: []string{"111111111111"}}, 2},
		{store.FindingQuery{Resources: []string{"bucket-a"}, Accounts: []string{"111111111111"}}, 2},
		{store.FindingQuery{Actors: []string{"deploy-bot-4"}, Resources: []string{"bucket-b"}}, 1},
		{store.FindingQuery{Actors: []string{"deploy-bot"}}, 0},
	} {
		if got := count(c.q); got != c.want {
			t.Errorf("actors %v resources %v accounts %v: %d, want %d", c.q.Actors, c.q.Resources, c.q.Accounts, got, c.want)
		}
	}
}

// FacetTop < 0 counts severities only, the same as the full facets do.
func testSeverityOnlyFacets(t *testing.T, s store.Store) {
	ctx := context.Background()
	var fs []finding.Finding
	for i, sev := range []float64{2, 5, 5, 8, 9.5} {
		fs = append(fs, newFinding("111111111111", "Recon:IAMUser/MaliciousIPCaller", fmt.Sprint("k", i), withSeverity(sev)))
	}
	commit(t, s, &store.Batch{Findings: fs, Now: at(time.Hour)})
	full, err := s.FindingFacets(ctx, store.FindingQuery{})
	if err != nil {
		t.Fatal(err)
	}
	only, err := s.FindingFacets(ctx, store.FindingQuery{FacetTop: -1})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(only.Severity) != fmt.Sprint(full.Severity) || only.Total != 5 || len(only.Types) != 0 || len(only.Accounts) != 0 ||
		full.Severity["Medium"] != 2 || len(full.Types) != 1 {
		t.Errorf("severity only %+v, full %+v", only, full)
	}
}

package storetest

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/store"
)

// queryFixture is a set of committed findings, some with an alert, chosen
// so that every filter, sort key and facet has ties and edges.
type queryFixture struct {
	findings []finding.Finding // as stored
	alerts   map[string]string // finding ID → its alert's state
}

const (
	qAcctA, qAcctB, qAcctC = "111111111111", "222222222222", "333333333333"
	typeExfil              = "Exfiltration:S3/ObjectRead.Unusual"
)

// newQueryFixture commits 16 findings over three accounts and three types,
// with severities on every label edge, shared updatedAt/count/seen times,
// and titles carrying LIKE's wildcards; and opens alerts on five of them.
func newQueryFixture(t *testing.T, s store.Store) queryFixture {
	t.Helper()
	type spec struct {
		acct, typ, key string
		sev            float64
		count          int64
		first, last    time.Duration
		commitAt       int // hour of the commit: equal hours tie on updatedAt
		title          string
	}
	specs := []spec{
		{qAcctA, typeRecon, "k01", 1, 5, 0, 10, 1, "Port probe 100%_done"},
		{qAcctA, typeRecon, "k02", 3.9, 5, 0, 10, 1, "Port probe 100xxdone"},
		{qAcctA, typeStealth, "k03", 4, 2, 1, 20, 2, `Logging off C:\temp`},
		{qAcctA, typeExfil, "k04", 6.9, 7, 2, 20, 2, "Unusual read of prod_bucket"},
		{qAcctB, typeRecon, "k05", 7, 7, 2, 30, 2, "Unusual read of prodXbucket"},
		{qAcctB, typeStealth, "k06", 8.9, 1, 3, 30, 3, "MixedCase TITLE"},
		{qAcctB, typeExfil, "k07", 9, 9, 3, 40, 3, "exfil"},
		{qAcctB, typeExfil, "k08", 10, 9, 4, 40, 3, "exfil"},
		{qAcctC, typeRecon, "k09", 5, 3, 4, 50, 4, "recon"},
		{qAcctC, typeRecon, "k10", 5, 3, 5, 50, 4, "recon"},
		{qAcctC, typeStealth, "k11", 8, 3, 5, 60, 4, "stealth"},
		{qAcctC, typeExfil, "k12", 2, 1, 6, 60, 5, "exfil"},
		{qAcctA, typeRecon, "k13", 9.5, 4, 6, 70, 5, "recon"},
		{qAcctB, typeRecon, "k14", 5, 4, 7, 70, 5, "recon"},
		{qAcctC, typeStealth, "k15", 7.5, 4, 7, 80, 6, "stealth"},
		{qAcctA, typeExfil, "k16", 4.5, 2, 8, 80, 6, "exfil"},
	}
	// Fillers, so that common filters match many findings: ListFindings
	// reads small pages of many matches differently (in updatedAt order)
	// from pages of few, and both must give the same answer.
	fillTypes := []string{typeRecon, typeStealth, typeExfil}
	for i := range 40 {
		specs = append(specs, spec{[]string{qAcctA, qAcctB, qAcctC}[i%3], fillTypes[i/3%3], fmt.Sprintf("f%02d", i),
			float64(1+i*7%90) / 10, int64(1 + i%4), time.Duration(i % 9), time.Duration(10 + i%11), i % 7, fmt.Sprintf("filler %d", i)})
	}
	byHour := map[int][]finding.Finding{}
	for _, sp := range specs {
		f := newFinding(sp.acct, sp.typ, sp.key, withCount(sp.count), func(f *finding.Finding) {
			f.Severity, f.Title = sp.sev, sp.title
			f.Service.EventFirstSeen, f.Service.EventLastSeen = at(sp.first*time.Minute), at(sp.last*time.Minute)
			f.Keys.Actor = "arn:aws:iam::" + sp.acct + ":user/" + sp.key + "-actor"
		})
		byHour[sp.commitAt] = append(byHour[sp.commitAt], f)
	}
	for _, h := range slices.Sorted(maps.Keys(byHour)) {
		commit(t, s, &store.Batch{Findings: byHour[h], Now: at(time.Duration(h) * time.Hour)})
	}
	var fx queryFixture
	all, _, err := s.ListFindings(t.Context(), store.FindingQuery{Limit: 1000})
	if err != nil || len(all) != len(specs) {
		t.Fatalf("listing the fixture: %d findings, want %d (%v)", len(all), len(specs), err)
	}
	fx.findings = all
	// Archive two (they keep their updatedAt: SetArchived at their commit hour).
	for _, key := range []string{"k03", "k11"} {
		f := fx.byKey(t, key)
		setArchived(t, s, []string{f.ID}, true, f.UpdatedAt)
		f.Service.Archived = true
	}

	// Alerts in every state but notified; k01's is notified.
	fx.alerts = map[string]string{}
	open := func(key string, acts ...alert.Action) {
		f := fx.byKey(t, key)
		a := alert.Alert{FindingID: f.ID, Account: f.AccountID, Type: f.Type, Severity: f.Severity, Route: "account:" + f.AccountID}
		got, _, err := s.ApplyAlert(t.Context(), "alert-"+key, &a, alert.Action{Kind: alert.Open, Actor: "picket", At: at(0)})
		if err != nil {
			t.Fatalf("opening alert of %s: %v", key, err)
		}
		for _, act := range acts {
			act.Actor, act.At = "console:alice", at(time.Minute)
			if got, _, err = s.ApplyAlert(t.Context(), "alert-"+key, nil, act); err != nil {
				t.Fatalf("alert of %s: %v", key, err)
			}
		}
		fx.alerts[f.ID] = string(got.State)
	}
	open("k01", alert.Action{Kind: alert.Notify})
	open("k05")
	open("k07", alert.Action{Kind: alert.Acknowledge})
	open("k08", alert.Action{Kind: alert.Resolve})
	open("k13", alert.Action{Kind: alert.Archive, Reason: alert.FalsePositive})
	for i := 0; i < 40; i += 3 {
		switch key := fmt.Sprintf("f%02d", i); i % 4 {
		case 0:
			open(key)
		case 1:
			open(key, alert.Action{Kind: alert.Acknowledge})
		case 2:
			open(key, alert.Action{Kind: alert.Resolve})
		default:
			open(key, alert.Action{Kind: alert.Notify})
		}
	}
	return fx
}

func (fx *queryFixture) byKey(t *testing.T, key string) *finding.Finding {
	t.Helper()
	for i := range fx.findings {
		if fx.findings[i].Keys.Resource == key {
			return &fx.findings[i]
		}
	}
	t.Fatalf("no fixture finding %s", key)
	return nil
}

// matches is the reference filter, written independently of SQL.
func (fx *queryFixture) matches(q store.FindingQuery, f *finding.Finding) bool {
	in := func(vals []string, v string) bool { return len(vals) == 0 || slices.Contains(vals, v) }
	if !in(q.Accounts, f.AccountID) || !in(q.Types, f.Type) || !in(q.Regions, f.Region) {
		return false
	}
	if q.MinSeverity > 0 && f.Severity < q.MinSeverity || q.MaxSeverity > 0 && f.Severity >= q.MaxSeverity {
		return false
	}
	if q.Archived != nil && f.Service.Archived != *q.Archived {
		return false
	}
	if !q.Since.IsZero() && f.UpdatedAt.Before(q.Since) || !q.Until.IsZero() && !f.UpdatedAt.Before(q.Until) {
		return false
	}
	if q.Text != "" && !slices.ContainsFunc([]string{f.Type, f.Title, f.Keys.Actor, f.Keys.Resource, f.ID}, func(s string) bool {
		return strings.Contains(strings.ToLower(s), strings.ToLower(q.Text))
	}) {
		return false
	}
	if len(q.AlertStates) > 0 {
		st, ok := fx.alerts[f.ID]
		if !ok {
			st = store.AlertNone
		}
		if !slices.Contains(q.AlertStates, st) {
			return false
		}
	}
	return true
}

// expect is the reference ListFindings: every match in q.Sort's order.
func (fx *queryFixture) expect(q store.FindingQuery) []string {
	var fs []finding.Finding
	for i := range fx.findings {
		if fx.matches(q, &fx.findings[i]) {
			fs = append(fs, fx.findings[i])
		}
	}
	desc := func(a, b time.Time) int { return b.Compare(a) }
	slices.SortFunc(fs, func(a, b finding.Finding) int {
		var c int
		switch q.Sort {
		case "", store.SortUpdated:
			c = desc(a.UpdatedAt, b.UpdatedAt)
		case store.SortSeverity:
			c = cmp.Or(cmp.Compare(b.Severity, a.Severity), desc(a.UpdatedAt, b.UpdatedAt))
		case store.SortCount:
			c = cmp.Compare(b.Service.Count, a.Service.Count)
		case store.SortFirstSeen:
			c = desc(a.Service.EventFirstSeen, b.Service.EventFirstSeen)
		case store.SortLastSeen:
			c = desc(a.Service.EventLastSeen, b.Service.EventLastSeen)
		}
		return cmp.Or(c, strings.Compare(a.ID, b.ID))
	})
	return ids(fs)
}

// expectFacets is the reference FindingFacets, by brute force.
func (fx *queryFixture) expectFacets(q store.FindingQuery) store.Facets {
	out := store.Facets{Severity: map[string]int{"Low": 0, "Medium": 0, "High": 0, "Critical": 0}}
	types, accts := map[string]int{}, map[string]int{}
	for i := range fx.findings {
		f := &fx.findings[i]
		if !fx.matches(q, f) {
			continue
		}
		out.Total++
		out.Severity[finding.LabelOf(f.Severity).String()]++
		types[f.Type]++
		accts[f.AccountID]++
	}
	top := func(m map[string]int) []store.KeyCount {
		kcs := []store.KeyCount{}
		for k, n := range m {
			kcs = append(kcs, store.KeyCount{Key: k, Count: n})
		}
		slices.SortFunc(kcs, func(a, b store.KeyCount) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Key, b.Key))
		})
		return kcs[:min(len(kcs), store.FacetsTop)]
	}
	out.Types, out.Accounts = top(types), top(accts)
	return out
}

// findingQueries are the filters the query tests run, alone and combined.
func findingQueries(fx queryFixture) []struct {
	name string
	q    store.FindingQuery
} {
	yes, no := true, false
	idPart := strings.ToUpper(fx.findings[3].ID[5:13]) // case-insensitive on IDs too
	type qc = struct {
		name string
		q    store.FindingQuery
	}
	return []qc{
		{"all", store.FindingQuery{}},
		{"account", store.FindingQuery{Accounts: []string{qAcctA}}},
		{"accounts", store.FindingQuery{Accounts: []string{qAcctA, qAcctC}}},
		{"unknown account", store.FindingQuery{Accounts: []string{"999999999999"}}},
		{"low", store.FindingQuery{MinSeverity: 1, MaxSeverity: 4}},
		{"medium", store.FindingQuery{MinSeverity: 4, MaxSeverity: 7}},
		{"high", store.FindingQuery{MinSeverity: 7, MaxSeverity: 9}},
		{"critical", store.FindingQuery{MinSeverity: 9}},
		{"max only", store.FindingQuery{MaxSeverity: 5}},
		{"empty severity range", store.FindingQuery{MinSeverity: 8, MaxSeverity: 8}},
		{"since", store.FindingQuery{Since: at(3 * time.Hour)}},
		{"until exclusive", store.FindingQuery{Until: at(3 * time.Hour)}},
		{"since until", store.FindingQuery{Since: at(2 * time.Hour), Until: at(5 * time.Hour)}},
		{"until before all", store.FindingQuery{Until: at(time.Hour)}},
		{"text in type", store.FindingQuery{Text: "stealth:"}},
		{"text in title, any case", store.FindingQuery{Text: "mixedcase title"}},
		{"text percent", store.FindingQuery{Text: "100%"}},
		{"text underscore", store.FindingQuery{Text: "%_d"}},
		{"text underscore literal", store.FindingQuery{Text: "prod_bucket"}},
		{"text backslash", store.FindingQuery{Text: `c:\TEMP`}},
		{"text in actor", store.FindingQuery{Text: "user/K05-"}},
		{"text in resource", store.FindingQuery{Text: "k1"}},
		{"text in id", store.FindingQuery{Text: idPart}},
		{"text nothing", store.FindingQuery{Text: "no such thing"}},
		{"alert new", store.FindingQuery{AlertStates: []string{"new"}}},
		{"alert open", store.FindingQuery{AlertStates: []string{"new", "notified", "acknowledged"}}},
		{"alert closed", store.FindingQuery{AlertStates: []string{"resolved", "archived"}}},
		{"alert none", store.FindingQuery{AlertStates: []string{store.AlertNone}}},
		{"alert none or new", store.FindingQuery{AlertStates: []string{store.AlertNone, "new", "new"}}},
		{"archived", store.FindingQuery{Archived: &yes}},
		{"types", store.FindingQuery{Types: []string{typeRecon, typeExfil}}},
		{"scope and high open", store.FindingQuery{Accounts: []string{qAcctB, qAcctC}, MinSeverity: 7, MaxSeverity: 9, Archived: &no}},
		{"scope and text", store.FindingQuery{Accounts: []string{qAcctA}, Text: "EXFIL"}},
		{"scope, type, alert, until", store.FindingQuery{Accounts: []string{qAcctA, qAcctB}, Types: []string{typeRecon},
			AlertStates: []string{"notified", "new"}, Until: at(5 * time.Hour)}},
		{"text and alert none", store.FindingQuery{Text: "exfil", AlertStates: []string{store.AlertNone}}},
		{"everything", store.FindingQuery{Accounts: []string{qAcctA, qAcctB, qAcctC}, Types: []string{typeRecon, typeStealth, typeExfil},
			Regions: []string{"us-east-1"}, MinSeverity: 1, MaxSeverity: 10, Archived: &no, Since: at(0), Until: at(10 * time.Hour),
			Text: "e", AlertStates: []string{"none", "new", "notified", "acknowledged", "resolved", "archived"}}},
		{"nothing", store.FindingQuery{Accounts: []string{qAcctC}, AlertStates: []string{"resolved"}}},
	}
}

func testFindingFilters(t *testing.T, s store.Store) {
	fx := newQueryFixture(t, s)
	for _, tc := range findingQueries(fx) {
		for _, sort := range append([]string{""}, store.FindingSorts...) {
			t.Run(tc.name+"/"+cmp.Or(sort, "default"), func(t *testing.T) {
				q := tc.q
				q.Sort = sort
				want := fx.expect(q)
				fs, total, err := s.ListFindings(t.Context(), q)
				if err != nil {
					t.Fatalf("ListFindings: %v", err)
				}
				if got := ids(fs); !slices.Equal(got, want) && len(got)+len(want) > 0 {
					t.Errorf("IDs %v, want %v", short(got), short(want))
				}
				if total != len(want) {
					t.Errorf("total %d, want %d", total, len(want))
				}
				// Small pages, read in updatedAt order when many match.
				for _, off := range []int{0, 1, 2, 7} {
					q.Limit, q.Offset = 2, off
					fs, total, err := s.ListFindings(t.Context(), q)
					if err != nil {
						t.Fatalf("ListFindings: %v", err)
					}
					w := want[min(off, len(want)):min(off+2, len(want))]
					if got := ids(fs); !slices.Equal(got, w) && len(got)+len(w) > 0 {
						t.Errorf("page at %d: IDs %v, want %v", off, short(got), short(w))
					}
					if total != len(want) {
						t.Errorf("page at %d: total %d, want %d", off, total, len(want))
					}
				}
			})
		}
	}
	// The fixture has ties on every sort key and several matches for most
	// filters: both must hold for the checks above to mean anything.
	for name, n := range map[string]int{
		"high":         len(fx.expect(store.FindingQuery{MinSeverity: 7, MaxSeverity: 9})),
		"text percent": len(fx.expect(store.FindingQuery{Text: "100%"})),
		"alert none":   len(fx.expect(store.FindingQuery{AlertStates: []string{store.AlertNone}})),
	} {
		if n == 0 {
			t.Errorf("fixture: %s matches nothing", name)
		}
	}
}

func testFindingSortPaging(t *testing.T, s store.Store) {
	fx := newQueryFixture(t, s)
	for _, sort := range append([]string{""}, store.FindingSorts...) {
		for name, filter := range map[string]store.FindingQuery{
			"all": {}, "scope": {Accounts: []string{qAcctA, qAcctB}}, "no alert": {AlertStates: []string{"none"}},
		} {
			q := filter
			q.Sort = sort
			want := fx.expect(q)
			for _, size := range []int{1, 3, 5} {
				t.Run(fmt.Sprintf("%s/%s/by %d", cmp.Or(sort, "default"), name, size), func(t *testing.T) {
					var got []string
					for off := 0; off < len(want)+size; off += size {
						q.Limit, q.Offset = size, off
						fs, total, err := s.ListFindings(t.Context(), q)
						if err != nil {
							t.Fatalf("ListFindings: %v", err)
						}
						if total != len(want) {
							t.Fatalf("page at %d: total %d, want %d", off, total, len(want))
						}
						got = append(got, ids(fs)...)
					}
					if !slices.Equal(got, want) {
						t.Errorf("pages %v, want %v", short(got), short(want))
					}
				})
			}
		}
	}
	// Every sort key has ties in the fixture, so the order above rests on
	// the ID tiebreak.
	seen := map[string]map[string]bool{}
	for _, f := range fx.findings {
		for key, v := range map[string]string{
			"updated": f.UpdatedAt.String(), "severity": fmt.Sprint(f.Severity), "count": fmt.Sprint(f.Service.Count),
			"first_seen": f.Service.EventFirstSeen.String(), "last_seen": f.Service.EventLastSeen.String(),
		} {
			if seen[key] == nil {
				seen[key] = map[string]bool{}
			}
			seen[key][v] = true
		}
	}
	for key, vals := range seen {
		if len(vals) == len(fx.findings) {
			t.Errorf("fixture: no tie on %s", key)
		}
	}
}

func testFindingFacets(t *testing.T, s store.Store) {
	fx := newQueryFixture(t, s)
	for _, tc := range findingQueries(fx) {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.Limit, q.Offset, q.Sort = 1, 1, store.SortCount // ignored
			got, err := s.FindingFacets(t.Context(), q)
			if err != nil {
				t.Fatalf("FindingFacets: %v", err)
			}
			want := fx.expectFacets(tc.q)
			if got.Total != want.Total || !maps.Equal(got.Severity, want.Severity) ||
				!slices.Equal(got.Types, want.Types) || !slices.Equal(got.Accounts, want.Accounts) {
				t.Errorf("facets %+v\nwant %+v", got, want)
			}
			if got.Types == nil || got.Accounts == nil {
				t.Errorf("nil facet lists %+v (want empty ones)", got)
			}
		})
	}
}

// testFindingFacetsTop checks the top-10 cut and its order: count
// descending, then key ascending.
func testFindingFacetsTop(t *testing.T, s store.Store) {
	var fs []finding.Finding
	for i := range 12 { // account i has 1 + i%4 findings, type i as many
		for j := range 1 + i%4 {
			f := newFinding(fmt.Sprintf("%012d", 900+i), fmt.Sprintf("Type%02d:EC2/Probe", i), fmt.Sprintf("k%d-%d", i, j))
			fs = append(fs, f)
		}
	}
	commit(t, s, &store.Batch{Findings: fs, Now: at(0)})
	got, err := s.FindingFacets(t.Context(), store.FindingQuery{})
	if err != nil {
		t.Fatal(err)
	}
	// Counts 4: i=3,7,11; 3: 2,6,10; 2: 1,5,9; 1: 0,4,8 (the last two cut).
	order := []int{3, 7, 11, 2, 6, 10, 1, 5, 9, 0}
	var wantAccts, wantTypes []store.KeyCount
	for _, i := range order {
		wantAccts = append(wantAccts, store.KeyCount{Key: fmt.Sprintf("%012d", 900+i), Count: 1 + i%4})
		wantTypes = append(wantTypes, store.KeyCount{Key: fmt.Sprintf("Type%02d:EC2/Probe", i), Count: 1 + i%4})
	}
	if !slices.Equal(got.Accounts, wantAccts) || !slices.Equal(got.Types, wantTypes) || got.Total != len(fs) {
		t.Errorf("facets %+v\nwant accounts %+v types %+v total %d", got, wantAccts, wantTypes, len(fs))
	}
}

func testFindingQueryErrors(t *testing.T, s store.Store) {
	newQueryFixture(t, s)
	for _, q := range []store.FindingQuery{{Sort: "title"}, {Sort: "Updated"}, {AlertStates: []string{"open"}}} {
		if _, _, err := s.ListFindings(t.Context(), q); err == nil {
			t.Errorf("ListFindings(%+v) succeeded, want an error", q)
		} else if q.Sort != "" && !strings.Contains(err.Error(), store.SortFirstSeen) {
			t.Errorf("ListFindings(%+v): %v, want the allowed sorts named", q, err)
		}
	}
	if _, err := s.FindingFacets(t.Context(), store.FindingQuery{AlertStates: []string{"bogus"}}); err == nil {
		t.Error("FindingFacets with an unknown alert state succeeded, want an error")
	}
	// An empty store has facets with every label at zero.
	empty, err := s.FindingFacets(t.Context(), store.FindingQuery{Accounts: []string{"000000000000"}})
	if err != nil {
		t.Fatal(err)
	}
	if empty.Total != 0 || len(empty.Severity) != 4 || len(empty.Types) != 0 || len(empty.Accounts) != 0 {
		t.Errorf("facets of nothing %+v", empty)
	}
}

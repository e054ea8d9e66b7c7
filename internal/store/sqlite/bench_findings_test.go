package sqlite_test

import (
	"context"
	"testing"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/store"
	"github.com/picket-dev/picket/internal/store/sqlite"
	"github.com/picket-dev/picket/internal/store/sqlite/sqlitebench"
)

// The findings benchmark runs the web console's queries on a database of a
// million findings (package sqlitebench builds it once into os.TempDir()
// and reuses it while the schema is unchanged).
//
//	go test -run '^$' -bench Findings -benchtime 20x ./internal/store/sqlite
func BenchmarkFindings(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 1M-finding database; skipped with -short")
	}
	ctx := context.Background()
	path := sqlitebench.Findings(b)
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()

	acct := sqlitebench.Account(sqlitebench.Accounts / 2)
	var scope []string // a console user's 100 accounts
	for i := range 100 {
		scope = append(scope, sqlitebench.Account(i*7))
	}
	high := store.FindingQuery{MinSeverity: 7, MaxSeverity: 9, Limit: 50}
	// The detail page's related findings: the same actor, then the same
	// resource, in the finding's account (here the one with the most).
	big := sqlitebench.Account(0)
	fs, _, err := s.ListFindings(ctx, store.FindingQuery{Accounts: []string{big}, Limit: 1})
	if err != nil || len(fs) == 0 {
		b.Fatalf("no finding in %s: %v", big, err)
	}
	related := fs[0].Keys
	lists := []struct {
		name string
		q    store.FindingQuery
	}{
		{"ListAll", store.FindingQuery{Limit: 50}},
		{"ListAccount", store.FindingQuery{Accounts: []string{acct}, Limit: 50}},
		{"ListHigh", high},
		{"ListText", store.FindingQuery{Text: "Deploy-Bot-17", Limit: 50}},
		{"ListAlertAcknowledged", store.FindingQuery{AlertStates: []string{string(alert.Acknowledged)}, Limit: 50}},
		{"ListSortSeverity", store.FindingQuery{Sort: store.SortSeverity, Limit: 50}},
		{"ListPage100", store.FindingQuery{Limit: 50, Offset: 5000}},
		{"ListAccountHighOpen", store.FindingQuery{Accounts: []string{acct}, MinSeverity: 7, MaxSeverity: 9,
			Archived: new(false), Limit: 50}},
		{"ListScope100Accounts", store.FindingQuery{Accounts: scope, Limit: 50}},
		{"ListNoAlert", store.FindingQuery{AlertStates: []string{store.AlertNone}, Limit: 50}},
		{"ListAccountText", store.FindingQuery{Accounts: []string{acct}, Text: "deploy-bot-17", Limit: 50}},
		{"ListSortCount", store.FindingQuery{Sort: store.SortCount, Limit: 50}},
		{"ListRelatedActor", store.FindingQuery{Accounts: []string{big}, Text: related.Actor, Limit: 11}},
		{"ListRelatedResource", store.FindingQuery{Accounts: []string{big}, Text: related.Resource, Limit: 11}},
		{"ListTextShort", store.FindingQuery{Text: "17", Limit: 50}},
		{"ListTextRare", store.FindingQuery{Text: "AKIA00", Limit: 50}},
	}
	for _, l := range lists {
		b.Run(l.name, func(b *testing.B) {
			var (
				n, total int
			)
			for b.Loop() {
				fs, t, err := s.ListFindings(ctx, l.q)
				if err != nil {
					b.Fatal(err)
				}
				n, total = len(fs), t
			}
			b.ReportMetric(float64(total), "total")
			b.ReportMetric(float64(n), "rows")
		})
	}
	facets := []struct {
		name string
		q    store.FindingQuery
	}{
		{"FacetsAll", store.FindingQuery{}},
		{"FacetsAccount", store.FindingQuery{Accounts: []string{acct}}},
		{"FacetsHigh", store.FindingQuery{MinSeverity: 7, MaxSeverity: 9}},
		{"FacetsText", store.FindingQuery{Text: "deploy-bot-17"}},
	}
	for _, f := range facets {
		b.Run(f.name, func(b *testing.B) {
			var total int
			for b.Loop() {
				fc, err := s.FindingFacets(ctx, f.q)
				if err != nil {
					b.Fatal(err)
				}
				total = fc.Total
			}
			b.ReportMetric(float64(total), "total")
		})
	}
}

package sqlite_test

import (
	"context"
	"testing"

	"github.com/picket-dev/picket/internal/search"
	"github.com/picket-dev/picket/internal/store"
	"github.com/picket-dev/picket/internal/store/sqlite"
	"github.com/picket-dev/picket/internal/store/sqlite/sqlitebench"
)

// The events benchmark runs the investigation searches on ten million
// stored events (with the million findings; package sqlitebench builds the
// database once into os.TempDir()). "Big" is the account with the most
// events (about 35,000 a day), "Mid" the 51st (about 1,000 a day).
//
//	go test -run '^$' -bench Events -benchtime 20x ./internal/store/sqlite
func BenchmarkEvents(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 10M-event database; skipped with -short")
	}
	ctx := context.Background()
	s, err := sqlite.Open(ctx, sqlitebench.Combined(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	since, until := sqlitebench.EventDay(sqlitebench.EventDays / 2)
	accounts := []struct {
		name string
		ids  []string
	}{
		{"Big", []string{sqlitebench.Account(0)}},
		{"Mid", []string{sqlitebench.Account(50)}},
	}
	filters := []struct{ name, q string }{
		{"All", ""},
		{"ActionDelete", "action=Delete*"},
		{"SrcIPCIDR", "srcIP in 203.0.113.0/24"},
		{"ActorAlice", "actor=*alice*"},
	}
	parse := func(q string) *search.Query {
		f, err := search.Parse(q)
		if err != nil {
			b.Fatal(err)
		}
		return f
	}
	search := func(b *testing.B, q store.EventQuery) {
		var n int
		for b.Loop() {
			evs, err := s.SearchEvents(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			n = len(evs)
		}
		b.ReportMetric(float64(n), "rows")
	}
	for _, a := range accounts {
		for _, f := range filters {
			b.Run(a.name+"Day"+f.name, func(b *testing.B) {
				search(b, store.EventQuery{Accounts: a.ids, Filter: parse(f.q), Since: since, Until: until, Limit: 100})
			})
		}
	}
	b.Run("AdminDayAll", func(b *testing.B) {
		search(b, store.EventQuery{Filter: parse(""), Since: since, Until: until, Limit: 100})
	})
	b.Run("AdminDayActionDelete", func(b *testing.B) {
		search(b, store.EventQuery{Filter: parse("action=Delete*"), Since: since, Until: until, Limit: 100})
	})
	// A console user's 100 accounts (every seventh by size).
	var scope []string
	for i := range 100 {
		scope = append(scope, sqlitebench.Account(i*7))
	}
	b.Run("Scope100DayAll", func(b *testing.B) {
		search(b, store.EventQuery{Accounts: scope, Filter: parse(""), Since: since, Until: until, Limit: 100})
	})
	b.Run("Scope100DayActorAlice", func(b *testing.B) {
		search(b, store.EventQuery{Accounts: scope, Filter: parse("actor=*alice*"), Since: since, Until: until, Limit: 100})
	})
	// The second page, and a page deep into the day (after 20,000 events).
	for _, p := range []struct {
		name string
		skip int
	}{{"BigDayPage2", 100}, {"BigDayPage201", 20000}} {
		q := store.EventQuery{Accounts: accounts[0].ids, Filter: parse(""), Since: since, Until: until, Limit: p.skip}
		evs, err := s.SearchEvents(ctx, q)
		if err != nil || len(evs) < p.skip {
			b.Fatalf("%d events, %v", len(evs), err)
		}
		last := evs[len(evs)-1]
		q.Before, q.Limit = &store.EventCursor{Time: last.Time, ID: last.ID}, 100
		b.Run(p.name, func(b *testing.B) { search(b, q) })
	}
	// The export of one account's day: pages of 1,000 as the console's
	// export reads them, until the day is done.
	for _, a := range accounts {
		b.Run(a.name+"DayExport", func(b *testing.B) {
			var n int
			for b.Loop() {
				n = 0
				q := store.EventQuery{Accounts: a.ids, Filter: parse(""), Since: since, Until: until, Limit: 1000}
				for {
					evs, err := s.SearchEvents(ctx, q)
					if err != nil {
						b.Fatal(err)
					}
					n += len(evs)
					if len(evs) < q.Limit {
						break
					}
					last := evs[len(evs)-1]
					q.Before = &store.EventCursor{Time: last.Time, ID: last.ID}
				}
			}
			b.ReportMetric(float64(n), "rows")
		})
	}
}

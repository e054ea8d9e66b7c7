package sqlstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/store"
)

// findingOrders are the ORDER BY clauses of store.FindingQuery.Sort, each
// ending with the ID so that equal keys keep one order across pages.
var findingOrders = map[string]string{
	"":                  "updated_at DESC, id",
	store.SortUpdated:   "updated_at DESC, id",
	store.SortSeverity:  "severity DESC, updated_at DESC, id",
	store.SortCount:     "count DESC, id",
	store.SortFirstSeen: "first_seen DESC, id",
	store.SortLastSeen:  "last_seen DESC, id",
}

func findingOrder(sort string) (string, error) {
	o, ok := findingOrders[sort]
	if !ok {
		return "", fmt.Errorf("unknown finding sort %q (want one of %s)", sort, strings.Join(store.FindingSorts, ", "))
	}
	return o, nil
}

// alertStates are the states store.FindingQuery.AlertStates accepts.
var alertStates = []string{string(alert.New), string(alert.Notified), string(alert.Acknowledged), string(alert.Resolved),
	string(alert.Archived), store.AlertNone}

// findingFilter is a validated store.FindingQuery's filter, which writes
// WHERE clauses in the forms the queries below need.
type findingFilter struct {
	q      store.FindingQuery
	states []string // alert states, without store.AlertNone
	none   bool     // findings without an alert match too
	text   string   // the trigram index to take Text candidates from, or ""
}

// textScanMax is how many findings of the queried accounts the LIKE
// conditions read themselves rather than take the trigram index's
// candidates: its phrase query costs about as much for any account (it
// reads the matches of every account), while an account's findings are one
// index range, counted from the index first.
const textScanMax = 20_000

func (s *Store) newFindingFilter(ctx context.Context, q store.FindingQuery) (*findingFilter, error) {
	f := &findingFilter{q: q}
	if s.d.FindingsText != "" && utf8.RuneCountInString(q.Text) >= 3 {
		f.text = s.d.FindingsText
		if len(q.Accounts) > 0 {
			var n int
			args := make([]any, len(q.Accounts))
			for i, a := range q.Accounts {
				args[i] = a
			}
			if err := s.queryRow(ctx, s.db, "SELECT COUNT(*) FROM (SELECT 1 FROM findings WHERE account_id IN ("+placeholders(len(args))+
				") LIMIT "+strconv.Itoa(textScanMax+1)+")", args...).Scan(&n); err != nil {
				return nil, err
			}
			if n <= textScanMax {
				f.text = ""
			}
		}
	}
	for _, st := range q.AlertStates {
		switch {
		case st == store.AlertNone:
			f.none = true
		case slices.Contains(alertStates, st):
			f.states = append(f.states, st)
		default:
			return nil, fmt.Errorf("unknown alert state %q (want one of %s)", st, strings.Join(alertStates, ", "))
		}
	}
	slices.Sort(f.states)
	f.states = slices.Compact(f.states)
	return f, nil
}

// alertCond says how where writes the AlertStates condition.
type alertCond int

const (
	// alertIn writes it as IN (subquery): the engine may start from the
	// alerts, which suits a few matches.
	alertIn alertCond = iota
	// alertExists writes it as a correlated [NOT] EXISTS, checked per
	// finding, which suits reading findings in order until a page is full.
	alertExists
	// alertOmit leaves it out.
	alertOmit
	// alertExcluded replaces it by its complement among findings that
	// have an alert: an alert, but none in one of the states. The
	// findings matching "none or one of the states" are then those
	// matching without it minus these (see count).
	alertExcluded
)

// where is the WHERE clause (empty, or starting with " WHERE ") and its
// arguments. With scanOrder, the severity range and lists of several
// accounts or types are written so that no index can serve them
// (+severity, account_id || ”), leaving the engine to read the default
// order's index and check them on the way: ListFindings does this when so
// many findings match that a page is found long before all the matches
// would have been read and sorted.
func (f *findingFilter) where(ac alertCond, scanOrder bool) (string, []any) {
	q := f.q
	var (
		conds []string
		args  []any
	)
	in := func(col string, vals []string) {
		if len(vals) == 0 {
			return
		}
		if scanOrder && len(vals) > 1 {
			// One value reads its (col, updated_at) index in order;
			// several would be read whole and sorted.
			col += " || ''"
		}
		conds = append(conds, col+" IN ("+placeholders(len(vals))+")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	in("account_id", q.Accounts)
	in("type", q.Types)
	in("region", q.Regions)
	in("key_actor", q.Actors)
	in("key_resource", q.Resources)
	sev := "severity"
	if scanOrder {
		sev = "+severity"
	}
	if q.MinSeverity > 0 {
		conds, args = append(conds, sev+" >= ?"), append(args, q.MinSeverity)
	}
	if q.MaxSeverity > 0 {
		conds, args = append(conds, sev+" < ?"), append(args, q.MaxSeverity)
	}
	if q.Archived != nil {
		conds, args = append(conds, "archived = ?"), append(args, *q.Archived)
	}
	if !q.Since.IsZero() {
		conds, args = append(conds, "updated_at >= ?"), append(args, q.Since)
	}
	if !q.Until.IsZero() {
		conds, args = append(conds, "updated_at < ?"), append(args, q.Until)
	}
	if q.Text != "" {
		if f.text != "" {
			// The trigram index's matches (case-folded, so a superset of
			// the LIKEs') are the candidates; shorter text has no trigram.
			conds = append(conds, "id IN (SELECT id FROM "+f.text+" WHERE "+f.text+" MATCH ?)")
			args = append(args, `"`+strings.ReplaceAll(q.Text, `"`, `""`)+`"`)
		}
		// lower() on both sides: SQLite runs with case_sensitive_like on,
		// and ILIKE is PostgreSQL's alone.
		pattern := "%" + escapeLike(strings.ToLower(q.Text)) + "%"
		var or []string
		for _, col := range []string{"type", "title", "key_actor", "key_resource", "id"} {
			or, args = append(or, "lower("+col+`) LIKE ? ESCAPE '\'`), append(args, pattern)
		}
		conds = append(conds, "("+strings.Join(or, " OR ")+")")
	}
	if len(q.AlertStates) > 0 && ac != alertOmit {
		stateArgs := func() string {
			for _, st := range f.states {
				args = append(args, st)
			}
			return placeholders(len(f.states))
		}
		var or []string
		switch ac {
		case alertIn:
			if len(f.states) > 0 {
				or = append(or, "id IN (SELECT finding_id FROM alerts WHERE state IN ("+stateArgs()+"))")
			}
			if f.none {
				or = append(or, "id NOT IN (SELECT finding_id FROM alerts)")
			}
		case alertExists:
			if len(f.states) > 0 {
				or = append(or, "EXISTS (SELECT 1 FROM alerts WHERE alerts.finding_id = findings.id AND alerts.state IN ("+stateArgs()+"))")
			}
			if f.none {
				or = append(or, "NOT EXISTS (SELECT 1 FROM alerts WHERE alerts.finding_id = findings.id)")
			}
		case alertExcluded:
			c := "id IN (SELECT finding_id FROM alerts)"
			if len(f.states) > 0 {
				c += " AND id NOT IN (SELECT finding_id FROM alerts WHERE state IN (" + stateArgs() + "))"
			}
			or = append(or, c)
		}
		conds = append(conds, "("+strings.Join(or, " OR ")+")")
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// escapeLike escapes LIKE's wildcards (and the escape character, \) so s
// matches itself.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// countBy counts the findings matching f, by the value of col (one key ""
// when col is empty). With "no alert" among the alert states, a NOT IN over
// every finding would be checked finding by finding, so it is counted as
// all the findings matching the rest of f minus those with an alert and
// none in the states, which start from the alerts table: exact, as both
// are sets of findings.
func (s *Store) countBy(ctx context.Context, col string, f *findingFilter) (map[any]int, error) {
	if !f.none {
		return s.groupCount(ctx, col, f, alertIn)
	}
	all, err := s.groupCount(ctx, col, f, alertOmit)
	if err != nil {
		return nil, err
	}
	excluded, err := s.groupCount(ctx, col, f, alertExcluded)
	if err != nil {
		return nil, err
	}
	for k, n := range excluded {
		if all[k] -= n; all[k] <= 0 {
			delete(all, k)
		}
	}
	return all, nil
}

// groupCount counts the findings matching f (its alert condition written
// as ac), by col. Keys are strings, or float64 for severity.
func (s *Store) groupCount(ctx context.Context, col string, f *findingFilter, ac alertCond) (map[any]int, error) {
	cond, args := f.where(ac, false)
	query := "SELECT '', COUNT(*) FROM findings" + cond
	if col != "" {
		query = "SELECT " + col + ", COUNT(*) FROM findings" + cond + " GROUP BY " + col
	}
	rows, err := s.query(ctx, s.db, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[any]int)
	for rows.Next() {
		var (
			key any
			n   int
		)
		if col == "severity" {
			var sev float64
			err, key = rows.Scan(&sev, &n), sev
		} else {
			var k string
			err, key = rows.Scan(&k, &n), k
		}
		if err != nil {
			return nil, err
		}
		if n > 0 {
			out[key] = n
		}
	}
	return out, rows.Err()
}

// countFindings is how many findings match f.
func (s *Store) countFindings(ctx context.Context, f *findingFilter) (int, error) {
	m, err := s.countBy(ctx, "", f)
	return m[""], err
}

// denseFactor decides how ListFindings reads a page in the default order:
// when at least this many times offset+limit findings match, reading the
// updated_at index until the page is full finds it within about 1/denseFactor
// of the table, so the severity range is not read through its own index
// and sorted (which costs a row read per match); otherwise it is.
const denseFactor = 20

// FindingFacets implements store.Store: the three groupings run at once.
func (s *Store) FindingFacets(ctx context.Context, q store.FindingQuery) (store.Facets, error) {
	f, err := s.newFindingFilter(ctx, q)
	if err != nil {
		return store.Facets{}, fmt.Errorf("finding facets: %w", err)
	}
	cols := []string{"severity", "type", "account_id"}
	if q.FacetTop < 0 {
		cols = cols[:1] // severity only
	}
	counts := make([]map[any]int, 3)
	if f.text != "" {
		// The trigram index's candidates are found once, not per grouping.
		if counts, err = s.groupCountAll(ctx, f); err != nil {
			return store.Facets{}, fmt.Errorf("finding facets: %w", err)
		}
	} else {
		errs := make([]error, len(cols))
		var wg sync.WaitGroup
		for i, col := range cols {
			wg.Go(func() { counts[i], errs[i] = s.countBy(ctx, col, f) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return store.Facets{}, fmt.Errorf("finding facets: %w", err)
		}
	}
	out := store.Facets{Severity: map[string]int{}}
	for _, l := range []finding.Label{finding.Low, finding.Medium, finding.High, finding.Critical} {
		out.Severity[l.String()] = 0
	}
	for sev, n := range counts[0] {
		out.Severity[finding.LabelOf(sev.(float64)).String()] += n
		out.Total += n
	}
	if q.FacetTop < 0 {
		out.Types, out.Accounts = []store.KeyCount{}, []store.KeyCount{}
		return out, nil
	}
	out.Types, out.Accounts = topKeys(counts[1], q.FacetTop), topKeys(counts[2], q.FacetTop)
	return out, nil
}

// groupCountAll counts the findings matching f by severity, type and
// account_id (keys as groupCount's) in one pass over the matches.
func (s *Store) groupCountAll(ctx context.Context, f *findingFilter) ([]map[any]int, error) {
	cond, args := f.where(alertIn, false)
	rows, err := s.query(ctx, s.db, "SELECT severity, type, account_id FROM findings"+cond, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []map[any]int{{}, {}, {}}
	for rows.Next() {
		var (
			sev       float64
			typ, acct string
		)
		if err := rows.Scan(&sev, &typ, &acct); err != nil {
			return nil, err
		}
		out[0][sev]++
		out[1][typ]++
		out[2][acct]++
	}
	return out, rows.Err()
}

// topKeys returns the store.FacetsTop keys with the highest counts, count
// descending then key ascending (bytewise, whatever the database's
// collation).
func topKeys(counts map[any]int, top int) []store.KeyCount {
	if top <= 0 {
		top = store.FacetsTop
	}
	kcs := make([]store.KeyCount, 0, len(counts))
	for k, n := range counts {
		kcs = append(kcs, store.KeyCount{Key: k.(string), Count: n})
	}
	slices.SortFunc(kcs, func(a, b store.KeyCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Key, b.Key))
	})
	return kcs[:min(len(kcs), top)]
}

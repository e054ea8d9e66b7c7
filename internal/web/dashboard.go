package web

import (
	"cmp"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/chart"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/store"
)

type dashboardData struct {
	Days          int
	OpenTotal     int
	PastSLA       int
	OpenChart     template.HTML // open alerts by account, stacked by severity
	OpenBySev     template.HTML
	ResponseChart template.HTML // time to acknowledge / resolve per day
	TypesChart    template.HTML
	ByAccount     []alert.StatRow
	ByType        []alert.StatRow
	Sources       []SourceHealth
	Quarantine    []store.Quarantined
	Admin         bool
}

var sevOrder = []string{"Critical", "High", "Medium", "Low"}

func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request, v *view) error {
	p := principalOf(r)
	ctx := r.Context()
	now := s.now()
	const days = 30
	d := &dashboardData{Days: days, Admin: p.Role == Admin}
	v.Title, v.Nav, v.Data = "Dashboard", "dashboard", d
	if s.Health != nil {
		d.Sources = s.Health()
	}
	if d.Admin {
		q, err := s.Store.Quarantine(ctx, store.QuarantineQuery{Limit: 20})
		if err != nil {
			return err
		}
		d.Quarantine = q
	}
	accounts, ok := p.scopeAccounts(nil)
	if !ok {
		s.render(w, http.StatusOK, "dashboard", v)
		return nil
	}
	since := now.Add(-days * 24 * time.Hour)
	as, err := s.Store.ListAlerts(ctx, store.AlertQuery{Accounts: accounts, Since: since, Limit: 100_000})
	if err != nil {
		return err
	}
	open, err := s.Store.ListAlerts(ctx, store.AlertQuery{Accounts: accounts, States: openStates, Limit: 100_000})
	if err != nil {
		return err
	}
	sla := s.sla()

	// Open alerts by account, stacked by severity; and by severity alone.
	type acc struct{ bySev map[string]int }
	perAcct := map[string]*acc{}
	bySev := map[string]int{}
	for _, a := range open {
		d.OpenTotal++
		if a.PastSLA(sla, now) {
			d.PastSLA++
		}
		label := finding.LabelOf(a.Severity).String()
		bySev[label]++
		x := perAcct[a.Account]
		if x == nil {
			x = &acc{bySev: map[string]int{}}
			perAcct[a.Account] = x
		}
		x.bySev[label]++
	}
	series := make([]chart.Series, len(sevOrder))
	for i, sv := range sevOrder {
		series[i] = chart.Series{Name: sv, Class: strings.ToLower(sv)}
	}
	var stacks []chart.Stack
	for id, x := range perAcct {
		st := chart.Stack{Label: id, Href: "/findings?" + url.Values{"account": {id}, "alert": {"new,notified,acknowledged"}}.Encode()}
		for _, sv := range sevOrder {
			st.Values = append(st.Values, float64(x.bySev[sv]))
		}
		stacks = append(stacks, st)
	}
	total := func(st chart.Stack) float64 {
		t := 0.0
		for _, x := range st.Values {
			t += x
		}
		return t
	}
	slices.SortFunc(stacks, func(a, b chart.Stack) int {
		return cmp.Or(cmp.Compare(total(b), total(a)), strings.Compare(a.Label, b.Label))
	})
	if len(stacks) > 15 {
		stacks = stacks[:15]
	}
	d.OpenChart = chart.StackedBarChart(series, stacks, chart.BarOptions{Title: "Open alerts by account and severity", Unit: chart.Count, Width: 560})
	var sevBars []chart.Bar
	for _, sv := range sevOrder {
		sevBars = append(sevBars, chart.Bar{Label: sv, Value: float64(bySev[sv]), Class: strings.ToLower(sv),
			Href: "/findings?" + url.Values{"band": {sv}, "alert": {"new,notified,acknowledged"}}.Encode()})
	}
	d.OpenBySev = chart.BarChart(sevBars, chart.BarOptions{Title: "Open alerts by severity", Unit: chart.Count, Width: 360})

	// Response times per day of creation: p50 time to acknowledge and to
	// close (resolve or archive).
	byDay := map[time.Time][]alert.Alert{}
	for _, a := range as {
		day := a.CreatedAt.UTC().Truncate(24 * time.Hour)
		byDay[day] = append(byDay[day], a)
	}
	var ack50, ack90, close50 []chart.Point
	start := since.Truncate(24 * time.Hour)
	for day := start; !day.After(now); day = day.Add(24 * time.Hour) {
		var acks, closes []time.Duration
		for _, a := range byDay[day] {
			if !a.AckedAt.IsZero() {
				acks = append(acks, a.AckedAt.Sub(a.CreatedAt))
			}
			if !a.ClosedAt.IsZero() {
				closes = append(closes, a.ClosedAt.Sub(a.CreatedAt))
			}
		}
		ack50 = append(ack50, chart.Point{T: day, V: pct(acks, 50)})
		ack90 = append(ack90, chart.Point{T: day, V: pct(acks, 90)})
		close50 = append(close50, chart.Point{T: day, V: pct(closes, 50)})
	}
	d.ResponseChart = chart.LineChart([]chart.Line{
		{Name: "time to acknowledge p50", Points: ack50},
		{Name: "time to acknowledge p90", Points: ack90},
		{Name: "time to close p50", Points: close50},
	}, chart.LineOptions{Title: "Response times by day the alert opened", Unit: chart.Duration, Start: start, End: now, Step: 24 * time.Hour, Width: 640})

	if d.ByAccount, err = alert.Stats(as, "account", sla, now); err != nil {
		return err
	}
	if d.ByType, err = alert.Stats(as, "type", sla, now); err != nil {
		return err
	}
	for _, rows := range [][]alert.StatRow{d.ByAccount, d.ByType} {
		sort.SliceStable(rows, func(i, j int) bool { return rows[i].Alerts > rows[j].Alerts })
	}
	d.ByAccount, d.ByType = d.ByAccount[:min(len(d.ByAccount), 15)], d.ByType[:min(len(d.ByType), 15)]

	f, err := s.facets(ctx, store.FindingQuery{Accounts: accounts, Since: since}, facetCacheMin+1) // counted at most every 30s
	if err != nil {
		return err
	}
	var typeBars []chart.Bar
	for _, kc := range f.Types {
		typeBars = append(typeBars, chart.Bar{Label: kc.Key, Value: float64(kc.Count), Href: "/findings?" + url.Values{"type": {kc.Key}}.Encode()})
	}
	d.TypesChart = chart.BarChart(typeBars, chart.BarOptions{Title: "Top finding types (30 days)", Unit: chart.Count, Width: 640, MaxLabel: 48})
	s.render(w, http.StatusOK, "dashboard", v)
	return nil
}

// pct is the p-th percentile of ds in seconds, NaN (a gap) when empty.
func pct(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return nan
	}
	slices.Sort(ds)
	i := (len(ds)*p + 99) / 100
	return ds[max(0, min(len(ds)-1, i-1))].Seconds()
}

var nan = math.NaN()

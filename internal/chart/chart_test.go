package chart

import (
	"bytes"
	"encoding/xml"
	"flag"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var t0 = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

const longLabel = "arn:aws:iam::123456789012:role/a-very-long-role-name-that-never-ends"

const evil = `<script>alert("x")</script>" onmouseover="alert(1)`

// series returns n points every step starting at t0, with value f(i).
func series(n int, step time.Duration, f func(i int) float64) []Point {
	p := make([]Point, n)
	for i := range p {
		p[i] = Point{t0.Add(time.Duration(i) * step), f(i)}
	}
	return p
}

type goldenCase struct {
	name   string
	render func() template.HTML
}

var goldenCases = []goldenCase{
	// Bar charts.
	{"bar_basic", func() template.HTML {
		return BarChart([]Bar{
			{Label: "prod", Value: 42, Class: "critical", Href: "/alerts?account=prod&state=open"},
			{Label: "staging", Value: 17, Class: "High"},
			{Label: "dev", Value: 3, Class: "low", Href: "javascript:alert(1)"},
		}, BarOptions{Title: "Open alerts by account", Unit: Count})
	}},
	{"bar_empty", func() template.HTML { return BarChart(nil, BarOptions{Title: "Open alerts"}) }},
	{"bar_single", func() template.HTML { return BarChart([]Bar{{Label: "only", Value: 1}}, BarOptions{}) }},
	{"bar_zeros", func() template.HTML {
		return BarChart([]Bar{{Label: "a", Value: 0}, {Label: "b", Value: 0}}, BarOptions{})
	}},
	{"bar_negative", func() template.HTML {
		return BarChart([]Bar{{Label: "up", Value: 10}, {Label: "down", Value: -5}}, BarOptions{})
	}},
	{"bar_huge", func() template.HTML {
		return BarChart([]Bar{{Label: "max", Value: math.MaxFloat64}, {Label: "big", Value: 1e300}, {Label: "one", Value: 1}},
			BarOptions{Unit: Count})
	}},
	{"bar_nan_inf", func() template.HTML {
		return BarChart([]Bar{{Label: "nan", Value: math.NaN()}, {Label: "ok", Value: 2}, {Label: "inf", Value: math.Inf(1)}, {Label: "-inf", Value: math.Inf(-1)}}, BarOptions{})
	}},
	{"bar_all_nan", func() template.HTML { return BarChart([]Bar{{Label: "nan", Value: math.NaN()}}, BarOptions{}) }},
	{"bar_long_label", func() template.HTML {
		return BarChart([]Bar{{Label: longLabel, Value: 7}, {Label: "short", Value: 2}}, BarOptions{Title: "Top principals", MaxLabel: 20})
	}},
	{"bar_hostile", func() template.HTML {
		return BarChart([]Bar{{Label: evil, Value: 1, Class: `x" onclick="y`, Href: `/a?q="><script>`}}, BarOptions{Title: evil, Class: "dash " + evil})
	}},
	{"bar_duration", func() template.HTML {
		return BarChart([]Bar{{Label: "p50", Value: 900}, {Label: "p90", Value: 7200}, {Label: "p99", Value: 2.5 * 86400}}, BarOptions{Unit: Duration, Width: 320})
	}},

	// Stacked bar charts.
	{"stacked_basic", func() template.HTML {
		return StackedBarChart(
			[]Series{{Name: "low", Class: "low"}, {Name: "medium", Class: "medium"}, {Name: "high", Class: "high"}, {Name: "critical", Class: "critical"}},
			[]Stack{
				{Label: "prod", Values: []float64{5, 3, 2, 1}, Href: "https://console.example/a?x=1"},
				{Label: "staging", Values: []float64{1, 0, 4}},
				{Label: "dev", Values: []float64{0, 0, 0, 0}},
			}, BarOptions{Title: "Open alerts by severity"})
	}},
	{"stacked_empty", func() template.HTML { return StackedBarChart(nil, nil, BarOptions{}) }},
	{"stacked_edge", func() template.HTML {
		return StackedBarChart([]Series{{Name: evil}, {Name: longLabel}, {Name: "c"}},
			[]Stack{
				{Label: "huge", Values: []float64{math.MaxFloat64, math.MaxFloat64}},
				{Label: "odd", Values: []float64{math.NaN(), -3, math.Inf(1), 99 /* extra */}},
			}, BarOptions{Width: 300})
	}},

	// Line charts.
	{"line_basic", func() template.HTML {
		return LineChart([]Line{
			{Name: "p50", Points: series(14, 24*time.Hour, func(i int) float64 { return float64(600 + 60*(i%5)) })},
			{Name: "p90", Points: series(14, 24*time.Hour, func(i int) float64 {
				if i == 5 || i == 6 {
					return math.NaN() // gap
				}
				return float64(3600 + 900*(i%4))
			})},
		}, LineOptions{Title: "Time to acknowledge", Unit: Duration})
	}},
	{"line_hours_missing", func() template.HTML {
		pts := series(48, time.Hour, func(i int) float64 { return 1200 + 300*math.Sin(float64(i)/4) })
		pts = append(pts[:10], pts[14:]...) // four missing hours: a gap
		pts = append(pts[:20], pts[21:]...) // one missing hour
		pts = append(pts[:30], pts[31:]...) // isolates pts[30]? no: two separate gaps
		return LineChart([]Line{{Name: "cloudtrail", Class: "s2", Points: pts}}, LineOptions{Title: "Events/s", Unit: Count, Start: t0, End: t0.Add(48 * time.Hour)})
	}},
	{"line_empty", func() template.HTML { return LineChart(nil, LineOptions{}) }},
	{"line_all_nan", func() template.HTML {
		return LineChart([]Line{{Name: "x", Points: series(3, time.Hour, func(int) float64 { return math.NaN() })}}, LineOptions{})
	}},
	{"line_single", func() template.HTML {
		return LineChart([]Line{{Points: []Point{{t0.Add(90 * time.Minute), 5}}}}, LineOptions{})
	}},
	{"line_zeros", func() template.HTML {
		return LineChart([]Line{{Points: series(10, time.Minute, func(int) float64 { return 0 })}}, LineOptions{})
	}},
	{"line_negative", func() template.HTML {
		return LineChart([]Line{{Name: "delta", Points: series(24, time.Hour, func(i int) float64 { return float64(i*i%17) - 8 })}}, LineOptions{Step: time.Hour})
	}},
	{"line_huge", func() template.HTML {
		return LineChart([]Line{{Points: []Point{{t0, -math.MaxFloat64}, {t0.Add(time.Hour), math.MaxFloat64}, {t0.Add(2 * time.Hour), 1e300}}}}, LineOptions{})
	}},
	{"line_isolated_unsorted", func() template.HTML {
		// Unsorted input, an isolated point between two NaNs, points outside the range.
		pts := []Point{
			{t0.Add(3 * time.Hour), 3}, {t0, 1}, {t0.Add(time.Hour), 2},
			{t0.Add(4 * time.Hour), math.NaN()}, {t0.Add(5 * time.Hour), 5}, {t0.Add(6 * time.Hour), math.Inf(1)},
			{t0.Add(7 * time.Hour), 4}, {t0.Add(8 * time.Hour), 6}, {t0.Add(-time.Hour), 100}, {t0.Add(99 * time.Hour), 100},
		}
		return LineChart([]Line{{Name: "x", Points: pts}}, LineOptions{Start: t0, End: t0.Add(8 * time.Hour), FitY: true})
	}},
	{"line_months", func() template.HTML {
		return LineChart([]Line{{Name: evil, Points: series(200, 24*time.Hour, func(i int) float64 { return float64(i) * 12.5 })}}, LineOptions{Unit: Count})
	}},
	{"line_many_series", func() template.HTML {
		var lines []Line
		for k := 0; k < 10; k++ {
			lines = append(lines, Line{Name: "source-" + itoa(k), Points: series(30, 10*time.Minute, func(i int) float64 { return float64(k*10 + i%7) })})
		}
		return LineChart(lines, LineOptions{Title: "Events per source", Width: 400, Unit: Percent})
	}},

	// Sparklines.
	{"spark_basic", func() template.HTML {
		return Sparkline([]float64{1, 3, 2, 5, math.NaN(), 4, math.NaN(), 6, 7}, SparkOptions{Title: "Alerts, 24h", Unit: Count})
	}},
	{"spark_empty", func() template.HTML { return Sparkline(nil, SparkOptions{}) }},
	{"spark_single", func() template.HTML { return Sparkline([]float64{4}, SparkOptions{}) }},
	{"spark_flat", func() template.HTML { return Sparkline([]float64{0, 0, 0}, SparkOptions{}) }},
	{"spark_negative_huge", func() template.HTML {
		return Sparkline([]float64{-math.MaxFloat64, 0, math.MaxFloat64, math.Inf(1)}, SparkOptions{Title: evil})
	}},
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.render()
			checkSVG(t, got)
			if again := tc.render(); again != got {
				t.Fatal("output is not deterministic")
			}
			path := filepath.Join("testdata", tc.name+".svg")
			if *update {
				if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if string(want) != string(got)+"\n" {
				t.Errorf("output differs from %s (run go test -update after checking):\n got: %s\nwant: %s", path, got, want)
			}
		})
	}
}

// checkSVG asserts that h is one well-formed, accessible <svg> element with
// no script, no event handlers and no raw attacker text.
func checkSVG(t *testing.T, h template.HTML) {
	t.Helper()
	s := string(h)
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	depth, roots := 0, 0
	first := true
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, s)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if tok.Name.Local != "svg" || tok.Name.Space != "http://www.w3.org/2000/svg" {
					t.Fatalf("root is %v", tok.Name)
				}
				role := attr(tok, "role")
				if (role != "img" && role != "group") || attr(tok, "aria-label") == "" {
					t.Errorf("root lacks role=img/group or aria-label: %v", tok.Attr)
				}
				if hasLinks := strings.Contains(s, "<a "); hasLinks != (role == "group") {
					t.Errorf("role=%q with links=%v", role, hasLinks)
				}
			} else if first {
				first = false
				if tok.Name.Local != "title" {
					t.Errorf("first child is <%s>, want <title>", tok.Name.Local)
				}
			}
			switch tok.Name.Local {
			case "script", "foreignObject", "iframe", "style":
				t.Errorf("forbidden element <%s>", tok.Name.Local)
			}
			for _, a := range tok.Attr {
				if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") || a.Name.Local == "style" {
					t.Errorf("forbidden attribute %s=%q", a.Name.Local, a.Value)
				}
				if a.Name.Local == "href" && safeHref(a.Value) != a.Value {
					t.Errorf("unsafe href %q", a.Value)
				}
				if tok.Name.Local == "a" && attr(tok, "aria-label") == "" {
					t.Errorf("link without an accessible name")
				}
				if a.Name.Local == "class" {
					for _, c := range strings.Fields(a.Value) {
						if className(c) != c {
							t.Errorf("bad class token %q", c)
						}
					}
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(tok)) > 0 {
				t.Errorf("text outside the root: %q", tok)
			}
		}
	}
	if roots != 1 {
		t.Errorf("%d root elements, want 1", roots)
	}
	for _, bad := range []string{"<script", "\" onmouseover", "javascript:", "NaN", "Inf\"", "-0\"", "e+308\" "} {
		if strings.Contains(s, bad) {
			t.Errorf("output contains %q:\n%s", bad, s)
		}
	}
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func TestEscaping(t *testing.T) {
	h := string(BarChart([]Bar{{Label: evil, Value: 1, Href: `/a?q="x"&b=<i>`}}, BarOptions{Title: evil}))
	for _, want := range []string{
		`&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&#34; onmouseover=&#34;alert(1)`,
		`href="/a?q=&#34;x&#34;&amp;b=&lt;i&gt;"`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("missing %s in\n%s", want, h)
		}
	}
	if strings.Contains(h, "<script") || strings.Contains(h, `" onmouseover`) {
		t.Errorf("unescaped markup in\n%s", h)
	}

	// The escaped text reads back as the original through an XML parser.
	var doc struct {
		Title string `xml:"title"`
	}
	if err := xml.Unmarshal([]byte(h), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Title != evil {
		t.Errorf("title reads back as %q, want %q", doc.Title, evil)
	}

	// Invalid UTF-8, control and bidi characters are neutralised.
	nasty := "a\x00b\x1bc\xffd\u202eevil\u2066e\uffff"
	h = string(Sparkline([]float64{1, 2}, SparkOptions{Title: nasty}))
	checkSVG(t, template.HTML(h))
	for _, bad := range []string{"\x00", "\x1b", "\xff", "\u202e", "\u2066", "\uffff"} {
		if strings.Contains(h, bad) {
			t.Errorf("output contains %q", bad)
		}
	}
	if !strings.Contains(h, "a b c\ufffddevile\ufffd") {
		t.Errorf("unexpected cleaning: %s", h)
	}

	// Huge labels are bounded.
	h = string(BarChart([]Bar{{Label: strings.Repeat("x", 100000), Value: 1}}, BarOptions{}))
	if len(h) > 5000 {
		t.Errorf("100k label produced %d bytes", len(h))
	}
}

func TestTemplateInsertsVerbatim(t *testing.T) {
	tmpl := template.Must(template.New("").Parse(`<div>{{.}}</div>`))
	var b strings.Builder
	c := BarChart([]Bar{{Label: evil, Value: 1}}, BarOptions{})
	if err := tmpl.Execute(&b, c); err != nil {
		t.Fatal(err)
	}
	if b.String() != "<div>"+string(c)+"</div>" {
		t.Errorf("html/template altered the chart:\n%s", b.String())
	}
}

func TestSafeHref(t *testing.T) {
	for _, tc := range []struct {
		in   string
		keep bool
	}{
		{"/alerts?account=prod", true},
		{"alerts/1", true},
		{"?page=2", true},
		{"#top", true},
		{"../x", true},
		{"https://console.example/x?a=1&b=2", true},
		{"HTTP://example.com", true},
		{"//example.com/x", true}, // protocol-relative: http(s) on an https page
		{"", false},
		{"javascript:alert(1)", false},
		{"JaVaScRiPt:alert(1)", false},
		{" javascript:alert(1)", false},
		{"java\tscript:alert(1)", false},
		{"java\nscript:alert(1)", false},
		{"\x01javascript:alert(1)", false},
		{"data:text/html,<script>", false},
		{"vbscript:x", false},
		{"mailto:a@b", false},
		{"file:///etc/passwd", false},
		{"http:/x", false},
		{"https:", false},
		{"/\\evil.example", false},
		{"/a b", false},
		{"a:b", false},
		{"/" + strings.Repeat("a", 3000), false},
	} {
		got := safeHref(tc.in)
		if (got != "") != tc.keep || (tc.keep && got != tc.in) {
			t.Errorf("safeHref(%q) = %q, keep=%v", tc.in, got, tc.keep)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		u    Unit
		v    float64
		want string
	}{
		{Number, 0, "0"},
		{Number, 3, "3"},
		{Number, 0.1 + 0.2, "0.3"},
		{Number, -2.5, "-2.5"},
		{Number, 123456, "123456"},
		{Number, 1234567, "1.23e+06"},
		{Number, 0.00001, "1e-05"},
		{Number, math.NaN(), "n/a"},
		{Number, math.Inf(1), "∞"},
		{Number, math.Inf(-1), "-∞"},
		{Count, 0, "0"},
		{Count, 7, "7"},
		{Count, 0.25, "0.25"},
		{Count, 12.5, "12.5"},
		{Count, 999, "999"},
		{Count, 999.7, "1k"},
		{Count, 1000, "1k"},
		{Count, 1234, "1.2k"},
		{Count, 15300, "15k"},
		{Count, 999_999, "1M"},
		{Count, 3_400_000, "3.4M"},
		{Count, 2e9, "2G"},
		{Count, -1500, "-1.5k"},
		{Count, 1e18, "1E"},
		{Count, 5e20, "500E"},
		{Count, math.MaxFloat64, "1.8e+308"},
		{Count, -2e25, "-2e+25"},
		{Duration, 0, "0"},
		{Duration, 0.25, "250ms"},
		{Duration, 0.0000005, "0.0005ms"},
		{Duration, 1, "1s"},
		{Duration, 1.5, "1.5s"},
		{Duration, 45, "45s"},
		{Duration, 59.97, "1m"},
		{Duration, 90, "1.5m"},
		{Duration, 900, "15m"},
		{Duration, 3599, "1h"},
		{Duration, 7200, "2h"},
		{Duration, 5400, "1.5h"},
		{Duration, 86400 * 2, "2d"},
		{Duration, 86400 * 400, "400d"},
		{Duration, -60, "-1m"},
		{Duration, 1e300, "1.16e+295d"},
		{Percent, 12.5, "12.5%"},
		{Percent, 100, "100%"},
	} {
		if got := tc.u.Format(tc.v); got != tc.want {
			t.Errorf("Unit(%d).Format(%v) = %q, want %q", tc.u, tc.v, got, tc.want)
		}
	}
}

func TestNiceRange(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		u      Unit
		want   string
	}{
		{0, 1, Number, "0 0.5 1"},
		{0, 10, Number, "0 5 10"},
		{0, 97, Number, "0 50 100"},
		{0, 0.3, Number, "0 0.1 0.2 0.3"},
		{-8, 8, Number, "-10 0 10"},
		{3, 7, Number, "2 4 6 8"},
		{0, 1234, Count, "0 500 1k 1.5k"},
		{0, 3700, Duration, "0 30m 1h 1.5h"},
		{0, 5 * 3600, Duration, "0 2h 4h 6h"},
		{0, 40 * 86400, Duration, "0 20d 40d"},
		{0, 100, Duration, "0 1m 2m"},
		{0, 1e300, Count, "0 5e+299 1e+300"},
	} {
		ticks, _, _ := niceRange(tc.lo, tc.hi, 3, tc.u)
		var s []string
		for _, v := range ticks {
			s = append(s, tc.u.Format(v))
		}
		if got := strings.Join(s, " "); got != tc.want {
			t.Errorf("niceRange(%v, %v, %d) = %q, want %q", tc.lo, tc.hi, tc.u, got, tc.want)
		}
	}
	// Extremes never produce NaN, Inf or an endless loop.
	for _, r := range [][2]float64{{-math.MaxFloat64, math.MaxFloat64}, {0, math.SmallestNonzeroFloat64}, {1e-300, 2e-300}} {
		ticks, lo, hi := niceRange(r[0], r[1], 4, Number)
		if len(ticks) == 0 || len(ticks) > 18 || !finite(lo) || !finite(hi) {
			t.Errorf("niceRange(%v): %v [%v, %v]", r, ticks, lo, hi)
		}
	}
}

func TestTimeTicks(t *testing.T) {
	for _, tc := range []struct {
		start, end time.Time
		target     int
		want       string
	}{
		{t0.Add(7 * time.Minute), t0.Add(67 * time.Minute), 4, "00:15 00:30 00:45 01:00"},
		{t0.Add(-6 * time.Hour), t0.Add(6 * time.Hour), 4, "18:00 21:00 Mar 1 03:00 06:00"},
		{t0, t0.Add(48 * time.Hour), 4, "Mar 1 12:00 Mar 2 12:00 Mar 3"},
		{t0, t0.Add(14 * 24 * time.Hour), 6, "Mar 1 Mar 3 Mar 5 Mar 7 Mar 9 Mar 11 Mar 13 Mar 15"},
		{t0, t0.Add(60 * 24 * time.Hour), 4, "Mar 3 Mar 17 Mar 31 Apr 14 Apr 28"}, // Mondays
		{t0.Add(time.Hour), t0.Add(365 * 24 * time.Hour), 4, "Apr 2025 Jul 2025 Oct 2025 Jan 2026"},
		{t0, t0.Add(10 * 365 * 24 * time.Hour), 4, "2026 2028 2030 2032 2034"},
		{t0, t0.Add(30 * time.Second), 3, "Mar 1 00:00:10 00:00:20 00:00:30"},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 4, "1000 2000 3000 4000 5000 6000 7000 8000 9000"},
	} {
		var s []string
		for _, tk := range timeTicks(tc.start, tc.end, tc.target) {
			s = append(s, tk.label)
			if tk.t.Before(tc.start) || tk.t.After(tc.end) {
				t.Errorf("tick %v outside [%v, %v]", tk.t, tc.start, tc.end)
			}
		}
		if got := strings.Join(s, " "); got != tc.want {
			t.Errorf("timeTicks(%v, %v) = %q, want %q", tc.start, tc.end, got, tc.want)
		}
	}
	// Non-UTC inputs tick on UTC boundaries.
	loc := time.FixedZone("X", 5*3600+1800)
	ticks := timeTicks(t0.In(loc), t0.Add(12*time.Hour).In(loc), 4)
	if len(ticks) == 0 || ticks[0].t.Hour()%3 != 0 || ticks[0].t.Location() != time.UTC {
		t.Errorf("ticks not on UTC boundaries: %v", ticks)
	}
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
		cut  bool
	}{
		{"short", 10, "short", false},
		{"exactly10!", 10, "exactly10!", false},
		{"exactly11!!", 10, "exactly11…", true},
		{"héllo wörld ünïcode", 8, "héllo w…", true},
		{"a b c d e", 3, "a…", true}, // trailing space trimmed before the ellipsis
		{"日本語のラベル", 4, "日本語…", true},
	} {
		got, cut := truncate(tc.in, tc.max)
		if got != tc.want || cut != tc.cut {
			t.Errorf("truncate(%q, %d) = %q, %v; want %q, %v", tc.in, tc.max, got, cut, tc.want, tc.cut)
		}
	}
}

func TestLongLabelKeepsFullTextInTitle(t *testing.T) {
	h := string(BarChart([]Bar{{Label: longLabel, Value: 1}}, BarOptions{MaxLabel: 20}))
	if !strings.Contains(h, ">arn:aws:iam::123456…</text>") {
		t.Errorf("label not truncated:\n%s", h)
	}
	if !strings.Contains(h, "<title>"+longLabel+": 1</title>") {
		t.Errorf("full label not in a tooltip:\n%s", h)
	}
}

func TestClassName(t *testing.T) {
	for in, want := range map[string]string{
		"High": "high", " critical ": "critical", "s3": "s3", "my-class_2": "my-class_2",
		"": "", "a b": "", `x"y`: "", "1abc": "", "-x": "", "ü": "", strings.Repeat("a", 33): "",
	} {
		if got := className(in); got != want {
			t.Errorf("className(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLineGaps(t *testing.T) {
	// 24 hourly points with hours 10-12 missing: two runs, so two "M".
	pts := series(24, time.Hour, func(i int) float64 { return float64(i) })
	pts = append(pts[:10], pts[13:]...)
	for _, tc := range []struct {
		step time.Duration
		want int
	}{{0, 2}, {time.Hour, 2}, {5 * time.Hour, 1}, {-1, 1}} {
		h := string(LineChart([]Line{{Points: pts}}, LineOptions{Step: tc.step}))
		d := h[strings.Index(h, ` d="`):]
		d = d[:strings.Index(d, `"/>`)]
		if got := strings.Count(d, "M"); got != tc.want {
			t.Errorf("Step %v: %d runs, want %d", tc.step, got, tc.want)
		}
	}
}

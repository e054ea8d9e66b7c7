package chart

import (
	"html/template"
	"math"
	"strings"
)

// Bar is one row of a bar chart.
type Bar struct {
	Label string  // shown left of the bar, truncated to BarOptions.MaxLabel
	Value float64 // NaN and ±Inf bars are left out; negatives draw as zero
	// Class is an optional CSS class for the bar, typically a severity:
	// "low", "medium", "high" or "critical" (case-insensitive). Anything that
	// is not a single CSS identifier is ignored.
	Class string
	// Href optionally makes the row a link. Only relative URLs and http(s)
	// URLs are kept; others (javascript:, data:, …) are dropped.
	Href string
}

// BarOptions configures BarChart and StackedBarChart. The zero value works.
type BarOptions struct {
	Title      string // accessible name and tooltip of the chart; default "Bar chart"
	Width      int    // total width in px; default 480
	LabelWidth int    // px for the labels; default fits the longest (truncated) label
	RowHeight  int    // px per row, bar plus gap; default 22
	MaxLabel   int    // labels longer than this many characters are cut with "…"; default 24
	Unit       Unit   // how values are printed
	Class      string // extra classes for the root <svg>
}

func (o *BarOptions) defaults(title string) (width, rowH float64, maxLabel int) {
	if strings.TrimSpace(o.Title) == "" {
		o.Title = title
	}
	maxLabel = o.MaxLabel
	if maxLabel <= 0 {
		maxLabel = 24
	}
	return orDefault(o.Width, 480), orDefault(o.RowHeight, 22), maxLabel
}

// rowLayout is the horizontal layout shared by bar and stacked charts.
type rowLayout struct {
	labelW, barX, barW float64
}

func layoutRows(width float64, labelWidth int, labels, values []string) rowLayout {
	var l rowLayout
	if labelWidth > 0 {
		l.labelW = float64(labelWidth)
	} else {
		for _, s := range labels {
			l.labelW = math.Max(l.labelW, textWidth(s))
		}
		l.labelW = math.Min(l.labelW+8, width/2)
	}
	valueW := 0.0
	for _, s := range values {
		valueW = math.Max(valueW, textWidth(s))
	}
	valueW += 8
	l.barX = l.labelW
	l.barW = math.Max(width-l.labelW-valueW, 10)
	return l
}

// BarChart renders a horizontal bar chart, one row per bar in the given
// order, with each bar's value printed at its end. Bars scale so the largest
// value spans the plot width.
//
// CSS classes: svg.chart.chart-bar; per row g.row (inside an <a> when the
// bar has a link), rect.bar (plus the bar's Class), text.label, text.value.
func BarChart(bars []Bar, o BarOptions) template.HTML {
	width, rowH, maxLabel := o.defaults("Bar chart")
	kept := make([]Bar, 0, len(bars))
	for _, b := range bars {
		if finite(b.Value) {
			kept = append(kept, b)
		}
	}
	if len(kept) == 0 {
		return empty("bar", o.Class, width, 2*rowH, o.Title)
	}

	labels := make([]string, len(kept))
	values := make([]string, len(kept))
	full := make([]string, len(kept))
	max := 0.0
	for i, b := range kept {
		full[i] = clean(b.Label)
		labels[i], _ = truncate(full[i], maxLabel)
		values[i] = o.Unit.Format(b.Value)
		max = math.Max(max, b.Value)
	}
	l := layoutRows(width, o.LabelWidth, labels, values)
	height := float64(len(kept)) * rowH

	var w writer
	w.b = make([]byte, 0, 1024+len(kept)*400)
	hrefs := make([]string, len(kept))
	links := false
	for i := range kept {
		hrefs[i] = safeHref(kept[i].Href)
		links = links || hrefs[i] != ""
	}
	w.open("bar", o.Class, width, height, o.Title, links)
	w.raw("<desc>")
	for i := range kept {
		if i > 0 {
			w.raw("; ")
		}
		w.text(full[i] + ": " + values[i])
	}
	w.raw("</desc>")

	barH := math.Max(rowH-6, 2)
	for i, b := range kept {
		y := float64(i) * rowH
		href := hrefs[i]
		w.link(href, full[i]+": "+values[i])
		w.raw(`<g class="row">`)
		w.title(full[i] + ": " + values[i])
		w.textAt("label", l.labelW-6, y+rowH/2+4, "end", labels[i])
		bw := 0.0
		if b.Value > 0 && max > 0 {
			bw = math.Max(b.Value/max*l.barW, 1)
		}
		cls := "bar"
		if c := className(b.Class); c != "" {
			cls += " " + c
		}
		w.rect(cls, l.barX, y+3, bw, barH, "")
		w.textAt("value", l.barX+bw+4, y+rowH/2+4, "", values[i])
		w.raw("</g>")
		if href != "" {
			w.raw("</a>")
		}
	}
	return w.html()
}

package chart

import (
	"html/template"
	"math"
)

// Series names one series of a stacked bar chart or line chart.
type Series struct {
	Name string
	// Class is an optional CSS class for the series (for example a severity,
	// "high"). Without one, series get s0, s1, … s7 by position, repeating
	// after eight.
	Class string
}

// Stack is one row of a stacked bar chart.
type Stack struct {
	Label string
	// Values holds one value per series, in the order of the series passed
	// to StackedBarChart; missing values count as zero, extra ones are
	// ignored. NaN, ±Inf and negative values count as zero.
	Values []float64
	Href   string // optional link for the row; same rules as Bar.Href
}

// StackedBarChart renders horizontal stacked bars: one row per stack, one
// segment per series, the row total printed at the end, and a legend below.
// Rows scale so the largest total spans the plot width.
//
// CSS classes: svg.chart.chart-stacked; per row g.row, rect.segment plus the
// series class, text.label, text.value; g.legend with g.legend-item,
// rect.swatch plus the series class and text.legend-label.
func StackedBarChart(series []Series, stacks []Stack, o BarOptions) template.HTML {
	width, rowH, maxLabel := o.defaults("Stacked bar chart")
	if len(series) == 0 || len(stacks) == 0 {
		return empty("stacked", o.Class, width, 2*rowH, o.Title)
	}
	ns := len(series)
	names := make([]string, ns)
	classes := make([]string, ns)
	for j, s := range series {
		names[j] = clean(s.Name)
		classes[j] = seriesClass(s.Class, j)
	}

	// Values are normalised by the largest one before summing so that huge
	// values cannot overflow the totals.
	vals := make([]float64, len(stacks)*ns)
	big := 0.0
	for i, st := range stacks {
		for j := 0; j < ns && j < len(st.Values); j++ {
			if v := st.Values[j]; finite(v) && v > 0 {
				vals[i*ns+j] = v
				big = math.Max(big, v)
			}
		}
	}
	labels := make([]string, len(stacks))
	full := make([]string, len(stacks))
	totals := make([]string, len(stacks))
	norm := make([]float64, len(stacks))
	maxNorm := 0.0
	for i, st := range stacks {
		full[i] = clean(st.Label)
		labels[i], _ = truncate(full[i], maxLabel)
		sum := 0.0
		for j := 0; j < ns; j++ {
			if big > 0 {
				sum += vals[i*ns+j] / big
			}
		}
		norm[i] = sum
		maxNorm = math.Max(maxNorm, sum)
		totals[i] = o.Unit.Format(sum * big)
	}
	l := layoutRows(width, o.LabelWidth, labels, totals)

	var w writer
	w.b = make([]byte, 0, 1024+len(stacks)*(300+ns*160))
	plotH := float64(len(stacks)) * rowH
	// Measure the legend first by drawing it into a scratch writer.
	var lg writer
	legendH := lg.legend(names, classes, 0, plotH+6, width, maxLabel)
	height := plotH + 6 + legendH

	hrefs := make([]string, len(stacks))
	links := false
	for i := range stacks {
		hrefs[i] = safeHref(stacks[i].Href)
		links = links || hrefs[i] != ""
	}
	w.open("stacked", o.Class, width, height, o.Title, links)
	w.raw("<desc>")
	for i := range stacks {
		if i > 0 {
			w.raw("; ")
		}
		w.text(full[i] + ": " + totals[i])
		sep := " ("
		for j := 0; j < ns; j++ {
			if v := vals[i*ns+j]; v > 0 {
				w.text(sep + names[j] + " " + o.Unit.Format(v))
				sep = ", "
			}
		}
		if sep == ", " {
			w.raw(")")
		}
	}
	w.raw("</desc>")

	barH := math.Max(rowH-6, 2)
	for i := range stacks {
		y := float64(i) * rowH
		href := hrefs[i]
		w.link(href, full[i]+": "+totals[i])
		w.raw(`<g class="row">`)
		w.title(full[i] + ": " + totals[i])
		w.textAt("label", l.labelW-6, y+rowH/2+4, "end", labels[i])
		x := l.barX
		for j := 0; j < ns; j++ {
			v := vals[i*ns+j]
			if v <= 0 {
				continue
			}
			sw := math.Max(v/big/maxNorm*l.barW, 1)
			w.rect("segment "+classes[j], x, y+3, sw, barH, full[i]+" — "+names[j]+": "+o.Unit.Format(v))
			x += sw
		}
		w.textAt("value", x+4, y+rowH/2+4, "", totals[i])
		w.raw("</g>")
		if href != "" {
			w.raw("</a>")
		}
	}
	w.legend(names, classes, 0, plotH+6, width, maxLabel)
	return w.html()
}

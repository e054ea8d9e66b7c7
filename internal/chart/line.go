package chart

import (
	"html/template"
	"math"
	"slices"
	"strings"
	"time"
)

// Point is one sample of a time series.
type Point struct {
	T time.Time
	V float64 // NaN or ±Inf marks a gap
}

// Line is one series of a line chart.
type Line struct {
	Name   string  // legend text and tooltip
	Class  string  // optional CSS class; default s0…s7 by position
	Points []Point // any order; sorted by time before drawing
}

// LineOptions configures LineChart. The zero value works.
type LineOptions struct {
	Title  string // accessible name and tooltip; default "Line chart"
	Width  int    // total width in px; default 600
	Height int    // height of plot and axes in px, legend not included; default 200
	// Start and End bound the time axis. When zero they come from the data.
	// Points outside the range are not drawn.
	Start, End time.Time
	// Step is the expected spacing of points. A line is broken where
	// consecutive points are more than 1.5 steps apart, so missing samples
	// show as gaps. Zero infers the step per series as the median spacing;
	// a negative Step breaks lines only at NaN/Inf values.
	Step     time.Duration
	Unit     Unit   // how the y axis and tooltips print values
	FitY     bool   // fit the y axis to the data instead of always including zero
	MaxLabel int    // legend names are cut to this many characters; default 24
	Class    string // extra classes for the root <svg>
}

// LineChart renders one or more time series with a y axis of nice 1-2-5
// ticks (clock-friendly steps for Duration), a UTC time axis with ticks on
// minute, hour, day, week, month or year boundaries, gaps for missing
// points, and a legend when there is more than one series or the series is
// named. Isolated points (a sample between two gaps) are drawn as dots.
//
// CSS classes: svg.chart.chart-line; g.axis.y and g.axis.x with line.grid,
// line.tick, text.tick and line.axis-line (line.zero marks y=0 when the axis
// goes negative); per series g.series plus its class, path.line and
// circle.dot; the legend as in StackedBarChart.
func LineChart(lines []Line, o LineOptions) template.HTML {
	if strings.TrimSpace(o.Title) == "" {
		o.Title = "Line chart"
	}
	width, height := orDefault(o.Width, 600), orDefault(o.Height, 200)
	maxLabel := o.MaxLabel
	if maxLabel <= 0 {
		maxLabel = 24
	}

	// Time range.
	start, end := o.Start.UTC(), o.End.UTC()
	if o.Start.IsZero() || o.End.IsZero() {
		var lo, hi time.Time
		for _, ln := range lines {
			for _, p := range ln.Points {
				if !finite(p.V) {
					continue
				}
				if lo.IsZero() || p.T.Before(lo) {
					lo = p.T
				}
				if hi.IsZero() || p.T.After(hi) {
					hi = p.T
				}
			}
		}
		if o.Start.IsZero() {
			start = lo.UTC()
		}
		if o.End.IsZero() {
			end = hi.UTC()
		}
	}
	in := func(p Point) bool { return finite(p.V) && !p.T.Before(start) && !p.T.After(end) }

	// Value range.
	n := 0
	vlo, vhi := math.Inf(1), math.Inf(-1)
	for _, ln := range lines {
		for _, p := range ln.Points {
			if in(p) {
				n++
				vlo, vhi = math.Min(vlo, p.V), math.Max(vhi, p.V)
			}
		}
	}
	if n == 0 || end.Before(start) {
		return empty("line", o.Class, width, height, o.Title)
	}
	if !end.After(start) { // a single instant: centre it
		pad := o.Step
		if pad <= 0 {
			pad = time.Hour
		}
		start, end = start.Add(-pad), end.Add(pad)
	}
	if !o.FitY {
		vlo, vhi = math.Min(vlo, 0), math.Max(vhi, 0)
	}
	if vlo == vhi {
		d := math.Abs(vlo) * 0.1
		if d == 0 {
			d = 1
		}
		vlo, vhi = vlo-d, vhi+d
		if !o.FitY && vlo < 0 && vhi-d >= 0 {
			vlo = 0
		}
	}

	// Layout.
	const top, right, bottom = 8.0, 24.0, 20.0
	plotHguess := height - top - bottom
	yticks, ylo, yhi := niceRange(vlo, vhi, int(math.Max(2, math.Round(plotHguess/40))), o.Unit)
	ylabels := make([]string, len(yticks))
	left := 24.0
	for i, v := range yticks {
		ylabels[i] = o.Unit.Format(v)
		left = math.Max(left, textWidth(ylabels[i])+10)
	}
	plotW := math.Max(width-left-right, 10)
	plotH := math.Max(plotHguess, 10)
	t0, tspan := secs(start), secs(end)-secs(start)
	xOf := func(t time.Time) float64 { return left + (secs(t)-t0)/tspan*plotW }
	yOf := func(v float64) float64 {
		// Halves keep ylo..yhi from overflowing for huge values.
		return top + (yhi/2-v/2)/(yhi/2-ylo/2)*plotH
	}

	names := make([]string, len(lines))
	classes := make([]string, len(lines))
	showLegend := len(lines) > 1
	for i, ln := range lines {
		names[i] = clean(ln.Name)
		classes[i] = seriesClass(ln.Class, i)
		if names[i] == "" {
			names[i] = "series " + itoa(i+1)
		} else {
			showLegend = true
		}
	}
	legendH := 0.0
	if showLegend {
		var lg writer
		legendH = lg.legend(names, classes, left, height+4, width, maxLabel) + 4
	}

	var w writer
	w.b = make([]byte, 0, 2048+n*16)
	w.open("line", o.Class, width, height+legendH, o.Title, false)

	// Description: per series count, min, max and last value.
	w.raw("<desc>")
	w.text(start.Format("2006-01-02 15:04") + " to " + end.Format("2006-01-02 15:04") + " UTC")
	for i, ln := range lines {
		c, mn, mx := 0, math.Inf(1), math.Inf(-1)
		var last Point
		for _, p := range ln.Points {
			if in(p) {
				c++
				mn, mx = math.Min(mn, p.V), math.Max(mx, p.V)
				if c == 1 || !p.T.Before(last.T) {
					last = p
				}
			}
		}
		w.raw("; ")
		if c == 0 {
			w.text(names[i] + ": no data")
			continue
		}
		pl := " points, min "
		if c == 1 {
			pl = " point, min "
		}
		w.text(names[i] + ": " + itoa(c) + pl + o.Unit.Format(mn) +
			", max " + o.Unit.Format(mx) + ", last " + o.Unit.Format(last.V))
	}
	w.raw("</desc>")

	// Y axis and grid.
	w.raw(`<g class="axis y">`)
	for i, v := range yticks {
		y := yOf(v)
		w.raw(`<line class="grid"`)
		w.nattr("x1", left)
		w.nattr("x2", left+plotW)
		w.nattr("y1", y)
		w.nattr("y2", y)
		w.raw("/>")
		w.textAt("tick", left-6, y+4, "end", ylabels[i])
	}
	if ylo < 0 && yhi > 0 {
		y := yOf(0)
		w.raw(`<line class="zero"`)
		w.nattr("x1", left)
		w.nattr("x2", left+plotW)
		w.nattr("y1", y)
		w.nattr("y2", y)
		w.raw("/>")
	}
	w.raw("</g>")

	// X axis.
	w.raw(`<g class="axis x">`)
	w.raw(`<line class="axis-line"`)
	w.nattr("x1", left)
	w.nattr("x2", left+plotW)
	w.nattr("y1", top+plotH)
	w.nattr("y2", top+plotH)
	w.raw("/>")
	for _, tk := range timeTicks(start, end, int(math.Max(2, math.Floor(plotW/90)))) {
		x := xOf(tk.t)
		w.raw(`<line class="tick"`)
		w.nattr("x1", x)
		w.nattr("x2", x)
		w.nattr("y1", top+plotH)
		w.nattr("y2", top+plotH+4)
		w.raw("/>")
		w.textAt("tick", x, top+plotH+15, "middle", tk.label)
	}
	w.raw("</g>")

	// Series.
	var sorted []Point
	var gaps []float64
	for i, ln := range lines {
		pts := ln.Points
		if !slices.IsSortedFunc(pts, cmpPoint) {
			sorted = append(sorted[:0], pts...)
			slices.SortStableFunc(sorted, cmpPoint)
			pts = sorted
		}
		maxGap := math.Inf(1)
		switch {
		case o.Step > 0:
			maxGap = 1.5 * o.Step.Seconds()
		case o.Step == 0:
			gaps = slices.Grow(gaps[:0], len(pts))
			for k := 1; k < len(pts); k++ {
				if d := secs(pts[k].T) - secs(pts[k-1].T); d > 0 {
					gaps = append(gaps, d)
				}
			}
			if len(gaps) > 0 {
				slices.Sort(gaps)
				maxGap = 1.5 * gaps[len(gaps)/2]
			}
		}

		w.raw(`<g`)
		w.attr("class", "series "+classes[i])
		w.raw(">")
		w.title(names[i])
		// Collect runs of drawable points; one-point runs become dots.
		w.raw(`<path class="line" d="`)
		var dots []Point
		runLen := 0
		var prev, runStart Point
		for k, p := range pts {
			// A time gap or a NaN/Inf sample inside the range breaks the line;
			// points outside the range are simply skipped.
			brk := !finite(p.V) || (k > 0 && secs(p.T)-secs(prev.T) > maxGap)
			if brk || !in(p) {
				if runLen == 1 {
					dots = append(dots, runStart)
				}
				runLen = 0
				prev = p
				continue
			}
			if runLen == 0 {
				w.raw("M")
				runStart = p
			} else {
				w.raw("L")
			}
			w.num(xOf(p.T))
			w.raw(" ")
			w.num(yOf(p.V))
			runLen++
			prev = p
		}
		if runLen == 1 {
			dots = append(dots, runStart)
		}
		w.raw(`"/>`)
		for _, p := range dots {
			w.raw(`<circle class="dot"`)
			w.nattr("cx", xOf(p.T))
			w.nattr("cy", yOf(p.V))
			w.raw(` r="2.5"><title>`)
			w.text(names[i] + " " + p.T.UTC().Format("2006-01-02 15:04") + ": " + o.Unit.Format(p.V))
			w.raw("</title></circle>")
		}
		w.raw("</g>")
	}
	if showLegend {
		w.legend(names, classes, left, height+4, width, maxLabel)
	}
	return w.html()
}

func cmpPoint(a, b Point) int { return a.T.Compare(b.T) }

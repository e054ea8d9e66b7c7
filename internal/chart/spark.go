package chart

import (
	"html/template"
	"math"
	"strings"
)

// SparkOptions configures Sparkline. The zero value works.
type SparkOptions struct {
	Title  string // accessible name; default "Sparkline". The tooltip adds last, min and max.
	Width  int    // px; default 100
	Height int    // px; default 20
	Unit   Unit   // how the tooltip prints values
	Class  string // extra classes for the root <svg>
}

// Sparkline renders a word-sized line of evenly spaced values, scaled from
// their minimum to their maximum, with a dot on the last value. NaN and ±Inf
// values are gaps.
//
// CSS classes: svg.chart.chart-spark; path.line, circle.dot.last (and
// circle.dot for isolated values).
func Sparkline(values []float64, o SparkOptions) template.HTML {
	if strings.TrimSpace(o.Title) == "" {
		o.Title = "Sparkline"
	}
	width, height := orDefault(o.Width, 100), orDefault(o.Height, 20)
	lo, hi := math.Inf(1), math.Inf(-1)
	last := -1
	for i, v := range values {
		if finite(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
			last = i
		}
	}
	if last < 0 {
		return empty("spark", o.Class, width, height, o.Title)
	}
	const pad = 3.0 // room for the dot
	xOf := func(i int) float64 {
		if len(values) == 1 {
			return width - pad
		}
		return pad + float64(i)/float64(len(values)-1)*(width-2*pad)
	}
	yOf := func(v float64) float64 {
		if hi == lo {
			return height / 2
		}
		return pad + (hi/2-v/2)/(hi/2-lo/2)*(height-2*pad)
	}

	var w writer
	w.b = make([]byte, 0, 512+len(values)*14)
	w.open("spark", o.Class, width, height,
		o.Title+": last "+o.Unit.Format(values[last])+", min "+o.Unit.Format(lo)+", max "+o.Unit.Format(hi), false)
	w.raw(`<path class="line" d="`)
	var dots []int
	run := 0
	for i, v := range values {
		if !finite(v) {
			if run == 1 {
				dots = append(dots, i-1)
			}
			run = 0
			continue
		}
		if run == 0 {
			w.raw("M")
		} else {
			w.raw("L")
		}
		w.num(xOf(i))
		w.raw(" ")
		w.num(yOf(v))
		run++
	}
	w.raw(`"/>`)
	for _, i := range dots {
		w.raw(`<circle class="dot"`)
		w.nattr("cx", xOf(i))
		w.nattr("cy", yOf(values[i]))
		w.raw(` r="1.5"/>`)
	}
	w.raw(`<circle class="dot last"`)
	w.nattr("cx", xOf(last))
	w.nattr("cy", yOf(values[last]))
	w.raw(` r="2"/>`)
	return w.html()
}

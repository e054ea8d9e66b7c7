package chart

import (
	"html"
	"html/template"
	"math"
	"net/url"
	"strconv"
	"strings"
)

// writer accumulates SVG markup. Literal markup goes through raw; anything
// derived from input goes through text, attr or num.
type writer struct {
	b []byte
}

// raw appends trusted, constant markup.
func (w *writer) raw(s string) { w.b = append(w.b, s...) }

// text appends cleaned, escaped character data.
func (w *writer) text(s string) { w.b = append(w.b, html.EscapeString(clean(s))...) }

// attr appends ` name="value"` with the value cleaned and escaped.
func (w *writer) attr(name, value string) {
	w.b = append(w.b, ' ')
	w.b = append(w.b, name...)
	w.b = append(w.b, '=', '"')
	w.text(value)
	w.b = append(w.b, '"')
}

// num appends a coordinate rounded to 0.1px.
func (w *writer) num(v float64) {
	// Fixed point in tenths: as strconv.FormatFloat(rounded, 'f', -1, 64)
	// would print it, several times faster. Coordinates are clamped to
	// ±1e9 px and NaN prints as 0, so nothing odd ever reaches the output.
	switch {
	case math.IsNaN(v):
		v = 0
	case v < -1e9:
		v = -1e9
	case v > 1e9:
		v = 1e9
	}
	t := int64(math.Round(v * 10))
	if t < 0 {
		w.b = append(w.b, '-')
		t = -t
	}
	w.b = strconv.AppendInt(w.b, t/10, 10)
	if d := t % 10; d != 0 {
		w.b = append(w.b, '.', byte('0'+d))
	}
}

// nattr appends ` name="number"`.
func (w *writer) nattr(name string, v float64) {
	w.b = append(w.b, ' ')
	w.b = append(w.b, name...)
	w.b = append(w.b, '=', '"')
	w.num(v)
	w.b = append(w.b, '"')
}

// title appends <title>s</title>.
func (w *writer) title(s string) {
	w.raw("<title>")
	w.text(s)
	w.raw("</title>")
}

// open starts the root element with its accessible name. The role is
// "img", or "group" for charts holding links: the children of an img are
// hidden from assistive technology, which would make the links unreachable.
func (w *writer) open(kind, extra string, width, height float64, label string, links bool) {
	w.raw(`<svg xmlns="http://www.w3.org/2000/svg"`)
	cls := "chart chart-" + kind
	if e := classList(extra); e != "" {
		cls += " " + e
	}
	w.attr("class", cls)
	w.nattr("width", width)
	w.nattr("height", height)
	w.raw(` viewBox="0 0 `)
	w.num(width)
	w.raw(" ")
	w.num(height)
	if links {
		w.raw(`" role="group"`)
	} else {
		w.raw(`" role="img"`)
	}
	w.attr("aria-label", label)
	w.raw(">")
	w.title(label)
}

// textAt appends a <text> element.
func (w *writer) textAt(class string, x, y float64, anchor, s string) {
	w.raw(`<text class="`)
	w.raw(class)
	w.raw(`"`)
	w.nattr("x", x)
	w.nattr("y", y)
	if anchor != "" {
		w.raw(` text-anchor="`)
		w.raw(anchor)
		w.raw(`"`)
	}
	w.raw(">")
	w.text(s)
	w.raw("</text>")
}

// rect appends a <rect>, optionally with its own tooltip.
func (w *writer) rect(class string, x, y, width, height float64, tip string) {
	w.raw(`<rect`)
	w.attr("class", class)
	w.nattr("x", x)
	w.nattr("y", y)
	w.nattr("width", width)
	w.nattr("height", height)
	if tip == "" {
		w.raw("/>")
		return
	}
	w.raw(">")
	w.title(tip)
	w.raw("</rect>")
}

func (w *writer) html() template.HTML {
	w.raw("</svg>")
	return template.HTML(w.b) //nolint:gosec // every piece was escaped on the way in
}

// empty renders the "no data" state.
func empty(kind, extra string, width, height float64, label string) template.HTML {
	var w writer
	w.open(kind, extra, width, height, label+": no data", false)
	w.textAt("empty", width/2, height/2+4, "middle", "no data")
	return w.html()
}

// orDefault returns v, or def when v is not positive.
func orDefault(v, def int) float64 {
	if v <= 0 {
		return float64(def)
	}
	return float64(v)
}

// safeHref returns href when it is a relative reference or an http or https
// URL, and "" otherwise. Whitespace, control characters and backslashes are
// refused outright: browsers strip or reinterpret them, which could turn an
// innocent-looking relative path into a javascript: URL or another host.
func safeHref(href string) string {
	if href == "" || len(href) > 2048 {
		return ""
	}
	for i := 0; i < len(href); i++ {
		if c := href[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return ""
		}
	}
	u, err := url.Parse(href)
	if err != nil {
		return ""
	}
	switch strings.ToLower(u.Scheme) {
	case "":
		if u.Opaque != "" {
			return ""
		}
	case "http", "https":
		if u.Host == "" {
			return ""
		}
	default:
		return ""
	}
	return href
}

// link opens an <a> for a row when href is set; the accessible name is the
// row's full text.
func (w *writer) link(href, label string) {
	if href == "" {
		return
	}
	w.raw("<a")
	w.attr("href", href)
	w.attr("aria-label", label)
	w.raw(">")
}

// legend appends a wrapping row of swatches and names starting at y and
// returns the height used.
func (w *writer) legend(names, classes []string, x0, y, width float64, maxLabel int) float64 {
	if len(names) == 0 {
		return 0
	}
	const rowH = 18
	x, rows := x0, 1.0
	w.raw(`<g class="legend">`)
	for i, name := range names {
		short, _ := truncate(clean(name), maxLabel)
		itemW := 14 + textWidth(short) + 14
		if x > x0 && x+itemW > width {
			x, rows = x0, rows+1
		}
		yy := y + (rows-1)*rowH
		w.raw(`<g class="legend-item">`)
		w.title(name)
		w.rect("swatch "+classes[i], x, yy+3, 10, 10, "")
		w.textAt("legend-label", x+14, yy+12, "", short)
		w.raw(`</g>`)
		x += itemW
	}
	w.raw(`</g>`)
	return rows * rowH
}

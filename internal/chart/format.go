package chart

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Unit says how values are printed on axes, bar ends and tooltips, and for
// Duration also which tick steps are "nice".
type Unit int

const (
	// Number prints plain numbers: 3, 0.25, 123456, 1.5e+09.
	Number Unit = iota
	// Count prints with SI suffixes: 950, 1.2k, 15k, 3.4M, 2G.
	Count
	// Duration reads values as seconds and prints them compactly:
	// 250ms, 45s, 15m, 1.5h, 2d. Axis ticks step by 1, 2, 5, 10, 15 and 30
	// seconds or minutes, 1, 2, 3, 6 and 12 hours, 1, 2 and 7 days.
	Duration
	// Percent prints a number followed by "%" (values are 0–100, not 0–1).
	Percent
)

// Format prints v in the unit. NaN prints as "n/a" and infinities as "∞" or
// "-∞".
func (u Unit) Format(v float64) string {
	switch {
	case math.IsNaN(v):
		return "n/a"
	case math.IsInf(v, 1):
		return "∞"
	case math.IsInf(v, -1):
		return "-∞"
	}
	switch u {
	case Count:
		return formatScaled(v, countUnits, true)
	case Duration:
		return formatScaled(v, durationUnits, false)
	case Percent:
		return formatNumber(v) + "%"
	}
	return formatNumber(v)
}

// formatNumber prints v with at most six significant digits, without an
// exponent for magnitudes between 1e-4 and 1e6.
func formatNumber(v float64) string {
	if v == 0 {
		return "0"
	}
	a := math.Abs(v)
	if a >= 1e6 || a < 1e-4 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

type scaleUnit struct {
	size   float64
	suffix string
}

var countUnits = []scaleUnit{
	{1, ""}, {1e3, "k"}, {1e6, "M"}, {1e9, "G"}, {1e12, "T"}, {1e15, "P"}, {1e18, "E"},
}

var durationUnits = []scaleUnit{
	{1e-3, "ms"}, {1, "s"}, {60, "m"}, {3600, "h"}, {86400, "d"},
}

// formatScaled picks the largest unit not above |v|, and prints one decimal
// below 10 and none from 10 up, moving to the next unit when rounding reaches
// it (59.97s prints as 1m). With plainBase, values in the base unit keep up
// to three significant digits instead (0.25, 12.5, 999).
func formatScaled(v float64, units []scaleUnit, plainBase bool) string {
	if v == 0 {
		return "0"
	}
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	i := 0
	for i+1 < len(units) && v >= units[i+1].size {
		i++
	}
	for ; i < len(units); i++ {
		x := v / units[i].size
		var r float64
		var s string
		switch {
		case plainBase && i == 0:
			s = strconv.FormatFloat(x, 'g', 3, 64)
			r, _ = strconv.ParseFloat(s, 64)
		case x < 9.95:
			r = math.Round(x*10) / 10
			s = strconv.FormatFloat(r, 'f', -1, 64)
		default:
			r = math.Round(x)
			s = strconv.FormatFloat(r, 'f', -1, 64)
		}
		if i+1 < len(units) && r*units[i].size >= units[i+1].size {
			continue // rounding reached the next unit
		}
		if r >= 1e6 && plainBase {
			break // beyond the largest suffix: plain exponent notation
		}
		if r >= 1e6 || (x < 0.01 && i == 0) {
			s = strconv.FormatFloat(x, 'g', 3, 64)
		}
		return sign + s + units[i].suffix
	}
	return sign + strconv.FormatFloat(v, 'g', 3, 64)
}

// maxText bounds the length of any text written, so a hostile label cannot
// blow up the page.
const maxText = 512

// clean makes s safe to embed in XML text: invalid UTF-8 and characters XML
// forbids become U+FFFD, other control characters become spaces,
// bidirectional embedding and override characters are removed (they can make
// a label read differently from what it is), and the text is cut to maxText
// runes. It returns s itself when nothing needs changing.
func clean(s string) string {
	ok := true
	n := 0
	for _, r := range s {
		n++
		if r < 0x20 || r == 0x7f || r == 0xfffd || r == 0xfffe || r == 0xffff || isBidi(r) || (r >= 0x80 && r < 0xa0) {
			ok = false
			break
		}
	}
	if ok && n <= maxText {
		return s
	}
	var b strings.Builder
	n = 0
	for _, r := range s {
		if n == maxText {
			b.WriteRune('…')
			break
		}
		switch {
		case isBidi(r):
			continue
		case r == 0xfffe || r == 0xffff:
			r = 0xfffd
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			r = ' '
		}
		b.WriteRune(r) // utf8.RuneError for invalid bytes is U+FFFD already
		n++
	}
	return b.String()
}

func isBidi(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// truncate shortens s to at most max runes, ending in an ellipsis when cut.
func truncate(s string, max int) (string, bool) {
	if max < 2 {
		max = 2
	}
	if utf8.RuneCountInString(s) <= max {
		return s, false
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return strings.TrimRight(s[:i], " ") + "…", true
		}
		n++
	}
	return s, false
}

// runeLen counts runes.
func runeLen(s string) int { return utf8.RuneCountInString(s) }

// textWidth estimates the rendered width of s in pixels.
func textWidth(s string) float64 { return float64(runeLen(s)) * 7 }

// className reduces s to one CSS class token: lower case, letters, digits,
// '-' and '_', starting with a letter, at most 32 bytes. It returns "" when
// nothing usable is left.
func className(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return ""
		}
	}
	return s
}

// classList keeps the usable tokens of a space-separated class list.
func classList(s string) string {
	var out []string
	for _, f := range strings.Fields(s) {
		if c := className(f); c != "" {
			out = append(out, c)
		}
	}
	return strings.Join(out, " ")
}

// seriesClass is the class of series i: its own class if usable, otherwise
// s0…s7 by position.
func seriesClass(own string, i int) string {
	if c := className(own); c != "" {
		return c
	}
	return "s" + strconv.Itoa(i%8)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func itoa(i int) string { return strconv.Itoa(i) }

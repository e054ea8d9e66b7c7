package sigma

import (
	"encoding/base64"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/event"
)

// valMatcher matches one value found at a field.
type valMatcher interface {
	matchValue(c *evalCtx, v *fastjson.Value) bool
}

// strVal matches the value's text against a string pattern.
type strVal struct{ m strMatcher }

func (s *strVal) matchValue(c *evalCtx, v *fastjson.Value) bool {
	if s.m.kind == strAny {
		return v.Type() != fastjson.TypeNull
	}
	t, buf, ok := scalarText(v, c.buf)
	c.buf = buf
	return ok && s.m.match(t)
}

// numVal is a number in the rule: it matches the same number in the event
// (403 and 403.0) or its text ("403").
type numVal struct {
	n   float64
	str strMatcher
}

func (s *numVal) matchValue(c *evalCtx, v *fastjson.Value) bool {
	if v.Type() == fastjson.TypeNumber {
		f, err := v.Float64()
		return err == nil && f == s.n
	}
	t, buf, ok := scalarText(v, c.buf)
	c.buf = buf
	return ok && s.str.match(t)
}

// reVal matches a regular expression (RE2 syntax; Sigma's PCRE-only
// constructs fail at load). lit is a literal every match contains, checked
// first because it is far cheaper than the regexp.
type reVal struct {
	re  *regexp.Regexp
	lit string
}

func (s *reVal) matchValue(c *evalCtx, v *fastjson.Value) bool {
	t, buf, ok := scalarText(v, c.buf)
	c.buf = buf
	if !ok || (s.lit != "" && !strings.Contains(t, s.lit)) {
		return false
	}
	return s.re.MatchString(t)
}

// cidrVal matches addresses in any of the prefixes.
type cidrVal struct{ prefixes []netip.Prefix }

func (s *cidrVal) matchValue(c *evalCtx, v *fastjson.Value) bool {
	if v.Type() != fastjson.TypeString {
		return false
	}
	a, err := netip.ParseAddr(event.B2S(v.GetStringBytes()))
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// cmpVal compares numbers (gt, gte, lt, lte); numeric strings count.
type cmpVal struct {
	op string
	n  float64
}

func numberOf(v *fastjson.Value) (float64, bool) {
	switch v.Type() {
	case fastjson.TypeNumber:
		f, err := v.Float64()
		return f, err == nil
	case fastjson.TypeString:
		f, err := strconv.ParseFloat(strings.TrimSpace(event.B2S(v.GetStringBytes())), 64)
		return f, err == nil
	}
	return 0, false
}

func (s *cmpVal) matchValue(_ *evalCtx, v *fastjson.Value) bool {
	f, ok := numberOf(v)
	if !ok || math.IsNaN(f) {
		return false
	}
	switch s.op {
	case "gt":
		return f > s.n
	case "gte":
		return f >= s.n
	case "lt":
		return f < s.n
	}
	return f <= s.n
}

// timeVal compares a component of a timestamp (minute … year, UTC).
type timeVal struct {
	unit string
	n    int
}

func (s *timeVal) matchValue(c *evalCtx, v *fastjson.Value) bool {
	var t time.Time
	switch v.Type() {
	case fastjson.TypeString:
		var err error
		t, err = time.Parse(time.RFC3339Nano, event.B2S(v.GetStringBytes()))
		if err != nil {
			return false
		}
	case fastjson.TypeNumber:
		f, _ := v.Float64()
		if f > 1e11 { // milliseconds
			t = time.UnixMilli(int64(f))
		} else {
			t = time.Unix(int64(f), 0)
		}
	default:
		return false
	}
	t = t.UTC()
	var got int
	switch s.unit {
	case "minute":
		got = t.Minute()
	case "hour":
		got = t.Hour()
	case "day":
		got = t.Day()
	case "week":
		_, got = t.ISOWeek()
	case "month":
		got = int(t.Month())
	default:
		got = t.Year()
	}
	return got == s.n
}

// refVal compares the value with the values of another field (fieldref),
// equal or, with contains/startswith/endswith, by that relation.
type refVal struct {
	ref   fieldPath
	kind  strKind
	cased bool
}

func (s *refVal) matchValue(c *evalCtx, v *fastjson.Value) bool {
	t, buf, ok := scalarText(v, c.buf)
	c.buf = buf
	if !ok {
		return false
	}
	mark := len(c.refs)
	c.refs = s.ref.collect(c.raw, c.refs)
	defer func() { c.refs = c.refs[:mark] }()
	for _, rv := range c.refs[mark:] {
		rt, buf, ok := scalarText(rv, c.buf)
		c.buf = buf
		if !ok {
			continue
		}
		if !s.cased {
			// Fold both sides once; the values are short.
			var hit bool
			switch s.kind {
			case strExact:
				hit = strings.EqualFold(t, rt)
			case strPrefix:
				hit = len(t) >= len(rt) && strings.EqualFold(t[:len(rt)], rt)
			case strSuffix:
				hit = len(t) >= len(rt) && strings.EqualFold(t[len(t)-len(rt):], rt)
			default:
				hit = containsFold(t, rt)
			}
			if hit {
				return true
			}
			continue
		}
		switch s.kind {
		case strExact:
			if t == rt {
				return true
			}
		case strPrefix:
			if strings.HasPrefix(t, rt) {
				return true
			}
		case strSuffix:
			if strings.HasSuffix(t, rt) {
				return true
			}
		default:
			if strings.Contains(t, rt) {
				return true
			}
		}
	}
	return false
}

func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// regexLiteral finds a literal substring every match of re must contain
// (the longest case-sensitive literal of a top-level concatenation).
func regexLiteral(expr string, flags string) string {
	if strings.ContainsAny(flags, "i") {
		return ""
	}
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return ""
	}
	re = re.Simplify()
	best := ""
	consider := func(r *syntax.Regexp) {
		if r.Op == syntax.OpLiteral && r.Flags&syntax.FoldCase == 0 {
			if s := string(r.Rune); len(s) > len(best) {
				best = s
			}
		}
	}
	switch re.Op {
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			consider(sub)
		}
	case syntax.OpLiteral:
		consider(re)
	}
	return best
}

// Value transformations.

// utf16Encode encodes s as UTF-16 bytes.
func utf16Encode(s string, bigEndian, bom bool) string {
	var b []byte
	if bom {
		b = append(b, 0xFF, 0xFE)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}

// base64Offsets returns the three base64 forms of s as it may appear
// inside a longer encoded text, as pySigma's base64offset does.
func base64Offsets(s string) []string {
	starts := [3]int{0, 2, 3}
	ends := [3]int{0, 3, 2}
	out := make([]string, 0, 3)
	for i := 0; i < 3; i++ {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat(" ", i) + s))
		end := len(enc) - ends[(len(s)+i)%3]
		if starts[i] > end {
			continue
		}
		out = append(out, enc[starts[i]:end])
	}
	return out
}

// windashVariants returns s with every dash or slash that starts a word
// (an option) written each way Windows accepts.
func windashVariants(s string) []string {
	dashes := []string{"-", "/", "\u2013", "\u2014", "\u2015"}
	var pos []int
	for i, r := range s {
		if (r == '-' || r == '/') && (i == 0 || s[i-1] == ' ') {
			pos = append(pos, i)
		}
	}
	if len(pos) == 0 {
		return []string{s}
	}
	if len(pos) > 4 {
		pos = pos[:4] // 5^4 variants at most
	}
	out := []string{""}
	prev := 0
	for _, p := range pos {
		seg := s[prev:p]
		var next []string
		for _, o := range out {
			for _, d := range dashes {
				next = append(next, o+seg+d)
			}
		}
		out, prev = next, p+1
	}
	for i := range out {
		out[i] += s[prev:]
	}
	return out
}

// expandPlaceholders replaces %name% placeholders with each configured
// value (several placeholders multiply).
func expandPlaceholders(s string, ph map[string][]string) ([]string, error) {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return []string{s}, nil
	}
	j := strings.IndexByte(s[i+1:], '%')
	if j < 0 {
		return []string{s}, nil
	}
	name := s[i+1 : i+1+j]
	vals, ok := ph[name]
	if !ok || len(vals) == 0 {
		return nil, fmt.Errorf("placeholder %%%s%% has no values (set detectors.sigma.placeholders.%s)", name, name)
	}
	rest, err := expandPlaceholders(s[i+2+j:], ph)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range vals {
		for _, r := range rest {
			out = append(out, s[:i]+v+r)
		}
	}
	return out, nil
}

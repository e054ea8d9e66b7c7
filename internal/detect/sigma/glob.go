package sigma

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// strKind is how a string pattern is matched: the special cases avoid the
// general glob for the shapes nearly every rule uses.
type strKind uint8

const (
	strExact strKind = iota
	strPrefix
	strSuffix
	strContains
	strAny // "*": any value
	strGlob
)

// strMatcher matches text against one Sigma string pattern (wildcards
// already parsed). Case-insensitive unless cased; lit is the literal part
// (lowercased when folding) for the special shapes, glob the parsed pattern
// otherwise.
type strMatcher struct {
	kind  strKind
	cased bool
	ascii bool // lit is ASCII: the byte-wise fold fast path applies
	lit   string
	glob  []globTok
}

// globTok is one token of a parsed pattern: a literal run, '*' or '?'.
type globTok struct {
	op  byte // 0 literal, '*', '?'
	lit string
}

// parseWildcards splits a Sigma value into literal runs and wildcards.
// Escapes follow the spec: \* and \? are literal wildcards, \\ is one
// backslash, and a backslash before anything else stays a backslash.
func parseWildcards(s string) []globTok {
	var toks []globTok
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, globTok{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\') {
				lit.WriteByte(s[i+1])
				i++
				continue
			}
			lit.WriteByte(c)
		case '*', '?':
			flush()
			if c == '*' && len(toks) > 0 && toks[len(toks)-1].op == '*' {
				continue // ** is *
			}
			toks = append(toks, globTok{op: c})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return toks
}

// escapeWildcards makes s a literal pattern (for values produced by
// transformations such as base64, which hold no wildcards).
func escapeWildcards(s string) string {
	if !strings.ContainsAny(s, `*?\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '*' || c == '?' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// newStrMatcher compiles a parsed pattern.
func newStrMatcher(toks []globTok, cased bool) strMatcher {
	m := strMatcher{cased: cased}
	lit := func(t globTok) string {
		if cased {
			return t.lit
		}
		return strings.ToLower(t.lit)
	}
	n := len(toks)
	switch {
	case n == 0:
		m.kind = strExact
	case n == 1 && toks[0].op == 0:
		m.kind, m.lit = strExact, lit(toks[0])
	case n == 1 && toks[0].op == '*':
		m.kind = strAny
	case n == 2 && toks[0].op == 0 && toks[1].op == '*':
		m.kind, m.lit = strPrefix, lit(toks[0])
	case n == 2 && toks[0].op == '*' && toks[1].op == 0:
		m.kind, m.lit = strSuffix, lit(toks[1])
	case n == 3 && toks[0].op == '*' && toks[1].op == 0 && toks[2].op == '*':
		m.kind, m.lit = strContains, lit(toks[1])
	default:
		m.kind = strGlob
	}
	m.ascii = isASCII(m.lit)
	if m.kind != strAny && m.kind != strGlob && !cased && !m.ascii {
		// Unicode case folding may change byte lengths: use the rune-wise glob.
		m.kind = strGlob
	}
	if m.kind == strGlob {
		m.glob = toks
	}
	return m
}

// match reports whether s matches.
func (m *strMatcher) match(s string) bool {
	switch m.kind {
	case strExact:
		if m.cased {
			return s == m.lit
		}
		return len(s) == len(m.lit) && hasPrefixFold(s, m.lit)
	case strPrefix:
		if m.cased {
			return strings.HasPrefix(s, m.lit)
		}
		return len(s) >= len(m.lit) && hasPrefixFold(s, m.lit)
	case strSuffix:
		if m.cased {
			return strings.HasSuffix(s, m.lit)
		}
		return len(s) >= len(m.lit) && hasPrefixFold(s[len(s)-len(m.lit):], m.lit)
	case strContains:
		if m.cased {
			return strings.Contains(s, m.lit)
		}
		return indexFold(s, m.lit) >= 0
	case strAny:
		return true
	}
	return globMatch(m.glob, s, m.cased)
}

// hasPrefixFold reports whether s starts with lower, an ASCII lowercase
// literal, ignoring ASCII case.
func hasPrefixFold(s, lower string) bool {
	if len(s) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// indexFold is strings.Index ignoring ASCII case; lower is lowercase ASCII.
func indexFold(s, lower string) int {
	n := len(lower)
	if n == 0 {
		return 0
	}
	c0 := lower[0]
	up0 := c0
	if 'a' <= c0 && c0 <= 'z' {
		up0 -= 'a' - 'A'
	}
	for i := 0; i+n <= len(s); i++ {
		if c := s[i]; (c == c0 || c == up0) && hasPrefixFold(s[i:], lower) {
			return i
		}
	}
	return -1
}

// globMatch matches s against a parsed pattern, rune by rune: '?' is one
// rune, '*' any run. Backtracking only to the last star keeps it linear
// for the patterns rules use.
func globMatch(toks []globTok, s string, cased bool) bool {
	ti, si := 0, 0
	starT, starS := -1, 0
	for {
		if ti < len(toks) {
			t := toks[ti]
			switch t.op {
			case '*':
				starT, starS = ti, si
				ti++
				continue
			case '?':
				if si < len(s) {
					_, w := utf8.DecodeRuneInString(s[si:])
					si += w
					ti++
					continue
				}
			default:
				if n, ok := prefixLen(s[si:], t.lit, cased); ok {
					si += n
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		// Mismatch: let the last star swallow one more rune.
		if starT < 0 || starS >= len(s) {
			return false
		}
		_, w := utf8.DecodeRuneInString(s[starS:])
		starS += w
		ti, si = starT+1, starS
	}
}

// prefixLen reports whether s starts with lit (folding case unless cased)
// and how many bytes of s that prefix takes.
func prefixLen(s, lit string, cased bool) (int, bool) {
	if cased {
		return len(lit), strings.HasPrefix(s, lit)
	}
	i := 0
	for _, lr := range lit {
		if i >= len(s) {
			return 0, false
		}
		sr, w := utf8.DecodeRuneInString(s[i:])
		if sr != lr && !foldEq(sr, lr) {
			return 0, false
		}
		i += w
	}
	return i, true
}

// foldEq reports whether two runes are equal under simple Unicode case folding.
func foldEq(a, b rune) bool {
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		return a == b
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

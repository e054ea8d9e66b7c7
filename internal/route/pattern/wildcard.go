package pattern

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// wildcard is a compiled wildcard operand: the literal segments between
// its unescaped stars. "a*b*c" is {"a", "b", "c"}, "*.png" is {"", ".png"}.
type wildcard struct {
	parts []string
}

// parseWildcard splits s on unescaped stars. As in event-ruler, \* is a
// literal star, \\ a literal backslash, any other escape is an error and
// so are consecutive stars.
func parseWildcard(s string) (wildcard, error) {
	var w wildcard
	var cur strings.Builder
	prevStar := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 == len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return wildcard{}, errors.New(`wildcard: a backslash may only escape "*" or "\"`)
			}
			i++
			cur.WriteByte(s[i])
			prevStar = false
		case '*':
			if prevStar {
				return wildcard{}, errors.New("wildcard: consecutive * are not allowed")
			}
			w.parts = append(w.parts, cur.String())
			cur.Reset()
			prevStar = true
		default:
			cur.WriteByte(c)
			prevStar = false
		}
	}
	w.parts = append(w.parts, cur.String())
	return w, nil
}

// match reports whether s matches. With only "*" as a metacharacter,
// taking the leftmost occurrence of each middle segment is optimal, so no
// backtracking is needed.
func (w *wildcard) match(s string) bool {
	p := w.parts
	if len(p) == 1 {
		return s == p[0]
	}
	if !strings.HasPrefix(s, p[0]) {
		return false
	}
	s = s[len(p[0]):]
	for _, mid := range p[1 : len(p)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, p[len(p)-1])
}

// hasPrefixFold is strings.HasPrefix under Unicode simple case folding
// (the folding strings.EqualFold uses), without allocating.
func hasPrefixFold(s, prefix string) bool {
	for prefix != "" {
		if s == "" {
			return false
		}
		if c, d := s[0], prefix[0]; c < utf8.RuneSelf && d < utf8.RuneSelf {
			if lowerASCII(c) != lowerASCII(d) {
				return false
			}
			s, prefix = s[1:], prefix[1:]
			continue
		}
		r, n := utf8.DecodeRuneInString(s)
		q, m := utf8.DecodeRuneInString(prefix)
		if !equalFoldRune(r, q) {
			return false
		}
		s, prefix = s[n:], prefix[m:]
	}
	return true
}

// hasSuffixFold is strings.HasSuffix under simple case folding.
func hasSuffixFold(s, suffix string) bool {
	for suffix != "" {
		if s == "" {
			return false
		}
		if c, d := s[len(s)-1], suffix[len(suffix)-1]; c < utf8.RuneSelf && d < utf8.RuneSelf {
			if lowerASCII(c) != lowerASCII(d) {
				return false
			}
			s, suffix = s[:len(s)-1], suffix[:len(suffix)-1]
			continue
		}
		r, n := utf8.DecodeLastRuneInString(s)
		q, m := utf8.DecodeLastRuneInString(suffix)
		if !equalFoldRune(r, q) {
			return false
		}
		s, suffix = s[:len(s)-n], suffix[:len(suffix)-m]
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFoldRune reports whether a and b are in the same simple case-folding orbit.
func equalFoldRune(a, b rune) bool {
	if a == b {
		return true
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

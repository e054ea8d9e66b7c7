package suppress

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// wildcard is a compiled Matches operand: "*" is any run of characters
// (including none), "?" exactly one character, and "\*", "\?" and "\\"
// are the literal characters. A character is a UTF-8 code point; an
// invalid byte in the matched string counts as one character.
type wildcard struct {
	src string
	// parts are the literal segments between stars when there is no "?":
	// "a*b*c" is {"a", "b", "c"}, "*.png" is {"", ".png"}.
	parts []string
	// toks is the general form, used when there is a "?".
	toks []wtok
}

type wtok struct {
	kind byte // 'l' literal run, '?' one character, '*' any run
	s    string
}

func parseWildcard(src string) (wildcard, error) {
	if !utf8.ValidString(src) {
		return wildcard{}, errors.New("not valid UTF-8")
	}
	w := wildcard{src: src}
	var toks []wtok
	var lit strings.Builder
	hasQ := false
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, wtok{kind: 'l', s: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '\\':
			if i+1 == len(src) {
				return wildcard{}, fmt.Errorf(`trailing backslash at offset %d (escape a literal backslash as \\)`, i)
			}
			if n := src[i+1]; n != '*' && n != '?' && n != '\\' {
				r, _ := utf8.DecodeRuneInString(src[i+1:])
				return wildcard{}, fmt.Errorf(`bad escape \%c at offset %d: only \*, \? and \\ are escapes`, r, i)
			}
			i++
			lit.WriteByte(src[i])
		case '*':
			flush()
			if len(toks) == 0 || toks[len(toks)-1].kind != '*' {
				toks = append(toks, wtok{kind: '*'})
			}
		case '?':
			flush()
			hasQ = true
			toks = append(toks, wtok{kind: '?'})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	if hasQ {
		w.toks = toks
		return w, nil
	}
	// Literal segments between stars.
	cur := ""
	for _, t := range toks {
		if t.kind == '*' {
			w.parts = append(w.parts, cur)
			cur = ""
			continue
		}
		cur = t.s
	}
	w.parts = append(w.parts, cur)
	return w, nil
}

func (w *wildcard) match(s string) bool {
	if w.toks == nil {
		return matchParts(w.parts, s)
	}
	return matchToks(w.toks, s)
}

// matchParts matches literal segments separated by stars. Taking the
// leftmost occurrence of each middle segment is optimal, so there is no
// backtracking.
func matchParts(p []string, s string) bool {
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

// matchToks is the classic glob matcher: on a mismatch it retries from
// the last star, which then swallows one more character. Worst case
// O(len(s)·len(toks)), no allocation.
func matchToks(toks []wtok, s string) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		if p < len(toks) {
			switch t := toks[p]; t.kind {
			case '*':
				starP, starI = p, i
				p++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(s[i:])
				i += n
				p++
				continue
			default:
				if strings.HasPrefix(s[i:], t.s) {
					i += len(t.s)
					p++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starI:])
		starI += n
		p, i = starP+1, starI
	}
	for p < len(toks) && toks[p].kind == '*' {
		p++
	}
	return p == len(toks)
}

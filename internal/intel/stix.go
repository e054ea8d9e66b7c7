package intel

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// stixObject holds the fields of a STIX object that matter here.
type stixObject struct {
	Type           string   `json:"type"`
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	Pattern        string   `json:"pattern"`
	PatternType    string   `json:"pattern_type"`
	IndicatorTypes []string `json:"indicator_types"` // STIX 2.1
	Labels         []string `json:"labels"`          // STIX 2.0 indicator types
	ValidUntil     string   `json:"valid_until"`
	Revoked        bool     `json:"revoked"`
}

// parseSTIX reads a STIX 2.1 (or 2.0) bundle — {"type":"bundle",
// "objects":[...]} — or a JSON array of objects, or one indicator object.
// Indicators whose pattern_type is stix (or absent, as in 2.0) give one
// entry per supported comparison; other objects are ignored. The line of an
// entry is the line of its pattern in the file.
func parseSTIX(p *parseCtx) error {
	dec := json.NewDecoder(strings.NewReader(p.data))
	lines := lineCounter{data: p.data}
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("stix: %w", jsonErr(err))
	}
	objects := func() error {
		for dec.More() {
			start := dec.InputOffset()
			var obj stixObject
			err := dec.Decode(&obj)
			if err != nil {
				var te *json.UnmarshalTypeError
				if !errors.As(err, &te) {
					return fmt.Errorf("stix: line %d: %w", lines.line(int(start)), jsonErr(err))
				}
				// The value was read whole; report the object and go on.
				n := lines.line(skipSpace(p.data, int(start)))
				p.bad(n, p.data[skipSpace(p.data, int(start)):min(int(dec.InputOffset()), len(p.data))], "field "+te.Field+" has the wrong JSON type")
				continue
			}
			p.stixObject(&obj, p.data[start:dec.InputOffset()], int(start), &lines)
		}
		return nil
	}
	switch tok {
	case json.Delim('['):
		if err := objects(); err != nil {
			return err
		}
	case json.Delim('{'):
		found := false
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return fmt.Errorf("stix: %w", jsonErr(err))
			}
			if key != "objects" {
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return fmt.Errorf("stix: %w", jsonErr(err))
				}
				continue
			}
			if t, err := dec.Token(); err != nil || t != json.Delim('[') {
				return errors.New("stix: objects is not an array")
			}
			found = true
			if err := objects(); err != nil {
				return err
			}
			if _, err := dec.Token(); err != nil {
				return fmt.Errorf("stix: %w", jsonErr(err))
			}
		}
		if !found { // a single object
			var obj stixObject
			if err := json.Unmarshal([]byte(p.data), &obj); err != nil {
				return fmt.Errorf("stix: %w", jsonErr(err))
			}
			if obj.Type != "indicator" {
				return errors.New("stix: neither a bundle nor an indicator")
			}
			p.stixObject(&obj, p.data, 0, &lines)
		}
	default:
		return errors.New("stix: not a JSON object or array")
	}
	if _, err := dec.Token(); err != nil && err != io.EOF {
		return fmt.Errorf("stix: %w", jsonErr(err))
	}
	if dec.More() {
		return errors.New("stix: data after the bundle")
	}
	return nil
}

func jsonErr(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == ',') {
		i++
	}
	return i
}

// stixObject turns one object into entries. src is the object's JSON text,
// at offset base in the file.
func (p *parseCtx) stixObject(obj *stixObject, src string, base int, lines *lineCounter) {
	if obj.Type != "indicator" {
		return
	}
	// Find the pattern's string literal in the file: its line is the
	// entry's line, and when it has no escapes the entries' raw text points
	// into the file instead of being copied.
	pattern, patOff := obj.Pattern, -1
	for from := 0; patOff < 0; {
		k := strings.Index(src[from:], `"pattern"`)
		if k < 0 {
			break
		}
		k += from
		from = k + len(`"pattern"`)
		i := skipBlank(src, from)
		if i >= len(src) || src[i] != ':' {
			continue // "pattern" as a value
		}
		if i = skipBlank(src, i+1); i < len(src) && src[i] == '"' {
			patOff = base + i + 1
			if rest := p.data[patOff:]; len(rest) > len(obj.Pattern) && rest[len(obj.Pattern)] == '"' &&
				rest[:len(obj.Pattern)] == obj.Pattern {
				pattern = rest[:len(obj.Pattern)]
			}
		}
		break
	}
	line := lines.line(skipSpace(p.data, base))
	if patOff >= 0 {
		line = lines.line(patOff)
	}
	text := pattern
	if text == "" {
		text = obj.ID
	}
	switch {
	case obj.Pattern == "":
		p.bad(line, text, "indicator without a pattern")
		return
	case obj.PatternType != "" && !strings.EqualFold(obj.PatternType, "stix"):
		p.skip(line, text, "pattern_type "+obj.PatternType)
		return
	case obj.Revoked:
		p.skip(line, text, "revoked indicator")
		return
	}
	if obj.ValidUntil != "" {
		until, err := time.Parse(time.RFC3339Nano, obj.ValidUntil)
		if err != nil {
			p.bad(line, text, "valid_until is not a timestamp")
			return
		}
		if !until.After(p.now) {
			p.skip(line, text, "expired indicator (valid_until "+obj.ValidUntil+")")
			return
		}
	}
	cmps, reason := parseSTIXPattern(pattern)
	if reason != "" {
		if strings.HasPrefix(reason, "unsupported") {
			p.skip(line, text, reason)
		} else {
			p.bad(line, text, reason)
		}
		return
	}
	words := append(append([]string{obj.Name}, obj.IndicatorTypes...), obj.Labels...)
	cat := inferCategory(words...)
	loaded := false
	var skipped string
	for _, c := range cmps {
		ind, reason, skip := c.indicator()
		switch {
		case skip:
			skipped = reason
		case reason != "":
			p.bad(line, c.raw, reason)
			loaded = true // reported
		default:
			p.out.entry(ind, c.raw, line, cat)
			loaded = true
		}
	}
	if !loaded {
		p.skip(line, text, skipped)
	}
}

func skipBlank(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// lineCounter turns byte offsets, asked for in increasing order, into line
// numbers in O(total size).
type lineCounter struct {
	data string
	off  int
	n    int // newlines before off
}

func (l *lineCounter) line(off int) int {
	off = min(max(off, 0), len(l.data))
	if off < l.off {
		l.off, l.n = 0, 0
	}
	l.n += strings.Count(l.data[l.off:off], "\n")
	l.off = off
	return l.n + 1
}

// stixComparison is one comparison of a pattern: path op 'value'.
type stixComparison struct {
	path  string // object path, lower case: ipv4-addr:value
	op    string // =, ISSUBSET, ...
	value string // the string literal, unescaped; ok=false for other literals
	ok    bool
	raw   string // the comparison as written in the pattern
}

// indicator turns a comparison into an entry, or says why not (skip: not a
// network indicator or not a supported operator).
func (c stixComparison) indicator() (indicator, string, bool) {
	var want string
	switch c.path {
	case "ipv4-addr:value", "ipv6-addr:value",
		"network-traffic:dst_ref.value", "network-traffic:src_ref.value":
		want = "ip"
	case "domain-name:value":
		want = "domain"
	case "url:value":
		want = "url"
	default:
		return indicator{}, "unsupported comparison " + c.path, true
	}
	switch {
	case c.op == "ISSUBSET" && want == "ip":
	case c.op != "=":
		return indicator{}, "unsupported operator " + c.op, true
	}
	if !c.ok {
		return indicator{}, "value is not a string", false
	}
	v := c.value
	if want == "url" {
		host, _, ok := urlHost(v)
		if !ok {
			return indicator{}, "URL without a host", false
		}
		v = host
	}
	ind, reason := classify(v)
	if reason != "" {
		return indicator{}, reason, false
	}
	switch {
	case c.path == "ipv4-addr:value" && ind.typ != typeIP4 && ind.typ != typeCIDR4,
		c.path == "ipv6-addr:value" && ind.typ != typeIP6 && ind.typ != typeCIDR6:
		return indicator{}, "value does not match " + c.path, false
	case want == "ip" && ind.typ == typeDomain:
		return indicator{}, "not an IP address", false
	case want == "domain" && ind.typ != typeDomain:
		return indicator{}, "not a domain", false
	}
	return ind, "", false
}

// parseSTIXPattern returns the comparisons of a STIX pattern that ORs
// them together: "[ipv4-addr:value = '1.2.3.4' OR ipv4-addr:value =
// '5.6.7.8']", "[a] OR [b]", "[domain-name:value IN ('a', 'b')]".
// Qualifiers (WITHIN, START/STOP, REPEATS) are ignored. A pattern that ANDs
// conditions, negates them or sequences them (FOLLOWEDBY) cannot be matched
// one value at a time and gives a reason starting with "unsupported".
func parseSTIXPattern(pat string) ([]stixComparison, string) {
	lx := stixLexer{s: pat}
	var cmps []stixComparison
	depth, brackets := 0, 0
	for {
		t, err := lx.next()
		if err != "" {
			return nil, err
		}
		switch t.kind {
		case tokEOF:
			if depth != 0 || brackets != 0 {
				return nil, "unbalanced brackets in pattern"
			}
			if len(cmps) == 0 {
				return nil, "pattern without comparisons"
			}
			return cmps, ""
		case tokOpen:
			if t.text == "[" {
				if brackets > 0 {
					return nil, "nested [ in pattern"
				}
				brackets++
			}
			depth++
		case tokClose:
			depth--
			if t.text == "]" {
				brackets--
			}
			if depth < 0 || brackets < 0 {
				return nil, "unbalanced brackets in pattern"
			}
		case tokWord:
			switch up := strings.ToUpper(t.text); up {
			case "OR":
			case "AND", "FOLLOWEDBY", "NOT", "EXISTS":
				return nil, "unsupported pattern: " + up
			case "WITHIN", "START", "STOP", "REPEATS", "TIMES", "SECONDS":
				if brackets > 0 {
					return nil, "qualifier inside [ ]"
				}
			default:
				if brackets == 0 {
					if t.num || t.timestamp {
						continue // a qualifier's argument
					}
					return nil, "comparison outside [ ]"
				}
				c, err := lx.comparison(t)
				if err != "" {
					return nil, err
				}
				cmps = append(cmps, c...)
			}
		default:
			if brackets == 0 && t.kind == tokString && t.timestamp {
				continue // START t'...' STOP t'...'
			}
			return nil, "unexpected " + t.text + " in pattern"
		}
	}
}

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokOpen
	tokClose
	tokComma
	tokWord   // object path, keyword or number
	tokOp     // = != < > <= >=
	tokString // 'literal' (also t'…', h'…', b'…')
)

type stixToken struct {
	kind      tokKind
	text      string // as written
	value     string // tokString: unescaped value
	plain     bool   // tokString: a plain string literal
	num       bool   // tokWord: a number
	timestamp bool   // tokString: t'...'
	start     int
}

type stixLexer struct {
	s string
	i int
}

func (l *stixLexer) next() (stixToken, string) {
	s := l.s
	for l.i < len(s) && (s[l.i] == ' ' || s[l.i] == '\t' || s[l.i] == '\n' || s[l.i] == '\r') {
		l.i++
	}
	start := l.i
	if l.i >= len(s) {
		return stixToken{kind: tokEOF, start: start}, ""
	}
	c := s[l.i]
	switch {
	case c == '[' || c == '(':
		l.i++
		return stixToken{kind: tokOpen, text: s[start:l.i], start: start}, ""
	case c == ']' || c == ')':
		l.i++
		return stixToken{kind: tokClose, text: s[start:l.i], start: start}, ""
	case c == ',':
		l.i++
		return stixToken{kind: tokComma, text: ",", start: start}, ""
	case c == '=' || c == '!' || c == '<' || c == '>':
		l.i++
		if l.i < len(s) && s[l.i] == '=' {
			l.i++
		}
		op := s[start:l.i]
		if op == "!" {
			return stixToken{}, "invalid operator !"
		}
		return stixToken{kind: tokOp, text: op, start: start}, ""
	case c == '\'':
		return l.literal(start, start, false)
	case (c == 't' || c == 'h' || c == 'b') && l.i+1 < len(s) && s[l.i+1] == '\'':
		return l.literal(start, start+1, c == 't')
	case c == 'b' && strings.HasPrefix(s[l.i:], "b64'"):
		return l.literal(start, start+3, false)
	}
	// A word: an object path (with 'quoted' steps and [*] indexes), a
	// keyword or a number.
	for l.i < len(s) {
		c := s[l.i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '_', c == '-', c == ':', c == '.', c == '+':
			l.i++
		case c == '\'' && l.i > start && s[l.i-1] == '.':
			end := strings.IndexByte(s[l.i+1:], '\'')
			if end < 0 {
				return stixToken{}, "unterminated quote in object path"
			}
			l.i += end + 2
		case c == '[' && l.i+2 < len(s) && (s[l.i+1] == '*' || s[l.i+1] >= '0' && s[l.i+1] <= '9'):
			end := strings.IndexByte(s[l.i:], ']')
			if end < 0 {
				return stixToken{}, "unterminated index in object path"
			}
			l.i += end + 1
		default:
			if l.i == start {
				return stixToken{}, fmt.Sprintf("unexpected %q in pattern", c)
			}
			return l.word(start), ""
		}
	}
	return l.word(start), ""
}

func (l *stixLexer) word(start int) stixToken {
	w := l.s[start:l.i]
	num := true
	for i := 0; i < len(w); i++ {
		if !(w[i] >= '0' && w[i] <= '9' || w[i] == '.' || w[i] == '-' || w[i] == '+') {
			num = false
			break
		}
	}
	return stixToken{kind: tokWord, text: w, num: num, start: start}
}

// literal reads a quoted literal whose quote is at q.
func (l *stixLexer) literal(start, q int, timestamp bool) (stixToken, string) {
	s := l.s
	var b strings.Builder
	i, from := q+1, q+1
	for i < len(s) {
		switch s[i] {
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '\'' && s[i+1] != '\\') {
				return stixToken{}, "invalid escape in string literal"
			}
			b.WriteString(s[from:i])
			b.WriteByte(s[i+1])
			i += 2
			from = i
			continue
		case '\'':
			v := s[from:i]
			if b.Len() > 0 {
				b.WriteString(v)
				v = b.String()
			}
			l.i = i + 1
			return stixToken{kind: tokString, text: s[start:l.i], value: v, plain: q == start,
				timestamp: timestamp, start: start}, ""
		}
		i++
	}
	return stixToken{}, "unterminated string literal"
}

// comparison reads the rest of a comparison whose object path is path:
// [NOT] op value, or IN (values).
func (l *stixLexer) comparison(path stixToken) ([]stixComparison, string) {
	if !strings.Contains(path.text, ":") {
		return nil, "expected an object path, got " + path.text
	}
	p := strings.ToLower(path.text)
	op, err := l.next()
	if err != "" {
		return nil, err
	}
	opText := op.text
	switch {
	case op.kind == tokOp:
	case op.kind == tokWord:
		opText = strings.ToUpper(op.text)
		switch opText {
		case "NOT":
			return nil, "unsupported pattern: NOT"
		case "IN":
			return l.set(path, p)
		case "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET":
		default:
			return nil, "unknown operator " + op.text
		}
	default:
		return nil, "expected an operator after " + path.text
	}
	v, err := l.next()
	if err != "" {
		return nil, err
	}
	if v.kind != tokString && !(v.kind == tokWord && (v.num || isBool(v.text))) {
		return nil, "expected a value after " + path.text + " " + op.text
	}
	return []stixComparison{{
		path: p, op: opText, value: v.value, ok: v.kind == tokString && v.plain,
		raw: l.s[path.start:l.i],
	}}, ""
}

// set reads "('a', 'b', ...)" after IN: one comparison per value.
func (l *stixLexer) set(path stixToken, p string) ([]stixComparison, string) {
	if t, err := l.next(); err != "" || t.kind != tokOpen || t.text != "(" {
		return nil, "expected ( after IN"
	}
	var out []stixComparison
	for {
		v, err := l.next()
		if err != "" {
			return nil, err
		}
		if v.kind == tokClose && v.text == ")" && len(out) == 0 {
			return nil, "empty IN set"
		}
		if v.kind != tokString && !(v.kind == tokWord && v.num) {
			return nil, "expected a value in IN set"
		}
		out = append(out, stixComparison{path: p, op: "=", value: v.value, ok: v.kind == tokString && v.plain,
			raw: l.s[v.start:l.i]})
		sep, err := l.next()
		if err != "" {
			return nil, err
		}
		if sep.kind == tokClose && sep.text == ")" {
			return out, ""
		}
		if sep.kind != tokComma {
			return nil, "expected , or ) in IN set"
		}
	}
}

func isBool(s string) bool { return strings.EqualFold(s, "true") || strings.EqualFold(s, "false") }

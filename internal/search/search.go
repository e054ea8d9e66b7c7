// Package search implements the query language of the investigation search:
// a small boolean filter over the indexed columns of stored events.
//
// # Grammar
//
//	query      = [ or ] .                       (empty means everything)
//	or         = and { "OR" and } .
//	and        = unary { [ "AND" ] unary } .    (juxtaposition means AND)
//	unary      = "NOT" unary | primary .
//	primary    = "(" or ")" | comparison .
//	comparison = field ( "=" | "!=" ) value
//	           | field "in" cidr .              (address fields only: srcIP)
//	value      = bare | quoted .
//
// Precedence is NOT > AND > OR. The keywords AND, OR, NOT and in are
// case-insensitive, as are field names. A bare value runs until whitespace,
// "(", ")", a double quote, "=" or "!="; a quoted value is enclosed in double
// quotes. In both forms a backslash escapes the next character (\" \\ \*
// \?), "*" matches any run of characters and "?" matches exactly one
// character; an escaped \* or \? is a literal. The keywords AND, OR and NOT
// must be quoted to be used as values. A cidr is an IPv4 or IPv6 prefix
// (203.0.113.0/24, 2001:db8::/32) or a single address.
//
// # Fields
//
// account, region, source (cloudtrail, vpcflow, dns, k8saudit, finding),
// actor, srcIP, action (alias eventName), outcome (success, failure),
// resource and service (alias eventSource). Time is not part of the query:
// callers filter it as a separate range.
//
// # Semantics
//
// Equality and wildcard matching are exact and case-sensitive. A field an
// event does not have compares as the empty string. "srcIP in P" holds when
// the field parses as an IP address inside P, comparing IPv4 and IPv4-mapped
// IPv6 addresses as equal (see [IPKey]).
package search

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error is a parse error at a 1-based column (counted in characters) of
// the query.
type Error struct {
	Col int
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("column %d: %s", e.Col, e.Msg) }

// fieldDef describes one query field.
type fieldDef struct {
	name string // canonical name
	addr bool   // holds an IP address: "in" is allowed
}

var fieldDefs = []fieldDef{
	{name: "account"},
	{name: "region"},
	{name: "source"},
	{name: "actor"},
	{name: "srcIP", addr: true},
	{name: "action"},
	{name: "outcome"},
	{name: "resource"},
	{name: "service"},
}

// aliases maps an alternative spelling to its canonical field name.
var aliases = map[string]string{
	"eventName":   "action",
	"eventSource": "service",
}

// Fields returns the canonical names of the query fields, the keys of the
// maps given to [Query.SQL] and [Query.Match].
func Fields() []string {
	out := make([]string, len(fieldDefs))
	for i, f := range fieldDefs {
		out[i] = f.name
	}
	return out
}

// lookupField resolves a field name, case-insensitively, through aliases.
func lookupField(name string) (fieldDef, bool) {
	for alias, canon := range aliases {
		if strings.EqualFold(name, alias) {
			name = canon
			break
		}
	}
	for _, f := range fieldDefs {
		if strings.EqualFold(name, f.name) {
			return f, true
		}
	}
	return fieldDef{}, false
}

// closestField is the known field name (canonical or alias) nearest to name.
func closestField(name string) string {
	cands := Fields()
	for alias := range aliases {
		cands = append(cands, alias)
	}
	best, bestD := "", -1
	lower := strings.ToLower(name)
	for _, c := range cands {
		d := levenshtein(lower, strings.ToLower(c))
		if bestD < 0 || d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	return best
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// IPKey is the text an address column's companion ip_key column must hold
// for CIDR queries compiled by [Query.SQL]: the 16-byte form of a (IPv4
// addresses as IPv4-mapped IPv6, so 1.2.3.4 and ::ffff:1.2.3.4 share a key;
// any zone is dropped) as 32 lowercase hex characters, which sort like the
// addresses. It returns "" for the zero (invalid) Addr; store "" (not NULL)
// when the column's value is not an address, so it never falls in a range.
func IPKey(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	b := a.As16()
	return hex.EncodeToString(b[:])
}

// ipKeyOf is IPKey of s parsed as an address, or "" if it is not one.
func ipKeyOf(s string) string {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return ""
	}
	return IPKey(a)
}

// prefixRange is the inclusive range of IPKeys inside p.
func prefixRange(p netip.Prefix) (lo, hi string) {
	p = p.Masked()
	b := p.Addr().As16()
	bits := p.Bits()
	if p.Addr().Is4() {
		bits += 96
	}
	h := b
	for i := bits; i < 128; i++ {
		h[i/8] |= 0x80 >> (i % 8)
	}
	return hex.EncodeToString(b[:]), hex.EncodeToString(h[:])
}

// Patterns: a value is held as a pattern string in which an unescaped "*"
// or "?" is a wildcard and "\" escapes exactly the characters "*", "?" and
// "\" (other characters are stored unescaped).

func patHasWildcard(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '*', '?':
			return true
		}
	}
	return false
}

// patLiteral is the pattern's text with escapes removed (meaningful when it
// has no wildcard).
func patLiteral(p string) string {
	if !strings.Contains(p, `\`) {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' && i+1 < len(p) {
			i++
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// patLike is the pattern as a LIKE pattern with ESCAPE '\'.
func patLike(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch c {
		case '\\':
			// \* and \? are plain characters to LIKE; \\ stays escaped.
			i++
			if p[i] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(p[i])
		case '*':
			b.WriteByte('%')
		case '?':
			b.WriteByte('_')
		case '%', '_':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// globElem is one compiled pattern element.
type globElem struct {
	kind byte // 0 literal rune, '*' any run, '?' one character
	r    rune
}

func compileGlob(p string) []globElem {
	var out []globElem
	for i := 0; i < len(p); {
		switch p[i] {
		case '*', '?':
			out = append(out, globElem{kind: p[i]})
			i++
			continue
		case '\\':
			i++
		}
		r, w := utf8.DecodeRuneInString(p[i:])
		out = append(out, globElem{r: r})
		i += w
	}
	return out
}

func globMatch(p []globElem, s string) bool {
	rs := []rune(s)
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(rs) {
		if pi < len(p) && (p[pi].kind == '?' || (p[pi].kind == 0 && p[pi].r == rs[si])) {
			pi++
			si++
			continue
		}
		if pi < len(p) && p[pi].kind == '*' {
			starP, starS = pi, si
			pi++
			continue
		}
		if starP >= 0 {
			pi = starP + 1
			starS++
			si = starS
			continue
		}
		return false
	}
	for pi < len(p) && p[pi].kind == '*' {
		pi++
	}
	return pi == len(p)
}

// Syntax tree.

type node interface{ isNode() }

type andNode []node
type orNode []node
type notNode struct{ x node }

type cmpOp int

const (
	opEq cmpOp = iota
	opNe
	opIn
)

type cmpNode struct {
	field  string // canonical
	op     cmpOp
	pat    string       // opEq, opNe
	wild   bool         // pat has a wildcard
	glob   []globElem   // compiled pat when wild
	prefix netip.Prefix // opIn, masked
	lo, hi string       // opIn IPKey range
}

func (andNode) isNode()  {}
func (orNode) isNode()   {}
func (notNode) isNode()  {}
func (*cmpNode) isNode() {}

func mkAnd(l, r node) node {
	var out andNode
	for _, n := range []node{l, r} {
		if a, ok := n.(andNode); ok {
			out = append(out, a...)
		} else {
			out = append(out, n)
		}
	}
	return out
}

func mkOr(l, r node) node {
	var out orNode
	for _, n := range []node{l, r} {
		if o, ok := n.(orNode); ok {
			out = append(out, o...)
		} else {
			out = append(out, n)
		}
	}
	return out
}

// Query is a parsed query. It is immutable and safe for concurrent use; the
// nil *Query and the empty query match everything.
type Query struct {
	root node // nil: everything
}

// Parse parses a query. The empty (or all-blank) query matches everything.
// Errors are *Error.
func Parse(s string) (*Query, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	if p.peek().kind == tEOF {
		return &Query{}, nil
	}
	root, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		if t.kind == tRParen {
			return nil, &Error{Col: t.col, Msg: "unmatched )"}
		}
		return nil, &Error{Col: t.col, Msg: "unexpected " + t.describe()}
	}
	return &Query{root: root}, nil
}

// Lexer.

type tokKind int

const (
	tEOF tokKind = iota
	tWord
	tString
	tLParen
	tRParen
	tEq
	tNe
)

type token struct {
	kind tokKind
	col  int
	raw  string // source text of a word
	val  string // pattern of a word or quoted string
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of query"
	case tWord:
		for _, kw := range []string{"AND", "OR", "NOT"} {
			if strings.EqualFold(t.raw, kw) {
				return kw
			}
		}
		return fmt.Sprintf("%q", t.raw)
	case tString:
		return "quoted string"
	case tLParen:
		return "("
	case tRParen:
		return ")"
	case tEq:
		return "="
	default:
		return "!="
	}
}

func (t token) isKeyword(kw string) bool { return t.kind == tWord && strings.EqualFold(t.raw, kw) }

// endsWord reports whether s[i:] starts with a character that ends a bare word.
func endsWord(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	switch r {
	case '(', ')', '"', '=':
		return true
	case '!':
		return i+1 < len(s) && s[i+1] == '='
	}
	return unicode.IsSpace(r)
}

// appendEscaped appends the character c (escaped with a backslash in the
// source) to a pattern.
func appendEscaped(b *strings.Builder, c string) {
	if c == "*" || c == "?" || c == `\` {
		b.WriteByte('\\')
	}
	b.WriteString(c)
}

func lex(s string) ([]token, error) {
	var toks []token
	col := 1
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			i += w
			col++
		case r == '(':
			toks = append(toks, token{kind: tLParen, col: col})
			i++
			col++
		case r == ')':
			toks = append(toks, token{kind: tRParen, col: col})
			i++
			col++
		case r == '=':
			toks = append(toks, token{kind: tEq, col: col})
			i++
			col++
		case r == '!' && i+1 < len(s) && s[i+1] == '=':
			toks = append(toks, token{kind: tNe, col: col})
			i += 2
			col += 2
		case r == '"':
			start := col
			i++
			col++
			var b strings.Builder
			closed := false
			for i < len(s) {
				r, w := utf8.DecodeRuneInString(s[i:])
				if r == '"' {
					i++
					col++
					closed = true
					break
				}
				if r == '\\' {
					if i+1 >= len(s) {
						break
					}
					_, w2 := utf8.DecodeRuneInString(s[i+1:])
					appendEscaped(&b, s[i+1:i+1+w2])
					i += 1 + w2
					col += 2
					continue
				}
				b.WriteString(s[i : i+w])
				i += w
				col++
			}
			if !closed {
				return nil, &Error{Col: start, Msg: "unterminated quoted string"}
			}
			toks = append(toks, token{kind: tString, col: start, val: b.String()})
		default:
			start, startCol := i, col
			var b strings.Builder
			for i < len(s) && !endsWord(s, i) {
				r, w := utf8.DecodeRuneInString(s[i:])
				if r == '\\' {
					if i+1 >= len(s) {
						return nil, &Error{Col: col, Msg: "trailing backslash"}
					}
					_, w2 := utf8.DecodeRuneInString(s[i+1:])
					appendEscaped(&b, s[i+1:i+1+w2])
					i += 1 + w2
					col += 2
					continue
				}
				b.WriteString(s[i : i+w])
				i += w
				col++
			}
			toks = append(toks, token{kind: tWord, col: startCol, raw: s[start:i], val: b.String()})
		}
	}
	return append(toks, token{kind: tEOF, col: col}), nil
}

// Parser.

type parser struct {
	toks []token
	pos  int
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

// startsUnary reports whether t can begin a unary expression.
func startsUnary(t token) bool {
	switch t.kind {
	case tLParen, tString:
		return true
	case tWord:
		return !t.isKeyword("AND") && !t.isKeyword("OR")
	}
	return false
}

func missingOperand(op token) error {
	return &Error{Col: op.col, Msg: "missing expression after " + op.describe()}
}

func (p *parser) parseOr() (node, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.peek().isKeyword("OR") {
		op := p.next()
		if !startsUnary(p.peek()) {
			return nil, missingOperand(op)
		}
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		left = mkOr(left, right)
	}
	return left, nil
}

func (p *parser) parseAnd() (node, error) {
	left, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for {
		if t := p.peek(); t.isKeyword("AND") {
			p.next()
			if !startsUnary(p.peek()) {
				return nil, missingOperand(t)
			}
		} else if !startsUnary(t) {
			return left, nil
		}
		right, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		left = mkAnd(left, right)
	}
}

func (p *parser) parseUnary() (node, error) {
	if t := p.peek(); t.isKeyword("NOT") {
		p.next()
		if !startsUnary(p.peek()) {
			return nil, missingOperand(t)
		}
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return notNode{x}, nil
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() (node, error) {
	t := p.next()
	switch {
	case t.kind == tLParen:
		switch n := p.peek(); {
		case n.kind == tRParen:
			return nil, &Error{Col: t.col, Msg: "empty parentheses"}
		case n.kind == tEOF:
			return nil, &Error{Col: t.col, Msg: "unclosed parenthesis"}
		}
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		switch n := p.next(); n.kind {
		case tRParen:
			return x, nil
		case tEOF:
			return nil, &Error{Col: t.col, Msg: "unclosed parenthesis"}
		default:
			return nil, &Error{Col: n.col, Msg: "unexpected " + n.describe()}
		}
	case t.kind == tString:
		return nil, &Error{Col: t.col, Msg: "expected a field name, found a quoted string"}
	case t.kind == tWord && !t.isKeyword("AND") && !t.isKeyword("OR") && !t.isKeyword("NOT"):
		return p.parseComparison(t)
	default:
		return nil, &Error{Col: t.col, Msg: "unexpected " + t.describe()}
	}
}

func (p *parser) parseComparison(ft token) (node, error) {
	f, ok := lookupField(ft.raw)
	if !ok {
		return nil, &Error{Col: ft.col, Msg: fmt.Sprintf("unknown field %q (did you mean %q?)", ft.raw, closestField(ft.raw))}
	}
	c := &cmpNode{field: f.name}
	op := p.next()
	switch {
	case op.kind == tEq:
		c.op = opEq
	case op.kind == tNe:
		c.op = opNe
	case op.isKeyword("in"):
		if !f.addr {
			return nil, &Error{Col: op.col, Msg: fmt.Sprintf("in needs an address field such as srcIP, not %s", f.name)}
		}
		c.op = opIn
	default:
		return nil, &Error{Col: op.col, Msg: fmt.Sprintf("expected =, != or in after %s, found %s", f.name, op.describe())}
	}
	v := p.peek()
	if v.kind != tString && (v.kind != tWord || v.isKeyword("AND") || v.isKeyword("OR") || v.isKeyword("NOT")) {
		opName := map[cmpOp]string{opEq: "=", opNe: "!=", opIn: "in"}[c.op]
		return nil, &Error{Col: v.col, Msg: "missing value after " + opName}
	}
	p.next()
	if c.op == opIn {
		pfx, err := parseCIDR(v.val)
		if err != nil {
			return nil, &Error{Col: v.col, Msg: fmt.Sprintf("invalid CIDR %q", patLiteral(v.val))}
		}
		c.prefix = pfx
		c.lo, c.hi = prefixRange(pfx)
		return c, nil
	}
	c.pat = v.val
	if c.wild = patHasWildcard(v.val); c.wild {
		c.glob = compileGlob(v.val)
	}
	return c, nil
}

// parseCIDR parses a prefix or a single address (a full-length prefix).
func parseCIDR(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("zoned address")
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// String is the query in canonical form: canonical field names, explicit
// AND, upper-case keywords, only the parentheses precedence requires and
// values quoted only when needed. Parse(q.String()) yields an equal query.
func (q *Query) String() string {
	if q == nil || q.root == nil {
		return ""
	}
	var b strings.Builder
	writeNode(&b, q.root)
	return b.String()
}

func writeNode(b *strings.Builder, n node) {
	switch n := n.(type) {
	case andNode:
		for i, c := range n {
			if i > 0 {
				b.WriteString(" AND ")
			}
			_, isOr := c.(orNode)
			writeMaybeParen(b, c, isOr)
		}
	case orNode:
		for i, c := range n {
			if i > 0 {
				b.WriteString(" OR ")
			}
			writeNode(b, c)
		}
	case notNode:
		b.WriteString("NOT ")
		_, isAnd := n.x.(andNode)
		_, isOr := n.x.(orNode)
		writeMaybeParen(b, n.x, isAnd || isOr)
	case *cmpNode:
		b.WriteString(n.field)
		switch n.op {
		case opEq:
			b.WriteString("=")
			writeValue(b, n.pat)
		case opNe:
			b.WriteString("!=")
			writeValue(b, n.pat)
		case opIn:
			b.WriteString(" in ")
			b.WriteString(n.prefix.String())
		}
	}
}

func writeMaybeParen(b *strings.Builder, n node, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	writeNode(b, n)
	if paren {
		b.WriteByte(')')
	}
}

// writeValue writes a pattern bare when it lexes back as the same word,
// quoted otherwise.
func writeValue(b *strings.Builder, pat string) {
	bare := pat != "" && !strings.EqualFold(pat, "AND") && !strings.EqualFold(pat, "OR") && !strings.EqualFold(pat, "NOT")
	for _, r := range pat {
		if !bare {
			break
		}
		if r == '(' || r == ')' || r == '"' || r == '=' || r == '!' || r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			bare = false
		}
	}
	if bare {
		b.WriteString(pat)
		return
	}
	b.WriteByte('"')
	b.WriteString(strings.ReplaceAll(pat, `"`, `\"`))
	b.WriteByte('"')
}

// SQL compiles the query to a boolean SQL expression for a WHERE clause,
// with ? placeholders and their args. cols maps each field the query uses
// (by canonical name, see [Fields]) to its text column; ipKeyCols maps each
// address field used with "in" to the column holding [IPKey] of its value.
// Column names are written verbatim and must be trusted identifiers.
//
// Equality compiles to = and <>, wildcards to LIKE ... ESCAPE '\' with "*"
// as %, "?" as _ and literal %, _ and \ escaped; the database's LIKE must
// be case-sensitive (PostgreSQL's is; SQLite needs PRAGMA
// case_sensitive_like=ON) to agree with [Query.Match]. CIDR compiles to
// BETWEEN over the ip_key column. Columns must not be NULL (store "" for a
// missing value), or NOT would exclude rows Match accepts. The empty query
// compiles to "1=1".
func (q *Query) SQL(cols map[string]string, ipKeyCols map[string]string) (where string, args []any, err error) {
	if q == nil || q.root == nil {
		return "1=1", nil, nil
	}
	var b strings.Builder
	if err := writeSQL(&b, &args, q.root, cols, ipKeyCols); err != nil {
		return "", nil, err
	}
	return b.String(), args, nil
}

func writeSQL(b *strings.Builder, args *[]any, n node, cols, ipKeyCols map[string]string) error {
	switch n := n.(type) {
	case andNode:
		for i, c := range n {
			if i > 0 {
				b.WriteString(" AND ")
			}
			_, isOr := c.(orNode)
			if isOr {
				b.WriteByte('(')
			}
			if err := writeSQL(b, args, c, cols, ipKeyCols); err != nil {
				return err
			}
			if isOr {
				b.WriteByte(')')
			}
		}
	case orNode:
		for i, c := range n {
			if i > 0 {
				b.WriteString(" OR ")
			}
			if err := writeSQL(b, args, c, cols, ipKeyCols); err != nil {
				return err
			}
		}
	case notNode:
		b.WriteString("NOT (")
		if err := writeSQL(b, args, n.x, cols, ipKeyCols); err != nil {
			return err
		}
		b.WriteByte(')')
	case *cmpNode:
		if n.op == opIn {
			col := ipKeyCols[n.field]
			if col == "" {
				return fmt.Errorf("search: no ip_key column for field %s", n.field)
			}
			b.WriteString(col + " BETWEEN ? AND ?")
			*args = append(*args, n.lo, n.hi)
			return nil
		}
		col := cols[n.field]
		if col == "" {
			return fmt.Errorf("search: no column for field %s", n.field)
		}
		switch {
		case n.wild && n.op == opEq:
			b.WriteString(col + ` LIKE ? ESCAPE '\'`)
			*args = append(*args, patLike(n.pat))
		case n.wild:
			b.WriteString(col + ` NOT LIKE ? ESCAPE '\'`)
			*args = append(*args, patLike(n.pat))
		case n.op == opEq:
			b.WriteString(col + " = ?")
			*args = append(*args, patLiteral(n.pat))
		default:
			b.WriteString(col + " <> ?")
			*args = append(*args, patLiteral(n.pat))
		}
	}
	return nil
}

// Match reports whether an event with the given fields (keyed by canonical
// name, see [Fields]; a missing field is "") satisfies the query.
func (q *Query) Match(fields map[string]string) bool {
	if q == nil || q.root == nil {
		return true
	}
	return match(q.root, fields)
}

func match(n node, fields map[string]string) bool {
	switch n := n.(type) {
	case andNode:
		for _, c := range n {
			if !match(c, fields) {
				return false
			}
		}
		return true
	case orNode:
		for _, c := range n {
			if match(c, fields) {
				return true
			}
		}
		return false
	case notNode:
		return !match(n.x, fields)
	case *cmpNode:
		v := fields[n.field]
		switch n.op {
		case opIn:
			k := ipKeyOf(v)
			return k != "" && n.lo <= k && k <= n.hi
		case opEq, opNe:
			var ok bool
			if n.wild {
				ok = globMatch(n.glob, v)
			} else {
				ok = v == patLiteral(n.pat)
			}
			return ok == (n.op == opEq)
		}
	}
	return false
}

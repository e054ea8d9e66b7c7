package sigma

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// A condition compiles to a small tree evaluated with short-circuits.
type condOp uint8

const (
	opSearch condOp = iota
	opAnd
	opOr
	opNot
	opAtLeast // at least n of kids
)

type cnode struct {
	op     condOp
	search *search
	kids   []*cnode
	n      int
}

// CondError is a condition syntax error; Col is 1-based.
type CondError struct {
	Cond string
	Col  int
	Msg  string
}

func (e *CondError) Error() string {
	return fmt.Sprintf("condition %q, column %d: %s", e.Cond, e.Col, e.Msg)
}

type token struct {
	kind byte // 'i' identifier/word, '(' , ')', '|', 0 end
	text string
	col  int
}

func lexCond(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '|':
			// A v1 aggregation follows: the parser reports it.
			toks = append(toks, token{kind: c, text: s[i:], col: i + 1})
			return append(toks, token{col: len(s) + 1}), nil
		case c == '(' || c == ')':
			toks = append(toks, token{kind: c, text: string(c), col: i + 1})
			i++
		case isIdentByte(c):
			j := i
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			toks = append(toks, token{kind: 'i', text: s[i:j], col: i + 1})
			i = j
		default:
			return nil, &CondError{Cond: s, Col: i + 1, Msg: fmt.Sprintf("unexpected character %q", c)}
		}
	}
	return append(toks, token{col: len(s) + 1}), nil
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '-' || c == '*' || c == '.' || c == '?' ||
		('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c >= 0x80
}

type condParser struct {
	src      string
	toks     []token
	pos      int
	searches map[string]*search
	names    []string // search names in rule order
	used     map[string]bool
}

func (p *condParser) peek() token { return p.toks[p.pos] }
func (p *condParser) next() token { t := p.toks[p.pos]; p.pos++; return t }

func (p *condParser) errf(t token, format string, a ...any) error {
	return &CondError{Cond: p.src, Col: t.col, Msg: fmt.Sprintf(format, a...)}
}

func isWord(t token, w string) bool { return t.kind == 'i' && strings.EqualFold(t.text, w) }

// parseCondition compiles cond against the rule's searches.
func parseCondition(cond string, searches map[string]*search, names []string, used map[string]bool) (*cnode, error) {
	toks, err := lexCond(cond)
	if err != nil {
		return nil, err
	}
	p := &condParser{src: cond, toks: toks, searches: searches, names: names, used: used}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	switch t := p.peek(); t.kind {
	case 0:
		return n, nil
	case '|':
		return nil, p.errf(t, "aggregations after | are not supported (Sigma v2 replaced them with correlation rules)")
	default:
		return nil, p.errf(t, "unexpected %q", t.text)
	}
}

func (p *condParser) parseOr() (*cnode, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	kids := []*cnode{left}
	for isWord(p.peek(), "or") {
		p.next()
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		kids = append(kids, right)
	}
	if len(kids) == 1 {
		return left, nil
	}
	return &cnode{op: opOr, kids: kids}, nil
}

func (p *condParser) parseAnd() (*cnode, error) {
	left, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	kids := []*cnode{left}
	for isWord(p.peek(), "and") {
		p.next()
		right, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		kids = append(kids, right)
	}
	if len(kids) == 1 {
		return left, nil
	}
	return &cnode{op: opAnd, kids: kids}, nil
}

func (p *condParser) parseNot() (*cnode, error) {
	if isWord(p.peek(), "not") {
		p.next()
		k, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &cnode{op: opNot, kids: []*cnode{k}}, nil
	}
	return p.parsePrimary()
}

func (p *condParser) parsePrimary() (*cnode, error) {
	t := p.next()
	switch t.kind {
	case '(':
		n, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != ')' {
			return nil, p.errf(c, "expected ) to close the ( at column %d", t.col)
		}
		return n, nil
	case 0:
		return nil, p.errf(t, "condition ends where a search identifier was expected")
	case ')', '|':
		return nil, p.errf(t, "unexpected %q", t.text)
	}
	if isWord(t, "and") || isWord(t, "or") {
		return nil, p.errf(t, "%q needs a search identifier before it", t.text)
	}
	// Quantifiers: "1 of x*", "all of them", "any of …", "N of …".
	if isWord(p.peek(), "of") {
		var n int // 0 means all
		switch {
		case isWord(t, "all"):
		case isWord(t, "any"):
			n = 1
		default:
			v, err := strconv.Atoi(t.text)
			if err != nil || v < 1 {
				return nil, p.errf(t, "expected 1, all or a count before \"of\", got %q", t.text)
			}
			n = v
		}
		p.next() // of
		target := p.next()
		if target.kind != 'i' {
			return nil, p.errf(target, "expected a search identifier pattern or \"them\" after \"of\"")
		}
		var kids []*cnode
		for _, name := range p.names {
			if isWord(target, "them") {
				if strings.HasPrefix(name, "_") {
					continue // "them" leaves out identifiers starting with _
				}
			} else if ok, _ := path.Match(target.text, name); !ok {
				continue
			}
			p.used[name] = true
			kids = append(kids, &cnode{op: opSearch, search: p.searches[name]})
		}
		if len(kids) == 0 {
			return nil, p.errf(target, "%q matches no search identifier", target.text)
		}
		if n == 0 {
			n = len(kids)
		}
		if n == 1 {
			if len(kids) == 1 {
				return kids[0], nil
			}
			return &cnode{op: opOr, kids: kids}, nil
		}
		if n == len(kids) {
			return &cnode{op: opAnd, kids: kids}, nil
		}
		return &cnode{op: opAtLeast, kids: kids, n: n}, nil
	}
	if strings.ContainsAny(t.text, "*?") {
		return nil, p.errf(t, "wildcards in identifiers need \"1 of\" or \"all of\" (%q)", t.text)
	}
	s, ok := p.searches[t.text]
	if !ok {
		return nil, p.errf(t, "unknown search identifier %q", t.text)
	}
	p.used[t.text] = true
	return &cnode{op: opSearch, search: s}, nil
}

// eval evaluates the node for the event in c.
func (n *cnode) eval(c *evalCtx) bool {
	switch n.op {
	case opSearch:
		return n.search.eval(c)
	case opAnd:
		for _, k := range n.kids {
			if !k.eval(c) {
				return false
			}
		}
		return true
	case opOr:
		for _, k := range n.kids {
			if k.eval(c) {
				return true
			}
		}
		return false
	case opNot:
		return !n.kids[0].eval(c)
	}
	hits := 0
	for i, k := range n.kids {
		if k.eval(c) {
			hits++
			if hits >= n.n {
				return true
			}
		}
		if hits+len(n.kids)-i-1 < n.n {
			return false
		}
	}
	return false
}

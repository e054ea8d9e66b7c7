package compare

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// A small, independent reading of Sigma rules, for the Rego translator: just
// what the SigmaHQ AWS CloudTrail rules use. Anything else is refused with an
// error, never skipped, so a new rule with a new feature fails the tests.

// sigmaRule is one rule's identity and detection.
type sigmaRule struct {
	file       string // base name of the rule file
	id, title  string
	names      []string               // search identifiers, in file order
	searches   map[string]sigmaSearch // by identifier
	conditions []string               // several conditions are ORed
}

// sigmaSearch is a search identifier's body: a list of maps, any of which
// may match (a single map is a list of one).
type sigmaSearch []sigmaMap

// sigmaMap is one map of a search: every field item must match.
type sigmaMap []sigmaItem

// sigmaItem is one "field|mod|mod: value(s)" entry.
type sigmaItem struct {
	field  string
	mods   []string
	values []*string // nil is YAML null
}

func loadSigmaRule(file string) (*sigmaRule, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	r, err := parseSigmaRule(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(file), err)
	}
	r.file = filepath.Base(file)
	return r, nil
}

func parseSigmaRule(src []byte) (*sigmaRule, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a YAML mapping")
	}
	top := doc.Content[0]
	r := &sigmaRule{searches: map[string]sigmaSearch{}}
	var det *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i].Value, top.Content[i+1]
		switch k {
		case "id":
			r.id = v.Value
		case "title":
			r.title = v.Value
		case "detection":
			det = v
		}
	}
	if r.id == "" {
		return nil, fmt.Errorf("rule has no id")
	}
	if det == nil || det.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("rule has no detection mapping")
	}
	for i := 0; i+1 < len(det.Content); i += 2 {
		k, v := det.Content[i].Value, det.Content[i+1]
		switch k {
		case "condition":
			switch v.Kind {
			case yaml.ScalarNode:
				r.conditions = []string{v.Value}
			case yaml.SequenceNode:
				for _, c := range v.Content {
					if c.Kind != yaml.ScalarNode {
						return nil, fmt.Errorf("condition list holds a non-string")
					}
					r.conditions = append(r.conditions, c.Value)
				}
			default:
				return nil, fmt.Errorf("condition is neither a string nor a list")
			}
		case "timeframe":
			return nil, fmt.Errorf("timeframe (aggregation) is not supported")
		default:
			s, err := parseSearch(v)
			if err != nil {
				return nil, fmt.Errorf("search %s: %w", k, err)
			}
			r.names = append(r.names, k)
			r.searches[k] = s
		}
	}
	if len(r.conditions) == 0 {
		return nil, fmt.Errorf("detection has no condition")
	}
	return r, nil
}

func parseSearch(n *yaml.Node) (sigmaSearch, error) {
	switch n.Kind {
	case yaml.MappingNode:
		m, err := parseMap(n)
		if err != nil {
			return nil, err
		}
		return sigmaSearch{m}, nil
	case yaml.SequenceNode:
		var s sigmaSearch
		for _, e := range n.Content {
			if e.Kind != yaml.MappingNode {
				return nil, fmt.Errorf("keyword searches (lists of plain values) are not supported")
			}
			m, err := parseMap(e)
			if err != nil {
				return nil, err
			}
			s = append(s, m)
		}
		if len(s) == 0 {
			return nil, fmt.Errorf("empty list")
		}
		return s, nil
	}
	return nil, fmt.Errorf("a search must be a map or a list of maps")
}

func parseMap(n *yaml.Node) (sigmaMap, error) {
	var m sigmaMap
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, v := n.Content[i].Value, n.Content[i+1]
		parts := strings.Split(key, "|")
		it := sigmaItem{field: parts[0], mods: parts[1:]}
		if it.field == "" {
			return nil, fmt.Errorf("empty field name in %q", key)
		}
		switch v.Kind {
		case yaml.ScalarNode:
			it.values = []*string{scalarValue(v)}
		case yaml.SequenceNode:
			for _, e := range v.Content {
				if e.Kind != yaml.ScalarNode {
					return nil, fmt.Errorf("%s: list holds a non-scalar", key)
				}
				it.values = append(it.values, scalarValue(e))
			}
			if len(it.values) == 0 {
				return nil, fmt.Errorf("%s: empty value list", key)
			}
		default:
			return nil, fmt.Errorf("%s: value must be a scalar or a list of scalars", key)
		}
		m = append(m, it)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("empty map")
	}
	return m, nil
}

// scalarValue is the text of a YAML scalar, or nil for null. Sigma compares
// numbers and booleans as the text written in the rule.
func scalarValue(n *yaml.Node) *string {
	if n.Tag == "!!null" {
		return nil
	}
	s := n.Value
	return &s
}

// ---- conditions ----

// cond is a parsed condition: condRef, condNot, condAnd or condOr.
type cond interface{ String() string }

type (
	condRef string
	condNot struct{ x cond }
	condAnd []cond
	condOr  []cond
)

func (c condRef) String() string { return string(c) }
func (c condNot) String() string { return "not " + c.x.String() }
func (c condAnd) String() string { return join(c, " and ") }
func (c condOr) String() string  { return join(c, " or ") }

func join(cs []cond, sep string) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.String()
	}
	return "(" + strings.Join(s, sep) + ")"
}

// parseCondition parses a Sigma condition over the given search names:
// and, or, not, parentheses, "1 of X", "any of X", "all of X" with X a
// name, a glob over names (selection_*) or "them". "x of" is expanded here
// into ORs/ANDs of references.
func parseCondition(s string, names []string) (cond, error) {
	p := &condParser{toks: tokenize(s), names: names}
	c, err := p.or()
	if err != nil {
		return nil, fmt.Errorf("condition %q: %w", s, err)
	}
	if p.i != len(p.toks) {
		return nil, fmt.Errorf("condition %q: unexpected %q", s, p.toks[p.i])
	}
	return c, nil
}

func tokenize(s string) []string {
	var toks []string
	cur := strings.Builder{}
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '(' || r == ')':
			flush()
			toks = append(toks, string(r))
		case unicode.IsSpace(r):
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return toks
}

type condParser struct {
	toks  []string
	i     int
	names []string
}

func (p *condParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *condParser) or() (cond, error) {
	var cs condOr
	for {
		c, err := p.and()
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
		if strings.ToLower(p.peek()) != "or" {
			break
		}
		p.i++
	}
	if len(cs) == 1 {
		return cs[0], nil
	}
	return cs, nil
}

func (p *condParser) and() (cond, error) {
	var cs condAnd
	for {
		c, err := p.unary()
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
		if strings.ToLower(p.peek()) != "and" {
			break
		}
		p.i++
	}
	if len(cs) == 1 {
		return cs[0], nil
	}
	return cs, nil
}

func (p *condParser) unary() (cond, error) {
	t := p.peek()
	switch lt := strings.ToLower(t); {
	case t == "":
		return nil, fmt.Errorf("unexpected end")
	case lt == "not":
		p.i++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return condNot{x}, nil
	case t == "(":
		p.i++
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("missing )")
		}
		p.i++
		return x, nil
	case t == ")" || lt == "and" || lt == "or" || t == "|":
		return nil, fmt.Errorf("unexpected %q", t)
	case (lt == "1" || lt == "any" || lt == "all") && p.i+2 < len(p.toks) && strings.ToLower(p.toks[p.i+1]) == "of":
		pat := p.toks[p.i+2]
		p.i += 3
		var refs []cond
		for _, n := range p.names {
			var ok bool
			if pat == "them" {
				ok = !strings.HasPrefix(n, "_")
			} else {
				var err error
				if ok, err = path.Match(pat, n); err != nil {
					return nil, fmt.Errorf("bad pattern %q: %w", pat, err)
				}
			}
			if ok {
				refs = append(refs, condRef(n))
			}
		}
		if len(refs) == 0 {
			return nil, fmt.Errorf("%q matches no search", pat)
		}
		if len(refs) == 1 {
			return refs[0], nil
		}
		if lt == "all" {
			return condAnd(refs), nil
		}
		return condOr(refs), nil
	default:
		p.i++
		if !slices.Contains(p.names, t) {
			return nil, fmt.Errorf("unknown search %q", t)
		}
		return condRef(t), nil
	}
}

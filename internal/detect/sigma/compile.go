package sigma

import (
	"encoding/base64"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"
	"go.yaml.in/yaml/v3"

	"github.com/picket-dev/picket/internal/event"
)

// evalCtx is the per-evaluation scratch space: reused across events so
// matching allocates nothing.
type evalCtx struct {
	raw  *fastjson.Value
	vals []*fastjson.Value
	refs []*fastjson.Value
	buf  []byte
}

func (c *evalCtx) reset(raw *fastjson.Value) {
	c.raw, c.vals, c.refs, c.buf = raw, c.vals[:0], c.refs[:0], c.buf[:0]
}

// search is a compiled search identifier: an OR of alternatives, each an
// AND of field conditions, or a keyword list.
type search struct {
	name     string
	alts     [][]*fieldCond
	keywords []strMatcher // full-text: any string value anywhere
	kwAll    bool
}

// fieldCond is one "field|modifiers: values" line.
type fieldCond struct {
	key    string // as written, modifiers included
	name   string // field name
	paths  []fieldPath
	vals   []valMatcher
	all    bool // |all: every value must match (not necessarily the same element)
	nullOK bool // null among the values: absent or null matches
	exists int8 // |exists: 1 true, -1 false
	// eq holds the lowercased exact strings of a plain equality field, for
	// the rule index (nil when the field is anything else).
	eq []string
}

func (s *search) eval(c *evalCtx) bool {
	if s.keywords != nil {
		return s.evalKeywords(c)
	}
	for _, alt := range s.alts {
		ok := true
		for _, fc := range alt {
			if !fc.eval(c) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (fc *fieldCond) eval(c *evalCtx) bool {
	mark := len(c.vals)
	for i := range fc.paths {
		c.vals = fc.paths[i].collect(c.raw, c.vals)
	}
	defer func() { c.vals = c.vals[:mark] }()
	if fc.exists == 0 {
		// Containers: their values count, after them in the list.
		for i, n := mark, len(c.vals); i < n; i++ {
			if t := c.vals[i].Type(); t == fastjson.TypeObject {
				c.vals = appendLeaves(c.vals[i], c.vals)
			}
		}
	}
	found := c.vals[mark:]
	if fc.exists != 0 {
		has := false
		for _, v := range found {
			if v.Type() != fastjson.TypeNull {
				has = true
				break
			}
		}
		return has == (fc.exists > 0)
	}
	if fc.nullOK {
		if len(found) == 0 {
			return true
		}
		for _, v := range found {
			if v.Type() == fastjson.TypeNull {
				return true
			}
		}
	}
	if fc.all {
		for _, m := range fc.vals {
			hit := false
			for _, v := range found {
				if m.matchValue(c, v) {
					hit = true
					break
				}
			}
			if !hit {
				return false
			}
		}
		return len(fc.vals) > 0
	}
	for _, v := range found {
		for _, m := range fc.vals {
			if m.matchValue(c, v) {
				return true
			}
		}
	}
	return false
}

// evalKeywords looks for the keywords in every string of the record.
func (s *search) evalKeywords(c *evalCtx) bool {
	if s.kwAll {
		for i := range s.keywords {
			if !anyString(c.raw, &s.keywords[i]) {
				return false
			}
		}
		return true
	}
	for i := range s.keywords {
		if anyString(c.raw, &s.keywords[i]) {
			return true
		}
	}
	return false
}

func anyString(v *fastjson.Value, m *strMatcher) bool {
	switch v.Type() {
	case fastjson.TypeString:
		return m.match(b2s(v.GetStringBytes()))
	case fastjson.TypeArray:
		arr, _ := v.Array()
		for _, el := range arr {
			if anyString(el, m) {
				return true
			}
		}
	case fastjson.TypeObject:
		o, _ := v.Object()
		hit := false
		o.Visit(func(_ []byte, el *fastjson.Value) {
			if !hit && anyString(el, m) {
				hit = true
			}
		})
		return hit
	}
	return false
}

// compiler holds what compiling needs from the configuration.
type compiler struct {
	fields       map[string][]string // field mapping of the rule's log source
	placeholders map[string][]string
}

// compileSearch compiles one search identifier's definition.
func (cp *compiler) compileSearch(name string, n *yaml.Node) (*search, error) {
	s := &search{name: name}
	switch n.Kind {
	case yaml.MappingNode:
		alt, err := cp.compileMap(n)
		if err != nil {
			return nil, err
		}
		s.alts = [][]*fieldCond{alt}
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return nil, errAt(n, "search %q is an empty list", name)
		}
		if n.Content[0].Kind == yaml.MappingNode {
			for _, item := range n.Content {
				if item.Kind != yaml.MappingNode {
					return nil, errAt(item, "search %q mixes field maps and plain values", name)
				}
				alt, err := cp.compileMap(item)
				if err != nil {
					return nil, err
				}
				s.alts = append(s.alts, alt)
			}
			break
		}
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				return nil, errAt(item, "search %q mixes plain values and other shapes", name)
			}
			s.keywords = append(s.keywords, keywordMatcher(item.Value))
		}
	case yaml.ScalarNode:
		s.keywords = []strMatcher{keywordMatcher(n.Value)}
	default:
		return nil, errAt(n, "search %q has an unsupported shape", name)
	}
	return s, nil
}

// keywordMatcher is a full-text keyword: found anywhere in a string.
func keywordMatcher(v string) strMatcher {
	toks := parseWildcards(v)
	if len(toks) == 0 || toks[0].op != '*' {
		toks = append([]globTok{{op: '*'}}, toks...)
	}
	if toks[len(toks)-1].op != '*' {
		toks = append(toks, globTok{op: '*'})
	}
	return newStrMatcher(toks, false)
}

func (cp *compiler) compileMap(n *yaml.Node) ([]*fieldCond, error) {
	if len(n.Content) == 0 {
		return nil, errAt(n, "empty field map")
	}
	var out []*fieldCond
	for i := 0; i+1 < len(n.Content); i += 2 {
		fc, err := cp.compileField(n.Content[i], n.Content[i+1])
		if err != nil {
			return nil, err
		}
		out = append(out, fc)
	}
	// Cheapest and most selective first: plain equalities, then the rest.
	sort.SliceStable(out, func(i, j int) bool { return out[i].eq != nil && out[j].eq == nil })
	return out, nil
}

var knownModifiers = map[string]bool{
	"contains": true, "startswith": true, "endswith": true, "all": true, "cased": true,
	"re": true, "i": true, "m": true, "s": true, "cidr": true, "exists": true, "fieldref": true,
	"gt": true, "gte": true, "lt": true, "lte": true, "expand": true,
	"base64": true, "base64offset": true, "utf16le": true, "utf16be": true, "utf16": true, "wide": true, "windash": true,
	"minute": true, "hour": true, "day": true, "week": true, "month": true, "year": true,
}

// compileField compiles "field|mod|mod: value(s)".
func (cp *compiler) compileField(k, v *yaml.Node) (*fieldCond, error) {
	parts := strings.Split(k.Value, "|")
	fc := &fieldCond{key: k.Value, name: parts[0]}
	mods := parts[1:]
	has := map[string]bool{}
	for _, m := range mods {
		if !knownModifiers[m] {
			return nil, errAt(k, "unknown modifier %q in %q", m, k.Value)
		}
		has[m] = true
	}
	if fc.name == "" {
		return nil, errAt(k, "keyword lists cannot take modifiers in a field map (%q)", k.Value)
	}
	targets := cp.fields[fc.name]
	if len(targets) == 0 {
		targets = []string{fc.name}
	}
	for _, t := range targets {
		fc.paths = append(fc.paths, newFieldPath(t))
	}
	fc.all = has["all"]

	var values []*yaml.Node
	switch v.Kind {
	case yaml.ScalarNode:
		values = []*yaml.Node{v}
	case yaml.SequenceNode:
		if len(v.Content) == 0 {
			return nil, errAt(v, "%s: empty list of values", k.Value)
		}
		for _, c := range v.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, errAt(c, "%s: values must be plain values, not maps or lists", k.Value)
			}
		}
		values = v.Content
	default:
		return nil, errAt(v, "%s: a field takes a value or a list of values", k.Value)
	}

	if has["exists"] {
		if len(values) != 1 || (values[0].Value != "true" && values[0].Value != "false") {
			return nil, errAt(v, "%s: exists takes true or false", k.Value)
		}
		fc.exists = -1
		if values[0].Value == "true" {
			fc.exists = 1
		}
		return fc, nil
	}

	for _, val := range values {
		if val.Tag == "!!null" {
			fc.nullOK = true
			continue
		}
		ms, err := cp.compileValue(k, val, mods, has)
		if err != nil {
			return nil, err
		}
		fc.vals = append(fc.vals, ms...)
	}
	if fc.all && fc.nullOK {
		return nil, errAt(v, "%s: null cannot be combined with |all", k.Value)
	}
	if len(mods) == 0 && !fc.nullOK {
		for _, val := range values {
			if val.Tag != "!!str" || strings.ContainsAny(val.Value, `*?\`) {
				fc.eq = nil
				break
			}
			fc.eq = append(fc.eq, strings.ToLower(val.Value))
		}
	}
	return fc, nil
}

// compileValue compiles one value with the field's modifiers; some
// modifiers turn one value into several alternatives.
func (cp *compiler) compileValue(k, val *yaml.Node, mods []string, has map[string]bool) ([]valMatcher, error) {
	raw := val.Value
	switch {
	case has["fieldref"]:
		kind := strExact
		switch {
		case has["contains"]:
			kind = strContains
		case has["startswith"]:
			kind = strPrefix
		case has["endswith"]:
			kind = strSuffix
		}
		targets := cp.fields[raw]
		if len(targets) == 0 {
			targets = []string{raw}
		}
		var out []valMatcher
		for _, t := range targets {
			out = append(out, &refVal{ref: newFieldPath(t), kind: kind, cased: has["cased"]})
		}
		return out, nil
	case has["re"]:
		flags := ""
		for _, f := range []string{"i", "m", "s"} {
			if has[f] {
				flags += f
			}
		}
		expr := raw
		if flags != "" {
			expr = "(?" + flags + ")" + raw
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, errAt(val, "%s: regular expression not supported (Go RE2 syntax): %v", k.Value, err)
		}
		return []valMatcher{&reVal{re: re, lit: regexLiteral(raw, flags)}}, nil
	case has["cidr"]:
		p, err := netip.ParsePrefix(raw)
		if err != nil {
			return nil, errAt(val, "%s: invalid CIDR %q", k.Value, raw)
		}
		return []valMatcher{&cidrVal{prefixes: []netip.Prefix{p.Masked()}}}, nil
	}
	for _, op := range []string{"gt", "gte", "lt", "lte"} {
		if has[op] {
			f, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				return nil, errAt(val, "%s: %s needs a number, got %q", k.Value, op, raw)
			}
			return []valMatcher{&cmpVal{op: op, n: f}}, nil
		}
	}
	for _, unit := range []string{"minute", "hour", "day", "week", "month", "year"} {
		if has[unit] {
			n, err := strconv.Atoi(raw)
			if err != nil {
				return nil, errAt(val, "%s: %s needs a whole number, got %q", k.Value, unit, raw)
			}
			return []valMatcher{&timeVal{unit: unit, n: n}}, nil
		}
	}
	if val.Tag == "!!int" || val.Tag == "!!float" {
		if f, err := strconv.ParseFloat(raw, 64); err == nil && len(mods) == 0 {
			return []valMatcher{&numVal{n: f, str: newStrMatcher(parseWildcards(raw), false)}}, nil
		}
	}

	// String values: expansions and transformations in modifier order,
	// then the match shape.
	vals := []string{raw}
	literal := false // transformed values hold no wildcards
	for _, m := range mods {
		var next []string
		for _, s := range vals {
			switch m {
			case "expand":
				xs, err := expandPlaceholders(s, cp.placeholders)
				if err != nil {
					return nil, errAt(val, "%s: %v", k.Value, err)
				}
				next = append(next, xs...)
			case "windash":
				next = append(next, windashVariants(s)...)
			case "base64":
				next = append(next, base64.StdEncoding.EncodeToString([]byte(s)))
				literal = true
			case "base64offset":
				next = append(next, base64Offsets(s)...)
				literal = true
			case "utf16le", "wide":
				next = append(next, utf16Encode(s, false, false))
				literal = true
			case "utf16be":
				next = append(next, utf16Encode(s, true, false))
				literal = true
			case "utf16":
				next = append(next, utf16Encode(s, false, true))
				literal = true
			default:
				next = append(next, s)
			}
		}
		vals = next
	}
	if has["expand"] {
		// An expanded CIDR block (203.0.113.0/24) matches the addresses in it:
		// placeholders for IP ranges are written that way.
		var out []valMatcher
		var rest []string
		for _, s := range vals {
			if p, err := netip.ParsePrefix(s); err == nil {
				out = append(out, &cidrVal{prefixes: []netip.Prefix{p.Masked()}})
				continue
			}
			rest = append(rest, s)
		}
		if len(out) > 0 {
			for _, s := range rest {
				out = append(out, &strVal{m: shapeMatcher(s, false, has)})
			}
			return out, nil
		}
	}
	out := make([]valMatcher, 0, len(vals))
	for _, s := range vals {
		out = append(out, &strVal{m: shapeMatcher(s, literal, has)})
	}
	return out, nil
}

// shapeMatcher builds the string matcher of a value under contains,
// startswith, endswith and cased.
func shapeMatcher(s string, literal bool, has map[string]bool) strMatcher {
	if literal {
		s = escapeWildcards(s)
	}
	toks := parseWildcards(s)
	star := globTok{op: '*'}
	if has["contains"] || has["endswith"] {
		if len(toks) == 0 || toks[0].op != '*' {
			toks = append([]globTok{star}, toks...)
		}
	}
	if has["contains"] || has["startswith"] {
		if len(toks) == 0 || toks[len(toks)-1].op != '*' {
			toks = append(toks, star)
		}
	}
	return newStrMatcher(toks, has["cased"])
}

// compiled is a compiled detection rule.
type compiled struct {
	cond  *cnode
	conds []*cnode // several conditions (a list) are ORed
	names []string
	srch  map[string]*search
}

func (r *compiled) match(c *evalCtx) bool {
	if r.cond != nil {
		return r.cond.eval(c)
	}
	for _, n := range r.conds {
		if n.eval(c) {
			return true
		}
	}
	return false
}

// compileDetection compiles a rule's detection section.
func (cp *compiler) compileDetection(d *yaml.Node) (*compiled, error) {
	out := &compiled{srch: map[string]*search{}}
	var condNodes []*yaml.Node
	for i := 0; i+1 < len(d.Content); i += 2 {
		k, v := d.Content[i], d.Content[i+1]
		switch k.Value {
		case "condition":
			switch v.Kind {
			case yaml.ScalarNode:
				condNodes = []*yaml.Node{v}
			case yaml.SequenceNode:
				condNodes = v.Content
			default:
				return nil, errAt(v, "condition must be a string or a list of strings")
			}
			continue
		case "timeframe":
			return nil, errAt(k, "timeframe in a detection is Sigma v1 aggregation; use a correlation rule")
		}
		s, err := cp.compileSearch(k.Value, v)
		if err != nil {
			return nil, err
		}
		out.srch[k.Value] = s
		out.names = append(out.names, k.Value)
	}
	if len(condNodes) == 0 {
		return nil, errAt(d, "detection has no condition")
	}
	used := map[string]bool{}
	for _, cn := range condNodes {
		if cn.Kind != yaml.ScalarNode || strings.TrimSpace(cn.Value) == "" {
			return nil, errAt(cn, "condition must be a non-empty string")
		}
		n, err := parseCondition(cn.Value, out.srch, out.names, used)
		if err != nil {
			return nil, errAt(cn, "%v", err)
		}
		out.conds = append(out.conds, n)
	}
	if len(out.conds) == 1 {
		out.cond = out.conds[0]
	}
	return out, nil
}

// unused lists search identifiers no condition refers to (lint).
func (r *compiled) unused() []string {
	used := map[string]bool{}
	var walk func(n *cnode)
	walk = func(n *cnode) {
		if n.op == opSearch {
			used[n.search.name] = true
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	for _, n := range r.conds {
		walk(n)
	}
	var out []string
	for _, name := range r.names {
		if !used[name] {
			out = append(out, name)
		}
	}
	return out
}

// required returns the lowercased values one of which field must equal
// for the rule to match, or nil when the rule can match without it. Used to
// index rules: a rule is only evaluated on events whose field is one of
// these values.
func (r *compiled) required(field string) []string {
	var vals []string
	for _, n := range r.conds {
		v := requiredOf(n, field)
		if v == nil {
			return nil
		}
		vals = append(vals, v...)
	}
	slices.Sort(vals)
	return slices.Compact(vals)
}

func requiredOf(n *cnode, field string) []string {
	switch n.op {
	case opSearch:
		var out []string
		if n.search.keywords != nil || len(n.search.alts) == 0 {
			return nil
		}
		for _, alt := range n.search.alts {
			var got []string
			for _, fc := range alt {
				if fc.name == field && fc.eq != nil && len(fc.paths) == 1 && fc.paths[0].name == field {
					got = fc.eq
					break
				}
			}
			if got == nil {
				return nil
			}
			out = append(out, got...)
		}
		return out
	case opAnd:
		var best []string
		for _, k := range n.kids {
			if v := requiredOf(k, field); v != nil && (best == nil || len(v) < len(best)) {
				best = v
			}
		}
		return best
	case opOr:
		var out []string
		for _, k := range n.kids {
			v := requiredOf(k, field)
			if v == nil {
				return nil
			}
			out = append(out, v...)
		}
		return out
	case opAtLeast:
		// At least n of k: any k-n+1 of them suffices; taking the union
		// of all is always safe.
		var out []string
		for _, k := range n.kids {
			v := requiredOf(k, field)
			if v == nil {
				return nil
			}
			out = append(out, v...)
		}
		return out
	}
	return nil // not: no requirement
}

func b2s(b []byte) string { return event.B2S(b) }

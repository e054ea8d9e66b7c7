package pattern

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"
)

// maxCombinations bounds how many alternative sub-patterns $or (and fields
// mixing exists:false with other values) may expand into. EventBridge
// rejects patterns whose $or combinations exceed 1000.
const maxCombinations = 1000

// reservedInOr lists the field names event-ruler refuses inside $or
// branches (its RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP). If a branch
// uses one, the pattern is meant in legacy mode, where "$or" is a
// plain field.
var reservedInOr = map[string]bool{
	"exactly": true, "equals-ignore-case": true, "prefix": true, "suffix": true,
	"anything-but": true, "exists": true, "wildcard": true, "numeric": true,
	"cidr": true, "html": true,
	"=": true, "<": true, "<=": true, ">": true, ">=": true,
	"regex": true, "not-wildcard": true, "not-equals-ignore-case": true,
	"date-after": true, "date-on-or-after": true, "date-before": true,
	"date-on-or-before": true, "in-date-range": true,
	"ip-address-in-range": true, "ip-address-not-in-range": true,
}

// Error reports an invalid pattern.
type Error struct {
	Path string // where in the pattern, e.g. "detail.severity[0].numeric"; empty for the whole pattern
	Msg  string
	Err  error // underlying cause, e.g. a JSON syntax error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("pattern: ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Pattern is a compiled event pattern. It is immutable and safe for
// concurrent use.
type Pattern struct {
	// rules are the alternatives $or expands into; the pattern matches
	// when any of them does. Almost always exactly one.
	rules []*node
}

// node is an object pattern: all fields must match in the same event
// object (or, for arrays, the same element).
type node struct {
	fields []field
	// positive is true when the subtree holds a leaf that needs a
	// value. It decides how an array of objects is searched: some
	// element must match a positive node; every element must satisfy a
	// purely negative one (see the package doc).
	positive bool
}

type field struct {
	key   string
	child *node // nested object pattern
	leaf  *leaf // list of match values
	// Both may be set when a repeated key appears both as an object and as a list.
}

// leaf is one field's list of match values, already split so that it is
// either purely negative (absent) or purely positive.
type leaf struct {
	absent bool // {"exists": false}: no leaf value may be present
	any    bool // {"exists": true}: any leaf value matches

	strs []string     // exact strings (including "exactly")
	ips  []netip.Addr // exact strings that are IP addresses
	nums []float64    // exact numbers
	ops  []op

	null, yes, no bool // exact null, true, false
}

func (l *leaf) hasPositive() bool {
	return l.any || l.null || l.yes || l.no || len(l.strs) > 0 || len(l.nums) > 0 || len(l.ops) > 0
}

type opKind uint8

const (
	opPrefix opKind = iota
	opPrefixFold
	opSuffix
	opSuffixFold
	opEqualsFold
	opWildcard
	opNumeric
	opCIDR
	// The anything-but kinds come last: matchOther relies on it.
	opNotStrings // anything-but: strings
	opNotNumbers // anything-but: numbers
	opNotPrefix
	opNotSuffix
	opNotFold
	opNotWildcard
)

type op struct {
	kind opKind
	s    string     // prefix, suffix or equals-ignore-case operand
	strs []string   // anything-but string operands
	nums []float64  // anything-but numeric operands
	wild []wildcard // wildcard operand(s)
	rng  numRange
	cidr netip.Prefix
}

type numRange struct {
	lo, hi         float64
	loOpen, hiOpen bool
}

func (r *numRange) contains(f float64) bool {
	if r.loOpen {
		if !(f > r.lo) {
			return false
		}
	} else if !(f >= r.lo) {
		return false
	}
	if r.hiOpen {
		return f < r.hi
	}
	return f <= r.hi
}

// Compile compiles an EventBridge event pattern.
func Compile(src []byte) (*Pattern, error) {
	// Validate first: fastjson's parser alone accepts NaN and Inf.
	if err := fastjson.ValidateBytes(src); err != nil {
		return nil, &Error{Msg: "invalid JSON", Err: err}
	}
	var p fastjson.Parser
	v, err := p.ParseBytes(src)
	if err != nil {
		return nil, &Error{Msg: "invalid JSON", Err: err}
	}
	c := compiler{orMode: true}
	pat, err := c.compile(v)
	if err != nil && c.sawOr {
		legacy := compiler{}
		if lp, lerr := legacy.compile(v); lerr == nil {
			return lp, nil
		}
	}
	return pat, err
}

// MustCompile is like Compile but panics on error; for patterns fixed in
// the source.
func MustCompile(src string) *Pattern {
	p, err := Compile([]byte(src))
	if err != nil {
		panic(err)
	}
	return p
}

type compiler struct {
	orMode bool // "$or" is the operator, not a field name
	sawOr  bool
	path   []pathSeg
}

// pathSeg is a key, or an array index when index >= 0.
type pathSeg struct {
	key   string
	index int
}

func (c *compiler) compile(v *fastjson.Value) (*Pattern, error) {
	o, err := v.Object()
	if err != nil {
		return nil, c.errorf("pattern must be a JSON object, not %s", v.Type())
	}
	rules, err := c.object(o, false)
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		r.finish()
	}
	return &Pattern{rules: rules}, nil
}

func (c *compiler) push(key string) { c.path = append(c.path, pathSeg{key: key, index: -1}) }
func (c *compiler) pushIndex(i int) { c.path = append(c.path, pathSeg{index: i}) }
func (c *compiler) pop()            { c.path = c.path[:len(c.path)-1] }

// errorf returns an *Error at the current path, written like
// detail.severity[0].numeric; keys that would be ambiguous are quoted.
func (c *compiler) errorf(format string, args ...any) error {
	var b strings.Builder
	for i, seg := range c.path {
		if seg.index >= 0 {
			b.WriteString("[" + strconv.Itoa(seg.index) + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		if seg.key == "" || strings.ContainsAny(seg.key, ".[]\" ") {
			b.WriteString(strconv.Quote(seg.key))
		} else {
			b.WriteString(seg.key)
		}
	}
	return &Error{Path: b.String(), Msg: fmt.Sprintf(format, args...)}
}

// object compiles an object pattern into its alternatives (one unless $or
// or a mixed exists:false list is involved). Members are applied in source
// order so a repeated key overrides the earlier one, as in event-ruler.
func (c *compiler) object(o *fastjson.Object, inOr bool) ([]*node, error) {
	if o.Len() == 0 {
		return nil, c.errorf("empty object is not allowed")
	}
	acc := []*node{{}}
	var err error
	o.Visit(func(k []byte, v *fastjson.Value) {
		if err != nil {
			return
		}
		var alts []*node
		if alts, err = c.member(string(k), v, inOr); err != nil {
			return
		}
		if len(acc)*len(alts) > maxCombinations {
			err = c.errorf("pattern expands to more than %d $or combinations", maxCombinations)
			return
		}
		next := make([]*node, 0, len(acc)*len(alts))
		for _, a := range acc {
			for _, b := range alts {
				next = append(next, merge(a, b))
			}
		}
		acc = next
	})
	return acc, err
}

// member compiles one key of an object pattern into alternative nodes,
// each holding just that key (or, for $or, the branch's fields).
func (c *compiler) member(key string, v *fastjson.Value, inOr bool) ([]*node, error) {
	c.push(key)
	defer c.pop()
	if key == "$or" {
		c.sawOr = true
		if c.orMode {
			return c.or(v)
		}
	}
	if inOr && reservedInOr[key] {
		return nil, c.errorf("%q is a reserved match keyword and cannot be a field name inside $or", key)
	}
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		kids, err := c.object(o, inOr)
		if err != nil {
			return nil, err
		}
		alts := make([]*node, len(kids))
		for i, k := range kids {
			alts[i] = &node{fields: []field{{key: key, child: k}}}
		}
		return alts, nil
	case fastjson.TypeArray:
		leaves, err := c.values(v)
		if err != nil {
			return nil, err
		}
		alts := make([]*node, len(leaves))
		for i, l := range leaves {
			alts[i] = &node{fields: []field{{key: key, leaf: l}}}
		}
		return alts, nil
	default:
		return nil, c.errorf("must be an object or an array of match values, not %s", v.Type())
	}
}

func (c *compiler) or(v *fastjson.Value) ([]*node, error) {
	arr, err := v.Array()
	if err != nil {
		return nil, c.errorf("$or must be an array of at least two objects, not %s", v.Type())
	}
	var alts []*node
	for i, e := range arr {
		c.pushIndex(i)
		o, err := e.Object()
		if err != nil {
			err = c.errorf("$or elements must be objects, not %s", e.Type())
			c.pop()
			return nil, err
		}
		kids, err := c.object(o, true)
		c.pop()
		if err != nil {
			return nil, err
		}
		alts = append(alts, kids...)
		if len(alts) > maxCombinations {
			return nil, c.errorf("pattern expands to more than %d $or combinations", maxCombinations)
		}
	}
	if len(arr) < 2 {
		return nil, c.errorf("$or needs at least two objects, got %d", len(arr))
	}
	return alts, nil
}

// merge returns a new node with b's fields added to a's: nested objects
// merge (event-ruler's flattened paths combine), lists from b override.
func merge(a, b *node) *node {
	n := &node{fields: slices.Clone(a.fields)}
	for _, f := range b.fields {
		i := slices.IndexFunc(n.fields, func(g field) bool { return g.key == f.key })
		if i < 0 {
			n.fields = append(n.fields, f)
			continue
		}
		g := &n.fields[i]
		switch {
		case f.child != nil && g.child != nil:
			g.child = merge(g.child, f.child)
		case f.child != nil:
			g.child = f.child
		}
		if f.leaf != nil {
			g.leaf = f.leaf
		}
	}
	return n
}

// finish computes the positive flags; nodes may be shared between
// alternatives, which is harmless because the flag depends only on the
// subtree.
func (n *node) finish() bool {
	n.positive = false
	for i := range n.fields {
		f := &n.fields[i]
		if f.leaf != nil && !f.leaf.absent {
			n.positive = true
		}
		if f.child != nil && f.child.finish() {
			n.positive = true
		}
	}
	return n.positive
}

// values compiles a list of match values. A list mixing {"exists":false}
// with positive values becomes two leaves — absent, or one of the
// values — so array consistency treats each alternative on its own terms.
func (c *compiler) values(v *fastjson.Value) ([]*leaf, error) {
	arr, _ := v.Array()
	if len(arr) == 0 {
		return nil, c.errorf("empty list of match values is not allowed")
	}
	l := &leaf{}
	absent := false
	for i, e := range arr {
		c.pushIndex(i)
		var err error
		switch e.Type() {
		case fastjson.TypeString:
			s := string(e.GetStringBytes())
			l.strs = append(l.strs, s)
			if a, perr := netip.ParseAddr(s); perr == nil && a.Zone() == "" {
				l.ips = append(l.ips, a)
			}
		case fastjson.TypeNumber:
			var f float64
			if f, err = c.number(e); err == nil {
				l.nums = append(l.nums, f)
			}
		case fastjson.TypeNull:
			l.null = true
		case fastjson.TypeTrue:
			l.yes = true
		case fastjson.TypeFalse:
			l.no = true
		case fastjson.TypeObject:
			var neg bool
			if neg, err = c.operator(e, l); neg {
				absent = true
			}
		default:
			err = c.errorf("match values must be strings, numbers, booleans, null or operator objects, not %s", e.Type())
		}
		c.pop()
		if err != nil {
			return nil, err
		}
	}
	var out []*leaf
	if l.hasPositive() {
		out = append(out, l)
	}
	if absent {
		out = append(out, &leaf{absent: true})
	}
	return out, nil
}

// operator compiles one operator object into l. It reports whether the
// operator was {"exists": false}, which is kept apart from l.
func (c *compiler) operator(v *fastjson.Value, l *leaf) (absent bool, err error) {
	o, _ := v.Object()
	if o.Len() != 1 {
		return false, c.errorf("operator object must have exactly one key, got %d", o.Len())
	}
	var name string
	var val *fastjson.Value
	o.Visit(func(k []byte, v *fastjson.Value) { name, val = string(k), v })
	c.push(name)
	defer c.pop()

	switch name {
	case "exactly":
		s, err := c.str(val)
		if err != nil {
			return false, err
		}
		l.strs = append(l.strs, s)
	case "prefix", "suffix":
		kind, fold := opPrefix, opPrefixFold
		if name == "suffix" {
			kind, fold = opSuffix, opSuffixFold
		}
		if val.Type() == fastjson.TypeObject {
			s, err := c.ignoreCase(val)
			if err != nil {
				return false, err
			}
			l.ops = append(l.ops, op{kind: fold, s: s})
			break
		}
		s, err := c.str(val)
		if err != nil {
			return false, err
		}
		l.ops = append(l.ops, op{kind: kind, s: s})
	case "equals-ignore-case":
		s, err := c.str(val)
		if err != nil {
			return false, err
		}
		l.ops = append(l.ops, op{kind: opEqualsFold, s: s})
	case "wildcard":
		s, err := c.str(val)
		if err != nil {
			return false, err
		}
		w, err := parseWildcard(s)
		if err != nil {
			return false, c.errorf("%v", err)
		}
		l.ops = append(l.ops, op{kind: opWildcard, wild: []wildcard{w}})
	case "anything-but":
		o, err := c.anythingBut(val)
		if err != nil {
			return false, err
		}
		l.ops = append(l.ops, o)
	case "numeric":
		r, err := c.numeric(val)
		if err != nil {
			return false, err
		}
		l.ops = append(l.ops, op{kind: opNumeric, rng: r})
	case "cidr":
		s, err := c.str(val)
		if err != nil {
			return false, err
		}
		p, err := parseCIDR(s)
		if err != nil {
			return false, c.errorf("%v", err)
		}
		l.ops = append(l.ops, op{kind: opCIDR, cidr: p})
	case "exists":
		switch val.Type() {
		case fastjson.TypeTrue:
			l.any = true
		case fastjson.TypeFalse:
			return true, nil
		default:
			return false, c.errorf("exists must be true or false, not %s", val.Type())
		}
	default:
		return false, c.errorf("unknown operator %q", name)
	}
	return false, nil
}

// ignoreCase compiles {"equals-ignore-case": "s"} nested in prefix/suffix.
func (c *compiler) ignoreCase(v *fastjson.Value) (string, error) {
	o, _ := v.Object()
	if o.Len() != 1 || o.Get("equals-ignore-case") == nil {
		return "", c.errorf(`only {"equals-ignore-case": string} may be nested here`)
	}
	c.push("equals-ignore-case")
	defer c.pop()
	return c.str(o.Get("equals-ignore-case"))
}

func (c *compiler) anythingBut(v *fastjson.Value) (op, error) {
	switch v.Type() {
	case fastjson.TypeString:
		return op{kind: opNotStrings, strs: []string{string(v.GetStringBytes())}}, nil
	case fastjson.TypeNumber:
		f, err := c.number(v)
		return op{kind: opNotNumbers, nums: []float64{f}}, err
	case fastjson.TypeArray:
		arr, _ := v.Array()
		if len(arr) == 0 {
			return op{}, c.errorf("anything-but list must not be empty")
		}
		var o op
		for i, e := range arr {
			c.pushIndex(i)
			switch t := e.Type(); {
			case t == fastjson.TypeString && len(o.nums) == 0:
				o.strs = append(o.strs, string(e.GetStringBytes()))
			case t == fastjson.TypeNumber && len(o.strs) == 0:
				f, err := c.number(e)
				if err != nil {
					c.pop()
					return op{}, err
				}
				o.nums = append(o.nums, f)
			default:
				err := c.errorf("anything-but list must hold only strings or only numbers, found %s", t)
				c.pop()
				return op{}, err
			}
			c.pop()
		}
		o.kind = opNotStrings
		if len(o.nums) > 0 {
			o.kind = opNotNumbers
		}
		return o, nil
	case fastjson.TypeObject:
		o, _ := v.Object()
		if o.Len() != 1 {
			return op{}, c.errorf("anything-but object must have exactly one key, got %d", o.Len())
		}
		var name string
		var val *fastjson.Value
		o.Visit(func(k []byte, v *fastjson.Value) { name, val = string(k), v })
		c.push(name)
		defer c.pop()
		var kind opKind
		switch name {
		case "prefix":
			kind = opNotPrefix
		case "suffix":
			kind = opNotSuffix
		case "equals-ignore-case":
			kind = opNotFold
		case "wildcard":
			kind = opNotWildcard
		default:
			return op{}, c.errorf("unsupported anything-but operator %q (want prefix, suffix, equals-ignore-case or wildcard)", name)
		}
		strs, err := c.strList(val)
		if err != nil {
			return op{}, err
		}
		res := op{kind: kind, strs: strs}
		for i, s := range strs {
			if s == "" && (kind == opNotPrefix || kind == opNotSuffix) {
				return op{}, c.errorf("empty %s is not allowed in anything-but", name)
			}
			if kind == opNotWildcard {
				w, err := parseWildcard(s)
				if err != nil {
					if val.Type() == fastjson.TypeArray {
						c.pushIndex(i)
						defer c.pop()
					}
					return op{}, c.errorf("%v", err)
				}
				res.wild = append(res.wild, w)
			}
		}
		return res, nil
	default:
		return op{}, c.errorf("anything-but must be a string, a number, a list or an object, not %s", v.Type())
	}
}

// strList accepts a string or a non-empty list of strings.
func (c *compiler) strList(v *fastjson.Value) ([]string, error) {
	if v.Type() != fastjson.TypeArray {
		s, err := c.str(v)
		return []string{s}, err
	}
	arr, _ := v.Array()
	if len(arr) == 0 {
		return nil, c.errorf("list must not be empty")
	}
	out := make([]string, len(arr))
	for i, e := range arr {
		c.pushIndex(i)
		s, err := c.str(e)
		c.pop()
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// numeric compiles [op, n] or [">"|">=", lo, "<"|"<=", hi].
func (c *compiler) numeric(v *fastjson.Value) (numRange, error) {
	arr, err := v.Array()
	if err != nil {
		return numRange{}, c.errorf("numeric must be an array like [\">\", 0, \"<=\", 5], not %s", v.Type())
	}
	if len(arr) != 2 && len(arr) != 4 {
		return numRange{}, c.errorf("numeric needs 2 or 4 elements, got %d", len(arr))
	}
	opAt := func(i int) (string, error) {
		c.pushIndex(i)
		defer c.pop()
		if arr[i].Type() != fastjson.TypeString {
			return "", c.errorf("expected a comparison operator, got %s", arr[i].Type())
		}
		return string(arr[i].GetStringBytes()), nil
	}
	numAt := func(i int) (float64, error) {
		c.pushIndex(i)
		defer c.pop()
		return c.number(arr[i])
	}
	badOp := func(i int, s string, want string) error {
		c.pushIndex(i)
		defer c.pop()
		return c.errorf("unexpected operator %q, want %s", s, want)
	}

	op1, err := opAt(0)
	if err != nil {
		return numRange{}, err
	}
	n1, err := numAt(1)
	if err != nil {
		return numRange{}, err
	}
	r := numRange{lo: math.Inf(-1), hi: math.Inf(1)}
	switch op1 {
	case "=":
		r.lo, r.hi = n1, n1
	case "<", "<=":
		r.hi, r.hiOpen = n1, op1 == "<"
	case ">", ">=":
		r.lo, r.loOpen = n1, op1 == ">"
	default:
		return numRange{}, badOp(0, op1, `one of "=", "<", "<=", ">", ">="`)
	}
	if len(arr) == 2 {
		return r, nil
	}
	if op1 != ">" && op1 != ">=" {
		c.pushIndex(2)
		defer c.pop()
		return numRange{}, c.errorf("a two-sided range must start with \">\" or \">=\"; %q takes one operand", op1)
	}
	op2, err := opAt(2)
	if err != nil {
		return numRange{}, err
	}
	if op2 != "<" && op2 != "<=" {
		return numRange{}, badOp(2, op2, `"<" or "<="`)
	}
	n2, err := numAt(3)
	if err != nil {
		return numRange{}, err
	}
	r.hi, r.hiOpen = n2, op2 == "<"
	if !(r.lo < r.hi) {
		return numRange{}, c.errorf("lower bound %v must be less than upper bound %v", r.lo, r.hi)
	}
	return r, nil
}

func (c *compiler) number(v *fastjson.Value) (float64, error) {
	if v.Type() != fastjson.TypeNumber {
		return 0, c.errorf("expected a number, got %s", v.Type())
	}
	f, ok := number(v)
	if !ok || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, c.errorf("number %s is out of range", v.String())
	}
	return f, nil
}

func (c *compiler) str(v *fastjson.Value) (string, error) {
	if v.Type() != fastjson.TypeString {
		return "", c.errorf("expected a string, got %s", v.Type())
	}
	return string(v.GetStringBytes()), nil
}

func parseCIDR(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		return netip.Prefix{}, fmt.Errorf("cidr %q needs a /prefix length", s)
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid cidr: %w", err)
	}
	return p.Masked(), nil
}

package pattern

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"unsafe"

	"github.com/valyala/fastjson"
)

// parsers serves MatchJSON; pooled parsers reuse their value cache, so
// parsing does not allocate in the steady state.
var parsers fastjson.ParserPool

// Match reports whether the parsed event ev matches the pattern. It does
// not allocate. ev must not be in use by another goroutine (see the
// package doc).
func (p *Pattern) Match(ev *fastjson.Value) bool {
	if ev == nil {
		return false
	}
	for _, r := range p.rules {
		if r.match(ev) {
			return true
		}
	}
	return false
}

// MatchJSON parses the event and reports whether it matches.
func (p *Pattern) MatchJSON(ev []byte) (bool, error) {
	ps := parsers.Get()
	defer parsers.Put(ps)
	v, err := ps.ParseBytes(ev)
	if err != nil {
		return false, fmt.Errorf("pattern: parse event: %w", err)
	}
	return p.Match(v), nil
}

// match evaluates an object pattern against v. A missing value, or a
// value that is not an object, satisfies a purely negative pattern only.
func (n *node) match(v *fastjson.Value) bool {
	if v == nil {
		return !n.positive
	}
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		for i := range n.fields {
			f := &n.fields[i]
			fv := o.Get(f.key)
			if f.leaf != nil && !f.leaf.match(fv) {
				return false
			}
			if f.child != nil && !f.child.match(fv) {
				return false
			}
		}
		return true
	case fastjson.TypeArray:
		a, _ := v.Array()
		// Array consistency: all fields must match inside one element.
		// A purely negative pattern has no element to anchor it, so the
		// fields must be absent from every element.
		if n.positive {
			for _, e := range a {
				if n.match(e) {
					return true
				}
			}
			return false
		}
		for _, e := range a {
			if !n.match(e) {
				return false
			}
		}
		return true
	default:
		return !n.positive
	}
}

func (l *leaf) match(v *fastjson.Value) bool {
	if l.absent {
		return v == nil || !hasLeaf(v)
	}
	if v == nil {
		return false
	}
	switch v.Type() {
	case fastjson.TypeArray:
		a, _ := v.Array()
		for _, e := range a {
			if l.match(e) {
				return true
			}
		}
		return false
	case fastjson.TypeObject:
		// Only leaf values can match; an object is an intermediate node.
		return false
	default:
		return l.any || l.matchScalar(v)
	}
}

// hasLeaf reports whether v is or contains (through arrays) a non-object
// value — what "exists" means for EventBridge.
func hasLeaf(v *fastjson.Value) bool {
	switch v.Type() {
	case fastjson.TypeObject:
		return false
	case fastjson.TypeArray:
		a, _ := v.Array()
		return slices.ContainsFunc(a, hasLeaf)
	default:
		return true
	}
}

func (l *leaf) matchScalar(v *fastjson.Value) bool {
	switch v.Type() {
	case fastjson.TypeString:
		s := str(v)
		if slices.Contains(l.strs, s) {
			return true
		}
		if len(l.ips) > 0 {
			if a, err := netip.ParseAddr(s); err == nil && slices.Contains(l.ips, a) {
				return true
			}
		}
		for i := range l.ops {
			if l.ops[i].matchString(s) {
				return true
			}
		}
	case fastjson.TypeNumber:
		f, ok := number(v)
		if !ok {
			return l.matchOther()
		}
		if slices.Contains(l.nums, f) {
			return true
		}
		for i := range l.ops {
			if l.ops[i].matchNumber(f) {
				return true
			}
		}
	case fastjson.TypeNull:
		return l.null || l.matchOther()
	case fastjson.TypeTrue:
		return l.yes || l.matchOther()
	case fastjson.TypeFalse:
		return l.no || l.matchOther()
	}
	return false
}

// matchOther handles values no operator applies to except anything-but,
// which matches them because they are not among the excluded values.
func (l *leaf) matchOther() bool {
	for i := range l.ops {
		if l.ops[i].kind >= opNotStrings {
			return true
		}
	}
	return false
}

func (o *op) matchString(s string) bool {
	switch o.kind {
	case opPrefix:
		return strings.HasPrefix(s, o.s)
	case opPrefixFold:
		return hasPrefixFold(s, o.s)
	case opSuffix:
		return strings.HasSuffix(s, o.s)
	case opSuffixFold:
		return hasSuffixFold(s, o.s)
	case opEqualsFold:
		return strings.EqualFold(s, o.s)
	case opWildcard:
		return o.wild[0].match(s)
	case opCIDR:
		a, err := netip.ParseAddr(s)
		if err != nil {
			return false
		}
		if o.cidr.Addr().Is4() {
			a = a.Unmap()
		}
		return o.cidr.Contains(a)
	case opNotStrings:
		return !slices.Contains(o.strs, s)
	case opNotNumbers:
		return true
	case opNotPrefix:
		return !slices.ContainsFunc(o.strs, func(p string) bool { return strings.HasPrefix(s, p) })
	case opNotSuffix:
		return !slices.ContainsFunc(o.strs, func(p string) bool { return strings.HasSuffix(s, p) })
	case opNotFold:
		return !slices.ContainsFunc(o.strs, func(p string) bool { return strings.EqualFold(s, p) })
	case opNotWildcard:
		for i := range o.wild {
			if o.wild[i].match(s) {
				return false
			}
		}
		return true
	}
	return false
}

func (o *op) matchNumber(f float64) bool {
	switch o.kind {
	case opNumeric:
		return o.rng.contains(f)
	case opNotNumbers:
		return !slices.Contains(o.nums, f)
	case opNotStrings, opNotPrefix, opNotSuffix, opNotFold, opNotWildcard:
		return true
	}
	return false
}

// str returns v's string without copying. fastjson stores string values as
// Go strings and StringBytes only re-slices them, so the bytes are never
// written while the event is alive.
func str(v *fastjson.Value) string {
	b, _ := v.StringBytes()
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

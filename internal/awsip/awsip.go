// Package awsip answers "is this address AWS's, and where?" from the
// address ranges AWS publishes (https://ip-ranges.amazonaws.com/ip-ranges.json).
//
// The file lists each prefix once per service (3.5.140.0/22 as AMAZON and
// again as S3) and nests prefixes (an EC2 /24 inside an AMAZON /16). Load
// merges the duplicates and flattens the nesting into sorted,
// non-overlapping address intervals, each naming the most specific
// published prefix that covers it, its region and network border group,
// and the union of the services of every prefix covering it. A lookup is
// a binary search over those intervals: no allocation, ~O(log n).
//
// The file is user-supplied and read once (Load); Picket never downloads
// it. See docs/credential-exfiltration.md for how to fetch and refresh it.
package awsip

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"
)

// Range is what the published file says about an address.
type Range struct {
	// Prefix is the most specific published prefix holding the address.
	Prefix             netip.Prefix
	Region             string // us-east-1, GLOBAL, …
	NetworkBorderGroup string
	// Services are the services of every published prefix holding the
	// address (AMAZON, EC2, S3, …), sorted. Shared: do not modify.
	Services []string
}

// HasService reports whether s is one of r's services.
func (r *Range) HasService(s string) bool { return slices.Contains(r.Services, s) }

// Ranges is a loaded ip-ranges.json. It is immutable and safe for
// concurrent use.
type Ranges struct {
	syncToken  string
	createDate time.Time
	source     string
	prefixes   int // distinct published prefixes

	ranges []Range
	// IPv4 intervals: [start4[i], end4[i]] belongs to ranges[idx4[i]].
	start4, end4 []uint32
	idx4         []int32
	// IPv6 intervals, as 128-bit numbers.
	start6, end6 []u128
	idx6         []int32
}

// SyncToken is the file's syncToken (publication time in Unix seconds).
func (r *Ranges) SyncToken() string { return r.syncToken }

// CreateDate is the file's createDate (zero when absent or unreadable).
func (r *Ranges) CreateDate() time.Time { return r.createDate }

// Source names where the ranges were read from.
func (r *Ranges) Source() string { return r.source }

// Prefixes is the number of distinct published prefixes.
func (r *Ranges) Prefixes() int { return r.prefixes }

// Intervals is the number of flattened intervals searched by Lookup.
func (r *Ranges) Intervals() int { return len(r.start4) + len(r.start6) }

// Lookup returns what the file says about a (IPv4-mapped IPv6 addresses
// count as IPv4). It does not allocate.
func (r *Ranges) Lookup(a netip.Addr) (Range, bool) {
	if r == nil || !a.IsValid() {
		return Range{}, false
	}
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		x := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		// The last interval starting at or before x.
		lo, hi := 0, len(r.start4)
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if r.start4[m] <= x {
				lo = m + 1
			} else {
				hi = m
			}
		}
		i := lo - 1
		if i < 0 || x > r.end4[i] {
			return Range{}, false
		}
		return r.ranges[r.idx4[i]], true
	}
	x := u128From16(a.As16())
	lo, hi := 0, len(r.start6)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if !x.less(r.start6[m]) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	i := lo - 1
	if i < 0 || r.end6[i].less(x) {
		return Range{}, false
	}
	return r.ranges[r.idx6[i]], true
}

// Contains reports whether a is in any published range.
func (r *Ranges) Contains(a netip.Addr) bool {
	_, ok := r.Lookup(a)
	return ok
}

// Load reads an ip-ranges.json file.
func Load(path string) (*Ranges, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("aws ip ranges: %w", err)
	}
	return Parse(path, b)
}

// maxPrefixes bounds the input (the real file has ~10,000 IPv4 and
// ~3,000 IPv6 entries).
const maxPrefixes = 1 << 20

// Parse reads ip-ranges.json from b; name is used in errors.
func Parse(name string, b []byte) (*Ranges, error) {
	p := parser{name: name, b: b, dec: json.NewDecoder(bytes.NewReader(b))}
	return p.parse()
}

type parser struct {
	name string
	b    []byte
	dec  *json.Decoder
}

// entry is one element of prefixes or ipv6_prefixes.
type entry struct {
	IPPrefix           *string `json:"ip_prefix"`
	IPv6Prefix         *string `json:"ipv6_prefix"`
	Region             string  `json:"region"`
	Service            string  `json:"service"`
	NetworkBorderGroup string  `json:"network_border_group"`
}

// errAt is an error at a byte offset of the input.
func (p *parser) errAt(off int64, format string, args ...any) error {
	line, col := position(p.b, off)
	return fmt.Errorf("aws ip ranges %s:%d:%d: %s", p.name, line, col, fmt.Sprintf(format, args...))
}

// wrap turns a decoder error into one with the file position.
func (p *parser) wrap(err error, what string) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return p.errAt(se.Offset, "%s: malformed JSON: %v", what, se)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = what
		}
		return p.errAt(te.Offset, "%s: expected %s, got JSON %s", field, te.Type, te.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return p.errAt(int64(len(p.b)), "%s: unexpected end of input", what)
	}
	return p.errAt(p.dec.InputOffset(), "%s: %v", what, err)
}

func (p *parser) parse() (*Ranges, error) {
	r := &Ranges{source: p.name}
	agg := map[netip.Prefix]*node{}
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.wrap(err, "document")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, p.errAt(0, "document: expected a JSON object (ip-ranges.json), got %v", tokenKind(tok))
	}
	sawPrefixes := false
	for p.dec.More() {
		off := p.dec.InputOffset()
		tok, err := p.dec.Token()
		if err != nil {
			return nil, p.wrap(err, "document")
		}
		key, _ := tok.(string)
		switch key {
		case "syncToken", "createDate":
			var s string
			if err := p.dec.Decode(&s); err != nil {
				return nil, p.wrap(err, key)
			}
			if key == "syncToken" {
				r.syncToken = s
			} else if t, err := time.Parse("2006-01-02-15-04-05", s); err == nil {
				r.createDate = t.UTC()
			} else {
				return nil, p.errAt(off, "createDate %q: want YYYY-MM-DD-hh-mm-ss", s)
			}
		case "prefixes", "ipv6_prefixes":
			sawPrefixes = true
			if err := p.prefixes(key, agg); err != nil {
				return nil, err
			}
		default:
			var skip json.RawMessage
			if err := p.dec.Decode(&skip); err != nil {
				return nil, p.wrap(err, key)
			}
		}
	}
	if _, err := p.dec.Token(); err != nil {
		return nil, p.wrap(err, "document")
	}
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, p.errAt(p.dec.InputOffset(), "document: data after the JSON object")
	}
	if !sawPrefixes {
		return nil, fmt.Errorf("aws ip ranges %s: no \"prefixes\" or \"ipv6_prefixes\": not an ip-ranges.json file", p.name)
	}
	if len(agg) == 0 {
		return nil, fmt.Errorf("aws ip ranges %s: the file lists no prefixes", p.name)
	}
	r.build(agg)
	return r, nil
}

func tokenKind(t json.Token) string {
	switch v := t.(type) {
	case json.Delim:
		return string(v)
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

func (p *parser) prefixes(key string, agg map[netip.Prefix]*node) error {
	off := skipSpace(p.b, p.dec.InputOffset())
	tok, err := p.dec.Token()
	if err != nil {
		return p.wrap(err, key)
	}
	if tok == nil {
		return nil // "ipv6_prefixes": null
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return p.errAt(off, "%s: expected an array, got %s", key, tokenKind(tok))
	}
	field, v6 := "ip_prefix", key == "ipv6_prefixes"
	if v6 {
		field = "ipv6_prefix"
	}
	for i := 0; p.dec.More(); i++ {
		off := skipSpace(p.b, p.dec.InputOffset())
		var e entry
		where := fmt.Sprintf("%s[%d]", key, i)
		if err := p.dec.Decode(&e); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				// The decoder's offset is past the value: point at the element.
				return p.errAt(off, "%s.%s: expected %s, got JSON %s", where, te.Field, te.Type, te.Value)
			}
			return p.wrap(err, where)
		}
		s := e.IPPrefix
		if v6 {
			s = e.IPv6Prefix
		}
		if s == nil {
			return p.errAt(off, "%s: no %s", where, field)
		}
		pfx, err := netip.ParsePrefix(*s)
		if err != nil {
			return p.errAt(off, "%s.%s: %v", where, field, err)
		}
		if pfx.Addr().Is4() == v6 || pfx.Addr().Is4In6() {
			return p.errAt(off, "%s.%s %q: not an IPv%s prefix", where, field, *s, map[bool]string{true: "6", false: "4"}[v6])
		}
		if pfx.Addr().Zone() != "" {
			return p.errAt(off, "%s.%s %q: zones are not allowed", where, field, *s)
		}
		if len(agg) >= maxPrefixes {
			return p.errAt(off, "%s: more than %d prefixes", where, maxPrefixes)
		}
		pfx = pfx.Masked()
		n := agg[pfx]
		if n == nil {
			n = &node{pfx: pfx, region: e.Region, nbg: e.NetworkBorderGroup}
			agg[pfx] = n
		}
		if e.Service != "" && !slices.Contains(n.services, e.Service) {
			n.services = append(n.services, e.Service)
		}
	}
	if _, err := p.dec.Token(); err != nil {
		return p.wrap(err, key)
	}
	return nil
}

// skipSpace moves off past JSON white space and separators (the decoder's
// offset stops before them), so a value's position is where it starts.
func skipSpace(b []byte, off int64) int64 {
	for off < int64(len(b)) {
		switch b[off] {
		case ' ', '\t', '\n', '\r', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

// position turns a byte offset into a 1-based line and column.
func position(b []byte, off int64) (line, col int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	if off < 0 {
		off = 0
	}
	line = 1 + bytes.Count(b[:off], []byte{'\n'})
	col = int(off) - bytes.LastIndexByte(b[:off], '\n')
	return line, col
}

// node is one distinct published prefix with its merged services.
type node struct {
	pfx      netip.Prefix
	region   string
	nbg      string
	services []string
	lo, hi   u128
	idx      int32 // index in Ranges.ranges
}

// build flattens the (laminar: nested or disjoint) prefixes into
// non-overlapping intervals.
func (r *Ranges) build(agg map[netip.Prefix]*node) {
	var v4, v6 []*node
	for _, n := range agg {
		n.lo, n.hi = bounds(n.pfx)
		if n.pfx.Addr().Is4() {
			v4 = append(v4, n)
		} else {
			v6 = append(v6, n)
		}
	}
	r.prefixes = len(agg)
	emit4 := func(lo, hi u128, idx int32) {
		r.start4 = append(r.start4, uint32(lo.lo))
		r.end4 = append(r.end4, uint32(hi.lo))
		r.idx4 = append(r.idx4, idx)
	}
	emit6 := func(lo, hi u128, idx int32) {
		r.start6 = append(r.start6, lo)
		r.end6 = append(r.end6, hi)
		r.idx6 = append(r.idx6, idx)
	}
	r.flatten(v4, emit4)
	r.flatten(v6, emit6)
}

func (r *Ranges) flatten(ns []*node, emit func(lo, hi u128, idx int32)) {
	// Outer prefixes first: by start, then by size (shorter prefix first).
	slices.SortFunc(ns, func(a, b *node) int {
		if c := a.lo.cmp(b.lo); c != 0 {
			return c
		}
		return a.pfx.Bits() - b.pfx.Bits()
	})
	var stack []*node
	var cur u128 // next address not yet emitted
	done := false
	// out emits [cur, hi] for n (when non-empty) and moves cur past hi.
	out := func(hi u128, n *node) {
		if done || hi.less(cur) {
			return
		}
		emit(cur, hi, n.idx)
		if hi == maxU128 {
			done = true
			return
		}
		cur = hi.inc()
	}
	for _, n := range ns {
		for len(stack) > 0 && stack[len(stack)-1].hi.less(n.lo) {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			out(top.hi, top)
		}
		if len(stack) > 0 && cur.less(n.lo) {
			out(n.lo.dec(), stack[len(stack)-1])
		}
		cur = n.lo
		// The range of n: its own region, the union of its services and
		// its ancestors'.
		rg := Range{Prefix: n.pfx, Region: n.region, NetworkBorderGroup: n.nbg}
		svc := slices.Clone(n.services)
		for _, a := range stack {
			for _, s := range a.services {
				if !slices.Contains(svc, s) {
					svc = append(svc, s)
				}
			}
		}
		slices.Sort(svc)
		rg.Services = slices.Clip(svc)
		n.idx = int32(len(r.ranges))
		r.ranges = append(r.ranges, rg)
		stack = append(stack, n)
	}
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		out(top.hi, top)
	}
}

// Summary describes the ranges in one line (for start-up logs).
func (r *Ranges) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d prefixes (%d intervals) from %s", r.prefixes, r.Intervals(), r.source)
	if !r.createDate.IsZero() {
		fmt.Fprintf(&b, ", published %s", r.createDate.Format(time.RFC3339))
	}
	return b.String()
}

// ---- 128-bit arithmetic on addresses ----

type u128 struct{ hi, lo uint64 }

var maxU128 = u128{^uint64(0), ^uint64(0)}

func u128From16(b [16]byte) u128 {
	var x u128
	for i := 0; i < 8; i++ {
		x.hi = x.hi<<8 | uint64(b[i])
		x.lo = x.lo<<8 | uint64(b[8+i])
	}
	return x
}

func (a u128) less(b u128) bool { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo) }

func (a u128) cmp(b u128) int {
	switch {
	case a.less(b):
		return -1
	case b.less(a):
		return 1
	}
	return 0
}

func (a u128) inc() u128 {
	lo := a.lo + 1
	hi := a.hi
	if lo == 0 {
		hi++
	}
	return u128{hi, lo}
}

func (a u128) dec() u128 {
	lo := a.lo - 1
	hi := a.hi
	if a.lo == 0 {
		hi--
	}
	return u128{hi, lo}
}

// bounds returns the first and last address of p: IPv4 in the low 32 bits.
func bounds(p netip.Prefix) (lo, hi u128) {
	if p.Addr().Is4() {
		b := p.Addr().As4()
		x := uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
		size := uint64(1)<<(32-p.Bits()) - 1
		return u128{0, x}, u128{0, x | size}
	}
	lo = u128From16(p.Addr().As16())
	hostBits := 128 - p.Bits()
	var mask u128
	switch {
	case hostBits >= 128:
		mask = maxU128
	case hostBits >= 64:
		mask = u128{uint64(1)<<(hostBits-64) - 1, ^uint64(0)}
	default:
		mask = u128{0, uint64(1)<<hostBits - 1}
	}
	return lo, u128{lo.hi | mask.hi, lo.lo | mask.lo}
}

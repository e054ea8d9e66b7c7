package intel

import (
	"cmp"
	"encoding/binary"
	"math/bits"
	"net/netip"
	"slices"
)

// An entry is referred to by a ref: the list's index in the configuration
// (8 bits) and the entry's index in the list (24 bits).
const (
	refListShift = 24
	refEntryMask = 1<<refListShift - 1
	// MaxListEntries is the most entries (lines giving an entry,
	// duplicates included) one list may hold.
	MaxListEntries = refEntryMask
)

func makeRef(li int, e int) uint32 { return uint32(li)<<refListShift | uint32(e) }

// u128 is an address as a 128-bit number; IPv4 addresses are in the low
// 32 bits.
type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

func (a u128) cmp(b u128) int {
	if c := cmp.Compare(a.hi, b.hi); c != 0 {
		return c
	}
	return cmp.Compare(a.lo, b.lo)
}

func (a u128) inc() u128 {
	if a.lo == ^uint64(0) {
		return u128{a.hi + 1, 0}
	}
	return u128{a.hi, a.lo + 1}
}

// hostMask is the mask of the host bits of a /bits prefix in a width-bit
// address.
func hostMask(bits, width int) u128 {
	k := width - bits // host bits
	ones := func(n int) uint64 {
		if n >= 64 {
			return ^uint64(0)
		}
		return 1<<n - 1
	}
	if k > 64 {
		return u128{ones(k - 64), ^uint64(0)}
	}
	return u128{0, ones(k)}
}

func addr4(a netip.Addr) uint32 { b := a.As4(); return binary.BigEndian.Uint32(b[:]) }

func addr6(a netip.Addr) u128 {
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

func from4(v uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}

func from6(v u128) netip.Addr {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], v.hi)
	binary.BigEndian.PutUint64(b[8:], v.lo)
	return netip.AddrFrom16(b)
}

// v6rec is an exact IPv6 entry.
type v6rec struct {
	addr u128
	ref  uint32
}

// cidrRec is a CIDR entry (IPv4 ones in the low 32 bits of start).
type cidrRec struct {
	start u128
	ref   uint32
	bits  uint8
}

func cmpV6(a, b v6rec) int {
	if c := a.addr.cmp(b.addr); c != 0 {
		return c
	}
	return cmp.Compare(a.ref, b.ref)
}

func cmpCIDR(a, b cidrRec) int {
	if c := a.start.cmp(b.start); c != 0 {
		return c
	}
	if c := cmp.Compare(a.bits, b.bits); c != 0 {
		return c
	}
	return cmp.Compare(a.ref, b.ref)
}

// dedupV4 keeps the first record of each address in a sorted slice (the
// lowest ref: the earliest list, then the earliest line) and returns how
// many it dropped.
func dedupV4(s []uint64) ([]uint64, int) {
	out := s[:0]
	for i, v := range s {
		if i > 0 && v>>32 == out[len(out)-1]>>32 {
			continue
		}
		out = append(out, v)
	}
	return out, len(s) - len(out)
}

func dedupV6(s []v6rec) ([]v6rec, int) {
	out := s[:0]
	for i, v := range s {
		if i > 0 && v.addr == out[len(out)-1].addr {
			continue
		}
		out = append(out, v)
	}
	return out, len(s) - len(out)
}

func dedupCIDR(s []cidrRec) ([]cidrRec, int) {
	out := s[:0]
	for i, v := range s {
		if i > 0 && v.start == out[len(out)-1].start && v.bits == out[len(out)-1].bits {
			continue
		}
		out = append(out, v)
	}
	return out, len(s) - len(out)
}

// radix is an index over sorted 32-bit keys: idx[h] is the first i whose
// key(i)>>shift >= h, so the keys with top bits h are in [idx[h],
// idx[h+1]). It has about n/8 buckets (at most 65536), so a lookup
// binary-searches a handful of keys and the index costs at most half a
// byte per key.
type radix struct {
	idx   []uint32
	shift uint8
}

func newRadix(n int, key func(int) uint32) radix {
	rbits := min(max(bits.Len(uint(n))-3, 0), 16)
	r := radix{idx: make([]uint32, 1<<rbits+1), shift: uint8(32 - rbits)}
	i := 0
	for h := 0; h <= 1<<rbits; h++ {
		for i < n && uint64(key(i))>>r.shift < uint64(h) {
			i++
		}
		r.idx[h] = uint32(i)
	}
	return r
}

// bucket returns the range of keys that share a's top bits.
func (r *radix) bucket(a uint32) (int, int) {
	h := uint64(a) >> r.shift
	return int(r.idx[h]), int(r.idx[h+1])
}

// v4Table holds exact IPv4 entries: addr<<32|ref, sorted, one per address.
type v4Table struct {
	recs []uint64
	idx  radix
}

func newV4Table(recs []uint64) v4Table {
	if len(recs) == 0 {
		return v4Table{}
	}
	return v4Table{recs: recs, idx: newRadix(len(recs), func(i int) uint32 { return uint32(recs[i] >> 32) })}
}

func (t *v4Table) find(a uint32) (uint32, bool) {
	if len(t.recs) == 0 {
		return 0, false
	}
	lo, hi := t.idx.bucket(a)
	key := uint64(a) << 32
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.recs[m] < key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(t.recs) && t.recs[lo]>>32 == uint64(a) {
		return uint32(t.recs[lo]), true
	}
	return 0, false
}

func findV6(recs []v6rec, a u128) (uint32, bool) {
	lo, hi := 0, len(recs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if recs[m].addr.less(a) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(recs) && recs[lo].addr == a {
		return recs[lo].ref, true
	}
	return 0, false
}

// cidrTable answers longest-prefix matches for one address family. The
// prefixes (nested or disjoint, as CIDR ranges always are) are flattened
// at build time into disjoint intervals, each labelled with the longest
// prefix covering it; a lookup is a binary search for the interval holding
// the address (behind a 16-bit radix index for IPv4).
type cidrTable struct {
	recs     []cidrRec // sorted by start, then bits; one per prefix
	width    int       // 32 or 128
	starts4  []uint32  // IPv4 interval starts
	starts6  []u128    // IPv6 interval starts
	prefixes []uint32  // per interval: index+1 into recs, 0 for none
	idx      radix     // IPv4: over starts4
}

func newCIDRTable(recs []cidrRec, width int) cidrTable {
	t := cidrTable{recs: recs, width: width}
	if len(recs) == 0 {
		return t
	}
	starts, prefixes := intervals(recs, width)
	t.prefixes = prefixes
	if width == 32 {
		t.starts4 = make([]uint32, len(starts))
		for i, s := range starts {
			t.starts4[i] = uint32(s.lo)
		}
		t.idx = newRadix(len(t.starts4), func(i int) uint32 { return t.starts4[i] })
	} else {
		t.starts6 = starts
	}
	return t
}

// intervals flattens sorted prefixes into interval starts labelled with
// the innermost prefix covering them.
func intervals(recs []cidrRec, width int) ([]u128, []uint32) {
	var starts []u128
	var ps []uint32
	emit := func(pos u128, p uint32) {
		n := len(starts)
		switch {
		case n > 0 && starts[n-1] == pos:
			ps[n-1] = p
			if n > 1 && ps[n-2] == p {
				starts, ps = starts[:n-1], ps[:n-1]
			}
		case n > 0 && ps[n-1] == p, n == 0 && p == 0:
		default:
			starts, ps = append(starts, pos), append(ps, p)
		}
	}
	top := hostMask(0, width)
	type frame struct {
		end u128
		p   uint32
	}
	var stack []frame
	pop := func() {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if f.end != top {
			next := uint32(0)
			if len(stack) > 0 {
				next = stack[len(stack)-1].p
			}
			emit(f.end.inc(), next)
		}
	}
	for i, r := range recs {
		for len(stack) > 0 && stack[len(stack)-1].end.less(r.start) {
			pop()
		}
		m := hostMask(int(r.bits), width)
		stack = append(stack, frame{end: u128{r.start.hi | m.hi, r.start.lo | m.lo}, p: uint32(i + 1)})
		emit(r.start, uint32(i+1))
	}
	for len(stack) > 0 {
		pop()
	}
	return starts, ps
}

func (t *cidrTable) find4(a uint32) (*cidrRec, bool) {
	if len(t.starts4) == 0 {
		return nil, false
	}
	lo, hi := t.idx.bucket(a)
	for lo < hi { // first start > a
		m := int(uint(lo+hi) >> 1)
		if t.starts4[m] <= a {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return nil, false
	}
	p := t.prefixes[lo-1]
	if p == 0 {
		return nil, false
	}
	return &t.recs[p-1], true
}

func (t *cidrTable) find6(a u128) (*cidrRec, bool) {
	lo, hi := 0, len(t.starts6)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if !a.less(t.starts6[m]) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return nil, false
	}
	p := t.prefixes[lo-1]
	if p == 0 {
		return nil, false
	}
	return &t.recs[p-1], true
}

// ipIndex holds the address entries of one list or of one side (trusted
// or threat) of a snapshot.
type ipIndex struct {
	v4     v4Table
	v6     []v6rec
	c4, c6 cidrTable
}

func (x *ipIndex) size() int {
	return len(x.v4.recs) + len(x.v6) + len(x.c4.recs) + len(x.c6.recs)
}

// find returns the longest match for a (unmapped, without zone): an exact
// entry, else the longest CIDR.
func (x *ipIndex) find(a netip.Addr) (uint32, netip.Prefix, bool) {
	if a.Is4() {
		v := addr4(a)
		if ref, ok := x.v4.find(v); ok {
			return ref, netip.PrefixFrom(a, 32), true
		}
		if r, ok := x.c4.find4(v); ok {
			return r.ref, netip.PrefixFrom(from4(uint32(r.start.lo)), int(r.bits)), true
		}
		return 0, netip.Prefix{}, false
	}
	v := addr6(a)
	if ref, ok := findV6(x.v6, v); ok {
		return ref, netip.PrefixFrom(a, 128), true
	}
	if r, ok := x.c6.find6(v); ok {
		return r.ref, netip.PrefixFrom(from6(r.start), int(r.bits)), true
	}
	return 0, netip.Prefix{}, false
}

// mergeIP merges the address entries of lists (in configuration order) into
// one index, keeping for each address or prefix the entry of the first
// list. One list's index is shared, not copied.
func mergeIP(parts []*ipIndex) ipIndex {
	var nv4, nv6, nc4, nc6 []*ipIndex
	for _, p := range parts {
		if len(p.v4.recs) > 0 {
			nv4 = append(nv4, p)
		}
		if len(p.v6) > 0 {
			nv6 = append(nv6, p)
		}
		if len(p.c4.recs) > 0 {
			nc4 = append(nc4, p)
		}
		if len(p.c6.recs) > 0 {
			nc6 = append(nc6, p)
		}
	}
	var x ipIndex
	switch len(nv4) {
	case 0:
	case 1:
		x.v4 = nv4[0].v4
	default:
		var all []uint64
		for _, p := range nv4 {
			all = append(all, p.v4.recs...)
		}
		slices.Sort(all)
		all, _ = dedupV4(all)
		x.v4 = newV4Table(all)
	}
	switch len(nv6) {
	case 0:
	case 1:
		x.v6 = nv6[0].v6
	default:
		var all []v6rec
		for _, p := range nv6 {
			all = append(all, p.v6...)
		}
		slices.SortFunc(all, cmpV6)
		x.v6, _ = dedupV6(all)
	}
	x.c4 = mergeCIDR(nc4, func(p *ipIndex) *cidrTable { return &p.c4 }, 32)
	x.c6 = mergeCIDR(nc6, func(p *ipIndex) *cidrTable { return &p.c6 }, 128)
	return x
}

func mergeCIDR(parts []*ipIndex, get func(*ipIndex) *cidrTable, width int) cidrTable {
	switch len(parts) {
	case 0:
		return cidrTable{width: width}
	case 1:
		return *get(parts[0])
	}
	var all []cidrRec
	for _, p := range parts {
		all = append(all, get(p).recs...)
	}
	slices.SortFunc(all, cmpCIDR)
	all, _ = dedupCIDR(all)
	return newCIDRTable(all, width)
}

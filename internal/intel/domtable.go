package intel

import (
	"math/bits"
)

// domTable is an open-addressing hash set of domain keys. A slot holds
// 32 bits of the key's hash (to skip most key comparisons) and ref+1; the
// key itself is read from the list that holds the entry. Keys are hashed
// right to left, so one pass over a queried name gives the hash of every
// label suffix (see suffixes).
type domTable struct {
	slots []uint64
	mask  uint64
	n     int
	h     hasher
}

// hasher is the per-Set hash: random, so that feed content cannot be
// crafted to collide.
type hasher struct{ seed, mul uint64 }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func (h hasher) step(x uint64, c byte) uint64 { return (x ^ uint64(lower(c))) * h.mul }

// key hashes a whole key (right to left, as suffixes does).
func (h hasher) key(s string) uint64 {
	x := h.seed
	for i := len(s) - 1; i >= 0; i-- {
		x = h.step(x, s[i])
	}
	return x
}

func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

func newDomTable(h hasher, n int) *domTable {
	size := 8
	if n > 0 {
		size = max(8, 1<<bits.Len(uint(n*2-1))) // a power of two >= 2n: load <= 1/2
	}
	return &domTable{slots: make([]uint64, size), mask: uint64(size - 1), h: h}
}

// keyOf returns the domain key of the entry ref.
func keyOf(lists []*listData, ref uint32) string {
	l := lists[ref>>refListShift]
	p := &l.prov[ref&refEntryMask]
	return l.str(p.koff, uint32(p.kn))
}

// equalLower reports whether name (any case) equals key (lower case).
func equalLower(name, key string) bool {
	if len(name) != len(key) {
		return false
	}
	for i := 0; i < len(name); i++ {
		if lower(name[i]) != key[i] {
			return false
		}
	}
	return true
}

// find returns the ref of key (given its hash x) or false.
func (t *domTable) find(lists []*listData, key string, x uint64) (uint32, bool) {
	m := mix(x)
	tag := m >> 32
	for pos := m & t.mask; ; pos = (pos + 1) & t.mask {
		s := t.slots[pos]
		if s == 0 {
			return 0, false
		}
		if s>>32 == tag {
			ref := uint32(s) - 1
			if equalLower(key, keyOf(lists, ref)) {
				return ref, true
			}
		}
	}
}

// insert adds key (hash x) for ref unless it is there; it returns the ref
// already there.
func (t *domTable) insert(lists []*listData, key string, x uint64, ref uint32) (uint32, bool) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.grow(lists)
	}
	m := mix(x)
	tag := m >> 32
	for pos := m & t.mask; ; pos = (pos + 1) & t.mask {
		s := t.slots[pos]
		if s == 0 {
			t.slots[pos] = tag<<32 | uint64(ref+1)
			t.n++
			return 0, true
		}
		if s>>32 == tag {
			old := uint32(s) - 1
			if equalLower(key, keyOf(lists, old)) {
				return old, false
			}
		}
	}
}

func (t *domTable) grow(lists []*listData) {
	old := t.slots
	t.slots = make([]uint64, len(old)*2)
	t.mask = uint64(len(t.slots) - 1)
	for _, s := range old {
		if s == 0 {
			continue
		}
		// The tag is the top half of the mixed hash; the position needs
		// the bottom half, so the hash is recomputed from the key.
		m := mix(t.h.key(keyOf(lists, uint32(s)-1)))
		pos := m & t.mask
		for t.slots[pos] != 0 {
			pos = (pos + 1) & t.mask
		}
		t.slots[pos] = s
	}
}

// each calls fn with every ref in the table.
func (t *domTable) each(fn func(ref uint32)) {
	for _, s := range t.slots {
		if s != 0 {
			fn(uint32(s) - 1)
		}
	}
}

// suffixes holds the label suffixes of a queried name and their hashes,
// longest first: for "a.b.example" they are a.b.example, b.example,
// example. Names are cut to their last 253 bytes (no key is longer).
type suffixes struct {
	name string
	n    int
	pos  [MaxDomainLen/2 + 1]uint8
	hash [MaxDomainLen/2 + 1]uint64
}

// set fills s for name without allocating; a trailing dot is ignored.
func (s *suffixes) set(h hasher, name string) {
	if len(name) > 0 && name[len(name)-1] == '.' {
		name = name[:len(name)-1]
	}
	if len(name) > MaxDomainLen {
		// Only the last 253 bytes can hold a key; start at a label.
		cut := len(name) - MaxDomainLen
		for cut < len(name) && name[cut-1] != '.' {
			cut++
		}
		name = name[cut:]
	}
	s.name, s.n = name, 0
	x := h.seed
	count := 0
	for i := len(name) - 1; i >= 0; i-- {
		x = h.step(x, name[i])
		if i == 0 || name[i-1] == '.' {
			if name[i] != '.' { // skip empty labels ("a..b")
				s.pos[count], s.hash[count] = uint8(i), x
				count++
			}
		}
	}
	// Reverse: longest first.
	for i, j := 0, count-1; i < j; i, j = i+1, j-1 {
		s.pos[i], s.pos[j] = s.pos[j], s.pos[i]
		s.hash[i], s.hash[j] = s.hash[j], s.hash[i]
	}
	s.n = count
}

// lookup returns the longest suffix of the name in t.
func (t *domTable) lookup(lists []*listData, s *suffixes) (uint32, bool) {
	if t == nil || t.n == 0 {
		return 0, false
	}
	for i := 0; i < s.n; i++ {
		if ref, ok := t.find(lists, s.name[s.pos[i]:], s.hash[i]); ok {
			return ref, true
		}
	}
	return 0, false
}

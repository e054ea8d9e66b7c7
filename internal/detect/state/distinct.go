package state

import "time"

// SetCap is how many distinct values a Set holds exactly; a detector
// threshold on distinct values must not exceed it.
const SetCap = 32

// SmallCap is how many values a SmallSet holds.
const SmallCap = 16

// Set is a set of distinct 16-bit values — ports, or 16-bit hashes of
// addresses and names — exact up to SetCap (for hashes, but for
// collisions: two of 32 values share a 16-bit hash about once in 130
// sets, which at worst delays a finding by one value). 65 bytes, no
// pointers. Adding to a full set only reports "full".
type Set struct {
	n uint8
	v [SetCap]uint16
}

// Add adds x and reports whether it was new. A full set reports false.
func (s *Set) Add(x uint16) bool {
	if s.Has(x) || int(s.n) == SetCap {
		return false
	}
	s.v[s.n] = x
	s.n++
	return true
}

// Has reports whether x is in s.
func (s *Set) Has(x uint16) bool {
	for _, y := range s.v[:s.n] {
		if y == x {
			return true
		}
	}
	return false
}

// Len is the number of distinct values held.
func (s *Set) Len() int { return int(s.n) }

// Full reports whether s holds SetCap values.
func (s *Set) Full() bool { return int(s.n) == SetCap }

// Values returns the values held (a copy).
func (s *Set) Values() []uint16 { return append([]uint16(nil), s.v[:s.n]...) }

// SmallSet is a Set of at most SmallCap values: 33 bytes.
type SmallSet struct {
	n uint8
	v [SmallCap]uint16
}

// Add adds x and reports whether it was new. A full set reports false.
func (s *SmallSet) Add(x uint16) bool {
	if s.Has(x) || int(s.n) == SmallCap {
		return false
	}
	s.v[s.n] = x
	s.n++
	return true
}

// Has reports whether x is in s.
func (s *SmallSet) Has(x uint16) bool {
	for _, y := range s.v[:s.n] {
		if y == x {
			return true
		}
	}
	return false
}

// Len is the number of values held.
func (s *SmallSet) Len() int { return int(s.n) }

// Full reports whether s holds SmallCap values.
func (s *SmallSet) Full() bool { return int(s.n) == SmallCap }

// Values returns the values held (a copy).
func (s *SmallSet) Values() []uint16 { return append([]uint16(nil), s.v[:s.n]...) }

// Sliding counts distinct values over a sliding window of event time,
// approximated by two halves: it always covers the last half window and
// at most the last whole one, so a burst that fits in half a window is
// always counted whole, wherever the window boundaries fall. 148 bytes.
type Sliding struct {
	half      int64 // index of the current half window (event time / (window/2))
	prev, cur Set
	distinct  int32 // |prev ∪ cur|
}

// Add adds x at time t to a window of length w and returns how many
// distinct values the window holds.
func (s *Sliding) Add(x uint16, t time.Time, w time.Duration) int {
	h := t.UnixNano() / max(int64(w)/2, 1)
	switch {
	case h == s.half+1:
		s.prev, s.cur, s.half = s.cur, Set{}, h
		s.distinct = int32(s.prev.Len())
	case h > s.half+1 || h < s.half-1 || s.half == 0:
		*s = Sliding{half: h}
	}
	if s.cur.Add(x) && !s.prev.Has(x) {
		s.distinct++
	}
	return int(s.distinct)
}

// Values returns the distinct values the window holds.
func (s *Sliding) Values() []uint16 {
	out := s.prev.Values()
	for _, x := range s.cur.v[:s.cur.n] {
		if !s.prev.Has(x) {
			out = append(out, x)
		}
	}
	return out
}

// Counter counts events over a sliding window approximated by two halves,
// like Sliding.
type Counter struct {
	half      int64
	prev, cur int64
}

// Add adds n events at time t to a window of length w and returns the
// window's count.
func (c *Counter) Add(n int64, t time.Time, w time.Duration) int64 {
	h := t.UnixNano() / max(int64(w)/2, 1)
	switch {
	case h == c.half+1:
		c.prev, c.cur, c.half = c.cur, 0, h
	case h > c.half+1 || h < c.half-1 || c.half == 0:
		*c = Counter{half: h}
	}
	c.cur += n
	return c.prev + c.cur
}

// Throttle lets a finding be raised at most once per window of event time.
type Throttle struct{ last int64 }

// Allow reports whether a finding may be raised at t, and if so records it.
func (th *Throttle) Allow(t time.Time, w time.Duration) bool {
	n := t.UnixNano()
	if th.last != 0 && n-th.last <= int64(w) && n >= th.last {
		return false
	}
	th.last = n
	return true
}

// Hash16 is a 16-bit hash of an address key (FNV-1a folded).
func Hash16(k Addr16) uint16 {
	h := uint32(2166136261)
	for _, b := range k {
		h ^= uint32(b)
		h *= 16777619
	}
	return uint16(h ^ h>>16)
}

// HashString16 is a 16-bit FNV-1a hash of s, folded.
func HashString16(s string) uint16 {
	h := HashString(s)
	return uint16(h ^ h>>16)
}

// HashString is a 32-bit FNV-1a hash of s.
func HashString(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// HashID is a 64-bit FNV-1a hash of s, for compact keys of IDs.
func HashID(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// HashAddr64 is a 64-bit FNV-1a hash of an address key.
func HashAddr64(k Addr16) uint64 {
	h := uint64(14695981039346656037)
	for _, b := range k {
		h ^= uint64(b)
		h *= 1099511628211
	}
	return h
}

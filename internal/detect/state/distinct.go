package state

// SetCap is how many distinct values a Ports or Hashes set holds exactly;
// a detector threshold on distinct values must not exceed it.
const SetCap = 48

// Ports is a set of distinct 16-bit values (ports), exact up to SetCap:
// 97 bytes, no pointers. Adding to a full set only counts as "full".
type Ports struct {
	n uint8
	v [SetCap]uint16
}

// Add adds p and reports whether it was new. A full set reports false.
func (s *Ports) Add(p uint16) bool {
	for _, x := range s.v[:s.n] {
		if x == p {
			return false
		}
	}
	if int(s.n) == SetCap {
		return false
	}
	s.v[s.n] = p
	s.n++
	return true
}

// Len is the number of distinct values held.
func (s *Ports) Len() int { return int(s.n) }

// Values returns the values held (a copy).
func (s *Ports) Values() []uint16 { return append([]uint16(nil), s.v[:s.n]...) }

// Hashes is a set of distinct 32-bit hashes (of addresses, names), exact
// up to SetCap but for hash collisions (negligible at 48 values: about one
// chance in 3.7 million): 193 bytes, no pointers.
type Hashes struct {
	n uint8
	v [SetCap]uint32
}

// Add adds h and reports whether it was new. A full set reports false.
func (s *Hashes) Add(h uint32) bool {
	for _, x := range s.v[:s.n] {
		if x == h {
			return false
		}
	}
	if int(s.n) == SetCap {
		return false
	}
	s.v[s.n] = h
	s.n++
	return true
}

// Len is the number of distinct values held.
func (s *Hashes) Len() int { return int(s.n) }

// HashAddr is a 32-bit hash of an address key (FNV-1a).
func HashAddr(k Addr16) uint32 {
	h := uint32(2166136261)
	for _, b := range k {
		h ^= uint32(b)
		h *= 16777619
	}
	return h
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

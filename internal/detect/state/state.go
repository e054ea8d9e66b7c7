// Package state holds the bounded, windowed memory of stateful detectors:
// a Table of per-entity state (an instance and a remote host, a source
// address, a domain) with a fixed maximum number of entries, eviction of
// the least recently seen when full, and expiry by event time. Time is
// always the events' time, passed in, never the wall clock: a replay of old
// logs decides exactly as live traffic would.
//
// Keys and values should hold no pointers (use Addr16 for addresses): the
// table is then one flat allocation the garbage collector does not scan,
// however many million entities it tracks.
package state

import (
	"math/rand/v2"
	"net/netip"
	"sync/atomic"
	"time"
)

// Table maps keys to per-entity state, holding at most Max entries.
// It is not safe for concurrent use: each detector owns its tables and is
// called from one goroutine.
type Table[K comparable, V any] struct {
	max     int
	ttl     int64 // nanoseconds of event time after which an entry is stale
	slots   []slot[K, V]
	index   map[K]int32
	free    []int32
	rnd     *rand.Rand
	evicted atomic.Int64 // live entries pushed out because the table was full
	expired atomic.Int64 // stale entries dropped
	entries atomic.Int64 // mirrors len(index) for readers on other goroutines
}

type slot[K comparable, V any] struct {
	key  K
	last int64 // event time of the last touch, Unix nanoseconds
	used bool
	val  V
}

// New makes a table of at most max entries; an entry untouched for ttl of
// event time is stale and is reused first.
func New[K comparable, V any](max int, ttl time.Duration) *Table[K, V] {
	if max < 1 {
		max = 1
	}
	return &Table[K, V]{max: max, ttl: int64(ttl), index: make(map[K]int32), rnd: rand.New(rand.NewPCG(1, 2))}
}

// Get returns the state of key, touched at now, creating a zero value when
// there is none (fresh is then true). A stale entry comes back fresh too.
// The pointer is valid until the next Get.
func (t *Table[K, V]) Get(key K, now time.Time) (v *V, fresh bool) {
	n := now.UnixNano()
	if i, ok := t.index[key]; ok {
		s := &t.slots[i]
		if n-s.last > t.ttl {
			var zero V
			s.val = zero
			fresh = true
			t.expired.Add(1)
		}
		if n > s.last {
			s.last = n
		}
		return &s.val, fresh
	}
	i := t.alloc(n)
	s := &t.slots[i]
	s.key, s.last, s.used = key, n, true
	t.index[key] = i
	t.entries.Store(int64(len(t.index)))
	return &s.val, true
}

// Peek returns the state of key without creating or touching it.
func (t *Table[K, V]) Peek(key K) (*V, bool) {
	i, ok := t.index[key]
	if !ok {
		return nil, false
	}
	return &t.slots[i].val, true
}

// Delete forgets key.
func (t *Table[K, V]) Delete(key K) {
	if i, ok := t.index[key]; ok {
		t.release(i)
	}
}

// Len is the number of entries held.
func (t *Table[K, V]) Len() int { return len(t.index) }

// Evicted counts live entries dropped because the table was full.
func (t *Table[K, V]) Evicted() int64 { return t.evicted.Load() }

// Expired counts stale entries dropped or reset.
func (t *Table[K, V]) Expired() int64 { return t.expired.Load() }

// Stats reports the table's size and eviction count; unlike the rest of
// the table, it is safe to call from another goroutine (a metrics scrape).
func (t *Table[K, V]) Stats() Stats {
	return Stats{Entries: t.entries.Load(), Evicted: t.evicted.Load(), Expired: t.expired.Load()}
}

// Stats describe a table (or the sum of a detector's tables).
type Stats struct {
	Entries, Evicted, Expired int64
}

// Add sums stats.
func (s Stats) Add(o Stats) Stats {
	return Stats{s.Entries + o.Entries, s.Evicted + o.Evicted, s.Expired + o.Expired}
}

// Reporter is implemented by stateful detectors: what their tables hold.
type Reporter interface {
	StateStats() Stats
}

// sample is how many entries eviction looks at to find an old one: the
// oldest of 8 random entries is older than ~89% of the table.
const sample = 8

// alloc finds a slot for a new entry at event time n.
func (t *Table[K, V]) alloc(n int64) int32 {
	if k := len(t.free); k > 0 {
		i := t.free[k-1]
		t.free = t.free[:k-1]
		return i
	}
	if len(t.slots) < t.max {
		t.slots = append(t.slots, slot[K, V]{})
		return int32(len(t.slots) - 1)
	}
	victim := int32(-1)
	oldest := int64(1<<63 - 1)
	for range sample {
		i := int32(t.rnd.IntN(len(t.slots)))
		if l := t.slots[i].last; l < oldest {
			victim, oldest = i, l
		}
	}
	if n-oldest > t.ttl {
		t.expired.Add(1)
	} else {
		t.evicted.Add(1)
	}
	t.release(victim)
	k := len(t.free) - 1
	i := t.free[k]
	t.free = t.free[:k]
	return i
}

func (t *Table[K, V]) release(i int32) {
	s := &t.slots[i]
	delete(t.index, s.key)
	*s = slot[K, V]{}
	t.free = append(t.free, i)
	t.entries.Store(int64(len(t.index)))
}

// Addr16 is an IP address as a comparable key without pointers (netip.Addr
// holds one). IPv4 and IPv4-mapped IPv6 addresses give the same key.
type Addr16 [16]byte

// AddrKey makes the key of an address.
func AddrKey(a netip.Addr) Addr16 { return a.Unmap().As16() }

// Addr turns a key back into an address (IPv4 when it was one).
func (k Addr16) Addr() netip.Addr { return netip.AddrFrom16(k).Unmap() }

package state

import (
	"net/netip"
	"testing"
	"time"
	"unsafe"
)

var t0 = time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC)

func TestTableGetCreatesAndKeeps(t *testing.T) {
	tb := New[int, int](10, time.Minute)
	v, fresh := tb.Get(1, t0)
	if !fresh || *v != 0 {
		t.Fatalf("first Get: %d fresh=%t", *v, fresh)
	}
	*v = 42
	v, fresh = tb.Get(1, t0.Add(30*time.Second))
	if fresh || *v != 42 {
		t.Fatalf("second Get: %d fresh=%t", *v, fresh)
	}
	// Untouched for more than the TTL of event time: stale, reset.
	v, fresh = tb.Get(1, t0.Add(30*time.Second+time.Minute+time.Nanosecond))
	if !fresh || *v != 0 || tb.Expired() != 1 {
		t.Fatalf("after the TTL: %d fresh=%t expired=%d", *v, fresh, tb.Expired())
	}
	// Exactly at the TTL it is still alive.
	*v = 7
	at := t0.Add(30*time.Second + time.Minute + time.Nanosecond)
	if v, fresh = tb.Get(1, at.Add(time.Minute)); fresh || *v != 7 {
		t.Fatalf("at exactly the TTL: %d fresh=%t", *v, fresh)
	}
	// Events out of order do not move the last touch back.
	tb.Get(1, at.Add(-time.Hour))
	if v, fresh = tb.Get(1, at.Add(2*time.Minute)); fresh || *v != 7 {
		t.Fatalf("after an older event: %d fresh=%t", *v, fresh)
	}
}

func TestTableBoundedEvictsOld(t *testing.T) {
	const max = 100
	tb := New[int, int](max, time.Hour)
	for i := range max {
		v, _ := tb.Get(i, t0.Add(time.Duration(i)*time.Second))
		*v = i
	}
	// Keep the newest half warm, then add as many new keys again.
	for i := 50; i < max; i++ {
		tb.Get(i, t0.Add(200*time.Second))
	}
	for i := max; i < max+50; i++ {
		tb.Get(i, t0.Add(300*time.Second))
		if tb.Len() > max {
			t.Fatalf("%d entries, max %d", tb.Len(), max)
		}
	}
	if tb.Evicted() != 50 {
		t.Errorf("evicted %d, want 50", tb.Evicted())
	}
	// Sampled LRU: 50 new entries pushed out mostly the cold half.
	warm, cold := 0, 0
	for i := range max {
		if _, ok := tb.Peek(i); ok {
			if i >= 50 {
				warm++
			} else {
				cold++
			}
		}
	}
	if warm < 40 || cold > 10 {
		t.Errorf("survivors: %d warm, %d cold", warm, cold)
	}
	// A surviving entry kept its value.
	for i := 50; i < max; i++ {
		if v, ok := tb.Peek(i); ok && *v != i {
			t.Fatalf("entry %d holds %d", i, *v)
		}
	}
}

func TestTableDeleteReusesSlot(t *testing.T) {
	tb := New[string, int](2, time.Hour)
	tb.Get("a", t0)
	tb.Get("b", t0)
	tb.Delete("a")
	tb.Get("c", t0)
	if tb.Len() != 2 || tb.Evicted() != 0 {
		t.Errorf("len %d evicted %d", tb.Len(), tb.Evicted())
	}
	if _, ok := tb.Peek("a"); ok {
		t.Error("deleted key still there")
	}
}

func TestAddrKey(t *testing.T) {
	v4 := netip.MustParseAddr("203.0.113.7")
	mapped := netip.MustParseAddr("::ffff:203.0.113.7")
	if AddrKey(v4) != AddrKey(mapped) || AddrKey(v4).Addr() != v4 {
		t.Error("IPv4 and IPv4-mapped keys differ or do not round-trip")
	}
	v6 := netip.MustParseAddr("2001:db8::1")
	if AddrKey(v6).Addr() != v6 || AddrKey(v6) == AddrKey(v4) {
		t.Error("IPv6 key")
	}
}

func TestSets(t *testing.T) {
	var p Set
	for i := range SetCap {
		if !p.Add(uint16(i * 7)) {
			t.Fatalf("value %d not new", i)
		}
		if p.Add(uint16(i * 7)) {
			t.Fatalf("value %d new twice", i)
		}
	}
	if p.Add(9999) || p.Len() != SetCap || !p.Full() || p.Has(9999) || !p.Has(7) {
		t.Errorf("a full set grew: %d", p.Len())
	}
	var small SmallSet
	for i := range SmallCap + 5 {
		small.Add(uint16(i))
	}
	if small.Len() != SmallCap || !small.Full() || small.Has(SmallCap) {
		t.Errorf("small set %v", small.Values())
	}
	if HashString("a.example") == HashString("b.example") || HashString16("a.example") == HashString16("b.example") {
		t.Error("hash collision on trivial input")
	}
	if HashID("i-1") == HashID("i-2") || HashAddr64(AddrKey(netip.MustParseAddr("10.0.0.1"))) == HashAddr64(AddrKey(netip.MustParseAddr("10.0.0.2"))) {
		t.Error("64-bit hash collision on trivial input")
	}
	if s := unsafe.Sizeof(Sliding{}); s > 200 {
		t.Errorf("Sliding takes %d bytes", s)
	}
}

func TestSliding(t *testing.T) {
	const w = 10 * time.Minute
	var s Sliding
	// A burst of 10 values in 4 minutes straddling a half-window boundary
	// (t0 is on one) is counted whole.
	start := t0.Add(3 * time.Minute)
	var n int
	for i := range 10 {
		n = s.Add(uint16(i), start.Add(time.Duration(i)*24*time.Second), w)
	}
	if n != 10 {
		t.Errorf("burst across a boundary counted %d, want 10", n)
	}
	// Repeats do not count.
	if n = s.Add(3, start.Add(4*time.Minute), w); n != 10 {
		t.Errorf("repeat counted: %d", n)
	}
	// Values older than a whole window are gone; the last half stays.
	if n = s.Add(100, start.Add(11*time.Minute), w); n != 7 { // the half from 09:05 (5..9 and the repeat of 3) and 100
		t.Errorf("after 11 minutes: %d", n)
	}
	if n = s.Add(101, start.Add(40*time.Minute), w); n != 1 {
		t.Errorf("after a long pause: %d", n)
	}
	if vs := s.Values(); len(vs) != 1 || vs[0] != 101 {
		t.Errorf("values %v", vs)
	}

	var c Counter
	for i := range 20 {
		n := c.Add(5, t0.Add(time.Duration(i)*10*time.Second), w)
		if n != int64(5*(i+1)) {
			t.Fatalf("counter at %d: %d", i, n)
		}
	}
	if n := c.Add(1, t0.Add(time.Hour), w); n != 1 {
		t.Errorf("counter after an hour: %d", n)
	}

	var th Throttle
	if !th.Allow(t0, w) || th.Allow(t0.Add(w), w) || !th.Allow(t0.Add(w+time.Second), w) {
		t.Error("throttle")
	}
}

// BenchmarkTableGet touches entities in a full table of 1M, with eviction.
func BenchmarkTableGet(b *testing.B) {
	const n = 1 << 20
	tb := New[Addr16, [64]byte](n, time.Hour)
	keys := make([]Addr16, 2*n)
	for i := range keys {
		keys[i] = AddrKey(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tb.Get(keys[i%(2*n)], t0.Add(time.Duration(i)))
	}
}

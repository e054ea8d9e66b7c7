package intel

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// The benchmark data: 1M addresses (95% IPv4), 100k CIDR ranges (95%
// IPv4, /8 to /30 and /32 to /64) and 1M domains, in three lists.
const (
	benchIPs     = 1_000_000
	benchCIDRs   = 100_000
	benchDomains = 1_000_000
)

type benchData struct {
	ips, cidrs, domains []byte
	hitIPs, cidrIPs     []netip.Addr // exact entries; addresses inside ranges only
	missIPs             []netip.Addr
	hitV6, missV6       []netip.Addr
	doms, subs, missDom []string
}

var tlds = []string{"com", "net", "org", "io", "ru", "cn", "top", "xyz", "info", "example"}

func randLabel(rng *rand.Rand, lo, hi int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	n := lo + rng.IntN(hi-lo+1)
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[rng.IntN(26)]
		if i > 0 {
			b[i] = letters[rng.IntN(len(letters))]
		}
	}
	return string(b)
}

func genBenchData() *benchData {
	rng := rand.New(rand.NewPCG(7, 7))
	d := &benchData{}
	var buf bytes.Buffer
	seen4 := make(map[uint32]bool, benchIPs)
	for i := 0; i < benchIPs; i++ {
		if i%20 == 0 {
			var b [16]byte
			b[0], b[1] = 0x2a, 0x0b
			for j := 2; j < 16; j++ {
				b[j] = byte(rng.IntN(256))
			}
			a := netip.AddrFrom16(b)
			fmt.Fprintln(&buf, a)
			if len(d.hitV6) < 4096 {
				d.hitV6 = append(d.hitV6, a)
			}
			continue
		}
		v := rng.Uint32()
		for seen4[v] || v>>24 == 10 { // 10/8 stays free for misses
			v = rng.Uint32()
		}
		seen4[v] = true
		a := from4(v)
		fmt.Fprintln(&buf, a)
		if len(d.hitIPs) < 4096 {
			d.hitIPs = append(d.hitIPs, a)
		}
	}
	d.ips = bytes.Clone(buf.Bytes())
	buf.Reset()
	for i := 0; i < benchCIDRs; i++ {
		if i%20 == 0 {
			var b [16]byte
			b[0], b[1] = 0x2c, 0x0f
			for j := 2; j < 8; j++ {
				b[j] = byte(rng.IntN(256))
			}
			fmt.Fprintln(&buf, netip.PrefixFrom(netip.AddrFrom16(b), 32+rng.IntN(33)).Masked())
			continue
		}
		v := rng.Uint32()
		if v>>24 == 10 {
			v ^= 1 << 24
		}
		bits := 8 + rng.IntN(23)
		if bits < 16 && rng.IntN(8) != 0 {
			bits += 8 // mostly longer prefixes
		}
		p := netip.PrefixFrom(from4(v), bits).Masked()
		fmt.Fprintln(&buf, p)
		if len(d.cidrIPs) < 4096 {
			d.cidrIPs = append(d.cidrIPs, from4(addr4(p.Addr())|uint32(rng.IntN(1<<(32-bits)))))
		}
	}
	d.cidrs = bytes.Clone(buf.Bytes())
	buf.Reset()
	for i := 0; i < 4096; i++ {
		d.missIPs = append(d.missIPs, from4(10<<24|rng.Uint32()&0xffffff))
		var b [16]byte
		b[0], b[1] = 0x2a, 0x0c
		for j := 2; j < 16; j++ {
			b[j] = byte(rng.IntN(256))
		}
		d.missV6 = append(d.missV6, netip.AddrFrom16(b))
	}
	for i := 0; i < benchDomains; i++ {
		name := randLabel(rng, 5, 12) + "." + tlds[rng.IntN(len(tlds))]
		if rng.IntN(3) == 0 {
			name = randLabel(rng, 2, 8) + "." + name
		}
		buf.WriteString(name)
		buf.WriteByte('\n')
		if len(d.doms) < 4096 {
			d.doms = append(d.doms, name)
			d.subs = append(d.subs, "www.cdn."+strings.ToUpper(name[:1])+name[1:]+".")
			d.missDom = append(d.missDom, "www."+randLabel(rng, 5, 12)+".miss.example")
		}
	}
	d.domains = bytes.Clone(buf.Bytes())
	return d
}

var (
	benchOnce sync.Once
	bench     *benchData
	benchSet  *Set
)

func benchSetup(b *testing.B) (*benchData, *Set) {
	benchOnce.Do(func() {
		bench = genBenchData()
		dir, err := os.MkdirTemp("", "intel-bench")
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dir)
		cfg := benchConfig(b, dir, bench)
		benchSet, _, err = Load(context.Background(), cfg, Options{})
		if err != nil {
			b.Fatal(err)
		}
	})
	return bench, benchSet
}

func benchConfig(t testing.TB, dir string, d *benchData) Config {
	var cfg Config
	for _, l := range []struct {
		name string
		data []byte
	}{{"ips", d.ips}, {"cidrs", d.cidrs}, {"domains", d.domains}} {
		p := filepath.Join(dir, l.name+".txt")
		if err := os.WriteFile(p, l.data, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg.Lists = append(cfg.Lists, ListConfig{Name: l.name, Kind: KindThreat, Format: FormatTXT, Path: p})
	}
	return cfg
}

func BenchmarkLookupIP(b *testing.B) {
	d, s := benchSetup(b)
	cases := []struct {
		name  string
		addrs []netip.Addr
		hit   bool
	}{
		{"hit-exact-v4", d.hitIPs, true},
		{"hit-cidr-v4", d.cidrIPs, true},
		{"miss-v4", d.missIPs, false},
		{"hit-exact-v6", d.hitV6, true},
		{"miss-v6", d.missV6, false},
	}
	for _, c := range cases {
		for _, a := range c.addrs {
			if _, ok := s.LookupIP(a); ok != c.hit {
				b.Fatalf("%s: LookupIP(%s) = %v", c.name, a, ok)
			}
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			n := len(c.addrs)
			for i := 0; b.Loop(); i++ {
				s.LookupIP(c.addrs[i%n])
			}
		})
	}
	b.Run("check-hit-exact-v4", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			s.CheckIP(d.hitIPs[i%len(d.hitIPs)])
		}
	})
}

func BenchmarkLookupDomain(b *testing.B) {
	d, s := benchSetup(b)
	cases := []struct {
		name  string
		names []string
		hit   bool
	}{
		{"hit-exact", d.doms, true},
		{"hit-subdomain", d.subs, true},
		{"miss", d.missDom, false},
	}
	for _, c := range cases {
		for _, n := range c.names {
			if _, ok := s.LookupDomain(n); ok != c.hit {
				b.Fatalf("%s: LookupDomain(%s) = %v", c.name, n, ok)
			}
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			n := len(c.names)
			for i := 0; b.Loop(); i++ {
				s.LookupDomain(c.names[i%n])
			}
		})
	}
}

// TestMemoryAndLoadTime loads 1M addresses, 100k CIDR ranges and 1M
// domains from files and reports the heap they take and how long the load
// took. It fails above 80 bytes per entry or 20 s.
func TestMemoryAndLoadTime(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("slow; not under -short or -race")
	}
	d := genBenchData()
	dir := t.TempDir()
	cfg := benchConfig(t, dir, d)
	fileBytes := len(d.ips) + len(d.cidrs) + len(d.domains)
	d.ips, d.cidrs, d.domains = nil, nil, nil

	before := heapInUse()
	start := time.Now()
	s, ch, err := Load(context.Background(), cfg, Options{})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	after := heapInUse()
	entries := 0
	for _, l := range ch.Lists {
		entries += l.Entries
		t.Logf("%s: %d entries, %d duplicates", l.List, l.Entries, l.Duplicates)
	}
	used := int64(after) - int64(before)
	perEntry := float64(used) / float64(entries)
	t.Logf("loaded %d entries from %.1f MB of files in %v; heap in use %.1f MB (%.1f bytes per entry)",
		entries, float64(fileBytes)/1e6, took.Round(time.Millisecond), float64(used)/1e6, perEntry)
	if entries < benchIPs+benchCIDRs+benchDomains-5000 {
		t.Errorf("only %d entries", entries)
	}
	if _, ok := s.LookupDomain("www." + d.doms[0]); !ok {
		t.Error("lookup failed")
	}
	if perEntry > 80 || took > 20*time.Second {
		t.Errorf("%.1f bytes per entry, %v: too much", perEntry, took)
	}
	runtime.KeepAlive(s)

	// For comparison: the same domains in a map[string]uint32.
	base := heapInUse()
	m := make(map[string]uint32)
	b, err := os.ReadFile(filepath.Join(dir, "domains.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		m[strings.Clone(l)] = uint32(i)
	}
	b = nil
	mapped := int64(heapInUse()) - int64(base)
	t.Logf("for comparison, map[string]uint32 of the %d domains alone: %.1f MB (%.1f bytes per domain)",
		len(m), float64(mapped)/1e6, float64(mapped)/float64(len(m)))
	runtime.KeepAlive(m)
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

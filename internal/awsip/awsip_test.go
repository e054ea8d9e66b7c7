package awsip

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func load(t testing.TB) *Ranges {
	t.Helper()
	r, err := Load("testdata/ip-ranges.json")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLoadMeta(t *testing.T) {
	r := load(t)
	if r.SyncToken() != "1764072789" {
		t.Errorf("syncToken %q", r.SyncToken())
	}
	if want := time.Date(2026, 10, 1, 12, 13, 9, 0, time.UTC); !r.CreateDate().Equal(want) {
		t.Errorf("createDate %v, want %v", r.CreateDate(), want)
	}
	// 12 entries, of which 4 repeat a prefix for another service: 8 IPv4
	// prefixes; 4 IPv6.
	if r.Prefixes() != 12 {
		t.Errorf("%d prefixes, want 12", r.Prefixes())
	}
	if !strings.Contains(r.Summary(), "12 prefixes") {
		t.Errorf("summary %q", r.Summary())
	}
}

func TestLookup(t *testing.T) {
	r := load(t)
	tests := []struct {
		addr     string
		ok       bool
		prefix   string
		region   string
		services string
	}{
		{"3.85.12.34", true, "3.80.0.0/12", "us-east-1", "AMAZON,EC2"},   // one prefix, two services: merged
		{"3.80.0.0", true, "3.80.0.0/12", "us-east-1", "AMAZON,EC2"},     // first address
		{"3.95.255.255", true, "3.80.0.0/12", "us-east-1", "AMAZON,EC2"}, // last address
		{"3.96.0.0", false, "", "", ""},
		{"3.79.255.255", false, "", "", ""},
		{"18.236.253.47", true, "18.236.0.0/15", "us-west-2", "AMAZON,EC2"},
		{"3.5.141.7", true, "3.5.140.0/22", "ap-northeast-2", "AMAZON,S3"},
		// Nesting: the most specific prefix and the union of services.
		{"52.94.1.1", true, "52.94.0.0/16", "us-east-1", "AMAZON"},
		{"52.94.77.9", true, "52.94.76.0/22", "us-west-2", "AMAZON,DYNAMODB"},
		{"52.94.80.0", true, "52.94.0.0/16", "us-east-1", "AMAZON"}, // after the /22, back in the /16
		{"52.94.133.200", true, "52.94.133.128/25", "us-east-1", "AMAZON,EC2"},
		{"52.94.133.127", true, "52.94.0.0/16", "us-east-1", "AMAZON"},
		{"52.94.255.255", true, "52.94.0.0/16", "us-east-1", "AMAZON"},
		{"52.95.0.0", false, "", "", ""},
		{"15.230.39.1", true, "15.230.39.0/24", "us-east-2", "AMAZON"},
		{"::ffff:3.85.12.34", true, "3.80.0.0/12", "us-east-1", "AMAZON,EC2"}, // IPv4-mapped
		{"203.0.113.50", false, "", "", ""},
		{"10.0.0.1", false, "", "", ""},
		{"0.0.0.0", false, "", "", ""},
		{"255.255.255.255", false, "", "", ""},
		// IPv6.
		{"2600:1f14:abc::1", true, "2600:1f14::/35", "us-west-2", "AMAZON,EC2"},
		{"2600:1f14:2000::", false, "", "", ""}, // just past the /35 … but inside the /24
		{"2600:1f18:7fff:ffff:ffff:ffff:ffff:ffff", true, "2600:1f18::/33", "us-east-1", "AMAZON,EC2"},
		{"2600:1f18:8000::", true, "2600:1f00::/24", "GLOBAL", "AMAZON"},
		{"2600:1fff:ffff:ffff:ffff:ffff:ffff:ffff", true, "2600:1f00::/24", "GLOBAL", "AMAZON"},
		{"2600:2000::", false, "", "", ""},
		{"2a05:d07f::1", true, "2a05:d000::/25", "eu-west-1", "AMAZON"},
		{"2a05:d080::1", false, "", "", ""},
		{"2001:db8::1", false, "", "", ""},
		{"::", false, "", "", ""},
		{"fe80::1%eth0", false, "", "", ""},
	}
	for _, tc := range tests {
		// 2600:1f14:2000:: is inside 2600:1f00::/24: fix the table's
		// expectation rather than special-case the loop.
		if tc.addr == "2600:1f14:2000::" {
			tc.ok, tc.prefix, tc.region, tc.services = true, "2600:1f00::/24", "GLOBAL", "AMAZON"
		}
		got, ok := r.Lookup(netip.MustParseAddr(tc.addr))
		if ok != tc.ok {
			t.Errorf("%s: found=%v, want %v (%+v)", tc.addr, ok, tc.ok, got)
			continue
		}
		if !ok {
			continue
		}
		if got.Prefix.String() != tc.prefix || got.Region != tc.region || strings.Join(got.Services, ",") != tc.services {
			t.Errorf("%s: %s %s %v, want %s %s %s", tc.addr, got.Prefix, got.Region, got.Services, tc.prefix, tc.region, tc.services)
		}
		if !got.Prefix.Contains(netip.MustParseAddr(tc.addr).Unmap()) {
			t.Errorf("%s: prefix %s does not contain it", tc.addr, got.Prefix)
		}
	}
	var nilRanges *Ranges
	if _, ok := nilRanges.Lookup(netip.MustParseAddr("3.85.12.34")); ok {
		t.Error("nil ranges found an address")
	}
	if _, ok := r.Lookup(netip.Addr{}); ok {
		t.Error("the zero address was found")
	}
}

// The extremes of the address space: a prefix ending at the last address
// (no wrap-around), one at the first, a whole-space prefix with holes.
func TestLookupEdges(t *testing.T) {
	src := `{"prefixes":[
	 {"ip_prefix":"255.255.255.0/24","region":"r1","service":"AMAZON"},
	 {"ip_prefix":"0.0.0.0/8","region":"r2","service":"AMAZON"},
	 {"ip_prefix":"0.0.0.0/0","region":"all","service":"ALL"},
	 {"ip_prefix":"10.1.2.3/16","region":"r3","service":"X"}],
	"ipv6_prefixes":[
	 {"ipv6_prefix":"ffff:ffff:ffff:ffff::/64","region":"r1","service":"AMAZON"},
	 {"ipv6_prefix":"::/0","region":"all","service":"ALL"},
	 {"ipv6_prefix":"8000::/1","region":"top","service":"Y"}]}`
	r, err := Parse("edges.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"255.255.255.255": "255.255.255.0/24 r1 ALL,AMAZON",
		"255.255.254.255": "0.0.0.0/0 all ALL",
		"0.0.0.0":         "0.0.0.0/8 r2 ALL,AMAZON",
		"1.0.0.0":         "0.0.0.0/0 all ALL",
		"10.1.200.1":      "10.1.0.0/16 r3 ALL,X", // host bits in the file are masked
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff": "ffff:ffff:ffff:ffff::/64 r1 ALL,AMAZON,Y",
		"ffff:ffff:ffff:fffe::":                   "8000::/1 top ALL,Y",
		"7fff::":                                  "::/0 all ALL",
		"::":                                      "::/0 all ALL",
	}
	for a, want := range tests {
		rg, ok := r.Lookup(netip.MustParseAddr(a))
		got := fmt.Sprintf("%s %s %s", rg.Prefix, rg.Region, strings.Join(rg.Services, ","))
		if !ok || got != want {
			t.Errorf("%s: %q (found %v), want %q", a, got, ok, want)
		}
	}
	checkIntervals(t, r)
}

// checkIntervals verifies the flattened table: sorted, non-overlapping,
// each interval inside its prefix.
func checkIntervals(t testing.TB, r *Ranges) {
	t.Helper()
	for i := range r.start4 {
		if r.start4[i] > r.end4[i] || (i > 0 && r.start4[i] <= r.end4[i-1]) {
			t.Fatalf("IPv4 interval %d [%d, %d] after [%d]", i, r.start4[i], r.end4[i], r.end4[max(i-1, 0)])
		}
		lo, hi := bounds(r.ranges[r.idx4[i]].Prefix)
		if uint64(r.start4[i]) < lo.lo || uint64(r.end4[i]) > hi.lo {
			t.Fatalf("IPv4 interval %d outside its prefix %s", i, r.ranges[r.idx4[i]].Prefix)
		}
	}
	for i := range r.start6 {
		if r.end6[i].less(r.start6[i]) || (i > 0 && !r.end6[i-1].less(r.start6[i])) {
			t.Fatalf("IPv6 interval %d out of order", i)
		}
		lo, hi := bounds(r.ranges[r.idx6[i]].Prefix)
		if r.start6[i].less(lo) || hi.less(r.end6[i]) {
			t.Fatalf("IPv6 interval %d outside its prefix %s", i, r.ranges[r.idx6[i]].Prefix)
		}
	}
}

// Against a brute-force reference on random nested prefixes.
func TestLookupMatchesBruteForce(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 9))
	for round := range 30 {
		var b strings.Builder
		b.WriteString(`{"prefixes":[`)
		var pfx []netip.Prefix
		for i := range 60 {
			a := netip.AddrFrom4([4]byte{byte(10 + rnd.IntN(3)), byte(rnd.IntN(4)), byte(rnd.IntN(256)), byte(rnd.IntN(256))})
			p := netip.PrefixFrom(a, 8+rnd.IntN(25)).Masked()
			pfx = append(pfx, p)
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"ip_prefix":%q,"region":"r%d","service":"S%d"}`, p, rnd.IntN(3), rnd.IntN(3))
		}
		b.WriteString(`]}`)
		r, err := Parse("random.json", []byte(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		checkIntervals(t, r)
		for range 2000 {
			a := netip.AddrFrom4([4]byte{byte(9 + rnd.IntN(5)), byte(rnd.IntN(5)), byte(rnd.IntN(256)), byte(rnd.IntN(256))})
			best := -1
			for i, p := range pfx {
				if p.Contains(a) && (best < 0 || p.Bits() > pfx[best].Bits()) {
					best = i
				}
			}
			got, ok := r.Lookup(a)
			if ok != (best >= 0) || (ok && got.Prefix != pfx[best]) {
				t.Fatalf("round %d: %s: got %v %v, want %v", round, a, got.Prefix, ok, best >= 0)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"empty", ``, "x.json:1:1: document: unexpected end of input"},
		{"not object", `[1]`, "x.json:1:1: document: expected a JSON object"},
		{"syntax", "{\n \"prefixes\": [\n  {\"ip_prefix\": \"3.5.140.0/22\",}\n ]\n}", "x.json:3:"},
		{"bad prefix", "{\"prefixes\": [\n {\"ip_prefix\": \"3.5.140.0/22\"},\n {\"ip_prefix\": \"3.5.140.0/33\"}\n]}", `x.json:3:2: prefixes[1].ip_prefix: netip.ParsePrefix("3.5.140.0/33")`},
		{"no prefix field", "{\"prefixes\": [{\"region\": \"us-east-1\"}]}", "x.json:1:15: prefixes[0]: no ip_prefix"},
		{"v6 in v4 list", `{"prefixes": [{"ip_prefix": "2600:1f14::/35"}]}`, `prefixes[0].ip_prefix "2600:1f14::/35": not an IPv4 prefix`},
		{"v4 in v6 list", `{"ipv6_prefixes": [{"ipv6_prefix": "3.0.0.0/8"}]}`, `ipv6_prefixes[0].ipv6_prefix "3.0.0.0/8": not an IPv6 prefix`},
		{"wrong type", "{\"prefixes\": [{\"ip_prefix\": 42}]}", "x.json:1:15: prefixes[0].ip_prefix: expected string, got JSON number"},
		{"prefixes not array", `{"prefixes": {"ip_prefix": "3.0.0.0/8"}}`, "x.json:1:14: prefixes: expected an array, got {"},
		{"region wrong type", `{"prefixes": [{"ip_prefix": "3.0.0.0/8", "region": ["x"]}]}`, "prefixes[0].region: expected string, got JSON array"},
		{"bad createDate", `{"createDate": "yesterday", "prefixes": []}`, `createDate "yesterday"`},
		{"no prefixes", `{"syncToken": "1"}`, "not an ip-ranges.json file"},
		{"empty prefixes", `{"prefixes": [], "ipv6_prefixes": []}`, "lists no prefixes"},
		{"trailing", `{"prefixes": [{"ip_prefix": "3.0.0.0/8"}]} {}`, "data after the JSON object"},
		{"truncated", `{"prefixes": [{"ip_prefix": "3.0.0.0/8"}`, "unexpected end of input"},
		{"zone", `{"ipv6_prefixes": [{"ipv6_prefix": "fe80::%eth0/64"}]}`, "ipv6_prefixes[0].ipv6_prefix"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x.json", []byte(tc.src))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
	if _, err := Load("testdata/missing.json"); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}

// Null lists and unknown fields are accepted (the format may grow).
func TestParseTolerant(t *testing.T) {
	r, err := Parse("x.json", []byte(`{"syncToken":"1","future":{"a":[1,2]},"prefixes":[{"ip_prefix":"3.0.0.0/8","service":"EC2","extra":true}],"ipv6_prefixes":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Contains(netip.MustParseAddr("3.1.2.3")) || r.Contains(netip.MustParseAddr("2600::1")) {
		t.Error("lookup")
	}
}

func TestLookupAllocs(t *testing.T) {
	r := load(t)
	a4, a6 := netip.MustParseAddr("52.94.77.9"), netip.MustParseAddr("2600:1f14:abc::1")
	n := testing.AllocsPerRun(1000, func() {
		r.Lookup(a4)
		r.Lookup(a6)
	})
	if n != 0 {
		t.Errorf("%v allocs per lookup", n)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"prefixes":[{"ip_prefix":"3.0.0.0/8","region":"us-east-1","service":"EC2"}],"ipv6_prefixes":[{"ipv6_prefix":"2600:1f14::/35"}]}`))
	f.Add([]byte(`{"prefixes":[{"ip_prefix":"0.0.0.0/0"},{"ip_prefix":"255.255.255.255/32"}]}`))
	f.Add([]byte(`{"createDate":"2026-10-01-12-13-09","prefixes":[]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse("fuzz.json", b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "aws ip ranges fuzz.json") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		checkIntervals(t, r)
		for _, rg := range r.ranges {
			a := rg.Prefix.Addr()
			got, ok := r.Lookup(a)
			if !ok || !got.Prefix.Contains(a) {
				t.Fatalf("%s: the first address of a published prefix is not found (%v)", a, got.Prefix)
			}
		}
	})
}

// BenchmarkLookup looks up a mix of AWS and other addresses in the test
// file (small) and in a synthetic table the size of the real file.
func BenchmarkLookup(b *testing.B) {
	rnd := rand.New(rand.NewPCG(1, 2))
	var sb strings.Builder
	sb.WriteString(`{"prefixes":[`)
	for i := range 10000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		a := netip.AddrFrom4([4]byte{byte(rnd.IntN(224)), byte(rnd.IntN(256)), byte(rnd.IntN(256)), 0})
		fmt.Fprintf(&sb, `{"ip_prefix":%q,"region":"us-east-1","service":"EC2"}`, netip.PrefixFrom(a, 16+rnd.IntN(9)).Masked())
	}
	sb.WriteString(`],"ipv6_prefixes":[`)
	for i := range 3000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		var a [16]byte
		a[0], a[1], a[2], a[3], a[4] = 0x26, 0x00, byte(rnd.IntN(256)), byte(rnd.IntN(256)), byte(rnd.IntN(256))
		fmt.Fprintf(&sb, `{"ipv6_prefix":%q,"region":"us-east-1","service":"EC2"}`, netip.PrefixFrom(netip.AddrFrom16(a), 32+rnd.IntN(25)).Masked())
	}
	sb.WriteString(`]}`)
	big, err := Parse("synthetic.json", []byte(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	addrs := make([]netip.Addr, 1024)
	for i := range addrs {
		if i%4 == 3 {
			var a [16]byte
			a[0], a[1], a[2], a[3], a[4] = 0x26, 0x00, byte(rnd.IntN(256)), byte(rnd.IntN(256)), byte(rnd.IntN(256))
			addrs[i] = netip.AddrFrom16(a)
		} else {
			addrs[i] = netip.AddrFrom4([4]byte{byte(rnd.IntN(256)), byte(rnd.IntN(256)), byte(rnd.IntN(256)), byte(rnd.IntN(256))})
		}
	}
	for _, c := range []struct {
		name string
		r    *Ranges
	}{{"testdata", load(b)}, {"realsize", big}} {
		b.Run(c.name, func(b *testing.B) {
			found := 0
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, ok := c.r.Lookup(addrs[i&1023]); ok {
					found++
				}
			}
			b.ReportMetric(float64(c.r.Intervals()), "intervals")
		})
	}
}

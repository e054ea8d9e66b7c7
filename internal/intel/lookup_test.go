package intel

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

type memList struct {
	name     string
	kind     Kind
	format   Format
	content  string
	category string
	custom   bool
}

func listConfigs(t testing.TB, dir string, lists []memList) Config {
	t.Helper()
	var cfg Config
	for _, l := range lists {
		p := filepath.Join(dir, l.name)
		if err := os.WriteFile(p, []byte(l.content), 0o644); err != nil {
			t.Fatal(err)
		}
		if l.format == "" {
			l.format = FormatTXT
		}
		cfg.Lists = append(cfg.Lists, ListConfig{Name: l.name, Kind: l.kind, Format: l.format, Path: p, Category: l.category, Custom: l.custom})
	}
	return cfg
}

// loadLists writes the lists to files and loads them.
func loadLists(t testing.TB, now time.Time, lists ...memList) *Set {
	t.Helper()
	cfg := listConfigs(t, t.TempDir(), lists)
	s, _, err := Load(context.Background(), cfg, Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func lines(ss ...string) string { return strings.Join(ss, "\n") + "\n" }

func TestLookupIPLongestPrefix(t *testing.T) {
	s := loadLists(t, testNow, memList{name: "threat", kind: KindThreat, content: lines(
		"10.0.0.0/8",      // 1
		"10.1.0.0/16",     // 2
		"10.1.2.0/24",     // 3
		"10.1.2.3",        // 4
		"10.1.2.128/25",   // 5
		"192.168.0.0/16",  // 6
		"2001:db8::/32",   // 7
		"2001:db8:1::/48", // 8
		"2001:db8:1::1",   // 9
		"255.255.255.255/32",
		"255.255.255.0/24",       // 11
		"::ffff:203.0.113.0/120", // 12: IPv4-mapped, stored as 203.0.113.0/24
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124",
		"172.16.0.0/12", // 14
		"172.16.0.0/12", // 15: duplicate, line 14 wins
		"8.8.8.1/31",    // 16: host bits set
		"0.0.0.1",       // 17: just above 0.0.0.0
		"10.1.2.4/30",   // 18: nested in line 3
	)})
	tests := []struct {
		addr   string
		line   int // 0: no hit
		prefix string
	}{
		{"10.1.2.3", 4, "10.1.2.3/32"},
		{"10.1.2.4", 18, "10.1.2.4/30"},
		{"10.1.2.7", 18, "10.1.2.4/30"},
		{"10.1.2.8", 3, "10.1.2.0/24"},
		{"10.1.2.2", 3, "10.1.2.0/24"},
		{"10.1.2.127", 3, "10.1.2.0/24"},
		{"10.1.2.128", 5, "10.1.2.128/25"},
		{"10.1.2.255", 5, "10.1.2.128/25"},
		{"10.1.3.0", 2, "10.1.0.0/16"},
		{"10.1.255.255", 2, "10.1.0.0/16"},
		{"10.2.0.0", 1, "10.0.0.0/8"},
		{"10.0.0.0", 1, "10.0.0.0/8"},
		{"10.255.255.255", 1, "10.0.0.0/8"},
		{"11.0.0.0", 0, ""},
		{"9.255.255.255", 0, ""},
		{"192.168.255.255", 6, "192.168.0.0/16"},
		{"192.169.0.0", 0, ""},
		{"2001:db8:1::1", 9, "2001:db8:1::1/128"},
		{"2001:db8:1::2", 8, "2001:db8:1::/48"},
		{"2001:db8:2::", 7, "2001:db8::/32"},
		{"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 7, "2001:db8::/32"},
		{"2001:db9::", 0, ""},
		{"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", 0, ""},
		{"::ffff:10.1.2.3", 4, "10.1.2.3/32"}, // IPv4-mapped is IPv4
		{"::ffff:10.9.9.9", 1, "10.0.0.0/8"},
		{"255.255.255.255", 10, "255.255.255.255/32"},
		{"255.255.255.254", 11, "255.255.255.0/24"},
		{"203.0.113.77", 12, "203.0.113.0/24"},
		{"::ffff:203.0.113.77", 12, "203.0.113.0/24"},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 13, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124"},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffef", 0, ""},
		{"172.31.255.255", 14, "172.16.0.0/12"},
		{"8.8.8.0", 16, "8.8.8.0/31"},
		{"8.8.8.1", 16, "8.8.8.0/31"},
		{"8.8.8.2", 0, ""},
		{"0.0.0.0", 0, ""},
		{"0.0.0.1", 17, "0.0.0.1/32"},
		{"::", 0, ""},
		{"::a01:203", 0, ""}, // ::10.1.2.3 (IPv4-compatible) is IPv6
		{"fe80::1%eth0", 0, ""},
	}
	for _, tt := range tests {
		h, ok := s.LookupIP(netip.MustParseAddr(tt.addr))
		if ok != (tt.line != 0) || ok && (h.Line != tt.line || h.Prefix.String() != tt.prefix) {
			t.Errorf("LookupIP(%s) = line %d %s %v, want line %d %s", tt.addr, h.Line, h.Prefix, ok, tt.line, tt.prefix)
		}
	}
	if _, ok := s.LookupIP(netip.Addr{}); ok {
		t.Error("the zero Addr matched")
	}
}

func TestLookupIPWholeSpace(t *testing.T) {
	tests := []struct {
		name    string
		content string
		addr    string
		want    string // matched prefix, "" for none
	}{
		{"v4 /0 matches v4", "0.0.0.0/0\n", "1.2.3.4", "0.0.0.0/0"},
		{"v4 /0 matches v4-mapped", "0.0.0.0/0\n", "::ffff:1.2.3.4", "0.0.0.0/0"},
		{"v4 /0 does not match v6", "0.0.0.0/0\n", "2001:db8::1", ""},
		{"v6 /0 matches v6", "::/0\n", "2001:db8::1", "::/0"},
		{"v6 /0 matches ::", "::/0\n", "::", "::/0"},
		{"v6 /0 does not match v4", "::/0\n", "1.2.3.4", ""},
		{"v6 /0 does not match v4-mapped", "::/0\n", "::ffff:1.2.3.4", ""},
		{"/0 and /32", "0.0.0.0/0\n1.2.3.4\n", "1.2.3.4", "1.2.3.4/32"},
		{"/0 and /32, other address", "0.0.0.0/0\n1.2.3.4\n", "1.2.3.5", "0.0.0.0/0"},
		{"/0 and /31 at the top", "0.0.0.0/0\n255.255.255.254/31\n", "255.255.255.255", "255.255.255.254/31"},
		{"/0 after a /31 at the top", "0.0.0.0/0\n255.255.255.254/31\n", "255.255.255.253", "0.0.0.0/0"},
		{"/1 halves", "0.0.0.0/1\n128.0.0.0/1\n", "128.0.0.0", "128.0.0.0/1"},
		{"/1 halves, low", "0.0.0.0/1\n128.0.0.0/1\n", "127.255.255.255", "0.0.0.0/1"},
		{"v6 /1 high", "8000::/1\n", "ffff::", "8000::/1"},
		{"v6 /64 at the top of a /0", "::/0\nffff:ffff:ffff:ffff::/64\n", "ffff:ffff:ffff:ffff:1::", "ffff:ffff:ffff:ffff::/64"},
		{"v6 /0 after the top /64", "::/0\nffff:ffff:ffff:fffe::/64\n", "ffff:ffff:ffff:ffff::", "::/0"},
		{"/128 and /127", "2001:db8::/127\n2001:db8::1/128\n", "2001:db8::", "2001:db8::/127"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := loadLists(t, testNow, memList{name: "threat", kind: KindThreat, content: tt.content})
			h, ok := s.LookupIP(netip.MustParseAddr(tt.addr))
			if got := map[bool]string{true: h.Prefix.String()}[ok]; got != tt.want {
				t.Errorf("LookupIP(%s) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
}

// TestLookupIPAcrossLists checks that the longest prefix wins across lists
// and that the first list wins for the same prefix.
func TestLookupIPAcrossLists(t *testing.T) {
	s := loadLists(t, testNow,
		memList{name: "a", kind: KindThreat, content: "10.0.0.0/8\n192.0.2.1\n2001:db8::1\n198.51.100.0/24\n"},
		memList{name: "b", kind: KindThreat, content: "10.1.0.0/16\n192.0.2.1\n2001:db8::1\n198.51.100.0/24\n"},
		memList{name: "c", kind: KindTor, content: "10.1.2.3\n"},
	)
	tests := []struct {
		addr, list string
		kind       Kind
	}{
		{"10.1.2.3", "c", KindTor}, {"10.1.2.4", "b", KindThreat}, {"10.2.0.0", "a", KindThreat},
		{"192.0.2.1", "a", KindThreat}, {"2001:db8::1", "a", KindThreat}, {"198.51.100.9", "a", KindThreat},
	}
	for _, tt := range tests {
		h, ok := s.LookupIP(netip.MustParseAddr(tt.addr))
		if !ok || h.List != tt.list || h.Kind != tt.kind {
			t.Errorf("LookupIP(%s) = %s %s %v, want %s %s", tt.addr, h.List, h.Kind, ok, tt.list, tt.kind)
		}
	}
	if h, _ := s.LookupIP(netip.MustParseAddr("10.1.2.3")); h.Category != CategoryTor {
		t.Errorf("tor hit category = %v", h.Category)
	}
}

func TestLookupDomain(t *testing.T) {
	s := loadLists(t, testNow, memList{name: "threat", kind: KindThreat, category: "c2", content: lines(
		"evil.example",          // 1
		"Sub.Evil.Example.",     // 2
		"onion",                 // 3: a TLD alone
		"xn--bcher-kva.example", // 4
		"a-b_c.example",         // 5
		"evil.example",          // 6: duplicate
	)})
	long := strings.Repeat("abcdefghij.", 30) + "evil.example" // 342 bytes
	tests := []struct {
		name   string
		line   int
		domain string
	}{
		{"evil.example", 1, "evil.example"},
		{"a.b.evil.example", 1, "evil.example"},
		{"EVIL.EXAMPLE.", 1, "evil.example"},
		{"eViL.example", 1, "evil.example"},
		{"sub.evil.example", 2, "sub.evil.example"},
		{"x.SUB.evil.example", 2, "sub.evil.example"},
		{"subx.evil.example", 1, "evil.example"},
		{"notevil.example", 0, ""},
		{"evil.example.com", 0, ""},
		{"vil.example", 0, ""},
		{"example", 0, ""},
		{"abc.onion", 3, "onion"},
		{"onion", 3, "onion"},
		{"onion.", 3, "onion"},
		{"x.y.onion", 3, "onion"},
		{"onionx", 0, ""},
		{"xonion", 0, ""},
		{"onion.example", 0, ""},
		{"www.xn--bcher-kva.example", 4, "xn--bcher-kva.example"},
		{"A-B_C.example", 5, "a-b_c.example"},
		{"a..evil.example", 1, "evil.example"},
		{".evil.example", 1, "evil.example"},
		{"evil.example..", 0, ""},
		{long, 1, "evil.example"},
		{"", 0, ""},
		{".", 0, ""},
		{"..", 0, ""},
		{"1.2.3.4", 0, ""},
	}
	for _, tt := range tests {
		h, ok := s.LookupDomain(tt.name)
		if ok != (tt.line != 0) || ok && (h.Line != tt.line || h.Domain != tt.domain) {
			t.Errorf("LookupDomain(%q) = line %d %q %v, want line %d %q", tt.name, h.Line, h.Domain, ok, tt.line, tt.domain)
		}
		if ok && h.Category != CategoryC2 {
			t.Errorf("LookupDomain(%q): category %v, want the list's c2", tt.name, h.Category)
		}
	}
}

func TestTrustedBeatsThreat(t *testing.T) {
	s := loadLists(t, testNow,
		memList{name: "threat", kind: KindThreat, content: lines(
			"10.0.0.0/8", "198.51.100.7", "evil.example", "bad.corp.example", "2001:db8::/32")},
		memList{name: "tor", kind: KindTor, content: "185.220.101.1\n10.1.9.9\n"},
		memList{name: "trusted", kind: KindTrusted, content: lines(
			"10.1.0.0/16", "198.51.100.0/24", "good.evil.example", "corp.example", "2001:db8:1::1")},
	)
	tests := []struct {
		q                  string
		verdict            Verdict
		threatLine         int // 0: no threat hit
		threatList         string
		trustedLine        int
		lookupHits         bool
		lookupList         string
		suppressed, domain bool
	}{
		{q: "10.1.2.3", verdict: VerdictTrusted, threatList: "threat", threatLine: 1, trustedLine: 1},
		{q: "10.1.9.9", verdict: VerdictTrusted, threatList: "tor", threatLine: 2, trustedLine: 1}, // tor too
		{q: "10.2.0.1", verdict: VerdictThreat, threatList: "threat", threatLine: 1, lookupHits: true, lookupList: "threat"},
		{q: "198.51.100.7", verdict: VerdictTrusted, threatList: "threat", threatLine: 2, trustedLine: 2}, // a trusted /24 beats a threat /32
		{q: "198.51.100.8", verdict: VerdictTrusted, trustedLine: 2},
		{q: "185.220.101.1", verdict: VerdictThreat, threatList: "tor", threatLine: 1, lookupHits: true, lookupList: "tor"},
		{q: "2001:db8:1::1", verdict: VerdictTrusted, threatList: "threat", threatLine: 5, trustedLine: 5},
		{q: "2001:db8:1::2", verdict: VerdictThreat, threatList: "threat", threatLine: 5, lookupHits: true, lookupList: "threat"},
		{q: "192.0.2.1", verdict: VerdictNone},
		{q: "good.evil.example", domain: true, verdict: VerdictTrusted, threatList: "threat", threatLine: 3, trustedLine: 3},
		{q: "x.good.evil.example", domain: true, verdict: VerdictTrusted, threatList: "threat", threatLine: 3, trustedLine: 3},
		{q: "bad.evil.example", domain: true, verdict: VerdictThreat, threatList: "threat", threatLine: 3, lookupHits: true, lookupList: "threat"},
		{q: "bad.corp.example", domain: true, verdict: VerdictTrusted, threatList: "threat", threatLine: 4, trustedLine: 4},
		{q: "corp.example", domain: true, verdict: VerdictTrusted, trustedLine: 4},
		{q: "other.example", domain: true, verdict: VerdictNone},
	}
	for _, tt := range tests {
		var r Result
		var h Hit
		var ok bool
		if tt.domain {
			r = s.CheckDomain(tt.q)
			h, ok = s.LookupDomain(tt.q)
		} else {
			a := netip.MustParseAddr(tt.q)
			r = s.CheckIP(a)
			h, ok = s.LookupIP(a)
		}
		if r.Verdict != tt.verdict || r.Threat.Line != tt.threatLine || r.Threat.List != tt.threatList ||
			r.Trusted.Line != tt.trustedLine || (tt.trustedLine != 0) != (r.Trusted.List == "trusted") {
			t.Errorf("Check(%s) = %v threat %s:%d trusted %s:%d, want %v threat %s:%d trusted line %d", tt.q,
				r.Verdict, r.Threat.List, r.Threat.Line, r.Trusted.List, r.Trusted.Line,
				tt.verdict, tt.threatList, tt.threatLine, tt.trustedLine)
		}
		if r.Suppressed() != (tt.verdict == VerdictTrusted && tt.threatLine != 0) {
			t.Errorf("Check(%s).Suppressed() = %v", tt.q, r.Suppressed())
		}
		if ok != tt.lookupHits || ok && h.List != tt.lookupList {
			t.Errorf("Lookup(%s) = %s %v, want %v %s", tt.q, h.List, ok, tt.lookupHits, tt.lookupList)
		}
	}
}

func TestHitProvenance(t *testing.T) {
	loaded := time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)
	s := loadLists(t, loaded,
		memList{name: "mining", kind: KindThreat, format: FormatMaltrail, category: "cryptomining", content: lines(
			"# Reference: https://example.org", "", "pool.example:3333", "http://203.0.113.5", "Pool.Two.Example")},
		memList{name: "feed", kind: KindThreat, format: FormatSTIX, custom: true,
			content: "{\"type\":\"bundle\",\"objects\":[\n{\"type\":\"indicator\",\n\"name\":\"c2\",\n\"pattern\":\"[ipv4-addr:value = '198.51.100.99']\"}]}"},
	)
	tests := []struct {
		q            string
		list         string
		line         int
		raw, value   string
		cat          Category
		prefix, name bool
	}{
		{q: "a.pool.example", list: "mining", line: 3, raw: "pool.example:3333", value: "pool.example", cat: CategoryCryptomining},
		{q: "203.0.113.5", list: "mining", line: 4, raw: "http://203.0.113.5", value: "203.0.113.5", cat: CategoryCryptomining},
		{q: "pool.two.example", list: "mining", line: 5, raw: "Pool.Two.Example", value: "pool.two.example", cat: CategoryCryptomining},
		{q: "198.51.100.99", list: "feed", line: 4, raw: "ipv4-addr:value = '198.51.100.99'", value: "198.51.100.99", cat: CategoryC2},
	}
	for _, tt := range tests {
		var h Hit
		var ok bool
		if a, err := netip.ParseAddr(tt.q); err == nil {
			h, ok = s.LookupIP(a)
		} else {
			h, ok = s.LookupDomain(tt.q)
		}
		if !ok {
			t.Errorf("%s: no hit", tt.q)
			continue
		}
		if h.List != tt.list || h.Line != tt.line || h.Raw != tt.raw || h.Value() != tt.value || h.Category != tt.cat ||
			!h.ListLoaded.Equal(loaded) || !h.ListUpdated.Equal(loaded) || !h.FirstSeen.Equal(loaded) || h.Kind != KindThreat ||
			h.Custom != (tt.list == "feed") {
			t.Errorf("%s: hit %+v, want %s:%d %q %s %v loaded %v", tt.q, h, tt.list, tt.line, tt.raw, tt.value, tt.cat, loaded)
		}
		if got := h.String(); got != tt.list+":"+strconv.Itoa(tt.line)+" "+tt.value {
			t.Errorf("%s: String() = %q", tt.q, got)
		}
	}
}

// TestLookupDoesNotAllocate guards the hot path.
func TestLookupDoesNotAllocate(t *testing.T) {
	s := loadLists(t, testNow,
		memList{name: "threat", kind: KindThreat, content: lines("10.0.0.0/8", "192.0.2.1", "2001:db8::1", "2001:db8::/32", "evil.example")},
		memList{name: "threat2", kind: KindThreat, content: lines("11.0.0.0/8", "other.example")},
		memList{name: "trusted", kind: KindTrusted, content: lines("10.1.0.0/16", "good.evil.example")},
	)
	addrs := []netip.Addr{netip.MustParseAddr("10.2.3.4"), netip.MustParseAddr("192.0.2.1"),
		netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2"), netip.MustParseAddr("10.1.0.1"),
		netip.MustParseAddr("fe80::1%eth0"), netip.MustParseAddr("8.8.8.8")}
	names := []string{"a.evil.example", "good.evil.example", "x.other.example", "EVIL.EXAMPLE.", "miss.example"}
	n := testing.AllocsPerRun(100, func() {
		for _, a := range addrs {
			s.LookupIP(a)
			s.CheckIP(a)
		}
		for _, d := range names {
			s.LookupDomain(d)
			s.CheckDomain(d)
		}
	})
	if n != 0 {
		t.Errorf("%v allocations per run, want 0", n)
	}
}

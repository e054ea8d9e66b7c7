package intel

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// memSet builds a Set holding one list made of data, without files.
func memSet(t testing.TB, format Format, kind Kind, data []byte) (*Set, error) {
	t.Helper()
	cfg := Config{Lists: []ListConfig{{Name: "mem", Kind: kind, Format: format, Path: "xmrig_miner.txt"}}}
	s, err := New(cfg, Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	lists := make([]*listData, 1)
	if _, err := buildList(cfg.Lists[0], 0, data, lists, s.h, testNow); err != nil {
		return nil, err
	}
	s.snap.Store(&snapshot{lists: lists, trusted: buildSide(lists, KindTrusted, s.h), threat: buildSide(lists, KindThreat, s.h)})
	return s, nil
}

// checkParsed parses data and checks what every parser must guarantee:
// no panic, every entry valid and canonical, lines in range — and then
// that a Set built from the same data finds every entry.
func checkParsed(t *testing.T, format Format, data []byte) {
	res, err := Parse(data, ParseOptions{Format: format, Name: "xmrig_miner.txt", Now: testNow})
	if err != nil && format != FormatSTIX && !errors.Is(err, ErrEmpty) {
		t.Fatalf("Parse: %v", err)
	}
	content := string(data)
	nLines := strings.Count(content, "\n") + 1
	unique := map[string]bool{}
	for _, e := range res.Entries {
		if e.Line < 1 || e.Line > nLines || e.Raw == "" {
			t.Fatalf("entry %+v: line or raw out of range (%d lines)", e, nLines)
		}
		if format != FormatSTIX && !strings.Contains(content, e.Raw) {
			t.Fatalf("entry %+v: raw text not in the input", e)
		}
		if int(e.Category) >= len(categoryNames) {
			t.Fatalf("entry %+v: bad category", e)
		}
		if e.IsDomain() == e.Prefix.IsValid() {
			t.Fatalf("entry %+v: neither or both of domain and prefix", e)
		}
		if e.IsDomain() {
			d := e.Domain
			if r := checkDomain(d); r != "" || d != strings.ToLower(d) || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
				t.Fatalf("entry %+v: invalid domain (%s)", e, r)
			}
		} else {
			p := e.Prefix
			if p != p.Masked() || p.Addr().Is4In6() || p.Addr().Zone() != "" {
				t.Fatalf("entry %+v: prefix not canonical", e)
			}
		}
		unique[e.Value()] = true
	}
	for _, p := range append(append([]LineProblem(nil), res.BadLines...), res.SkippedLines...) {
		if p.Line < 1 || p.Line > nLines || p.Reason == "" {
			t.Fatalf("problem %+v out of range", p)
		}
	}
	if len(res.BadLines) > MaxReportedLines || len(res.BadLines) > res.Bad || len(res.SkippedLines) > res.Skipped {
		t.Fatalf("problem counts: %d/%d bad, %d/%d skipped", len(res.BadLines), res.Bad, len(res.SkippedLines), res.Skipped)
	}
	if len(res.Entries) == 0 || err != nil {
		return // a whole-file error (STIX) fails the list
	}
	s, err := memSet(t, format, KindThreat, data)
	if err != nil {
		t.Fatalf("Parse found %d entries, the Set none: %v", len(res.Entries), err)
	}
	if st := s.Lists()[0]; st.Entries != len(unique) || st.Bad != res.Bad || st.Skipped != res.Skipped {
		t.Fatalf("Set has %d entries (%d bad, %d skipped), Parse %d unique (%d bad, %d skipped)",
			st.Entries, st.Bad, st.Skipped, len(unique), res.Bad, res.Skipped)
	}
	for _, e := range res.Entries {
		if e.IsDomain() {
			h, ok := s.LookupDomain(e.Domain)
			if !ok || h.Domain != e.Domain {
				t.Fatalf("entry %+v not found: %+v %v", e, h, ok)
			}
			continue
		}
		a := e.Prefix.Addr()
		h, ok := s.LookupIP(a)
		if !ok || !h.Prefix.Contains(a) || h.Prefix.Bits() < e.Prefix.Bits() {
			t.Fatalf("entry %+v not found: %+v %v", e, h, ok)
		}
	}
}

func addSeeds(f *testing.F, files []string, extra ...string) {
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

func FuzzParseTXT(f *testing.F) {
	addSeeds(f, []string{"guardduty.txt"}, "1.2.3.4\n", "::ffff:1.2.3.4/120\n", "A.B.\n", "*.x\n")
	f.Fuzz(func(t *testing.T, data []byte) { checkParsed(t, FormatTXT, data) })
}

func FuzzParseIPsum(f *testing.F) {
	addSeeds(f, []string{"ipsum.txt"}, "1.2.3.4\t3\n")
	f.Fuzz(func(t *testing.T, data []byte) { checkParsed(t, FormatIPsum, data) })
}

func FuzzParseHosts(f *testing.F) {
	addSeeds(f, []string{"hosts.txt"}, "0.0.0.0 a.example b.example # c\n")
	f.Fuzz(func(t *testing.T, data []byte) { checkParsed(t, FormatHosts, data) })
}

func FuzzParseMaltrail(f *testing.F) {
	addSeeds(f, []string{"xmrig_miner.txt"}, "[::1]:80\n", "http://user@host:80/\n", "1.2.3.0/24\n", "//x/\n")
	f.Fuzz(func(t *testing.T, data []byte) { checkParsed(t, FormatMaltrail, data) })
}

func FuzzParseTor(f *testing.F) {
	addSeeds(f, []string{"tor-exit-addresses.txt"})
	f.Fuzz(func(t *testing.T, data []byte) { checkParsed(t, FormatTor, data) })
}

func FuzzParseAlienVault(f *testing.F) {
	addSeeds(f, []string{"alienvault-reputation.data"})
	f.Fuzz(func(t *testing.T, data []byte) { checkParsed(t, FormatAlienVault, data) })
}

func FuzzParseProofPoint(f *testing.F) {
	addSeeds(f, []string{"proofpoint-detailed-iprepdata.txt", "proofpoint-detailed-domainrepdata.txt", "proofpoint-compromised-ips.txt"})
	f.Fuzz(func(t *testing.T, data []byte) { checkParsed(t, FormatProofPoint, data) })
}

func FuzzParseOTX(f *testing.F) {
	addSeeds(f, []string{"otx.csv"}, `"URL","http://[::1]:8/x",""`+"\n")
	f.Fuzz(func(t *testing.T, data []byte) { checkParsed(t, FormatOTXCSV, data) })
}

func FuzzParseFireEye(f *testing.F) {
	addSeeds(f, []string{"fireeye-isight.csv"}, "1.2.3.4,x\n")
	f.Fuzz(func(t *testing.T, data []byte) { checkParsed(t, FormatFireEye, data) })
}

func FuzzParseSTIX(f *testing.F) {
	addSeeds(f, []string{"stix-bundle.json"},
		`{"type":"indicator","pattern":"[ipv4-addr:value = '1.2.3.4']"}`,
		`[{"type":"indicator","pattern":"[domain-name:value IN ('a.b', 'c.d')] WITHIN 1 SECONDS"}]`)
	f.Fuzz(func(t *testing.T, data []byte) { checkParsed(t, FormatSTIX, data) })
}

func FuzzSTIXPattern(f *testing.F) {
	for _, s := range []string{"[ipv4-addr:value = '1.2.3.4' OR url:value = 'http://x/']",
		"([a:b IN ('x', 'y')] OR [c:d.'e'[*].f ISSUBSET '10.0.0.0/8']) START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00Z'",
		"[a:b = 'it\\'s'] REPEATS 5 TIMES", "[a:b = h'ff' OR a:b = b64'AA==' OR a:b = -1.5]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pat string) {
		cmps, reason := parseSTIXPattern(pat)
		if reason != "" {
			if len(cmps) != 0 {
				t.Fatalf("comparisons and a reason: %v %q", cmps, reason)
			}
			return
		}
		if len(cmps) == 0 {
			t.Fatal("no comparisons and no reason")
		}
		for _, c := range cmps {
			if c.raw == "" || !strings.Contains(pat, c.raw) || !strings.Contains(c.path, ":") {
				t.Fatalf("comparison %+v not from %q", c, pat)
			}
			if ind, reason, _ := c.indicator(); reason == "" && ind.typ == typeNone {
				t.Fatalf("comparison %+v gave an empty indicator", c)
			}
		}
	})
}

// lpmPrefixes is a fixed table for the lookup fuzzers and tests: nested
// and adjacent ranges at both ends of both address spaces.
var lpmPrefixes = []string{
	"0.0.0.0/0", "0.0.0.0/1", "0.0.0.0/8", "0.0.0.0/32", "0.0.0.1/32", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24",
	"10.1.2.3/32", "10.1.2.128/25", "10.1.3.0/24", "10.2.0.0/15", "127.255.255.255/32", "128.0.0.0/1",
	"192.168.0.0/16", "192.168.0.0/17", "192.168.128.0/17", "255.255.255.0/24", "255.255.255.255/32",
	"::/0", "::/1", "::/128", "::1/128", "2001:db8::/32", "2001:db8:1::/48", "2001:db8:1::/64", "2001:db8:1::1/128",
	"8000::/1", "fe80::/10", "ffff:ffff:ffff:ffff::/64", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
}

// bruteLPM is the oracle: the longest prefix containing a.
func bruteLPM(prefixes []netip.Prefix, a netip.Addr) (netip.Prefix, bool) {
	best, ok := netip.Prefix{}, false
	for _, p := range prefixes {
		if p.Contains(a) && (!ok || p.Bits() > best.Bits()) {
			best, ok = p, true
		}
	}
	return best, ok
}

func FuzzLookupIP(f *testing.F) {
	var prefixes []netip.Prefix
	for _, p := range lpmPrefixes {
		prefixes = append(prefixes, netip.MustParsePrefix(p))
	}
	s, err := memSet(f, FormatTXT, KindThreat, []byte(strings.Join(lpmPrefixes, "\n")))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{10, 1, 2, 3})
	f.Add([]byte{255, 255, 255, 255})
	f.Add([]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, ok := netip.AddrFromSlice(b)
		if !ok {
			return
		}
		want, wok := bruteLPM(prefixes, a.Unmap())
		h, hok := s.LookupIP(a)
		if hok != wok || hok && h.Prefix != want {
			t.Fatalf("LookupIP(%s) = %v %v, want %v %v", a, h.Prefix, hok, want, wok)
		}
	})
}

func FuzzLookupDomain(f *testing.F) {
	list := "evil.example\nsub.evil.example\nonion\nxn--bcher-kva.example\na-b_c.example\n"
	s, err := memSet(f, FormatTXT, KindThreat, []byte(list))
	if err != nil {
		f.Fatal(err)
	}
	keys := strings.Fields(list)
	for _, n := range []string{"a.evil.example", "EVIL.example.", "x.onion", "notevil.example", "..", ""} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, name string) {
		// The oracle: the longest key that is the name or a label suffix
		// of it (case-insensitive, one trailing dot ignored).
		nb := []byte(strings.TrimSuffix(name, "."))
		for i, c := range nb {
			nb[i] = lower(c)
		}
		n := string(nb)
		want := ""
		for _, k := range keys {
			if (n == k || strings.HasSuffix(n, "."+k)) && len(k) > len(want) && len(n) > 0 {
				want = k
			}
		}
		h, ok := s.LookupDomain(name)
		if ok != (want != "") || h.Domain != want {
			t.Fatalf("LookupDomain(%q) = %q %v, want %q", name, h.Domain, ok, want)
		}
	})
}

// TestLPMAgainstBruteForce loads random nested prefixes and compares every
// lookup with a linear scan.
func TestLPMAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 20; round++ {
		var prefixes []netip.Prefix
		var text []string
		randAddr := func(v6 bool) netip.Addr {
			if v6 {
				var b [16]byte
				b[0], b[1] = 0x20, 0x01
				for i := 2; i < 16; i++ {
					if rng.IntN(3) == 0 {
						b[i] = byte(rng.IntN(256))
					}
				}
				return netip.AddrFrom16(b)
			}
			return netip.AddrFrom4([4]byte{10, byte(rng.IntN(4)), byte(rng.IntN(256)), byte(rng.IntN(256))})
		}
		for i := 0; i < 300; i++ {
			v6 := rng.IntN(3) == 0
			a := randAddr(v6)
			bits := rng.IntN(a.BitLen() + 1)
			p := netip.PrefixFrom(a, bits).Masked()
			prefixes = append(prefixes, p)
			text = append(text, p.String())
		}
		s, err := memSet(t, FormatTXT, KindThreat, []byte(strings.Join(text, "\n")))
		if err != nil {
			t.Fatal(err)
		}
		for q := 0; q < 2000; q++ {
			a := randAddr(rng.IntN(3) == 0)
			want, wok := bruteLPM(prefixes, a)
			h, ok := s.LookupIP(a)
			if ok != wok || ok && h.Prefix != want {
				t.Fatalf("round %d: LookupIP(%s) = %v %v, want %v %v", round, a, h.Prefix, ok, want, wok)
			}
		}
	}
}

// TestIntervals pins the flattened form: one interval per change of the
// innermost prefix, none for the gap before the first prefix.
func TestIntervals(t *testing.T) {
	tests := []struct {
		prefixes []string
		want     string // start:prefix index (1-based, 0 = none)
	}{
		{[]string{"0.0.0.0/0", "1.2.3.4/32"}, "0.0.0.0:1 1.2.3.4:2 1.2.3.5:1"},
		{[]string{"10.0.0.0/8", "10.0.0.0/16", "10.255.0.0/16"}, "10.0.0.0:2 10.1.0.0:1 10.255.0.0:3 11.0.0.0:0"},
		{[]string{"10.0.0.0/8", "10.1.0.0/16", "10.2.0.0/16"}, "10.0.0.0:1 10.1.0.0:2 10.2.0.0:3 10.3.0.0:1 11.0.0.0:0"},
		{[]string{"255.255.255.254/31"}, "255.255.255.254:1"},
		{[]string{"10.0.0.0/9", "10.128.0.0/9"}, "10.0.0.0:1 10.128.0.0:2 11.0.0.0:0"},
	}
	for _, tt := range tests {
		var recs []cidrRec
		for _, p := range tt.prefixes {
			pp := netip.MustParsePrefix(p)
			recs = append(recs, cidrRec{start: u128{0, uint64(addr4(pp.Addr()))}, bits: uint8(pp.Bits())})
		}
		starts, ps := intervals(recs, 32)
		var got []string
		for i := range starts {
			got = append(got, from4(uint32(starts[i].lo)).String()+":"+strconv.Itoa(int(ps[i])))
		}
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("%v: %s, want %s", tt.prefixes, g, tt.want)
		}
	}
}

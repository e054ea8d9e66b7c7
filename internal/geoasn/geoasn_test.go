package geoasn

import (
	"bytes"
	"compress/gzip"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	tab, err := Load("testdata/ip2asn-sample.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if tab.Len() != 5 {
		t.Errorf("Len %d, want 5 (AS 0 dropped)", tab.Len())
	}
	for _, tc := range []struct {
		ip   string
		asn  uint32
		ok   bool
		desc string
	}{
		{"192.0.2.0", 64496, true, "EXAMPLE-NET-A Example Network A"},
		{"192.0.2.127", 64496, true, ""},
		{"192.0.2.128", 64497, true, "EXAMPLE-NET-B"},
		{"198.51.100.77", 64496, true, ""},
		{"203.0.113.255", 64511, true, ""},
		{"::ffff:203.0.113.9", 64511, true, ""},
		{"203.0.114.0", 0, false, ""},
		{"1.0.0.1", 0, false, ""}, // not routed
		{"0.0.0.0", 0, false, ""},
		{"255.255.255.255", 0, false, ""},
		{"2001:db8:1::1", 64500, true, ""},
		{"2001:db9::1", 0, false, ""},
		{"::1", 0, false, ""},
	} {
		asn, ok := tab.LookupASN(netip.MustParseAddr(tc.ip))
		if asn != tc.asn || ok != tc.ok {
			t.Errorf("LookupASN(%s) = %d %v, want %d %v", tc.ip, asn, ok, tc.asn, tc.ok)
		}
		if tc.desc != "" {
			if e, _ := tab.Lookup(netip.MustParseAddr(tc.ip)); e.Description != tc.desc || e.Country != "ZZ" {
				t.Errorf("Lookup(%s) = %+v", tc.ip, e)
			}
		}
	}
	var nilTab *Table
	if _, ok := nilTab.LookupASN(netip.MustParseAddr("192.0.2.1")); ok {
		t.Error("nil table found an AS")
	}
}

func TestLoadGzip(t *testing.T) {
	raw, err := os.ReadFile("testdata/ip2asn-sample.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	z.Write(raw)
	z.Close()
	p := filepath.Join(t.TempDir(), "ip2asn-v4.tsv.gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	tab, err := Load(p)
	if err != nil || tab.Len() != 5 {
		t.Fatalf("Load gz: %v %v", tab, err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"192.0.2.0\t192.0.2.255",                                             // too few fields
		"192.0.2.x\t192.0.2.255\t1\tZZ\tX",                                   // bad start
		"192.0.2.0\t192.0.2.255\tAS1\tZZ\tX",                                 // bad AS
		"192.0.2.9\t192.0.2.1\t1\tZZ\tX",                                     // reversed
		"192.0.2.0\t2001:db8::\t1\tZZ\tX",                                    // mixed families
		"192.0.2.0\t192.0.2.255\t1\tZZ\tX\n192.0.2.255\t192.0.3.0\t2\tZZ\tY", // overlap
	} {
		if _, err := Parse(strings.NewReader(in)); err == nil {
			t.Errorf("Parse(%q) succeeded", in)
		}
	}
}

func BenchmarkLookupASN(b *testing.B) {
	tab, err := Load("testdata/ip2asn-sample.tsv")
	if err != nil {
		b.Fatal(err)
	}
	ip := netip.MustParseAddr("198.51.100.7")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		tab.LookupASN(ip)
	}
}

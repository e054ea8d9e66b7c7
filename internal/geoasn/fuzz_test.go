package geoasn

import (
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics, and every range it accepts is found by
// its own start and end address.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("testdata/ip2asn-sample.tsv"); err == nil {
		f.Add(string(b))
	}
	f.Add("10.0.0.0\t10.0.0.255\t1\tZZ\tA\n10.0.1.0\t10.0.1.0\t2\tZZ\tB")
	f.Add("::\t::ffff\t3\tZZ\tC")
	f.Add("0.0.0.0\t255.255.255.255\t4294967295")
	f.Fuzz(func(t *testing.T, in string) {
		tab, err := Parse(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, line := range strings.Split(in, "\n") {
			fs := strings.SplitN(strings.TrimRight(line, "\r"), "\t", 5)
			if len(fs) < 3 || line == "" || line[0] == '#' {
				continue
			}
			if asn, err := strconv.ParseUint(fs[2], 10, 32); err != nil || asn == 0 {
				continue // not routed: dropped
			}
			for _, a := range fs[:2] {
				ip, err := netip.ParseAddr(a)
				if err != nil {
					t.Fatalf("accepted bad address %q", a)
				}
				if _, ok := tab.LookupASN(ip); !ok {
					t.Fatalf("range bound %s not found", ip)
				}
			}
		}
	})
}

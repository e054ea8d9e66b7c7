package intel_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/picket-dev/picket/internal/intel"
)

func ExampleSet_CheckIP() {
	cfg := intel.Config{Lists: []intel.ListConfig{
		{Name: "guardduty", Kind: intel.KindThreat, Format: "TXT", Path: "testdata/guardduty.txt", Category: "c2"},
		{Name: "tor", Kind: intel.KindTor, Format: intel.FormatTor, Path: "testdata/tor-exit-addresses.txt"},
	}}
	s, changes, err := intel.Load(context.Background(), cfg, intel.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range changes.Lists {
		fmt.Printf("%s: %d entries, %d bad lines (first: %s)\n", l.List, l.Entries, l.Bad, l.BadLines[0])
	}
	if h, ok := s.LookupIP(netip.MustParseAddr("205.1.2.3")); ok {
		fmt.Printf("205.1.2.3: %s line %d %q (%s, %s)\n", h.List, h.Line, h.Raw, h.Prefix, h.Category)
	}
	if h, ok := s.LookupDomain("www.EVIL.example.com."); ok {
		fmt.Printf("www.EVIL.example.com.: %s line %d %q matches %s\n", h.List, h.Line, h.Raw, h.Domain)
	}
	r := s.CheckIP(netip.MustParseAddr("162.247.74.201"))
	fmt.Println("162.247.74.201:", r.Verdict, r.Threat.Kind, r.Threat.Category)
	// Output:
	// guardduty: 7 entries, 5 bad lines (first: line 10: more than one field (one entry per line): "not a valid line")
	// tor: 3 entries, 2 bad lines (first: line 9: ExitAddress without an address: "ExitAddress")
	// 205.1.2.3: guardduty line 3 "205.0.0.0/8" (205.0.0.0/8, c2)
	// www.EVIL.example.com.: guardduty line 7 "Evil.Example.COM." matches evil.example.com
	// 162.247.74.201: threat tor tor
}

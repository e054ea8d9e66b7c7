package dnsquery

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

var t0 = time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC)

func query(name, rcode string, at time.Duration, answers ...event.DNSAnswer) *event.Event {
	e := &event.Event{Kind: event.KindDNS, Time: t0.Add(at), Account: "111122223333", Region: "us-east-1"}
	e.DNS = event.DNS{Query: name, QueryType: "A", QueryClass: "IN", RCode: rcode, Answers: answers,
		SrcAddr: netip.MustParseAddr("10.0.1.15"), SrcPort: 53211, Transport: "UDP", VPCID: "vpc-0a1b2c3d", InstanceID: "i-0abc123def4567890"}
	return e
}

func run(dets []detect.Detector, evs ...*event.Event) []finding.Finding {
	en := detect.NewEngine(dets, func() time.Time { return t0 })
	var out []finding.Finding
	for _, e := range evs {
		out = en.Detect(context.Background(), e, out)
	}
	return out
}

func only(name string, c Config) []detect.Detector {
	for _, d := range All(c) {
		if d.Info().Name == name {
			return []detect.Detector{d}
		}
	}
	panic(name)
}

// tunnel makes n distinct tunnelling queries under t.exfil.example.
func tunnel(n int, every time.Duration) []*event.Event {
	r := rand.New(rand.NewPCG(1, 2))
	var evs []*event.Event
	for i := range n {
		var b strings.Builder
		for range 48 {
			fmt.Fprintf(&b, "%x", r.IntN(16))
		}
		evs = append(evs, query(b.String()+".s"+fmt.Sprint(i)+".t.exfil.example.", "NOERROR", time.Duration(i)*every))
	}
	return evs
}

func TestDNSDataExfiltration(t *testing.T) {
	c := Config{ExfilNames: 20}
	if fs := run(only("Trojan:EC2/DNSDataExfiltration", c), tunnel(19, time.Second)...); len(fs) != 0 {
		t.Errorf("19 names: %d findings", len(fs))
	}
	fs := run(only("Trojan:EC2/DNSDataExfiltration", c), tunnel(40, time.Second)...)
	if len(fs) != 1 {
		t.Fatalf("40 names: %d findings", len(fs))
	}
	f := fs[0]
	if f.Type != "Trojan:EC2/DNSDataExfiltration" || f.Severity != finding.SevHigh || f.Keys.Actor != "exfil.example" ||
		f.Resource.InstanceDetails.InstanceID != "i-0abc123def4567890" || f.Service.Action.DNSRequestAction == nil {
		t.Errorf("finding %+v", f)
	}
	// Spread wider than the window: never 20 in one.
	if fs := run(only("Trojan:EC2/DNSDataExfiltration", c), tunnel(40, time.Minute)...); len(fs) != 0 {
		t.Errorf("one a minute: %d findings", len(fs))
	}
	// Long but word-like names under a busy domain are not data.
	var benign []*event.Event
	for i := range 40 {
		benign = append(benign, query(fmt.Sprintf("internal-orders-service-load-balancer-%d.us-east-1.elb.amazonaws.com.", 1000000+i), "NOERROR", time.Duration(i)*time.Second))
	}
	if fs := run(only("Trojan:EC2/DNSDataExfiltration", c), benign...); len(fs) != 0 {
		t.Errorf("load balancer names: %d findings", len(fs))
	}
}

func TestDGA(t *testing.T) {
	dga := []string{"xkqzvbnmwrtplk.com.", "qwrtzpsdfghjklm.net.", "zxcvbnmqwrtplkj.org.", "bcdfghjklmnpqrs.info.", "tkwzrpqmxvnbcl.biz.",
		"pqrstvwxzbcdfg.ru.", "mnbvcxzlkjhgfdsq.cn.", "wrtzpqlkjhgfd.com.", "hjklzxcvbnmqwrt.net.", "vbnmqwrtzpslkj.top.", "lkjhgfdsqwrtzp.xyz."}
	var evs []*event.Event
	for i, d := range dga {
		evs = append(evs, query(d, "NXDOMAIN", time.Duration(i)*time.Second))
	}
	c := Config{DGADomains: 10}
	if fs := run(only("Trojan:EC2/DGADomainRequest.B", c), evs[:9]...); len(fs) != 0 {
		t.Errorf("9 domains: %d", len(fs))
	}
	fs := run(only("Trojan:EC2/DGADomainRequest.B", c), evs...)
	if len(fs) != 1 || fs[0].Severity != finding.SevHigh {
		t.Fatalf("11 domains: %+v", fs)
	}
	// The same names resolving, or human names failing, are not DGA.
	var ok []*event.Event
	for i, d := range dga {
		ok = append(ok, query(d, "NOERROR", time.Duration(i)*time.Second))
	}
	for i, d := range []string{"wikipedia-mirror.com.", "internal-payments.example.", "documentation.example.org.", "mailserver-backup.net.",
		"photographs.example.", "onboarding-portal.com.", "engineering-wiki.org.", "spreadsheets.example.", "analytics-dashboard.io.", "conference-room.net.", "shoppingcart.example."} {
		ok = append(ok, query(d, "NXDOMAIN", time.Duration(i)*time.Second))
	}
	if fs := run(only("Trojan:EC2/DGADomainRequest.B", c), ok...); len(fs) != 0 {
		t.Errorf("benign: %v", fs[0].Description)
	}
}

func TestMetadataDNSRebind(t *testing.T) {
	d := only("UnauthorizedAccess:EC2/MetadataDNSRebind", Config{})
	fs := run(d,
		query("rebind.attacker.example.", "NOERROR", 0, event.DNSAnswer{Data: "169.254.169.254", Type: "A", Class: "IN"}),
		query("good.example.", "NOERROR", 0, event.DNSAnswer{Data: "198.51.100.1", Type: "A", Class: "IN"}),
		query("ip-10-0-1-15.ec2.internal.", "NOERROR", 0, event.DNSAnswer{Data: "169.254.169.254", Type: "A", Class: "IN"}),
		query("v6.attacker.example.", "NOERROR", 0, event.DNSAnswer{Data: "fd00:ec2::254", Type: "AAAA", Class: "IN"}),
		query("txt.attacker.example.", "NOERROR", 0, event.DNSAnswer{Data: "169.254.169.254", Type: "TXT", Class: "IN"}),
	)
	if len(fs) != 2 || fs[0].Keys.Actor != "rebind.attacker.example" || fs[1].Keys.Actor != "v6.attacker.example" || fs[0].Severity != finding.SevHigh {
		t.Errorf("findings %+v", fs)
	}
}

func TestRegisteredDomain(t *testing.T) {
	for in, want := range map[string]string{
		"a.b.example.com.": "example.com", "example.com": "example.com", "com": "com",
		"x.y.example.co.uk": "example.co.uk", "example.co.uk.": "example.co.uk", "deep.sub.example.de": "example.de",
		"a.b.c.amazonaws.com": "amazonaws.com",
	} {
		if got := RegisteredDomain(in); got != want {
			t.Errorf("RegisteredDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEntropy(t *testing.T) {
	if e := Entropy("aaaa"); e != 0 {
		t.Errorf("Entropy(aaaa) = %v", e)
	}
	if e := Entropy("0123456789abcdef"); e < 3.99 || e > 4.01 {
		t.Errorf("Entropy(hex digits) = %v, want 4", e)
	}
}

// AWS's own generated names are not tunnels, and AWS's names for the
// metadata service are not rebinding.
func TestAWSNamesAreQuiet(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var evs []*event.Event
	for i := range 40 {
		var b strings.Builder
		for range 32 {
			fmt.Fprintf(&b, "%X", r.IntN(16))
		}
		evs = append(evs, query(b.String()+".gr7.us-west-2.eks.amazonaws.com.", "NOERROR", time.Duration(i)*time.Second))
		evs = append(evs, query(fmt.Sprintf("vpce-0%016x-%08x.ecr.us-west-2.vpce.amazonaws.com.", r.Uint64(), r.Uint32()), "NOERROR", time.Duration(i)*time.Second))
	}
	evs = append(evs, query("instance-data.us-west-2.compute.internal.", "NOERROR", 0, event.DNSAnswer{Data: "169.254.169.254", Type: "A", Class: "IN"}))
	if fs := run(All(Config{}), evs...); len(fs) != 0 {
		t.Errorf("AWS names raised %s: %s", fs[0].Type, fs[0].Description)
	}
	// With the ignore list emptied, the EKS names do look like a tunnel:
	// the test above is not passing by accident.
	if fs := run(All(Config{ExfilIgnoreDomains: []string{}}), evs...); len(fs) == 0 {
		t.Error("with no ignored domains, 40 random names under one domain raised nothing")
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
	if err := (Config{ExfilMinLength: -1}).Validate(); err == nil || !strings.Contains(err.Error(), "exfil_min_length") {
		t.Errorf("negative exfil_min_length: %v", err)
	}
	// Even unvalidated, a short minimum never slices out of range.
	run(All(Config{ExfilMinLength: 1}), query("example.com.", "NOERROR", 0), query("com.", "NOERROR", 0))
}

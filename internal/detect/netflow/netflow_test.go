package netflow

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

var t0 = time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC)

const (
	inst   = "i-0abc123def4567890"
	local  = "10.0.1.15"
	remote = "198.51.100.7"
)

// fl builds a flow record: src → dst with ports, protocol, packets, bytes,
// action, at t0+at.
func fl(src string, sport uint16, dst string, dport uint16, proto uint8, packets, bytes int64, action string, at time.Duration) *event.Event {
	e := &event.Event{Kind: event.KindVPCFlow, Time: t0.Add(at), Account: "111122223333", Region: "us-east-1"}
	e.Net = event.Network{
		SrcAddr: netip.MustParseAddr(src), DstAddr: netip.MustParseAddr(dst), SrcPort: sport, DstPort: dport,
		Protocol: proto, Packets: packets, Bytes: bytes, Start: t0.Add(at), End: t0.Add(at + time.Minute),
		Action: action, LogStatus: "OK", InterfaceID: "eni-0123456789abcdef0", InstanceID: inst,
	}
	return e
}

// run feeds events to the detectors and returns the findings raised, in order.
func run(dets []detect.Detector, events ...*event.Event) []finding.Finding {
	en := detect.NewEngine(dets, func() time.Time { return t0 })
	var out []finding.Finding
	for _, e := range events {
		out = en.Detect(context.Background(), e, out)
	}
	return out
}

func types(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Type)
	}
	return out
}

func only(name string, c Config) []detect.Detector {
	for _, d := range All(c) {
		if d.Info().Name == name {
			return []detect.Detector{d}
		}
	}
	panic("no detector " + name)
}

// probes makes n probe flows from the instance: to n ports of one host
// (scan) or to one port of n hosts (sweep).
func probes(n int, sweep bool, every time.Duration) []*event.Event {
	var evs []*event.Event
	for i := range n {
		dst, port := remote, uint16(1000+i)
		if sweep {
			dst, port = netip.AddrFrom4([4]byte{203, 0, 113, byte(i + 1)}).String(), 3389
		}
		evs = append(evs, fl(local, 40000, dst, port, 6, 1, 44, "REJECT", time.Duration(i)*every))
	}
	return evs
}

func TestPortscanThreshold(t *testing.T) {
	c := Config{PortscanPorts: 10, SweepHosts: -1, Window: 10 * time.Minute}
	d := only("EC2/PortScanning", c)
	if fs := run(d, probes(9, false, time.Second)...); len(fs) != 0 {
		t.Errorf("9 ports: %v", types(fs))
	}
	fs := run(only("EC2/PortScanning", c), probes(30, false, time.Second)...)
	if len(fs) != 1 || fs[0].Type != "Recon:EC2/Portscan" || fs[0].Severity != finding.SevMedium {
		t.Fatalf("30 ports: %v", types(fs))
	}
	f := fs[0]
	if f.Resource.InstanceDetails.InstanceID != inst || f.Keys.Actor != remote || f.Service.ResourceRole != "ACTOR" ||
		f.Service.Action.NetworkConnectionAction.ConnectionDirection != "OUTBOUND" || !f.Service.Action.NetworkConnectionAction.Blocked {
		t.Errorf("finding %+v / %+v", f.Resource.InstanceDetails, f.Service.Action.NetworkConnectionAction)
	}
	if got := f.Service.AdditionalInfo["probedPorts"].([]uint16); len(got) != 10 {
		t.Errorf("probed ports %v", got)
	}
	// Ports spread wider than the window do not add up: nine fit in each.
	if fs := run(only("EC2/PortScanning", c), probes(18, false, 70*time.Second)...); len(fs) != 0 {
		t.Errorf("18 ports, one every 70s: %v", types(fs))
	}
	// A new window raises again (the finding's count grows when stored).
	evs := append(probes(10, false, time.Second), probes(10, false, time.Second)...)
	for i := 10; i < 20; i++ {
		evs[i].Time = evs[i].Time.Add(time.Hour)
	}
	if fs := run(only("EC2/PortScanning", c), evs...); len(fs) != 2 || fs[0].ID != fs[1].ID {
		t.Errorf("two windows: %d findings", len(fs))
	}
}

func TestConversationsAreNotProbes(t *testing.T) {
	var evs []*event.Event
	for i := range 40 {
		evs = append(evs, fl(local, 40000, remote, uint16(1000+i), 6, 12, 4800, "ACCEPT", time.Duration(i)*time.Second))
		evs = append(evs, fl(local, 40000, netip.AddrFrom4([4]byte{203, 0, 113, byte(i + 1)}).String(), 443, 6, 30, 20000, "ACCEPT", time.Duration(i)*time.Second))
	}
	if fs := run(All(Config{}), evs...); len(fs) != 0 {
		t.Errorf("ordinary connections raised %v", types(fs))
	}
}

func TestPortSweep(t *testing.T) {
	c := Config{PortscanPorts: -1, SweepHosts: 20}
	if fs := run(only("EC2/PortScanning", c), probes(19, true, time.Second)...); len(fs) != 0 {
		t.Errorf("19 hosts: %v", types(fs))
	}
	fs := run(only("EC2/PortScanning", c), probes(25, true, time.Second)...)
	if len(fs) != 1 || fs[0].Type != "Impact:EC2/PortSweep" || fs[0].Severity != finding.SevHigh || fs[0].Keys.Actor != "port 3389/TCP" {
		t.Fatalf("25 hosts: %+v", fs)
	}
}

func TestDirection(t *testing.T) {
	o := Orienter{nets: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	cases := []struct {
		name     string
		e        *event.Event
		dir      Direction
		local    string
		oriented bool
	}{
		{"Egress by address", fl(local, 1, remote, 2, 6, 1, 1, "ACCEPT", 0), Egress, local, true},
		{"Ingress by address", fl(remote, 1, local, 2, 6, 1, 1, "ACCEPT", 0), Ingress, local, true},
		{"both local", fl(local, 1, "10.9.9.9", 2, 6, 1, 1, "ACCEPT", 0), Unknown, "", false},
		{"both public", fl(remote, 1, "203.0.113.1", 2, 6, 1, 1, "ACCEPT", 0), Unknown, "", false},
	}
	v5 := fl(remote, 1, "203.0.113.1", 2, 6, 1, 1, "ACCEPT", 0)
	v5.Net.Direction = "ingress"
	v5e := fl("203.0.113.1", 1, remote, 2, 6, 1, 1, "ACCEPT", 0)
	v5e.Net.Direction = "egress"
	cases = append(cases, struct {
		name     string
		e        *event.Event
		dir      Direction
		local    string
		oriented bool
	}{"flow-Direction field", v5, Ingress, "203.0.113.1", true})
	nodata := fl(local, 1, remote, 2, 6, 1, 1, "ACCEPT", 0)
	nodata.Net.LogStatus = "NODATA"
	for _, tc := range cases {
		f, ok := o.Orient(&tc.e.Net)
		if ok != tc.oriented || f.Dir != tc.dir || (ok && f.Local.String() != tc.local) {
			t.Errorf("%s: %+v ok=%t", tc.name, f, ok)
		}
	}
	if _, ok := o.Orient(&nodata.Net); ok {
		t.Error("a NODATA record was oriented")
	}
}

func brute(src, dst string, dport uint16, n int, every time.Duration) []*event.Event {
	var evs []*event.Event
	for i := range n {
		evs = append(evs, fl(src, uint16(50000+i), dst, dport, 6, 8, 1200, "ACCEPT", time.Duration(i)*every))
	}
	return evs
}

func TestBruteForce(t *testing.T) {
	c := Config{BruteForceAttempts: 20}
	if fs := run(only("EC2/BruteForce", c), brute(remote, local, 22, 19, time.Second)...); len(fs) != 0 {
		t.Errorf("19 attempts: %v", types(fs))
	}
	fs := run(only("EC2/BruteForce", c), brute(remote, local, 22, 20, time.Second)...)
	if len(fs) != 1 || fs[0].Type != "UnauthorizedAccess:EC2/SSHBruteForce" || fs[0].Severity != finding.SevLow ||
		fs[0].Service.ResourceRole != "TARGET" || fs[0].Keys.Actor != remote {
		t.Fatalf("20 SSH attempts on the instance: %+v", fs)
	}
	// The instance attacking: High.
	fs = run(only("EC2/BruteForce", c), brute(local, remote, 3389, 25, time.Second)...)
	if len(fs) != 1 || fs[0].Type != "UnauthorizedAccess:EC2/RDPBruteForce" || fs[0].Severity != finding.SevHigh || fs[0].Service.ResourceRole != "ACTOR" {
		t.Fatalf("outbound RDP: %+v", fs)
	}
	// A session after the attempts: raised again, Medium, saying so.
	evs := brute(remote, local, 5985, 20, time.Second)
	evs = append(evs, fl(remote, 61000, local, 5985, 6, 900, 250000, "ACCEPT", 30*time.Second))
	fs = run(only("EC2/BruteForce", c), evs...)
	if len(fs) != 2 || fs[1].Type != "Impact:EC2/WinRMBruteForce" || fs[1].Severity != finding.SevMedium ||
		!strings.Contains(fs[1].Description, "may have succeeded") || fs[0].ID != fs[1].ID {
		t.Fatalf("WinRM with a session: %v", fs)
	}
	// Other ports and spread-out attempts do not count.
	if fs := run(only("EC2/BruteForce", c), brute(remote, local, 8080, 50, time.Second)...); len(fs) != 0 {
		t.Errorf("port 8080: %v", types(fs))
	}
	if fs := run(only("EC2/BruteForce", c), brute(remote, local, 22, 30, time.Minute)...); len(fs) != 0 {
		t.Errorf("30 attempts over 30 minutes: %v", types(fs))
	}
}

func TestDenialOfService(t *testing.T) {
	c := Config{DoSPacketsPerMinute: 100_000}
	cases := []struct {
		proto uint8
		port  uint16
		want  string
	}{
		{6, 80, "Backdoor:EC2/DenialOfService.Tcp"},
		{17, 9999, "Backdoor:EC2/DenialOfService.Udp"},
		{17, 53, "Backdoor:EC2/DenialOfService.Dns"},
		{17, 443, "Backdoor:EC2/DenialOfService.UdpOnTcpPorts"},
		{47, 0, "Backdoor:EC2/DenialOfService.UnusualProtocol"},
	}
	for _, tc := range cases {
		just := fl(local, 40000, remote, tc.port, tc.proto, 99_999, 5_000_000, "ACCEPT", 0)
		if fs := run(only("EC2/DenialOfService", c), just); len(fs) != 0 {
			t.Errorf("%s just under: %v", tc.want, types(fs))
		}
		// Two flows in the same minute add up.
		a := fl(local, 40000, remote, tc.port, tc.proto, 60_000, 5_000_000, "ACCEPT", 0)
		b := fl(local, 40001, remote, tc.port, tc.proto, 60_000, 5_000_000, "ACCEPT", 10*time.Second)
		fs := run(only("EC2/DenialOfService", c), a, b, b)
		if len(fs) != 1 || fs[0].Type != tc.want || fs[0].Severity != finding.SevHigh {
			t.Errorf("%s: %v", tc.want, types(fs))
		}
	}
	// A ten-minute record is ten minutes of packets, not one.
	long := fl(local, 40000, remote, 80, 6, 500_000, 50_000_000, "ACCEPT", 0)
	long.Net.End = long.Net.Start.Add(10 * time.Minute)
	if fs := run(only("EC2/DenialOfService", c), long); len(fs) != 0 {
		t.Errorf("50k packets/minute: %v", types(fs))
	}
	// Inbound floods are not the instance's doing.
	if fs := run(only("EC2/DenialOfService", c), fl(remote, 1, local, 80, 6, 500_000, 1, "ACCEPT", 0)); len(fs) != 0 {
		t.Errorf("inbound: %v", types(fs))
	}
}

func TestSpambot(t *testing.T) {
	c := Config{SpamHosts: 20}
	var evs []*event.Event
	for i := range 25 {
		evs = append(evs, fl(local, 40000, netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}).String(), 25, 6, 20, 9000, "ACCEPT", time.Duration(i)*time.Second))
	}
	if fs := run(only("Backdoor:EC2/Spambot", c), evs[:19]...); len(fs) != 0 {
		t.Errorf("19 mail servers: %v", types(fs))
	}
	if fs := run(only("Backdoor:EC2/Spambot", c), evs...); len(fs) != 1 || fs[0].Severity != finding.SevMedium {
		t.Errorf("25 mail servers: %v", types(fs))
	}
}

func TestUnusualDNS(t *testing.T) {
	d := only("EC2/UnusualDNS", Config{})
	fs := run(d,
		fl(local, 40000, "8.8.8.8", 53, 17, 2, 150, "ACCEPT", 0),
		fl(local, 40001, "8.8.8.8", 53, 17, 2, 150, "ACCEPT", time.Second), // same resolver, same window
		fl(local, 40002, "9.9.9.9", 853, 6, 20, 3000, "ACCEPT", 0),
		fl(local, 40003, "1.1.1.1", 443, 6, 20, 3000, "ACCEPT", 0),
		fl(local, 40004, "198.51.100.9", 443, 6, 20, 3000, "ACCEPT", 0), // ordinary HTTPS
		fl(local, 40005, "10.0.0.2", 53, 17, 2, 150, "ACCEPT", 0),       // the VPC resolver
		fl(local, 40006, "8.8.4.4", 53, 17, 2, 150, "REJECT", 0),        // blocked
	)
	got := types(fs)
	want := []string{"DefenseEvasion:EC2/UnusualDNSResolver", "DefenseEvasion:EC2/UnusualDoTActivity", "DefenseEvasion:EC2/UnusualDoHActivity"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// State is bounded: a flood of distinct hosts keeps at most MaxEntities.
func TestBoundedState(t *testing.T) {
	d := newBruteForce(Config{BruteForceAttempts: 5, MaxEntities: 1000, Window: time.Minute}.withDefaults(), Orienter{nets: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	for i := range 5000 {
		src := netip.AddrFrom4([4]byte{100, byte(i >> 16), byte(i >> 8), byte(i)}).String()
		d.Detect(context.Background(), fl(src, 50000, local, 22, 6, 3, 200, "ACCEPT", time.Duration(i)*time.Millisecond), nil)
	}
	if d.t.Len() > 1000 || d.t.Evicted() != 4000 {
		t.Errorf("entries %d evicted %d", d.t.Len(), d.t.Evicted())
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
	err := Config{LocalNetworks: []string{"10.0.0.0/33"}, PortscanPorts: 100, Window: -1}.Validate()
	for _, want := range []string{"local_networks", "portscan_ports", "window"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want a problem with %s", err, want)
		}
	}
}

func TestNetworkPortUnusual(t *testing.T) {
	c := Config{LearnFor: time.Hour}
	d := only("EC2/BehaviorBaselines", c)
	var evs []*event.Event
	// Learning: 443 and 123 out, 22 in.
	for m := 0; m < 60; m += 5 {
		evs = append(evs, fl(local, 40000, remote, 443, 6, 30, 9000, "ACCEPT", time.Duration(m)*time.Minute))
		evs = append(evs, fl(remote, 50000, local, 22, 6, 300, 90000, "ACCEPT", time.Duration(m)*time.Minute))
	}
	evs = append(evs, fl(local, 40000, remote, 3333, 6, 30, 9000, "ACCEPT", 30*time.Minute)) // learned too
	// After: the usual ports are quiet, a new one is not, and only once.
	evs = append(evs,
		fl(local, 40001, remote, 443, 6, 30, 9000, "ACCEPT", 61*time.Minute),
		fl(local, 40001, remote, 3333, 6, 30, 9000, "ACCEPT", 62*time.Minute),
		fl(local, 40002, "203.0.113.9", 9001, 6, 30, 9000, "ACCEPT", 63*time.Minute),
		fl(local, 40003, "203.0.113.9", 9001, 6, 30, 9000, "ACCEPT", 64*time.Minute),
		fl(local, 40004, "203.0.113.9", 6667, 6, 30, 9000, "REJECT", 65*time.Minute), // blocked: not a conversation
		fl("203.0.113.10", 50001, local, 8080, 6, 30, 9000, "ACCEPT", 66*time.Minute),
	)
	fs := run(d, evs...)
	var got []string
	for _, f := range fs {
		got = append(got, f.Type+" "+f.Keys.Actor)
	}
	want := []string{"Behavior:EC2/NetworkPortUnusual port 9001", "Behavior:EC2/NetworkPortUnusual port 8080"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestTrafficVolumeUnusual(t *testing.T) {
	c := Config{LearnFor: time.Hour, Window: 10 * time.Minute, VolumeFactor: 10, VolumeMinBytes: 1 << 20}
	var evs []*event.Event
	for m := 0; m < 120; m++ { // 2 MB per 10 minutes, steadily
		evs = append(evs, fl(local, 40000, remote, 443, 6, 200, 200_000, "ACCEPT", time.Duration(m)*time.Minute))
	}
	if fs := run(only("EC2/BehaviorBaselines", c), evs...); len(fs) != 0 {
		t.Fatalf("steady traffic: %v", types(fs))
	}
	// 19x the usual in one window (two 19 MB flows): unusual, once.
	spike := append(evs,
		fl(local, 40001, "203.0.113.20", 443, 6, 20000, 19_000_000, "ACCEPT", 121*time.Minute),
		fl(local, 40002, "203.0.113.20", 443, 6, 20000, 19_000_000, "ACCEPT", 122*time.Minute))
	fs := run(only("EC2/BehaviorBaselines", c), spike...)
	if len(fs) != 1 || fs[0].Type != "Behavior:EC2/TrafficVolumeUnusual" || fs[0].Severity != finding.SevMedium {
		t.Fatalf("spike: %v", types(fs))
	}
	// 8x is not enough.
	small := append(evs, fl(local, 40001, "203.0.113.20", 443, 6, 2000, 14_000_000, "ACCEPT", 121*time.Minute))
	if fs := run(only("EC2/BehaviorBaselines", c), small...); len(fs) != 0 {
		t.Errorf("8x: %v", types(fs))
	}
}

package netflow

import (
	"net/netip"
	"testing"
	"time"
	"unsafe"

	"github.com/picket-dev/picket/internal/detect/state"
	"github.com/picket-dev/picket/internal/event"
)

// conn makes the two records a flow log has of one TCP connection from
// (src, sport) to (dst, dport) on the instance's interface: the
// initiator's (SYN, plus FIN when it ends in the interval) and the
// responder's (SYN-ACK). packets and bytes are the initiator's; the reply
// carries rp packets of rb bytes.
func conn(src string, sport uint16, dst string, dport uint16, packets, bytes, rp, rb int64, at time.Duration) []*event.Event {
	a := fl(src, sport, dst, dport, 6, packets, bytes, "ACCEPT", at)
	a.Net.TCPFlags, a.Net.TCPFlagsLogged = flagSYN|flagFIN, true
	b := fl(dst, dport, src, sport, 6, rp, rb, "ACCEPT", at)
	b.Net.TCPFlags, b.Net.TCPFlagsLogged = flagSYNACK|flagFIN, true
	return []*event.Event{a, b}
}

// withFlags marks records as coming from a log with tcp-flags.
func withFlags(flags uint16, evs ...*event.Event) []*event.Event {
	for _, e := range evs {
		e.Net.TCPFlags, e.Net.TCPFlagsLogged = flags, true
	}
	return evs
}

func TestInitiator(t *testing.T) {
	cases := []struct {
		name        string
		e           *event.Event
		dir         Direction
		known, repl bool
	}{
		{"SYN from the instance", withFlags(flagSYN, fl(local, 40000, remote, 443, 6, 1, 60, "ACCEPT", 0))[0], Egress, true, false},
		{"SYN-ACK from the instance", withFlags(flagSYNACK, fl(local, 443, remote, 40000, 6, 1, 60, "ACCEPT", 0))[0], Ingress, true, true},
		{"SYN-ACK to the instance", withFlags(flagSYNACK|flagFIN, fl(remote, 443, local, 40000, 6, 9, 6000, "ACCEPT", 0))[0], Egress, true, true},
		{"mid-connection, by ports", withFlags(0, fl(local, 443, remote, 51000, 6, 30, 40000, "ACCEPT", 0))[0], Ingress, true, true},
		{"no flags logged, by ports", fl(remote, 51000, local, 22, 6, 10, 2000, "ACCEPT", 0), Ingress, true, false},
		{"both ephemeral", fl(remote, 51000, local, 52000, 6, 10, 2000, "ACCEPT", 0), Ingress, false, false},
		{"UDP by ports", fl(local, 40000, "8.8.8.8", 53, 17, 2, 150, "ACCEPT", 0), Egress, true, false},
	}
	o := NewOrienter(nil)
	for _, tc := range cases {
		f, ok := o.Orient(&tc.e.Net)
		if !ok || f.Dir != tc.dir || f.Known != tc.known || f.Reply != tc.repl {
			t.Errorf("%s: dir %d known %t reply %t", tc.name, f.Dir, f.Known, f.Reply)
		}
	}
}

// Ordinary traffic seen as real flow logs have it — both directions of
// every connection, keep-alives, health checks, bulk uploads — raises
// nothing.
func TestRealTrafficIsQuiet(t *testing.T) {
	var evs []*event.Event
	// Customers on a public web server, and its replies (some to clients
	// with high source ports, some low).
	for i := range 300 {
		client := netip.AddrFrom4([4]byte{198, 18, byte(i / 250), byte(i%250 + 1)}).String()
		evs = append(evs, conn(client, uint16(32768+i), local, 443, 12, 2000, 20, 30000, time.Duration(i)*time.Second)...)
	}
	// A health checker every 10 seconds, short connections.
	for i := range 120 {
		evs = append(evs, conn("54.239.98.10", uint16(40000+i), local, 443, 3, 180, 3, 300, time.Duration(i*10)*time.Second)...)
	}
	// Idle keep-alives to 40 endpoints, every minute, both ways (flags 0).
	for m := range 10 {
		for i := range 40 {
			ep := netip.AddrFrom4([4]byte{52, 94, byte(i), 10}).String()
			evs = append(evs, withFlags(0,
				fl(local, uint16(45000+i), ep, 443, 6, 1, 52, "ACCEPT", time.Duration(m)*time.Minute),
				fl(ep, 443, local, uint16(45000+i), 6, 1, 52, "ACCEPT", time.Duration(m)*time.Minute))...)
		}
	}
	// A backup: 3 connections uploading 120k packets a minute to one S3
	// address for 20 minutes.
	for m := range 20 {
		for c := range 3 {
			evs = append(evs, withFlags(0,
				fl(local, uint16(50000+c), "52.216.89.14", 443, 6, 40_000, 56_000_000, "ACCEPT", time.Duration(m)*time.Minute),
				fl("52.216.89.14", 443, local, uint16(50000+c), 6, 20_000, 1_040_000, "ACCEPT", time.Duration(m)*time.Minute))...)
		}
	}
	// A Tor exit's users visiting the site: the server's replies are not
	// the server connecting out (checked in threatintel); here, calls to
	// one API host from many source ports.
	for i := range 60 {
		evs = append(evs, conn(local, uint16(33000+i), "52.94.133.131", 443, 20, 6000, 30, 40000, time.Duration(i)*time.Second)...)
	}
	fs := run(All(Config{}), evs...)
	for _, f := range fs {
		t.Errorf("ordinary traffic raised %s: %s", f.Type, f.Description)
	}
}

// A SYN flood spread over many small connections adds up.
func TestSYNFloodOverManyConnections(t *testing.T) {
	var evs []*event.Event
	for i := range 6000 {
		e := fl(local, uint16(1024+i%60000), remote, 80, 6, 20, 1200, "ACCEPT", time.Duration(i)*10*time.Millisecond)
		e.Net.TCPFlags, e.Net.TCPFlagsLogged = flagSYN, true
		evs = append(evs, e)
	}
	fs := run(only("EC2/DenialOfService", Config{DoSPacketsPerMinute: 100_000}), evs...)
	if len(fs) != 1 || fs[0].Type != "Backdoor:EC2/DenialOfService.Tcp" {
		t.Errorf("120,000 SYNs in a minute: %v", types(fs))
	}
}

// Attempts are counted from the initiator's records only: the bastion's
// answers to an SSH brute force do not double it, and a port scan's
// targets' RSTs are not scans.
func TestBruteForceCountsConnectionsOnce(t *testing.T) {
	var evs []*event.Event
	for i := range 15 { // 15 connections, 30 records
		evs = append(evs, conn(remote, uint16(50000+i), local, 22, 14, 2600, 12, 3000, time.Duration(i)*4*time.Second)...)
	}
	if fs := run(only("EC2/BruteForce", Config{BruteForceAttempts: 20}), evs...); len(fs) != 0 {
		t.Errorf("15 connections raised %v", types(fs))
	}
	for i := 15; i < 20; i++ {
		evs = append(evs, conn(remote, uint16(50000+i), local, 22, 14, 2600, 12, 3000, time.Duration(i)*4*time.Second)...)
	}
	if fs := run(only("EC2/BruteForce", Config{BruteForceAttempts: 20}), evs...); len(fs) != 1 {
		t.Errorf("20 connections raised %v", types(fs))
	}
}

// Port scans counted from SYN-only attempts when the log has flags.
func TestPortscanWithFlags(t *testing.T) {
	var evs []*event.Event
	for i := range 30 {
		evs = append(evs, withFlags(flagSYN, fl(local, 40000, remote, uint16(1000+i), 6, 1, 60, "ACCEPT", time.Duration(i)*time.Second))...)
	}
	fs := run(only("EC2/PortScanning", Config{PortscanPorts: 25, SweepHosts: -1}), evs...)
	if len(fs) != 1 || fs[0].Type != "Recon:EC2/Portscan" {
		t.Errorf("30 SYN-only attempts: %v", types(fs))
	}
	// The same with SYN-ACK answers are connections, not probes.
	var ok []*event.Event
	for i := range 30 {
		ok = append(ok, conn(local, 40000, remote, uint16(1000+i), 5, 400, 5, 600, time.Duration(i)*time.Second)...)
	}
	if fs := run(only("EC2/PortScanning", Config{PortscanPorts: 25, SweepHosts: -1}), ok...); len(fs) != 0 {
		t.Errorf("30 answered connections: %v", types(fs))
	}
}

// NetworkPortUnusual stops at a bounded number of findings per instance.
func TestUnusualPortsBounded(t *testing.T) {
	var evs []*event.Event
	evs = append(evs, fl(local, 40000, remote, 443, 6, 10, 2000, "ACCEPT", 0))
	for i := range 100 {
		evs = append(evs, fl(local, 40000, remote, uint16(1+i), 6, 10, 2000, "ACCEPT", 2*time.Hour+time.Duration(i)*time.Second))
		evs = append(evs, fl(local, 40001, remote, uint16(1+i), 6, 10, 2000, "ACCEPT", 3*time.Hour+time.Duration(i)*time.Second))
	}
	fs := run(only("EC2/BehaviorBaselines", Config{LearnFor: time.Hour}), evs...)
	seen := map[string]int{}
	for _, f := range fs {
		seen[f.Keys.Actor]++
	}
	if len(fs) > 16 {
		t.Errorf("%d unusual-port findings for one instance, want at most 16", len(fs))
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("%s raised %d times", k, n)
		}
	}
}

// Every table's entry (key, value and the table's own bookkeeping) stays
// within the 256 bytes per tracked entity the design allows; the map's
// index adds about 40 more, measured in pipeline's memory test.
func TestStateSizes(t *testing.T) {
	const bookkeeping = 16 // last-seen time and the used flag
	for name, size := range map[string]uintptr{
		"scan":      unsafe.Sizeof(scanKey{}) + unsafe.Sizeof(distinct{}),
		"sweep":     unsafe.Sizeof(sweepKey{}) + unsafe.Sizeof(distinct{}),
		"brute":     unsafe.Sizeof(bruteKey{}) + unsafe.Sizeof(bruteState{}),
		"dos":       unsafe.Sizeof(dosKey{}) + unsafe.Sizeof(dosState{}),
		"spambot":   unsafe.Sizeof(uint64(0)) + unsafe.Sizeof(distinct{}),
		"resolvers": unsafe.Sizeof(scanKey{}) + unsafe.Sizeof(state.Throttle{}),
		"baselines": unsafe.Sizeof(uint64(0)) + unsafe.Sizeof(baseline{}),
	} {
		if size+bookkeeping > 256-40 {
			t.Errorf("%s: %d bytes per entry", name, size+bookkeeping)
		}
	}
}

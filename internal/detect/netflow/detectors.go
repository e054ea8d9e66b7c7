package netflow

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/detect/state"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// Counts are over sliding windows of event time (state.Sliding,
// state.Counter: always the last half window, at most the last whole
// one), and a finding is raised at most once per window for the same
// instance and subject (state.Throttle); its count then grows with every
// window the behaviour goes on.

// ---- Recon:EC2/Portscan and Impact:EC2/PortSweep ----

type scans struct {
	cfg   Config
	o     Orienter
	ports *state.Table[scanKey, distinct]
	hosts *state.Table[sweepKey, distinct]
}

type scanKey struct {
	inst   uint64
	remote state.Addr16
}

type sweepKey struct {
	inst  uint64
	port  uint16
	proto uint8
}

type distinct struct {
	state.Sliding
	raised state.Throttle
}

func newScans(c Config, o Orienter) *scans {
	return &scans{cfg: c, o: o,
		ports: state.New[scanKey, distinct](c.MaxEntities, c.Window),
		hosts: state.New[sweepKey, distinct](c.MaxEntities, c.Window)}
}

func (d *scans) Info() detect.Info {
	return detect.Info{
		Name:        "EC2/PortScanning",
		Description: "An instance's connection attempts reach many ports of one host (Recon:EC2/Portscan) or one port on many hosts (Impact:EC2/PortSweep).",
		Tags:        []string{"network", "vpcflow", "ec2", "recon"},
		Types:       []string{"Recon:EC2/Portscan", "Impact:EC2/PortSweep"},
		Kinds:       flowKinds,
	}
}

func (d *scans) StateStats() state.Stats { return d.ports.Stats().Add(d.hosts.Stats()) }

func (d *scans) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	n := &e.Net
	if n.Protocol != 6 && n.Protocol != 17 {
		return out
	}
	f, ok := d.o.Orient(n)
	if !ok || !attempt(n, &f, d.cfg.ProbeMaxPackets) {
		return out
	}
	inst := InstanceKey(e, &f)
	if d.cfg.PortscanPorts > 0 {
		st, _ := d.ports.Get(scanKey{inst, state.AddrKey(f.Remote)}, e.Time)
		if st.Add(f.RPort, e.Time, d.cfg.Window) >= d.cfg.PortscanPorts && st.raised.Allow(e.Time, d.cfg.Window) {
			fd := NewFinding(d.Info().Name, "Recon:EC2/Portscan", finding.SevMedium, e, &f)
			ports := st.Values()
			fd.Title = fmt.Sprintf("Instance %s is performing outbound port scans against %s.", fd.Keys.Resource, f.Remote)
			fd.Description = fmt.Sprintf("Instance %s (%s) tried %d distinct ports of the remote host %s within %s, with connection attempts that carried no conversation.",
				fd.Keys.Resource, f.Local, len(ports), f.Remote, d.cfg.Window)
			fd.Service.AdditionalInfo = map[string]any{"probedPorts": ports, "windowSeconds": d.cfg.Window.Seconds()}
			out = append(out, fd)
		}
	}
	if d.cfg.SweepHosts > 0 {
		st, _ := d.hosts.Get(sweepKey{inst, f.RPort, n.Protocol}, e.Time)
		if st.Add(state.Hash16(state.AddrKey(f.Remote)), e.Time, d.cfg.Window) >= d.cfg.SweepHosts && st.raised.Allow(e.Time, d.cfg.Window) {
			fd := NewFinding(d.Info().Name, "Impact:EC2/PortSweep", finding.SevHigh, e, &f)
			fd.Keys.Actor = fmt.Sprintf("port %d/%s", f.RPort, ProtocolName(n.Protocol))
			hosts := len(st.Values())
			fd.Title = fmt.Sprintf("Instance %s is probing port %d on a large number of hosts.", fd.Keys.Resource, f.RPort)
			fd.Description = fmt.Sprintf("Instance %s (%s) tried port %d/%s on %d distinct hosts within %s (the last one %s) with attempts that got no answer, which suggests it is compromised and looking for vulnerable hosts.",
				fd.Keys.Resource, f.Local, f.RPort, ProtocolName(n.Protocol), hosts, d.cfg.Window, f.Remote)
			fd.Service.AdditionalInfo = map[string]any{"hostsProbed": hosts, "windowSeconds": d.cfg.Window.Seconds()}
			out = append(out, fd)
		}
	}
	return out
}

// ---- UnauthorizedAccess:EC2/SSHBruteForce, RDPBruteForce, Impact:EC2/WinRMBruteForce ----

type bruteForce struct {
	cfg Config
	o   Orienter
	t   *state.Table[bruteKey, bruteState]
}

type bruteKey struct {
	inst   uint64
	remote state.Addr16
	port   uint16
	dir    Direction
}

type bruteState struct {
	attempts state.Counter
	raised   state.Throttle
	reported bool // a finding was raised, so a session after it is news
	session  bool // a long session followed the attempts
}

// bruteTypes maps the attacked port to the finding type.
var bruteTypes = map[uint16]string{
	22:   "UnauthorizedAccess:EC2/SSHBruteForce",
	3389: "UnauthorizedAccess:EC2/RDPBruteForce",
	5985: "Impact:EC2/WinRMBruteForce",
	5986: "Impact:EC2/WinRMBruteForce",
}

func newBruteForce(c Config, o Orienter) *bruteForce {
	return &bruteForce{cfg: c, o: o, t: state.New[bruteKey, bruteState](c.MaxEntities, c.Window)}
}

func (d *bruteForce) Info() detect.Info {
	return detect.Info{
		Name:        "EC2/BruteForce",
		Description: "Many connections from one host to an SSH, RDP or WinRM port: Low when the instance is the target, High when it is the attacker, Medium when a long session follows on the instance.",
		Tags:        []string{"network", "vpcflow", "ec2", "bruteforce"},
		Types:       []string{"UnauthorizedAccess:EC2/SSHBruteForce", "UnauthorizedAccess:EC2/RDPBruteForce", "Impact:EC2/WinRMBruteForce"},
		Kinds:       flowKinds,
	}
}

func (d *bruteForce) StateStats() state.Stats { return d.t.Stats() }

// sessionPackets and sessionBytes make a record part of a session rather
// than an attempt: a shell, not a failed login.
const (
	sessionPackets = 40
	sessionBytes   = 10_000
)

func (d *bruteForce) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	n := &e.Net
	if n.Protocol != 6 || d.cfg.BruteForceAttempts <= 0 {
		return out
	}
	f, ok := d.o.Orient(n)
	if !ok || !f.Known {
		return out
	}
	// The attacked port is the server's: the instance's when it is the
	// target, the remote host's when it attacks.
	port := f.LPort
	if f.Dir == Egress {
		port = f.RPort
	}
	typ, ok := bruteTypes[port]
	if !ok {
		return out
	}
	long := n.Packets >= sessionPackets && n.Bytes >= sessionBytes
	if f.Reply && !long {
		return out // the server's answers are not more attempts
	}
	st, _ := d.t.Get(bruteKey{InstanceKey(e, &f), state.AddrKey(f.Remote), port, f.Dir}, e.Time)
	attempts := st.attempts.Add(0, e.Time, d.cfg.Window)
	// A record that opens a connection (SYN) is an attempt; so is any short
	// one in logs without flags.
	opens := !f.Reply && (!n.TCPFlagsLogged || n.TCPFlags&flagSYN != 0)
	if opens && !long {
		attempts = st.attempts.Add(1, e.Time, d.cfg.Window)
	}
	raise := false
	switch {
	case attempts >= int64(d.cfg.BruteForceAttempts) && st.raised.Allow(e.Time, d.cfg.Window):
		st.reported, raise = true, true
	case st.reported && long && !st.session && n.Action == "ACCEPT" && f.Dir == Ingress:
		// A session on the instance after the attempts: it may have got in.
		st.session, raise = true, true
	}
	if !raise {
		return out
	}
	sev := finding.SevLow
	if f.Dir == Egress {
		sev = finding.SevHigh
	}
	if st.session {
		sev = max(sev, finding.SevMedium)
	}
	fd := NewFinding(d.Info().Name, typ, sev, e, &f)
	what := map[uint16]string{22: "SSH", 3389: "RDP", 5985: "WinRM", 5986: "WinRM"}[port]
	if f.Dir == Egress {
		fd.Title = fmt.Sprintf("Instance %s is performing %s brute force attacks against %s.", fd.Keys.Resource, what, f.Remote)
		fd.Description = fmt.Sprintf("Instance %s (%s) opened %d %s connections to %s within %s: it is likely compromised and attacking other hosts.",
			fd.Keys.Resource, f.Local, attempts, what, f.Remote, d.cfg.Window)
	} else {
		fd.Title = fmt.Sprintf("%s is performing %s brute force attacks against instance %s.", f.Remote, what, fd.Keys.Resource)
		fd.Description = fmt.Sprintf("%s opened %d %s connections to instance %s (%s) port %d within %s.",
			f.Remote, attempts, what, fd.Keys.Resource, f.Local, port, d.cfg.Window)
	}
	if st.session {
		fd.Description += fmt.Sprintf(" A longer session followed (%d packets, %d bytes): the attack may have succeeded.", n.Packets, n.Bytes)
	}
	fd.Service.AdditionalInfo = map[string]any{"attempts": attempts, "sessionAfterAttempts": st.session, "windowSeconds": d.cfg.Window.Seconds()}
	return append(out, fd)
}

// ---- Backdoor:EC2/DenialOfService.* ----

type dos struct {
	cfg Config
	o   Orienter
	t   *state.Table[dosKey, dosState]
}

type dosKey struct {
	inst   uint64
	remote state.Addr16
	class  uint8
}

type dosState struct {
	minute int64   // the minute being summed (Unix minutes)
	ppm    float64 // packets per minute summed over this minute's records
	raised state.Throttle
}

// DoS classes, in the order of dosTypes.
const (
	dosTCP = iota
	dosUDP
	dosDNS
	dosUDPOnTCPPorts
	dosUnusualProtocol
)

var dosTypes = [...]string{
	"Backdoor:EC2/DenialOfService.Tcp", "Backdoor:EC2/DenialOfService.Udp", "Backdoor:EC2/DenialOfService.Dns",
	"Backdoor:EC2/DenialOfService.UdpOnTcpPorts", "Backdoor:EC2/DenialOfService.UnusualProtocol",
}

// tcpServicePorts are ports whose services run over TCP: UDP floods to
// them are DenialOfService.UdpOnTcpPorts.
var tcpServicePorts = map[uint16]bool{21: true, 22: true, 23: true, 25: true, 80: true, 110: true, 143: true, 443: true,
	445: true, 993: true, 995: true, 1433: true, 3306: true, 3389: true, 5432: true, 8080: true, 8443: true}

// floodPacketSize: TCP records whose packets average more than this carry
// data (an upload, a backup), not a flood of SYNs or empty segments.
const floodPacketSize = 200

func newDoS(c Config, o Orienter) *dos {
	return &dos{cfg: c, o: o, t: state.New[dosKey, dosState](c.MaxEntities, c.Window)}
}

func (d *dos) Info() detect.Info {
	return detect.Info{
		Name:        "EC2/DenialOfService",
		Description: "An instance floods one host: small TCP packets (SYN floods), UDP, DNS, UDP to TCP service ports, or an unusual protocol, above a packet rate summed over all its connections to that host.",
		Tags:        []string{"network", "vpcflow", "ec2", "dos"},
		Types:       dosTypes[:],
		Kinds:       flowKinds,
	}
}

func (d *dos) StateStats() state.Stats { return d.t.Stats() }

func (d *dos) classOf(n *event.Network, f *Flow) (uint8, bool) {
	switch n.Protocol {
	case 6:
		if n.Bytes > floodPacketSize*n.Packets {
			return 0, false
		}
		if f.RPort == 53 {
			return dosDNS, true
		}
		return dosTCP, true
	case 17:
		switch {
		case f.RPort == 53:
			return dosDNS, true
		case tcpServicePorts[f.RPort]:
			return dosUDPOnTCPPorts, true
		}
		return dosUDP, true
	case 1, 58, 50, 51: // ICMP, ICMPv6, ESP, AH: not flood types GuardDuty names
		return 0, false
	}
	return dosUnusualProtocol, true
}

func (d *dos) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	n := &e.Net
	if d.cfg.DoSPacketsPerMinute <= 0 || n.Packets <= 0 {
		return out
	}
	f, ok := d.o.Orient(n)
	if !ok || f.Dir != Egress || f.Reply {
		return out // a flood is what the instance sends, not its replies
	}
	class, ok := d.classOf(n, &f)
	if !ok {
		return out
	}
	st, _ := d.t.Get(dosKey{InstanceKey(e, &f), state.AddrKey(f.Remote), class}, e.Time)
	minutes := max(n.End.Sub(n.Start).Minutes(), 1)
	// Records land in the minute they started; an older record arriving
	// late still counts toward the current minute.
	if m := e.Time.Unix() / 60; m > st.minute {
		st.minute, st.ppm = m, 0
	}
	st.ppm += float64(n.Packets) / minutes
	if st.ppm < float64(d.cfg.DoSPacketsPerMinute) || !st.raised.Allow(e.Time, d.cfg.Window) {
		return out
	}
	fd := NewFinding(d.Info().Name, dosTypes[class], finding.SevHigh, e, &f)
	fd.Title = fmt.Sprintf("Instance %s is behaving in a manner that may indicate it is being used to perform a denial of service attack.", fd.Keys.Resource)
	fd.Description = fmt.Sprintf("Instance %s (%s) sent %.0f packets per minute (%s) to %s port %d, above %d: an outbound flood.",
		fd.Keys.Resource, f.Local, st.ppm, ProtocolName(n.Protocol), f.Remote, f.RPort, d.cfg.DoSPacketsPerMinute)
	fd.Service.AdditionalInfo = map[string]any{"packetsPerMinute": st.ppm}
	return append(out, fd)
}

// ---- Backdoor:EC2/Spambot ----

type spambot struct {
	cfg Config
	o   Orienter
	t   *state.Table[uint64, distinct]
}

func newSpambot(c Config, o Orienter) *spambot {
	return &spambot{cfg: c, o: o, t: state.New[uint64, distinct](c.MaxEntities, c.Window)}
}

func (d *spambot) Info() detect.Info {
	return detect.Info{
		Name:        "Backdoor:EC2/Spambot",
		Description: "An instance opens SMTP connections (port 25) to many mail servers: it may be sending spam.",
		Tags:        []string{"network", "vpcflow", "ec2"},
		Types:       []string{"Backdoor:EC2/Spambot"},
		Kinds:       flowKinds,
	}
}

func (d *spambot) StateStats() state.Stats { return d.t.Stats() }

func (d *spambot) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	n := &e.Net
	if n.Protocol != 6 || d.cfg.SpamHosts <= 0 {
		return out
	}
	f, ok := d.o.Orient(n)
	if !ok || f.Dir != Egress || f.Reply || f.RPort != 25 {
		return out
	}
	st, _ := d.t.Get(InstanceKey(e, &f), e.Time)
	if st.Add(state.Hash16(state.AddrKey(f.Remote)), e.Time, d.cfg.Window) < d.cfg.SpamHosts || !st.raised.Allow(e.Time, d.cfg.Window) {
		return out
	}
	fd := NewFinding(d.Info().Name, "Backdoor:EC2/Spambot", finding.SevMedium, e, &f)
	fd.Keys.Actor = "smtp"
	servers := len(st.Values())
	fd.Title = fmt.Sprintf("Instance %s is behaving in a manner that may indicate it is being used to send spam.", fd.Keys.Resource)
	fd.Description = fmt.Sprintf("Instance %s (%s) connected to port 25 of %d distinct hosts within %s (the last one %s).",
		fd.Keys.Resource, f.Local, servers, d.cfg.Window, f.Remote)
	fd.Service.AdditionalInfo = map[string]any{"mailServers": servers}
	return append(out, fd)
}

// ---- DefenseEvasion:EC2/UnusualDNSResolver, UnusualDoHActivity, UnusualDoTActivity ----

type resolvers struct {
	cfg Config
	o   Orienter
	t   *state.Table[scanKey, state.Throttle]
}

// dohResolvers are public DNS-over-HTTPS resolvers' addresses.
var dohResolvers = func() map[netip.Addr]string {
	m := map[netip.Addr]string{}
	for name, addrs := range map[string][]string{
		"Cloudflare":    {"1.1.1.1", "1.0.0.1", "2606:4700:4700::1111", "2606:4700:4700::1001"},
		"Google":        {"8.8.8.8", "8.8.4.4", "2001:4860:4860::8888", "2001:4860:4860::8844"},
		"Quad9":         {"9.9.9.9", "149.112.112.112", "2620:fe::fe", "2620:fe::9"},
		"OpenDNS":       {"208.67.222.222", "208.67.220.220"},
		"AdGuard":       {"94.140.14.14", "94.140.15.15"},
		"CleanBrowsing": {"185.228.168.9", "185.228.169.9"},
	} {
		for _, a := range addrs {
			m[netip.MustParseAddr(a)] = name
		}
	}
	return m
}()

func newResolvers(c Config, o Orienter) *resolvers {
	return &resolvers{cfg: c, o: o, t: state.New[scanKey, state.Throttle](c.MaxEntities, c.Window)}
}

func (d *resolvers) Info() detect.Info {
	return detect.Info{
		Name:        "EC2/UnusualDNS",
		Description: "An instance resolves names outside the VPC resolver: plain DNS to a public resolver, DNS over TLS, or DNS over HTTPS to a public DoH service.",
		Tags:        []string{"network", "vpcflow", "ec2", "dns", "defense-evasion"},
		Types:       []string{"DefenseEvasion:EC2/UnusualDNSResolver", "DefenseEvasion:EC2/UnusualDoHActivity", "DefenseEvasion:EC2/UnusualDoTActivity"},
		Kinds:       flowKinds,
	}
}

func (d *resolvers) StateStats() state.Stats { return d.t.Stats() }

func (d *resolvers) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	n := &e.Net
	if n.Action != "ACCEPT" || (n.Protocol != 6 && n.Protocol != 17) {
		return out
	}
	f, ok := d.o.Orient(n)
	if !ok || f.Dir != Egress || !f.Known || f.Reply || f.Remote.IsLinkLocalUnicast() {
		return out
	}
	var typ, how string
	switch {
	case f.RPort == 53:
		typ, how = "DefenseEvasion:EC2/UnusualDNSResolver", "sent DNS queries to the public resolver"
	case f.RPort == 853 && n.Protocol == 6:
		typ, how = "DefenseEvasion:EC2/UnusualDoTActivity", "made DNS-over-TLS connections to"
	case f.RPort == 443 && n.Protocol == 6:
		p, ok := dohResolvers[f.Remote.Unmap()]
		if !ok {
			return out
		}
		typ, how = "DefenseEvasion:EC2/UnusualDoHActivity", "made DNS-over-HTTPS connections to "+p+"'s resolver"
	default:
		return out
	}
	st, _ := d.t.Get(scanKey{InstanceKey(e, &f), state.AddrKey(f.Remote)}, e.Time)
	if !st.Allow(e.Time, d.cfg.Window) {
		return out
	}
	fd := NewFinding(d.Info().Name, typ, finding.SevMedium, e, &f)
	fd.Title = fmt.Sprintf("Instance %s is resolving names outside the VPC resolver.", fd.Keys.Resource)
	fd.Description = fmt.Sprintf("Instance %s (%s) %s %s. Malware uses outside resolvers to hide its lookups from the VPC's DNS logs.",
		fd.Keys.Resource, f.Local, how, f.Remote)
	return append(out, fd)
}

// ---- Behavior:EC2/NetworkPortUnusual and Behavior:EC2/TrafficVolumeUnusual ----

// baselines learns, per instance, which server ports its connections use
// and how many bytes it sends per window, for LearnFor of event time after
// it is first seen; afterwards a new server port, or a window with far
// more bytes than usual, raises a finding. An instance that used more than
// state.SmallCap server ports in a direction while learning has no usual
// ports: it raises no port findings.
type baselines struct {
	cfg Config
	o   Orienter
	t   *state.Table[uint64, baseline]
}

type baseline struct {
	first    int64          // event time first seen (Unix ns)
	out, in  state.SmallSet // server ports of its outbound and inbound connections
	raised   state.SmallSet // unusual ports already reported
	bucket   int64          // the window being summed (Unix ns of its start)
	bytes    int64          // bytes sent in it
	mean     float64        // exponentially weighted mean of bytes per window
	windows  int32          // windows folded into mean
	volumeAt int64          // bucket a volume finding was raised for
}

func newBaselines(c Config, o Orienter) *baselines {
	// An instance's baseline must outlive the learning period.
	return &baselines{cfg: c, o: o, t: state.New[uint64, baseline](c.MaxEntities, max(c.LearnFor*4, 24*time.Hour))}
}

func (d *baselines) Info() detect.Info {
	return detect.Info{
		Name:        "EC2/BehaviorBaselines",
		Description: "Per-instance baselines: a server port the instance's connections never used in its learning period (Behavior:EC2/NetworkPortUnusual), or far more outbound bytes in a window than usual (Behavior:EC2/TrafficVolumeUnusual).",
		Tags:        []string{"network", "vpcflow", "ec2", "behavior"},
		Types:       []string{"Behavior:EC2/NetworkPortUnusual", "Behavior:EC2/TrafficVolumeUnusual"},
		Kinds:       flowKinds,
	}
}

func (d *baselines) StateStats() state.Stats { return d.t.Stats() }

func (d *baselines) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	n := &e.Net
	if d.cfg.LearnFor < 0 || n.Action != "ACCEPT" || (n.Protocol != 6 && n.Protocol != 17) {
		return out
	}
	f, ok := d.o.Orient(n)
	if !ok {
		return out
	}
	b, fresh := d.t.Get(InstanceKey(e, &f), e.Time)
	now := e.Time.UnixNano()
	if fresh {
		b.first = now
	}
	learning := now-b.first < int64(d.cfg.LearnFor)
	if f.Known {
		// The server port: the remote one when the instance connected out,
		// its own when it was connected to.
		ports, port := &b.out, f.RPort
		if f.Dir == Ingress {
			ports, port = &b.in, f.LPort
		}
		switch {
		case ports.Has(port):
		case learning:
			ports.Add(port) // a full set marks the instance port-diverse
		case ports.Full() || b.raised.Has(port) || b.raised.Full():
			// Nothing usual to compare with, or already said, or said enough.
		default:
			b.raised.Add(port)
			fd := NewFinding(d.Info().Name, "Behavior:EC2/NetworkPortUnusual", finding.SevMedium, e, &f)
			fd.Keys.Actor = fmt.Sprintf("port %d", port)
			side := "connected to remote port"
			if f.Dir == Ingress {
				side = "accepted a connection on port"
			}
			fd.Title = fmt.Sprintf("Instance %s is communicating on an unusual port %d.", fd.Keys.Resource, port)
			fd.Description = fmt.Sprintf("Instance %s (%s) %s %d/%s with %s; in its first %s its connections used only ports %v.",
				fd.Keys.Resource, f.Local, side, port, ProtocolName(n.Protocol), f.Remote, d.cfg.LearnFor, ports.Values())
			fd.Service.AdditionalInfo = map[string]any{"unusualPort": port, "usualPorts": ports.Values()}
			out = append(out, fd)
		}
	}
	// Volume: what the instance's interface sends (requests and replies).
	if n.Direction == "ingress" || f.Local != n.SrcAddr || d.cfg.VolumeFactor <= 0 {
		return out
	}
	bucket := now - now%int64(d.cfg.Window)
	if bucket != b.bucket {
		if b.bucket != 0 && b.bucket < bucket {
			// Fold the finished window (and any silent ones between) into the mean.
			b.fold(b.bytes)
			for gap := (bucket - b.bucket) / int64(d.cfg.Window); gap > 1 && gap < 1000; gap-- {
				b.fold(0)
			}
		}
		b.bucket, b.bytes = bucket, 0
	}
	b.bytes += n.Bytes
	if learning || b.windows < 3 || b.volumeAt == bucket {
		return out
	}
	limit := max(d.cfg.VolumeFactor*b.mean, float64(d.cfg.VolumeMinBytes))
	if float64(b.bytes) < limit {
		return out
	}
	b.volumeAt = bucket
	fd := NewFinding(d.Info().Name, "Behavior:EC2/TrafficVolumeUnusual", finding.SevMedium, e, &f)
	fd.Keys.Actor = "volume"
	fd.Title = fmt.Sprintf("Instance %s is sending an unusually large amount of data.", fd.Keys.Resource)
	fd.Description = fmt.Sprintf("Instance %s (%s) sent %d bytes in %s (the last to %s), %.0f times its usual %.0f bytes per %s.",
		fd.Keys.Resource, f.Local, b.bytes, d.cfg.Window, f.Remote, float64(b.bytes)/max(b.mean, 1), b.mean, d.cfg.Window)
	fd.Service.AdditionalInfo = map[string]any{"bytes": b.bytes, "usualBytes": b.mean}
	return append(out, fd)
}

// fold adds one window's bytes to the running mean (weight 1/8).
func (b *baseline) fold(bytes int64) {
	if b.windows == 0 {
		b.mean = float64(bytes)
	} else {
		b.mean += (float64(bytes) - b.mean) / 8
	}
	b.windows++
}

// Package netflow holds Picket's stateful detectors over VPC Flow Logs,
// named after GuardDuty's EC2 finding types with their default severities:
// port scans and sweeps, brute force against SSH, RDP and WinRM, denial of
// service, spam, and DNS that bypasses the VPC resolver.
//
// Every detector decides from the flows alone, over windows of event time,
// with per-entity state in bounded tables (package state): memory stays
// fixed whatever the traffic, and eviction is counted.
//
// A flow record is seen from one network interface. Which end is the
// instance ("local") comes from the record's flow-Direction when the log
// has it (v5), otherwise from the configured local networks (default: the
// private ranges): a flow from a local address to a non-local one is
// Egress, the reverse is Ingress, and flows between two local or two
// non-local addresses are left alone by the detectors that need a side.
package netflow

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/detect/state"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// Config tunes the detectors. Zero values take the defaults; a negative
// threshold turns that finding type off.
type Config struct {
	// LocalNetworks are your VPCs' address ranges. Default: 10.0.0.0/8,
	// 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7.
	LocalNetworks []string `yaml:"local_networks"`
	// Window is how far back counts reach (event time). Default 10m.
	Window time.Duration `yaml:"window"`
	// PortscanPorts: distinct ports of one remote host probed by an
	// instance within Window (Recon:EC2/Portscan). Default 25.
	PortscanPorts int `yaml:"portscan_ports"`
	// SweepHosts: distinct remote hosts probed on one port by an instance
	// within Window (Impact:EC2/PortSweep). Default 25.
	SweepHosts int `yaml:"sweep_hosts"`
	// ProbeMaxPackets: a connection attempt the instance made counts as a
	// probe when its record has at most this many packets and, in logs with
	// tcp-flags (v3+), only SYN — no SYN-ACK came back and no FIN — or, in
	// logs without flags, packets of SYN size (56–80 bytes); rejected
	// attempts always count. Default 3. Logs without tcp-flags cannot tell
	// an attempt from a keep-alive reliably: use a v3+ format with it.
	ProbeMaxPackets int64 `yaml:"probe_max_packets"`
	// BruteForceAttempts: connections from one host to one SSH, RDP or
	// WinRM port within Window. Default 20.
	BruteForceAttempts int `yaml:"brute_force_attempts"`
	// SpamHosts: distinct mail servers (port 25) an instance connects to
	// within Window (Backdoor:EC2/Spambot). Default 20.
	SpamHosts int `yaml:"spam_hosts"`
	// DoSPacketsPerMinute: packets an instance sends one remote host within
	// a minute of event time (Backdoor:EC2/DenialOfService.*). Default 100000.
	DoSPacketsPerMinute int64 `yaml:"dos_packets_per_minute"`
	// LearnFor is how long, from the first flow of an instance, its ports
	// and traffic volume are learned before unusual ones raise
	// Behavior:EC2/* findings. Default 1h; negative turns them off.
	LearnFor time.Duration `yaml:"learn_for"`
	// VolumeFactor: a window with this many times the instance's usual
	// outbound bytes is unusual (Behavior:EC2/TrafficVolumeUnusual).
	// Default 10; negative turns it off.
	VolumeFactor float64 `yaml:"volume_factor"`
	// VolumeMinBytes: and at least this many bytes. Default 100 MB.
	VolumeMinBytes int64 `yaml:"volume_min_bytes"`
	// MaxEntities bounds each detector's state table. Default 250000.
	MaxEntities int `yaml:"max_entities"`
}

// Defaults.
const (
	DefaultWindow              = 10 * time.Minute
	DefaultPortscanPorts       = 25
	DefaultSweepHosts          = 25
	DefaultProbeMaxPackets     = 3
	DefaultBruteForceAttempts  = 20
	DefaultSpamHosts           = 20
	DefaultDoSPacketsPerMinute = 100_000
	DefaultMaxEntities         = 250_000
	DefaultLearnFor            = time.Hour
	DefaultVolumeFactor        = 10
	DefaultVolumeMinBytes      = 100 << 20
)

// DefaultLocalNetworks are the private ranges.
var DefaultLocalNetworks = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"}

// withDefaults fills zero values.
func (c Config) withDefaults() Config {
	if len(c.LocalNetworks) == 0 {
		c.LocalNetworks = DefaultLocalNetworks
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.PortscanPorts, DefaultPortscanPorts)
	def(&c.SweepHosts, DefaultSweepHosts)
	def(&c.BruteForceAttempts, DefaultBruteForceAttempts)
	def(&c.SpamHosts, DefaultSpamHosts)
	def(&c.MaxEntities, DefaultMaxEntities)
	if c.ProbeMaxPackets == 0 {
		c.ProbeMaxPackets = DefaultProbeMaxPackets
	}
	if c.DoSPacketsPerMinute == 0 {
		c.DoSPacketsPerMinute = DefaultDoSPacketsPerMinute
	}
	if c.LearnFor == 0 {
		c.LearnFor = DefaultLearnFor
	}
	if c.VolumeFactor == 0 {
		c.VolumeFactor = DefaultVolumeFactor
	}
	if c.VolumeMinBytes == 0 {
		c.VolumeMinBytes = DefaultVolumeMinBytes
	}
	return c
}

// Validate reports every problem of c.
func (c Config) Validate() error {
	var errs []error
	for _, n := range c.LocalNetworks {
		if _, err := netip.ParsePrefix(n); err != nil {
			errs = append(errs, fmt.Errorf("local_networks: %q is not a CIDR", n))
		}
	}
	if c.Window < 0 {
		errs = append(errs, errors.New("window must not be negative"))
	}
	for name, v := range map[string]int{"portscan_ports": c.PortscanPorts, "sweep_hosts": c.SweepHosts, "spam_hosts": c.SpamHosts} {
		if v > maxDistinct {
			errs = append(errs, fmt.Errorf("%s: at most %d (distinct values are counted exactly up to that)", name, maxDistinct))
		}
	}
	if c.MaxEntities < 0 {
		errs = append(errs, errors.New("max_entities must not be negative"))
	}
	return errors.Join(errs...)
}

// All returns the flow detectors configured by c (which must be valid).
func All(c Config) []detect.Detector {
	c = c.withDefaults()
	o := NewOrienter(c.LocalNetworks)
	return []detect.Detector{
		newScans(c, o),
		newBruteForce(c, o),
		newDoS(c, o),
		newSpambot(c, o),
		newResolvers(c, o),
		newBaselines(c, o),
	}
}

var flowKinds = []event.Kind{event.KindVPCFlow}

// Direction of a connection as seen from the instance.
type Direction int8

// Directions.
const (
	Unknown Direction = iota
	Egress            // the instance started the connection (or sent the record, see Flow)
	Ingress           // the remote host started it
)

// Orienter tells which end of a flow is the instance, and which end
// started the connection.
type Orienter struct{ nets []netip.Prefix }

// NewOrienter makes an Orienter for the given local networks (CIDRs;
// DefaultLocalNetworks when empty). Bad CIDRs are ignored: Config.Validate
// reports them.
func NewOrienter(localNetworks []string) Orienter {
	if len(localNetworks) == 0 {
		localNetworks = DefaultLocalNetworks
	}
	var o Orienter
	for _, n := range localNetworks {
		if p, err := netip.ParsePrefix(n); err == nil {
			o.nets = append(o.nets, p.Masked())
		}
	}
	return o
}

func (o Orienter) local(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range o.nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Flow is a flow record seen from the instance.
//
// Every connection is logged twice on the instance's interface: a record
// of what the initiator sent and one of the reply. Detectors about who
// connects to whom must look at connections, not records: Dir says who
// started the connection, and Reply marks the record of the responder's
// traffic. Who started it comes from the ports when they are clear (the
// server side uses a well-known or lower port, the client an ephemeral
// one), otherwise from the TCP flags when the log has them (only the
// initiator's record has SYN without SYN-ACK; only the responder's has
// SYN-ACK). When neither tells, Dir is the record's direction and Known is
// false.
type Flow struct {
	Dir           Direction
	Known         bool // Dir is the connection's, not only the record's
	Reply         bool // the record carries the responder's traffic
	Local, Remote netip.Addr
	LPort, RPort  uint16
}

// TCP flags as VPC Flow Logs record them.
const (
	flagFIN    = 1
	flagSYN    = 2
	flagRST    = 4
	flagSYNACK = 18
)

// Orient places a flow; ok is false for NODATA/SKIPDATA records, records
// of interfaces that belong to no instance, and flows whose sides cannot be
// told apart (both ends local or both remote).
func (o Orienter) Orient(n *event.Network) (f Flow, ok bool) {
	if (n.LogStatus != "" && n.LogStatus != "OK") || !n.SrcAddr.IsValid() || !n.DstAddr.IsValid() {
		return f, false
	}
	if n.InstanceIDLogged && n.InstanceID == "" {
		// Not an instance's interface (a NAT gateway, a load balancer, an
		// endpoint): the instances behind it log the same connections on
		// their own interfaces, with the real remote address.
		return f, false
	}
	var rec Direction // the record's direction
	switch n.Direction {
	case "egress":
		rec = Egress
	case "ingress":
		rec = Ingress
	default:
		sl, dl := o.local(n.SrcAddr), o.local(n.DstAddr)
		switch {
		case sl && !dl:
			rec = Egress
		case dl && !sl:
			rec = Ingress
		default:
			return f, false
		}
	}
	if rec == Egress {
		f.Local, f.Remote, f.LPort, f.RPort = n.SrcAddr, n.DstAddr, n.SrcPort, n.DstPort
	} else {
		f.Local, f.Remote, f.LPort, f.RPort = n.DstAddr, n.SrcAddr, n.DstPort, n.SrcPort
	}
	f.Dir = rec
	srcStarted, known := initiator(n)
	if known {
		f.Known, f.Reply = true, !srcStarted
		if !srcStarted {
			f.Dir = 3 - rec // the destination started it: flip
		}
	}
	return f, true
}

// initiator says whether the record's source started the connection. The
// ports decide when they are clear (a well-known or registered service
// port on one side only, or an ephemeral port against a lower one); the
// TCP flags decide otherwise: only the initiator's record has SYN without
// SYN-ACK, only the responder's has SYN-ACK.
func initiator(n *event.Network) (srcStarted, known bool) {
	if n.Protocol != 6 && n.Protocol != 17 {
		return false, false
	}
	ss, ds := serverPort(n.SrcPort), serverPort(n.DstPort)
	switch {
	case ds && !ss:
		return true, true
	case ss && !ds:
		return false, true
	case !ss && !ds && n.SrcPort >= 32768 && n.DstPort < 32768:
		return true, true
	case !ss && !ds && n.DstPort >= 32768 && n.SrcPort < 32768:
		return false, true
	}
	if n.Protocol == 6 && n.TCPFlagsLogged {
		switch {
		case n.TCPFlags&flagSYNACK == flagSYNACK:
			return false, true
		case n.TCPFlags&flagSYN != 0:
			return true, true
		}
	}
	return false, false
}

// serverPort reports whether p is a port services listen on: a
// well-known one, or a registered service Picket knows.
func serverPort(p uint16) bool {
	return p != 0 && (p < 1024 || portNames[p] != "" || extraServerPorts[p])
}

var extraServerPorts = map[uint16]bool{1521: true, 2049: true, 2375: true, 2376: true, 3000: true, 3333: true, 4444: true,
	5000: true, 5601: true, 6443: true, 6667: true, 7001: true, 8000: true, 8080: true, 8443: true, 8888: true, 9000: true,
	9090: true, 9092: true, 9200: true, 9300: true, 10250: true, 11211: true, 14444: true, 45700: true}

// InstanceKey is a compact key for the instance a flow belongs to: a
// 64-bit hash of its instance ID, or of its interface ID, or of its local
// address. Small keys keep memory per tracked entity low; a collision
// between two of a fleet's instances is vanishingly unlikely.
func InstanceKey(e *event.Event, f *Flow) uint64 {
	switch {
	case e.Net.InstanceID != "":
		return state.HashID(e.Net.InstanceID)
	case e.Net.InterfaceID != "":
		return state.HashID(e.Net.InterfaceID)
	}
	return state.HashAddr64(state.AddrKey(f.Local))
}

// attempt reports whether the instance's record of a connection it started
// is an attempt that carried no conversation: rejected, a SYN with no
// SYN-ACK and no FIN (the log has TCP flags), or — in logs without flags,
// where a keep-alive looks much the same — at most maxPackets packets of
// SYN-like size (56–80 bytes).
func attempt(n *event.Network, f *Flow, maxPackets int64) bool {
	if f.Dir != Egress || f.Reply {
		return false
	}
	if n.Action == "REJECT" {
		return true
	}
	if n.Packets <= 0 || n.Packets > maxPackets {
		return false
	}
	if n.TCPFlagsLogged && n.Protocol == 6 {
		return n.TCPFlags&^flagRST == flagSYN
	}
	avg := n.Bytes / n.Packets
	return avg >= 56 && avg <= 80
}

// maxDistinct is the largest threshold on distinct values.
const maxDistinct = state.SetCap

// NewFinding fills what every flow finding has: the instance as the
// resource, the connection as the action, the seen window.
func NewFinding(detector, typ string, sev float64, e *event.Event, f *Flow) finding.Finding {
	n := &e.Net
	inst := &finding.InstanceDetails{InstanceID: clone(n.InstanceID)}
	if n.InterfaceID != "" || f.Local.IsValid() {
		inst.NetworkInterfaces = []finding.NetworkInterface{{
			NetworkInterfaceID: clone(n.InterfaceID), PrivateIPAddress: f.Local.String(), VpcID: clone(n.VPCID), SubnetID: clone(n.SubnetID),
		}}
	}
	dir := "OUTBOUND"
	switch {
	case f.Dir == Ingress:
		dir = "INBOUND"
	case !f.Known:
		dir = "UNKNOWN"
	}
	resKey := n.InstanceID
	if resKey == "" {
		resKey = n.InterfaceID
	}
	if resKey == "" {
		resKey = f.Local.String()
	}
	return finding.Finding{
		Type:      typ,
		Severity:  sev,
		AccountID: clone(e.Account),
		Region:    clone(e.Region),
		Resource:  finding.Resource{ResourceType: "Instance", InstanceDetails: inst},
		Service: finding.Service{
			DetectorID: detector,
			Action: finding.Action{ActionType: "NETWORK_CONNECTION", NetworkConnectionAction: &finding.NetworkConnectionAction{
				ConnectionDirection: dir,
				Protocol:            ProtocolName(n.Protocol),
				Blocked:             n.Action == "REJECT",
				LocalIPDetails:      IPDetails(f.Local),
				LocalPortDetails:    &finding.PortDetails{Port: int(f.LPort), PortName: PortName(f.LPort)},
				RemoteIPDetails:     IPDetails(f.Remote),
				RemotePortDetails:   &finding.PortDetails{Port: int(f.RPort), PortName: PortName(f.RPort)},
			}},
			Count:          1,
			EventFirstSeen: n.Start,
			EventLastSeen:  n.End,
			ResourceRole:   role(f.Dir),
			FeatureName:    "FlowLogs",
		},
		Keys: finding.Keys{Resource: clone(resKey), Actor: f.Remote.String()},
	}
}

// role is GuardDuty's resourceRole: the instance is the ACTOR when it
// starts the traffic, the TARGET when it receives it.
func role(d Direction) string {
	if d == Egress {
		return "ACTOR"
	}
	return "TARGET"
}

func clone(s string) string { return string([]byte(s)) }

// IPDetails is GuardDuty's address object for a.
func IPDetails(a netip.Addr) *finding.RemoteIPDetails {
	if !a.IsValid() {
		return nil
	}
	a = a.Unmap()
	if a.Is4() {
		return &finding.RemoteIPDetails{IPAddressV4: a.String()}
	}
	return &finding.RemoteIPDetails{IPAddressV6: a.String()}
}

// ProtocolName names an IANA protocol number as GuardDuty does.
func ProtocolName(p uint8) string {
	switch p {
	case 1:
		return "ICMP"
	case 6:
		return "TCP"
	case 17:
		return "UDP"
	case 58:
		return "ICMPV6"
	}
	return fmt.Sprint(p)
}

// PortName names well-known ports as GuardDuty does ("Unknown" otherwise).
func PortName(p uint16) string {
	if n, ok := portNames[p]; ok {
		return n
	}
	return "Unknown"
}

var portNames = map[uint16]string{
	22: "SSH", 23: "Telnet", 25: "SMTP", 53: "DNS", 80: "HTTP", 110: "POP3", 123: "NTP", 143: "IMAP",
	443: "HTTPS", 445: "SMB", 465: "SMTPS", 587: "SMTP", 853: "DNS over TLS", 993: "IMAPS", 995: "POP3S",
	1433: "MSSQL", 3306: "MySQL", 3389: "RDP", 5432: "PostgreSQL", 5900: "VNC", 5985: "WinRM", 5986: "WinRM",
	6379: "Redis", 9001: "Tor", 9030: "Tor", 27017: "MongoDB",
}

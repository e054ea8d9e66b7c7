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
	// ProbeMaxPackets: a flow of at most this many packets that was not
	// answered counts as a probe. Default 3.
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
	nets := make([]netip.Prefix, 0, len(c.LocalNetworks))
	for _, n := range c.LocalNetworks {
		if p, err := netip.ParsePrefix(n); err == nil {
			nets = append(nets, p.Masked())
		}
	}
	o := Orienter{nets: nets}
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

// Direction of a flow as seen from the instance.
type Direction int8

// Directions.
const (
	Unknown Direction = iota
	Egress            // the instance is the source
	Ingress           // the instance is the destination
)

// Orienter tells which end of a flow is the instance.
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
type Flow struct {
	Dir           Direction
	Local, Remote netip.Addr
	LPort, RPort  uint16
}

// Orient places a flow; ok is false for NODATA/SKIPDATA records and for
// flows whose sides cannot be told apart.
func (o Orienter) Orient(n *event.Network) (f Flow, ok bool) {
	if (n.LogStatus != "" && n.LogStatus != "OK") || !n.SrcAddr.IsValid() || !n.DstAddr.IsValid() {
		return f, false
	}
	switch n.Direction {
	case "egress":
		f.Dir = Egress
	case "ingress":
		f.Dir = Ingress
	default:
		sl, dl := o.local(n.SrcAddr), o.local(n.DstAddr)
		switch {
		case sl && !dl:
			f.Dir = Egress
		case dl && !sl:
			f.Dir = Ingress
		default:
			return f, false
		}
	}
	if f.Dir == Egress {
		f.Local, f.Remote, f.LPort, f.RPort = n.SrcAddr, n.DstAddr, n.SrcPort, n.DstPort
	} else {
		f.Local, f.Remote, f.LPort, f.RPort = n.DstAddr, n.SrcAddr, n.DstPort, n.SrcPort
	}
	return f, true
}

// instanceKey names the instance a flow belongs to for state: a 64-bit
// hash of its ID, or of its interface, or of its local address. Keys stay
// small (memory per tracked entity), and a collision between two of a
// fleet's instances is vanishingly unlikely.
type instanceKey uint64

func keyOf(e *event.Event, f *Flow) instanceKey {
	id := e.Net.InstanceID
	if id == "" {
		id = e.Net.InterfaceID
	}
	h := uint64(14695981039346656037)
	if id != "" {
		for i := 0; i < len(id); i++ {
			h ^= uint64(id[i])
			h *= 1099511628211
		}
		return instanceKey(h)
	}
	a := f.Local.Unmap().As16()
	for _, b := range a {
		h ^= uint64(b)
		h *= 1099511628211
	}
	return instanceKey(h)
}

// probe reports whether a flow looks like a probe: rejected, or a handful
// of packets that carried no conversation.
func probe(n *event.Network, maxPackets int64) bool {
	return n.Action == "REJECT" || (n.Packets > 0 && n.Packets <= maxPackets && n.Bytes <= 80*n.Packets)
}

// maxDistinct is the largest threshold on distinct values.
const maxDistinct = 48

// newFinding fills what every flow finding has: the instance as the
// resource, the connection as the action, the seen window.
func newFinding(detector, typ string, sev float64, e *event.Event, f *Flow) finding.Finding {
	n := &e.Net
	inst := &finding.InstanceDetails{InstanceID: clone(n.InstanceID)}
	if n.InterfaceID != "" || f.Local.IsValid() {
		inst.NetworkInterfaces = []finding.NetworkInterface{{
			NetworkInterfaceID: clone(n.InterfaceID), PrivateIPAddress: f.Local.String(), VpcID: clone(n.VPCID), SubnetID: clone(n.SubnetID),
		}}
	}
	dir := "OUTBOUND"
	if f.Dir == Ingress {
		dir = "INBOUND"
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
				LocalIPDetails:      ipDetails(f.Local),
				LocalPortDetails:    &finding.PortDetails{Port: int(f.LPort), PortName: PortName(f.LPort)},
				RemoteIPDetails:     ipDetails(f.Remote),
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

func ipDetails(a netip.Addr) *finding.RemoteIPDetails {
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

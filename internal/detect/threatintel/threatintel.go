// Package threatintel holds the detectors that check addresses and
// domains against threat-intelligence lists (package intel): flows to and
// from listed hosts (C&C servers, mining pools, Tor, drop points), DNS
// queries for listed domains, and CloudTrail API calls made from listed
// addresses — each raised with GuardDuty's type for it.
//
// GuardDuty names a match on its own intelligence plainly
// (Recon:IAMUser/MaliciousIPCaller) and a match on a list the customer
// uploaded with ".Custom". Picket does the same with the list's source:
// a feed (public or commercial intelligence) or a custom list of your own
// (intel.ListConfig.Custom).
//
// Which type a match raises, by the entry's category:
//
//	flows (the instance's remote end)    egress                                   ingress, accepted
//	  c2                                 Backdoor:EC2/C&CActivity.B               —
//	  cryptomining, cryptocurrency       CryptoCurrency:EC2/BitcoinTool.B         —
//	  tor                                UnauthorizedAccess:EC2/TorClient         UnauthorizedAccess:EC2/TorRelay (relay ports)
//	  dropzone                           Trojan:EC2/DropPoint                     —
//	  blackhole                          Trojan:EC2/BlackholeTraffic              —
//	  any, custom list                   UnauthorizedAccess:EC2/MaliciousIPCaller.Custom (either way)
//	  malicious/phishing/suspicious,
//	  feed                               —                                        Recon:EC2/PortProbeUnprotectedPort
//
// Flows are judged as connections (see netflow.Flow): the replies a web
// server sends to a listed client are not the server connecting to it.
//
//	DNS queries
//	  c2 → Backdoor:EC2/C&CActivity.B!DNS, cryptomining → CryptoCurrency:EC2/BitcoinTool.B!DNS,
//	  dropzone → Trojan:EC2/DropPoint!DNS, blackhole → Trojan:EC2/BlackholeTraffic!DNS,
//	  phishing → Trojan:EC2/PhishingDomainRequest!DNS, dga → Trojan:EC2/DGADomainRequest.C!DNS,
//	  malicious → Impact:EC2/MaliciousDomainRequest.Reputation, cryptocurrency → Impact:EC2/BitcoinDomainRequest.Reputation,
//	  abused → Impact:EC2/AbusedDomainRequest.Reputation, suspicious → Impact:EC2/SuspiciousDomainRequest.Reputation
//	  (Impact:EC2/MaliciousDomainRequest.Custom on a custom list). A domain raises its finding at most once per
//	  window per instance; the count grows with each window.
//	CloudTrail callers: see callerType.
package threatintel

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/detect/netflow"
	"github.com/picket-dev/picket/internal/detect/state"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/intel"
)

// Lookup is what the detectors ask of threat intelligence (an *intel.Set).
type Lookup interface {
	CheckIP(netip.Addr) intel.Result
	CheckDomain(name string) intel.Result
}

// Options configure the detectors.
type Options struct {
	// LocalNetworks tell the instance's end of a flow (see netflow).
	LocalNetworks []string
	// Window is how often a repeated match raises again (event time).
	// Default 10m.
	Window time.Duration
	// MaxEntities bounds the flow detector's memory. Default 250000.
	MaxEntities int
}

// All returns the detectors over lookup.
func All(lookup Lookup, o Options) []detect.Detector {
	if o.Window == 0 {
		o.Window = 10 * time.Minute
	}
	if o.MaxEntities == 0 {
		o.MaxEntities = 250_000
	}
	return []detect.Detector{
		&flows{lookup: lookup, o: netflow.NewOrienter(o.LocalNetworks), window: o.Window,
			seen: state.New[flowKey, state.Throttle](o.MaxEntities, o.Window)},
		&queries{lookup: lookup, window: o.Window, seen: state.New[queryKey, state.Throttle](o.MaxEntities, o.Window)},
		&callers{lookup: lookup},
	}
}

// GuardDutyTestDomain is the domain GuardDuty documents for testing: a
// query for it raises Backdoor:EC2/C&CActivity.B!DNS with no list loaded.
const GuardDutyTestDomain = "guarddutyc2activityb.com"

// intelInfo describes a match for additionalInfo: which list, which line,
// what entry, since when.
func intelInfo(h intel.Hit) map[string]any {
	return map[string]any{"threatListName": h.List, "threatListLine": h.Line, "threatListEntry": h.Value(),
		"threatCategory": h.Category.String(), "threatListLoaded": h.ListLoaded}
}

// ---- flows ----

type flows struct {
	lookup Lookup
	o      netflow.Orienter
	window time.Duration
	seen   *state.Table[flowKey, state.Throttle] // when each (instance, remote, type) last raised
}

type flowKey struct {
	inst   uint64 // netflow.InstanceKey
	remote state.Addr16
	port   uint16 // the probed port, for port probes (each is its own finding)
	typ    uint8
}

// flowTypes indexes the types the flow detector raises (flowKey.typ).
var flowTypes = []string{
	"Backdoor:EC2/C&CActivity.B", "CryptoCurrency:EC2/BitcoinTool.B", "UnauthorizedAccess:EC2/TorClient",
	"UnauthorizedAccess:EC2/TorRelay", "Trojan:EC2/DropPoint", "Trojan:EC2/BlackholeTraffic",
	"UnauthorizedAccess:EC2/MaliciousIPCaller.Custom", "Recon:EC2/PortProbeUnprotectedPort",
}

var flowSeverity = []float64{finding.SevHigh, finding.SevHigh, finding.SevHigh, finding.SevHigh, finding.SevMedium,
	finding.SevMedium, finding.SevMedium, finding.SevLow}

// torRelayPorts are the ORPort and DirPort Tor relays listen on (9050 and
// 9051 are a client's SOCKS and control ports, not a relay's).
var torRelayPorts = map[uint16]bool{9001: true, 9030: true}

func (d *flows) Info() detect.Info {
	return detect.Info{
		Name:        "EC2/ThreatIntelTraffic",
		Description: "An instance exchanges traffic with a host on a threat list: a C&C server, a mining pool, Tor, a drop point, a sinkhole, or a known malicious host probing it.",
		Tags:        []string{"network", "vpcflow", "ec2", "intel"},
		Types:       flowTypes,
		Kinds:       []event.Kind{event.KindVPCFlow},
	}
}

// flowType picks the finding type of a connection to or from a listed
// host, or -1. It looks at connections, not records: the reply a web
// server sends a Tor user is not the server connecting to Tor.
func flowType(h intel.Hit, f *netflow.Flow, accepted bool) int {
	if f.Reply {
		return -1
	}
	if h.Custom {
		if accepted {
			return 6
		}
		return -1
	}
	switch {
	case f.Dir == netflow.Egress:
		switch h.Category {
		case intel.CategoryC2:
			return 0
		case intel.CategoryCryptomining, intel.CategoryCryptocurrency:
			return 1
		case intel.CategoryTor:
			if torRelayPorts[f.LPort] {
				return 3 // a relay connecting out from its ORPort
			}
			return 2
		case intel.CategoryDropzone:
			return 4
		case intel.CategoryBlackhole:
			return 5
		}
	case accepted && f.Known:
		switch h.Category {
		case intel.CategoryTor:
			if torRelayPorts[f.LPort] {
				return 3
			}
		case intel.CategoryMalicious, intel.CategoryPhishing, intel.CategorySuspicious:
			return 7
		}
	}
	return -1
}

func (d *flows) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	n := &e.Net
	f, ok := d.o.Orient(n)
	if !ok {
		return out
	}
	r := d.lookup.CheckIP(f.Remote)
	if r.Verdict != intel.VerdictThreat {
		return out
	}
	typ := flowType(r.Threat, &f, n.Action == "ACCEPT")
	if typ < 0 {
		return out
	}
	k := flowKey{inst: netflow.InstanceKey(e, &f), remote: state.AddrKey(f.Remote), typ: uint8(typ)}
	if typ == 7 {
		k.port = f.LPort // each probed port is its own finding
	}
	th, _ := d.seen.Get(k, e.Time)
	if !th.Allow(e.Time, d.window) {
		return out
	}

	fd := netflow.NewFinding("EC2/ThreatIntelTraffic", flowTypes[typ], flowSeverity[typ], e, &f)
	h := r.Threat
	what := map[int]string{0: "a command and control server", 1: "a cryptocurrency mining host", 2: "a Tor node", 3: "Tor relays",
		4: "a host known to collect stolen data", 5: "a sinkholed (blackhole) address", 6: "a host on your threat list " + h.List,
		7: "a known malicious host"}[typ]
	if f.Dir == netflow.Egress {
		fd.Title = fmt.Sprintf("Instance %s is communicating with %s.", fd.Keys.Resource, what)
		fd.Description = fmt.Sprintf("Instance %s (%s) connected to %s port %d/%s, which is %s (list %s, line %d: %s).",
			fd.Keys.Resource, f.Local, f.Remote, f.RPort, netflow.ProtocolName(n.Protocol), what, h.List, h.Line, h.Value())
	} else {
		fd.Title = fmt.Sprintf("Instance %s is receiving traffic from %s.", fd.Keys.Resource, what)
		fd.Description = fmt.Sprintf("%s, %s (list %s, line %d: %s), reached instance %s (%s) on port %d/%s, which the security groups allow.",
			f.Remote, what, h.List, h.Line, h.Value(), fd.Keys.Resource, f.Local, f.LPort, netflow.ProtocolName(n.Protocol))
	}
	if typ == 7 {
		fd.Title = fmt.Sprintf("Unprotected port %d on instance %s is being probed by a known malicious host.", f.LPort, fd.Keys.Resource)
		fd.Keys.Actor = fmt.Sprintf("port %d", f.LPort)
		fd.Service.Action = finding.Action{ActionType: "PORT_PROBE", PortProbeAction: &finding.PortProbeAction{
			Blocked: false,
			PortProbeDetails: []finding.PortProbeDetail{{
				LocalPortDetails: &finding.PortDetails{Port: int(f.LPort), PortName: netflow.PortName(f.LPort)},
				LocalIPDetails:   fd.Service.Action.NetworkConnectionAction.LocalIPDetails,
				RemoteIPDetails:  fd.Service.Action.NetworkConnectionAction.RemoteIPDetails,
			}},
		}}
	}
	fd.Service.AdditionalInfo = intelInfo(h)
	return append(out, fd)
}

// ---- DNS queries ----

type queries struct {
	lookup Lookup
	window time.Duration
	seen   *state.Table[queryKey, state.Throttle] // a finding per (instance, domain, type) per window
}

type queryKey struct {
	src    uint64
	domain uint32
	typ    uint8
}

var dnsTypes = []string{
	"Backdoor:EC2/C&CActivity.B!DNS", "CryptoCurrency:EC2/BitcoinTool.B!DNS", "Trojan:EC2/DropPoint!DNS",
	"Trojan:EC2/BlackholeTraffic!DNS", "Trojan:EC2/PhishingDomainRequest!DNS", "Impact:EC2/MaliciousDomainRequest.Reputation",
	"Impact:EC2/MaliciousDomainRequest.Custom", "Impact:EC2/BitcoinDomainRequest.Reputation",
	"Impact:EC2/AbusedDomainRequest.Reputation", "Impact:EC2/SuspiciousDomainRequest.Reputation", "Trojan:EC2/DGADomainRequest.C!DNS",
}

var dnsSeverity = []float64{finding.SevHigh, finding.SevHigh, finding.SevMedium, finding.SevMedium, finding.SevHigh, finding.SevHigh,
	finding.SevMedium, finding.SevHigh, finding.SevMedium, finding.SevLow, finding.SevHigh}

// dnsType picks the type of a query for a listed domain, or -1.
func dnsType(h intel.Hit) int {
	if h.Custom {
		return 6
	}
	switch h.Category {
	case intel.CategoryC2:
		return 0
	case intel.CategoryCryptomining:
		return 1
	case intel.CategoryDropzone:
		return 2
	case intel.CategoryBlackhole:
		return 3
	case intel.CategoryPhishing:
		return 4
	case intel.CategoryMalicious:
		return 5
	case intel.CategoryCryptocurrency:
		return 7
	case intel.CategoryAbused:
		return 8
	case intel.CategorySuspicious:
		return 9
	case intel.CategoryDGA:
		return 10
	}
	return -1
}

func (d *queries) Info() detect.Info {
	return detect.Info{
		Name:        "EC2/ThreatIntelDNS",
		Description: "An instance queries a domain on a threat list (C&C, mining, cryptocurrency, drop point, sinkhole, phishing, DGA, malicious, abused, suspicious), or GuardDuty's test domain.",
		Tags:        []string{"dns", "ec2", "intel"},
		Types:       dnsTypes,
		Kinds:       []event.Kind{event.KindDNS},
	}
}

func (d *queries) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	q := strings.TrimSuffix(e.DNS.Query, ".")
	var h intel.Hit
	typ := 0
	if strings.EqualFold(q, GuardDutyTestDomain) || strings.HasSuffix(strings.ToLower(q), "."+GuardDutyTestDomain) {
		h = intel.Hit{Entry: intel.Entry{List: "guardduty-test", Category: intel.CategoryC2, Raw: GuardDutyTestDomain, Domain: GuardDutyTestDomain}}
	} else {
		r := d.lookup.CheckDomain(q)
		if r.Verdict != intel.VerdictThreat {
			return out
		}
		h = r.Threat
		if typ = dnsType(h); typ < 0 {
			return out
		}
	}
	src := state.HashID(e.DNS.InstanceID)
	if e.DNS.InstanceID == "" {
		src = state.HashAddr64(state.AddrKey(e.DNS.SrcAddr))
	}
	th, _ := d.seen.Get(queryKey{src, state.HashString(strings.ToLower(h.Value())), uint8(typ)}, e.Time)
	if !th.Allow(e.Time, d.window) {
		return out
	}
	sev := dnsSeverity[typ]
	dq := &e.DNS
	res := dq.InstanceID
	if res == "" {
		res = dq.SrcAddr.String()
	}
	f := finding.Finding{
		Type: dnsTypes[typ], Severity: sev, AccountID: strings.Clone(e.Account), Region: strings.Clone(e.Region),
		Resource: finding.Resource{ResourceType: "Instance", InstanceDetails: &finding.InstanceDetails{InstanceID: strings.Clone(dq.InstanceID),
			NetworkInterfaces: []finding.NetworkInterface{{PrivateIPAddress: dq.SrcAddr.String(), VpcID: strings.Clone(dq.VPCID)}}}},
		Service: finding.Service{
			DetectorID: "EC2/ThreatIntelDNS",
			Action: finding.Action{ActionType: "DNS_REQUEST", DNSRequestAction: &finding.DNSRequestAction{
				Domain: strings.Clone(q), Protocol: strings.Clone(dq.Transport), Blocked: dq.FirewallRuleAction == "BLOCK", DomainWithSuffix: strings.Clone(q)}},
			Count: 1, EventFirstSeen: e.Time, EventLastSeen: e.Time, ResourceRole: "ACTOR", FeatureName: "DnsLogs",
			AdditionalInfo: intelInfo(h),
		},
		Keys: finding.Keys{Resource: strings.Clone(res), Actor: strings.ToLower(h.Value())},
	}
	f.Title = fmt.Sprintf("Instance %s is querying %s, a domain on threat list %s.", res, q, h.List)
	f.Description = fmt.Sprintf("%s queried %s, which matches %s (list %s, line %d, category %s).", res, q, h.Value(), h.List, h.Line, h.Category)
	return append(out, f)
}

// ---- CloudTrail callers ----

type callers struct{ lookup Lookup }

var callerTypes = []string{
	"Recon:IAMUser/MaliciousIPCaller", "Recon:IAMUser/MaliciousIPCaller.Custom", "Recon:IAMUser/TorIPCaller",
	"UnauthorizedAccess:IAMUser/MaliciousIPCaller", "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom", "UnauthorizedAccess:IAMUser/TorIPCaller",
	"Discovery:S3/MaliciousIPCaller", "Discovery:S3/MaliciousIPCaller.Custom", "Discovery:S3/TorIPCaller",
	"Exfiltration:S3/MaliciousIPCaller", "Impact:S3/MaliciousIPCaller", "UnauthorizedAccess:S3/MaliciousIPCaller.Custom",
	"UnauthorizedAccess:S3/TorIPCaller",
}

func (d *callers) Info() detect.Info {
	return detect.Info{
		Name:        "IAMUser/ThreatIntelCaller",
		Description: "An AWS API was called from an address on a threat list or a Tor exit node.",
		Tags:        []string{"cloudtrail", "iam", "s3", "intel"},
		Types:       callerTypes,
		Kinds:       []event.Kind{event.KindCloudTrail},
	}
}

// s3Reads are S3 calls that read objects (exfiltration), as opposed to
// listing and describing buckets (discovery).
func s3ObjectRead(action string) bool {
	switch action {
	case "GetObject", "CopyObject", "GetObjectTorrent", "SelectObjectContent", "RestoreObject", "UploadPartCopy":
		return true
	}
	return false
}

// callerType picks the type of a call from a listed address: by service
// (S3 or the rest), by what the call does, and by the list.
func callerType(e *event.Event, h intel.Hit) (string, float64) {
	tor := h.Category == intel.CategoryTor
	readOnly := e.ReadOnly || strings.HasPrefix(e.Action, "List") || strings.HasPrefix(e.Action, "Describe") || strings.HasPrefix(e.Action, "Get")
	if e.Service == "s3.amazonaws.com" {
		switch {
		case tor && readOnly && !s3ObjectRead(e.Action):
			return "Discovery:S3/TorIPCaller", finding.SevMedium
		case tor:
			return "UnauthorizedAccess:S3/TorIPCaller", finding.SevHigh
		case h.Custom && readOnly && !s3ObjectRead(e.Action):
			return "Discovery:S3/MaliciousIPCaller.Custom", finding.SevHigh
		case h.Custom:
			return "UnauthorizedAccess:S3/MaliciousIPCaller.Custom", finding.SevHigh
		case s3ObjectRead(e.Action):
			return "Exfiltration:S3/MaliciousIPCaller", finding.SevHigh
		case readOnly:
			return "Discovery:S3/MaliciousIPCaller", finding.SevHigh
		}
		return "Impact:S3/MaliciousIPCaller", finding.SevHigh
	}
	switch {
	case tor && readOnly:
		return "Recon:IAMUser/TorIPCaller", finding.SevMedium
	case tor:
		return "UnauthorizedAccess:IAMUser/TorIPCaller", finding.SevMedium
	case h.Custom && readOnly:
		return "Recon:IAMUser/MaliciousIPCaller.Custom", finding.SevMedium
	case h.Custom:
		return "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom", finding.SevMedium
	case readOnly:
		return "Recon:IAMUser/MaliciousIPCaller", finding.SevMedium
	}
	return "UnauthorizedAccess:IAMUser/MaliciousIPCaller", finding.SevMedium
}

func (d *callers) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	if e.SourceIP == "" || e.Action == "" || e.Actor.Type == "AWSService" {
		return out
	}
	ip, err := netip.ParseAddr(e.SourceIP)
	if err != nil {
		return out
	}
	r := d.lookup.CheckIP(ip)
	if r.Verdict != intel.VerdictThreat {
		return out
	}
	h := r.Threat
	typ, sev := callerType(e, h)
	a := &e.Actor
	name := a.Name()
	f := finding.Finding{
		Type: typ, Severity: sev, AccountID: strings.Clone(e.Account), Region: strings.Clone(e.Region),
		Resource: finding.Resource{ResourceType: "AccessKey", AccessKeyDetails: &finding.AccessKeyDetails{
			AccessKeyID: strings.Clone(a.AccessKeyID), PrincipalID: strings.Clone(a.PrincipalID), UserName: strings.Clone(name), UserType: strings.Clone(a.Type)}},
		Service: finding.Service{
			DetectorID: "IAMUser/ThreatIntelCaller",
			Action: finding.Action{ActionType: "AWS_API_CALL", AwsAPICallAction: &finding.AwsAPICallAction{
				API: strings.Clone(e.Action), ServiceName: strings.Clone(e.Service), CallerType: "Remote IP", ErrorCode: strings.Clone(e.ErrorCode),
				UserAgent: strings.Clone(a.UserAgent), RemoteIPDetails: netflow.IPDetails(ip)}},
			Count: 1, EventFirstSeen: e.Time, EventLastSeen: e.Time, ResourceRole: "TARGET", FeatureName: "CloudTrail",
			AdditionalInfo: intelInfo(h),
		},
		Keys: finding.Keys{Resource: strings.Clone(a.AccessKeyID), Actor: ip.String()},
	}
	if f.Keys.Resource == "" {
		f.Keys.Resource = strings.Clone(a.ARN)
	}
	what := "a known malicious IP address"
	if h.Category == intel.CategoryTor {
		what = "a Tor exit node"
	} else if h.Custom {
		what = "an IP address on your threat list " + h.List
	}
	f.Title = fmt.Sprintf("API %s was invoked from %s.", e.Action, what)
	f.Description = fmt.Sprintf("%s (%s) was called by %s from %s, %s (list %s, line %d: %s).",
		e.Action, e.Service, name, ip, what, h.List, h.Line, h.Value())
	return append(out, f)
}

// StateStats report the detectors' tables (state.Reporter).
func (d *flows) StateStats() state.Stats   { return d.seen.Stats() }
func (d *queries) StateStats() state.Stats { return d.seen.Stats() }

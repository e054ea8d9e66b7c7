// Package dnsquery holds Picket's detectors over DNS query logs (Route 53
// Resolver), named after GuardDuty's EC2 DNS finding types: data hidden in
// DNS queries (tunnelling), domains made by a generation algorithm (DGA),
// and DNS rebinding to the instance metadata service. Stateful ones count
// over windows of event time in bounded tables (package state).
package dnsquery

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/detect/state"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// Config tunes the detectors. Zero values take the defaults; a negative
// threshold turns that finding type off.
type Config struct {
	// Window is how far back counts reach (event time). Default 10m.
	Window time.Duration `yaml:"window"`
	// ExfilNames: distinct long, random-looking names under one domain
	// queried by one instance within Window (Trojan:EC2/DNSDataExfiltration).
	// Default 20.
	ExfilNames int `yaml:"exfil_names"`
	// ExfilMinLength: the part of a name before its registered domain must
	// be at least this long to carry data. Default 30.
	ExfilMinLength int `yaml:"exfil_min_length"`
	// ExfilIgnoreDomains are registered domains whose long generated names
	// are services (AWS's endpoint and resource names), not tunnels.
	// Default DefaultExfilIgnoreDomains; set your own to replace them.
	ExfilIgnoreDomains []string `yaml:"exfil_ignore_domains"`
	// DGADomains: distinct random-looking domains that do not exist
	// (NXDOMAIN) queried by one instance within Window
	// (Trojan:EC2/DGADomainRequest.B). Default 10.
	DGADomains int `yaml:"dga_domains"`
	// MaxEntities bounds each detector's state table. Default 250000.
	MaxEntities int `yaml:"max_entities"`
}

// Defaults.
const (
	DefaultWindow         = 10 * time.Minute
	DefaultExfilNames     = 20
	DefaultExfilMinLength = 30
	DefaultDGADomains     = 10
	DefaultMaxEntities    = 250_000
	maxDistinct           = state.SetCap
)

// DefaultExfilIgnoreDomains are AWS's domains, where generated names
// (EKS endpoints, VPC endpoints, load balancers, buckets) are ordinary.
var DefaultExfilIgnoreDomains = []string{"amazonaws.com", "amazonaws.com.cn", "api.aws", "on.aws", "aws.dev",
	"cloudfront.net", "awsglobalaccelerator.com", "amazon.com", "awsapps.com", "amazoncognito.com", "lambda-url.on.aws"}

func (c Config) withDefaults() Config {
	if c.ExfilIgnoreDomains == nil {
		c.ExfilIgnoreDomains = DefaultExfilIgnoreDomains
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.ExfilNames == 0 {
		c.ExfilNames = DefaultExfilNames
	}
	if c.ExfilMinLength == 0 {
		c.ExfilMinLength = DefaultExfilMinLength
	}
	if c.DGADomains == 0 {
		c.DGADomains = DefaultDGADomains
	}
	if c.MaxEntities == 0 {
		c.MaxEntities = DefaultMaxEntities
	}
	return c
}

// Validate reports every problem of c.
func (c Config) Validate() error {
	var errs []error
	if c.Window < 0 {
		errs = append(errs, errors.New("window must not be negative"))
	}
	if c.ExfilNames > maxDistinct || c.DGADomains > maxDistinct {
		errs = append(errs, fmt.Errorf("exfil_names and dga_domains: at most %d", maxDistinct))
	}
	if c.ExfilMinLength < 0 {
		errs = append(errs, errors.New("exfil_min_length must not be negative (turn the finding off with exfil_names: -1)"))
	}
	if c.MaxEntities < 0 {
		errs = append(errs, errors.New("max_entities must not be negative"))
	}
	return errors.Join(errs...)
}

// All returns the DNS detectors configured by c.
func All(c Config) []detect.Detector {
	c = c.withDefaults()
	return []detect.Detector{newExfil(c), newDGA(c), rebind{}}
}

var dnsKinds = []event.Kind{event.KindDNS}

// source names who asked, as a 64-bit hash (small keys keep memory per
// tracked entity low): the instance, or the address for queries that came
// in through a resolver endpoint.
type source uint64

func sourceOf(e *event.Event) source {
	if id := e.DNS.InstanceID; id != "" {
		return source(state.HashID(id))
	}
	return source(state.HashAddr64(state.AddrKey(e.DNS.SrcAddr)))
}

// counted is a sliding distinct count and a once-per-window throttle.
type counted struct {
	state.Sliding
	raised state.Throttle
}

// ---- Trojan:EC2/DNSDataExfiltration ----

type exfil struct {
	cfg    Config
	t      *state.Table[exfilKey, counted]
	ignore map[string]bool // registered domains whose long names are services, not tunnels
}

type exfilKey struct {
	src    source
	domain uint32 // 32-bit hash of the registered domain
}

func newExfil(c Config) *exfil {
	ig := map[string]bool{}
	for _, d := range c.ExfilIgnoreDomains {
		ig[strings.ToLower(strings.TrimSuffix(d, "."))] = true
	}
	return &exfil{cfg: c, t: state.New[exfilKey, counted](c.MaxEntities, c.Window), ignore: ig}
}

func (d *exfil) Info() detect.Info {
	return detect.Info{
		Name:        "Trojan:EC2/DNSDataExfiltration",
		Description: "An instance queries many long, random-looking names under one domain: data leaving in DNS queries (tunnelling).",
		Tags:        []string{"dns", "ec2", "exfiltration"},
		Types:       []string{"Trojan:EC2/DNSDataExfiltration"},
		Kinds:       dnsKinds,
	}
}

func (d *exfil) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	if d.cfg.ExfilNames <= 0 {
		return out
	}
	name := trimDot(e.DNS.Query)
	reg := RegisteredDomain(name)
	cut := len(name) - len(reg) - 1
	if cut < max(d.cfg.ExfilMinLength, 1) || d.ignore[lower(reg)] {
		return out
	}
	if !dataLike(name[:cut]) {
		return out
	}
	st, _ := d.t.Get(exfilKey{sourceOf(e), state.HashString(lower(reg))}, e.Time)
	n := st.Add(state.HashString16(name), e.Time, d.cfg.Window)
	if n < d.cfg.ExfilNames || !st.raised.Allow(e.Time, d.cfg.Window) {
		return out
	}
	f := newFinding(d.Info().Name, "Trojan:EC2/DNSDataExfiltration", finding.SevHigh, e, reg)
	f.Title = fmt.Sprintf("Instance %s is exfiltrating data through DNS queries to %s.", f.Keys.Resource, reg)
	f.Description = fmt.Sprintf("%s queried %d distinct long, random-looking names under %s within %s (e.g. %s): the pattern of DNS tunnelling.",
		f.Keys.Resource, n, reg, d.cfg.Window, truncate(name, 120))
	f.Service.AdditionalInfo = map[string]any{"distinctNames": n, "domain": clone(reg)}
	return append(out, f)
}

// dataLike reports whether the labels of s look like encoded data: long
// runs of hex, base32 or base64 with high entropy, not words.
func dataLike(s string) bool {
	n, alnum := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			continue
		}
		n++
		if c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' {
			alnum++
		}
	}
	return n > 0 && alnum*10 >= n*9 && Entropy(s) >= 3.5
}

// ---- Trojan:EC2/DGADomainRequest.B ----

type dga struct {
	cfg Config
	t   *state.Table[source, counted]
}

func newDGA(c Config) *dga {
	return &dga{cfg: c, t: state.New[source, counted](c.MaxEntities, c.Window)}
}

func (d *dga) Info() detect.Info {
	return detect.Info{
		Name:        "Trojan:EC2/DGADomainRequest.B",
		Description: "An instance looks up many random-looking domains that do not exist: malware searching for its command server with a domain generation algorithm.",
		Tags:        []string{"dns", "ec2", "malware"},
		Types:       []string{"Trojan:EC2/DGADomainRequest.B"},
		Kinds:       dnsKinds,
	}
}

func (d *dga) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	if d.cfg.DGADomains <= 0 || e.DNS.RCode != "NXDOMAIN" {
		return out
	}
	reg := RegisteredDomain(trimDot(e.DNS.Query))
	if !Generated(reg) {
		return out
	}
	st, _ := d.t.Get(sourceOf(e), e.Time)
	n := st.Add(state.HashString16(lower(reg)), e.Time, d.cfg.Window)
	if n < d.cfg.DGADomains || !st.raised.Allow(e.Time, d.cfg.Window) {
		return out
	}
	f := newFinding(d.Info().Name, "Trojan:EC2/DGADomainRequest.B", finding.SevHigh, e, "dga")
	f.Title = fmt.Sprintf("Instance %s is querying algorithmically generated domains.", f.Keys.Resource)
	f.Description = fmt.Sprintf("%s looked up %d distinct random-looking domains that do not exist within %s (the last one %s): malware with a domain generation algorithm looks for its command server this way.",
		f.Keys.Resource, n, d.cfg.Window, reg)
	f.Service.AdditionalInfo = map[string]any{"distinctDomains": n}
	return append(out, f)
}

// Generated reports whether a registered domain looks made by an
// algorithm: its first label is long, has high entropy and few vowels, or
// mixes letters and digits throughout. Dictionary-like names pass as human.
func Generated(domain string) bool {
	label := domain
	if i := strings.IndexByte(domain, '.'); i >= 0 {
		label = domain[:i]
	}
	if len(label) < 10 {
		return false
	}
	vowels, digits, letters := 0, 0, 0
	for i := 0; i < len(label); i++ {
		switch c := label[i] | 0x20; {
		case strings.IndexByte("aeiouy", c) >= 0:
			vowels++
			letters++
		case c >= 'a' && c <= 'z':
			letters++
		case label[i] >= '0' && label[i] <= '9':
			digits++
		}
	}
	if letters == 0 {
		return false
	}
	h := Entropy(label)
	return h >= 3.0 && (vowels*100 < letters*30 || (digits >= 3 && letters >= 3 && h >= 3.4))
}

// ---- UnauthorizedAccess:EC2/MetadataDNSRebind ----

type rebind struct{}

var imds = [...]netip.Addr{netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("fd00:ec2::254")}

func (rebind) Info() detect.Info {
	return detect.Info{
		Name:        "UnauthorizedAccess:EC2/MetadataDNSRebind",
		Description: "A name outside AWS resolved to the instance metadata service's address: a DNS rebinding attack on the instance's credentials.",
		Tags:        []string{"dns", "ec2", "credential-access"},
		Types:       []string{"UnauthorizedAccess:EC2/MetadataDNSRebind"},
		Kinds:       dnsKinds,
	}
}

func (r rebind) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	for _, a := range e.DNS.Answers {
		if a.Type != "A" && a.Type != "AAAA" {
			continue
		}
		ip, err := netip.ParseAddr(a.Data)
		if err != nil || (ip.Unmap() != imds[0] && ip != imds[1]) {
			continue
		}
		name := trimDot(e.DNS.Query)
		if l := lower(name); strings.HasSuffix(l, ".internal") || l == "instance-data" || strings.HasPrefix(l, "instance-data.") {
			return out // AWS's own names for the metadata service (…compute.internal, ec2.internal)
		}
		f := newFinding(r.Info().Name, "UnauthorizedAccess:EC2/MetadataDNSRebind", finding.SevHigh, e, name)
		f.Title = fmt.Sprintf("Instance %s is performing DNS lookups that resolve to the instance metadata domain.", f.Keys.Resource)
		f.Description = fmt.Sprintf("%s resolved %s, which answered %s, the instance metadata service: a DNS rebinding attack can use this to read the instance's credentials.",
			f.Keys.Resource, name, ip)
		return append(out, f)
	}
	return out
}

// newFinding fills what every DNS finding has. actor is the fingerprint's
// actor part (the domain the finding is about).
func newFinding(detector, typ string, sev float64, e *event.Event, actor string) finding.Finding {
	q := &e.DNS
	res := q.InstanceID
	inst := &finding.InstanceDetails{InstanceID: clone(q.InstanceID)}
	if res == "" {
		res = q.SrcAddr.String()
	}
	if q.VPCID != "" || q.SrcAddr.IsValid() {
		inst.NetworkInterfaces = []finding.NetworkInterface{{PrivateIPAddress: q.SrcAddr.String(), VpcID: clone(q.VPCID)}}
	}
	domain := trimDot(q.Query)
	return finding.Finding{
		Type:      typ,
		Severity:  sev,
		AccountID: clone(e.Account),
		Region:    clone(e.Region),
		Resource:  finding.Resource{ResourceType: "Instance", InstanceDetails: inst},
		Service: finding.Service{
			DetectorID: detector,
			Action: finding.Action{ActionType: "DNS_REQUEST", DNSRequestAction: &finding.DNSRequestAction{
				Domain: clone(domain), Protocol: clone(q.Transport), Blocked: q.FirewallRuleAction == "BLOCK",
				DomainWithSuffix: clone(domain),
			}},
			Count:          1,
			EventFirstSeen: e.Time,
			EventLastSeen:  e.Time,
			ResourceRole:   "ACTOR",
			FeatureName:    "DnsLogs",
		},
		Keys: finding.Keys{Resource: clone(res), Actor: clone(lower(actor))},
	}
}

// RegisteredDomain approximates the domain a name was registered under:
// its last two labels, or three when the second-level label is a short
// generic one under a two-letter country code (example.co.uk). It is a
// heuristic, not the public suffix list: it only groups queries.
func RegisteredDomain(name string) string {
	name = trimDot(name)
	last := strings.LastIndexByte(name, '.')
	if last < 0 {
		return name
	}
	second := strings.LastIndexByte(name[:last], '.')
	if second < 0 {
		return name
	}
	tld, sld := name[last+1:], name[second+1:last]
	if len(tld) == 2 && len(sld) <= 3 {
		if third := strings.LastIndexByte(name[:second], '.'); third >= 0 {
			return name[third+1:]
		}
		return name
	}
	return name[second+1:]
}

// Entropy is the Shannon entropy of s in bits per character, ignoring dots.
func Entropy(s string) float64 {
	var counts [256]int
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			continue
		}
		counts[s[i]|0x20]++
		n++
	}
	if n == 0 {
		return 0
	}
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(n)
			h -= p * math.Log2(p)
		}
	}
	return h
}

func trimDot(s string) string { return strings.TrimSuffix(s, ".") }

// lower returns s in lower case, without allocating when it already is.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

func clone(s string) string { return strings.Clone(s) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// StateStats report the detectors' tables (state.Reporter).
func (d *exfil) StateStats() state.Stats { return d.t.Stats() }
func (d *dga) StateStats() state.Stats   { return d.t.Stats() }

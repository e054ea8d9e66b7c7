// Package credexfil detects credentials used where they should not be:
// EC2 instance-role and other resource-role session credentials used
// outside AWS or from another AWS address, and the root user acting with
// short-term (sts:AssumeRoot) credentials. The detectors are named after
// the GuardDuty finding types with GuardDuty's default severities:
//
//   - UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS (High)
//   - UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS (High)
//   - UnauthorizedAccess:IAMUser/ResourceCredentialExfiltration.OutsideAWS (High)
//   - Policy:IAMUser/ShortTermRootCredentialUsage (Low)
//
// Telling AWS from elsewhere needs AWS's published address ranges
// (package awsip); without them the three exfiltration detectors are not
// built (see New). The signals and heuristics are described in
// docs/credential-exfiltration.md.
package credexfil

import (
	"errors"
	"hash/maphash"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/awsip"
	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// Finding types (and detector names).
const (
	TypeInstanceOutside = "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"
	TypeInstanceInside  = "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS"
	TypeResourceOutside = "UnauthorizedAccess:IAMUser/ResourceCredentialExfiltration.OutsideAWS"
	TypeShortTermRoot   = "Policy:IAMUser/ShortTermRootCredentialUsage"
)

// ErrNoRanges is returned by New when no AWS IP ranges are configured:
// the exfiltration detectors are then not built. It is a warning for the
// caller to log, naming the setting (detectors.aws_ip_ranges).
var ErrNoRanges = errors.New("credential exfiltration detectors disabled: no AWS IP ranges configured (set detectors.aws_ip_ranges to a copy of https://ip-ranges.amazonaws.com/ip-ranges.json)")

// Options tune the detectors. The zero value is usable.
type Options struct {
	// OwnPrefixes are the organisation's own egress networks (NAT gateway
	// Elastic IPs, proxies, VPN and office egress). Credentials used from
	// them are never reported, inside or outside AWS.
	OwnPrefixes []netip.Prefix
	// OwnAccounts are accounts whose VPC endpoints are the organisation's
	// (a shared-services VPC): instance credentials used through their
	// endpoints are not InsideAWS. The credential's own account always is.
	OwnAccounts []string
	// MaxSessions bounds each detector's state (instance sessions with
	// their home addresses; learned resource sessions). Default 100,000.
	MaxSessions int
	// HomeTTL is how long an instance session's home addresses are kept
	// without activity (event time). Default 24h.
	HomeTTL time.Duration
	// LearnFor is how long after the first AWS address of an instance
	// session further new AWS addresses still join its home set (up to
	// MaxHome per address family). Default 0: only the first.
	LearnFor time.Duration
	// MaxHome bounds the home set per address family. Default 4.
	MaxHome int
	// ResourceServices are the service principals whose AssumeRole calls
	// issue resource credentials (Lambda execution roles, ECS task roles).
	// Default lambda.amazonaws.com and ecs-tasks.amazonaws.com.
	ResourceServices []string
	// ResourceTTL is how long a learned resource session is remembered.
	// Default 12h (the longest a role session can last).
	ResourceTTL time.Duration
}

func (o *Options) defaults() {
	if o.MaxSessions <= 0 {
		o.MaxSessions = 100_000
	}
	if o.HomeTTL <= 0 {
		o.HomeTTL = 24 * time.Hour
	}
	if o.MaxHome <= 0 {
		o.MaxHome = 4
	}
	o.MaxHome = min(o.MaxHome, maxHome)
	if len(o.ResourceServices) == 0 {
		o.ResourceServices = []string{"lambda.amazonaws.com", "ecs-tasks.amazonaws.com"}
	}
	if o.ResourceTTL <= 0 {
		o.ResourceTTL = 12 * time.Hour
	}
}

// New returns the credential detectors. With ranges nil the three
// exfiltration detectors cannot tell an AWS address from any other and are
// not built: New returns Policy:IAMUser/ShortTermRootCredentialUsage alone,
// with ErrNoRanges. Each call makes new detectors with their own state.
func New(ranges *awsip.Ranges, o Options) ([]detect.Detector, error) {
	o.defaults()
	root := shortTermRoot{}
	if ranges == nil {
		return []detect.Detector{root}, ErrNoRanges
	}
	c := &common{ranges: ranges, o: o, seed: maphash.MakeSeed()}
	c.o.OwnPrefixes = slices.Clone(o.OwnPrefixes)
	c.o.OwnAccounts = slices.Clone(o.OwnAccounts)
	for i, p := range c.o.OwnPrefixes {
		c.o.OwnPrefixes[i] = p.Masked()
	}
	return []detect.Detector{
		&instanceOutside{c: c},
		newInstanceInside(c),
		newResourceOutside(c),
		root,
	}, nil
}

var ctKinds = []event.Kind{event.KindCloudTrail}

// Field paths, compiled once.
var (
	pRoleDelivery  = event.ParsePath("userIdentity.sessionContext.ec2RoleDelivery")
	pAssumedRoot   = event.ParsePath("userIdentity.sessionContext.assumedRoot")
	pVPCE          = event.ParsePath("vpcEndpointId")
	pVPCEAccount   = event.ParsePath("vpcEndpointAccountId")
	pRoleArn       = event.ParsePath("requestParameters.roleArn")
	pSessionName   = event.ParsePath("requestParameters.roleSessionName")
	pInstanceID    = event.ParsePath("requestParameters.instanceId")
	pInstanceItems = event.ParsePath("requestParameters.instancesSet.items")
)

// common is what the exfiltration detectors share: the ranges, options
// and the classification of credentials and source addresses.
type common struct {
	ranges *awsip.Ranges
	o      Options
	seed   maphash.Seed
}

// session is a role session read from the event (strings borrowed).
type session struct {
	account    string // the role's account, from the assumed-role ARN
	role       string // role name
	name       string // session name
	instanceID string // set when the session name is an instance ID
	delivery   string // sessionContext.ec2RoleDelivery, read only when instanceID is empty
}

// instance reports whether the session carries EC2 instance-role
// credentials.
func (s *session) instance() bool { return s.instanceID != "" || s.delivery != "" }

// roleSession reads a role session that used temporary (ASIA) keys. It
// is the common path's first filter and does not allocate.
func roleSession(e *event.Event, s *session) bool {
	a := &e.Actor
	if a.Type != "AssumedRole" || !strings.HasPrefix(a.AccessKeyID, "ASIA") || a.InvokedBy != "" {
		return false
	}
	acct, role, name, ok := parseAssumedRole(a.ARN)
	if !ok {
		return false
	}
	s.account, s.role, s.name = acct, role, name
	if isInstanceID(name) {
		// Enough on its own; ec2RoleDelivery is read for the finding.
		s.instanceID = name
		return true
	}
	s.delivery = e.Str(pRoleDelivery)
	if s.delivery == "" {
		// Some producers write it as a number.
		if v := e.Value(pRoleDelivery); v != nil && v.Type() == fastjson.TypeNumber {
			s.delivery = "present"
		}
	}
	return true
}

// parseAssumedRole splits arn:aws:sts::<account>:assumed-role/<role>/<session>.
func parseAssumedRole(arn string) (account, role, name string, ok bool) {
	rest, ok := strings.CutPrefix(arn, "arn:")
	if !ok {
		return
	}
	// partition:sts::account:assumed-role/role/name
	i := strings.Index(rest, ":sts::")
	if i < 0 {
		return "", "", "", false
	}
	rest = rest[i+len(":sts::"):]
	account, rest, ok = strings.Cut(rest, ":assumed-role/")
	if !ok || account == "" {
		return "", "", "", false
	}
	role, name, ok = strings.Cut(rest, "/")
	if !ok || role == "" || name == "" {
		return "", "", "", false
	}
	return account, role, name, true
}

// isInstanceID reports whether s is an EC2 instance ID: i- and 8 or 17
// hex digits. Upper case is accepted: anonymised samples (the Stratus Red
// Team logs) mix cases; AWS writes lower case.
func isInstanceID(s string) bool {
	if len(s) != 10 && len(s) != 19 || s[0] != 'i' || s[1] != '-' {
		return false
	}
	for i := 2; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// where a call came from.
type where uint8

const (
	fromNowhere where = iota // not an exfiltration question: a service, a VPC endpoint, a private or own address
	fromOutside              // a public address outside AWS's ranges
	fromAWS                  // an address in AWS's ranges
)

// source classifies the caller's address. It does not allocate.
func (c *common) source(e *event.Event) (netip.Addr, awsip.Range, where) {
	ip, err := netip.ParseAddr(e.SourceIP)
	if err != nil {
		// An AWS service's name ("ec2.amazonaws.com", "AWS Internal/3").
		return ip, awsip.Range{}, fromNowhere
	}
	ip = ip.Unmap()
	if e.Str(pVPCE) != "" {
		// Through a VPC endpoint: the address is the VPC's own.
		return ip, awsip.Range{}, fromNowhere
	}
	if !public(ip) || c.own(ip) {
		return ip, awsip.Range{}, fromNowhere
	}
	if rg, ok := c.ranges.Lookup(ip); ok {
		return ip, rg, fromAWS
	}
	return ip, awsip.Range{}, fromOutside
}

var (
	cgnat     = netip.MustParsePrefix("100.64.0.0/10")
	benchmark = netip.MustParsePrefix("198.18.0.0/15")
)

// public reports whether ip is a globally routable unicast address.
func public(ip netip.Addr) bool {
	if !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return false
	}
	return !cgnat.Contains(ip) && !benchmark.Contains(ip)
}

func (c *common) own(ip netip.Addr) bool {
	for _, p := range c.o.OwnPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func (c *common) ownAccount(a string) bool { return slices.Contains(c.o.OwnAccounts, a) }

// key hashes parts into a state key (no pointers, no allocation).
func (c *common) key(parts ...string) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	for _, p := range parts {
		h.WriteString(p)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// network names the source network a finding aggregates on: the /24 of
// an IPv4 address, the /64 of an IPv6 one.
func network(ip netip.Addr) netip.Prefix {
	if ip.Is4() {
		p, _ := ip.Prefix(24)
		return p
	}
	p, _ := ip.Prefix(64)
	return p
}

// newFinding fills a credential finding: the API call, the caller's
// address, the instance (when known) as the resource, and the identity
// (credential session, source network).
func newFinding(name, typ string, sev float64, e *event.Event, s *session, netKey string) finding.Finding {
	f := detect.APICallFinding(name, typ, sev, e)
	if s != nil && s.instanceID != "" {
		f.Resource.ResourceType = "Instance"
		f.Resource.InstanceDetails = &finding.InstanceDetails{InstanceID: strings.Clone(s.instanceID)}
	}
	f.Keys.Resource = netKey
	return f
}

func who(e *event.Event) string {
	a := &e.Actor
	return a.ARN + " (access key " + a.AccessKeyID + ")"
}

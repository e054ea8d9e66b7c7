// Package event holds the normalized event every decoder produces and every
// detector consumes: one shape for all sources, plus the raw record for
// field-path access.
//
// Events produced by the fast decoders borrow their memory: strings and the
// raw DOM point into a parser buffer that is reused for the next record. An
// *Event is therefore only valid during the call that receives it; code that
// keeps anything must copy it (Clone, strings.Clone).
package event

import (
	"net/netip"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/finding"
)

// Kind is the kind of log an event came from.
type Kind uint8

// Kinds of events. New sources add a kind here and one line in kindNames.
const (
	KindUnknown Kind = iota
	KindCloudTrail
	KindVPCFlow  // VPC Flow Logs: Event.Net
	KindDNS      // Route 53 Resolver query logs: Event.DNS
	KindK8sAudit // Kubernetes / EKS audit logs: Raw is the audit event
	KindFinding  // a finding from another producer (GuardDuty, Security Hub): Event.Finding
)

var kindNames = [...]string{KindUnknown: "unknown", KindCloudTrail: "cloudtrail", KindVPCFlow: "vpcflow", KindDNS: "dns", KindK8sAudit: "k8saudit", KindFinding: "finding"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Origin says where a record came from, precisely enough to find it again.
type Origin struct {
	Source string `json:"source"`         // configured source name ("scan", "demo", …)
	Path   string `json:"path"`           // file path, object key, or "-" for stdin
	Index  int64  `json:"index"`          // 0-based record index within Path
	Offset int64  `json:"offset"`         // byte offset of the record in the decompressed stream
	Line   int64  `json:"line,omitempty"` // 1-based line where the record starts
}

// Actor is who made the call.
type Actor struct {
	Type              string // userIdentity.type: IAMUser, AssumedRole, Root, AWSService, …
	ARN               string
	PrincipalID       string
	AccountID         string
	UserName          string
	AccessKeyID       string
	SessionIssuerARN  string
	SessionIssuerType string
	SessionIssuerName string
	InvokedBy         string // set when an AWS service acted on the principal's behalf
	MFAAuthenticated  bool
	UserAgent         string
}

// Name is the most readable name of the actor: the user name, the session
// issuer (role) name, or the ARN.
func (a *Actor) Name() string {
	switch {
	case a.UserName != "":
		return a.UserName
	case a.SessionIssuerName != "":
		return a.SessionIssuerName
	case a.Type == "Root":
		return "root"
	}
	return a.ARN
}

// Resource is a resource named by the record (CloudTrail's resources array).
type Resource struct {
	Type      string
	ARN       string
	AccountID string
}

// Network describes a flow (VPC Flow Logs). Addresses are parsed values,
// not strings: detectors compare and look them up without allocating.
// Fields a log format does not carry are zero (an invalid netip.Addr, "").
type Network struct {
	SrcAddr, DstAddr netip.Addr
	SrcPort, DstPort uint16
	Protocol         uint8 // IANA protocol number: 6 TCP, 17 UDP, 1 ICMP
	Packets, Bytes   int64
	Start, End       time.Time
	Action           string // ACCEPT or REJECT
	LogStatus        string // OK, NODATA or SKIPDATA
	InterfaceID      string // eni-…
	InstanceID       string // i-… (flow log v3+)
	// InstanceIDLogged says the record has an instance-id field: an empty
	// InstanceID then means the interface belongs to no instance (a NAT
	// gateway, a load balancer, a VPC endpoint).
	InstanceIDLogged       bool
	VPCID, SubnetID        string
	Direction              string // ingress or egress (flow log v5), "" when not logged
	TCPFlags               uint16 // OR of the flags seen (v3+): FIN 1, SYN 2, RST 4, SYN-ACK 18
	TCPFlagsLogged         bool   // the record has a tcp-flags value (0 then means none were seen)
	PktSrcAddr, PktDstAddr netip.Addr
}

// DNSAnswer is one answer of a DNS response.
type DNSAnswer struct {
	Data, Type, Class string
}

// DNS describes a DNS query (Route 53 Resolver query logs).
type DNS struct {
	Query      string // the name asked for, as logged (with its trailing dot)
	QueryType  string // A, AAAA, TXT, …
	QueryClass string
	RCode      string // NOERROR, NXDOMAIN, …
	Answers    []DNSAnswer
	SrcAddr    netip.Addr
	SrcPort    uint16
	Transport  string // UDP, TCP, DoH, …
	VPCID      string
	InstanceID string // srcids.instance
	// ResolverEndpoint is srcids.resolver_endpoint (queries from outside
	// the VPC through an inbound endpoint).
	ResolverEndpoint string
	// Route 53 Resolver DNS Firewall, when a rule matched.
	FirewallRuleAction   string // ALERT, BLOCK, ALLOW
	FirewallRuleGroupID  string
	FirewallDomainListID string
}

// Event is one normalized record.
type Event struct {
	Kind     Kind
	Time     time.Time
	ID       string // eventID
	Account  string // account the event belongs to (recipientAccountId)
	Region   string
	Actor    Actor
	SourceIP string // sourceIPAddress: an IP, or a service name such as "s3.amazonaws.com"

	Service  string // eventSource, e.g. "cloudtrail.amazonaws.com"
	Action   string // eventName, e.g. "StopLogging"
	Type     string // eventType: AwsApiCall, AwsConsoleSignIn, AwsServiceEvent, AwsCloudTrailInsight, …
	Category string // eventCategory: Management, Data, Insight, NetworkActivity
	ReadOnly bool

	ErrorCode    string
	ErrorMessage string
	// Failed says the call did not succeed: an errorCode, or a console
	// sign-in whose response says "Failure" (those carry no errorCode).
	Failed bool

	Resources []Resource

	Net Network // KindVPCFlow
	DNS DNS     // KindDNS
	// Finding is the producer's finding mapped to Picket's (GuardDuty)
	// schema, for KindFinding. Like the rest of the event it may borrow
	// the decoder's memory: detectors keep a Detach'ed copy.
	Finding *finding.Finding

	// Raw is the record as a parsed JSON DOM (for EventBridge envelopes, the
	// detail). Nil for non-JSON sources.
	Raw *fastjson.Value
	// RawBytes is the record exactly as read (an envelope included, except
	// for KindFinding, whose Raw and RawBytes are the finding itself).
	RawBytes []byte

	Origin Origin
}

// Success reports whether the call succeeded (no error code).
func (e *Event) Success() bool { return !e.Failed }

// Reset clears e for reuse, keeping the Resources and DNS answers
// backing arrays.
func (e *Event) Reset() {
	res, ans := e.Resources[:0], e.DNS.Answers[:0]
	*e = Event{}
	e.Resources, e.DNS.Answers = res, ans
}

// Path is a compiled field path such as userIdentity.sessionContext.sessionIssuer.arn.
// Compile paths once (ParsePath) and reuse them: looking one up does not allocate.
type Path []string

// ParsePath splits a dotted field path.
func ParsePath(s string) Path { return Path(strings.Split(s, ".")) }

func (p Path) String() string { return strings.Join(p, ".") }

// Value returns the raw JSON value at p, or nil.
func (e *Event) Value(p Path) *fastjson.Value {
	if e.Raw == nil {
		return nil
	}
	return e.Raw.Get(p...)
}

// Str returns the string at p ("" when absent or not a string). The result
// borrows the parser's memory (see the package doc).
func (e *Event) Str(p Path) string {
	v := e.Value(p)
	if v == nil || v.Type() != fastjson.TypeString {
		return ""
	}
	return B2S(v.GetStringBytes())
}

// Bool returns the boolean at p; the strings "true"/"false" count too, as
// CloudTrail writes some booleans as strings.
func (e *Event) Bool(p Path) (val, ok bool) {
	v := e.Value(p)
	if v == nil {
		return false, false
	}
	switch v.Type() {
	case fastjson.TypeTrue:
		return true, true
	case fastjson.TypeFalse:
		return false, true
	case fastjson.TypeString:
		s := v.GetStringBytes()
		if string(s) == "true" {
			return true, true
		}
		if string(s) == "false" {
			return false, true
		}
	}
	return false, false
}

// Clone returns a deep copy that stays valid after the decoder moves on. The
// raw DOM is re-parsed from RawBytes (or re-serialized), so Clone is for the
// rare path (evidence, tests), never per event.
func (e *Event) Clone() *Event {
	c := *e
	c.ID = strings.Clone(e.ID)
	c.Account = strings.Clone(e.Account)
	c.Region = strings.Clone(e.Region)
	c.SourceIP = strings.Clone(e.SourceIP)
	c.Service = strings.Clone(e.Service)
	c.Action = strings.Clone(e.Action)
	c.Type = strings.Clone(e.Type)
	c.Category = strings.Clone(e.Category)
	c.ErrorCode = strings.Clone(e.ErrorCode)
	c.ErrorMessage = strings.Clone(e.ErrorMessage)
	a := &c.Actor
	a.Type, a.ARN, a.PrincipalID = strings.Clone(a.Type), strings.Clone(a.ARN), strings.Clone(a.PrincipalID)
	a.AccountID, a.UserName, a.AccessKeyID = strings.Clone(a.AccountID), strings.Clone(a.UserName), strings.Clone(a.AccessKeyID)
	a.SessionIssuerARN, a.SessionIssuerType = strings.Clone(a.SessionIssuerARN), strings.Clone(a.SessionIssuerType)
	a.SessionIssuerName, a.InvokedBy, a.UserAgent = strings.Clone(a.SessionIssuerName), strings.Clone(a.InvokedBy), strings.Clone(a.UserAgent)
	c.Resources = make([]Resource, len(e.Resources))
	for i, r := range e.Resources {
		c.Resources[i] = Resource{Type: strings.Clone(r.Type), ARN: strings.Clone(r.ARN), AccountID: strings.Clone(r.AccountID)}
	}
	n := &c.Net
	n.Action, n.LogStatus, n.InterfaceID, n.InstanceID = strings.Clone(n.Action), strings.Clone(n.LogStatus), strings.Clone(n.InterfaceID), strings.Clone(n.InstanceID)
	n.VPCID, n.SubnetID, n.Direction = strings.Clone(n.VPCID), strings.Clone(n.SubnetID), strings.Clone(n.Direction)
	d := &c.DNS
	d.Query, d.QueryType, d.QueryClass, d.RCode = strings.Clone(d.Query), strings.Clone(d.QueryType), strings.Clone(d.QueryClass), strings.Clone(d.RCode)
	d.Transport, d.VPCID, d.InstanceID, d.ResolverEndpoint = strings.Clone(d.Transport), strings.Clone(d.VPCID), strings.Clone(d.InstanceID), strings.Clone(d.ResolverEndpoint)
	d.FirewallRuleAction, d.FirewallRuleGroupID, d.FirewallDomainListID = strings.Clone(d.FirewallRuleAction), strings.Clone(d.FirewallRuleGroupID), strings.Clone(d.FirewallDomainListID)
	d.Answers = make([]DNSAnswer, len(e.DNS.Answers))
	for i, a := range e.DNS.Answers {
		d.Answers[i] = DNSAnswer{Data: strings.Clone(a.Data), Type: strings.Clone(a.Type), Class: strings.Clone(a.Class)}
	}
	c.Origin.Source, c.Origin.Path = strings.Clone(e.Origin.Source), strings.Clone(e.Origin.Path)
	c.RawBytes = append([]byte(nil), e.RawBytes...)
	if e.Finding != nil {
		f := *e.Finding
		f.Detach()
		c.Finding = &f
	}
	if e.Raw != nil {
		c.Raw = fastjson.MustParseBytes(e.Raw.MarshalTo(nil))
	}
	return &c
}

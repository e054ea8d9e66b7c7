package credexfil

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/detect/state"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// ---- UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS ----

// instanceOutside: instance-role session credentials used from a public
// address outside AWS's published ranges. Stateless.
type instanceOutside struct{ c *common }

func (*instanceOutside) Info() detect.Info {
	return detect.Info{
		Name:        TypeInstanceOutside,
		Description: "EC2 instance-role credentials were used from a public address outside AWS.",
		Tags:        []string{"cloudtrail", "iam", "credentials", "ec2"},
		Types:       []string{TypeInstanceOutside},
		Kinds:       ctKinds,
	}
}

func (d *instanceOutside) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	var s session
	if e.Kind != event.KindCloudTrail || !roleSession(e, &s) || !s.instance() {
		return out
	}
	ip, _, w := d.c.source(e)
	if w != fromOutside {
		return out
	}
	netw := network(ip)
	f := newFinding(TypeInstanceOutside, TypeInstanceOutside, finding.SevHigh, e, &s, netw.String())
	f.Title = "Credentials for the EC2 instance role " + s.role + " were used from a remote address outside AWS."
	f.Description = fmt.Sprintf("%s (%s) was called from %s, outside AWS's published ranges, by %s: credentials that EC2 delivers only to instance %s.",
		e.Action, e.Service, e.SourceIP, who(e), orUnknown(s.instanceID))
	f.Service.AdditionalInfo = map[string]any{
		"sourceNetwork":   netw.String(),
		"ec2RoleDelivery": strings.Clone(e.Str(pRoleDelivery)),
		"awsIpRanges":     d.c.ranges.SyncToken(),
	}
	return append(out, f)
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown: no instance ID in the session name)"
	}
	return s
}

// ---- UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS ----

// maxHome is the most home addresses kept per address family.
const maxHome = 8

// instanceInside: instance-role credentials used from an AWS address that
// is not the instance's own. AWS's ranges do not say which account holds
// an address, so the instance's own addresses are learned: the first
// public AWS address an instance session calls from (per address family,
// and any more within LearnFor, up to MaxHome) is its home; a call from
// another AWS address while the home set is remembered raises the
// finding. A call through a VPC endpoint owned by another account
// (vpcEndpointAccountId) raises it without learning. Stop, start and
// Elastic IP association of the instance forget its home set.
type instanceInside struct {
	c     *common
	homes *state.Table[uint64, home]
}

// home is an instance session's learned addresses. No pointers.
type home struct {
	v4, v6 [maxHome]state.Addr16
	n4, n6 uint8
	first4 int64 // event time of the first home address, Unix ns
	first6 int64
}

func newInstanceInside(c *common) *instanceInside {
	return &instanceInside{c: c, homes: state.New[uint64, home](c.o.MaxSessions, c.o.HomeTTL)}
}

func (*instanceInside) Info() detect.Info {
	return detect.Info{
		Name:        TypeInstanceInside,
		Description: "EC2 instance-role credentials were used from an AWS address that is not the instance's own, or through another account's VPC endpoint.",
		Tags:        []string{"cloudtrail", "iam", "credentials", "ec2"},
		Types:       []string{TypeInstanceInside},
		Kinds:       ctKinds,
	}
}

// StateStats reports the home table.
func (d *instanceInside) StateStats() state.Stats { return d.homes.Stats() }

func (d *instanceInside) homeKey(account, instanceID, arn string) uint64 {
	if instanceID != "" {
		return d.c.key(account, instanceID)
	}
	return d.c.key(account, arn)
}

func (d *instanceInside) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	if e.Kind != event.KindCloudTrail {
		return out
	}
	var s session
	if !roleSession(e, &s) {
		if e.Service == "ec2.amazonaws.com" {
			d.forget(e)
		}
		return out
	}
	if !s.instance() {
		return out
	}
	if vpce := e.Str(pVPCE); vpce != "" {
		acct := e.Str(pVPCEAccount)
		if acct == "" || acct == s.account || d.c.ownAccount(acct) {
			return out
		}
		f := newFinding(TypeInstanceInside, TypeInstanceInside, finding.SevHigh, e, &s, "vpce-account:"+acct)
		f.Title = "Credentials for the EC2 instance role " + s.role + " were used through another account's VPC endpoint."
		f.Description = fmt.Sprintf("%s (%s) was called by %s through VPC endpoint %s of account %s, not the role's account %s.",
			e.Action, e.Service, who(e), vpce, acct, s.account)
		f.Service.AdditionalInfo = map[string]any{
			"vpcEndpointId":        strings.Clone(vpce),
			"vpcEndpointAccountId": strings.Clone(acct),
			"remoteAccountId":      strings.Clone(acct),
			"heuristic":            "vpc-endpoint-account",
		}
		return append(out, f)
	}
	ip, rg, w := d.c.source(e)
	if w != fromAWS {
		return out
	}
	h, _ := d.homes.Get(d.homeKey(s.account, s.instanceID, e.Actor.ARN), e.Time)
	addrs, n, first := &h.v4, &h.n4, &h.first4
	if ip.Is6() {
		addrs, n, first = &h.v6, &h.n6, &h.first6
	}
	k := state.AddrKey(ip)
	for _, a := range addrs[:*n] {
		if a == k {
			return out
		}
	}
	t := e.Time.UnixNano()
	switch {
	case *n == 0:
		addrs[0], *n, *first = k, 1, t
		return out
	case t-*first <= int64(d.c.o.LearnFor) && int(*n) < d.c.o.MaxHome:
		addrs[*n] = k
		*n++
		return out
	}
	homes := make([]string, 0, *n)
	for _, a := range addrs[:*n] {
		homes = append(homes, a.Addr().String())
	}
	netw := network(ip)
	f := newFinding(TypeInstanceInside, TypeInstanceInside, finding.SevHigh, e, &s, netw.String())
	f.Title = "Credentials for the EC2 instance role " + s.role + " were used from another AWS address."
	f.Description = fmt.Sprintf("%s (%s) was called from %s (AWS %s, %s) by %s; instance %s has called from %s. The address may belong to another AWS account.",
		e.Action, e.Service, e.SourceIP, rg.Region, strings.Join(rg.Services, "/"), who(e), orUnknown(s.instanceID), strings.Join(homes, ", "))
	f.Service.AdditionalInfo = map[string]any{
		"sourceNetwork":   netw.String(),
		"awsRegion":       rg.Region,
		"awsServices":     strings.Join(rg.Services, ","),
		"awsPrefix":       rg.Prefix.String(),
		"homeAddresses":   homes,
		"heuristic":       "home-address",
		"ec2RoleDelivery": strings.Clone(e.Str(pRoleDelivery)),
	}
	return append(out, f)
}

// forget drops the home set of instances that were stopped, started or
// given an Elastic IP: their public address changes.
func (d *instanceInside) forget(e *event.Event) {
	if e.Failed {
		return
	}
	switch e.Action {
	case "StartInstances", "StopInstances":
		v := e.Value(pInstanceItems)
		if v == nil || v.Type() != fastjson.TypeArray {
			return
		}
		items, _ := v.Array()
		for _, it := range items {
			if id := it.Get("instanceId"); id != nil && id.Type() == fastjson.TypeString {
				d.homes.Delete(d.c.key(e.Account, event.B2S(id.GetStringBytes())))
			}
		}
	case "AssociateAddress", "DisassociateAddress":
		if id := e.Str(pInstanceID); id != "" {
			d.homes.Delete(d.c.key(e.Account, id))
		}
	}
}

// ---- UnauthorizedAccess:IAMUser/ResourceCredentialExfiltration.OutsideAWS ----

// resourceOutside: session credentials that an AWS service issued to a
// resource (a Lambda function's execution role, an ECS task role) used
// from a public address outside AWS. Resource sessions are learned from
// the service's own sts:AssumeRole call (userIdentity AWSService,
// invokedBy lambda.amazonaws.com), which names the role and the session.
type resourceOutside struct {
	c        *common
	sessions *state.Table[uint64, resSession]
}

type resSession struct {
	service uint8 // index in Options.ResourceServices, +1
	learned int64 // event time of the AssumeRole, Unix ns
}

func newResourceOutside(c *common) *resourceOutside {
	return &resourceOutside{c: c, sessions: state.New[uint64, resSession](c.o.MaxSessions, c.o.ResourceTTL)}
}

func (*resourceOutside) Info() detect.Info {
	return detect.Info{
		Name:        TypeResourceOutside,
		Description: "Session credentials an AWS service issued to a resource (Lambda function, ECS task) were used from a public address outside AWS.",
		Tags:        []string{"cloudtrail", "iam", "credentials", "lambda"},
		Types:       []string{TypeResourceOutside},
		Kinds:       ctKinds,
	}
}

// StateStats reports the learned sessions.
func (d *resourceOutside) StateStats() state.Stats { return d.sessions.Stats() }

func (d *resourceOutside) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	if e.Kind != event.KindCloudTrail {
		return out
	}
	if e.Actor.Type == "AWSService" {
		d.learn(e)
		return out
	}
	var s session
	if !roleSession(e, &s) || s.instance() {
		return out
	}
	ip, _, w := d.c.source(e)
	if w != fromOutside {
		return out
	}
	rs, ok := d.sessions.Peek(d.c.key(s.account, s.role, s.name))
	if !ok || e.Time.UnixNano()-rs.learned > int64(d.c.o.ResourceTTL) {
		return out
	}
	svc := d.c.o.ResourceServices[rs.service-1]
	kind := resourceKind(svc)
	netw := network(ip)
	f := newFinding(TypeResourceOutside, TypeResourceOutside, finding.SevHigh, e, &s, netw.String())
	f.Title = "Credentials issued by " + svc + " to " + kind + " " + s.name + " were used from a remote address outside AWS."
	f.Description = fmt.Sprintf("%s (%s) was called from %s, outside AWS's published ranges, by %s: role %s session credentials that %s issued to %s %s.",
		e.Action, e.Service, e.SourceIP, who(e), s.role, svc, kind, s.name)
	f.Service.AdditionalInfo = map[string]any{
		"sourceNetwork":   netw.String(),
		"issuedBy":        svc,
		"resourceKind":    kind,
		"resourceSession": strings.Clone(s.name),
		"awsIpRanges":     d.c.ranges.SyncToken(),
	}
	return append(out, f)
}

func resourceKind(svc string) string {
	switch svc {
	case "lambda.amazonaws.com":
		return "Lambda function"
	case "ecs-tasks.amazonaws.com":
		return "ECS task"
	}
	return "resource"
}

// learn remembers the session of a resource role a service assumed.
func (d *resourceOutside) learn(e *event.Event) {
	if e.Action != "AssumeRole" || e.Service != "sts.amazonaws.com" || e.Failed {
		return
	}
	svc := -1
	for i, s := range d.c.o.ResourceServices {
		if e.Actor.InvokedBy == s {
			svc = i
			break
		}
	}
	if svc < 0 {
		return
	}
	account, role, ok := parseRoleARN(e.Str(pRoleArn))
	name := e.Str(pSessionName)
	if !ok || name == "" {
		return
	}
	rs, _ := d.sessions.Get(d.c.key(account, role, name), e.Time)
	*rs = resSession{service: uint8(svc + 1), learned: e.Time.UnixNano()}
}

// parseRoleARN splits arn:aws:iam::<account>:role[/path]/<name>.
func parseRoleARN(arn string) (account, role string, ok bool) {
	rest, ok := strings.CutPrefix(arn, "arn:")
	if !ok {
		return "", "", false
	}
	i := strings.Index(rest, ":iam::")
	if i < 0 {
		return "", "", false
	}
	rest = rest[i+len(":iam::"):]
	account, rest, ok = strings.Cut(rest, ":role/")
	if !ok || account == "" || rest == "" {
		return "", "", false
	}
	if j := strings.LastIndexByte(rest, '/'); j >= 0 {
		rest = rest[j+1:]
	}
	return account, rest, rest != ""
}

// ---- Policy:IAMUser/ShortTermRootCredentialUsage ----

// shortTermRoot: the root user acting with short-term credentials issued
// by sts:AssumeRoot (a privileged session started from the management or
// delegated-administrator account). CloudTrail marks those calls with
// userIdentity.type Root and sessionContext.assumedRoot "true". The
// built-in Policy:IAMUser/RootCredentialUsage skips exactly those calls,
// so one root call raises one of the two, never both.
type shortTermRoot struct{}

func (shortTermRoot) Info() detect.Info {
	return detect.Info{
		Name:        TypeShortTermRoot,
		Description: "The root user acted with short-term credentials from sts:AssumeRoot (a centralised-root privileged session).",
		Tags:        []string{"cloudtrail", "iam", "credentials", "policy"},
		Types:       []string{TypeShortTermRoot},
		Kinds:       ctKinds,
	}
}

func (r shortTermRoot) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	a := &e.Actor
	if e.Kind != event.KindCloudTrail || a.Type != "Root" || a.InvokedBy != "" || e.Failed {
		return out
	}
	if e.Type != "AwsApiCall" {
		return out
	}
	if ok, _ := e.Bool(pAssumedRoot); !ok {
		return out
	}
	src := "service:" + e.SourceIP
	if ip, err := netip.ParseAddr(e.SourceIP); err == nil {
		src = network(ip.Unmap()).String()
	}
	f := newFinding(TypeShortTermRoot, TypeShortTermRoot, finding.SevLow, e, nil, strings.Clone(a.AccessKeyID)+"|"+src)
	f.Title = "API " + e.Action + " was invoked using short-term root credentials."
	f.Description = fmt.Sprintf("%s (%s) was called by the root user of account %s with short-term credentials (access key %s, sts:AssumeRoot) from %s.",
		e.Action, e.Service, e.Account, a.AccessKeyID, e.SourceIP)
	f.Service.AdditionalInfo = map[string]any{"sourceNetwork": src}
	return append(out, f)
}

// compile-time checks.
var (
	_ detect.Detector = (*instanceOutside)(nil)
	_ detect.Detector = (*instanceInside)(nil)
	_ detect.Detector = (*resourceOutside)(nil)
	_ detect.Detector = shortTermRoot{}
	_ state.Reporter  = (*instanceInside)(nil)
	_ state.Reporter  = (*resourceOutside)(nil)
)

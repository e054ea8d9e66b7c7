package builtin

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// Stealth:IAMUser/CloudTrailLoggingDisabled — a trail was stopped or
// deleted, or its event selectors stopped recording management events.
func cloudTrailLoggingDisabled() *apiRule {
	return &apiRule{
		info: detect.Info{
			Name:        "Stealth:IAMUser/CloudTrailLoggingDisabled",
			Description: "A CloudTrail trail was stopped, deleted, or set to record no management events.",
			Tags:        []string{"cloudtrail", "iam", "stealth"},
			Types:       []string{"Stealth:IAMUser/CloudTrailLoggingDisabled"},
			Kinds:       ctKinds,
			Actions:     []string{"StopLogging", "DeleteTrail", "PutEventSelectors"},
		},
		services: []string{"cloudtrail.amazonaws.com"},
		check: func(e *event.Event, d *draft) bool {
			if !e.Success() {
				return false
			}
			trail := str(param(e, "name"))
			if trail == "" {
				trail = str(param(e, "trailName"))
			}
			d.sev = finding.SevLow
			d.resourceKey = clone(trail)
			d.affected = map[string]string{"AWS::CloudTrail::Trail": clone(trail)}
			switch e.Action {
			case "StopLogging":
				d.title = "CloudTrail logging was stopped for trail " + trail + "."
				d.desc = fmt.Sprintf("StopLogging was called on trail %s by %s. API activity is no longer recorded by this trail.", trail, who(e))
			case "DeleteTrail":
				d.title = "CloudTrail trail " + trail + " was deleted."
				d.desc = fmt.Sprintf("DeleteTrail was called on trail %s by %s.", trail, who(e))
			case "PutEventSelectors":
				sels := param(e, "eventSelectors")
				if sels == nil || sels.Type() != fastjson.TypeArray || param(e, "advancedEventSelectors") != nil {
					return false
				}
				arr, _ := sels.Array()
				if len(arr) == 0 {
					return false
				}
				for _, s := range arr {
					if !isFalse(getFold(s, "includeManagementEvents")) {
						return false
					}
				}
				d.title = "CloudTrail trail " + trail + " no longer records management events."
				d.desc = fmt.Sprintf("PutEventSelectors by %s set includeManagementEvents to false on every selector of trail %s: control-plane activity is no longer logged.", who(e), trail)
			}
			return true
		},
	}
}

// Stealth:IAMUser/PasswordPolicyChange — the account password policy was
// deleted or set weaker than the CIS AWS Foundations baseline.
func passwordPolicyChange() *apiRule {
	return &apiRule{
		info: detect.Info{
			Name:        "Stealth:IAMUser/PasswordPolicyChange",
			Description: "The account password policy was deleted or weakened below the CIS baseline.",
			Tags:        []string{"cloudtrail", "iam", "stealth"},
			Types:       []string{"Stealth:IAMUser/PasswordPolicyChange"},
			Kinds:       ctKinds,
			Actions:     []string{"UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy"},
		},
		services: []string{"iam.amazonaws.com"},
		check: func(e *event.Event, d *draft) bool {
			if !e.Success() {
				return false
			}
			d.sev = finding.SevLow
			d.resourceKey = "password-policy"
			if e.Action == "DeleteAccountPasswordPolicy" {
				d.title = "The account password policy was deleted."
				d.desc = fmt.Sprintf("DeleteAccountPasswordPolicy was called by %s: IAM users fall back to AWS's default password rules.", who(e))
				return true
			}
			weak := weakPasswordSettings(e)
			if len(weak) == 0 {
				return false
			}
			d.title = "The account password policy was weakened."
			d.desc = fmt.Sprintf("UpdateAccountPasswordPolicy by %s set a policy weaker than the baseline: %s.", who(e), strings.Join(weak, "; "))
			d.info = map[string]any{"weakenedSettings": weak}
			return true
		},
	}
}

// weakPasswordSettings lists how a requested password policy falls short of
// the CIS AWS Foundations baseline (length ≥ 14, reuse prevention ≥ 24, all
// character classes). Absent settings take IAM's defaults.
func weakPasswordSettings(e *event.Event) []string {
	var weak []string
	if n, ok := num(param(e, "minimumPasswordLength")); !ok || n < 14 {
		if ok {
			weak = append(weak, fmt.Sprintf("minimum length %g (< 14)", n))
		} else {
			weak = append(weak, "minimum length not set (IAM default 8)")
		}
	}
	for _, k := range []string{"requireSymbols", "requireNumbers", "requireUppercaseCharacters", "requireLowercaseCharacters"} {
		if !isTrue(param(e, k)) {
			weak = append(weak, k+" off")
		}
	}
	if n, ok := num(param(e, "passwordReusePrevention")); !ok || n < 24 {
		if ok {
			weak = append(weak, fmt.Sprintf("reuse prevention %g (< 24)", n))
		} else {
			weak = append(weak, "reuse prevention off")
		}
	}
	return weak
}

// Policy:IAMUser/RootCredentialUsage — the root user's own credentials
// made a request (not an AWS service acting for it, not a short-term
// AssumeRoot session, which has its own finding type).
type rootCredentialUsage struct{}

var pAssumedRoot = event.ParsePath("userIdentity.sessionContext.assumedRoot")

func (rootCredentialUsage) Info() detect.Info {
	return detect.Info{
		Name:        "Policy:IAMUser/RootCredentialUsage",
		Description: "An API call or console sign-in used the root user's credentials.",
		Tags:        []string{"cloudtrail", "iam", "policy"},
		Types:       []string{"Policy:IAMUser/RootCredentialUsage"},
		Kinds:       ctKinds,
	}
}

var pConsoleLogin = event.ParsePath("responseElements.ConsoleLogin")

func (r rootCredentialUsage) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	if e.Actor.Type != "Root" || e.Actor.InvokedBy != "" || !e.Success() {
		return out
	}
	if e.Type != "AwsApiCall" && e.Type != "AwsConsoleSignIn" {
		return out
	}
	if e.Action == "ConsoleLogin" && e.Str(pConsoleLogin) != "Success" {
		return out
	}
	if ok, _ := e.Bool(pAssumedRoot); ok {
		return out
	}
	f := newFinding(r.Info().Name, "Policy:IAMUser/RootCredentialUsage", finding.SevLow, e)
	f.Title = "API " + e.Action + " was invoked using root credentials."
	f.Description = fmt.Sprintf("%s (%s) was called by %s. AWS recommends not using the root user for everyday tasks.", e.Action, e.Service, who(e))
	f.Keys.Resource = "root"
	return append(out, f)
}

// PenTest:{IAMUser,S3}/{Kali,Parrot,Pentoo}Linux — a call from a penetration
// testing distribution, recognised by its name in the user agent's platform
// part (kernel release, distribution or exe tags).
// pentestUserAgent remembers what it found in each user agent: a fleet
// sends the same few user agents over and over, and looking one up costs a
// fifth of scanning it.
type pentestUserAgent struct {
	seen map[string]string // user agent → distribution ("" for none)
}

func newPentestUserAgent() *pentestUserAgent {
	return &pentestUserAgent{seen: map[string]string{}}
}

// maxSeenUserAgents bounds the memo; it is cleared when full.
const maxSeenUserAgents = 4096

func (p *pentestUserAgent) distro(ua string) string {
	if d, ok := p.seen[ua]; ok {
		return d
	}
	d := pentestDistro(ua)
	if len(p.seen) >= maxSeenUserAgents {
		clear(p.seen)
	}
	p.seen[strings.Clone(ua)] = d
	return d
}

var pentestTypes = []string{
	"PenTest:IAMUser/KaliLinux", "PenTest:IAMUser/ParrotLinux", "PenTest:IAMUser/PentooLinux",
	"PenTest:S3/KaliLinux", "PenTest:S3/ParrotLinux", "PenTest:S3/PentooLinux",
}

func (*pentestUserAgent) Info() detect.Info {
	return detect.Info{
		Name:        "PenTest:UserAgent",
		Description: "An API call came from Kali, Parrot or Pentoo Linux (user agent).",
		Tags:        []string{"cloudtrail", "iam", "s3", "pentest"},
		Types:       pentestTypes,
		Kinds:       ctKinds,
	}
}

func (p *pentestUserAgent) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	distro := p.distro(e.Actor.UserAgent)
	if distro == "" || e.Actor.Type == "AWSService" {
		return out
	}
	res := "IAMUser"
	if e.Service == "s3.amazonaws.com" {
		res = "S3"
	}
	typ := "PenTest:" + res + "/" + distro + "Linux"
	f := newFinding(p.Info().Name, typ, finding.SevMedium, e)
	f.Title = "API " + e.Action + " was invoked from a " + distro + " Linux computer."
	f.Description = fmt.Sprintf("%s (%s) was called by %s from a machine running %s Linux, a penetration testing distribution. User agent: %s.", e.Action, e.Service, who(e), distro, e.Actor.UserAgent)
	if res == "S3" {
		if b := str(param(e, "bucketName")); b != "" {
			r := s3Bucket(b)
			r.AccessKeyDetails = f.Resource.AccessKeyDetails
			f.Resource = *r
		}
	}
	f.Keys.Resource = f.Resource.AccessKeyDetails.AccessKeyID
	return append(out, f)
}

// pentestDistro finds "kali", "parrot" or "pentoo" as a word of the user
// agent (not inside a longer word, so "kalinda" does not count), without
// allocating.
func pentestDistro(ua string) string {
	for i := 0; i < len(ua); i++ {
		c := ua[i] | 0x20
		if c != 'k' && c != 'p' {
			continue
		}
		if i > 0 && isLetter(ua[i-1]) {
			continue
		}
		for _, d := range [...]struct{ word, name string }{{"kali", "Kali"}, {"parrot", "Parrot"}, {"pentoo", "Pentoo"}} {
			n := len(d.word)
			if i+n <= len(ua) && strings.EqualFold(ua[i:i+n], d.word) && (i+n == len(ua) || !isLetter(ua[i+n])) {
				return d.name
			}
		}
	}
	return ""
}

func isLetter(c byte) bool { c |= 0x20; return c >= 'a' && c <= 'z' }

// publicAccessBlockOff lists the Block Public Access settings a request turns
// off. A request that carries no configuration (redacted) says nothing.
func publicAccessBlockOff(e *event.Event) []string {
	cfg := param(e, "PublicAccessBlockConfiguration")
	if inner := getFold(cfg, "PublicAccessBlockConfiguration"); inner != nil {
		cfg = inner
	}
	var off []string
	for _, k := range []string{"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"} {
		if isFalse(getFold(cfg, k)) {
			off = append(off, k)
		}
	}
	return off
}

// Policy:S3/AccountBlockPublicAccessDisabled
func accountBlockPublicAccessDisabled() *apiRule {
	return &apiRule{
		info: detect.Info{
			Name:        "Policy:S3/AccountBlockPublicAccessDisabled",
			Description: "S3 Block Public Access was turned off for the whole account.",
			Tags:        []string{"cloudtrail", "s3", "policy"},
			Types:       []string{"Policy:S3/AccountBlockPublicAccessDisabled"},
			Kinds:       ctKinds,
			Actions:     []string{"PutAccountPublicAccessBlock", "DeleteAccountPublicAccessBlock"},
		},
		services: []string{"s3.amazonaws.com", "s3-control.amazonaws.com"},
		check: func(e *event.Event, d *draft) bool {
			if !e.Success() {
				return false
			}
			d.sev = finding.SevLow
			d.resourceKey = "account"
			if e.Action == "DeleteAccountPublicAccessBlock" {
				d.title = "S3 Block Public Access was removed for the account."
				d.desc = fmt.Sprintf("DeleteAccountPublicAccessBlock by %s removed every account-level Block Public Access setting.", who(e))
				return true
			}
			off := publicAccessBlockOff(e)
			if len(off) == 0 {
				return false
			}
			d.title = "S3 Block Public Access was disabled for the account."
			d.desc = fmt.Sprintf("PutAccountPublicAccessBlock by %s turned off %s for the account.", who(e), strings.Join(off, ", "))
			d.info = map[string]any{"disabledSettings": off}
			return true
		},
	}
}

// Policy:S3/BucketBlockPublicAccessDisabled
func bucketBlockPublicAccessDisabled() *apiRule {
	return &apiRule{
		info: detect.Info{
			Name:        "Policy:S3/BucketBlockPublicAccessDisabled",
			Description: "S3 Block Public Access was turned off for a bucket.",
			Tags:        []string{"cloudtrail", "s3", "policy"},
			Types:       []string{"Policy:S3/BucketBlockPublicAccessDisabled"},
			Kinds:       ctKinds,
			Actions:     []string{"PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock"},
		},
		services: []string{"s3.amazonaws.com"},
		check: func(e *event.Event, d *draft) bool {
			bucket := str(param(e, "bucketName"))
			if !e.Success() || bucket == "" {
				return false
			}
			d.sev = finding.SevLow
			d.resource, d.resourceKey = s3Bucket(bucket), clone(bucket)
			if e.Action == "DeleteBucketPublicAccessBlock" {
				d.title = "S3 Block Public Access was removed from bucket " + bucket + "."
				d.desc = fmt.Sprintf("DeleteBucketPublicAccessBlock by %s removed Block Public Access from bucket %s.", who(e), bucket)
				return true
			}
			off := publicAccessBlockOff(e)
			if len(off) == 0 {
				return false
			}
			d.title = "S3 Block Public Access was disabled for bucket " + bucket + "."
			d.desc = fmt.Sprintf("PutBucketPublicAccessBlock by %s turned off %s on bucket %s.", who(e), strings.Join(off, ", "), bucket)
			d.info = map[string]any{"disabledSettings": off}
			return true
		},
	}
}

const (
	allUsersURI  = "acs.amazonaws.com/groups/global/AllUsers"
	authUsersURI = "acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

// Policy:S3/BucketAnonymousAccessGranted (the internet: AllUsers ACL grants,
// public-read canned ACLs, or an unconditioned Allow to Principal "*") and
// Policy:S3/BucketPublicAccessGranted (all authenticated AWS users).
func bucketAccessGranted() *apiRule {
	return &apiRule{
		info: detect.Info{
			Name:        "Policy:S3/BucketAccessGranted",
			Description: "A bucket ACL or policy granted access to everyone or to all AWS users.",
			Tags:        []string{"cloudtrail", "s3", "policy"},
			Types:       []string{"Policy:S3/BucketAnonymousAccessGranted", "Policy:S3/BucketPublicAccessGranted"},
			Kinds:       ctKinds,
			Actions:     []string{"PutBucketAcl", "PutBucketPolicy", "CreateBucket"},
		},
		services: []string{"s3.amazonaws.com"},
		check: func(e *event.Event, d *draft) bool {
			bucket := str(param(e, "bucketName"))
			if !e.Success() || bucket == "" {
				return false
			}
			var anon, public bool
			var how string
			switch e.Action {
			case "PutBucketPolicy":
				anon = policyAllowsEveryone(param(e, "bucketPolicy"))
				how = "a bucket policy that allows Principal \"*\" without conditions"
			default: // ACLs: canned ACL headers and explicit grants
				switch strings.ToLower(str(param(e, "x-amz-acl"))) {
				case "public-read", "public-read-write":
					anon, how = true, "the canned ACL "+str(param(e, "x-amz-acl"))
				case "authenticated-read":
					public, how = true, "the canned ACL authenticated-read"
				}
				if req := e.Value(pRequest); req != nil && !anon {
					b := req.MarshalTo(nil)
					switch {
					case strings.Contains(string(b), allUsersURI):
						anon, how = true, "an ACL grant to AllUsers"
					case strings.Contains(string(b), authUsersURI):
						public, how = true, "an ACL grant to AuthenticatedUsers"
					}
				}
			}
			if !anon && !public {
				return false
			}
			d.resource, d.resourceKey = s3Bucket(bucket), clone(bucket)
			d.sev = finding.SevHigh
			if anon {
				d.typ = "Policy:S3/BucketAnonymousAccessGranted"
				d.title = "Bucket " + bucket + " was made accessible to the internet."
			} else {
				d.typ = "Policy:S3/BucketPublicAccessGranted"
				d.title = "Bucket " + bucket + " was made accessible to all AWS users."
			}
			d.desc = fmt.Sprintf("%s by %s granted access to bucket %s through %s.", e.Action, who(e), bucket, how)
			return true
		},
	}
}

// policyAllowsEveryone reports whether a bucket policy (an object, or a JSON
// string) has an Allow statement for Principal "*" with no Condition.
func policyAllowsEveryone(v *fastjson.Value) bool {
	if v == nil {
		return false
	}
	if v.Type() == fastjson.TypeString {
		p, err := fastjson.ParseBytes(v.GetStringBytes())
		if err != nil {
			return false
		}
		v = p
	}
	st := getFold(v, "Statement")
	if st == nil {
		return false
	}
	stmts := []*fastjson.Value{st}
	if st.Type() == fastjson.TypeArray {
		stmts, _ = st.Array()
	}
	for _, s := range stmts {
		if !strings.EqualFold(str(getFold(s, "Effect")), "Allow") || getFold(s, "Condition") != nil {
			continue
		}
		if principalIsEveryone(getFold(s, "Principal")) {
			return true
		}
	}
	return false
}

func principalIsEveryone(p *fastjson.Value) bool {
	if p == nil {
		return false
	}
	switch p.Type() {
	case fastjson.TypeString:
		return str(p) == "*"
	case fastjson.TypeObject:
		aws := getFold(p, "AWS")
		if aws == nil {
			return false
		}
		if aws.Type() == fastjson.TypeArray {
			a, _ := aws.Array()
			for _, x := range a {
				if str(x) == "*" {
					return true
				}
			}
			return false
		}
		return str(aws) == "*"
	}
	return false
}

// Stealth:S3/ServerAccessLoggingDisabled
func serverAccessLoggingDisabled() *apiRule {
	return &apiRule{
		info: detect.Info{
			Name:        "Stealth:S3/ServerAccessLoggingDisabled",
			Description: "S3 server access logging was turned off for a bucket.",
			Tags:        []string{"cloudtrail", "s3", "stealth"},
			Types:       []string{"Stealth:S3/ServerAccessLoggingDisabled"},
			Kinds:       ctKinds,
			Actions:     []string{"PutBucketLogging"},
		},
		services: []string{"s3.amazonaws.com"},
		check: func(e *event.Event, d *draft) bool {
			bucket := str(param(e, "bucketName"))
			status := param(e, "BucketLoggingStatus")
			if !e.Success() || bucket == "" || status == nil || getFold(status, "LoggingEnabled") != nil {
				return false
			}
			d.sev = finding.SevLow
			d.resource, d.resourceKey = s3Bucket(bucket), clone(bucket)
			d.title = "Server access logging was disabled for bucket " + bucket + "."
			d.desc = fmt.Sprintf("PutBucketLogging by %s set an empty logging status on bucket %s: requests to it are no longer logged.", who(e), bucket)
			return true
		},
	}
}

// DefenseEvasion:IAMUser/BedrockLoggingDisabled
func bedrockLoggingDisabled() *apiRule {
	return &apiRule{
		info: detect.Info{
			Name:        "DefenseEvasion:IAMUser/BedrockLoggingDisabled",
			Description: "Amazon Bedrock model invocation logging was turned off.",
			Tags:        []string{"cloudtrail", "iam", "bedrock", "defense-evasion"},
			Types:       []string{"DefenseEvasion:IAMUser/BedrockLoggingDisabled"},
			Kinds:       ctKinds,
			Actions:     []string{"DeleteModelInvocationLoggingConfiguration"},
		},
		services: []string{"bedrock.amazonaws.com"},
		check: func(e *event.Event, d *draft) bool {
			if !e.Success() {
				return false
			}
			d.sev = finding.SevMedium
			d.resourceKey = "bedrock-logging"
			d.title = "Amazon Bedrock model invocation logging was disabled."
			d.desc = fmt.Sprintf("DeleteModelInvocationLoggingConfiguration was called by %s in %s: model prompts and responses are no longer logged.", who(e), e.Region)
			return true
		},
	}
}

var flowLogID = regexp.MustCompile(`fl-[0-9a-zA-Z]+`)

// DefenseImpairment:EC2/DisableOrModifyTools (GuardDuty's VPCFlowLogsDeleted rule).
func vpcFlowLogsDeleted() *apiRule {
	return &apiRule{
		info: detect.Info{
			Name:        "DefenseImpairment:EC2/DisableOrModifyTools",
			Description: "VPC flow logs were deleted (GuardDuty custom rule VPCFlowLogsDeleted).",
			Tags:        []string{"cloudtrail", "ec2", "defense-impairment"},
			Types:       []string{"DefenseImpairment:EC2/DisableOrModifyTools"},
			Kinds:       ctKinds,
			Actions:     []string{"DeleteFlowLogs"},
		},
		services: []string{"ec2.amazonaws.com"},
		check: func(e *event.Event, d *draft) bool {
			if !e.Success() {
				return false
			}
			var ids []string
			if req := e.Value(pRequest); req != nil {
				ids = flowLogID.FindAllString(string(req.MarshalTo(nil)), -1)
			}
			sort.Strings(ids)
			list := strings.Join(ids, ",")
			d.sev = finding.SevHigh
			d.resourceKey = list
			d.affected = map[string]string{"AWS::EC2::FlowLog": list}
			d.title = "VPC flow logs were deleted."
			d.desc = fmt.Sprintf("DeleteFlowLogs by %s deleted flow logs %s: network traffic is no longer recorded.", who(e), list)
			return true
		},
	}
}

// DefenseImpairment:GuardDuty/DisableOrModifyTools — a GuardDuty detector
// was deleted or disabled.
func guardDutyDisabled() *apiRule {
	return &apiRule{
		info: detect.Info{
			Name:        "DefenseImpairment:GuardDuty/DisableOrModifyTools",
			Description: "A GuardDuty detector was deleted or disabled.",
			Tags:        []string{"cloudtrail", "guardduty", "defense-impairment"},
			Types:       []string{"DefenseImpairment:GuardDuty/DisableOrModifyTools"},
			Kinds:       ctKinds,
			Actions:     []string{"DeleteDetector", "UpdateDetector"},
		},
		services: []string{"guardduty.amazonaws.com"},
		check: func(e *event.Event, d *draft) bool {
			if !e.Success() {
				return false
			}
			det := str(param(e, "detectorId"))
			if e.Action == "UpdateDetector" && !isFalse(param(e, "enable")) {
				return false
			}
			d.sev = finding.SevHigh
			d.resourceKey = clone(det)
			d.affected = map[string]string{"AWS::GuardDuty::Detector": clone(det)}
			if e.Action == "DeleteDetector" {
				d.title = "GuardDuty detector " + det + " was deleted."
				d.desc = fmt.Sprintf("DeleteDetector by %s deleted GuardDuty detector %s in %s, stopping threat detection and deleting its findings.", who(e), det, e.Region)
			} else {
				d.title = "GuardDuty detector " + det + " was disabled."
				d.desc = fmt.Sprintf("UpdateDetector by %s set enable=false on GuardDuty detector %s in %s, suspending threat detection.", who(e), det, e.Region)
			}
			return true
		},
	}
}

// DefenseImpairment:Route53Resolver/DisableOrModifyTools — Route 53 Resolver
// query logging was deleted or detached from a VPC.
func dnsQueryLoggingDeleted() *apiRule {
	return &apiRule{
		info: detect.Info{
			Name:        "DefenseImpairment:Route53Resolver/DisableOrModifyTools",
			Description: "Route 53 Resolver DNS query logging was deleted or detached.",
			Tags:        []string{"cloudtrail", "dns", "defense-impairment"},
			Types:       []string{"DefenseImpairment:Route53Resolver/DisableOrModifyTools"},
			Kinds:       ctKinds,
			Actions:     []string{"DeleteResolverQueryLogConfig", "DisassociateResolverQueryLogConfig"},
		},
		services: []string{"route53resolver.amazonaws.com"},
		check: func(e *event.Event, d *draft) bool {
			if !e.Success() {
				return false
			}
			cfg := str(param(e, "resolverQueryLogConfigId"))
			d.sev = finding.SevHigh
			d.resourceKey = clone(cfg)
			d.affected = map[string]string{"AWS::Route53Resolver::ResolverQueryLoggingConfig": clone(cfg)}
			d.title = "Route 53 Resolver query logging " + cfg + " was removed."
			d.desc = fmt.Sprintf("%s by %s removed DNS query logging configuration %s: DNS queries are no longer logged.", e.Action, who(e), cfg)
			return true
		},
	}
}

// DefenseImpairment:Organizations/ModifyCloudResourceHierarchy (GuardDuty's
// OrganizationLeaveAttempt rule): denied attempts count too.
func organizationLeaveAttempt() *apiRule {
	return &apiRule{
		info: detect.Info{
			Name:        "DefenseImpairment:Organizations/ModifyCloudResourceHierarchy",
			Description: "An account attempted to leave its AWS Organization (GuardDuty custom rule OrganizationLeaveAttempt).",
			Tags:        []string{"cloudtrail", "organizations", "defense-impairment"},
			Types:       []string{"DefenseImpairment:Organizations/ModifyCloudResourceHierarchy"},
			Kinds:       ctKinds,
			Actions:     []string{"LeaveOrganization"},
		},
		services: []string{"organizations.amazonaws.com"},
		check: func(e *event.Event, d *draft) bool {
			d.sev = finding.SevHigh
			d.resourceKey = "organization"
			if e.Success() {
				d.title = "Account " + e.Account + " left its AWS Organization."
			} else {
				d.title = "Account " + e.Account + " attempted to leave its AWS Organization."
			}
			d.desc = fmt.Sprintf("LeaveOrganization was called by %s. Leaving removes the organization's SCPs and central security services.%s", who(e), outcome(e))
			return true
		},
	}
}

// CredentialAccess:EC2/UnsecuredCredentials (GuardDuty's
// EC2PasswordDataRetrieved rule). Retrieval is Medium; denied attempts are
// recorded at Low, aggregated per caller.
func ec2PasswordDataRetrieved() *apiRule {
	return &apiRule{
		info: detect.Info{
			Name:        "CredentialAccess:EC2/UnsecuredCredentials",
			Description: "An EC2 instance's Windows administrator password data was retrieved (GuardDuty custom rule EC2PasswordDataRetrieved).",
			Tags:        []string{"cloudtrail", "ec2", "credential-access"},
			Types:       []string{"CredentialAccess:EC2/UnsecuredCredentials"},
			Kinds:       ctKinds,
			Actions:     []string{"GetPasswordData"},
		},
		services: []string{"ec2.amazonaws.com"},
		check: func(e *event.Event, d *draft) bool {
			inst := str(param(e, "instanceId"))
			d.resource = &finding.Resource{ResourceType: "Instance", InstanceDetails: &finding.InstanceDetails{InstanceID: clone(inst)}}
			if e.Success() {
				d.sev = finding.SevMedium
				d.title = "Password data of EC2 instance " + inst + " was retrieved."
				d.desc = fmt.Sprintf("GetPasswordData by %s retrieved the encrypted administrator password of instance %s.", who(e), inst)
			} else {
				d.sev = 3.0
				d.title = "Retrieval of EC2 instance password data was attempted."
				d.desc = fmt.Sprintf("GetPasswordData for instance %s was called by %s.%s", inst, who(e), outcome(e))
			}
			return true
		},
	}
}

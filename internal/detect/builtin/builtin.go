// Package builtin holds Picket's native CloudTrail detectors, named after
// GuardDuty finding types with GuardDuty's default severities (and, for the
// CloudTrail "custom detection" rules GuardDuty users ask for most, names in
// GuardDuty's Tactic:Service/Technique style). Each is a small rule over one
// event; stateful detectors live in their own packages.
package builtin

import (
	"context"
	"slices"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// All returns the built-in detectors in a fixed order. The list is the
// registry table: adding a detector is one line here.
func All() []detect.Detector {
	return []detect.Detector{
		cloudTrailLoggingDisabled(),
		passwordPolicyChange(),
		rootCredentialUsage{},
		newPentestUserAgent(),
		accountBlockPublicAccessDisabled(),
		bucketBlockPublicAccessDisabled(),
		bucketAccessGranted(),
		serverAccessLoggingDisabled(),
		bedrockLoggingDisabled(),
		vpcFlowLogsDeleted(),
		guardDutyDisabled(),
		dnsQueryLoggingDeleted(),
		organizationLeaveAttempt(),
		ec2PasswordDataRetrieved(),
	}
}

// draft is what a rule adds to the common parts of a finding.
type draft struct {
	typ         string  // overrides the rule's type when a rule raises several
	sev         float64 // overrides the rule's severity
	title, desc string
	resource    *finding.Resource // nil: the access key used
	resourceKey string            // part of the fingerprint
	affected    map[string]string
	info        map[string]any
}

// apiRule is a stateless rule over specific API calls.
type apiRule struct {
	info     detect.Info
	services []string // eventSource values
	check    func(e *event.Event, d *draft) bool
}

func (r *apiRule) Info() detect.Info { return r.info }

func (r *apiRule) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	if !slices.Contains(r.services, e.Service) {
		return out
	}
	var d draft
	if !r.check(e, &d) {
		return out
	}
	typ, sev := r.info.Types[0], d.sev
	if d.typ != "" {
		typ = d.typ
	}
	f := newFinding(r.info.Name, typ, sev, e)
	f.Title, f.Description = d.title, d.desc
	if d.resource != nil {
		r := *d.resource
		if r.AccessKeyDetails == nil {
			r.AccessKeyDetails = f.Resource.AccessKeyDetails
		}
		f.Resource = r
	}
	f.Keys.Resource = d.resourceKey
	if len(d.affected) > 0 {
		f.Service.Action.AwsAPICallAction.AffectedResources = d.affected
	}
	if len(d.info) > 0 {
		f.Service.AdditionalInfo = d.info
	}
	return append(out, f)
}

var ctKinds = []event.Kind{event.KindCloudTrail}

// newFinding is detect.APICallFinding: the shape every CloudTrail API
// finding has.
func newFinding(detector, typ string, sev float64, e *event.Event) finding.Finding {
	return detect.APICallFinding(detector, typ, sev, e)
}

func clone(s string) string { return strings.Clone(s) }

// who names the caller for descriptions.
func who(e *event.Event) string {
	a := &e.Actor
	var b strings.Builder
	switch a.Type {
	case "Root":
		b.WriteString("the root user")
	case "AssumedRole":
		b.WriteString("role " + a.Name())
	case "":
		b.WriteString("an unknown principal")
	default:
		b.WriteString(a.Type + " " + a.Name())
	}
	if a.AccessKeyID != "" {
		b.WriteString(" (access key " + a.AccessKeyID + ")")
	}
	if e.SourceIP != "" {
		b.WriteString(" from " + e.SourceIP)
	}
	return b.String()
}

// outcome describes a denied call for descriptions.
func outcome(e *event.Event) string {
	if e.Success() {
		return ""
	}
	return " The call failed with " + e.ErrorCode + "."
}

// Field paths used by the rules, compiled once.
var (
	pRequest = event.ParsePath("requestParameters")
)

// param returns requestParameters.<key>, matching the key case-insensitively
// (CloudTrail's casing varies between services and API versions).
func param(e *event.Event, keys ...string) *fastjson.Value {
	v := e.Value(pRequest)
	for _, k := range keys {
		v = getFold(v, k)
	}
	return v
}

func getFold(v *fastjson.Value, key string) *fastjson.Value {
	if v == nil || v.Type() != fastjson.TypeObject {
		return nil
	}
	o, _ := v.Object()
	var found *fastjson.Value
	o.Visit(func(k []byte, fv *fastjson.Value) {
		if found == nil && strings.EqualFold(event.B2S(k), key) {
			found = fv
		}
	})
	return found
}

// str reads a JSON string, or the first string of an array (CloudTrail
// logs some S3 headers as one-element arrays).
func str(v *fastjson.Value) string {
	if v == nil {
		return ""
	}
	switch v.Type() {
	case fastjson.TypeString:
		return event.B2S(v.GetStringBytes())
	case fastjson.TypeArray:
		a, _ := v.Array()
		if len(a) > 0 {
			return str(a[0])
		}
	}
	return ""
}

// isFalse reports whether v is the boolean false (or the string "false").
func isFalse(v *fastjson.Value) bool {
	if v == nil {
		return false
	}
	switch v.Type() {
	case fastjson.TypeFalse:
		return true
	case fastjson.TypeString:
		return strings.EqualFold(event.B2S(v.GetStringBytes()), "false")
	}
	return false
}

// isTrue reports whether v is the boolean true (or the string "true").
func isTrue(v *fastjson.Value) bool {
	if v == nil {
		return false
	}
	switch v.Type() {
	case fastjson.TypeTrue:
		return true
	case fastjson.TypeString:
		return strings.EqualFold(event.B2S(v.GetStringBytes()), "true")
	}
	return false
}

// num reads a number, or a numeric string.
func num(v *fastjson.Value) (float64, bool) {
	if v == nil {
		return 0, false
	}
	switch v.Type() {
	case fastjson.TypeNumber:
		return v.GetFloat64(), true
	case fastjson.TypeString:
		f, err := fastjson.Parse(string(v.GetStringBytes()))
		if err == nil && f.Type() == fastjson.TypeNumber {
			return f.GetFloat64(), true
		}
	}
	return 0, false
}

func s3Bucket(name string) *finding.Resource {
	return &finding.Resource{
		ResourceType:    "S3Bucket",
		S3BucketDetails: []finding.S3BucketDetail{{Name: clone(name), Arn: "arn:aws:s3:::" + name, Type: "Destination"}},
	}
}

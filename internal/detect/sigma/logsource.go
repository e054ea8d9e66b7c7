package sigma

import (
	"slices"
	"strings"

	"github.com/picket-dev/picket/internal/event"
)

// Source maps a Sigma logsource to the events it applies to. Adding a log
// source is one entry in Sources.
type Source struct {
	Product, Service string // the rule's logsource
	// Categories a rule of this product and service may also name
	// (SigmaHQ files its Kubernetes audit rules under "application").
	Categories []string

	Kind event.Kind
	// IndexField is the raw field whose value the decoder also puts in
	// Event.Action (CloudTrail eventName, Kubernetes verb): rules that
	// require given values of it are only evaluated on those events.
	IndexField string
	// Resource is the resource part of finding types (ThreatPurpose:Resource/…).
	Resource string
	// Fields maps Sigma field names that are not the log's own to the
	// paths that hold them (several paths: any of them).
	Fields map[string][]string
}

// Sources is the logsource table.
var Sources = []Source{
	{
		Product: "aws", Service: "cloudtrail", Kind: event.KindCloudTrail,
		IndexField: "eventName", Resource: "IAMUser",
		Fields: map[string][]string{
			// Generic names used by SigmaHQ's placeholder rules.
			"src_ip": {"sourceIPAddress"},
		},
	},
	{
		Product: "kubernetes", Service: "audit", Categories: []string{"application"}, Kind: event.KindK8sAudit,
		IndexField: "verb", Resource: "Kubernetes",
		Fields: map[string][]string{
			// SigmaHQ's Kubernetes rules name pod-spec fields bare; in an
			// audit event they live in the request object's pod spec.
			"hostPath": {"requestObject.spec.volumes.hostPath"},
			"capabilities": {
				"requestObject.spec.containers.securityContext.capabilities",
				"requestObject.spec.initContainers.securityContext.capabilities",
				"requestObject.spec.ephemeralContainers.securityContext.capabilities",
			},
			"apiGroup": {"objectRef.apiGroup"},
		},
	},
}

// sourceFor finds the table entry for a rule's logsource.
func sourceFor(ls Logsource) (*Source, bool) {
	if ls.Product == "" && ls.Service == "" && ls.Category == "" {
		return nil, false
	}
	for i := range Sources {
		s := &Sources[i]
		if !eqOrEmpty(ls.Product, s.Product) || !eqOrEmpty(ls.Service, s.Service) {
			continue
		}
		if ls.Category == "" || slices.ContainsFunc(s.Categories, func(c string) bool { return strings.EqualFold(c, ls.Category) }) {
			return s, true
		}
	}
	return nil, false
}

// eqOrEmpty: a rule field left empty matches; a set one must agree.
func eqOrEmpty(rule, table string) bool {
	return rule == "" || strings.EqualFold(rule, table)
}

// Severities of Sigma levels.
var levelSeverity = map[string]float64{
	"informational": 1.0,
	"low":           2.0,
	"medium":        5.0,
	"high":          7.5,
	"critical":      9.0,
}

// tacticPurpose maps ATT&CK tactic tags to GuardDuty threat purposes.
// GuardDuty has no purpose for some tactics; the nearest is used.
var tacticPurpose = []struct{ tag, purpose string }{
	{"attack.initial-access", "InitialAccess"},
	{"attack.execution", "Execution"},
	{"attack.persistence", "Persistence"},
	{"attack.privilege-escalation", "PrivilegeEscalation"},
	{"attack.defense-evasion", "DefenseEvasion"},
	{"attack.stealth", "Stealth"},
	{"attack.defense-impairment", "DefenseEvasion"},
	{"attack.credential-access", "CredentialAccess"},
	{"attack.discovery", "Discovery"},
	{"attack.lateral-movement", "UnauthorizedAccess"},
	{"attack.collection", "Exfiltration"},
	{"attack.exfiltration", "Exfiltration"},
	{"attack.command-and-control", "Backdoor"},
	{"attack.impact", "Impact"},
	{"attack.reconnaissance", "Recon"},
	{"attack.resource-development", "Behavior"},
}

// purposeOf returns the threat purpose of the first tactic tag.
func purposeOf(tags []string) string {
	for _, t := range tags {
		t = strings.ToLower(t)
		for _, tp := range tacticPurpose {
			if t == tp.tag {
				return tp.purpose
			}
		}
	}
	return "Behavior"
}

// familyName turns a rule name or title into a GuardDuty-style family
// name: words capitalised, non-alphanumerics dropped, at most 80 bytes.
func familyName(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			if up {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		case (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'):
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
		if b.Len() >= 80 {
			break
		}
	}
	if b.Len() == 0 {
		return "Rule"
	}
	return b.String()
}

// TypeName is the finding type of a rule:
// <ThreatPurpose>:<Resource>/<RuleName>.Sigma — the purpose from the first
// ATT&CK tactic tag, the resource from the log source, the family from the
// rule's name (or title) and "Sigma" as the detection mechanism, the way
// GuardDuty marks custom-list findings ".Custom".
func TypeName(r *Rule, src *Source) string {
	name := r.Name
	if name == "" {
		name = r.Title
	}
	return purposeOf(r.Tags) + ":" + src.Resource + "/" + familyName(name) + ".Sigma"
}

// Package abuse decodes AWS abuse reports — the notices AWS Trust & Safety
// sends when a resource in an account is reported for scanning, attacks,
// spam or hosting malware — as teams forward them, into findings, so they
// are routed, notified and handled like any other. An unanswered abuse
// report can get an account suspended: they are High (8.0) by default.
//
// The shape (one JSON object per report; JSON lines or arrays of them;
// EventBridge events with detail-type "AWS Abuse Report" carry one in
// their detail):
//
//	{
//	  "kind": "AbuseReport",                 // required marker
//	  "caseId": "1234567890",                // required: AWS's case number
//	  "accountId": "123456789012",           // required
//	  "region": "us-east-1",
//	  "reportedAt": "2026-11-20T10:00:00Z",  // required
//	  "respondBy": "2026-11-21T10:00:00Z",
//	  "category": "port-scanning",           // port-scanning, dos, spam, phishing, malware-hosting,
//	                                         // crypto-mining, intrusion-attempt, copyright, other
//	  "resources": [{"type": "EC2Instance", "id": "i-0abc…", "ip": "198.51.100.7"}],
//	  "targets": ["203.0.113.9"],           // the reported victims, when given
//	  "description": "…",                    // the report's text
//	  "reporter": "AWS Trust & Safety"
//	}
//
// Finding types are <Purpose>:<Resource>/AbuseReport.<Kind>, e.g.
// Recon:EC2/AbuseReport.PortScan (see categories).
package abuse

import (
	"errors"
	"fmt"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/findingstream"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// Format is the registry name of this decoder.
const Format = "abuse"

// ServiceName is the producer name findings carry.
const ServiceName = "aws-abuse-report"

// New returns an abuse report decoder.
func New() decode.Decoder { return findingstream.New(format{}) }

// Parse decodes reports from b into events the caller owns.
func Parse(b []byte) ([]*event.Event, error) { return findingstream.Parse(New(), b) }

type category struct {
	purpose, kind string
	severity      float64
}

// categories map report categories to finding type parts and severity.
var categories = map[string]category{
	"port-scanning":     {"Recon", "PortScan", finding.SevHigh},
	"dos":               {"Impact", "DenialOfService", finding.SevHigh},
	"spam":              {"Backdoor", "Spam", finding.SevHigh},
	"phishing":          {"Impact", "Phishing", finding.SevHigh},
	"malware-hosting":   {"Trojan", "MalwareHosting", finding.SevHigh},
	"crypto-mining":     {"CryptoCurrency", "Mining", finding.SevHigh},
	"intrusion-attempt": {"UnauthorizedAccess", "Intrusion", finding.SevHigh},
	"copyright":         {"Policy", "Copyright", finding.SevMedium},
	"other":             {"Behavior", "Other", finding.SevMedium},
}

// resourceTypes map report resource types to the type's resource part.
var resourceTypes = map[string]string{
	"EC2Instance": "EC2", "ElasticIP": "EC2", "NetworkInterface": "EC2", "LoadBalancer": "EC2",
	"S3Bucket": "S3", "CloudFront": "CloudFront", "Lambda": "Lambda", "Lightsail": "Lightsail",
}

type format struct{}

func (format) EventBridge(source, detailType string, detail *fastjson.Value) ([]*fastjson.Value, string, error) {
	if detailType != "AWS Abuse Report" {
		return nil, "", fmt.Errorf("not an abuse report event (detail-type %q)", detailType)
	}
	if detail == nil || detail.Type() != fastjson.TypeObject {
		return nil, "", errors.New("abuse report event without a detail object")
	}
	return []*fastjson.Value{detail}, "detail", nil
}

func (format) Finding(v *fastjson.Value, env findingstream.Env, e *event.Event) error {
	var r findingstream.Reader
	if kind := r.Str(field(v, "kind"), "", "kind"); kind != "AbuseReport" {
		if r.Err != nil {
			return r.Err
		}
		return errors.New(`not an abuse report: "kind" must be "AbuseReport"`)
	}
	caseID := r.Str(field(v, "caseId"), "", "caseId")
	account := r.Str(field(v, "accountId"), "", "accountId")
	region := r.Str(field(v, "region"), "", "region")
	reported := r.Time(field(v, "reportedAt"), "", "reportedAt")
	respondBy := r.Time(field(v, "respondBy"), "", "respondBy")
	cat := r.Str(field(v, "category"), "", "category")
	desc := r.Str(field(v, "description"), "", "description")
	reporter := r.Str(field(v, "reporter"), "", "reporter")
	targets := r.Strings(field(v, "targets"), "", "targets")
	res := r.Array(field(v, "resources"), "", "resources")
	if r.Err != nil {
		return r.Err
	}
	if account == "" {
		account = env.Account
	}
	if region == "" {
		region = env.Region
	}
	switch {
	case caseID == "":
		return errors.New("field caseId: required")
	case len(account) != 12 || strings.Trim(account, "0123456789") != "":
		return fmt.Errorf("field accountId: %q is not a 12-digit account ID", account)
	case reported.IsZero():
		return errors.New("field reportedAt: required")
	}
	c, ok := categories[cat]
	if !ok {
		c = categories["other"]
	}
	resKind, resID, resIP := "", "", ""
	if len(res) > 0 {
		resKind = r.Str(field(res[0], "type"), "resources[0]", "type")
		resID = r.Str(field(res[0], "id"), "resources[0]", "id")
		resIP = r.Str(field(res[0], "ip"), "resources[0]", "ip")
		if r.Err != nil {
			return r.Err
		}
	}
	part, ok := resourceTypes[resKind]
	if !ok {
		part = "Account"
	}
	f := &finding.Finding{
		Type:      fmt.Sprintf("%s:%s/AbuseReport.%s", c.purpose, part, c.kind),
		Severity:  c.severity,
		AccountID: strings.Clone(account), Region: strings.Clone(region),
		Title:       fmt.Sprintf("AWS abuse report (%s) about %s", cat, firstNonEmpty(resID, resIP, "the account")),
		Description: strings.Clone(desc),
		CreatedAt:   reported, UpdatedAt: reported,
		Service: finding.Service{
			ServiceName: ServiceName, DetectorID: "abuse-report", Count: 1,
			EventFirstSeen: reported, EventLastSeen: reported, ResourceRole: "ACTOR",
			AdditionalInfo: map[string]any{
				"source": map[string]any{"producer": ServiceName, "format": Format, "id": strings.Clone(caseID)},
				"abuseReport": map[string]any{"caseId": strings.Clone(caseID), "category": strings.Clone(cat), "reporter": strings.Clone(reporter),
					"targets": cloneAll(targets), "respondBy": respondBy},
			},
		},
		Keys: finding.Keys{Resource: "abuse:" + caseID},
	}
	if f.Description == "" {
		f.Description = f.Title
	}
	switch part {
	case "EC2":
		f.Resource = finding.Resource{ResourceType: "Instance", InstanceDetails: &finding.InstanceDetails{InstanceID: strings.Clone(resID)}}
		if resIP != "" {
			f.Service.AdditionalInfo["abuseReport"].(map[string]any)["reportedIp"] = strings.Clone(resIP)
		}
	case "S3":
		f.Resource = finding.Resource{ResourceType: "S3Bucket", S3BucketDetails: []finding.S3BucketDetail{{Name: strings.Clone(resID)}}}
	default:
		f.Resource = finding.Resource{ResourceType: firstNonEmpty(resKind, "Account")}
	}
	e.Kind, e.Time, e.ID, e.Account, e.Region, e.Finding = event.KindFinding, reported, caseID, account, region, f
	f.Keys.Resource = strings.Clone(f.Keys.Resource)
	return nil
}

// null stands for an absent field: the Reader reads it as empty.
var null = fastjson.MustParse("null")

func field(v *fastjson.Value, key string) *fastjson.Value {
	if v.Type() != fastjson.TypeObject {
		return null
	}
	if x := v.Get(key); x != nil {
		return x
	}
	return null
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return strings.Clone(x)
		}
	}
	return ""
}

func cloneAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = strings.Clone(x)
	}
	return out
}

// Sniff recognises an abuse report from a file's first bytes.
func Sniff(b []byte) bool {
	return strings.Contains(string(b[:min(len(b), 4096)]), `"kind":"AbuseReport"`) ||
		strings.Contains(string(b[:min(len(b), 4096)]), `"kind": "AbuseReport"`)
}

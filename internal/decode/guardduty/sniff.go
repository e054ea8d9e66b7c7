package guardduty

import (
	"bytes"

	"github.com/picket-dev/picket/internal/decode"
)

// Sniff reports whether the first bytes of a stream (at most
// decode.SniffLen are looked at) look like GuardDuty findings in any shape
// this package reads: JSON naming GuardDuty's EventBridge source or
// detail-type, a detectorId key, or a finding's schemaVersion (2.x),
// accountId and severity keys (camelCase or the CLI's PascalCase) — bare, or escaped
// in an SNS or CloudWatch Logs message. It never claims CloudTrail records
// (an eventVersion key: CloudTrail logs GuardDuty's API calls, detectorId
// and all), Security Hub's ASFF findings (keys only ASFF has: AwsAccountId,
// ProductArn, GeneratorId — a GuardDuty finding in ASFF is asff's),
// Kubernetes audit events, Route 53 Resolver query logs or VPC Flow Logs
// (text), nor other producers' EventBridge events (Macie's findings share
// GuardDuty's top-level keys).
//
// decode.Sniff takes any JSON for CloudTrail: a caller asks Sniff first.
func Sniff(b []byte) bool {
	if len(b) > decode.SniffLen {
		b = b[:decode.SniffLen]
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 || (b[0] != '{' && b[0] != '[') {
		return false
	}
	for _, m := range notMarks {
		if bytes.Contains(b, m) {
			return false
		}
	}
	for _, m := range marks {
		if bytes.Contains(b, m) {
			return true
		}
	}
	for _, m := range eventBridge {
		if bytes.Contains(b, m) {
			return false // an EventBridge event, but not GuardDuty's (Macie's findings look alike)
		}
	}
	for _, set := range keySets {
		all := true
		for _, m := range set {
			if !bytes.Contains(b, m) {
				all = false
				break
			}
		}
		if all && schema2(b, set[0]) {
			return true
		}
	}
	return false
}

// schema2 reports whether the first key k in b has a value starting with
// "2." (GuardDuty's schema version; Macie's findings, which look alike,
// are at 1.0).
func schema2(b, k []byte) bool {
	i := bytes.Index(b, k)
	if i < 0 {
		return false
	}
	rest := bytes.TrimLeft(b[i+len(k):], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return false
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	return bytes.HasPrefix(rest, []byte(`"2.`)) || bytes.HasPrefix(rest, []byte(`\"2.`))
}

// quoted returns the keys as they appear in JSON: "k", and \"k\" inside a
// JSON string.
func quoted(keys ...string) [][]byte {
	var out [][]byte
	for _, k := range keys {
		out = append(out, []byte(`"`+k+`"`), []byte(`\"`+k+`\"`))
	}
	return out
}

var (
	// Other formats' keys: CloudTrail, ASFF, Kubernetes audit, DNS query logs.
	notMarks    = quoted("eventVersion", "AwsAccountId", "ProductArn", "GeneratorId", "auditID", "stageTimestamp", "query_name")
	marks       = quoted(EventSource, EventDetailType, "detectorId", "DetectorId")
	eventBridge = quoted("detail-type")
	keySets     = [][][]byte{
		{[]byte(`"schemaVersion"`), []byte(`"accountId"`), []byte(`"severity"`)},
		{[]byte(`"SchemaVersion"`), []byte(`"AccountId"`), []byte(`"Severity"`)},
		{[]byte(`\"schemaVersion\"`), []byte(`\"accountId\"`), []byte(`\"severity\"`)},
	}
)

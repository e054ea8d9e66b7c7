package asff

import (
	"bytes"

	"github.com/picket-dev/picket/internal/decode"
)

// Sniff reports whether the first bytes of a stream (at most
// decode.SniffLen are looked at) look like ASFF findings in any shape this
// package reads: JSON with keys only ASFF has (AwsAccountId, ProductArn,
// GeneratorId), ASFF's schema version "2018-10-08", or naming Security
// Hub's EventBridge source or "Imported" detail-type — bare, or
// escaped in an SNS or CloudWatch Logs message. It never claims CloudTrail
// records (an eventVersion key: CloudTrail logs BatchImportFindings calls,
// findings and all), Kubernetes audit events, Route 53 Resolver query logs,
// VPC Flow Logs (text) or GuardDuty's own findings (guardduty.Sniff's; the
// two never both match).
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
	return false
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
	// Other formats' keys: CloudTrail, Kubernetes audit, DNS query logs.
	notMarks = quoted("eventVersion", "auditID", "stageTimestamp", "query_name")
	marks    = quoted("AwsAccountId", "ProductArn", "GeneratorId", EventSource, EventImported, "2018-10-08")
)

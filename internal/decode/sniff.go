package decode

import (
	"bytes"
)

// SniffLen is how many bytes Sniff wants to see.
const SniffLen = 4096

// Sniff guesses a stream's format from its first bytes (at most SniffLen):
// "dns" for Route 53 Resolver query logs (JSON with query_name fields),
// "cloudtrail" for other JSON, "vpcflow" for flow log text (a header line
// "version account-id …", or lines of space-separated fields that start
// with a version number), and "" when it cannot tell. CloudWatch Logs
// envelopes are judged by what their messages hold.
func Sniff(b []byte) string {
	if len(b) > SniffLen {
		b = b[:SniffLen]
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return ""
	}
	switch b[0] {
	case '{', '[':
		// Keys, not words: a CloudTrail record may mention query_name in a
		// parameter, but only a query log has both keys (bare, or escaped in a
		// CloudWatch Logs message).
		ct := bytes.Contains(b, []byte(`"eventVersion"`)) || bytes.Contains(b, []byte(`\"eventVersion\"`))
		dns := (bytes.Contains(b, []byte(`"query_name"`)) && bytes.Contains(b, []byte(`"query_timestamp"`))) ||
			(bytes.Contains(b, []byte(`\"query_name\"`)) && bytes.Contains(b, []byte(`\"query_timestamp\"`)))
		switch {
		case ct:
			return "cloudtrail"
		case dns:
			return "dns"
		case bytes.Contains(b, []byte(`"logEvents"`)):
			return "vpcflow"
		}
		return "cloudtrail"
	}
	line := b
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimSpace(line)
	if bytes.HasPrefix(line, []byte("version ")) || bytes.HasPrefix(line, []byte("${version}")) {
		return "vpcflow"
	}
	// A default-format record: "2 123456789012 eni-… …".
	fields := bytes.Fields(line)
	if len(fields) >= 10 && isDigits(fields[0]) && (isDigits(fields[1]) || string(fields[1]) == "-") {
		return "vpcflow"
	}
	return ""
}

func isDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

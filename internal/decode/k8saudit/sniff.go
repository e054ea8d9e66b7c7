package k8saudit

import (
	"bytes"

	"github.com/picket-dev/picket/internal/decode"
)

// Sniff reports whether the first bytes of a stream (at most
// decode.SniffLen are looked at) look like Kubernetes audit logs in any
// shape this package reads: JSON holding an audit.k8s.io apiVersion, or
// keys only audit events have (auditID, stageTimestamp,
// requestReceivedTimestamp, objectRef, sourceIPs), bare or escaped in a
// CloudWatch Logs message, or CloudWatch Logs data of an EKS cluster's
// control plane log group (/aws/eks/…) or audit log stream. CloudTrail
// records (an eventVersion key) never match, even when they mention
// Kubernetes.
//
// decode.Sniff cannot call it (package decode cannot import its
// subpackages): a caller asks Sniff first, since decode.Sniff takes any
// CloudWatch Logs subscription message for VPC Flow Logs and other JSON for
// CloudTrail.
func Sniff(b []byte) bool {
	if len(b) > decode.SniffLen {
		b = b[:decode.SniffLen]
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 || (b[0] != '{' && b[0] != '[') {
		return false
	}
	if bytes.Contains(b, []byte(`"eventVersion"`)) || bytes.Contains(b, []byte(`\"eventVersion\"`)) {
		return false
	}
	for _, m := range sniffMarks {
		if bytes.Contains(b, m) {
			return true
		}
	}
	return false
}

var sniffMarks = func() [][]byte {
	var out [][]byte
	for _, k := range []string{"auditID", "stageTimestamp", "requestReceivedTimestamp", "objectRef", "sourceIPs"} {
		out = append(out, []byte(`"`+k+`"`), []byte(`\"`+k+`\"`))
	}
	return append(out, []byte(`"audit.k8s.io/`), []byte(`\"audit.k8s.io/`), []byte(`"kube-apiserver-audit-`), []byte(`"/aws/eks/`))
}()

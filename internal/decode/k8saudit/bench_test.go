package k8saudit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/event"
)

type countHandler struct{ events, bad int }

func (h *countHandler) Event(*event.Event) error    { h.events++; return nil }
func (h *countHandler) Quarantine(decode.Bad) error { h.bad++; return nil }

var (
	benchVerbs     = []string{"get", "get", "get", "list", "list", "watch", "watch", "create", "update", "patch", "delete"}
	benchResources = []struct{ resource, group, sub string }{
		{"pods", "", ""}, {"pods", "", ""}, {"pods", "", "status"}, {"pods", "", "exec"}, {"configmaps", "", ""},
		{"secrets", "", ""}, {"leases", "coordination.k8s.io", ""}, {"leases", "coordination.k8s.io", ""},
		{"nodes", "", "status"}, {"endpointslices", "discovery.k8s.io", ""}, {"deployments", "apps", ""},
		{"events", "", ""}, {"serviceaccounts", "", "token"}, {"clusterrolebindings", "rbac.authorization.k8s.io", ""},
		{"certificates", "cert-manager.io", ""},
	}
	benchNamespaces = []string{"default", "kube-system", "prod", "monitoring", "cert-manager"}
)

// genRecords writes n audit events as JSON lines, as EKS writes them
// (kube-apiserver's json format): a mix of IAM principals through the EKS
// authenticator (with user.extra), service accounts and nodes; namespaced
// and cluster-scoped objects, subresources, some requests refused, and a
// request body on writes.
func genRecords(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 11))
	var b []byte
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for i := range n {
		b = appendRecord(b, rng, i, t0.Add(time.Duration(i)*17*time.Millisecond))
		b = append(b, '\n')
	}
	return b
}

func appendRecord(b []byte, rng *rand.Rand, i int, t time.Time) []byte {
	verb := benchVerbs[rng.IntN(len(benchVerbs))]
	r := benchResources[rng.IntN(len(benchResources))]
	ns := benchNamespaces[rng.IntN(len(benchNamespaces))]
	if r.resource == "nodes" || r.resource == "clusterrolebindings" {
		ns = ""
	}
	name := ""
	if verb != "list" && verb != "watch" && verb != "create" || r.sub != "" {
		name = r.resource[:3] + "-" + strconv.FormatUint(rng.Uint64()%1e6, 36)
	}
	code := 200
	switch {
	case rng.IntN(25) == 0:
		code = 403
	case verb == "create":
		code = 201
	case rng.IntN(40) == 0:
		code = 404
	}
	b = append(b, `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"`...)
	b = fmt.Appendf(b, "%08x-%04x-4%03x-8%03x-%012x", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), rng.IntN(1<<12), rng.Uint64()&(1<<48-1))
	b = append(b, `","stage":"ResponseComplete","requestURI":"/`...)
	if r.group == "" {
		b = append(b, "api/v1"...)
	} else {
		b = append(b, "apis/"...)
		b = append(b, r.group...)
		b = append(b, "/v1"...)
	}
	if ns != "" {
		b = append(b, "/namespaces/"...)
		b = append(b, ns...)
	}
	b = append(b, '/')
	b = append(b, r.resource...)
	if name != "" {
		b = append(b, '/')
		b = append(b, name...)
	}
	if r.sub != "" {
		b = append(b, '/')
		b = append(b, r.sub...)
	}
	b = append(b, `","verb":"`...)
	b = append(b, verb...)
	b = append(b, `","user":`...)
	ua := "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46"
	switch k := rng.IntN(3); k {
	case 0:
		role, sess := "Admin", "alice"
		if rng.IntN(2) == 0 {
			role, sess = "eksctl-prod-nodegroup-NodeInstanceRole-1A2B3C4D5E6F", "i-0"+strconv.FormatUint(rng.Uint64()%1e15, 16)
			ua = "kubelet/v1.31.2 (linux/amd64) kubernetes/5864a46"
		}
		b = append(b, `{"username":"arn:aws:sts::111122223333:assumed-role/`...)
		b = append(b, role...)
		b = append(b, '/')
		b = append(b, sess...)
		b = append(b, `","uid":"aws-iam-authenticator:111122223333:AROAEXAMPLEROLEID0001","groups":["system:authenticated"],"extra":{"accessKeyId":["ASIAEXAMPLEKEY000001"],"arn":["arn:aws:sts::111122223333:assumed-role/`...)
		b = append(b, role...)
		b = append(b, '/')
		b = append(b, sess...)
		b = append(b, `"],"canonicalArn":["arn:aws:iam::111122223333:role/`...)
		b = append(b, role...)
		b = append(b, `"],"principalId":["AROAEXAMPLEROLEID0001"],"sessionName":["`...)
		b = append(b, sess...)
		b = append(b, `"]}}`...)
	case 1:
		b = append(b, `{"username":"system:serviceaccount:kube-system:`...)
		sa := []string{"coredns", "aws-node", "ebs-csi-controller-sa", "cluster-autoscaler"}[rng.IntN(4)]
		b = append(b, sa...)
		b = append(b, `","uid":"`...)
		b = fmt.Appendf(b, "%08x-0000-4000-8000-%012x", rng.Uint32(), rng.Uint64()&(1<<48-1))
		b = append(b, `","groups":["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"],"extra":{"authentication.kubernetes.io/pod-name":["`...)
		b = append(b, sa...)
		b = append(b, `-5c6f9"],"authentication.kubernetes.io/pod-uid":["0b0c0d0e-0000-4000-8000-000000000000"]}}`...)
		ua = sa + "/v1.11.1 (linux/amd64) kubernetes/$Format"
	default:
		b = append(b, `{"username":"system:node:ip-10-0-`...)
		b = strconv.AppendInt(b, int64(rng.IntN(256)), 10)
		b = append(b, `-`...)
		b = strconv.AppendInt(b, int64(rng.IntN(256)), 10)
		b = append(b, `.eu-west-1.compute.internal","uid":"aws-iam-authenticator:111122223333:AROAEXAMPLENODEID0001","groups":["system:nodes","system:authenticated"]}`...)
		ua = "kubelet/v1.31.2 (linux/amd64) kubernetes/5864a46"
	}
	b = append(b, `,"sourceIPs":["`...)
	if rng.IntN(10) == 0 {
		b = fmt.Appendf(b, "2600:1f18:4a3:6902::%x", rng.IntN(0xffff))
	} else {
		b = fmt.Appendf(b, "10.0.%d.%d", rng.IntN(256), 1+rng.IntN(254))
	}
	b = append(b, `"],"userAgent":"`...)
	b = append(b, ua...)
	b = append(b, `","objectRef":{"resource":"`...)
	b = append(b, r.resource...)
	if ns != "" {
		b = append(b, `","namespace":"`...)
		b = append(b, ns...)
	}
	if name != "" {
		b = append(b, `","name":"`...)
		b = append(b, name...)
	}
	if r.group != "" {
		b = append(b, `","apiGroup":"`...)
		b = append(b, r.group...)
	}
	b = append(b, `","apiVersion":"v1"`...)
	if r.sub != "" {
		b = append(b, `,"subresource":"`...)
		b = append(b, r.sub...)
		b = append(b, '"')
	}
	b = append(b, `},"responseStatus":{"metadata":{},`...)
	if code >= 400 {
		b = append(b, `"status":"Failure","message":"`...)
		b = append(b, r.resource...)
		b = append(b, ` is forbidden: User cannot `...)
		b = append(b, verb...)
		b = append(b, ` resource","reason":"Forbidden",`...)
	}
	b = append(b, `"code":`...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, `},"requestReceivedTimestamp":"`...)
	b = t.AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	b = append(b, `","stageTimestamp":"`...)
	b = t.Add(time.Duration(1+rng.IntN(50000))*time.Microsecond).AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	b = append(b, `","annotations":{"authorization.k8s.io/decision":"`...)
	if code == 403 {
		b = append(b, `forbid","authorization.k8s.io/reason":""}}`...)
	} else {
		b = append(b, `allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"system:controller\" of ClusterRole \"system:controller\" to User"}}`...)
	}
	_ = i
	return b
}

// genCloudWatch writes n audit events as CloudWatch Logs subscription
// messages of an EKS cluster's audit stream, perMessage log events each, one
// message per line.
func genCloudWatch(n, perMessage int) []byte {
	recs := bytes.Split(bytes.TrimRight(genRecords(n, 3), "\n"), []byte("\n"))
	var out []byte
	for len(recs) > 0 {
		k := min(perMessage, len(recs))
		type logEvent struct {
			ID        string `json:"id"`
			Timestamp int64  `json:"timestamp"`
			Message   string `json:"message"`
		}
		msg := struct {
			MessageType         string     `json:"messageType"`
			Owner               string     `json:"owner"`
			LogGroup            string     `json:"logGroup"`
			LogStream           string     `json:"logStream"`
			SubscriptionFilters []string   `json:"subscriptionFilters"`
			LogEvents           []logEvent `json:"logEvents"`
		}{"DATA_MESSAGE", "111122223333", "/aws/eks/prod-cluster/cluster", "kube-apiserver-audit-1234567890abcdef01234567890abcde", []string{"picket"}, nil}
		for i, r := range recs[:k] {
			msg.LogEvents = append(msg.LogEvents, logEvent{fmt.Sprintf("3719574328091736461895620482983750617231789023%04d", i), 1772446500000 + int64(i), string(r)})
		}
		recs = recs[k:]
		j, err := json.Marshal(msg)
		if err != nil {
			panic(err)
		}
		out = append(append(out, j...), '\n')
	}
	return out
}

// genEventList writes n audit events as EventLists of perList items (what
// the webhook backend posts), one list per line.
func genEventList(n, perList int) []byte {
	recs := bytes.Split(bytes.TrimRight(genRecords(n, 5), "\n"), []byte("\n"))
	var out []byte
	for len(recs) > 0 {
		k := min(perList, len(recs))
		out = append(out, `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[`...)
		out = append(out, bytes.Join(recs[:k], []byte(","))...)
		out = append(out, "]}\n"...)
		recs = recs[k:]
	}
	return out
}

func benchDecode(b *testing.B, data []byte, n int, o decode.Options) {
	d := New()
	var h countHandler
	rd := bytes.NewReader(data)
	b.SetBytes(int64(len(data)) / int64(n))
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += n {
		rd.Reset(data)
		if _, err := d.Decode(context.Background(), rd, o, &h); err != nil {
			b.Fatal(err)
		}
	}
	if h.bad > 0 {
		b.Fatalf("%d bad records", h.bad)
	}
}

// BenchmarkDecode splits, parses and normalizes EKS audit events from a
// JSON-lines file; one op is one record.
func BenchmarkDecode(b *testing.B) {
	const n = 2000
	benchDecode(b, genRecords(n, 1), n, decode.Options{Params: testParams})
}

// BenchmarkDecodeCloudWatch decodes the same kind of records delivered as
// CloudWatch Logs subscription messages (50 log events each); one op is one
// record.
func BenchmarkDecodeCloudWatch(b *testing.B) {
	const n = 2000
	benchDecode(b, genCloudWatch(n, 50), n, decode.Options{})
}

// BenchmarkDecodeEventList decodes EventLists of 100 items (items are
// re-serialized for RawBytes); one op is one record.
func BenchmarkDecodeEventList(b *testing.B) {
	const n = 2000
	benchDecode(b, genEventList(n, 100), n, decode.Options{})
}

package k8saudit

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/testutil"
)

// pantherLog holds the fields of an audit event the decoder maps, read with
// encoding/json to check the decoder against.
type pantherLog struct {
	AuditID        string   `json:"auditID"`
	Verb           string   `json:"verb"`
	Stage          string   `json:"stage"`
	UserAgent      string   `json:"userAgent"`
	SourceIPs      []string `json:"sourceIPs"`
	StageTimestamp string   `json:"stageTimestamp"`
	ReceivedAt     string   `json:"requestReceivedTimestamp"`
	User           *struct {
		Username string `json:"username"`
		UID      string `json:"uid"`
	} `json:"user"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code    *int   `json:"code"`
		Message string `json:"message"`
		Reason  string `json:"reason"`
	} `json:"responseStatus"`
}

// TestSharedPantherEvents decodes the audit events of Panther's
// Amazon.EKS.Audit rule tests (each line is a test case whose "log" is one
// event), as JSON lines, as a JSON array, as an EventList and inside a
// CloudWatch Logs subscription message, and checks every mapped field
// against the raw JSON.
func TestSharedPantherEvents(t *testing.T) {
	p := testutil.SharedData(t, "panther-rule-tests", "tests_Amazon_EKS_Audit.jsonl")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var logs [][]byte
	var want []pantherLog
	var names []string
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var tc struct {
			TestName string          `json:"test_name"`
			Log      json.RawMessage `json:"log"`
		}
		if err := json.Unmarshal(line, &tc); err != nil {
			t.Fatal(err)
		}
		var pl pantherLog
		if err := json.Unmarshal(tc.Log, &pl); err != nil {
			t.Fatalf("%s: %v", tc.TestName, err)
		}
		logs = append(logs, tc.Log)
		want = append(want, pl)
		names = append(names, tc.TestName)
	}
	if len(logs) < 50 {
		t.Fatalf("only %d test cases", len(logs))
	}
	lines := append(bytes.Join(logs, []byte("\n")), '\n')
	array := append(append([]byte("[\n"), bytes.Join(logs, []byte(",\n"))...), "\n]\n"...)
	list := append(append([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[`), bytes.Join(logs, []byte(","))...), "]}"...)
	var cw bytes.Buffer
	cw.WriteString(`{"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"/aws/eks/panther/cluster","logStream":"kube-apiserver-audit-0123","subscriptionFilters":["f"],"logEvents":[`)
	for i, l := range logs {
		if i > 0 {
			cw.WriteByte(',')
		}
		m, _ := json.Marshal(string(l))
		cw.WriteString(`{"id":"` + strconv.Itoa(i) + `","timestamp":1669680544380,"message":`)
		cw.Write(m)
		cw.WriteByte('}')
	}
	cw.WriteString("]}\n")

	for _, shape := range []struct {
		name string
		in   []byte
	}{{"lines", lines}, {"array", array}, {"EventList", list}, {"CloudWatch", cw.Bytes()}} {
		t.Run(shape.name, func(t *testing.T) {
			c, st := decodeBytes(t, shape.in, decode.Options{Origin: event.Origin{Path: "panther"}})
			if len(c.bad) != 0 {
				t.Fatalf("quarantined: %s (%.200s)", c.bad[0].Reason, c.bad[0].Sample)
			}
			if len(c.events) != len(want) || st.Records != int64(len(want)) {
				t.Fatalf("%d events, want %d", len(c.events), len(want))
			}
			for i, w := range want {
				checkPanther(t, names[i], c.events[i], w, shape.name == "CloudWatch")
			}
		})
	}
}

func checkPanther(t *testing.T, name string, e *event.Event, w pantherLog, cw bool) {
	t.Helper()
	if e.Kind != event.KindK8sAudit || e.ID != w.AuditID || e.Action != w.Verb || e.Type != w.Stage || e.Actor.UserAgent != w.UserAgent {
		t.Errorf("%s: id %q verb %q stage %q ua %q", name, e.ID, e.Action, e.Type, e.Actor.UserAgent)
	}
	switch ts := w.StageTimestamp + w.ReceivedAt; {
	case ts != "":
		if w.StageTimestamp == "" {
			ts = w.ReceivedAt
		} else {
			ts = w.StageTimestamp
		}
		wt, err := decode.ParseTime([]byte(ts))
		if err != nil || !e.Time.Equal(wt) {
			t.Errorf("%s: Time %v, want %s", name, e.Time, ts)
		}
	case cw:
		if e.Time.UnixMilli() != 1669680544380 {
			t.Errorf("%s: Time %v, want the log event's", name, e.Time)
		}
	default:
		if !e.Time.IsZero() {
			t.Errorf("%s: Time %v from nowhere", name, e.Time)
		}
	}
	if len(w.SourceIPs) > 0 && e.SourceIP != w.SourceIPs[0] || len(w.SourceIPs) == 0 && e.SourceIP != "" {
		t.Errorf("%s: SourceIP %q, want the first of %q", name, e.SourceIP, w.SourceIPs)
	}
	var user, uid string
	if w.User != nil {
		user, uid = w.User.Username, w.User.UID
	}
	wantType := ""
	switch {
	case strings.HasPrefix(user, "system:serviceaccount:"):
		wantType = ActorServiceAccount
	case user != "":
		wantType = ActorUser
	}
	if e.Actor.UserName != user || e.Actor.Type != wantType || e.Actor.PrincipalID != uid {
		t.Errorf("%s: actor %+v, want user %q (%s)", name, e.Actor, user, wantType)
	}
	service, arn := "", ""
	if r := w.ObjectRef; r != nil && r.Resource != "" {
		service = r.Resource
		if r.Subresource != "" {
			service += "/" + r.Subresource
		}
		arn = r.Namespace + "/" + r.Resource + "/" + r.Name
	}
	if e.Service != service {
		t.Errorf("%s: Service %q, want %q", name, e.Service, service)
	}
	var resARN []string
	for _, r := range e.Resources {
		if r.Type != ClusterType {
			resARN = append(resARN, r.ARN)
		}
	}
	if arn == "" && len(resARN) != 0 || arn != "" && (len(resARN) != 1 || resARN[0] != arn) {
		t.Errorf("%s: resources %+v, want %q", name, e.Resources, arn)
	}
	code, failed, msg := "", false, ""
	if s := w.ResponseStatus; s != nil && s.Code != nil && *s.Code >= 400 {
		code, failed, msg = strconv.Itoa(*s.Code), true, s.Message
		if msg == "" {
			msg = s.Reason
		}
	}
	if e.Failed != failed || e.ErrorCode != code || e.ErrorMessage != msg {
		t.Errorf("%s: failed %v code %q message %q, want %v %q %q", name, e.Failed, e.ErrorCode, e.ErrorMessage, failed, code, msg)
	}
	if cw {
		if e.Account != "111122223333" || len(e.Resources) == 0 || e.Resources[len(e.Resources)-1].ARN != "arn:aws:eks::111122223333:cluster/panther" {
			t.Errorf("%s: account %q resources %+v", name, e.Account, e.Resources)
		}
	}
	// The raw record is the audit event, with its fields reachable.
	if e.Str(event.ParsePath("verb")) != w.Verb || e.Str(event.ParsePath("kind")) != "Event" {
		t.Errorf("%s: raw record %.80s", name, e.RawBytes)
	}
}

// TestSharedDocsSamples reads the JSON examples of the EKS control plane
// logging documentation (aws-docs-samples/eks): they are EKS API responses
// (UpdateClusterConfig, DescribeUpdate), not audit events, so they must be
// quarantined as such, and must not sniff as audit logs.
func TestSharedDocsSamples(t *testing.T) {
	dir := testutil.SharedData(t, "aws-docs-samples", "eks")
	mb, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Blocks []struct{ File, Kind, Section string }
	}
	if err := json.Unmarshal(mb, &manifest); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, blk := range manifest.Blocks {
		if blk.Kind != "json" {
			continue
		}
		n++
		b, err := os.ReadFile(filepath.Join(dir, blk.File))
		if err != nil {
			t.Fatal(err)
		}
		c, _ := decodeBytes(t, b, decode.Options{Origin: event.Origin{Path: blk.File}})
		if len(c.events) != 0 || len(c.bad) != 1 || !strings.Contains(c.bad[0].Reason, "not a Kubernetes audit event") {
			t.Errorf("%s: %d events, quarantined %+v", blk.File, len(c.events), c.bad)
		}
		if Sniff(b) {
			t.Errorf("%s sniffs as audit logs", blk.File)
		}
	}
	if n == 0 {
		t.Error("no JSON example in the manifest")
	}
	// The documentation names the log streams: the audit stream is read,
	// the others are skipped.
	doc, err := os.ReadFile(filepath.Join(dir, "source-md", "control-plane-logs.adoc"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		mark  string
		other bool
	}{{"kube-apiserver-audit-", false}, {"kube-apiserver-", true}, {"authenticator-", true}} {
		if !bytes.Contains(doc, []byte("`"+s.mark+"[.replaceable]")) {
			t.Errorf("the documentation no longer names the %s… stream", s.mark)
		}
		if otherStream(s.mark+"1234567890abcdef01234567890abcde") != s.other {
			t.Errorf("stream %s…: other = %v", s.mark, !s.other)
		}
	}
	if !bytes.Contains(doc, []byte("/aws/eks/")) || clusterOf("/aws/eks/my-cluster/cluster") != "my-cluster" {
		t.Error("log group name format")
	}
}

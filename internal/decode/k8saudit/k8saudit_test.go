package k8saudit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/event"
)

// collector keeps copies of what a decoder hands out.
type collector struct {
	events []*event.Event
	bad    []decode.Bad
}

func (c *collector) Event(e *event.Event) error { c.events = append(c.events, e.Clone()); return nil }
func (c *collector) Quarantine(b decode.Bad) error {
	b.Sample = append([]byte(nil), b.Sample...)
	c.bad = append(c.bad, b)
	return nil
}

type handlerFunc func(e *event.Event) error

func (f handlerFunc) Event(e *event.Event) error  { return f(e) }
func (f handlerFunc) Quarantine(decode.Bad) error { return nil }

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeBytes(t testing.TB, b []byte, o decode.Options) (*collector, decode.Stats) {
	t.Helper()
	var c collector
	st, err := New().Decode(context.Background(), bytes.NewReader(b), o, &c)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	checkStats(t, st, int64(len(c.events)), int64(len(c.bad)))
	if st.Bytes != int64(len(b)) {
		t.Fatalf("Bytes = %d of %d", st.Bytes, len(b))
	}
	return &c, st
}

func checkStats(t testing.TB, st decode.Stats, events, bad int64) {
	t.Helper()
	if st.Events != events || st.Quarantined != bad || st.Events+st.Quarantined+st.Skipped != st.Records {
		t.Fatalf("stats %+v do not add up (handler saw %d events, %d bad)", st, events, bad)
	}
}

// lineStarts returns the byte offset of every line of b (index 0 is line 1).
func lineStarts(b []byte) []int64 {
	starts := []int64{0}
	for i, c := range b {
		if c == '\n' && i+1 < len(b) {
			starts = append(starts, int64(i+1))
		}
	}
	return starts
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// want is what one audit event must decode to. Account, Region and the
// cluster resource come from the decode run, not from here.
type want struct {
	time      time.Time
	id        string
	action    string
	stage     string
	service   string
	sourceIP  string
	actor     event.Actor
	failed    bool
	errCode   string
	errMsg    string
	resources []event.Resource // the object only
}

const (
	acct    = "111122223333"
	adminUA = "kubectl/v1.31.2 (darwin/arm64) kubernetes/5864a46"
)

var (
	alice = event.Actor{
		Type: ActorUser, UserName: "arn:aws:sts::111122223333:assumed-role/Admin/alice",
		ARN: "arn:aws:sts::111122223333:assumed-role/Admin/alice", PrincipalID: "AROAEXAMPLEROLEID0001", AccountID: acct,
		AccessKeyID: "ASIAEXAMPLEKEY000001", SessionIssuerARN: "arn:aws:iam::111122223333:role/Admin",
		SessionIssuerType: "Role", SessionIssuerName: "Admin", UserAgent: adminUA,
	}
	anonymous = event.Actor{Type: ActorUser, UserName: "system:anonymous"}
)

func res(typ, arn string) []event.Resource { return []event.Resource{{Type: typ, ARN: arn}} }

func with(a event.Actor, ua string) event.Actor { a.UserAgent = ua; return a }

// recordsWant is what testdata/records.jsonl must decode to, record by record.
var recordsWant = []want{
	{time: ts("2026-03-02T10:15:00.123456Z"), id: "a1b2c3d4-0000-4000-8000-000000000001", action: "list", stage: "ResponseComplete",
		service: "pods", sourceIP: "203.0.113.10", actor: alice, resources: res("KubernetesPod", "default/pods/")},
	{time: ts("2026-03-02T10:15:01.05Z"), id: "a1b2c3d4-0000-4000-8000-000000000002", action: "create", stage: "ResponseStarted",
		service: "pods/exec", sourceIP: "203.0.113.10", actor: alice, resources: res("KubernetesPod", "default/pods/web-7d9c")},
	{time: ts("2026-03-02T10:15:02.5Z"), id: "a1b2c3d4-0000-4000-8000-000000000003", action: "list", stage: "ResponseComplete",
		service: "secrets", sourceIP: "2600:1f18:4a3:6902::5",
		actor: event.Actor{Type: ActorServiceAccount, UserName: "system:serviceaccount:kube-system:snooper",
			PrincipalID: "5f0c0d1e-0000-4000-8000-00000000beef", UserAgent: "python-requests/2.31.0"},
		resources: res("KubernetesSecret", "/secrets/")},
	{time: ts("2026-03-02T10:15:03.001Z"), id: "a1b2c3d4-0000-4000-8000-000000000004", action: "get", stage: "ResponseComplete",
		service: "secrets", sourceIP: "198.51.100.77", actor: with(anonymous, "curl/8.5.0"), failed: true, errCode: "403",
		errMsg:    `secrets "db-password" is forbidden: User "system:anonymous" cannot get resource "secrets" in API group "" in the namespace "prod"`,
		resources: res("KubernetesSecret", "prod/secrets/db-password")},
	{time: ts("2026-03-02T10:15:04.01Z"), id: "a1b2c3d4-0000-4000-8000-000000000005", action: "create", stage: "ResponseComplete",
		service: "clusterrolebindings", sourceIP: "203.0.113.10", actor: alice,
		resources: res("KubernetesClusterRoleBinding", "/clusterrolebindings/backdoor-admin")},
	{time: ts("2026-03-02T10:15:05.0001Z"), id: "a1b2c3d4-0000-4000-8000-000000000006", action: "get", stage: "ResponseComplete",
		sourceIP: "10.0.1.5", actor: with(anonymous, "ELB-HealthChecker/2.0")},
	{time: ts("2026-03-02T10:15:06.02Z"), id: "a1b2c3d4-0000-4000-8000-000000000007", action: "patch", stage: "ResponseComplete",
		service: "certificates/status", sourceIP: "10.0.2.9",
		actor: event.Actor{Type: ActorServiceAccount, UserName: "system:serviceaccount:cert-manager:cert-manager",
			PrincipalID: "11111111-2222-4333-8444-555555555555", UserAgent: "cert-manager-certificates-trigger/v1.14.4"},
		resources: res("Kubernetes/certificates", "default/certificates/web-tls")},
	{time: ts("2026-03-02T10:15:07Z"), id: "a1b2c3d4-0000-4000-8000-000000000008", action: "update", stage: "RequestReceived",
		service: "configmaps", sourceIP: "203.0.113.10", actor: alice, resources: res("KubernetesConfigMap", "kube-system/configmaps/aws-auth")},
	{time: ts("2022-11-29T00:09:04.38Z"), id: "a1b2c3d4-0000-4000-8000-000000000009", action: "delete", stage: "ResponseComplete",
		service: "events", sourceIP: "192.0.2.1", actor: event.Actor{Type: ActorUser, UserName: "kubernetes-admin"},
		resources: res("KubernetesEvent", "default/events/web-7d9c.17c1")},
	{time: ts("2026-03-02T10:15:09.003Z"), id: "a1b2c3d4-0000-4000-8000-00000000000a", action: "delete", stage: "ResponseComplete",
		service: "deployments", sourceIP: "203.0.113.11",
		actor:  event.Actor{Type: ActorUser, UserName: "kubernetes-admin", UserAgent: "kubectl/v1.30.0 (linux/amd64) kubernetes/7c48c2b"},
		failed: true, errCode: "404", errMsg: "NotFound", resources: res("KubernetesDeployment", "prod/deployments/api")},
	{time: ts("2026-03-02T08:15:10.5Z"), id: "a1b2c3d4-0000-4000-8000-00000000000b", action: "create", stage: "ResponseComplete",
		service: "cronjobs", sourceIP: "::ffff:203.0.113.12",
		actor: event.Actor{Type: ActorUser, UserName: "ci-deployer", PrincipalID: "aws-iam-authenticator:111122223333:AIDAEXAMPLEUSERID0001",
			ARN: "arn:aws:iam::111122223333:user/ci-deployer", AccountID: acct, AccessKeyID: "AKIAEXAMPLEKEY000002", UserAgent: "helm/v3.14.0"},
		resources: res("KubernetesCronJob", "default/cronjobs/")},
}

// checkEvent compares an event with what it should be; account, region and
// clusterARN are what the run says about where it comes from.
func checkEvent(t *testing.T, name string, e *event.Event, w want, account, region, clusterARN string) {
	t.Helper()
	if e.Kind != event.KindK8sAudit || e.ID != w.id || e.Action != w.action || e.Type != w.stage || e.Service != w.service {
		t.Errorf("%s: kind %v id %q action %q type %q service %q, want %q %q %q %q", name, e.Kind, e.ID, e.Action, e.Type, e.Service,
			w.id, w.action, w.stage, w.service)
	}
	if !e.Time.Equal(w.time) || e.Time.Location() != time.UTC {
		t.Errorf("%s: Time = %v, want %v (UTC)", name, e.Time, w.time)
	}
	if e.SourceIP != w.sourceIP || e.Account != account || e.Region != region {
		t.Errorf("%s: source IP %q account %q region %q, want %q %q %q", name, e.SourceIP, e.Account, e.Region, w.sourceIP, account, region)
	}
	if e.Actor != w.actor {
		t.Errorf("%s: Actor =\n%+v, want\n%+v", name, e.Actor, w.actor)
	}
	if e.Failed != w.failed || e.ErrorCode != w.errCode || e.ErrorMessage != w.errMsg {
		t.Errorf("%s: failed %v code %q message %q, want %v %q %q", name, e.Failed, e.ErrorCode, e.ErrorMessage, w.failed, w.errCode, w.errMsg)
	}
	if ro := w.action == "get" || w.action == "list" || w.action == "watch"; e.ReadOnly != ro {
		t.Errorf("%s: ReadOnly = %v", name, e.ReadOnly)
	}
	wr := slices.Clone(w.resources)
	for i := range wr {
		wr[i].AccountID = account
	}
	if clusterARN != "" {
		wr = append(wr, event.Resource{Type: ClusterType, ARN: clusterARN, AccountID: account})
	}
	if !slices.Equal(e.Resources, wr) {
		t.Errorf("%s: Resources = %+v, want %+v", name, e.Resources, wr)
	}
	if e.Raw == nil || len(e.RawBytes) == 0 {
		t.Fatalf("%s: no raw record", name)
	}
	if got := e.Str(event.ParsePath("auditID")); got != w.id {
		t.Errorf("%s: raw auditID %q", name, got)
	}
	if e.DNS.Query != "" || e.Net != (event.Network{}) {
		t.Errorf("%s: DNS or flow fields set", name)
	}
}

var testParams = map[string]string{"account": acct, "region": "eu-west-1", "cluster": "prod-cluster"}

const prodClusterARN = "arn:aws:eks:eu-west-1:111122223333:cluster/prod-cluster"

func TestDecodeRecords(t *testing.T) {
	b := readTestdata(t, "records.jsonl")
	for _, tc := range []struct {
		name                string
		params              map[string]string
		account, region, ca string
	}{
		{"no options", nil, "", "", ""},
		{"options", testParams, acct, "eu-west-1", prodClusterARN},
		{"cluster only", map[string]string{"cluster": "dev_1"}, "", "", "arn:aws:eks:::cluster/dev_1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, st := decodeBytes(t, b, decode.Options{Origin: event.Origin{Source: "test", Path: "records.jsonl"}, Params: tc.params})
			if len(c.bad) > 0 {
				t.Fatalf("quarantined: %+v", c.bad[0])
			}
			if len(c.events) != len(recordsWant) || st.Records != int64(len(recordsWant)) {
				t.Fatalf("%d events, %d records, want %d", len(c.events), st.Records, len(recordsWant))
			}
			for i, w := range recordsWant {
				checkEvent(t, fmt.Sprintf("record %d (%s %s)", i, w.action, w.service), c.events[i], w, tc.account, tc.region, tc.ca)
			}
		})
	}
}

// TestSigmaFields checks that the field paths the SigmaHQ Kubernetes audit
// rules use resolve on decoded events, through Raw.
func TestSigmaFields(t *testing.T) {
	c, _ := decodeBytes(t, readTestdata(t, "records.jsonl"), decode.Options{})
	exec, crb := c.events[1], c.events[4]
	for _, f := range []struct {
		e    *event.Event
		path string
		want string
	}{
		{exec, "verb", "create"},
		{exec, "objectRef.resource", "pods"},
		{exec, "objectRef.subresource", "exec"},
		{exec, "objectRef.namespace", "default"},
		{exec, "user.username", "arn:aws:sts::111122223333:assumed-role/Admin/alice"},
		{exec, "sourceIPs.0", "203.0.113.10"},
		{exec, "userAgent", adminUA},
		{crb, "objectRef.apiGroup", "rbac.authorization.k8s.io"},
		{crb, "requestObject.roleRef.name", "cluster-admin"},
		{crb, "requestObject.subjects.0.kind", "ServiceAccount"},
		{crb, "requestURI", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?fieldManager=kubectl-create"},
	} {
		if got := f.e.Str(event.ParsePath(f.path)); got != f.want {
			t.Errorf("%s = %q, want %q", f.path, got, f.want)
		}
	}
	if v := c.events[3].Value(event.ParsePath("responseStatus.code")); v == nil || v.GetInt() != 403 {
		t.Errorf("responseStatus.code = %v", v)
	}
}

func TestDecodeOrigins(t *testing.T) {
	for _, file := range []string{"records.jsonl", "array.json"} {
		t.Run(file, func(t *testing.T) {
			b := readTestdata(t, file)
			c, _ := decodeBytes(t, b, decode.Options{Origin: event.Origin{Source: "s", Path: file}})
			if len(c.events) < 3 || len(c.bad) != 0 {
				t.Fatalf("%d events, %d bad", len(c.events), len(c.bad))
			}
			starts := lineStarts(b)
			for i, e := range c.events {
				o := e.Origin
				if o.Index != int64(i) || o.Source != "s" || o.Path != file {
					t.Errorf("event %d origin %+v", i, o)
				}
				if o.Line < 1 || int(o.Line) > len(starts) || !bytes.HasPrefix(bytes.TrimLeft(b[starts[o.Line-1]:], " "), []byte("{")) {
					t.Errorf("event %d: line %d does not start the record", i, o.Line)
				}
				if !bytes.Equal(b[o.Offset:o.Offset+int64(len(e.RawBytes))], e.RawBytes) || e.RawBytes[0] != '{' {
					t.Errorf("event %d: RawBytes differ from the input at offset %d", i, o.Offset)
				}
				checkEvent(t, fmt.Sprintf("event %d", i), e, recordsWant[i], "", "", "")
			}
		})
	}
}

func TestDecodeEventList(t *testing.T) {
	const file = "eventlist.json"
	b := readTestdata(t, file)
	c, st := decodeBytes(t, b, decode.Options{Origin: event.Origin{Path: file}, Params: testParams})
	if len(c.bad) != 0 || len(c.events) != 5 || st.Records != 5 {
		t.Fatalf("%d events, %d bad, %+v", len(c.events), len(c.bad), st)
	}
	second := int64(bytes.Index(b, []byte("\n{")) + 1)
	secondLine := int64(bytes.Count(b[:second], []byte("\n")) + 1)
	for i, e := range c.events {
		w := recordsWant[3+i]
		checkEvent(t, fmt.Sprintf("item %d", i), e, w, acct, "eu-west-1", prodClusterARN)
		o := e.Origin
		if o.Index != int64(i) {
			t.Errorf("item %d: index %d", i, o.Index)
		}
		if i < 3 {
			// A whole EventList: every item has the list's origin, and its
			// own JSON as RawBytes.
			if o.Offset != 0 || o.Line != 1 {
				t.Errorf("item %d: origin %+v", i, o)
			}
			if bytes.Contains(e.RawBytes, []byte("EventList")) || !bytes.Contains(e.RawBytes, []byte(w.id)) {
				t.Errorf("item %d: RawBytes %.80s…", i, e.RawBytes)
			}
			continue
		}
		// Items first: the scanner splits the list, each item is where it is.
		if o.Offset <= second || o.Line != secondLine || !bytes.Equal(b[o.Offset:o.Offset+int64(len(e.RawBytes))], e.RawBytes) {
			t.Errorf("item %d: origin %+v", i, o)
		}
	}
}

func TestDecodeCloudWatchSubscription(t *testing.T) {
	const file = "cloudwatch.json"
	b := readTestdata(t, file)
	starts := lineStarts(b)
	// Each log event takes a record index; all share their message's line.
	type slot struct {
		line   int64
		rec    int    // an event: recordsWant[rec]
		reason string // a quarantined record
		skip   bool
	}
	want := []slot{
		{line: 1, rec: 0},
		{line: 1, reason: "CloudWatch Logs message: field logEvents[1].message: malformed JSON"},
		{line: 1, rec: 2},
		{line: 2, skip: true}, // CONTROL_MESSAGE
		{line: 3, skip: true}, // authenticator stream: both log events
		{line: 3, skip: true},
		{line: 4, rec: 3},
		{line: 4, reason: "CloudWatch Logs message: field logEvents[1]: expected an object, got number"},
		{line: 4, rec: 4},
		{line: 4, reason: "CloudWatch Logs message: field logEvents[3].message is missing"},
		{line: 4, reason: "field verb: expected a string, got number"},
		{line: 5, skip: true}, // no log events
		{line: 6, skip: true}, // API server log stream
		{line: 7, rec: 5},     // another log group, no owner, no timestamps
	}
	params := map[string]string{"account": "999988887777", "region": "eu-west-1", "cluster": "other"}
	c, st := decodeBytes(t, b, decode.Options{Origin: event.Origin{Source: "cw", Path: file}, Params: params})
	if st.Records != int64(len(want)) || st.Skipped != 5 {
		t.Errorf("stats %+v, want %d records, 5 skipped", st, len(want))
	}
	var ei, bi int
	for idx, w := range want {
		var o event.Origin
		switch {
		case w.skip:
			continue
		case w.reason == "":
			if ei >= len(c.events) {
				t.Fatalf("only %d events", len(c.events))
			}
			e := c.events[ei]
			ei++
			wr := recordsWant[w.rec]
			account, clusterARN := acct, prodClusterARN
			if w.line == 7 {
				// The stream's options; the log event's time.
				account, clusterARN = "999988887777", "arn:aws:eks:eu-west-1:999988887777:cluster/other"
				wr.time = time.UnixMilli(1772446800000).UTC()
			}
			checkEvent(t, fmt.Sprintf("record %d", idx), e, wr, account, "eu-west-1", clusterARN)
			// The event's raw record is the message, not the envelope.
			if !bytes.HasPrefix(e.RawBytes, []byte(`{"kind":"Event"`)) || e.Str(event.ParsePath("logStream")) != "" {
				t.Errorf("record %d: raw record is not the log message: %.60s", idx, e.RawBytes)
			}
			o = e.Origin
		default:
			if bi >= len(c.bad) {
				t.Fatalf("only %d quarantined", len(c.bad))
			}
			q := c.bad[bi]
			bi++
			if !strings.Contains(q.Reason, w.reason) {
				t.Errorf("record %d: reason %q, want it to contain %q", idx, q.Reason, w.reason)
			}
			o = q.Origin
		}
		wo := event.Origin{Source: "cw", Path: file, Index: int64(idx), Offset: starts[w.line-1], Line: w.line}
		if o != wo {
			t.Errorf("record %d: origin %+v, want %+v", idx, o, wo)
		}
	}
	if ei != len(c.events) || bi != len(c.bad) {
		t.Errorf("%d events and %d quarantined, want %d and %d", len(c.events), len(c.bad), ei, bi)
	}
	// A bad message's sample is the message; a log event that is not an
	// object has the subscription message as its sample.
	if string(c.bad[0].Sample) != "this is not JSON" || !bytes.HasPrefix(c.bad[1].Sample, []byte(`{"messageType"`)) {
		t.Errorf("samples %q, %.40q", c.bad[0].Sample, c.bad[1].Sample)
	}
	if !bytes.HasPrefix(c.bad[3].Sample, []byte(`{"kind":"Event"`)) {
		t.Errorf("sample %.40q", c.bad[3].Sample)
	}
}

func TestDecodeFilterLogEvents(t *testing.T) {
	const file = "filterlogevents.json"
	b := readTestdata(t, file)
	c, st := decodeBytes(t, b, decode.Options{Origin: event.Origin{Path: file}})
	if len(c.events) != 2 || len(c.bad) != 0 || st.Skipped != 1 || st.Records != 3 {
		t.Fatalf("%d events, %d bad, %+v", len(c.events), len(c.bad), st)
	}
	checkEvent(t, "event 0", c.events[0], recordsWant[8], "", "", "")
	checkEvent(t, "event 1", c.events[1], recordsWant[9], "", "", "")
	for i, e := range c.events {
		if e.Origin.Index != int64(2*i) || e.Origin.Line < 3 || !bytes.HasPrefix(b[e.Origin.Offset:], []byte(`{`)) {
			t.Errorf("event %d: origin %+v", i, e.Origin)
		}
	}
}

func TestDecodeBadRecords(t *testing.T) {
	const file = "bad.jsonl"
	b := readTestdata(t, file)
	// Every record is one line: record index = line - 1.
	wantBad := []struct {
		line   int64
		reason string
	}{
		{2, "malformed JSON"},
		{4, "not a Kubernetes audit event: expected a JSON object, got string"},
		{5, "malformed JSON: expected an object"}, // the scanner rejects a bare number
		{6, `not a Kubernetes audit event: kind "Pod"`},
		{7, `not a Kubernetes audit event: apiVersion "v1"`},
		{8, "not a Kubernetes audit event: no kind or auditID"},
		{9, "field verb: expected a string, got number"},
		{10, "field sourceIPs: expected an array, got string"},
		{11, "field sourceIPs[1]: expected a string, got number"},
		{12, `field sourceIPs[0]: not an IP address: "10.0.0.300"`},
		{13, "field stageTimestamp: expected a string, got number"},
		{14, `field stageTimestamp: not a time: "yesterday"`},
		{15, `field requestReceivedTimestamp: not a time: "2026-02-30T10:15:00Z"`},
		{16, "field responseStatus.code: expected a number, got string"},
		{17, "field responseStatus.code: not an HTTP status code: 403.5"},
		{18, "field responseStatus.code: not an HTTP status code: 1000"},
		{19, "field objectRef: expected an object, got string"},
		{20, "field objectRef.name: expected a string, got number"},
		{21, "field user: expected an object, got string"},
		{22, "field user.username: expected a string, got number"},
		{23, "field user.extra.arn: expected an array, got string"},
		{24, "field user.extra.accessKeyId[0]: expected a string, got number"},
		{25, "field kind: expected a string, got number"},
		{26, "field apiVersion: expected a string, got number"},
		{27, "field auditID: expected a string, got number"},
		{28, "field responseStatus.message: expected a string, got object"},
		{30, "EventList: field items: expected an array, got string"},
		{31, "field userAgent: expected a string, got array"},
		{32, "field stage: expected a string, got number"},
		{33, "field sourceIPs: expected an array, got object"},
	}
	wantEvents := []struct {
		line int64
		id   string
	}{{1, "ok0"}, {3, "ok1"}, {29, "ok2"}, {34, "ok3"}}

	c, st := decodeBytes(t, b, decode.Options{Origin: event.Origin{Source: "test", Path: file}})
	starts := lineStarts(b)
	if st.Records != int64(len(starts)) {
		t.Errorf("Records = %d, want %d", st.Records, len(starts))
	}
	for i, w := range wantBad {
		t.Run(fmt.Sprintf("line%d", w.line), func(t *testing.T) {
			if i >= len(c.bad) {
				t.Fatalf("only %d quarantined", len(c.bad))
			}
			got := c.bad[i]
			if !strings.Contains(got.Reason, w.reason) {
				t.Errorf("reason %q, want it to contain %q", got.Reason, w.reason)
			}
			wo := event.Origin{Source: "test", Path: file, Index: w.line - 1, Offset: starts[w.line-1], Line: w.line}
			if got.Origin != wo {
				t.Errorf("origin %+v, want %+v", got.Origin, wo)
			}
			line := b[starts[w.line-1]:]
			line = line[:bytes.IndexByte(line, '\n')]
			if !bytes.Equal(got.Sample, line) {
				t.Errorf("sample %q, want the line %q", got.Sample, line)
			}
			if got.Tail {
				t.Error("Tail set on a whole record")
			}
		})
	}
	if len(c.bad) != len(wantBad) {
		for _, q := range c.bad {
			t.Logf("quarantined line %d: %s", q.Origin.Line, q.Reason)
		}
		t.Errorf("%d quarantined, want %d", len(c.bad), len(wantBad))
	}
	// The stream goes on past every bad record.
	if len(c.events) != len(wantEvents) {
		t.Fatalf("%d events, want %d", len(c.events), len(wantEvents))
	}
	for i, w := range wantEvents {
		e := c.events[i]
		if e.ID != w.id || e.Origin.Line != w.line || e.Origin.Index != w.line-1 || e.Origin.Offset != starts[w.line-1] {
			t.Errorf("event %d: %q at %+v, want %q on line %d", i, e.ID, e.Origin, w.id, w.line)
		}
	}
}

// slotKeys describes what happened to each record index, for comparing runs.
func slotKeys(c *collector) map[int64]string {
	m := map[int64]string{}
	for _, e := range c.events {
		m[e.Origin.Index] = fmt.Sprintf("event %+v %s %s %v %+v %q", e.Origin, e.ID, e.Action, e.Time, e.Resources, e.RawBytes)
	}
	for _, q := range c.bad {
		m[q.Origin.Index] = fmt.Sprintf("bad %+v %s %v %q", q.Origin, q.Reason, q.Tail, q.Sample)
	}
	return m
}

func testdataFiles(t *testing.T) []string {
	files, err := filepath.Glob("testdata/*")
	if err != nil || len(files) < 6 {
		t.Fatalf("testdata: %v %v", files, err)
	}
	return files
}

func TestDecodeStartEqualsSkipping(t *testing.T) {
	for _, path := range testdataFiles(t) {
		file := filepath.Base(path)
		t.Run(file, func(t *testing.T) {
			b := readTestdata(t, file)
			full, fst := decodeBytes(t, b, decode.Options{Params: testParams})
			all := slotKeys(full)
			for start := int64(0); start <= fst.Records+1; start++ {
				c, st := decodeBytes(t, b, decode.Options{Start: start, Params: testParams})
				if st.Records != fst.Records || st.Bytes != fst.Bytes {
					t.Fatalf("start %d: stats %+v, full run %+v", start, st, fst)
				}
				got := slotKeys(c)
				for idx, k := range all {
					if idx < start {
						if _, ok := got[idx]; ok {
							t.Errorf("start %d: record %d delivered", start, idx)
						}
					} else if got[idx] != k {
						t.Errorf("start %d: record %d is %q, in a full run %q", start, idx, got[idx], k)
					}
				}
				if len(got) != countFrom(all, start) {
					t.Errorf("start %d: %d records delivered, want %d", start, len(got), countFrom(all, start))
				}
				if min(start, fst.Records) > st.Skipped {
					t.Errorf("start %d: only %d skipped", start, st.Skipped)
				}
			}
		})
	}
}

func countFrom(m map[int64]string, start int64) int {
	n := 0
	for idx := range m {
		if idx >= start {
			n++
		}
	}
	return n
}

func TestDecodeTail(t *testing.T) {
	b := readTestdata(t, "records.jsonl")
	starts := lineStarts(b)
	last := starts[len(starts)-1]
	cut := b[:last+40] // inside the last record
	c, st := decodeBytes(t, cut, decode.Options{})
	if len(c.events) != len(starts)-1 || len(c.bad) != 1 {
		t.Fatalf("%d events, %d bad, want %d and 1", len(c.events), len(c.bad), len(starts)-1)
	}
	q := c.bad[0]
	if !q.Tail || q.Err == nil || q.Origin.Index != int64(len(starts)-1) || q.Origin.Offset != last || q.Origin.Line != int64(len(starts)) {
		t.Errorf("cut-off record quarantined as %+v", q)
	}
	if st.Records != int64(len(starts)) {
		t.Errorf("Records = %d", st.Records)
	}
	// A whole last line without its newline is a whole record.
	c, _ = decodeBytes(t, bytes.TrimRight(b, "\n"), decode.Options{})
	if len(c.bad) != 0 || len(c.events) != len(starts) {
		t.Errorf("no final newline: %d events, %d bad", len(c.events), len(c.bad))
	}
	// A subscription message cut short is one bad record.
	cw := readTestdata(t, "cloudwatch.json")
	c, _ = decodeBytes(t, cw[:bytes.IndexByte(cw, '\n')-30], decode.Options{})
	if len(c.events) != 0 || len(c.bad) != 1 || !c.bad[0].Tail {
		t.Errorf("cut subscription message: %d events, %+v", len(c.events), c.bad)
	}
}

func TestDecodeHugeLine(t *testing.T) {
	b := readTestdata(t, "records.jsonl")
	first := b[:bytes.IndexByte(b, '\n')+1]
	var in bytes.Buffer
	in.Write(first)
	in.WriteString(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","requestObject":{"data":"` + strings.Repeat("A", 2<<20) + `"}}` + "\n")
	in.Write(first)
	c, st := decodeBytes(t, in.Bytes(), decode.Options{MaxRecordBytes: 1 << 20})
	if len(c.events) != 2 || len(c.bad) != 1 || st.Records != 3 {
		t.Fatalf("%d events, %d bad, stats %+v", len(c.events), len(c.bad), st)
	}
	q := c.bad[0]
	if !strings.Contains(q.Reason, "maximum record size") || q.Origin.Line != 2 || q.Origin.Offset != int64(len(first)) || len(q.Sample) > 4096 {
		t.Errorf("huge line quarantined as %+v (sample %d bytes)", q.Origin, len(q.Sample))
	}
	if c.events[1].Origin.Index != 2 || c.events[1].Origin.Line != 3 {
		t.Errorf("record after the huge line at %+v", c.events[1].Origin)
	}
}

func TestDecodeReuse(t *testing.T) {
	// One decoder, several streams with different options: nothing carries over.
	d := New()
	b := readTestdata(t, "records.jsonl")
	cw := readTestdata(t, "cloudwatch.json")
	for i, max := range []int{0, 1 << 16, 1 << 16, 0} {
		var c collector
		params := testParams
		if i%2 == 1 {
			params = nil
		}
		if _, err := d.Decode(context.Background(), bytes.NewReader(cw), decode.Options{MaxRecordBytes: max, Params: params}, &c); err != nil {
			t.Fatal(err)
		}
		c = collector{}
		st, err := d.Decode(context.Background(), bytes.NewReader(b), decode.Options{MaxRecordBytes: max, Params: params}, &c)
		if err != nil || st.Records != int64(len(recordsWant)) || len(c.events) != len(recordsWant) {
			t.Fatalf("run %d: %v %+v", i, err, st)
		}
		if params == nil {
			checkEvent(t, fmt.Sprintf("run %d", i), c.events[3], recordsWant[3], "", "", "")
		} else {
			checkEvent(t, fmt.Sprintf("run %d", i), c.events[3], recordsWant[3], acct, "eu-west-1", prodClusterARN)
		}
	}
}

func TestDecodeStops(t *testing.T) {
	b := genRecords(3000, 2)
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		n := 0
		st, err := New().Decode(ctx, bytes.NewReader(b), decode.Options{}, handlerFunc(func(*event.Event) error { n++; return nil }))
		if !errors.Is(err, context.Canceled) || n != 0 || st.Records != 0 {
			t.Errorf("err %v after %d events (%+v)", err, n, st)
		}
	})
	t.Run("cancelled midway", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n := 0
		st, err := New().Decode(ctx, bytes.NewReader(b), decode.Options{}, handlerFunc(func(*event.Event) error {
			if n++; n == 10 {
				cancel()
			}
			return nil
		}))
		if !errors.Is(err, context.Canceled) || n > 1024 || st.Records != int64(n) {
			t.Errorf("err %v after %d events (%+v)", err, n, st)
		}
	})
	t.Run("handler error", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		st, err := New().Decode(context.Background(), bytes.NewReader(b), decode.Options{}, handlerFunc(func(*event.Event) error {
			if n++; n == 5 {
				return stop
			}
			return nil
		}))
		if err != stop || n != 5 || st.Records != 5 || st.Events != 5 {
			t.Errorf("err %v after %d events (%+v)", err, n, st)
		}
	})
	t.Run("handler error in a CloudWatch message", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		st, err := New().Decode(context.Background(), bytes.NewReader(genCloudWatch(100, 10)), decode.Options{}, handlerFunc(func(*event.Event) error {
			if n++; n == 15 {
				return stop
			}
			return nil
		}))
		if err != stop || n != 15 || st.Records != 15 || st.Events != 15 {
			t.Errorf("err %v after %d events (%+v)", err, n, st)
		}
	})
}

func TestDecodeNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	const n = 500
	d := New()
	var h countHandler
	rd := bytes.NewReader(nil)
	for _, tc := range []struct {
		name string
		data []byte
		o    decode.Options
	}{
		{"JSON lines", genRecords(n, 1), decode.Options{}},
		{"JSON lines with options", genRecords(n, 1), decode.Options{Params: testParams}},
		{"CloudWatch", genCloudWatch(n, 50), decode.Options{Params: testParams}},
		{"EventList", genEventList(n, 100), decode.Options{}},
	} {
		run := func() {
			rd.Reset(tc.data)
			if _, err := d.Decode(context.Background(), rd, tc.o, &h); err != nil {
				t.Fatal(err)
			}
		}
		run() // warm up the buffers
		if h.bad != 0 {
			t.Fatalf("%s: %d bad records", tc.name, h.bad)
		}
		if allocs := testing.AllocsPerRun(20, run); allocs/n > 0.01 {
			t.Errorf("%s: %.1f allocations per %d records", tc.name, allocs, n)
		}
	}
}

func TestResourcesReused(t *testing.T) {
	var backing []*event.Resource
	var seen [][]event.Resource
	h := handlerFunc(func(e *event.Event) error {
		seen = append(seen, slices.Clone(e.Resources))
		if cap(e.Resources) > 0 {
			backing = append(backing, &e.Resources[:1][0])
		}
		return nil
	})
	b := readTestdata(t, "records.jsonl")
	if _, err := New().Decode(context.Background(), bytes.NewReader(b), decode.Options{}, h); err != nil {
		t.Fatal(err)
	}
	if len(seen[5]) != 0 {
		t.Errorf("non-resource request got %+v from the one before", seen[5])
	}
	for i := 1; i < len(backing); i++ {
		if backing[i] != backing[0] {
			t.Fatalf("resources backing array not reused (%d)", i)
		}
	}
}

func TestParse(t *testing.T) {
	b := readTestdata(t, "records.jsonl")
	line := b[:bytes.IndexByte(b, '\n')]
	e, err := Parse(line)
	if err != nil {
		t.Fatal(err)
	}
	checkEvent(t, "Parse", e, recordsWant[0], "", "", "")
	// A log event on its own.
	var out struct{ Events []json.RawMessage }
	if err := json.Unmarshal(readTestdata(t, "filterlogevents.json"), &out); err != nil {
		t.Fatal(err)
	}
	if e, err = Parse(out.Events[0]); err != nil {
		t.Fatalf("log event: %v", err)
	}
	w := recordsWant[8]
	checkEvent(t, "Parse log event", e, w, "", "", "")
	for _, in := range []string{`{`, `[]`, `{"verb":"get"}`, `{"kind":"EventList","items":[]}`,
		`{"logStreamName":"authenticator-1","message":"x"}`, `{"kind":"Event","verb":1}`} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%s) succeeded", in)
		}
	}
}

func TestCheckParams(t *testing.T) {
	d := New().(decode.ParamChecker)
	for _, ok := range []map[string]string{nil, {}, testParams, {"region": "us-gov-west-1"}, {"cluster": "a"},
		{"cluster": strings.Repeat("c", 100)}, {"account": "000000000000"}} {
		if err := d.CheckParams(ok); err != nil {
			t.Errorf("CheckParams(%v): %v", ok, err)
		}
	}
	for _, tc := range []struct {
		params map[string]string
		errs   []string
	}{
		{map[string]string{"fields": "x"}, []string{`unknown option "fields"`}},
		{map[string]string{"account": "1234"}, []string{`"1234" is not an AWS account ID`}},
		{map[string]string{"account": "12345678901x"}, []string{"not an AWS account ID"}},
		{map[string]string{"region": "Europe"}, []string{"not an AWS Region"}},
		{map[string]string{"region": "us-east-"}, []string{"not an AWS Region"}},
		{map[string]string{"cluster": ""}, []string{"not an EKS cluster name"}},
		{map[string]string{"cluster": "-x"}, []string{"not an EKS cluster name"}},
		{map[string]string{"cluster": "a/b"}, []string{"not an EKS cluster name"}},
		{map[string]string{"cluster": strings.Repeat("c", 101)}, []string{"not an EKS cluster name"}},
		{map[string]string{"Account": acct, "region": "x"}, []string{`unknown option "Account"`, "not an AWS Region"}},
	} {
		err := d.CheckParams(tc.params)
		if err == nil {
			t.Errorf("CheckParams(%v) accepted", tc.params)
			continue
		}
		for _, s := range tc.errs {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("CheckParams(%v) = %v, want %q", tc.params, err, s)
			}
		}
	}
}

func TestDecodeBadParams(t *testing.T) {
	b := readTestdata(t, "records.jsonl")
	c, _ := decodeBytes(t, b, decode.Options{Params: map[string]string{"acount": acct}})
	if len(c.events) != 0 || len(c.bad) != len(recordsWant) || !strings.Contains(c.bad[0].Reason, `format_options: unknown option "acount"`) {
		t.Errorf("%d events, %d bad (%v)", len(c.events), len(c.bad), c.bad[0].Reason)
	}
	// Skipped records stay skipped.
	cw := readTestdata(t, "cloudwatch.json")
	_, st := decodeBytes(t, cw, decode.Options{Params: map[string]string{"region": "?"}})
	if st.Events != 0 || st.Skipped != 5 {
		t.Errorf("stats %+v", st)
	}
}

func TestClusterOf(t *testing.T) {
	for in, want := range map[string]string{
		"/aws/eks/prod-cluster/cluster": "prod-cluster",
		"/aws/eks/x/cluster":            "x",
		"/aws/eks//cluster":             "",
		"/aws/eks/prod/other":           "",
		"/aws/eks/prod/cluster/x":       "",
		"/aws/route53/x":                "",
		"":                              "",
	} {
		if got := clusterOf(in); got != want {
			t.Errorf("clusterOf(%q) = %q, want %q", in, got, want)
		}
	}
	for s, other := range map[string]bool{
		"kube-apiserver-audit-1234": false, "kube-apiserver-1234": true, "authenticator-1234": true,
		"kube-controller-manager-1": true, "cloud-controller-manager-1": true, "kube-scheduler-1": true,
		"": false, "audit": false, "my-stream": false,
	} {
		if otherStream(s) != other {
			t.Errorf("otherStream(%q) = %v", s, !other)
		}
	}
}

func TestSniff(t *testing.T) {
	for _, path := range testdataFiles(t) {
		b, _ := os.ReadFile(path)
		if !Sniff(b) {
			t.Errorf("Sniff(%s) = false", path)
		}
	}
	for _, in := range []string{
		``, `   `, `hello`, `{"eventVersion":"1.08","eventSource":"eks.amazonaws.com","requestParameters":{"apiVersion":"audit.k8s.io/v1"}}`,
		`{"query_name":"a.","query_timestamp":"2021-02-04T17:51:55Z"}`,
		`{"kind":"Pod","apiVersion":"v1"}`,
		`2 123456789012 eni-0 10.0.0.1 10.0.0.2 1 2 6 1 1 1 1 ACCEPT OK`,
		`{"messageType":"DATA_MESSAGE","logGroup":"/aws/vpc/flow","logEvents":[{"message":"2 123 eni-0"}]}`,
		`{"eventVersion":"1.08","eventName":"CreateLogGroup","requestParameters":{"logGroupName":"/aws/eks/prod/cluster"}}`,
	} {
		if Sniff([]byte(in)) {
			t.Errorf("Sniff(%q) = true", in)
		}
	}
	// Beyond SniffLen nothing is looked at.
	long := append(bytes.Repeat([]byte(" "), decode.SniffLen), `{"auditID":"x"}`...)
	if Sniff(long) {
		t.Error("Sniff looked past SniffLen")
	}
	if !Sniff(append([]byte("\xef\xbb\xbf\n"), readTestdata(t, "array.json")...)) {
		t.Error("Sniff with a byte order mark")
	}
	// The authenticator stream of an EKS cluster: read (and skipped) here.
	cw := readTestdata(t, "cloudwatch.json")
	third := bytes.Split(cw, []byte("\n"))[2]
	if !bytes.Contains(third, []byte(`"authenticator-`)) || !Sniff(third) {
		t.Errorf("Sniff(%.80s…) = false", third)
	}
}

func TestKinds(t *testing.T) {
	for res, k := range kinds {
		if !strings.HasPrefix(k.typ, "Kubernetes") || len(k.typ) <= len("Kubernetes") || strings.ToLower(res) != res {
			t.Errorf("kinds[%q] = %+v", res, k)
		}
	}
	if !reflect.DeepEqual(kinds["pods"], resourceKind{"", "KubernetesPod"}) {
		t.Errorf("pods: %+v", kinds["pods"])
	}
}

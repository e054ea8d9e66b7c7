package sequence

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/guardduty"
	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/detect/external"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// fakeDetector raises a finding of type typ for CloudTrail events whose
// action is action, the way the built-in detectors do.
type fakeDetector struct{ action, typ string }

func (d fakeDetector) Info() detect.Info {
	return detect.Info{Name: "fake-" + d.action, Types: []string{d.typ}, Kinds: []event.Kind{event.KindCloudTrail}, Actions: []string{d.action}}
}

func (d fakeDetector) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	return append(out, detect.APICallFinding(d.Info().Name, d.typ, 5, e))
}

// TestEngine runs events through detect.NewEngine: the fake detectors'
// findings reach the correlator sealed, and the engine seals the attack
// sequence, which lists them by ID.
func TestEngine(t *testing.T) {
	c := newCorrelator(t, Options{})
	dets := []detect.Detector{
		fakeDetector{"GetCallerIdentity", exfilOut},
		fakeDetector{"ListUsers", discAnom},
		fakeDetector{"StopLogging", trailOff},
		c,
	}
	en := detect.NewEngine(dets, func() time.Time { return time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) })
	var raised []finding.Finding
	for i, action := range []string{"GetCallerIdentity", "ListUsers", "DescribeInstances", "StopLogging"} {
		e := &event.Event{Kind: event.KindCloudTrail, Time: at(time.Duration(i) * time.Minute), Account: acct, Region: "us-east-1",
			Service: "sts.amazonaws.com", Action: action, SourceIP: "198.51.100.7",
			Actor: event.Actor{Type: "AssumedRole", ARN: "arn:aws:sts::" + acct + ":assumed-role/web-role/i-0abc12345678def01",
				PrincipalID: "AROAEXAMPLEWEB:i-0abc12345678def01", AccessKeyID: "ASIAWEB", SessionIssuerName: "web-role"}}
		raised = en.Detect(context.Background(), e, raised)
	}
	if len(raised) != 4 {
		t.Fatalf("%d findings: %s", len(raised), titles(raised))
	}
	seq := raised[3]
	if seq.Type != "AttackSequence:IAM/CompromisedCredentials" || seq.ID == "" || !strings.Contains(seq.Arn, seq.ID) || seq.CreatedAt.IsZero() {
		t.Fatalf("sequence not sealed: %+v", seq)
	}
	if seq.ID != finding.Fingerprint(seq.Type, seq.AccountID, seq.Region, seq.Keys) {
		t.Error("ID is not the fingerprint")
	}
	want := []string{raised[0].ID, raised[1].ID, raised[2].ID}
	if got := signalIDs(t, &seq); !slices.Equal(got, want) {
		t.Fatalf("signals %v, want %v", got, want)
	}
	for _, id := range want {
		if !strings.Contains(seq.Description, id) {
			t.Errorf("description does not name %s", id)
		}
	}
	if seq.Resource.AccessKeyDetails == nil || seq.Resource.AccessKeyDetails.UserName != "web-role" {
		t.Errorf("resource %+v", seq.Resource)
	}
	info := seqInfo(t, &seq)
	var tactics []string
	for _, ta := range info["tactics"].([]any) {
		tactics = append(tactics, ta.(map[string]any)["id"].(string))
	}
	if !slices.Equal(tactics, []string{"TA0001", "TA0007", "TA0005"}) {
		t.Errorf("tactics %v", tactics)
	}
	if !slices.Contains(info["techniques"].([]any), any("T1552.005")) {
		t.Errorf("techniques %v", info["techniques"])
	}
}

// gdFindings are GuardDuty findings as its API and S3 export write them.
const gdFindings = `{"schemaVersion":"2.0","accountId":"111122223333","region":"us-east-1","partition":"aws","id":"gd-exfil-1","arn":"arn:aws:guardduty:us-east-1:111122223333:detector/d1/finding/gd-exfil-1","type":"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS","severity":8,"createdAt":"2026-03-01T10:05:00Z","updatedAt":"2026-03-01T10:05:00Z","title":"Credentials for instance role web-role used from external IP address.","resource":{"resourceType":"AccessKey","accessKeyDetails":{"accessKeyId":"ASIAWEB","principalId":"AROAEXAMPLEWEB:i-0abc12345678def01","userName":"web-role","userType":"AssumedRole"}},"service":{"serviceName":"guardduty","detectorId":"d1","count":1,"eventFirstSeen":"2026-03-01T10:00:00Z","eventLastSeen":"2026-03-01T10:00:00Z","archived":false,"action":{"actionType":"AWS_API_CALL","awsApiCallAction":{"api":"ListBuckets","serviceName":"s3.amazonaws.com","callerType":"Remote IP","remoteIpDetails":{"ipAddressV4":"198.51.100.7"}}},"resourceRole":"TARGET"}}
{"schemaVersion":"2.0","accountId":"111122223333","region":"us-east-1","partition":"aws","id":"gd-sample","arn":"arn:aws:guardduty:us-east-1:111122223333:detector/d1/finding/gd-sample","type":"Discovery:IAMUser/AnomalousBehavior","severity":5,"createdAt":"2026-03-01T10:06:00Z","updatedAt":"2026-03-01T10:06:00Z","resource":{"resourceType":"AccessKey","accessKeyDetails":{"accessKeyId":"ASIAWEB","principalId":"AROAEXAMPLEWEB:i-0abc12345678def01","userName":"web-role","userType":"AssumedRole"}},"service":{"serviceName":"guardduty","detectorId":"d1","count":1,"eventFirstSeen":"2026-03-01T10:06:00Z","eventLastSeen":"2026-03-01T10:06:00Z","additionalInfo":{"sample":true},"action":{"actionType":"AWS_API_CALL","awsApiCallAction":{"api":"ListUsers","serviceName":"iam.amazonaws.com"}},"resourceRole":"TARGET"}}
{"schemaVersion":"2.0","accountId":"111122223333","region":"us-east-1","partition":"aws","id":"gd-disc-1","arn":"arn:aws:guardduty:us-east-1:111122223333:detector/d1/finding/gd-disc-1","type":"Discovery:IAMUser/AnomalousBehavior","severity":5,"createdAt":"2026-03-01T10:20:00Z","updatedAt":"2026-03-01T10:20:00Z","resource":{"resourceType":"AccessKey","accessKeyDetails":{"accessKeyId":"ASIAWEB","principalId":"AROAEXAMPLEWEB:i-0abc12345678def01","userName":"web-role","userType":"AssumedRole"}},"service":{"serviceName":"guardduty","detectorId":"d1","count":3,"eventFirstSeen":"2026-03-01T10:10:00Z","eventLastSeen":"2026-03-01T10:15:00Z","action":{"actionType":"AWS_API_CALL","awsApiCallAction":{"api":"ListRoles","serviceName":"iam.amazonaws.com"}},"resourceRole":"TARGET"}}
{"schemaVersion":"2.0","accountId":"111122223333","region":"us-east-1","partition":"aws","id":"gd-disc-1","arn":"arn:aws:guardduty:us-east-1:111122223333:detector/d1/finding/gd-disc-1","type":"Discovery:IAMUser/AnomalousBehavior","severity":5,"createdAt":"2026-03-01T10:20:00Z","updatedAt":"2026-03-01T10:40:00Z","resource":{"resourceType":"AccessKey","accessKeyDetails":{"accessKeyId":"ASIAWEB","principalId":"AROAEXAMPLEWEB:i-0abc12345678def01","userName":"web-role","userType":"AssumedRole"}},"service":{"serviceName":"guardduty","detectorId":"d1","count":5,"eventFirstSeen":"2026-03-01T10:10:00Z","eventLastSeen":"2026-03-01T10:35:00Z","action":{"actionType":"AWS_API_CALL","awsApiCallAction":{"api":"ListRoles","serviceName":"iam.amazonaws.com"}},"resourceRole":"TARGET"}}
{"schemaVersion":"2.0","accountId":"111122223333","region":"us-east-1","partition":"aws","id":"gd-stealth-1","arn":"arn:aws:guardduty:us-east-1:111122223333:detector/d1/finding/gd-stealth-1","type":"Stealth:IAMUser/CloudTrailLoggingDisabled","severity":2,"createdAt":"2026-03-01T11:00:00Z","updatedAt":"2026-03-01T11:00:00Z","resource":{"resourceType":"AccessKey","accessKeyDetails":{"accessKeyId":"ASIAWEB","principalId":"AROAEXAMPLEWEB:i-0abc12345678def01","userName":"web-role","userType":"AssumedRole"}},"service":{"serviceName":"guardduty","detectorId":"d1","count":1,"eventFirstSeen":"2026-03-01T10:50:00Z","eventLastSeen":"2026-03-01T10:50:00Z","action":{"actionType":"AWS_API_CALL","awsApiCallAction":{"api":"StopLogging","serviceName":"cloudtrail.amazonaws.com"}},"resourceRole":"TARGET"}}
{"schemaVersion":"2.0","accountId":"111122223333","region":"us-east-1","partition":"aws","id":"gd-exfil-1","arn":"arn:aws:guardduty:us-east-1:111122223333:detector/d1/finding/gd-exfil-1","type":"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS","severity":8,"createdAt":"2026-03-01T10:05:00Z","updatedAt":"2026-03-01T11:05:00Z","resource":{"resourceType":"AccessKey","accessKeyDetails":{"accessKeyId":"ASIAWEB","principalId":"AROAEXAMPLEWEB:i-0abc12345678def01","userName":"web-role","userType":"AssumedRole"}},"service":{"serviceName":"guardduty","detectorId":"d1","count":2,"eventFirstSeen":"2026-03-01T10:00:00Z","eventLastSeen":"2026-03-01T11:00:00Z","action":{"actionType":"AWS_API_CALL","awsApiCallAction":{"api":"ListBuckets","serviceName":"s3.amazonaws.com"}},"resourceRole":"TARGET"}}
`

// engineHandler runs decoded events through an engine.
type engineHandler struct {
	en    *detect.Engine
	found []finding.Finding
	bad   []string
}

func (h *engineHandler) Event(e *event.Event) error {
	n := len(h.found)
	h.found = h.en.Detect(context.Background(), e, h.found)
	for i := n; i < len(h.found); i++ {
		h.found[i].Detach()
	}
	return nil
}

func (h *engineHandler) Quarantine(b decode.Bad) error {
	h.bad = append(h.bad, b.Reason)
	return nil
}

// TestGuardDutyFindings: GuardDuty's own findings, decoded and raised by
// the external detector, build a sequence like Picket's; the sample is
// ignored and GuardDuty's updates of a finding are one signal.
func TestGuardDutyFindings(t *testing.T) {
	c := newCorrelator(t, Options{})
	h := &engineHandler{en: detect.NewEngine([]detect.Detector{external.New(), c}, nil)}
	if _, err := guardduty.New().Decode(context.Background(), strings.NewReader(gdFindings), decode.Options{Origin: event.Origin{Source: "test"}}, h); err != nil {
		t.Fatal(err)
	}
	if len(h.bad) > 0 {
		t.Fatalf("quarantined: %v", h.bad)
	}
	var seqs []finding.Finding
	for _, f := range h.found {
		if strings.HasPrefix(f.Type, "AttackSequence:") {
			seqs = append(seqs, f)
		}
	}
	if len(seqs) != 1 {
		t.Fatalf("%d sequences from GuardDuty findings: %s", len(seqs), titles(h.found))
	}
	info := seqInfo(t, &seqs[0])
	var src []string
	for _, s := range info["signals"].([]any) {
		m := s.(map[string]any)
		src = append(src, m["sourceId"].(string))
		if m["sourceId"] == "gd-disc-1" && m["count"] != int64(5) {
			t.Errorf("GuardDuty's count is cumulative: %v", m)
		}
	}
	if !slices.Equal(src, []string{"gd-exfil-1", "gd-disc-1", "gd-stealth-1"}) {
		t.Errorf("signals' GuardDuty ids %v", src)
	}
	if seqs[0].Service.ServiceName != "picket" || seqs[0].External() {
		t.Error("the sequence is Picket's finding")
	}
}

// BenchmarkCorrelate measures Correlate per finding: a mix of types over
// 5000 principals, each getting the types in turn (the third completes
// credential-exfiltration, later ones extend it), one in ten with
// instance credentials (the account-wide instance-group chain); past
// the 40000 findings, repeats.
func BenchmarkCorrelate(b *testing.B) {
	c := newCorrelator(b, Options{})
	types := []string{exfilOut, discAnom, trailOff, persAnom, "Recon:IAMUser/MaliciousIPCaller", "PenTest:IAMUser/KaliLinux", "Behavior:IAMUser/FailedLogin.Sigma", impAnom}
	const principals = 5000
	fs := make([]finding.Finding, 0, principals*len(types))
	for k, typ := range types {
		for i := range principals {
			p := principal{account: acct, user: fmt.Sprintf("u%d", i), principalID: fmt.Sprintf("AIDA%d", i)}
			if i%10 == 0 {
				p.principalID = fmt.Sprintf("AROAX%d:i-0abc12345678def01", i)
			}
			fs = append(fs, iam(p, typ, at(time.Duration(k)*time.Minute+time.Duration(i)*time.Millisecond)))
		}
	}
	ctx, e := context.Background(), &event.Event{}
	out := make([]finding.Finding, 0, 16)
	b.ReportAllocs()
	b.ResetTimer()
	raised := 0
	for i := 0; i < b.N; i++ {
		out = c.Correlate(ctx, e, fs[i%len(fs):i%len(fs)+1], out[:0])
		raised += len(out)
	}
	b.ReportMetric(float64(raised)/float64(b.N), "sequences/op")
}

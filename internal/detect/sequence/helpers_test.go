package sequence

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

const (
	acct  = "111122223333"
	acct2 = "444455556666"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// principal is who a CloudTrail finding is about.
type principal struct {
	account, user, principalID, key string
	role                            bool
}

var (
	webRole = principal{account: acct, user: "web-role", principalID: "AROAEXAMPLEWEB:i-0abc12345678def01", key: "ASIAWEB", role: true}
	alice   = principal{account: acct, user: "alice", principalID: "AIDAALICE", key: "AKIAALICE"}
	bob     = principal{account: acct, user: "bob", principalID: "AIDABOB", key: "AKIABOB"}
	mallory = principal{account: acct, user: "mallory", principalID: "AIDAMALLORY", key: "AKIAMALLORY"}
	dev     = principal{account: acct, user: "dev1", principalID: "AIDADEV1", key: "AKIADEV1"}
	anon    = principal{account: acct, user: "ANONYMOUS_PRINCIPAL", principalID: "ANONYMOUS_PRINCIPAL"}
)

func (p principal) in(account string) principal { p.account = account; return p }

// iam builds a CloudTrail API finding as the detectors do
// (detect.APICallFinding), sealed.
func iam(p principal, typ string, t time.Time) finding.Finding {
	e := event.Event{Kind: event.KindCloudTrail, Time: t, Account: p.account, Region: "us-east-1",
		Service: "iam.amazonaws.com", Action: "Call", SourceIP: "198.51.100.7",
		Actor: event.Actor{Type: "IAMUser", UserName: p.user, PrincipalID: p.principalID, AccessKeyID: p.key,
			ARN: "arn:aws:iam::" + p.account + ":user/" + p.user}}
	if p.role {
		_, sess, _ := strings.Cut(p.principalID, ":")
		e.Actor = event.Actor{Type: "AssumedRole", PrincipalID: p.principalID, AccessKeyID: p.key, SessionIssuerName: p.user,
			ARN: "arn:aws:sts::" + p.account + ":assumed-role/" + p.user + "/" + sess}
	}
	f := detect.APICallFinding("test", typ, 5, &e)
	f.Keys.Resource = typ // one finding per type and principal, like a detector's fingerprint
	f.Seal()
	return f
}

// s3 builds an S3 finding about bucket by p.
func s3(p principal, typ, bucket string, t time.Time) finding.Finding {
	f := iam(p, typ, t)
	akd := f.Resource.AccessKeyDetails
	f.Resource = finding.Resource{ResourceType: "S3Bucket", AccessKeyDetails: akd,
		S3BucketDetails: []finding.S3BucketDetail{{Name: bucket, Arn: "arn:aws:s3:::" + bucket}}}
	f.Keys.Resource = typ + "/" + bucket
	f.Seal()
	return f
}

// ec2 builds a network finding about an instance, as netflow's.
func ec2(account, typ, instance string, t time.Time) finding.Finding {
	f := finding.Finding{Type: typ, Severity: 8, AccountID: account, Region: "us-east-1",
		Resource: finding.Resource{ResourceType: "Instance", InstanceDetails: &finding.InstanceDetails{InstanceID: instance}},
		Service: finding.Service{DetectorID: "test", Action: finding.Action{ActionType: "NETWORK_CONNECTION"}, Count: 1,
			EventFirstSeen: t, EventLastSeen: t, ResourceRole: "ACTOR", FeatureName: "FlowLogs"},
		Keys: finding.Keys{Resource: instance, Actor: "203.0.113.9"}}
	f.Seal()
	return f
}

func newCorrelator(t testing.TB, opt Options) *Correlator {
	t.Helper()
	chains, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(chains, opt)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// feed correlates the findings one event each and returns the sequences
// raised, sealed as the engine would.
func feed(c *Correlator, fs ...finding.Finding) []finding.Finding {
	var out []finding.Finding
	for _, f := range fs {
		n := len(out)
		out = c.Correlate(context.Background(), &event.Event{}, []finding.Finding{f}, out)
		for i := n; i < len(out); i++ {
			out[i].Seal()
		}
	}
	return out
}

func seqInfo(t testing.TB, f *finding.Finding) map[string]any {
	t.Helper()
	m, ok := f.Service.AdditionalInfo["sequence"].(map[string]any)
	if !ok {
		t.Fatalf("%s: no additionalInfo.sequence", f.Type)
	}
	return m
}

// chainsOf lists the chains of the sequences raised, sorted, deduplicated.
func chainsOf(t testing.TB, fs []finding.Finding) []string {
	var ids []string
	for i := range fs {
		id := seqInfo(t, &fs[i])["chain"].(string)
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

func signalIDs(t testing.TB, f *finding.Finding) []string {
	var ids []string
	for _, s := range seqInfo(t, f)["signals"].([]any) {
		ids = append(ids, s.(map[string]any)["uid"].(string))
	}
	return ids
}

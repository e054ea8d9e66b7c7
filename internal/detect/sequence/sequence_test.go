package sequence

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

const (
	exfilOut  = "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"
	discAnom  = "Discovery:IAMUser/AnomalousBehavior"
	trailOff  = "Stealth:IAMUser/CloudTrailLoggingDisabled"
	persAnom  = "Persistence:IAMUser/AnomalousBehavior"
	privAnom  = "PrivilegeEscalation:IAMUser/AnomalousBehavior"
	impAnom   = "Impact:IAMUser/AnomalousBehavior"
	consoleB  = "UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B"
	s3Disc    = "Discovery:S3/AnomalousBehavior"
	bpaOff    = "Policy:S3/BucketBlockPublicAccessDisabled"
	s3Public  = "Policy:S3/BucketPublicAccessGranted"
	s3Logging = "Stealth:S3/ServerAccessLoggingDisabled"
	s3Write   = "Impact:S3/AnomalousBehavior.Write"
	s3Delete  = "Impact:S3/AnomalousBehavior.Delete"
	s3Exfil   = "Exfiltration:S3/MaliciousIPCaller"
)

// TestChains runs every shipped chain over sequences of findings: each
// completes on its positive cases and not on partial, out-of-window,
// different-key or (ordered chains) out-of-order ones.
func TestChains(t *testing.T) {
	type tc struct {
		name   string
		in     []finding.Finding
		chains []string  // chains raised (sorted); nil: none
		sev    []float64 // severities of the sequences raised, in order (when given)
	}
	cases := []tc{
		// credential-exfiltration (ordered, principal)
		{"exfil: exfiltration, discovery, evasion", []finding.Finding{
			iam(webRole, exfilOut, at(0)), iam(webRole, discAnom, at(10*time.Minute)), iam(webRole, trailOff, at(20*time.Minute)),
		}, []string{"credential-exfiltration"}, []float64{9}},
		{"exfil: every stage, severity rises", []finding.Finding{
			iam(webRole, exfilOut, at(0)), iam(webRole, discAnom, at(10*time.Minute)), iam(webRole, trailOff, at(20*time.Minute)),
			iam(webRole, persAnom, at(30*time.Minute)), iam(webRole, impAnom, at(40*time.Minute)),
		}, []string{"credential-exfiltration", "privilege-escalation"}, []float64{9, 9.5, 9.5, 10, 10}},
		{"exfil: inside AWS and a late signal that happened first", []finding.Finding{
			iam(webRole, discAnom, at(10*time.Minute)), iam(webRole, impAnom, at(20*time.Minute)),
			iam(webRole, "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS", at(0)),
		}, []string{"credential-exfiltration"}, []float64{9}},
		{"exfil: partial", []finding.Finding{
			iam(webRole, exfilOut, at(0)), iam(webRole, discAnom, at(10*time.Minute)),
		}, nil, nil},
		{"exfil: no exfiltration", []finding.Finding{
			iam(webRole, discAnom, at(0)), iam(webRole, trailOff, at(10*time.Minute)), iam(webRole, impAnom, at(20*time.Minute)),
		}, nil, nil},
		{"exfil: out of window", []finding.Finding{
			iam(webRole, exfilOut, at(0)), iam(webRole, discAnom, at(time.Hour)), iam(webRole, trailOff, at(25*time.Hour)),
		}, nil, nil},
		{"exfil: different principals", []finding.Finding{
			iam(webRole, exfilOut, at(0)), iam(alice, discAnom, at(10*time.Minute)), iam(webRole, trailOff, at(20*time.Minute)),
		}, nil, nil},
		{"exfil: same principal name in another account", []finding.Finding{
			iam(webRole, exfilOut, at(0)), iam(webRole.in(acct2), discAnom, at(10*time.Minute)), iam(webRole, trailOff, at(20*time.Minute)),
		}, nil, nil},
		{"exfil: out of order", []finding.Finding{
			iam(webRole, trailOff, at(0)), iam(webRole, discAnom, at(10*time.Minute)), iam(webRole, exfilOut, at(20*time.Minute)),
		}, nil, nil},

		// privilege-escalation (ordered, principal)
		{"privesc: console sign-in, discovery, escalation", []finding.Finding{
			iam(alice, consoleB, at(0)), iam(alice, discAnom, at(5*time.Minute)), iam(alice, privAnom, at(15*time.Minute)),
		}, []string{"privilege-escalation"}, []float64{9}},
		{"privesc: Sigma findings", []finding.Finding{
			iam(alice, "Discovery:IAMUser/AwsEnumerationAlerting.Sigma", at(0)),
			iam(alice, "DefenseEvasion:IAMUser/AwsCloudtrailDisableLogging.Sigma", at(5*time.Minute)),
			iam(alice, "Persistence:IAMUser/AwsIamBackdoorUsersKeys.Sigma", at(15*time.Minute)),
		}, []string{"privilege-escalation"}, []float64{9}},
		{"privesc: root then discovery then escalation", []finding.Finding{
			iam(alice, "Policy:IAMUser/ShortTermRootCredentialUsage", at(0)), iam(alice, "Recon:IAMUser/TorIPCaller", at(time.Minute)),
			iam(alice, "PrivilegeEscalation:IAMUser/AdministrativePermissions", at(2*time.Minute)),
		}, []string{"privilege-escalation"}, []float64{9}},
		{"privesc: partial", []finding.Finding{
			iam(alice, discAnom, at(0)), iam(alice, privAnom, at(5*time.Minute)),
		}, nil, nil},
		{"privesc: out of order", []finding.Finding{
			iam(alice, privAnom, at(0)), iam(alice, discAnom, at(5*time.Minute)), iam(alice, consoleB, at(10*time.Minute)),
		}, nil, nil},
		{"privesc: signals of the same second have no order", []finding.Finding{
			iam(alice, consoleB, at(0)), iam(alice, privAnom, at(0)), iam(alice, discAnom, at(0)),
		}, []string{"privilege-escalation"}, []float64{9}},
		{"privesc: a later second still orders", []finding.Finding{
			iam(alice, consoleB, at(0)), iam(alice, privAnom, at(0)), iam(alice, discAnom, at(time.Second)),
		}, nil, nil},
		{"privesc: different principals", []finding.Finding{
			iam(alice, consoleB, at(0)), iam(alice, discAnom, at(5*time.Minute)), iam(mallory, privAnom, at(15*time.Minute)),
		}, nil, nil},
		{"privesc: out of window", []finding.Finding{
			iam(alice, consoleB, at(0)), iam(alice, discAnom, at(5*time.Minute)), iam(alice, privAnom, at(24*time.Hour+time.Minute)),
		}, nil, nil},

		// s3-data-compromise (ordered, principal)
		{"s3 data: discovery, block public access off, rewrite, delete", []finding.Finding{
			s3(bob, s3Disc, "finance", at(0)), s3(bob, bpaOff, "finance", at(5*time.Minute)),
			s3(bob, s3Write, "finance", at(10*time.Minute)), s3(bob, s3Delete, "finance", at(20*time.Minute)),
		}, []string{"s3-data-compromise"}, []float64{9, 9}},
		{"s3 data: discovery, weaken, exfiltration and impact", []finding.Finding{
			s3(bob, s3Disc, "finance", at(0)), s3(bob, bpaOff, "finance", at(5*time.Minute)),
			s3(bob, "Impact:S3/AnomalousBehavior.Permission", "finance", at(10*time.Minute)),
			s3(bob, "Exfiltration:S3/AnomalousBehavior", "finance", at(20*time.Minute)),
		}, []string{"s3-bucket-exposure", "s3-data-compromise"}, []float64{9, 9, 9, 9.5}},
		{"s3 data: partial", []finding.Finding{
			s3(bob, s3Disc, "finance", at(0)), s3(bob, s3Delete, "finance", at(20*time.Minute)),
		}, nil, nil},
		{"s3 data: no impact", []finding.Finding{
			s3(bob, s3Disc, "finance", at(0)), s3(bob, bpaOff, "finance2", at(5*time.Minute)), s3(bob, s3Logging, "finance3", at(6*time.Minute)),
		}, nil, nil},
		{"s3 data: out of order", []finding.Finding{
			s3(bob, s3Delete, "finance", at(0)), s3(bob, bpaOff, "finance", at(5*time.Minute)), s3(bob, s3Disc, "finance", at(10*time.Minute)),
		}, nil, nil},
		{"s3 data: different principals", []finding.Finding{
			s3(bob, s3Disc, "finance", at(0)), s3(mallory, bpaOff, "finance", at(5*time.Minute)), s3(bob, s3Write, "finance", at(10*time.Minute)),
		}, nil, nil},

		// s3-bucket-exposure (unordered, resource)
		{"bucket: unblocked, made public, exfiltrated by someone else", []finding.Finding{
			s3(dev, bpaOff, "site", at(0)), s3(dev, s3Public, "site", at(time.Minute)), s3(anon, s3Exfil, "site", at(2*time.Hour)),
		}, []string{"s3-bucket-exposure"}, []float64{9}},
		{"bucket: any order, every stage", []finding.Finding{
			s3(anon, s3Exfil, "site", at(2*time.Hour)), s3(dev, s3Public, "site", at(time.Minute)), s3(dev, s3Logging, "site", at(0)),
			s3(dev, bpaOff, "site", at(0)),
		}, []string{"s3-bucket-exposure"}, []float64{9, 10}},
		{"bucket: partial (no access)", []finding.Finding{
			s3(dev, bpaOff, "site", at(0)), s3(dev, s3Public, "site", at(time.Minute)), s3(dev, s3Logging, "site", at(2*time.Minute)),
		}, nil, nil},
		{"bucket: different buckets", []finding.Finding{
			s3(dev, bpaOff, "site", at(0)), s3(dev, s3Public, "site", at(time.Minute)), s3(anon, s3Exfil, "other", at(2*time.Hour)),
		}, nil, nil},
		{"bucket: out of window", []finding.Finding{
			s3(dev, bpaOff, "site", at(0)), s3(dev, s3Public, "site", at(time.Minute)), s3(anon, s3Exfil, "site", at(30*time.Hour)),
		}, nil, nil},

		// ec2-instance-group (unordered, account)
		{"ec2: scan, brute force and mining on two instances", []finding.Finding{
			ec2(acct, "Recon:EC2/Portscan", "i-0aaa1111aaaa1111a", at(0)),
			ec2(acct, "UnauthorizedAccess:EC2/SSHBruteForce", "i-0bbb2222bbbb2222b", at(5*time.Minute)),
			ec2(acct, "CryptoCurrency:EC2/BitcoinTool.B!DNS", "i-0bbb2222bbbb2222b", at(30*time.Minute)),
		}, []string{"ec2-instance-group"}, []float64{9}},
		{"ec2: plus the instance role's credentials used outside", []finding.Finding{
			ec2(acct, "Recon:EC2/Portscan", "i-0aaa1111aaaa1111a", at(0)),
			ec2(acct, "Backdoor:EC2/C&CActivity.B", "i-0bbb2222bbbb2222b", at(5*time.Minute)),
			iam(webRole, exfilOut, at(10*time.Minute)),
		}, []string{"ec2-instance-group"}, []float64{9}},
		{"ec2: one instance only", []finding.Finding{
			ec2(acct, "Recon:EC2/Portscan", "i-0aaa1111aaaa1111a", at(0)),
			ec2(acct, "UnauthorizedAccess:EC2/SSHBruteForce", "i-0aaa1111aaaa1111a", at(5*time.Minute)),
			ec2(acct, "CryptoCurrency:EC2/BitcoinTool.B", "i-0aaa1111aaaa1111a", at(30*time.Minute)),
		}, nil, nil},
		{"ec2: no command and control, mining or credentials", []finding.Finding{
			ec2(acct, "Recon:EC2/Portscan", "i-0aaa1111aaaa1111a", at(0)),
			ec2(acct, "UnauthorizedAccess:EC2/SSHBruteForce", "i-0bbb2222bbbb2222b", at(5*time.Minute)),
			ec2(acct, "UnauthorizedAccess:EC2/RDPBruteForce", "i-0ccc3333cccc3333c", at(6*time.Minute)),
		}, nil, nil},
		{"ec2: different accounts", []finding.Finding{
			ec2(acct, "Recon:EC2/Portscan", "i-0aaa1111aaaa1111a", at(0)),
			ec2(acct2, "UnauthorizedAccess:EC2/SSHBruteForce", "i-0bbb2222bbbb2222b", at(5*time.Minute)),
			ec2(acct, "CryptoCurrency:EC2/BitcoinTool.B", "i-0bbb2222bbbb2222b", at(30*time.Minute)),
		}, nil, nil},
		{"ec2: out of window", []finding.Finding{
			ec2(acct, "Recon:EC2/Portscan", "i-0aaa1111aaaa1111a", at(0)),
			ec2(acct, "UnauthorizedAccess:EC2/SSHBruteForce", "i-0bbb2222bbbb2222b", at(5*time.Minute)),
			ec2(acct, "CryptoCurrency:EC2/BitcoinTool.B", "i-0bbb2222bbbb2222b", at(48*time.Hour)),
		}, nil, nil},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cor := newCorrelator(t, Options{})
			out := feed(cor, c.in...)
			if got := chainsOf(t, out); !slices.Equal(got, c.chains) {
				t.Fatalf("chains raised %q, want %q%s", got, c.chains, titles(out))
			}
			if c.sev != nil {
				var sev []float64
				for _, f := range out {
					sev = append(sev, f.Severity)
				}
				if !slices.Equal(sev, c.sev) {
					t.Errorf("severities %v, want %v%s", sev, c.sev, titles(out))
				}
			}
			for _, id := range c.chains {
				covered[id] = true
			}
			for i := range out {
				checkSequence(t, &out[i], c.in)
			}
		})
	}
	for _, ch := range newCorrelator(t, Options{}).Chains() {
		if !covered[ch.ID] {
			t.Errorf("chain %s has no positive case", ch.ID)
		}
	}
}

func titles(fs []finding.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n  %s %.1f %s", f.Type, f.Severity, f.Title)
	}
	return b.String()
}

// checkSequence checks the shape of a raised attack sequence: Critical,
// an AttackSequence type, members that are input findings, in time order.
func checkSequence(t *testing.T, f *finding.Finding, in []finding.Finding) {
	t.Helper()
	if !strings.HasPrefix(f.Type, "AttackSequence:") || f.Severity < 9 || f.Severity > 10 || f.ID == "" || f.AccountID == "" || f.Region == "" {
		t.Errorf("bad sequence %+v", f)
	}
	if f.Service.DetectorID != Name || f.Title == "" || f.Description == "" || f.Service.EventFirstSeen.After(f.Service.EventLastSeen) {
		t.Errorf("bad sequence service/title: %+v", f)
	}
	info := seqInfo(t, f)
	if info["uid"] != f.ID {
		t.Errorf("sequence uid %v, finding id %s", info["uid"], f.ID)
	}
	var last string
	for _, s := range info["signals"].([]any) {
		m := s.(map[string]any)
		if !slices.ContainsFunc(in, func(x finding.Finding) bool { return x.ID == m["uid"] && x.Type == m["name"] }) {
			t.Errorf("signal %v is not an input finding", m)
		}
		if ts := m["firstSeenAt"].(string); ts < last {
			t.Errorf("signals not in time order: %s after %s", ts, last)
		} else {
			last = ts
		}
	}
	if len(info["tactics"].([]any)) == 0 {
		t.Error("no tactics")
	}
}

// TestFingerprintAndIdempotency: later signals update the same sequence
// (same ID, more signals); a repeated identical signal raises nothing.
func TestFingerprintAndIdempotency(t *testing.T) {
	c := newCorrelator(t, Options{})
	a, b, d := iam(webRole, exfilOut, at(0)), iam(webRole, discAnom, at(time.Minute)), iam(webRole, trailOff, at(2*time.Minute))
	first := feed(c, a, b, d)
	if len(first) != 1 {
		t.Fatalf("%d sequences", len(first))
	}
	if again := feed(c, d, d, a); len(again) != 0 {
		t.Fatalf("repeated signals raised %d sequences", len(again))
	}
	// The same signal twice in one event raises once.
	c2 := newCorrelator(t, Options{})
	if out := c2.Correlate(context.Background(), &event.Event{}, []finding.Finding{a, b, d, d}, nil); len(out) != 1 {
		t.Fatalf("one event: %d sequences", len(out))
	}
	// A repeat later in time (an aggregated finding) moves lastSeen but is
	// not a new signal.
	d2 := d
	d2.Service.EventLastSeen = at(3 * time.Minute)
	if again := feed(c, d2); len(again) != 0 {
		t.Fatalf("aggregated repeat raised %d sequences", len(again))
	}
	e := iam(webRole, impAnom, at(4*time.Minute))
	next := feed(c, e)
	if len(next) != 1 || next[0].ID != first[0].ID {
		t.Fatalf("extension: %d sequences (ids %v vs %s)", len(next), next, first[0].ID)
	}
	if got, want := signalIDs(t, &next[0]), []string{a.ID, b.ID, d.ID, e.ID}; !slices.Equal(got, want) {
		t.Fatalf("signals %v, want %v", got, want)
	}
	if next[0].Severity <= first[0].Severity {
		t.Errorf("severity %v after %v: should rise with a stage more", next[0].Severity, first[0].Severity)
	}
	sig := seqInfo(t, &next[0])["signals"].([]any)[2].(map[string]any)
	if sig["count"] != int64(4) || sig["lastSeenAt"] != at(3*time.Minute).Format(time.RFC3339Nano) {
		t.Errorf("repeated signal: %v", sig)
	}
	// Account and region stay those of the first completion, whatever
	// region later signals come from: the ID is (chain, key).
	f := iam(webRole, persAnom, at(5*time.Minute))
	f.Region = "eu-west-1"
	f.Seal()
	out := feed(c, f)
	if len(out) == 0 || out[0].ID != first[0].ID || out[0].Region != "us-east-1" {
		t.Fatalf("other region: %+v", out)
	}
}

// TestIgnored: attack sequences, sample and archived findings are not signals.
func TestIgnored(t *testing.T) {
	c := newCorrelator(t, Options{})
	seq := feed(c, iam(webRole, exfilOut, at(0)), iam(webRole, discAnom, at(time.Minute)), iam(webRole, trailOff, at(2*time.Minute)))
	if len(seq) != 1 {
		t.Fatal(len(seq))
	}
	if out := feed(c, seq[0]); len(out) != 0 {
		t.Errorf("an attack sequence was taken as a signal: %s", titles(out))
	}
	c = newCorrelator(t, Options{})
	sample := iam(webRole, trailOff, at(2*time.Minute))
	sample.Service.AdditionalInfo = map[string]any{"sample": true}
	archived := iam(webRole, impAnom, at(2*time.Minute))
	archived.Service.Archived = true
	if out := feed(c, iam(webRole, exfilOut, at(0)), iam(webRole, discAnom, at(time.Minute)), sample, archived); len(out) != 0 {
		t.Errorf("sample or archived findings used: %s", titles(out))
	}
}

// TestRestart: partial chains survive DirtyState → RestoreState into a
// fresh correlator, and so does what was already raised.
func TestRestart(t *testing.T) {
	a, b, d, e := iam(webRole, exfilOut, at(0)), iam(webRole, discAnom, at(time.Minute)), iam(webRole, trailOff, at(2*time.Minute)), iam(webRole, impAnom, at(3*time.Minute))
	c1 := newCorrelator(t, Options{})
	feed(c1, a, b)
	st := c1.DirtyState(nil)
	if len(st) == 0 {
		t.Fatal("no dirty state")
	}
	if again := c1.DirtyState(nil); len(again) != 0 {
		t.Fatalf("state still dirty: %d entries", len(again))
	}
	for _, en := range st {
		if !strings.Contains(en.Key, "|"+acct+"|") || len(en.Value) == 0 {
			t.Errorf("entry %q = %s", en.Key, en.Value)
		}
	}
	c2 := newCorrelator(t, Options{})
	if err := c2.RestoreState(st); err != nil {
		t.Fatal(err)
	}
	out := feed(c2, d)
	if len(out) != 1 || !slices.Equal(signalIDs(t, &out[0]), []string{a.ID, b.ID, d.ID}) {
		t.Fatalf("after restore: %s", titles(out))
	}
	// Raised state survives too: a repeat raises nothing, a new signal
	// updates the same finding.
	c3 := newCorrelator(t, Options{})
	if err := c3.RestoreState(c2.DirtyState(nil)); err != nil {
		t.Fatal(err)
	}
	if again := feed(c3, d); len(again) != 0 {
		t.Fatalf("repeat after restore raised %s", titles(again))
	}
	next := feed(c3, e)
	if len(next) != 1 || next[0].ID != out[0].ID {
		t.Fatalf("extension after restore: %s", titles(next))
	}
	// Entries of unknown chains are dropped; malformed ones are errors.
	err := c3.RestoreState([]detect.StateEntry{{Key: "gone|1|x", Value: []byte(`{"v":1}`)}, {Key: "credential-exfiltration|1|x", Value: []byte(`{`)}, {Key: "nokey", Value: []byte(`{}`)}})
	if err == nil || !strings.Contains(err.Error(), "credential-exfiltration|1|x") || !strings.Contains(err.Error(), "nokey") || strings.Contains(err.Error(), "gone") {
		t.Errorf("restore errors: %v", err)
	}
}

// TestBounds: the sequences held and their signals are bounded; evicted
// sequences are persisted as deleted.
func TestBounds(t *testing.T) {
	c := newCorrelator(t, Options{MaxKeys: 32, MaxSignals: 16})
	for i := range 500 {
		p := principal{account: acct, user: fmt.Sprintf("u%d", i), principalID: fmt.Sprintf("AIDA%d", i)}
		feed(c, iam(p, discAnom, at(time.Duration(i)*time.Second)))
	}
	st := c.StateStats()
	if st.Entries > 32+nShards || st.Evicted == 0 {
		t.Fatalf("stats %+v", st)
	}
	deleted := 0
	for _, en := range c.DirtyState(nil) {
		if en.Value == nil {
			deleted++
		}
	}
	if deleted == 0 {
		t.Error("evictions not persisted as deletions")
	}
	// One principal with many signals keeps at most MaxSignals, and
	// keeps the stages: the exfiltration survives a flood of discovery.
	c = newCorrelator(t, Options{MaxSignals: 16})
	feed(c, iam(webRole, exfilOut, at(0)))
	for i := range 100 {
		f := iam(webRole, fmt.Sprintf("Discovery:IAMUser/Rule%d.Sigma", i), at(time.Minute+time.Duration(i)*time.Second))
		feed(c, f)
	}
	out := feed(c, iam(webRole, trailOff, at(time.Hour)))
	if len(out) != 1 {
		t.Fatalf("flooded sequence: %s", titles(out))
	}
	if n := seqInfo(t, &out[0])["signalCount"].(int64); n != 16 {
		t.Errorf("%d signals held, want 16", n)
	}
}

// TestConcurrent shares one correlator between goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	c := newCorrelator(t, Options{MaxKeys: 64})
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			for i := range 50 {
				p := principal{account: acct, user: fmt.Sprintf("u%d", (g*50+i)%20), principalID: "AROAX:i-0abc12345678def01"}
				n += len(feed(c, iam(p, exfilOut, at(0)), iam(p, discAnom, at(time.Minute)), iam(p, trailOff, at(2*time.Minute))))
				if i%10 == 0 {
					c.DirtyState(nil)
				}
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if total < 20 {
		t.Errorf("%d sequences from 20 principals", total)
	}
}

// TestDetectNoAlloc: the engine calls Detect on every event.
func TestDetectNoAlloc(t *testing.T) {
	c := newCorrelator(t, Options{})
	e := &event.Event{Kind: event.KindCloudTrail}
	out := make([]finding.Finding, 0, 4)
	if n := testing.AllocsPerRun(1000, func() { out = c.Detect(context.Background(), e, out[:0]) }); n != 0 || len(out) != 0 {
		t.Fatalf("Detect: %v allocs, %d findings", n, len(out))
	}
	in := c.Info()
	if in.Name != "attack-sequence" || len(in.Actions) != 0 || len(in.Kinds) != 5 || !slices.Contains(in.Tags, "sequence") ||
		!slices.Equal(in.Types, []string{"AttackSequence:EC2/CompromisedInstanceGroup", "AttackSequence:IAM/CompromisedCredentials", "AttackSequence:S3/CompromisedData"}) {
		t.Errorf("info %+v", in)
	}
}

func TestClassify(t *testing.T) {
	for typ, want := range map[string]string{
		exfilOut: "TA0001",
		discAnom: "TA0007",
		trailOff: "TA0005",
		"Persistence:IAMUser/AwsIamBackdoor.Sigma":      "TA0003",
		"PrivilegeEscalation:IAMUser/AnomalousBehavior": "TA0004",
		"CredentialAccess:IAMUser/AnomalousBehavior":    "TA0006",
		"Exfiltration:S3/AnomalousBehavior":             "TA0010",
		s3Delete:                                        "TA0040",
		"CryptoCurrency:EC2/BitcoinTool.B!DNS":          "TA0040",
		"Backdoor:EC2/C&CActivity.B":                    "TA0011",
		"Trojan:EC2/DNSDataExfiltration":                "TA0010",
		"UnauthorizedAccess:EC2/SSHBruteForce":          "TA0006",
		"Policy:IAMUser/ShortTermRootCredentialUsage":   "TA0001",
		"Behavior:EC2/NetworkPortUnusual":               "",
		"Nonsense":                                      "",
	} {
		if got, _ := Classify(typ); got != want {
			t.Errorf("Classify(%s) = %q, want %q", typ, got, want)
		}
	}
	for _, tt := range TypeTactics {
		if _, ok := Tactics[tt.Tactic]; tt.Tactic != "" && !ok {
			t.Errorf("%s: unknown tactic %s", tt.Glob, tt.Tactic)
		}
	}
	for p, ta := range PurposeTactics {
		if _, ok := Tactics[ta]; !ok {
			t.Errorf("%s: unknown tactic %s", p, ta)
		}
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		p, s string
		ok   bool
	}{
		{"Impact:S3/*", "Impact:S3/AnomalousBehavior.Delete", true},
		{"Impact:S3/*", "Impact:EC2/PortSweep", false},
		{"PrivilegeEscalation:*", "PrivilegeEscalation:IAMUser/AnomalousBehavior", true},
		{"*:IAMUser/AnomalousBehavior", "Discovery:IAMUser/AnomalousBehavior", true},
		{"*:IAMUser/AnomalousBehavior", "Discovery:S3/AnomalousBehavior", false},
		{"*:IAMUser/*Bucket*.Sigma", "Impact:IAMUser/S3BucketEncryptionChanged.Sigma", true},
		{"*:IAMUser/*Bucket*.Sigma", "Impact:IAMUser/S3BucketEncryptionChanged", false},
		{"a*a", "a", false},
		{"Recon:EC2/Portscan", "Recon:EC2/Portscan", true},
	} {
		g := compileGlob(c.p)
		if g.match(c.s) != c.ok {
			t.Errorf("%q ~ %q: %v", c.p, c.s, !c.ok)
		}
	}
}

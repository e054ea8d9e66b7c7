package baseline

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/finding"
)

func history(days int) []call {
	return slices.Concat(ciHistory(days), consoleHistory(days), serviceHistory(days))
}

// attack is a burst by stolen CI-role credentials from a new network and
// a new tool, starting at at.
func attack(at time.Time) []call {
	w := role("ci-deploy", "attacker")
	var out []call
	for i, api := range []string{
		"sts:GetCallerIdentity",                 // Discovery: known class, no finding
		"iam:ListUsers",                         // Discovery
		"secretsmanager:GetSecretValue",         // CredentialAccess
		"iam:CreateUser",                        // Persistence
		"iam:AttachUserPolicy",                  // PrivilegeEscalation
		"iam:CreateAccessKey",                   // Persistence (aggregates)
		"cloudtrail:StopLogging",                // DefenseEvasion
		"ec2:ModifySnapshotAttribute",           // Exfiltration
		"ec2:RunInstances",                      // Impact
		"ec2-instance-connect:SendSSHPublicKey", // InitialAccess: the CI role uses ecr:GetAuthorizationToken, so not new
	} {
		out = append(out, call{at: at.Add(time.Duration(i) * time.Second), who: w, api: api, ip: "203.0.113.66", ua: uaRequests})
	}
	return out
}

func TestBenignHistoryRaisesNothing(t *testing.T) {
	d := New(Options{})
	fs := run(t, d, history(28))
	for _, f := range fs {
		t.Errorf("benign history raised %s: %s", f.Type, f.Description)
	}
	if n := d.Len(); n != 2 {
		t.Errorf("profiled %d principals, want 2 (the CI role and alice; service calls are not profiled)", n)
	}
}

func TestAttackBurst(t *testing.T) {
	d := New(Options{})
	fs := run(t, d, slices.Concat(history(14), attack(day0.AddDate(0, 0, 14).Add(2*time.Hour))))
	want := map[string]float64{
		"CredentialAccess:IAMUser/AnomalousBehavior":    5,
		"Persistence:IAMUser/AnomalousBehavior":         5,
		"PrivilegeEscalation:IAMUser/AnomalousBehavior": 5,
		"DefenseEvasion:IAMUser/AnomalousBehavior":      5,
		"Exfiltration:IAMUser/AnomalousBehavior":        8,
		"Impact:IAMUser/AnomalousBehavior":              8,
	}
	got := map[string]float64{}
	ids := map[string]map[string]bool{}
	for _, f := range fs {
		got[f.Type] = f.Severity
		if ids[f.Type] == nil {
			ids[f.Type] = map[string]bool{}
		}
		ids[f.Type][f.ID] = true
		if f.Keys.Actor != "arn:aws:iam::"+acct+":role/ci-deploy" {
			t.Errorf("%s: actor key %q, want the role ARN", f.Type, f.Keys.Actor)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("types and severities:\n got %v\nwant %v", got, want)
	}
	if n := len(ids["Persistence:IAMUser/AnomalousBehavior"]); n != 1 {
		t.Errorf("Persistence findings have %d IDs, want 1 (one per principal and type)", n)
	}
	// The anomaly details say what was unusual against what.
	for _, f := range fs {
		if f.Type != "Persistence:IAMUser/AnomalousBehavior" {
			continue
		}
		a := f.Service.AdditionalInfo["anomalies"].(map[string]any)
		un := a["unusual"].(map[string]any)
		if un["network"] != "203.0.113.0/24" || un["userAgent"] != "python-requests" {
			t.Errorf("unusual = %v", un)
		}
		pr := a["profiled"].(map[string]any)
		if !slices.Contains(pr["networks"].([]string), "192.0.2.0/24") ||
			!slices.Equal(sorted(pr["userAgents"].([]string)), []string{"aws-cli", "terraform"}) ||
			slices.Contains(pr["tactics"].([]string), "Persistence") || !slices.Contains(pr["tactics"].([]string), "Discovery") {
			t.Errorf("profiled = %v", pr)
		}
		if apis := a["anomalousAPIs"].([]string); len(apis) != 1 || !strings.HasPrefix(apis[0], "iam.amazonaws.com:") {
			t.Errorf("anomalousAPIs = %v", apis)
		}
		if f.Service.Action.AwsAPICallAction == nil || f.Service.Action.AwsAPICallAction.RemoteIPDetails.IPAddressV4 != "203.0.113.66" {
			t.Errorf("action = %+v", f.Service.Action.AwsAPICallAction)
		}
		// The finding owns its memory and serializes.
		f.Detach()
	}
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func TestLearningSuppresses(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		days int
	}{
		{"inside the window", Options{}, 5},
		{"window over, too few active days", Options{MinDays: 12}, 14},
		{"window over, too few events", Options{MinEvents: 100000}, 14},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := New(tc.opts)
			fs := run(t, d, slices.Concat(history(tc.days), attack(day0.AddDate(0, 0, tc.days).Add(2*time.Hour))))
			if len(fs) != 0 {
				t.Errorf("learning principal raised %v", typeSet(fs))
			}
		})
	}
}

// A new class from the usual network and tool is learned, not flagged;
// the same class from a new network alone (known tool) is flagged.
func TestUnusualNeedsNetworkOrAgent(t *testing.T) {
	at := day0.AddDate(0, 0, 14).Add(10 * time.Hour)
	for _, tc := range []struct {
		name, ip, ua string
		want         []string
	}{
		{"usual network and tool", "192.0.2.15", uaCLI, nil},
		{"new network", "203.0.113.9", uaCLI, []string{"Persistence:IAMUser/AnomalousBehavior"}},
		{"new tool", "192.0.2.15", uaStratus, []string{"Persistence:IAMUser/AnomalousBehavior"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := New(Options{})
			c := call{at: at, who: role("ci-deploy", "x"), api: "iam:CreateAccessKey", ip: tc.ip, ua: tc.ua}
			fs := run(t, d, append(history(14), c))
			if got := typeSet(fs); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			// A second call of the class from the usual place: learned in the
			// first case, still nothing new in the others.
			c2 := call{at: at.Add(time.Hour), who: role("ci-deploy", "y"), api: "iam:CreateAccessKey", ip: "192.0.2.15", ua: uaCLI}
			if fs := run(t, d, []call{c2}); len(fs) != 0 {
				t.Errorf("usual call raised %v", typeSet(fs))
			}
		})
	}
}

// A network first seen after learning joins the baseline only once used
// again a day later, and never when it took part in a finding.
func TestNetworkSettles(t *testing.T) {
	d := New(Options{})
	run(t, d, history(14))
	at := day0.AddDate(0, 0, 14).Add(10 * time.Hour)
	w := role("ci-deploy", "new-runner")
	// New runner network, known classes only: no finding, network pending.
	run(t, d, []call{{at: at, who: w, api: "ec2:DescribeInstances", ip: "100.64.7.1", ua: uaCLI}})
	// Same day, new class from the pending network: still unusual.
	if fs := run(t, d, []call{{at: at.Add(time.Hour), who: w, api: "rds:CreateDBSnapshot", ip: "100.64.7.1", ua: uaCLI}}); len(fs) != 1 {
		t.Errorf("pending network: got %v, want Exfiltration", typeSet(fs))
	}
	// The runner network is used on the next two days: it settles.
	run(t, d, []call{{at: at.Add(30 * time.Hour), who: w, api: "ec2:DescribeInstances", ip: "100.64.8.1", ua: uaCLI}})
	run(t, d, []call{{at: at.Add(31 * time.Hour), who: w, api: "ec2:DescribeInstances", ip: "100.64.8.1", ua: uaCLI}})
	run(t, d, []call{{at: at.Add(56 * time.Hour), who: w, api: "ec2:DescribeInstances", ip: "100.64.8.1", ua: uaCLI}})
	if fs := run(t, d, []call{{at: at.Add(57 * time.Hour), who: w, api: "ssm:SendCommand", ip: "100.64.8.1", ua: uaCLI}}); len(fs) != 0 {
		t.Errorf("settled network: got %v", typeSet(fs))
	}
	// The flagged network never settles.
	run(t, d, []call{{at: at.Add(80 * time.Hour), who: w, api: "ec2:DescribeInstances", ip: "100.64.7.1", ua: uaCLI}})
	if fs := run(t, d, []call{{at: at.Add(81 * time.Hour), who: w, api: "iam:CreateUser", ip: "100.64.7.1", ua: uaCLI}}); len(fs) != 1 {
		t.Errorf("flagged network: got %v, want Persistence", typeSet(fs))
	}
}

func TestServicePrincipalsNeverProfiled(t *testing.T) {
	d := New(Options{})
	calls := serviceHistory(20)
	slr := role("AWSServiceRoleForSupport", "support")
	slr.issuer = "arn:aws:iam::" + acct + ":role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport"
	at := day0.AddDate(0, 0, 20)
	for i, api := range []string{"iam:CreateUser", "cloudtrail:StopLogging", "ec2:RunInstances"} {
		calls = append(calls,
			call{at: at.Add(time.Duration(i) * time.Minute), who: who{typ: "AWSService", invokedBy: "lambda.amazonaws.com"}, api: api, ip: "203.0.113.1", ua: uaRequests},
			call{at: at.Add(time.Duration(i) * time.Minute), who: func() who { w := role("app", "s"); w.invokedBy = "cloudformation.amazonaws.com"; return w }(), api: api, ip: "203.0.113.1", ua: uaRequests},
			call{at: at.Add(time.Duration(i) * time.Minute), who: slr, api: api, ip: "203.0.113.1", ua: uaRequests},
		)
	}
	if fs := run(t, d, calls); len(fs) != 0 {
		t.Errorf("service calls raised %v", typeSet(fs))
	}
	if n := d.Len(); n != 0 {
		t.Errorf("%d service principals profiled", n)
	}
}

// steadyReader reads ~10 objects an hour during working hours.
func steadyReader(days int) []call {
	w := role("etl", "job")
	var out []call
	for d := 0; d < days; d++ {
		for h := 8; h < 18; h++ {
			n := 8 + (d*7+h)%5
			for i := 0; i < n; i++ {
				at := day0.AddDate(0, 0, d).Add(time.Duration(h)*time.Hour + time.Duration(i)*time.Minute)
				out = append(out, call{at: at, who: w, api: "s3:GetObject", ip: "192.0.2.50", ua: uaBoto3, data: true, bucket: "lake"})
				if i == 0 {
					out = append(out, call{at: at, who: w, api: "s3:ListObjects", ip: "192.0.2.50", ua: uaBoto3, data: true, bucket: "lake"},
						call{at: at, who: w, api: "s3:PutObject", ip: "192.0.2.50", ua: uaBoto3, data: true, bucket: "lake-out"})
				}
			}
		}
	}
	return out
}

func TestVolumeAnomaly(t *testing.T) {
	at := day0.AddDate(0, 0, 14).Add(20 * time.Hour)
	burst := func(n int, ip string) []call {
		var out []call
		for i := 0; i < n; i++ {
			out = append(out, call{at: at.Add(time.Duration(i) * 3 * time.Second), who: role("etl", "job"), api: "s3:GetObject", ip: ip, ua: uaBoto3, data: true, bucket: "lake"})
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		n     int
		count int // findings raised (crossing, then each doubling)
	}{
		{"usual volume", 12, 0},
		{"just under the floor", 50, 0},
		{"burst", 400, 3}, // over the floor of 50 at 51, then at each doubling: 102, 204
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := New(Options{})
			run(t, d, steadyReader(14))
			fs := run(t, d, burst(tc.n, "192.0.2.50"))
			for _, f := range fs {
				if f.Type != "Exfiltration:S3/AnomalousBehavior" || f.Severity != 8 {
					t.Errorf("got %s %v", f.Type, f.Severity)
				}
				if f.Resource.ResourceType != "S3Bucket" || len(f.Resource.S3BucketDetails) != 1 || f.Resource.S3BucketDetails[0].Name != "lake" {
					t.Errorf("resource = %+v", f.Resource)
				}
				un := f.Service.AdditionalInfo["anomalies"].(map[string]any)["unusual"].(map[string]any)
				if _, ok := un["network"]; ok {
					t.Errorf("usual network reported as unusual: %v", un)
				}
			}
			if tc.count == 0 && len(fs) != 0 {
				t.Errorf("raised %d findings", len(fs))
			}
			if tc.count > 0 {
				if len(fs) != tc.count {
					t.Errorf("raised %d findings, want %d (the crossing and each doubling)", len(fs), tc.count)
				}
				first := fs[0].Service.AdditionalInfo["anomalies"].(map[string]any)["unusual"].(map[string]any)
				if first["volume"] != int64(51) {
					t.Errorf("first volume finding at %v calls, want 51 (floor 50)", first["volume"])
				}
			}
		})
	}
}

// The volume threshold follows the principal's own mean and spread.
func TestThreshold(t *testing.T) {
	d := New(Options{})
	for _, tc := range []struct {
		counts []float64
		want   float64
	}{
		{[]float64{10, 10, 10}, 50},     // floor
		{[]float64{100, 100, 100}, 160}, // mean + 6·sqrt(mean)
		{[]float64{100, 300, 200}, 200 + 6*81.64966},
	} {
		var v volStat
		for _, c := range tc.counts {
			v.fold(c, 336)
		}
		if got := d.threshold(&v); got < tc.want-0.1 || got > tc.want+0.1 {
			t.Errorf("%v: threshold %.2f, want %.2f", tc.counts, got, tc.want)
		}
	}
}

func TestS3Types(t *testing.T) {
	at := day0.AddDate(0, 0, 14).Add(21 * time.Hour)
	evil := func(api string, data bool) call {
		return call{at: at, who: role("etl", "job"), api: api, ip: "203.0.113.77", ua: uaRequests, data: data, bucket: "lake"}
	}
	for _, tc := range []struct {
		c    call
		want string
		sev  float64
	}{
		{evil("s3:DeleteObjects", true), "Impact:S3/AnomalousBehavior.Delete", 8},
		{evil("s3:DeleteObject", true), "Impact:S3/AnomalousBehavior.Delete", 8},
		{evil("s3:PutBucketPolicy", false), "Impact:S3/AnomalousBehavior.Permission", 8},
		{evil("s3:PutObjectAcl", true), "Impact:S3/AnomalousBehavior.Permission", 8},
		{evil("s3:PutBucketReplication", false), "Exfiltration:IAMUser/AnomalousBehavior", 8},
		{evil("s3:GetObject", true), "", 0},   // the role reads: known class
		{evil("s3:ListObjects", true), "", 0}, // and lists
	} {
		t.Run(tc.c.api, func(t *testing.T) {
			d := New(Options{})
			run(t, d, steadyReader(14))
			fs := run(t, d, []call{tc.c})
			if tc.want == "" {
				if len(fs) != 0 {
					t.Errorf("raised %v", typeSet(fs))
				}
				return
			}
			if len(fs) != 1 || fs[0].Type != tc.want || fs[0].Severity != tc.sev {
				t.Fatalf("got %v, want %s", typeSet(fs), tc.want)
			}
		})
	}
	// A principal that writes but never reads: GetObject and ListObjects
	// from a new network are new classes.
	writer := func(days int) []call {
		var out []call
		for _, c := range steadyReader(days) {
			if c.api == "s3:PutObject" {
				c.who = role("writer", "w")
				for i := 0; i < 20; i++ {
					c.at = c.at.Add(time.Second)
					out = append(out, c)
				}
			}
		}
		return out
	}
	for _, tc := range []struct {
		api, want string
		sev       float64
	}{
		{"s3:GetObject", "Exfiltration:S3/AnomalousBehavior", 8},
		{"s3:ListObjects", "Discovery:S3/AnomalousBehavior", 2},
		{"s3:ListBuckets", "Discovery:S3/AnomalousBehavior", 2},
	} {
		t.Run("writer "+tc.api, func(t *testing.T) {
			d := New(Options{})
			run(t, d, writer(14))
			c := call{at: at, who: role("writer", "x"), api: tc.api, ip: "203.0.113.77", ua: uaRequests, data: tc.api != "s3:ListBuckets", bucket: "lake"}
			fs := run(t, d, []call{c})
			if len(fs) != 1 || fs[0].Type != tc.want || fs[0].Severity != tc.sev {
				t.Fatalf("got %v, want %s", typeSet(fs), tc.want)
			}
		})
	}
	// Write volume: the writer's usual hour is 20 puts.
	t.Run("write volume", func(t *testing.T) {
		d := New(Options{})
		run(t, d, writer(14))
		var burst []call
		for i := 0; i < 300; i++ {
			burst = append(burst, call{at: at.Add(time.Duration(i) * time.Second), who: role("writer", "x"), api: "s3:PutObject", ip: "192.0.2.50", ua: uaBoto3, data: true, bucket: "lake-out"})
		}
		fs := run(t, d, burst)
		if got := typeSet(fs); !slices.Equal(got, []string{"Impact:S3/AnomalousBehavior.Write"}) {
			t.Fatalf("got %v", got)
		}
		if fs[0].Severity != 5 {
			t.Errorf("severity %v", fs[0].Severity)
		}
	})
}

func TestConsoleLoginSuccessB(t *testing.T) {
	at := day0.AddDate(0, 0, 15).Add(23 * time.Hour)
	login := func(w who, ip, ua string, failed bool) call {
		res := "Success"
		if failed {
			res = "Failure"
		}
		return call{at: at, who: w, api: "signin:ConsoleLogin", ip: ip, ua: ua, evType: "AwsConsoleSignIn", response: map[string]any{"ConsoleLogin": res}}
	}
	for _, tc := range []struct {
		name    string
		history []call
		c       call
		want    bool
		unusual map[string]any
	}{
		{"usual", consoleHistory(15), login(iamUser("alice"), "198.51.100.7", uaMac, false), false, nil},
		{"new network and browser", consoleHistory(15), login(iamUser("alice"), "203.0.113.5", uaWindows, false), true,
			map[string]any{"network": "203.0.113.0/24", "userAgent": "browser-windows"}},
		{"new network", consoleHistory(15), login(iamUser("alice"), "203.0.113.5", uaMac, false), true,
			map[string]any{"network": "203.0.113.0/24"}},
		{"failed sign-in", consoleHistory(15), login(iamUser("alice"), "203.0.113.5", uaWindows, true), false, nil},
		// The CI role has a long history but no console sign-ins.
		{"no sign-in history", ciHistory(15), login(role("ci-deploy", "x"), "203.0.113.5", uaWindows, false), false, nil},
		{"still learning", consoleHistory(4), func() call {
			c := login(iamUser("alice"), "203.0.113.5", uaWindows, false)
			c.at = day0.AddDate(0, 0, 4) // the window ends on day 7
			return c
		}(), false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := New(Options{})
			run(t, d, tc.history)
			fs := run(t, d, []call{tc.c})
			if !tc.want {
				if len(fs) != 0 {
					t.Errorf("raised %v", typeSet(fs))
				}
				return
			}
			if len(fs) != 1 || fs[0].Type != "UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B" || fs[0].Severity != 5 {
				t.Fatalf("got %v", typeSet(fs))
			}
			un := fs[0].Service.AdditionalInfo["anomalies"].(map[string]any)["unusual"]
			if !reflect.DeepEqual(un, tc.unusual) {
				t.Errorf("unusual = %v, want %v", un, tc.unusual)
			}
		})
	}
}

// A restart keeps the baseline: profiles handed out by DirtyState and
// restored into a fresh detector decide as the original would.
func TestRestartKeepsBaseline(t *testing.T) {
	hist := history(14)
	orig := New(Options{})
	run(t, orig, hist)
	entries := orig.DirtyState(nil)
	if len(entries) != 2 {
		t.Fatalf("DirtyState gave %d entries, want 2", len(entries))
	}
	for _, en := range entries {
		if !strings.HasPrefix(en.Key, acct+"|arn:aws:iam::"+acct+":") || len(en.Value) == 0 {
			t.Errorf("entry %q (%d bytes)", en.Key, len(en.Value))
		}
	}
	if again := orig.DirtyState(nil); len(again) != 0 {
		t.Errorf("second DirtyState gave %d entries, want 0", len(again))
	}

	restored := New(Options{})
	if err := restored.RestoreState(entries); err != nil {
		t.Fatal(err)
	}
	fresh := New(Options{})
	burst := attack(day0.AddDate(0, 0, 14).Add(2 * time.Hour))
	benign := []call{{at: day0.AddDate(0, 0, 14).Add(9 * time.Hour), who: role("ci-deploy", "r"), api: "ec2:DescribeInstances", ip: "192.0.2.11", ua: uaCLI}}

	want := typeSet(run(t, orig, slices.Clone(burst)))
	if got := typeSet(run(t, restored, slices.Clone(burst))); !slices.Equal(got, want) || len(want) == 0 {
		t.Errorf("restored detector: %v, original: %v", got, want)
	}
	if got := run(t, restored, benign); len(got) != 0 {
		t.Errorf("restored detector raised on a benign call: %v", typeSet(got))
	}
	if got := run(t, fresh, slices.Clone(burst)); len(got) != 0 {
		t.Errorf("a detector without the state must be learning, raised %v", typeSet(got))
	}
	// A restored profile is not dirty until it changes.
	r2 := New(Options{})
	if err := r2.RestoreState(entries); err != nil {
		t.Fatal(err)
	}
	if n := len(r2.DirtyState(nil)); n != 0 {
		t.Errorf("restored profiles dirty: %d", n)
	}
}

func TestRestoreStateErrors(t *testing.T) {
	d := New(Options{})
	run(t, d, ciHistory(10))
	good := d.DirtyState(nil)[0]
	bad := []detect.StateEntry{
		{Key: "nokey", Value: good.Value},
		{Key: good.Key, Value: good.Value[:len(good.Value)-3]},
		{Key: good.Key, Value: append([]byte{99}, good.Value[1:]...)},
		{Key: good.Key, Value: append(slices.Clone(good.Value), 0)},
		{Key: "x|tomb"}, // an evicted principal: skipped
		good,
	}
	r := New(Options{})
	err := r.RestoreState(bad)
	if err == nil || strings.Count(err.Error(), "\n") != 3 {
		t.Errorf("error = %v, want four entries reported", err)
	}
	if r.Len() != 1 {
		t.Errorf("loaded %d, want the good one", r.Len())
	}
}

func TestProfileRoundTrip(t *testing.T) {
	d := New(Options{})
	run(t, d, slices.Concat(history(14), attack(day0.AddDate(0, 0, 14).Add(2*time.Hour)), steadyReader(14)))
	for si := range d.shards {
		s := &d.shards[si]
		for i := range s.profs {
			p := s.profs[i]
			var q profile
			if err := q.decode(p.encode(nil)); err != nil {
				t.Fatal(err)
			}
			p.dirty, p.persisted = false, false
			if p != q {
				t.Errorf("%s: round trip differs:\n%+v\n%+v", s.keys[i], p, q)
			}
		}
	}
	// Every truncation fails cleanly.
	var p profile
	run(t, d, nil)
	for si := range d.shards {
		if len(d.shards[si].profs) > 0 {
			p = d.shards[si].profs[0]
			break
		}
	}
	b := p.encode(nil)
	for n := 0; n < len(b); n++ {
		var q profile
		if q.decode(b[:n]) == nil {
			t.Fatalf("truncated to %d of %d bytes decoded", n, len(b))
		}
	}
}

func TestEviction(t *testing.T) {
	d := New(Options{MaxPrincipals: 4, Shards: 1})
	at := day0
	for i := 0; i < 6; i++ {
		run(t, d, []call{{at: at.Add(time.Duration(i) * time.Minute), who: iamUser(fmt.Sprintf("u%d", i)), api: "sts:GetCallerIdentity", ip: "192.0.2.1", ua: uaCLI}})
		if i == 1 {
			d.DirtyState(nil) // u0, u1 persisted
		}
	}
	if d.Len() != 4 {
		t.Fatalf("Len %d, want 4", d.Len())
	}
	var tombs []string
	for _, en := range d.DirtyState(nil) {
		if len(en.Value) == 0 {
			tombs = append(tombs, en.Key)
		}
	}
	slices.Sort(tombs)
	want := []string{acct + "|arn:aws:iam::" + acct + ":user/u0", acct + "|arn:aws:iam::" + acct + ":user/u1"}
	if !slices.Equal(tombs, want) {
		t.Errorf("tombstones %v, want %v", tombs, want)
	}
}

// Several pipelines share the detector (run with -race).
func TestConcurrentUse(t *testing.T) {
	d := New(Options{Shards: 4})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var calls []call
			for _, c := range ciHistory(10) {
				c.who = role(fmt.Sprintf("ci-%d", g), "s")
				calls = append(calls, c)
			}
			run(t, d, calls)
		}(g)
	}
	stop := make(chan struct{})
	var n int
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				n += len(d.DirtyState(nil))
			}
		}
	}()
	time.Sleep(10 * time.Millisecond)
	for d.Len() < 4 {
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	n += len(d.DirtyState(nil))
	if n < 4 {
		t.Errorf("dirty entries %d", n)
	}
}

func TestInfo(t *testing.T) {
	d := New(Options{})
	var _ detect.Stateful = d
	in := d.Info()
	if in.Name != "baseline" || len(in.Actions) != 0 || !slices.Equal(in.Tags, []string{"cloudtrail", "iam", "s3", "baseline"}) || len(in.Types) != 14 {
		t.Errorf("info = %+v", in)
	}
	if d.StateName() != "baseline" {
		t.Error(d.StateName())
	}
	// The engine seals the findings: one ID per principal and type.
	en := detect.NewEngine([]detect.Detector{d}, nil)
	var out []finding.Finding
	for _, c := range slices.Concat(history(14), attack(day0.AddDate(0, 0, 14).Add(2*time.Hour))) {
		out = en.Detect(context.Background(), c.event(t), out)
	}
	ids := map[string]string{}
	for _, f := range out {
		if prev, ok := ids[f.Type]; ok && prev != f.ID {
			t.Errorf("%s has two IDs", f.Type)
		}
		ids[f.Type] = f.ID
	}
	if len(ids) != 6 {
		t.Errorf("%d types", len(ids))
	}
}

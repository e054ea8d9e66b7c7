package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/config"
	"github.com/picket-dev/picket/internal/demo"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/source"
	"github.com/picket-dev/picket/internal/store"
	"github.com/picket-dev/picket/internal/store/pgtest"
	"github.com/picket-dev/picket/internal/store/postgres"
	"github.com/picket-dev/picket/internal/testutil"
	"github.com/picket-dev/picket/internal/web"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// want is one expected finding: the scenario README's table.
type want struct {
	typ, account, region, actor string
	count                       int64
}

// demoFindings are the findings internal/demo/scenario/README.md promises,
// by type, account, region, actor (user name or principal) and count.
var demoFindings = []want{
	{"PenTest:IAMUser/KaliLinux", "111122223333", "us-east-1", "dev-ci-deployer", 23},
	{"PenTest:S3/KaliLinux", "111122223333", "us-east-1", "dev-ci-deployer", 26},
	{"PenTest:IAMUser/KaliLinux", "111122223333", "eu-west-1", "dev-ci-deployer", 1},
	{"Stealth:IAMUser/CloudTrailLoggingDisabled", "111122223333", "us-east-1", "dev-ci-deployer", 1},
	{"Policy:S3/AccountBlockPublicAccessDisabled", "111122223333", "us-east-1", "dev-ci-deployer", 1},
	{"Policy:S3/BucketBlockPublicAccessDisabled", "111122223333", "us-east-1", "dev-ci-deployer", 1},
	{"Policy:S3/BucketAnonymousAccessGranted", "111122223333", "us-east-1", "dev-ci-deployer", 1},
	{"Policy:S3/BucketAnonymousAccessGranted", "111122223333", "us-east-1", "dev-ci-deployer", 1},
	{"Stealth:S3/ServerAccessLoggingDisabled", "111122223333", "us-east-1", "dev-ci-deployer", 1},
	{"PenTest:IAMUser/KaliLinux", "111122223333", "us-east-1", "ops-automation", 8},
	{"DefenseImpairment:EC2/DisableOrModifyTools", "111122223333", "us-east-1", "ops-automation", 1},
	{"DefenseImpairment:GuardDuty/DisableOrModifyTools", "111122223333", "us-east-1", "ops-automation", 1},
	{"DefenseEvasion:IAMUser/BedrockLoggingDisabled", "111122223333", "us-east-1", "ops-automation", 1},
	{"PenTest:IAMUser/KaliLinux", "111122223333", "eu-west-1", "ops-automation", 2},
	{"CredentialAccess:EC2/UnsecuredCredentials", "111122223333", "eu-west-1", "ops-automation", 1},
	{"PenTest:IAMUser/KaliLinux", "444455556666", "us-east-1", "AROAJLDZR3WXY3M5DNGIK:botocore-session-1791970149", 1},
	{"PenTest:IAMUser/KaliLinux", "444455556666", "us-east-1", "ops-automation", 4},
	{"DefenseImpairment:GuardDuty/DisableOrModifyTools", "444455556666", "us-east-1", "ops-automation", 1},
	{"DefenseImpairment:Organizations/ModifyCloudResourceHierarchy", "444455556666", "us-east-1", "ops-automation", 1},
	{"Policy:IAMUser/RootCredentialUsage", "111122223333", "us-east-1", "root", 7},
	{"Stealth:IAMUser/PasswordPolicyChange", "111122223333", "us-east-1", "root", 1},
}

func actorOf(f *finding.Finding) string {
	if a := f.Resource.AccessKeyDetails; a != nil && a.UserName != "" {
		return a.UserName
	}
	if a := f.Resource.AccessKeyDetails; a != nil && a.PrincipalID != "" {
		return a.PrincipalID
	}
	return f.Keys.Actor
}

func key(w want) string {
	return fmt.Sprintf("%s|%s|%s|%s|%d", w.typ, w.account, w.region, w.actor, w.count)
}

// checkDemoFindings compares findings with the scenario's table, as multisets.
func checkDemoFindings(t *testing.T, fs []finding.Finding) {
	t.Helper()
	var got, exp []string
	for i := range fs {
		f := &fs[i]
		if strings.HasPrefix(f.Type, "AttackSequence:") {
			continue // checked on their own
		}
		got = append(got, key(want{f.Type, f.AccountID, f.Region, actorOf(f), f.Service.Count}))
	}
	for _, w := range demoFindings {
		exp = append(exp, key(w))
	}
	slices.Sort(got)
	slices.Sort(exp)
	if !slices.Equal(got, exp) {
		t.Errorf("demo findings differ from the scenario README:\n got %q\nwant %q", got, exp)
	}
}

type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func (c apiClient) get(path string, out any) int {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if s, ok := out.(*string); ok {
			*s = string(b)
		} else if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("GET %s: %v: %s", path, err, b)
		}
	}
	return resp.StatusCode
}

// The demo, as `make demo` runs it: ingest the bundled scenario, print the
// table, serve /healthz, /metrics and the API; a second run reads nothing
// new and shows the same findings.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	for run := 1; run <= 2; run++ {
		ctx, cancel := context.WithCancel(t.Context())
		var out bytes.Buffer
		ready := make(chan apiClient, 1)
		done := make(chan error, 1)
		go func() {
			done <- Demo(ctx, DemoOptions{DataDir: dir, Listen: "127.0.0.1:0", Out: &out,
				Ready: func(addr, token, _ string) { ready <- apiClient{t, "http://" + addr, token} }})
		}()
		var c apiClient
		select {
		case c = <-ready:
		case err := <-done:
			t.Fatalf("demo stopped: %v\n%s", err, out.String())
		case <-time.After(3 * time.Minute): // -race on two busy cores
			t.Fatal("demo not ready after 3 minutes")
		}

		var list web.FindingList
		if code := c.get("/api/v1/findings?limit=1000", &list); code != 200 {
			t.Fatalf("findings: HTTP %d", code)
		}
		var cloudtrail []finding.Finding
		var network []string
		var sequences []string
		for _, f := range list.Findings {
			if strings.HasPrefix(f.Type, "AttackSequence:") {
				sequences = append(sequences, f.Type+"|"+f.AccountID)
				continue
			}
			if f.Service.FeatureName == "CloudTrail" {
				cloudtrail = append(cloudtrail, f)
			} else {
				// The API does not show the fingerprint's actor: compare the rest.
				network = append(network, fmt.Sprintf("%s|%s|%g|%d", f.Type, f.Resource.InstanceDetails.InstanceID, f.Severity, f.Service.Count))
			}
		}
		checkDemoFindings(t, cloudtrail)
		slices.Sort(network)
		var want []string
		for _, w := range networkWant {
			if strings.HasPrefix(w, "AttackSequence:") {
				continue // in sequences
			}
			p := strings.Split(w, "|")
			want = append(want, strings.Join([]string{p[0], p[1], p[3], p[4]}, "|"))
		}
		slices.Sort(want)
		if !slices.Equal(network, want) {
			t.Errorf("network findings:\n got %q\nwant %q", network, want)
		}
		// The scenario's S3 exfiltration and its compromised instances
		// form attack sequences.
		slices.Sort(sequences)
		if want := []string{"AttackSequence:EC2/CompromisedInstanceGroup|111122223333", "AttackSequence:S3/CompromisedData|111122223333"}; !slices.Equal(sequences, want) {
			t.Errorf("attack sequences %q, want %q", sequences, want)
		}
		if list.Total != 33 {
			t.Errorf("total %d, want 33", list.Total)
		}
		var high web.FindingList
		c.get("/api/v1/findings?severity=high", &high)
		if high.Total != 14 {
			t.Errorf("%d High or Critical findings, want 14", high.Total)
		}
		var detail web.FindingDetail
		id := list.Findings[0].ID
		if code := c.get("/api/v1/findings/"+id, &detail); code != 200 || detail.Finding.ID != id || len(detail.Evidence) == 0 {
			t.Errorf("finding %s: HTTP %d, %d evidence", id, code, len(detail.Evidence))
		}
		if code := (apiClient{t, c.base, ""}).get("/api/v1/findings", nil); code != http.StatusUnauthorized {
			t.Errorf("API without token: HTTP %d, want 401", code)
		}
		if code := c.get("/healthz", nil); code != 200 {
			t.Errorf("healthz: HTTP %d", code)
		}
		var metrics string
		c.get("/metrics", &metrics)
		text := out.String()
		if run == 1 {
			// 39 Kali events in IAM findings; every record of the 72 log files read.
			for _, m := range []string{`picket_findings_total{type="PenTest:IAMUser/KaliLinux"} 39`, `picket_events_out_total{source="demo"} 495`,
				`picket_objects_total{outcome="done",source="demo"} 73`,
				`picket_detector_state_evictions_total{detector="EC2/BruteForce"} 0`,
				`picket_detector_state_evictions_total{detector="EC2/PortScanning"} 0`,
				`picket_events_out_total{source="demo-network"} 117693`} {
				if !strings.Contains(metrics, m) {
					t.Errorf("metrics lack %s", m)
				}
			}
			if !strings.Contains(text, "Read 118189 records: 118188 events, 1 skipped") {
				t.Errorf("first run output:\n%s", text)
			}
		} else if !strings.Contains(text, "Nothing new to read") {
			t.Errorf("second run read again:\n%s", text)
		}
		if !strings.Contains(text, "33 findings: 2 Critical, 12 High, 11 Medium, 8 Low") || strings.Count(text, "\n") < 34 {
			t.Errorf("run %d printed:\n%s", run, text)
		}
		if !strings.Contains(text, c.token) {
			t.Errorf("the demo should print its API token for the user")
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("demo: %v", err)
		}
	}
}

// The same ingestion on PostgreSQL gives the same findings.
func TestDemoScenarioOnPostgres(t *testing.T) {
	st, err := postgres.Open(t.Context(), pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := config.Default()
	a, err := New(t.Context(), cfg, Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ingestDemo(t, a)
	fs, total, err := st.ListFindings(t.Context(), store.FindingQuery{Limit: 100})
	if err != nil || total != 22 { // 21 and the S3 attack sequence
		t.Fatalf("%d findings, %v", total, err)
	}
	checkDemoFindings(t, fs)
	// Ingesting again reads nothing: every file is checkpointed as done.
	ingestDemo(t, a)
	fs, _, _ = st.ListFindings(t.Context(), store.FindingQuery{Limit: 100})
	checkDemoFindings(t, fs)
}

func ingestDemo(t *testing.T, a *App) {
	t.Helper()
	objs, err := source.WalkFS(demo.Scenario(), source.Matcher{"*.json.gz"})
	if err != nil {
		t.Fatal(err)
	}
	src := config.SourceConfig{Name: DemoSource, Type: "file", Format: "cloudtrail"}
	for _, o := range objs {
		if _, err := a.Ingest(t.Context(), src, o); err != nil {
			t.Fatal(err)
		}
	}
}

// stratusWant is what the Stratus Red Team detonation logs must raise.
var stratusWant = []string{
	"CredentialAccess:EC2/UnsecuredCredentials",
	"DefenseImpairment:EC2/DisableOrModifyTools",
	"DefenseImpairment:Organizations/ModifyCloudResourceHierarchy",
	"DefenseImpairment:Route53Resolver/DisableOrModifyTools",
	"Stealth:IAMUser/CloudTrailLoggingDisabled",
	"Stealth:IAMUser/CloudTrailLoggingDisabled",
	"Stealth:IAMUser/CloudTrailLoggingDisabled",
}

func TestScanStratusDetonations(t *testing.T) {
	dir := testutil.SharedData(t, "stratus-red-team", "detonation-logs")
	rep, err := Scan(t.Context(), ScanOptions{Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, f := range rep.Findings {
		types = append(types, f.Type)
		if f.SeverityLabel() == finding.Label(0) || f.Title == "" || f.Description == "" {
			t.Errorf("%s: incomplete finding %+v", f.Type, f)
		}
		if len(rep.Collector.Evidence(f.ID)) == 0 {
			t.Errorf("%s: no evidence", f.Type)
		}
	}
	slices.Sort(types)
	if !slices.Equal(types, stratusWant) {
		t.Errorf("findings %q\nwant %q", types, stratusWant)
	}
	if rep.Summary.Quarantined != 0 || len(rep.Errors) != 0 || rep.Summary.Objects < 30 {
		t.Errorf("summary %+v errors %v", rep.Summary, rep.Errors)
	}
}

// Run watches a directory: files dropped in later are read once, a file
// appended to is read from where it stopped, and the API serves the result.
func TestRunWatchesDirectory(t *testing.T) {
	logs := t.TempDir()
	cfgText := fmt.Sprintf(`
data_dir: %s
http:
  listen: 127.0.0.1:0
  api_token_env: TEST_RUN_TOKEN
pipeline:
  batch_size: 2
sources:
  - name: trail
    type: directory
    path: %s
    poll_interval: 100ms
    settle: 0s
`, t.TempDir(), logs)
	t.Setenv("TEST_RUN_TOKEN", "0123456789abcdef0123")
	cfg, err := config.Parse([]byte(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(cfg); err != nil {
		t.Fatal(err)
	}
	a, err := New(t.Context(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, strings.NewReader("")) }()

	stop := func(user, trail string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, `{"eventVersion":"1.08","eventTime":"2026-10-14T09:%02d:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.77","userAgent":"aws-cli/2","requestParameters":{"name":"%s"},"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/%s","accountId":"111122223333","accessKeyId":"AKIA%s","userName":"%s"},"eventID":"%s-%s-%d","eventType":"AwsApiCall","recipientAccountId":"111122223333"}`+"\n",
				i%60, trail, user, strings.ToUpper(user), user, user, trail, i)
		}
		return b.String()
	}
	countOf := func() map[string]int64 {
		fs, _, err := a.Store().ListFindings(t.Context(), store.FindingQuery{})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]int64{}
		for _, f := range fs {
			m[f.Keys.Resource] += f.Service.Count
		}
		return m
	}
	waitFor := func(what string, ok func(map[string]int64) bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			m := countOf()
			if ok(m) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: counts %v", what, m)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	write := func(name, text string, flag int) {
		f, err := os.OpenFile(filepath.Join(logs, name), flag|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(text); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	write("a.jsonl", stop("alice", "trail-a", 5), os.O_CREATE|os.O_TRUNC)
	waitFor("first file", func(m map[string]int64) bool { return m["trail-a"] == 5 })
	write("b.jsonl", stop("bob", "trail-b", 3), os.O_CREATE|os.O_TRUNC)
	waitFor("second file", func(m map[string]int64) bool { return m["trail-b"] == 3 })
	// Appending to a read file: only the new records count.
	write("a.jsonl", stop("alice", "trail-a", 2), os.O_APPEND)
	waitFor("appended records", func(m map[string]int64) bool { return m["trail-a"] == 7 })
	// A file that is not a log (wrong name) is ignored.
	write("notes.txt", stop("carol", "trail-c", 1), os.O_CREATE|os.O_TRUNC)
	time.Sleep(300 * time.Millisecond)
	if m := countOf(); m["trail-c"] != 0 || m["trail-a"] != 7 || m["trail-b"] != 3 {
		t.Errorf("after polls with nothing new: %v", m)
	}
	cps, err := a.Store().Checkpoints(t.Context(), "trail")
	if err != nil || len(cps) != 2 {
		t.Fatalf("checkpoints %v %v", cps, err)
	}
	if c := cps[filepath.Join(logs, "a.jsonl")]; c.Position != 7 || !c.Done {
		t.Errorf("checkpoint of a.jsonl %+v, want position 7 done", c)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// Widening a trusted list raises a finding naming the new entries; a list
// that did not change raises nothing.
func TestTrustedListWidened(t *testing.T) {
	dir := t.TempDir()
	trusted := filepath.Join(dir, "trusted.txt")
	if err := os.WriteFile(trusted, []byte("198.51.100.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(fmt.Appendf(nil, "data_dir: %s\nintel:\n  lists:\n    - {name: ours-trusted, kind: trusted, format: txt, path: %s}\n", dir, trusted))
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(cfg); err != nil {
		t.Fatal(err)
	}
	a, err := New(t.Context(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.reloadIntel(t.Context())
	if _, n, _ := a.Store().ListFindings(t.Context(), store.FindingQuery{}); n != 0 {
		t.Fatalf("%d findings with no change", n)
	}
	if err := os.WriteFile(trusted, []byte("198.51.100.1\n203.0.113.0/24\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a.reloadIntel(t.Context())
	fs, n, _ := a.Store().ListFindings(t.Context(), store.FindingQuery{})
	if n != 1 || fs[0].Type != TrustedListWidened || fs[0].Keys.Resource != "ours-trusted" ||
		!strings.Contains(fs[0].Description, "203.0.113.0/24 (line 2)") {
		t.Fatalf("findings %+v", fs)
	}
}

// Sigma rules from the config run in the scan: a matching rule raises a
// finding with the rule's attribution; a shadow rule's findings are stored
// archived; a broken rule is reported and the others still run.
func TestScanSigmaRules(t *testing.T) {
	dir := testutil.SharedData(t, "stratus-red-team", "detonation-logs")
	bad := filepath.Join(t.TempDir(), "broken.yml")
	if err := os.WriteFile(bad, []byte("title: broken\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    eventName|nope: x\n  condition: s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := Scan(t.Context(), ScanOptions{Paths: []string{dir}, Detectors: config.DetectorsConfig{
		Sigma: config.SigmaConfig{Rules: []string{"testdata/sigma", bad}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Error(), "broken.yml:5") {
		t.Errorf("errors %v, want the broken rule at line 5", rep.Errors)
	}
	var stop, shadow int
	for _, f := range rep.Findings {
		switch f.Type {
		case "DefenseEvasion:IAMUser/TrailStoppedByAHuman.Sigma":
			stop++
			info := f.Service.AdditionalInfo["sigma"].(map[string]any)
			if f.Severity != 7.5 || info["author"] != "Picket tests" || f.Service.Archived || len(rep.Collector.Evidence(f.ID)) == 0 {
				t.Errorf("stop finding %+v", f)
			}
		case "Behavior:IAMUser/AnyCallCountedInShadow.Sigma":
			shadow++
			if !f.Service.Archived {
				t.Errorf("shadow finding not archived: %+v", f)
			}
		}
	}
	// One detonation (cloudtrail-stop) calls StopLogging; many call Get*.
	if stop != 1 || shadow < 5 {
		t.Errorf("sigma findings: %d StopLogging, %d shadow", stop, shadow)
	}
}

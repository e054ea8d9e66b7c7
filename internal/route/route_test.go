package route

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fastjson"
	"go.yaml.in/yaml/v3"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/notify"
	"github.com/picket-dev/picket/internal/route/rego"
	"github.com/picket-dev/picket/internal/store"
	"github.com/picket-dev/picket/internal/store/sqlite"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func mkFinding(account, typ, key string, sev float64, count int64) finding.Finding {
	f := finding.Finding{AccountID: account, Region: "us-east-1", Type: typ, Severity: sev, Title: typ,
		Keys: finding.Keys{Resource: key}, CreatedAt: t0, UpdatedAt: t0}
	f.Service.Count = count
	f.Service.EventFirstSeen, f.Service.EventLastSeen = t0, t0
	f.Seal()
	f.Service.Count = count
	return f
}

func TestThrottle(t *testing.T) {
	f := mkFinding("111122223333", "Recon:EC2/PortProbeUnprotectedPort", "i-1", 5, 10)
	prev := &store.NotifyState{Severity: 5, Count: 4, At: t0}
	for _, tc := range []struct {
		name   string
		prev   *store.NotifyState
		sev    float64
		count  int64
		at     time.Duration
		want   notify.Reason
		notify bool
	}{
		{"new", nil, 5, 1, 0, notify.ReasonNew, true},
		{"repeat too soon", prev, 5, 10, time.Hour, "", false},
		{"repeat after the interval", prev, 5, 10, 6 * time.Hour, notify.ReasonRepeat, true},
		{"no new occurrence", prev, 5, 4, 7 * time.Hour, "", false},
		{"severity up, even soon", prev, 8, 5, time.Minute, notify.ReasonSeverityIncrease, true},
		{"severity down: a repeat", prev, 2, 5, time.Minute, "", false},
	} {
		f.Severity, f.Service.Count = tc.sev, tc.count
		got, ok := Throttle(&f, tc.prev, t0.Add(tc.at), 6*time.Hour)
		if got != tc.want || ok != tc.notify {
			t.Errorf("%s: %q %v, want %q %v", tc.name, got, ok, tc.want, tc.notify)
		}
	}
}

const accountsYAML = `
- accountID: "111122223333"
  slackConfig:
    channelID: C0111111111
    channelName: aws-111122223333-prod
    enabled: true
    webhookOverrides: []
- accountID: "444455556666"
  slackConfig:
    channelID: C0444444444
    channelName: aws-444455556666-test
    enabled: false
    webhookOverrides: []
`

func testConfig(t *testing.T, extra string) Config {
	t.Helper()
	var c Config
	src := `
default: {slackConfig: {channelID: C0DEFAULT01, channelName: aws-unowned}}
security_team: {slackConfig: {channelID: C0SECURITY1, channelName: security}, min_severity: 7}
slack: {token_env: TEST_SLACK_TOKEN}
targets:
  pd: {kind: pagerduty, token_env: TEST_PD_KEY}
rules:
  - name: guardduty-doc-medium-and-high
    # GuardDuty's documented pattern, as written
    pattern: '{"source":["aws.guardduty"],"detail-type":["GuardDuty Finding"],"detail":{"severity":[{"numeric":[">=",4,"<",9]}]}}'
    targets: [pd]
` + extra
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func testEnv(name string) (string, bool) {
	v, ok := map[string]string{"TEST_SLACK_TOKEN": "xoxb-test", "TEST_PD_KEY": "pdkey"}[name]
	return v, ok
}

func TestDestinations(t *testing.T) {
	accts, err := ParseAccounts([]byte(accountsYAML))
	if err != nil {
		t.Fatal(err)
	}
	tab, err := NewTable(testConfig(t, ""), accts, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	keys := func(f finding.Finding) string {
		env, _ := Envelope(&f)
		var ks []string
		for _, d := range tab.Destinations(&f, fastjson.MustParseBytes(env)) {
			ks = append(ks, d.Key)
		}
		sort.Strings(ks)
		return fmt.Sprint(ks)
	}
	for _, tc := range []struct {
		acct string
		sev  float64
		want string
	}{
		{"111122223333", 2, "[account:111122223333]"},
		{"111122223333", 5, "[account:111122223333 target:pd]"},
		{"111122223333", 8, "[account:111122223333 security target:pd]"},
		{"111122223333", 9.5, "[account:111122223333 security]"},
		{"444455556666", 5, "[target:pd]"}, // listed but disabled: no default either
		{"999999999999", 2, "[default]"},
	} {
		if got := keys(mkFinding(tc.acct, "Recon:EC2/PortProbeUnprotectedPort", "i-1", tc.sev, 1)); got != tc.want {
			t.Errorf("%s sev %.1f: %s, want %s", tc.acct, tc.sev, got, tc.want)
		}
	}
	tg, err := tab.Target("account:111122223333")
	if err != nil || tg.Kind != "slack" || tg.Channel != "C0111111111" || tg.Token != "xoxb-test" || tg.Name != "aws-111122223333-prod" {
		t.Errorf("target %+v %v", tg, err)
	}
	if _, err := tab.Target("account:000000000000"); err == nil {
		t.Error("a removed account route resolved")
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "accounts.yaml")
	os.WriteFile(bad, []byte(`
- accountID: "0123456789012"
  slackConfig: {channelID: C0111111111, channelName: x, enabled: true, webhookOverrides: ["https://evil.example/hook"]}
- accountID: "111122223333"
  slackConfig: {channelID: nope, enabled: true, webhookOverrides: []}
`), 0o644)
	c := testConfig(t, "  - name: broken\n    pattern: '{\"detail\":{\"severity\":[{\"numeric\":[\">\"]}]}}'\n    targets: [nowhere]\n")
	c.AccountsFile = bad
	errs := c.Validate(testEnv)
	var all string
	for _, e := range errs {
		all += e.Error() + "\n"
	}
	for _, want := range []string{"12-digit", "evil.example", `"nope" is not a Slack channel ID`, "rules[1] (broken).pattern", `unknown target "nowhere"`} {
		if !contains(all, want) {
			t.Errorf("validation lacks %q:\n%s", want, all)
		}
	}
	good := testConfig(t, "")
	os.WriteFile(bad, []byte(accountsYAML), 0o644)
	good.AccountsFile = bad
	if errs := good.Validate(testEnv); len(errs) != 0 {
		t.Errorf("good config: %v", errs)
	}
	if errs := good.Validate(func(string) (string, bool) { return "", false }); len(errs) < 2 {
		t.Errorf("missing secrets not reported: %v", errs)
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0)
}
func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// flaky is a channel that fails as Slack does during an outage, then
// works; it records what it delivered.
type flaky struct {
	mu        sync.Mutex
	failFirst int // this many sends fail (alternating 500 and 429)
	calls     int
	delivered map[string]int // message key → times delivered
	threads   map[string]string
	grouped   map[string]int
	// sentThread is the thread each finding's first message started.
	sentThread map[string]string
}

func (f *flaky) Send(_ context.Context, tg notify.Target, m notify.Message) (notify.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls <= f.failFirst {
		if f.calls%2 == 0 {
			return notify.Result{}, &notify.Error{Retryable: true, Status: 429, RetryAfter: 30 * time.Second, Err: errors.New("rate limited")}
		}
		return notify.Result{}, &notify.Error{Retryable: true, Status: 500, Err: errors.New("server error")}
	}
	if f.delivered == nil {
		f.delivered, f.threads, f.grouped, f.sentThread = map[string]int{}, map[string]string{}, map[string]int{}, map[string]string{}
	}
	f.delivered[m.Key]++
	f.threads[m.Key] = m.Thread
	f.grouped[m.Key] = m.Grouped
	if m.Thread != "" {
		return notify.Result{Thread: m.Thread}, nil
	}
	ts := fmt.Sprintf("ts-%d", f.calls)
	f.sentThread[m.Finding.ID] = ts
	return notify.Result{Thread: ts}, nil
}

// Every notification arrives once, through failures (500, 429 with
// Retry-After) and a restart of the process between attempts; repeats
// are throttled; a repeat after the interval threads under the first.
func TestDeliveryThroughOutageAndRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "picket.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	accts, _ := ParseAccounts([]byte(accountsYAML))
	tab, err := NewTable(testConfig(t, ""), accts, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	clock := t0
	now := func() time.Time { return clock }
	ch := &flaky{failFirst: 6}
	newD := func(s store.Store) *Dispatcher {
		d := NewDispatcher(s, tab, ch, "test", now, nil, nil)
		d.BackoffLo, d.BackoffHi = time.Second, 10*time.Second
		return d
	}
	d := newD(st)
	// Three findings: one per route shape.
	a := mkFinding("111122223333", "Recon:EC2/PortProbeUnprotectedPort", "i-1", 5, 1)  // account + pd
	b := mkFinding("999999999999", "Policy:IAMUser/RootCredentialUsage", "root", 2, 1) // default
	c := mkFinding("111122223333", "Backdoor:EC2/C&CActivity.B", "i-2", 8, 1)          // account + security + pd
	if _, err := st.Commit(ctx, &store.Batch{Findings: []finding.Finding{a, b, c}, Now: clock}); err != nil {
		t.Fatal(err)
	}
	run := func(d *Dispatcher, rounds int) {
		for range rounds {
			if _, err := d.RouteOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := d.SendOnce(ctx); err != nil {
				t.Fatal(err)
			}
			clock = clock.Add(7 * time.Second)
		}
	}
	run(d, 2)
	// "Kill" the process: drop the dispatcher and the store mid-outage,
	// with leases held; a new process opens the store and goes on.
	st.Close()
	st, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d = newD(st)
	clock = clock.Add(2 * time.Minute) // leases of the dead process expire
	run(d, 20)
	want := map[string]bool{
		a.ID + "|account:111122223333|1": true, a.ID + "|target:pd|1": true,
		b.ID + "|default|1":              true,
		c.ID + "|account:111122223333|1": true, c.ID + "|security|1": true, c.ID + "|target:pd|1": true,
	}
	if len(ch.delivered) != len(want) {
		t.Fatalf("delivered %v, want %d keys", ch.delivered, len(want))
	}
	for k, n := range ch.delivered {
		if !want[k] || n != 1 {
			t.Errorf("%s delivered %d times (expected: %v)", k, n, want[k])
		}
	}
	if ch.calls != 6+6 {
		t.Errorf("%d sends, want 6 failures then 6 deliveries", ch.calls)
	}
	counts, _ := st.OutboxCounts(ctx)
	if counts[store.OutboxSent] != 6 || counts[store.OutboxPending] != 0 || counts[store.OutboxDead] != 0 {
		t.Errorf("outbox %v", counts)
	}
	// a occurs again soon: throttled. After the repeat interval: one repeat,
	// threaded under the first message to its account channel.
	a2 := a
	a2.Service.Count = 5
	st.Commit(ctx, &store.Batch{Findings: []finding.Finding{a2}, Now: clock})
	run(d, 2)
	if len(ch.delivered) != 6 {
		t.Fatalf("a repeat within the interval was sent: %v", ch.delivered)
	}
	clock = clock.Add(6 * time.Hour)
	st.Commit(ctx, &store.Batch{Findings: []finding.Finding{a2}, Now: clock})
	run(d, 2)
	var repeatKey string
	for k := range ch.delivered {
		if k != "" && !want[k] && indexOf(k, "account:") > 0 {
			repeatKey = k
		}
	}
	if repeatKey == "" || ch.threads[repeatKey] == "" {
		t.Fatalf("repeat to the account channel missing or unthreaded: %v %v", ch.delivered, ch.threads)
	}
}

// A burst of one type in one account within the group wait is one message.
func TestGroupWait(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := testConfig(t, "")
	cfg.GroupWait = 30 * time.Second
	cfg.Rules = nil
	tab, _ := NewTable(cfg, nil, testEnv)
	clock := t0
	ch := &flaky{}
	d := NewDispatcher(st, tab, ch, "g", func() time.Time { return clock }, nil, nil)
	var fs []finding.Finding
	for i := range 5 {
		fs = append(fs, mkFinding("999999999999", "Recon:EC2/PortProbeUnprotectedPort", fmt.Sprint("i-", i), 2, 1))
	}
	st.Commit(ctx, &store.Batch{Findings: fs, Now: clock})
	d.RouteOnce(ctx)
	if n, _ := d.SendOnce(ctx); n != 0 {
		t.Fatalf("sent %d before the group wait", n)
	}
	clock = clock.Add(31 * time.Second)
	d.SendOnce(ctx)
	if len(ch.delivered) != 1 {
		t.Fatalf("%d messages for a burst, want 1", len(ch.delivered))
	}
	for _, g := range ch.grouped {
		if g != 4 {
			t.Errorf("grouped %d, want 4", g)
		}
	}
	counts, _ := st.OutboxCounts(ctx)
	if counts[store.OutboxSent] != 5 {
		t.Errorf("outbox %v", counts)
	}
}

type suppressAll struct{ typ string }

func (s suppressAll) Suppressing(f *finding.Finding, _ time.Time) (string, bool) {
	return "r1", f.Type == s.typ
}

// A suppressed finding is archived and never notified; a non-retryable
// failure goes to the fallback target.
func TestSuppressionAndFallback(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := testConfig(t, "")
	cfg.Rules = nil
	cfg.Targets["out"] = TargetConfig{Kind: "stdout"}
	cfg.Fallback = "out"
	tab, _ := NewTable(cfg, nil, testEnv)
	ch := &deadSlack{}
	d := NewDispatcher(st, tab, ch, "s", func() time.Time { return t0 }, nil, nil)
	d.SetSuppressor(suppressAll{"Recon:EC2/PortProbeUnprotectedPort"})
	x := mkFinding("999999999999", "Recon:EC2/PortProbeUnprotectedPort", "i-1", 5, 1)
	y := mkFinding("999999999999", "Policy:IAMUser/RootCredentialUsage", "root", 5, 1)
	st.Commit(ctx, &store.Batch{Findings: []finding.Finding{x, y}, Now: t0})
	d.RouteOnce(ctx)
	d.SendOnce(ctx)
	d.SendOnce(ctx)
	if f, _ := st.GetFinding(ctx, x.ID); !f.Service.Archived {
		t.Error("suppressed finding not archived")
	}
	if p, _ := st.PendingFindings(ctx, 10); len(p) != 0 {
		t.Errorf("pending after routing: %d", len(p))
	}
	if fmt.Sprint(ch.kinds) != "[slack stdout]" {
		t.Errorf("sends %v, want the slack failure then the stdout fallback (and nothing for x)", ch.kinds)
	}
	counts, _ := st.OutboxCounts(ctx)
	if counts[store.OutboxDead] != 1 || counts[store.OutboxSent] != 1 {
		t.Errorf("outbox %v", counts)
	}
}

type deadSlack struct{ kinds []string }

func (d *deadSlack) Send(_ context.Context, tg notify.Target, m notify.Message) (notify.Result, error) {
	d.kinds = append(d.kinds, tg.Kind)
	if tg.Kind == "slack" {
		return notify.Result{}, &notify.Error{Retryable: false, Status: 404, Err: errors.New("channel_not_found")}
	}
	return notify.Result{}, nil
}

// Routing policies (Rego) drop, relabel, re-rate and add channels; a
// broken policy fails open.
func TestPolicies(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := testConfig(t, "")
	cfg.Rules = nil
	cfg.Targets["out"] = TargetConfig{Kind: "stdout"}
	tab, _ := NewTable(cfg, nil, testEnv)
	eng, err := rego.Compile(map[string]string{"p.rego": `package picket.notify
drop if input.finding.accountId == "555555555555"
labels["team"] := "payments" if input.finding.accountId == "999999999999"
severity := 9.5 if input.finding.type == "Backdoor:EC2/C&CActivity.B"
channels contains "out" if input.finding.severity >= 5
`}, rego.WithTargets("pd", "out"))
	if err != nil {
		t.Fatal(err)
	}
	ch := &flaky{}
	d := NewDispatcher(st, tab, ch, "p", func() time.Time { return t0 }, nil, nil)
	d.SetPolicy(eng)
	sandbox := mkFinding("555555555555", "Recon:EC2/PortProbeUnprotectedPort", "i-1", 5, 1)
	pay := mkFinding("999999999999", "Recon:EC2/PortProbeUnprotectedPort", "i-2", 2, 1)
	bd := mkFinding("999999999999", "Backdoor:EC2/C&CActivity.B", "i-3", 5, 1)
	st.Commit(ctx, &store.Batch{Findings: []finding.Finding{sandbox, pay, bd}, Now: t0})
	d.RouteOnce(ctx)
	rows, _ := st.Outbox(ctx, "", 20)
	got := map[string]string{}
	for _, r := range rows {
		var m notify.Message
		json.Unmarshal(r.Payload, &m)
		got[r.FindingID+" "+r.Target] = fmt.Sprintf("%.1f %v", m.Finding.Severity, m.Labels)
	}
	want := map[string]string{
		pay.ID + " default":   "2.0 map[team:payments]",
		bd.ID + " default":    "9.5 map[team:payments]",
		bd.ID + " security":   "9.5 map[team:payments]", // raised above the team's 7.0
		bd.ID + " target:out": "9.5 map[team:payments]",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("outbox %v\nwant %v", got, want)
	}
	// A policy error notifies as if there were no policy.
	bad, err := rego.Compile(map[string]string{"p.rego": "package picket.notify\nseverity := 3 if true\nseverity := 4 if true\n"})
	if err != nil {
		t.Fatal(err)
	}
	d.SetPolicy(bad)
	x := mkFinding("999999999999", "Policy:IAMUser/RootCredentialUsage", "root", 2, 1)
	st.Commit(ctx, &store.Batch{Findings: []finding.Finding{x}, Now: t0})
	d.RouteOnce(ctx)
	rows, _ = st.Outbox(ctx, "", 20)
	if len(rows) != 5 || rows[0].FindingID != x.ID {
		t.Errorf("a failing policy silenced the finding: %d rows", len(rows))
	}
}

// The same incident from two producers: GuardDuty's finding is posted;
// Picket's finding of the same type family on the same instance goes in
// its thread, as "also reported"; another instance gets its own message.
func TestIncidentAcrossProducers(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := testConfig(t, "")
	cfg.Rules = nil
	tab, _ := NewTable(cfg, nil, testEnv)
	clock := t0
	ch := &flaky{}
	d := NewDispatcher(st, tab, ch, "i", func() time.Time { return clock }, nil, nil)
	withInstance := func(f finding.Finding, id, service string) finding.Finding {
		f.Resource = finding.Resource{ResourceType: "Instance", InstanceDetails: &finding.InstanceDetails{InstanceID: id}}
		f.Service.ServiceName = service
		return f
	}
	gd := withInstance(mkFinding("999999999999", "Recon:EC2/PortProbeUnprotectedPort", "guardduty:abc", 2, 7), "i-1", "guardduty")
	st.Commit(ctx, &store.Batch{Findings: []finding.Finding{gd}, Now: clock})
	d.RouteOnce(ctx)
	d.SendOnce(ctx)
	clock = clock.Add(10 * time.Minute)
	own := withInstance(mkFinding("999999999999", "Recon:EC2/PortProbeUnprotectedPort", "i-1", 2, 1), "i-1", "picket")
	other := withInstance(mkFinding("999999999999", "Recon:EC2/PortProbeUnprotectedPort", "i-9", 2, 1), "i-9", "picket")
	st.Commit(ctx, &store.Batch{Findings: []finding.Finding{own, other}, Now: clock})
	d.RouteOnce(ctx)
	d.SendOnce(ctx)
	firstThread := ch.threads[gd.ID+"|default|1"]
	if ch.threads[own.ID+"|default|1"] != "" && firstThread != "" {
		t.Fatalf("unexpected thread on the first message")
	}
	rows, _ := st.Outbox(ctx, "", 10)
	reasons := map[string]string{}
	for _, r := range rows {
		var m notify.Message
		json.Unmarshal(r.Payload, &m)
		reasons[r.FindingID] = string(m.Reason) + " threadOf=" + r.ThreadOf
	}
	if reasons[own.ID] != "also-reported threadOf="+gd.ID || reasons[other.ID] != "new threadOf=" || reasons[gd.ID] != "new threadOf=" {
		t.Errorf("reasons %v", reasons)
	}
	// Picket's message went in the thread of GuardDuty's.
	if got := ch.threads[own.ID+"|default|1"]; got == "" || got != ch.sentThread[gd.ID] {
		t.Errorf("correlated message thread %q, want the first message's %q", got, ch.sentThread[gd.ID])
	}
	// Outside the window, the same incident is a new message.
	clock = clock.Add(2 * time.Hour)
	late := withInstance(mkFinding("999999999999", "Recon:EC2/PortProbeUnprotectedPort.Custom", "i-1", 2, 1), "i-1", "picket")
	st.Commit(ctx, &store.Batch{Findings: []finding.Finding{late}, Now: clock})
	d.RouteOnce(ctx)
	rows, _ = st.Outbox(ctx, "", 10)
	if rows[0].FindingID != late.ID || rows[0].ThreadOf != "" {
		t.Errorf("late finding row %+v", rows[0])
	}
}

// An account with webhook overrides gets each of them, and nothing else.
func TestWebhookOverrides(t *testing.T) {
	accts, err := ParseAccounts([]byte(`
- accountID: "111122223333"
  slackConfig:
    channelID: C0111111111
    channelName: aws-111122223333-prod
    enabled: true
    webhookOverrides: ["https://hooks.slack.com/services/T0/B0/aaa", "https://hooks.slack.com/services/T0/B1/bbb"]
`))
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, "")
	cfg.Rules = nil
	tab, _ := NewTable(cfg, accts, testEnv)
	f := mkFinding("111122223333", "Recon:EC2/PortProbeUnprotectedPort", "i-1", 2, 1)
	env, _ := Envelope(&f)
	var urls []string
	for _, d := range tab.Destinations(&f, fastjson.MustParseBytes(env)) {
		tg, err := tab.Target(d.Key)
		if err != nil || tg.Kind != "slack" || tg.Token != "" {
			t.Fatalf("%s: %+v %v", d.Key, tg, err)
		}
		urls = append(urls, tg.URL)
	}
	if fmt.Sprint(urls) != "[https://hooks.slack.com/services/T0/B0/aaa https://hooks.slack.com/services/T0/B1/bbb]" {
		t.Errorf("urls %v", urls)
	}
	if _, err := tab.Target("account:111122223333#5"); err == nil {
		t.Error("a removed override resolved")
	}
}

// Routing opens one alert per incident, delivery marks it notified, a
// recurrence after "resolved" reopens and notifies it at once, and after
// "archived as expected" it only counts.
func TestAlertLifecycle(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := testConfig(t, "")
	cfg.Rules = nil
	tab, _ := NewTable(cfg, nil, testEnv)
	clock := t0
	ch := &flaky{}
	d := NewDispatcher(st, tab, ch, "a", func() time.Time { return clock }, nil, nil)
	f := mkFinding("999999999999", "Recon:EC2/PortProbeUnprotectedPort", "i-1", 5, 1)
	f.Resource = finding.Resource{ResourceType: "Instance", InstanceDetails: &finding.InstanceDetails{InstanceID: "i-1"}}
	round := func() {
		if _, err := d.RouteOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := d.SendOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	st.Commit(ctx, &store.Batch{Findings: []finding.Finding{f}, Now: clock})
	round()
	aid := AlertID(IncidentKey(&f), f.ID)
	a, err := st.GetAlert(ctx, aid)
	if err != nil || a.State != alert.Notified || a.Route != "default" || a.FindingID != f.ID {
		t.Fatalf("alert after delivery: %+v %v", a, err)
	}
	sent := len(ch.delivered)
	clock = clock.Add(time.Minute)
	st.ApplyAlert(ctx, aid, nil, alert.Action{Kind: alert.Resolve, Actor: "slack:U1", At: clock})
	// It happens again ten minutes later: within the repeat interval, but
	// the alert was resolved — reopened and notified.
	clock = clock.Add(10 * time.Minute)
	f2 := f
	f2.Service.Count = 2
	st.Commit(ctx, &store.Batch{Findings: []finding.Finding{f2}, Now: clock})
	round()
	a, _ = st.GetAlert(ctx, aid)
	if a.State != alert.Notified || a.Occurrences != 1 || len(ch.delivered) != sent+1 {
		t.Fatalf("after a recurrence: %+v, %d sends", a, len(ch.delivered)-sent)
	}
	// Archived as expected: the next recurrences count, nobody is told.
	clock = clock.Add(time.Minute)
	if _, _, err := st.ApplyAlert(ctx, aid, nil, alert.Action{Kind: alert.Archive, Reason: alert.Expected, Note: "our scanner", Actor: "slack:U2", At: clock}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		clock = clock.Add(7 * time.Hour)
		f3 := f
		f3.Service.Count = int64(3 + i)
		st.Commit(ctx, &store.Batch{Findings: []finding.Finding{f3}, Now: clock})
		round()
	}
	a, _ = st.GetAlert(ctx, aid)
	if a.State != alert.Archived || a.Occurrences != 3 || len(ch.delivered) != sent+1 {
		t.Errorf("expected activity: %+v, %d sends", a, len(ch.delivered)-sent)
	}
	hist, _ := st.AlertHistory(ctx, aid)
	var kinds []string
	for _, h := range hist {
		kinds = append(kinds, string(h.Kind))
	}
	if fmt.Sprint(kinds) != "[open notify resolve recur notify archive recur recur]" {
		t.Errorf("history %v", kinds)
	}
}

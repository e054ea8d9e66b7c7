package rego

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/finding"
)

const (
	sandbox  = "111111111111"
	payments = "333333333333"
	other    = "555555555555"
)

// mk makes a sealed finding.
func mk(account, typ string, sev float64, opts ...func(*finding.Finding)) *finding.Finding {
	f := &finding.Finding{
		AccountID: account, Region: "eu-west-1", Type: typ, Severity: sev, Title: "t",
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Resource:  finding.Resource{ResourceType: "AccessKey", AccessKeyDetails: &finding.AccessKeyDetails{AccessKeyID: "AKIAEXAMPLE", UserName: "alice"}},
		Service: finding.Service{
			DetectorID: "picket", Action: finding.Action{ActionType: "AWS_API_CALL",
				AwsAPICallAction: &finding.AwsAPICallAction{API: "ConsoleLogin", ServiceName: "signin.amazonaws.com"}},
		},
		Keys: finding.Keys{Resource: "AKIAEXAMPLE"},
	}
	for _, o := range opts {
		o(f)
	}
	f.Seal()
	return f
}

func sample(f *finding.Finding) {
	f.Service.AdditionalInfo = map[string]any{"sample": true}
}

func ptr(f float64) *float64 { return &f }

func loadPolicies(t testing.TB, opts ...Option) *Engine {
	t.Helper()
	e, err := Load([]string{"testdata/policies"}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestDecide(t *testing.T) {
	e := loadPolicies(t)
	cases := []struct {
		name  string
		f     *finding.Finding
		event string
		want  Decision
	}{
		{"low in sandbox denied", mk(sandbox, "Recon:IAMUser/UserPermissions", 2), "",
			Decision{Drop: true, Reasons: []string{"low severity finding in sandbox account 111111111111"}}},
		{"medium in sandbox kept", mk(sandbox, "Recon:IAMUser/UserPermissions", 5), "", Decision{}},
		{"low elsewhere kept", mk(other, "Recon:IAMUser/UserPermissions", 2), "", Decision{}},
		{"team label by account", mk(payments, "Recon:IAMUser/UserPermissions", 5), "",
			Decision{Labels: map[string]string{"team": "payments"}}},
		{"label from the event", mk(payments, "Recon:IAMUser/UserPermissions", 5), `{"eventSource":"iam.amazonaws.com"}`,
			Decision{Labels: map[string]string{"team": "payments", "source": "iam.amazonaws.com"}}},
		{"critical paged", mk(other, "CredentialAccess:IAMUser/AnomalousBehavior", 9.1), "",
			Decision{Channels: []string{"pagerduty"}, Reasons: []string{"paged: critical finding"}}},
		{"high not paged", mk(other, "CredentialAccess:IAMUser/AnomalousBehavior", 8.9), "", Decision{}},
		{"type raised and so paged", mk(other, "Policy:IAMUser/RootCredentialUsage", 5), "",
			Decision{Severity: ptr(9.5), Channels: []string{"pagerduty"}, Reasons: []string{"paged: critical finding"}}},
		{"raised by the event, not paged", mk(other, "Recon:IAMUser/UserPermissions", 5), `{"userIdentity":{"type":"Root"}}`,
			Decision{Severity: ptr(8.5)}},
		{"highest candidate wins", mk(other, "Stealth:IAMUser/CloudTrailLoggingDisabled", 2), `{"userIdentity":{"type":"Root"}}`,
			Decision{Severity: ptr(8.5)}},
		{"sample denied", mk(other, "Recon:IAMUser/UserPermissions", 5, sample), "",
			Decision{Drop: true, Reasons: []string{"sample finding"}}},
		{"two denials, sorted", mk(sandbox, "Recon:IAMUser/UserPermissions", 1, sample), "",
			Decision{Drop: true, Reasons: []string{"low severity finding in sandbox account 111111111111", "sample finding"}}},
		{"drop without reason", mk(other, "Recon:IAMUser/UserPermissions", 5, func(f *finding.Finding) { f.Title = "[selftest] x" }), "",
			Decision{Drop: true}},
		{"everything at once", mk(payments, "Policy:IAMUser/RootCredentialUsage", 3, sample), `{"eventSource":"signin.amazonaws.com"}`,
			Decision{Drop: true, Severity: ptr(9.5), Labels: map[string]string{"team": "payments", "source": "signin.amazonaws.com"},
				Channels: []string{"pagerduty"}, Reasons: []string{"sample finding", "paged: critical finding"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ev []byte
			if c.event != "" {
				ev = []byte(c.event)
			}
			got, err := e.Decide(context.Background(), c.f, ev)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %s\nwant %s", show(got), show(c.want))
			}
		})
	}
}

func show(d Decision) string {
	b, _ := json.Marshal(d)
	return string(b)
}

// The input is the finding as GuardDuty JSON and the event as given.
func TestInput(t *testing.T) {
	e, err := Compile(map[string]string{"echo.rego": `package picket.notify

labels.id := input.finding.id
labels.arn := input.finding.arn
labels.user := input.finding.resource.accessKeyDetails.userName
labels.api := input.finding.service.action.awsApiCallAction.api
labels.created := input.finding.createdAt
labels.severity := sprintf("%v", [input.finding.severity])
labels.event := json.marshal(input.event)
`})
	if err != nil {
		t.Fatal(err)
	}
	f := mk(payments, "Recon:IAMUser/UserPermissions", 5.5)
	for _, c := range []struct{ event, want string }{
		{"", "null"},
		{`{"a": [1, 2.5, "x\u00e9", true, false, null, {"b": {}}], "n": 12345678901234567890}`,
			`{"a":[1,2.5,"xé",true,false,null,{"b":{}}],"n":12345678901234567890}`},
	} {
		var ev []byte
		if c.event != "" {
			ev = []byte(c.event)
		}
		d, err := e.Decide(context.Background(), f, ev)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"id": f.ID, "arn": f.Arn, "user": "alice", "api": "ConsoleLogin", "created": "2026-01-02T03:04:05Z",
			"severity": "5.5", "event": c.want,
		}
		if !reflect.DeepEqual(d.Labels, want) {
			t.Errorf("event %q: labels\n%v\nwant\n%v", c.event, d.Labels, want)
		}
	}
	if _, err := e.Decide(context.Background(), f, []byte(`{"a":`)); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("broken event: err %v", err)
	}
	if _, err := e.Decide(context.Background(), nil, nil); err == nil {
		t.Error("nil finding: no error")
	}
}

// buildInput and OPA's own conversion of the decoded JSON give the same
// document.
func TestInputMatchesOPA(t *testing.T) {
	f := mk(payments, "Recon:IAMUser/UserPermissions", 5.5, sample)
	ev := []byte(`{"eventSource":"iam.amazonaws.com","n":[1,2.25,-3e5],"o":{"k":null,"t":true}}`)
	got, err := buildInput(f, ev)
	if err != nil {
		t.Fatal(err)
	}
	want, err := mapInput(f, ev)
	if err != nil {
		t.Fatal(err)
	}
	if got.Compare(want) != 0 {
		t.Errorf("buildInput\n%v\nOPA\n%v", got, want)
	}
}

func TestLoadSkipsTests(t *testing.T) {
	e := loadPolicies(t)
	want := []string{"labels.rego", "pager.rego", "sample.rego", "sandbox.rego", "severity.rego"}
	var got []string
	for _, f := range e.Files() {
		got = append(got, filepath.Base(f))
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	// Files named one by one load the same way.
	e2, err := Load([]string{"testdata/policies/pager.rego", "testdata/policies/severity.rego", "testdata/policies/notify_test.rego"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(e2.Files()); n != 2 {
		t.Errorf("%d files loaded, want 2: %v", n, e2.Files())
	}
}

func TestLoadErrors(t *testing.T) {
	for _, c := range []struct {
		paths []string
		want  string
	}{
		{[]string{"testdata/invalid"}, `testdata/invalid/syntax\.rego:5: rego_parse_error`},
		{[]string{"testdata/nope"}, `no such file`},
		{[]string{"testdata/policies/notify_test.rego"}, `no \.rego files`},
		{[]string{"rego_test.go"}, `not a \.rego file`},
		{nil, `no \.rego files`},
	} {
		_, err := Load(c.paths)
		if err == nil || !regexp.MustCompile(c.want).MatchString(err.Error()) {
			t.Errorf("Load(%v): err %v, want %s", c.paths, err, c.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, c := range []struct {
		name, src, want string
		opts            []Option
	}{
		{"syntax", "package picket.notify\n\ndrop if {\n\tinput.x ==\n}\n", `p\.rego:5: rego_parse_error`, nil},
		{"v0 syntax in v1", "package picket.notify\n\ndeny[msg] {\n\tmsg := \"x\"\n}\n", `p\.rego:3: rego_parse_error`, nil},
		{"unsafe var", "package picket.notify\n\ndrop if x == 1\n", `p\.rego:3: rego_unsafe_var_error`, nil},
		{"wrong package", "package picket.notfy\n\ndrop := true\n", `no rules in package picket\.notify`, nil},
		{"severity too high", "package picket.notify\n\nseverity := 12 if input.finding.severity > 5\n",
			`severity \(p\.rego:3\) is 12, outside 1\.0–10\.0`, nil},
		{"severity too low in else", "package picket.notify\n\nseverity := 5 if {\n\tinput.x\n} else := 0.5\n",
			`severity \(p\.rego:5\) .*is 0\.5, outside`, nil},
		{"default severity", "package picket.notify\n\ndefault severity := 0\n", `severity \(p\.rego:3\) .*is 0, outside`, nil},
		{"severity a string", "package picket.notify\n\nseverity := \"high\"\n", `severity \(p\.rego:3\) .*must be a number, got "high"`, nil},
		{"channels of numbers", "package picket.notify\n\nchannels contains 5 if input.x\n", `channels \(p\.rego:3\) .*non-empty strings, got 5`, nil},
		{"channels array of numbers", "package picket.notify\n\nchannels := [\"a\", 2]\n", `channels \(p\.rego:3\) .*got 2`, nil},
		{"channels an object", "package picket.notify\n\nchannels.a := \"b\"\n", `channels \(p\.rego:3\) .*must be a set of strings`, nil},
		{"unknown target", "package picket.notify\n\nchannels contains \"pagerdooty\" if input.x\n", `channels \(p\.rego:3\) names "pagerdooty", which is not a routing target`,
			[]Option{WithTargets("pagerduty", "slack-sec")}},
		{"label a number", "package picket.notify\n\nlabels.team := 5\n", `labels \(p\.rego:3\) .*object of strings, got "team": 5`, nil},
		{"labels nested", "package picket.notify\n\nlabels.a.b := \"c\"\n", `labels \(p\.rego:3\) .*object of strings`, nil},
		{"labels a set", "package picket.notify\n\nlabels contains \"x\"\n", `labels \(p\.rego:3\) .*must be an object`, nil},
		{"drop a string", "package picket.notify\n\ndrop := \"yes\"\n", `drop \(p\.rego:3\) .*must be a boolean, got "yes"`, nil},
		{"deny a string", "package picket.notify\n\ndeny := \"no\"\n", `deny \(p\.rego:3\) .*must be a set of messages`, nil},
		{"channels empty", "package picket.notify\n\nchannels contains \"\" if input.x\n", `channels \(p\.rego:3\) must be a set of non-empty strings, got ""`, nil},
		{"reasons of numbers", "package picket.notify\n\nreasons contains 1\n", `reasons \(p\.rego:3\) .*got 1`, nil},
		{"output as function", "package picket.notify\n\nseverity(x) := x\n", `p\.rego:3: severity must not be a function`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Compile(map[string]string{"p.rego": c.src}, c.opts...)
			if err == nil || !regexp.MustCompile(c.want).MatchString(err.Error()) {
				t.Errorf("err %v\nwant %s", err, c.want)
			}
		})
	}
}

// Valid forms of each output compile and decide as documented.
func TestOutputForms(t *testing.T) {
	f := mk(other, "Recon:IAMUser/UserPermissions", 5)
	for _, c := range []struct {
		name, src string
		opts      []Option
		want      Decision
	}{
		{"nothing defined", "package picket.notify\n\nhelper := 1\n", nil, Decision{}},
		{"drop false", "package picket.notify\n\ndrop := false\n", nil, Decision{}},
		{"default drop", "package picket.notify\n\ndefault drop := false\n\ndrop if input.finding.severity < 6\n", nil, Decision{Drop: true}},
		{"deny v1 object form", "package picket.notify\n\ndeny[msg] if msg := \"no\"\n", nil, Decision{Drop: true, Reasons: []string{"no"}}},
		{"deny objects with msg", "package picket.notify\n\ndeny contains {\"msg\": \"m\", \"code\": 1}\n\ndeny contains {\"x\": 1}\n", nil,
			Decision{Drop: true, Reasons: []string{"m", `{"x": 1}`}}},
		{"empty deny", "package picket.notify\n\ndeny contains \"x\" if false", nil, Decision{}},
		{"channels array keeps order, dedupes", "package picket.notify\n\nchannels := [\"b\", \"a\", \"b\"]\n", nil,
			Decision{Channels: []string{"b", "a"}}},
		{"known target", "package picket.notify\n\nchannels contains \"pagerduty\"\n", []Option{WithTargets("pagerduty")},
			Decision{Channels: []string{"pagerduty"}}},
		{"severity bounds", "package picket.notify\n\nseverity := 10\n", nil, Decision{Severity: ptr(10)}},
		{"labels object", "package picket.notify\n\nlabels := {\"a\": \"b\"}\n", nil, Decision{Labels: map[string]string{"a": "b"}}},
		{"labels partial object", "package picket.notify\n\nlabels[k] := v if some k, v in {\"x\": \"y\"}\n", nil,
			Decision{Labels: map[string]string{"x": "y"}}},
		{"package above", "package picket\n\nnotify.channels contains \"a\"\n\nnotify.severity := 2\n", nil,
			Decision{Severity: ptr(2), Channels: []string{"a"}}},
		{"rego v0", "package picket.notify\n\ndeny[msg] {\n\tmsg := \"old style\"\n}\n\nchannels[\"c\"]\n", []Option{WithRegoV0()},
			Decision{Drop: true, Reasons: []string{"old style"}, Channels: []string{"c"}}},
		{"helper package", "package picket.notify\n\nimport data.lib.teams\n\nlabels.team := teams.of(input.finding.accountId)\n", nil,
			Decision{Labels: map[string]string{"team": "unknown"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			mods := map[string]string{"p.rego": c.src, "lib.rego": "package lib.teams\n\nof(_) := \"unknown\"\n"}
			e, err := Compile(mods, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.Decide(context.Background(), f, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %s\nwant %s", show(got), show(c.want))
			}
		})
	}
}

// Values computed from the input are checked when deciding, and the error
// names the policy.
func TestDecideErrors(t *testing.T) {
	f := mk(other, "Recon:IAMUser/UserPermissions", 6)
	for _, c := range []struct {
		name, src, want string
		opts            []Option
	}{
		{"severity computed out of range", "package picket.notify\n\nseverity := input.finding.severity * 2\n",
			`severity \(sev\.rego:3\) is 12, outside 1\.0–10\.0`, nil},
		{"channels computed numbers", "package picket.notify\n\nchannels contains input.finding.severity\n",
			`channels \(sev\.rego:3\) must be a set of non-empty strings, got 6`, nil},
		{"channels empty string", "package picket.notify\n\nchannels contains input.finding.title\n\nchannels contains input.finding.description\n",
			`channels \(sev\.rego:3, sev\.rego:5\) must be a set of non-empty strings, got ""`, nil},
		{"unknown target computed", "package picket.notify\n\nchannels contains input.finding.region\n",
			`"eu-west-1", which is not a routing target`, []Option{WithTargets("pagerduty")}},
		{"label computed number", "package picket.notify\n\nlabels.sev := input.finding.severity\n",
			`labels \(sev\.rego:3\) must be an object of strings, got "sev": 6`, nil},
		{"drop computed", "package picket.notify\n\ndrop := input.finding.type\n", `drop \(sev\.rego:3\) must be a boolean`, nil},
		{"conflicting severities", "package picket.notify\n\nseverity := 5 if input.finding.severity > 1\n\nseverity := 7 if input.finding.accountId != \"\"\n",
			`sev\.rego:\d+: eval_conflict_error: rule data\.picket\.notify\.severity produced conflicting values`, nil},
		{"conflicting labels", "package picket.notify\n\nlabels.team := \"a\" if input.finding.severity > 1\n\nlabels.team := \"b\" if true\n",
			`eval_conflict_error`, nil},
		{"whole package an object", "package picket\n\nnotify := {\"severity\": input.finding.severity + 10}\n",
			`severity \(sev\.rego:3\) is 16, outside`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, err := Compile(map[string]string{"sev.rego": c.src}, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			d, err := e.Decide(context.Background(), f, nil)
			if err == nil || !regexp.MustCompile(c.want).MatchString(err.Error()) {
				t.Errorf("err %v\nwant %s", err, c.want)
			}
			if !reflect.DeepEqual(d, Decision{}) {
				t.Errorf("decision with an error: %s", show(d))
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	f := mk(other, "Recon:IAMUser/UserPermissions", 6)
	e, err := Load([]string{"testdata/slow"}, WithTimeout(30*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = e.Decide(context.Background(), f, nil)
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timeout 30ms") {
		t.Errorf("err %v, want the timeout", err)
	}
	if took > 2*time.Second {
		t.Errorf("Decide took %v with a 30ms timeout", took)
	}

	// The caller's context counts too.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	e2, err := Load([]string{"testdata/slow"}, WithTimeout(0))
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	_, err = e2.Decide(ctx, f, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Decide took %v after cancel", took)
	}

	// The default leaves room for real policies, and the slow one does
	// finish without a limit (so the timeouts above did cut it short).
	if loadPolicies(t).timeout != DefaultTimeout {
		t.Errorf("default timeout %v", loadPolicies(t).timeout)
	}
	if testing.Short() {
		return
	}
	start = time.Now()
	if _, err := e2.Decide(context.Background(), f, nil); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 90*time.Millisecond {
		t.Errorf("slow policy took only %v: the timeout test proves nothing", took)
	}
}

func TestConcurrentDecide(t *testing.T) {
	// 16 goroutines on few CPUs under -race: wall time per evaluation is
	// not what this test is about.
	e := loadPolicies(t, WithTimeout(time.Minute))
	accounts := []string{sandbox, payments, other, "444444444444"}
	types := []string{"Recon:IAMUser/UserPermissions", "Policy:IAMUser/RootCredentialUsage", "Stealth:IAMUser/CloudTrailLoggingDisabled"}
	var fs []*finding.Finding
	var events [][]byte
	for i := range 60 {
		fs = append(fs, mk(accounts[i%len(accounts)], types[i%len(types)], float64(1+i%10), func(f *finding.Finding) {
			if i%7 == 0 {
				sample(f)
			}
		}))
		var ev []byte
		if i%2 == 0 {
			ev = fmt.Appendf(nil, `{"eventSource":"s%d.amazonaws.com","userIdentity":{"type":%q}}`, i, []string{"Root", "IAMUser"}[i%4/2])
		}
		events = append(events, ev)
	}
	want := make([]Decision, len(fs))
	for i, f := range fs {
		d, err := e.Decide(context.Background(), f, events[i])
		if err != nil {
			t.Fatal(err)
		}
		want[i] = d
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			for k := range 50 {
				i := (g*31 + k) % len(fs)
				d, err := e.Decide(context.Background(), fs[i], events[i])
				if err != nil {
					errs <- err
					return
				}
				if !reflect.DeepEqual(d, want[i]) {
					errs <- fmt.Errorf("finding %d: got %s, want %s", i, show(d), show(want[i]))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// The findings are varied enough to mean something.
	var drops, labels, sevs int
	for _, d := range want {
		if d.Drop {
			drops++
		}
		if d.Labels != nil {
			labels++
		}
		if d.Severity != nil {
			sevs++
		}
	}
	if drops == 0 || labels == 0 || sevs == 0 || drops == len(want) {
		t.Errorf("decisions not varied: %d drops, %d labelled, %d severities of %d", drops, labels, sevs, len(want))
	}
}

func TestRunTests(t *testing.T) {
	ctx := context.Background()
	res, err := RunTests(ctx, []string{"testdata/policies"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range res {
		names = append(names, r.Name)
		if !r.Pass || r.Fail != "" || r.Skip {
			t.Errorf("%s: pass %v, fail %q", r.Name, r.Pass, r.Fail)
		}
		if r.Package != "data.picket.notify_test" || !strings.HasPrefix(r.Location, "testdata/policies/notify_test.rego:") {
			t.Errorf("%s: package %s, location %s", r.Name, r.Package, r.Location)
		}
	}
	want := []string{"test_sandbox_low_denied", "test_sandbox_high_kept", "test_root_raised_and_paged", "test_team_label"}
	if !slices.Equal(names, want) {
		t.Errorf("tests %v, want %v", names, want)
	}

	res, err = RunTests(ctx, []string{"testdata/failing/policy.rego", "testdata/failing/policy_test.rego"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]TestResult{}
	for _, r := range res {
		got[r.Name] = r
	}
	if len(got) != 4 {
		t.Fatalf("%d results: %+v", len(got), res)
	}
	for name, c := range map[string]struct {
		pass, skip bool
		fail, loc  string
		output     string
	}{
		"test_critical_paged": {pass: true, loc: ":5"},
		"test_high_paged": {fail: `^failed at testdata/failing/policy_test\.rego:12: data\.picket\.notify\.channels = \{"pagerduty"\} with input as`,
			loc: ":10", output: "severity 7\n"},
		"test_conflict":   {fail: `policy_test\.rego:18: eval_conflict_error: function data\.picket\.notify_test\.f produced conflicting values`, loc: ":20"},
		"todo_test_later": {pass: true, skip: true, loc: ":24"},
	} {
		r := got[name]
		if r.Pass != c.pass || r.Skip != c.skip || !strings.HasSuffix(r.Location, "policy_test.rego"+c.loc) || r.Output != c.output {
			t.Errorf("%s: %+v", name, r)
		}
		if (c.fail == "") != (r.Fail == "") || c.fail != "" && !regexp.MustCompile(c.fail).MatchString(r.Fail) {
			t.Errorf("%s: fail %q, want %s", name, r.Fail, c.fail)
		}
	}

	// Policies that do not compile: an error naming file:line.
	if _, err := RunTests(ctx, []string{"testdata/invalid"}); err == nil || !strings.Contains(err.Error(), "testdata/invalid/syntax.rego:5") {
		t.Errorf("invalid: err %v", err)
	}
	// A test that does not compile: an error naming file:line.
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad_test.rego")
	if err := os.WriteFile(bad, []byte("package picket.notify_test\n\ntest_x if {\n\tx == 1\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := RunTests(ctx, []string{"testdata/policies", dir}); err == nil || !strings.Contains(err.Error(), bad+":4: rego_unsafe_var_error") {
		t.Errorf("bad test: err %v", err)
	}
}

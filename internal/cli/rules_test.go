package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testRule = `title: Trail stopped
id: 0b1c2d3e-0000-4000-8000-00000000000a
author: Picket tests
description: test rule
level: high
tags: [attack.defense-evasion]
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: StopLogging
  filter:
    errorCode|exists: true
  condition: selection and not filter
`

func ruleDir(t *testing.T, tests string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "trail_stopped.yml"), []byte(testRule), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "trail_stopped.test.yml"), []byte(tests), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const stopEvent = `{eventTime: "2026-01-01T00:00:00Z", eventSource: cloudtrail.amazonaws.com, eventName: StopLogging, awsRegion: us-east-1, recipientAccountId: "111122223333", userIdentity: {type: IAMUser, arn: "arn:aws:iam::111122223333:user/a"}}`

func TestRulesTest(t *testing.T) {
	pass := "tests:\n  - name: fires\n    rule: sigma/trail_stopped\n    events: [" + stopEvent + "]\n    expect: 1\n" +
		"  - name: by id, denied call does not fire\n    rule: 0b1c2d3e-0000-4000-8000-00000000000a\n    events: [" + strings.Replace(stopEvent, "}}", "}, errorCode: AccessDenied}", 1) + "]\n    expect: 0\n"
	r := picket(t, "rules", "test", ruleDir(t, pass))
	wantCode(t, r, 0)
	for _, want := range []string{"sigma/trail_stopped", "attack-sequence", "61 case(s): 61 passed, 0 failed"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	// A wrong expectation fails the run and says why.
	fail := strings.Replace(pass, "expect: 1", "expect: 2", 1)
	r = picket(t, "rules", "test", ruleDir(t, fail))
	wantCode(t, r, 1)
	if !strings.Contains(r.stdout, "FAIL") || !strings.Contains(r.stdout, "1 finding(s) from 1 event(s), want 2") {
		t.Errorf("failure output:\n%s", r.stdout)
	}
}

func TestRulesLintAndList(t *testing.T) {
	dir := ruleDir(t, "tests:\n  - name: x\n    events: [{}]\n    expect: 0\n")
	r := picket(t, "rules", "lint", dir)
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "1 rule(s) loaded, 0 error(s)") {
		t.Errorf("lint output:\n%s", r.stdout)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.yml"), []byte("title: bad\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    a: b\n  condition: s and t\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = picket(t, "rules", "lint", dir)
	wantCode(t, r, 1)
	if !strings.Contains(r.stdout, "bad.yml:6") || !strings.Contains(r.stdout, `unknown search identifier "t"`) {
		t.Errorf("lint output:\n%s", r.stdout)
	}
	r = picket(t, "rules", "list", dir)
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "DefenseEvasion:IAMUser/TrailStopped.Sigma") || !strings.Contains(r.stdout, "Stealth:IAMUser/CloudTrailLoggingDisabled") {
		t.Errorf("list output:\n%s", r.stdout)
	}
}

// check-config fails on a rule that does not load, naming file and line.
func TestCheckConfigSigmaRule(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	os.Mkdir(rules, 0o755)
	os.WriteFile(filepath.Join(rules, "bad.yml"), []byte("title: bad\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    a|re: '(?<=x)'\n  condition: s\n"), 0o644)
	cfg := filepath.Join(dir, "picket.yaml")
	os.WriteFile(cfg, []byte("detectors:\n  sigma:\n    rules: [rules]\n"), 0o644)
	r := picket(t, "check-config", "-c", cfg)
	wantCode(t, r, 1)
	if !strings.Contains(r.stdout, "detectors.sigma.rules") || !strings.Contains(r.stdout, "bad.yml:5") {
		t.Errorf("check-config output:\n%s", r.stdout)
	}
}

// Routing policies' Rego tests run with the rule tests.
func TestRulesTestRunsPolicyTests(t *testing.T) {
	dir := t.TempDir()
	pol := filepath.Join(dir, "policies")
	os.Mkdir(pol, 0o755)
	os.WriteFile(filepath.Join(pol, "sandbox.rego"), []byte("package picket.notify\n\ndrop if input.finding.accountId == \"111111111111\"\n"), 0o644)
	os.WriteFile(filepath.Join(pol, "sandbox_test.rego"), []byte(`package picket.notify

test_sandbox_dropped if drop with input as {"finding": {"accountId": "111111111111"}}
test_prod_kept if not drop with input as {"finding": {"accountId": "222222222222"}}
`), 0o644)
	cfg := filepath.Join(dir, "picket.yaml")
	os.WriteFile(cfg, []byte("routing:\n  policies: [policies]\n"), 0o644)
	r := picket(t, "rules", "test", "-c", cfg, "-v")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "picket.notify.test_sandbox_dropped") || !strings.Contains(r.stdout, "rego:picket.notify") {
		t.Errorf("policy tests not run:\n%s", r.stdout)
	}
	os.WriteFile(filepath.Join(pol, "sandbox_test.rego"), []byte(`package picket.notify

test_prod_dropped if drop with input as {"finding": {"accountId": "222222222222"}}
`), 0o644)
	r = picket(t, "rules", "test", "-c", cfg)
	wantCode(t, r, 1)
	if !strings.Contains(r.stdout, "FAIL") || !strings.Contains(r.stdout, "test_prod_dropped") {
		t.Errorf("failing policy test not reported:\n%s", r.stdout)
	}
}

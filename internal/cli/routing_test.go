package cli_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/notify/webhook"
)

// Suppression rules and sample findings end to end: a rule added from the
// command line mutes its sample; the other sample reaches a signed
// webhook once; preview counts what a rule would mute; changes are audited.
func TestSuppressAndSampleFindings(t *testing.T) {
	var mu sync.Mutex
	var got []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify("hook-signing-key-0123", r.Header.Get(webhook.HeaderTimestamp), body, r.Header.Get(webhook.HeaderSignature), time.Now(), time.Minute); err != nil {
			t.Errorf("webhook signature: %v", err)
		}
		mu.Lock()
		got = append(got, string(body))
		mu.Unlock()
	}))
	defer hook.Close()
	dir := t.TempDir()
	t.Setenv("TEST_HOOK_URL", hook.URL+"/picket")
	t.Setenv("TEST_HOOK_KEY", "hook-signing-key-0123")
	cfg := filepath.Join(dir, "picket.yaml")
	os.WriteFile(cfg, []byte(`data_dir: data
routing:
  allowed_hosts: [127.0.0.1]
  targets:
    hook: {kind: webhook, url_env: TEST_HOOK_URL, signing_key_env: TEST_HOOK_KEY}
  rules:
    - name: everything
      pattern: {source: [aws.guardduty]}
      targets: [hook]
`), 0o644)
	r := picket(t, "check-config", "-c", cfg)
	wantCode(t, r, 0)
	r = picket(t, "suppress", "add", "-c", cfg, "--owner", "secops", "--reason", "root is used by break-glass drills", "--actor", "alice", "type=Policy:IAMUser/RootCredentialUsage")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "would have muted 0 of 0") || !strings.Contains(r.stdout, "added suppression rule") {
		t.Fatalf("add: %s", r)
	}
	id := regexp.MustCompile(`rule ([0-9a-f]{32})`).FindStringSubmatch(r.stdout)[1]
	r = picket(t, "sample-findings", "-c", cfg, "--type", "Policy:IAMUser/RootCredentialUsage,Stealth:IAMUser/CloudTrailLoggingDisabled", "--wait", "10s")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "Stealth:IAMUser/CloudTrailLoggingDisabled  target:hook  sent") || !strings.Contains(r.stdout, "2 sample findings, 1 notifications (0 not delivered); 1 samples routed nowhere") {
		t.Errorf("sample-findings: %s", r)
	}
	mu.Lock()
	if len(got) != 1 || !strings.Contains(got[0], `"sample":true`) || !strings.Contains(got[0], "CloudTrailLoggingDisabled") {
		t.Errorf("webhook got %d requests: %v", len(got), got)
	}
	mu.Unlock()
	r = picket(t, "suppress", "preview", "-c", cfg, "type=Policy:IAMUser/RootCredentialUsage")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "would have muted 1 of 2 stored findings") {
		t.Errorf("preview: %s", r)
	}
	r = picket(t, "findings", "list", "-c", cfg, "--archived")
	if !strings.Contains(r.stdout+r.stderr, "RootCredentialUsage") {
		t.Logf("archived list: %s", r)
	}
	r = picket(t, "suppress", "remove", "-c", cfg, "--actor", "bob", id)
	wantCode(t, r, 0)
	r = picket(t, "suppress", "list", "-c", cfg, "--audit")
	wantCode(t, r, 0)
	if !regexp.MustCompile(`bob\s+remove\s+`+id).MatchString(r.stdout) || !regexp.MustCompile(`alice\s+add\s+`+id).MatchString(r.stdout) {
		t.Errorf("audit: %s", r)
	}
	// The delivered sample opened an alert, notified; it is handled from
	// the command line and measured.
	r = picket(t, "alerts", "list", "-c", cfg)
	wantCode(t, r, 0)
	m := regexp.MustCompile(`(?m)^([0-9a-f]{32})\s+notified\s+2\.0\s+Stealth:IAMUser/CloudTrailLoggingDisabled`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("alerts list: %s", r)
	}
	wantCode(t, picket(t, "alerts", "ack", "-c", cfg, "--actor", "cli:carol", m[1]), 0)
	r = picket(t, "alerts", "ack", "-c", cfg, m[1])
	wantCode(t, r, 2)
	if !strings.Contains(r.stderr, "illegal alert transition") {
		t.Errorf("second ack: %s", r)
	}
	wantCode(t, picket(t, "alerts", "archive", "-c", cfg, "--reason", "expected", "--note", "drill", m[1]), 0)
	r = picket(t, "alerts", "show", "-c", cfg, m[1])
	if !strings.Contains(r.stdout, `"archiveReason": "expected"`) || strings.Count(r.stdout, `"kind"`) != 4 {
		t.Errorf("alerts show: %s", r)
	}
	r = picket(t, "alerts", "stats", "-c", cfg, "--by", "severity")
	wantCode(t, r, 0)
	if !regexp.MustCompile(`Low\s+1\s+0\s+0`).MatchString(r.stdout) {
		t.Errorf("alerts stats: %s", r)
	}
	// Missing owner or reason: refused.
	r = picket(t, "suppress", "add", "-c", cfg, "type=X")
	wantCode(t, r, 2)
}

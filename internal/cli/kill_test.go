//go:build unix

package cli_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/store"
	"github.com/picket-dev/picket/internal/store/sqlite"
)

// buildPicket builds the picket binary once per test run.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func picketBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "picket-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "picket")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/picket-dev/picket/cmd/picket")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// outageSlack answers chat.postMessage like Slack, failing (500, 429)
// while down; it records which finding each delivered message is about.
type outageSlack struct {
	mu        sync.Mutex
	down      bool
	failures  int
	delivered map[string]int // finding ID → messages
}

var findingIDRe = regexp.MustCompile(`[0-9a-f]{32}`)

func (s *outageSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer xoxb-kill-test" {
		w.WriteHeader(401)
		return
	}
	if !strings.HasSuffix(r.URL.Path, "/chat.postMessage") {
		fmt.Fprint(w, `{"ok":true}`)
		return
	}
	if s.down {
		s.failures++
		if s.failures%2 == 0 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
		} else {
			w.WriteHeader(500)
		}
		return
	}
	var m struct{ Channel string }
	json.Unmarshal(body, &m)
	id := findingIDRe.FindString(string(body))
	s.delivered[id]++
	fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.%06d"}`, m.Channel, len(s.delivered))
}

func (s *outageSlack) state() (failures int, delivered map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := map[string]int{}
	for k, v := range s.delivered {
		d[k] = v
	}
	return s.failures, d
}

// Slack is down while findings are stored; picket run is killed (SIGKILL)
// twice mid-outage and restarted; when Slack is back every finding
// arrives, and none twice.
func TestNotificationsSurviveKillAndOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := picketBinary(t)
	slack := &outageSlack{down: true, delivered: map[string]int{}}
	srv := httptest.NewServer(slack)
	defer srv.Close()
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	os.Mkdir(logs, 0o755)
	os.WriteFile(filepath.Join(dir, "accounts.yaml"), []byte(`
- accountID: "111122223333"
  slackConfig:
    channelID: C0111111111
    channelName: aws-111122223333-prod
    enabled: true
    webhookOverrides: []
`), 0o644)
	cfg := filepath.Join(dir, "picket.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`data_dir: data
http: {listen: "off"}
sources:
  - {name: trail, type: directory, path: logs, poll_interval: 100ms, settle: 0s}
routing:
  accounts_file: accounts.yaml
  slack: {token_env: KILL_SLACK_TOKEN, api_url: %s/api/}
  allowed_hosts: [127.0.0.1]
  lease: 1s
# The daily digest (due at 09:00 UTC, caught up at start until 21:00)
# would add a message of its own to the count below.
alerts: {digest_hour: -1}
`, srv.URL)), 0o644)
	env := append(os.Environ(), "KILL_SLACK_TOKEN=xoxb-kill-test")
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "run", "-c", cfg)
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	waitUntil := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				f, d := slack.state()
				t.Fatalf("timed out waiting for %s (failures %d, delivered %v)", what, f, d)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	var b strings.Builder
	for i := range 6 {
		user := fmt.Sprintf("user%d", i)
		fmt.Fprintf(&b, `{"eventVersion":"1.08","eventTime":"2026-10-14T09:%02d:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.77","userAgent":"aws-cli/2","requestParameters":{"name":"trail-%d"},"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/%s","accountId":"111122223333","accessKeyId":"AKIA%d","userName":"%s"},"eventID":"e%d","eventType":"AwsApiCall","recipientAccountId":"111122223333"}`+"\n",
			i, i, user, i, user, i)
	}
	os.WriteFile(filepath.Join(logs, "a.json"), []byte(b.String()), 0o644)

	p := start()
	waitUntil("failed attempts", func() bool { f, _ := slack.state(); return f >= 2 })
	p.Process.Signal(syscall.SIGKILL)
	p.Wait()
	p = start()
	waitUntil("more failed attempts", func() bool { f, _ := slack.state(); return f >= 4 })
	p.Process.Signal(syscall.SIGKILL)
	p.Wait()
	p = start()
	slack.mu.Lock()
	slack.down = false
	slack.mu.Unlock()
	// The six findings of one type and account go as grouped messages;
	// every finding must be covered by exactly one delivery.
	covered := func() int {
		_, d := slack.state()
		n := 0
		for _, c := range d {
			n += c
		}
		return n
	}
	waitUntil("deliveries", func() bool { return covered() >= 1 })
	time.Sleep(3 * time.Second) // anything sent twice would arrive now
	p.Process.Signal(syscall.SIGTERM)
	p.Wait()
	_, d := slack.state()
	for id, n := range d {
		if n != 1 {
			t.Errorf("finding %s delivered %d times", id, n)
		}
	}
	if len(d) == 0 {
		t.Fatal("nothing delivered")
	}
	// Every finding's notification was sent (grouped ones ride on the
	// first message of their group), once: one sent row per finding.
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "data", "picket.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Outbox(t.Context(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	perFinding := map[string]int{}
	for _, r := range rows {
		if r.State != store.OutboxSent {
			t.Errorf("row %d for %s: %s (%s)", r.ID, r.FindingID, r.State, r.LastError)
		}
		perFinding[r.FindingID]++
	}
	if len(perFinding) != 6 {
		t.Errorf("%d findings notified, want 6: %v", len(perFinding), perFinding)
	}
	for id, n := range perFinding {
		if n != 1 {
			t.Errorf("finding %s queued %d times", id, n)
		}
	}
	for id := range d {
		if perFinding[id] != 1 {
			t.Errorf("Slack got a message about %q, which is not a notified finding", id)
		}
	}
}

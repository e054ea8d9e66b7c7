package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/alert/worker"
	"github.com/picket-dev/picket/internal/slackbot"
	"github.com/picket-dev/picket/internal/store"
)

// The whole loop in-process: a finding → Slack message with buttons → a
// developer archives it with a reason (modal) → the security channel sees
// the reason → after the objection window the alert is archived → its
// response times are recorded.
func TestAlertLoop(t *testing.T) {
	slack := newFakeSlack(t)
	cfg := routedConfig(t, slack.srv.URL)
	t.Setenv("TEST_SLACK_SIGNING", "8f742231b10e8888abcd99yyyzzz85a5")
	cfg.Alerts.Slack.SigningSecretEnv = "TEST_SLACK_SIGNING"
	cfg.Alerts.ArchiveDelay = 10 * time.Minute
	a, err := New(t.Context(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	web := httptest.NewServer(a.Handler())
	defer web.Close()
	ctx := context.Background()

	// 1. A finding is pushed and notified with the alert's buttons.
	req, _ := http.NewRequest("POST", web.URL+"/v1/ingest/push", strings.NewReader(stopLogging("alice", 1)))
	req.Header.Set("Authorization", "Bearer push-token-0123456789")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("push: %v %v", res, err)
	}
	a.dispatch.RouteOnce(ctx)
	a.dispatch.SendOnce(ctx)
	as, _ := a.Store().ListAlerts(ctx, store.AlertQuery{})
	if len(as) != 1 || as[0].State != alert.Notified {
		t.Fatalf("alerts %+v", as)
	}
	al := as[0]
	post := slack.snapshot()[0]
	if !strings.Contains(post.Body, `"value":"`+al.ID+`"`) {
		t.Fatalf("message without the alert's buttons: %s", post.Body)
	}

	signed := func(path string, form url.Values) int {
		t.Helper()
		body := form.Encode()
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		r, _ := http.NewRequest("POST", web.URL+path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("X-Slack-Request-Timestamp", ts)
		r.Header.Set("X-Slack-Signature", slackbot.Sign([]byte("8f742231b10e8888abcd99yyyzzz85a5"), ts, []byte(body)))
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	payload := func(v any) url.Values {
		b, _ := json.Marshal(v)
		return url.Values{"payload": {string(b)}}
	}
	// 2. The developer clicks Archive: a modal opens.
	click := map[string]any{
		"type": "block_actions", "trigger_id": "1337.42", "user": map[string]any{"id": "UDEV"},
		"channel":   map[string]any{"id": "C0111111111"},
		"container": map[string]any{"channel_id": "C0111111111", "message_ts": "1700000000.000001"},
		"message":   map[string]any{"ts": "1700000000.000001", "text": "alert", "blocks": []any{}},
		"actions":   []any{map[string]any{"action_id": "picket_archive", "block_id": "picket_actions", "value": al.ID}},
	}
	if code := signed("/slack/interactive", payload(click)); code != 200 {
		t.Fatalf("archive click: %d", code)
	}
	a.slackBot.Wait()
	var view struct {
		View struct {
			PrivateMetadata string `json:"private_metadata"`
			CallbackID      string `json:"callback_id"`
		} `json:"view"`
	}
	slack.mu.Lock()
	for _, c := range slack.calls {
		if c.Method == "views.open" {
			json.Unmarshal([]byte(c.Body), &view)
		}
	}
	slack.mu.Unlock()
	if view.View.CallbackID != "picket_archive" {
		t.Fatalf("no archive modal opened: %+v", slack.calls)
	}
	// 3. They submit a reason.
	submit := map[string]any{
		"type": "view_submission", "user": map[string]any{"id": "UDEV"},
		"view": map[string]any{"callback_id": "picket_archive", "private_metadata": view.View.PrivateMetadata,
			"state": map[string]any{"values": map[string]any{
				"picket_reason": map[string]any{"reason": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "expected"}}},
				"picket_note":   map[string]any{"note": map[string]any{"type": "plain_text_input", "value": "trail rotation by the platform team"}},
			}}},
	}
	if code := signed("/slack/interactive", payload(submit)); code != 200 {
		t.Fatalf("submit: %d", code)
	}
	a.slackBot.Wait()
	// 4. The security channel sees the reason; the alert waits.
	a.dispatch.SendOnce(ctx)
	var seen bool
	for _, p := range slack.snapshot() {
		if p.Channel == "C0SECURITY1" && strings.Contains(p.Body, "trail rotation by the platform team") && strings.Contains(p.Body, "Expected") {
			seen = true
		}
	}
	if !seen {
		t.Fatalf("the security channel did not see the reason: %+v", slack.snapshot())
	}
	if got, _ := a.Store().GetAlert(ctx, al.ID); got.State == alert.Archived {
		t.Fatal("archived before the objection window")
	}
	// 5. After the window the worker archives it.
	later := time.Now().Add(11 * time.Minute)
	w := worker.New(a.Store(), alert.DefaultSLA, "test", func() time.Time { return later }, nil)
	w.DigestHour = -1
	w.Archived = func(ctx context.Context, al alert.Alert) { a.slackBot.Refresh(ctx, al) }
	updates := func() int {
		n := 0
		for _, p := range slack.snapshot() {
			if p.Method == "chat.update" && strings.Contains(p.Body, "Archived") {
				n++
			}
		}
		return n
	}
	before := updates()
	if _, err := w.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	a.slackBot.Wait()
	if updates() <= before {
		t.Errorf("the alert message was not rewritten as archived")
	}
	got, _ := a.Store().GetAlert(ctx, al.ID)
	if got.State != alert.Archived || got.Reason != alert.Expected || got.ClosedBy != "slack:UDEV" {
		t.Fatalf("alert after the window: %+v", got)
	}
	// 6. Response times are recorded.
	rt := got.ResponseTimes()
	if rt.ToNotify <= 0 || rt.ToClose < 10*time.Minute {
		t.Errorf("response times %+v", rt)
	}
	rows, _ := alert.Stats([]alert.Alert{got}, "account", alert.DefaultSLA, later)
	if len(rows) != 1 || rows[0].Closed != 1 || rows[0].Key != "111122223333" {
		t.Errorf("stats %+v", rows)
	}
	hist, _ := a.Store().AlertHistory(ctx, al.ID)
	var kinds []string
	for _, h := range hist {
		kinds = append(kinds, string(h.Kind)+":"+h.Actor)
	}
	if fmt.Sprint(kinds) != "[open:picket notify:picket archive:slack:UDEV]" {
		t.Errorf("history %v", kinds)
	}
}

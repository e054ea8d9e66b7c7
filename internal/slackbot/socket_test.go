package slackbot

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"
)

// TestSocketMode runs the bot against slack-go's slacktest server, which
// serves apps.connections.open and a WebSocket: envelopes sent down the
// socket are acknowledged, with the answer ServeHTTP gives, and handled
// by the same code (the requests to the Web API match the HTTPS tests'
// golden files).
func TestSocketMode(t *testing.T) {
	fs := newFakeSlack()
	var mu sync.Mutex
	var opens []string // Authorization of apps.connections.open
	methods := []string{"conversations.members", "users.conversations", "chat.getPermalink", "chat.postMessage", "chat.update", "chat.postEphemeral", "views.open"}
	sts := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			opens = append(opens, r.Header.Get("Authorization"))
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "url": slacktest.ServerWSFromContext(r.Context())})
		})
		for _, m := range methods {
			c.Handle("/"+m, fs.ServeHTTP)
		}
	})
	sts.Start()
	defer sts.Stop()

	svc := newFakeService()
	logs := &lockedBuffer{}
	bot, err := New(Config{BotToken: botToken, AppToken: appToken, SecurityChannel: secChan, OnDutyGroup: group, APIURL: sts.GetAPIURL()},
		svc, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), func() time.Time { return t0 }, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bot.RunSocketMode(ctx) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("RunSocketMode: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("RunSocketMode did not return after its context ended")
		}
		bot.Wait()
	}()

	// send sends an envelope and returns its acknowledgement.
	send := func(t *testing.T, id, typ string, payload any) map[string]json.RawMessage {
		t.Helper()
		env, err := json.Marshal(map[string]any{"envelope_id": id, "type": typ, "accepts_response_payload": typ != "interactive", "retry_attempt": 0, "payload": payload})
		if err != nil {
			t.Fatal(err)
		}
		sts.SendToWebsocket(string(env))
		select {
		case ack := <-sts.SeenFeed:
			var m map[string]json.RawMessage
			if err := json.Unmarshal([]byte(ack), &m); err != nil {
				t.Fatalf("ack %s: %v", ack, err)
			}
			if got := string(m["envelope_id"]); got != `"`+id+`"` {
				t.Fatalf("ack of %s, want %s", got, id)
			}
			bot.Wait()
			return m
		case <-time.After(10 * time.Second):
			t.Fatalf("no ack of %s", id)
		}
		return nil
	}

	t.Run("block_actions", func(t *testing.T) {
		ack := send(t, "env-ack", "interactive", blockActions(userDev, devChan, ActionAck, alertID, originalMessage(t)))
		if _, ok := ack["payload"]; ok {
			t.Errorf("ack has a payload: %s", ack["payload"])
		}
		if got, want := svc.Calls(), []string{"Alert " + alertID, "Act " + alertID + " acknowledge slack:" + userDev + " " + stamp}; strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("service calls %q, want %q", got, want)
		}
		checkAPI(t, "/", fs.Requests())
		if got := strings.Join(fs.Methods(), " "); got != "conversations.members chat.update" {
			t.Fatalf("Slack calls %s", got)
		}
		sameAsGolden(t, "ack.chat.update", fs.Only("chat.update")[0].Body)
	})

	t.Run("view_submission errors", func(t *testing.T) {
		meta := alertRef{Alert: alertID, msgRef: msgRef{devChan, msgTS}}.encode()
		ack := send(t, "env-view", "interactive", viewSubmission(userDev, meta, "", ""))
		sameAsGolden(t, "archive-missing-reason.response", ack["payload"])
	})

	t.Run("slash command", func(t *testing.T) {
		ack := send(t, "env-cmd", "slash_commands", map[string]any{
			"token": "legacy-verification-token", "team_id": "T0EXAMPLE", "channel_id": devChan, "user_id": userDev,
			"command": "/picket", "text": "status " + alertID, "response_url": sts.GetAPIURL() + "commands/1/response", "trigger_id": trigger,
		})
		var r commandReply
		if err := json.Unmarshal(ack["payload"], &r); err != nil {
			t.Fatal(err)
		}
		// Acknowledged, the alert is now acknowledged.
		if r.ResponseType != "ephemeral" || !strings.Contains(r.Text, "State: *acknowledged*\n• Acknowledged by <@"+userDev+"> at 12:03 UTC") {
			t.Errorf("reply %+v", r)
		}
	})

	mu.Lock()
	if len(opens) == 0 || opens[0] != "Bearer "+appToken {
		t.Errorf("apps.connections.open Authorization %q, want the app token", opens)
	}
	mu.Unlock()
	for _, s := range []string{appToken, botToken, "Credentials for instance role"} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the log contains %q", s)
		}
	}
}

// sameAsGolden compares a JSON body with a golden file written by the
// HTTPS tests.
func sameAsGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join("testdata", name+".golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(t, body, want) {
		t.Errorf("%s differs from testdata/%s.golden.json:\n%s", name, name, body)
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%v: %s", err, a)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

func TestSocketModeNeedsAppToken(t *testing.T) {
	bot, err := New(Config{SigningSecret: secret, BotToken: botToken, SecurityChannel: secChan}, newFakeService(), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := bot.RunSocketMode(context.Background()); err == nil {
		t.Error("RunSocketMode without an app token: no error")
	}
}

package slackbot

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/alert"
)

const (
	stamp = "2026-11-25T12:03:00Z"
)

func TestAcknowledge(t *testing.T) {
	h := newHarness(t)
	w := h.interact(blockActions(userDev, devChan, ActionAck, alertID, originalMessage(t)))
	wantEmpty200(t, w)
	h.wantCalls("Alert "+alertID, "Act "+alertID+" acknowledge slack:"+userDev+" "+stamp)
	h.wantMethods("conversations.members", "chat.update")
	members := h.slack.Only("conversations.members")[0].Form(t)
	if members.Get("channel") != devChan || members.Get("limit") != "500" {
		t.Errorf("conversations.members form %v", members)
	}
	golden(t, "ack.chat.update", h.slack.Only("chat.update")[0].Body)
}

func TestEscalate(t *testing.T) {
	h := newHarness(t)
	// An acknowledged alert: the status keeps both lines.
	h.svc.alerts[alertID] = func() alert.Alert {
		a := testAlert()
		if _, err := alert.Apply(&a, alert.Action{Kind: alert.Acknowledge, Actor: "slack:U0ANA", At: t0.Add(-2 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		return a
	}()
	w := h.interact(blockActions(userDev, devChan, ActionEscalate, alertID, originalMessage(t)))
	wantEmpty200(t, w)
	h.wantCalls("Alert "+alertID, "Act "+alertID+" escalate slack:"+userDev+" "+stamp)
	h.wantMethods("conversations.members", "chat.getPermalink", "chat.postMessage", "chat.update")
	if f := h.slack.Only("chat.getPermalink")[0].Form(t); f.Get("channel") != devChan || f.Get("message_ts") != msgTS {
		t.Errorf("chat.getPermalink form %v", f)
	}
	post := h.slack.Only("chat.postMessage")[0].Body
	for _, want := range []string{`"channel":"` + secChan + `"`, "\u003c!subteam^" + group + "\u003e", permBase + devChan + "/p1764072000000100"} {
		if !strings.Contains(string(post), want) && !strings.Contains(unescapeJSON(post), want) {
			t.Errorf("escalation lacks %q", want)
		}
	}
	golden(t, "escalate.chat.postMessage", post)
	golden(t, "escalate.chat.update", h.slack.Only("chat.update")[0].Body)
}

// unescapeJSON undoes json.Marshal's \u003c escaping of <, > and &.
func unescapeJSON(b []byte) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
}

// openModal clicks Archive and returns the modal's private_metadata.
func openModal(t *testing.T, h *harness, user string) string {
	t.Helper()
	wantEmpty200(t, h.interact(blockActions(user, devChan, ActionArchive, alertID, originalMessage(t))))
	opens := h.slack.Only("views.open")
	if len(opens) != 1 {
		t.Fatalf("%d views.open, want 1", len(opens))
	}
	var body struct {
		TriggerID string `json:"trigger_id"`
		View      struct {
			PrivateMetadata string `json:"private_metadata"`
		} `json:"view"`
	}
	if err := json.Unmarshal(opens[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.TriggerID != trigger {
		t.Errorf("trigger_id %q, want the click's", body.TriggerID)
	}
	return body.View.PrivateMetadata
}

func TestArchiveModal(t *testing.T) {
	h := newHarness(t)
	meta := openModal(t, h, userDev)
	h.wantCalls("Alert " + alertID)
	h.wantMethods("conversations.members", "views.open")
	golden(t, "archive.views.open", h.slack.Only("views.open")[0].Body)
	if want := `{"alert":"` + alertID + `","channel":"` + devChan + `","ts":"` + msgTS + `"}`; meta != want {
		t.Errorf("private_metadata %s, want %s", meta, want)
	}
}

func TestArchivePendingThenObject(t *testing.T) {
	h := newHarness(t)
	meta := openModal(t, h, userDev)
	h.reset()

	// A developer's archive is pending: posted to the security channel.
	w := h.interact(viewSubmission(userDev, meta, "false-positive", "Our CI runner's egress IP.\nSee <JIRA-1>"))
	wantEmpty200(t, w)
	h.wantCalls("Alert "+alertID, `RequestArchive `+alertID+` slack:`+userDev+` false-positive "Our CI runner's egress IP.\nSee <JIRA-1>"`)
	h.wantMethods("chat.getPermalink", "chat.postMessage", "chat.update")
	post := h.slack.Only("chat.postMessage")[0]
	golden(t, "archive-pending.chat.postMessage", post.Body)
	update := h.slack.Only("chat.update")[0]
	golden(t, "archive-pending.chat.update", update.Body)
	if strings.Contains(string(update.Body), ActionArchive) {
		t.Error("the Archive button is still there while the archive is pending")
	}

	// Someone outside the security team cannot object.
	var posted map[string]any
	if err := json.Unmarshal(post.Body, &posted); err != nil {
		t.Fatal(err)
	}
	delete(posted, "channel")
	delete(posted, "unfurl_links")
	delete(posted, "unfurl_media")
	posted["type"], posted["ts"] = "message", reqTS
	value := objectValue(t, posted)
	h.reset()
	wantEmpty200(t, h.interact(blockActions(userDev, secChan, ActionObject, value, posted)))
	h.wantCalls()
	h.wantMethods("conversations.members", "conversations.members", "chat.postEphemeral")
	golden(t, "object-refused.chat.postEphemeral", h.slack.Only("chat.postEphemeral")[0].Body)

	// A security engineer objects: the request and the alert message are
	// rewritten, the Archive button is back.
	h.reset()
	wantEmpty200(t, h.interact(blockActions(userSec, secChan, ActionObject, value, posted)))
	h.wantCalls("Object " + alertID + " slack:" + userSec)
	h.wantMethods("chat.update", "chat.update") // the security channel's members are cached
	updates := h.slack.Only("chat.update")
	golden(t, "object-request.chat.update", updates[0].Body)
	golden(t, "object-alert.chat.update", updates[1].Body)
	if !strings.Contains(string(updates[1].Body), `"action_id":"`+ActionArchive+`"`) {
		t.Error("the Archive button is not back after the objection")
	}

	// The service applies a pending archive elsewhere: Refresh shows it.
	h.reset()
	archived, err := h.svc.apply(alertID, alert.Action{Kind: alert.Archive, Actor: "picket", Reason: alert.Handled, At: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if !h.bot.Refresh(t.Context(), archived) {
		t.Error("Refresh: the message was not rewritten")
	}
	h.wantMethods("chat.update")
	if body := string(h.slack.Only("chat.update")[0].Body); !strings.Contains(body, "Archived by picket at 13:03 UTC (Handled true positive)") ||
		strings.Contains(body, `"action_id":"picket_ack"`) || strings.Contains(body, `"action_id":"picket_escalate"`) {
		t.Errorf("refreshed message %s", body)
	}
	if h.bot.Refresh(t.Context(), alert.Alert{ID: "inc-unknown", State: alert.New}) {
		t.Error("Refresh of an alert whose message is unknown: rewritten")
	}

	// A second objection is illegal.
	h.reset()
	h.clock.Add(time.Second) // else the same request is a replay
	wantEmpty200(t, h.interact(blockActions(userSec, secChan, ActionObject, value, posted)))
	h.wantCalls("Object " + alertID + " slack:" + userSec)
	h.wantMethods("chat.postEphemeral")
}

// objectValue is the Object button's value in a posted message.
func objectValue(t *testing.T, m map[string]any) string {
	t.Helper()
	for _, b := range m["blocks"].([]any) {
		b := b.(map[string]any)
		if b["type"] != "actions" {
			continue
		}
		for _, e := range b["elements"].([]any) {
			e := e.(map[string]any)
			if e["action_id"] == ActionObject {
				return e["value"].(string)
			}
		}
	}
	t.Fatal("no Object button")
	return ""
}

func TestArchiveImmediate(t *testing.T) {
	h := newHarness(t)
	meta := openModal(t, h, userSec)
	h.reset()
	wantEmpty200(t, h.interact(viewSubmission(userSec, meta, "expected", "")))
	h.wantCalls("Alert "+alertID, `RequestArchive `+alertID+` slack:`+userSec+` expected ""`)
	h.wantMethods("chat.update") // memberships cached, no request to review
	golden(t, "archive-immediate.chat.update", h.slack.Only("chat.update")[0].Body)
}

func TestArchiveSubmissionErrors(t *testing.T) {
	for _, tc := range []struct{ name, reason, note string }{
		{"missing-reason", "", "x"},
		{"unknown-reason", "bored", ""},
		{"long-note", "handled", strings.Repeat("é", maxNote+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			meta := alertRef{Alert: alertID, msgRef: msgRef{devChan, msgTS}}.encode()
			w := h.interact(viewSubmission(userDev, meta, tc.reason, tc.note))
			if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
				t.Fatalf("answer %d %s", w.Code, w.Header().Get("Content-Type"))
			}
			golden(t, "archive-"+tc.name+".response", w.Body.Bytes())
			h.wantCalls()
			h.wantMethods()
		})
	}
}

func TestArchiveSubmissionWithoutCachedMessage(t *testing.T) {
	// After a restart the modal's message is unknown: the user is told.
	h := newHarness(t)
	meta := alertRef{Alert: alertID, msgRef: msgRef{devChan, msgTS}}.encode()
	wantEmpty200(t, h.interact(viewSubmission(userSec, meta, "duplicate", "of inc-1")))
	h.wantCalls("Alert "+alertID, `RequestArchive `+alertID+` slack:`+userSec+` duplicate "of inc-1"`)
	h.wantMethods("conversations.members", "conversations.members", "conversations.members", "chat.postEphemeral")
	var e struct{ Channel, User, Text string }
	if err := json.Unmarshal(h.slack.Only("chat.postEphemeral")[0].Body, &e); err != nil {
		t.Fatal(err)
	}
	if e.Channel != devChan || e.User != userSec || e.Text != "Alert `"+alertID+"` is archived (Duplicate)." {
		t.Errorf("ephemeral %+v", e)
	}
}

func TestNonMemberRefused(t *testing.T) {
	for _, action := range []string{ActionAck, ActionEscalate, ActionArchive} {
		t.Run(action, func(t *testing.T) {
			h := newHarness(t)
			wantEmpty200(t, h.interact(blockActions(userOut, devChan, action, alertID, originalMessage(t))))
			h.wantCalls("Alert " + alertID) // looked up for its channel, not changed
			// The routed channel, then both pages of the security channel.
			h.wantMethods("conversations.members", "conversations.members", "conversations.members", "chat.postEphemeral")
			golden(t, "non-member.chat.postEphemeral", h.slack.Only("chat.postEphemeral")[0].Body)
		})
	}
	t.Run("view_submission", func(t *testing.T) {
		h := newHarness(t)
		meta := alertRef{Alert: alertID, msgRef: msgRef{devChan, msgTS}}.encode()
		wantEmpty200(t, h.interact(viewSubmission(userOut, meta, "handled", "")))
		h.wantCalls("Alert " + alertID)
		golden(t, "non-member.chat.postEphemeral", h.slack.Only("chat.postEphemeral")[0].Body)
	})
}

func TestIllegalTransition(t *testing.T) {
	h := newHarness(t)
	h.svc.alerts[alertID] = func() alert.Alert {
		a := testAlert()
		a.State, a.AckedBy, a.AckedAt = alert.Acknowledged, "slack:U0ANA", t0.Add(-time.Minute)
		return a
	}()
	wantEmpty200(t, h.interact(blockActions(userDev, devChan, ActionAck, alertID, originalMessage(t))))
	h.wantCalls("Alert "+alertID, "Act "+alertID+" acknowledge slack:"+userDev+" "+stamp)
	h.wantMethods("conversations.members", "chat.postEphemeral")
	golden(t, "illegal.chat.postEphemeral", h.slack.Only("chat.postEphemeral")[0].Body)
}

func TestUnknownAlert(t *testing.T) {
	h := newHarness(t)
	wantEmpty200(t, h.interact(blockActions(userDev, devChan, ActionAck, "inc-gone", originalMessage(t))))
	h.wantCalls("Alert inc-gone")
	h.wantMethods("chat.postEphemeral")
	if body := string(h.slack.Only("chat.postEphemeral")[0].Body); !strings.Contains(body, "Picket has no alert `inc-gone`.") {
		t.Errorf("ephemeral %s", body)
	}
}

func TestLinksNeedNothing(t *testing.T) {
	for _, action := range []string{ActionRunbook, ActionOpenConsole, "someone_elses_button"} {
		h := newHarness(t)
		wantEmpty200(t, h.interact(blockActions(userOut, devChan, action, alertID, originalMessage(t))))
		h.wantCalls()
		h.wantMethods()
	}
}

func TestMembershipCache(t *testing.T) {
	h := newHarness(t)
	h.svc.alerts["inc-2"] = func() alert.Alert { a := testAlert(); a.ID = "inc-2"; return a }()
	ack := func(id string) {
		msg := originalMessage(t)
		wantEmpty200(t, h.interact(blockActions(userSec, devChan, ActionAck, id, msg)))
	}
	// The security engineer is on the second page of the members.
	ack(alertID)
	h.wantMethods("conversations.members", "conversations.members", "conversations.members", "chat.update")
	var cursors []string
	for _, r := range h.slack.Only("conversations.members") {
		f := r.Form(t)
		cursors = append(cursors, f.Get("channel")+"@"+f.Get("cursor"))
	}
	if got := strings.Join(cursors, " "); got != devChan+"@ "+secChan+"@ "+secChan+"@page:1" {
		t.Errorf("conversations.members pages %s", got)
	}
	// Cached for five minutes.
	h.slack.Reset()
	h.clock.Add(4 * time.Minute)
	ack("inc-2")
	h.wantMethods("chat.update")
	// Then asked again.
	h.slack.Reset()
	h.svc.alerts["inc-3"] = func() alert.Alert { a := testAlert(); a.ID = "inc-3"; return a }()
	h.clock.Add(2 * time.Minute)
	ack("inc-3")
	h.wantMethods("conversations.members", "conversations.members", "conversations.members", "chat.update")
}

func TestMembershipCheckFails(t *testing.T) {
	h := newHarness(t)
	delete(h.slack.members, secChan) // channel_not_found: the bot is not in it
	wantEmpty200(t, h.interact(blockActions(userOut, devChan, ActionAck, alertID, originalMessage(t))))
	h.wantCalls("Alert " + alertID)
	h.wantMethods("conversations.members", "conversations.members", "chat.postEphemeral")
	if body := string(h.slack.Only("chat.postEphemeral")[0].Body); !strings.Contains(body, "could not check your channel membership") {
		t.Errorf("ephemeral %s", body)
	}
	// A member of the routed channel is still let in.
	h.slack.Reset()
	wantEmpty200(t, h.interact(blockActions(userDev, devChan, ActionAck, alertID, originalMessage(t))))
	h.wantMethods("chat.update")
}

func TestSignatureRefused(t *testing.T) {
	payload, _ := json.Marshal(blockActions(userDev, devChan, ActionAck, alertID, map[string]any{"ts": msgTS}))
	body := url.Values{"payload": {string(payload)}}.Encode()
	big := url.Values{"payload": {string(payload)}, "pad": {strings.Repeat("x", MaxBodyBytes)}}.Encode()
	for _, tc := range []struct {
		name   string
		req    func(h *harness) *http.Request
		status int
	}{
		{"missing headers", func(h *harness) *http.Request {
			return httptest.NewRequest(http.MethodPost, PathInteractive, strings.NewReader(body))
		}, 401},
		{"bad signature", func(h *harness) *http.Request {
			r := h.signed(PathInteractive, body)
			r.Header.Set(headerSignature, Sign([]byte("another-secret-of-some-length"), r.Header.Get(headerTimestamp), []byte(body)))
			return r
		}, 401},
		{"tampered body", func(h *harness) *http.Request {
			r := h.signed(PathInteractive, body)
			r.Body = io.NopCloser(strings.NewReader(strings.Replace(body, userDev, userSec, 1)))
			return r
		}, 401},
		{"malformed signature", func(h *harness) *http.Request {
			r := h.signed(PathInteractive, body)
			r.Header.Set(headerSignature, "v1="+strings.TrimPrefix(r.Header.Get(headerSignature), "v0="))
			return r
		}, 401},
		{"stale timestamp", func(h *harness) *http.Request {
			h.clock.Add(-6 * time.Minute)
			r := h.signed(PathInteractive, body)
			h.clock.Add(6 * time.Minute)
			return r
		}, 401},
		{"future timestamp", func(h *harness) *http.Request {
			h.clock.Add(6 * time.Minute)
			r := h.signed(PathInteractive, body)
			h.clock.Add(-6 * time.Minute)
			return r
		}, 401},
		{"timestamp not a number", func(h *harness) *http.Request {
			r := h.signed(PathInteractive, body)
			r.Header.Set(headerTimestamp, "yesterday")
			return r
		}, 401},
		{"oversized body", func(h *harness) *http.Request { return h.signed(PathInteractive, big) }, 413},
		{"oversized body, no length", func(h *harness) *http.Request {
			r := h.signed(PathInteractive, big)
			r.ContentLength = -1
			return r
		}, 413},
		{"command with a bad signature", func(h *harness) *http.Request {
			r := h.signed(PathCommands, "command=%2Fpicket&text=archive+"+alertID+"+handled&user_id="+userDev)
			r.Header.Set(headerSignature, "v0="+strings.Repeat("0", 64))
			return r
		}, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			w := h.serve(tc.req(h))
			if w.Code != tc.status {
				t.Errorf("status %d %q, want %d", w.Code, w.Body.String(), tc.status)
			}
			h.wantCalls()
			h.wantMethods()
		})
	}
}

func TestReplayRefused(t *testing.T) {
	h := newHarness(t)
	payload, _ := json.Marshal(blockActions(userDev, devChan, ActionAck, alertID, originalMessage(t)))
	body := url.Values{"payload": {string(payload)}}.Encode()
	first := h.signed(PathInteractive, body)
	wantEmpty200(t, h.serve(first))
	h.svc.calls = nil
	h.slack.Reset()

	again := httptest.NewRequest(http.MethodPost, PathInteractive, strings.NewReader(body))
	again.Header = first.Header.Clone()
	h.clock.Add(time.Minute)
	if w := h.serve(again); w.Code != http.StatusConflict {
		t.Errorf("replay: status %d, want 409", w.Code)
	}
	h.wantCalls()
	h.wantMethods()

	// Once the timestamp is out of the window the replay is stale anyway.
	again = httptest.NewRequest(http.MethodPost, PathInteractive, strings.NewReader(body))
	again.Header = first.Header.Clone()
	h.clock.Add(5 * time.Minute)
	if w := h.serve(again); w.Code != http.StatusUnauthorized {
		t.Errorf("late replay: status %d, want 401", w.Code)
	}
	h.wantCalls()
}

func TestRoutes(t *testing.T) {
	h := newHarness(t)
	r := h.signed("/slack/other", "x=1")
	w := httptest.NewRecorder()
	h.bot.ServeHTTP(w, r)
	if w.Code != http.StatusNotFound {
		t.Errorf("other path: %d", w.Code)
	}
	w = httptest.NewRecorder()
	h.bot.ServeHTTP(w, httptest.NewRequest(http.MethodGet, PathInteractive, nil))
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "POST" {
		t.Errorf("GET: %d Allow %q", w.Code, w.Header().Get("Allow"))
	}
	// Slack's certificate check of the command URL.
	if w := h.serve(h.signed(PathCommands, "ssl_check=1&token=x")); w.Code != http.StatusOK {
		t.Errorf("ssl_check: %d", w.Code)
	}
	// A payload that is not JSON.
	if w := h.serve(h.signed(PathInteractive, "payload=%7Bnot+json")); w.Code != http.StatusBadRequest {
		t.Errorf("bad payload: %d", w.Code)
	}
	h.wantCalls()
	h.wantMethods()
}

func TestCommands(t *testing.T) {
	reply := func(t *testing.T, w *httptest.ResponseRecorder) commandReply {
		t.Helper()
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
			t.Fatalf("answer %d %s %q", w.Code, w.Header().Get("Content-Type"), w.Body.String())
		}
		var r commandReply
		if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if r.ResponseType != "ephemeral" {
			t.Errorf("response_type %q", r.ResponseType)
		}
		return r
	}
	t.Run("status", func(t *testing.T) {
		h := newHarness(t)
		w := h.command(userDev, "status "+alertID)
		reply(t, w)
		golden(t, "command-status", w.Body.Bytes())
		h.wantCalls("Alert " + alertID)
		h.wantMethods("conversations.members")
	})
	t.Run("status refused", func(t *testing.T) {
		h := newHarness(t)
		r := reply(t, h.command(userOut, "status "+alertID))
		if r.Text != "You are not a member of <#"+devChan+"> or the security team, so you cannot act on this alert." {
			t.Errorf("text %q", r.Text)
		}
	})
	t.Run("mine", func(t *testing.T) {
		h := newHarness(t)
		other := testAlert()
		other.ID, other.Route, other.Severity, other.Type, other.Title = "inc-elsewhere", "account:999", 5, "Recon:EC2/PortProbeUnprotectedPort", "Unprotected port on EC2 instance i-1 is being probed."
		h.svc.alerts[other.ID] = other
		w := h.command(userDev, "mine")
		reply(t, w)
		golden(t, "command-mine", w.Body.Bytes())
		h.wantCalls("OpenAlerts " + devChan + ",C0RANDOM 20")
		h.wantMethods("users.conversations")
		if f := h.slack.Only("users.conversations")[0].Form(t); f.Get("user") != userDev || f.Get("types") != "public_channel,private_channel" {
			t.Errorf("users.conversations form %v", f)
		}
	})
	t.Run("archive", func(t *testing.T) {
		h := newHarness(t)
		r := reply(t, h.command(userDev, "archive "+alertID+" Handled  rotated the keys &amp; closed INC-42"))
		h.wantCalls("Alert "+alertID, `RequestArchive `+alertID+` slack:`+userDev+` handled "rotated the keys & closed INC-42"`)
		// Pending: the security channel is told; the alert message is
		// unknown (nobody clicked it), so it is not rewritten.
		h.wantMethods("conversations.members", "chat.postMessage")
		if !strings.HasPrefix(r.Text, "Archive of alert `"+alertID+"` requested (Handled true positive)") {
			t.Errorf("text %q", r.Text)
		}
		golden(t, "command-archive.chat.postMessage", h.slack.Only("chat.postMessage")[0].Body)
	})
	t.Run("archive bad reason", func(t *testing.T) {
		h := newHarness(t)
		r := reply(t, h.command(userDev, "archive "+alertID+" bored"))
		if !strings.Contains(r.Text, "Unknown reason `bored`") {
			t.Errorf("text %q", r.Text)
		}
		h.wantCalls()
	})
	t.Run("help", func(t *testing.T) {
		h := newHarness(t)
		w := h.command(userDev, "")
		reply(t, w)
		golden(t, "command-help", w.Body.Bytes())
		h.wantCalls()
		h.wantMethods()
	})
	t.Run("unknown", func(t *testing.T) {
		h := newHarness(t)
		r := reply(t, h.command(userDev, "dance"))
		if !strings.HasPrefix(r.Text, "Unknown command `dance`.") {
			t.Errorf("text %q", r.Text)
		}
	})
}

func TestCommandLateAnswer(t *testing.T) {
	h := newHarness(t)
	h.bot.replyWithin = 20 * time.Millisecond
	h.svc.delay = 200 * time.Millisecond
	start := time.Now()
	w := httptest.NewRecorder()
	form := url.Values{"command": {"/picket"}, "text": {"status " + alertID}, "user_id": {userDev}, "channel_id": {devChan},
		"response_url": {h.srv.URL + "/commands/T0EXAMPLE/1234/response"}}
	h.mux.ServeHTTP(w, h.signed(PathCommands, form.Encode()))
	if d := time.Since(start); d > 150*time.Millisecond {
		t.Errorf("answered after %s", d)
	}
	if got := w.Body.String(); got != `{"response_type":"ephemeral","text":"Working on it…"}` {
		t.Errorf("immediate answer %s", got)
	}
	h.bot.Wait()
	late := h.slack.Only("response")
	if len(late) != 1 {
		t.Fatalf("%d posts to the response_url, want 1", len(late))
	}
	if late[0].Path != "/commands/T0EXAMPLE/1234/response" || late[0].Header.Get("Authorization") != "" ||
		late[0].Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("late answer %s %v", late[0].Path, late[0].Header)
	}
	var r commandReply
	if err := json.Unmarshal(late[0].Body, &r); err != nil || r.ResponseType != "ephemeral" || !strings.HasPrefix(r.Text, "*Alert `"+alertID+"`*") {
		t.Errorf("late answer %s (%v)", late[0].Body, err)
	}
}

func TestResponseURLMustBeSlack(t *testing.T) {
	h := newHarness(t)
	for u, want := range map[string]bool{
		"https://hooks.slack.com/commands/T0/1/abc": true,
		h.srv.URL + "/commands/x":                   true,
		"https://evil.example.com/commands/x":       false,
		"http://hooks.slack.com/commands/x":         false,
		"https://user@hooks.slack.com/commands/x":   false,
	} {
		if got := h.bot.allowedResponseURL(u); got != want {
			t.Errorf("%s: %v, want %v", u, got, want)
		}
	}
}

func TestNew(t *testing.T) {
	svc := newFakeService()
	ok := Config{SigningSecret: secret, BotToken: botToken, SecurityChannel: secChan}
	for name, cfg := range map[string]Config{
		"user token":       {SigningSecret: secret, BotToken: "xoxp-1", SecurityChannel: secChan},
		"no secret":        {BotToken: botToken, SecurityChannel: secChan},
		"channel name":     {SigningSecret: secret, BotToken: botToken, SecurityChannel: "#security"},
		"bad app token":    {SigningSecret: secret, BotToken: botToken, SecurityChannel: secChan, AppToken: "xoxb-2"},
		"bad group":        {SigningSecret: secret, BotToken: botToken, SecurityChannel: secChan, OnDutyGroup: "@oncall"},
		"tiny skew":        {SigningSecret: secret, BotToken: botToken, SecurityChannel: secChan, MaxSkew: time.Millisecond},
		"relative API URL": {SigningSecret: secret, BotToken: botToken, SecurityChannel: secChan, APIURL: "/api/"},
		"non-http API URL": {SigningSecret: secret, BotToken: botToken, SecurityChannel: secChan, APIURL: "ftp://x/"},
		"no bot token":     {AppToken: appToken, SecurityChannel: secChan},
	} {
		b, err := New(cfg, svc, nil, nil, nil)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		for _, s := range []string{secret, botToken, appToken} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("%s: the error contains a secret: %v", name, err)
			}
		}
		_ = b
	}
	if _, err := New(ok, nil, nil, nil, nil); err == nil {
		t.Error("nil service accepted")
	}
	b, err := New(ok, svc, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.api.base != DefaultAPIURL || b.maxSkew != DefaultMaxSkew {
		t.Errorf("defaults: %s %s", b.api.base, b.maxSkew)
	}
	if _, err := New(Config{AppToken: appToken, BotToken: botToken, SecurityChannel: secChan, APIURL: "http://127.0.0.1:1/x"}, svc, nil, nil, nil); err != nil {
		t.Errorf("Socket Mode only: %v", err)
	}
}

func TestSign(t *testing.T) {
	// Slack's documented example (docs.slack.dev, "Verifying requests
	// from Slack").
	body := "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	got := Sign([]byte("8f742231b10e8888abcd99yyyzzz85a5"), "1531420618", []byte(body))
	if want := "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestEscalateWhenSlackFails(t *testing.T) {
	h := newHarness(t)
	h.slack.fail = map[string]string{"chat.getPermalink": "message_not_found", "chat.postMessage": "not_in_channel"}
	wantEmpty200(t, h.interact(blockActions(userDev, devChan, ActionEscalate, alertID, originalMessage(t))))
	// Escalated all the same; the user is told the security channel was not.
	h.wantCalls("Alert "+alertID, "Act "+alertID+" escalate slack:"+userDev+" "+stamp)
	h.wantMethods("conversations.members", "chat.getPermalink", "chat.postMessage", "chat.postEphemeral", "chat.update")
	if body := string(h.slack.Only("chat.postMessage")[0].Body); !strings.Contains(body, "alert message in <#"+devChan+"> (ts "+msgTS+")") {
		t.Errorf("escalation without a permalink: %s", body)
	}
	if body := string(h.slack.Only("chat.postEphemeral")[0].Body); !strings.Contains(body, "could not post to the security channel") {
		t.Errorf("ephemeral %s", body)
	}
	if logs := h.log.String(); !strings.Contains(logs, "slack chat.postMessage: not_in_channel") {
		t.Errorf("the failure is not logged:\n%s", logs)
	}
}

func TestRewrite(t *testing.T) {
	sec := func(text string) json.RawMessage { return raw(section(text)) }
	a := testAlert()
	a.State, a.AckedBy, a.AckedAt = alert.Acknowledged, "console:alice <admin>", t0.Add(-26*time.Hour)
	lines := statusLines(a, notes{}, t0)
	if want := "Acknowledged by console:alice &lt;admin&gt; at 24 Nov 10:03 UTC"; len(lines) != 1 || lines[0] != want {
		t.Errorf("status lines %q, want %q", lines, want)
	}
	// No actions block: the status goes last, in the attachment if any;
	// an old status is replaced.
	m := message{Text: "x", Blocks: []json.RawMessage{sec("head")}, Attachments: []attachment{{Color: "D32F2F", Blocks: []json.RawMessage{sec("body"), raw(contextBlock(BlockStatus, "old"))}}}}
	out := rewrite(m, BlockActions, lines, alertButtons(a, false))
	if got := string(out.Attachments[0].Blocks[1]); !strings.Contains(got, `"block_id":"picket_status"`) || !strings.Contains(got, "alice") || len(out.Attachments[0].Blocks) != 2 {
		t.Errorf("attachment blocks %s", out.Attachments[0].Blocks)
	}
	if out.Attachments[0].Color != "#D32F2F" || len(out.Blocks) != 1 {
		t.Errorf("rewritten %+v", out)
	}
	if len(m.Attachments[0].Blocks) != 2 || !strings.Contains(string(m.Attachments[0].Blocks[1]), "old") {
		t.Error("rewrite changed its input")
	}
	// Top-level blocks only; a closed alert loses its actions block when
	// only workflow buttons were in it.
	a.State = alert.Resolved
	a.ClosedBy, a.ClosedAt = "slack:U0ANA", t0
	m = message{Blocks: []json.RawMessage{sec("head"), raw(struct {
		Type     string          `json:"type"`
		BlockID  string          `json:"block_id"`
		Elements []slackButtonEl `json:"elements"`
	}{"actions", BlockActions, []slackButtonEl{{"button", ActionAck, alertID}}})}}
	out = rewrite(m, BlockActions, statusLines(a, notes{}, t0), alertButtons(a, false))
	if len(out.Blocks) != 2 || head(out.Blocks[1]).BlockID != BlockStatus || !strings.Contains(string(out.Blocks[1]), "Resolved by <@U0ANA> at 12:03 UTC") {
		t.Errorf("blocks %s", out.Blocks)
	}
}

type slackButtonEl struct {
	Type     string `json:"type"`
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
}

func TestEscaping(t *testing.T) {
	// A crafted finding cannot mention anyone, make links or fake lines.
	a := testAlert()
	a.Title = "<!channel> pwned & <https://evil.example|click>\nFake line"
	a.Type = "Type`with`ticks"
	m := escalationMessage(a, userDev, group, "", "javascript:alert(1)", msgRef{devChan, msgTS}, t0)
	b, _ := marshal(m)
	for _, bad := range []string{"<!channel>", "<https://evil", "javascript:", "`Type`"} {
		if strings.Contains(string(b), bad) {
			t.Errorf("escalation contains %q: %s", bad, b)
		}
	}
	var decoded struct {
		Blocks []struct {
			Fields []struct{ Text string }
		}
	}
	if err := json.Unmarshal(b, &decoded); err != nil {
		t.Fatal(err)
	}
	want := "*Title*\n&lt;!channel&gt; pwned &amp; &lt;https://evil.example|click&gt;" + `\n` + "Fake line"
	if got := decoded.Blocks[1].Fields[1].Text; got != want {
		t.Errorf("title field %q, want %q", got, want)
	}
}

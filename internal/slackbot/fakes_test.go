package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/notify/notifytest"
	slackn "github.com/picket-dev/picket/internal/notify/slack"
	"github.com/picket-dev/picket/internal/store"
)

const (
	secret   = "8f742231b10e8888abcd99yyyzzz85a5"
	botToken = "xoxb-1111-2222-bOtToKeNsEcReT"
	appToken = "xapp-1-A0PICKET-3333-aPpToKeNsEcReT"
	secChan  = "C0SECURITY"
	devChan  = "C0AWSPROD"
	group    = "S0ONDUTY"
	alertID  = "inc-7f3a9c"
	msgTS    = notifytest.Thread // the alert message
	reqTS    = "1764072300.000200"
	trigger  = "1234567890.98765.abcdef"
	userDev  = "U0DEV" // member of devChan
	userSec  = "U0SEC" // member of secChan (on the second page of its members)
	userOut  = "U0OUT" // member of neither
	runbook  = "https://wiki.example.com/runbooks/credential-exfiltration"
	permBase = "https://example.slack.com/archives/"
)

var t0 = notifytest.T0.Add(3 * time.Minute) // 12:03 UTC

// testAlert is the alert of notifytest's CloudTrail finding, notified.
func testAlert() alert.Alert {
	f := notifytest.CloudTrail()
	return alert.Alert{
		ID: alertID, FindingID: f.ID, Account: f.AccountID, Region: f.Region, Type: f.Type,
		Severity: f.Severity, Title: f.Title, Route: "account:" + f.AccountID,
		State: alert.Notified, CreatedAt: notifytest.T0.Add(-time.Minute), UpdatedAt: notifytest.T0, NotifiedAt: notifytest.T0,
	}
}

// originalMessage is the notifier's message for the alert with the
// workflow buttons, as Slack echoes it in an interaction payload (an
// attachment id and fallback added, the colour without its #).
func originalMessage(t testing.TB) map[string]any {
	t.Helper()
	c := slackn.Render(notifytest.High(),
		slackn.Button{Label: "Acknowledge", ActionID: slackn.ActionAck, Value: alertID, Style: "primary"},
		slackn.Button{Label: "Archive", ActionID: slackn.ActionArchive, Value: alertID},
		slackn.Button{Label: "Escalate", ActionID: slackn.ActionEscalate, Value: alertID, Style: "danger"},
	)
	var m map[string]any
	roundTrip(t, c, &m)
	m["type"], m["ts"], m["bot_id"], m["app_id"] = "message", msgTS, "B0PICKET", "A0PICKET"
	att := m["attachments"].([]any)[0].(map[string]any)
	att["id"], att["fallback"] = 1, "[no preview available]"
	att["color"] = strings.TrimPrefix(att["color"].(string), "#")
	return m
}

func roundTrip(t testing.TB, in, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}

// blockActions is a button click on msg in channel.
func blockActions(user, channel, actionID, value string, msg map[string]any) map[string]any {
	ts, _ := msg["ts"].(string)
	return map[string]any{
		"type":       "block_actions",
		"user":       map[string]any{"id": user, "username": strings.ToLower(user), "team_id": "T0EXAMPLE"},
		"api_app_id": "A0PICKET",
		"token":      "legacy-verification-token",
		"container":  map[string]any{"type": "message", "message_ts": ts, "attachment_id": 1, "channel_id": channel, "is_ephemeral": false},
		"trigger_id": trigger,
		"team":       map[string]any{"id": "T0EXAMPLE", "domain": "example"},
		"channel":    map[string]any{"id": channel, "name": "aws-prod"},
		"message":    msg,
		"state":      map[string]any{"values": map[string]any{}},
		"actions": []any{map[string]any{
			"action_id": actionID, "block_id": BlockActions, "value": value, "type": "button",
			"text": map[string]any{"type": "plain_text", "text": "x", "emoji": true}, "action_ts": "1764072180.123456",
		}},
	}
}

// viewSubmission submits the archive modal.
func viewSubmission(user, metadata, reason, note string) map[string]any {
	sel := map[string]any{"type": "static_select", "selected_option": nil}
	if reason != "" {
		sel["selected_option"] = map[string]any{"text": map[string]any{"type": "plain_text", "text": reason}, "value": reason}
	}
	return map[string]any{
		"type":       "view_submission",
		"team":       map[string]any{"id": "T0EXAMPLE", "domain": "example"},
		"user":       map[string]any{"id": user, "username": strings.ToLower(user), "team_id": "T0EXAMPLE"},
		"api_app_id": "A0PICKET",
		"trigger_id": trigger,
		"view": map[string]any{
			"id": "V0MODAL", "type": "modal", "callback_id": CallbackArchive, "private_metadata": metadata,
			"hash": "1764072200.abcdef",
			"state": map[string]any{"values": map[string]any{
				blockReason: map[string]any{fieldReason: sel},
				blockNote:   map[string]any{fieldNote: map[string]any{"type": "plain_text_input", "value": note}},
			}},
		},
	}
}

// fakeService keeps alerts in memory and records every call.
type fakeService struct {
	mu       sync.Mutex
	alerts   map[string]alert.Alert
	pending  map[string]bool
	security map[string]bool // actors whose archive is immediate
	calls    []string
	delay    time.Duration // before answering Alert
}

func newFakeService() *fakeService {
	return &fakeService{
		alerts:   map[string]alert.Alert{alertID: testAlert()},
		pending:  map[string]bool{},
		security: map[string]bool{"slack:" + userSec: true},
	}
}

func (s *fakeService) record(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, fmt.Sprintf(format, args...))
}

func (s *fakeService) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func (s *fakeService) get(id string) (alert.Alert, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.alerts[id]
	if !ok {
		return a, fmt.Errorf("alert %s: %w", id, store.ErrNotFound)
	}
	return a, nil
}

func (s *fakeService) apply(id string, act alert.Action) (alert.Alert, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.alerts[id]
	if !ok {
		return a, fmt.Errorf("alert %s: %w", id, store.ErrNotFound)
	}
	if _, err := alert.Apply(&a, act); err != nil {
		return a, err
	}
	s.alerts[id] = a
	return a, nil
}

func (s *fakeService) Alert(ctx context.Context, id string) (alert.Alert, error) {
	s.record("Alert %s", id)
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	return s.get(id)
}

func (s *fakeService) Act(ctx context.Context, id string, act alert.Action) (alert.Alert, error) {
	s.record("Act %s %s %s %s", id, act.Kind, act.Actor, act.At.Format(time.RFC3339))
	return s.apply(id, act)
}

func (s *fakeService) RequestArchive(ctx context.Context, id, actor string, reason alert.Reason, note string) (alert.Alert, error) {
	s.record("RequestArchive %s %s %s %q", id, actor, reason, note)
	if s.security[actor] {
		return s.apply(id, alert.Action{Kind: alert.Archive, Actor: actor, Reason: reason, Note: note, At: t0})
	}
	a, err := s.get(id)
	if err != nil {
		return a, err
	}
	if !a.State.Open() {
		return a, fmt.Errorf("%w: cannot archive alert %s (%s): it is closed", alert.ErrIllegal, id, a.State)
	}
	s.mu.Lock()
	s.pending[id] = true
	s.mu.Unlock()
	return a, nil
}

func (s *fakeService) Object(ctx context.Context, id, actor string) (alert.Alert, error) {
	s.record("Object %s %s", id, actor)
	a, err := s.get(id)
	if err != nil {
		return a, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.pending[id] {
		return a, fmt.Errorf("%w: no archive of alert %s is pending", alert.ErrIllegal, id)
	}
	delete(s.pending, id)
	return a, nil
}

func (s *fakeService) OpenAlerts(ctx context.Context, channels []string, limit int) ([]alert.Alert, error) {
	s.record("OpenAlerts %s %d", strings.Join(channels, ","), limit)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []alert.Alert
	for _, a := range s.alerts {
		if a.State.Open() && slices.Contains(channels, s.channelOf(a)) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y alert.Alert) int { return strings.Compare(x.ID, y.ID) })
	return out[:min(limit, len(out))], nil
}

func (s *fakeService) channelOf(a alert.Alert) string {
	if a.Route == "account:111122223333" {
		return devChan
	}
	return ""
}

func (s *fakeService) ChannelOf(a alert.Alert) string  { return s.channelOf(a) }
func (s *fakeService) RunbookURL(a alert.Alert) string { return runbook }

// apiRequest is one request to the fake Slack.
type apiRequest struct {
	HTTPMethod string
	Path       string
	Method     string // the Web API method: chat.update, …
	Header     http.Header
	Body       []byte
}

// JSON returns the request's JSON body, indented for a golden file.
func (r apiRequest) Form(t testing.TB) url.Values {
	t.Helper()
	v, err := url.ParseQuery(string(r.Body))
	if err != nil {
		t.Fatalf("%s: body is not a form: %v", r.Method, err)
	}
	return v
}

// fakeSlack answers Slack's Web API as Slack does and records the
// requests.
type fakeSlack struct {
	members   map[string][][]string // channel → pages of members
	userChans map[string][]string
	fail      map[string]string // method → error code answered

	mu   sync.Mutex
	reqs []apiRequest
}

func newFakeSlack() *fakeSlack {
	return &fakeSlack{
		members: map[string][][]string{
			devChan: {{userDev, "U0BOT"}},
			secChan: {{"U0SEC1", "U0SEC2"}, {userSec}},
		},
		userChans: map[string][]string{
			userDev: {devChan, "C0RANDOM"},
		},
	}
}

func (f *fakeSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := apiRequest{HTTPMethod: r.Method, Path: r.URL.Path, Method: path.Base(r.URL.Path), Header: r.Header.Clone(), Body: body}
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	reply := func(v any) { _ = json.NewEncoder(w).Encode(v) }
	form, _ := url.ParseQuery(string(body))
	if code, ok := f.fail[req.Method]; ok {
		reply(map[string]any{"ok": false, "error": code})
		return
	}
	switch req.Method {
	case "conversations.members":
		pages, ok := f.members[form.Get("channel")]
		if !ok {
			reply(map[string]any{"ok": false, "error": "channel_not_found"})
			return
		}
		i := 0
		if c := form.Get("cursor"); c != "" {
			i, _ = strconv.Atoi(strings.TrimPrefix(c, "page:"))
		}
		next := ""
		if i+1 < len(pages) {
			next = fmt.Sprintf("page:%d", i+1)
		}
		reply(map[string]any{"ok": true, "members": pages[i], "response_metadata": map[string]any{"next_cursor": next}})
	case "users.conversations":
		var chans []any
		for _, c := range f.userChans[form.Get("user")] {
			chans = append(chans, map[string]any{"id": c, "name": strings.ToLower(c), "is_channel": true})
		}
		reply(map[string]any{"ok": true, "channels": chans, "response_metadata": map[string]any{"next_cursor": ""}})
	case "chat.getPermalink":
		reply(map[string]any{"ok": true, "channel": form.Get("channel"),
			"permalink": permBase + form.Get("channel") + "/p" + strings.ReplaceAll(form.Get("message_ts"), ".", "")})
	case "chat.postMessage":
		var m struct{ Channel string }
		_ = json.Unmarshal(body, &m)
		reply(map[string]any{"ok": true, "channel": m.Channel, "ts": reqTS, "message": map[string]any{"type": "message", "ts": reqTS}})
	case "chat.update":
		var m struct{ Channel, TS string }
		_ = json.Unmarshal(body, &m)
		reply(map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "text": "x"})
	case "chat.postEphemeral":
		reply(map[string]any{"ok": true, "message_ts": "1764072181.000300"})
	case "views.open":
		reply(map[string]any{"ok": true, "view": map[string]any{"id": "V0MODAL"}})
	case "response":
		_, _ = io.WriteString(w, "ok")
	default:
		w.WriteHeader(http.StatusNotFound)
		reply(map[string]any{"ok": false, "error": "unknown_method"})
	}
}

func (f *fakeSlack) Requests() []apiRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

func (f *fakeSlack) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = nil
}

// Methods lists the Web API methods called, in order.
func (f *fakeSlack) Methods() []string {
	var ms []string
	for _, r := range f.Requests() {
		ms = append(ms, r.Method)
	}
	return ms
}

// Only returns the requests to one method.
func (f *fakeSlack) Only(method string) []apiRequest {
	var out []apiRequest
	for _, r := range f.Requests() {
		if r.Method == method {
			out = append(out, r)
		}
	}
	return out
}

// jsonMethods take JSON bodies; the others forms.
var jsonMethods = map[string]bool{"chat.update": true, "chat.postMessage": true, "chat.postEphemeral": true, "views.open": true}

// checkAPI checks every request is what Slack's Web API expects: POST to
// /api/<method> (prefix as configured) with the bot token in the
// Authorization header only, JSON for the write methods and a form for
// the read methods.
func checkAPI(t testing.TB, prefix string, reqs []apiRequest) {
	t.Helper()
	for _, r := range reqs {
		if r.Method == "response" {
			continue
		}
		if r.HTTPMethod != http.MethodPost || r.Path != prefix+r.Method {
			t.Errorf("%s %s: want POST %s%s", r.HTTPMethod, r.Path, prefix, r.Method)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+botToken {
			t.Errorf("%s: Authorization %q, want the bot token", r.Method, got)
		}
		if bytes.Contains(r.Body, []byte(botToken)) || bytes.Contains(r.Body, []byte(secret)) {
			t.Errorf("%s: a secret is in the body", r.Method)
		}
		ct := r.Header.Get("Content-Type")
		if jsonMethods[r.Method] {
			if ct != "application/json; charset=utf-8" || !json.Valid(r.Body) {
				t.Errorf("%s: Content-Type %q, body valid JSON %v; want JSON", r.Method, ct, json.Valid(r.Body))
			}
		} else if ct != "application/x-www-form-urlencoded" {
			t.Errorf("%s: Content-Type %q, want a form", r.Method, ct)
		}
	}
}

// clock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// lockedBuffer collects the log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// harness is a bot with a fake service and a fake Slack.
type harness struct {
	t     *testing.T
	bot   *Bot
	svc   *fakeService
	slack *fakeSlack
	srv   *httptest.Server
	mux   *http.ServeMux
	clock *testClock
	log   *lockedBuffer
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, svc: newFakeService(), slack: newFakeSlack(), clock: &testClock{t: t0}, log: &lockedBuffer{}, mux: http.NewServeMux()}
	h.srv = httptest.NewServer(h.slack)
	t.Cleanup(h.srv.Close)
	log := slog.New(slog.NewJSONHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	bot, err := New(Config{
		SigningSecret: secret, BotToken: botToken, SecurityChannel: secChan, OnDutyGroup: group,
		APIURL: h.srv.URL + "/api/",
	}, h.svc, log, h.clock.Now, h.srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	h.bot = bot
	bot.Register(h.mux)
	t.Cleanup(func() {
		bot.Wait()
		checkAPI(t, "/api/", h.slack.Requests())
		logs := h.log.String()
		for _, s := range []string{secret, botToken, "Credentials for instance role", "legacy-verification-token", trigger} {
			if strings.Contains(logs, s) {
				t.Errorf("the log contains %q:\n%s", s, logs)
			}
		}
	})
	return h
}

// signed builds a request signed as Slack signs it, at the clock's time.
func (h *harness) signed(path, body string) *http.Request {
	ts := strconv.FormatInt(h.clock.Now().Unix(), 10)
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set(headerTimestamp, ts)
	r.Header.Set(headerSignature, Sign([]byte(secret), ts, []byte(body)))
	return r
}

// serve answers r and waits for the background work.
func (h *harness) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.mux.ServeHTTP(w, r)
	h.bot.Wait()
	return w
}

// interact posts a signed interaction payload.
func (h *harness) interact(payload any) *httptest.ResponseRecorder {
	h.t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.serve(h.signed(PathInteractive, url.Values{"payload": {string(b)}}.Encode()))
}

// command posts a signed /picket command.
func (h *harness) command(user, text string) *httptest.ResponseRecorder {
	h.t.Helper()
	form := url.Values{
		"token": {"legacy-verification-token"}, "team_id": {"T0EXAMPLE"}, "team_domain": {"example"},
		"channel_id": {devChan}, "channel_name": {"aws-prod"}, "user_id": {user}, "user_name": {strings.ToLower(user)},
		"command": {"/picket"}, "text": {text}, "api_app_id": {"A0PICKET"},
		"response_url": {h.srv.URL + "/commands/T0EXAMPLE/1234/response"}, "trigger_id": {trigger},
	}
	return h.serve(h.signed(PathCommands, form.Encode()))
}

// reset forgets the calls and requests so far.
func (h *harness) reset() {
	h.slack.Reset()
	h.svc.mu.Lock()
	h.svc.calls = nil
	h.svc.mu.Unlock()
}

// wantCalls checks the service calls so far.
func (h *harness) wantCalls(want ...string) {
	h.t.Helper()
	got := h.svc.Calls()
	if !slices.Equal(got, want) {
		h.t.Errorf("service calls:\n got %q\nwant %q", got, want)
	}
}

func (h *harness) wantMethods(want ...string) {
	h.t.Helper()
	if got := h.slack.Methods(); !slices.Equal(got, want) {
		h.t.Errorf("Slack calls:\n got %q\nwant %q", got, want)
	}
}

func wantEmpty200(t testing.TB, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("answer %d %q, want an empty 200", w.Code, w.Body.String())
	}
}

// stamp is the ephemeral body for a golden file.
func golden(t testing.TB, name string, body []byte) {
	t.Helper()
	notifytest.Golden(t, name+".golden.json", body)
}

package slack

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/notify"
	"github.com/picket-dev/picket/internal/notify/notifytest"
	"github.com/picket-dev/picket/internal/testutil"
)

var t0 = notifytest.T0

const (
	token    = "xoxb-1111-2222-test-token"
	channel  = "C0123ABCD"
	threadTS = notifytest.Thread
	hookPath = "/services/T0000/B0000/s3cr3tHookPart"
)

var cases = []struct {
	name string
	msg  func() notify.Message
}{
	{"high", notifytest.High},
	{"repeat", notifytest.Repeat},
	{"severity-increase", notifytest.SeverityIncrease},
	{"sample", notifytest.Sample},
	{"evil", notifytest.Evil},
}

// slackOK answers as Slack's Web API does on success.
func slackOK(w http.ResponseWriter, r notifytest.Request) {
	notifytest.Reply(w, 200, `{"ok":true,"channel":"`+channel+`","ts":"1764072000.000100","message":{"type":"message","text":"x","ts":"1764072000.000100"}}`,
		"Content-Type", "application/json; charset=utf-8")
}

func hookOK(w http.ResponseWriter, r notifytest.Request) {
	notifytest.Reply(w, 200, "ok", "Content-Type", "text/html")
}

func newNotifier() *Notifier {
	n := New(nil)
	n.now = func() time.Time { return t0 }
	return n
}

func botTarget(srv *notifytest.Server) notify.Target {
	return notify.Target{Kind: "slack", Channel: channel, Name: "aws-prod", Token: token, URL: srv.URL + "/api/"}
}

func hookTarget(srv *notifytest.Server) notify.Target {
	return notify.Target{Kind: "slack", Name: "aws-prod", URL: srv.URL + hookPath}
}

func TestGoldenWebhook(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := notifytest.NewServer(t, hookOK)
			res, err := newNotifier().Send(context.Background(), hookTarget(srv), tc.msg())
			if err != nil {
				t.Fatal(err)
			}
			if res.Thread != "" {
				t.Errorf("webhook returned thread %q; webhooks cannot thread", res.Thread)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodPost || r.Path != hookPath {
				t.Errorf("request %s %s, want POST %s", r.Method, r.Path, hookPath)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if a := r.Header.Get("Authorization"); a != "" {
				t.Errorf("webhook sent Authorization %q", a)
			}
			checkSafe(t, r.Body)
			notifytest.Golden(t, tc.name+".webhook.golden.json", r.Body)
		})
	}
}

func TestGoldenBot(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := notifytest.NewServer(t, slackOK)
			m := tc.msg()
			res, err := newNotifier().Send(context.Background(), botTarget(srv), m)
			if err != nil {
				t.Fatal(err)
			}
			if res.Thread != threadTS {
				t.Errorf("Result.Thread = %q, want %q", res.Thread, threadTS)
			}
			reqs := srv.Requests()
			want := []string{"/api/chat.postMessage"}
			if m.Thread != "" {
				want = []string{"/api/chat.update", "/api/chat.postMessage"}
			}
			if len(reqs) != len(want) {
				t.Fatalf("%d requests, want %v", len(reqs), want)
			}
			for i, r := range reqs {
				checkAPIRequest(t, r, want[i])
				checkSafe(t, r.Body)
				notifytest.Golden(t, tc.name+"."+strings.TrimPrefix(want[i], "/api/")+".golden.json", r.Body)
			}
		})
	}
}

// checkAPIRequest checks what Slack's Web API requires of a JSON call.
func checkAPIRequest(t *testing.T, r notifytest.Request, path string) {
	t.Helper()
	if r.Method != http.MethodPost || r.Path != path {
		t.Errorf("request %s %s, want POST %s", r.Method, r.Path, path)
	}
	if a := r.Header.Get("Authorization"); a != "Bearer "+token {
		t.Errorf("Authorization %q", a)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
}

// TestThreading checks the body fields that decide where each message
// goes.
func TestThreading(t *testing.T) {
	type call struct {
		path      string
		ts        string // chat.update
		threadTS  string
		broadcast bool
	}
	for _, tc := range []struct {
		name  string
		msg   notify.Message
		calls []call
	}{
		{"first message", notifytest.High(), []call{{path: "/api/chat.postMessage"}}},
		{"repeat: update, reply in thread", notifytest.Repeat(), []call{
			{path: "/api/chat.update", ts: threadTS},
			{path: "/api/chat.postMessage", threadTS: threadTS},
		}},
		{"severity increase: update, broadcast reply", notifytest.SeverityIncrease(), []call{
			{path: "/api/chat.update", ts: threadTS},
			{path: "/api/chat.postMessage", threadTS: threadTS, broadcast: true},
		}},
		{"same incident from another producer: reply only, the first left alone", func() notify.Message {
			m := notifytest.High()
			m.Reason, m.Thread = notify.ReasonCorrelated, threadTS
			return m
		}(), []call{{path: "/api/chat.postMessage", threadTS: threadTS}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := notifytest.NewServer(t, slackOK)
			if _, err := newNotifier().Send(context.Background(), botTarget(srv), tc.msg); err != nil {
				t.Fatal(err)
			}
			reqs := srv.Requests()
			if len(reqs) != len(tc.calls) {
				t.Fatalf("%d requests, want %d", len(reqs), len(tc.calls))
			}
			for i, c := range tc.calls {
				var body struct {
					Channel        string `json:"channel"`
					TS             string `json:"ts"`
					ThreadTS       string `json:"thread_ts"`
					ReplyBroadcast bool   `json:"reply_broadcast"`
					Text           string `json:"text"`
					UnfurlLinks    *bool  `json:"unfurl_links"`
				}
				if err := json.Unmarshal(reqs[i].Body, &body); err != nil {
					t.Fatal(err)
				}
				checkAPIRequest(t, reqs[i], c.path)
				got := call{path: reqs[i].Path, ts: body.TS, threadTS: body.ThreadTS, broadcast: body.ReplyBroadcast}
				if got != c {
					t.Errorf("call %d = %+v, want %+v", i, got, c)
				}
				if body.Channel != channel || body.Text == "" {
					t.Errorf("call %d: channel %q, text %q", i, body.Channel, body.Text)
				}
				if c.path == "/api/chat.postMessage" && (body.UnfurlLinks == nil || *body.UnfurlLinks) {
					t.Errorf("call %d: unfurl_links not false", i)
				}
			}
		})
	}
}

func TestButtonsHook(t *testing.T) {
	srv := notifytest.NewServer(t, slackOK)
	n := newNotifier()
	n.Buttons = func(m notify.Message) []Button {
		return []Button{{Label: "Acknowledge", ActionID: ActionAck, Value: m.Finding.ID, Style: "primary"}}
	}
	m := notifytest.Repeat()
	if _, err := n.Send(context.Background(), botTarget(srv), m); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	ack := `{"type":"button","text":{"type":"plain_text","text":"Acknowledge"},"action_id":"picket_ack","value":"` + m.Finding.ID + `","style":"primary"}`
	if !strings.Contains(string(reqs[0].Body), ack) {
		t.Errorf("chat.update lacks the hook's button %s:\n%s", ack, reqs[0].Body)
	}
	if strings.Contains(string(reqs[1].Body), "picket_ack") {
		t.Errorf("the repeat reply has buttons:\n%s", reqs[1].Body)
	}
}

func TestRender(t *testing.T) {
	m := notifytest.High()
	c := Render(m)
	if got := c.Blocks[0].Text.Text; got != "High: UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS" {
		t.Errorf("header %q", got)
	}
	acts := c.Attachments[0].Blocks[len(c.Attachments[0].Blocks)-1]
	if acts.Type != "actions" || len(acts.Elements) != 2 {
		t.Fatalf("last block %+v, want the two link buttons", acts)
	}
	for i, want := range []Button{
		{Label: "Open in console", ActionID: ActionOpenConsole, Value: m.Finding.ID, URL: m.ConsoleURL},
		{Label: "Runbook", ActionID: ActionRunbook, Value: m.Finding.ID, URL: m.RunbookURL},
	} {
		if acts.Elements[i] != want {
			t.Errorf("button %d = %+v, want %+v", i, acts.Elements[i], want)
		}
	}

	m.ConsoleURL, m.RunbookURL = "", ""
	for _, b := range Render(m).Attachments[0].Blocks {
		if b.Type == "actions" {
			t.Errorf("actions block without links: %+v", b)
		}
	}

	s := notifytest.Sample()
	if h := Render(s).Blocks[0].Text.Text; !strings.HasPrefix(h, "SAMPLE ") {
		t.Errorf("sample header %q", h)
	}

	for _, tc := range []struct {
		grouped int
		want    string
	}{{0, ""}, {1, "+1 more finding like this"}, {5, "+5 more findings like this"}} {
		m := notifytest.High()
		m.Grouped = tc.grouped
		got := contextTexts(Render(m))
		if has := strings.Contains(got, "more finding"); has != (tc.want != "") || !strings.Contains(got, tc.want) {
			t.Errorf("grouped %d: context %q, want %q", tc.grouped, got, tc.want)
		}
	}
}

func contextTexts(c Content) string {
	var s []string
	for _, b := range c.Attachments[0].Blocks {
		if b.Type == "context" {
			for _, e := range b.Elements {
				s = append(s, e.(Text).Text)
			}
		}
	}
	return strings.Join(s, "|")
}

func TestColour(t *testing.T) {
	for _, tc := range []struct {
		sev  float64
		want string
	}{{2, "#1976D2"}, {5, "#F57C00"}, {8, "#D32F2F"}, {9.5, "#7B1FA2"}} {
		m := notifytest.High()
		m.Finding.Severity = tc.sev
		if got := Render(m).Attachments[0].Color; got != tc.want {
			t.Errorf("severity %.1f: colour %s, want %s", tc.sev, got, tc.want)
		}
	}
}

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"<!channel>", "&lt;!channel&gt;"},
		{"a & b", "a &amp; b"},
		{"&amp;", "&amp;amp;"},
		{"<http://evil|x>", "&lt;http://evil|x&gt;"},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"line\nbreak", `line\nbreak`},
		{"rtl\u202eevil", `rtl\u202eevil`},
		{"<b>", "&lt;b&gt;"},
	} {
		if got := oneLine(tc.in); got != tc.want {
			t.Errorf("oneLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCut(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcdef", 4, "abc…"},
		{"ab&amp;cd", 6, "ab…"},      // never half an entity
		{"ab&amp;cd", 8, "ab&amp;…"}, // a whole one stays
		{"héllo wörld", 6, "héllo…"}, // runes, not bytes
		{"a😀b😀c", 4, "a😀…"},          // an emoji is two UTF-16 units
		{"a😀b😀c", 3, "a…"},
		{strings.Repeat("x", 10), 10, strings.Repeat("x", 10)},
	} {
		if got := cut(tc.in, tc.max); got != tc.want {
			t.Errorf("cut(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func TestLimits(t *testing.T) {
	m := notifytest.High()
	m.Finding.Type = strings.Repeat("T", 400)
	m.Finding.Title = strings.Repeat("<title>", 1000)
	m.Finding.Description = strings.Repeat("d&", 4000)
	m.Finding.Keys.Resource = strings.Repeat("r", 5000)
	m.Finding.Resource.AccessKeyDetails = nil
	m.Finding.Service.Action.AwsAPICallAction.UserAgent = strings.Repeat("u", 5000)
	m.RunbookURL = "https://wiki.example.com/" + strings.Repeat("p", 3000)
	body, err := json.Marshal(Render(m))
	if err != nil {
		t.Fatal(err)
	}
	checkLimits(t, body)
	if strings.Contains(string(body), "picket_runbook") {
		t.Error("a runbook URL over 3000 characters made a button")
	}
}

// TestSharedGuardDutyFindings renders real GuardDuty findings (Panther's
// rule test logs) and checks Slack's limits and escaping hold.
func TestSharedGuardDutyFindings(t *testing.T) {
	path := testutil.SharedData(t, "panther-rule-tests", "tests_AWS_GuardDuty.jsonl")
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var tc struct {
			Log json.RawMessage `json:"log"`
		}
		if err := json.Unmarshal(sc.Bytes(), &tc); err != nil {
			t.Fatal(err)
		}
		var f finding.Finding
		if err := json.Unmarshal(tc.Log, &f); err != nil || f.Type == "" {
			continue // not a finding shape this test is about
		}
		body, err := json.Marshal(Render(notifytest.Message(f)))
		if err != nil {
			t.Fatal(err)
		}
		checkLimits(t, body)
		checkSafe(t, body)
		if !strings.Contains(string(body), Escape(f.Type)) {
			t.Errorf("%s: type missing from message", f.ID)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no GuardDuty finding read")
	}
}

// walk calls fn on every text object (a map with a "text" string) in a
// decoded message, with the type of the block holding it, and on the
// message's fallback text (typ "fallback").
func walk(v any, block string, fn func(block, typ, text string)) {
	switch v := v.(type) {
	case map[string]any:
		if t, ok := v["type"].(string); ok && v["elements"] == nil && v["fields"] == nil {
			if s, ok := v["text"].(string); ok {
				fn(block, t, s)
			}
		}
		if t, ok := v["type"].(string); ok && (v["block_id"] != nil || v["elements"] != nil || v["fields"] != nil || t == "header" || t == "section") {
			block = t
		}
		for k, x := range v {
			if s, ok := x.(string); ok && k == "text" && block == "" && v["type"] == nil {
				fn(block, "fallback", s) // the message's own text
			}
			walk(x, block, fn)
		}
	case []any:
		for _, x := range v {
			walk(x, block, fn)
		}
	}
}

// checkSafe fails if any text in body could make a link or a mention:
// every <, > and & must be escaped.
func checkSafe(t *testing.T, body []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	walk(v, "", func(_, _, s string) {
		if strings.ContainsAny(s, "<>") {
			t.Errorf("unescaped < or > in %q", s)
		}
		rest := s
		for {
			i := strings.IndexByte(rest, '&')
			if i < 0 {
				break
			}
			rest = rest[i:]
			if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
				t.Errorf("bare & in %q", s)
				break
			}
			rest = rest[1:]
		}
	})
}

// checkLimits fails if a text exceeds Slack's limit for its place.
func checkLimits(t *testing.T, body []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	walk(v, "", func(block, typ, s string) {
		// Slack's documented limits, spelled out so that a wrong constant
		// in the code cannot hide here.
		max := 3000
		switch {
		case typ == "fallback":
			max = 4000
		case block == "header":
			max = 150
		case block == "actions":
			max = 75
		}
		if n := utf16Len(s); n > max || n == 0 {
			t.Errorf("%s %s text of %d characters (limit %d)", block, typ, n, max)
		}
	})
}

func TestErrors(t *testing.T) {
	json429 := `{"ok":false,"error":"ratelimited"}`
	for _, tc := range []struct {
		name   string
		status int
		body   string
		header []string
		want   notifytest.Class
		code   string // the APIError code, for ok:false
	}{
		{"429 with Retry-After", 429, json429, []string{"Retry-After", "30"}, notifytest.Class{Retryable: true, RetryAfter: 30 * time.Second, Status: 429}, ""},
		{"429 without Retry-After", 429, "", nil, notifytest.Class{Retryable: true, Status: 429}, ""},
		{"500", 500, "", nil, notifytest.Class{Retryable: true, Status: 500}, ""},
		{"503 with Retry-After", 503, "", []string{"Retry-After", "7"}, notifytest.Class{Retryable: true, RetryAfter: 7 * time.Second, Status: 503}, ""},
		{"400", 400, "invalid_payload", nil, notifytest.Class{Status: 400}, ""},
		{"403", 403, "", nil, notifytest.Class{Status: 403}, ""},
		{"404", 404, "", nil, notifytest.Class{Status: 404}, ""},
		{"ok:false ratelimited", 200, json429, []string{"Retry-After", "12"}, notifytest.Class{Retryable: true, RetryAfter: 12 * time.Second}, "ratelimited"},
		{"ok:false internal_error", 200, `{"ok":false,"error":"internal_error"}`, nil, notifytest.Class{Retryable: true}, "internal_error"},
		{"ok:false invalid_auth", 200, `{"ok":false,"error":"invalid_auth"}`, nil, notifytest.Class{}, "invalid_auth"},
		{"ok:false channel_not_found", 200, `{"ok":false,"error":"channel_not_found"}`, nil, notifytest.Class{}, "channel_not_found"},
		{"ok:false not_in_channel", 200, `{"ok":false,"error":"not_in_channel"}`, nil, notifytest.Class{}, "not_in_channel"},
		{"ok:false invalid_blocks", 200, `{"ok":false,"error":"invalid_blocks"}`, nil, notifytest.Class{}, "invalid_blocks"},
		{"200 with HTML", 200, "<html>gateway</html>", nil, notifytest.Class{Retryable: true}, ""},
		{"400 echoing the token", 400, "bad token " + token, nil, notifytest.Class{Status: 400}, ""},
		{"302", 302, "", []string{"Location", "/elsewhere"}, notifytest.Class{Status: 302}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := notifytest.NewServer(t, func(w http.ResponseWriter, r notifytest.Request) {
				notifytest.Reply(w, tc.status, tc.body, tc.header...)
			})
			tg := botTarget(srv)
			_, err := newNotifier().Send(context.Background(), tg, notifytest.High())
			notifytest.CheckError(t, err, tc.want, token, tg.URL)
			var ae *APIError
			if errors.As(err, &ae) != (tc.code != "") || ae != nil && ae.Code != tc.code {
				t.Errorf("APIError %v, want code %q", ae, tc.code)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests, want 1 (no redirect followed, no retry)", n)
			}
		})
	}
}

func TestWebhookErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		header []string
		want   notifytest.Class
	}{
		{"429 with Retry-After", 429, "rate_limited", []string{"Retry-After", "60"}, notifytest.Class{Retryable: true, RetryAfter: time.Minute, Status: 429}},
		{"500 rollup_error", 500, "rollup_error", nil, notifytest.Class{Retryable: true, Status: 500}},
		{"400 invalid_payload", 400, "invalid_payload", nil, notifytest.Class{Status: 400}},
		{"403 action_prohibited", 403, "action_prohibited", nil, notifytest.Class{Status: 403}},
		{"404 channel_not_found", 404, "channel_not_found", nil, notifytest.Class{Status: 404}},
		{"410 channel_is_archived", 410, "channel_is_archived", nil, notifytest.Class{Status: 410}},
		{"404 echoing the URL", 404, "no such hook " + hookPath, nil, notifytest.Class{Status: 404}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := notifytest.NewServer(t, func(w http.ResponseWriter, r notifytest.Request) {
				notifytest.Reply(w, tc.status, tc.body, tc.header...)
			})
			tg := hookTarget(srv)
			_, err := newNotifier().Send(context.Background(), tg, notifytest.High())
			notifytest.CheckError(t, err, tc.want, tg.URL, hookPath)
			if tc.status != 404 || tc.body == "channel_not_found" {
				if !strings.Contains(err.Error(), tc.body) {
					t.Errorf("error %q lacks Slack's code %q", err, tc.body)
				}
			}
		})
	}
}

func TestNetworkError(t *testing.T) {
	srv := notifytest.NewServer(t, nil)
	bot, hook := botTarget(srv), hookTarget(srv)
	srv.Close()
	for _, tg := range []notify.Target{bot, hook} {
		_, err := newNotifier().Send(context.Background(), tg, notifytest.High())
		notifytest.CheckError(t, err, notifytest.Class{Retryable: true}, token, tg.URL, hookPath)
	}
}

func TestContextCanceled(t *testing.T) {
	srv := notifytest.NewServer(t, slackOK)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newNotifier().Send(ctx, botTarget(srv), notifytest.High())
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent with a canceled context", n)
	}
}

func TestUpdateFailure(t *testing.T) {
	for _, tc := range []struct {
		name      string
		update    string // chat.update's answer body
		status    int
		wantErr   bool
		wantCalls int
	}{
		{"original deleted: reply anyway", `{"ok":false,"error":"message_not_found"}`, 200, false, 2},
		{"edit window closed: reply anyway", `{"ok":false,"error":"edit_window_closed"}`, 200, false, 2},
		{"server error: retry before replying", ``, 500, true, 1},
		{"not in channel: fail", `{"ok":false,"error":"not_in_channel"}`, 200, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := notifytest.NewServer(t, func(w http.ResponseWriter, r notifytest.Request) {
				if r.Path == "/api/chat.update" {
					notifytest.Reply(w, tc.status, tc.update)
					return
				}
				slackOK(w, r)
			})
			_, err := newNotifier().Send(context.Background(), botTarget(srv), notifytest.Repeat())
			if (err != nil) != tc.wantErr {
				t.Errorf("error %v, want error %v", err, tc.wantErr)
			}
			if n := len(srv.Requests()); n != tc.wantCalls {
				t.Errorf("%d requests, want %d", n, tc.wantCalls)
			}
		})
	}
}

func TestBadTargets(t *testing.T) {
	for _, tc := range []struct {
		name string
		t    notify.Target
	}{
		{"nothing", notify.Target{Kind: "slack"}},
		{"token without channel", notify.Target{Kind: "slack", Token: token}},
		{"relative webhook URL", notify.Target{Kind: "slack", URL: "hooks.slack.com/services/x"}},
		{"unparsable webhook URL", notify.Target{Kind: "slack", URL: "https://hooks.slack.com/\x7f" + hookPath}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newNotifier().Send(context.Background(), tc.t, notifytest.High())
			notifytest.CheckError(t, err, notifytest.Class{}, token, hookPath)
		})
	}
}

func TestDefaultAPIURL(t *testing.T) {
	// The real API base must keep /api/: a request to /chat.postMessage
	// at slack.com would fail.
	if DefaultAPIURL != "https://slack.com/api/" {
		t.Errorf("DefaultAPIURL = %q", DefaultAPIURL)
	}
	srv := notifytest.NewServer(t, slackOK)
	tg := botTarget(srv)
	tg.URL = srv.URL + "/api" // without the trailing slash
	if _, err := newNotifier().Send(context.Background(), tg, notifytest.High()); err != nil {
		t.Fatal(err)
	}
	if p := srv.Requests()[0].Path; p != "/api/chat.postMessage" {
		t.Errorf("path %q", p)
	}
}

func TestRenderDigest(t *testing.T) {
	m := notify.Message{Reason: notify.ReasonDigest, Digest: []notify.DigestItem{
		{AlertID: "a", Type: "Recon:EC2/PortProbeUnprotectedPort", Title: "probe", Severity: 2, Account: "111122223333", State: "notified"},
		{AlertID: "b", Type: "Backdoor:EC2/C&CActivity.B", Title: "<!channel> c2", Severity: 8, Account: "111122223333", State: "new", PastSLA: true},
	}}
	c := RenderDigest(m)
	b, _ := json.Marshal(c)
	s := string(b)
	if c.Text != "Open alerts: 2 (1 past their SLA)" || !strings.Contains(s, `\u0026lt;!channel\u0026gt;`) || strings.Index(s, "Backdoor") > strings.Index(s, "Recon") {
		t.Errorf("digest %s", s)
	}
}

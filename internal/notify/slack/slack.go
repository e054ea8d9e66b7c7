// Package slack sends findings to Slack as Block Kit messages, through an
// incoming webhook or a bot token (chat.postMessage).
//
// Delivery by bot token threads a finding's history: the first message is
// posted to the channel and its ts returned as Result.Thread. Later
// messages (Message.Thread set) first rewrite that message (chat.update)
// with the current count, last seen and severity, then reply in its
// thread:
//
//   - repeat: a short reply, in the thread only, so a noisy finding does
//     not flood the channel;
//   - severity-increase (and any other reason): the full message as a
//     reply with reply_broadcast, so it also shows in the channel where
//     people will notice the escalation, while the finding's whole
//     history stays in one thread rather than in a second, unrelated
//     top-level message.
//
// Incoming webhooks cannot thread or edit (they return no ts), so every
// message through a webhook is a full top-level message.
//
// Errors are *notify.Error, classified for the dispatcher's retries:
//
//	HTTP 429                                  retryable, RetryAfter from Retry-After
//	HTTP 408, 5xx, network errors             retryable
//	HTTP 3xx (not followed), other 4xx        permanent (invalid_payload, channel_not_found, …)
//	ok:false ratelimited                      retryable, RetryAfter from Retry-After
//	ok:false internal_error, fatal_error,
//	  service_unavailable, request_timeout    retryable
//	ok:false anything else                    permanent (invalid_auth, channel_not_found,
//	                                          not_in_channel, invalid_blocks, …)
//	HTTP 200 with an unreadable body          retryable
//
// An ok:false answer wraps an *APIError with Slack's error code. No error
// contains the token or the webhook URL.
package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/picket-dev/picket/internal/notify"
	"github.com/picket-dev/picket/internal/notify/internal/notifyhttp"
)

// DefaultAPIURL is the Web API base. Target.URL replaces it for bot token
// delivery (tests, proxies); like slack-go's APIURL it ends in /api/.
const DefaultAPIURL = "https://slack.com/api/"

// Notifier sends to Slack. It is safe for concurrent use.
type Notifier struct {
	// Buttons, when set, adds buttons to every full message and to the
	// rewritten first message: the alert workflow's Acknowledge, Archive
	// and Escalate (ActionAck, ActionArchive, ActionEscalate), with the
	// finding ID as value. Set it before the first Send.
	Buttons func(m notify.Message) []Button

	client *http.Client
	now    func() time.Time
}

// New returns a notifier using httpClient (nil: a client with a 30s
// timeout). Redirects are not followed.
func New(httpClient *http.Client) *Notifier {
	return &Notifier{client: notifyhttp.Client(httpClient), now: time.Now}
}

var _ notify.Notifier = (*Notifier)(nil)

// Send delivers m: by bot token when t.Token is set (t.Channel required,
// t.URL overrides DefaultAPIURL), else to the incoming webhook t.URL.
func (n *Notifier) Send(ctx context.Context, t notify.Target, m notify.Message) (notify.Result, error) {
	if m.Reason == notify.ReasonDigest {
		return n.digest(ctx, t, m)
	}
	if t.Token == "" {
		if t.URL == "" {
			return notify.Result{}, &notify.Error{Err: errors.New("slack: target has neither a bot token nor a webhook URL")}
		}
		return notify.Result{}, n.webhook(ctx, t, m)
	}
	if t.Channel == "" {
		return notify.Result{}, &notify.Error{Err: errors.New("slack: bot token delivery needs a channel ID")}
	}
	if m.Thread == "" {
		ts, err := n.post(ctx, t, postMessage{Channel: t.Channel, Content: Render(m, n.extra(m)...)})
		return notify.Result{Thread: ts}, err
	}

	if m.Reason == notify.ReasonCorrelated || m.Reason == notify.ReasonReminder || m.Reason == notify.ReasonEscalation || m.Reason == notify.ReasonArchiveRequested {
		// Another finding of the same incident: in the thread, leaving the
		// first finding's message as it is.
		if _, err := n.post(ctx, t, postMessage{Channel: t.Channel, ThreadTS: m.Thread, Content: Render(m, n.extra(m)...)}); err != nil {
			return notify.Result{}, err
		}
		return notify.Result{Thread: m.Thread}, nil
	}
	// Rewrite the first message before replying: if the reply then fails
	// and is retried, the update is simply done again, whereas the other
	// order would post the reply twice when only the update failed.
	if err := n.update(ctx, t, m); err != nil {
		return notify.Result{}, err
	}
	msg := postMessage{Channel: t.Channel, ThreadTS: m.Thread}
	if m.Reason == notify.ReasonRepeat {
		msg.Content = renderReply(m)
	} else {
		msg.Content = Render(m, n.extra(m)...)
		msg.ReplyBroadcast = true
	}
	if _, err := n.post(ctx, t, msg); err != nil {
		return notify.Result{}, err
	}
	return notify.Result{Thread: m.Thread}, nil
}

func (n *Notifier) extra(m notify.Message) []Button {
	if n.Buttons == nil {
		return nil
	}
	return n.Buttons(m)
}

// webhookMessage is the incoming webhook body.
type webhookMessage struct {
	Content
	UnfurlLinks bool `json:"unfurl_links"`
	UnfurlMedia bool `json:"unfurl_media"`
}

// postMessage is the chat.postMessage body. Unfurling is off: a link in a
// finding must not make Slack fetch it or preview it.
type postMessage struct {
	Channel string `json:"channel"`
	Content
	ThreadTS       string `json:"thread_ts,omitempty"`
	ReplyBroadcast bool   `json:"reply_broadcast,omitempty"`
	UnfurlLinks    bool   `json:"unfurl_links"`
	UnfurlMedia    bool   `json:"unfurl_media"`
}

// updateMessage is the chat.update body.
type updateMessage struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
	Content
}

func (n *Notifier) webhook(ctx context.Context, t notify.Target, m notify.Message) error {
	body, err := notifyhttp.JSON(webhookMessage{Content: Render(m, n.extra(m)...)})
	if err != nil {
		return &notify.Error{Err: fmt.Errorf("slack webhook: encoding message: %w", err)}
	}
	h := http.Header{"Content-Type": {"application/json"}}
	resp, err := notifyhttp.Post(ctx, n.client, t.URL, h, body, "slack webhook")
	if err != nil {
		return err
	}
	// Errors come as a status and a short code in the body:
	// 400 invalid_payload, 403 action_prohibited, 404 channel_not_found,
	// 410 channel_is_archived, 429 with Retry-After, 500 rollup_error.
	return notifyhttp.StatusError(resp, n.now(), "slack webhook", notifyhttp.URLSecrets(t.URL)...)
}

// post calls chat.postMessage and returns the message's ts.
func (n *Notifier) post(ctx context.Context, t notify.Target, msg postMessage) (string, error) {
	r, err := n.call(ctx, t, "chat.postMessage", msg)
	return r.TS, err
}

// update rewrites the thread's first message. If Slack says the message
// is gone or can no longer be edited, the reply is sent anyway: the
// notification matters more than the edit.
func (n *Notifier) update(ctx context.Context, t notify.Target, m notify.Message) error {
	_, err := n.call(ctx, t, "chat.update", updateMessage{Channel: t.Channel, TS: m.Thread, Content: renderOriginal(m, n.extra(m))})
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.Code {
		case "message_not_found", "cant_update_message", "edit_window_closed":
			return nil
		}
	}
	return err
}

// apiResponse is the part of a Web API answer Picket reads.
type apiResponse struct {
	OK    bool   `json:"ok"`
	Error string `json:"error"`
	TS    string `json:"ts"`
}

// call invokes a Web API method with a JSON body.
func (n *Notifier) call(ctx context.Context, t notify.Target, method string, payload any) (apiResponse, error) {
	var r apiResponse
	what := "slack " + method
	body, err := notifyhttp.JSON(payload)
	if err != nil {
		return r, &notify.Error{Err: fmt.Errorf("%s: encoding message: %w", what, err)}
	}
	base := t.URL
	if base == "" {
		base = DefaultAPIURL
	}
	h := http.Header{
		"Authorization": {"Bearer " + t.Token},
		"Content-Type":  {"application/json; charset=utf-8"},
	}
	resp, err := notifyhttp.Post(ctx, n.client, strings.TrimSuffix(base, "/")+"/"+method, h, body, what)
	if err != nil {
		return r, err
	}
	secrets := []string{t.Token, t.URL}
	if err := notifyhttp.StatusError(resp, n.now(), what, secrets...); err != nil {
		return r, err
	}
	if err := json.Unmarshal(resp.Body, &r); err != nil {
		// A proxy's error page or a truncated answer: worth another try.
		return r, &notify.Error{Retryable: true, Err: fmt.Errorf("%s: unreadable answer %q: %w", what, notifyhttp.Excerpt(resp.Body, secrets...), err)}
	}
	if !r.OK {
		e := &notify.Error{Err: &APIError{Method: method, Code: notifyhttp.Redact(r.Error, secrets...)}}
		switch r.Error {
		case "ratelimited", "rate_limited":
			e.Retryable, e.RetryAfter = true, notifyhttp.RetryAfter(resp.Header, n.now())
		case "internal_error", "fatal_error", "service_unavailable", "request_timeout":
			e.Retryable = true
		}
		return r, e
	}
	return r, nil
}

// APIError is a Web API answer with ok:false.
type APIError struct {
	Method string // chat.postMessage, chat.update
	Code   string // Slack's error code: channel_not_found, invalid_auth, …
}

func (e *APIError) Error() string { return "slack " + e.Method + ": " + e.Code }

// digest posts a channel's daily list of open alerts.
func (n *Notifier) digest(ctx context.Context, t notify.Target, m notify.Message) (notify.Result, error) {
	c := RenderDigest(m)
	if t.Token == "" {
		body, err := notifyhttp.JSON(webhookMessage{Content: c})
		if err != nil {
			return notify.Result{}, &notify.Error{Err: fmt.Errorf("slack webhook: encoding digest: %w", err)}
		}
		resp, err := notifyhttp.Post(ctx, n.client, t.URL, http.Header{"Content-Type": {"application/json"}}, body, "slack webhook")
		if err != nil {
			return notify.Result{}, err
		}
		return notify.Result{}, notifyhttp.StatusError(resp, n.now(), "slack webhook", notifyhttp.URLSecrets(t.URL)...)
	}
	_, err := n.post(ctx, t, postMessage{Channel: t.Channel, Content: c})
	return notify.Result{}, err
}

// Package slackbot is Picket's Slack app: it lets people handle alerts
// from Slack.
//
// The alert messages posted by package notify/slack carry the buttons
// Acknowledge (picket_ack), Archive (picket_archive) and Escalate
// (picket_escalate), whose value is the alert ID. Slack sends their
// clicks, the archive modal's submission and the /picket slash command
// either over HTTPS (ServeHTTP: POST /slack/interactive and POST
// /slack/commands, signed with the app's signing secret) or over Socket
// Mode (RunSocketMode, with an app-level token); both go through the same
// code.
//
//	picket_ack        Service.Act(Acknowledge)
//	picket_escalate   Service.Act(Escalate), then a message to the security
//	                  channel mentioning the on-duty user group
//	picket_archive    views.open: a modal asking for the reason and a note;
//	                  its submission calls Service.RequestArchive. An archive
//	                  the service leaves pending is posted to the security
//	                  channel with an Object button (picket_object →
//	                  Service.Object).
//	picket_runbook,
//	picket_open_console  links: nothing to do
//	/picket status <id> | mine | archive <id> <reason> [text…] | help
//
// Every change rewrites the clicked message (chat.update) with a status
// line ("Acknowledged by @ana at 12:03 UTC") and without the buttons that
// no longer apply. Only members of the channel the alert was routed to or
// of the security channel (conversations.members, cached for five
// minutes) may act; others get an ephemeral refusal and nothing changes.
//
// Slack wants an answer within three seconds, so clicks and submissions
// are acknowledged at once and handled in the background (errors reach
// the user as ephemeral messages); a slash command is answered directly
// when its work takes less than ReplyWithin, else through its
// response_url.
//
// The bot remembers, in memory, the alert messages people clicked (to
// rewrite them after a modal's submission, a slash command or Refresh) and
// the archives it posted as pending. After a restart every click still
// works, but a change that does not come from a click on the message
// itself cannot rewrite it until someone clicks it again.
//
// The bot token needs the scopes chat:write, commands, channels:read and
// groups:read (conversations.members, users.conversations); the bot must
// be in the security channel and in the channels alerts are routed to.
//
// Tokens, the signing secret, signatures and payloads are never logged.
package slackbot

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/picket-dev/picket/internal/alert"
)

// Routes, limits and defaults.
const (
	PathInteractive = "/slack/interactive"
	PathCommands    = "/slack/commands"

	// DefaultAPIURL is Slack's Web API base.
	DefaultAPIURL = "https://slack.com/api/"
	// DefaultMaxSkew bounds |now - X-Slack-Request-Timestamp|; a
	// signature is remembered that long to refuse replays.
	DefaultMaxSkew = 5 * time.Minute
	// MaxBodyBytes limits a request body.
	MaxBodyBytes = 1 << 20
	// MembershipTTL is how long a channel's member list is cached.
	MembershipTTL = 5 * time.Minute
	// ReplyWithin is how long a slash command's work may take before
	// the bot answers "working on it" and sends the result to the
	// command's response_url (Slack allows 3 s).
	ReplyWithin = 2500 * time.Millisecond
	// WorkTimeout bounds the background work of one click or command.
	WorkTimeout = 30 * time.Second

	// maxRemembered bounds the memory of recent signatures.
	maxRemembered = 100_000
	// maxAlertID bounds an alert ID taken from a button or a command.
	maxAlertID = 200
)

// Action IDs and the callback ID the bot answers (the notifier's buttons
// plus the security channel's Object button).
const (
	ActionAck         = "picket_ack"
	ActionArchive     = "picket_archive"
	ActionEscalate    = "picket_escalate"
	ActionRunbook     = "picket_runbook"
	ActionOpenConsole = "picket_open_console"
	ActionObject      = "picket_object"
	// CallbackArchive is the archive modal's callback_id.
	CallbackArchive = "picket_archive"
	// BlockActions is the block_id of the alert message's buttons
	// (notify/slack.BlockActions).
	BlockActions = "picket_actions"
	// BlockStatus is the block_id of the status context block the bot
	// adds to a message it rewrites.
	BlockStatus = "picket_status"
)

// Service is what the bot needs from Picket.
type Service interface {
	// Alert returns one alert (an error wrapping store.ErrNotFound when
	// there is none).
	Alert(ctx context.Context, id string) (alert.Alert, error)
	// Act applies and stores a transition, returning the alert after it;
	// an illegal transition's error wraps alert.ErrIllegal.
	Act(ctx context.Context, id string, act alert.Action) (alert.Alert, error)
	// RequestArchive archives at once (a security engineer's request) or
	// leaves the alert open with the archive pending (anyone else's: the
	// bot posts it to the security channel, and the service applies it
	// after a delay unless a security engineer objects). The returned
	// alert's state tells which.
	RequestArchive(ctx context.Context, id, actor string, reason alert.Reason, note string) (alert.Alert, error)
	// Object cancels a pending archive (a security engineer objects).
	Object(ctx context.Context, id, actor string) (alert.Alert, error)
	// OpenAlerts lists open alerts routed to these channels.
	OpenAlerts(ctx context.Context, channels []string, limit int) ([]alert.Alert, error)
	// ChannelOf is the Slack channel ID the alert was routed to ("" if
	// none).
	ChannelOf(a alert.Alert) string
	// RunbookURL is the alert's runbook link ("" if none).
	RunbookURL(a alert.Alert) string
}

// Config configures the bot.
type Config struct {
	SigningSecret   string        // verifies X-Slack-Signature v0 (HTTPS; may be empty with Socket Mode only)
	BotToken        string        // xoxb-…: chat.*, views.open, conversations.members, users.conversations
	AppToken        string        // xapp-…: Socket Mode (optional)
	SecurityChannel string        // channel ID of the security team
	OnDutyGroup     string        // user group ID (S…) mentioned on escalation (optional)
	APIURL          string        // Web API base (DefaultAPIURL if empty)
	MaxSkew         time.Duration // DefaultMaxSkew if 0
}

// Bot is the Slack app. It is safe for concurrent use.
type Bot struct {
	svc             Service
	log             *slog.Logger
	now             func() time.Time
	api             *webAPI
	hc              *http.Client
	secret          []byte
	appToken        string
	securityChannel string
	onDutyGroup     string
	maxSkew         time.Duration

	sigs    *replayCache
	members *memberCache
	msgs    *messageCache
	notes   *alertNotes

	// replyWithin is ReplyWithin (shortened by tests).
	replyWithin time.Duration
	wg          sync.WaitGroup
}

// New validates cfg and returns the bot. log may be nil (no logging), now
// nil (time.Now), hc nil (a client with a 15 s timeout); redirects are
// never followed, so the token is only ever sent to APIURL.
func New(cfg Config, svc Service, log *slog.Logger, now func() time.Time, hc *http.Client) (*Bot, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if svc == nil {
		bad("nil Service")
	}
	if !strings.HasPrefix(cfg.BotToken, "xoxb-") {
		bad("the bot token must be a bot token (xoxb-…)")
	}
	if cfg.AppToken != "" && !strings.HasPrefix(cfg.AppToken, "xapp-") {
		bad("the app token must be an app-level token (xapp-…)")
	}
	if cfg.SigningSecret == "" && cfg.AppToken == "" {
		bad("set a signing secret (HTTPS) or an app token (Socket Mode)")
	}
	if !validChannel(cfg.SecurityChannel) {
		bad("the security channel must be a channel ID (C…/G…), not a name")
	}
	if cfg.OnDutyGroup != "" && !validID(cfg.OnDutyGroup) {
		bad("the on-duty group must be a user group ID (S…)")
	}
	switch {
	case cfg.MaxSkew == 0:
		cfg.MaxSkew = DefaultMaxSkew
	case cfg.MaxSkew < time.Second:
		bad("max skew must be at least 1s (timestamps are whole seconds)")
	}
	base := cfg.APIURL
	if base == "" {
		base = DefaultAPIURL
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("the API URL must be an absolute http(s) URL")
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("slackbot: %w", err)
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	b := &Bot{
		svc:             svc,
		log:             log,
		now:             now,
		hc:              &c,
		api:             &webAPI{base: base, token: cfg.BotToken, hc: &c},
		secret:          []byte(cfg.SigningSecret),
		appToken:        cfg.AppToken,
		securityChannel: cfg.SecurityChannel,
		onDutyGroup:     cfg.OnDutyGroup,
		maxSkew:         cfg.MaxSkew,
		sigs:            newReplayCache(maxRemembered),
		members:         newMemberCache(MembershipTTL),
		msgs:            newMessageCache(maxCachedMessages, messageTTL),
		notes:           newAlertNotes(maxCachedMessages),
		replyWithin:     ReplyWithin,
	}
	return b, nil
}

// Register serves the bot's two routes on mux.
func (b *Bot) Register(mux *http.ServeMux) {
	mux.Handle("POST "+PathInteractive, b)
	mux.Handle("POST "+PathCommands, b)
}

// Wait blocks until the background work of the requests answered so far
// is done (for shutdown, and tests).
func (b *Bot) Wait() { b.wg.Wait() }

// spawn runs work in the background with its own deadline, detached from
// the request (which is answered before the work ends).
func (b *Bot) spawn(ctx context.Context, work func(ctx context.Context)) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), WorkTimeout)
	b.wg.Go(func() {
		defer cancel()
		work(ctx)
	})
}

// errBadPayload answers a payload the bot cannot read.
var errBadPayload = errors.New("unreadable payload")

// ServeHTTP answers Slack's interactive requests (PathInteractive) and
// slash commands (PathCommands), after verifying their signature.
func (b *Bot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	status, msg := b.serve(w, r)
	level := slog.LevelInfo
	if status >= 400 {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("path", r.URL.Path),
		slog.String("remote", r.RemoteAddr),
		slog.Int("status", status),
		slog.Duration("duration", time.Since(start)),
	}
	if msg != "" {
		attrs = append(attrs, slog.String("error", msg))
	}
	b.log.LogAttrs(r.Context(), level, "slack request", attrs...)
}

// serve handles one request and returns its status and, for a refusal,
// why (also the answer's body).
func (b *Bot) serve(w http.ResponseWriter, r *http.Request) (int, string) {
	fail := func(status int, msg string) (int, string) {
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, msg+"\n")
		return status, msg
	}
	if r.URL.Path != PathInteractive && r.URL.Path != PathCommands {
		return fail(http.StatusNotFound, "not found")
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return fail(http.StatusMethodNotAllowed, "method not allowed: use POST")
	}
	raw, status, msg := b.verify(w, r)
	if status != 0 {
		return fail(status, msg)
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		return fail(http.StatusBadRequest, "the body is not a URL-encoded form")
	}
	if form.Get("ssl_check") == "1" {
		// Slack checking the certificate of a slash command's URL.
		w.WriteHeader(http.StatusOK)
		return http.StatusOK, ""
	}
	var reply any
	if r.URL.Path == PathCommands {
		reply, err = b.command(r.Context(), commandFromForm(form))
	} else {
		reply, err = b.interact(r.Context(), []byte(form.Get("payload")))
	}
	if err != nil {
		return fail(http.StatusBadRequest, err.Error())
	}
	if reply == nil {
		w.WriteHeader(http.StatusOK)
		return http.StatusOK, ""
	}
	body, err := marshal(reply)
	if err != nil {
		return fail(http.StatusInternalServerError, "could not encode the answer")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return http.StatusOK, ""
}

// Slack's request signing headers.
const (
	headerTimestamp = "X-Slack-Request-Timestamp"
	headerSignature = "X-Slack-Signature"
	sigVersion      = "v0"
)

// verify reads the body and checks Slack's signature: X-Slack-Signature
// is "v0=" and the hex HMAC-SHA256, keyed with the signing secret, of
// "v0:<X-Slack-Request-Timestamp>:<body>"; the timestamp must be within
// maxSkew of now and the signature not seen before. It returns the body,
// or the status and reason of a refusal.
func (b *Bot) verify(w http.ResponseWriter, r *http.Request) ([]byte, int, string) {
	if len(b.secret) == 0 {
		return nil, http.StatusUnauthorized, "no signing secret is configured: requests cannot be verified"
	}
	tsText, sig := r.Header.Get(headerTimestamp), r.Header.Get(headerSignature)
	if tsText == "" || sig == "" {
		return nil, http.StatusUnauthorized, "missing " + headerTimestamp + " or " + headerSignature
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return nil, http.StatusUnauthorized, "invalid " + headerTimestamp + ": want Unix seconds"
	}
	now := b.now()
	skew := int64(b.maxSkew / time.Second)
	if d := now.Unix() - ts; d > skew || d < -skew {
		return nil, http.StatusUnauthorized, fmt.Sprintf("%s is outside the allowed window of ±%s", headerTimestamp, b.maxSkew)
	}
	mac, ok := parseSignature(sig)
	if !ok {
		return nil, http.StatusUnauthorized, "malformed " + headerSignature + ": want v0=<hex>"
	}
	if r.ContentLength > MaxBodyBytes {
		return nil, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", MaxBodyBytes)
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			return nil, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", MaxBodyBytes)
		}
		return nil, http.StatusBadRequest, "could not read the body"
	}
	if !hmac.Equal(computeMAC(b.secret, tsText, raw), mac) {
		return nil, http.StatusUnauthorized, "invalid signature"
	}
	// Remember the signature while its timestamp is acceptable, and a
	// second more as timestamps are whole seconds.
	switch b.sigs.add(string(mac), now, time.Unix(ts, 0).Add(b.maxSkew+time.Second)) {
	case addSeen:
		return nil, http.StatusConflict, "replayed request: this signature has already been used"
	case addFull:
		return nil, http.StatusServiceUnavailable, "too many recent requests to guard against replay; retry later"
	}
	return raw, 0, ""
}

// Sign returns the X-Slack-Signature of body sent with timestamp (Unix
// seconds as sent in X-Slack-Request-Timestamp): "v0=" and the hex
// HMAC-SHA256 of "v0:<timestamp>:<body>".
func Sign(secret []byte, timestamp string, body []byte) string {
	return sigVersion + "=" + hex.EncodeToString(computeMAC(secret, timestamp, body))
}

func computeMAC(secret []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	_, _ = io.WriteString(m, sigVersion+":"+timestamp+":")
	m.Write(body)
	return m.Sum(nil)
}

// parseSignature decodes "v0=<hex>".
func parseSignature(v string) ([]byte, bool) {
	h, ok := strings.CutPrefix(strings.TrimSpace(v), sigVersion+"=")
	if !ok || len(h) != 2*sha256.Size {
		return nil, false
	}
	mac, err := hex.DecodeString(h)
	return mac, err == nil
}

// replayCache remembers signatures until they expire.
type replayCache struct {
	mu   sync.Mutex
	max  int
	seen map[string]time.Time // signature → expiry
}

type addResult int

const (
	addNew addResult = iota
	addSeen
	addFull
)

func newReplayCache(max int) *replayCache {
	return &replayCache{max: max, seen: make(map[string]time.Time)}
}

func (c *replayCache) add(key string, now, expires time.Time) addResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	if exp, ok := c.seen[key]; ok && now.Before(exp) {
		return addSeen
	}
	if len(c.seen) >= c.max {
		for k, exp := range c.seen {
			if !now.Before(exp) {
				delete(c.seen, k)
			}
		}
		if len(c.seen) >= c.max {
			return addFull
		}
	}
	c.seen[key] = expires
	return addNew
}

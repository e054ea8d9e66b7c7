// Package webhook posts notifications as JSON to any HTTP endpoint, for
// SOAR tools, ticketing and chat systems Picket has no notifier for.
//
// # Request
//
//	POST <Target.URL>
//	Content-Type: application/json
//	X-Picket-Key: <Message.Key>              same on every retry: dedupe on it
//	X-Picket-Timestamp: <unix seconds>        when this attempt was signed
//	X-Picket-Signature: sha256=<hex>          only when Target.SigningKey is set
//
// The body is a Payload, version "1":
//
//	{
//	  "version": "1",
//	  "key": "…",                     idempotency key, as X-Picket-Key
//	  "reason": "new",                new | severity-increase | repeat | sample
//	  "time": "2026-11-25T12:00:00Z", when Picket decided to notify
//	  "severityLabel": "High",        Low | Medium | High | Critical
//	  "sample": false,
//	  "account": {"id": "111122223333", "name": "prod"},
//	  "route": "account:111122223333",
//	  "grouped": 0,                   further findings folded into this one
//	  "previous": {"severity": 5, "count": 3},   last notified, if any
//	  "consoleUrl": "…", "runbookUrl": "…",      when configured
//	  "finding": { … }                the finding in GuardDuty's JSON schema
//	}
//
// # Verifying
//
// The signature is HMAC-SHA256, keyed with the shared signing key, of the
// timestamp header, a dot, and the raw body bytes exactly as received:
//
//	hex(HMAC-SHA256(key, "<X-Picket-Timestamp>.<body>"))
//
// A receiver recomputes it over the body before parsing it, compares in
// constant time, and rejects timestamps too far from its clock (replays).
// Verify does all three. Each retry is signed afresh with a new
// timestamp; the key header stays the same.
//
// # Errors
//
// Failures are *notify.Error: 408, 429 (RetryAfter from Retry-After),
// 5xx and network errors are retryable; 3xx (redirects are not followed)
// and other 4xx are not. No error contains the URL or the signing key.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/notify"
	"github.com/picket-dev/picket/internal/notify/internal/notifyhttp"
)

// Version is the payload version; it changes only with an incompatible
// change of the shape.
const Version = "1"

// Headers Picket sets.
const (
	HeaderKey       = "X-Picket-Key"
	HeaderTimestamp = "X-Picket-Timestamp"
	HeaderSignature = "X-Picket-Signature"
)

// Payload is the JSON body. It is declared here rather than reusing
// notify.Message so that receivers get a stable, versioned contract.
type Payload struct {
	Version       string              `json:"version"`
	Key           string              `json:"key"`
	Reason        notify.Reason       `json:"reason"`
	Time          time.Time           `json:"time"`
	SeverityLabel string              `json:"severityLabel"`
	Sample        bool                `json:"sample"`
	Account       notify.Account      `json:"account"`
	Route         string              `json:"route,omitempty"`
	Grouped       int                 `json:"grouped"`
	Previous      *notify.Previous    `json:"previous,omitempty"`
	ConsoleURL    string              `json:"consoleUrl,omitempty"`
	RunbookURL    string              `json:"runbookUrl,omitempty"`
	Labels        map[string]string   `json:"labels,omitempty"`
	Note          string              `json:"note,omitempty"`
	Digest        []notify.DigestItem `json:"digest,omitempty"`
	Finding       finding.Finding     `json:"finding"`
}

// NewPayload is the body for m.
func NewPayload(m notify.Message) Payload {
	acc := m.Account
	if acc.ID == "" {
		acc.ID = m.Finding.AccountID
	}
	return Payload{
		Version: Version, Key: m.Key, Reason: m.Reason, Time: m.Time.UTC(),
		SeverityLabel: m.Finding.SeverityLabel().String(), Sample: m.Sample,
		Account: acc, Route: m.Route, Grouped: m.Grouped, Previous: m.Previous,
		ConsoleURL: m.ConsoleURL, RunbookURL: m.RunbookURL, Labels: m.Labels, Note: m.Note, Digest: m.Digest, Finding: m.Finding,
	}
}

// Notifier posts to generic webhooks. It is safe for concurrent use.
type Notifier struct {
	client *http.Client
	now    func() time.Time
}

// New returns a notifier using httpClient (nil: a client with a 30s
// timeout). Redirects are not followed.
func New(httpClient *http.Client) *Notifier {
	return &Notifier{client: notifyhttp.Client(httpClient), now: time.Now}
}

var _ notify.Notifier = (*Notifier)(nil)

// Send posts m to t.URL, signed with t.SigningKey when set. Any 2xx is
// success; the result has no thread.
func (n *Notifier) Send(ctx context.Context, t notify.Target, m notify.Message) (notify.Result, error) {
	if t.URL == "" {
		return notify.Result{}, &notify.Error{Err: errors.New("webhook: target has no URL")}
	}
	body, err := notifyhttp.JSON(NewPayload(m))
	if err != nil {
		return notify.Result{}, &notify.Error{Err: fmt.Errorf("webhook: encoding payload: %w", err)}
	}
	now := n.now()
	ts := strconv.FormatInt(now.Unix(), 10)
	h := http.Header{
		"Content-Type":  {"application/json"},
		"User-Agent":    {"Picket-Webhook/" + Version},
		HeaderKey:       {m.Key},
		HeaderTimestamp: {ts},
	}
	if t.SigningKey != "" {
		h.Set(HeaderSignature, Sign(t.SigningKey, ts, body))
	}
	resp, err := notifyhttp.Post(ctx, n.client, t.URL, h, body, "webhook")
	if err != nil {
		return notify.Result{}, err
	}
	secrets := append(notifyhttp.URLSecrets(t.URL), t.SigningKey)
	return notify.Result{}, notifyhttp.StatusError(resp, now, "webhook", secrets...)
}

// Sign is the X-Picket-Signature value for body sent at ts (unix seconds,
// as in X-Picket-Timestamp): "sha256=" and the hex HMAC-SHA256 of
// ts + "." + body under key.
func Sign(key, ts string, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(key, ts, body))
}

func mac(key, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(key))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verification errors.
var (
	ErrSignature = errors.New("webhook signature does not match")
	ErrTimestamp = errors.New("webhook timestamp missing, malformed or out of range")
)

// DefaultMaxSkew is the clock difference Verify accepts when given none.
const DefaultMaxSkew = 5 * time.Minute

// Verify checks a received request for receivers written in Go: sig (the
// X-Picket-Signature header) must be the signature of body at ts (the
// X-Picket-Timestamp header) under key, and ts within maxSkew of now
// (maxSkew <= 0: DefaultMaxSkew) so a captured request cannot be replayed
// later. The comparison is constant-time. Errors wrap ErrSignature or
// ErrTimestamp.
func Verify(key, ts string, body []byte, sig string, now time.Time, maxSkew time.Duration) error {
	if key == "" {
		return fmt.Errorf("%w: no signing key configured", ErrSignature)
	}
	hexSig, ok := strings.CutPrefix(sig, "sha256=")
	if !ok {
		return fmt.Errorf("%w: want sha256=<hex>", ErrSignature)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSignature, err)
	}
	if !hmac.Equal(got, mac(key, ts, body)) {
		return ErrSignature
	}
	// Checked after the signature, which covers ts: an attacker cannot
	// forge a fresh timestamp for an old body.
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrTimestamp, ts)
	}
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	if d := now.Sub(time.Unix(sec, 0)); d > maxSkew || d < -maxSkew {
		return fmt.Errorf("%w: %s off", ErrTimestamp, d.Round(time.Second))
	}
	return nil
}

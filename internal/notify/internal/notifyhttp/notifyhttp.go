// Package notifyhttp holds what the HTTP notifiers share: one POST with a
// bounded response read, the classification of HTTP statuses into
// retryable and permanent *notify.Error values, Retry-After parsing, and
// scrubbing of secrets (webhook URLs, tokens) from errors.
package notifyhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/picket-dev/picket/internal/notify"
	"github.com/picket-dev/picket/internal/report"
)

// DefaultTimeout bounds a request when the caller's client has none; the
// dispatcher's context may bound it further.
const DefaultTimeout = 30 * time.Second

// maxBody caps how much of a response is read: only a status word or a
// small JSON object is ever needed, and a hostile endpoint must not make
// Picket buffer an unbounded body.
const maxBody = 1 << 20

// Client returns a copy of c (or a default client when c is nil) that
// does not follow redirects. Go's client turns a POST into a GET on a 301,
// 302 or 303, so a redirecting endpoint would answer the GET and the
// notification would count as delivered without ever being posted.
func Client(c *http.Client) *http.Client {
	var cc http.Client
	if c != nil {
		cc = *c
	} else {
		cc.Timeout = DefaultTimeout
	}
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

// JSON encodes v without Go's HTML escaping (\u003c for <): receivers
// decode either, and bodies stay readable in logs and golden files.
func JSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Response is a received answer, its body read (up to 1 MiB) and closed.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Post sends body to rawURL with header. what names the endpoint in
// errors ("slack webhook"); rawURL itself never appears in them, since it
// may be a secret. A request that cannot be built is a permanent error;
// one that fails in transport is retryable.
func Post(ctx context.Context, c *http.Client, rawURL string, header http.Header, body []byte, what string) (*Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, &notify.Error{Err: fmt.Errorf("%s: invalid URL: %w", what, unwrapURL(err))}
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return nil, &notify.Error{Err: fmt.Errorf("%s: URL must be absolute http(s)", what)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, &notify.Error{Err: fmt.Errorf("%s: building request: %w", what, unwrapURL(err))}
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, &notify.Error{Retryable: true, Err: fmt.Errorf("%s: sending: %w", what, unwrapURL(err))}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, &notify.Error{Retryable: true, Status: resp.StatusCode, Err: fmt.Errorf("%s: reading response: %w", what, unwrapURL(err))}
	}
	// Drain what is left (bounded) so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// unwrapURL drops the *url.Error layer, which prints the request URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// StatusError classifies a non-2xx response (nil for 2xx):
//
//	408, 429, 5xx  retryable (429 and 503 with RetryAfter from Retry-After)
//	3xx            permanent: redirects are not followed (see Client)
//	other 4xx      permanent
//
// The error carries a short, cleaned excerpt of the body with every
// secret replaced, in case the endpoint echoes the request.
func StatusError(r *Response, now time.Time, what string, secrets ...string) error {
	if r.Status >= 200 && r.Status < 300 {
		return nil
	}
	e := &notify.Error{Status: r.Status}
	switch {
	case r.Status == http.StatusRequestTimeout, r.Status == http.StatusTooManyRequests, r.Status >= 500:
		e.Retryable = true
		if r.Status == http.StatusTooManyRequests || r.Status == http.StatusServiceUnavailable {
			e.RetryAfter = RetryAfter(r.Header, now)
		}
	}
	msg := what + ": " + http.StatusText(r.Status)
	if r.Status >= 300 && r.Status < 400 {
		msg = what + ": redirected; configure the final URL"
	}
	if s := Excerpt(r.Body, secrets...); s != "" {
		msg += ": " + s
	}
	e.Err = errors.New(msg)
	return e
}

// Excerpt is body made safe for an error message: secrets replaced,
// control characters escaped, shortened.
func Excerpt(body []byte, secrets ...string) string {
	s := strings.TrimSpace(string(body))
	return report.Clean(Redact(s, secrets...))
}

// Redact replaces every non-empty secret in s.
func Redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "<redacted>")
		}
	}
	return s
}

// URLSecrets lists the secret parts of a webhook URL: the URL, and its
// path, query and password, which an endpoint may echo on their own
// (Slack's hook path is the secret).
func URLSecrets(raw string) []string {
	s := []string{raw}
	u, err := url.Parse(raw)
	if err != nil {
		return s
	}
	if len(u.Path) > 1 {
		s = append(s, u.Path, u.EscapedPath())
	}
	if u.RawQuery != "" {
		s = append(s, u.RawQuery)
	}
	if p, ok := u.User.Password(); ok {
		s = append(s, p)
	}
	return s
}

// RetryAfter reads a Retry-After header: delay seconds or an HTTP date.
// Missing, malformed or past values give 0 (the dispatcher's backoff).
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		d = time.Duration(min(n, maxRetryAfter+1)) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now).Round(time.Second)
	}
	if d <= 0 || d > maxRetryAfter*time.Second {
		return 0 // past, or a day and more: nonsense, let backoff decide
	}
	return d
}

const maxRetryAfter = 24 * 60 * 60 // seconds

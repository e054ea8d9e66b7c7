package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/notify"
	"github.com/picket-dev/picket/internal/notify/notifytest"
)

const (
	signingKey = "whsec-test-signing-key"
	path       = "/hooks/picket"
	urlSecret  = "tok3n-in-query"
)

func newNotifier() *Notifier {
	n := New(nil)
	n.now = func() time.Time { return notifytest.T0 }
	return n
}

func target(srv *notifytest.Server) notify.Target {
	return notify.Target{Kind: "webhook", Name: "soar", URL: srv.URL + path + "?token=" + urlSecret, SigningKey: signingKey}
}

func accepted(w http.ResponseWriter, _ notifytest.Request) { notifytest.Reply(w, 202, "") }

// hmacHex is the signature computed here independently of Sign.
func hmacHex(key, msg string) string {
	h := hmac.New(sha256.New, []byte(key))
	h.Write([]byte(msg))
	return hex.EncodeToString(h.Sum(nil))
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  notify.Message
	}{
		{"high", notifytest.High()},
		{"repeat", notifytest.Repeat()},
		{"severity-increase", notifytest.SeverityIncrease()},
		{"sample", notifytest.Sample()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := notifytest.NewServer(t, accepted)
			res, err := newNotifier().Send(context.Background(), target(srv), tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			if res != (notify.Result{}) {
				t.Errorf("result %+v, want none", res)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			ts := strconv.FormatInt(notifytest.T0.Unix(), 10)
			if r.Method != http.MethodPost || r.Path != path || r.Query != "token="+urlSecret {
				t.Errorf("request %s %s?%s", r.Method, r.Path, r.Query)
			}
			for h, want := range map[string]string{
				"Content-Type":       "application/json",
				"X-Picket-Key":       tc.msg.Key,
				"X-Picket-Timestamp": ts,
				"X-Picket-Signature": "sha256=" + hmacHex(signingKey, ts+"."+string(r.Body)),
			} {
				if got := r.Header.Get(h); got != want {
					t.Errorf("%s: %q, want %q", h, got, want)
				}
			}
			if err := Verify(signingKey, r.Header.Get(HeaderTimestamp), r.Body, r.Header.Get(HeaderSignature), notifytest.T0.Add(time.Minute), 0); err != nil {
				t.Errorf("Verify rejects what Send signed: %v", err)
			}
			var p Payload
			if err := json.Unmarshal(r.Body, &p); err != nil {
				t.Fatal(err)
			}
			if want := roundTrip(t, NewPayload(tc.msg)); !reflect.DeepEqual(p, want) {
				t.Errorf("body decodes to\n%+v\nwant\n%+v", p, want)
			}
			if p.Version != "1" || p.Key != tc.msg.Key || p.Finding.ID != tc.msg.Finding.ID || p.Reason != tc.msg.Reason {
				t.Errorf("payload head %q %q %q %q", p.Version, p.Key, p.Finding.ID, p.Reason)
			}
			notifytest.Golden(t, tc.name+".golden.json", r.Body)
		})
	}
}

// roundTrip is p as a receiver decodes it (time zones, empty maps).
func roundTrip(t *testing.T, p Payload) Payload {
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var q Payload
	if err := json.Unmarshal(b, &q); err != nil {
		t.Fatal(err)
	}
	return q
}

func TestUnsigned(t *testing.T) {
	srv := notifytest.NewServer(t, accepted)
	tg := target(srv)
	tg.SigningKey = ""
	if _, err := newNotifier().Send(context.Background(), tg, notifytest.High()); err != nil {
		t.Fatal(err)
	}
	h := srv.Requests()[0].Header
	if _, ok := h[HeaderSignature]; ok {
		t.Errorf("unsigned target sent %s: %q", HeaderSignature, h.Get(HeaderSignature))
	}
	if h.Get(HeaderKey) == "" || h.Get(HeaderTimestamp) == "" {
		t.Error("key and timestamp headers missing without a signing key")
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"version":"1","key":"k"}`)
	now := notifytest.T0
	ts := strconv.FormatInt(now.Unix(), 10)
	good := "sha256=" + hmacHex(signingKey, ts+"."+string(body))
	if s := Sign(signingKey, ts, body); s != good {
		t.Fatalf("Sign = %q, want %q", s, good)
	}
	old := strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10)
	future := strconv.FormatInt(now.Add(10*time.Minute).Unix(), 10)
	for _, tc := range []struct {
		name    string
		key, ts string
		body    []byte
		sig     string
		skew    time.Duration
		want    error
	}{
		{"valid", signingKey, ts, body, good, time.Minute, nil},
		{"valid, default skew", signingKey, ts, body, good, 0, nil},
		{"wrong key", "other-key", ts, body, good, time.Minute, ErrSignature},
		{"empty key", "", ts, body, good, time.Minute, ErrSignature},
		{"tampered body", signingKey, ts, []byte(`{"version":"1","key":"K"}`), good, time.Minute, ErrSignature},
		{"other timestamp, same signature", signingKey, old, body, good, time.Hour, ErrSignature},
		{"no prefix", signingKey, ts, body, strings.TrimPrefix(good, "sha256="), time.Minute, ErrSignature},
		{"other algorithm", signingKey, ts, body, "sha1=" + strings.TrimPrefix(good, "sha256="), time.Minute, ErrSignature},
		{"not hex", signingKey, ts, body, "sha256=zz", time.Minute, ErrSignature},
		{"truncated", signingKey, ts, body, good[:len(good)-2], time.Minute, ErrSignature},
		{"empty", signingKey, ts, body, "", time.Minute, ErrSignature},
		{"stale", signingKey, old, body, Sign(signingKey, old, body), 5 * time.Minute, ErrTimestamp},
		{"stale but within skew", signingKey, old, body, Sign(signingKey, old, body), 15 * time.Minute, nil},
		{"future", signingKey, future, body, Sign(signingKey, future, body), 5 * time.Minute, ErrTimestamp},
		{"stale under the default skew", signingKey, old, body, Sign(signingKey, old, body), 0, ErrTimestamp},
		{"malformed timestamp", signingKey, "yesterday", body, Sign(signingKey, "yesterday", body), time.Minute, ErrTimestamp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.key, tc.ts, tc.body, tc.sig, now, tc.skew)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	retryDate := notifytest.T0.Add(90 * time.Second).Format(http.TimeFormat)
	for _, tc := range []struct {
		name   string
		status int
		body   string
		header []string
		want   *notifytest.Class // nil: success
	}{
		{"200", 200, "ok", nil, nil},
		{"201", 201, "", nil, nil},
		{"204", 204, "", nil, nil},
		{"408", 408, "", nil, &notifytest.Class{Retryable: true, Status: 408}},
		{"429 with seconds", 429, "", []string{"Retry-After", "120"}, &notifytest.Class{Retryable: true, RetryAfter: 2 * time.Minute, Status: 429}},
		{"429 with a date", 429, "", []string{"Retry-After", retryDate}, &notifytest.Class{Retryable: true, RetryAfter: 90 * time.Second, Status: 429}},
		{"429 with garbage", 429, "", []string{"Retry-After", "soon"}, &notifytest.Class{Retryable: true, Status: 429}},
		{"500", 500, "boom", nil, &notifytest.Class{Retryable: true, Status: 500}},
		{"502", 502, "", nil, &notifytest.Class{Retryable: true, Status: 502}},
		{"503 with Retry-After", 503, "", []string{"Retry-After", "5"}, &notifytest.Class{Retryable: true, RetryAfter: 5 * time.Second, Status: 503}},
		{"400", 400, "bad payload", nil, &notifytest.Class{Status: 400}},
		{"401", 401, "", nil, &notifytest.Class{Status: 401}},
		{"404", 404, "", nil, &notifytest.Class{Status: 404}},
		{"410", 410, "", nil, &notifytest.Class{Status: 410}},
		{"301 not followed", 301, "", []string{"Location", "/moved"}, &notifytest.Class{Status: 301}},
		{"302 not followed", 302, "", []string{"Location", "/moved"}, &notifytest.Class{Status: 302}},
		{"400 echoing secrets", 400, "bad request to " + path + "?token=" + urlSecret + " signed with " + signingKey, nil, &notifytest.Class{Status: 400}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := notifytest.NewServer(t, func(w http.ResponseWriter, r notifytest.Request) {
				notifytest.Reply(w, tc.status, tc.body, tc.header...)
			})
			tg := target(srv)
			_, err := newNotifier().Send(context.Background(), tg, notifytest.High())
			if tc.want == nil {
				if err != nil {
					t.Errorf("error %v, want success", err)
				}
			} else {
				notifytest.CheckError(t, err, *tc.want, tg.URL, urlSecret, signingKey)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

func TestNetworkError(t *testing.T) {
	srv := notifytest.NewServer(t, nil)
	tg := target(srv)
	srv.Close()
	_, err := newNotifier().Send(context.Background(), tg, notifytest.High())
	notifytest.CheckError(t, err, notifytest.Class{Retryable: true}, tg.URL, urlSecret, signingKey)
}

func TestContext(t *testing.T) {
	block := make(chan struct{})
	srv := notifytest.NewServer(t, func(w http.ResponseWriter, r notifytest.Request) { <-block })
	defer close(block)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := newNotifier().Send(ctx, target(srv), notifytest.High())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want the context's deadline", err)
	}
	notifytest.CheckError(t, err, notifytest.Class{Retryable: true}, urlSecret)
}

func TestBadTargets(t *testing.T) {
	for _, tc := range []struct{ name, url string }{
		{"no URL", ""},
		{"relative", "example.com/hook?token=" + urlSecret},
		{"other scheme", "ftp://example.com/hook?token=" + urlSecret},
		{"unparsable", "http://exa mple.com/?token=" + urlSecret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newNotifier().Send(context.Background(), notify.Target{Kind: "webhook", URL: tc.url}, notifytest.High())
			notifytest.CheckError(t, err, notifytest.Class{}, urlSecret)
		})
	}
}

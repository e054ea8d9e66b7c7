package receiver

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

const (
	apiToken    = "api-token-0123456789abcdef"
	fhToken     = "firehose-access-key-0123456789"
	hmacKey     = "picket-test-hmac-key-0001"
	otherKey    = "some-other-hmac-key-9999"
	smallLimit  = 4096
	fixedUnix   = 1700000000
	fixedMillis = 1700000000123
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(fixedUnix, 123_456_789)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeIngester records the requests it is given and returns res, err.
type fakeIngester struct {
	mu      sync.Mutex
	reqs    []Request
	res     Result
	err     error
	entered chan struct{} // if set, receives once Ingest is called
	release chan struct{} // if set, Ingest waits for it
}

func (f *fakeIngester) Ingest(ctx context.Context, req Request) (Result, error) {
	req.Body = bytes.Clone(req.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	res, err := f.res, f.err
	f.mu.Unlock()
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.release != nil {
		<-f.release
	}
	return res, err
}

func (f *fakeIngester) calls() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.reqs...)
}

func (f *fakeIngester) set(res Result, err error) {
	f.mu.Lock()
	f.res, f.err = res, err
	f.mu.Unlock()
}

func testSources() []SourceConfig {
	return []SourceConfig{
		{Name: "api", Auth: Auth{Tokens: []string{apiToken}, Header: "X-Api-Key", HMACKeys: []string{otherKey, hmacKey}}},
		{Name: "signed", Format: "cloudtrail", Auth: Auth{HMACKeys: []string{hmacKey}}},
		{Name: "fh", Format: "vpcflow", Firehose: true, Auth: Auth{Tokens: []string{fhToken}}},
		{Name: "small", MaxBodyBytes: smallLimit, Auth: Auth{Tokens: []string{apiToken}}},
		{Name: "fhsmall", Firehose: true, MaxBodyBytes: smallLimit, Auth: Auth{Tokens: []string{fhToken}}},
	}
}

type harness struct {
	rc    *Receiver
	ing   *fakeIngester
	clock *clock
	logs  *bytes.Buffer
	mux   *http.ServeMux
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{ing: &fakeIngester{res: Result{Records: 2, Events: 2, Findings: 1}}, clock: newClock(), logs: &bytes.Buffer{}}
	log := slog.New(slog.NewJSONHandler(&lockedWriter{w: h.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rc, err := New(testSources(), h.ing, log, h.clock.Now)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.rc = rc
	h.mux = http.NewServeMux()
	rc.Register(h.mux)
	return h
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// do serves one request through the mux.
func (h *harness) do(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.mux.ServeHTTP(rec, req)
	return rec
}

func newReq(method, source string, body []byte, hdr map[string]string) *http.Request {
	req := httptest.NewRequest(method, "/v1/ingest/"+source, bytes.NewReader(body))
	req.RemoteAddr = "192.0.2.7:41234"
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return req
}

// signHeaders signs body independently of the package's Sign.
func signHeaders(key string, ts int64, body []byte) map[string]string {
	tsText := strconv.FormatInt(ts, 10)
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(tsText + "."))
	m.Write(body)
	return map[string]string{
		HeaderTimestamp: tsText,
		HeaderSignature: "sha256=" + hex.EncodeToString(m.Sum(nil)),
	}
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func envelope(id string, records ...[]byte) []byte {
	type rec struct {
		Data string `json:"data"`
	}
	env := struct {
		RequestID string `json:"requestId"`
		Timestamp int64  `json:"timestamp"`
		Records   []rec  `json:"records"`
	}{RequestID: id, Timestamp: 1578090901599, Records: []rec{}}
	for _, r := range records {
		env.Records = append(env.Records, rec{Data: base64.StdEncoding.EncodeToString(r)})
	}
	b, _ := json.Marshal(env)
	return b
}

func fhHeaders(id string) map[string]string {
	return map[string]string{
		HeaderFirehoseRequestID:           id,
		HeaderFirehoseAccessKey:           fhToken,
		"Content-Type":                    "application/json",
		"X-Amz-Firehose-Protocol-Version": "1.0",
	}
}

func decodeResp(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("response is not JSON: %v: %q", err, rec.Body.String())
	}
	return m
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

var event = []byte(`{"version":"0","id":"6a7e8feb","detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{}}`)

func TestStatusPaths(t *testing.T) {
	bearer := map[string]string{"Authorization": "Bearer " + apiToken}
	now := int64(fixedUnix)
	bomb := gz(t, make([]byte, 1<<20)) // 1 MiB of zeros: ~1 KiB compressed
	if len(bomb) >= smallLimit {
		t.Fatalf("bomb is %d bytes compressed, not under the limit", len(bomb))
	}
	gzFirehoseBomb := envelope("rid-bomb", gz(t, make([]byte, 1<<20)))
	if len(gzFirehoseBomb) >= smallLimit {
		t.Fatalf("Firehose bomb is %d bytes, not under the limit", len(gzFirehoseBomb))
	}

	tests := []struct {
		name       string
		method     string
		source     string
		body       []byte
		hdr        map[string]string
		chunked    bool // unknown Content-Length
		ingErr     error
		direct     bool // call the Receiver, not the mux
		wantStatus int
		wantMsg    string // substring of errorMessage
		wantIngest int
	}{
		{name: "bearer ok", source: "api", body: event, hdr: bearer, wantStatus: 200, wantIngest: 1},
		{name: "bearer scheme case-insensitive", source: "api", body: event, hdr: map[string]string{"Authorization": "bearer " + apiToken}, wantStatus: 200, wantIngest: 1},
		{name: "api key header", source: "api", body: event, hdr: map[string]string{"X-Api-Key": apiToken}, wantStatus: 200, wantIngest: 1},
		{name: "hmac ok", source: "signed", body: event, hdr: signHeaders(hmacKey, now, event), wantStatus: 200, wantIngest: 1},
		{name: "hmac second key ok", source: "api", body: event, hdr: signHeaders(hmacKey, now-60, event), wantStatus: 200, wantIngest: 1},
		{name: "hmac at the edge of the window", source: "signed", body: event, hdr: signHeaders(hmacKey, now-300, event), wantStatus: 200, wantIngest: 1},
		{name: "gzip content encoding", source: "api", body: gz(t, event), hdr: merge(bearer, map[string]string{"Content-Encoding": "gzip"}), wantStatus: 200, wantIngest: 1},

		{name: "missing credentials", source: "api", body: event, wantStatus: 401, wantMsg: "missing credentials"},
		{name: "wrong token", source: "api", body: event, hdr: map[string]string{"Authorization": "Bearer " + apiToken + "x"}, wantStatus: 401, wantMsg: "invalid credentials"},
		{name: "token prefix", source: "api", body: event, hdr: map[string]string{"Authorization": "Bearer " + apiToken[:20]}, wantStatus: 401},
		{name: "basic scheme", source: "api", body: event, hdr: map[string]string{"Authorization": "Basic " + apiToken}, wantStatus: 401},
		{name: "wrong api key", source: "api", body: event, hdr: map[string]string{"X-Api-Key": "nope-nope-nope-nope-nope"}, wantStatus: 401},
		{name: "another source's token", source: "api", body: event, hdr: map[string]string{HeaderFirehoseAccessKey: fhToken}, wantStatus: 401},
		{name: "bearer on hmac-only source", source: "signed", body: event, hdr: bearer, wantStatus: 401},
		{name: "bad signature", source: "signed", body: event, hdr: signHeaders("wrong-key-wrong-key-wrong", now, event), wantStatus: 401, wantMsg: "invalid signature"},
		{name: "signature over other body", source: "signed", body: event, hdr: signHeaders(hmacKey, now, []byte(`{}`)), wantStatus: 401, wantMsg: "invalid signature"},
		{name: "signature with other timestamp", source: "signed", body: event, hdr: merge(signHeaders(hmacKey, now, event), map[string]string{HeaderTimestamp: strconv.FormatInt(now-1, 10)}), wantStatus: 401, wantMsg: "invalid signature"},
		{name: "expired timestamp", source: "signed", body: event, hdr: signHeaders(hmacKey, now-301, event), wantStatus: 401, wantMsg: "outside the allowed window"},
		{name: "future timestamp", source: "signed", body: event, hdr: signHeaders(hmacKey, now+301, event), wantStatus: 401, wantMsg: "outside the allowed window"},
		{name: "huge timestamp", source: "signed", body: event, hdr: merge(signHeaders(hmacKey, now, event), map[string]string{HeaderTimestamp: "9223372036854775807"}), wantStatus: 401, wantMsg: "outside the allowed window"},
		{name: "minimal timestamp", source: "signed", body: event, hdr: merge(signHeaders(hmacKey, now, event), map[string]string{HeaderTimestamp: "-9223372036854775808"}), wantStatus: 401, wantMsg: "outside the allowed window"},
		{name: "timestamp overflow", source: "signed", body: event, hdr: merge(signHeaders(hmacKey, now, event), map[string]string{HeaderTimestamp: "99999999999999999999"}), wantStatus: 401, wantMsg: HeaderTimestamp},
		{name: "fractional timestamp", source: "signed", body: event, hdr: merge(signHeaders(hmacKey, now, event), map[string]string{HeaderTimestamp: "1700000000.5"}), wantStatus: 401, wantMsg: HeaderTimestamp},
		{name: "missing timestamp", source: "signed", body: event, hdr: map[string]string{HeaderSignature: signHeaders(hmacKey, now, event)[HeaderSignature]}, wantStatus: 401, wantMsg: HeaderTimestamp},
		{name: "malformed signature", source: "signed", body: event, hdr: merge(signHeaders(hmacKey, now, event), map[string]string{HeaderSignature: "md5=abc"}), wantStatus: 401, wantMsg: "malformed"},
		{name: "short signature", source: "signed", body: event, hdr: merge(signHeaders(hmacKey, now, event), map[string]string{HeaderSignature: signHeaders(hmacKey, now, event)[HeaderSignature][:40]}), wantStatus: 401, wantMsg: "malformed"},

		{name: "unknown source", source: "nope", body: event, hdr: bearer, wantStatus: 404, wantMsg: "unknown source"},
		{name: "nested path unknown (direct)", source: "api/x", body: event, hdr: bearer, direct: true, wantStatus: 404},
		{name: "GET via mux", method: http.MethodGet, source: "api", hdr: bearer, wantStatus: 405},
		{name: "GET direct", method: http.MethodGet, source: "api", hdr: bearer, direct: true, wantStatus: 405, wantMsg: "use POST"},
		{name: "PUT direct", method: http.MethodPut, source: "api", body: event, hdr: bearer, direct: true, wantStatus: 405},

		{name: "body too large", source: "small", body: bytes.Repeat([]byte("a"), smallLimit+1), hdr: bearer, wantStatus: 413, wantMsg: "4096 bytes"},
		{name: "body too large, chunked", source: "small", body: bytes.Repeat([]byte("a"), smallLimit+1), hdr: bearer, chunked: true, wantStatus: 413},
		{name: "body at the limit", source: "small", body: bytes.Repeat([]byte("a"), smallLimit), hdr: bearer, wantStatus: 200, wantIngest: 1},
		{name: "gzip bomb", source: "small", body: bomb, hdr: merge(bearer, map[string]string{"Content-Encoding": "gzip"}), wantStatus: 413, wantMsg: "decompressed"},
		{name: "gzip bomb in firehose record", source: "fhsmall", body: gzFirehoseBomb, hdr: fhHeaders("rid-bomb"), wantStatus: 413},
		{name: "hmac body too large", source: "signed", body: bytes.Repeat([]byte("a"), DefaultMaxBodyBytes+1), hdr: signHeaders(hmacKey, now, nil), wantStatus: 413},

		{name: "unsupported encoding", source: "api", body: event, hdr: merge(bearer, map[string]string{"Content-Encoding": "br"}), wantStatus: 415},
		{name: "invalid gzip", source: "api", body: event, hdr: merge(bearer, map[string]string{"Content-Encoding": "gzip"}), wantStatus: 400, wantMsg: "invalid gzip body"},
		{name: "empty body", source: "api", body: []byte(" \n"), hdr: bearer, wantStatus: 400, wantMsg: "empty body"},
		{name: "ingest bad input", source: "api", body: event, hdr: bearer, ingErr: &BadInputError{Msg: "no decoder recognises the body"}, wantStatus: 400, wantMsg: "no decoder recognises the body", wantIngest: 1},
		{name: "ingest wrapped bad input", source: "api", body: event, hdr: bearer, ingErr: fmt.Errorf("decode: %w", &BadInputError{Msg: "bad json"}), wantStatus: 400, wantMsg: "bad json", wantIngest: 1},
		{name: "ingest failure", source: "api", body: event, hdr: bearer, ingErr: errors.New("database is locked: secret details"), wantStatus: 503, wantMsg: "retry later", wantIngest: 1},

		{name: "firehose ok", source: "fh", body: envelope("rid-1", []byte("a")), hdr: fhHeaders("rid-1"), wantStatus: 200, wantIngest: 1},
		{name: "firehose bearer ok", source: "fh", body: envelope("rid-2", []byte("a")), hdr: merge(fhHeaders("rid-2"), map[string]string{HeaderFirehoseAccessKey: "", "Authorization": "Bearer " + fhToken}), wantStatus: 200, wantIngest: 1},
		{name: "firehose wrong key", source: "fh", body: envelope("rid-3"), hdr: merge(fhHeaders("rid-3"), map[string]string{HeaderFirehoseAccessKey: apiToken}), wantStatus: 401},
		{name: "firehose no records", source: "fh", body: envelope("rid-4"), hdr: fhHeaders("rid-4"), wantStatus: 200, wantIngest: 0},
		{name: "firehose not json", source: "fh", body: []byte("a line"), hdr: fhHeaders("rid-5"), wantStatus: 400, wantMsg: "invalid Firehose request"},
		{name: "firehose missing records", source: "fh", body: []byte(`{"requestId":"rid-6","timestamp":1}`), hdr: fhHeaders("rid-6"), wantStatus: 400, wantMsg: `missing "records"`},
		{name: "firehose bad base64", source: "fh", body: []byte(`{"requestId":"rid-7","records":[{"data":"aGVsbG8="},{"data":"!!!"}]}`), hdr: fhHeaders("rid-7"), wantStatus: 400, wantMsg: "record 1: data is not valid base64"},
		{name: "firehose missing data", source: "fh", body: []byte(`{"records":[{}]}`), hdr: fhHeaders("rid-8"), wantStatus: 400, wantMsg: `record 0: missing "data"`},
		{name: "firehose trailing garbage", source: "fh", body: []byte(`{"records":[]} x`), hdr: fhHeaders("rid-9"), wantStatus: 400, wantMsg: "trailing data"},
		{name: "firehose ingest failure", source: "fh", body: envelope("rid-10", []byte("a")), hdr: fhHeaders("rid-10"), ingErr: errors.New("boom"), wantStatus: 503, wantIngest: 1},
		{name: "firehose request id too long", source: "fh", body: envelope("x", []byte("a")), hdr: fhHeaders(strings.Repeat("x", 129)), wantStatus: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if tc.ingErr != nil {
				h.ing.set(Result{}, tc.ingErr)
			}
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			req := newReq(method, tc.source, tc.body, tc.hdr)
			if tc.chunked {
				req.ContentLength = -1
			}
			var rec *httptest.ResponseRecorder
			if tc.direct {
				rec = httptest.NewRecorder()
				h.rc.ServeHTTP(rec, req)
			} else {
				rec = h.do(req)
			}
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if got := len(h.ing.calls()); got != tc.wantIngest {
				t.Errorf("Ingest called %d times, want %d", got, tc.wantIngest)
			}
			if tc.wantStatus == 405 && !tc.direct {
				if got := rec.Header().Get("Allow"); !strings.Contains(got, "POST") {
					t.Errorf("Allow = %q", got)
				}
				return // the mux answered
			}
			if got := rec.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q", got)
			}
			m := decodeResp(t, rec)
			msg, _ := m["errorMessage"].(string)
			if tc.wantStatus == 200 {
				if _, ok := m["errorMessage"]; ok {
					t.Errorf("errorMessage on success: %v", m)
				}
			} else if msg == "" || !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("errorMessage = %q, want it to contain %q", msg, tc.wantMsg)
			}
			if strings.Contains(msg, "secret details") {
				t.Errorf("internal error leaked to the client: %q", msg)
			}
			wantID := tc.hdr[HeaderFirehoseRequestID]
			if id, _ := m["requestId"].(string); wantID != "" && id != wantID || id == "" {
				t.Errorf("requestId = %q, want %q", id, wantID)
			}
			switch tc.wantStatus {
			case 401:
				if got := rec.Header().Get("WWW-Authenticate"); got != "Bearer" {
					t.Errorf("WWW-Authenticate = %q", got)
				}
			case 405:
				if got := rec.Header().Get("Allow"); got != "POST" {
					t.Errorf("Allow = %q", got)
				}
			case 503:
				if rec.Header().Get("Retry-After") == "" {
					t.Error("no Retry-After on 503")
				}
			}
		})
	}
}

func TestIngestRequest(t *testing.T) {
	h := newHarness(t)
	rec := h.do(newReq("POST", "signed", event, signHeaders(hmacKey, fixedUnix, event)))
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	calls := h.ing.calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	got := calls[0]
	if got.Source != "signed" || got.Format != "cloudtrail" || !bytes.Equal(got.Body, event) || got.Remote != "192.0.2.7:41234" {
		t.Errorf("request = %+v", got)
	}
	if len(got.RequestID) != 32 {
		t.Errorf("generated request id %q", got.RequestID)
	}
	m := decodeResp(t, rec)
	if m["requestId"] != got.RequestID {
		t.Errorf("response requestId %v, ingested %q", m["requestId"], got.RequestID)
	}
	want := map[string]any{"records": 2.0, "events": 2.0, "quarantined": 0.0, "findings": 1.0, "timestamp": float64(fixedMillis)}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}

	// Default format and a gzip body handed over decompressed.
	h.do(newReq("POST", "api", gz(t, event), map[string]string{"Authorization": "Bearer " + apiToken, "Content-Encoding": "gzip"}))
	calls = h.ing.calls()
	if len(calls) != 2 || calls[1].Format != "auto" || !bytes.Equal(calls[1].Body, event) {
		t.Errorf("second request = %+v", calls[len(calls)-1])
	}
}

func TestFirehoseExactResponse(t *testing.T) {
	h := newHarness(t)
	const id = "ed4acda5-034f-9f42-bba1-f29aea6d7d8f"
	rec := h.do(newReq("POST", "fh", envelope(id, []byte("rec")), fhHeaders(id)))
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	if want := `{"requestId":"` + id + `","timestamp":1700000000123}` + "\n"; rec.Body.String() != want {
		t.Errorf("body = %q, want %q", rec.Body.String(), want)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}

	// An error answer: the same id, and the errorMessage.
	rec = h.do(newReq("POST", "fh", []byte(`{"records":[{"data":"%%%"}]}`), fhHeaders(id+"-2")))
	if rec.Code != 400 {
		t.Fatalf("status %d", rec.Code)
	}
	want := `{"requestId":"` + id + `-2","timestamp":1700000000123,"errorMessage":"invalid Firehose request: record 0: data is not valid base64: illegal base64 data at input byte 0"}` + "\n"
	if rec.Body.String() != want {
		t.Errorf("body = %q, want %q", rec.Body.String(), want)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}

	// Unauthorized: still the Firehose shape with the request id.
	hdr := fhHeaders(id + "-3")
	hdr[HeaderFirehoseAccessKey] = "wrong-wrong-wrong-wrong"
	rec = h.do(newReq("POST", "fh", envelope(id), hdr))
	want = `{"requestId":"` + id + `-3","timestamp":1700000000123,"errorMessage":"invalid credentials"}` + "\n"
	if rec.Code != 401 || rec.Body.String() != want {
		t.Errorf("401 answer = %d %q, want %q", rec.Code, rec.Body.String(), want)
	}
}

func TestFirehoseRecordsJoined(t *testing.T) {
	cwl1 := []byte(`{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"vpc","logEvents":[{"id":"1","timestamp":1,"message":"2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 49152 6 1 40 1 2 ACCEPT OK"}]}`)
	cwl2 := []byte(`{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logEvents":[]}`)
	plain := []byte("{\"eventName\":\"ConsoleLogin\"}\n")
	h := newHarness(t)
	body := gz(t, envelope("rid-cwl", gz(t, cwl1), plain, []byte{}, gz(t, cwl2)))
	hdr := fhHeaders("rid-cwl")
	hdr["Content-Encoding"] = "gzip"
	rec := h.do(newReq("POST", "fh", body, hdr))
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	calls := h.ing.calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	want := string(cwl1) + "\n" + `{"eventName":"ConsoleLogin"}` + "\n" + string(cwl2)
	if got := string(calls[0].Body); got != want {
		t.Errorf("body =\n%s\nwant\n%s", got, want)
	}
	if calls[0].RequestID != "rid-cwl" || calls[0].Format != "vpcflow" || calls[0].Source != "fh" {
		t.Errorf("request = %+v", calls[0])
	}
}

func TestFirehoseRetryIdempotent(t *testing.T) {
	h := newHarness(t)
	body := envelope("rid-retry", []byte("line"))
	first := h.do(newReq("POST", "fh", body, fhHeaders("rid-retry")))
	h.clock.Advance(30 * time.Second)
	second := h.do(newReq("POST", "fh", body, fhHeaders("rid-retry")))
	if first.Code != 200 || second.Code != 200 {
		t.Fatalf("statuses %d, %d", first.Code, second.Code)
	}
	if n := len(h.ing.calls()); n != 1 {
		t.Fatalf("ingested %d times, want once", n)
	}
	if want := `{"requestId":"rid-retry","timestamp":1700000030123}` + "\n"; second.Body.String() != want {
		t.Errorf("retry answer %q, want %q", second.Body.String(), want)
	}
	// A different id is ingested.
	if rec := h.do(newReq("POST", "fh", body, fhHeaders("rid-other"))); rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	if n := len(h.ing.calls()); n != 2 {
		t.Fatalf("ingested %d times, want twice", n)
	}
	// After the idempotency window the id is forgotten.
	h.clock.Advance(IdempotencyWindow)
	h.do(newReq("POST", "fh", body, fhHeaders("rid-retry")))
	if n := len(h.ing.calls()); n != 3 {
		t.Fatalf("ingested %d times after the window, want 3", n)
	}
	// Wrong credentials never get the remembered answer.
	hdr := fhHeaders("rid-other")
	hdr[HeaderFirehoseAccessKey] = "wrong-wrong-wrong-wrong"
	if rec := h.do(newReq("POST", "fh", body, hdr)); rec.Code != 401 {
		t.Errorf("unauthenticated retry: status %d", rec.Code)
	}
	if !strings.Contains(h.logs.String(), `"duplicate":true`) {
		t.Error("duplicate not logged")
	}
}

func TestFirehoseRetryAfterFailure(t *testing.T) {
	h := newHarness(t)
	body := envelope("rid-f", []byte("line"))
	h.ing.set(Result{}, errors.New("store down"))
	if rec := h.do(newReq("POST", "fh", body, fhHeaders("rid-f"))); rec.Code != 503 {
		t.Fatalf("status %d", rec.Code)
	}
	h.ing.set(Result{Records: 1}, nil)
	if rec := h.do(newReq("POST", "fh", body, fhHeaders("rid-f"))); rec.Code != 200 {
		t.Fatalf("retry status %d", rec.Code)
	}
	if n := len(h.ing.calls()); n != 2 {
		t.Fatalf("ingested %d times, want 2 (the retry of a failure is processed)", n)
	}
	if rec := h.do(newReq("POST", "fh", body, fhHeaders("rid-f"))); rec.Code != 200 {
		t.Fatalf("third status %d", rec.Code)
	}
	if n := len(h.ing.calls()); n != 2 {
		t.Fatalf("ingested %d times, want still 2", n)
	}
}

func TestFirehoseRetryAfterBadInput(t *testing.T) {
	h := newHarness(t)
	body := envelope("rid-b", []byte("garbage"))
	h.ing.set(Result{}, &BadInputError{Msg: "unrecognised records"})
	for i := range 2 {
		rec := h.do(newReq("POST", "fh", body, fhHeaders("rid-b")))
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), "unrecognised records") {
			t.Fatalf("attempt %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	if n := len(h.ing.calls()); n != 1 {
		t.Fatalf("ingested (and quarantined) %d times, want once", n)
	}
}

func TestFirehoseConcurrentRetry(t *testing.T) {
	h := newHarness(t)
	h.ing.entered = make(chan struct{}, 1)
	h.ing.release = make(chan struct{})
	body := envelope("rid-c", []byte("line"))
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- h.do(newReq("POST", "fh", body, fhHeaders("rid-c"))) }()
	<-h.ing.entered
	rec := h.do(newReq("POST", "fh", body, fhHeaders("rid-c")))
	if rec.Code != 503 || rec.Header().Get("Retry-After") == "" {
		t.Errorf("concurrent retry: %d %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	close(h.ing.release)
	if first := <-done; first.Code != 200 {
		t.Fatalf("first: %d", first.Code)
	}
	if rec := h.do(newReq("POST", "fh", body, fhHeaders("rid-c"))); rec.Code != 200 {
		t.Errorf("later retry: %d", rec.Code)
	}
	if n := len(h.ing.calls()); n != 1 {
		t.Errorf("ingested %d times", n)
	}
}

func TestReplay(t *testing.T) {
	h := newHarness(t)
	hdr := signHeaders(hmacKey, fixedUnix, event)
	if rec := h.do(newReq("POST", "signed", event, hdr)); rec.Code != 200 {
		t.Fatalf("first: %d %s", rec.Code, rec.Body)
	}
	h.clock.Advance(2 * time.Minute)
	rec := h.do(newReq("POST", "signed", event, hdr))
	if rec.Code != 409 || !strings.Contains(rec.Body.String(), "replayed") {
		t.Fatalf("replay: %d %s", rec.Code, rec.Body)
	}
	// The same signature with upper-case hex is the same MAC.
	up := merge(hdr, map[string]string{HeaderSignature: "sha256=" + strings.ToUpper(strings.TrimPrefix(hdr[HeaderSignature], "sha256="))})
	if rec := h.do(newReq("POST", "signed", event, up)); rec.Code != 409 {
		t.Errorf("upper-case replay: %d", rec.Code)
	}
	if n := len(h.ing.calls()); n != 1 {
		t.Errorf("ingested %d times", n)
	}
	// A new timestamp is a new request.
	if rec := h.do(newReq("POST", "signed", event, signHeaders(hmacKey, fixedUnix+120, event))); rec.Code != 200 {
		t.Errorf("re-signed: %d", rec.Code)
	}
	// Once the timestamp is outside the window the replay fails on it.
	h.clock.Advance(4 * time.Minute)
	if rec := h.do(newReq("POST", "signed", event, hdr)); rec.Code != 401 {
		t.Errorf("late replay: %d", rec.Code)
	}
}

func TestReplayAfterFailureAllowed(t *testing.T) {
	h := newHarness(t)
	hdr := signHeaders(hmacKey, fixedUnix, event)
	h.ing.set(Result{}, errors.New("down"))
	if rec := h.do(newReq("POST", "signed", event, hdr)); rec.Code != 503 {
		t.Fatalf("first: %d", rec.Code)
	}
	h.ing.set(Result{}, nil)
	if rec := h.do(newReq("POST", "signed", event, hdr)); rec.Code != 200 {
		t.Fatalf("retry of a failed request: %d", rec.Code)
	}
	if rec := h.do(newReq("POST", "signed", event, hdr)); rec.Code != 409 {
		t.Fatalf("replay of the stored request: %d", rec.Code)
	}
	// A rejected (400) signed request is not processed again either.
	bad := signHeaders(hmacKey, fixedUnix, []byte("x"))
	h.ing.set(Result{}, &BadInputError{Msg: "no"})
	if rec := h.do(newReq("POST", "signed", []byte("x"), bad)); rec.Code != 400 {
		t.Fatalf("bad input: %d", rec.Code)
	}
	if rec := h.do(newReq("POST", "signed", []byte("x"), bad)); rec.Code != 409 {
		t.Fatalf("replayed bad input: %d", rec.Code)
	}
}

func TestReplayCacheFullFailsClosed(t *testing.T) {
	h := newHarness(t)
	h.rc.sigs = newSeenCache(2, true)
	for i := range 2 {
		body := []byte(fmt.Sprintf(`{"n":%d}`, i))
		if rec := h.do(newReq("POST", "signed", body, signHeaders(hmacKey, fixedUnix, body))); rec.Code != 200 {
			t.Fatalf("request %d: %d", i, rec.Code)
		}
	}
	body := []byte(`{"n":3}`)
	rec := h.do(newReq("POST", "signed", body, signHeaders(hmacKey, fixedUnix, body)))
	if rec.Code != 503 {
		t.Fatalf("full cache: %d", rec.Code)
	}
	h.clock.Advance(DefaultMaxSkew + 2*time.Second)
	rec = h.do(newReq("POST", "signed", body, signHeaders(hmacKey, fixedUnix+302, body)))
	if rec.Code != 200 {
		t.Fatalf("after expiry: %d %s", rec.Code, rec.Body)
	}
	if n := h.rc.sigs.len(); n != 1 {
		t.Errorf("cache holds %d, want the expired entries evicted", n)
	}
}

// TestHMACKnownAnswer checks Sign and the verifier against a signature
// computed outside Go (openssl dgst -sha256 -hmac).
func TestHMACKnownAnswer(t *testing.T) {
	const (
		key  = "picket-test-hmac-key-0001"
		ts   = "1700000000"
		body = `{"detail-type":"test"}`
		want = "sha256=a4eb7ca679cc7608e2295c264a336bc5bfe6fb92d6ca475f0123ca8c418b4039"
	)
	if got := Sign([]byte(key), ts, []byte(body)); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	if got := signHeaders(key, fixedUnix, []byte(body))[HeaderSignature]; got != want {
		t.Fatalf("test signer = %s, want %s", got, want)
	}
	h := newHarness(t)
	rec := h.do(newReq("POST", "signed", []byte(body), map[string]string{HeaderTimestamp: ts, HeaderSignature: want}))
	if rec.Code != 200 {
		t.Fatalf("known signature rejected: %d %s", rec.Code, rec.Body)
	}
	flipped := want[:len(want)-1] + "8"
	rec = h.do(newReq("POST", "signed", []byte(body), map[string]string{HeaderTimestamp: ts, HeaderSignature: flipped}))
	if rec.Code != 401 {
		t.Fatalf("altered signature: %d", rec.Code)
	}
}

func TestSignedGzipBodyIsSignedAsSent(t *testing.T) {
	h := newHarness(t)
	z := gz(t, event)
	hdr := merge(signHeaders(hmacKey, fixedUnix, z), map[string]string{"Content-Encoding": "gzip"})
	if rec := h.do(newReq("POST", "signed", z, hdr)); rec.Code != 200 {
		t.Fatalf("status %d %s", rec.Code, rec.Body)
	}
	if calls := h.ing.calls(); len(calls) != 1 || !bytes.Equal(calls[0].Body, event) {
		t.Fatalf("calls %+v", calls)
	}
	hdr = merge(signHeaders(hmacKey, fixedUnix+1, event), map[string]string{"Content-Encoding": "gzip"})
	if rec := h.do(newReq("POST", "signed", z, hdr)); rec.Code != 401 {
		t.Fatalf("signature over the decompressed body accepted: %d", rec.Code)
	}
}

func TestMuxRoutes(t *testing.T) {
	h := newHarness(t)
	rec := h.do(newReq("POST", "api", event, map[string]string{"Authorization": "Bearer " + apiToken}))
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	// The mux does not route nested paths to the receiver.
	rec = h.do(newReq("POST", "api/extra", event, map[string]string{"Authorization": "Bearer " + apiToken}))
	if rec.Code != 404 {
		t.Errorf("nested path: %d", rec.Code)
	}
	if n := len(h.ing.calls()); n != 1 {
		t.Errorf("ingested %d", n)
	}
}

func TestMetrics(t *testing.T) {
	h := newHarness(t)
	bearer := map[string]string{"Authorization": "Bearer " + apiToken}
	h.do(newReq("POST", "api", event, bearer))
	h.do(newReq("POST", "api", event, bearer))
	h.do(newReq("POST", "api", event, nil))
	h.do(newReq("POST", "unknown-thing", event, bearer))
	h.do(newReq("POST", "fh", envelope("m1", []byte("x")), fhHeaders("m1")))

	cs := h.rc.Collectors()
	if len(cs) != 2 {
		t.Fatalf("%d collectors", len(cs))
	}
	m := h.rc.metrics
	checks := []struct {
		name string
		got  float64
		want float64
	}{
		{"api 200", testutil.ToFloat64(m.requests.WithLabelValues("api", "200")), 2},
		{"api 401", testutil.ToFloat64(m.requests.WithLabelValues("api", "401")), 1},
		{"unknown 404", testutil.ToFloat64(m.requests.WithLabelValues(unknownSourceLabel, "404")), 1},
		{"fh 200", testutil.ToFloat64(m.requests.WithLabelValues("fh", "200")), 1},
		{"api bytes", testutil.ToFloat64(m.bytes.WithLabelValues("api")), float64(2 * len(event))},
		{"fh bytes", testutil.ToFloat64(m.bytes.WithLabelValues("fh")), float64(len(envelope("m1", []byte("x"))))},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if n := testutil.CollectAndCount(cs[0], "picket_ingest_requests_total"); n != 4 {
		t.Errorf("%d request series, want 4", n)
	}
	if n := testutil.CollectAndCount(cs[1], "picket_ingest_bytes_total"); n != 2 {
		t.Errorf("%d byte series, want 2", n)
	}
}

func TestLogsHoldNoSecrets(t *testing.T) {
	h := newHarness(t)
	secretBody := []byte(`{"detail":{"password":"hunter2-do-not-log"}}`)
	h.do(newReq("POST", "api", secretBody, map[string]string{"Authorization": "Bearer " + apiToken}))
	h.do(newReq("POST", "api", secretBody, map[string]string{"Authorization": "Bearer " + apiToken + "-wrong"}))
	sig := signHeaders(hmacKey, fixedUnix, secretBody)
	h.do(newReq("POST", "signed", secretBody, sig))
	h.do(newReq("POST", "fh", envelope("log-rid", secretBody), fhHeaders("log-rid")))
	h.ing.set(Result{}, errors.New("store failed"))
	h.do(newReq("POST", "api", secretBody, map[string]string{"X-Api-Key": apiToken}))

	logs := h.logs.String()
	for _, secret := range []string{apiToken, fhToken, hmacKey, "hunter2", strings.TrimPrefix(sig[HeaderSignature], "sha256="),
		base64.StdEncoding.EncodeToString(secretBody)[:20]} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
	for _, want := range []string{`"request_id":"log-rid"`, `"source":"fh"`, `"remote":"192.0.2.7:41234"`, `"status":401`, `"status":503`, `"cause":"store failed"`, `"findings":1`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

func TestNewValidation(t *testing.T) {
	ok := func() SourceConfig { return SourceConfig{Name: "s", Auth: Auth{Tokens: []string{apiToken}}} }
	tests := []struct {
		name    string
		sources []SourceConfig
		wantErr string
	}{
		{"valid", []SourceConfig{ok()}, ""},
		{"valid hmac only", []SourceConfig{{Name: "h", Auth: Auth{HMACKeys: []string{hmacKey}}}}, ""},
		{"no auth", []SourceConfig{{Name: "s"}}, "no authentication"},
		{"short token", []SourceConfig{{Name: "s", Auth: Auth{Tokens: []string{"short-secret"}}}}, "shorter than 16"},
		{"empty token", []SourceConfig{{Name: "s", Auth: Auth{Tokens: []string{""}}}}, "shorter than 16"},
		{"short hmac key", []SourceConfig{{Name: "s", Auth: Auth{HMACKeys: []string{"k"}}}}, "HMAC key 0 is shorter"},
		{"duplicate", []SourceConfig{ok(), ok()}, "duplicate name"},
		{"empty name", []SourceConfig{{Auth: Auth{Tokens: []string{apiToken}}}}, "name must be"},
		{"slash in name", []SourceConfig{{Name: "a/b", Auth: Auth{Tokens: []string{apiToken}}}}, "name must be"},
		{"firehose without token", []SourceConfig{{Name: "f", Firehose: true, Auth: Auth{HMACKeys: []string{hmacKey}}}}, "Firehose source needs a token"},
		{"header without token", []SourceConfig{{Name: "h", Auth: Auth{Header: "X-Api-Key", HMACKeys: []string{hmacKey}}}}, "no tokens"},
		{"bad header", []SourceConfig{{Name: "h", Auth: Auth{Header: "X Api", Tokens: []string{apiToken}}}}, "not a valid header"},
		{"reserved header", []SourceConfig{{Name: "h", Auth: Auth{Header: "x-picket-signature", Tokens: []string{apiToken}}}}, "reserved"},
		{"negative skew", []SourceConfig{{Name: "s", Auth: Auth{Tokens: []string{apiToken}, MaxSkew: -1}}}, "max skew must be at least 1s"},
		{"sub-second skew", []SourceConfig{{Name: "s", Auth: Auth{Tokens: []string{apiToken}, MaxSkew: time.Millisecond}}}, "max skew must be at least 1s"},
		{"negative size", []SourceConfig{{Name: "s", MaxBodyBytes: -1, Auth: Auth{Tokens: []string{apiToken}}}}, "negative body size"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.sources, &fakeIngester{}, nil, nil)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "short-secret") {
				t.Errorf("error reveals a token: %v", err)
			}
		})
	}
	if _, err := New(nil, nil, nil, nil); err == nil {
		t.Error("nil Ingester accepted")
	}
}

func TestDefaults(t *testing.T) {
	rc, err := New([]SourceConfig{{Name: "s", Auth: Auth{Tokens: []string{apiToken}}}}, &fakeIngester{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := rc.sources["s"]
	if s.cfg.Format != DefaultFormat || s.cfg.MaxBodyBytes != DefaultMaxBodyBytes || s.cfg.MaxDecodedBytes != DefaultMaxBodyBytes || s.cfg.Auth.MaxSkew != DefaultMaxSkew {
		t.Errorf("defaults not applied: %+v", s.cfg)
	}
	if s.cfg.Auth.Tokens != nil {
		t.Error("tokens kept in clear")
	}
}

func TestBadInputErrorMessage(t *testing.T) {
	inner := errors.New("line 3: bad JSON")
	tests := []struct {
		err  *BadInputError
		want string
	}{
		{&BadInputError{Msg: "m"}, "m"},
		{&BadInputError{Err: inner}, "line 3: bad JSON"},
		{&BadInputError{Msg: "decode", Err: inner}, "decode: line 3: bad JSON"},
		{&BadInputError{}, "bad input"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	if !errors.Is(&BadInputError{Err: inner}, inner) {
		t.Error("Unwrap")
	}
}

func TestTruncate(t *testing.T) {
	if got := truncate("abc", 5); got != "abc" {
		t.Errorf("%q", got)
	}
	if got := truncate("abcdef", 3); got != "abc…" {
		t.Errorf("%q", got)
	}
	if got := truncate("aé", 2); got != "a…" { // é is 2 bytes; do not split it
		t.Errorf("%q", got)
	}
}

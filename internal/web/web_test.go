package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/config"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/store"
	"github.com/picket-dev/picket/internal/store/sqlite"
)

// --- fixture ---------------------------------------------------------------

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

const (
	acctA = "111111111111"
	acctB = "222222222222"
	acctC = "333333333333"

	typeRecon = "Recon:IAMUser/MaliciousIPCaller"
	typeLogin = "UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B"
	typeExfil = "Exfiltration:S3/ObjectRead.Unusual"

	tokenAlpha = "pkt_alpha_3f9c1e7a5b2d4c6e8f0a1b2c3d4e5f60"
	tokenBeta  = "pkt_beta_9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"
	tokenGamma = "pkt_gamma_0b1c2d3e4f5a6b7c"

	// archiveNow is the Server's clock in the fixture.
	archiveNow = "2024-06-01T00:00:00Z"
)

var allTokens = []string{tokenAlpha, tokenBeta, tokenGamma}

// newFinding builds a finding shaped like the ones the detectors raise (see
// store/storetest's helper of the same name) and seals it.
func newFinding(account, region, typ, key string, sev float64) finding.Finding {
	f := finding.Finding{
		AccountID:   account,
		Region:      region,
		Type:        typ,
		Severity:    sev,
		Title:       fmt.Sprintf("%s severity %v", key, sev),
		Description: "description " + key,
		Resource: finding.Resource{
			ResourceType:     "AccessKey",
			AccessKeyDetails: &finding.AccessKeyDetails{AccessKeyID: key, UserName: "alice", UserType: "IAMUser"},
		},
		Service: finding.Service{
			DetectorID: "detector-1",
			Action: finding.Action{ActionType: "AWS_API_CALL", AwsAPICallAction: &finding.AwsAPICallAction{
				API: "GetObject", ServiceName: "s3.amazonaws.com", CallerType: "Remote IP",
				RemoteIPDetails: &finding.RemoteIPDetails{IPAddressV4: "198.51.100.7"},
			}},
			Count:          1,
			EventFirstSeen: at(-time.Hour),
			EventLastSeen:  at(-time.Minute),
			ResourceRole:   "TARGET",
			AdditionalInfo: map[string]any{"note": "x", "score": 0.5},
		},
		Keys: finding.Keys{Resource: key, Actor: "arn:aws:iam::" + account + ":user/alice"},
	}
	f.Seal()
	return f
}

// Raw evidence of finding f4, stored oldest first.
var (
	rawJSON      = []byte(`{"eventID":"ev-1","eventName":"GetObject","requestParameters":{"bucketName":"secret-bucket"}}`)
	rawInvalid   = []byte("not json \xff\xfe at all")
	rawTruncated = []byte(`{"Records":[{"eventID":`)
)

type fixture struct {
	store store.Store
	srv   *Server
	ts    *httptest.Server
	ids   map[string]string // fixture name (f1…f6) → finding ID
	logs  *syncBuffer
	// tokens are the configured secrets; no response may contain them.
	tokens []string
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines to log into.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// order is the fixture's findings most recently updated first, the order
// the API lists them in.
var order = []string{"f6", "f5", "f4", "f3", "f2", "f1"}

// newFixture opens a real SQLite store in a temporary directory, fills it,
// and serves it with the given tokens configured.
//
//	name  account region          type   severity  updatedAt    archived
//	f1    A       us-east-1       Recon  2.0       t0           no
//	f2    A       eu-west-1       Login  5.0       t0+1h        no
//	f3    B       us-west-2       Recon  7.0       t0+2h        no
//	f4    B       us-east-1       Exfil  8.0       t0+3h        no   (3 evidence rows)
//	f5    C       eu-west-1       Exfil  9.5       t0+5h        yes  (committed t0+4h, archived t0+5h)
//	f6    C       ap-southeast-2  Recon  6.9       t0+6h        no
func newFixture(t *testing.T, tokens ...string) *fixture {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "picket.db"))
	if err != nil {
		t.Fatalf("opening sqlite store: %v", err)
	}
	t.Cleanup(func() { st.Close() })

	commit := func(b *store.Batch) {
		t.Helper()
		if _, err := st.Commit(ctx, b); err != nil {
			t.Fatalf("Commit: %v", err)
		}
	}
	fx := &fixture{store: st, ids: map[string]string{}, logs: &syncBuffer{}, tokens: tokens}
	add := func(name string, f finding.Finding, now time.Time, ev ...finding.Evidence) {
		t.Helper()
		fx.ids[name] = f.ID
		for i := range ev {
			ev[i].FindingID = f.ID
		}
		commit(&store.Batch{Findings: []finding.Finding{f}, Evidence: ev, Now: now})
	}
	add("f1", newFinding(acctA, "us-east-1", typeRecon, "AKIA1", 2.0), at(0))
	add("f2", newFinding(acctA, "eu-west-1", typeLogin, "AKIA2", 5.0), at(time.Hour))
	add("f3", newFinding(acctB, "us-west-2", typeRecon, "AKIA3", 7.0), at(2*time.Hour))
	add("f4", newFinding(acctB, "us-east-1", typeExfil, "AKIA4", 8.0), at(3*time.Hour),
		// Given newest first: the store returns evidence oldest first.
		finding.Evidence{EventID: "ev-3", EventTime: at(-10 * time.Minute), Source: "scan", Path: "logs/c.json.gz", Index: 7, Offset: 3000, Raw: rawTruncated},
		finding.Evidence{EventID: "ev-2", EventTime: at(-20 * time.Minute), Source: "scan", Path: "logs/b.json.gz", Index: 4, Offset: 2000, Raw: rawInvalid},
		finding.Evidence{EventID: "ev-1", EventTime: at(-30 * time.Minute), Source: "scan", Path: "logs/a.json.gz", Index: 2, Offset: 1000, Raw: rawJSON},
	)
	add("f5", newFinding(acctC, "eu-west-1", typeExfil, "AKIA5", 9.5), at(4*time.Hour))
	if n, err := st.SetArchived(ctx, []string{fx.ids["f5"]}, true, at(5*time.Hour)); err != nil || n != 1 {
		t.Fatalf("archiving f5: changed %d, err %v", n, err)
	}
	add("f6", newFinding(acctC, "ap-southeast-2", typeRecon, "AKIA6", 6.9), at(6*time.Hour))

	// Quarantine: three records of source scan, one of demo.
	q := func(source, path string, index int64, when time.Time) store.Quarantined {
		return store.Quarantined{
			Origin: event.Origin{Source: source, Path: path, Index: index, Offset: 100 * index, Line: index + 1},
			Format: "cloudtrail", Reason: "bad json in " + path, Sample: []byte(`{"Records":[{` + path), At: when,
		}
	}
	commit(&store.Batch{Quarantine: []store.Quarantined{
		q("scan", "logs/q1.json", 0, at(time.Minute)),
		q("scan", "logs/q2.json", 1, at(3*time.Minute)),
		q("demo", "demo/q.json", 0, at(4*time.Minute)),
		q("scan", "logs/q3.json", 2, at(2*time.Minute)),
	}, Now: at(0)})

	// Checkpoints: many keys of scan, written in random order so that the
	// map the store returns is never in key order by accident; two of demo.
	var cps []store.Checkpoint
	for i := range 20 {
		cps = append(cps, store.Checkpoint{Source: "scan", Key: fmt.Sprintf("logs/2024/05/%02d.json.gz", i), Position: int64(i * 10),
			Offset: int64(i * 1000), Size: int64(i*1000 + 5), ModTime: at(time.Duration(i) * time.Minute), Done: i%2 == 0})
	}
	rand.Shuffle(len(cps), func(i, j int) { cps[i], cps[j] = cps[j], cps[i] })
	cps = append(cps,
		store.Checkpoint{Source: "demo", Key: "demo/a", Position: 1, ModTime: at(0)},
		store.Checkpoint{Source: "demo", Key: "demo/b", Position: 2, ModTime: at(0)})
	commit(&store.Batch{Checkpoints: cps, Now: at(7 * time.Hour)})

	secrets := make([]config.Secret, len(tokens))
	for i, tok := range tokens {
		secrets[i] = config.NewSecret(tok)
	}
	now, _ := time.Parse(time.RFC3339, archiveNow)
	fx.srv = &Server{
		Store:  st,
		Tokens: secrets,
		Log:    slog.New(slog.NewTextHandler(fx.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    func() time.Time { return now },
	}
	fx.ts = httptest.NewServer(fx.srv.Handler())
	t.Cleanup(fx.ts.Close)
	t.Cleanup(func() {
		// Whatever the test did, the secrets never reach the log.
		logs := fx.logs.String()
		for _, tok := range tokens {
			if strings.Contains(logs, tok) {
				t.Errorf("log output contains configured token %q:\n%s", tok, logs)
			}
		}
	})
	return fx
}

// restart serves the Server anew, after a test changed its fields.
func (fx *fixture) restart(t *testing.T) {
	t.Helper()
	fx.ts.Close()
	fx.ts = httptest.NewServer(fx.srv.Handler())
	t.Cleanup(fx.ts.Close)
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) String() string {
	return fmt.Sprintf("%d %s", r.status, bytes.TrimSpace(r.body))
}

// do sends a request to the fixture's server. Redirects are not followed, so
// they are seen. Every response is checked not to contain a configured token.
func (fx *fixture) do(t *testing.T, method, path string, header http.Header) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, fx.ts.URL+path, nil)
	if err != nil {
		t.Fatalf("building %s %s: %v", method, path, err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	c := fx.ts.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	r := response{status: res.StatusCode, header: res.Header, body: body}
	assertNoSecret(t, method+" "+path, r, fx.tokens)
	if !utf8.Valid(body) {
		t.Errorf("%s %s: response body is not valid UTF-8 (RFC 8259 §8.1): %q", method, path, body)
	}
	return r
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

// get sends an authenticated GET.
func (fx *fixture) get(t *testing.T, path string) response {
	t.Helper()
	return fx.do(t, http.MethodGet, path, bearer(tokenAlpha))
}

// post sends an authenticated POST.
func (fx *fixture) post(t *testing.T, path string) response {
	t.Helper()
	return fx.do(t, http.MethodPost, path, bearer(tokenAlpha))
}

func assertNoSecret(t *testing.T, what string, r response, tokens []string) {
	t.Helper()
	for _, tok := range tokens {
		if bytes.Contains(r.body, []byte(tok)) {
			t.Errorf("%s: response body contains configured token %q: %s", what, tok, r.body)
		}
		for k, vs := range r.header {
			for _, v := range vs {
				if strings.Contains(v, tok) {
					t.Errorf("%s: response header %s: %q contains configured token %q", what, k, v, tok)
				}
			}
		}
	}
}

// decode unmarshals a response body that must be JSON, failing on unknown
// fields so a renamed field is noticed.
func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding %T from %s: %v", v, r, err)
	}
	return v
}

func wantStatus(t *testing.T, what string, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body: %s", what, r.status, status, bytes.TrimSpace(r.body))
	}
}

// wantError checks a JSON error response: the status, the JSON content
// type, exactly one "error" key, and a message containing each of parts.
func wantError(t *testing.T, what string, r response, status int, parts ...string) {
	t.Helper()
	wantStatus(t, what, r, status)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q, want application/json", what, ct)
	}
	var body map[string]string
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("%s: error body is not a JSON object of strings: %v: %s", what, err, r.body)
	}
	msg, ok := body["error"]
	if !ok || len(body) != 1 {
		t.Fatalf(`%s: error body %s, want exactly {"error": …}`, what, r.body)
	}
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("%s: error %q does not contain %q", what, msg, p)
		}
	}
}

func (fx *fixture) names(ids []string) []string {
	byID := map[string]string{}
	for name, id := range fx.ids {
		byID[id] = name
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		if out[i] = byID[id]; out[i] == "" {
			out[i] = "unknown:" + id
		}
	}
	return out
}

// apiRoutes are every /api route with an existing finding, for the
// authentication tests.
func (fx *fixture) apiRoutes() []struct{ method, path string } {
	id := fx.ids["f1"]
	return []struct{ method, path string }{
		{http.MethodGet, "/api/v1/findings"},
		{http.MethodGet, "/api/v1/findings?severity=high&limit=5"},
		{http.MethodGet, "/api/v1/findings/" + id},
		{http.MethodGet, "/api/v1/findings/" + id + "/evidence"},
		{http.MethodPost, "/api/v1/findings/" + id + "/archive"},
		{http.MethodPost, "/api/v1/findings/" + id + "/unarchive"},
		{http.MethodGet, "/api/v1/quarantine"},
		{http.MethodGet, "/api/v1/sources/scan/checkpoints"},
		{http.MethodGet, "/api/v1/alerts"},
		{http.MethodGet, "/api/v1/alerts/stats"},
		{http.MethodGet, "/api/v1/notifications"},
		{http.MethodGet, "/api/v1/suppressions"},
		{http.MethodPost, "/api/v1/alerts/a1/acknowledge"},
		// Unknown API paths and methods are refused before routing too.
		{http.MethodGet, "/api/v1/nope"},
		{http.MethodDelete, "/api/v1/findings/" + id},
	}
}

// --- authentication --------------------------------------------------------

func TestAPIDisabledWithoutTokens(t *testing.T) {
	fx := newFixture(t) // no tokens configured
	for _, rt := range fx.apiRoutes() {
		for _, h := range []http.Header{nil, bearer(tokenAlpha), bearer("")} {
			what := fmt.Sprintf("%s %s with Authorization %q", rt.method, rt.path, h.Get("Authorization"))
			r := fx.do(t, rt.method, rt.path, h)
			wantError(t, what, r, http.StatusUnauthorized, "API is disabled", "no API tokens")
		}
	}
	if f := getStored(t, fx, "f1"); f.Service.Archived {
		t.Error("an unauthenticated POST archive changed the finding")
	}
	// What needs no token still works.
	if r := fx.do(t, http.MethodGet, "/healthz", nil); r.status != http.StatusOK {
		t.Errorf("/healthz without tokens configured: %s, want 200", r)
	}
}

func TestAuthenticationRejects(t *testing.T) {
	fx := newFixture(t, allTokens...)
	cases := []struct {
		name   string
		header []string // Authorization values; nil: none
		msg    string
		wwwErr bool // WWW-Authenticate carries error="invalid_token"
	}{
		{"missing header", nil, "missing bearer token", false},
		{"empty header", []string{""}, "missing bearer token", false},
		{"scheme only", []string{"Bearer"}, "missing bearer token", false},
		{"scheme and space", []string{"Bearer "}, "missing bearer token", false},
		{"wrong token", []string{"Bearer pkt_wrong_0000000000000000"}, "invalid bearer token", true},
		{"basic scheme with token", []string{"Basic " + tokenAlpha}, "missing bearer token", false},
		{"basic credentials", []string{"Basic dXNlcjpwa3RfYWxwaGE="}, "missing bearer token", false},
		{"raw token without scheme", []string{tokenAlpha}, "missing bearer token", false},
		{"double space", []string{"Bearer  " + tokenAlpha}, "invalid bearer token", true},
		{"tab after scheme", []string{"Bearer\t" + tokenAlpha}, "missing bearer token", false},
		{"trailing space", []string{"Bearer " + tokenAlpha + " "}, "invalid bearer token", true},
		{"token with a suffix", []string{"Bearer " + tokenAlpha + "x"}, "invalid bearer token", true},
		{"prefix of a token", []string{"Bearer " + tokenAlpha[:len(tokenAlpha)-1]}, "invalid bearer token", true},
		{"short prefix of a token", []string{"Bearer pkt_"}, "invalid bearer token", true},
		{"two tokens joined", []string{"Bearer " + tokenAlpha + tokenBeta}, "invalid bearer token", true},
		{"token of another case", []string{"Bearer " + strings.ToUpper(tokenAlpha)}, "invalid bearer token", true},
		{"first of two headers invalid", []string{"Bearer nope", "Bearer " + tokenAlpha}, "invalid bearer token", true},
	}
	h := fx.srv.Handler()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, rt := range fx.apiRoutes() {
				// A recorder delivers the header byte for byte (a real
				// server trims surrounding whitespace off header values).
				req := httptest.NewRequestWithContext(t.Context(), rt.method, rt.path, nil)
				if tc.header != nil {
					req.Header["Authorization"] = tc.header
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				r := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
				what := rt.method + " " + rt.path
				assertNoSecret(t, what, r, allTokens)
				wantError(t, what, r, http.StatusUnauthorized, tc.msg)
				wa := r.header.Get("WWW-Authenticate")
				if !strings.HasPrefix(wa, "Bearer ") || !strings.Contains(wa, `realm="picket"`) {
					t.Errorf("%s: WWW-Authenticate %q, want a Bearer challenge with realm", what, wa)
				}
				if got := strings.Contains(wa, `error="invalid_token"`); got != tc.wwwErr {
					t.Errorf("%s: WWW-Authenticate %q: invalid_token %t, want %t", what, wa, got, tc.wwwErr)
				}
			}
		})
	}
	if f := getStored(t, fx, "f1"); f.Service.Archived {
		t.Error("a POST archive with a bad token changed the finding")
	}
}

func TestAuthenticationAcceptsEveryToken(t *testing.T) {
	fx := newFixture(t, allTokens...)
	for _, tok := range allTokens {
		for _, rt := range fx.apiRoutes() {
			what := fmt.Sprintf("%s %s with token %s…", rt.method, rt.path, tok[:8])
			r := fx.do(t, rt.method, rt.path, bearer(tok))
			if r.status == http.StatusUnauthorized {
				t.Errorf("%s: %s, want it accepted", what, r)
			}
			if r.header.Get("WWW-Authenticate") != "" {
				t.Errorf("%s: WWW-Authenticate %q on an accepted request", what, r.header.Get("WWW-Authenticate"))
			}
		}
		r := fx.do(t, http.MethodGet, "/api/v1/findings", bearer(tok))
		wantStatus(t, "list with token "+tok[:8], r, http.StatusOK)
		if l := decode[FindingList](t, r); l.Total != len(order) {
			t.Errorf("list with token %s…: total %d, want %d", tok[:8], l.Total, len(order))
		}
	}
	// Over the wire, surrounding whitespace is not part of the header value
	// (RFC 9110 §5.5), so net/http strips it before the handler sees it.
	r := fx.do(t, http.MethodGet, "/api/v1/findings", http.Header{"Authorization": {"Bearer " + tokenBeta + "  "}})
	wantStatus(t, "token with trailing whitespace over HTTP", r, http.StatusOK)
}

func TestUnauthenticatedEndpoints(t *testing.T) {
	fx := newFixture(t, allTokens...)
	fx.srv.Metrics = promhttp.HandlerFor(prometheus.NewRegistry(), promhttp.HandlerOpts{})
	fx.restart(t)
	for _, path := range []string{"/healthz", "/metrics"} {
		r := fx.do(t, http.MethodGet, path, nil)
		if r.status != http.StatusOK {
			t.Errorf("GET %s without a token: %s, want 200", path, r)
		}
		if r.header.Get("WWW-Authenticate") != "" {
			t.Errorf("GET %s: asks for authentication", path)
		}
	}
}

// --- /healthz and /metrics -------------------------------------------------

func TestHealthz(t *testing.T) {
	fx := newFixture(t, allTokens...)
	r := fx.do(t, http.MethodGet, "/healthz", nil)
	wantStatus(t, "healthz", r, http.StatusOK)
	if got := decode[map[string]string](t, r); !reflect.DeepEqual(got, map[string]string{"status": "ok"}) {
		t.Errorf("healthz body %v, want {status: ok}", got)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("healthz Content-Type %q, want application/json", ct)
	}
	wantStatus(t, "POST healthz", fx.do(t, http.MethodPost, "/healthz", nil), http.StatusMethodNotAllowed)

	if err := fx.store.Close(); err != nil {
		t.Fatalf("closing store: %v", err)
	}
	r = fx.do(t, http.MethodGet, "/healthz", nil)
	wantStatus(t, "healthz after the store closed", r, http.StatusServiceUnavailable)
	got := decode[map[string]string](t, r)
	if got["status"] != "unavailable" {
		t.Errorf("healthz after close: body %v, want status unavailable", got)
	}
	if strings.Contains(string(r.body), "closed") || strings.Contains(string(r.body), "sql") {
		t.Errorf("healthz after close exposes the store error: %s", r.body)
	}
	if !strings.Contains(fx.logs.String(), "health check failed") {
		t.Errorf("health check failure not logged; log:\n%s", fx.logs.String())
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "picket_web_test_events_total", Help: "Events seen by the test."})
	reg.MustRegister(c)
	c.Add(3)

	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "picket.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ts := httptest.NewServer((&Server{Store: st, Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})}).Handler())
	defer ts.Close()

	res, err := ts.Client().Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", res.StatusCode, body)
	}
	if !strings.Contains(string(body), "\npicket_web_test_events_total 3\n") {
		t.Errorf("GET /metrics does not serve the registry's counter:\n%s", body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("GET /metrics Content-Type %q, want the exposition format's text/plain", ct)
	}
	c.Inc()
	res, err = ts.Client().Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), "\npicket_web_test_events_total 4\n") {
		t.Errorf("GET /metrics is not live: after Inc want 4:\n%s", body)
	}

	// Without a metrics handler there is no /metrics.
	ts2 := httptest.NewServer((&Server{Store: st}).Handler())
	defer ts2.Close()
	res, err = ts2.Client().Get(ts2.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics with no Metrics handler: %d, want 404", res.StatusCode)
	}
}

// --- security headers ------------------------------------------------------

func TestSecurityHeaders(t *testing.T) {
	fx := newFixture(t, allTokens...)
	reg := prometheus.NewRegistry()
	fx.srv.Metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	fx.restart(t)
	id := fx.ids["f4"]
	cases := []struct {
		name   string
		method string
		path   string
		header http.Header
		status int
		json   bool // the response is JSON
	}{
		{"healthz", http.MethodGet, "/healthz", nil, 200, true},
		{"metrics", http.MethodGet, "/metrics", nil, 200, false},
		{"list", http.MethodGet, "/api/v1/findings", bearer(tokenAlpha), 200, true},
		{"detail", http.MethodGet, "/api/v1/findings/" + id, bearer(tokenAlpha), 200, true},
		{"evidence", http.MethodGet, "/api/v1/findings/" + id + "/evidence", bearer(tokenAlpha), 200, true},
		{"archive", http.MethodPost, "/api/v1/findings/" + id + "/archive", bearer(tokenAlpha), 200, true},
		{"quarantine", http.MethodGet, "/api/v1/quarantine", bearer(tokenAlpha), 200, true},
		{"checkpoints", http.MethodGet, "/api/v1/sources/scan/checkpoints", bearer(tokenAlpha), 200, true},
		{"unauthenticated", http.MethodGet, "/api/v1/findings", nil, 401, true},
		{"bad token", http.MethodGet, "/api/v1/findings", bearer("nope"), 401, true},
		{"bad request", http.MethodGet, "/api/v1/findings?limit=0", bearer(tokenAlpha), 400, true},
		{"unknown finding", http.MethodGet, "/api/v1/findings/" + strings.Repeat("0", 32), bearer(tokenAlpha), 404, true},
		{"unknown API path", http.MethodGet, "/api/v1/nope", bearer(tokenAlpha), 404, false},
		{"method not allowed", http.MethodGet, "/api/v1/findings/" + id + "/archive", bearer(tokenAlpha), 405, false},
		{"unknown path", http.MethodGet, "/nope", nil, 404, false},
	}
	for _, tc := range cases {
		r := fx.do(t, tc.method, tc.path, tc.header)
		what := tc.name + ": " + tc.method + " " + tc.path
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d; body %s", what, r.status, tc.status, r.body)
		}
		for k, want := range map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"Cache-Control":           "no-store",
			"X-Frame-Options":         "DENY",
			"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
			"Referrer-Policy":         "no-referrer",
		} {
			if got := r.header.Get(k); got != want {
				t.Errorf("%s: %s %q, want %q", what, k, got, want)
			}
		}
		if tc.json {
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("%s: Content-Type %q, want application/json", what, ct)
			}
			if !json.Valid(r.body) {
				t.Errorf("%s: body is not JSON: %s", what, r.body)
			}
		}
	}
}

// --- GET /api/v1/findings --------------------------------------------------

func TestListFindings(t *testing.T) {
	fx := newFixture(t, allTokens...)
	all := order
	cases := []struct {
		query  string
		want   []string // fixture names, in the order listed
		total  int      // 0: len(want)
		limit  int      // 0: 100
		offset int
	}{
		{query: "", want: all},
		{query: "account=" + acctA, want: []string{"f2", "f1"}},
		{query: "account=" + acctA + "&account=" + acctB, want: []string{"f4", "f3", "f2", "f1"}},
		{query: "account=" + acctA + "," + acctB, want: []string{"f4", "f3", "f2", "f1"}},
		{query: "account=" + url.QueryEscape(" "+acctA+" , "+acctC+" ,"), want: []string{"f6", "f5", "f2", "f1"}},
		{query: "account=999999999999", want: []string{}},
		{query: "type=" + url.QueryEscape(typeExfil), want: []string{"f5", "f4"}},
		{query: "type=" + url.QueryEscape(typeExfil+","+typeLogin), want: []string{"f5", "f4", "f2"}},
		{query: "type=" + url.QueryEscape(typeRecon) + "&type=" + url.QueryEscape(typeLogin), want: []string{"f6", "f3", "f2", "f1"}},
		{query: "region=us-east-1", want: []string{"f4", "f1"}},
		{query: "region=us-east-1&region=eu-west-1", want: []string{"f5", "f4", "f2", "f1"}},
		{query: "region=us-east-1,ap-southeast-2", want: []string{"f6", "f4", "f1"}},
		{query: "severity=low", want: all},
		{query: "severity=medium", want: []string{"f6", "f5", "f4", "f3", "f2"}},
		{query: "severity=high", want: []string{"f5", "f4", "f3"}}, // 7.0 is in, 6.9 is not
		{query: "severity=HIGH", want: []string{"f5", "f4", "f3"}},
		{query: "severity=critical", want: []string{"f5"}},
		{query: "severity=7", want: []string{"f5", "f4", "f3"}},
		{query: "severity=6.9", want: []string{"f6", "f5", "f4", "f3"}},
		{query: "severity=9.5", want: []string{"f5"}},
		{query: "severity=10", want: []string{}},
		{query: "severity=0", want: all},
		{query: "severity=critical&severity=low", want: all}, // the last one counts
		{query: "archived=true", want: []string{"f5"}},
		{query: "archived=false", want: []string{"f6", "f4", "f3", "f2", "f1"}},
		{query: "archived=1", want: []string{"f5"}},
		{query: "since=" + url.QueryEscape(at(3*time.Hour).Format(time.RFC3339)), want: []string{"f6", "f5", "f4"}},
		// The same instant in another zone.
		{query: "since=" + url.QueryEscape(at(3*time.Hour).In(time.FixedZone("", 2*3600)).Format(time.RFC3339)), want: []string{"f6", "f5", "f4"}},
		{query: "since=" + url.QueryEscape(at(3*time.Hour+time.Second).Format(time.RFC3339)), want: []string{"f6", "f5"}},
		{query: "since=2030-01-01T00:00:00Z", want: []string{}},
		{query: "account=" + acctB + "&severity=high&region=us-east-1", want: []string{"f4"}},
		{query: "type=" + url.QueryEscape(typeExfil) + "&archived=false", want: []string{"f4"}},
		{query: "limit=2", want: []string{"f6", "f5"}, total: 6, limit: 2},
		{query: "limit=2&offset=2", want: []string{"f4", "f3"}, total: 6, limit: 2, offset: 2},
		{query: "limit=2&offset=5", want: []string{"f1"}, total: 6, limit: 2, offset: 5},
		{query: "offset=6", want: []string{}, total: 6, offset: 6},
		{query: "offset=100", want: []string{}, total: 6, offset: 100},
		{query: "offset=9223372036854775807", want: []string{}, total: 6, offset: 9223372036854775807},
		{query: "limit=1000", want: all, limit: 1000},
		{query: "limit=1&severity=high", want: []string{"f5"}, total: 3, limit: 1},
		{query: "limit=1&offset=2&archived=false", want: []string{"f3"}, total: 5, limit: 1, offset: 2},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			r := fx.get(t, "/api/v1/findings?"+tc.query)
			wantStatus(t, tc.query, r, http.StatusOK)
			if !bytes.Contains(r.body, []byte(`"findings": [`)) {
				t.Errorf("findings is not a JSON array: %s", r.body)
			}
			l := decode[FindingList](t, r)
			var ids []string
			for _, f := range l.Findings {
				ids = append(ids, f.ID)
			}
			if got := fx.names(ids); !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("findings %v, want %v", got, tc.want)
			}
			total, limit := tc.total, tc.limit
			if total == 0 {
				total = len(tc.want)
			}
			if limit == 0 {
				limit = 100
			}
			if l.Total != total || l.Limit != limit || l.Offset != tc.offset {
				t.Errorf("total %d limit %d offset %d, want %d %d %d", l.Total, l.Limit, l.Offset, total, limit, tc.offset)
			}
		})
	}
}

func TestListFindingsBody(t *testing.T) {
	fx := newFixture(t, allTokens...)
	l := decode[FindingList](t, fx.get(t, "/api/v1/findings?account="+acctB+"&region=us-east-1"))
	if len(l.Findings) != 1 {
		t.Fatalf("got %d findings, want f4 only", len(l.Findings))
	}
	want := getStored(t, fx, "f4")
	want.Keys = finding.Keys{} // not serialized
	if got := l.Findings[0]; !reflect.DeepEqual(got, *want) {
		t.Errorf("listed finding differs from the stored one:\n got %+v\nwant %+v", got, *want)
	}
}

func TestListFindingsPaging(t *testing.T) {
	fx := newFixture(t, allTokens...)
	var got []string
	for offset := 0; ; offset += 4 {
		l := decode[FindingList](t, fx.get(t, fmt.Sprintf("/api/v1/findings?limit=4&offset=%d", offset)))
		if l.Total != len(order) {
			t.Fatalf("offset %d: total %d, want %d", offset, l.Total, len(order))
		}
		if len(l.Findings) == 0 {
			break
		}
		if len(l.Findings) > 4 {
			t.Fatalf("offset %d: %d findings, more than limit 4", offset, len(l.Findings))
		}
		for _, f := range l.Findings {
			got = append(got, f.ID)
		}
		if offset > 100 {
			t.Fatal("paging does not end")
		}
	}
	if names := fx.names(got); !slices.Equal(names, order) {
		t.Errorf("pages together list %v, want each finding once in order %v", names, order)
	}
}

func TestListFindingsInvalid(t *testing.T) {
	fx := newFixture(t, allTokens...)
	cases := []struct {
		query string
		param string // the message names it
		value string // and quotes the bad value
	}{
		{"severity=bogus", "severity", "bogus"},
		{"severity=-1", "severity", "-1"},
		{"severity=10.5", "severity", "10.5"},
		{"severity=NaN", "severity", "NaN"},
		{"severity=Inf", "severity", "Inf"},
		{"severity=high,critical", "severity", "high,critical"},
		{"limit=0", "limit", "0"},
		{"limit=5000", "limit", "5000"},
		{"limit=1001", "limit", "1001"},
		{"limit=-3", "limit", "-3"},
		{"limit=ten", "limit", "ten"},
		{"limit=1.5", "limit", "1.5"},
		{"offset=-1", "offset", "-1"},
		{"offset=x", "offset", "x"},
		{"archived=maybe", "archived", "maybe"},
		{"archived=yes", "archived", "yes"},
		{"since=yesterday", "since", "yesterday"},
		{"since=2024-05-01", "since", "2024-05-01"},
		{"since=" + url.QueryEscape("2024-05-01 12:00:00"), "since", "2024-05-01 12:00:00"},
		{"limit=2&offset=-1", "offset", "-1"},
		{"account=" + acctA + "&archived=maybe", "archived", "maybe"},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			r := fx.get(t, "/api/v1/findings?"+tc.query)
			wantError(t, tc.query, r, http.StatusBadRequest, tc.param+":", fmt.Sprintf("%q", tc.value))
		})
	}
}

// --- ParseFindingQuery -----------------------------------------------------

func TestParseFindingQuery(t *testing.T) {
	ptr := func(b bool) *bool { return &b }
	since := time.Date(2024, 5, 1, 14, 0, 0, 0, time.FixedZone("", 2*3600))
	cases := []struct {
		name  string
		query string
		want  store.FindingQuery
		err   string // non-empty: a 400 whose message contains this
	}{
		{name: "empty", query: "", want: store.FindingQuery{Limit: 100}},
		{name: "unrelated params ignored", query: "foo=bar&page=2", want: store.FindingQuery{Limit: 100}},
		{name: "repeated", query: "account=a&account=b&type=t1&type=t2&region=r1&region=r2",
			want: store.FindingQuery{Accounts: []string{"a", "b"}, Types: []string{"t1", "t2"}, Regions: []string{"r1", "r2"}, Limit: 100}},
		{name: "comma separated", query: "account=a,b&type=t1,t2&region=r1,r2",
			want: store.FindingQuery{Accounts: []string{"a", "b"}, Types: []string{"t1", "t2"}, Regions: []string{"r1", "r2"}, Limit: 100}},
		{name: "mixed, trimmed, empty parts dropped", query: "account=" + url.QueryEscape(" a ,, b,") + "&account=c&account=&region=,",
			want: store.FindingQuery{Accounts: []string{"a", "b", "c"}, Limit: 100}},
		{name: "label low", query: "severity=low", want: store.FindingQuery{MinSeverity: 1.0, Limit: 100}},
		{name: "label medium", query: "severity=Medium", want: store.FindingQuery{MinSeverity: 4.0, Limit: 100}},
		{name: "label high", query: "severity=high", want: store.FindingQuery{MinSeverity: 7.0, Limit: 100}},
		{name: "label critical", query: "severity=CRITICAL", want: store.FindingQuery{MinSeverity: 9.0, Limit: 100}},
		{name: "label padded", query: "severity=" + url.QueryEscape(" high "), want: store.FindingQuery{MinSeverity: 7.0, Limit: 100}},
		{name: "number", query: "severity=5.5", want: store.FindingQuery{MinSeverity: 5.5, Limit: 100}},
		{name: "band low", query: "band=low", want: store.FindingQuery{MinSeverity: 1, MaxSeverity: 4, Limit: 100}},
		{name: "band high", query: "band=High", want: store.FindingQuery{MinSeverity: 7, MaxSeverity: 9, Limit: 100}},
		{name: "band critical has no upper bound", query: "band=critical", want: store.FindingQuery{MinSeverity: 9, Limit: 100}},
		{name: "band unknown", query: "band=severe", err: "band: want low"},
		{name: "text, alert states, sort, until", query: "q=bot&alert=new,none&sort=severity&until=2024-05-02T00:00:00Z",
			want: store.FindingQuery{Text: "bot", AlertStates: []string{"new", "none"}, Sort: "severity", Until: time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC), Limit: 100}},
		{name: "unknown alert state", query: "alert=open", err: "alert: want"},
		{name: "unknown sort", query: "sort=random", err: "sort: want one of"},
		{name: "number 0", query: "severity=0", want: store.FindingQuery{MinSeverity: 0, Limit: 100}},
		{name: "number 10", query: "severity=10", want: store.FindingQuery{MinSeverity: 10, Limit: 100}},
		{name: "last severity wins", query: "severity=low&severity=critical", want: store.FindingQuery{MinSeverity: 9.0, Limit: 100}},
		{name: "empty severity", query: "severity=", want: store.FindingQuery{Limit: 100}},
		{name: "archived true", query: "archived=true", want: store.FindingQuery{Archived: ptr(true), Limit: 100}},
		{name: "archived false", query: "archived=false", want: store.FindingQuery{Archived: ptr(false), Limit: 100}},
		{name: "archived 0", query: "archived=0", want: store.FindingQuery{Archived: ptr(false), Limit: 100}},
		{name: "archived empty means any", query: "archived=", want: store.FindingQuery{Limit: 100}},
		{name: "since", query: "since=" + url.QueryEscape(since.Format(time.RFC3339)), want: store.FindingQuery{Since: since, Limit: 100}},
		{name: "since with fraction", query: "since=2024-05-01T12:00:00.5Z",
			want: store.FindingQuery{Since: time.Date(2024, 5, 1, 12, 0, 0, 5e8, time.UTC), Limit: 100}},
		{name: "limit and offset", query: "limit=25&offset=50", want: store.FindingQuery{Limit: 25, Offset: 50}},
		{name: "limit bounds", query: "limit=1", want: store.FindingQuery{Limit: 1}},
		{name: "limit max", query: "limit=1000", want: store.FindingQuery{Limit: 1000}},
		{name: "offset 0", query: "offset=0", want: store.FindingQuery{Limit: 100}},
		{name: "everything", query: "account=a&type=t&region=r&severity=high&archived=false&since=2024-05-01T12:00:00Z&limit=10&offset=20",
			want: store.FindingQuery{Accounts: []string{"a"}, Types: []string{"t"}, Regions: []string{"r"}, MinSeverity: 7,
				Archived: ptr(false), Since: t0, Limit: 10, Offset: 20}},

		{name: "severity word", query: "severity=bogus", err: `severity: want low, medium, high, critical or a number 0-10, got "bogus"`},
		{name: "severity negative", query: "severity=-0.1", err: `severity:`},
		{name: "severity above 10", query: "severity=10.01", err: `severity:`},
		{name: "severity NaN", query: "severity=NaN", err: `severity:`},
		{name: "severity infinite", query: "severity=%2BInf", err: `severity:`},
		{name: "severity list", query: "severity=low,high", err: `severity:`},
		{name: "archived maybe", query: "archived=maybe", err: `archived: want true or false, got "maybe"`},
		{name: "since date only", query: "since=2024-05-01", err: `since: want an RFC 3339 time, got "2024-05-01"`},
		{name: "since yesterday", query: "since=yesterday", err: `since:`},
		{name: "since unix", query: "since=1714564800", err: `since:`},
		{name: "limit 0", query: "limit=0", err: `limit: want 1-1000, got "0"`},
		{name: "limit 1001", query: "limit=1001", err: `limit:`},
		{name: "limit 5000", query: "limit=5000", err: `limit:`},
		{name: "limit word", query: "limit=all", err: `limit:`},
		{name: "limit overflow", query: "limit=99999999999999999999", err: `limit:`},
		{name: "offset negative", query: "offset=-1", err: `offset: want a number >= 0, got "-1"`},
		{name: "offset word", query: "offset=next", err: `offset:`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vals, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatalf("bad test query %q: %v", tc.query, err)
			}
			got, err := ParseFindingQuery(func(k string) []string { return vals[k] })
			if tc.err != "" {
				if err == nil {
					t.Fatalf("ParseFindingQuery(%q) = %+v, want an error containing %q", tc.query, got, tc.err)
				}
				var he *httpError
				if !errors.As(err, &he) || he.status != http.StatusBadRequest {
					t.Errorf("ParseFindingQuery(%q) error %v (%T), want a 400 httpError", tc.query, err, err)
				}
				if !strings.Contains(err.Error(), tc.err) {
					t.Errorf("ParseFindingQuery(%q) error %q, want it to contain %q", tc.query, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseFindingQuery(%q): %v", tc.query, err)
			}
			if !got.Since.Equal(tc.want.Since) {
				t.Errorf("Since %v, want %v", got.Since, tc.want.Since)
			}
			got.Since, tc.want.Since = time.Time{}, time.Time{}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseFindingQuery(%q)\n got %s\nwant %s", tc.query, showQuery(got), showQuery(tc.want))
			}
		})
	}
}

func showQuery(q store.FindingQuery) string {
	arch := "nil"
	if q.Archived != nil {
		arch = fmt.Sprint(*q.Archived)
	}
	q.Archived = nil // every other field, by value
	return fmt.Sprintf("%+v Archived:%s", q, arch)
}

// --- GET /api/v1/findings/{id} and …/evidence ------------------------------

func getStored(t *testing.T, fx *fixture, name string) *finding.Finding {
	t.Helper()
	f, err := fx.store.GetFinding(t.Context(), fx.ids[name])
	if err != nil {
		t.Fatalf("store.GetFinding(%s): %v", name, err)
	}
	return f
}

// evidenceJSON is an evidence element as the API returns it.
type evidenceJSON struct {
	FindingID string          `json:"findingId"`
	EventID   string          `json:"eventId"`
	EventTime time.Time       `json:"eventTime"`
	Source    string          `json:"source"`
	Path      string          `json:"path"`
	Index     int64           `json:"index"`
	Offset    int64           `json:"offset"`
	Raw       json.RawMessage `json:"raw"`
}

// checkEvidence checks f4's evidence as the API returns it.
func checkEvidence(t *testing.T, fx *fixture, evs []evidenceJSON) {
	t.Helper()
	if len(evs) != 3 {
		t.Fatalf("%d evidence rows, want 3", len(evs))
	}
	wantMeta := []struct {
		id, path          string
		when              time.Time
		index, byteOffset int64
	}{
		{"ev-1", "logs/a.json.gz", at(-30 * time.Minute), 2, 1000},
		{"ev-2", "logs/b.json.gz", at(-20 * time.Minute), 4, 2000},
		{"ev-3", "logs/c.json.gz", at(-10 * time.Minute), 7, 3000},
	}
	for i, w := range wantMeta {
		e := evs[i]
		if e.FindingID != fx.ids["f4"] || e.EventID != w.id || !e.EventTime.Equal(w.when) || e.Source != "scan" ||
			e.Path != w.path || e.Index != w.index || e.Offset != w.byteOffset {
			t.Errorf("evidence %d: %+v, want event %s at %v from scan %s #%d @%d of f4", i, e, w.id, w.when, w.path, w.index, w.byteOffset)
		}
	}

	// Valid JSON is embedded as the object itself, not a string.
	if len(evs[0].Raw) == 0 || evs[0].Raw[0] != '{' {
		t.Errorf("JSON evidence raw %s, want an embedded JSON object", evs[0].Raw)
	}
	var obj, want map[string]any
	if err := json.Unmarshal(evs[0].Raw, &obj); err != nil {
		t.Fatalf("JSON evidence raw does not decode as an object: %v: %s", err, evs[0].Raw)
	}
	if err := json.Unmarshal(rawJSON, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(obj, want) {
		t.Errorf("JSON evidence raw %v, want the stored record %v", obj, want)
	}

	// Anything else comes back as a string of the bytes.
	// encoding/json replaces each invalid byte by U+FFFD.
	for i, want := range map[int]string{1: "not json \uFFFD\uFFFD at all", 2: string(rawTruncated)} {
		var s string
		if err := json.Unmarshal(evs[i].Raw, &s); err != nil {
			t.Errorf("evidence %d: non-JSON raw %s is not a JSON string: %v", i, evs[i].Raw, err)
			continue
		}
		if s != want {
			t.Errorf("evidence %d: raw %q, want %q", i, s, want)
		}
	}
}

func TestGetFinding(t *testing.T) {
	fx := newFixture(t, allTokens...)
	id := fx.ids["f4"]
	r := fx.get(t, "/api/v1/findings/"+id)
	wantStatus(t, "GET finding", r, http.StatusOK)
	var detail struct {
		Finding  json.RawMessage `json:"finding"`
		Evidence []evidenceJSON  `json:"evidence"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&detail); err != nil {
		t.Fatalf("decoding detail: %v: %s", err, r.body)
	}

	// The finding is exactly the stored one, in GuardDuty's JSON shape.
	stored, err := json.Marshal(getStored(t, fx, "f4"))
	if err != nil {
		t.Fatal(err)
	}
	var got, want map[string]any
	if err := json.Unmarshal(detail.Finding, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(stored, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("finding\n got %s\nwant %s", detail.Finding, stored)
	}
	for _, k := range []string{"schemaVersion", "id", "arn", "accountId", "region", "type", "severity", "resource", "service"} {
		if _, ok := got[k]; !ok {
			t.Errorf("finding has no %q field", k)
		}
	}
	if got["id"] != id || !strings.HasSuffix(fmt.Sprint(got["arn"]), "/finding/"+id) {
		t.Errorf("finding id %v arn %v, want %s", got["id"], got["arn"], id)
	}
	checkEvidence(t, fx, detail.Evidence)

	// A finding without evidence has an empty list, not null.
	r = fx.get(t, "/api/v1/findings/"+fx.ids["f1"])
	wantStatus(t, "GET finding without evidence", r, http.StatusOK)
	if !bytes.Contains(r.body, []byte(`"evidence": []`)) {
		t.Errorf("finding without evidence: want \"evidence\": [], got %s", r.body)
	}
}

func TestGetEvidence(t *testing.T) {
	fx := newFixture(t, allTokens...)
	r := fx.get(t, "/api/v1/findings/"+fx.ids["f4"]+"/evidence")
	wantStatus(t, "GET evidence", r, http.StatusOK)
	body := decode[struct {
		Evidence []evidenceJSON `json:"evidence"`
	}](t, r)
	checkEvidence(t, fx, body.Evidence)

	r = fx.get(t, "/api/v1/findings/"+fx.ids["f2"]+"/evidence")
	wantStatus(t, "GET evidence of a finding without any", r, http.StatusOK)
	if got := string(bytes.Join(bytes.Fields(r.body), nil)); got != `{"evidence":[]}` {
		t.Errorf("evidence of a finding without any: %s, want {\"evidence\": []}", r.body)
	}
}

// A record that parses as JSON but has bytes that are not UTF-8 inside a
// string cannot be embedded as is: the response would not be UTF-8 and
// strict clients (Python's json, for one) would refuse all of it.
func TestEvidenceInvalidUTF8InsideJSON(t *testing.T) {
	fx := newFixture(t, allTokens...)
	id := fx.ids["f2"]
	raw := []byte("{\"eventID\":\"ev-x\",\"userAgent\":\"aws-cli/2 \xff\xfe\"}")
	if !json.Valid(raw) {
		t.Fatal("test record should be accepted by json.Valid")
	}
	ev := finding.Evidence{FindingID: id, EventID: "ev-x", EventTime: at(0), Source: "scan", Path: "logs/x.json", Raw: raw}
	if _, err := fx.store.Commit(t.Context(), &store.Batch{Evidence: []finding.Evidence{ev}, Now: at(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/api/v1/findings/" + id, "/api/v1/findings/" + id + "/evidence"} {
		r := fx.get(t, p) // fx.do checks the body is UTF-8
		wantStatus(t, p, r, http.StatusOK)
		body := decode[struct {
			Finding  json.RawMessage `json:"finding"`
			Evidence []evidenceJSON  `json:"evidence"`
		}](t, r)
		if len(body.Evidence) != 1 {
			t.Fatalf("%s: %d evidence rows, want 1", p, len(body.Evidence))
		}
		var s string
		if err := json.Unmarshal(body.Evidence[0].Raw, &s); err != nil {
			t.Errorf("%s: raw %s, want it as a string: %v", p, body.Evidence[0].Raw, err)
		} else if want := "{\"eventID\":\"ev-x\",\"userAgent\":\"aws-cli/2 \uFFFD\uFFFD\"}"; s != want {
			t.Errorf("%s: raw %q, want %q", p, s, want)
		}
	}
}

func TestFindingNotFound(t *testing.T) {
	fx := newFixture(t, allTokens...)
	real := fx.ids["f4"]
	ids := []struct{ name, id string }{
		{"unknown well-formed", strings.Repeat("0", 32)},
		{"unknown well-formed 2", "0123456789abcdef0123456789abcdef"},
		{"too short", real[:31]},
		{"too long", real + "0"},
		{"uppercase hex of a real ID", strings.ToUpper(real)},
		{"non-hex", strings.Repeat("g", 32)},
		{"real ID with encoded space", real + "%20"},
		{"encoded NUL", real[:31] + "%00"},
		{"encoded slash inside", real[:16] + "%2F" + real[17:]},
		{"encoded traversal of 32 bytes", "..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd%2F12"},
		{"percent-encoded hex", "%61" + real[1:]},
		{"SQL injection", "'%20OR%20'1'%3D'1"},
		{"LIKE wildcard", strings.Repeat("_", 32)},
	}
	suffixes := []struct {
		method, suffix string
	}{
		{http.MethodGet, ""},
		{http.MethodGet, "/evidence"},
		{http.MethodPost, "/archive"},
		{http.MethodPost, "/unarchive"},
	}
	for _, c := range ids {
		for _, s := range suffixes {
			path := "/api/v1/findings/" + c.id + s.suffix
			r := fx.do(t, s.method, path, bearer(tokenAlpha))
			wantError(t, c.name+": "+s.method+" "+path, r, http.StatusNotFound, "not found")
		}
	}
	// Nothing was archived by any of it.
	if f := getStored(t, fx, "f4"); f.Service.Archived {
		t.Error("f4 was archived by a request for another ID")
	}
	if strings.Contains(fx.logs.String(), "api request failed") {
		t.Errorf("a malformed ID caused an internal error:\n%s", fx.logs.String())
	}
}

// findingID is checked on its own too: through the API a malformed ID and an
// unknown one look the same (the store finds neither), so only this shows
// that malformed IDs never reach the store.
func TestFindingIDValidation(t *testing.T) {
	valid := "0123456789abcdef0123456789abcdef"
	cases := []struct {
		id string
		ok bool
	}{
		{valid, true},
		{strings.Repeat("f", 32), true},
		{"", false},
		{valid[:31], false},
		{valid + "0", false},
		{strings.ToUpper(valid), false},
		{"0123456789ABCDEF0123456789abcdef", false},
		{strings.Repeat("g", 32), false},
		{"../../../../../../etc/passwd/012", false},
		{valid[:31] + "\x00", false},
		{valid[:31] + " ", false},
		{" " + valid[:31], false},
		{valid[:30] + "é", false}, // 32 bytes, 31 runes
	}
	for _, tc := range cases {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/findings/x", nil)
		req.SetPathValue("id", tc.id)
		got, err := findingID(req)
		if tc.ok {
			if err != nil || got != tc.id {
				t.Errorf("findingID(%q) = %q, %v; want it accepted", tc.id, got, err)
			}
			continue
		}
		var he *httpError
		if !errors.As(err, &he) || he.status != http.StatusNotFound {
			t.Errorf("findingID(%q) = %q, %v; want a 404 httpError", tc.id, got, err)
		}
	}
}

// Encoded dot segments and slashes stay inside one path segment: the router
// does not clean them away, so they reach findingID as part of an ID (which
// rejects them) or match no route. Either way: 404 with a token, 401
// without, never a finding, a redirect or a 500.
func TestFindingPathTraversal(t *testing.T) {
	fx := newFixture(t, allTokens...)
	real := fx.ids["f4"]
	cases := []struct{ method, path string }{
		{http.MethodGet, "/api/v1/findings/..%2F"},
		{http.MethodGet, "/api/v1/findings/..%2F..%2F..%2Fetc%2Fpasswd"},
		{http.MethodGet, "/api/v1/findings/%2e%2e%2fhealthz"},
		{http.MethodGet, "/api/v1/findings/%2E%2E%2F%2E%2E%2Fmetrics"},
		{http.MethodGet, "/api/v1/findings/" + real + "/..%2F..%2F" + real},
		{http.MethodGet, "/api/v1/findings/..%2F" + real},
		{http.MethodGet, "/api/v1/findings/" + real + "%2F..%2Fevidence"},
		{http.MethodGet, "/api/v1/findings/..%2F" + real + "/evidence"},
		{http.MethodPost, "/api/v1/findings/..%2F" + real + "/archive"},
		{http.MethodPost, "/api/v1/findings/" + real + "%2F..%2F" + real + "/archive"},
		{http.MethodPost, "/api/v1/findings/%2e%2e/archive"},
	}
	for _, c := range cases {
		r := fx.do(t, c.method, c.path, bearer(tokenAlpha))
		what := c.method + " " + c.path
		wantStatus(t, what, r, http.StatusNotFound)
		if bytes.Contains(r.body, []byte(real)) || bytes.Contains(r.body, []byte(`"evidence"`)) {
			t.Errorf("%s: response shows a finding: %s", what, r.body)
		}
		wantStatus(t, what+" without a token", fx.do(t, c.method, c.path, nil), http.StatusUnauthorized)
	}
	if getStored(t, fx, "f4").Service.Archived {
		t.Error("a traversal path archived f4")
	}
}

// --- archive / unarchive ---------------------------------------------------

type archiveResult struct {
	ID       string `json:"id"`
	Archived bool   `json:"archived"`
	Changed  int    `json:"changed"`
}

func TestArchive(t *testing.T) {
	fx := newFixture(t, allTokens...)
	id := fx.ids["f1"]
	now, _ := time.Parse(time.RFC3339, archiveNow)

	// apiArchived reads the archive state through the API and the store.
	apiArchived := func(t *testing.T) bool {
		t.Helper()
		r := fx.get(t, "/api/v1/findings/"+id)
		wantStatus(t, "GET finding", r, http.StatusOK)
		d := decode[struct {
			Finding  finding.Finding `json:"finding"`
			Evidence []evidenceJSON  `json:"evidence"`
		}](t, r)
		if f := getStored(t, fx, "f1"); f.Service.Archived != d.Finding.Service.Archived {
			t.Fatalf("API says archived %t, store says %t", d.Finding.Service.Archived, f.Service.Archived)
		}
		return d.Finding.Service.Archived
	}
	listedArchived := func(t *testing.T) []string {
		t.Helper()
		var ids []string
		for _, f := range decode[FindingList](t, fx.get(t, "/api/v1/findings?archived=true")).Findings {
			ids = append(ids, f.ID)
		}
		return fx.names(ids)
	}

	steps := []struct {
		action  string
		changed int
		want    bool
		listed  []string // archived=true listing afterwards
	}{
		{"archive", 1, true, []string{"f1", "f5"}}, // f1 now updated last
		{"archive", 0, true, []string{"f1", "f5"}},
		{"unarchive", 1, false, []string{"f5"}},
		{"unarchive", 0, false, []string{"f5"}},
		{"archive", 1, true, []string{"f1", "f5"}},
	}
	if apiArchived(t) {
		t.Fatal("f1 archived before the test")
	}
	for i, s := range steps {
		r := fx.post(t, "/api/v1/findings/"+id+"/"+s.action)
		what := fmt.Sprintf("step %d: POST %s", i, s.action)
		wantStatus(t, what, r, http.StatusOK)
		if got := decode[archiveResult](t, r); got != (archiveResult{ID: id, Archived: s.want, Changed: s.changed}) {
			t.Errorf("%s: %+v, want id %s archived %t changed %d", what, got, id, s.want, s.changed)
		}
		if got := apiArchived(t); got != s.want {
			t.Errorf("%s: finding archived %t, want %t", what, got, s.want)
		}
		if got := listedArchived(t); !slices.Equal(got, s.listed) {
			t.Errorf("%s: archived=true lists %v, want %v", what, got, s.listed)
		}
	}
	// A change takes the server's clock as updatedAt.
	if f := getStored(t, fx, "f1"); !f.UpdatedAt.Equal(now) {
		t.Errorf("updatedAt after archiving %v, want the server's Now %v", f.UpdatedAt, now)
	}
	// The other findings were not touched.
	for _, name := range []string{"f2", "f3", "f4", "f6"} {
		if getStored(t, fx, name).Service.Archived {
			t.Errorf("%s archived as a side effect", name)
		}
	}
	if !strings.Contains(fx.logs.String(), "finding archive state set via API") {
		t.Errorf("archive not logged:\n%s", fx.logs.String())
	}
}

func TestArchiveUnknownAndMethods(t *testing.T) {
	fx := newFixture(t, allTokens...)
	unknown := strings.Repeat("ab", 16)
	for _, action := range []string{"archive", "unarchive"} {
		r := fx.post(t, "/api/v1/findings/"+unknown+"/"+action)
		wantError(t, "POST "+action+" of an unknown ID", r, http.StatusNotFound, "not found")
	}
	id := fx.ids["f5"] // archived
	for _, action := range []string{"archive", "unarchive"} {
		for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch} {
			r := fx.do(t, m, "/api/v1/findings/"+id+"/"+action, bearer(tokenAlpha))
			what := m + " " + action
			wantStatus(t, what, r, http.StatusMethodNotAllowed)
			if allow := r.header.Get("Allow"); !strings.Contains(allow, http.MethodPost) {
				t.Errorf("%s: Allow %q, want POST", what, allow)
			}
		}
	}
	// Writes on read-only routes are refused too.
	for _, p := range []string{"/api/v1/findings", "/api/v1/findings/" + id, "/api/v1/findings/" + id + "/evidence", "/api/v1/quarantine"} {
		wantStatus(t, "POST "+p, fx.post(t, p), http.StatusMethodNotAllowed)
	}
	if !getStored(t, fx, "f5").Service.Archived {
		t.Error("a refused request unarchived f5")
	}
}

// --- quarantine and checkpoints --------------------------------------------

type quarantineList struct {
	Records []store.Quarantined `json:"records"`
	Total   int64               `json:"total"`
}

func TestQuarantine(t *testing.T) {
	fx := newFixture(t, allTokens...)
	cases := []struct {
		query string
		want  []string // paths, newest first
		total int64
	}{
		{"", []string{"demo/q.json", "logs/q2.json", "logs/q3.json", "logs/q1.json"}, 4},
		{"source=scan", []string{"logs/q2.json", "logs/q3.json", "logs/q1.json"}, 3},
		{"source=demo", []string{"demo/q.json"}, 1},
		{"source=nothing", []string{}, 0},
		{"limit=2", []string{"demo/q.json", "logs/q2.json"}, 4},
		{"source=scan&limit=1", []string{"logs/q2.json"}, 3},
		{"limit=1000", []string{"demo/q.json", "logs/q2.json", "logs/q3.json", "logs/q1.json"}, 4},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			r := fx.get(t, "/api/v1/quarantine?"+tc.query)
			wantStatus(t, tc.query, r, http.StatusOK)
			if !bytes.Contains(r.body, []byte(`"records": [`)) {
				t.Errorf("records is not a JSON array: %s", r.body)
			}
			l := decode[quarantineList](t, r)
			got := []string{}
			for _, q := range l.Records {
				got = append(got, q.Origin.Path)
			}
			if !slices.Equal(got, tc.want) || l.Total != tc.total {
				t.Errorf("records %v total %d, want %v total %d", got, l.Total, tc.want, tc.total)
			}
		})
	}

	// A record carries what was stored.
	l := decode[quarantineList](t, fx.get(t, "/api/v1/quarantine?source=demo"))
	if len(l.Records) != 1 {
		t.Fatalf("source=demo: %d records, want 1", len(l.Records))
	}
	q := l.Records[0]
	wantOrigin := event.Origin{Source: "demo", Path: "demo/q.json", Index: 0, Offset: 0, Line: 1}
	if q.Origin != wantOrigin || q.Format != "cloudtrail" || q.Reason != "bad json in demo/q.json" ||
		string(q.Sample) != `{"Records":[{demo/q.json` || !q.At.Equal(at(4*time.Minute)) || q.ID == 0 {
		t.Errorf("record %+v (sample %q), want origin %+v, the stored reason, sample and time", q, q.Sample, wantOrigin)
	}

	for _, v := range []string{"0", "1001", "5000", "-1", "x", "1.5"} {
		r := fx.get(t, "/api/v1/quarantine?limit="+v)
		wantError(t, "quarantine limit="+v, r, http.StatusBadRequest, "limit:", fmt.Sprintf("%q", v))
	}
}

type checkpointList struct {
	Checkpoints []store.Checkpoint `json:"checkpoints"`
}

func TestCheckpoints(t *testing.T) {
	fx := newFixture(t, allTokens...)
	// The store returns a map; its order is random, so ask a few times.
	for range 5 {
		r := fx.get(t, "/api/v1/sources/scan/checkpoints")
		wantStatus(t, "checkpoints of scan", r, http.StatusOK)
		cps := decode[checkpointList](t, r).Checkpoints
		if len(cps) != 20 {
			t.Fatalf("%d checkpoints of scan, want 20", len(cps))
		}
		for i, c := range cps {
			want := store.Checkpoint{Source: "scan", Key: fmt.Sprintf("logs/2024/05/%02d.json.gz", i), Position: int64(i * 10),
				Offset: int64(i * 1000), Size: int64(i*1000 + 5), ModTime: at(time.Duration(i) * time.Minute), Done: i%2 == 0,
				UpdatedAt: at(7 * time.Hour)}
			if c.Source != want.Source || c.Key != want.Key || c.Position != want.Position || c.Offset != want.Offset ||
				c.Size != want.Size || !c.ModTime.Equal(want.ModTime) || c.Done != want.Done || !c.UpdatedAt.Equal(want.UpdatedAt) {
				t.Fatalf("checkpoint %d: %+v, want %+v (sorted by key)", i, c, want)
			}
		}
	}

	r := fx.get(t, "/api/v1/sources/demo/checkpoints")
	var keys []string
	for _, c := range decode[checkpointList](t, r).Checkpoints {
		keys = append(keys, c.Key)
	}
	if !slices.Equal(keys, []string{"demo/a", "demo/b"}) {
		t.Errorf("checkpoints of demo %v, want [demo/a demo/b]", keys)
	}

	r = fx.get(t, "/api/v1/sources/unknown/checkpoints")
	wantStatus(t, "checkpoints of an unknown source", r, http.StatusOK)
	if got := string(bytes.Join(bytes.Fields(r.body), nil)); got != `{"checkpoints":[]}` {
		t.Errorf("checkpoints of an unknown source: %s, want {\"checkpoints\": []}", r.body)
	}
}

// --- store failures --------------------------------------------------------

// A failing store gives a generic 500; the details go to the log only.
func TestStoreErrorIsNotExposed(t *testing.T) {
	fx := newFixture(t, allTokens...)
	if err := fx.store.Close(); err != nil {
		t.Fatal(err)
	}
	id := fx.ids["f4"]
	for _, rt := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/findings"},
		{http.MethodGet, "/api/v1/findings/" + id},
		{http.MethodGet, "/api/v1/findings/" + id + "/evidence"},
		{http.MethodPost, "/api/v1/findings/" + id + "/archive"},
		{http.MethodGet, "/api/v1/quarantine"},
		{http.MethodGet, "/api/v1/sources/scan/checkpoints"},
	} {
		r := fx.do(t, rt.method, rt.path, bearer(tokenAlpha))
		wantError(t, rt.method+" "+rt.path+" on a closed store", r, http.StatusInternalServerError)
		if got := decode[map[string]string](t, r)["error"]; got != "internal error" {
			t.Errorf("%s %s on a closed store: error %q, want the generic \"internal error\"", rt.method, rt.path, got)
		}
	}
	if logs := fx.logs.String(); !strings.Contains(logs, "api request failed") || !strings.Contains(logs, "closed") {
		t.Errorf("the store error is not logged:\n%s", logs)
	}
}

// The scheme is case-insensitive (RFC 7235), the token is not.
func TestBearerSchemeAnyCase(t *testing.T) {
	fx := newFixture(t, allTokens...)
	for _, scheme := range []string{"bearer", "BEARER", "BeArEr"} {
		r := fx.do(t, http.MethodGet, "/api/v1/findings", http.Header{"Authorization": {scheme + " " + allTokens[0]}})
		wantStatus(t, scheme, r, http.StatusOK)
	}
	r := fx.do(t, http.MethodGet, "/api/v1/findings", http.Header{"Authorization": {"Bearer " + strings.ToUpper(allTokens[0])}})
	wantStatus(t, "upper-cased token", r, http.StatusUnauthorized)
}

// Alerts over the API: list, act, refuse illegal transitions, measure.
func TestAlertsAPI(t *testing.T) {
	fx := newFixture(t, allTokens...)
	a := alert.Alert{FindingID: fx.ids["f3"], Account: acctB, Type: typeRecon, Severity: 7, Route: "account:" + acctB}
	if _, _, err := fx.store.ApplyAlert(t.Context(), "a1", &a, alert.Action{Kind: alert.Open, Actor: "picket", At: at(0)}); err != nil {
		t.Fatal(err)
	}
	r := compact(t, fx.get(t, "/api/v1/alerts"))
	if r.status != 200 || !bytes.Contains(r.body, []byte(`"id":"a1"`)) || !bytes.Contains(r.body, []byte(`"state":"new"`)) {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	r = compact(t, fx.post(t, "/api/v1/alerts/a1/acknowledge"))
	if r.status != 200 || !bytes.Contains(r.body, []byte(`"to":"acknowledged"`)) {
		t.Fatalf("acknowledge: %d %s", r.status, r.body)
	}
	r = fx.post(t, "/api/v1/alerts/a1/acknowledge")
	wantError(t, "second acknowledge", r, http.StatusConflict, "illegal alert transition")
	r = fx.post(t, "/api/v1/alerts/a1/archive?reason=because")
	wantError(t, "bad reason", r, http.StatusBadRequest, "unknown archive reason")
	r = compact(t, fx.post(t, "/api/v1/alerts/a1/archive?reason=false-positive&note=lab"))
	if r.status != 200 || !bytes.Contains(r.body, []byte(`"archiveReason":"false-positive"`)) {
		t.Fatalf("archive: %d %s", r.status, r.body)
	}
	r = compact(t, fx.get(t, "/api/v1/alerts/a1"))
	if r.status != 200 || bytes.Count(r.body, []byte(`"kind"`)) != 3 {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	r = fx.get(t, "/api/v1/alerts/nope")
	if r.status != 404 {
		t.Errorf("unknown alert: %d", r.status)
	}
	r = compact(t, fx.get(t, "/api/v1/alerts/stats?by=account&since=87600h"))
	if r.status != 200 || !bytes.Contains(r.body, []byte(`"key":"`+acctB+`"`)) || !bytes.Contains(r.body, []byte(`"alerts":1`)) {
		t.Fatalf("stats: %d %s", r.status, r.body)
	}
	if r := fx.get(t, "/api/v1/alerts/stats?by=colour"); r.status != 400 {
		t.Errorf("bad grouping: %d", r.status)
	}
}

func compact(t *testing.T, r response) response {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, r.body); err == nil {
		r.body = b.Bytes()
	}
	return r
}

func TestRunbooksAPI(t *testing.T) {
	fx := newFixture(t, allTokens...)
	r := compact(t, fx.get(t, "/api/v1/runbooks/Backdoor:EC2/C&CActivity.B"))
	if r.status != 200 || !bytes.Contains(r.body, []byte(`"runbookType":"Backdoor:EC2/C\u0026CActivity.B"`)) || !bytes.Contains(r.body, []byte(`\u003ch2`)) {
		t.Fatalf("exact: %d %.300s", r.status, r.body)
	}
	r = compact(t, fx.get(t, "/api/v1/runbooks/Backdoor:EC2/Spambot"))
	if r.status != 200 || !bytes.Contains(r.body, []byte(`"runbookType":"Backdoor:EC2/"`)) {
		t.Fatalf("prefix: %d %.300s", r.status, r.body)
	}
	r = compact(t, fx.get(t, "/api/v1/runbooks/Nothing:Like/This"))
	if r.status != 200 || !bytes.Contains(r.body, []byte(`"runbookType":""`)) {
		t.Fatalf("generic: %d %.300s", r.status, r.body)
	}
}

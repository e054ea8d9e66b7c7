package web

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/store"
	"golang.org/x/crypto/bcrypt"
)

// Console users of the fixture: an admin for everything, a responder and
// a viewer for account A.
const (
	passAlice = "alice-password-0123"
	passDana  = "dana-password-4567"
	passVic   = "vic-password-89ab"
)

func hashOf(t *testing.T, pw string) []byte {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// hostile is a log string an attacker controls: it must always come out
// escaped.
const hostile = `"><script>alert(1)</script><img src=x onerror=alert(2)>`

// consoleFixture is the API fixture plus console users, alerts for A and
// B, stored events, and a finding whose fields carry markup.
func consoleFixture(t *testing.T) *fixture {
	t.Helper()
	fx := scoped(t)
	fx.srv.Users = []User{
		{Principal: Principal{Name: "alice", Role: Admin}, PasswordHash: hashOf(t, passAlice)},
		{Principal: Principal{Name: "dana", Role: Responder, Accounts: []string{acctA}}, PasswordHash: hashOf(t, passDana)},
		{Principal: Principal{Name: "vic", Role: Viewer, Accounts: []string{acctA}}, PasswordHash: hashOf(t, passVic)},
		{Principal: Principal{Name: "sso-bob", Role: Viewer, Accounts: []string{acctB}}}, // proxy only
	}
	fx.tokens = append(fx.tokens, passAlice, passDana, passVic)
	ctx := t.Context()
	evil := newFinding(acctA, "us-east-1", "Discovery:IAMUser/AnomalousBehavior", "AKIAEVIL", 2)
	evil.Title = "Unusual calls " + hostile
	evil.Service.Action.AwsAPICallAction.UserAgent = hostile
	evil.Keys.Actor = "arn:aws:iam::" + acctA + ":user/" + hostile
	evil.Seal()
	fx.ids["evil"] = evil.ID
	raw := []byte(`{"eventName":"ListBuckets","userAgent":"` + strings.ReplaceAll(hostile, `"`, `\"`) + `"}`)
	if _, err := fx.store.Commit(ctx, &store.Batch{Findings: []finding.Finding{evil}, Now: at(8 * time.Hour),
		Evidence: []finding.Evidence{{FindingID: evil.ID, EventID: "ev-evil", EventTime: at(7 * time.Hour), Source: "trail", Path: "x.json", Raw: raw}},
		Events: []store.StoredEvent{
			{Time: at(7 * time.Hour), Account: acctA, Region: "us-east-1", Kind: "cloudtrail", Source: "trail", Actor: "arn:aws:iam::" + acctA + ":user/dev",
				SrcIP: "203.0.113.7", Action: "DeleteBucket", Service: "s3.amazonaws.com", Outcome: "success", Raw: raw},
			{Time: at(7 * time.Hour), Account: acctB, Region: "us-east-1", Kind: "cloudtrail", Source: "trail", Actor: "arn:aws:iam::" + acctB + ":user/ops",
				SrcIP: "203.0.113.8", Action: "DeleteBucket", Service: "s3.amazonaws.com", Outcome: "success", Raw: []byte(`{"eventName":"DeleteBucket","account":"B-SECRET-EVENT"}`)},
		}}); err != nil {
		t.Fatal(err)
	}
	fx.restart(t)
	return fx
}

// browser is a console client with its own cookie jar.
type consoleClient struct {
	t    *testing.T
	fx   *fixture
	c    *http.Client
	csrf string
}

func (fx *fixture) browser(t *testing.T) *consoleClient {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &consoleClient{t: t, fx: fx, c: c}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *consoleClient) do(method, path string, form url.Values, header http.Header) response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(b.t.Context(), method, b.fx.ts.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, header: res.Header, body: data}
	assertNoSecret(b.t, method+" "+path, r, b.fx.tokens)
	if m := csrfField.FindSubmatch(data); m != nil {
		b.csrf = string(m[1])
	}
	return r
}

func (b *consoleClient) get(path string) response { b.t.Helper(); return b.do("GET", path, nil, nil) }

func (b *consoleClient) post(path string, form url.Values) response {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	return b.do("POST", path, form, nil)
}

func (b *consoleClient) login(name, pw string) response {
	b.t.Helper()
	return b.do("POST", "/login", url.Values{"name": {name}, "password": {pw}, "next": {"/findings"}}, nil)
}

func loggedIn(t *testing.T, fx *fixture, name, pw string) *consoleClient {
	t.Helper()
	b := fx.browser(t)
	if r := b.login(name, pw); r.status != http.StatusSeeOther || r.header.Get("Location") != "/findings" {
		t.Fatalf("login %s: %s", name, r)
	}
	if r := b.get("/findings"); r.status != 200 {
		t.Fatalf("findings after login: %s", r)
	}
	return b
}

func TestConsoleLogin(t *testing.T) {
	fx := consoleFixture(t)
	b := fx.browser(t)
	r := b.get("/findings/" + fx.ids["f1"])
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login?next=%2Ffindings%2F"+fx.ids["f1"] {
		t.Fatalf("anonymous: %d %v", r.status, r.header)
	}
	if r := b.get("/login"); r.status != 200 || !bytes.Contains(r.body, []byte(`name="password"`)) {
		t.Fatalf("login page: %s", r)
	}
	for _, bad := range []struct{ name, pw string }{{"alice", "wrong"}, {"nobody", passAlice}, {"sso-bob", ""}, {"alice", ""}} {
		if r := b.login(bad.name, bad.pw); r.status != http.StatusUnauthorized || len(r.header.Values("Set-Cookie")) != 0 {
			t.Errorf("login %q/%q: %d, cookies %v", bad.name, bad.pw, r.status, r.header.Values("Set-Cookie"))
		}
	}
	r = b.login("alice", passAlice)
	if r.status != http.StatusSeeOther {
		t.Fatalf("good login: %s", r)
	}
	ck := r.header.Get("Set-Cookie")
	for _, want := range []string{"picket_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(ck, want) {
			t.Errorf("session cookie %q lacks %s", ck, want)
		}
	}
	if r := b.get("/findings"); r.status != 200 || !bytes.Contains(r.body, []byte("alice · admin")) {
		t.Fatalf("after login: %s", r)
	}
	// An open redirect through next= is refused.
	for _, next := range []string{"https://evil.example/", "//evil.example/x", `/\evil.example`} {
		b2 := fx.browser(t)
		r := b2.do("POST", "/login", url.Values{"name": {"alice"}, "password": {passAlice}, "next": {next}}, nil)
		if loc := r.header.Get("Location"); loc != "/findings" {
			t.Errorf("next=%q redirected to %q", next, loc)
		}
	}
	// Logging out ends the session, also for a copy of the cookie.
	stolen := b.c.Jar.Cookies(mustURL(t, fx.ts.URL))
	if r := b.post("/logout", nil); r.status != http.StatusSeeOther {
		t.Fatalf("logout: %s", r)
	}
	b3 := fx.browser(t)
	b3.c.Jar.SetCookies(mustURL(t, fx.ts.URL), stolen)
	if r := b3.get("/findings"); r.status != http.StatusSeeOther {
		t.Errorf("a logged-out session still works: %d", r.status)
	}
	// A forged or tampered cookie is not a session.
	b4 := fx.browser(t)
	for _, c := range stolen {
		c.Value = strings.Replace(c.Value, ".", "x.", 1)
	}
	b4.c.Jar.SetCookies(mustURL(t, fx.ts.URL), stolen)
	if r := b4.get("/findings"); r.status != http.StatusSeeOther {
		t.Errorf("a tampered cookie works: %d", r.status)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Password guessing is throttled per user and address: after five
// failures even the right password is refused for a while.
func TestConsoleLoginThrottled(t *testing.T) {
	fx := consoleFixture(t)
	b := fx.browser(t)
	for range loginFailures {
		if r := b.login("dana", "guess"); r.status != http.StatusUnauthorized {
			t.Fatalf("failure: %d", r.status)
		}
	}
	if r := b.login("dana", passDana); r.status != http.StatusTooManyRequests {
		t.Fatalf("after %d failures: %d, want 429", loginFailures, r.status)
	}
	if r := b.login("vic", passVic); r.status != http.StatusSeeOther {
		t.Fatalf("another user is not throttled: %d", r.status)
	}
}

// Every console form needs the session's CSRF token, and cross-site
// requests are refused even with one.
func TestConsoleCSRF(t *testing.T) {
	fx := consoleFixture(t)
	b := loggedIn(t, fx, "dana", passDana)
	other := loggedIn(t, fx, "alice", passAlice)
	id := fx.ids["f1"]
	b.get("/findings/" + id)
	for name, form := range map[string]url.Values{
		"no token":              {"csrf": {""}, "reason": {"false-positive"}},
		"another session token": {"csrf": {other.csrf}, "reason": {"false-positive"}},
	} {
		if r := b.post("/findings/"+id+"/archive", form); r.status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, r.status)
		}
	}
	r := b.do("POST", "/findings/"+id+"/archive", url.Values{"csrf": {b.csrf}, "reason": {"false-positive"}},
		http.Header{"Sec-Fetch-Site": {"cross-site"}})
	if r.status != http.StatusForbidden {
		t.Errorf("cross-site with a token: %d, want 403", r.status)
	}
	if f, _ := fx.store.GetFinding(t.Context(), id); f.Service.Archived {
		t.Fatal("a refused form archived the finding")
	}
	if r := b.post("/findings/"+id+"/archive", url.Values{"reason": {"false-positive"}, "note": {"test"}}); r.status != http.StatusSeeOther {
		t.Fatalf("with the token: %s", r)
	}
	if f, _ := fx.store.GetFinding(t.Context(), id); !f.Service.Archived {
		t.Fatal("not archived")
	}
}

// A user scoped to account A sees and acts on A only, on every console
// route, whatever the URL or parameters.
func TestConsoleScope(t *testing.T) {
	fx := consoleFixture(t)
	dana := loggedIn(t, fx, "dana", passDana)
	bID := fx.ids["f3"]
	mustNot := func(what string, r response, needles ...string) {
		t.Helper()
		for _, n := range needles {
			if bytes.Contains(r.body, []byte(n)) {
				t.Errorf("%s: account A's user sees %q", what, n)
			}
		}
	}
	for _, path := range []string{"/findings", "/findings?account=" + acctB, "/findings?q=" + acctB, "/findings?type=" + url.QueryEscape(typeRecon),
		"/dashboard", "/accounts", "/search?q=&since=2024-05-01T00:00:00Z&until=2024-05-02T00:00:00Z",
		"/search?q=account%3D" + acctB + "&since=2024-05-01T00:00:00Z&until=2024-05-02T00:00:00Z",
		"/search/export?q=&since=2024-05-01T00:00:00Z&until=2024-05-02T00:00:00Z"} {
		r := dana.get(path)
		if r.status != 200 {
			t.Errorf("%s: %s", path, r)
		}
		// The filter form echoes what was asked; the data must not.
		body := r
		if strings.Contains(path, acctB) {
			for _, marker := range []string{`id="severity-counts"`, `class="hint"`} {
				if i := bytes.Index(r.body, []byte(marker)); i > 0 {
					body.body = r.body[i:]
				}
			}
		}
		mustNot(path, body, acctB, bID, fx.ids["f4"], "B-SECRET-EVENT")
	}
	if r := dana.get("/findings"); !bytes.Contains(r.body, []byte(fx.ids["f1"])) || !bytes.Contains(r.body, []byte(fx.ids["f2"])) {
		t.Errorf("A's own findings missing from the list")
	}
	if r := dana.get("/search?q=&since=2024-05-01T00:00:00Z&until=2024-05-02T00:00:00Z"); !bytes.Contains(r.body, []byte("arn:aws:iam::"+acctA+":user/dev")) {
		t.Errorf("A's own event missing from the search: %s", r)
	}
	if r := dana.get("/search/export?q=&since=2024-05-01T00:00:00Z&until=2024-05-02T00:00:00Z"); bytes.Count(r.body, []byte("\n")) != 1 {
		t.Errorf("export: %q", r.body)
	}
	for _, path := range []string{"/findings/" + bID, "/findings/" + fx.ids["f4"]} {
		if r := dana.get(path); r.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, r.status)
		}
	}
	dana.get("/findings/" + fx.ids["f1"])
	for _, action := range []string{"archive", "unarchive", "acknowledge", "escalate", "resolve"} {
		r := dana.post("/findings/"+bID+"/"+action, url.Values{"reason": {"false-positive"}})
		if r.status != http.StatusNotFound {
			t.Errorf("POST %s on B: %d, want 404", action, r.status)
		}
	}
	if f, _ := fx.store.GetFinding(t.Context(), bID); f.Service.Archived {
		t.Error("B's finding was archived by A's user")
	}
	if a, _ := fx.store.GetAlert(t.Context(), "alertB"); a.State != alert.New {
		t.Errorf("B's alert changed: %s", a.State)
	}
	// Suppression rules are installation-wide: admins only.
	if r := dana.get("/suppressions"); r.status != http.StatusForbidden {
		t.Errorf("responder on /suppressions: %d", r.status)
	}
	if r := dana.post("/suppressions", url.Values{"name": {"x"}, "owner": {"x"}, "reason": {"x"}, "criteria": {"accountId=" + acctB}}); r.status != http.StatusForbidden {
		t.Errorf("responder creating a rule: %d", r.status)
	}
	// A viewer may look, not act.
	vic := loggedIn(t, fx, "vic", passVic)
	vic.get("/findings/" + fx.ids["f1"])
	if r := vic.post("/findings/"+fx.ids["f1"]+"/archive", url.Values{"reason": {"false-positive"}}); r.status != http.StatusForbidden {
		t.Errorf("viewer archiving: %d", r.status)
	}
	if r := vic.get("/findings/" + fx.ids["f1"]); bytes.Contains(r.body, []byte(`id="archive"`)) {
		t.Error("viewer is offered the archive button")
	}
}

// Strings from logs are escaped wherever they are shown.
func TestConsoleEscapes(t *testing.T) {
	fx := consoleFixture(t)
	alice := loggedIn(t, fx, "alice", passAlice)
	for _, path := range []string{"/findings", "/findings/" + fx.ids["evil"], "/search?q=&since=2024-05-01T00:00:00Z&until=2024-05-02T00:00:00Z",
		"/findings?q=" + url.QueryEscape(hostile)} {
		r := alice.get(path)
		if r.status != 200 {
			t.Fatalf("%s: %s", path, r)
		}
		if bytes.Contains(r.body, []byte("<script>")) || bytes.Contains(r.body, []byte("<img src=x")) {
			t.Errorf("%s: unescaped markup from a log", path)
		}
		if !bytes.Contains(r.body, []byte("&lt;script&gt;")) {
			t.Errorf("%s: the hostile string is not shown escaped", path)
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if r.header.Get("X-Frame-Options") != "DENY" || r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: security headers %v", path, r.header)
		}
	}
}

// The proxy's identity header is trusted from the trusted proxy only, and
// only for configured users.
func TestConsoleProxyAuth(t *testing.T) {
	fx := consoleFixture(t)
	fx.srv.Proxy = &ProxyAuth{Header: "X-Forwarded-Email", Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	fx.restart(t)
	b := fx.browser(t)
	r := b.do("GET", "/findings", nil, http.Header{"X-Forwarded-Email": {"sso-bob"}})
	if r.status != 200 || !bytes.Contains(r.body, []byte(fx.ids["f3"])) || bytes.Contains(r.body, []byte(fx.ids["f1"])) {
		t.Fatalf("proxy user scoped to B: %s", r)
	}
	if r := b.do("GET", "/findings", nil, http.Header{"X-Forwarded-Email": {"mallory"}}); r.status != http.StatusSeeOther {
		t.Errorf("unknown proxy user: %d", r.status)
	}
	fx.srv.Proxy.Trusted = []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}
	fx.restart(t)
	if r := b.do("GET", "/findings", nil, http.Header{"X-Forwarded-Email": {"alice"}}); r.status != http.StatusSeeOther {
		t.Errorf("header from an untrusted address was believed: %d", r.status)
	}
}

// A responder archives with a reason, acknowledges and unarchives from the
// detail page; the alert history records who did it.
func TestConsoleActions(t *testing.T) {
	fx := consoleFixture(t)
	dana := loggedIn(t, fx, "dana", passDana)
	// f1's alert (alertA) is opened by the fixture under its own ID; give
	// f2 one under the ID the console derives.
	f2, _ := fx.store.GetFinding(t.Context(), fx.ids["f2"])
	aid := alertIDOf(f2)
	a := alert.Alert{FindingID: f2.ID, Account: acctA, Type: f2.Type, Severity: f2.Severity, Route: "account:" + acctA}
	if _, _, err := fx.store.ApplyAlert(t.Context(), aid, &a, alert.Action{Kind: alert.Open, Actor: "picket", At: at(0)}); err != nil {
		t.Fatal(err)
	}
	page := "/findings/" + f2.ID
	if r := dana.get(page); !bytes.Contains(r.body, []byte(`id="alert-state">new<`)) {
		t.Fatalf("detail page: %s", r)
	}
	if r := dana.post(page+"/acknowledge", nil); r.status != http.StatusSeeOther {
		t.Fatalf("acknowledge: %s", r)
	}
	dana.get(page)
	if r := dana.post(page+"/archive", url.Values{"reason": {"not_a_reason"}}); r.status != http.StatusBadRequest {
		t.Errorf("bad reason: %d", r.status)
	}
	if r := dana.post(page+"/archive", url.Values{"reason": {string(alert.Expected)}, "note": {"deploy window"}}); r.status != http.StatusSeeOther {
		t.Fatalf("archive: %s", r)
	}
	got, _ := fx.store.GetAlert(t.Context(), aid)
	if got.State != alert.Archived || got.Reason != alert.Expected || got.ClosedBy != "console:dana" {
		t.Errorf("alert after archive: %+v", got)
	}
	r := dana.get(page)
	for _, want := range []string{"console:dana", "deploy window", `id="unarchive"`} {
		if !bytes.Contains(r.body, []byte(want)) {
			t.Errorf("detail page lacks %q", want)
		}
	}
	if r := dana.post(page+"/unarchive", nil); r.status != http.StatusSeeOther {
		t.Fatalf("unarchive: %s", r)
	}
	if f, _ := fx.store.GetFinding(t.Context(), f2.ID); f.Service.Archived {
		t.Error("still archived")
	}
}

// Admins preview, create and expire suppression rules; each step is in
// the audit trail.
func TestConsoleSuppressions(t *testing.T) {
	fx := consoleFixture(t)
	alice := loggedIn(t, fx, "alice", passAlice)
	alice.get("/suppressions")
	form := url.Values{"name": {"mute recon in A"}, "owner": {"secops"}, "reason": {"scanner"}, "criteria": {"type=" + typeRecon + " accountId=" + acctA}, "op": {"preview"}}
	r := alice.post("/suppressions", form)
	if r.status != 200 || !bytes.Contains(r.body, []byte("Would have muted <b>1</b>")) {
		t.Fatalf("preview: %s", r)
	}
	if rules, _ := fx.store.SuppressionRules(t.Context()); len(rules) != 0 {
		t.Fatal("a preview stored a rule")
	}
	form.Set("op", "create")
	form.Set("csrf", alice.csrf)
	if r := alice.post("/suppressions", form); r.status != http.StatusSeeOther {
		t.Fatalf("create: %s", r)
	}
	rules, _ := fx.store.SuppressionRules(t.Context())
	if len(rules) != 1 || rules[0].CreatedBy != "console:alice" {
		t.Fatalf("rules: %+v", rules)
	}
	alice.get("/suppressions")
	if r := alice.post("/suppressions/"+rules[0].ID+"/expire", nil); r.status != http.StatusSeeOther {
		t.Fatalf("expire: %s", r)
	}
	rules, _ = fx.store.SuppressionRules(t.Context())
	if rules[0].Expires.IsZero() || rules[0].Expires.After(fx.srv.now()) {
		t.Errorf("not expired: %v", rules[0].Expires)
	}
	r = alice.get("/suppressions")
	if !bytes.Contains(r.body, []byte("(expired)")) || bytes.Count(r.body, []byte("console:alice")) < 3 {
		t.Errorf("audit/expiry not shown: %s", r.body)
	}
}

// A search that does not parse says where.
func TestConsoleSearchErrors(t *testing.T) {
	fx := consoleFixture(t)
	alice := loggedIn(t, fx, "alice", passAlice)
	r := alice.get("/search?q=" + url.QueryEscape("action=Delete* AND (srcIP in 10.0.0.0/33"))
	if r.status != http.StatusBadRequest || !bytes.Contains(r.body, []byte("column")) {
		t.Errorf("bad query: %s", r)
	}
	r = alice.get("/search?q=&since=2024-05-01T00:00:00Z&until=2024-07-01T00:00:00Z")
	if r.status != http.StatusBadRequest || !bytes.Contains(r.body, []byte("at most 31 days")) {
		t.Errorf("unbounded range: %s", r)
	}
}

// An attack sequence's page lists its member findings in order, linked,
// with their names escaped.
func TestConsoleSequenceSignals(t *testing.T) {
	fx := consoleFixture(t)
	seq := newFinding(acctA, "us-east-1", "AttackSequence:IAM/CompromisedCredentials", "AKIASEQ", 9.5)
	seq.Service.AdditionalInfo = map[string]any{"sequence": map[string]any{"signals": []any{
		map[string]any{"uid": fx.ids["f1"], "name": typeRecon, "stage": "discovery", "tactic": "TA0007", "severity": 2.0, "firstSeenAt": "2024-05-01T12:00:00Z"},
		map[string]any{"uid": "gd-abc", "name": hostile, "stage": "impact", "tactic": "TA0040", "severity": 8.0, "firstSeenAt": "2024-05-01T13:00:00Z"},
	}}}
	seq.Seal()
	if _, err := fx.store.Commit(t.Context(), &store.Batch{Findings: []finding.Finding{seq}, Now: at(9 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	alice := loggedIn(t, fx, "alice", passAlice)
	r := alice.get("/findings/" + seq.ID)
	i := bytes.Index(r.body, []byte(`id="signals"`))
	if r.status != 200 || i < 0 {
		t.Fatalf("no signals table: %s", r)
	}
	table := string(r.body[i:])
	table = table[:strings.Index(table, "</table>")]
	first, second := strings.Index(table, `<a href="/findings/`+fx.ids["f1"]+`">`+typeRecon+`</a>`), strings.Index(table, "&lt;script&gt;")
	if first < 0 || second < first || strings.Contains(table, "<script>") || strings.Contains(table, `href="/findings/gd-abc"`) {
		t.Errorf("signals table:\n%s", table)
	}
}

// Every console route refuses anonymous callers (GET: to the login page;
// POST: 401), found by reading the route table itself so a new route
// cannot be added without this check.
func TestConsoleRoutesNeedLogin(t *testing.T) {
	fx := consoleFixture(t)
	src, err := os.ReadFile("console.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`mux\.Handle\("(GET|POST) (/[^"]*)", s\.console\(`)
	routes := re.FindAllStringSubmatch(string(src), -1)
	if len(routes) < 11 {
		t.Fatalf("found only %d console routes", len(routes))
	}
	b := fx.browser(t)
	for _, m := range routes {
		path := strings.NewReplacer("{id}", fx.ids["f1"], "{action}", "archive", "{$}", "").Replace(m[2])
		var r response
		if m[1] == "GET" {
			r = b.get(path)
			if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login?next=") {
				t.Errorf("anonymous GET %s: %d %s", path, r.status, r.header.Get("Location"))
			}
			continue
		}
		r = b.do("POST", path, url.Values{"csrf": {"x"}, "reason": {"false-positive"}}, nil)
		if r.status != http.StatusUnauthorized {
			t.Errorf("anonymous POST %s: %d", path, r.status)
		}
	}
	if f, _ := fx.store.GetFinding(t.Context(), fx.ids["f1"]); f.Service.Archived {
		t.Error("an anonymous POST archived a finding")
	}
}

// The JSON API's search, export, facets and suppression endpoints keep
// to the token's accounts and role.
func TestAPIScopeNewEndpoints(t *testing.T) {
	fx := consoleFixture(t)
	day := "since=2024-05-01T00:00:00Z&until=2024-05-02T00:00:00Z"
	as := func(tok, method, path string) response { return fx.do(t, method, path, bearer(tok)) }
	r := as(tokenViewA, "GET", "/api/v1/events?"+day)
	if r.status != 200 || !bytes.Contains(r.body, []byte(acctA)) || bytes.Contains(r.body, []byte("B-SECRET-EVENT")) || bytes.Contains(r.body, []byte(acctB)) {
		t.Errorf("events as A: %s", r)
	}
	r = as(tokenViewA, "GET", "/api/v1/events?q=account%3D"+acctB+"&"+day)
	if r.status != 200 || !bytes.Contains(r.body, []byte(`"events": []`)) {
		t.Errorf("asking for B's events as A: %s", r)
	}
	r = as(tokenAlpha, "GET", "/api/v1/events?"+day)
	if !bytes.Contains(r.body, []byte("B-SECRET-EVENT")) {
		t.Errorf("admin does not see B's event: %s", r)
	}
	r = as(tokenViewA, "GET", "/api/v1/events/export?"+day)
	if r.status != 200 || bytes.Count(r.body, []byte("\n")) != 1 || bytes.Contains(r.body, []byte(acctB)) {
		t.Errorf("export as A: %s", r)
	}
	r = as(tokenViewA, "GET", "/api/v1/events?q="+url.QueryEscape("action=(")+"&"+day)
	if r.status != 400 || !bytes.Contains(r.body, []byte("column")) {
		t.Errorf("bad query: %s", r)
	}
	r = as(tokenViewA, "GET", "/api/v1/findings/facets")
	if r.status != 200 || bytes.Contains(r.body, []byte(acctB)) || !bytes.Contains(r.body, []byte(acctA)) {
		t.Errorf("facets as A: %s", r)
	}
	body := `{"name":"n","owner":"o","reason":"r","criteria":"accountId=` + acctB + `"}`
	for _, tok := range []string{tokenViewA, tokenRespondA} {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", fx.ts.URL+"/api/v1/suppressions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("non-admin creating a suppression rule: %d", res.StatusCode)
		}
	}
	if r := as(tokenRespondA, "DELETE", "/api/v1/suppressions/x"); r.status != http.StatusForbidden {
		t.Errorf("non-admin removing a rule: %s", r)
	}
	if rules, _ := fx.store.SuppressionRules(t.Context()); len(rules) != 0 {
		t.Errorf("a refused request stored a rule")
	}
}

// Equal queries share a cached count, whatever pointer holds Archived.
func TestFacetKey(t *testing.T) {
	yes, yes2, no := true, true, false
	a := facetKey(store.FindingQuery{Accounts: []string{acctA}, Archived: &yes})
	if a != facetKey(store.FindingQuery{Accounts: []string{acctA}, Archived: &yes2}) {
		t.Error("the same query under two pointers has two keys")
	}
	for _, other := range []store.FindingQuery{{Accounts: []string{acctA}, Archived: &no}, {Accounts: []string{acctA}}, {Accounts: []string{acctB}, Archived: &yes}} {
		if facetKey(other) == a {
			t.Errorf("%+v shares the key of another query", other)
		}
	}
}

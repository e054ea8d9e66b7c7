package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/route"
	"github.com/picket-dev/picket/internal/runbook"
	"github.com/picket-dev/picket/internal/store"
)

// The console is server-rendered HTML with no script at all: forms post
// back, details/summary expand raw events, charts are inline SVG drawn on
// the server. Every page reads through the same scoped query layer as the
// JSON API.

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// consoleCSP allows nothing but the console's own stylesheet and images:
// no script runs on a console page, even one injected through a log field.
const consoleCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// crossOrigin refuses forms a browser says come from another site
// (Sec-Fetch-Site, Origin): defence in depth besides the CSRF tokens.
var crossOrigin = http.NewCrossOriginProtection()

// pages are the parsed templates, each the layout plus one page.
type pages map[string]*template.Template

func parsePages() (pages, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := pages{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", n, err)
		}
		out[name] = t
	}
	return out, nil
}

var funcs = template.FuncMap{
	"sevLabel": func(s float64) string { return finding.LabelOf(s).String() },
	"sevClass": func(s float64) string { return strings.ToLower(finding.LabelOf(s).String()) },
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"ago": func(now, t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return fmtDuration(now.Sub(t)) + " ago"
	},
	"dur":    fmtDuration,
	"pretty": prettyJSON,
	"add":    func(a, b int) int { return a + b },
	"title":  func(s string) string { return strings.ToUpper(s[:min(1, len(s))]) + s[min(1, len(s)):] },
	"join":   strings.Join,
	"lower":  strings.ToLower,
	"has":    slices.Contains[[]string],
}

func fmtDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		return strconv.FormatFloat(d.Hours(), 'f', 1, 64) + "h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + "d"
}

// prettyJSON indents a JSON record; anything else is shown as it is
// (html/template escapes it either way).
func prettyJSON(raw []byte) string {
	var b bytes.Buffer
	if json.Indent(&b, raw, "", "  ") == nil {
		return b.String()
	}
	return string(raw)
}

// view is what every page template gets.
type view struct {
	Title string
	Nav   string
	User  *Principal
	CSRF  string
	Now   time.Time
	Flash string
	Error string
	Data  any
}

// consoleRoutes registers the console on mux.
func (s *Server) consoleRoutes(mux *http.ServeMux) error {
	pg, err := parsePages()
	if err != nil {
		return err
	}
	s.pages = pg
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.Handle("POST /logout", s.console(s.logout))
	mux.Handle("GET /{$}", http.RedirectHandler("/findings", http.StatusSeeOther))
	mux.Handle("GET /findings", s.console(s.findingsPage))
	mux.Handle("GET /findings/{id}", s.console(s.findingPage))
	mux.Handle("POST /findings/{id}/{action}", s.console(s.findingAction))
	mux.Handle("GET /dashboard", s.console(s.dashboardPage))
	mux.Handle("GET /search", s.console(s.searchPage))
	mux.Handle("GET /search/export", s.console(s.searchExport))
	mux.Handle("GET /accounts", s.console(s.accountsPage))
	mux.Handle("GET /suppressions", s.console(s.suppressionsPage))
	mux.Handle("POST /suppressions", s.console(s.suppressionCreate))
	mux.Handle("POST /suppressions/{id}/expire", s.console(s.suppressionExpire))
	return nil
}

// consoleHandler serves one console page for an authenticated user.
type consoleHandler func(w http.ResponseWriter, r *http.Request, v *view) error

// console authenticates a console request (the proxy's identity header
// from a trusted proxy, or the session cookie), checks the CSRF token of
// every POST, and renders errors as pages.
func (s *Server) console(h consoleHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", consoleCSP)
		now := s.now()
		v := &view{Now: now}
		if p, csrf, ok := s.proxyUser(r); ok {
			v.User, v.CSRF = p, csrf
		} else if sess, ok := s.sessions.read(r, now); ok {
			u := s.users[sess.User]
			if u == nil { // removed from the config since
				s.sessions.revoke(w, sess, now)
			} else {
				v.User, v.CSRF = &u.Principal, sess.CSRF
			}
		}
		if v.User == nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "not logged in", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if crossOrigin.Check(r) != nil || !csrfOK(r, v.CSRF) {
				s.log().Warn("console request refused: bad CSRF token", "user", v.User.Name, "path", r.URL.Path)
				s.renderError(w, r, v, http.StatusForbidden, "This form has expired or did not come from the console. Reload the page and try again.")
				return
			}
		}
		r = r.WithContext(withPrincipal(r.Context(), v.User))
		if err := h(w, r, v); err != nil {
			var he *httpError
			switch {
			case errors.As(err, &he):
				s.renderError(w, r, v, he.status, he.msg)
			case errors.Is(err, store.ErrNotFound):
				s.renderError(w, r, v, http.StatusNotFound, "Not found.")
			case errors.Is(err, context.Canceled):
			default:
				s.log().Error("console request failed", "path", r.URL.Path, "user", v.User.Name, "err", err)
				s.renderError(w, r, v, http.StatusInternalServerError, "Something went wrong; the server log has the details.")
			}
		}
	})
}

// proxyUser authenticates by the proxy's header. The header is ignored
// unless the request comes from a trusted proxy; a name that is not a
// configured user gets no access.
func (s *Server) proxyUser(r *http.Request) (*Principal, string, bool) {
	pa := s.Proxy
	if pa == nil || pa.Header == "" || !pa.fromTrustedProxy(r) {
		return nil, "", false
	}
	name := strings.TrimSpace(r.Header.Get(pa.Header))
	u := s.users[name]
	if name == "" || u == nil {
		return nil, "", false
	}
	// No cookie carries a token: derive one per user (forms are also
	// refused cross-origin by the Sec-Fetch-Site check).
	m := hmac.New(sha256.New, s.sessions.key)
	m.Write([]byte("picket-proxy-csrf\x00" + name))
	return &u.Principal, base64.RawURLEncoding.EncodeToString(m.Sum(nil)), true
}

func (s *Server) render(w http.ResponseWriter, status int, page string, v *view) {
	t := s.pages[page]
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout.html", v); err != nil {
		s.log().Error("rendering console page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, v *view, status int, msg string) {
	v.Title, v.Error = http.StatusText(status), msg
	s.render(w, status, "error", v)
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/findings"
	}
	return next
}

type loginData struct {
	Next, Name string
	Proxy      bool
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", consoleCSP)
	if p, _, ok := s.proxyUser(r); ok && p != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.render(w, http.StatusOK, "login", &view{Title: "Log in", Now: s.now(),
		Data: loginData{Next: safeNext(r.URL.Query().Get("next")), Proxy: s.Proxy != nil}})
}

// login checks a password; failures are throttled per user and address,
// and unknown users cost as much time as known ones.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", consoleCSP)
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if crossOrigin.Check(r) != nil {
		http.Error(w, "cross-origin login refused", http.StatusForbidden)
		return
	}
	now := s.now()
	name, pass := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	key := name + "\x00" + host
	v := &view{Title: "Log in", Now: now, Data: loginData{Next: next, Name: name, Proxy: s.Proxy != nil}}
	if s.sessions.throttled(key, now) {
		s.log().Warn("console login throttled", "user", name, "remote", host)
		v.Error = "Too many failed attempts. Wait a few minutes."
		s.render(w, http.StatusTooManyRequests, "login", v)
		return
	}
	u := s.users[name]
	if !checkPassword(u, pass) {
		s.sessions.failed(key, now)
		s.log().Warn("console login failed", "user", name, "remote", host)
		v.Error = "Wrong user name or password."
		s.render(w, http.StatusUnauthorized, "login", v)
		return
	}
	s.sessions.issue(w, name, now)
	s.log().Info("console login", "user", name, "remote", host)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, v *view) error {
	if sess, ok := s.sessions.read(r, v.Now); ok {
		s.sessions.revoke(w, sess, v.Now)
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// ---- findings ----

type findingsData struct {
	Findings []findingRow
	Total    int
	Facets   store.Facets
	Form     url.Values
	Bands    []string
	States   []string
	Sorts    []string
	Prev     string
	Next     string
	From, To int
}

type findingRow struct {
	finding.Finding
	Alert *alert.Alert
}

// pageSize is the console's findings page size.
const pageSize = 50

func (s *Server) findingsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	form := r.URL.Query()
	q, err := ParseFindingQuery(func(k string) []string { return form[k] })
	if err != nil {
		return err
	}
	q.Limit = pageSize
	if q.Offset > 100_000 {
		return badRequest("offset: at most 100000; narrow the filters instead")
	}
	p := principalOf(r)
	d := findingsData{Form: form, Bands: []string{"Low", "Medium", "High", "Critical"},
		States: []string{"none", "new", "notified", "acknowledged", "resolved", "archived"},
		Sorts:  []string{"updated", "severity", "count", "first_seen", "last_seen"}}
	v.Title, v.Nav, v.Data = "Findings", "findings", &d
	var ok bool
	if q.Accounts, ok = p.scopeAccounts(q.Accounts); !ok {
		s.render(w, http.StatusOK, "findings", v)
		return nil
	}
	fs, total, err := s.Store.ListFindings(r.Context(), q)
	if err != nil {
		return err
	}
	fq := q
	fq.FacetTop = -1 // the page shows only the severity counts
	if d.Facets, err = s.facets(r.Context(), fq, total); err != nil {
		return err
	}
	rows, err := s.withAlerts(r.Context(), fs)
	if err != nil {
		return err
	}
	d.Findings, d.Total = rows, total
	d.From, d.To = q.Offset+1, q.Offset+len(fs)
	if q.Offset > 0 {
		d.Prev = pageLink(form, max(0, q.Offset-pageSize))
	}
	if q.Offset+len(fs) < total {
		d.Next = pageLink(form, q.Offset+pageSize)
	}
	s.render(w, http.StatusOK, "findings", v)
	return nil
}

func pageLink(form url.Values, offset int) string {
	f := url.Values{}
	for k, vs := range form {
		f[k] = vs
	}
	f.Set("offset", strconv.Itoa(offset))
	return "/findings?" + f.Encode()
}

// alertIDOf is the ID of the alert routing opens for f.
func alertIDOf(f *finding.Finding) string { return route.AlertID(route.IncidentKey(f), f.ID) }

// withAlerts pairs findings with their alerts (when routed).
func (s *Server) withAlerts(ctx context.Context, fs []finding.Finding) ([]findingRow, error) {
	ids := make([]string, len(fs))
	for i := range fs {
		ids[i] = alertIDOf(&fs[i])
	}
	as, err := s.Store.AlertsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	rows := make([]findingRow, len(fs))
	for i := range fs {
		rows[i].Finding = fs[i]
		if a, ok := as[ids[i]]; ok {
			rows[i].Alert = &a
		}
	}
	return rows, nil
}

type findingData struct {
	F        *finding.Finding
	Alert    *alert.Alert
	History  []alert.Transition
	Evidence []evidenceRow
	Related  []findingRow
	Runbook  template.HTML
	Reasons  []string
	Pivots   []pivot
	Info     string
	Respond  bool
	Signals  []signalRow // an attack sequence's member findings, in order
}

// signalRow is one member finding of an attack sequence.
type signalRow struct {
	ID, Type, Stage, Tactic, First string
	Severity                       float64
}

// sequenceSignals reads an attack sequence's signals from its
// additionalInfo (package sequence writes them).
func sequenceSignals(f *finding.Finding) []signalRow {
	seq, _ := f.Service.AdditionalInfo["sequence"].(map[string]any)
	sigs, _ := seq["signals"].([]any)
	var out []signalRow
	for _, x := range sigs {
		m, _ := x.(map[string]any)
		str := func(k string) string { v, _ := m[k].(string); return v }
		sev, _ := m["severity"].(float64)
		id := str("uid")
		if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
			id = "" // not one of ours: no link
		}
		out = append(out, signalRow{ID: id, Type: str("name"), Stage: str("stage"), Tactic: str("tactic"), First: str("firstSeenAt"), Severity: sev})
	}
	return out
}

type evidenceRow struct {
	finding.Evidence
	Pretty string
}

type pivot struct{ Label, Href string }

// pathFinding reads the finding the URL names, if the caller may see it.
func (s *Server) pathFinding(r *http.Request) (*finding.Finding, error) {
	id, err := findingID(r)
	if err != nil {
		return nil, err
	}
	return s.scopedFinding(r, id)
}

func (s *Server) findingPage(w http.ResponseWriter, r *http.Request, v *view) error {
	f, err := s.pathFinding(r)
	if err != nil {
		return err
	}
	id, ctx := f.ID, r.Context()
	d := findingData{F: f, Respond: principalOf(r).Role.rank() >= Responder.rank()}
	for _, rs := range alert.Reasons {
		d.Reasons = append(d.Reasons, string(rs))
	}
	rows, err := s.withAlerts(ctx, []finding.Finding{*f})
	if err != nil {
		return err
	}
	if d.Alert = rows[0].Alert; d.Alert != nil {
		if d.History, err = s.Store.AlertHistory(ctx, d.Alert.ID); err != nil {
			return err
		}
	}
	evs, err := s.Store.Evidence(ctx, id)
	if err != nil {
		return err
	}
	for _, e := range evs {
		d.Evidence = append(d.Evidence, evidenceRow{Evidence: e, Pretty: prettyJSON(e.Raw)})
	}
	// Related: the same actor or resource in the same account, recently.
	for _, q := range []store.FindingQuery{{Actors: []string{f.Keys.Actor}}, {Resources: []string{f.Keys.Resource}}} {
		if (len(q.Actors) > 0 && q.Actors[0] == "") || (len(q.Resources) > 0 && q.Resources[0] == "") || len(d.Related) >= 10 {
			continue
		}
		q.Accounts, q.Limit = []string{f.AccountID}, 11
		rel, _, err := s.Store.ListFindings(ctx, q)
		if err != nil {
			return err
		}
		for _, x := range rel {
			if x.ID != f.ID && !slices.ContainsFunc(d.Related, func(r findingRow) bool { return r.ID == x.ID }) && len(d.Related) < 10 {
				d.Related = append(d.Related, findingRow{Finding: x})
			}
		}
	}
	set := s.Runbooks
	if set == nil {
		set = runbook.Defaults()
	}
	if rb, ok := set.Find(f.Type); ok {
		// goldmark renders without raw HTML and with safe links (package runbook).
		d.Runbook = template.HTML(runbook.RenderHTML(rb.Markdown))
	}
	if b, err := json.MarshalIndent(f.Service.AdditionalInfo, "", "  "); err == nil && len(f.Service.AdditionalInfo) > 0 {
		d.Info = string(b)
	}
	d.Pivots = pivots(f)
	d.Signals = sequenceSignals(f)
	v.Title, v.Nav, v.Data = f.Type, "findings", &d
	s.render(w, http.StatusOK, "finding", v)
	return nil
}

// pivots are investigation searches around a finding: its account, actor
// and caller IP over the day before and after it.
func pivots(f *finding.Finding) []pivot {
	since := f.Service.EventFirstSeen.Add(-24 * time.Hour).UTC().Format(time.RFC3339)
	until := f.Service.EventLastSeen.Add(24 * time.Hour).UTC().Format(time.RFC3339)
	link := func(q string) string {
		return "/search?" + url.Values{"q": {q}, "since": {since}, "until": {until}}.Encode()
	}
	quote := func(s string) string {
		return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
	}
	esc := func(s string) string { // a literal, not a wildcard pattern
		return strings.NewReplacer(`*`, `\*`, `?`, `\?`).Replace(s)
	}
	out := []pivot{{"Account " + f.AccountID, link("account=" + quote(f.AccountID))}}
	if f.Keys.Actor != "" {
		out = append(out, pivot{"Actor " + f.Keys.Actor, link("actor=" + quote(esc(f.Keys.Actor)))})
	}
	if ip := remoteIP(f); ip != "" {
		out = append(out, pivot{"Source IP " + ip, link("srcIP in " + ip)})
	}
	return out
}

func remoteIP(f *finding.Finding) string {
	a := &f.Service.Action
	var rip *finding.RemoteIPDetails
	switch {
	case a.AwsAPICallAction != nil:
		rip = a.AwsAPICallAction.RemoteIPDetails
	case a.NetworkConnectionAction != nil:
		rip = a.NetworkConnectionAction.RemoteIPDetails
	}
	if rip == nil {
		return ""
	}
	if rip.IPAddressV4 != "" {
		return rip.IPAddressV4
	}
	return rip.IPAddressV6
}

// findingAction acknowledges, escalates, archives (with a reason) or
// unarchives a finding and its alert, as the logged-in responder.
func (s *Server) findingAction(w http.ResponseWriter, r *http.Request, v *view) error {
	p := principalOf(r)
	if err := p.need(Responder); err != nil {
		return err
	}
	f, err := s.pathFinding(r)
	if err != nil {
		return err
	}
	id, ctx := f.ID, r.Context()
	rows, err := s.withAlerts(ctx, []finding.Finding{*f})
	if err != nil {
		return err
	}
	al := rows[0].Alert
	action := r.PathValue("action")
	act := alert.Action{Actor: "console:" + p.Name, Note: strings.TrimSpace(r.PostFormValue("note")), At: s.now()}
	switch action {
	case "acknowledge":
		act.Kind = alert.Acknowledge
	case "escalate":
		act.Kind = alert.Escalate
	case "resolve":
		act.Kind = alert.Resolve
	case "archive":
		act.Kind = alert.Archive
		if act.Reason, err = alert.ParseReason(r.PostFormValue("reason")); err != nil {
			return badRequest("%v", err)
		}
	case "unarchive":
		act.Kind = alert.Unarchive
	default:
		return &httpError{status: http.StatusNotFound, msg: "unknown action"}
	}
	if al == nil && act.Kind != alert.Archive && act.Kind != alert.Unarchive {
		return &httpError{status: http.StatusConflict, msg: "This finding has no alert yet (it was not routed to anyone), so it cannot be " + action + "d."}
	}
	if al != nil && !(act.Kind == alert.Unarchive && al.State != alert.Archived) {
		if _, _, err := s.Store.ApplyAlert(ctx, al.ID, nil, act); err != nil {
			if errors.Is(err, alert.ErrIllegal) {
				return &httpError{status: http.StatusConflict, msg: err.Error()}
			}
			return err
		}
	}
	switch act.Kind {
	case alert.Archive, alert.Unarchive:
		if _, err := s.Store.SetArchived(ctx, []string{id}, act.Kind == alert.Archive, s.now()); err != nil {
			return err
		}
	}
	s.log().Info("console action", "user", p.Name, "action", action, "finding", id)
	http.Redirect(w, r, "/findings/"+id, http.StatusSeeOther)
	return nil
}

// Counting a large set of findings by severity takes a few hundred
// milliseconds (1M findings in SQLite): the counts of sets of more than
// facetCacheMin findings are kept for facetCacheTTL, so paging and
// reloading do not pay for them again. Small sets are always counted.
const (
	facetCacheMin = 20_000
	facetCacheTTL = 30 * time.Second
)

type facetEntry struct {
	at time.Time
	f  store.Facets
}

// facets counts the findings q selects (total of them, as the list query
// found).
func (s *Server) facets(ctx context.Context, q store.FindingQuery, total int) (store.Facets, error) {
	q.Limit, q.Offset, q.Sort = 0, 0, ""
	if total <= facetCacheMin {
		return s.Store.FindingFacets(ctx, q)
	}
	key := facetKey(q)
	now := time.Now()
	s.facetMu.Lock()
	e, ok := s.facetCache[key]
	s.facetMu.Unlock()
	if ok && now.Sub(e.at) < facetCacheTTL {
		return e.f, nil
	}
	f, err := s.Store.FindingFacets(ctx, q)
	if err != nil {
		return f, err
	}
	s.facetMu.Lock()
	if s.facetCache == nil || len(s.facetCache) >= 1000 {
		s.facetCache = map[string]facetEntry{}
	}
	s.facetCache[key] = facetEntry{at: now, f: f}
	s.facetMu.Unlock()
	return f, nil
}

// facetKey names a query by value (Archived is a pointer: %v of the
// struct would name the pointer, and never hit).
func facetKey(q store.FindingQuery) string {
	archived := "any"
	if q.Archived != nil {
		archived = strconv.FormatBool(*q.Archived)
	}
	q.Archived = nil
	return fmt.Sprintf("%v|%s", q, archived)
}

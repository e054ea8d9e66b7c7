// Package web serves Picket over HTTP: /healthz, /metrics (Prometheus) and
// the JSON API over findings, their evidence, quarantined records and
// source checkpoints. Every /api request must carry one of the configured
// bearer tokens; with none configured the API refuses every request rather
// than serving it unauthenticated. The console comes later, on this server.
package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/config"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/runbook"
	"github.com/picket-dev/picket/internal/store"
)

// openAPI is the API's OpenAPI 3.1 document (TestOpenAPICoversRoutes keeps
// it in step with the routes).
//
//go:embed openapi.json
var openAPI []byte

// Server holds what the handlers need.
type Server struct {
	Store  store.Store
	Tokens []config.Secret // admin tokens for every account (http.api_token_env)
	// Scoped are tokens with a role and an account scope (http.tokens).
	Scoped  []ScopedToken
	Metrics http.Handler // nil: /metrics answers 404
	// Ingest serves POST /v1/ingest/{source} (package receiver), which
	// authenticates its requests itself; nil: not served.
	Ingest http.Handler
	Log    *slog.Logger
	Now    func() time.Time
	// SLA decides which alerts are past due (nil: alert.DefaultSLA).
	SLA alert.SLA
	// Runbooks are served at /api/v1/runbooks/{type} (nil: the built-in ones).
	Runbooks *runbook.Set
	// Slack serves the Slack app's interactivity and commands under
	// /slack/ (it verifies Slack's signatures itself); nil: not served.
	Slack http.Handler

	// Console users (password or proxy logins), the proxy header, the
	// session cookie's signing key (nil: random per process) and options.
	Users         []User
	Proxy         *ProxyAuth
	SessionKey    []byte
	SecureCookies bool
	SessionTTL    time.Duration
	// Accounts describes the routing table for the accounts page (nil:
	// the page lists only accounts with findings).
	Accounts func() []AccountInfo
	// Health reports ingestion per source for the dashboard (nil: none).
	Health func() []SourceHealth

	pages    pages
	sessions *sessions
	users    map[string]*User

	facetMu    sync.Mutex
	facetCache map[string]facetEntry // see facets
}

// Handler returns the server's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.sessions = newSessions(s.SessionKey, s.SessionTTL, s.SecureCookies)
	s.users = make(map[string]*User, len(s.Users))
	for i := range s.Users {
		s.users[s.Users[i].Name] = &s.Users[i]
	}
	if err := s.consoleRoutes(mux); err != nil {
		panic(fmt.Sprintf("console templates: %v", err)) // embedded: a build error
	}
	mux.HandleFunc("GET /healthz", s.healthz)
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.Metrics)
	}
	if s.Ingest != nil {
		mux.Handle("/v1/ingest/", s.Ingest)
	}
	if s.Slack != nil {
		mux.Handle("/slack/", s.Slack)
	}
	api := http.NewServeMux()
	api.Handle("GET /api/v1/findings", s.h(s.listFindings))
	api.Handle("GET /api/v1/findings/{id}", s.h(s.getFinding))
	api.Handle("GET /api/v1/findings/{id}/evidence", s.h(s.getEvidence))
	api.Handle("POST /api/v1/findings/{id}/archive", s.h(s.archive(true)))
	api.Handle("POST /api/v1/findings/{id}/unarchive", s.h(s.archive(false)))
	api.Handle("GET /api/v1/quarantine", s.h(s.listQuarantine))
	api.Handle("GET /api/v1/sources/{source}/checkpoints", s.h(s.listCheckpoints))
	api.Handle("GET /api/v1/notifications", s.h(s.listNotifications))
	api.Handle("GET /api/v1/suppressions", s.h(s.listSuppressions))
	api.Handle("GET /api/v1/runbooks/{type...}", s.h(s.getRunbook))
	api.Handle("GET /api/v1/events", s.h(s.apiSearch))
	api.HandleFunc("GET /api/v1/events/export", s.apiExport)
	api.Handle("GET /api/v1/findings/facets", s.h(s.findingFacets))
	api.Handle("POST /api/v1/suppressions", s.h(s.apiAddSuppression))
	api.Handle("DELETE /api/v1/suppressions/{id}", s.h(s.apiRemoveSuppression))
	api.Handle("GET /api/v1/alerts", s.h(s.listAlerts))
	api.Handle("GET /api/v1/alerts/stats", s.h(s.alertStats))
	api.Handle("GET /api/v1/alerts/{id}", s.h(s.getAlert))
	api.Handle("POST /api/v1/alerts/{id}/{action}", s.h(s.actOnAlert))
	api.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPI)
	})
	mux.Handle("/api/", s.authenticate(api))
	return secureHeaders(mux)
}

func secureHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if r.TLS != nil {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		hd.Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// authenticate checks the bearer token in constant time against every
// configured token.
func (s *Server) authenticate(h http.Handler) http.Handler {
	sums := make([][32]byte, 0, len(s.Tokens)+len(s.Scoped))
	principals := make([]*Principal, 0, cap(sums))
	for i, t := range s.Tokens {
		sums = append(sums, sha256.Sum256([]byte(t.Reveal())))
		principals = append(principals, &Principal{Name: fmt.Sprintf("token#%d", i+1), Role: Admin})
	}
	for i := range s.Scoped {
		sums = append(sums, s.Scoped[i].SHA256)
		principals = append(principals, &s.Scoped[i].Principal)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(sums) == 0 {
			writeError(w, http.StatusUnauthorized, "the API is disabled: no API tokens are configured (http.api_token_env or http.tokens)")
			return
		}
		// The scheme is case-insensitive (RFC 7235); the token is not.
		scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="picket"`)
			writeError(w, http.StatusUnauthorized, "missing bearer token")
			return
		}
		sum := sha256.Sum256([]byte(tok))
		found := -1
		for i := range sums {
			if subtle.ConstantTimeCompare(sum[:], sums[i][:]) == 1 && found < 0 {
				found = i
			}
		}
		if found < 0 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="picket", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "invalid bearer token")
			return
		}
		h.ServeHTTP(w, r.WithContext(withPrincipal(r.Context(), principals[found])))
	})
}

// httpError is an error with the status and message the client sees.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// handler is an API endpoint returning its response or an error.
type handler func(r *http.Request) (any, error)

// h adapts a handler: the client sees an httpError's message, or a generic
// one while the log gets the details.
func (s *Server) h(fn handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(fn, w, r) })
}

func (s *Server) serve(fn handler, w http.ResponseWriter, r *http.Request) {
	v, err := fn(r)
	if err != nil {
		var he *httpError
		switch {
		case errors.As(err, &he):
			writeError(w, he.status, he.msg)
		case errors.Is(err, store.ErrNotFound):
			writeError(w, http.StatusNotFound, "not found")
		case errors.Is(err, context.Canceled):
			// the client went away
		default:
			s.log().Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			writeError(w, http.StatusInternalServerError, "internal error")
		}
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		s.log().Warn("health check failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "store unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// FindingList is the response of GET /api/v1/findings.
type FindingList struct {
	Findings []finding.Finding `json:"findings"`
	Total    int               `json:"total"`
	Limit    int               `json:"limit"`
	Offset   int               `json:"offset"`
}

// ParseFindingQuery reads the finding filters from URL parameters:
// account, type, region (repeatable or comma-separated), severity (a label
// or a number: the minimum), band (one label exactly), archived
// (true/false), since and until (RFC 3339, updatedAt), q (free text),
// alert (alert states, or none), sort, limit (1–1000) and offset.
func ParseFindingQuery(get func(string) []string) (store.FindingQuery, error) {
	var q store.FindingQuery
	list := func(k string) []string {
		var out []string
		for _, v := range get(k) {
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
		}
		return out
	}
	one := func(k string) string {
		if v := get(k); len(v) > 0 {
			return strings.TrimSpace(v[len(v)-1])
		}
		return ""
	}
	q.Accounts, q.Types, q.Regions = list("account"), list("type"), list("region")
	if v := one("severity"); v != "" {
		if l, err := finding.ParseLabel(v); err == nil {
			q.MinSeverity = l.Min()
		} else if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 10 {
			q.MinSeverity = f
		} else {
			return q, badRequest("severity: want low, medium, high, critical or a number 0-10, got %q", v)
		}
	}
	if v := one("band"); v != "" { // one severity label exactly
		l, err := finding.ParseLabel(v)
		if err != nil {
			return q, badRequest("band: want low, medium, high or critical, got %q", v)
		}
		// From the label's lower bound to the next label's (none above Critical).
		q.MinSeverity = l.Min()
		if l < finding.Critical {
			q.MaxSeverity = (l + 1).Min()
		}
	}
	if v := one("until"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return q, badRequest("until: want an RFC 3339 time, got %q", v)
		}
		q.Until = t
	}
	if v := one("q"); len(v) > 200 {
		return q, badRequest("q: at most 200 characters")
	} else {
		q.Text = v
	}
	for _, st := range list("alert") {
		switch st {
		case "new", "notified", "acknowledged", "resolved", "archived", store.AlertNone:
			q.AlertStates = append(q.AlertStates, st)
		default:
			return q, badRequest("alert: want new, notified, acknowledged, resolved, archived or none, got %q", st)
		}
	}
	if v := one("sort"); v != "" {
		if !slices.Contains(store.FindingSorts, v) {
			return q, badRequest("sort: want one of %s, got %q", strings.Join(store.FindingSorts, ", "), v)
		}
		q.Sort = v
	}
	if v := one("archived"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return q, badRequest("archived: want true or false, got %q", v)
		}
		q.Archived = &b
	}
	if v := one("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return q, badRequest("since: want an RFC 3339 time, got %q", v)
		}
		q.Since = t
	}
	q.Limit = 100
	if v := one("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return q, badRequest("limit: want 1-1000, got %q", v)
		}
		q.Limit = n
	}
	if v := one("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return q, badRequest("offset: want a number >= 0, got %q", v)
		}
		q.Offset = n
	}
	return q, nil
}

func (s *Server) listFindings(r *http.Request) (any, error) {
	q, err := ParseFindingQuery(func(k string) []string { return r.URL.Query()[k] })
	if err != nil {
		return nil, err
	}
	var ok bool
	if q.Accounts, ok = principalOf(r).scopeAccounts(q.Accounts); !ok {
		return FindingList{Findings: []finding.Finding{}, Limit: q.Limit, Offset: q.Offset}, nil
	}
	fs, total, err := s.Store.ListFindings(r.Context(), q)
	if err != nil {
		return nil, err
	}
	return FindingList{Findings: fs, Total: total, Limit: q.Limit, Offset: q.Offset}, nil
}

// FindingDetail is the response of GET /api/v1/findings/{id}.
type FindingDetail struct {
	Finding  *finding.Finding `json:"finding"`
	Evidence []Evidence       `json:"evidence"`
}

// Evidence is a stored raw event as the API shows it: the record inline as
// JSON when it is JSON (in UTF-8, as RFC 8259 requires), as a string
// otherwise.
type Evidence struct {
	finding.Evidence
	Raw any `json:"raw"`
}

// EvidenceView converts stored evidence for output.
func EvidenceView(evs []finding.Evidence) []Evidence {
	out := make([]Evidence, len(evs))
	for i, e := range evs {
		out[i].Evidence = e
		// json.Valid accepts bytes that are not UTF-8 inside strings, and a
		// RawMessage is written out as is: embedding those would make the
		// whole response invalid UTF-8.
		if json.Valid(e.Raw) && utf8.Valid(e.Raw) {
			out[i].Raw = json.RawMessage(e.Raw)
		} else {
			out[i].Raw = string(e.Raw)
		}
	}
	return out
}

func findingID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		return "", &httpError{status: http.StatusNotFound, msg: "not found"}
	}
	return id, nil
}

func (s *Server) getFinding(r *http.Request) (any, error) {
	id, err := findingID(r)
	if err != nil {
		return nil, err
	}
	f, err := s.scopedFinding(r, id)
	if err != nil {
		return nil, err
	}
	ev, err := s.Store.Evidence(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return FindingDetail{Finding: f, Evidence: EvidenceView(ev)}, nil
}

func (s *Server) getEvidence(r *http.Request) (any, error) {
	id, err := findingID(r)
	if err != nil {
		return nil, err
	}
	if _, err := s.scopedFinding(r, id); err != nil {
		return nil, err
	}
	ev, err := s.Store.Evidence(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"evidence": EvidenceView(ev)}, nil
}

func (s *Server) archive(archived bool) handler {
	return func(r *http.Request) (any, error) {
		id, err := findingID(r)
		if err != nil {
			return nil, err
		}
		if err := principalOf(r).need(Responder); err != nil {
			return nil, err
		}
		if _, err := s.scopedFinding(r, id); err != nil {
			return nil, err
		}
		now := time.Now
		if s.Now != nil {
			now = s.Now
		}
		n, err := s.Store.SetArchived(r.Context(), []string{id}, archived, now())
		if err != nil {
			return nil, err
		}
		s.log().Info("finding archive state set via API", "finding", id, "archived", archived, "changed", n)
		return map[string]any{"id": id, "archived": archived, "changed": n}, nil
	}
}

// scopedFinding reads a finding the caller may see; others are "not found".
func (s *Server) scopedFinding(r *http.Request, id string) (*finding.Finding, error) {
	f, err := s.Store.GetFinding(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !principalOf(r).mayAccount(f.AccountID) {
		return nil, notFound("finding " + id)
	}
	return f, nil
}

func (s *Server) listQuarantine(r *http.Request) (any, error) {
	if err := principalOf(r).need(Admin); err != nil {
		return nil, err
	}
	q := store.QuarantineQuery{Source: r.URL.Query().Get("source"), Limit: 100}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, badRequest("limit: want 1-1000, got %q", v)
		}
		q.Limit = n
	}
	recs, err := s.Store.Quarantine(r.Context(), q)
	if err != nil {
		return nil, err
	}
	total, err := s.Store.QuarantineCount(r.Context(), q.Source)
	if err != nil {
		return nil, err
	}
	return map[string]any{"records": recs, "total": total}, nil
}

func (s *Server) listCheckpoints(r *http.Request) (any, error) {
	if err := principalOf(r).need(Admin); err != nil {
		return nil, err
	}
	cps, err := s.Store.Checkpoints(r.Context(), r.PathValue("source"))
	if err != nil {
		return nil, err
	}
	list := make([]store.Checkpoint, 0, len(cps))
	for _, c := range cps {
		list = append(list, c)
	}
	slices.SortFunc(list, func(a, b store.Checkpoint) int { return strings.Compare(a.Key, b.Key) })
	return map[string]any{"checkpoints": list}, nil
}

// notification is an outbox row as the API shows it (no payload: it holds
// the whole finding, which /findings/{id} serves).
type notification struct {
	ID        int64     `json:"id"`
	FindingID string    `json:"findingId"`
	Target    string    `json:"target"`
	State     string    `json:"state"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"lastError,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	NotBefore time.Time `json:"notBefore"`
	SentAt    time.Time `json:"sentAt,omitzero"`
}

func (s *Server) listNotifications(r *http.Request) (any, error) {
	if err := principalOf(r).need(Admin); err != nil {
		return nil, err
	}
	state := r.URL.Query().Get("state")
	if state != "" && state != store.OutboxPending && state != store.OutboxSent && state != store.OutboxDead {
		return nil, badRequest("state: want pending, sent or dead, got %q", state)
	}
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, badRequest("limit: want 1-1000, got %q", v)
		}
		limit = n
	}
	rows, err := s.Store.Outbox(r.Context(), state, limit)
	if err != nil {
		return nil, err
	}
	counts, err := s.Store.OutboxCounts(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]notification, 0, len(rows))
	for _, o := range rows {
		out = append(out, notification{ID: o.ID, FindingID: o.FindingID, Target: o.Target, State: o.State, Attempts: o.Attempts,
			LastError: o.LastError, CreatedAt: o.CreatedAt, NotBefore: o.NotBefore, SentAt: o.SentAt})
	}
	return map[string]any{"notifications": out, "counts": counts}, nil
}

func (s *Server) listSuppressions(r *http.Request) (any, error) {
	if err := principalOf(r).need(Admin); err != nil {
		return nil, err
	}
	rules, err := s.Store.SuppressionRules(r.Context())
	if err != nil {
		return nil, err
	}
	audit, err := s.Store.SuppressionAudit(r.Context(), 100)
	if err != nil {
		return nil, err
	}
	type rule struct {
		store.SuppressionRule
		Criteria json.RawMessage `json:"criteria"`
	}
	out := make([]rule, 0, len(rules))
	for _, x := range rules {
		out = append(out, rule{x, json.RawMessage(x.Criteria)})
	}
	return map[string]any{"rules": out, "audit": audit}, nil
}

func (s *Server) listAlerts(r *http.Request) (any, error) {
	q := store.AlertQuery{Limit: 100}
	v := r.URL.Query()
	switch st := v.Get("state"); st {
	case "", "open":
		q.States = []alert.State{alert.New, alert.Notified, alert.Acknowledged}
	case "all":
	default:
		for _, x := range strings.Split(st, ",") {
			q.States = append(q.States, alert.State(x))
		}
	}
	if a := v.Get("account"); a != "" {
		q.Accounts = []string{a}
	}
	var ok bool
	if q.Accounts, ok = principalOf(r).scopeAccounts(q.Accounts); !ok {
		return map[string]any{"alerts": []alert.Alert{}}, nil
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			return nil, badRequest("limit: want 1-1000, got %q", l)
		}
		q.Limit = n
	}
	as, err := s.Store.ListAlerts(r.Context(), q)
	if err != nil {
		return nil, err
	}
	if as == nil {
		as = []alert.Alert{}
	}
	return map[string]any{"alerts": as}, nil
}

func (s *Server) getAlert(r *http.Request) (any, error) {
	a, err := s.scopedAlert(r, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	hist, err := s.Store.AlertHistory(r.Context(), a.ID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"alert": a, "history": hist, "pastSla": a.PastSLA(s.sla(), s.now())}, nil
}

// actOnAlert applies acknowledge, resolve, escalate, archive (with
// ?reason=&note=) or unarchive, as the API caller.
func (s *Server) actOnAlert(r *http.Request) (any, error) {
	kinds := map[string]alert.Kind{"acknowledge": alert.Acknowledge, "resolve": alert.Resolve, "escalate": alert.Escalate, "archive": alert.Archive, "unarchive": alert.Unarchive}
	if err := principalOf(r).need(Responder); err != nil {
		return nil, err
	}
	if _, err := s.scopedAlert(r, r.PathValue("id")); err != nil {
		return nil, err
	}
	kind, ok := kinds[r.PathValue("action")]
	if !ok {
		return nil, badRequest("unknown action %q (acknowledge, resolve, escalate, archive, unarchive)", r.PathValue("action"))
	}
	act := alert.Action{Kind: kind, Actor: "api:" + principalOf(r).Name, Note: r.URL.Query().Get("note"), At: s.now()}
	if kind == alert.Archive {
		reason, err := alert.ParseReason(r.URL.Query().Get("reason"))
		if err != nil {
			return nil, badRequest("%v", err)
		}
		act.Reason = reason
	}
	a, tr, err := s.Store.ApplyAlert(r.Context(), r.PathValue("id"), nil, act)
	if errors.Is(err, alert.ErrIllegal) {
		return nil, &httpError{status: http.StatusConflict, msg: err.Error()}
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"alert": a, "transition": tr}, nil
}

func (s *Server) alertStats(r *http.Request) (any, error) {
	by := r.URL.Query().Get("by")
	if by == "" {
		by = "severity"
	}
	since := 30 * 24 * time.Hour
	if v := r.URL.Query().Get("since"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, badRequest("since: a duration such as 720h, got %q", v)
		}
		since = d
	}
	now := s.now()
	accounts, ok := principalOf(r).scopeAccounts(nil)
	if !ok {
		accounts = []string{"-"} // nothing
	}
	as, err := s.Store.ListAlerts(r.Context(), store.AlertQuery{Since: now.Add(-since), Accounts: accounts, Limit: 100000})
	if err != nil {
		return nil, err
	}
	rows, err := alert.Stats(as, by, s.sla(), now)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	return map[string]any{"by": by, "since": now.Add(-since), "rows": rows}, nil
}

// scopedAlert reads an alert the caller may see; others are "not found".
func (s *Server) scopedAlert(r *http.Request, id string) (alert.Alert, error) {
	a, err := s.Store.GetAlert(r.Context(), id)
	if err != nil {
		return a, err
	}
	if !principalOf(r).mayAccount(a.Account) {
		return alert.Alert{}, notFound("alert " + id)
	}
	return a, nil
}

func (s *Server) sla() alert.SLA {
	if s.SLA != nil {
		return s.SLA
	}
	return alert.DefaultSLA
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// getRunbook returns the runbook for a finding type (exact, longest
// prefix, or the generic one), as Markdown and as safe HTML.
func (s *Server) getRunbook(r *http.Request) (any, error) {
	set := s.Runbooks
	if set == nil {
		set = runbook.Defaults()
	}
	typ := r.PathValue("type")
	rb, ok := set.Find(typ)
	if !ok {
		return nil, &httpError{status: http.StatusNotFound, msg: "no runbook for " + typ}
	}
	return map[string]any{"type": typ, "runbookType": rb.Type, "title": rb.Title, "markdown": string(rb.Markdown), "html": string(runbook.RenderHTML(rb.Markdown))}, nil
}

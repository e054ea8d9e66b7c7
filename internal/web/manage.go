package web

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/route/suppress"
	"github.com/picket-dev/picket/internal/store"
)

// AccountInfo is one account of the routing table, for the accounts page.
type AccountInfo struct {
	AccountID string
	Channel   string   // the Slack channel its findings go to
	Enabled   bool     // Slack notifications on
	Webhooks  int      // webhook overrides
	Default   bool     // routed by the default route (not in the accounts file)
	Owners    []string // console users and tokens scoped to it (filled by the server)
}

// SourceHealth is one source's ingestion, for the dashboard.
type SourceHealth struct {
	Source        string
	Events        float64 // events decoded since start
	PerSecond     float64 // over the last minute
	Quarantined   float64
	LastEventTime time.Time
}

// ---- suppression rules (installation-wide: admin only) ----

type suppressionsData struct {
	Rules   []suppressionRow
	Audit   []store.AuditEntry
	Preview *previewResult
	Form    map[string]string
}

type suppressionRow struct {
	store.SuppressionRule
	CriteriaText string
	Expired      bool
}

type previewResult struct {
	Muted, Of int
	Sample    []string
}

func (s *Server) suppressionsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	if err := principalOf(r).need(Admin); err != nil {
		return err
	}
	d, err := s.suppressionsData(r.Context())
	if err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = "Suppression rules", "suppressions", d
	s.render(w, http.StatusOK, "suppressions", v)
	return nil
}

func (s *Server) suppressionsData(ctx context.Context) (*suppressionsData, error) {
	rules, err := s.Store.SuppressionRules(ctx)
	if err != nil {
		return nil, err
	}
	audit, err := s.Store.SuppressionAudit(ctx, 50)
	if err != nil {
		return nil, err
	}
	d := &suppressionsData{Audit: audit, Form: map[string]string{}}
	now := s.now()
	for _, x := range rules {
		d.Rules = append(d.Rules, suppressionRow{SuppressionRule: x, CriteriaText: string(x.Criteria),
			Expired: !x.Expires.IsZero() && !x.Expires.After(now)})
	}
	return d, nil
}

// previewWindow is how many recent findings a preview is counted over.
const previewWindow = 20_000

// preview counts the recent stored findings c would have muted.
func (s *Server) preview(ctx context.Context, c suppress.Criteria) (*previewResult, error) {
	var all []finding.Finding
	for off := 0; off < previewWindow; off += 1000 {
		page, _, err := s.Store.ListFindings(ctx, store.FindingQuery{Limit: 1000, Offset: off})
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < 1000 {
			break
		}
	}
	n, sample := suppress.Preview(c, all)
	return &previewResult{Muted: n, Of: len(all), Sample: sample}, nil
}

// newRule builds a suppression rule from a form or an API request.
func (s *Server) newRule(name, owner, reason, criteria, expires, actor string) (suppress.Rule, error) {
	var c suppress.Criteria
	var err error
	criteria = strings.TrimSpace(criteria)
	if strings.HasPrefix(criteria, "{") {
		c, err = suppress.ParseCriteria([]byte(criteria))
	} else {
		c, err = suppress.ParseTerms(strings.Fields(criteria))
	}
	if err != nil {
		return suppress.Rule{}, badRequest("criteria: %v", err)
	}
	now := s.now()
	rule := suppress.Rule{ID: suppress.NewID(), Name: strings.TrimSpace(name), Owner: strings.TrimSpace(owner),
		Reason: strings.TrimSpace(reason), Criteria: c, CreatedAt: now, CreatedBy: actor}
	if expires = strings.TrimSpace(expires); expires != "" {
		d, err := time.ParseDuration(expires)
		if err != nil || d <= 0 {
			return rule, badRequest("expires: a duration such as 720h, got %q", expires)
		}
		rule.Expires = now.Add(d)
	}
	return rule, nil
}

func (s *Server) storeRule(ctx context.Context, rule suppress.Rule, actor string) error {
	if err := rule.Validate(s.now()); err != nil {
		return badRequest("%v", err)
	}
	crit, err := json.Marshal(rule.Criteria)
	if err != nil {
		return err
	}
	detail, _ := json.Marshal(rule)
	rec := store.SuppressionRule{ID: rule.ID, Name: rule.Name, Owner: rule.Owner, Reason: rule.Reason, Criteria: crit,
		Expires: rule.Expires, CreatedAt: rule.CreatedAt, CreatedBy: rule.CreatedBy}
	return s.Store.PutSuppressionRule(ctx, rec, store.AuditEntry{Action: "add", Actor: actor, At: s.now(), Detail: string(detail)})
}

// suppressionCreate previews a rule (button "preview") or stores it.
func (s *Server) suppressionCreate(w http.ResponseWriter, r *http.Request, v *view) error {
	p := principalOf(r)
	if err := p.need(Admin); err != nil {
		return err
	}
	d, err := s.suppressionsData(r.Context())
	if err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = "Suppression rules", "suppressions", d
	for _, k := range []string{"name", "owner", "reason", "criteria", "expires"} {
		d.Form[k] = r.PostFormValue(k)
	}
	actor := "console:" + p.Name
	rule, err := s.newRule(d.Form["name"], d.Form["owner"], d.Form["reason"], d.Form["criteria"], d.Form["expires"], actor)
	if err == nil {
		d.Preview, err = s.preview(r.Context(), rule.Criteria)
	}
	if err == nil && r.PostFormValue("op") != "preview" {
		if err = s.storeRule(r.Context(), rule, actor); err == nil {
			http.Redirect(w, r, "/suppressions", http.StatusSeeOther)
			return nil
		}
	}
	status := http.StatusOK
	if err != nil {
		v.Error, status = err.Error(), http.StatusBadRequest
	}
	s.render(w, status, "suppressions", v)
	return nil
}

// suppressionExpire ends a rule now; it stays listed (and audited).
func (s *Server) suppressionExpire(w http.ResponseWriter, r *http.Request, v *view) error {
	p := principalOf(r)
	if err := p.need(Admin); err != nil {
		return err
	}
	id := r.PathValue("id")
	rules, err := s.Store.SuppressionRules(r.Context())
	if err != nil {
		return err
	}
	i := slices.IndexFunc(rules, func(x store.SuppressionRule) bool { return x.ID == id })
	if i < 0 {
		return notFound("suppression rule " + id)
	}
	rule := rules[i]
	rule.Expires = s.now()
	if err := s.Store.PutSuppressionRule(r.Context(), rule, store.AuditEntry{Action: "expire", Actor: "console:" + p.Name, At: s.now(),
		Detail: fmt.Sprintf("expired %s", rule.Name)}); err != nil {
		return err
	}
	http.Redirect(w, r, "/suppressions", http.StatusSeeOther)
	return nil
}

// apiAddSuppression is POST /api/v1/suppressions with a JSON body
// {name, owner, reason, criteria (FindingCriteria JSON or terms), expires,
// preview}.
func (s *Server) apiAddSuppression(r *http.Request) (any, error) {
	p := principalOf(r)
	if err := p.need(Admin); err != nil {
		return nil, err
	}
	var in struct {
		Name, Owner, Reason, Expires string
		Criteria                     json.RawMessage
		Preview                      bool
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 64<<10)).Decode(&in); err != nil {
		return nil, badRequest("body: %v", err)
	}
	crit := string(in.Criteria)
	var terms string
	if json.Unmarshal(in.Criteria, &terms) == nil {
		crit = terms // terms given as a JSON string
	}
	actor := "api:" + p.Name
	rule, err := s.newRule(in.Name, in.Owner, in.Reason, crit, in.Expires, actor)
	if err != nil {
		return nil, err
	}
	pv, err := s.preview(r.Context(), rule.Criteria)
	if err != nil {
		return nil, err
	}
	if !in.Preview {
		if err := s.storeRule(r.Context(), rule, actor); err != nil {
			return nil, err
		}
	}
	return map[string]any{"id": rule.ID, "stored": !in.Preview, "wouldHaveMuted": pv.Muted, "of": pv.Of, "sample": pv.Sample}, nil
}

func (s *Server) apiRemoveSuppression(r *http.Request) (any, error) {
	p := principalOf(r)
	if err := p.need(Admin); err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	if err := s.Store.DeleteSuppressionRule(r.Context(), id, store.AuditEntry{Action: "remove", Actor: "api:" + p.Name, At: s.now()}); err != nil {
		return nil, err
	}
	return map[string]any{"removed": id}, nil
}

// findingFacets is GET /api/v1/findings/facets (the list's filters).
func (s *Server) findingFacets(r *http.Request) (any, error) {
	q, err := ParseFindingQuery(func(k string) []string { return r.URL.Query()[k] })
	if err != nil {
		return nil, err
	}
	var ok bool
	if q.Accounts, ok = principalOf(r).scopeAccounts(q.Accounts); !ok {
		return store.Facets{Severity: map[string]int{"Low": 0, "Medium": 0, "High": 0, "Critical": 0}}, nil
	}
	q.Limit, q.Offset = 0, 0
	return s.Store.FindingFacets(r.Context(), q)
}

// ---- accounts ----

type accountsData struct {
	Accounts []accountRow
}

type accountRow struct {
	AccountInfo
	Findings int
	Open     int
}

func (s *Server) accountsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	p := principalOf(r)
	ctx := r.Context()
	byID := map[string]*accountRow{}
	if s.Accounts != nil {
		for _, a := range s.Accounts() {
			if p.mayAccount(a.AccountID) {
				byID[a.AccountID] = &accountRow{AccountInfo: a}
			}
		}
	}
	accounts, ok := p.scopeAccounts(nil)
	if ok {
		f, err := s.Store.FindingFacets(ctx, store.FindingQuery{Accounts: accounts, FacetTop: 1000})
		if err != nil {
			return err
		}
		for _, kc := range f.Accounts {
			row := byID[kc.Key]
			if row == nil {
				row = &accountRow{AccountInfo: AccountInfo{AccountID: kc.Key, Default: true}}
				byID[kc.Key] = row
			}
			row.Findings = kc.Count
		}
		as, err := s.Store.ListAlerts(ctx, store.AlertQuery{States: openStates, Accounts: accounts, Limit: 100_000})
		if err != nil {
			return err
		}
		for _, a := range as {
			if row := byID[a.Account]; row != nil {
				row.Open++
			}
		}
	}
	d := &accountsData{}
	for id, row := range byID {
		for _, u := range s.Users {
			if u.mayAccount(id) {
				row.Owners = append(row.Owners, u.Name)
			}
		}
		d.Accounts = append(d.Accounts, *row)
	}
	slices.SortFunc(d.Accounts, func(a, b accountRow) int {
		return cmp.Or(cmp.Compare(b.Open, a.Open), cmp.Compare(b.Findings, a.Findings), strings.Compare(a.AccountID, b.AccountID))
	})
	v.Title, v.Nav, v.Data = "Accounts", "accounts", d
	s.render(w, http.StatusOK, "accounts", v)
	return nil
}

var openStates = []alert.State{alert.New, alert.Notified, alert.Acknowledged}

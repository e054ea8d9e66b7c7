package web

import (
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/picket-dev/picket/internal/alert"
)

const (
	tokenViewA    = "view-a-token-0123456789abcdef"
	tokenRespondA = "respond-a-token-0123456789abcd"
	tokenNone     = "scoped-to-nothing-0123456789ab"
)

// scoped serves the fixture with tokens scoped to account A (viewer and
// responder) and one scoped to an account that has nothing.
func scoped(t *testing.T) *fixture {
	fx := newFixture(t, tokenAlpha)
	fx.srv.Scoped = []ScopedToken{
		{SHA256: sha256.Sum256([]byte(tokenViewA)), Principal: Principal{Name: "dev-a", Role: Viewer, Accounts: []string{acctA}}},
		{SHA256: sha256.Sum256([]byte(tokenRespondA)), Principal: Principal{Name: "oncall-a", Role: Responder, Accounts: []string{acctA}}},
		{SHA256: sha256.Sum256([]byte(tokenNone)), Principal: Principal{Name: "nobody", Role: Admin, Accounts: []string{"000000000000"}}},
	}
	fx.tokens = append(fx.tokens, tokenViewA, tokenRespondA, tokenNone)
	fx.restart(t)
	for _, x := range []struct{ id, acct, f string }{{"alertA", acctA, "f1"}, {"alertB", acctB, "f3"}} {
		a := alert.Alert{FindingID: fx.ids[x.f], Account: x.acct, Type: typeRecon, Severity: 5, Route: "account:" + x.acct}
		if _, _, err := fx.store.ApplyAlert(t.Context(), x.id, &a, alert.Action{Kind: alert.Open, Actor: "picket", At: at(0)}); err != nil {
			t.Fatal(err)
		}
	}
	return fx
}

// A caller scoped to account A never sees or acts on account B's data,
// whatever the URL or parameters; installation-wide state is admin-only;
// viewers cannot act.
func TestAccountScope(t *testing.T) {
	fx := scoped(t)
	as := func(tok, method, path string) response {
		return compact(t, fx.do(t, method, path, bearer(tok)))
	}
	// Lists: only A, even when asking for B.
	for _, path := range []string{"/api/v1/findings", "/api/v1/findings?account=" + acctB, "/api/v1/findings?account=" + acctA + "&account=" + acctB} {
		r := as(tokenViewA, "GET", path)
		var list FindingList
		if err := json.Unmarshal(r.body, &list); err != nil || r.status != 200 {
			t.Fatalf("%s: %s", path, r)
		}
		for _, f := range list.Findings {
			if f.AccountID != acctA {
				t.Errorf("%s: account A's token saw %s's finding", path, f.AccountID)
			}
		}
		if strings.Contains(path, "account="+acctA) || !strings.Contains(path, "account=") {
			if len(list.Findings) != 2 {
				t.Errorf("%s: %d findings, want A's 2", path, len(list.Findings))
			}
		}
	}
	if r := as(tokenNone, "GET", "/api/v1/findings"); !strings.Contains(string(r.body), `"findings":[]`) {
		t.Errorf("empty scope: %s", r)
	}
	// B's things do not exist for A: 404 on every route, and nothing changes.
	b := fx.ids["f3"]
	for _, rt := range []struct{ method, path string }{
		{"GET", "/api/v1/findings/" + b},
		{"GET", "/api/v1/findings/" + b + "/evidence"},
		{"POST", "/api/v1/findings/" + b + "/archive"},
		{"GET", "/api/v1/alerts/alertB"},
		{"POST", "/api/v1/alerts/alertB/acknowledge"},
	} {
		if r := as(tokenRespondA, rt.method, rt.path); r.status != http.StatusNotFound {
			t.Errorf("%s %s as A: %s, want 404", rt.method, rt.path, r)
		}
	}
	if f := getStored(t, fx, "f3"); f.Service.Archived {
		t.Error("account B's finding was archived through A's token")
	}
	if a, _ := fx.store.GetAlert(t.Context(), "alertB"); a.State != alert.New {
		t.Errorf("account B's alert changed: %s", a.State)
	}
	// A's own: visible; a viewer cannot act, a responder can.
	a := fx.ids["f1"]
	if r := as(tokenViewA, "GET", "/api/v1/findings/"+a); r.status != 200 {
		t.Errorf("own finding: %s", r)
	}
	if r := as(tokenViewA, "POST", "/api/v1/findings/"+a+"/archive"); r.status != http.StatusForbidden {
		t.Errorf("viewer archive: %s", r)
	}
	if r := as(tokenViewA, "POST", "/api/v1/alerts/alertA/acknowledge"); r.status != http.StatusForbidden {
		t.Errorf("viewer acknowledge: %s", r)
	}
	if r := as(tokenRespondA, "POST", "/api/v1/alerts/alertA/acknowledge"); r.status != 200 || !strings.Contains(string(r.body), `"actor":"api:oncall-a"`) {
		t.Errorf("responder acknowledge: %s", r)
	}
	// Alerts and stats: only A's.
	if r := as(tokenViewA, "GET", "/api/v1/alerts?state=all"); strings.Contains(string(r.body), "alertB") || !strings.Contains(string(r.body), "alertA") {
		t.Errorf("alert list: %s", r)
	}
	if r := as(tokenViewA, "GET", "/api/v1/alerts/stats?by=account&since=87600h"); strings.Contains(string(r.body), acctB) {
		t.Errorf("stats leak B: %s", r)
	}
	// Installation-wide state: admin only (a scoped admin passes the role check).
	for _, path := range []string{"/api/v1/quarantine", "/api/v1/sources/scan/checkpoints", "/api/v1/notifications", "/api/v1/suppressions"} {
		if r := as(tokenRespondA, "GET", path); r.status != http.StatusForbidden {
			t.Errorf("%s as a responder: %s", path, r)
		}
		if r := as(tokenAlpha, "GET", path); r.status != 200 {
			t.Errorf("%s as admin: %s", path, r)
		}
	}
}

// The OpenAPI document is valid JSON, served, and names every API route
// (and nothing that is not one).
func TestOpenAPICoversRoutes(t *testing.T) {
	fx := newFixture(t, tokenAlpha)
	r := fx.get(t, "/api/v1/openapi.json")
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if r.status != 200 || json.Unmarshal(r.body, &doc) != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi: %s", r)
	}
	routes := map[string]bool{}
	for _, line := range strings.Split(webSource(t), "\n") {
		if i := strings.Index(line, `api.Handle`); i >= 0 {
			m := strings.SplitN(line[i:], `"`, 3)
			if len(m) < 3 {
				continue
			}
			method, path, _ := strings.Cut(m[1], " ")
			path = strings.ReplaceAll(path, "{type...}", "{type}")
			routes[strings.ToLower(method)+" "+path] = true
		}
	}
	if len(routes) < 14 {
		t.Fatalf("found only %d routes in web.go", len(routes))
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[method+" "+path] = true
		}
	}
	for rt := range routes {
		if !documented[rt] {
			t.Errorf("route %s is not in openapi.json", rt)
		}
	}
	for d := range documented {
		if !routes[d] {
			t.Errorf("openapi.json documents %s, which is not a route", d)
		}
	}
}

func webSource(t *testing.T) string {
	b, err := os.ReadFile("web.go")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

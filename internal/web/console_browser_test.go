package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/testutil/browser"
)

// The console in a real headless Chromium: log in, filter the findings,
// open a detail page, archive with a reason, see the dashboard's charts
// and a search; screenshots are kept as test artefacts, and no page has a
// script or CSP error.
func TestConsoleInBrowser(t *testing.T) {
	fx := consoleFixture(t)
	ctx := browser.New(t)
	base := fx.ts.URL

	browser.Navigate(t, ctx, base+"/findings")
	if got := browser.Text(t, ctx, "h1"); got != "Log in to Picket" {
		t.Fatalf("not sent to the login page: %q", got)
	}
	browser.Screenshot(t, ctx, "01-login")
	browser.SubmitForm(t, ctx, `form[action="/login"]`, map[string]string{"name": "dana", "password": passDana})
	if got := browser.Text(t, ctx, "#whoami"); got != "dana · responder" {
		t.Fatalf("after login: %q", got)
	}

	// Filter: account A's Login finding only.
	browser.SubmitForm(t, ctx, "#filters", map[string]string{"band": "Medium"})
	rows := browser.Run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#findings tbody tr").length`))
	if rows != 1 {
		t.Fatalf("Medium findings in A: %d rows, want 1", rows)
	}
	if got := browser.Text(t, ctx, "#findings tbody tr td:nth-child(2) a"); got != typeLogin {
		t.Fatalf("filtered row: %q", got)
	}
	if got := browser.Text(t, ctx, "#severity-counts"); !strings.Contains(got, "Medium 1") {
		t.Errorf("severity counts: %q", got)
	}
	browser.Screenshot(t, ctx, "02-findings-filtered")

	// Detail page of f1 (alert A is open on it).
	a := alert.Alert{FindingID: fx.ids["f1"], Account: acctA, Type: typeRecon, Severity: 2, Route: "account:" + acctA}
	f1, _ := fx.store.GetFinding(t.Context(), fx.ids["f1"])
	if _, _, err := fx.store.ApplyAlert(t.Context(), alertIDOf(f1), &a, alert.Action{Kind: alert.Open, Actor: "picket", At: at(0)}); err != nil {
		t.Fatal(err)
	}
	browser.Navigate(t, ctx, base+"/findings/"+fx.ids["f1"])
	if got := browser.Text(t, ctx, "#alert-state"); got != "new" {
		t.Fatalf("alert state: %q", got)
	}
	browser.Screenshot(t, ctx, "03-finding-detail")
	browser.SubmitForm(t, ctx, "#archive-form", map[string]string{"reason": string(alert.FalsePositive), "note": "scanner from the pentest"})
	if got := browser.Text(t, ctx, "#alert-state"); got != "archived" {
		t.Fatalf("after archiving: %q", got)
	}
	if got := browser.Text(t, ctx, "#history"); !strings.Contains(got, "console:dana") || !strings.Contains(got, "scanner from the pentest") {
		t.Errorf("history: %q", got)
	}
	if f, _ := fx.store.GetFinding(t.Context(), fx.ids["f1"]); !f.Service.Archived {
		t.Error("finding not archived in the store")
	}
	browser.Screenshot(t, ctx, "04-archived")

	// The evil finding's markup is shown as text, and nothing ran.
	browser.Navigate(t, ctx, base+"/findings/"+fx.ids["evil"])
	if got := browser.Text(t, ctx, "p.lead"); !strings.Contains(got, "<script>alert(1)</script>") {
		t.Errorf("hostile title not shown as text: %q", got)
	}
	imgs := browser.Run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("main img, main script").length`))
	if imgs != 0 {
		t.Errorf("%d injected elements in the page", imgs)
	}

	// Dashboard renders its charts.
	browser.Navigate(t, ctx, base+"/dashboard")
	svgs := browser.Run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("div.chart svg").length`))
	if svgs != 4 {
		t.Errorf("dashboard charts: %d, want 4", svgs)
	}
	browser.Screenshot(t, ctx, "05-dashboard")

	// Search: A's stored event, with its raw JSON on expand.
	browser.Navigate(t, ctx, base+"/search?q=action%3DDelete*&since=2024-05-01T00:00:00Z&until=2024-05-02T00:00:00Z")
	if got := browser.Text(t, ctx, "#events tbody tr td:nth-child(2)"); got != acctA {
		t.Errorf("search result account: %q", got)
	}
	n := browser.Run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#events tbody tr:not(.raw)").length`))
	if n != 1 {
		t.Errorf("search rows: %d, want 1 (B's event is out of scope)", n)
	}
	browser.Screenshot(t, ctx, "06-search")
	browser.AssertNoConsoleErrors(t, ctx)
}

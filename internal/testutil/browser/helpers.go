package browser

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/picket-dev/picket/internal/testutil"
)

// Do runs chromedp actions that return nothing, in order, and fails the
// test at the first error.
func Do(t testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// Run runs one chromedp action and returns its value; it fails the test on
// an error.
func Run[T any](t testing.TB, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

// Navigate loads url, waits for its load event and returns the response of
// the document (after redirects). It fails the test when the page does not
// load; an HTTP error status is not a failure here (check resp.Status).
func Navigate(t testing.TB, ctx context.Context, url string) *network.Response {
	t.Helper()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		t.Fatalf("browser: navigate %s: %v", url, err)
	}
	return resp
}

// Text waits until the first element matching the CSS selector is visible
// and returns its text (innerText).
func Text(t testing.TB, ctx context.Context, css string) string {
	t.Helper()
	sel := chromedp.CSS(css)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(sel)); err != nil {
		t.Fatalf("browser: wait for %s to be visible: %v", css, err)
	}
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("browser: text of %s: %v", css, err)
	}
	return s
}

// SubmitForm sets the fields of the form that the CSS selector form finds
// (field name -> value; hidden fields such as a CSRF token keep their
// value), submits it as a click on its submit button would
// (form.requestSubmit(): validation and submit handlers run), waits for the
// page that the submission loads, after redirects, and returns that page's
// response.
//
// The values are set as the value property, with no key events; type with
// chromedp.SendKeys for pages that react to keystrokes.
func SubmitForm(t testing.TB, ctx context.Context, form string, fields map[string]string) *network.Response {
	t.Helper()
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		sel := form + ` [name="` + cssString(name) + `"]`
		if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(sel), fields[name])); err != nil {
			t.Fatalf("browser: set %s: %v", sel, err)
		}
	}
	q, _ := json.Marshal(form)
	js := `(() => { const f = document.querySelector(` + string(q) + `);
		if (!(f instanceof HTMLFormElement)) throw new Error("no form matches " + ` + string(q) + `);
		f.requestSubmit(); })()`
	resp, err := chromedp.RunResponse(ctx, chromedp.Evaluate[chromedp.Void](js))
	if err != nil {
		t.Fatalf("browser: submit %s: %v", form, err)
	}
	return resp
}

// cssString escapes s for a double-quoted CSS string.
func cssString(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\a `).Replace(s)
}

// Screenshot saves a full-page PNG of the tab as <ArtifactDir>/<name>.png
// and returns its path. It fails the test when the capture fails.
func Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 = PNG
	if err != nil {
		t.Fatalf("browser: screenshot %s: %v", name, err)
	}
	if !strings.HasSuffix(name, ".png") {
		name += ".png"
	}
	p, err := writeArtifact(t, name, png)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	t.Logf("browser: screenshot %s", p)
	return p
}

// ArtifactDir returns (and creates) the directory for the test's
// artefacts: $PICKET_TEST_ARTIFACTS/<TestName> when the variable is set,
// else <repo>/test-artifacts/<TestName>. A subtest gets a nested directory.
// Files there are overwritten by the next run, never removed.
func ArtifactDir(t testing.TB) string {
	t.Helper()
	root := os.Getenv("PICKET_TEST_ARTIFACTS")
	if root == "" {
		root = filepath.Join(testutil.ModuleDir(t), "test-artifacts")
	}
	dir := filepath.Join(root, safePath(t.Name()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("browser: %v", err)
	}
	return dir
}

func writeArtifact(t testing.TB, name string, data []byte) (string, error) {
	p := filepath.Join(ArtifactDir(t), safeName(name))
	return p, os.WriteFile(p, data, 0o644)
}

// safePath turns a test name ("TestA/sub_case") into a relative path with
// one safe component per level.
func safePath(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = safeName(p)
	}
	return filepath.Join(parts...)
}

// safeName keeps letters, digits, '.', '-' and '_', and replaces the rest
// with '_'; it never returns "", "." or "..".
func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	s = string(b)
	if strings.Trim(s, ".") == "" {
		s = strings.ReplaceAll(s, ".", "_") + "_"
	}
	return s
}

package browser_test

import (
	"fmt"
	"html"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/picket-dev/picket/internal/testutil/browser"
)

// csp is the policy of the web console: no script at all, styles only from
// the server itself.
const csp = "default-src 'none'; style-src 'self'"

const csrfToken = "tok-7f3a9c"

// site is a tiny stand-in for the web console.
func site(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	page := func(w http.ResponseWriter, title, body string) {
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><title>%s</title>
<link rel="stylesheet" href="/style.css"></head><body>%s</body></html>`, title, body)
	}
	mux.HandleFunc("GET /style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		fmt.Fprint(w, "body { font-family: sans-serif; margin: 24px; } h1 { color: #123456; }")
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		page(w, "Form", `<h1>Sign in</h1>
<form id="login" method="post" action="/submit">
  <input type="hidden" name="csrf" value="`+csrfToken+`">
  <label>Name <input name="name" required></label>
  <label>Team <select name="team"><option>red</option><option>blue</option></select></label>
  <button type="submit">Go</button>
</form>`)
	})
	mux.HandleFunc("POST /submit", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("csrf") != csrfToken {
			http.Error(w, "bad csrf token", http.StatusForbidden)
			return
		}
		q := url.Values{"name": {r.PostFormValue("name")}, "team": {r.PostFormValue("team")}}
		http.Redirect(w, r, "/result?"+q.Encode(), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /result", func(w http.ResponseWriter, r *http.Request) {
		page(w, "Result", `<h1 id="result">Hello, `+html.EscapeString(r.FormValue("name"))+
			` of team `+html.EscapeString(r.FormValue("team"))+`</h1>`)
	})
	mux.HandleFunc("GET /chart", func(w http.ResponseWriter, r *http.Request) {
		page(w, "Chart", `<h1>Alerts per hour</h1>
<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="600" height="300" viewBox="0 0 600 300">
  <rect x="0" y="0" width="600" height="300" fill="#f4f4f4"/>
  <rect x="40" y="120" width="80" height="180" fill="#c81e1e"/>
  <rect x="160" y="60" width="80" height="240" fill="#c81e1e"/>
  <rect x="280" y="200" width="80" height="100" fill="#c81e1e"/>
  <circle cx="500" cy="100" r="60" fill="#1e50c8"/>
  <text x="400" y="280" font-size="20" fill="#000">inline SVG</text>
</svg>`)
	})
	mux.HandleFunc("GET /tall", func(w http.ResponseWriter, r *http.Request) {
		page(w, "Tall", `<svg width="200" height="2400"><rect width="200" height="2400" fill="#1e50c8"/></svg><p id="end">end</p>`)
	})
	mux.HandleFunc("GET /csp", func(w http.ResponseWriter, r *http.Request) {
		page(w, "CSP", `<p id="status">script blocked</p>
<script>document.getElementById("status").textContent = "script ran";</script>`)
	})
	// No CSP here: a page that reports problems of each kind.
	mux.HandleFunc("GET /noisy", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><html><head></head><body><p id="p">noisy</p>
<img src="/missing.png" alt="">
<script>console.error("boom", 42); console.log("fine");</script>
<script>setTimeout(() => { throw new Error("kaput"); }, 0);</script></body></html>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestFormFlow(t *testing.T) {
	t.Parallel()
	srv := site(t)
	ctx := browser.New(t)

	resp := browser.Navigate(t, ctx, srv.URL+"/")
	if resp.Status != http.StatusOK {
		t.Fatalf("GET / = %d", resp.Status)
	}
	if got := browser.Text(t, ctx, "h1"); got != "Sign in" {
		t.Errorf("heading = %q, want %q", got, "Sign in")
	}
	resp = browser.SubmitForm(t, ctx, "form#login", map[string]string{"name": "Ada <Lovelace>", "team": "blue"})
	if resp.Status != http.StatusOK || !strings.Contains(resp.URL, "/result?") {
		t.Errorf("after submit: %d %s, want 200 on /result", resp.Status, resp.URL)
	}
	if got, want := browser.Text(t, ctx, "#result"), "Hello, Ada <Lovelace> of team blue"; got != want {
		t.Errorf("result = %q, want %q", got, want)
	}
	if loc := browser.Run(t, ctx, chromedp.Location()); !strings.HasPrefix(loc, srv.URL+"/result?") {
		t.Errorf("location = %q", loc)
	}
	browser.Screenshot(t, ctx, "result")
	browser.AssertNoConsoleErrors(t, ctx)
}

func TestScreenshotOfInlineSVG(t *testing.T) {
	t.Parallel()
	srv := site(t)
	ctx := browser.New(t)

	browser.Navigate(t, ctx, srv.URL+"/chart")
	browser.Do(t, ctx, chromedp.WaitVisible(chromedp.CSS("svg#chart")))
	p := browser.Screenshot(t, ctx, "chart")

	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", p, err)
	}
	b := img.Bounds()
	// The page is shorter than the viewport, so the full page is the
	// viewport.
	if b.Dx() != 1280 || b.Dy() != 900 {
		t.Errorf("screenshot is %dx%d, want 1280x900", b.Dx(), b.Dy())
	}
	var nonWhite, red, blue int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			if r < 0xf0 || g < 0xf0 || bl < 0xf0 {
				nonWhite++
			}
			if near(r, 0xc8) && near(g, 0x1e) && near(bl, 0x1e) {
				red++
			}
			if near(r, 0x1e) && near(g, 0x50) && near(bl, 0xc8) {
				blue++
			}
		}
	}
	// The bars are 80*(180+240+100) = 41600 px, the circle about 11300 px.
	t.Logf("non-white %d, red %d, blue %d pixels", nonWhite, red, blue)
	if nonWhite < 1000 {
		t.Errorf("screenshot looks blank: %d non-white pixels", nonWhite)
	}
	if red < 30000 || blue < 8000 {
		t.Errorf("the SVG's shapes are missing: %d red pixels (want ~41600), %d blue (want ~11300)", red, blue)
	}

	// A page taller than the viewport is captured whole.
	browser.Navigate(t, ctx, srv.URL+"/tall")
	f2, err := os.Open(browser.Screenshot(t, ctx, "tall"))
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	cfg, err := png.DecodeConfig(f2)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 1280 || cfg.Height < 2400 {
		t.Errorf("full-page screenshot of a 2400px page is %dx%d", cfg.Width, cfg.Height)
	}
	browser.AssertNoConsoleErrors(t, ctx)
}

func near(v, want uint32) bool { return v+8 >= want && v <= want+8 }

func TestCSPBlocksInlineScript(t *testing.T) {
	t.Parallel()
	srv := site(t)
	ctx := browser.New(t)

	browser.Navigate(t, ctx, srv.URL+"/csp")
	if got := browser.Text(t, ctx, "#status"); got != "script blocked" {
		t.Errorf("status = %q: the inline script ran despite the CSP", got)
	}
	var violation bool
	for _, e := range browser.ConsoleErrors(ctx) {
		t.Logf("reported: %s", e)
		if strings.Contains(e.Text, "Content Security Policy") {
			violation = true
		}
	}
	if !violation {
		t.Errorf("no CSP violation reported; got %v", browser.ConsoleErrors(ctx))
	}
	browser.ClearConsoleErrors(ctx)
	browser.AssertNoConsoleErrors(t, ctx)
}

func TestConsoleErrorsSeesProblems(t *testing.T) {
	t.Parallel()
	srv := site(t)
	ctx := browser.New(t)

	browser.Navigate(t, ctx, srv.URL+"/noisy")
	// The exception comes from a timer: wait for it.
	browser.Run(t, ctx, chromedp.Poll[bool](`new Promise(r => setTimeout(() => r(true), 50))`))
	want := map[string]string{
		"console":   "boom 42",
		"exception": "kaput",
		"network":   "/missing.png",
	}
	got := browser.ConsoleErrors(ctx)
	for _, e := range got {
		t.Logf("reported: %s", e)
	}
	for source, s := range want {
		found := false
		for _, e := range got {
			if e.Source == source && strings.Contains(e.String(), s) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s error with %q in %v", source, s, got)
		}
	}
	for _, e := range got {
		if strings.Contains(e.Text, "fine") {
			t.Errorf("console.log reported as an error: %s", e)
		}
		if strings.Contains(e.URL, "/favicon.ico") {
			t.Errorf("Chromium's own favicon request reported: %s", e)
		}
	}
}

func TestArtifactDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PICKET_TEST_ARTIFACTS", dir)
	t.Run("sub/../case", func(t *testing.T) {
		got := browser.ArtifactDir(t)
		if !strings.HasPrefix(got, dir+string(filepath.Separator)) || strings.Contains(got[len(dir):], "..") {
			t.Errorf("ArtifactDir = %q, want a directory under %q", got, dir)
		}
		if fi, err := os.Stat(got); err != nil || !fi.IsDir() {
			t.Errorf("ArtifactDir %q not created: %v", got, err)
		}
	})
}

// fakeTB records a Skip or a Fatal and ends the goroutine, as testing does.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper()                           {}
func (f *fakeTB) Skip(args ...any)                  { f.skipped = fmt.Sprint(args...); runtime.Goexit() }
func (f *fakeTB) Fatal(args ...any)                 { f.failed = fmt.Sprint(args...); runtime.Goexit() }
func (f *fakeTB) Fatalf(format string, args ...any) { f.Fatal(fmt.Sprintf(format, args...)) }

func TestMissingChromium(t *testing.T) {
	t.Setenv("PICKET_CHROMIUM", "/nonexistent/chromium")
	for _, ci := range []string{"", "true"} {
		t.Run("CI="+ci, func(t *testing.T) {
			t.Setenv("CI", ci)
			f := &fakeTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				browser.New(f)
				t.Error("New returned without a browser")
			}()
			<-done
			msg := f.skipped
			if ci == "true" {
				msg = f.failed
				if f.skipped != "" {
					t.Errorf("skipped under CI=true: %s", f.skipped)
				}
			} else if f.failed != "" {
				t.Errorf("failed without CI: %s", f.failed)
			}
			if !strings.Contains(msg, "PICKET_CHROMIUM=/nonexistent/chromium") {
				t.Errorf("message %q does not name the missing browser", msg)
			}
		})
	}
}

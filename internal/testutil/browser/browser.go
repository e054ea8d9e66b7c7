// Package browser starts a headless Chromium for the web console's browser
// tests and gives them small helpers on top of chromedp. Import it from
// _test.go files only.
//
//	func TestLogin(t *testing.T) {
//		srv := httptest.NewServer(consoleHandler)
//		defer srv.Close()
//		ctx := browser.New(t)
//		browser.Navigate(t, ctx, srv.URL+"/login")
//		browser.SubmitForm(t, ctx, "form#login", map[string]string{"user": "ada", "password": "pw"})
//		if got := browser.Text(t, ctx, "h1"); got != "Alerts" {
//			t.Fatalf("heading = %q", got)
//		}
//		browser.Screenshot(t, ctx, "after-login")
//		browser.AssertNoConsoleErrors(t, ctx)
//	}
//
// New finds Chromium ($PICKET_CHROMIUM, /usr/bin/chromium, then chromium,
// chromium-browser, google-chrome and google-chrome-stable on $PATH; for
// Debian's /usr/bin/chromium, a shell wrapper that turns on extension
// updates and Google sign-in, it runs /usr/lib/chromium/chromium). When
// there is none the test is skipped, except under CI=true, where it fails,
// so CI never passes by skipping. scripts/test-deps.sh installs Debian's
// chromium package.
//
// Each New starts its own browser with a fresh profile in t.TempDir(), with
// the flags that keep Chromium off the network (no background networking,
// component updates, sync, QUIC, ...; and no host name resolves but
// localhost, so the requests that Chromium still tries, such as Google
// account and update checks, fail at once without leaving the machine),
// and stops it in t.Cleanup. When the
// test has failed, the cleanup first saves a screenshot "failure.png", and
// logs the console errors and the tail of Chromium's own output.
//
// Screenshots go to $PICKET_TEST_ARTIFACTS/<TestName>/ when that variable is
// set, else to <repo>/test-artifacts/<TestName>/ (git-ignored with the line
// "/test-artifacts/").
package browser

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// DefaultTimeout bounds the actions of one test (not Chromium's start nor
// the cleanup). Override it per test with Timeout.
const DefaultTimeout = 60 * time.Second

// startTimeout bounds Chromium's start: the launch and the first tab.
const startTimeout = 60 * time.Second

// Option changes how New starts the browser.
type Option func(*config)

type config struct {
	timeout time.Duration
	width   int
	height  int
	flags   map[string]any
}

// Timeout sets the time that the test's actions may take together, from the
// moment that the browser runs. The default is DefaultTimeout. A deadline
// from go test -timeout that comes sooner wins.
func Timeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WindowSize sets the size of the window and of the page's viewport,
// 1280x900 by default.
func WindowSize(width, height int) Option {
	return func(c *config) { c.width, c.height = width, height }
}

// Flag adds or overrides a command-line flag of Chromium, as
// chromedp.Flag does: a true value gives --name, false drops the flag, and
// another value gives --name=value.
func Flag(name string, value any) Option {
	return func(c *config) { c.flags[name] = value }
}

// chromiumCandidates are tried in order after $PICKET_CHROMIUM.
var chromiumCandidates = []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// debianChromium is the binary that Debian's /usr/bin/chromium wrapper runs.
const debianChromium = "/usr/lib/chromium/chromium"

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// FindChromium returns the path of the browser that New would start, or ""
// and a message that says what it looked for.
func FindChromium() (string, string) {
	if p := os.Getenv("PICKET_CHROMIUM"); p != "" {
		if full, err := exec.LookPath(p); err == nil {
			return full, ""
		}
		return "", "PICKET_CHROMIUM=" + p + " is not an executable"
	}
	for _, c := range chromiumCandidates {
		if full, err := exec.LookPath(c); err == nil {
			if full == "/usr/bin/chromium" && isExecutable(debianChromium) {
				// Debian's /usr/bin/chromium is a shell wrapper that adds
				// --enable-remote-extensions, Google API keys and other
				// flags from /etc/chromium.d: with them Chromium checks
				// for extension updates and signed-in accounts over the
				// network. Start the binary itself.
				return debianChromium, ""
			}
			return full, ""
		}
	}
	return "", "Chromium not found (looked for " + strings.Join(chromiumCandidates, ", ") +
		"; run scripts/test-deps.sh, apt-get install chromium, or set PICKET_CHROMIUM)"
}

// New starts a headless Chromium for the test and returns the context that
// the chromedp actions and the helpers of this package take. It skips the
// test when Chromium is missing (fails it under CI=true), and fails it when
// Chromium does not start. The context ends after the timeout (see Timeout)
// or when the test ends; the browser stops in t.Cleanup.
//
// The returned context records the console errors, the uncaught exceptions,
// the browser's error log (a CSP violation, for example) and the failed
// network requests of the tab: see ConsoleErrors.
//
// One context is one tab. Do not use it from several goroutines at once;
// make a new tab with chromedp.NewContext(ctx) for that.
func New(t testing.TB, opts ...Option) context.Context {
	t.Helper()
	cfg := config{timeout: DefaultTimeout, width: 1280, height: 900, flags: map[string]any{}}
	for _, o := range opts {
		o(&cfg)
	}

	exe, why := FindChromium()
	if exe == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("browser test: " + why)
		}
		t.Skip("browser test skipped: " + why)
	}

	// Registered first, so it is removed last: after the browser stopped.
	profile := t.TempDir()
	out := &tailBuffer{max: 64 << 10}

	allocOpts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(cfg.width, cfg.height),
		chromedp.CombinedOutput(out),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// Keep Chromium off the network: the test machine has none, and
		// Chromium otherwise retries its background connections.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("dns-prefetch-disable", true),
		chromedp.Flag("safebrowsing-disable-auto-update", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,"+
			"AutofillServerCommunication,CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions,"+
			"CalculateNativeWinOcclusion,HttpsUpgrades,PrivacySandboxSettings4,NetworkTimeServiceQuerying"),
		// Whatever still tries: no name resolves but localhost, so the
		// attempt fails at once and nothing leaves the machine. A test
		// that needs a name maps it first, with Flag("host-resolver-rules",
		// "MAP console.test 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1").
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]"),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "en-US"),
	)
	for name, v := range cfg.flags {
		allocOpts = append(allocOpts, chromedp.Flag(name, v))
	}

	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), allocOpts...)
	col := &collector{reqs: map[string]string{}}
	bctx, bcancel := chromedp.NewContext(allocCtx, chromedp.WithListener(col.listen))
	bctx = context.WithValue(bctx, collectorKey{}, col)

	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		// Close gracefully, then kill whatever is left, so that the
		// profile directory can be removed.
		cctx, ccancel := context.WithTimeout(bctx, 10*time.Second)
		_ = chromedp.Cancel(cctx)
		ccancel()
		bcancel()
		allocCancel()
		reapProfile(profile)
	}
	t.Cleanup(stop)

	began := time.Now()
	started := make(chan error, 1)
	// Launches Chromium and opens the tab. The viewport is set as well:
	// headless Chromium keeps room for a window frame that it does not
	// draw, so --window-size=1280,900 alone gives a 1280x757 page.
	go func() {
		started <- chromedp.Do(bctx, chromedp.EmulateViewport(int64(cfg.width), int64(cfg.height)))
	}()
	select {
	case err := <-started:
		if err != nil {
			stop()
			t.Fatalf("browser test: starting %s: %v\nChromium output:\n%s", exe, err, out.String())
		}
	case <-time.After(startTimeout):
		stop()
		t.Fatalf("browser test: %s did not start within %v\nChromium output:\n%s", exe, startTimeout, out.String())
	}
	took := time.Since(began)
	t.Logf("browser: started %s in %v", exe, took.Round(time.Millisecond))
	if took > 5*time.Second {
		t.Logf("browser: slow start; Chromium output (tail):\n%s", out.String())
	}

	deadline := time.Now().Add(cfg.timeout)
	if d, ok := testDeadline(t); ok && d.Add(-5*time.Second).Before(deadline) {
		deadline = d.Add(-5 * time.Second)
	}
	ctx, cancel := context.WithDeadline(bctx, deadline)
	t.Cleanup(cancel)

	// Runs first (cleanups run last-in first-out), while the browser lives.
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		fctx, fcancel := context.WithTimeout(bctx, 10*time.Second)
		defer fcancel()
		if png, err := chromedp.Run(fctx, chromedp.FullScreenshot(100)); err == nil {
			if p, err := writeArtifact(t, "failure.png", png); err == nil {
				t.Logf("browser: failure screenshot %s", p)
			}
		}
		if errs := col.snapshot(); len(errs) > 0 {
			t.Logf("browser: console errors:\n%s", formatErrors(errs))
		}
		if s := out.String(); s != "" {
			t.Logf("browser: Chromium output (tail):\n%s", s)
		}
	})
	return ctx
}

// testDeadline is (*testing.T).Deadline when t has it.
func testDeadline(t testing.TB) (time.Time, bool) {
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		return d.Deadline()
	}
	return time.Time{}, false
}

// reapProfile kills the Chromium processes that still use the profile dir
// (helpers that outlive the main process), so that t.TempDir's removal
// does not fail. The dir is unique to this test, so only our processes
// match.
func reapProfile(dir string) {
	want := []byte("--user-data-dir=" + dir)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		found := 0
		entries, err := os.ReadDir("/proc")
		if err != nil {
			return
		}
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == os.Getpid() {
				continue
			}
			cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if err != nil {
				continue
			}
			for _, arg := range bytes.Split(cmdline, []byte{0}) {
				if bytes.Equal(arg, want) {
					_ = syscall.Kill(pid, syscall.SIGKILL)
					found++
					break
				}
			}
		}
		if found == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tailBuffer keeps the last max bytes written to it; Chromium's output
// goes there, for the log of a failed test.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

// String returns the tail, without the lines about D-Bus, which Chromium
// prints by the dozen on a machine without a bus and which mean nothing
// here.
func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, l := range strings.Split(string(b.buf), "\n") {
		if l != "" && !strings.Contains(l, ":ERROR:dbus/") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// errNoBrowser is returned for a context that New did not make.
var errNoBrowser = errors.New("browser: the context does not come from browser.New")

func formatErrors(errs []ConsoleError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "  %s\n", e)
	}
	return b.String()
}

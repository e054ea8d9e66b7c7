package browser

import (
	"context"
	"encoding/json"
	"fmt"
	neturl "net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
)

// ConsoleError is one problem that the page reported: a console.error or
// console.assert call, an uncaught exception, an error entry of the browser
// log (for example a Content-Security-Policy violation, Source "security"),
// or a failed network request (HTTP status >= 400, or no response).
// Chromium's own request for /favicon.ico is not reported.
type ConsoleError struct {
	// Source is "console", "exception", "network", or "log:<source>" for an
	// entry of the browser log, such as "log:security".
	Source string
	// Text is the message, as the DevTools console shows it.
	Text string
	// URL is the resource the message is about, when known.
	URL string
}

func (e ConsoleError) String() string {
	if e.URL == "" {
		return e.Source + ": " + e.Text
	}
	return e.Source + ": " + e.Text + " (" + e.URL + ")"
}

type collectorKey struct{}

// collector records the problems of one tab. Its listen method runs in the
// loop of the tab (chromedp.WithListener), so it sees an event before the
// reply to any later command: once an action returned, the problems that
// the page reported during it are recorded.
type collector struct {
	mu   sync.Mutex
	errs []ConsoleError
	reqs map[string]string // request id -> URL
}

func (c *collector) add(e ConsoleError) {
	c.errs = append(c.errs, e)
}

func (c *collector) listen(ev any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			e := ConsoleError{Source: "console", Text: argsText(ev.Args)}
			if st := ev.StackTrace; st != nil && len(st.CallFrames) > 0 {
				e.URL = st.CallFrames[0].URL
			}
			c.add(e)
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		if d == nil {
			return
		}
		text := d.Text
		if d.Exception != nil {
			desc, _, _ := strings.Cut(d.Exception.Description, "\n    at ")
			text = strings.TrimSpace(text + " " + desc)
		}
		c.add(ConsoleError{Source: "exception", Text: text, URL: d.URL})
	case *log.EventEntryAdded:
		en := ev.Entry
		// The network log repeats what the Network events below report,
		// with less detail.
		if en == nil || en.Level != log.EntryLevelError || en.Source == log.EntrySourceNetwork {
			return
		}
		c.add(ConsoleError{Source: "log:" + string(en.Source), Text: en.Text, URL: en.URL})
	case *network.EventRequestWillBeSent:
		if ev.Request != nil {
			c.reqs[string(ev.RequestID)] = ev.Request.URL
		}
	case *network.EventResponseReceived:
		if r := ev.Response; r != nil && r.Status >= 400 && !isAutoFavicon(r.URL) {
			c.add(ConsoleError{Source: "network", Text: fmt.Sprintf("HTTP %d %s", r.Status, r.StatusText), URL: r.URL})
		}
	case *network.EventLoadingFailed:
		url := c.reqs[string(ev.RequestID)]
		delete(c.reqs, string(ev.RequestID))
		if ev.Canceled && ev.BlockedReason == "" || isAutoFavicon(url) {
			return // a navigation away or a stop, not a failure
		}
		text := ev.ErrorText
		if ev.BlockedReason != "" {
			text += " (blocked: " + string(ev.BlockedReason) + ")"
		}
		c.add(ConsoleError{Source: "network", Text: text, URL: url})
	case *network.EventLoadingFinished:
		delete(c.reqs, string(ev.RequestID))
	}
}

// isAutoFavicon reports whether url is /favicon.ico at the root of a site:
// Chromium asks for it by itself after a page without <link rel="icon">
// loaded, at a moment that varies, so its 404 would make tests flaky.
func isAutoFavicon(url string) bool {
	u, err := neturl.Parse(url)
	return err == nil && u.Path == "/favicon.ico" && u.RawQuery == ""
}

func (c *collector) snapshot() []ConsoleError {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ConsoleError(nil), c.errs...)
}

// argsText renders the arguments of a console call, roughly as DevTools.
func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		if a == nil {
			continue
		}
		var s string
		switch {
		case a.Type == runtime.RemoteObjectTypeString && json.Unmarshal([]byte(a.Value), &s) == nil:
		case a.Description != "":
			s = a.Description
		case a.UnserializableValue != "":
			s = string(a.UnserializableValue)
		case len(a.Value) > 0:
			s = string(a.Value)
		default:
			s = string(a.Type)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func collectorOf(ctx context.Context) *collector {
	c, _ := ctx.Value(collectorKey{}).(*collector)
	return c
}

// ConsoleErrors returns the problems that the tab of ctx reported since New
// (or since the last ClearConsoleErrors), oldest first. It panics when ctx
// does not come from New.
func ConsoleErrors(ctx context.Context) []ConsoleError {
	c := collectorOf(ctx)
	if c == nil {
		panic(errNoBrowser)
	}
	return c.snapshot()
}

// ClearConsoleErrors forgets the problems recorded so far, for a test that
// provoked some on purpose.
func ClearConsoleErrors(ctx context.Context) {
	c := collectorOf(ctx)
	if c == nil {
		panic(errNoBrowser)
	}
	c.mu.Lock()
	c.errs = nil
	c.mu.Unlock()
}

// AssertNoConsoleErrors fails the test (without stopping it) when the tab
// reported any problem, and lists them.
func AssertNoConsoleErrors(t testing.TB, ctx context.Context) {
	t.Helper()
	if errs := ConsoleErrors(ctx); len(errs) > 0 {
		t.Errorf("browser: %d console error(s):\n%s", len(errs), formatErrors(errs))
	}
}

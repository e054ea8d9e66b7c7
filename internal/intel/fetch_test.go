package intel

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

// TestFetchRefusesHTTPSDowngrade: an https list redirected to plain http
// is not fetched (whoever is on the plain-http path could widen a trusted
// list), for trusted and threat lists alike, while https-to-https
// redirects are followed.
func TestFetchRefusesHTTPSDowngrade(t *testing.T) {
	var plainHits atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plainHits.Add(1)
		w.Write([]byte("0.0.0.0/0\n::/0\n")) // trust everything
	}))
	defer plain.Close()
	var tlsSrv *httptest.Server
	tlsSrv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/trusted.txt", "/threat.txt":
			http.Redirect(w, r, plain.URL+r.URL.Path, http.StatusFound)
		case "/hop.txt": // https → https → http
			http.Redirect(w, r, tlsSrv.URL+"/trusted.txt", http.StatusMovedPermanently)
		case "/moved.txt":
			http.Redirect(w, r, tlsSrv.URL+"/office.txt", http.StatusFound)
		case "/office.txt":
			w.Write([]byte("203.0.113.0/24\n"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer tlsSrv.Close()

	client := tlsSrv.Client() // trusts the test server's certificate
	cfg := Config{Lists: []ListConfig{
		{Name: "trusted", Kind: KindTrusted, Format: FormatTXT, URL: tlsSrv.URL + "/trusted.txt"},
		{Name: "threat", Kind: KindThreat, Format: FormatTXT, URL: tlsSrv.URL + "/threat.txt"},
		{Name: "hop", Kind: KindTrusted, Format: FormatTXT, URL: tlsSrv.URL + "/hop.txt"},
		{Name: "moved", Kind: KindTrusted, Format: FormatTXT, URL: tlsSrv.URL + "/moved.txt"},
	}}
	s, ch, err := Load(context.Background(), cfg, Options{Client: client})
	if err == nil {
		t.Fatal("downgrading redirects not reported")
	}
	if n := plainHits.Load(); n != 0 {
		t.Errorf("the plain-http server was asked %d times", n)
	}
	if len(ch.Lists) != 4 {
		t.Fatalf("changes: %+v", ch)
	}
	for _, lc := range ch.Lists[:3] {
		if lc.Err == nil || !strings.Contains(lc.Err.Error(), "refused") || !strings.Contains(lc.Err.Error(), plain.URL) {
			t.Errorf("%s: err = %v, want the redirect to %s refused", lc.List, lc.Err, plain.URL)
		}
	}
	if lc := ch.Lists[3]; lc.Err != nil || lc.Entries != 1 {
		t.Errorf("https-to-https redirect: %+v", lc)
	}
	if r := s.CheckIP(netip.MustParseAddr("198.51.100.1")); r.Verdict != VerdictNone {
		t.Errorf("an address outside every list is %v (trusted by %s)", r.Verdict, r.Trusted.List)
	}
	if r := s.CheckIP(netip.MustParseAddr("203.0.113.9")); r.Verdict != VerdictTrusted || r.Trusted.List != "moved" {
		t.Errorf("203.0.113.9: %+v", r)
	}
	if client.CheckRedirect != nil {
		t.Error("the caller's client was changed")
	}
}

// TestFetchKeepsClientRedirectPolicy: the client's own CheckRedirect still
// applies, and without one Go's limit of 10 redirects does.
func TestFetchKeepsClientRedirectPolicy(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/loop.txt":
			http.Redirect(w, r, srv.URL+"/loop.txt", http.StatusFound)
		case "/moved.txt":
			http.Redirect(w, r, srv.URL+"/list.txt", http.StatusFound)
		default:
			w.Write([]byte("192.0.2.1\n"))
		}
	}))
	defer srv.Close()

	cfg := Config{Lists: []ListConfig{{Name: "loop", Kind: KindThreat, Format: FormatTXT, URL: srv.URL + "/loop.txt"}}}
	_, ch, err := Load(context.Background(), cfg, Options{})
	if err == nil || len(ch.Lists) != 1 || !strings.Contains(ch.Lists[0].Err.Error(), "stopped after 10 redirects") {
		t.Fatalf("redirect loop: %v", err)
	}

	errNoRedirects := errors.New("no redirects here")
	var asked atomic.Int32
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		asked.Add(1)
		return errNoRedirects
	}}
	cfg = Config{Lists: []ListConfig{{Name: "moved", Kind: KindThreat, Format: FormatTXT, URL: srv.URL + "/moved.txt"}}}
	_, ch, err = Load(context.Background(), cfg, Options{Client: client})
	if err == nil || !errors.Is(ch.Lists[0].Err, errNoRedirects) || asked.Load() != 1 {
		t.Fatalf("client policy: %v, asked %d times", err, asked.Load())
	}
}

// TestURLListCategoryFromURL: a maltrail trail fetched from a URL, with no
// local copy, takes its category from the URL's file name; with a Path,
// from the Path's.
func TestURLListCategoryFromURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("qxzvbn.example\n"))
	}))
	defer srv.Close()
	cfg := Config{Lists: []ListConfig{
		{Name: "dga", Kind: KindThreat, Format: FormatMaltrail, URL: srv.URL + "/trails/static/malware/banjori_dga.txt?x=1"},
		{Name: "cached", Kind: KindThreat, Format: FormatMaltrail, URL: srv.URL + "/trails/banjori_dga.txt",
			Path: t.TempDir() + "/crypto_currencies.txt"},
	}}
	s, _, err := Load(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := s.CheckDomain("qxzvbn.example")
	if r.Threat.List != "dga" || r.Threat.Category != CategoryDGA {
		t.Errorf("URL list: %+v", r.Threat)
	}
	if got := cfg.Lists[1].fileName(); got != "crypto_currencies.txt" {
		t.Errorf("fileName with a Path = %q", got)
	}
}

// Package notifytest is the shared kit for notifier tests: golden files
// (rewritten with -update), a fake HTTP endpoint that records the exact
// requests it gets, and checks that a failure is classified right and
// leaks no secret.
package notifytest

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/notify"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// Golden compares got (JSON, compared and stored indented) with
// testdata/name, or writes it there under -update.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("golden %s: not JSON: %v\n%s", name, err, got)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run go test -update to create it)", name, err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("golden %s differs (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", name, buf.Bytes(), want)
	}
}

// Request is one request as the fake endpoint received it.
type Request struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
}

// Server is a fake endpoint recording every request; Respond answers them
// (nil: 200 with an empty body).
type Server struct {
	*httptest.Server
	Respond func(w http.ResponseWriter, r Request)

	mu   sync.Mutex
	reqs []Request
}

// NewServer starts a recording server, closed when the test ends.
func NewServer(t testing.TB, respond func(w http.ResponseWriter, r Request)) *Server {
	s := &Server{Respond: respond}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}
		s.mu.Lock()
		s.reqs = append(s.reqs, req)
		s.mu.Unlock()
		if s.Respond != nil {
			s.Respond(w, req)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Reply writes status, the extra headers (name, value pairs) and body.
func Reply(w http.ResponseWriter, status int, body string, header ...string) {
	for i := 0; i+1 < len(header); i += 2 {
		w.Header().Set(header[i], header[i+1])
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// Class is how a failure should be classified.
type Class struct {
	Retryable  bool
	RetryAfter time.Duration
	Status     int
}

// CheckError fails the test unless err is a *notify.Error of class want
// that contains none of the secrets.
func CheckError(t testing.TB, err error, want Class, secrets ...string) {
	t.Helper()
	var e *notify.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *notify.Error", err, err)
	}
	got := Class{Retryable: e.Retryable, RetryAfter: e.RetryAfter, Status: e.Status}
	if got != want {
		t.Errorf("error %q classified %+v, want %+v", err, got, want)
	}
	if r, after := notify.Retryable(err); r != want.Retryable || after != want.RetryAfter {
		t.Errorf("notify.Retryable = %v, %v; want %v, %v", r, after, want.Retryable, want.RetryAfter)
	}
	NoSecret(t, err, secrets...)
}

// NoSecret fails the test if err's message contains any secret.
func NoSecret(t testing.TB, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error leaks a secret: %q", err)
		}
	}
}

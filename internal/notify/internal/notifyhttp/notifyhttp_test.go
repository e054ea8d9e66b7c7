package notifyhttp

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/notify"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"30", 30 * time.Second},
		{" 5 ", 5 * time.Second},
		{"0", 0},
		{"-3", 0},
		{"86400", 24 * time.Hour},
		{"86401", 0},
		{"99999999999999999999", 0},
		{now.Add(2 * time.Minute).Format(http.TimeFormat), 2 * time.Minute},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), 0},
		{"tomorrow", 0},
	} {
		h := http.Header{}
		if tc.value != "" {
			h.Set("Retry-After", tc.value)
		}
		if got := RetryAfter(h, now); got != tc.want {
			t.Errorf("Retry-After %q: %v, want %v", tc.value, got, tc.want)
		}
	}
}

func TestStatusError(t *testing.T) {
	for _, tc := range []struct {
		status    int
		retryable bool
	}{
		{200, false}, {204, false}, {301, false}, {400, false}, {401, false}, {404, false},
		{408, true}, {409, false}, {429, true}, {500, true}, {503, true}, {599, true},
	} {
		err := StatusError(&Response{Status: tc.status}, time.Now(), "test")
		if tc.status < 300 {
			if err != nil {
				t.Errorf("%d: %v, want success", tc.status, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%d: no error", tc.status)
			continue
		}
		if r, _ := notify.Retryable(err); r != tc.retryable {
			t.Errorf("%d: retryable %v, want %v", tc.status, r, tc.retryable)
		}
	}
}

func TestURLSecrets(t *testing.T) {
	got := URLSecrets("https://user:pw@hooks.example.com/services/T0/B0/xyz?token=abc")
	for _, want := range []string{"https://user:pw@hooks.example.com/services/T0/B0/xyz?token=abc", "/services/T0/B0/xyz", "token=abc", "pw"} {
		if !slices.Contains(got, want) {
			t.Errorf("URLSecrets lacks %q: %q", want, got)
		}
	}
	if got := URLSecrets("https://example.com/"); len(got) != 1 {
		t.Errorf("a bare host has secrets %q", got)
	}
	if s := Redact("a SECRET b", "SECRET", ""); s != "a <redacted> b" {
		t.Errorf("Redact = %q", s)
	}
}

func TestJSON(t *testing.T) {
	b, err := JSON(map[string]string{"t": "<a&b>"})
	if err != nil || string(b) != `{"t":"<a&b>"}` {
		t.Errorf("JSON = %s, %v", b, err)
	}
}

func TestClient(t *testing.T) {
	orig := &http.Client{Timeout: time.Second}
	c := Client(orig)
	if orig.CheckRedirect != nil {
		t.Error("Client changed the caller's client")
	}
	if c.Timeout != time.Second || c.CheckRedirect == nil {
		t.Errorf("copy has timeout %v, CheckRedirect set %v", c.Timeout, c.CheckRedirect != nil)
	}
	if d := Client(nil); d.Timeout != DefaultTimeout {
		t.Errorf("default timeout %v", d.Timeout)
	}
}

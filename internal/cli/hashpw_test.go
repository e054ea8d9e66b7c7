package cli_test

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/picket-dev/picket/internal/cli"
)

// hash-password reads the password from stdin and prints a bcrypt hash of
// it; short passwords are refused and nothing echoes the password.
func TestHashPassword(t *testing.T) {
	r := picketIn(t, strings.NewReader("correct horse battery\n"), "hash-password")
	wantCode(t, r, cli.ExitOK)
	h := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(h, "$2a$12$") || bcrypt.CompareHashAndPassword([]byte(h), []byte("correct horse battery")) != nil {
		t.Fatalf("hash %q does not verify", h)
	}
	if strings.Contains(r.stdout+r.stderr, "correct horse") {
		t.Error("the password is echoed")
	}
	r = picketIn(t, strings.NewReader("short\n"), "hash-password")
	wantCode(t, r, cli.ExitError)
	if !strings.Contains(r.stderr, "at least 12") {
		t.Errorf("stderr %q", r.stderr)
	}
}

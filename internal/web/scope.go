package web

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"

	"github.com/picket-dev/picket/internal/store"
)

// Role is what a caller may do.
type Role string

// Roles, least to most.
const (
	Viewer    Role = "viewer"    // read findings, alerts, evidence, runbooks in scope
	Responder Role = "responder" // and act on them (archive, acknowledge, …)
	Admin     Role = "admin"     // and see installation-wide state (quarantine, checkpoints, outbox, suppressions)
)

func (r Role) rank() int {
	switch r {
	case Viewer:
		return 1
	case Responder:
		return 2
	case Admin:
		return 3
	}
	return 0
}

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	if r := Role(s); r.rank() > 0 {
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q (viewer, responder, admin)", s)
}

// Principal is an authenticated caller: a name for logs, a role, and the
// accounts it may see (nil: all).
type Principal struct {
	Name     string
	Role     Role
	Accounts []string
}

// ScopedToken is an API token given by its SHA-256 (the token itself is
// never stored) with the principal it authenticates.
type ScopedToken struct {
	SHA256 [32]byte
	Principal
}

// ParseTokenHash reads a token's hex SHA-256 (sha256sum of the token).
func ParseTokenHash(s string) ([32]byte, error) {
	var out [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return out, fmt.Errorf("token sha256 must be 64 hex digits (echo -n TOKEN | sha256sum)")
	}
	copy(out[:], b)
	return out, nil
}

type principalKey struct{}

func withPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// principalOf returns the request's principal; a request that passed
// authentication always has one.
func principalOf(r *http.Request) *Principal {
	if p, ok := r.Context().Value(principalKey{}).(*Principal); ok {
		return p
	}
	return &Principal{Name: "nobody"} // no role: every check refuses
}

// mayAccount reports whether p may see account.
func (p *Principal) mayAccount(account string) bool {
	return p.Role.rank() > 0 && (p.Accounts == nil || slices.Contains(p.Accounts, account))
}

// need refuses callers below role.
func (p *Principal) need(role Role) error {
	if p.Role.rank() < role.rank() {
		return &httpError{status: http.StatusForbidden, msg: fmt.Sprintf("%s needs the %s role", p.Name, role)}
	}
	return nil
}

// scopeAccounts narrows a query's accounts to the principal's: a scoped
// caller asking for nothing in particular gets its accounts; asking for
// others gets none of them. ok is false when nothing can match.
func (p *Principal) scopeAccounts(asked []string) (accounts []string, ok bool) {
	if p.Accounts == nil {
		return asked, true
	}
	if len(asked) == 0 {
		return p.Accounts, len(p.Accounts) > 0
	}
	var out []string
	for _, a := range asked {
		if slices.Contains(p.Accounts, a) {
			out = append(out, a)
		}
	}
	return out, len(out) > 0
}

// notFound is what a caller gets for something outside its scope: the
// same answer as for something that does not exist.
func notFound(what string) error {
	return fmt.Errorf("%s: %w", what, store.ErrNotFound)
}

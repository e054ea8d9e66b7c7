package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Console users, proxy auth, account tags and the session key are
// checked before running, each problem naming its field.
func TestConsoleConfigProblems(t *testing.T) {
	const hash = "$2a$12$abcdefghijklmnopqrstuu0123456789012345678901234567890"
	cases := []struct {
		name, yaml string
		env        map[string]string
		field, msg string // "" field: valid
	}{
		{"valid users and tags", `
http:
  account_tags: {payments: ["111122223333"]}
  users:
    - {name: alice, password_hash: "` + hash + `", role: admin, accounts: ["*"]}
    - {name: dev, password_hash: "` + hash + `", role: viewer, accounts: ["tag:payments", "444455556666"]}
`, nil, "", ""},
		{"unknown role", `
http:
  users: [{name: a, password_hash: "` + hash + `", role: owner, accounts: ["*"]}]
`, nil, "http.users[0].role", "unknown role"},
		{"duplicate user", `
http:
  users:
    - {name: a, password_hash: "` + hash + `", role: admin, accounts: ["*"]}
    - {name: a, password_hash: "` + hash + `", role: admin, accounts: ["*"]}
`, nil, "http.users[1].name", "duplicate user"},
		{"plain password", `
http:
  users: [{name: a, password_hash: "hunter2", role: admin, accounts: ["*"]}]
`, nil, "http.users[0].password_hash", "not a bcrypt hash"},
		{"no password without proxy", `
http:
  users: [{name: a, role: admin, accounts: ["*"]}]
`, nil, "http.users[0].password_hash", "unless http.proxy_auth"},
		{"no password with proxy", `
http:
  users: [{name: a@example.com, role: admin, accounts: ["*"]}]
  proxy_auth: {header: X-Forwarded-Email, trusted_proxies: ["10.0.0.5"]}
`, nil, "", ""},
		{"unknown tag", `
http:
  users: [{name: a, password_hash: "` + hash + `", role: viewer, accounts: ["tag:nope"]}]
`, nil, "http.users[0].accounts", "unknown account tag"},
		{"bad account", `
http:
  users: [{name: a, password_hash: "` + hash + `", role: viewer, accounts: ["12345"]}]
`, nil, "http.users[0].accounts", "12-digit"},
		{"no accounts", `
http:
  users: [{name: a, password_hash: "` + hash + `", role: viewer}]
`, nil, "http.users[0].accounts", "required"},
		{"proxy without trusted addresses", `
http:
  proxy_auth: {header: X-Forwarded-Email}
`, nil, "http.proxy_auth.trusted_proxies", "required"},
		{"proxy bad cidr", `
http:
  proxy_auth: {header: X-User, trusted_proxies: ["10.0.0.0/33"]}
`, nil, "http.proxy_auth.trusted_proxies", "not a CIDR"},
		{"short session key", `
http:
  session_key_env: TEST_PICKET_SESSION_KEY
`, map[string]string{"TEST_PICKET_SESSION_KEY": "short"}, "http.session_key_env", "at least 32"},
		{"bad tag member", `
http:
  account_tags: {x: ["abc"]}
`, nil, "http.account_tags.x", "12-digit"},
		{"negative retention", `
sources:
  - {name: s, type: stdin, retention: -1h}
`, nil, "sources[0].retention", "negative"},
		{"bad own prefix", `
detectors:
  credentials: {own_prefixes: ["nope"]}
`, nil, "detectors.credentials.own_prefixes[0]", "not a CIDR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			ck := checks
			ck.Env = func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			err = c.Validate(ck)
			var ps Problems
			errors.As(err, &ps)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid config refused: %v", err)
				}
				return
			}
			i := slices.IndexFunc(ps, func(p Problem) bool { return p.Field == tc.field && strings.Contains(p.Msg, tc.msg) })
			if i < 0 {
				t.Fatalf("want %s: …%s…; got %v", tc.field, tc.msg, ps)
			}
		})
	}
	// Tags expand, "*" means all.
	h := HTTPConfig{AccountTags: map[string][]string{"p": {"111122223333", "444455556666"}}}
	if got := h.ResolveAccounts([]string{"tag:p", "777788889999"}); !slices.Equal(got, []string{"111122223333", "444455556666", "777788889999"}) {
		t.Errorf("resolve: %v", got)
	}
	if got := h.ResolveAccounts([]string{"tag:p", "*"}); got != nil {
		t.Errorf("* must mean all (nil), got %v", got)
	}
	if got := h.ResolveAccounts([]string{"tag:missing"}); got == nil || len(got) != 0 {
		t.Errorf("an empty tag must mean none, got %#v", got)
	}
}

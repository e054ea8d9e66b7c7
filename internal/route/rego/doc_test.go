package rego

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// docBlock returns the indented code block after heading in the package
// documentation.
func docBlock(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var out []string
	in, started := false, false
	for _, l := range lines {
		switch {
		case l == "// # "+heading:
			in = true
		case !in:
		case strings.HasPrefix(l, "//\t"):
			started = true
			out = append(out, strings.TrimPrefix(l, "//\t"))
		case l == "//" && started:
			out = append(out, "")
		case started:
			return strings.TrimSpace(strings.Join(out, "\n")) + "\n"
		}
	}
	t.Fatalf("no code block under %q", heading)
	return ""
}

// The examples in the package documentation work as it says.
func TestDocExample(t *testing.T) {
	policy := docBlock(t, "Example")
	e, err := Compile(map[string]string{"example.rego": policy})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f     string
		sev   float64
		typ   string
		event string
		want  Decision
	}{
		{f: "111111111111", sev: 2, typ: "Recon:IAMUser/UserPermissions",
			want: Decision{Drop: true, Reasons: []string{"low severity finding in sandbox account 111111111111"}}},
		{f: "333333333333", sev: 5, typ: "Policy:IAMUser/RootCredentialUsage",
			want: Decision{Severity: ptr(9.5), Labels: map[string]string{"team": "payments"}}},
		{f: "555555555555", sev: 5, typ: "Recon:IAMUser/UserPermissions", event: `{"userIdentity":{"type":"Root"}}`,
			want: Decision{Severity: ptr(8)}},
		{f: "555555555555", sev: 9.2, typ: "Recon:IAMUser/UserPermissions",
			want: Decision{Channels: []string{"pagerduty"}, Reasons: []string{"paged: critical finding"}}},
	} {
		var ev []byte
		if c.event != "" {
			ev = []byte(c.event)
		}
		got, err := e.Decide(context.Background(), mk(c.f, c.typ, c.sev), ev)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %v: got %s, want %s", c.f, c.sev, show(got), show(c.want))
		}
	}

	dir := t.TempDir()
	for name, src := range map[string]string{"example.rego": policy, "example_test.rego": docBlock(t, "Tests")} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := RunTests(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || !res[0].Pass || res[0].Name != "test_sandbox_low_dropped" {
		t.Errorf("doc test: %+v", res)
	}
}

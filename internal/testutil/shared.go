// Package testutil holds helpers shared by tests: finding the shared data
// folder (../shared beside the checkout) that real-data tests read.
package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

// SharedData returns the path of ../shared/data/<rel> next to the module
// root (or $PICKET_SHARED_DIR/data/<rel>). When it is absent the test is
// skipped with a clear message — except under CI=true, where a missing
// folder fails the test, so CI never passes by skipping.
func SharedData(t testing.TB, rel ...string) string {
	t.Helper()
	root := os.Getenv("PICKET_SHARED_DIR")
	if root == "" {
		if mod, ok := moduleRoot(); ok {
			root = filepath.Join(mod, "..", "shared")
		}
	}
	p := filepath.Join(append([]string{root, "data"}, rel...)...)
	if _, err := os.Stat(p); root == "" || err != nil {
		msg := "shared test data not found at " + p + " (clone the shared folder beside the checkout or set PICKET_SHARED_DIR)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

func moduleRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// ModuleDir returns the directory holding go.mod (the repository root),
// for tests that read the project's own files.
func ModuleDir(t testing.TB) string {
	t.Helper()
	dir, ok := moduleRoot()
	if !ok {
		t.Fatal("go.mod not found above the working directory")
	}
	return dir
}

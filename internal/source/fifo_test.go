//go:build linux || darwin

package source_test

import (
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/picket-dev/picket/internal/source"
)

func TestWalkSkipsFIFOInDirectory(t *testing.T) {
	root := tree(t)
	fifo := filepath.Join(root, "sub", "pipe.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("cannot create a FIFO here: %v", err)
	}
	t.Run("inside a walked directory it is skipped", func(t *testing.T) {
		// Opening a FIFO would block the walk's reader forever.
		objs, err := source.Walk([]string{filepath.Join(root, "sub")}, logs)
		if err != nil {
			t.Fatalf("Walk: %v", err)
		}
		want := []string{filepath.Join(root, "sub", "c.json"), filepath.Join(root, "sub", "deeper", "d.json.gz")}
		if got := keys(objs); !slices.Equal(got, want) {
			t.Errorf("keys with a FIFO in the directory:\n got %q\nwant %q", got, want)
		}
	})
	t.Run("named directly it is taken as given", func(t *testing.T) {
		// As with `picket scan <(zcat log.gz)`: the user named it.
		objs, err := source.Walk([]string{fifo}, logs)
		if err != nil {
			t.Fatalf("Walk: %v", err)
		}
		if got := keys(objs); !slices.Equal(got, []string{fifo}) {
			t.Errorf("keys %q, want [%q]", got, fifo)
		}
	})
}

package source_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/source"
)

// clock is a manual clock for Poller.Now.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *clock { return &clock{t: time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)} }

// watchDir is an empty directory to watch and a poller over it.
func watchDir(t *testing.T, settle time.Duration) (string, *clock, *source.Poller) {
	t.Helper()
	dir := t.TempDir()
	c := newClock()
	return dir, c, &source.Poller{Paths: []string{dir}, Include: logs, Settle: settle, Now: c.Now}
}

// setMod sets p's modification time.
func setMod(t *testing.T, p string, mod time.Time) {
	t.Helper()
	if err := os.Chtimes(p, mod, mod); err != nil {
		t.Fatal(err)
	}
}

// put writes p with data and a fixed modification time, so tests do not
// depend on the file system's timestamp granularity.
func put(t *testing.T, p, data string, mod time.Time) {
	t.Helper()
	writeFile(t, p, []byte(data))
	setMod(t, p, mod)
}

// expectPoll polls and checks the keys returned (base names, in order).
func expectPoll(t *testing.T, p *source.Poller, when string, want ...string) []source.Object {
	t.Helper()
	objs, err := p.Poll()
	if err != nil {
		t.Fatalf("%s: Poll: %v", when, err)
	}
	got := make([]string, len(objs))
	for i, o := range objs {
		got[i] = filepath.Base(o.Key)
	}
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s: Poll returned %q, want %q", when, got, want)
	}
	return objs
}

var mod0 = time.Date(2024, 4, 30, 23, 0, 0, 0, time.UTC)

func TestPollerSettle(t *testing.T) {
	const settle = 10 * time.Second
	t.Run("new file returned only once unchanged for Settle", func(t *testing.T) {
		dir, c, p := watchDir(t, settle)
		put(t, filepath.Join(dir, "a.json"), "a", mod0)
		expectPoll(t, p, "first sight")
		c.Advance(settle - time.Second)
		expectPoll(t, p, "one second before settling")
		c.Advance(time.Second)
		objs := expectPoll(t, p, "after Settle", "a.json")
		if got, err := readObject(t, objs[0]); err != nil || string(got) != "a" {
			t.Errorf("returned object reads %q, %v; want %q", got, err, "a")
		}
	})
	t.Run("settling counts from the first poll that saw the file", func(t *testing.T) {
		dir, c, p := watchDir(t, settle)
		expectPoll(t, p, "empty directory")
		c.Advance(time.Hour)
		put(t, filepath.Join(dir, "a.json"), "a", mod0)
		// The poller has known the directory for an hour, but not the file.
		expectPoll(t, p, "file appears")
		c.Advance(settle)
		expectPoll(t, p, "after Settle", "a.json")
	})
	t.Run("Settle 0 returns files on the first poll", func(t *testing.T) {
		dir, _, p := watchDir(t, 0)
		put(t, filepath.Join(dir, "b.json"), "b", mod0)
		put(t, filepath.Join(dir, "a.json.gz"), string(gzipped(t, "a")), mod0)
		put(t, filepath.Join(dir, "ignored.txt"), "x", mod0)
		expectPoll(t, p, "first poll", "a.json.gz", "b.json")
		expectPoll(t, p, "second poll")
	})
	t.Run("Settle 0 with the real clock", func(t *testing.T) {
		dir := t.TempDir()
		put(t, filepath.Join(dir, "a.json"), "a", mod0)
		p := &source.Poller{Paths: []string{dir}}
		expectPoll(t, p, "first poll", "a.json")
	})
	t.Run("file still being written is held back", func(t *testing.T) {
		dir, c, p := watchDir(t, settle)
		f := filepath.Join(dir, "growing.json")
		data := ""
		for i := range 5 {
			data += "record\n"
			put(t, f, data, mod0.Add(time.Duration(i)*time.Second))
			expectPoll(t, p, "while growing")
			c.Advance(settle / 2)
		}
		// Last write was settle/2 ago.
		expectPoll(t, p, "half settled")
		c.Advance(settle / 2)
		objs := expectPoll(t, p, "settled", "growing.json")
		if got, err := readObject(t, objs[0]); err != nil || string(got) != data {
			t.Errorf("returned object reads %q, %v; want the whole file", got, err)
		}
		if objs[0].Size != int64(len(data)) {
			t.Errorf("Size = %d, want %d", objs[0].Size, len(data))
		}
	})
	t.Run("sorted by key across paths", func(t *testing.T) {
		dir1, dir2 := t.TempDir(), t.TempDir()
		put(t, filepath.Join(dir2, "b.json"), "b", mod0)
		put(t, filepath.Join(dir1, "c.json"), "c", mod0)
		put(t, filepath.Join(dir1, "a.json"), "a", mod0)
		p := &source.Poller{Paths: []string{dir2, dir1}, Include: logs, Now: newClock().Now}
		objs, err := p.Poll()
		if err != nil {
			t.Fatal(err)
		}
		want := []string{filepath.Join(dir1, "a.json"), filepath.Join(dir1, "c.json"), filepath.Join(dir2, "b.json")}
		slices.Sort(want)
		if got := keys(objs); !slices.Equal(got, want) {
			t.Errorf("Poll keys:\n got %q\nwant %q", got, want)
		}
	})
}

func TestPollerChanges(t *testing.T) {
	const settle = 10 * time.Second
	tests := []struct {
		name   string
		change func(t *testing.T, p string)
	}{
		{"appended, mtime moved", func(t *testing.T, p string) { put(t, p, "a\nmore\n", mod0.Add(time.Minute)) }},
		{"size changed, same mtime", func(t *testing.T, p string) { put(t, p, "a\nmore\n", mod0) }},
		{"mtime changed, same size", func(t *testing.T, p string) { setMod(t, p, mod0.Add(time.Minute)) }},
		{"mtime moved back, same size", func(t *testing.T, p string) { setMod(t, p, mod0.Add(-time.Minute)) }},
		{"rewritten to the same size and mtime", func(t *testing.T, p string) { put(t, p, "b\n", mod0) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, c, p := watchDir(t, settle)
			f := filepath.Join(dir, "a.json")
			put(t, f, "a\n", mod0)
			expectPoll(t, p, "first sight")
			c.Advance(settle)
			expectPoll(t, p, "settled", "a.json")
			c.Advance(settle)
			expectPoll(t, p, "unchanged, already returned")
			c.Advance(time.Hour)
			expectPoll(t, p, "unchanged an hour later")

			tc.change(t, f)
			if strings.HasPrefix(tc.name, "rewritten") {
				// Neither size nor mtime changed: nothing can tell.
				c.Advance(settle)
				expectPoll(t, p, "rewritten in place")
				return
			}
			expectPoll(t, p, "just changed")
			c.Advance(settle - time.Second)
			expectPoll(t, p, "changed, not yet settled")
			c.Advance(time.Second)
			expectPoll(t, p, "changed and settled", "a.json")
			c.Advance(settle)
			expectPoll(t, p, "changed version already returned")
		})
	}
}

func TestPollerForget(t *testing.T) {
	const settle = 10 * time.Second
	t.Run("forgotten key comes back on the next poll", func(t *testing.T) {
		dir, c, p := watchDir(t, settle)
		put(t, filepath.Join(dir, "a.json"), "a", mod0)
		put(t, filepath.Join(dir, "b.json"), "b", mod0)
		expectPoll(t, p, "first sight")
		c.Advance(settle)
		objs := expectPoll(t, p, "settled", "a.json", "b.json")
		p.Forget(objs[0].Key)
		// Already settled: no new wait.
		expectPoll(t, p, "after Forget", "a.json")
		expectPoll(t, p, "returned again once")
	})
	t.Run("forgetting a key before it is ready changes nothing", func(t *testing.T) {
		dir, c, p := watchDir(t, settle)
		f := filepath.Join(dir, "a.json")
		put(t, f, "a", mod0)
		expectPoll(t, p, "first sight")
		p.Forget(f)
		expectPoll(t, p, "forgotten before settling")
		c.Advance(settle)
		expectPoll(t, p, "settled", "a.json")
	})
	t.Run("forgetting an unknown key is harmless", func(t *testing.T) {
		dir, c, p := watchDir(t, settle)
		p.Forget(filepath.Join(dir, "never.json")) // before the first Poll
		put(t, filepath.Join(dir, "a.json"), "a", mod0)
		expectPoll(t, p, "first sight")
		p.Forget(filepath.Join(dir, "never.json"))
		c.Advance(settle)
		expectPoll(t, p, "settled", "a.json")
		expectPoll(t, p, "already returned")
	})
}

func TestPollerDeleteRecreate(t *testing.T) {
	const settle = 10 * time.Second
	dir, c, p := watchDir(t, settle)
	f := filepath.Join(dir, "a.json")
	put(t, f, "a", mod0)
	put(t, filepath.Join(dir, "b.json"), "b", mod0)
	expectPoll(t, p, "first sight")
	c.Advance(settle)
	expectPoll(t, p, "settled", "a.json", "b.json")

	if err := os.Remove(f); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	expectPoll(t, p, "after delete")

	// Same content and mtime as before: only the deletion tells it apart.
	put(t, f, "a", mod0)
	expectPoll(t, p, "re-created, not settled")
	c.Advance(settle)
	expectPoll(t, p, "re-created and settled", "a.json")
	c.Advance(settle)
	expectPoll(t, p, "re-created version already returned")
}

func TestPollerMissingPath(t *testing.T) {
	dir := t.TempDir()
	put(t, filepath.Join(dir, "a.json"), "a", mod0)
	missing := filepath.Join(t.TempDir(), "not-yet")
	c := newClock()
	p := &source.Poller{Paths: []string{missing, dir}, Include: logs, Now: c.Now}

	objs, err := p.Poll()
	if err == nil {
		t.Error("Poll with a missing path returned no error")
	} else if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Poll error %v is not fs.ErrNotExist", err)
	}
	if got := keys(objs); !slices.Equal(got, []string{filepath.Join(dir, "a.json")}) {
		t.Errorf("Poll with a missing path returned %q, want the other path's file", got)
	}

	// The path appears later (a mount coming up): its files are picked up.
	put(t, filepath.Join(missing, "late.json"), "late", mod0)
	objs, err = p.Poll()
	if err != nil {
		t.Fatalf("Poll once the path exists: %v", err)
	}
	if got := keys(objs); !slices.Equal(got, []string{filepath.Join(missing, "late.json")}) {
		t.Errorf("Poll once the path exists returned %q, want only the new file", got)
	}
}

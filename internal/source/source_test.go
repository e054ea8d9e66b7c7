package source_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/picket-dev/picket/internal/source"
)

// gzipped compresses each member as its own gzip member and concatenates
// them, as `cat a.gz b.gz` would.
func gzipped(t *testing.T, members ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, m := range members {
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// writeFile creates p (and its parent directories) holding data.
func writeFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fileObject is the Object for the file at p.
func fileObject(t *testing.T, p string) source.Object {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return source.FileObject(p, fi)
}

// readObject opens o and reads it to the end, returning what was read
// before any error.
func readObject(t *testing.T, o source.Object) ([]byte, error) {
	t.Helper()
	rc, err := o.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func keys(objs []source.Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Key
	}
	return out
}

// bigText is deterministic, varied text large enough to span several
// deflate blocks and more than Decompress's 64 KiB read buffer.
func bigText(lines int) string {
	var b strings.Builder
	for i := range lines {
		fmt.Fprintf(&b, `{"eventID":"%08x-%d","eventName":"GetObject","n":%d}`+"\n", i*2654435761, i%7, i*i)
	}
	return b.String()
}

func TestOpen(t *testing.T) {
	big := bigText(5000)
	if len(big) <= 64<<10 {
		t.Fatalf("fixture too small: %d bytes", len(big))
	}
	tests := []struct {
		name string
		file string // file name, to show the name does not decide
		data []byte
		want string
	}{
		{"plain file as is", "a.json", []byte(`{"Records":[]}`), `{"Records":[]}`},
		{"gzip named .gz", "a.json.gz", gzipped(t, `{"Records":[1]}`), `{"Records":[1]}`},
		{"gzip without .gz name", "a.json", gzipped(t, `{"Records":[2]}`), `{"Records":[2]}`},
		{"gzip with no extension", "CloudTrail-log", gzipped(t, "hello"), "hello"},
		{".gz name but plain content", "a.json.gz", []byte(`{"Records":[3]}`), `{"Records":[3]}`},
		{"multi-member gzip", "multi.gz", gzipped(t, "first member\n", "second member\n", "third\n"), "first member\nsecond member\nthird\n"},
		{"gzip of empty content", "empty.gz", gzipped(t, ""), ""},
		{"empty file", "empty.json", nil, ""},
		{"one byte equal to the first magic byte", "one", []byte{0x1f}, "\x1f"},
		{"first magic byte only, then other bytes", "almost", []byte{0x1f, 0x8c, 'x'}, "\x1f\x8cx"},
		{"second magic byte first", "swapped", []byte{0x8b, 0x1f, 'x'}, "\x8b\x1fx"},
		{"plain file larger than the read buffer", "big.json", []byte(big), big},
		{"gzip larger than the read buffer", "big.json.gz", gzipped(t, big), big},
	}
	dir := t.TempDir()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, fmt.Sprint(i), tc.file)
			writeFile(t, p, tc.data)
			got, err := readObject(t, fileObject(t, p))
			if err != nil {
				t.Fatalf("reading %s: %v", tc.file, err)
			}
			if string(got) != tc.want {
				t.Errorf("read %d bytes %.40q..., want %d bytes %.40q...", len(got), got, len(tc.want), tc.want)
			}
		})
	}
}

func TestOpenTruncatedGzip(t *testing.T) {
	text := bigText(20000)
	full := gzipped(t, text)
	tests := []struct {
		name      string
		data      []byte
		minPrefix int // at least this much of text must be read before the error
	}{
		// Deflate output lags its input by at most a window, so half the
		// compressed file yields well over a quarter of the text.
		{"cut in the middle", full[:len(full)/2], len(text) / 4},
		{"cut just after the header", full[:10], 0},
		{"cut inside the trailer", full[:len(full)-4], len(text)},
		{"second member cut short", append(gzipped(t, "first\n"), gzipped(t, text)[:len(full)/2]...), len("first\n")},
	}
	dir := t.TempDir()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, fmt.Sprintf("cut%d.json.gz", i))
			writeFile(t, p, tc.data)
			rc, err := fileObject(t, p).Open()
			if err != nil {
				// The header is whole: a truncated body must not be reported
				// (and quarantined) as a bad header.
				t.Fatalf("Open: %v; want the error on Read", err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err == nil {
				t.Fatalf("read %d bytes and no error; a truncated gzip must not end in a silent EOF", len(got))
			}
			if errors.Is(err, source.ErrBadGzip) {
				t.Errorf("read error %v is ErrBadGzip; the header was fine", err)
			}
			want := text
			if strings.HasPrefix(tc.name, "second member") {
				want = "first\n" + text
			}
			if !strings.HasPrefix(want, string(got)) {
				t.Errorf("read %d bytes that are not a prefix of the original", len(got))
			}
			if len(got) < tc.minPrefix {
				t.Errorf("read %d bytes before the error, want at least %d", len(got), tc.minPrefix)
			}
		})
	}
}

func TestOpenCorruptChecksum(t *testing.T) {
	data := gzipped(t, "some records\n")
	data[len(data)-8] ^= 0xff // first byte of the CRC-32 in the trailer
	p := filepath.Join(t.TempDir(), "crc.gz")
	writeFile(t, p, data)
	got, err := readObject(t, fileObject(t, p))
	if err == nil {
		t.Fatalf("read %q with no error; a bad checksum must be reported", got)
	}
	if errors.Is(err, source.ErrBadGzip) {
		t.Errorf("error %v is ErrBadGzip; the header was fine", err)
	}
}

func TestOpenBadGzipHeader(t *testing.T) {
	good := gzipped(t, "payload")
	withByte := func(i int, b byte) []byte {
		d := slices.Clone(good)
		d[i] = b
		return d
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"magic only", []byte{0x1f, 0x8b}},
		{"header cut short", good[:6]},
		{"unknown compression method", withByte(2, 0x00)},
		{"reserved flag bits set", withByte(3, 0xe0)},
		{"magic then text", []byte("\x1f\x8b this is not gzip at all, just text\n")},
	}
	dir := t.TempDir()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, fmt.Sprintf("bad%d.json", i))
			writeFile(t, p, tc.data)
			rc, err := fileObject(t, p).Open()
			if err == nil {
				rc.Close()
				t.Fatal("Open succeeded; want an error for a corrupt gzip header")
			}
			if !errors.Is(err, source.ErrBadGzip) {
				t.Errorf("Open error %v does not match ErrBadGzip", err)
			}
		})
	}
}

func TestOpenMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "gone.json")
	writeFile(t, p, []byte("x"))
	o := fileObject(t, p)
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	rc, err := o.Open()
	if err == nil {
		rc.Close()
		t.Fatal("Open of a removed file succeeded")
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open error %v is not fs.ErrNotExist", err)
	}
	if errors.Is(err, source.ErrBadGzip) {
		t.Errorf("Open error %v for a missing file is ErrBadGzip", err)
	}
}

// trackingCloser records whether it was closed and can fail its reads.
type trackingCloser struct {
	r      io.Reader
	err    error
	closed int
}

func (c *trackingCloser) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	return c.r.Read(p)
}

func (c *trackingCloser) Close() error { c.closed++; return nil }

func TestDecompressCloses(t *testing.T) {
	t.Run("plain reader closes the source", func(t *testing.T) {
		src := &trackingCloser{r: strings.NewReader("plain")}
		rc, err := source.Decompress(src)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := io.ReadAll(rc); string(got) != "plain" {
			t.Errorf("read %q, want %q", got, "plain")
		}
		if src.closed != 0 {
			t.Fatalf("source closed before Close")
		}
		rc.Close()
		if src.closed != 1 {
			t.Errorf("source closed %d times after Close, want 1", src.closed)
		}
	})
	t.Run("gzip reader closes the source", func(t *testing.T) {
		src := &trackingCloser{r: bytes.NewReader(gzipped(t, "zipped"))}
		rc, err := source.Decompress(src)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := io.ReadAll(rc); string(got) != "zipped" {
			t.Errorf("read %q, want %q", got, "zipped")
		}
		rc.Close()
		if src.closed != 1 {
			t.Errorf("source closed %d times after Close, want 1", src.closed)
		}
	})
	t.Run("bad header closes the source", func(t *testing.T) {
		src := &trackingCloser{r: bytes.NewReader([]byte{0x1f, 0x8b, 0, 0})}
		if _, err := source.Decompress(src); !errors.Is(err, source.ErrBadGzip) {
			t.Fatalf("Decompress error %v, want ErrBadGzip", err)
		}
		if src.closed != 1 {
			t.Errorf("source closed %d times after a failed Decompress, want 1", src.closed)
		}
	})
	t.Run("read error is returned and closes the source", func(t *testing.T) {
		boom := errors.New("disk on fire")
		src := &trackingCloser{err: boom}
		_, err := source.Decompress(src)
		if !errors.Is(err, boom) {
			t.Fatalf("Decompress error %v, want %v", err, boom)
		}
		if errors.Is(err, source.ErrBadGzip) {
			t.Errorf("an I/O error %v is reported as ErrBadGzip", err)
		}
		if src.closed != 1 {
			t.Errorf("source closed %d times after a failed Decompress, want 1", src.closed)
		}
	})
}

func TestStdin(t *testing.T) {
	t.Run("plain", func(t *testing.T) {
		o := source.Stdin(t.Context(), strings.NewReader("line one\nline two\n"))
		if o.Key != source.StdinKey {
			t.Errorf("Key = %q, want StdinKey %q", o.Key, source.StdinKey)
		}
		if o.Size != -1 {
			t.Errorf("Size = %d, want -1 (unknown)", o.Size)
		}
		if !o.ModTime.IsZero() {
			t.Errorf("ModTime = %v, want zero (unknown)", o.ModTime)
		}
		got, err := readObject(t, o)
		if err != nil || string(got) != "line one\nline two\n" {
			t.Errorf("read %q, %v; want the reader's content", got, err)
		}
	})
	t.Run("gzip piped in", func(t *testing.T) {
		o := source.Stdin(t.Context(), bytes.NewReader(gzipped(t, "a\n", "b\n")))
		got, err := readObject(t, o)
		if err != nil || string(got) != "a\nb\n" {
			t.Errorf("read %q, %v; want %q decompressed", got, err, "a\nb\n")
		}
	})
}

func TestMatcher(t *testing.T) {
	tests := []struct {
		name string
		m    source.Matcher
		path string
		want bool
	}{
		{"nil matches all", nil, "any/thing.txt", true},
		{"empty matches all", source.Matcher{}, "thing", true},
		{"empty matches hidden", source.Matcher{}, ".hidden", true},
		{"base name matches", source.Matcher{"*.json"}, "logs/2024/a.json", true},
		{"bare name matches", source.Matcher{"*.json"}, "a.json", true},
		{"different suffix", source.Matcher{"*.json"}, "logs/a.json.gz", false},
		{"directory name does not count", source.Matcher{"*.json"}, "logs.json/a.txt", false},
		{"second pattern matches", source.Matcher{"*.json", "*.json.gz"}, "x/y/z.json.gz", true},
		{"no pattern matches", source.Matcher{"*.json", "*.json.gz"}, "x/y/z.txt", false},
		{"pattern with a slash never matches the base name", source.Matcher{"logs/*.json"}, "logs/a.json", false},
		{"question mark", source.Matcher{"a?.json"}, "d/ab.json", true},
		{"character class", source.Matcher{"[0-9]*.gz"}, "d/2024.gz", true},
		{"character class misses", source.Matcher{"[0-9]*.gz"}, "d/x2024.gz", false},
		{"star does not cross into directories", source.Matcher{"a*"}, "a/b", false},
		{"malformed pattern does not block others", source.Matcher{"[", "*.json"}, "a.json", true},
		{"malformed pattern alone matches nothing", source.Matcher{"["}, "[", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.m.Match(tc.path); got != tc.want {
				t.Errorf("Matcher%q.Match(%q) = %v, want %v", []string(tc.m), tc.path, got, tc.want)
			}
		})
	}
}

// tree builds a directory of log files and returns its root:
//
//	root/a.json.gz
//	root/b.json
//	root/notes.txt
//	root/.hidden.json
//	root/.git/x.json
//	root/sub/c.json
//	root/sub/.cache/e.json
//	root/sub/deeper/d.json.gz
func tree(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "logs")
	for name, data := range map[string]string{
		"a.json.gz":            string(gzipped(t, "a")),
		"b.json":               "b",
		"notes.txt":            "notes",
		".hidden.json":         "hidden",
		".git/x.json":          "x",
		"sub/c.json":           "c",
		"sub/.cache/e.json":    "e",
		"sub/deeper/d.json.gz": string(gzipped(t, "d")),
	} {
		writeFile(t, filepath.Join(root, filepath.FromSlash(name)), []byte(data))
	}
	return root
}

var logs = source.Matcher{"*.json", "*.json.gz"}

func TestWalk(t *testing.T) {
	root := tree(t)
	j := func(names ...string) []string {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = filepath.Join(root, filepath.FromSlash(n))
		}
		return out
	}
	tests := []struct {
		name    string
		paths   []string
		include source.Matcher
		want    []string
	}{
		{
			name:    "directory walked recursively, include on base names, hidden skipped",
			paths:   j("."),
			include: logs,
			want:    j("a.json.gz", "b.json", "sub/c.json", "sub/deeper/d.json.gz"),
		},
		{
			name:  "nil include keeps every visible file",
			paths: j("."),
			want:  j("a.json.gz", "b.json", "notes.txt", "sub/c.json", "sub/deeper/d.json.gz"),
		},
		{
			name:    "include narrows to one pattern",
			paths:   j("."),
			include: source.Matcher{"*.gz"},
			want:    j("a.json.gz", "sub/deeper/d.json.gz"),
		},
		{
			name:    "file named directly is kept though include does not match",
			paths:   j("notes.txt"),
			include: logs,
			want:    j("notes.txt"),
		},
		{
			name:    "hidden file named directly is kept",
			paths:   j(".hidden.json"),
			include: logs,
			want:    j(".hidden.json"),
		},
		{
			name:    "hidden directory named directly is walked",
			paths:   j(".git"),
			include: logs,
			want:    j(".git/x.json"),
		},
		{
			name:    "subdirectory walked on its own",
			paths:   j("sub"),
			include: logs,
			want:    j("sub/c.json", "sub/deeper/d.json.gz"),
		},
		{
			name:    "results sorted whatever the order of paths",
			paths:   j("sub/deeper/d.json.gz", "b.json", "notes.txt", "a.json.gz"),
			include: logs,
			want:    j("a.json.gz", "b.json", "notes.txt", "sub/deeper/d.json.gz"),
		},
		{
			name:    "file named twice is listed once",
			paths:   j("b.json", "b.json"),
			include: logs,
			want:    j("b.json"),
		},
		{
			name:    "file named and found in a walked directory is listed once",
			paths:   j("sub/c.json", "sub"),
			include: logs,
			want:    j("sub/c.json", "sub/deeper/d.json.gz"),
		},
		{
			name:    "directory named twice is listed once",
			paths:   j("sub", "sub"),
			include: logs,
			want:    j("sub/c.json", "sub/deeper/d.json.gz"),
		},
		{
			name:    "directory with a trailing slash gives the same keys",
			paths:   append(j("sub/c.json"), filepath.Join(root, "sub")+string(filepath.Separator)),
			include: logs,
			want:    j("sub/c.json", "sub/deeper/d.json.gz"),
		},
		{
			name:    "no paths, no objects",
			paths:   nil,
			include: logs,
			want:    nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := source.Walk(tc.paths, tc.include)
			if err != nil {
				t.Fatalf("Walk: %v", err)
			}
			if got := keys(objs); !slices.Equal(got, tc.want) {
				t.Errorf("Walk(%q) keys:\n got %q\nwant %q", tc.paths, got, tc.want)
			}
		})
	}
}

func TestWalkObjects(t *testing.T) {
	root := tree(t)
	mod := time.Date(2024, 3, 1, 12, 30, 0, 0, time.UTC)
	p := filepath.Join(root, "sub", "deeper", "d.json.gz")
	if err := os.Chtimes(p, mod, mod); err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := source.Walk([]string{root}, logs)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(objs, func(o source.Object) bool { return o.Key == p })
	if i < 0 {
		t.Fatalf("%s not listed in %q", p, keys(objs))
	}
	o := objs[i]
	if o.Size != int64(len(onDisk)) {
		t.Errorf("Size = %d, want the size on disk %d", o.Size, len(onDisk))
	}
	if !o.ModTime.Equal(mod) {
		t.Errorf("ModTime = %v, want %v", o.ModTime, mod)
	}
	got, err := readObject(t, o)
	if err != nil || string(got) != "d" {
		t.Errorf("read %q, %v; want %q", got, err, "d")
	}
}

func TestWalkMissingPath(t *testing.T) {
	root := tree(t)
	missing := filepath.Join(root, "no-such-dir")
	b := filepath.Join(root, "b.json")
	c := filepath.Join(root, "sub", "c.json")
	objs, err := source.Walk([]string{missing, b, filepath.Join(root, "sub")}, logs)
	if err == nil {
		t.Fatal("Walk with a missing path returned no error")
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v is not fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), "no-such-dir") {
		t.Errorf("error %q does not name the missing path", err)
	}
	want := []string{b, c, filepath.Join(root, "sub", "deeper", "d.json.gz")}
	if got := keys(objs); !slices.Equal(got, want) {
		t.Errorf("keys with one path missing:\n got %q\nwant %q", got, want)
	}
}

func TestWalkSymlinks(t *testing.T) {
	root := tree(t)
	outside := filepath.Join(t.TempDir(), "outside")
	writeFile(t, filepath.Join(outside, "o.json"), []byte("o"))
	links := map[string]string{
		filepath.Join(root, "link.json"):       filepath.Join(root, "b.json"),
		filepath.Join(root, "dangling.json"):   filepath.Join(root, "nowhere.json"),
		filepath.Join(root, "sub", "loop"):     root,
		filepath.Join(root, "outside-link"):    outside,
		filepath.Join(root, "sub", "out.json"): filepath.Join(outside, "o.json"),
	}
	for l, target := range links {
		if err := os.Symlink(target, l); err != nil {
			t.Skipf("cannot create symlinks here: %v", err)
		}
	}
	t.Run("not returned from a walked directory", func(t *testing.T) {
		objs, err := source.Walk([]string{root}, nil)
		if err != nil {
			t.Fatalf("Walk: %v", err)
		}
		want := []string{
			filepath.Join(root, "a.json.gz"),
			filepath.Join(root, "b.json"),
			filepath.Join(root, "notes.txt"),
			filepath.Join(root, "sub", "c.json"),
			filepath.Join(root, "sub", "deeper", "d.json.gz"),
		}
		if got := keys(objs); !slices.Equal(got, want) {
			t.Errorf("keys with symlinks in the tree:\n got %q\nwant %q", got, want)
		}
	})
	t.Run("symlink to a file named directly is read", func(t *testing.T) {
		l := filepath.Join(root, "link.json")
		objs, err := source.Walk([]string{l}, logs)
		if err != nil {
			t.Fatalf("Walk: %v", err)
		}
		if got := keys(objs); !slices.Equal(got, []string{l}) {
			t.Fatalf("keys %q, want [%q]", got, l)
		}
		if got, err := readObject(t, objs[0]); err != nil || string(got) != "b" {
			t.Errorf("read %q, %v; want the target's content %q", got, err, "b")
		}
	})
	t.Run("symlink to a directory named directly is walked", func(t *testing.T) {
		// A watched path is often a symlink (/var/log/cloudtrail -> a mount).
		l := filepath.Join(root, "outside-link")
		objs, err := source.Walk([]string{l}, logs)
		if err != nil {
			t.Fatalf("Walk: %v", err)
		}
		want := []string{filepath.Join(l, "o.json")}
		if got := keys(objs); !slices.Equal(got, want) {
			t.Errorf("keys %q, want %q", got, want)
		}
	})
	t.Run("dangling symlink named directly is an error", func(t *testing.T) {
		l := filepath.Join(root, "dangling.json")
		objs, err := source.Walk([]string{l, filepath.Join(root, "b.json")}, logs)
		if err == nil {
			t.Error("Walk of a dangling symlink returned no error")
		}
		if got := keys(objs); !slices.Equal(got, []string{filepath.Join(root, "b.json")}) {
			t.Errorf("keys %q, want only b.json", got)
		}
	})
}

func TestWalkFS(t *testing.T) {
	mod := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	a := gzipped(t, `{"Records":["a"]}`)
	fsys := fstest.MapFS{
		"top.json.gz":                        {Data: gzipped(t, "top"), ModTime: mod},
		"AWSLogs/1111/2024/01/02/a.json.gz":  {Data: a, ModTime: mod},
		"AWSLogs/1111/2024/01/02/notes.txt":  {Data: []byte("notes")},
		"AWSLogs/1111/2023/12/31/z.json.gz":  {Data: gzipped(t, "z")},
		"AWSLogs/1111/2024/01/02/plain.json": {Data: []byte("plain")},
		"AWSLogs/empty":                      {Mode: fs.ModeDir},
	}
	t.Run("include", func(t *testing.T) {
		objs, err := source.WalkFS(fsys, source.Matcher{"*.json.gz"})
		if err != nil {
			t.Fatalf("WalkFS: %v", err)
		}
		want := []string{
			"AWSLogs/1111/2023/12/31/z.json.gz",
			"AWSLogs/1111/2024/01/02/a.json.gz",
			"top.json.gz",
		}
		if got := keys(objs); !slices.Equal(got, want) {
			t.Fatalf("keys:\n got %q\nwant %q", got, want)
		}
		o := objs[1]
		if o.Size != int64(len(a)) {
			t.Errorf("Size = %d, want %d", o.Size, len(a))
		}
		if !o.ModTime.Equal(mod) {
			t.Errorf("ModTime = %v, want %v", o.ModTime, mod)
		}
		for i, want := range []string{"z", `{"Records":["a"]}`, "top"} {
			got, err := readObject(t, objs[i])
			if err != nil || string(got) != want {
				t.Errorf("%s: read %q, %v; want %q", objs[i].Key, got, err, want)
			}
		}
	})
	t.Run("nil include lists every file and no directory", func(t *testing.T) {
		objs, err := source.WalkFS(fsys, nil)
		if err != nil {
			t.Fatalf("WalkFS: %v", err)
		}
		want := []string{
			"AWSLogs/1111/2023/12/31/z.json.gz",
			"AWSLogs/1111/2024/01/02/a.json.gz",
			"AWSLogs/1111/2024/01/02/notes.txt",
			"AWSLogs/1111/2024/01/02/plain.json",
			"top.json.gz",
		}
		if got := keys(objs); !slices.Equal(got, want) {
			t.Fatalf("keys:\n got %q\nwant %q", got, want)
		}
		if got, err := readObject(t, objs[3]); err != nil || string(got) != "plain" {
			t.Errorf("read %q, %v; want %q", got, err, "plain")
		}
	})
	t.Run("unreadable root is an error", func(t *testing.T) {
		_, err := source.WalkFS(os.DirFS(filepath.Join(t.TempDir(), "missing")), nil)
		if err == nil {
			t.Error("WalkFS over a missing directory returned no error")
		}
	})
}

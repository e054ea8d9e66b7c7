// Package source says where bytes come from: files and directories on disk
// (walked recursively, watched for new files), an fs.FS (the demo's
// embedded scenario), and stdin. An Object is one readable unit; Open
// decompresses gzip transparently, recognised by its magic bytes rather
// than its name, so a mislabelled file is still read right.
//
// Sources only list and open. How far an object has been read is the
// store's checkpoint, written in the same transaction as the findings the
// object produced (package pipeline), so a restart neither skips nor
// re-counts.
package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// StdinKey is the key of the object read from standard input.
const StdinKey = "-"

// Object is one readable unit of input.
type Object struct {
	Key     string    // file path (as given or found), or StdinKey
	Size    int64     // size on disk when listed; -1 when unknown (stdin)
	ModTime time.Time // modification time when listed; zero when unknown
	open    func() (io.ReadCloser, error)
	live    *liveReader // stdin
}

// Info is what an opened object says about itself: the file's size and
// modification time at the moment it was opened (which may differ from
// the listing), and its identity.
type Info struct {
	Size    int64 // -1 when unknown (stdin)
	ModTime time.Time
	// FileID identifies the file (device and inode) where the platform
	// tells; "" otherwise. A file replaced by another of the same name has
	// a new FileID.
	FileID string
}

// Open returns the object's decompressed content. A gzip stream is
// recognised by its magic bytes; anything else is returned as is.
func (o Object) Open() (io.ReadCloser, error) {
	rc, _, err := o.OpenInfo()
	return rc, err
}

// OpenInfo opens the object like Open and says what the opened file is.
func (o Object) OpenInfo() (io.ReadCloser, Info, error) {
	rc, err := o.open()
	if err != nil {
		return nil, Info{}, err
	}
	info := Info{Size: o.Size, ModTime: o.ModTime}
	if st, ok := rc.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil {
			info = Info{Size: fi.Size(), ModTime: fi.ModTime(), FileID: fileID(fi)}
		}
	}
	d, err := Decompress(rc)
	return d, info, err
}

// OnIdle sets f to be called, from the goroutine reading the object, when
// a live stream (stdin) has had no new data for IdleDelay: a reader can
// store what it has so far instead of waiting for more. Other objects
// never call it. nil removes it.
func (o Object) OnIdle(f func()) {
	if o.live != nil {
		o.live.idle = f
	}
}

// Decompress wraps rc in a gzip reader when its content starts with the
// gzip magic bytes. A corrupt gzip header is an error; a stream truncated
// later fails on Read, where the decoder quarantines what is left. The
// buffers are pooled and returned on Close, so reading many small files
// makes little garbage.
func Decompress(rc io.ReadCloser) (io.ReadCloser, error) {
	br := bufPool.Get().(*bufio.Reader)
	br.Reset(rc)
	release := func() { br.Reset(nil); bufPool.Put(br) }
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		release()
		rc.Close()
		return nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, _ := gzPool.Get().(*gzip.Reader)
		if zr == nil {
			zr, err = gzip.NewReader(br)
		} else {
			err = zr.Reset(br)
		}
		if err != nil {
			release()
			rc.Close()
			return nil, fmt.Errorf("%w: %v", ErrBadGzip, err)
		}
		return &readCloser{Reader: zr, close: func() error {
			zr.Close()
			gzPool.Put(zr)
			release()
			return rc.Close()
		}}, nil
	}
	return &readCloser{Reader: br, close: func() error { release(); return rc.Close() }}, nil
}

var (
	bufPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}
	gzPool  sync.Pool // *gzip.Reader
)

// ErrBadGzip marks a file that starts like gzip but whose header is corrupt.
var ErrBadGzip = errors.New("bad gzip header")

type readCloser struct {
	io.Reader
	close  func() error
	closed bool
}

// Close releases the reader; closing twice is harmless (the buffers go
// back to their pools once).
func (r *readCloser) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.Reader = nil
	return r.close()
}

// FileObject describes one file on disk.
func FileObject(p string, fi fs.FileInfo) Object {
	return Object{Key: p, Size: fi.Size(), ModTime: fi.ModTime(), open: func() (io.ReadCloser, error) { return os.Open(p) }}
}

// BytesObject is an object held in memory (a body pushed over HTTP).
// Gzip content is decompressed on Open like a file's.
func BytesObject(key string, b []byte, at time.Time) Object {
	return Object{Key: key, Size: int64(len(b)), ModTime: at, open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}}
}

// Stdin is the object read from r (standard input), which can be opened
// once. Reads return ctx's error as soon as ctx is done, even while r has
// nothing to read: an idle pipe does not keep the process from stopping.
func Stdin(ctx context.Context, r io.Reader) Object {
	l := &liveReader{ctx: ctx, r: r}
	return Object{Key: StdinKey, Size: -1, live: l, open: func() (io.ReadCloser, error) { return l, nil }}
}

// Matcher selects file names by glob patterns on the base name. An empty
// Matcher matches everything.
type Matcher []string

// Match reports whether the base name of p matches one of the patterns.
func (m Matcher) Match(p string) bool {
	if len(m) == 0 {
		return true
	}
	base := path.Base(filepath.ToSlash(p))
	for _, g := range m {
		if ok, _ := path.Match(g, base); ok {
			return true
		}
	}
	return false
}

// Walk lists the files under paths: a file path is taken as it is (the
// user named it), a directory is walked recursively and its files kept when
// include matches their names. Hidden files and directories (".name") are
// skipped inside directories. The result is sorted by key, so files written
// in time order (CloudTrail's layout) are read in time order.
func Walk(paths []string, include Matcher) ([]Object, error) {
	var out []Object
	var errs []error
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !fi.IsDir() {
			out = append(out, FileObject(p, fi))
			continue
		}
		objs, err := walkDir(p, include)
		if err != nil {
			errs = append(errs, err)
		}
		out = append(out, objs...)
	}
	slices.SortFunc(out, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	out = slices.CompactFunc(out, func(a, b Object) bool { return a.Key == b.Key })
	return out, errors.Join(errs...)
}

func walkDir(root string, include Matcher) ([]Object, error) {
	var out []Object
	// WalkDir does not follow a root that is a symlink (it would list
	// nothing); with a trailing separator the link is resolved, and the
	// keys still begin with the path as given.
	start := root
	if fi, err := os.Lstat(root); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		start = root + string(filepath.Separator)
	}
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == start {
				return err
			}
			// A directory that vanished or cannot be read: skip it, keep walking.
			return nil
		}
		name := d.Name()
		if p != start && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() || !include.Match(name) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil // removed since listed
		}
		out = append(out, FileObject(p, fi))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walking %s: %w", root, err)
	}
	return out, nil
}

// WalkFS lists the regular files of fsys matching include, sorted by path.
func WalkFS(fsys fs.FS, include Matcher) ([]Object, error) {
	var out []Object
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !include.Match(p) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, Object{Key: p, Size: fi.Size(), ModTime: fi.ModTime(),
			open: func() (io.ReadCloser, error) { return fsys.Open(p) }})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

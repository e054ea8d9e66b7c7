package intel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// readResult is a list's content, or nil data when the source did not
// change. commit records the source's state once the content is in use;
// commitStat records only the file's size and time (for content that
// failed to load, so that it is not read again until it changes).
type readResult struct {
	data       []byte
	fromCache  bool
	cacheable  bool // fetched: worth keeping at Path
	commit     func()
	commitStat func()
}

func noop() {}

// read returns list i's content if its source changed since the last
// commit (or when loaded is false).
func (s *Set) read(ctx context.Context, i int, cfg ListConfig, loaded bool, now time.Time) (readResult, error) {
	if cfg.URL != "" {
		return s.fetch(ctx, i, cfg, loaded, now)
	}
	return s.readFile(i, cfg.Path, loaded && cfg.Kind != KindTrusted)
}

func (s *Set) readFile(i int, path string, useStat bool) (readResult, error) {
	st := &s.src[i]
	fi, err := os.Stat(path)
	if err != nil {
		return readResult{}, err
	}
	if fi.IsDir() {
		return readResult{}, fmt.Errorf("%s is a directory", path)
	}
	if useStat && st.statOK && fi.Size() == st.size && fi.ModTime().Equal(st.mod) {
		return readResult{}, nil
	}
	if fi.Size() > s.opts.MaxSize {
		return readResult{}, fmt.Errorf("%s: %d bytes, more than the %d allowed", path, fi.Size(), s.opts.MaxSize)
	}
	data, err := readLimited(path, s.opts.MaxSize)
	if err != nil {
		return readResult{}, err
	}
	if len(data) == 0 {
		data = []byte{} // not nil: nil means unchanged
	}
	c := func() { st.statOK, st.size, st.mod = true, fi.Size(), fi.ModTime() }
	return readResult{data: data, commit: c, commitStat: c}, nil
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: more than the %d bytes allowed", path, limit)
	}
	return data, nil
}

// fetch gets a URL list when it is due (every Refresh), conditionally on
// its ETag or Last-Modified. When a list was never loaded and the fetch
// fails, the last good copy at Path is read instead.
func (s *Set) fetch(ctx context.Context, i int, cfg ListConfig, loaded bool, now time.Time) (readResult, error) {
	st := &s.src[i]
	if loaded && !st.fetched.IsZero() && now.Sub(st.fetched) < cfg.Refresh {
		return readResult{}, nil
	}
	st.fetched = now
	data, etag, lastMod, err := s.get(ctx, cfg.URL, loaded, st)
	if err == nil && data == nil {
		return readResult{}, nil // 304 Not Modified
	}
	if err != nil {
		if loaded || cfg.Path == "" {
			return readResult{}, err
		}
		cached, cerr := readLimited(cfg.Path, s.opts.MaxSize)
		if cerr != nil {
			if errors.Is(cerr, os.ErrNotExist) {
				return readResult{}, err
			}
			return readResult{}, errors.Join(err, cerr)
		}
		s.log.Warn("intel list fetch failed; using the last good copy", "list", cfg.Name, "url", cfg.URL,
			"path", cfg.Path, "err", err)
		// Fetch again at the next reload rather than after Refresh.
		st.fetched = time.Time{}
		return readResult{data: cached, fromCache: true, commit: noop, commitStat: noop}, nil
	}
	commit := func() { st.etag, st.lastMod = etag, lastMod }
	return readResult{data: data, cacheable: cfg.Path != "", commit: commit, commitStat: noop}, nil
}

// maxRedirects is Go's default limit, kept when the client has no
// CheckRedirect of its own.
const maxRedirects = 10

// refuseDowngrade wraps a redirect policy (nil: Go's default, at most 10
// redirects) so that a redirect from https to anything but https fails.
// A list fetched over https must not end up fetched over plain http, where
// anyone on the path can change it: widen a trusted list to hide their
// activity, or empty a threat list.
func refuseDowngrade(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" {
			for _, v := range via {
				if v.URL.Scheme == "https" {
					return fmt.Errorf("redirect from %s to %s refused: a list fetched over https must not be fetched over %s",
						v.URL.Redacted(), req.URL.Redacted(), req.URL.Scheme)
				}
			}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		return nil
	}
}

func (s *Set) get(ctx context.Context, url string, conditional bool, st *sourceState) (data []byte, etag, lastMod string, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", "", err
	}
	req.Header.Set("User-Agent", "picket-intel")
	if conditional {
		if st.etag != "" {
			req.Header.Set("If-None-Match", st.etag)
		}
		if st.lastMod != "" {
			req.Header.Set("If-Modified-Since", st.lastMod)
		}
	}
	resp, err := s.opts.Client.Do(req)
	if err != nil {
		return nil, "", "", err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && conditional:
		return nil, "", "", nil
	case resp.StatusCode != http.StatusOK:
		return nil, "", "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	data, err = io.ReadAll(io.LimitReader(resp.Body, s.opts.MaxSize+1))
	if err != nil {
		return nil, "", "", fmt.Errorf("GET %s: %w", url, err)
	}
	if int64(len(data)) > s.opts.MaxSize {
		return nil, "", "", fmt.Errorf("GET %s: more than the %d bytes allowed", url, s.opts.MaxSize)
	}
	if data == nil {
		data = []byte{}
	}
	return data, resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"), nil
}

// writeCache keeps a fetched list's content at its Path (atomically), so
// that it is used when the URL cannot be fetched at the next start.
func (s *Set) writeCache(cfg ListConfig, data []byte) {
	err := func() error {
		dir := filepath.Dir(cfg.Path)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		f, err := os.CreateTemp(dir, "."+filepath.Base(cfg.Path)+".*")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		if _, err := f.Write(data); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		return os.Rename(f.Name(), cfg.Path)
	}()
	if err != nil {
		s.log.Warn("intel list: cannot keep the last good copy", "list", cfg.Name, "path", cfg.Path, "err", err)
	}
}

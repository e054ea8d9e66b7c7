package source

import (
	"time"
)

// Poller watches files under a set of paths by listing them periodically.
// Polling, rather than inotify, works on every file system (network mounts,
// bind mounts into containers) and costs one directory walk per interval,
// which is small next to reading the logs.
//
// A file is ready once its size and modification time have stayed the same
// for Settle, so a file still being written is not read half-way. Poll
// returns each ready version of a file once; whether it still needs reading
// is the checkpoint's business (package pipeline).
type Poller struct {
	Paths   []string
	Include Matcher
	Settle  time.Duration
	Now     func() time.Time // nil means time.Now

	seen      map[string]seenFile
	delivered map[string]seenFile
}

type seenFile struct {
	size  int64
	mod   time.Time
	since time.Time // first poll that saw this size and mtime
}

// Poll lists the files and returns those that became ready since the last
// call, sorted by key. Listing errors (a path removed) are returned along
// with what could be listed.
func (p *Poller) Poll() ([]Object, error) {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	t := now()
	if p.seen == nil {
		p.seen, p.delivered = map[string]seenFile{}, map[string]seenFile{}
	}
	objs, err := Walk(p.Paths, p.Include)
	present := make(map[string]bool, len(objs))
	var ready []Object
	for _, o := range objs {
		present[o.Key] = true
		s, ok := p.seen[o.Key]
		if !ok || s.size != o.Size || !s.mod.Equal(o.ModTime) {
			s = seenFile{size: o.Size, mod: o.ModTime, since: t}
			p.seen[o.Key] = s
		}
		if t.Sub(s.since) < p.Settle {
			continue
		}
		if d, ok := p.delivered[o.Key]; ok && d.size == s.size && d.mod.Equal(s.mod) {
			continue
		}
		p.delivered[o.Key] = s
		ready = append(ready, o)
	}
	for k := range p.seen {
		if !present[k] {
			delete(p.seen, k)
			delete(p.delivered, k)
		}
	}
	return ready, err
}

// Forget makes the next Poll return key again once it is ready, for an
// object whose processing failed and should be retried.
func (p *Poller) Forget(key string) { delete(p.delivered, key) }

package receiver

import (
	"sync"
	"time"
)

// entryState is where a remembered request stands.
type entryState uint8

const (
	statePending entryState = iota + 1 // being processed
	stateDone                          // answered; status and msg hold the answer
)

// beginResult is the outcome of seenCache.begin.
type beginResult uint8

const (
	beginNew     beginResult = iota // key reserved as pending: go ahead
	beginPending                    // another request with the key is in progress
	beginDone                       // the key was completed; entry holds the answer
	beginFull                       // the cache is full of live keys (failClosed only)
)

type cacheEntry struct {
	expires time.Time
	state   entryState
	status  int
	msg     string
	gen     uint64
}

type queued struct {
	key     string
	expires time.Time
	gen     uint64
}

// seenCache remembers keys (request signatures, Firehose request ids) until
// they expire, bounded to max live entries. Expired entries are evicted
// lazily, oldest first. When the cache is full of live entries a failClosed
// cache refuses new keys (so a replay can never slip through because its
// first copy was evicted); otherwise the oldest entry is dropped (losing
// only idempotency for a very old request).
type seenCache struct {
	mu         sync.Mutex
	max        int
	failClosed bool
	m          map[string]*cacheEntry
	q          []queued // insertion order, with stale items skipped lazily
	gen        uint64
}

func newSeenCache(max int, failClosed bool) *seenCache {
	return &seenCache{max: max, failClosed: failClosed, m: make(map[string]*cacheEntry)}
}

// begin reserves key as pending until expires, unless it is already known
// and live. For beginDone, the returned entry copy holds the stored answer.
func (c *seenCache) begin(key string, now, expires time.Time) (beginResult, cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		if now.Before(e.expires) {
			if e.state == stateDone {
				return beginDone, *e
			}
			return beginPending, *e
		}
		delete(c.m, key)
	}
	c.purge(now, false)
	if len(c.m) >= c.max {
		c.purge(now, true)
	}
	if len(c.m) >= c.max {
		if c.failClosed {
			return beginFull, cacheEntry{}
		}
		c.evictOldest()
	}
	c.put(key, &cacheEntry{expires: expires, state: statePending})
	return beginNew, cacheEntry{}
}

// complete stores the answer for key, keeping it until expires.
func (c *seenCache) complete(key string, expires time.Time, status int, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.put(key, &cacheEntry{expires: expires, state: stateDone, status: status, msg: msg})
}

// release forgets key, so that a retry of a failed request is processed.
func (c *seenCache) release(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}

// len returns the number of entries held, expired ones not yet evicted
// included.
func (c *seenCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

func (c *seenCache) put(key string, e *cacheEntry) {
	c.gen++
	e.gen = c.gen
	c.m[key] = e
	c.q = append(c.q, queued{key: key, expires: e.expires, gen: e.gen})
	if len(c.q) > 2*c.max+16 {
		c.compact()
	}
}

// purge drops expired entries from the front of the queue; with all, it
// scans the whole cache (expiries are not strictly in insertion order).
func (c *seenCache) purge(now time.Time, all bool) {
	for len(c.q) > 0 {
		h := c.q[0]
		if e, ok := c.m[h.key]; ok && e.gen == h.gen {
			if now.Before(e.expires) {
				break
			}
			delete(c.m, h.key)
		}
		c.q[0] = queued{}
		c.q = c.q[1:]
	}
	if all {
		for k, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, k)
			}
		}
		c.compact()
	}
}

// evictOldest drops the oldest live entry.
func (c *seenCache) evictOldest() {
	for len(c.q) > 0 {
		h := c.q[0]
		c.q[0] = queued{}
		c.q = c.q[1:]
		if e, ok := c.m[h.key]; ok && e.gen == h.gen {
			delete(c.m, h.key)
			return
		}
	}
}

// compact rebuilds the queue from the live entries, in insertion order.
func (c *seenCache) compact() {
	q := make([]queued, 0, len(c.m)+16)
	for _, h := range c.q {
		if e, ok := c.m[h.key]; ok && e.gen == h.gen {
			q = append(q, h)
		}
	}
	c.q = q
}

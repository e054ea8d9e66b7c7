package slackbot

import (
	"sync"
	"time"
)

// The bot's memories of messages and pending archives. They are only
// memories: after a restart the bot still handles every click, but a
// modal submitted afterwards cannot rewrite its message (the submission
// does not carry the message), and the status line no longer mentions an
// archive pending from before.
const (
	maxCachedMessages = 2000
	messageTTL        = 24 * time.Hour
)

// ttlMap is a bounded map whose entries expire; when full, the oldest
// entry goes.
type ttlMap[K comparable, V any] struct {
	mu  sync.Mutex
	max int
	ttl time.Duration
	m   map[K]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v  V
	at time.Time
}

func newTTLMap[K comparable, V any](max int, ttl time.Duration) *ttlMap[K, V] {
	return &ttlMap[K, V]{max: max, ttl: ttl, m: make(map[K]ttlEntry[V])}
}

func (c *ttlMap[K, V]) get(k K, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.Sub(e.at) > c.ttl {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *ttlMap[K, V]) put(k K, v V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(k, v, now)
}

func (c *ttlMap[K, V]) putLocked(k K, v V, now time.Time) {
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		var oldest K
		var oldestAt time.Time
		found := false
		for key, e := range c.m {
			if now.Sub(e.at) > c.ttl {
				delete(c.m, key)
				continue
			}
			if !found || e.at.Before(oldestAt) {
				oldest, oldestAt, found = key, e.at, true
			}
		}
		if len(c.m) >= c.max && found {
			delete(c.m, oldest)
		}
	}
	c.m[k] = ttlEntry[V]{v, now}
}

// update applies f to k's value (the zero value when absent or expired)
// and stores the result, atomically.
func (c *ttlMap[K, V]) update(k K, now time.Time, f func(V) V) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	var v V
	if e, ok := c.m[k]; ok && now.Sub(e.at) <= c.ttl {
		v = e.v
	}
	v = f(v)
	c.putLocked(k, v, now)
	return v
}

// messageCache remembers the alert messages seen in clicks (and their
// rewrites), so that a modal's submission or a slash command can rewrite
// them: by message, and each alert's latest message.
type messageCache struct {
	byRef   *ttlMap[msgRef, message]
	byAlert *ttlMap[string, msgRef]
}

func newMessageCache(max int, ttl time.Duration) *messageCache {
	return &messageCache{byRef: newTTLMap[msgRef, message](max, ttl), byAlert: newTTLMap[string, msgRef](max, ttl)}
}

func (c *messageCache) put(alertID string, ref msgRef, m message, now time.Time) {
	c.byRef.put(ref, m, now)
	c.byAlert.put(alertID, ref, now)
}

// lookup returns the message at ref, or the alert's latest message when
// ref is empty.
func (c *messageCache) lookup(alertID string, ref msgRef, now time.Time) (msgRef, message, bool) {
	if ref == (msgRef{}) {
		var ok bool
		if ref, ok = c.byAlert.get(alertID, now); !ok {
			return msgRef{}, message{}, false
		}
	}
	m, ok := c.byRef.get(ref, now)
	return ref, m, ok
}

// alertNotes remembers notes by alert ID.
type alertNotes = ttlMap[string, notes]

func newAlertNotes(max int) *alertNotes { return newTTLMap[string, notes](max, messageTTL) }

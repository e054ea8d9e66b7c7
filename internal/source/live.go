package source

import (
	"context"
	"io"
	"time"
)

// IdleDelay is how long a live stream must be quiet before OnIdle's
// function is called.
const IdleDelay = 250 * time.Millisecond

// liveReader reads a stream that may pause for a long time (stdin from
// `tail -F`) in a goroutine of its own, so that a Read can give up when
// the context is done and can report pauses (OnIdle).
type liveReader struct {
	ctx  context.Context
	r    io.Reader
	idle func()

	ch      chan chunk
	cur     []byte
	err     error
	started bool
}

type chunk struct {
	b   []byte
	err error
}

func (l *liveReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(l.cur) == 0 && l.err == nil {
		l.next()
	}
	if len(l.cur) > 0 {
		n := copy(p, l.cur)
		l.cur = l.cur[n:]
		return n, nil
	}
	return 0, l.err
}

// next waits for the next chunk, calling idle while the stream is quiet.
func (l *liveReader) next() {
	if !l.started {
		l.started = true
		l.ch = make(chan chunk, 1)
		go l.pump()
	}
	var quiet <-chan time.Time
	if l.idle != nil {
		t := time.NewTimer(IdleDelay)
		defer t.Stop()
		quiet = t.C
	}
	for {
		select {
		case c := <-l.ch:
			l.cur, l.err = c.b, c.err
			return
		case <-l.ctx.Done():
			l.err = l.ctx.Err()
			return
		case <-quiet:
			quiet = nil // once per pause
			if l.idle != nil {
				l.idle()
			}
		}
	}
}

// pump reads the stream into the channel until it fails or ends. It may
// stay blocked in Read after the context is done: only the end of the
// stream (or of the process) releases it.
func (l *liveReader) pump() {
	for {
		b := make([]byte, 64<<10)
		n, err := l.r.Read(b)
		if n == 0 && err == nil {
			continue
		}
		select {
		case l.ch <- chunk{b[:n], err}:
		case <-l.ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

func (l *liveReader) Close() error { return nil }

// Package stdout writes notifications as JSON lines to a writer: for
// local runs (picket demo, trying routing rules) and tests. Each line is
// a Line: the target's name and the message as the dispatcher passed it.
package stdout

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/picket-dev/picket/internal/notify"
)

// Line is one written line.
type Line struct {
	Target  string         `json:"target,omitempty"` // Target.Name
	Message notify.Message `json:"message"`
}

// Notifier writes to w. It is safe for concurrent use: each line is
// written whole, with one Write call.
type Notifier struct {
	mu sync.Mutex
	w  io.Writer
}

// New returns a notifier writing to w.
func New(w io.Writer) *Notifier { return &Notifier{w: w} }

var _ notify.Notifier = (*Notifier)(nil)

// Send writes m as one JSON line. A write error is returned as is, which
// the dispatcher counts as retryable (a full disk may clear).
func (n *Notifier) Send(ctx context.Context, t notify.Target, m notify.Message) (notify.Result, error) {
	if err := ctx.Err(); err != nil {
		return notify.Result{}, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // Encode ends the line with \n
	enc.SetEscapeHTML(false)
	if err := enc.Encode(Line{Target: t.Name, Message: m}); err != nil {
		return notify.Result{}, &notify.Error{Err: fmt.Errorf("stdout: encoding message: %w", err)}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, err := n.w.Write(buf.Bytes()); err != nil {
		return notify.Result{}, fmt.Errorf("stdout: writing: %w", err)
	}
	return notify.Result{}, nil
}

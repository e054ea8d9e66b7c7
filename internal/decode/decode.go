// Package decode turns bytes into normalized events. Each format lives in its
// own subpackage (decode/cloudtrail, …) and is listed in an explicit
// Registry. A bad record never stops a stream: it is handed to the
// Handler's Quarantine with its origin and a reason, and decoding goes on.
package decode

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/picket-dev/picket/internal/event"
)

// Handler receives what a decoder produces, in stream order.
type Handler interface {
	// Event receives one decoded event. The event (and everything it points
	// to) is only valid during the call. Returning an error stops decoding.
	Event(e *event.Event) error
	// Quarantine receives one bad record. Sample borrows the decoder's
	// buffer and is only valid during the call.
	Quarantine(b Bad) error
}

// Bad is a record that could not be decoded.
type Bad struct {
	Origin event.Origin
	Reason string
	Sample []byte
	// Tail says the stream ended (or failed) inside this record, so nothing
	// follows it: a file read while it was being written, a truncated gzip
	// stream. Read again later, the record may be whole.
	Tail bool
	// Err is the error behind Reason when there is one, so a handler can
	// tell bad data from a failing device (an *fs.PathError from the file).
	Err error
}

// Options control one Decode call.
type Options struct {
	// Origin names the stream (Source, Path); Index, Offset and Line are
	// filled per record.
	Origin event.Origin
	// Start is the first record index to deliver: earlier records are split
	// but not parsed (resuming from a checkpoint).
	Start int64
	// MaxRecordBytes bounds one record; larger ones are quarantined.
	// 0 means jsonstream.DefaultMaxRecord.
	MaxRecordBytes int
	// Params are the source's format options from the config
	// (sources[].format_options), which only the format's decoder reads —
	// e.g. vpcflow's "fields" for CloudWatch Logs delivery, which has no
	// header line. A decoder that takes params implements ParamChecker.
	Params map[string]string
}

// ParamChecker is implemented by decoders that take format options, so
// that a config with wrong ones fails check-config instead of every read.
type ParamChecker interface {
	// CheckParams reports what is wrong with params, or nil.
	CheckParams(params map[string]string) error
}

// Stats count what one Decode call saw.
type Stats struct {
	Records     int64 // record slots consumed, bad ones included: the next record index
	Events      int64 // events delivered
	Quarantined int64 // bad records
	Skipped     int64 // records deliberately ignored (e.g. digest files), or before Start
	Bytes       int64 // decompressed bytes consumed
}

// Decoder decodes one stream at a time. A Decoder keeps reusable buffers and
// is not safe for concurrent use: make one per goroutine with a Factory.
type Decoder interface {
	// Decode reads r to the end, calling h for every record. It returns
	// early only when h returns an error or ctx is done.
	Decode(ctx context.Context, r io.Reader, o Options, h Handler) (Stats, error)
}

// Factory makes a new Decoder.
type Factory func() Decoder

// Registry maps format names to decoder factories.
type Registry struct{ m map[string]Factory }

// NewRegistry builds a registry; a duplicate or empty name is an error.
func NewRegistry(entries map[string]Factory) (*Registry, error) {
	r := &Registry{m: make(map[string]Factory, len(entries))}
	for name, f := range entries {
		if name == "" || f == nil {
			return nil, fmt.Errorf("decoder registry: empty name or nil factory")
		}
		r.m[name] = f
	}
	return r, nil
}

// New makes a decoder for a format.
func (r *Registry) New(format string) (Decoder, error) {
	f, ok := r.m[format]
	if !ok {
		return nil, fmt.Errorf("unknown format %q (known: %v)", format, r.Formats())
	}
	return f(), nil
}

// Has reports whether a format is registered.
func (r *Registry) Has(format string) bool { _, ok := r.m[format]; return ok }

// Formats lists the registered formats, sorted.
func (r *Registry) Formats() []string {
	out := make([]string, 0, len(r.m))
	for k := range r.m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

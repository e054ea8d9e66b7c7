package cloudtrail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"unsafe"

	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/jsonstream"
)

// The whole-file path. CloudTrail's S3 log files ({"Records":[…]}) are
// parsed in one fastjson call instead of being split into records first
// and parsed record by record: splitting scans every byte once more, which
// cost a quarter of decoding. The record boundaries that evidence and
// quarantine need (offset, line, the record's bytes) come from the parsed
// DOM: fastjson keeps object keys as slices of its copy of the input, so
// the first key of each record locates the record in the file. Every such
// position is checked against the bytes; a file that fails to parse, or
// any check, is decoded by the streaming path instead, which quarantines
// bad records one by one. Both paths deliver the same events with the same
// origins (a differential test holds them to it).

// wholeMax bounds the files decoded in one piece; larger ones stream. The
// parsed DOM takes about eight times the bytes of the file, and the parser
// keeps it for the next file.
const wholeMax = 4 << 20

var containers = []string{"Records", "Events"}

// readWhole reads the start of r. When r holds a container file of at most
// wholeMax bytes, it returns all of it and whole is true. Otherwise rest
// replays what was read followed by the remainder of r (or the read error),
// for the streaming path.
func (d *Decoder) readWhole(r io.Reader) (buf []byte, rest io.Reader, whole bool) {
	b := d.whole[:0]
	b, err := readAtLeast(r, b, jsonstream.ContainerLookahead)
	lead := jsonstream.SkipSpace(b)
	if err == nil && jsonstream.ContainerStart(b[lead:], containers...) > 0 {
		b, err = readAtLeast(r, b, wholeMax+1)
	}
	d.whole = b
	switch {
	case err == io.EOF && len(b) <= wholeMax && jsonstream.ContainerStart(b[lead:], containers...) > 0:
		return b, nil, true
	case err == io.EOF:
		return nil, bytes.NewReader(b), false
	case err != nil:
		return nil, io.MultiReader(bytes.NewReader(b), errReader{err}), false
	}
	return nil, io.MultiReader(bytes.NewReader(b), r), false
}

// readAtLeast appends from r to b until b holds n bytes or r fails
// (io.EOF at its end).
func readAtLeast(r io.Reader, b []byte, n int) ([]byte, error) {
	for len(b) < n {
		if len(b) == cap(b) {
			b = append(b, make([]byte, min(max(cap(b), 64<<10), wholeMax))...)[:len(b)]
		}
		m, err := r.Read(b[len(b):min(cap(b), n)])
		b = b[:len(b)+m]
		if err != nil {
			return b, err
		}
		if m == 0 {
			return b, io.ErrNoProgress
		}
	}
	return b, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// errFallback says the whole-file path cannot take this file.
var errFallback = errors.New("use the streaming path")

// decodeWhole decodes a container file held in buf. It returns errFallback,
// having delivered nothing, when the file must be streamed instead.
func (d *Decoder) decodeWhole(ctx context.Context, buf []byte, o decode.Options, h decode.Handler) (decode.Stats, error) {
	var st decode.Stats
	root, err := d.p.ParseBytes(buf)
	if err != nil {
		return st, errFallback
	}
	items, ok := d.locate(buf, root, o.MaxRecordBytes)
	if !ok {
		return st, errFallback
	}
	st.Bytes = int64(len(buf))
	line, linePos := int64(1), 0
	for i, it := range items {
		if i&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return st, err
			}
		}
		st.Records = int64(i) + 1
		if int64(i) < o.Start {
			st.Skipped++
			continue
		}
		start, end := d.spans[2*i], d.spans[2*i+1]
		line += int64(bytes.Count(buf[linePos:start], []byte{'\n'}))
		linePos = start
		origin := o.Origin
		origin.Index, origin.Offset, origin.Line = int64(i), int64(start), line
		raw := buf[start:end]
		d.ev.Reset()
		d.ev.RawBytes = raw
		err := d.fill(it, 0)
		switch {
		case err == errSkip:
			st.Skipped++
		case err != nil:
			st.Quarantined++
			if err := h.Quarantine(decode.Bad{Origin: origin, Reason: err.Error(), Sample: raw}); err != nil {
				return st, err
			}
		default:
			d.ev.Origin = origin
			st.Events++
			if err := h.Event(&d.ev); err != nil {
				return st, err
			}
		}
	}
	return st, nil
}

// locate finds the container's records in the parsed root and each
// record's [start, end) in buf (into d.spans). It reports false when
// anything does not add up.
func (d *Decoder) locate(buf []byte, root *fastjson.Value, maxRecord int) ([]*fastjson.Value, bool) {
	if maxRecord <= 0 {
		maxRecord = jsonstream.DefaultMaxRecord
	}
	obj, err := root.Object()
	if err != nil {
		return nil, false
	}
	key, arr := firstKey(obj)
	if arr == nil || arr.Type() != fastjson.TypeArray {
		return nil, false
	}
	// Where the root's first key is in buf gives the address of buf's
	// bytes in fastjson's copy: '{', spaces, '"', key.
	lead := jsonstream.SkipSpace(buf)
	keyAt := lead + 1 + jsonstream.SkipSpace(buf[lead+1:]) + 1
	base := addr(key) - uintptr(keyAt)
	if keyAt+len(containers[0]) > len(buf) || !bytes.HasPrefix(buf[keyAt:], key) {
		return nil, false
	}
	items, _ := arr.Array()
	d.spans = d.spans[:0]
	prevEnd := keyAt
	for _, it := range items {
		o, err := it.Object()
		if err != nil {
			return nil, false
		}
		k, _ := firstKey(o)
		if k == nil {
			return nil, false // an empty object has nothing to locate it by
		}
		off := int(addr(k) - base)
		if off <= prevEnd || off > len(buf) || buf[off-1] != '"' {
			return nil, false
		}
		start := off - 2
		for start > prevEnd && isSpace(buf[start]) {
			start--
		}
		if buf[start] != '{' {
			return nil, false
		}
		d.spans = append(d.spans, start, 0)
		prevEnd = start
	}
	// A record ends at the '}' before the separator that precedes the next
	// one; the last one where its value ends.
	for i := 0; i < len(items); i++ {
		start := d.spans[2*i]
		var end int
		if i+1 < len(items) {
			j := d.spans[2*i+2] - 1
			for j > start && (isSpace(buf[j]) || buf[j] == ',') {
				j--
			}
			if buf[j] != '}' {
				return nil, false
			}
			end = j + 1
		} else {
			n := jsonstream.ValueLen(buf[start:])
			if n < 0 {
				return nil, false
			}
			end = start + n
		}
		if end-start > maxRecord {
			return nil, false // the streaming path quarantines it
		}
		d.spans[2*i+1] = end
	}
	return items, true
}

// firstKey returns an object's first key and value (nil when empty).
func firstKey(o *fastjson.Object) (k []byte, v *fastjson.Value) {
	o.Visit(func(key []byte, val *fastjson.Value) {
		if k == nil {
			k, v = key, val
		}
	})
	return k, v
}

// addr is the address of b's first byte.
func addr(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

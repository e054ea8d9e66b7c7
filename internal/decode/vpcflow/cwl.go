package vpcflow

import (
	"fmt"
	"io"
	"time"

	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/jsonstream"
	"github.com/picket-dev/picket/internal/event"
)

// prefixReader reads b, then r (or the error r already failed with).
type prefixReader struct {
	b   []byte
	r   io.Reader
	err error
}

func (p *prefixReader) Read(q []byte) (int, error) {
	if len(p.b) > 0 {
		n := copy(q, p.b)
		p.b = p.b[n:]
		return n, nil
	}
	if p.err != nil {
		return 0, p.err
	}
	return p.r.Read(q)
}

// decodeJSON reads CloudWatch Logs JSON: subscription payloads (each log
// event is a record), or log events on their own. The bytes the peek read
// are in the line reader's buffer and are read again from there.
func (d *Decoder) decodeJSON(s *stream) error {
	d.pre = prefixReader{b: d.lr.buf[:d.lr.end], r: d.lr.r, err: d.lr.rerr}
	if d.sc == nil || d.scMax != s.max {
		// "events": filter-log-events and get-log-events output.
		d.sc = jsonstream.NewScanner(&d.pre, s.max, "events", "logEvents")
		d.scMax = s.max
	} else {
		d.sc.Reset(&d.pre)
	}
	defer func() { s.st.Bytes = d.sc.Offset() }()
	checked := int64(-1)
	for {
		if s.st.Records-checked >= 1024 || checked < 0 {
			checked = s.st.Records
			if err := s.ctx.Err(); err != nil {
				return err
			}
		}
		it, err := d.sc.Next()
		if err == io.EOF {
			return nil
		}
		origin := s.o.Origin
		origin.Offset, origin.Line = it.Offset, it.Line
		if it.Err != nil {
			if s.take(&origin) {
				if err := s.quarantine(decode.Bad{Origin: origin, Reason: it.Err.Error(), Sample: it.Bytes, Err: it.Err, Tail: it.Tail}); err != nil {
					return err
				}
			}
			continue
		}
		if err := d.payload(s, it.Bytes, origin); err != nil {
			return err
		}
	}
}

// take takes the next record index into origin. It reports false for
// records before Start, which it counts as skipped.
func (s *stream) take(origin *event.Origin) bool {
	idx := s.st.Records
	s.st.Records++
	if idx < s.o.Start {
		s.st.Skipped++
		return false
	}
	origin.Index = idx
	return true
}

// payload decodes one JSON value: a subscription payload or a log event.
func (d *Decoder) payload(s *stream, b []byte, origin event.Origin) error {
	v, err := d.p.ParseBytes(b)
	var reason string
	switch {
	case err != nil:
		reason = "malformed JSON: " + truncate(err.Error(), 200)
	case v.Type() != fastjson.TypeObject:
		reason = fmt.Sprintf("not a CloudWatch Logs message: expected a JSON object, got %s", v.Type())
	case v.Exists("logEvents"):
		if mt := v.Get("messageType"); mt != nil && mt.Type() == fastjson.TypeString && string(mt.GetStringBytes()) == "CONTROL_MESSAGE" {
			// CloudWatch Logs checking that the destination is reachable:
			// one record slot, skipped.
			if s.take(&origin) {
				s.st.Skipped++
			}
			return nil
		}
		le := v.Get("logEvents")
		if le.Type() != fastjson.TypeArray {
			reason = fmt.Sprintf("field logEvents: expected an array, got %s", le.Type())
			break
		}
		var owner string
		if ov := v.Get("owner"); ov != nil && ov.Type() == fastjson.TypeString {
			owner = event.B2S(ov.GetStringBytes())
		}
		arr, _ := le.Array()
		for i, lev := range arr {
			if s.st.Records&1023 == 0 {
				if err := s.ctx.Err(); err != nil {
					return err
				}
			}
			if !s.take(&origin) {
				continue
			}
			if err := d.logEvent(s, lev, owner, origin, i); err != nil {
				return err
			}
		}
		return nil
	case v.Exists("message"):
		if !s.take(&origin) {
			return nil
		}
		return d.logEvent(s, v, "", origin, -1)
	default:
		reason = "not a CloudWatch Logs message: no logEvents (subscription payload) or message (log event)"
	}
	if !s.take(&origin) {
		return nil
	}
	return s.quarantine(decode.Bad{Origin: origin, Reason: reason, Sample: b})
}

// logEvent decodes one log event {"timestamp": ms, "message": record}, the
// i-th of its payload (-1: a log event on its own).
func (d *Decoder) logEvent(s *stream, v *fastjson.Value, owner string, origin event.Origin, i int) error {
	if v.Type() != fastjson.TypeObject {
		return s.quarantine(decode.Bad{Origin: origin, Reason: where(i) + fmt.Sprintf("expected an object, got %s", v.Type()), Sample: v.MarshalTo(nil)})
	}
	m := v.Get("message")
	if m == nil || m.Type() != fastjson.TypeString {
		return s.quarantine(decode.Bad{Origin: origin, Reason: where(i) + "no message string", Sample: v.MarshalTo(nil)})
	}
	var at time.Time
	if ts := v.Get("timestamp"); ts != nil && ts.Type() == fastjson.TypeNumber {
		if ms, err := ts.Int64(); err == nil && ms > 0 && ms/1000 <= maxUnix {
			at = time.UnixMilli(ms).UTC()
		}
	}
	return d.record(s, trimSpace(m.GetStringBytes()), s.lay, true, origin, owner, at, i)
}

// where names a log event in reasons.
func where(i int) string {
	if i < 0 {
		return "log event: "
	}
	return fmt.Sprintf("logEvents[%d]: ", i)
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r' || b[len(b)-1] == '\n') {
		b = b[:len(b)-1]
	}
	return b
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Package vpcflow decodes Amazon VPC Flow Logs into events of kind
// event.KindVPCFlow (the flow in Event.Net).
//
// Supported input (plain text; the caller has already decompressed .gz):
//
//   - Text records, one per line, fields separated by spaces: the default
//     version 2 format, or any custom field list (versions 2 to 10). S3
//     delivery starts every file with a header line naming the fields,
//     which is compiled and used for the file (it wins over the option
//     below); without one (CloudWatch Logs exports, raw lines) the list
//     comes from the source's format option "fields", else the default
//     format applies. Unknown names in a header are accepted and their
//     values ignored (they stay in RawBytes). A header-like line after the
//     first line is a bad record. CRLF line endings, a byte order mark,
//     blank lines and runs of spaces are tolerated.
//   - CloudWatch Logs subscription payloads as JSON ({"messageType":
//     "DATA_MESSAGE", "owner": …, "logEvents": [{"message": "2 123… eni-…"},
//     …]}), concatenated or one per line as Firehose and exports write them;
//     each log event's message is one record, in the "fields" option's
//     format or the default one. CONTROL_MESSAGE payloads are skipped. Log
//     events on their own ({"timestamp": …, "message": …}, as in
//     filter-log-events or get-log-events output) are read too. A stream is
//     JSON when its first byte that is not white space is '{' or '['.
//
// NODATA and SKIPDATA records are events (Net.LogStatus says which), and "-"
// leaves a field zero. Event.Time is the flow's start (else its end, else
// the log event's timestamp). Event.Account is account-id, else (also when
// it is "unknown", as for interfaces AWS services create) the subscription
// payload's owner or the account in the S3 key; Event.Region is the region
// field, else the region in the S3 key
// (AWSLogs/<account>/vpcflowlogs/<region>/…, Hive-style aws-region=…, or
// the file name). Event.Action is
// empty: flows are not API calls. RawBytes is the record's line without its
// line ending, or the log event's message.
//
// Records are lines: Origin.Index counts records (the header and blank
// lines are not records), Offset and Line locate the line. For JSON, every
// log event is a record, located at its payload object. A bad record is
// quarantined with a reason naming the field, and decoding goes on. A last
// line without a newline that has too few fields, or whose last field is
// bad, may be still being written: it is quarantined with Tail set.
//
// The text path does not allocate per record: lines are found in a reused
// buffer, the field list is compiled once per header into a position →
// field kind table, numbers, IPv4 addresses and field ends are read eight
// or sixteen bytes at a time, and the event's strings borrow the buffer
// (see package event).
package vpcflow

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/jsonstream"
	"github.com/picket-dev/picket/internal/event"
)

// Format is the registry name of this decoder.
const Format = "vpcflow"

// Decoder decodes VPC Flow Log streams. Not safe for concurrent use.
type Decoder struct {
	lr     lineReader
	ev     event.Event
	header *layout // the last header compiled (reused when the next file has the same)
	params *layout // the last "fields" option compiled

	// JSON (CloudWatch Logs) input.
	sc    *jsonstream.Scanner
	scMax int
	pre   prefixReader
	p     fastjson.Parser
}

// New returns a VPC Flow Logs decoder.
func New() decode.Decoder { return &Decoder{} }

var _ decode.ParamChecker = (*Decoder)(nil)

// stream is the state of one Decode call.
type stream struct {
	ctx  context.Context
	o    *decode.Options
	h    decode.Handler
	st   *decode.Stats
	max  int
	lay  *layout // layout for records without a header
	meta pathMeta
}

// Decode implements decode.Decoder.
func (d *Decoder) Decode(ctx context.Context, r io.Reader, o decode.Options, h decode.Handler) (st decode.Stats, err error) {
	s := stream{ctx: ctx, o: &o, h: h, st: &st, max: o.MaxRecordBytes}
	if s.max <= 0 {
		s.max = jsonstream.DefaultMaxRecord
	}
	if err := ctx.Err(); err != nil {
		return st, err
	}
	s.lay = d.paramsLayout(o.Params)
	s.meta = parsePath(o.Origin.Path)
	d.lr.reset(r, s.max)
	if c, ok := d.lr.peek(); ok && (c == '{' || c == '[') {
		err = d.decodeJSON(&s)
		return st, err
	}
	err = d.decodeText(&s)
	st.Bytes = d.lr.offset()
	return st, err
}

// paramsLayout compiles the "fields" option, reusing the last compilation.
func (d *Decoder) paramsLayout(params map[string]string) *layout {
	text, ok := params["fields"]
	if !ok {
		return defaultLayout
	}
	if d.params == nil || d.params.text != text {
		d.params = compileParams(params)
	}
	return d.params
}

// headerLayout compiles a header line, reusing the last compilation.
func (d *Decoder) headerLayout(b []byte, lineNo int64) *layout {
	if d.header == nil || d.header.text != string(b) || d.header.line != lineNo {
		d.header = compileHeader(string(b), lineNo)
	}
	return d.header
}

func (d *Decoder) decodeText(s *stream) error {
	lr := &d.lr
	lr.skipBOM()
	lay := s.lay
	first := true
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := s.ctx.Err(); err != nil {
				return err
			}
		}
		ln, ok := lr.next()
		if !ok {
			break
		}
		if !ln.long && ln.err == nil && blank(ln.b) {
			continue // blank lines are not records
		}
		if first {
			first = false
			if !ln.long && ln.err == nil && headerLike(ln.b) {
				lay = d.headerLayout(ln.b, ln.no)
				continue // the header is not a record
			}
		}
		idx := s.st.Records
		s.st.Records++
		if idx < s.o.Start {
			s.st.Skipped++
			continue
		}
		origin := s.o.Origin
		origin.Index, origin.Offset, origin.Line = idx, ln.off, ln.no
		var err error
		switch {
		case ln.long:
			bad := decode.Bad{Origin: origin, Sample: ln.b, Err: jsonstream.ErrTooLarge,
				Reason: fmt.Sprintf("line exceeds the maximum record size (%d bytes)", s.max)}
			if ln.err != nil {
				bad.Tail, bad.Err = true, fmt.Errorf("%w: %w", jsonstream.ErrTooLarge, ln.err)
			}
			err = s.quarantine(bad)
		case ln.err != nil:
			err = s.quarantine(decode.Bad{Origin: origin, Sample: ln.b, Tail: true,
				Err:    fmt.Errorf("%w: %w", jsonstream.ErrTruncated, ln.err),
				Reason: "the stream failed inside the line: " + ln.err.Error()})
		default:
			err = d.record(s, ln.b, lay, ln.eol, origin, "", time.Time{}, noEvent)
		}
		if err != nil {
			return err
		}
	}
	if rerr := lr.failed(); rerr != nil && !lr.errShown {
		// The stream failed between lines.
		idx := s.st.Records
		s.st.Records++
		if idx < s.o.Start {
			s.st.Skipped++
			return nil
		}
		origin := s.o.Origin
		origin.Index, origin.Offset, origin.Line = idx, lr.offset(), lr.lineNo
		return s.quarantine(decode.Bad{Origin: origin, Tail: true,
			Err:    fmt.Errorf("%w: %w", jsonstream.ErrTruncated, rerr),
			Reason: "the stream failed: " + rerr.Error()})
	}
	return nil
}

// noEvent marks a record that is a line, not a CloudWatch Logs log event.
const noEvent = -2

// record parses one record and hands it on as an event or a bad record.
// ev is the record's log event in a subscription payload (-1: a log event
// on its own, noEvent: a line), for reasons; account and at are fallbacks
// from a JSON envelope.
func (d *Decoder) record(s *stream, b []byte, lay *layout, eol bool, origin event.Origin, account string, at time.Time, ev int) error {
	if lay.err != nil {
		return s.quarantine(decode.Bad{Origin: origin, Sample: b, Reason: eventPrefix(ev) + lay.err.Error()})
	}
	e := &d.ev
	e.Reset()
	if pe := parseRecord(b, lay, e); pe.code != eNone {
		bad := decode.Bad{Origin: origin, Sample: b, Reason: eventPrefix(ev) + pe.reason(lay)}
		// A line the stream ends inside may be whole when read again if it
		// has too few fields, or only its last field is wrong.
		if !eol && ((pe.code == eCount && pe.got < len(lay.kinds)) || (pe.code != eCount && pe.code != eHeader && pe.field == len(lay.kinds)-1)) {
			bad.Tail, bad.Err = true, jsonstream.ErrTruncated
			bad.Reason = "the stream ends inside the line: " + bad.Reason
		}
		return s.quarantine(bad)
	}
	e.Kind = event.KindVPCFlow
	e.RawBytes = b
	e.Origin = origin
	switch {
	case !e.Net.Start.IsZero():
		e.Time = e.Net.Start
	case !e.Net.End.IsZero():
		e.Time = e.Net.End
	default:
		e.Time = at
	}
	if e.Account == "" || e.Account == "unknown" {
		if account == "" {
			account = s.meta.account
		}
		if account != "" {
			e.Account = account
		}
	}
	if e.Region == "" {
		e.Region = s.meta.region
	}
	s.st.Events++
	return s.h.Event(e)
}

// eventPrefix starts the reason of a bad log event with its place.
func eventPrefix(ev int) string {
	if ev == noEvent {
		return ""
	}
	return where(ev)
}

func (s *stream) quarantine(b decode.Bad) error {
	s.st.Quarantined++
	return s.h.Quarantine(b)
}

func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// pathMeta is what an S3 key tells about its records.
type pathMeta struct{ account, region string }

// parsePath reads the account and region from an S3 key of flow logs
// (AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/…, with any prefix,
// or Hive-compatible AWSLogs/aws-account-id=…/aws-service=vpcflowlogs/
// aws-region=…/…), or from a file name
// <account>_vpcflowlogs_<region>_<flow-log-id>_….
func parsePath(p string) pathMeta {
	var m pathMeta
	if p == "" || p == "-" {
		return m
	}
	segs := strings.Split(strings.ReplaceAll(p, "\\", "/"), "/")
	for i, seg := range segs {
		switch {
		case seg == "vpcflowlogs" && i > 0 && i+1 < len(segs):
			if isAccount(segs[i-1]) {
				m.account = segs[i-1]
			}
			if isRegion(segs[i+1]) {
				m.region = segs[i+1]
			}
		case strings.HasPrefix(seg, "aws-account-id=") && isAccount(seg[len("aws-account-id="):]):
			m.account = seg[len("aws-account-id="):]
		case strings.HasPrefix(seg, "aws-region=") && isRegion(seg[len("aws-region="):]):
			m.region = seg[len("aws-region="):]
		}
	}
	if m.account == "" || m.region == "" {
		parts := strings.Split(path.Base(strings.ReplaceAll(p, "\\", "/")), "_")
		if len(parts) >= 3 && parts[1] == "vpcflowlogs" {
			if m.account == "" && isAccount(parts[0]) {
				m.account = parts[0]
			}
			if m.region == "" && isRegion(parts[2]) {
				m.region = parts[2]
			}
		}
	}
	return m
}

func isAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isRegion reports whether s is shaped like an AWS region (us-east-1,
// us-gov-west-1, cn-north-1).
func isRegion(s string) bool {
	if len(s) < 4 || len(s) > 32 || s[len(s)-1] < '0' || s[len(s)-1] > '9' || !strings.Contains(s, "-") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return s[0] >= 'a' && s[0] <= 'z'
}

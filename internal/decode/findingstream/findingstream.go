// Package findingstream splits streams of security findings out of the
// containers and envelopes that carry them, for the decoders of other
// producers' findings (decode/guardduty, decode/asff). A Format says what a
// finding of its producer is and which EventBridge events hold findings;
// the Decoder does the rest:
//
//   - findings on their own: JSON lines, concatenated objects, a JSON array;
//   - API and CLI responses: {"Findings":[…]} or {"findings":[…]}, the
//     array anywhere in the object (each element a record);
//   - EventBridge events ({"detail-type":…,"source":…,"detail":…}), as
//     delivered to SQS, Firehose/S3 (concatenated) or a log group: the
//     Format picks the findings out of the detail;
//   - SNS notifications ({"Type":"Notification","Message":"<JSON>"}), the
//     message holding any of the above but another string-wrapped record;
//   - CloudWatch Logs data: subscription messages ({"messageType":…,
//     "logEvents":[…]}), `aws logs filter-log-events`/`get-log-events`
//     output ({"events":[…]}) and such log events on their own, each log
//     event's message holding a finding or an EventBridge event (a log group
//     that is an EventBridge target holds the events as JSON).
//
// # Record indexes
//
// Every finding has its own record index, including those inside a
// container, an EventBridge event or a log event: a container of n findings
// takes n consecutive indexes (all with the container's offset and line), so
// a checkpoint can fall between two of them and decode.Options.Start
// resumes there. Every record is parsed, even before Start, since only then
// is it known how many indexes it takes. A container with nothing in it (or
// a CloudWatch Logs control message) takes one index and is skipped — but
// one the scanner splits (its array's key first: {"Findings":[]}) takes
// none, the scanner handing out its elements only; one
// whose array is not an array takes one index and is quarantined. An
// EventBridge event the Format declines (ErrSkip) takes one index and is
// skipped.
//
// # Raw bytes
//
// Event.Raw is the finding (never the envelope around it) and
// Event.RawBytes its JSON: the bytes as read when the finding is the whole
// record or the whole string-wrapped message, else the finding re-serialized
// from the parsed document.
//
// Every bad record — malformed JSON, a record too large, a finding the
// Format rejects, an element of a container that is not an object — is
// handed to the Handler's Quarantine with its origin and a reason naming
// where it sits ("Findings[3]: field severity: …") and the stream goes on.
package findingstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/jsonstream"
	"github.com/picket-dev/picket/internal/event"
)

// ErrSkip is returned by a Format for EventBridge events that hold no
// findings (a GuardDuty malware scan result, a Security Hub insight): they
// are counted as Skipped, not quarantined.
var ErrSkip = errors.New("skipped")

// Env is what a record's envelope says about the findings inside it, for
// findings that do not say it themselves.
type Env struct {
	Account string    // EventBridge account, CloudWatch Logs owner
	Region  string    // EventBridge region
	Time    time.Time // EventBridge time, CloudWatch Logs log event timestamp
}

// Format is one producer's findings.
type Format interface {
	// EventBridge returns the findings held by an EventBridge event with
	// this source, detail-type and detail (nil when the event has none),
	// and the name of where they sit for reasons ("detail",
	// "detail.findings"). It returns ErrSkip for events that carry no
	// findings, and an error for events that are not the producer's.
	EventBridge(source, detailType string, detail *fastjson.Value) ([]*fastjson.Value, string, error)
	// Finding maps the finding v into e: Kind, Time, ID, Account, Region
	// and Finding. The Decoder sets Raw, RawBytes and Origin. e has been
	// reset.
	Finding(v *fastjson.Value, env Env, e *event.Event) error
}

// Decoder decodes streams of one Format's findings. It implements
// decode.Decoder and is not safe for concurrent use.
type Decoder struct {
	f   Format
	sc  *jsonstream.Scanner
	max int

	p     fastjson.Parser // the record
	inner fastjson.Parser // a record held in a string: an SNS or log event message
	ev    event.Event
	raw   []byte // a finding re-serialized
	where []byte // where the current finding sits, for reasons
}

// New returns a decoder of f's findings.
func New(f Format) *Decoder { return &Decoder{f: f} }

// Containers are the keys whose arrays the scanner splits when they come
// first in a top-level object.
var containers = []string{"Findings", "findings", "events", "logEvents"}

// run is the state of one Decode call.
type run struct {
	ctx    context.Context
	o      *decode.Options
	h      decode.Handler
	st     *decode.Stats
	tick   int
	origin event.Origin
}

// slot accounts for one record index: it checks ctx every 1024 records and
// counts the record. It reports whether the record is to be delivered (its
// index is at or after Start); a record before Start is counted as Skipped.
func (r *run) slot() (bool, error) {
	if r.tick&1023 == 0 {
		if err := r.ctx.Err(); err != nil {
			return false, err
		}
	}
	r.tick++
	r.origin.Index = r.st.Records
	r.st.Records++
	if r.origin.Index < r.o.Start {
		r.st.Skipped++
		return false, nil
	}
	return true, nil
}

func (r *run) quarantine(b decode.Bad) error {
	r.st.Quarantined++
	b.Origin = r.origin
	return r.h.Quarantine(b)
}

// Decode implements decode.Decoder.
func (d *Decoder) Decode(ctx context.Context, rd io.Reader, o decode.Options, h decode.Handler) (st decode.Stats, err error) {
	if d.sc == nil || d.max != o.MaxRecordBytes {
		d.sc = jsonstream.NewScanner(rd, o.MaxRecordBytes, containers...)
		d.max = o.MaxRecordBytes
	} else {
		d.sc.Reset(rd)
	}
	defer func() { st.Bytes = d.sc.Offset() }()
	r := run{ctx: ctx, o: &o, h: h, st: &st}
	for {
		it, err := d.sc.Next()
		if err == io.EOF {
			return st, nil
		}
		r.origin = o.Origin
		r.origin.Offset, r.origin.Line = it.Offset, it.Line
		if it.Err != nil {
			ok, err := r.slot()
			if err != nil {
				return st, err
			}
			if !ok {
				continue
			}
			if err := r.quarantine(decode.Bad{Reason: it.Err.Error(), Sample: it.Bytes, Err: it.Err, Tail: it.Tail}); err != nil {
				return st, err
			}
			continue
		}
		d.where = d.where[:0]
		v, perr := d.p.ParseBytes(it.Bytes)
		if perr != nil {
			ok, err := r.slot()
			if err != nil {
				return st, err
			}
			if ok {
				if err := r.quarantine(decode.Bad{Reason: "malformed JSON: " + shortErr(perr), Sample: it.Bytes}); err != nil {
					return st, err
				}
			}
			continue
		}
		if err := d.record(&r, v, it.Bytes, false, &Env{}); err != nil {
			return st, err
		}
	}
}

// shape is what the keys of an object say it is.
type shape struct {
	detailType, source, detail *fastjson.Value // EventBridge
	findings                   *fastjson.Value // Findings / findings
	findingsKey                string
	messageType, logEvents     *fastjson.Value // CloudWatch Logs subscription message
	events                     *fastjson.Value // filter-log-events output
	snsType, snsMessage        *fastjson.Value // SNS notification: Type, Message
	message, timestamp         *fastjson.Value // a CloudWatch Logs log event
	logStream, ingestion       *fastjson.Value
	owner, account, region     *fastjson.Value
	time                       *fastjson.Value
}

func (s *shape) read(o *fastjson.Object) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "detail-type":
			s.detailType = v
		case "source":
			s.source = v
		case "detail":
			s.detail = v
		case "Findings", "findings":
			s.findings = v
			s.findingsKey = "Findings"
			if k[0] == 'f' {
				s.findingsKey = "findings"
			}
		case "messageType":
			s.messageType = v
		case "logEvents":
			s.logEvents = v
		case "events":
			s.events = v
		case "Type":
			s.snsType = v
		case "Message":
			s.snsMessage = v
		case "message":
			s.message = v
		case "timestamp":
			s.timestamp = v
		case "logStreamName":
			s.logStream = v
		case "ingestionTime":
			s.ingestion = v
		case "owner":
			s.owner = v
		case "account":
			s.account = v
		case "region":
			s.region = v
		case "time":
			s.time = v
		}
	})
}

// record decodes the parsed record v (whose bytes are b): a finding, or
// something holding findings. inner says v was parsed from a string (an
// SNS or log event message), which may not hold another one.
func (d *Decoder) record(r *run, v *fastjson.Value, b []byte, inner bool, env *Env) error {
	o, err := v.Object()
	if err != nil {
		return d.leaf(r, v, b, env)
	}
	var s shape
	s.read(o)
	switch {
	case s.detailType != nil && s.source != nil:
		return d.eventBridge(r, &s, env)
	case !inner && s.logEvents != nil && s.findings == nil:
		return d.logEvents(r, &s, b)
	case !inner && s.events != nil && s.findings == nil && s.message == nil:
		return d.logEventList(r, &s, b, env)
	case !inner && isString(s.snsMessage) && isString(s.snsType) && string(s.snsType.GetStringBytes()) == "Notification":
		return d.message(r, s.snsMessage, "SNS message: field Message: ", env)
	case !inner && isString(s.message) && (s.timestamp != nil || s.logStream != nil || s.ingestion != nil):
		le := *env
		le.Time = logTime(s.timestamp, env.Time)
		return d.message(r, s.message, "CloudWatch Logs log event: field message: ", &le)
	case s.findings != nil:
		return d.array(r, s.findings, s.findingsKey, b, env)
	}
	return d.leaf(r, v, b, env)
}

// leaf decodes the finding v. b is its JSON when it is exactly v's bytes,
// else nil (v is re-serialized).
func (d *Decoder) leaf(r *run, v *fastjson.Value, b []byte, env *Env) error {
	ok, err := r.slot()
	if err != nil || !ok {
		return err
	}
	if b == nil {
		d.raw = v.MarshalTo(d.raw[:0])
		b = d.raw
	}
	e := &d.ev
	e.Reset()
	if err := d.f.Finding(v, *env, e); err != nil {
		return r.quarantine(decode.Bad{Reason: string(d.where) + err.Error(), Sample: b, Err: err})
	}
	e.Kind = event.KindFinding
	e.Raw, e.RawBytes, e.Origin = v, b, r.origin
	r.st.Events++
	return r.h.Event(e)
}

// one takes one record index for a container that holds no finding: a
// skip when err is ErrSkip or nil, else a bad record.
func (d *Decoder) one(r *run, err error, sample []byte) error {
	ok, serr := r.slot()
	if serr != nil || !ok {
		return serr
	}
	if err == nil || err == ErrSkip {
		r.st.Skipped++
		return nil
	}
	return r.quarantine(decode.Bad{Reason: string(d.where) + err.Error(), Sample: sample, Err: err})
}

// array decodes a container's array of findings (name is its key).
func (d *Decoder) array(r *run, av *fastjson.Value, name string, sample []byte, env *Env) error {
	if av.Type() == fastjson.TypeNull {
		return d.one(r, nil, sample)
	}
	arr, err := av.Array()
	if err != nil {
		return d.one(r, fmt.Errorf("field %s: expected an array, got %s", name, av.Type()), sample)
	}
	if len(arr) == 0 {
		return d.one(r, nil, sample)
	}
	n := len(d.where)
	for i, el := range arr {
		d.where = append(append(append(d.where[:n], name...), '['), strconv.Itoa(i)...)
		d.where = append(d.where, "]: "...)
		if err := d.leaf(r, el, nil, env); err != nil {
			return err
		}
	}
	d.where = d.where[:n]
	return nil
}

// eventBridge decodes an EventBridge event.
func (d *Decoder) eventBridge(r *run, s *shape, outer *Env) error {
	env := *outer
	if a := str(s.account); a != "" {
		env.Account = a
	}
	if g := str(s.region); g != "" {
		env.Region = g
	}
	if isString(s.time) {
		if t, err := decode.ParseTime(s.time.GetStringBytes()); err == nil {
			env.Time = t
		}
	}
	n := len(d.where)
	d.where = append(d.where, "EventBridge event: "...)
	defer func() { d.where = d.where[:n] }()
	if !isString(s.source) || !isString(s.detailType) {
		return d.one(r, errors.New("fields source and detail-type: expected strings"), nil)
	}
	detail := s.detail
	if detail != nil && detail.Type() == fastjson.TypeNull {
		detail = nil
	}
	list, name, err := d.f.EventBridge(str(s.source), str(s.detailType), detail)
	if err != nil {
		return d.one(r, err, detailSample(d, detail))
	}
	if len(list) == 0 {
		return d.one(r, nil, nil)
	}
	single := len(list) == 1 && list[0] == detail
	m := len(d.where)
	for i, el := range list {
		d.where = append(d.where[:m], "field "...)
		d.where = append(d.where, name...)
		if !single {
			d.where = append(append(append(d.where, '['), strconv.Itoa(i)...), ']')
		}
		d.where = append(d.where, ": "...)
		if err := d.leaf(r, el, nil, &env); err != nil {
			return err
		}
	}
	return nil
}

func detailSample(d *Decoder, detail *fastjson.Value) []byte {
	if detail == nil {
		return nil
	}
	d.raw = detail.MarshalTo(d.raw[:0])
	return d.raw
}

// logEvents decodes a CloudWatch Logs subscription message.
func (d *Decoder) logEvents(r *run, s *shape, b []byte) error {
	n := len(d.where)
	d.where = append(d.where, "CloudWatch Logs message: "...)
	defer func() { d.where = d.where[:n] }()
	if str(s.messageType) == "CONTROL_MESSAGE" {
		return d.one(r, nil, b)
	}
	arr, err := s.logEvents.Array()
	if err != nil {
		return d.one(r, fmt.Errorf("field logEvents: expected an array, got %s", s.logEvents.Type()), b)
	}
	if len(arr) == 0 {
		return d.one(r, nil, b)
	}
	env := Env{Account: str(s.owner)}
	return d.logEventArray(r, arr, "logEvents", b, &env)
}

// logEventList decodes the output of filter-log-events or get-log-events.
func (d *Decoder) logEventList(r *run, s *shape, b []byte, env *Env) error {
	n := len(d.where)
	d.where = append(d.where, "CloudWatch Logs events: "...)
	defer func() { d.where = d.where[:n] }()
	if s.events.Type() == fastjson.TypeNull {
		return d.one(r, nil, b)
	}
	arr, err := s.events.Array()
	if err != nil {
		return d.one(r, fmt.Errorf("field events: expected an array, got %s", s.events.Type()), b)
	}
	if len(arr) == 0 {
		return d.one(r, nil, b)
	}
	return d.logEventArray(r, arr, "events", b, env)
}

func (d *Decoder) logEventArray(r *run, arr []*fastjson.Value, name string, b []byte, env *Env) error {
	n := len(d.where)
	for i, le := range arr {
		d.where = append(append(append(d.where[:n], "field "...), name...), '[')
		d.where = append(append(d.where, strconv.Itoa(i)...), ']')
		if le.Type() != fastjson.TypeObject {
			d.where = append(d.where, ": "...)
			if err := d.one(r, fmt.Errorf("expected an object, got %s", le.Type()), b); err != nil {
				return err
			}
			continue
		}
		d.where = append(d.where, ".message: "...)
		m := le.Get("message")
		lenv := *env
		lenv.Time = logTime(le.Get("timestamp"), env.Time)
		if err := d.message(r, m, "", &lenv); err != nil {
			return err
		}
	}
	d.where = d.where[:n]
	return nil
}

// message decodes a record held in a JSON string (an SNS or log event
// message). where names it in reasons.
func (d *Decoder) message(r *run, m *fastjson.Value, where string, env *Env) error {
	n := len(d.where)
	d.where = append(d.where, where...)
	defer func() { d.where = d.where[:n] }()
	if m == nil {
		return d.one(r, errors.New("missing"), nil)
	}
	if m.Type() != fastjson.TypeString {
		return d.one(r, fmt.Errorf("expected a string, got %s", m.Type()), nil)
	}
	msg := m.GetStringBytes()
	v, err := d.inner.ParseBytes(msg)
	if err != nil {
		return d.one(r, errors.New("malformed JSON: "+shortErr(err)), msg)
	}
	return d.record(r, v, msg, true, env)
}

// logTime reads a log event's timestamp (Unix milliseconds), or returns
// fallback.
func logTime(v *fastjson.Value, fallback time.Time) time.Time {
	if v == nil || v.Type() != fastjson.TypeNumber {
		return fallback
	}
	ms, err := v.Int64()
	if err != nil {
		return fallback
	}
	return time.UnixMilli(ms).UTC()
}

func isString(v *fastjson.Value) bool { return v != nil && v.Type() == fastjson.TypeString }

// str returns a string value, or "".
func str(v *fastjson.Value) string {
	if !isString(v) {
		return ""
	}
	return event.B2S(v.GetStringBytes())
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Parse decodes b with d into new events that the caller owns (their
// Findings detached). A bad record does not stop it: the error then
// describes the first one and says how many there were. For tests and
// tools; the stream path is Decode.
func Parse(d decode.Decoder, b []byte) ([]*event.Event, error) {
	var c collect
	if _, err := d.Decode(context.Background(), bytes.NewReader(b), decode.Options{Origin: event.Origin{Path: "-"}}, &c); err != nil {
		return c.events, err
	}
	switch {
	case c.bad == 1:
		return c.events, c.first
	case c.bad > 1:
		return c.events, fmt.Errorf("%w (and %d more bad records)", c.first, c.bad-1)
	}
	return c.events, nil
}

type collect struct {
	events []*event.Event
	bad    int
	first  error
}

func (c *collect) Event(e *event.Event) error {
	ce := e.Clone()
	if e.Finding != nil {
		f := *e.Finding
		f.Detach()
		ce.Finding = &f
	}
	c.events = append(c.events, ce)
	return nil
}

func (c *collect) Quarantine(b decode.Bad) error {
	if c.bad == 0 {
		c.first = fmt.Errorf("record %d (line %d): %s", b.Origin.Index, b.Origin.Line, b.Reason)
	}
	c.bad++
	return nil
}

// Package dnslog decodes Amazon Route 53 Resolver query logs (VPC DNS query
// logs): one JSON object per DNS query, as Resolver writes them to S3 (JSON
// lines), Kinesis Data Firehose (concatenated objects) or CloudWatch Logs.
// JSON arrays of records are read too, and so are CloudWatch Logs
// subscription messages ({"messageType":"DATA_MESSAGE", …, "logEvents":[…]}),
// whose logEvents[].message strings each hold one query log record.
//
// Each record becomes an event.Event of KindDNS with Event.DNS filled;
// Event.SourceIP is srcaddr as logged, Event.Raw the record's DOM. Besides
// the format as Resolver writes it, these are accepted: srcport as a JSON
// number, answers as a single object (how Panther's test events write one
// answer), fractional seconds or any RFC 3339 time in query_timestamp, and
// the space-separated UTC form "2006-01-02 15:04:05". An IPv4-mapped IPv6
// srcaddr is stored as the IPv4 address in DNS.SrcAddr. A record without
// query_name or query_timestamp, with a wrongly typed field, an srcaddr that
// is not an IP address or an srcport that is not a port is quarantined with
// a reason naming the field.
//
// The hot path allocates nothing per record: records are split by jsonstream,
// parsed with a reused fastjson parser, and the event's strings borrow the
// parser's memory (see package event).
//
// Record indexes. Every query log record has its own record index, including
// those inside a CloudWatch Logs subscription message: a message with n log
// events takes n consecutive indexes (all with the message's offset and
// line), so a checkpoint can fall between two of them and Options.Start
// resumes there. A subscription message with no log events, or a
// CONTROL_MESSAGE, takes one index and is skipped. The event of a log event
// has the message (the query log record) as RawBytes and Raw, not the
// subscription message around it.
package dnslog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"

	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/jsonstream"
	"github.com/picket-dev/picket/internal/event"
)

// Format is the registry name of this decoder.
const Format = "dns"

// Service is what Event.Service is set to for every query log record.
const Service = "route53resolver"

// Decoder decodes Route 53 Resolver query log streams. Not safe for
// concurrent use.
type Decoder struct {
	sc    *jsonstream.Scanner
	max   int
	p     fastjson.Parser // the record, or a CloudWatch Logs subscription message
	inner fastjson.Parser // a record held as a string (logEvents[].message)
	ev    event.Event
}

// New returns a Route 53 Resolver query log decoder.
func New() decode.Decoder { return &Decoder{} }

// errSkip marks records that are deliberately ignored (CloudWatch Logs
// control messages, subscription messages without log events).
var errSkip = errors.New("skipped")

// run is the state of one Decode call.
type run struct {
	ctx  context.Context
	o    *decode.Options
	h    decode.Handler
	st   *decode.Stats
	tick int
}

// slot accounts for one record index: it checks ctx every 1024 records and
// counts the record. It returns the record's index.
func (r *run) slot() (int64, error) {
	if r.tick&1023 == 0 {
		if err := r.ctx.Err(); err != nil {
			return 0, err
		}
	}
	r.tick++
	idx := r.st.Records
	r.st.Records++
	return idx, nil
}

func (r *run) quarantine(b decode.Bad) error {
	r.st.Quarantined++
	return r.h.Quarantine(b)
}

// Decode implements decode.Decoder.
func (d *Decoder) Decode(ctx context.Context, rd io.Reader, o decode.Options, h decode.Handler) (st decode.Stats, err error) {
	if d.sc == nil || d.max != o.MaxRecordBytes {
		d.sc = jsonstream.NewScanner(rd, o.MaxRecordBytes)
		d.max = o.MaxRecordBytes
	} else {
		d.sc.Reset(rd)
	}
	defer func() { st.Bytes = d.sc.Offset() }()
	r := run{ctx: ctx, o: &o, h: h, st: &st}
	for {
		if r.tick&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return st, err
			}
		}
		it, err := d.sc.Next()
		if err == io.EOF {
			return st, nil
		}
		origin := o.Origin
		origin.Index, origin.Offset, origin.Line = st.Records, it.Offset, it.Line
		if it.Err == nil && (st.Records >= o.Start || maybeSubscription(it.Bytes)) {
			// Parsed. A subscription message is parsed even before Start:
			// how many record indexes it takes is only known then.
			v, perr := d.p.ParseBytes(it.Bytes)
			if perr != nil {
				err = fmt.Errorf("malformed JSON: %s", shortErr(perr))
			} else {
				err = d.fill(v, it.Bytes, true)
			}
			if err == errSubscription {
				if err := d.subscription(&r, v, it.Bytes, origin); err != nil {
					return st, err
				}
				continue
			}
			if _, err := r.slot(); err != nil {
				return st, err
			}
			if origin.Index < o.Start {
				st.Skipped++
				continue
			}
			if err := d.deliver(&r, err, origin, it.Bytes); err != nil {
				return st, err
			}
			continue
		}
		// A bad item, or a record before Start: one record index.
		if _, err := r.slot(); err != nil {
			return st, err
		}
		if origin.Index < o.Start {
			st.Skipped++
			continue
		}
		if err := r.quarantine(decode.Bad{Origin: origin, Reason: it.Err.Error(), Sample: it.Bytes, Err: it.Err, Tail: it.Tail}); err != nil {
			return st, err
		}
	}
}

// deliver hands the decoded event (or, when err is set, the bad record) to
// the handler.
func (d *Decoder) deliver(r *run, err error, origin event.Origin, sample []byte) error {
	switch {
	case err == errSkip:
		r.st.Skipped++
		return nil
	case err != nil:
		return r.quarantine(decode.Bad{Origin: origin, Reason: err.Error(), Sample: sample})
	}
	d.ev.Origin = origin
	r.st.Events++
	return r.h.Event(&d.ev)
}

// A record is a CloudWatch Logs subscription message when it is an object
// with a "logEvents" key, and its bytes hold `"logEvents"` (a key written
// with escapes does not count). The test on the bytes comes first for
// records before Start, so that only those that may be one are parsed; it is
// made on the others only when fill finds the key.
func maybeSubscription(b []byte) bool {
	return bytes.Contains(b, []byte(`"logEvents"`))
}

// errSubscription is what fill returns for a CloudWatch Logs subscription
// message.
var errSubscription = errors.New("CloudWatch Logs subscription message")

// subscription decodes the CloudWatch Logs subscription message v (whose
// bytes are b): each of its log events takes a record index.
func (d *Decoder) subscription(r *run, v *fastjson.Value, b []byte, origin event.Origin) error {
	logEvents := v.Get("logEvents")
	arr, aerr := logEvents.Array()
	if aerr != nil || len(arr) == 0 || isControl(v) {
		idx, err := r.slot()
		if err != nil {
			return err
		}
		origin.Index = idx
		switch {
		case idx < r.o.Start:
			err = errSkip
		case aerr != nil:
			err = fmt.Errorf("CloudWatch Logs message: field logEvents: expected an array, got %s", logEvents.Type())
		default:
			err = errSkip
		}
		return d.deliver(r, err, origin, b)
	}
	for i, le := range arr {
		idx, err := r.slot()
		if err != nil {
			return err
		}
		if idx < r.o.Start {
			r.st.Skipped++
			continue
		}
		origin.Index = idx
		msg, iv, err := d.logEvent(le, i)
		if err == nil {
			err = d.fill(iv, msg, false)
		} else if msg == nil {
			msg = b
		}
		if err := d.deliver(r, err, origin, msg); err != nil {
			return err
		}
	}
	return nil
}

// isControl reports whether a subscription message is a CONTROL_MESSAGE
// (CloudWatch Logs checking that the destination is reachable).
func isControl(v *fastjson.Value) bool {
	mt := v.Get("messageType")
	return mt != nil && mt.Type() == fastjson.TypeString && string(mt.GetStringBytes()) == "CONTROL_MESSAGE"
}

// logEvent parses logEvents[i].message with the inner parser. It returns the
// message's bytes (nil when there is no message string) and its DOM.
func (d *Decoder) logEvent(le *fastjson.Value, i int) ([]byte, *fastjson.Value, error) {
	if le.Type() != fastjson.TypeObject {
		return nil, nil, fmt.Errorf("CloudWatch Logs message: field logEvents[%d]: expected an object, got %s", i, le.Type())
	}
	m := le.Get("message")
	if m == nil {
		return nil, nil, fmt.Errorf("CloudWatch Logs message: field logEvents[%d].message is missing", i)
	}
	if m.Type() != fastjson.TypeString {
		return nil, nil, fmt.Errorf("CloudWatch Logs message: field logEvents[%d].message: expected a string, got %s", i, m.Type())
	}
	msg := m.GetStringBytes()
	iv, err := d.inner.ParseBytes(msg)
	if err != nil {
		return msg, nil, fmt.Errorf("CloudWatch Logs message: logEvents[%d].message: malformed JSON: %s", i, shortErr(err))
	}
	return msg, iv, nil
}

// Parse decodes a single query log record into a new event that the caller
// owns. For tests and tools; the stream path is Decode.
func Parse(b []byte) (*event.Event, error) {
	var d Decoder
	v, err := d.p.ParseBytes(b)
	if err != nil {
		return nil, fmt.Errorf("malformed JSON: %s", shortErr(err))
	}
	if err := d.fill(v, b, false); err != nil {
		return nil, err
	}
	return d.ev.Clone(), nil
}

// shape collects the first wrongly typed field while a record is read.
type shape struct {
	field string        // the field's name ("" when all is well)
	index int           // for answers: the element, or -1
	sub   string        // for answers: the element's field
	want  string        // "a string", "an object", …
	got   fastjson.Type // what it was
}

func (sh *shape) bad(field string, index int, sub, want string, got fastjson.Type) {
	if sh.field == "" {
		sh.field, sh.index, sh.sub, sh.want, sh.got = field, index, sub, want, got
	}
}

func (sh *shape) err() error {
	name := sh.field
	if sh.index >= 0 {
		name += "[" + strconv.Itoa(sh.index) + "]"
	}
	if sh.sub != "" {
		name += "." + sh.sub
	}
	return fmt.Errorf("field %s: expected %s, got %s", name, sh.want, sh.got)
}

// str returns a string field ("" for null), recording a wrong type.
func (sh *shape) str(v *fastjson.Value, field string) string {
	return sh.strAt(v, field, -1, "")
}

func (sh *shape) strAt(v *fastjson.Value, field string, index int, sub string) string {
	switch t := v.Type(); t {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return event.B2S(b)
	case fastjson.TypeNull:
	default:
		sh.bad(field, index, sub, "a string", t)
	}
	return ""
}

// fill reads the query log record v (whose bytes are raw) into d.ev. When
// outer is set (a record read from the stream, not from a log event's
// message), a subscription message is reported as errSubscription.
func (d *Decoder) fill(v *fastjson.Value, raw []byte, outer bool) error {
	if v.Type() != fastjson.TypeObject {
		return fmt.Errorf("not a Route 53 Resolver query log record: expected a JSON object, got %s", v.Type())
	}
	o, _ := v.Object()
	e := &d.ev
	e.Reset()
	q := &e.DNS
	sh := shape{index: -1}
	var timeVal, addrVal, portVal, nameVal *fastjson.Value
	logEvents := false
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(k) {
		case "query_name":
			nameVal = fv
			q.Query = sh.str(fv, "query_name")
		case "query_timestamp":
			timeVal = fv
		case "query_type":
			q.QueryType = sh.str(fv, "query_type")
		case "query_class":
			q.QueryClass = sh.str(fv, "query_class")
		case "rcode":
			q.RCode = sh.str(fv, "rcode")
		case "answers":
			sh.answers(fv, q)
		case "srcaddr":
			addrVal = fv
			e.SourceIP = sh.str(fv, "srcaddr")
		case "srcport":
			portVal = fv
		case "transport":
			q.Transport = sh.str(fv, "transport")
		case "vpc_id":
			q.VPCID = sh.str(fv, "vpc_id")
		case "srcids":
			sh.srcids(fv, q)
		case "account_id":
			e.Account = sh.str(fv, "account_id")
		case "region":
			e.Region = sh.str(fv, "region")
		case "firewall_rule_action":
			q.FirewallRuleAction = sh.str(fv, "firewall_rule_action")
		case "firewall_rule_group_id":
			q.FirewallRuleGroupID = sh.str(fv, "firewall_rule_group_id")
		case "firewall_domain_list_id":
			q.FirewallDomainListID = sh.str(fv, "firewall_domain_list_id")
		case "logEvents":
			logEvents = outer
		}
	})
	if logEvents && maybeSubscription(raw) {
		return errSubscription
	}
	if sh.field != "" {
		return sh.err()
	}
	if nameVal == nil || nameVal.Type() == fastjson.TypeNull {
		return errors.New("not a Route 53 Resolver query log record: no query_name")
	}
	if q.Query == "" {
		return errors.New("field query_name: empty")
	}
	if timeVal == nil || timeVal.Type() == fastjson.TypeNull {
		return errors.New("no query_timestamp")
	}
	t, err := parseTime(timeVal)
	if err != nil {
		return err
	}
	if addrVal != nil && addrVal.Type() != fastjson.TypeNull {
		a, err := netip.ParseAddr(e.SourceIP)
		if err != nil {
			return fmt.Errorf("field srcaddr: not an IP address: %q", truncate(e.SourceIP, 64))
		}
		q.SrcAddr = a.Unmap()
	}
	if portVal != nil {
		p, err := parsePort(portVal)
		if err != nil {
			return err
		}
		q.SrcPort = p
	}
	e.Kind = event.KindDNS
	e.Time = t
	e.Service = Service
	e.Raw = v
	e.RawBytes = raw
	return nil
}

// answers reads the answers array. An object on its own counts as a
// one-answer array (how Panther's test events write a single answer).
func (sh *shape) answers(v *fastjson.Value, q *event.DNS) {
	q.Answers = q.Answers[:0] // a repeated key: the last one wins
	switch v.Type() {
	case fastjson.TypeNull:
	case fastjson.TypeObject:
		sh.answer(v, -1, q)
	case fastjson.TypeArray:
		arr, _ := v.Array()
		for i, a := range arr {
			if a.Type() != fastjson.TypeObject {
				sh.bad("answers", i, "", "an object", a.Type())
				return
			}
			sh.answer(a, i, q)
		}
	default:
		sh.bad("answers", -1, "", "an array", v.Type())
	}
}

func (sh *shape) answer(v *fastjson.Value, i int, q *event.DNS) {
	o, _ := v.Object()
	var a event.DNSAnswer
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(k) {
		case "Rdata":
			a.Data = sh.strAt(fv, "answers", i, "Rdata")
		case "Type":
			a.Type = sh.strAt(fv, "answers", i, "Type")
		case "Class":
			a.Class = sh.strAt(fv, "answers", i, "Class")
		}
	})
	q.Answers = append(q.Answers, a)
}

// srcids reads the IDs of what the query came from or through.
func (sh *shape) srcids(v *fastjson.Value, q *event.DNS) {
	switch v.Type() {
	case fastjson.TypeNull:
		return
	case fastjson.TypeObject:
	default:
		sh.bad("srcids", -1, "", "an object", v.Type())
		return
	}
	o, _ := v.Object()
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(k) {
		case "instance":
			q.InstanceID = sh.str(fv, "srcids.instance")
		case "resolver_endpoint":
			q.ResolverEndpoint = sh.str(fv, "srcids.resolver_endpoint")
		}
	})
}

// parsePort reads srcport, which Resolver logs as a string ("56067"); a
// number is accepted too. null means not logged.
func parsePort(v *fastjson.Value) (uint16, error) {
	switch t := v.Type(); t {
	case fastjson.TypeNull:
		return 0, nil
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		if n, ok := port(b); ok {
			return n, nil
		}
		return 0, fmt.Errorf("field srcport: not a port number (0-65535): %q", truncate(string(b), 32))
	case fastjson.TypeNumber:
		n, err := v.Int()
		if err == nil && n >= 0 && n <= 65535 {
			return uint16(n), nil
		}
		return 0, fmt.Errorf("field srcport: not a port number (0-65535): %s", truncate(v.String(), 32))
	default:
		return 0, fmt.Errorf("field srcport: expected a string or number, got %s", t)
	}
}

// port parses 1 to 5 decimal digits with a value of at most 65535.
func port(b []byte) (uint16, bool) {
	if len(b) == 0 || len(b) > 5 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n > 65535 {
		return 0, false
	}
	return uint16(n), true
}

// parseTime reads query_timestamp: RFC 3339 in UTC as Resolver writes it
// ("2021-02-04T17:51:55Z", with or without fractional seconds) through a
// fast path, any other RFC 3339 time, and the space-separated UTC form
// ("2022-06-25 00:27:53") some exports and Panther's test events use.
func parseTime(v *fastjson.Value) (time.Time, error) { return decode.TimeField(v, "query_timestamp") }

func shortErr(err error) string { return truncate(err.Error(), 200) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

package dnslog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/event"
)

// collector keeps copies of what a decoder hands out.
type collector struct {
	events []*event.Event
	bad    []decode.Bad
}

func (c *collector) Event(e *event.Event) error { c.events = append(c.events, e.Clone()); return nil }
func (c *collector) Quarantine(b decode.Bad) error {
	b.Sample = append([]byte(nil), b.Sample...)
	c.bad = append(c.bad, b)
	return nil
}

type handlerFunc func(e *event.Event) error

func (f handlerFunc) Event(e *event.Event) error  { return f(e) }
func (f handlerFunc) Quarantine(decode.Bad) error { return nil }

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeBytes(t testing.TB, b []byte, o decode.Options) (*collector, decode.Stats) {
	t.Helper()
	var c collector
	st, err := New().Decode(context.Background(), bytes.NewReader(b), o, &c)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	checkStats(t, st, int64(len(c.events)), int64(len(c.bad)))
	return &c, st
}

func checkStats(t testing.TB, st decode.Stats, events, bad int64) {
	t.Helper()
	if st.Events != events || st.Quarantined != bad || st.Events+st.Quarantined+st.Skipped != st.Records {
		t.Fatalf("stats %+v do not add up (handler saw %d events, %d bad)", st, events, bad)
	}
}

// lineStarts returns the byte offset of every line of b (index 0 is line 1).
func lineStarts(b []byte) []int64 {
	starts := []int64{0}
	for i, c := range b {
		if c == '\n' && i+1 < len(b) {
			starts = append(starts, int64(i+1))
		}
	}
	return starts
}

type wantEvent struct {
	time            time.Time
	account, region string
	sourceIP        string
	dns             event.DNS
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ans(kv ...string) []event.DNSAnswer {
	var out []event.DNSAnswer
	for i := 0; i+3 <= len(kv); i += 3 {
		out = append(out, event.DNSAnswer{Data: kv[i], Type: kv[i+1], Class: kv[i+2]})
	}
	return out
}

const (
	acct = "111122223333"
	vpc  = "vpc-0a1b2c3d4e5f60718"
)

// recordsWant is what testdata/records.jsonl must decode to, record by record.
var recordsWant = []wantEvent{
	{ts("2021-02-04T17:51:55Z"), acct, "us-east-1", "4.5.64.102", event.DNS{
		Query: "15.3.4.32.in-addr.arpa.", QueryType: "PTR", QueryClass: "IN", RCode: "NOERROR",
		Answers: ans("203.0.113.9", "PTR", "IN"),
		SrcAddr: netip.MustParseAddr("4.5.64.102"), SrcPort: 56067, Transport: "UDP", VPCID: "vpc-7example",
		InstanceID: "i-0d15cd0d3example", FirewallRuleAction: "BLOCK",
		FirewallRuleGroupID: "rslvr-frg-01234567890abcdef", FirewallDomainListID: "rslvr-fdl-01234567890abcdef",
	}},
	{ts("2026-03-02T10:15:00Z"), acct, "us-east-1", "10.0.1.23", event.DNS{
		Query: "api.github.com.", QueryType: "A", QueryClass: "IN", RCode: "NOERROR",
		Answers: ans("140.82.112.5", "A", "IN", "140.82.112.6", "A", "IN"),
		SrcAddr: netip.MustParseAddr("10.0.1.23"), SrcPort: 41234, Transport: "UDP", VPCID: vpc, InstanceID: "i-0123456789abcdef0",
	}},
	{ts("2026-03-02T10:15:01Z"), acct, "us-east-1", "10.0.1.23", event.DNS{
		Query: "xk2j9q7w.bad-example.ru.", QueryType: "A", QueryClass: "IN", RCode: "NXDOMAIN",
		SrcAddr: netip.MustParseAddr("10.0.1.23"), SrcPort: 41235, Transport: "UDP", VPCID: vpc, InstanceID: "i-0123456789abcdef0",
	}},
	{ts("2026-03-02T10:15:02.123Z"), acct, "us-east-1", "2600:1f18:4a3:6902:1c3d:5e7f:8a9b:cdef", event.DNS{
		Query: "ipv6.example.com.", QueryType: "AAAA", QueryClass: "IN", RCode: "NOERROR",
		Answers: ans("2001:db8::10", "AAAA", "IN"),
		SrcAddr: netip.MustParseAddr("2600:1f18:4a3:6902:1c3d:5e7f:8a9b:cdef"), SrcPort: 53211, Transport: "UDP", VPCID: vpc,
		InstanceID: "i-0fedcba9876543210",
	}},
	{ts("2026-03-02T10:15:03Z"), acct, "us-east-1", "192.168.40.7", event.DNS{
		Query: "db.corp.example.internal.", QueryType: "A", QueryClass: "IN", RCode: "NOERROR",
		Answers: ans("10.20.0.15", "A", "IN"),
		SrcAddr: netip.MustParseAddr("192.168.40.7"), SrcPort: 60001, Transport: "TCP", VPCID: vpc,
		ResolverEndpoint: "rslvr-in-0123456789abcdef0",
	}},
	{ts("2026-03-02T10:15:04Z"), acct, "us-east-1", "10.0.2.9", event.DNS{
		Query: "c2.evil-example.net.", QueryType: "TXT", QueryClass: "IN", RCode: "NOERROR",
		Answers: ans(`"v=spf1 -all"`, "TXT", "IN"),
		SrcAddr: netip.MustParseAddr("10.0.2.9"), SrcPort: 33333, Transport: "UDP", VPCID: vpc, InstanceID: "i-0aaaabbbbccccdddd",
		FirewallRuleAction: "ALERT", FirewallRuleGroupID: "rslvr-frg-0aaaabbbbccccdddd", FirewallDomainListID: "rslvr-fdl-0aaaabbbbccccdddd",
	}},
	{ts("2026-03-02T10:15:05Z"), acct, "us-east-1", "10.0.3.4", event.DNS{
		Query: "www.example.org.", QueryType: "A", QueryClass: "IN", RCode: "NOERROR",
		Answers: ans("example.org.cdn.example.net.", "CNAME", "IN", "198.51.100.10", "A", "IN", "198.51.100.11", "A", "IN"),
		SrcAddr: netip.MustParseAddr("10.0.3.4"), SrcPort: 40000, Transport: "UDP", VPCID: vpc, InstanceID: "i-0123456789abcdef0",
	}},
	{ts("2026-03-02T10:15:06Z"), acct, "us-east-1", "10.0.3.4", event.DNS{
		Query: "nothing.example.org.", QueryType: "AAAA", QueryClass: "IN", RCode: "NOERROR",
		SrcAddr: netip.MustParseAddr("10.0.3.4"), SrcPort: 40001, Transport: "UDP", VPCID: vpc, InstanceID: "i-0123456789abcdef0",
	}},
	{ts("2026-03-02T10:15:07Z"), acct, "us-east-1", "10.0.3.4", event.DNS{
		Query: "one.example.org.", QueryType: "A", QueryClass: "IN", RCode: "NOERROR",
		Answers: ans("198.51.100.12", "A", "IN"),
		SrcAddr: netip.MustParseAddr("10.0.3.4"), SrcPort: 40002, Transport: "UDP", VPCID: vpc, InstanceID: "i-0123456789abcdef0",
	}},
	{ts("2022-06-25T00:27:53Z"), "0123456789", "us-west-2", "5.6.7.8", event.DNS{
		Query: "moneropool.ru", QueryType: "A", QueryClass: "IN", RCode: "NOERROR",
		Answers: ans("1.2.3.4", "A", "IN"),
		SrcAddr: netip.MustParseAddr("5.6.7.8"), Transport: "UDP", VPCID: "vpc-abc123",
	}},
	{ts("2026-03-02T10:15:08Z"), acct, "us-east-1", "::ffff:203.0.113.50", event.DNS{
		Query: "portal.corp.example.internal.", QueryType: "AAAA", QueryClass: "IN", RCode: "SERVFAIL",
		SrcAddr: netip.MustParseAddr("203.0.113.50"), Transport: "DoH", VPCID: vpc,
		ResolverEndpoint: "rslvr-in-0fedcba9876543210",
	}},
}

// checkEvent compares an event with what it should be.
func checkEvent(t *testing.T, name string, e *event.Event, w wantEvent) {
	t.Helper()
	if e.Kind != event.KindDNS || e.Service != Service || e.ID != "" || e.Action != "" {
		t.Errorf("%s: kind %v service %q id %q action %q", name, e.Kind, e.Service, e.ID, e.Action)
	}
	if !e.Time.Equal(w.time) || e.Time.Location() != time.UTC {
		t.Errorf("%s: Time = %v, want %v (UTC)", name, e.Time, w.time)
	}
	if e.Account != w.account || e.Region != w.region || e.SourceIP != w.sourceIP {
		t.Errorf("%s: account %q region %q source IP %q, want %q %q %q", name, e.Account, e.Region, e.SourceIP, w.account, w.region, w.sourceIP)
	}
	got, want := e.DNS, w.dns
	if !slices.Equal(got.Answers, want.Answers) {
		t.Errorf("%s: Answers = %+v, want %+v", name, got.Answers, want.Answers)
	}
	got.Answers, want.Answers = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: DNS =\n%+v, want\n%+v", name, got, want)
	}
	if e.Raw == nil || len(e.RawBytes) == 0 {
		t.Errorf("%s: no raw record", name)
	}
}

func TestDecodeRecords(t *testing.T) {
	b := readTestdata(t, "records.jsonl")
	c, st := decodeBytes(t, b, decode.Options{Origin: event.Origin{Source: "test", Path: "records.jsonl"}})
	if len(c.bad) > 0 {
		t.Fatalf("quarantined: %+v", c.bad[0])
	}
	if len(c.events) != len(recordsWant) || st.Records != int64(len(recordsWant)) {
		t.Fatalf("%d events, %d records, want %d", len(c.events), st.Records, len(recordsWant))
	}
	if st.Bytes != int64(len(b)) {
		t.Errorf("Bytes = %d, want %d", st.Bytes, len(b))
	}
	for i, w := range recordsWant {
		checkEvent(t, fmt.Sprintf("record %d (%s)", i, w.dns.Query), c.events[i], w)
	}
	// Fields the event has no place for stay reachable through the raw record.
	rni := event.ParsePath("srcids.resolver_network_interface")
	if got := c.events[4].Str(rni); got != "rni-0a1b2c3d4e5f60718" {
		t.Errorf("raw %s = %q", rni, got)
	}
	if got := c.events[0].Str(event.ParsePath("version")); got != "1.100000" {
		t.Errorf("raw version = %q", got)
	}
}

func TestDecodeOrigins(t *testing.T) {
	for _, file := range []string{"records.jsonl", "array.json"} {
		t.Run(file, func(t *testing.T) {
			b := readTestdata(t, file)
			c, _ := decodeBytes(t, b, decode.Options{Origin: event.Origin{Source: "s", Path: file}})
			if len(c.events) < 2 {
				t.Fatalf("%d events", len(c.events))
			}
			starts := lineStarts(b)
			for i, e := range c.events {
				o := e.Origin
				if o.Index != int64(i) || o.Source != "s" || o.Path != file {
					t.Errorf("event %d origin %+v", i, o)
				}
				if o.Line < 1 || int(o.Line) > len(starts) || !bytes.HasPrefix(bytes.TrimLeft(b[starts[o.Line-1]:], " "), []byte("{")) {
					t.Errorf("event %d: line %d does not start the record", i, o.Line)
				}
				if !bytes.Equal(b[o.Offset:o.Offset+int64(len(e.RawBytes))], e.RawBytes) || e.RawBytes[0] != '{' {
					t.Errorf("event %d: RawBytes differ from the input at offset %d", i, o.Offset)
				}
			}
		})
	}
}

func TestDecodeBadRecords(t *testing.T) {
	const file = "bad.jsonl"
	b := readTestdata(t, file)
	// Every record is one line: record index = line - 1.
	wantBad := []struct {
		line   int64
		reason string
	}{
		{2, "malformed JSON"},
		{4, "expected a JSON object, got string"},
		{5, "malformed JSON: expected an object"}, // the scanner rejects a bare number
		{6, "no query_name"},
		{7, "no query_timestamp"},
		{8, "field query_name: expected a string, got number"},
		{9, "field query_timestamp: expected a string, got number"},
		{10, `field query_timestamp: not a time: "yesterday"`},
		{12, `field srcaddr: not an IP address: "10.0.0.300"`},
		{13, "field srcaddr: expected a string, got array"},
		{14, `field srcport: not a port number (0-65535): "70000"`},
		{15, "field srcport: not a port number (0-65535): 65536"},
		{16, "field srcport: not a port number (0-65535): -1"},
		{17, `field srcport: not a port number (0-65535): "53a"`},
		{18, "field srcport: expected a string or number, got object"},
		{19, "field answers: expected an array, got string"},
		{20, "field answers[1]: expected an object, got string"},
		{21, "field answers[1].Rdata: expected a string, got number"},
		{22, "field srcids: expected an object, got string"},
		{23, "field account_id: expected a string, got number"},
		{24, "field query_name: empty"},
		{25, "field srcids.instance: expected a string, got number"},
		{26, `field query_timestamp: not a time: "2026-02-30T11:00:00Z"`},
		{27, "field srcport: not a port number (0-65535): 53.5"},
	}
	wantEvents := []struct {
		line  int64
		query string
	}{{1, "ok0.example.com."}, {3, "ok1.example.com."}, {11, "ok2.example.com."}, {28, "ok3.example.com."}}

	c, st := decodeBytes(t, b, decode.Options{Origin: event.Origin{Source: "test", Path: file}})
	starts := lineStarts(b)
	if st.Records != int64(len(starts)) {
		t.Errorf("Records = %d, want %d", st.Records, len(starts))
	}
	for i, w := range wantBad {
		t.Run(fmt.Sprintf("line%d", w.line), func(t *testing.T) {
			if i >= len(c.bad) {
				t.Fatalf("only %d quarantined", len(c.bad))
			}
			got := c.bad[i]
			if !strings.Contains(got.Reason, w.reason) {
				t.Errorf("reason %q, want it to contain %q", got.Reason, w.reason)
			}
			wo := event.Origin{Source: "test", Path: file, Index: w.line - 1, Offset: starts[w.line-1], Line: w.line}
			if got.Origin != wo {
				t.Errorf("origin %+v, want %+v", got.Origin, wo)
			}
			line := b[starts[w.line-1]:]
			line = line[:bytes.IndexByte(line, '\n')]
			if !bytes.Equal(got.Sample, line) {
				t.Errorf("sample %q, want the line %q", got.Sample, line)
			}
			if got.Tail {
				t.Error("Tail set on a whole record")
			}
		})
	}
	if len(c.bad) != len(wantBad) {
		for _, q := range c.bad {
			t.Logf("quarantined line %d: %s", q.Origin.Line, q.Reason)
		}
		t.Errorf("%d quarantined, want %d", len(c.bad), len(wantBad))
	}
	// The stream goes on past every bad record.
	if len(c.events) != len(wantEvents) {
		t.Fatalf("%d events, want %d", len(c.events), len(wantEvents))
	}
	for i, w := range wantEvents {
		e := c.events[i]
		if e.DNS.Query != w.query || e.Origin.Line != w.line || e.Origin.Index != w.line-1 || e.Origin.Offset != starts[w.line-1] {
			t.Errorf("event %d: %q at %+v, want %q on line %d", i, e.DNS.Query, e.Origin, w.query, w.line)
		}
	}
}

func TestDecodeCloudWatchSubscription(t *testing.T) {
	const file = "cloudwatch.json"
	b := readTestdata(t, file)
	starts := lineStarts(b)
	// Each log event takes a record index; all share their message's line.
	type slot struct {
		line   int64
		query  string // an event
		reason string // a quarantined record
		skip   bool
	}
	want := []slot{
		{line: 1, query: "api.github.com."},
		{line: 1, reason: "logEvents[1].message: malformed JSON"},
		{line: 1, query: "ipv6.example.com."},
		{line: 2, skip: true}, // CONTROL_MESSAGE
		{line: 3, query: "xk2j9q7w.bad-example.ru."},
		{line: 4, query: "www.example.org."},
		{line: 4, reason: "field logEvents[1]: expected an object, got number"},
		{line: 4, query: "nothing.example.org."},
		{line: 4, reason: "field logEvents[3].message is missing"},
		{line: 4, reason: "field query_name: expected a string, got number"},
		{line: 5, skip: true}, // no log events
		{line: 6, query: "db.corp.example.internal."},
	}
	c, st := decodeBytes(t, b, decode.Options{Origin: event.Origin{Source: "cw", Path: file}})
	if st.Records != int64(len(want)) || st.Skipped != 2 {
		t.Errorf("stats %+v, want %d records, 2 skipped", st, len(want))
	}
	var ei, bi int
	for idx, w := range want {
		var o event.Origin
		switch {
		case w.skip:
			continue
		case w.query != "":
			if ei >= len(c.events) {
				t.Fatalf("only %d events", len(c.events))
			}
			e := c.events[ei]
			ei++
			if e.DNS.Query != w.query {
				t.Errorf("record %d: query %q, want %q", idx, e.DNS.Query, w.query)
			}
			// The event's raw record is the message, not the envelope.
			if !bytes.HasPrefix(e.RawBytes, []byte(`{"version"`)) || e.Str(event.ParsePath("query_name")) != w.query {
				t.Errorf("record %d: raw record is not the log message: %.60s", idx, e.RawBytes)
			}
			o = e.Origin
		default:
			if bi >= len(c.bad) {
				t.Fatalf("only %d quarantined", len(c.bad))
			}
			q := c.bad[bi]
			bi++
			if !strings.Contains(q.Reason, w.reason) {
				t.Errorf("record %d: reason %q, want it to contain %q", idx, q.Reason, w.reason)
			}
			o = q.Origin
		}
		wo := event.Origin{Source: "cw", Path: file, Index: int64(idx), Offset: starts[w.line-1], Line: w.line}
		if o != wo {
			t.Errorf("record %d: origin %+v, want %+v", idx, o, wo)
		}
	}
	if ei != len(c.events) || bi != len(c.bad) {
		t.Errorf("%d events and %d quarantined, want %d and %d", len(c.events), len(c.bad), ei, bi)
	}
	// Fields of a record inside a message are decoded in full.
	checkEvent(t, "cloudwatch record 2", c.events[1], recordsWant[3])
	// A bad message's sample is the message.
	if string(c.bad[0].Sample) != "this is not JSON" {
		t.Errorf("sample %q", c.bad[0].Sample)
	}
}

// slotKey describes what happened to one record index, for comparing runs.
func slotKeys(c *collector) map[int64]string {
	m := map[int64]string{}
	for _, e := range c.events {
		m[e.Origin.Index] = fmt.Sprintf("event %+v %s %v %q", e.Origin, e.DNS.Query, e.Time, e.RawBytes)
	}
	for _, q := range c.bad {
		m[q.Origin.Index] = fmt.Sprintf("bad %+v %s %v %q", q.Origin, q.Reason, q.Tail, q.Sample)
	}
	return m
}

func TestDecodeStartEqualsSkipping(t *testing.T) {
	for _, file := range []string{"records.jsonl", "bad.jsonl", "cloudwatch.json", "array.json"} {
		t.Run(file, func(t *testing.T) {
			b := readTestdata(t, file)
			full, fst := decodeBytes(t, b, decode.Options{})
			all := slotKeys(full)
			for start := int64(0); start <= fst.Records+1; start++ {
				c, st := decodeBytes(t, b, decode.Options{Start: start})
				if st.Records != fst.Records || st.Bytes != fst.Bytes {
					t.Fatalf("start %d: stats %+v, full run %+v", start, st, fst)
				}
				got := slotKeys(c)
				for idx, k := range all {
					if idx < start {
						if _, ok := got[idx]; ok {
							t.Errorf("start %d: record %d delivered", start, idx)
						}
					} else if got[idx] != k {
						t.Errorf("start %d: record %d is %q, in a full run %q", start, idx, got[idx], k)
					}
				}
				if len(got) != countFrom(all, start) {
					t.Errorf("start %d: %d records delivered, want %d", start, len(got), countFrom(all, start))
				}
				if min(start, fst.Records) > st.Skipped {
					t.Errorf("start %d: only %d skipped", start, st.Skipped)
				}
			}
		})
	}
}

func countFrom(m map[int64]string, start int64) int {
	n := 0
	for idx := range m {
		if idx >= start {
			n++
		}
	}
	return n
}

func TestDecodeTail(t *testing.T) {
	b := readTestdata(t, "records.jsonl")
	starts := lineStarts(b)
	last := starts[len(starts)-1]
	cut := b[:last+40] // inside the last record
	c, st := decodeBytes(t, cut, decode.Options{})
	if len(c.events) != len(starts)-1 || len(c.bad) != 1 {
		t.Fatalf("%d events, %d bad, want %d and 1", len(c.events), len(c.bad), len(starts)-1)
	}
	q := c.bad[0]
	if !q.Tail || q.Err == nil || q.Origin.Index != int64(len(starts)-1) || q.Origin.Offset != last || q.Origin.Line != int64(len(starts)) {
		t.Errorf("cut-off record quarantined as %+v", q)
	}
	if st.Records != int64(len(starts)) {
		t.Errorf("Records = %d", st.Records)
	}
	// A whole last line without its newline is a whole record.
	c, _ = decodeBytes(t, bytes.TrimRight(b, "\n"), decode.Options{})
	if len(c.bad) != 0 || len(c.events) != len(starts) {
		t.Errorf("no final newline: %d events, %d bad", len(c.events), len(c.bad))
	}
}

func TestDecodeAnswersReused(t *testing.T) {
	b := readTestdata(t, "records.jsonl")
	starts := lineStarts(b)
	in := b[starts[6]:starts[9]] // three answers, none, one
	var seen [][]event.DNSAnswer
	var backing []*event.DNSAnswer
	h := handlerFunc(func(e *event.Event) error {
		seen = append(seen, slices.Clone(e.DNS.Answers))
		if cap(e.DNS.Answers) > 0 {
			backing = append(backing, &e.DNS.Answers[:1][0])
		}
		return nil
	})
	d := New()
	if _, err := d.Decode(context.Background(), bytes.NewReader(in), decode.Options{}, h); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 {
		t.Fatalf("%d events", len(seen))
	}
	if len(seen[0]) != 3 {
		t.Errorf("first record: %d answers, want 3", len(seen[0]))
	}
	if len(seen[1]) != 0 {
		t.Errorf("record without answers got %+v from the one before", seen[1])
	}
	if want := ans("198.51.100.12", "A", "IN"); !slices.Equal(seen[2], want) {
		t.Errorf("third record answers %+v, want %+v", seen[2], want)
	}
	if len(backing) != 3 || backing[0] != backing[1] || backing[1] != backing[2] {
		t.Errorf("answers backing array not reused: %v", backing)
	}
}

func TestDecodeNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	const n = 500
	data := genRecords(n, 1)
	d := New()
	var h countHandler
	rd := bytes.NewReader(data)
	o := decode.Options{}
	run := func() {
		rd.Reset(data)
		if _, err := d.Decode(context.Background(), rd, o, &h); err != nil {
			t.Fatal(err)
		}
	}
	run() // warm up the buffers
	if h.bad != 0 {
		t.Fatalf("%d bad records", h.bad)
	}
	if allocs := testing.AllocsPerRun(20, run); allocs/n > 0.01 {
		t.Errorf("%.1f allocations per %d records", allocs, n)
	}
	cw := genCloudWatch(n, 50)
	runCW := func() {
		rd.Reset(cw)
		if _, err := d.Decode(context.Background(), rd, o, &h); err != nil {
			t.Fatal(err)
		}
	}
	runCW()
	if allocs := testing.AllocsPerRun(20, runCW); allocs/n > 0.01 {
		t.Errorf("CloudWatch: %.1f allocations per %d records", allocs, n)
	}
	if h.bad != 0 {
		t.Fatalf("%d bad records", h.bad)
	}
}

func TestDecodeHugeLine(t *testing.T) {
	b := readTestdata(t, "records.jsonl")
	first := b[:bytes.IndexByte(b, '\n')+1]
	var in bytes.Buffer
	in.Write(first)
	in.WriteString(`{"query_name":"` + strings.Repeat("a", 2<<20) + `."}` + "\n")
	in.Write(first)
	c, st := decodeBytes(t, in.Bytes(), decode.Options{MaxRecordBytes: 1 << 20})
	if len(c.events) != 2 || len(c.bad) != 1 || st.Records != 3 {
		t.Fatalf("%d events, %d bad, stats %+v", len(c.events), len(c.bad), st)
	}
	q := c.bad[0]
	if !strings.Contains(q.Reason, "maximum record size") || q.Origin.Line != 2 || q.Origin.Offset != int64(len(first)) || len(q.Sample) > 4096 {
		t.Errorf("huge line quarantined as %+v (sample %d bytes)", q.Origin, len(q.Sample))
	}
	if c.events[1].Origin.Index != 2 || c.events[1].Origin.Line != 3 {
		t.Errorf("record after the huge line at %+v", c.events[1].Origin)
	}
}

func TestDecodeReuse(t *testing.T) {
	// One decoder, several streams with different options: nothing carries over.
	d := New()
	b := readTestdata(t, "records.jsonl")
	for i, max := range []int{0, 1 << 16, 1 << 16, 0} {
		var c collector
		st, err := d.Decode(context.Background(), bytes.NewReader(b), decode.Options{MaxRecordBytes: max}, &c)
		if err != nil || st.Records != int64(len(recordsWant)) || len(c.events) != len(recordsWant) {
			t.Fatalf("run %d: %v %+v", i, err, st)
		}
		checkEvent(t, fmt.Sprintf("run %d", i), c.events[3], recordsWant[3])
	}
}

func TestDecodeStops(t *testing.T) {
	b := genRecords(3000, 2)
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		n := 0
		st, err := New().Decode(ctx, bytes.NewReader(b), decode.Options{}, handlerFunc(func(*event.Event) error { n++; return nil }))
		if !errors.Is(err, context.Canceled) || n != 0 || st.Records != 0 {
			t.Errorf("err %v after %d events (%+v)", err, n, st)
		}
	})
	t.Run("cancelled midway", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n := 0
		st, err := New().Decode(ctx, bytes.NewReader(b), decode.Options{}, handlerFunc(func(*event.Event) error {
			if n++; n == 10 {
				cancel()
			}
			return nil
		}))
		if !errors.Is(err, context.Canceled) || n > 1024 || st.Records != int64(n) {
			t.Errorf("err %v after %d events (%+v)", err, n, st)
		}
	})
	t.Run("handler error", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		st, err := New().Decode(context.Background(), bytes.NewReader(b), decode.Options{}, handlerFunc(func(*event.Event) error {
			n++
			if n == 5 {
				return stop
			}
			return nil
		}))
		if err != stop || n != 5 || st.Records != 5 || st.Events != 5 {
			t.Errorf("err %v after %d events (%+v)", err, n, st)
		}
	})
	t.Run("handler error in a CloudWatch message", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		st, err := New().Decode(context.Background(), bytes.NewReader(genCloudWatch(100, 10)), decode.Options{}, handlerFunc(func(*event.Event) error {
			if n++; n == 15 {
				return stop
			}
			return nil
		}))
		if err != stop || n != 15 || st.Records != 15 || st.Events != 15 {
			t.Errorf("err %v after %d events (%+v)", err, n, st)
		}
	})
}

func TestParse(t *testing.T) {
	b := readTestdata(t, "records.jsonl")
	line := b[:bytes.IndexByte(b, '\n')]
	e, err := Parse(line)
	if err != nil {
		t.Fatal(err)
	}
	checkEvent(t, "Parse", e, recordsWant[0])
	for _, in := range []string{`{`, `[]`, `{"query_name":"a."}`} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%s) succeeded", in)
		}
	}
}

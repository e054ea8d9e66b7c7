package vpcflow

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/jsonstream"
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

func decodeReader(t testing.TB, r io.Reader, o decode.Options) (*collector, decode.Stats) {
	t.Helper()
	var c collector
	st, err := New().Decode(context.Background(), r, o, &c)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	checkStats(t, st, &c)
	return &c, st
}

func decodeBytes(t testing.TB, b []byte, o decode.Options) (*collector, decode.Stats) {
	t.Helper()
	return decodeReader(t, bytes.NewReader(b), o)
}

func checkStats(t testing.TB, st decode.Stats, c *collector) {
	t.Helper()
	if st.Events != int64(len(c.events)) || st.Quarantined != int64(len(c.bad)) || st.Events+st.Quarantined+st.Skipped != st.Records {
		t.Errorf("stats %+v do not add up (%d events, %d bad seen)", st, len(c.events), len(c.bad))
	}
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// flow summarises an event's flow fields on one line, "-" for zero values:
// account iface src:sport>dst:dport/proto packets bytes start-end action status.
func flow(e *event.Event) string {
	n := &e.Net
	s := func(v string) string {
		if v == "" {
			return "-"
		}
		return v
	}
	a := func(v netip.Addr) string {
		if !v.IsValid() {
			return "-"
		}
		return v.String()
	}
	u := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return fmt.Sprint(t.Unix())
	}
	return fmt.Sprintf("%s %s %s:%d>%s:%d/%d %d %d %s-%s %s %s",
		s(e.Account), s(n.InterfaceID), a(n.SrcAddr), n.SrcPort, a(n.DstAddr), n.DstPort, n.Protocol,
		n.Packets, n.Bytes, u(n.Start), u(n.End), s(n.Action), s(n.LogStatus))
}

// extra summarises the fields of versions 3 to 5.
func extra(e *event.Event) string {
	n := &e.Net
	s := func(v string) string {
		if v == "" {
			return "-"
		}
		return v
	}
	a := func(v netip.Addr) string {
		if !v.IsValid() {
			return "-"
		}
		return v.String()
	}
	return fmt.Sprintf("%s %s %s flags=%d pkt=%s>%s region=%s dir=%s",
		s(n.VPCID), s(n.SubnetID), s(n.InstanceID), n.TCPFlags, a(n.PktSrcAddr), a(n.PktDstAddr), s(e.Region), s(n.Direction))
}

func flows(c *collector) []string {
	var out []string
	for _, e := range c.events {
		out = append(out, flow(e))
	}
	return out
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestDecodeFiles(t *testing.T) {
	tests := []struct {
		file   string
		params map[string]string
		flows  []string
		extra  []string // extra(e) of each event, when checked
		lines  []int64  // Origin.Line of each event
	}{
		{
			file: "default-v2.log",
			flows: []string{
				"123456789012 eni-0a1b2c3d4e5f60718 10.0.1.25:49152>10.0.2.14:443/6 12 4180 1728900000-1728900060 ACCEPT OK",
				"123456789012 eni-0a1b2c3d4e5f60718 198.51.100.7:51234>10.0.1.25:22/6 3 180 1728900005-1728900062 REJECT OK",
				"123456789012 eni-0a1b2c3d4e5f60718 10.0.1.25:0>203.0.113.9:0/1 4 336 1728900010-1728900070 ACCEPT OK",
				"123456789012 eni-0a1b2c3d4e5f60718 -:0>-:0/0 0 0 1728900060-1728900120 - NODATA",
				"123456789012 eni-0ffff1111aaaa2222 -:0>-:0/0 0 0 1728900060-1728900120 - SKIPDATA",
				"unknown eni-0b9c8d7e6f5a40312 10.0.3.7:0>10.0.1.25:0/50 2 208 1728900100-1728900160 ACCEPT OK",
			},
			lines: []int64{1, 2, 3, 4, 5, 6},
		},
		{
			file: "s3-v2.log",
			flows: []string{
				"123456789012 eni-0a1b2c3d4e5f60718 10.0.1.25:38512>52.94.133.131:443/6 20 5210 1728900000-1728900058 ACCEPT OK",
				"123456789012 eni-0a1b2c3d4e5f60718 185.220.101.4:40222>10.0.1.25:3389/6 1 40 1728900002-1728900058 REJECT OK",
				"123456789012 eni-0a1b2c3d4e5f60718 -:0>-:0/0 0 0 1728900060-1728900118 - NODATA",
			},
			lines: []int64{2, 3, 4},
		},
		{
			file: "v5-all-fields.log",
			flows: []string{
				"123456789012 eni-0a1b2c3d4e5f60718 10.0.1.25:44812>52.216.8.170:443/6 35 18211 1728900000-1728900059 ACCEPT OK",
				"123456789012 eni-0a1b2c3d4e5f60718 52.216.8.170:443>10.0.1.25:44812/6 40 60112 1728900000-1728900059 ACCEPT OK",
				"123456789012 eni-0c0c0c0c0c0c0c0c0 10.0.1.99:33000>10.0.9.9:5432/6 8 640 1728900030-1728900090 ACCEPT OK",
				"123456789012 eni-0a1b2c3d4e5f60718 2001:db8:1234:a100::25:51000>2600:1f18:aaaa:bbbb::10:443/6 10 2100 1728900040-1728900099 REJECT OK",
				"123456789012 eni-0a1b2c3d4e5f60718 -:0>-:0/0 0 0 1728900060-1728900120 - NODATA",
			},
			extra: []string{
				"vpc-0abc1234def567890 subnet-0123abcd4567ef890 i-0fedcba9876543210 flags=19 pkt=10.0.1.25>52.216.8.170 region=eu-west-1 dir=egress",
				"vpc-0abc1234def567890 subnet-0123abcd4567ef890 i-0fedcba9876543210 flags=3 pkt=52.216.8.170>10.0.1.25 region=eu-west-1 dir=ingress",
				"vpc-0abc1234def567890 subnet-0123abcd4567ef890 - flags=2 pkt=10.0.4.4>10.0.9.9 region=eu-west-1 dir=ingress",
				"vpc-0abc1234def567890 subnet-0123abcd4567ef890 i-0fedcba9876543210 flags=2 pkt=2001:db8:1234:a100::25>2600:1f18:aaaa:bbbb::10 region=eu-west-1 dir=egress",
				"vpc-0abc1234def567890 subnet-0123abcd4567ef890 i-0fedcba9876543210 flags=0 pkt=->- region=eu-west-1 dir=-",
			},
			lines: []int64{2, 3, 4, 5, 6},
		},
		{
			file: "ipv6.log",
			flows: []string{
				"123456789012 eni-0a1b2c3d4e5f60718 2001:db8:1234:a100:8d6e:3477:df66:f105:34892>2001:db8:1234:a102:3304:8879:34cf:4071:22/6 54 8855 1728900000-1728900100 ACCEPT OK",
				"123456789012 eni-0a1b2c3d4e5f60718 ::1:0>fe80::1:0/58 2 112 1728900001-1728900100 REJECT OK",
				"123456789012 eni-0a1b2c3d4e5f60718 ::ffff:192.0.2.128:53>2001:db8::7:40000/17 1 90 1728900002-1728900100 ACCEPT OK",
			},
		},
		{
			file:   "custom-order.log",
			params: map[string]string{"fields": "start end instance-id interface-id srcaddr dstaddr protocol tcp-flags flow-direction srcport dstport action"},
			flows: []string{
				"- eni-0a1b2c3d4e5f60718 198.51.100.20:51515>10.0.1.25:22/6 0 0 1728900000-1728900060 REJECT -",
				"- eni-0a1b2c3d4e5f60718 10.0.1.25:40000>203.0.113.50:4444/6 0 0 1728900000-1728900060 ACCEPT -",
			},
			extra: []string{
				"- - i-0fedcba9876543210 flags=2 pkt=->- region=- dir=ingress",
				"- - i-0fedcba9876543210 flags=19 pkt=->- region=- dir=egress",
			},
		},
		{
			// AWS's LogFormat syntax is accepted as the option's value.
			file:   "custom-order.log",
			params: map[string]string{"fields": "${start} ${end} ${instance-id} ${interface-id} ${srcaddr} ${dstaddr} ${protocol} ${tcp-flags} ${flow-direction} ${srcport} ${dstport} ${action}"},
			flows: []string{
				"- eni-0a1b2c3d4e5f60718 198.51.100.20:51515>10.0.1.25:22/6 0 0 1728900000-1728900060 REJECT -",
				"- eni-0a1b2c3d4e5f60718 10.0.1.25:40000>203.0.113.50:4444/6 0 0 1728900000-1728900060 ACCEPT -",
			},
		},
		{
			// A header wins over the option: it describes the file exactly.
			file:   "s3-v2.log",
			params: map[string]string{"fields": "srcaddr dstaddr"},
			flows: []string{
				"123456789012 eni-0a1b2c3d4e5f60718 10.0.1.25:38512>52.94.133.131:443/6 20 5210 1728900000-1728900058 ACCEPT OK",
				"123456789012 eni-0a1b2c3d4e5f60718 185.220.101.4:40222>10.0.1.25:3389/6 1 40 1728900002-1728900058 REJECT OK",
				"123456789012 eni-0a1b2c3d4e5f60718 -:0>-:0/0 0 0 1728900060-1728900118 - NODATA",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			b := readFile(t, tc.file)
			c, st := decodeBytes(t, b, decode.Options{Origin: event.Origin{Source: "test", Path: tc.file}, Params: tc.params})
			for _, bad := range c.bad {
				t.Errorf("quarantined record %d (line %d): %s", bad.Origin.Index, bad.Origin.Line, bad.Reason)
			}
			sameLines(t, "flows", flows(c), tc.flows)
			if tc.extra != nil {
				var got []string
				for _, e := range c.events {
					got = append(got, extra(e))
				}
				sameLines(t, "v3-v5 fields", got, tc.extra)
			}
			for i, e := range c.events {
				if e.Kind != event.KindVPCFlow || e.Action != "" || e.Origin.Index != int64(i) || e.Origin.Source != "test" || e.Origin.Path != tc.file {
					t.Errorf("event %d: kind %v action %q origin %+v", i, e.Kind, e.Action, e.Origin)
				}
				if !e.Time.Equal(e.Net.Start) || e.Time.Location() != time.UTC {
					t.Errorf("event %d: time %v, want the start %v in UTC", i, e.Time, e.Net.Start)
				}
				if tc.lines != nil && e.Origin.Line != tc.lines[i] {
					t.Errorf("event %d: line %d, want %d", i, e.Origin.Line, tc.lines[i])
				}
				// Offset and RawBytes locate the line in the file.
				if off := e.Origin.Offset; off < 0 || off+int64(len(e.RawBytes)) > int64(len(b)) || !bytes.Equal(b[off:off+int64(len(e.RawBytes))], e.RawBytes) {
					t.Errorf("event %d: offset %d does not hold its raw bytes %q", i, off, e.RawBytes)
				} else if off > 0 && b[off-1] != '\n' {
					t.Errorf("event %d: offset %d is not the start of a line", i, off)
				}
				if bytes.ContainsAny(e.RawBytes, "\r\n") {
					t.Errorf("event %d: raw bytes keep the line ending: %q", i, e.RawBytes)
				}
			}
			if st.Records != int64(len(tc.flows)) || st.Bytes != int64(len(b)) {
				t.Errorf("stats %+v: want %d records, %d bytes", st, len(tc.flows), len(b))
			}
		})
	}
}

func TestInstanceAndInterface(t *testing.T) {
	c, _ := decodeBytes(t, readFile(t, "v5-all-fields.log"), decode.Options{})
	// The ENI → instance mapping is in every event that names the instance.
	want := map[string]string{"eni-0a1b2c3d4e5f60718": "i-0fedcba9876543210", "eni-0c0c0c0c0c0c0c0c0": ""}
	for i, e := range c.events {
		if inst, ok := want[e.Net.InterfaceID]; !ok || e.Net.InstanceID != inst {
			t.Errorf("event %d: interface %q instance %q", i, e.Net.InterfaceID, e.Net.InstanceID)
		}
	}
}

func TestCloudWatchJSON(t *testing.T) {
	custom := map[string]string{"fields": "start end instance-id interface-id srcaddr dstaddr protocol tcp-flags flow-direction srcport dstport action"}
	tests := []struct {
		name    string
		file    string
		in      []byte // instead of file
		params  map[string]string
		flows   []string
		times   []int64 // Event.Time of each event (Unix seconds)
		bad     []string
		skipped int64
	}{
		{
			name: "subscription payloads, default format",
			file: "cwl-subscription.json",
			flows: []string{
				"123456789012 eni-0a1b2c3d4e5f60718 10.0.1.25:49152>10.0.2.14:443/6 12 4180 1728900000-1728900060 ACCEPT OK",
				"123456789012 eni-0a1b2c3d4e5f60718 198.51.100.7:51234>10.0.1.25:22/6 3 180 1728900005-1728900062 REJECT OK",
				// account-id "unknown": the payload's owner.
				"123456789012 eni-0b9c8d7e6f5a40312 -:0>-:0/0 0 0 1728900060-1728900120 - NODATA",
				"123456789012 eni-0b9c8d7e6f5a40312 10.0.3.7:0>10.0.1.25:0/1 99999 336 1728900100-1728900160 ACCEPT OK",
			},
			times:   []int64{1728900000, 1728900005, 1728900060, 1728900100},
			skipped: 1, // the control message
		},
		{
			name:   "subscription payloads, fields from params",
			file:   "cwl-custom.jsonl",
			params: custom,
			flows: []string{
				"210987654321 eni-0d0d0d0d0d0d0d0d0 203.0.113.66:60000>10.1.0.5:22/6 0 0 1728900000-1728900060 REJECT -",
				// Every field missing but the interface: the log event's timestamp.
				"210987654321 eni-0d0d0d0d0d0d0d0d0 -:0>-:0/0 0 0 --- - -",
				"210987654321 eni-0d0d0d0d0d0d0d0d0 10.1.0.5:5353>198.51.100.1:53/17 0 0 1728900070-1728900120 ACCEPT -",
			},
			times: []int64{1728900000, 1728900061, 1728900070},
		},
		{
			name: "custom messages without params",
			file: "cwl-custom.jsonl",
			bad: []string{
				"logEvents[0]: expected 14 fields (the default v2 format), got 12",
				"logEvents[1]: expected 14 fields (the default v2 format), got 12",
				"logEvents[0]: expected 14 fields (the default v2 format), got 12",
			},
		},
		{
			name: "filter-log-events output",
			in: []byte(`{"events":[{"logStreamName":"eni-0a1b2c3d4e5f60718-all","timestamp":1728900060000,"message":"2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.25 10.0.2.14 49152 443 6 12 4180 1728900000 1728900060 ACCEPT OK","ingestionTime":1728900070000,"eventId":"1"}],"searchedLogStreams":[]}
{"timestamp":1728900060000,"message":"2 123456789012 eni-0a1b2c3d4e5f60718 - - - - - - - 1728900060 1728900120 - NODATA\n"}`),
			flows: []string{
				"123456789012 eni-0a1b2c3d4e5f60718 10.0.1.25:49152>10.0.2.14:443/6 12 4180 1728900000-1728900060 ACCEPT OK",
				"123456789012 eni-0a1b2c3d4e5f60718 -:0>-:0/0 0 0 1728900060-1728900120 - NODATA",
			},
			times: []int64{1728900000, 1728900060},
		},
		{
			name: "bad payloads",
			in: []byte(`{"messageType":"DATA_MESSAGE","owner":"123456789012","logEvents":[{"id":"1","message":"2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.25 10.0.2.14 49152 70000 6 12 4180 1728900000 1728900060 ACCEPT OK"},{"id":"2"},7]}
{"messageType":"DATA_MESSAGE","logEvents":{}}
{"Records":[]}
{"messageType":"DATA_MESSAGE","logEvents":[{"message":"2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.25 10.0.2.14 49152 443 6 12 4180 1728900000 1728900060 ACCEPT OK"}]}
{"messageType":"DATA_MESSAGE","logEvents":[{"message":"2 1`),
			flows: []string{"123456789012 eni-0a1b2c3d4e5f60718 10.0.1.25:49152>10.0.2.14:443/6 12 4180 1728900000-1728900060 ACCEPT OK"},
			times: []int64{1728900000},
			bad: []string{
				"logEvents[0]: field dstport: \"70000\" is not a port number (0-65535)",
				"logEvents[1]: no message string",
				"logEvents[2]: expected an object, got number",
				"field logEvents: expected an array, got object",
				"no logEvents (subscription payload) or message (log event)",
				"truncated",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if tc.file != "" {
				in = readFile(t, tc.file)
			}
			c, st := decodeBytes(t, in, decode.Options{Origin: event.Origin{Path: "cwl"}, Params: tc.params})
			sameLines(t, "flows", flows(c), tc.flows)
			for i, e := range c.events {
				if i < len(tc.times) && e.Time.Unix() != tc.times[i] {
					t.Errorf("event %d: time %v, want %d", i, e.Time, tc.times[i])
				}
				if !bytes.HasPrefix(e.RawBytes, []byte("2 ")) && !bytes.HasPrefix(e.RawBytes, []byte("17")) && !bytes.HasPrefix(e.RawBytes, []byte("- ")) {
					t.Errorf("event %d: raw bytes are not the message: %q", i, e.RawBytes)
				}
				if bytes.HasSuffix(e.RawBytes, []byte("\n")) {
					t.Errorf("event %d: raw bytes keep the message's newline", i)
				}
			}
			var reasons []string
			for _, b := range c.bad {
				reasons = append(reasons, b.Reason)
			}
			if len(reasons) != len(tc.bad) {
				t.Fatalf("quarantined %q, want %q", reasons, tc.bad)
			}
			for i, r := range reasons {
				if !strings.Contains(r, tc.bad[i]) {
					t.Errorf("quarantine %d: %q, want it to contain %q", i, r, tc.bad[i])
				}
			}
			if st.Skipped != tc.skipped {
				t.Errorf("skipped %d, want %d", st.Skipped, tc.skipped)
			}
			if st.Bytes != int64(len(in)) {
				t.Errorf("bytes %d, want %d", st.Bytes, len(in))
			}
		})
	}
}

// TestCloudWatchOrigins checks that log events get consecutive record
// indices and the offset and line of their payload.
func TestCloudWatchOrigins(t *testing.T) {
	in := readFile(t, "cwl-custom.jsonl")
	c, st := decodeBytes(t, in, decode.Options{Params: map[string]string{"fields": "start end instance-id interface-id srcaddr dstaddr protocol tcp-flags flow-direction srcport dstport action"}})
	second := int64(bytes.IndexByte(in, '\n') + 1)
	want := []event.Origin{{Index: 0, Offset: 0, Line: 1}, {Index: 1, Offset: 0, Line: 1}, {Index: 2, Offset: second, Line: 2}}
	var got []event.Origin
	for _, e := range c.events {
		got = append(got, e.Origin)
	}
	if !reflect.DeepEqual(got, want) || st.Records != 3 {
		t.Errorf("origins %+v (records %d), want %+v", got, st.Records, want)
	}
	// Resuming inside a payload skips its first log events.
	c2, st2 := decodeBytes(t, in, decode.Options{Start: 1, Params: map[string]string{"fields": "start end instance-id interface-id srcaddr dstaddr protocol tcp-flags flow-direction srcport dstport action"}})
	if len(c2.events) != 2 || c2.events[0].Origin.Index != 1 || st2.Skipped != 1 {
		t.Errorf("from 1: %d events, first %+v, stats %+v", len(c2.events), c2.events[0].Origin, st2)
	}
}

const good1 = "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.25 10.0.2.14 49152 443 6 12 4180 1728900000 1728900060 ACCEPT OK"
const good2 = "2 123456789012 eni-0a1b2c3d4e5f60718 198.51.100.7 10.0.1.25 51234 22 6 3 180 1728900005 1728900062 REJECT OK"

// TestBadRecords puts each bad line between two good ones: it is
// quarantined with its origin and a reason naming the field, and the next
// line is still decoded.
func TestBadRecords(t *testing.T) {
	tests := []struct {
		name, line, reason string
	}{
		{"too few fields", "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.25 10.0.2.14 49152 443 6 12 4180 1728900000 1728900060 ACCEPT", "expected 14 fields (the default v2 format), got 13"},
		{"too many fields", good1 + " extra", "expected 14 fields (the default v2 format), got 15"},
		{"custom format without header", "5 52.95.128.179 10.0.0.71 80 34210 6 1616729292 1616729349 IPv4 14 15044 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 19 52.95.128.179 10.0.0.71 S3 - - ingress OK", "got 29: a custom format needs its header line"},
		{"port out of range", strings.Replace(good1, " 443 ", " 70000 ", 1), `field dstport: "70000" is not a port number (0-65535)`},
		{"source port not a number", strings.Replace(good1, " 49152 ", " 49x52 ", 1), `field srcport: "49x52" is not a number`},
		{"negative packets", strings.Replace(good1, " 12 ", " -12 ", 1), `field packets: "-12" is not a number`},
		{"bytes not a number", strings.Replace(good1, " 4180 ", " 4.2e3 ", 1), `field bytes: "4.2e3" is not a number`},
		{"bytes overflow", strings.Replace(good1, " 4180 ", " 99999999999999999999 ", 1), `field bytes: "99999999999999999999" is not a number`},
		{"protocol out of range", strings.Replace(good1, " 6 ", " 256 ", 1), `field protocol: "256" is not a protocol number (0-255)`},
		{"start not a time", strings.Replace(good1, " 1728900000 ", " 99999999999999 ", 1), `field start: "99999999999999" is not a time in Unix seconds`},
		{"end not a number", strings.Replace(good1, " 1728900060 ", " 2024-10-14T10:01:00Z ", 1), `field end: "2024-10-14T10:01:00Z" is not a number`},
		{"bad IPv4 address", strings.Replace(good1, "10.0.1.25", "10.0.1.300", 1), `field srcaddr: "10.0.1.300" is not an IP address`},
		{"bad IPv6 address", strings.Replace(good1, "10.0.2.14", "2001:db8::g1", 1), `field dstaddr: "2001:db8::g1" is not an IP address`},
		{"address is a name", strings.Replace(good1, "10.0.2.14", "null", 1), `field dstaddr: "null" is not an IP address`},
		{"unknown action", strings.Replace(good1, "ACCEPT", "ALLOW", 1), `field action: "ALLOW" is not ACCEPT, REJECT or -`},
		{"unknown log status", strings.Replace(good1, " OK", " FINE", 1), `field log-status: "FINE" is not OK, NODATA, SKIPDATA or -`},
		{"version not a number", strings.Replace(good1, "2 ", "v2 ", 1), `field version: "v2" is not a number`},
		{"binary garbage", "\x00\x01\x02\xff\xfe garbage \x1b[31m\x7f", "expected 14 fields (the default v2 format), got 3"},
		{"JSON in a text stream", `{"version":2}`, "expected 14 fields (the default v2 format), got 1"},
		{"header in the middle", "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status", "a header line after the start of the stream"},
		{"other header in the middle", "version vpc-id srcaddr dstaddr", "a header line after the start of the stream"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := good1 + "\n" + tc.line + "\n" + good2 + "\n"
			c, st := decodeBytes(t, []byte(in), decode.Options{Origin: event.Origin{Source: "s", Path: "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/10/14/x.log"}})
			if len(c.bad) != 1 {
				t.Fatalf("quarantined %d records, want 1 (events %q)", len(c.bad), flows(c))
			}
			b := c.bad[0]
			if !strings.Contains(b.Reason, tc.reason) {
				t.Errorf("reason %q, want it to contain %q", b.Reason, tc.reason)
			}
			want := event.Origin{Source: "s", Path: "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/10/14/x.log", Index: 1, Offset: int64(len(good1) + 1), Line: 2}
			if b.Origin != want {
				t.Errorf("origin %+v, want %+v", b.Origin, want)
			}
			if string(b.Sample) != tc.line || b.Tail {
				t.Errorf("sample %q tail %v, want the line, not tail", b.Sample, b.Tail)
			}
			if len(c.events) != 2 || c.events[1].Origin.Index != 2 || c.events[1].Origin.Line != 3 || flow(c.events[1]) != flow(mustParse(t, good2)) {
				t.Errorf("the stream did not go on: %q", flows(c))
			}
			if st.Records != 3 || st.Quarantined != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func mustParse(t *testing.T, line string) *event.Event {
	t.Helper()
	c, _ := decodeBytes(t, []byte(line+"\n"), decode.Options{})
	if len(c.events) != 1 {
		t.Fatalf("%q: %d events, bad %+v", line, len(c.events), c.bad)
	}
	return c.events[0]
}

// TestMidStreamHeaderChangesNothing: a second header does not replace the
// first one's field list.
func TestMidStreamHeaderChangesNothing(t *testing.T) {
	in := readFile(t, "s3-v2.log")
	in = append(in, "srcaddr dstaddr\n10.9.9.9 10.8.8.8\n"+good1+"\n"...)
	c, _ := decodeBytes(t, in, decode.Options{})
	if len(c.bad) != 2 || !strings.Contains(c.bad[0].Reason, "header line after the start") || !strings.Contains(c.bad[1].Reason, "expected 14 fields (the header on line 1), got 2") {
		t.Errorf("bad %+v", c.bad)
	}
	if len(c.events) != 4 {
		t.Errorf("%d events, want 4", len(c.events))
	}
	if c.bad[0].Origin.Index != 3 || c.bad[0].Origin.Line != 5 {
		t.Errorf("mid-stream header origin %+v, want index 3 line 5", c.bad[0].Origin)
	}
}

func TestBadHeader(t *testing.T) {
	in := "version srcaddr dstaddr srcaddr\n2 10.0.0.1 10.0.0.2 10.0.0.3\n"
	c, st := decodeBytes(t, []byte(in), decode.Options{})
	if len(c.bad) != 1 || !strings.Contains(c.bad[0].Reason, "the header on line 1 names field srcaddr twice (fields 2 and 4)") || st.Records != 1 {
		t.Errorf("bad %+v, stats %+v", c.bad, st)
	}
	// A first line of words that are no field names is a record, not a header.
	c, st = decodeBytes(t, []byte("eni-0a1b2c3d4e5f60718 vpc-0abc1234def567890\n"+good1+"\n"), decode.Options{})
	if len(c.bad) != 1 || c.bad[0].Origin.Index != 0 || len(c.events) != 1 || st.Records != 2 {
		t.Errorf("words as first line: bad %+v, %d events", c.bad, len(c.events))
	}
	// Unknown names in a header are accepted: their values are ignored.
	in = "version future-field srcaddr dstaddr action\n2 something 10.0.0.1 10.0.0.2 ACCEPT\n"
	c, _ = decodeBytes(t, []byte(in), decode.Options{})
	if len(c.bad) != 0 || len(c.events) != 1 || c.events[0].Net.SrcAddr != netip.MustParseAddr("10.0.0.1") || c.events[0].Net.Action != "ACCEPT" {
		t.Errorf("unknown header field: bad %+v, events %d", c.bad, len(c.events))
	}
}

func TestBadParamsQuarantine(t *testing.T) {
	c, st := decodeBytes(t, []byte(good1+"\n"+good2+"\n"), decode.Options{Params: map[string]string{"fields": "srcaddr srcaddr"}})
	if len(c.bad) != 2 || st.Events != 0 || !strings.Contains(c.bad[0].Reason, "format_options: fields: srcaddr is listed twice") {
		t.Errorf("bad %+v", c.bad)
	}
}

func TestHugeLine(t *testing.T) {
	huge := bytes.Repeat([]byte("A"), 10<<20)
	for _, max := range []int{0, 1 << 20} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			var in bytes.Buffer
			in.WriteString(good1 + "\n")
			in.Write(huge)
			in.WriteString("\n" + good2 + "\n")
			c, st := decodeBytes(t, in.Bytes(), decode.Options{MaxRecordBytes: max})
			if len(c.bad) != 1 || len(c.events) != 2 {
				t.Fatalf("%d bad, %d events", len(c.bad), len(c.events))
			}
			b := c.bad[0]
			if !errors.Is(b.Err, jsonstream.ErrTooLarge) || !strings.Contains(b.Reason, "maximum record size") || b.Tail {
				t.Errorf("bad %q err %v tail %v", b.Reason, b.Err, b.Tail)
			}
			if b.Origin.Index != 1 || b.Origin.Line != 2 || b.Origin.Offset != int64(len(good1)+1) || len(b.Sample) == 0 || len(b.Sample) > 1024 || b.Sample[0] != 'A' {
				t.Errorf("origin %+v sample %d bytes", b.Origin, len(b.Sample))
			}
			if e := c.events[1]; e.Origin.Line != 3 || e.Origin.Offset != int64(len(good1)+1+len(huge)+1) {
				t.Errorf("after the huge line: origin %+v", e.Origin)
			}
			if st.Bytes != int64(in.Len()) {
				t.Errorf("bytes %d, want %d", st.Bytes, in.Len())
			}
		})
	}
}

// TestStartResumes: decoding from Start gives the events and bad records
// a full decode gives from that index on, whatever the input shape.
func TestStartResumes(t *testing.T) {
	inputs := map[string][]byte{
		"v5 header": readFile(t, "v5-all-fields.log"),
		"mixed":     []byte("\n" + good1 + "\n\nnot a record\n" + good2 + "\r\n" + strings.Replace(good1, "443", "99999", 1) + "\n" + good2),
		"json":      readFile(t, "cwl-subscription.json"),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			full, fst := decodeBytes(t, in, decode.Options{})
			for start := int64(0); start <= fst.Records+1; start++ {
				part, pst := decodeBytes(t, in, decode.Options{Start: start})
				var wantEv, wantBad []string
				for _, e := range full.events {
					if e.Origin.Index >= start {
						wantEv = append(wantEv, fmt.Sprint(e.Origin, flow(e)))
					}
				}
				for _, b := range full.bad {
					if b.Origin.Index >= start {
						wantBad = append(wantBad, fmt.Sprint(b.Origin, b.Reason))
					}
				}
				var gotEv, gotBad []string
				for _, e := range part.events {
					gotEv = append(gotEv, fmt.Sprint(e.Origin, flow(e)))
				}
				for _, b := range part.bad {
					gotBad = append(gotBad, fmt.Sprint(b.Origin, b.Reason))
				}
				sameLines(t, fmt.Sprintf("events from %d", start), gotEv, wantEv)
				sameLines(t, fmt.Sprintf("bad from %d", start), gotBad, wantBad)
				if pst.Records != fst.Records || pst.Skipped < min(start, fst.Records) {
					t.Errorf("from %d: stats %+v, full %+v", start, pst, fst)
				}
			}
		})
	}
}

func TestTail(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		tail   bool   // the last record is bad with Tail
		events int    // events before it (or in all)
		reason string // of the last bad record
	}{
		{"cut in the middle", good1 + "\n" + good2[:40], true, 1, "the stream ends inside the line: expected 14 fields"},
		{"cut inside the last field", good1 + "\n" + good2[:len(good2)-1], true, 1, `field log-status: "O"`},
		{"cut inside a number at the end", "version srcaddr dstaddr bytes\n2 10.0.0.1 10.0.0.2 12x", true, 0, `field bytes: "12x" is not a number`},
		{"whole line without newline", good1 + "\n" + good2, false, 2, ""},
		{"whole line with CRLF, no final newline", good1 + "\r\n" + good2 + "\r", false, 2, ""},
		{"too many fields without newline", good1 + "\n" + good2 + " 7", false, 1, "got 15"},
		{"bad early field without newline", good1 + "\n" + strings.Replace(good2, "22", "99999", 1), false, 1, "not a port number"},
		{"cut with newline is not a tail", good1 + "\n" + good2[:40] + "\n", false, 1, "expected 14 fields"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := decodeBytes(t, []byte(tc.in), decode.Options{})
			if len(c.events) != tc.events {
				t.Errorf("%d events, want %d", len(c.events), tc.events)
			}
			if tc.reason == "" {
				if len(c.bad) != 0 {
					t.Errorf("bad %+v", c.bad)
				}
				return
			}
			if len(c.bad) != 1 {
				t.Fatalf("bad %+v", c.bad)
			}
			b := c.bad[0]
			if b.Tail != tc.tail || !strings.Contains(b.Reason, tc.reason) {
				t.Errorf("tail %v reason %q, want %v and %q", b.Tail, b.Reason, tc.tail, tc.reason)
			}
			if tc.tail && !errors.Is(b.Err, jsonstream.ErrTruncated) {
				t.Errorf("err %v, want ErrTruncated", b.Err)
			}
		})
	}
}

// TestTruncatedGzip: a gzip stream cut short ends in a Tail record whose
// Err carries the read error.
func TestTruncatedGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for i := 0; i < 2000; i++ {
		fmt.Fprintln(zw, good1)
	}
	zw.Close()
	cut := buf.Bytes()[:buf.Len()/2]
	zr, err := gzip.NewReader(bytes.NewReader(cut))
	if err != nil {
		t.Fatal(err)
	}
	c, st := decodeReader(t, zr, decode.Options{})
	if len(c.bad) != 1 || len(c.events) == 0 {
		t.Fatalf("%d events, bad %+v", len(c.events), c.bad)
	}
	b := c.bad[0]
	if !b.Tail || !errors.Is(b.Err, io.ErrUnexpectedEOF) || !errors.Is(b.Err, jsonstream.ErrTruncated) || b.Origin.Index != st.Records-1 {
		t.Errorf("tail %v err %v origin %+v stats %+v", b.Tail, b.Err, b.Origin, st)
	}
	// A read error between lines is a Tail record too.
	r := io.MultiReader(strings.NewReader(good1+"\n"), iotest.ErrReader(errors.New("disk on fire")))
	c, st = decodeReader(t, r, decode.Options{})
	if len(c.events) != 1 || len(c.bad) != 1 || !c.bad[0].Tail || c.bad[0].Origin.Index != 1 || c.bad[0].Origin.Offset != int64(len(good1)+1) || !strings.Contains(c.bad[0].Err.Error(), "disk on fire") {
		t.Errorf("events %d bad %+v stats %+v", len(c.events), c.bad, st)
	}
}

func TestCRLFAndBlankLines(t *testing.T) {
	lf := readFile(t, "v5-all-fields.log")
	crlf := bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
	spaced := append([]byte("\xEF\xBB\xBF\n  \n"), bytes.ReplaceAll(lf, []byte("\n"), []byte("\n\n"))...)
	want, _ := decodeBytes(t, lf, decode.Options{})
	for name, in := range map[string][]byte{"crlf": crlf, "blank lines and BOM": spaced} {
		c, st := decodeBytes(t, in, decode.Options{})
		sameLines(t, name, flows(c), flows(want))
		if len(c.bad) != 0 || st.Records != int64(len(want.events)) {
			t.Errorf("%s: bad %+v stats %+v", name, c.bad, st)
		}
		for _, e := range c.events {
			if bytes.ContainsAny(e.RawBytes, "\r\n") || !bytes.Equal(in[e.Origin.Offset:e.Origin.Offset+int64(len(e.RawBytes))], e.RawBytes) {
				t.Errorf("%s: raw %q at %d", name, e.RawBytes, e.Origin.Offset)
			}
		}
	}
	// Runs of spaces between fields are tolerated (the AWS docs have one).
	c, _ := decodeBytes(t, []byte(strings.ReplaceAll(good1, " ", "  \t")+"\n"), decode.Options{})
	if len(c.events) != 1 || flow(c.events[0]) != flow(mustParse(t, good1)) {
		t.Errorf("runs of spaces: %q %+v", flows(c), c.bad)
	}
}

func TestAccountAndRegionFallbacks(t *testing.T) {
	tests := []struct {
		path, account, region string
	}{
		{"AWSLogs/111122223333/vpcflowlogs/eu-central-1/2024/10/14/111122223333_vpcflowlogs_eu-central-1_fl-0123456789abcdef0_20241014T1000Z_3f2b.log.gz", "111122223333", "eu-central-1"},
		{"/data/flows/prefix/AWSLogs/111122223333/vpcflowlogs/us-gov-west-1/2024/10/14/x.log", "111122223333", "us-gov-west-1"},
		{"AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=ap-southeast-2/year=2024/month=10/day=14/hour=10/x.log.gz", "111122223333", "ap-southeast-2"},
		{`C:\logs\111122223333_vpcflowlogs_sa-east-1_fl-0abc_20241014T1000Z_ab12.log`, "111122223333", "sa-east-1"},
		{"flows.log", "", ""},
		{"-", "", ""},
		{"AWSLogs/notanaccount/vpcflowlogs/Not_A_Region/x.log", "", ""},
	}
	// No account-id, no region field: both come from the key.
	in := "version srcaddr dstaddr action\n2 10.0.0.1 10.0.0.2 ACCEPT\n"
	for _, tc := range tests {
		c, _ := decodeBytes(t, []byte(in), decode.Options{Origin: event.Origin{Path: tc.path}})
		if len(c.events) != 1 || c.events[0].Account != tc.account || c.events[0].Region != tc.region {
			t.Errorf("%s: account %q region %q, want %q %q", tc.path, c.events[0].Account, c.events[0].Region, tc.account, tc.region)
		}
	}
	// The record's own fields win over the key.
	c, _ := decodeBytes(t, readFile(t, "v5-all-fields.log"), decode.Options{Origin: event.Origin{Path: tests[0].path}})
	if e := c.events[0]; e.Account != "123456789012" || e.Region != "eu-west-1" {
		t.Errorf("fields: account %q region %q", e.Account, e.Region)
	}
	// account-id "unknown" (an interface AWS created) falls back to the key.
	c, _ = decodeBytes(t, readFile(t, "default-v2.log"), decode.Options{Origin: event.Origin{Path: tests[0].path}})
	if e := c.events[5]; e.Account != "111122223333" || e.Region != "eu-central-1" {
		t.Errorf("unknown account: account %q region %q", e.Account, e.Region)
	}
}

func TestCheckParams(t *testing.T) {
	tests := []struct {
		params map[string]string
		want   []string // substrings of the error; none: valid
	}{
		{nil, nil},
		{map[string]string{"fields": DefaultFields}, nil},
		{map[string]string{"fields": "srcaddr dstaddr"}, nil},
		{map[string]string{"fields": "${version} ${srcaddr} ${dstaddr}"}, nil},
		{map[string]string{"fields": "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path ecs-cluster-arn reject-reason"}, nil},
		{map[string]string{"fields": ""}, []string{"fields is empty"}},
		{map[string]string{"fields": "  \t "}, []string{"fields is empty"}},
		{map[string]string{"fields": "srcaddr,dstaddr"}, []string{"separate field names with spaces, not commas"}},
		{map[string]string{"fields": "srcaddr dstaddr src_port"}, []string{`"src_port" (field 3) is not a field name`, `did you mean "srcport"?`}},
		{map[string]string{"fields": "srcaddr dstaddr pkt_srcaddr"}, []string{`did you mean "pkt-srcaddr"?`}},
		{map[string]string{"fields": "srcaddr dstaddr dstprot"}, []string{`unknown field "dstprot" (field 3) (did you mean "dstport"?)`}},
		{map[string]string{"fields": "srcaddr dstaddr srcport srcaddr"}, []string{"srcaddr is listed twice (fields 1 and 4)"}},
		{map[string]string{"fields": "version account-id srcport"}, []string{"lacks srcaddr and dstaddr"}},
		{map[string]string{"fields": "version srcaddr"}, []string{"lacks dstaddr"}},
		{map[string]string{"fields": "srcaddr dstaddr", "delimiter": ","}, []string{`unknown option "delimiter"`}},
		{map[string]string{"feilds": "srcaddr dstaddr", "fields": "SRCADDR dstaddr"}, []string{`unknown option "feilds"`, `"SRCADDR" (field 1) is not a field name`}},
	}
	d := New().(decode.ParamChecker)
	for _, tc := range tests {
		err := d.CheckParams(tc.params)
		if len(tc.want) == 0 {
			if err != nil {
				t.Errorf("%v: %v", tc.params, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%v: no error, want %q", tc.params, tc.want)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %q, want it to contain %q", tc.params, err, w)
			}
		}
	}
}

type stopAt struct {
	collector
	n      int
	cancel context.CancelFunc
	err    error
}

func (s *stopAt) Event(e *event.Event) error {
	s.collector.Event(e)
	if len(s.events) == s.n {
		if s.cancel != nil {
			s.cancel()
			return nil
		}
		return s.err
	}
	return nil
}

func TestStops(t *testing.T) {
	in := bytes.Repeat([]byte(good1+"\n"), 5000)
	// A handler error stops decoding at once.
	boom := errors.New("boom")
	h := &stopAt{n: 3, err: boom}
	st, err := New().Decode(context.Background(), bytes.NewReader(in), decode.Options{}, h)
	if err != boom || st.Records != 3 || len(h.events) != 3 {
		t.Errorf("handler error: err %v stats %+v", err, st)
	}
	// Cancellation is seen within 1024 records.
	for _, r := range map[string][]byte{"text": in, "json": jsonPayloads(5000)} {
		ctx, cancel := context.WithCancel(context.Background())
		h = &stopAt{n: 10, cancel: cancel}
		st, err = New().Decode(ctx, bytes.NewReader(r), decode.Options{}, h)
		if !errors.Is(err, context.Canceled) || st.Records > 1024+10 || st.Records < 10 {
			t.Errorf("cancel: err %v stats %+v", err, st)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New().Decode(ctx, bytes.NewReader(in), decode.Options{}, &collector{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: %v", err)
	}
}

// jsonPayloads makes n log events in subscription payloads of 100.
func jsonPayloads(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i += 100 {
		b.WriteString(`{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":[`)
		for j := i; j < min(n, i+100); j++ {
			if j > i {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"%d","timestamp":1728900060000,"message":%q}`, j, good1)
		}
		b.WriteString("]}\n")
	}
	return b.Bytes()
}

// TestReusedDecoder: one decoder over several streams (different headers,
// params, JSON and text) gives what fresh decoders give.
func TestReusedDecoder(t *testing.T) {
	d := New()
	files := []string{"s3-v2.log", "v5-all-fields.log", "cwl-subscription.json", "s3-v2.log", "custom-order.log", "v5-all-fields.log", "cwl-custom.jsonl"}
	params := map[string]string{"fields": "start end instance-id interface-id srcaddr dstaddr protocol tcp-flags flow-direction srcport dstport action"}
	for _, f := range files {
		var p map[string]string
		if strings.HasPrefix(f, "custom") || strings.HasPrefix(f, "cwl-custom") {
			p = params
		}
		in := readFile(t, f)
		var c collector
		if _, err := d.Decode(context.Background(), bytes.NewReader(in), decode.Options{Params: p}, &c); err != nil {
			t.Fatal(err)
		}
		fresh, _ := decodeBytes(t, in, decode.Options{Params: p})
		sameLines(t, f, flows(&c), flows(fresh))
		if len(c.bad) != len(fresh.bad) {
			t.Errorf("%s: %d bad, fresh %d", f, len(c.bad), len(fresh.bad))
		}
	}
}

// TestNoAllocations: decoding allocates nothing per record once the
// decoder's buffers exist (a few allocations per stream remain).
func TestNoAllocations(t *testing.T) {
	for name, data := range map[string][]byte{"v2": genV2(2000), "v5": genV5(2000), "json": jsonPayloads(2000)} {
		d := New()
		var h countHandler
		rd := bytes.NewReader(data)
		o := decode.Options{Origin: event.Origin{Source: "s", Path: "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/10/14/x.log"}}
		run := func() {
			rd.Reset(data)
			if _, err := d.Decode(context.Background(), rd, o, &h); err != nil {
				t.Fatal(err)
			}
		}
		run()
		if allocs := testing.AllocsPerRun(10, run); allocs > 5 {
			t.Errorf("%s: %.1f allocations per stream of 2000 records", name, allocs)
		}
		if h.bad > 0 || h.events == 0 {
			t.Errorf("%s: %d events, %d bad records", name, h.events, h.bad)
		}
	}
}

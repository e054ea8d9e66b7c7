package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/testutil"
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

func decodeBytes(t *testing.T, b []byte, o decode.Options) (*collector, decode.Stats) {
	t.Helper()
	var c collector
	st, err := New().Decode(context.Background(), bytes.NewReader(b), o, &c)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return &c, st
}

func TestDecodeShapes(t *testing.T) {
	type want struct {
		actions     []string // Action of each event, in order
		quarantined []string // reason substrings, in order
		skipped     int64
	}
	tests := []struct {
		file string
		want want
	}{
		{"records.json", want{actions: []string{"StopLogging", "DescribeInstances", "GetObject"}}},
		{"lines.jsonl", want{actions: []string{"StopLogging", "DescribeInstances", "GetObject", "ConsoleLogin"}}},
		{"array.json", want{actions: []string{"StopLogging", "ConsoleLogin"}}},
		{"eventbridge.jsonl", want{actions: []string{"StopLogging", "ConsoleLogin"}, quarantined: []string{`detail-type "GuardDuty Finding"`}}},
		{"lookup-events.json", want{actions: []string{"StopLogging", "ConsoleLogin"}}},
		{"digest.json", want{skipped: 1}},
		{"insights.json", want{actions: []string{""}}},
		{"bad-mixed.jsonl", want{
			actions: []string{"StopLogging", "ConsoleLogin"},
			quarantined: []string{
				"line ends inside a string",
				"expected an object",
				"field eventTime: expected a string, got number",
				"field userIdentity: expected a string, got string", // placeholder, replaced below
				"field eventName: expected a string, got array",
				"no eventName",
				"malformed JSON",
			},
		}},
	}
	// userIdentity as a string is reported as a wrong type for the object.
	tests[len(tests)-1].want.quarantined[3] = "field userIdentity"
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			c, st := decodeBytes(t, b, decode.Options{Origin: event.Origin{Source: "test", Path: tc.file}})
			var got []string
			for _, e := range c.events {
				got = append(got, e.Action)
			}
			if strings.Join(got, ",") != strings.Join(tc.want.actions, ",") {
				t.Errorf("actions = %q, want %q", got, tc.want.actions)
			}
			if len(c.bad) != len(tc.want.quarantined) {
				for _, b := range c.bad {
					t.Logf("quarantined %d: %s", b.Origin.Index, b.Reason)
				}
				t.Fatalf("quarantined %d records, want %d", len(c.bad), len(tc.want.quarantined))
			}
			for i, b := range c.bad {
				if !strings.Contains(b.Reason, tc.want.quarantined[i]) {
					t.Errorf("quarantine %d reason %q, want it to contain %q", i, b.Reason, tc.want.quarantined[i])
				}
				if b.Origin.Path != tc.file || b.Origin.Source != "test" {
					t.Errorf("quarantine %d origin %+v lacks the file", i, b.Origin)
				}
			}
			if st.Skipped != tc.want.skipped {
				t.Errorf("skipped = %d, want %d", st.Skipped, tc.want.skipped)
			}
			if st.Events != int64(len(c.events)) || st.Quarantined != int64(len(c.bad)) {
				t.Errorf("stats %+v disagree with %d events, %d bad", st, len(c.events), len(c.bad))
			}
		})
	}
}

func TestDecodeNormalizesFields(t *testing.T) {
	b, err := os.ReadFile("testdata/records.json")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := decodeBytes(t, b, decode.Options{Origin: event.Origin{Source: "s", Path: "records.json"}})
	if len(c.events) != 3 {
		t.Fatalf("got %d events", len(c.events))
	}
	e := c.events[0]
	checks := []struct{ name, got, want string }{
		{"Account", e.Account, "111122223333"},
		{"Region", e.Region, "us-east-1"},
		{"Service", e.Service, "cloudtrail.amazonaws.com"},
		{"Action", e.Action, "StopLogging"},
		{"Type", e.Type, "AwsApiCall"},
		{"Category", e.Category, "Management"},
		{"SourceIP", e.SourceIP, "203.0.113.77"},
		{"Actor.Type", e.Actor.Type, "IAMUser"},
		{"Actor.ARN", e.Actor.ARN, "arn:aws:iam::111122223333:user/alice"},
		{"Actor.UserName", e.Actor.UserName, "alice"},
		{"Actor.AccessKeyID", e.Actor.AccessKeyID, "AKIAEXAMPLEKEY000001"},
		{"ID", e.ID, "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"},
		{"raw requestParameters.name", e.Str(event.ParsePath("requestParameters.name")), "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if want := time.Date(2026, 10, 14, 9, 12, 33, 0, time.UTC); !e.Time.Equal(want) {
		t.Errorf("Time = %v, want %v", e.Time, want)
	}
	if !strings.Contains(e.Actor.UserAgent, "kali") {
		t.Errorf("UserAgent = %q", e.Actor.UserAgent)
	}
	if !e.Success() {
		t.Error("StopLogging should be a success")
	}

	a := c.events[1]
	if a.Actor.Type != "AssumedRole" || a.Actor.SessionIssuerARN != "arn:aws:iam::111122223333:role/app-server" ||
		a.Actor.SessionIssuerName != "app-server" || a.Actor.SessionIssuerType != "Role" || a.Actor.MFAAuthenticated {
		t.Errorf("assumed-role actor = %+v", a.Actor)
	}
	if want := time.Date(2026, 10, 14, 9, 13, 1, 123e6, time.UTC); !a.Time.Equal(want) {
		t.Errorf("fractional Time = %v, want %v", a.Time, want)
	}
	if !a.ReadOnly {
		t.Error("ReadOnly not read")
	}

	d := c.events[2]
	if d.Category != "Data" || d.ErrorCode != "AccessDenied" || d.Success() || len(d.Resources) != 2 ||
		d.Resources[1].Type != "AWS::S3::Bucket" || d.Resources[1].ARN != "arn:aws:s3:::acme-exports" {
		t.Errorf("data event = %+v", d)
	}
	// Origins: index and byte offset point at each record.
	for i, e := range c.events {
		if e.Origin.Index != int64(i) {
			t.Errorf("event %d has index %d", i, e.Origin.Index)
		}
		if !bytes.HasPrefix(b[e.Origin.Offset:], []byte("{")) {
			t.Errorf("event %d offset %d does not point at a record", i, e.Origin.Offset)
		}
		if !bytes.Equal(b[e.Origin.Offset:e.Origin.Offset+int64(len(e.RawBytes))], e.RawBytes) {
			t.Errorf("event %d RawBytes differ from the input at its offset", i)
		}
	}
}

func TestDecodeEnvelopesKeepAccount(t *testing.T) {
	b, _ := os.ReadFile("testdata/eventbridge.jsonl")
	c, _ := decodeBytes(t, b, decode.Options{})
	if len(c.events) != 2 {
		t.Fatalf("%d events", len(c.events))
	}
	// The detail lacks recipientAccountId: the account comes from the identity/envelope.
	for _, e := range c.events {
		if e.Account != "111122223333" || e.Region != "us-east-1" {
			t.Errorf("%s: account %q region %q", e.Action, e.Account, e.Region)
		}
		if !bytes.Contains(e.RawBytes, []byte(`"detail-type"`)) {
			t.Errorf("%s: RawBytes should hold the whole envelope", e.Action)
		}
	}
	if c.events[1].Type != "AwsConsoleSignIn" || c.events[1].Actor.Type != "Root" {
		t.Errorf("console sign-in = %+v", c.events[1])
	}
}

func TestDecodeLookupEventsRawIsTheRecord(t *testing.T) {
	b, _ := os.ReadFile("testdata/lookup-events.json")
	c, _ := decodeBytes(t, b, decode.Options{})
	if len(c.events) != 2 {
		t.Fatalf("%d events", len(c.events))
	}
	var rec map[string]any
	if err := json.Unmarshal(c.events[0].RawBytes, &rec); err != nil || rec["eventName"] != "StopLogging" {
		t.Errorf("RawBytes is not the inner record: %v %v", err, rec["eventName"])
	}
}

func TestDecodeResumeFromStart(t *testing.T) {
	b, _ := os.ReadFile("testdata/bad-mixed.jsonl")
	c, st := decodeBytes(t, b, decode.Options{Start: 4})
	if st.Records != 9 || st.Skipped != 4 {
		t.Errorf("stats = %+v, want 9 records, 4 skipped", st)
	}
	if len(c.events) != 1 || c.events[0].Action != "ConsoleLogin" || c.events[0].Origin.Index != 8 {
		t.Errorf("events after resume = %d", len(c.events))
	}
	if len(c.bad) != 4 || c.bad[0].Origin.Index != 4 {
		t.Errorf("bad after resume = %d (first index %d)", len(c.bad), c.bad[0].Origin.Index)
	}
}

func TestDecodeHugeLine(t *testing.T) {
	good, _ := os.ReadFile("testdata/lines.jsonl")
	first := good[:bytes.IndexByte(good, '\n')+1]
	var in bytes.Buffer
	in.Write(first)
	in.WriteString(`{"eventName":"` + strings.Repeat("A", 10<<20) + `"}` + "\n")
	in.Write(first)
	c, st := decodeBytes(t, in.Bytes(), decode.Options{MaxRecordBytes: 1 << 20})
	if len(c.events) != 2 || len(c.bad) != 1 {
		t.Fatalf("events %d bad %d, want 2 and 1", len(c.events), len(c.bad))
	}
	if !strings.Contains(c.bad[0].Reason, "maximum record size") || c.bad[0].Origin.Line != 2 || c.bad[0].Origin.Offset != int64(len(first)) {
		t.Errorf("huge line quarantined as %+v", c.bad[0])
	}
	if len(c.bad[0].Sample) > 2048 {
		t.Errorf("sample of %d bytes kept", len(c.bad[0].Sample))
	}
	if c.events[1].Origin.Line != 3 || st.Records != 3 {
		t.Errorf("record after the huge line: line %d, records %d", c.events[1].Origin.Line, st.Records)
	}
}

func TestDecodeTruncatedGzip(t *testing.T) {
	b, _ := os.ReadFile("testdata/lines.jsonl")
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(b)
	w.Close()
	cut := z.Bytes()[:z.Len()*2/3]
	r, err := gzip.NewReader(bytes.NewReader(cut))
	if err != nil {
		t.Fatal(err)
	}
	var c collector
	st, err := New().Decode(context.Background(), r, decode.Options{Origin: event.Origin{Path: "x.json.gz"}}, &c)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.bad) != 1 || !strings.Contains(c.bad[0].Reason, "unexpected EOF") {
		t.Fatalf("truncated gzip: bad = %+v", c.bad)
	}
	if len(c.events) < 1 || len(c.events) >= 4 {
		t.Errorf("events before the cut = %d", len(c.events))
	}
	if st.Records != int64(len(c.events)+1) {
		t.Errorf("records %d", st.Records)
	}
}

func TestDecodeStopsOnHandlerError(t *testing.T) {
	b, _ := os.ReadFile("testdata/lines.jsonl")
	stop := errors.New("stop")
	n := 0
	h := handlerFunc(func(e *event.Event) error { n++; return stop })
	_, err := New().Decode(context.Background(), bytes.NewReader(b), decode.Options{}, h)
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err %v after %d events", err, n)
	}
}

type handlerFunc func(e *event.Event) error

func (f handlerFunc) Event(e *event.Event) error  { return f(e) }
func (f handlerFunc) Quarantine(decode.Bad) error { return nil }

// Every record of the real-data corpora decodes, none is quarantined.
func TestDecodeRealData(t *testing.T) {
	dirs := []string{
		testutil.SharedData(t, "stratus-red-team", "detonation-logs"),
		testutil.SharedData(t, "cloudtrail-misc-samples"),
	}
	total := 0
	for _, dir := range dirs {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var probe any
			if json.Unmarshal(b, &probe) != nil {
				return nil
			}
			c, st := decodeBytes(t, b, decode.Options{Origin: event.Origin{Path: p}})
			if len(c.bad) != 0 {
				t.Errorf("%s: %d quarantined, first: %s", p, len(c.bad), c.bad[0].Reason)
			}
			if st.Events == 0 && !bytes.Equal(bytes.TrimSpace(b), []byte("[]")) {
				t.Errorf("%s: no events", p)
			}
			for _, e := range c.events {
				if e.Action == "" || e.Time.IsZero() || e.Account == "" {
					t.Errorf("%s#%d: incomplete event %+v", p, e.Origin.Index, e)
				}
			}
			total += len(c.events)
			return nil
		})
	}
	if total < 300 {
		t.Errorf("only %d events decoded from the real corpora", total)
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		err  bool
	}{
		{`"2024-07-31T13:06:24Z"`, time.Date(2024, 7, 31, 13, 6, 24, 0, time.UTC), false},
		{`"2024-07-31T13:06:24.5Z"`, time.Date(2024, 7, 31, 13, 6, 24, 5e8, time.UTC), false},
		{`"2024-07-31T15:06:24+02:00"`, time.Date(2024, 7, 31, 13, 6, 24, 0, time.UTC), false},
		{`"2025-01-21 17:39:10.000000000"`, time.Date(2025, 1, 21, 17, 39, 10, 0, time.UTC), false},
		{`"2024-13-31T13:06:24Z"`, time.Time{}, true},
		{`"yesterday"`, time.Time{}, true},
		{`1722431184`, time.Time{}, true},
	}
	for _, tc := range tests {
		b := []byte(`{"eventName":"X","eventTime":` + tc.in + `}`)
		e, err := Parse(b)
		if (err != nil) != tc.err {
			t.Errorf("%s: err = %v", tc.in, err)
			continue
		}
		if err == nil && !e.Time.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.in, e.Time, tc.want)
		}
	}
}

var _ io.Reader = (*bytes.Reader)(nil)

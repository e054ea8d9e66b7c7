package vpcflow

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/event"
)

// recorded is what a decode produced for one record slot, as text.
type recorded struct {
	lines []string
	st    decode.Stats
}

// decodeAll decodes r with d and writes down every event and bad record
// with its origin.
func decodeAll(t *testing.T, d decode.Decoder, r io.Reader, o decode.Options) recorded {
	var out recorded
	h := funcHandler{
		event: func(e *event.Event) error {
			if e.Kind != event.KindVPCFlow || e.Action != "" {
				t.Fatalf("event kind %v action %q", e.Kind, e.Action)
			}
			out.lines = append(out.lines, fmt.Sprintf("E %+v %s | %s | %s %q %q", e.Origin, flow(e), extra(e), e.Time, e.Region, e.RawBytes))
			return nil
		},
		bad: func(b decode.Bad) error {
			if b.Reason == "" {
				t.Fatalf("bad record without a reason: %+v", b)
			}
			out.lines = append(out.lines, fmt.Sprintf("B %+v %q tail=%v %q", b.Origin, b.Reason, b.Tail, b.Sample))
			return nil
		},
	}
	st, err := d.Decode(context.Background(), r, o, h)
	if err != nil {
		t.Fatal(err)
	}
	out.st = st
	return out
}

type funcHandler struct {
	event func(*event.Event) error
	bad   func(decode.Bad) error
}

func (h funcHandler) Event(e *event.Event) error    { return h.event(e) }
func (h funcHandler) Quarantine(b decode.Bad) error { return h.bad(b) }

// FuzzDecode feeds arbitrary bytes, with and without a custom field list:
// the decoder never panics, the stats add up, reading one byte at a time
// gives the same records, and resuming from the middle gives the rest.
// One decoder reads all three (and every input of a worker), so reusing
// its buffers and compiled headers is fuzzed too.
func FuzzDecode(f *testing.F) {
	d := New()
	files, _ := filepath.Glob("testdata/*.*")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, false)
			f.Add(b, true)
		}
	}
	f.Add([]byte(good1+"\n"+good2), false)
	f.Add([]byte(good1[:50]), false)
	f.Add([]byte("version srcaddr dstaddr\n2 10.0.0.1 ::1\nversion\n"), false)
	f.Add([]byte("\xEF\xBB\xBF  \n\n"+good1+"\r\n\t"+good2+" \r"), false)
	f.Add([]byte(`[{"timestamp":1,"message":"2 1 eni-1 1.2.3.4 5.6.7.8 1 2 6 1 1 1 1 ACCEPT OK"}]`), false)
	f.Add([]byte(`{"messageType":"CONTROL_MESSAGE","logEvents":[]}{"logEvents":[{"message":"- - - -"}]}`), true)
	const fields = "start end instance-id interface-id srcaddr dstaddr protocol tcp-flags flow-direction srcport dstport action"
	f.Fuzz(func(t *testing.T, in []byte, custom bool) {
		o := decode.Options{Origin: event.Origin{Source: "fuzz", Path: "AWSLogs/123456789012/vpcflowlogs/us-east-1/x.log"}, MaxRecordBytes: 512}
		if custom {
			o.Params = map[string]string{"fields": fields}
		}
		whole := decodeAll(t, d, bytes.NewReader(in), o)
		st := whole.st
		var events, bad int64
		for _, l := range whole.lines {
			if l[0] == 'E' {
				events++
			} else {
				bad++
			}
		}
		if st.Events != events || st.Quarantined != bad || st.Events+st.Quarantined+st.Skipped != st.Records || st.Bytes != int64(len(in)) {
			t.Fatalf("stats %+v do not add up (%d events, %d bad, %d bytes)", st, events, bad, len(in))
		}
		oneByte := decodeAll(t, d, iotest.OneByteReader(bytes.NewReader(in)), o)
		if strings.Join(oneByte.lines, "\n") != strings.Join(whole.lines, "\n") || oneByte.st != st {
			t.Fatalf("one byte at a time:\n%s\n%+v\nwhole:\n%s\n%+v", strings.Join(oneByte.lines, "\n"), oneByte.st, strings.Join(whole.lines, "\n"), st)
		}
		// Resuming from the middle gives the records from there on.
		o.Start = st.Records / 2
		part := decodeAll(t, d, bytes.NewReader(in), o)
		var want []string
		for _, l := range whole.lines {
			var idx int64
			if _, err := fmt.Sscanf(l[strings.Index(l, "Index:"):], "Index:%d", &idx); err != nil {
				t.Fatal(err)
			}
			if idx >= o.Start {
				want = append(want, l)
			}
		}
		if strings.Join(part.lines, "\n") != strings.Join(want, "\n") || part.st.Records != st.Records {
			t.Fatalf("from %d:\n%s\nwant:\n%s", o.Start, strings.Join(part.lines, "\n"), strings.Join(want, "\n"))
		}
	})
}

package k8saudit

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

// transcript records everything a decode run hands out, as text.
type transcript struct {
	b      strings.Builder
	events int64
	t      *testing.T
}

func (h *transcript) Event(e *event.Event) error {
	h.events++
	if e.Kind != event.KindK8sAudit || e.Raw == nil || len(e.RawBytes) == 0 {
		h.t.Fatalf("incomplete event: %+v", e)
	}
	if e.Failed != (e.ErrorCode != "") {
		h.t.Fatalf("Failed %v with error code %q", e.Failed, e.ErrorCode)
	}
	a := &e.Actor
	fmt.Fprintf(&h.b, "E %+v %v %q %q %q %q %q %q %q %v %q %q %v %+v %q %q %q %q %q %q %q %q %q %q %q\n", e.Origin, e.Time, e.ID, e.Action,
		e.Type, e.Service, e.SourceIP, e.Account, e.Region, e.ReadOnly, e.ErrorCode, e.ErrorMessage, e.Failed, e.Resources,
		a.Type, a.UserName, a.PrincipalID, a.ARN, a.AccountID, a.AccessKeyID, a.SessionIssuerARN, a.SessionIssuerType,
		a.SessionIssuerName, a.UserAgent, e.RawBytes)
	return nil
}

func (h *transcript) Quarantine(q decode.Bad) error {
	fmt.Fprintf(&h.b, "Q %+v %q %v %q\n", q.Origin, q.Reason, q.Tail, q.Sample)
	return nil
}

// FuzzDecode feeds arbitrary bytes: the decoder must never panic, every
// record index is an event, a quarantined record or a skip, and reading the
// input in one piece or one byte at a time gives the same result, as does
// resuming from a record index.
func FuzzDecode(f *testing.F) {
	// Small seeds: a large one makes the fuzzer spend its time minimizing.
	// Whole files when small, else each line on its own.
	files, _ := filepath.Glob("testdata/*")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if len(b) <= 6<<10 {
			f.Add(b, uint8(0))
			continue
		}
		for line := range bytes.Lines(b) {
			f.Add(line, uint8(0))
		}
	}
	f.Add([]byte(`{"logEvents":[{"message":"{\"logEvents\":[]}"}]}`), uint8(1))
	f.Add([]byte(`{"messageType":"CONTROL_MESSAGE","logEvents":[{"message":"x"}]}{"logEvents":7}`), uint8(2))
	f.Add([]byte(`{"kind":"EventList","items":[{"auditID":"a"},1,{"kind":"EventList","items":[]}]}{"items":[{"auditID":"b"}]}`), uint8(1))
	f.Add([]byte(`{"events":[{"logStreamName":"kube-scheduler-1","message":"x"},{"message":"{\"auditID\":\"c\",\"events\":[]}"}]}`), uint8(1))
	f.Add([]byte(`[{"auditID":"x","user":{"extra":{"arn":["arn:aws:sts::1:assumed-role/r/s"],"canonicalArn":["arn:aws:iam::1:role/r"]}}}]`), uint8(0))
	f.Add([]byte(`{"kind":"Event","responseStatus":{"code":499},"objectRef":{"resource":"x","subresource":"y"},"sourceIPs":["::1"]}`), uint8(0))
	f.Add(genRecords(3, 9), uint8(2))
	f.Add(genCloudWatch(4, 2), uint8(3))
	// One decoder per way of reading, reused from input to input: what one
	// stream leaves behind must not change the next.
	var whole, bytewise = New(), New()
	f.Fuzz(func(t *testing.T, in []byte, start uint8) {
		o := decode.Options{Origin: event.Origin{Source: "fuzz", Path: "in"}, MaxRecordBytes: 4096}
		if start&0x80 != 0 {
			o.Params = testParams
		}
		run := func(o decode.Options, oneByte bool) (string, decode.Stats) {
			h := &transcript{t: t}
			r := bytes.NewReader(in)
			var rd io.Reader = r
			d := whole
			if oneByte {
				rd, d = iotest.OneByteReader(r), bytewise
			}
			st, err := d.Decode(context.Background(), rd, o, h)
			if err != nil {
				t.Fatal(err)
			}
			if st.Events != h.events || st.Events+st.Quarantined+st.Skipped != st.Records {
				t.Fatalf("stats do not add up: %+v (handler saw %d events)", st, h.events)
			}
			if st.Bytes != int64(len(in)) {
				t.Fatalf("Bytes = %d of %d", st.Bytes, len(in))
			}
			return h.b.String(), st
		}
		all, st := run(o, false)
		if onebyone, st2 := run(o, true); onebyone != all || st2 != st {
			t.Fatalf("one byte at a time differs:\n%s%+v\nin one piece:\n%s%+v", onebyone, st2, all, st)
		}
		// Resuming from a record index delivers exactly the records from there.
		o.Start = int64(start&0x7f) % (st.Records + 2)
		resumed, st3 := run(o, false)
		if st3.Records != st.Records {
			t.Fatalf("start %d: %d records, %d without", o.Start, st3.Records, st.Records)
		}
		var want strings.Builder
		for line := range strings.Lines(all) {
			var idx int64
			if i := strings.Index(line, "Index:"); i >= 0 {
				fmt.Sscanf(line[i+len("Index:"):], "%d", &idx)
			}
			if idx >= o.Start {
				want.WriteString(line)
			}
		}
		if resumed != want.String() {
			t.Fatalf("start %d:\n%s\nwant\n%s", o.Start, resumed, want.String())
		}
		// Parse agrees with Decode on a lone record.
		if st.Records == 1 && st.Events == 1 && !bytes.Contains(in, []byte(`"items"`)) && !bytes.Contains(in, []byte(`"events"`)) &&
			!bytes.Contains(in, []byte(`"logEvents"`)) && !bytes.HasPrefix(bytes.TrimSpace(in), []byte("[")) {
			if _, err := Parse(bytes.TrimSpace(in)); err != nil && !strings.Contains(err.Error(), "malformed") {
				t.Fatalf("Decode delivered an event, Parse: %v", err)
			}
		}
	})
}

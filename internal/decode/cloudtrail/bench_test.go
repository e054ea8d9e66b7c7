package cloudtrail

import (
	"bytes"
	"context"
	"testing"

	"github.com/picket-dev/picket/internal/bench"
	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/event"
)

type countHandler struct{ events, bad int }

func (h *countHandler) Event(*event.Event) error    { h.events++; return nil }
func (h *countHandler) Quarantine(decode.Bad) error { h.bad++; return nil }

// BenchmarkDecode splits, parses and normalizes CloudTrail records from an
// S3 log file; one op is one record.
func BenchmarkDecode(b *testing.B) {
	const n = 2000
	data := bench.LogFile(n)
	d := New()
	var h countHandler
	rd := bytes.NewReader(data)
	b.SetBytes(int64(len(data)) / n)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += n {
		rd.Reset(data)
		if _, err := d.Decode(context.Background(), rd, decode.Options{}, &h); err != nil {
			b.Fatal(err)
		}
	}
	if h.bad > 0 {
		b.Fatalf("%d bad records", h.bad)
	}
}

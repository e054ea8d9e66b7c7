package guardduty

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/event"
)

type countHandler struct{ events, bad int }

func (h *countHandler) Event(*event.Event) error    { h.events++; return nil }
func (h *countHandler) Quarantine(decode.Bad) error { h.bad++; return nil }

// genFindings writes n findings as the S3 export does (JSON lines), cycling
// through testdata/findings.jsonl's seven kinds with distinct IDs.
func genFindings(t testing.TB, n int) []byte {
	src, err := os.ReadFile(filepath.Join("testdata", "findings.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(src), []byte("\n"))
	var b []byte
	for i := range n {
		id := "b" + strconv.FormatInt(int64(1e12+i), 10)
		b = append(b, bytes.ReplaceAll(lines[i%len(lines)], []byte(`a10000000000000000000000000000`), []byte(id))...)
		b = append(b, '\n')
	}
	return b
}

// BenchmarkDecode decodes GuardDuty findings from an S3 export; one op is
// one finding (with its residue of unmapped fields).
func BenchmarkDecode(b *testing.B) {
	const n = 700
	data := genFindings(b, n)
	d := New()
	rd := bytes.NewReader(data)
	var h countHandler
	b.SetBytes(int64(len(data)) / n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += n {
		rd.Reset(data)
		if _, err := d.Decode(context.Background(), rd, decode.Options{}, &h); err != nil {
			b.Fatal(err)
		}
	}
	if h.bad != 0 {
		b.Fatal(h.bad, "bad")
	}
}

// TestAllocs bounds what one finding costs beyond the Finding itself: its
// pointers and slices and the AdditionalInfo maps (the residue of what
// GuardDuty sends beyond the schema, about one map, slice or boxed value
// per unmapped field). The stream machinery — splitting, parsing,
// envelopes — allocates nothing per record.
func TestAllocs(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("allocation counts differ under the race detector")
	}
	for _, tc := range []struct {
		name string
		in   []byte
		max  float64
	}{
		// A lean finding: only mapped fields and a small additionalInfo.
		{"lean", bytes.Repeat([]byte(`{"accountId":"111122223333","region":"us-east-1","id":"x","type":"T","severity":2,"resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-1"}},"service":{"count":3,"action":{"actionType":"DNS_REQUEST","dnsRequestAction":{"domain":"example.com"}}}}`+"\n"), 100), 8},
		// testdata's findings, rich in unmapped fields (instance tags and
		// security groups, geolocation, runtime details).
		{"rich", genFindings(t, 700), 60},
	} {
		d := New()
		rd := bytes.NewReader(tc.in)
		var h countHandler
		allocs := testing.AllocsPerRun(20, func() {
			rd.Reset(tc.in)
			if _, err := d.Decode(context.Background(), rd, decode.Options{}, &h); err != nil {
				t.Fatal(err)
			}
		})
		n := float64(bytes.Count(tc.in, []byte("\n")))
		if per := allocs / n; per > tc.max {
			t.Errorf("%s: %.1f allocations per finding, want at most %v", tc.name, per, tc.max)
		} else {
			t.Logf("%s: %.1f allocations per finding", tc.name, per)
		}
	}
}

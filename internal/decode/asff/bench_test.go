package asff

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

// genFindings writes n ASFF findings as JSON lines, cycling through
// testdata/findings.jsonl's six with distinct IDs.
func genFindings(t testing.TB, n int) []byte {
	src, err := os.ReadFile(filepath.Join("testdata", "findings.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(src), []byte("\n"))
	var b []byte
	for i := range n {
		line := lines[i%len(lines)]
		j := bytes.Index(line, []byte(`"Id":"`)) + len(`"Id":"`)
		b = append(b, line[:j]...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, '-')
		b = append(b, line[j:]...)
		b = append(b, '\n')
	}
	return b
}

// BenchmarkDecode decodes ASFF findings; one op is one finding (with its
// residue of unmapped attributes).
func BenchmarkDecode(b *testing.B) {
	const n = 600
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

// TestAllocs bounds what one finding costs: its Finding's pointers and
// slices, the AdditionalInfo maps (ASFF attributes kept whole: about one
// allocation per value), and for GuardDuty's findings the service object
// rebuilt from ProductFields.
func TestAllocs(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("allocation counts differ under the race detector")
	}
	in := genFindings(t, 600)
	d := New()
	rd := bytes.NewReader(in)
	var h countHandler
	allocs := testing.AllocsPerRun(10, func() {
		rd.Reset(in)
		if _, err := d.Decode(context.Background(), rd, decode.Options{}, &h); err != nil {
			t.Fatal(err)
		}
	})
	per := allocs / 600
	t.Logf("%.1f allocations per finding", per)
	if per > 150 {
		t.Errorf("%.1f allocations per finding", per)
	}
}

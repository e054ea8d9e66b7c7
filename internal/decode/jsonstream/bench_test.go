package jsonstream

import (
	"bytes"
	"io"
	"testing"

	"github.com/picket-dev/picket/internal/bench"
)

// BenchmarkScanner splits CloudTrail records; one op is one record.
func BenchmarkScanner(b *testing.B) {
	const n = 2000
	data := bench.LogFile(n)
	rd := bytes.NewReader(data)
	sc := NewScanner(rd, 0, "Records")
	b.SetBytes(int64(len(data)) / n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		rd.Reset(data)
		sc.Reset(rd)
		for ; i < b.N; i++ {
			it, err := sc.Next()
			if err == io.EOF {
				break
			}
			if it.Err != nil {
				b.Fatal(it.Err)
			}
		}
	}
}

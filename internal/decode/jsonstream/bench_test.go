package jsonstream

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/picket-dev/picket/internal/bench"
)

// corpus is an S3 CloudTrail log file of n generated records.
func corpus(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := []byte(`{"Records":[`)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = bench.GenerateRecord(r, i, b)
	}
	return append(b, "]}"...)
}

// BenchmarkScanner splits CloudTrail records; one op is one record.
func BenchmarkScanner(b *testing.B) {
	const n = 2000
	data := corpus(n)
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

package builtin

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/bench"
	"github.com/picket-dev/picket/internal/decode/cloudtrail"
	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// BenchmarkDetect runs every built-in detector over decoded CloudTrail
// events (0.5% of which raise a finding); one op is one event.
func BenchmarkDetect(b *testing.B) {
	const n = 4000
	r := rand.New(rand.NewPCG(1, 2))
	events := make([]*event.Event, n)
	for i := range n {
		e, err := cloudtrail.Parse(bench.GenerateRecord(r, i, nil))
		if err != nil {
			b.Fatal(err)
		}
		events[i] = e
	}
	en := detect.NewEngine(All(), func() time.Time { return fixedNow })
	ctx := context.Background()
	var out []finding.Finding
	raised := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out = en.Detect(ctx, events[i%n], out[:0])
		raised += len(out)
	}
	if b.N >= n && raised == 0 {
		b.Fatal("no findings raised")
	}
}

package compare

import (
	"testing"

	"github.com/picket-dev/picket/internal/decode/cloudtrail"
	"github.com/picket-dev/picket/internal/detect/sigma"
)

// picketSet compiles the same 57 rule files with Picket's engine.
func picketSet(tb testing.TB) *sigma.Set {
	var rules []*sigma.Rule
	for _, f := range sigmaRuleFiles(tb) {
		rs, errs := sigma.ParseFile(f)
		if len(errs) > 0 {
			tb.Fatal(errs)
		}
		rules = append(rules, rs...)
	}
	crs, errs := sigma.Compile(rules, sigma.Options{})
	if len(errs) > 0 || len(crs) != len(rules) {
		tb.Fatalf("compiled %d of %d rules: %v", len(crs), len(rules), errs)
	}
	return sigma.NewSet(crs)
}

// BenchmarkPicket: the same corpus and rules as BenchmarkSigmaGo and
// BenchmarkOPA, with Picket's CloudTrail decoder (parse + event fields)
// and compiled Sigma engine; the output is the matching rules, as theirs.
//
//	go test -run x -bench . -benchmem -cpu 1 ./internal/detect/sigma/compare
func BenchmarkPicket(b *testing.B) {
	corpus := referenceCorpus(b)
	set := picketSet(b)
	dec := &cloudtrail.Decoder{}
	var hits []*sigma.CompiledRule
	events, matches := 0, 0
	b.ReportAllocs()
	var c cpuClock
	for b.Loop() {
		if events == 0 {
			c = startCPU()
		}
		e, err := dec.DecodeRecord(corpus[events%len(corpus)])
		if err != nil {
			b.Fatal(err)
		}
		hits = set.Match(e, hits[:0])
		events++
		matches += len(hits)
	}
	report(b, c, events, matches)
}

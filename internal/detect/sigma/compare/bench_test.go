package compare

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// One benchmark op is one event: ns/op is ns/event and allocs/op is
// allocs/event. Each benchmark walks the reference corpus in order, from
// raw JSON bytes, and reports events/s and matches/event (the number of rule
// matches per event, so a broken engine that matches nothing stands out).

var (
	enginesOnce sync.Once
	sgEngine    *sigmaGoEngine
	opaEng      *opaEngine
	enginesErr  error
)

// engines returns both reference engines over all the rule files, built
// once per process.
func engines(tb testing.TB) (*sigmaGoEngine, *opaEngine) {
	tb.Helper()
	files := sigmaRuleFiles(tb)
	enginesOnce.Do(func() {
		sgEngine, opaEng, enginesErr = buildEngines(files)
	})
	if enginesErr != nil {
		tb.Fatal(enginesErr)
	}
	return sgEngine, opaEng
}

func buildEngines(files []string) (*sigmaGoEngine, *opaEngine, error) {
	sg, err := newSigmaGoEngine(files)
	if err != nil {
		return nil, nil, fmt.Errorf("sigma-go: %w", err)
	}
	rules, err := loadSigmaRules(files)
	if err != nil {
		return nil, nil, err
	}
	o, err := newOPAEngine(context.Background(), rules)
	if err != nil {
		return nil, nil, fmt.Errorf("opa: %w", err)
	}
	return sg, o, nil
}

func loadSigmaRules(files []string) ([]*sigmaRule, error) {
	var rules []*sigmaRule
	for _, f := range files {
		r, err := loadSigmaRule(f)
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// cpuClock measures the process CPU time of a benchmark loop.
type cpuClock struct {
	start time.Duration
	ok    bool
}

func startCPU() cpuClock {
	t, ok := cpuTime()
	return cpuClock{t, ok}
}

// report adds events/s (wall clock), cpu-ns/event (process CPU time, all
// threads: with -cpu 1 the same as ns/op on an idle machine, and steadier
// on a busy one) and, unless matches is negative, matches/event.
func report(b *testing.B, c cpuClock, events, matches int) {
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	if end, ok := cpuTime(); ok && c.ok {
		b.ReportMetric(float64(end-c.start)/float64(events), "cpu-ns/event")
	}
	if matches >= 0 {
		b.ReportMetric(float64(matches)/float64(events), "matches/event")
	}
}

func BenchmarkSigmaGo(b *testing.B) {
	corpus := referenceCorpus(b)
	sg, _ := engines(b)
	hit := make([]bool, len(sg.evals))
	ctx := context.Background()
	events, matches := 0, 0
	b.ReportAllocs()
	var c cpuClock
	for b.Loop() {
		if events == 0 {
			c = startCPU()
		}
		n, err := sg.eval(ctx, corpus[events%len(corpus)], hit, nil)
		if err != nil {
			b.Fatal(err)
		}
		events++
		matches += n
	}
	report(b, c, events, matches)
}

func BenchmarkOPA(b *testing.B) {
	corpus := referenceCorpus(b)
	_, o := engines(b)
	hit := make([]bool, len(o.ids))
	ctx := context.Background()
	events, matches := 0, 0
	b.ReportAllocs()
	var c cpuClock
	for b.Loop() {
		if events == 0 {
			c = startCPU()
		}
		n, err := o.eval(ctx, corpus[events%len(corpus)], hit)
		if err != nil {
			b.Fatal(err)
		}
		events++
		matches += n
	}
	report(b, c, events, matches)
}

// BenchmarkDecode measures each engine's per-event decoding alone, to show
// how much of the engine figure is JSON.
func BenchmarkDecode(b *testing.B) {
	corpus := referenceCorpus(b)
	sg, o := engines(b)
	b.Run("sigma-go=encoding-json-map", func(b *testing.B) {
		events := 0
		b.ReportAllocs()
		var c cpuClock
		for b.Loop() {
			if events == 0 {
				c = startCPU()
			}
			if _, err := sg.decode(corpus[events%len(corpus)]); err != nil {
				b.Fatal(err)
			}
			events++
		}
		report(b, c, events, -1)
	})
	b.Run("opa=ast-value", func(b *testing.B) {
		events := 0
		b.ReportAllocs()
		var c cpuClock
		for b.Loop() {
			if events == 0 {
				c = startCPU()
			}
			if _, err := o.decode(corpus[events%len(corpus)]); err != nil {
				b.Fatal(err)
			}
			events++
		}
		report(b, c, events, -1)
	})
}

package sigma

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/picket-dev/picket/internal/bench"
	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/cloudtrail"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/testutil"
)

const benchRecords = 200_000

var (
	benchOnce sync.Once
	benchLog  []byte
)

func benchCorpus() []byte {
	benchOnce.Do(func() { benchLog = bench.LogFile(benchRecords) })
	return benchLog
}

type detectHandler struct {
	det  func(*event.Event, []finding.Finding) []finding.Finding
	out  []finding.Finding
	hits int
}

func (h *detectHandler) Event(e *event.Event) error {
	if h.det != nil {
		h.out = h.det(e, h.out[:0])
		h.hits += len(h.out)
	}
	return nil
}
func (h *detectHandler) Quarantine(decode.Bad) error { return nil }

func awsSet(tb testing.TB) *Set {
	rules, errs := LoadPaths(testutil.SharedData(tb, "sigma", "rules", "cloud", "aws", "cloudtrail"))
	if len(errs) > 0 {
		tb.Fatal(errs)
	}
	crs, errs := Compile(rules, Options{})
	if len(errs) > 0 {
		tb.Fatal(errs)
	}
	return NewSet(crs)
}

// BenchmarkCloudTrailSigma is the benchmark: all 57 SigmaHQ AWS
// rules over 200k CloudTrail records from raw bytes (decode included), one
// op = one record. Compare with BenchmarkCloudTrailDecodeOnly.
//
//	go test -run x -bench CloudTrail -benchmem -cpu 1 ./internal/detect/sigma
func BenchmarkCloudTrailSigma(b *testing.B) { benchDecode(b, awsSet(b)) }

// BenchmarkCloudTrailDecodeOnly is the same decode with no rules.
func BenchmarkCloudTrailDecodeOnly(b *testing.B) { benchDecode(b, nil) }

func benchDecode(b *testing.B, set *Set) {
	data := benchCorpus()
	dec := cloudtrail.New()
	h := &detectHandler{}
	if set != nil {
		ctx := context.Background()
		h.det = func(e *event.Event, out []finding.Finding) []finding.Finding { return set.Detect(ctx, e, out) }
	}
	b.SetBytes(int64(len(data)) / benchRecords)
	b.ReportAllocs()
	b.ResetTimer()
	events := 0
	for events < b.N {
		st, err := dec.Decode(context.Background(), bytes.NewReader(data), decode.Options{}, h)
		if err != nil {
			b.Fatal(err)
		}
		events += int(st.Events)
	}
	b.StopTimer()
	// One op is one record: the loop decoded events ≥ b.N records.
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(h.hits)/float64(events), "matches/event")
}

var (
	recOnce sync.Once
	records [][]byte
)

// benchRecords splits the corpus into one raw JSON record per element, as
// the reference engines (sigma-go, OPA) take them.
func benchRecordList(tb testing.TB) [][]byte {
	recOnce.Do(func() {
		set := &recordSplitter{}
		if _, err := cloudtrail.New().Decode(context.Background(), bytes.NewReader(benchCorpus()), decode.Options{}, set); err != nil {
			tb.Fatal(err)
		}
		records = set.recs
	})
	return records
}

type recordSplitter struct{ recs [][]byte }

func (s *recordSplitter) Event(e *event.Event) error {
	s.recs = append(s.recs, append([]byte(nil), e.RawBytes...))
	return nil
}
func (s *recordSplitter) Quarantine(decode.Bad) error { return nil }

// BenchmarkRecordsMatch: each record from its raw bytes (parse + event
// fields) and matched against all 57 rules; the output is the list of
// matching rules, as the reference engines produce. One op = one record.
//
//	go test -run x -bench Records -benchmem -cpu 1 ./internal/detect/sigma
func BenchmarkRecordsMatch(b *testing.B) { benchEach(b, awsSet(b), false) }

// BenchmarkRecordsFindings: the same, building a finding per match.
func BenchmarkRecordsFindings(b *testing.B) { benchEach(b, awsSet(b), true) }

// BenchmarkRecordsParseOnly: the parse alone.
func BenchmarkRecordsParseOnly(b *testing.B) { benchEach(b, nil, false) }

func benchEach(b *testing.B, set *Set, findings bool) {
	recs := benchRecordList(b)
	dec := &cloudtrail.Decoder{}
	var hits []*CompiledRule
	var out []finding.Finding
	matches := 0
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e, err := dec.DecodeRecord(recs[i%len(recs)])
		if err != nil {
			b.Fatal(err)
		}
		switch {
		case set == nil:
		case findings:
			out = set.Detect(ctx, e, out[:0])
			matches += len(out)
		default:
			hits = set.Match(e, hits[:0])
			matches += len(hits)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(matches)/float64(b.N), "matches/event")
}

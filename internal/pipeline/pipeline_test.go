package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/picket-dev/picket/internal/bench"
	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/cloudtrail"
	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/detect/builtin"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/source"
	"github.com/picket-dev/picket/internal/store"
)

var fixedNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func newPipeline(t testing.TB, sink Sink, batch int, m *Metrics) *Pipeline {
	t.Helper()
	dec, err := decode.NewRegistry(map[string]decode.Factory{cloudtrail.Format: cloudtrail.New})
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return fixedNow }
	return New(dec, detect.NewEngine(builtin.All(), now), sink, Options{BatchSize: batch, EvidenceLimit: 3, Now: now}, m, nil)
}

// corpusFile writes one generated CloudTrail log file of n records and
// returns it as an object.
func corpusFile(t testing.TB, n int) source.Object {
	t.Helper()
	dir := t.TempDir()
	files, _, err := bench.WriteCorpus(dir, bench.CorpusOptions{Records: n, RecordsPerFile: n, Seed: 7})
	if err != nil || len(files) != 1 {
		t.Fatalf("WriteCorpus: %v (%d files)", err, len(files))
	}
	objs, err := source.Walk(files, nil)
	if err != nil {
		t.Fatal(err)
	}
	return objs[0]
}

// triggers counts the records of a corpus that a detector flags.
func triggers(n int) int {
	c := 0
	for i := range n {
		if bench.IsTrigger(7, i) {
			c++
		}
	}
	return c
}

func total(fs []finding.Finding) (n int64) {
	for _, f := range fs {
		n += f.Service.Count
	}
	return n
}

func TestProcessCollects(t *testing.T) {
	const n = 1000
	obj := corpusFile(t, n)
	var c Collector
	reg := prometheus.NewRegistry()
	p := newPipeline(t, &c, 300, NewMetrics(reg))
	res, err := p.Process(t.Context(), Job{Source: "t", Format: "cloudtrail", Object: obj, Checkpoint: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != n || res.Events != n || res.Quarantined != 0 {
		t.Errorf("stats %+v, want %d records and events", res.Stats, n)
	}
	if res.Commits != 4 { // 300, 600, 900, and the end
		t.Errorf("%d commits, want 4", res.Commits)
	}
	fs := c.Findings()
	want := triggers(n)
	if got := total(fs); got != int64(want) || res.Occurrences != int64(want) {
		t.Errorf("%d occurrences stored, %d raised; the corpus has %d triggering records", got, res.Occurrences, want)
	}
	if len(res.NewFindings) != len(fs) {
		t.Errorf("%d new findings reported, %d stored", len(res.NewFindings), len(fs))
	}
	for _, f := range fs {
		ev := c.Evidence(f.ID)
		if want := min(f.Service.Count, 3); int64(len(ev)) != want {
			t.Errorf("%s: %d evidence rows, want %d", f.Type, len(ev), want)
		}
		for _, e := range ev {
			if !bytes.Contains(e.Raw, []byte(`"eventName"`)) || e.Path != obj.Key || e.Source != "t" {
				t.Errorf("%s: evidence %+v does not hold the record", f.Type, e)
			}
		}
	}
	if got := testutil.ToFloat64(p.metrics.recordsIn.WithLabelValues("t")); got != n {
		t.Errorf("records_in %v, want %d", got, n)
	}
	if got := testutil.ToFloat64(p.metrics.eventsOut.WithLabelValues("t")); got != n {
		t.Errorf("events_out %v, want %d", got, n)
	}
	var byType float64
	types := map[string]bool{}
	for _, f := range fs {
		if !types[f.Type] {
			types[f.Type] = true
			byType += testutil.ToFloat64(p.metrics.findings.WithLabelValues(f.Type))
		}
	}
	if byType != float64(want) {
		t.Errorf("findings_total sums to %v, want %d", byType, want)
	}
	if got := testutil.ToFloat64(p.metrics.objects.WithLabelValues("t", "done")); got != 1 {
		t.Errorf("objects done %v, want 1", got)
	}
}

// recordingSink stores into a Collector and remembers every batch's
// checkpoints; it fails every commit after failAfter successes.
type recordingSink struct {
	Collector
	checkpoints []store.Checkpoint
	failAfter   int
	commits     int
}

var errSinkDown = errors.New("sink down")

func (s *recordingSink) Commit(ctx context.Context, b *store.Batch) (store.CommitResult, error) {
	if s.failAfter > 0 && s.commits >= s.failAfter {
		return store.CommitResult{}, errSinkDown
	}
	s.commits++
	s.checkpoints = append(s.checkpoints, b.Checkpoints...)
	return s.Collector.Commit(ctx, b)
}

func TestCheckpointsAdvanceWithCommits(t *testing.T) {
	obj := corpusFile(t, 1000)
	s := &recordingSink{}
	p := newPipeline(t, s, 250, nil)
	if _, err := p.Process(t.Context(), Job{Source: "t", Format: "cloudtrail", Object: obj, Checkpoint: true}); err != nil {
		t.Fatal(err)
	}
	var pos []int64
	for i, c := range s.checkpoints {
		pos = append(pos, c.Position)
		last := i == len(s.checkpoints)-1
		if c.Done != last || c.Key != obj.Key || c.Size != obj.Size || !c.ModTime.Equal(obj.ModTime) {
			t.Errorf("checkpoint %d: %+v", i, c)
		}
	}
	if !slices.Equal(pos, []int64{250, 500, 750, 1000, 1000}) {
		t.Errorf("positions %v", pos)
	}
}

// A run cut short by a failing store, resumed from its last checkpoint,
// stores exactly what one uninterrupted run stores: nothing skipped, no
// count doubled.
func TestResumeAfterFailureIsExact(t *testing.T) {
	const n = 2000
	obj := corpusFile(t, n)

	var once Collector
	if _, err := newPipeline(t, &once, 10_000, nil).Process(t.Context(), Job{Source: "t", Format: "cloudtrail", Object: obj}); err != nil {
		t.Fatal(err)
	}

	for _, failAfter := range []int{1, 3, 7} {
		s := &recordingSink{failAfter: failAfter}
		p := newPipeline(t, s, 150, nil)
		_, err := p.Process(t.Context(), Job{Source: "t", Format: "cloudtrail", Object: obj, Checkpoint: true})
		if !errors.Is(err, errSinkDown) {
			t.Fatalf("failAfter %d: err %v, want the sink's error", failAfter, err)
		}
		cp := s.checkpoints[len(s.checkpoints)-1]
		if cp.Done || cp.Position != int64(150*failAfter) {
			t.Fatalf("failAfter %d: last checkpoint %+v", failAfter, cp)
		}
		s.failAfter = 0
		res, err := p.Process(t.Context(), Job{Source: "t", Format: "cloudtrail", Object: obj, Checkpoint: true, Stored: &cp})
		if err != nil {
			t.Fatal(err)
		}
		if res.Start != cp.Position || res.Events != n-cp.Position {
			t.Errorf("resumed run started at %d and decoded %d events, want %d and %d", res.Start, res.Events, cp.Position, n-cp.Position)
		}
		got, want := s.Findings(), once.Findings()
		if len(got) != len(want) {
			t.Fatalf("failAfter %d: %d findings, want %d", failAfter, len(got), len(want))
		}
		for i := range got {
			g, w := got[i], want[i]
			if g.ID != w.ID || g.Service.Count != w.Service.Count || !g.Service.EventFirstSeen.Equal(w.Service.EventFirstSeen) ||
				!g.Service.EventLastSeen.Equal(w.Service.EventLastSeen) {
				t.Errorf("failAfter %d: %s count %d seen %v–%v, want count %d seen %v–%v", failAfter, g.Type, g.Service.Count,
					g.Service.EventFirstSeen, g.Service.EventLastSeen, w.Service.Count, w.Service.EventFirstSeen, w.Service.EventLastSeen)
			}
		}
	}
}

func TestResume(t *testing.T) {
	mod := time.Date(2026, 10, 1, 0, 0, 0, 123456789, time.UTC)
	info := source.Info{Size: 1000, ModTime: mod, FileID: "7:42"}
	tests := []struct {
		name      string
		cp        *store.Checkpoint
		wantStart int64
		wantSkip  bool
	}{
		{"no checkpoint", nil, 0, false},
		{"done and unchanged", &store.Checkpoint{Position: 40, Size: 1000, ModTime: mod.Truncate(time.Microsecond), FileID: "7:42", Done: true}, 0, true},
		{"done, unchanged, no file ID stored", &store.Checkpoint{Position: 40, Size: 1000, ModTime: mod, Done: true}, 0, true},
		{"done but grown", &store.Checkpoint{Position: 40, Size: 900, ModTime: mod, FileID: "7:42", Done: true}, 40, false},
		{"done but touched", &store.Checkpoint{Position: 40, Size: 1000, ModTime: mod.Add(-time.Second), Done: true}, 40, false},
		{"part read", &store.Checkpoint{Position: 17, Size: 1000, ModTime: mod, FileID: "7:42"}, 17, false},
		{"shrunk: replaced", &store.Checkpoint{Position: 40, Size: 5000, ModTime: mod, Done: true}, 0, false},
		{"replaced by a larger file", &store.Checkpoint{Position: 40, Size: 900, ModTime: mod, FileID: "7:41", Done: true}, 0, false},
		{"another file, same size and time", &store.Checkpoint{Position: 40, Size: 1000, ModTime: mod, FileID: "7:41", Done: true}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start, skip := Resume(tc.cp, info)
			if start != tc.wantStart || skip != tc.wantSkip {
				t.Errorf("Resume = %d, %t; want %d, %t", start, skip, tc.wantStart, tc.wantSkip)
			}
		})
	}
}

// fileObject writes a file of size bytes modified at mod.
func fileObject(t *testing.T, path string, size int, mod time.Time) source.Object {
	t.Helper()
	if err := os.WriteFile(path, make([]byte, size), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mod, mod); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return source.FileObject(path, fi)
}

func TestBadInputIsQuarantinedAndTheStreamGoesOn(t *testing.T) {
	dir := t.TempDir()
	good := `{"eventVersion":"1.08","eventTime":"2026-10-14T09:06:41Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.77","userAgent":"aws-cli/2","requestParameters":{"name":"trail-a"},"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE","userName":"x"},"eventID":"e1","eventType":"AwsApiCall","recipientAccountId":"111122223333"}`
	lines := good + "\n{\"eventName\": broken}\n" + `{"eventTime":"2026-10-14T09:07:00Z"}` + "\n" + bytes.NewBufferString(good).String()[:len(good)-40] + "\n" + good + "\n"
	plain := filepath.Join(dir, "a.jsonl")
	if err := os.WriteFile(plain, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	// A gzip file cut in the middle, and a file with a corrupt gzip header.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	for i := range 2000 {
		zw.Write([]byte(strings.Replace(good, `"e1"`, fmt.Sprintf(`"e-%d-%x"`, i, i*7919), 1) + "\n"))
	}
	zw.Close()
	trunc := filepath.Join(dir, "b.json.gz")
	if err := os.WriteFile(trunc, gz.Bytes()[:gz.Len()/2], 0o644); err != nil {
		t.Fatal(err)
	}
	badHeader := filepath.Join(dir, "c.json.gz")
	if err := os.WriteFile(badHeader, []byte{0x1f, 0x8b, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 1, 2, 3}, 0o644); err != nil {
		t.Fatal(err)
	}
	objs, err := source.Walk([]string{dir}, nil)
	if err != nil || len(objs) != 3 {
		t.Fatalf("Walk: %v %d", err, len(objs))
	}
	s := &recordingSink{}
	p := newPipeline(t, s, 2, nil)
	var results []Result
	for _, o := range objs {
		res, err := p.Process(t.Context(), Job{Source: "t", Format: "cloudtrail", Object: o, Checkpoint: true})
		if err != nil {
			t.Fatalf("%s: %v", o.Key, err)
		}
		results = append(results, res)
	}
	if r := results[0]; r.Events != 2 || r.Quarantined != 3 {
		t.Errorf("a.jsonl: %d events %d quarantined, want 2 and 3", r.Events, r.Quarantined)
	}
	if r := results[1]; r.Events < 100 || r.Events >= 2000 || r.Quarantined != 1 {
		t.Errorf("truncated gzip: %d events %d quarantined, want the records before the cut and 1", r.Events, r.Quarantined)
	}
	if r := results[2]; r.Events != 0 || r.Quarantined != 1 {
		t.Errorf("bad gzip header: %+v", r.Stats)
	}
	qs, nq := s.Quarantine()
	if nq != 5 {
		t.Fatalf("%d quarantined, want 5", nq)
	}
	for _, q := range qs {
		if q.Origin.Source != "t" || q.Origin.Path == "" || q.Reason == "" || q.Format != "cloudtrail" {
			t.Errorf("quarantined record lacks its origin or reason: %+v", q)
		}
	}
	// Every object ends with a done checkpoint, bad ones included: a bad
	// file is not retried forever.
	done := map[string]bool{}
	for _, c := range s.checkpoints {
		if c.Done {
			done[c.Key] = true
		}
	}
	if len(done) != 3 {
		t.Errorf("done checkpoints for %v, want all 3 files", done)
	}
	if fs := s.Findings(); len(fs) != 1 || fs[0].Type != "Stealth:IAMUser/CloudTrailLoggingDisabled" || fs[0].Service.Count != 2+results[1].Events {
		t.Errorf("findings %v", fs)
	}
}

func TestCancelCommitsWhatWasDone(t *testing.T) {
	obj := corpusFile(t, 3000)
	ctx, cancel := context.WithCancel(t.Context())
	s := &cancellingSink{cancel: cancel}
	p := newPipeline(t, s, 1000, nil)
	_, err := p.Process(ctx, Job{Source: "t", Format: "cloudtrail", Object: obj, Checkpoint: true})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	last := s.checkpoints[len(s.checkpoints)-1]
	if last.Done || last.Position <= 1000 || last.Position >= 3000 {
		t.Errorf("last checkpoint %+v: want the records done after cancel committed, not the whole file", last)
	}
}

// cancellingSink cancels the context at its first commit.
type cancellingSink struct {
	recordingSink
	cancel func()
}

func (s *cancellingSink) Commit(ctx context.Context, b *store.Batch) (store.CommitResult, error) {
	if ctx.Err() != nil {
		return store.CommitResult{}, ctx.Err()
	}
	s.cancel()
	return s.recordingSink.Commit(ctx, b)
}

func TestUnknownFormatAndOpenError(t *testing.T) {
	p := newPipeline(t, &Collector{}, 10, nil)
	if _, err := p.Process(t.Context(), Job{Format: "nope", Object: corpusFile(t, 1)}); err == nil {
		t.Error("unknown format accepted")
	}
	path := filepath.Join(t.TempDir(), "gone.json")
	missing := fileObject(t, path, 10, time.Now())
	os.Remove(path)
	if _, err := p.Process(t.Context(), Job{Format: "cloudtrail", Object: missing}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// BenchmarkPipeline measures decode + detect + aggregation of a CloudTrail
// log file into a Collector; one op is one record.
func BenchmarkPipeline(b *testing.B) {
	const n = 5000
	obj := corpusFile(b, n)
	p := newPipeline(b, &Collector{}, 2000, nil)
	b.SetBytes(obj.Size / n)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += n {
		if _, err := p.Process(context.Background(), Job{Source: "b", Format: "cloudtrail", Object: obj}); err != nil {
			b.Fatal(err)
		}
	}
}

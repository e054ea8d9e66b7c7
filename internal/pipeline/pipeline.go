// Package pipeline runs the ingest stages over one object at a time:
// source → decode → detect → finding aggregation → store. Records are read
// in batches; each batch's findings, evidence, quarantined records and the
// object's checkpoint are committed in one transaction, so an object is
// acknowledged only once the findings it produced are stored, and a crash
// re-reads exactly the records whose findings were not.
//
// A Pipeline is single-threaded (decoders and detectors keep reusable state);
// run one per goroutine.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/source"
	"github.com/picket-dev/picket/internal/store"
)

// Sink stores committed batches: the store in a server, an in-memory
// Collector for offline scans.
type Sink interface {
	Commit(ctx context.Context, b *store.Batch) (store.CommitResult, error)
}

// Options tune a Pipeline. Zero values take the defaults.
type Options struct {
	BatchSize      int              // records per commit; default 2000
	MaxRecordBytes int              // larger records are quarantined; default 8 MiB
	EvidenceLimit  int              // raw events kept per finding; default store.DefaultEvidenceLimit
	Now            func() time.Time // clock for commits and lag; default time.Now
}

// Pipeline reads objects through decoders and detectors into a Sink.
type Pipeline struct {
	decoders *decode.Registry
	engine   *detect.Engine
	sink     Sink
	opts     Options
	metrics  *Metrics
	log      *slog.Logger
	decs     map[string]decode.Decoder
}

// New builds a pipeline. metrics may be nil.
func New(decoders *decode.Registry, engine *detect.Engine, sink Sink, opts Options, metrics *Metrics, log *slog.Logger) *Pipeline {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 2000
	}
	if opts.EvidenceLimit <= 0 {
		opts.EvidenceLimit = store.DefaultEvidenceLimit
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Pipeline{decoders: decoders, engine: engine, sink: sink, opts: opts, metrics: metrics, log: log,
		decs: map[string]decode.Decoder{}}
}

// Job is one object to read.
type Job struct {
	Source string // configured source name ("scan", "demo", "trails", …)
	Format string // decoder name
	Object source.Object
	// Start is the first record to process (resuming from a checkpoint).
	Start int64
	// Checkpoint writes the object's progress with every commit. Off for
	// stdin and offline scans.
	Checkpoint bool
}

// Result says what one Process call did.
type Result struct {
	decode.Stats
	Occurrences int64    // findings raised, before aggregation
	NewFindings []string // IDs of findings the sink did not have before
	Commits     int
}

// Resume decides where to start reading obj given its stored checkpoint:
// skip it when it was read to the end and has not changed since, start
// from the checkpoint's position otherwise — or from the beginning when
// the file shrank (it was replaced, not appended to).
func Resume(cp store.Checkpoint, found bool, obj source.Object) (start int64, skip bool) {
	if !found {
		return 0, false
	}
	if cp.Done && cp.Size == obj.Size && sameTime(cp.ModTime, obj.ModTime) {
		return 0, true
	}
	if obj.Size >= 0 && obj.Size < cp.Size {
		return 0, false
	}
	return cp.Position, false
}

// sameTime compares modification times at the precision every store keeps.
func sameTime(a, b time.Time) bool {
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}

// Process reads job's object to the end (or until ctx is done), committing
// every BatchSize records. A corrupt gzip header quarantines the object and
// marks it done; any other open error is returned and nothing is committed.
// When ctx is cancelled, what was processed is committed before returning
// ctx's error, so a shutdown loses no work.
func (p *Pipeline) Process(ctx context.Context, job Job) (Result, error) {
	dec, err := p.decoder(job.Format)
	if err != nil {
		return Result{}, err
	}
	r := &run{p: p, ctx: ctx, job: job, idx: map[string]int{}, evid: map[string]int{}}
	r.batch.EvidenceLimit = p.opts.EvidenceLimit
	started := p.opts.Now()

	rc, err := job.Object.Open()
	if errors.Is(err, source.ErrBadGzip) {
		r.res.Records, r.res.Quarantined = 1, 1
		r.batch.Quarantine = append(r.batch.Quarantine, store.Quarantined{
			Origin: event.Origin{Source: job.Source, Path: job.Object.Key},
			Format: job.Format, Reason: err.Error(),
		})
		r.pendQuar++
		err = r.commit(ctx, 0, true) // position 0: a file that changes is read again from the start
		p.metrics.object(job.Source, "quarantined")
		return r.res, err
	}
	if err != nil {
		p.metrics.object(job.Source, "error")
		return Result{}, fmt.Errorf("opening %s: %w", job.Object.Key, err)
	}
	defer rc.Close()

	origin := event.Origin{Source: job.Source, Path: job.Object.Key}
	st, derr := dec.Decode(ctx, rc, decode.Options{Origin: origin, Start: job.Start, MaxRecordBytes: p.opts.MaxRecordBytes}, r)
	r.res.Stats = st
	switch {
	case derr == nil:
		err = r.commit(ctx, st.Records, true)
	case ctx.Err() != nil && r.err == nil:
		// Shutting down: keep what was done, without the cancelled context.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err = errors.Join(ctx.Err(), r.commit(fctx, r.next, false))
		cancel()
	default:
		err = derr
	}
	if err != nil {
		p.metrics.object(job.Source, "error")
		return r.res, fmt.Errorf("processing %s: %w", job.Object.Key, err)
	}
	p.metrics.finished(job, st)
	p.metrics.object(job.Source, "done")
	p.log.Debug("object processed", "source", job.Source, "key", job.Object.Key, "records", st.Records,
		"events", st.Events, "quarantined", st.Quarantined, "skipped", st.Skipped, "findings", r.res.Occurrences,
		"took", p.opts.Now().Sub(started))
	return r.res, nil
}

func (p *Pipeline) decoder(format string) (decode.Decoder, error) {
	if d, ok := p.decs[format]; ok {
		return d, nil
	}
	d, err := p.decoders.New(format)
	if err != nil {
		return nil, err
	}
	p.decs[format] = d
	return d, nil
}

// run is the decode.Handler of one Process call. It holds the call's
// context because the Handler interface is called from inside Decode.
type run struct {
	p   *Pipeline
	ctx context.Context
	job Job

	batch store.Batch
	idx   map[string]int // finding ID → index in batch.Findings
	evid  map[string]int // evidence rows in this batch per finding
	out   []finding.Finding

	next                 int64 // next record index: the checkpoint position after this record
	pending              int   // records since the last commit
	pendEvents, pendQuar int64
	lastEvent            time.Time // newest event time seen
	res                  Result
	err                  error // the commit error that stopped decoding
}

func (r *run) Event(e *event.Event) error {
	r.out = r.p.engine.Detect(r.ctx, e, r.out[:0])
	for i := range r.out {
		r.add(&r.out[i], e)
	}
	if e.Time.After(r.lastEvent) {
		r.lastEvent = e.Time
	}
	r.pendEvents++
	return r.advance(e.Origin.Index)
}

func (r *run) Quarantine(b decode.Bad) error {
	sample := b.Sample
	if len(sample) > store.MaxSample {
		sample = sample[:store.MaxSample]
	}
	r.batch.Quarantine = append(r.batch.Quarantine, store.Quarantined{
		Origin: b.Origin, Format: r.job.Format, Reason: b.Reason, Sample: append([]byte(nil), sample...),
	})
	r.pendQuar++
	return r.advance(b.Origin.Index)
}

// advance records that record idx is handled and commits a full batch.
func (r *run) advance(idx int64) error {
	r.next = idx + 1
	r.pending++
	if r.pending < r.p.opts.BatchSize {
		return nil
	}
	if err := r.commit(r.ctx, r.next, false); err != nil {
		r.err = err
		return err
	}
	return nil
}

// add folds one raised finding into the batch, with its event as evidence.
func (r *run) add(f *finding.Finding, e *event.Event) {
	r.res.Occurrences++
	if i, ok := r.idx[f.ID]; ok {
		r.batch.Findings[i].Merge(f)
	} else {
		r.idx[f.ID] = len(r.batch.Findings)
		r.batch.Findings = append(r.batch.Findings, *f)
	}
	if r.evid[f.ID] >= r.batch.EvidenceLimit {
		return
	}
	r.evid[f.ID]++
	id := e.ID
	if id == "" {
		id = fmt.Sprintf("%s#%d", e.Origin.Path, e.Origin.Index)
	}
	r.batch.Evidence = append(r.batch.Evidence, finding.Evidence{
		FindingID: f.ID, EventID: string([]byte(id)), EventTime: e.Time,
		Source: e.Origin.Source, Path: e.Origin.Path, Index: e.Origin.Index, Offset: e.Origin.Offset,
		Raw: append([]byte(nil), e.RawBytes...),
	})
}

// commit stores the batch with the checkpoint at position and resets it.
func (r *run) commit(ctx context.Context, position int64, done bool) error {
	now := r.p.opts.Now()
	b := &r.batch
	b.Now = now
	b.Checkpoints = b.Checkpoints[:0]
	if r.job.Checkpoint {
		b.Checkpoints = append(b.Checkpoints, store.Checkpoint{
			Source: r.job.Source, Key: r.job.Object.Key, Position: position, Size: r.job.Object.Size,
			ModTime: r.job.Object.ModTime, Done: done, UpdatedAt: now,
		})
	}
	if b.Empty() {
		return nil
	}
	cr, err := r.p.sink.Commit(ctx, b)
	if err != nil {
		return err
	}
	r.res.Commits++
	r.res.NewFindings = append(r.res.NewFindings, cr.NewFindings...)
	r.p.metrics.committed(r, cr, r.p.opts.Now())
	b.Findings, b.Evidence, b.Quarantine = b.Findings[:0], b.Evidence[:0], b.Quarantine[:0]
	clear(r.idx)
	clear(r.evid)
	r.pending, r.pendEvents, r.pendQuar = 0, 0, 0
	return nil
}

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
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strings"
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
	// Sniff names the format of an object from its first bytes (for
	// FormatAuto); default decode.Sniff. The app adds the formats whose
	// recognisers live in their decoders' packages.
	Sniff func(head []byte) string
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
	if opts.Sniff == nil {
		opts.Sniff = decode.Sniff
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

// FormatAuto is the format name that picks a decoder by the start of
// each object (decode.Sniff).
const FormatAuto = "auto"

// Job is one object to read.
type Job struct {
	Source string            // configured source name ("scan", "demo", "trails", …)
	Format string            // decoder name
	Params map[string]string // the decoder's format options (decode.Options.Params)
	Object source.Object
	// Checkpoint writes the object's progress with every commit, in the
	// same transaction as its findings. Off for stdin and offline scans.
	Checkpoint bool
	// Stored is the object's checkpoint as the store has it (nil when it
	// has none): where to resume, and what the first commit expects to
	// find, so that two processes reading one file cannot both count it.
	Stored *store.Checkpoint
	// StoreEvents keeps every event for investigation, committed with
	// the findings it raised.
	StoreEvents bool
}

// Result says what one Process call did.
type Result struct {
	decode.Stats
	Start       int64    // the record reading started from
	Unchanged   bool     // the checkpoint says the object was read to the end and it has not changed: nothing was read
	Occurrences int64    // findings raised, before aggregation
	NewFindings []string // IDs of findings the sink did not have before
	Commits     int
	// Checkpoint is the last checkpoint written (nil when none was).
	Checkpoint *store.Checkpoint
}

// Resume decides where to start reading an object, given its stored
// checkpoint and what the opened file says about itself: skip it when it
// was read to the end and has not changed since; start from the beginning
// when it is another file (a new FileID) or shrank; otherwise resume from
// the checkpoint's position (a file appended to, or one read part-way).
func Resume(cp *store.Checkpoint, info source.Info) (start int64, skip bool) {
	switch {
	case cp == nil:
		return 0, false
	case cp.FileID != "" && info.FileID != "" && cp.FileID != info.FileID:
		return 0, false
	case cp.Done && cp.Size == info.Size && sameTime(cp.ModTime, info.ModTime):
		return 0, true
	case info.Size >= 0 && info.Size < cp.Size:
		return 0, false
	}
	return cp.Position, false
}

// sameTime compares modification times at the precision every store keeps.
func sameTime(a, b time.Time) bool {
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}

// Process reads job's object to the end (or until ctx is done), committing
// every BatchSize records, and, for live streams, whenever the stream
// pauses. A corrupt gzip header quarantines the object and marks it done;
// an error opening or reading the file itself is returned, and what was
// committed before it stands. When ctx is cancelled, what was processed is
// committed before returning ctx's error, so a shutdown loses no work.
func (p *Pipeline) Process(ctx context.Context, job Job) (Result, error) {
	if job.Format != FormatAuto {
		if _, err := p.decoder(job.Format); err != nil {
			return Result{}, err
		}
	}
	started := p.opts.Now()
	rc, info, err := job.Object.OpenInfo()
	var pathErr *fs.PathError
	if err != nil && !errors.Is(err, source.ErrBadGzip) {
		p.metrics.object(job.Source, "error")
		if errors.As(err, &pathErr) {
			return Result{}, err // it names the file
		}
		return Result{}, fmt.Errorf("opening %s: %w", job.Object.Key, err)
	}
	r := &run{p: p, ctx: ctx, job: job, info: info, tail: -1, idx: map[string]int{}, evid: map[string]int{}}
	r.batch.EvidenceLimit = p.opts.EvidenceLimit
	if job.Checkpoint {
		start, skip := Resume(job.Stored, info)
		if skip {
			if rc != nil {
				rc.Close()
			}
			r.res.Unchanged, r.res.Checkpoint = true, job.Stored
			return r.res, nil
		}
		r.start, r.next = start, start
		r.expect = new(int64)
		if job.Stored != nil {
			*r.expect = job.Stored.Position
		}
		if job.Stored != nil {
			// Read before: records from start on are decoded anew, and what
			// was quarantined there (a record cut off while the file was
			// written, the file it replaces) goes.
			r.batch.Reread = append(r.batch.Reread, store.Reread{Source: job.Source, Path: job.Object.Key, From: start})
		}
	}
	r.res.Start = r.start

	if err != nil { // a corrupt gzip header
		r.res.Records, r.res.Quarantined = 1, 1
		r.batch.Quarantine = append(r.batch.Quarantine, store.Quarantined{
			Origin: event.Origin{Source: job.Source, Path: job.Object.Key, Index: r.start},
			Format: job.Format, Reason: err.Error(),
		})
		r.pendQuar++
		// The position stays: a file that changes is read again from there.
		err = r.commit(ctx, r.start, true)
		p.metrics.object(job.Source, "quarantined")
		return r.res, err
	}
	defer rc.Close()
	var in io.Reader = rc
	if job.Format == FormatAuto {
		br := bufio.NewReaderSize(rc, decode.SniffLen)
		head := sniffHead(br)
		if r.job.Format = p.opts.Sniff(head); r.job.Format == "" {
			r.res.Records, r.res.Quarantined = 1, 1
			r.batch.Quarantine = append(r.batch.Quarantine, store.Quarantined{
				Origin: event.Origin{Source: job.Source, Path: job.Object.Key, Index: r.start},
				Format: FormatAuto, Reason: "not a log format Picket reads (CloudTrail, VPC Flow Logs, Route 53 Resolver query logs, Kubernetes audit logs)",
				Sample: append([]byte(nil), head[:min(len(head), store.MaxSample)]...),
			})
			r.pendQuar++
			err = r.commit(ctx, r.start, true)
			p.metrics.object(job.Source, "quarantined")
			return r.res, err
		}
		in = br
	}
	dec, err := p.decoder(r.job.Format)
	if err != nil {
		return r.res, err
	}
	job.Object.OnIdle(r.flushIdle)
	defer job.Object.OnIdle(nil)

	origin := event.Origin{Source: job.Source, Path: job.Object.Key}
	st, derr := dec.Decode(ctx, in, decode.Options{Origin: origin, Start: r.start, MaxRecordBytes: p.opts.MaxRecordBytes, Params: job.Params}, r)
	r.res.Stats = st
	r.bytes = st.Bytes
	switch {
	case derr == nil:
		end := st.Records
		if r.tail >= 0 {
			// The stream ended inside its last record: stop before it, so
			// that when the file is complete the record is read whole.
			end = r.tail
		}
		err = r.commit(ctx, end, true)
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
		if errors.As(err, &pathErr) || errors.Is(err, context.Canceled) {
			return r.res, err
		}
		return r.res, fmt.Errorf("processing %s: %w", job.Object.Key, err)
	}
	p.metrics.finished(job, r.start, st)
	p.metrics.object(job.Source, "done")
	p.log.Debug("object processed", "source", job.Source, "key", job.Object.Key, "from", r.start, "records", st.Records,
		"events", st.Events, "quarantined", st.Quarantined, "skipped", st.Skipped, "findings", r.res.Occurrences,
		"took", p.opts.Now().Sub(started))
	return r.res, nil
}

// sniffHead returns the start of a stream to recognise its format: up to
// decode.SniffLen bytes, but no more than a first whole line of some length
// once it is there — a live stream (stdin) may send one record and pause,
// and waiting for more would hold that record back.
func sniffHead(br *bufio.Reader) []byte {
	want := 1
	for {
		_, err := br.Peek(want)
		head, _ := br.Peek(br.Buffered())
		if err != nil || len(head) >= decode.SniffLen {
			return head
		}
		if i := bytes.IndexByte(head, '\n'); i >= 40 {
			return head
		}
		want = len(head) + 1
	}
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
	p    *Pipeline
	ctx  context.Context
	job  Job
	info source.Info

	batch store.Batch
	idx   map[string]int // finding ID → index in batch.Findings
	evid  map[string]int // evidence rows in this batch per finding
	out   []finding.Finding
	state []detect.StateEntry

	start                int64  // first record read
	next                 int64  // next record index: the checkpoint position after the records handled
	tail                 int64  // index of a record the stream ended inside, or -1
	expect               *int64 // the stored position the next commit expects (nil: unconditional)
	bytes                int64  // decompressed bytes read, when known
	lastOffset           int64  // byte offset of the last record handled
	pending              int    // records since the last commit
	pendEvents, pendQuar int64
	lastEvent            time.Time // newest event time seen
	res                  Result
	err                  error // the commit error that stopped decoding
}

func (r *run) Event(e *event.Event) error {
	if r.err != nil {
		return r.err
	}
	r.out = r.p.engine.Detect(r.ctx, e, r.out[:0])
	for i := range r.out {
		r.add(&r.out[i], e)
	}
	if r.job.StoreEvents {
		r.batch.Events = append(r.batch.Events, StoredEvent(e))
	}
	if e.Time.After(r.lastEvent) {
		r.lastEvent = e.Time
	}
	r.pendEvents++
	r.lastOffset = e.Origin.Offset
	return r.advance(e.Origin.Index + 1)
}

func (r *run) Quarantine(b decode.Bad) error {
	if r.err != nil {
		return r.err
	}
	var pathErr *fs.PathError
	if errors.As(b.Err, &pathErr) || errors.Is(b.Err, context.Canceled) || errors.Is(b.Err, context.DeadlineExceeded) {
		// The file could not be read (a failing disk or network mount), or
		// we are stopping: not bad data. Stop; the object is read again
		// from the last commit.
		return b.Err
	}
	sample := b.Sample
	if len(sample) > store.MaxSample {
		sample = sample[:store.MaxSample]
	}
	r.batch.Quarantine = append(r.batch.Quarantine, store.Quarantined{
		Origin: b.Origin, Format: r.job.Format, Reason: b.Reason, Sample: append([]byte(nil), sample...),
	})
	r.pendQuar++
	r.lastOffset = b.Origin.Offset
	next := b.Origin.Index + 1
	if b.Tail {
		r.tail, next = b.Origin.Index, b.Origin.Index
	}
	return r.advance(next)
}

// advance records that the records before next are handled and commits a
// full batch.
func (r *run) advance(next int64) error {
	r.next = next
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

// flushIdle commits what a paused live stream has delivered so far.
func (r *run) flushIdle() {
	if r.pending == 0 || r.err != nil {
		return
	}
	if err := r.commit(r.ctx, r.next, false); err != nil {
		r.err = err
	}
}

// add folds one raised finding into the batch, with its event as evidence.
func (r *run) add(f *finding.Finding, e *event.Event) {
	r.res.Occurrences++
	f.Detach() // in case a detector kept a string borrowed from the event
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
		FindingID: f.ID, EventID: strings.Clone(id), EventTime: e.Time,
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
	var cp *store.Checkpoint
	if r.job.Checkpoint {
		offset := r.lastOffset
		if done {
			offset = r.bytes
		}
		b.Checkpoints = append(b.Checkpoints, store.Checkpoint{
			Source: r.job.Source, Key: r.job.Object.Key, Position: position, Offset: offset,
			Size: r.info.Size, ModTime: r.info.ModTime, FileID: r.info.FileID, Done: done, UpdatedAt: now,
			Expect: r.expect,
		})
		cp = &b.Checkpoints[0]
	}
	// Stateful detectors' changes go with the checkpoint they were learnt
	// up to. Entries of a failed commit are lost until they change again:
	// a baseline is approximate, and the records are read again anyway.
	b.State = b.State[:0]
	for _, st := range r.p.engine.Stateful() {
		name := st.StateName()
		r.state = st.DirtyState(r.state[:0])
		for _, e := range r.state {
			b.State = append(b.State, store.StateEntry{Detector: name, Key: e.Key, Value: e.Value, UpdatedAt: now})
		}
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
	if cp != nil {
		stored := *cp
		stored.Expect = nil
		r.res.Checkpoint = &stored
		r.expect = &stored.Position
	}
	b.Findings, b.Evidence, b.Quarantine, b.Reread = b.Findings[:0], b.Evidence[:0], b.Quarantine[:0], b.Reread[:0]
	clear(b.Events) // drop the raw copies
	b.Events, b.State = b.Events[:0], b.State[:0]
	clear(r.idx)
	clear(r.evid)
	r.pending, r.pendEvents, r.pendQuar = 0, 0, 0
	return nil
}

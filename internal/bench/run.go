package bench

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"text/tabwriter"
	"time"
)

// ScanFunc scans files and returns how many events it decoded and how many
// findings it produced. It is app.Scan in the binary; the bench package
// does not import the app, so the app's tests can use the corpus.
type ScanFunc func(ctx context.Context, paths []string) (events int64, findings int, bytes int64, err error)

// RunOptions configure Run.
type RunOptions struct {
	Records int    // corpus size; 0 means DefaultRecords
	Dir     string // corpus directory; "" means a temporary one, removed after
	// Corpus, when set, is an existing directory of log files (real
	// CloudTrail, say) measured as it is instead of a generated corpus.
	Corpus string
	Cores  int // GOMAXPROCS while measuring; 0 means 1
	Rounds int // measured rounds per variant (the best is kept); 0 means 3
}

// Result is one measured variant.
type Result struct {
	Name           string
	Records        int64 // events decoded
	Findings       int
	FileBytes      int64 // bytes on disk
	JSONBytes      int64 // uncompressed JSON bytes
	Elapsed        time.Duration
	Mallocs, Bytes uint64 // heap allocations and bytes during the run
	decoded        int64  // decompressed bytes the scan read
	// Median is the median round's time (Elapsed is the fastest round's).
	Median time.Duration
}

// EventsPerSec is the throughput in events per second.
func (r Result) EventsPerSec() float64 { return float64(r.Records) / r.Elapsed.Seconds() }

// MBPerSec is the throughput in MB (10^6 bytes) of uncompressed JSON per second.
func (r Result) MBPerSec() float64 { return float64(r.JSONBytes) / 1e6 / r.Elapsed.Seconds() }

// AllocsPerEvent is heap allocations per event.
func (r Result) AllocsPerEvent() float64 { return float64(r.Mallocs) / float64(r.Records) }

// Run writes a corpus as plain .json and as .json.gz (or takes o.Corpus as
// it is), scans each o.Rounds times with scan on o.Cores cores, and reports
// the fastest round along with the median round's time.
func Run(ctx context.Context, o RunOptions, scan ScanFunc, log io.Writer) ([]Result, error) {
	if o.Records <= 0 {
		o.Records = DefaultRecords
	}
	if o.Cores <= 0 {
		o.Cores = 1
	}
	if o.Rounds <= 0 {
		o.Rounds = 3
	}
	if o.Corpus != "" {
		return runCorpus(ctx, o, scan, log)
	}
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "picket-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	var out []Result
	for _, gz := range []bool{false, true} {
		name := "json"
		if gz {
			name = "json.gz"
		}
		vdir := dir + "/" + name
		fmt.Fprintf(log, "writing %d records as .%s into %s\n", o.Records, name, vdir)
		files, jsonBytes, err := WriteCorpus(vdir, CorpusOptions{Records: o.Records, Gzip: gz})
		if err != nil {
			return nil, err
		}
		var onDisk int64
		for _, f := range files {
			if fi, err := os.Stat(f); err == nil {
				onDisk += fi.Size()
			}
		}
		flush()
		rs, err := rounds(ctx, vdir, o, scan, log)
		if err != nil {
			return nil, err
		}
		for i := range rs {
			rs[i].Name, rs[i].FileBytes, rs[i].JSONBytes = name, onDisk, jsonBytes
		}
		out = append(out, summarize(rs))
	}
	return out, nil
}

// runCorpus measures scanning an existing directory.
func runCorpus(ctx context.Context, o RunOptions, scan ScanFunc, log io.Writer) ([]Result, error) {
	var onDisk int64
	err := filepath.WalkDir(o.Corpus, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				onDisk += fi.Size()
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	rs, err := rounds(ctx, o.Corpus, o, scan, log)
	if err != nil {
		return nil, err
	}
	for i := range rs {
		rs[i].Name, rs[i].FileBytes, rs[i].JSONBytes = filepath.Base(o.Corpus), onDisk, rs[i].decoded
	}
	return []Result{summarize(rs)}, nil
}

// rounds measures o.Rounds scans of dir.
func rounds(ctx context.Context, dir string, o RunOptions, scan ScanFunc, log io.Writer) ([]Result, error) {
	var rs []Result
	for round := range o.Rounds {
		r, err := measure(ctx, dir, o.Cores, scan)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "  round %d: %d events in %s (%.0f events/s)\n", round+1, r.Records, r.Elapsed.Round(time.Millisecond), r.EventsPerSec())
		rs = append(rs, r)
	}
	return rs, nil
}

// summarize keeps the fastest round and notes the median one's time.
func summarize(rs []Result) Result {
	slices.SortFunc(rs, func(a, b Result) int { return cmp.Compare(a.Elapsed, b.Elapsed) })
	best := rs[0]
	best.Median = rs[len(rs)/2].Elapsed
	return best
}

func measure(ctx context.Context, dir string, cores int, scan ScanFunc) (Result, error) {
	prev := runtime.GOMAXPROCS(cores)
	defer runtime.GOMAXPROCS(prev)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	events, findings, decoded, err := scan(ctx, []string{dir})
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil {
		return Result{}, err
	}
	return Result{Records: events, Findings: findings, Elapsed: elapsed, decoded: decoded,
		Mallocs: after.Mallocs - before.Mallocs, Bytes: after.TotalAlloc - before.TotalAlloc}, nil
}

// Print writes results as a table.
func Print(w io.Writer, cores int, rs []Result) {
	fmt.Fprintf(w, "\npicket scan, all built-in detectors, GOMAXPROCS=%d, %s/%s, %s\n", cores, runtime.GOOS, runtime.GOARCH, runtime.Version())
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "input\tevents\tfindings\tMB (json)\tMB (disk)\tseconds\tevents/s\tmedian events/s\tMB/s\tallocs/event\tB/event\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.1f\t%.3f\t%.0f\t%.0f\t%.1f\t%.2f\t%.0f\t\n", r.Name, r.Records, r.Findings,
			float64(r.JSONBytes)/1e6, float64(r.FileBytes)/1e6, r.Elapsed.Seconds(), r.EventsPerSec(),
			float64(r.Records)/r.Median.Seconds(), r.MBPerSec(), r.AllocsPerEvent(), float64(r.Bytes)/float64(r.Records))
	}
	tw.Flush()
}

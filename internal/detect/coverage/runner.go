package coverage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/cloudtrail"
	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// Raised is a finding and the record whose event raised it.
type Raised struct {
	Finding finding.Finding
	Record  int   // index in the replayed records
	Shape   Shape // the record's shape
}

// Replay decodes recs (as one CloudTrail log file) and runs them through
// a detect.Engine over dets, returning every finding with the record that
// raised it. A record the decoder quarantines is an error: the caller
// gets its index and reason. now is the engine's clock (zero: the last
// record's time, so runs are reproducible).
func Replay(ctx context.Context, dets []detect.Detector, recs []Record, now time.Time) ([]Raised, error) {
	if now.IsZero() && len(recs) > 0 {
		now = recs[len(recs)-1].Time
	}
	var buf bytes.Buffer
	if err := WriteFile(&buf, recs); err != nil {
		return nil, err
	}
	h := &replayer{en: detect.NewEngine(dets, func() time.Time { return now }), recs: recs, ctx: ctx}
	if _, err := cloudtrail.New().Decode(ctx, &buf, decode.Options{Origin: event.Origin{Source: "coverage", Path: "replay"}}, h); err != nil {
		return nil, err
	}
	if len(h.bad) > 0 {
		return h.out, fmt.Errorf("%d records quarantined, first: %s", len(h.bad), h.bad[0])
	}
	return h.out, nil
}

type replayer struct {
	ctx  context.Context
	en   *detect.Engine
	recs []Record
	fs   []finding.Finding
	out  []Raised
	bad  []string
}

func (h *replayer) Event(e *event.Event) error {
	h.fs = h.en.Detect(h.ctx, e, h.fs[:0])
	i := int(e.Origin.Index)
	sh := Shape("")
	if i >= 0 && i < len(h.recs) {
		sh = h.recs[i].Shape
	}
	for _, f := range h.fs {
		h.out = append(h.out, Raised{Finding: f, Record: i, Shape: sh})
	}
	return nil
}

func (h *replayer) Quarantine(b decode.Bad) error {
	h.bad = append(h.bad, fmt.Sprintf("record %d: %s", b.Origin.Index, b.Reason))
	return nil
}

// BackgroundFindings replays recs on a fresh detector set and returns the
// findings of severity min or above (use finding.Medium: benign traffic
// must raise none).
func BackgroundFindings(ctx context.Context, newDetectors func() []detect.Detector, recs []Record, min finding.Label) ([]Raised, error) {
	raised, err := Replay(ctx, newDetectors(), recs, time.Time{})
	var out []Raised
	for _, r := range raised {
		if finding.LabelOf(r.Finding.Severity) >= min {
			out = append(out, r)
		}
	}
	return out, err
}

// RunOptions configure Run.
type RunOptions struct {
	// Catalog is the Stratus catalog (LoadCatalog); Dir the folder its
	// detonation_log_file paths are relative to (the catalog's folder).
	Catalog []Technique
	Dir     string
	// NewDetectors builds a fresh detector set (stateful detectors must
	// not carry one technique's state into the next).
	NewDetectors func() []detect.Detector
	Seed         uint64
	Days         int // days of background and history before the detonation; default 14
	// ExtraAccounts get background traffic besides the detonation's own
	// account(s).
	ExtraAccounts []string
	// Reasons override the default table (Reasons).
	Reasons map[string]string
	// Parallel is how many techniques run at once (default GOMAXPROCS);
	// NewDetectors must then be safe to call concurrently. The report
	// does not depend on it.
	Parallel int
}

// Result is one technique's outcome.
type Result struct {
	ID, Name, Platform string
	Tactics            []string
	HasLog             bool
	Records            int      // detonation records replayed
	Types              []string // finding types raised on the detonation's records, sorted
	// Matching are the Types of a family matching a tactic (see
	// Families) that were not also raised on the run's benign records;
	// Noisy the matching-family ones that were (a rule that fires on
	// ordinary work does not tell the attack apart, so they do not count).
	Matching         []string
	Noisy            []string
	Sequences        []string       // AttackSequence:* among Types
	BackgroundTypes  []string       // finding types raised on background and history records
	BackgroundMedium []string       // … of severity Medium or above
	BackgroundCounts map[string]int // findings per type raised on background and history records
	Reason           string         // why not covered (no log, no matching finding)
	Err              string         // replay problem (a quarantined record, …)
}

// Covered says a finding of a matching family, and not raised on the
// benign records, was raised on the detonation.
func (r Result) Covered() bool { return len(r.Matching) > 0 }

// CoveredCountingNoisy says a finding of a matching family was raised on
// the detonation, noisy or not.
func (r Result) CoveredCountingNoisy() bool { return len(r.Matching)+len(r.Noisy) > 0 }

// Report is the outcome of a coverage run.
type Report struct {
	Results []Result
}

// WithLog counts the techniques that have a detonation log.
func (r *Report) WithLog() int {
	n := 0
	for _, x := range r.Results {
		if x.HasLog {
			n++
		}
	}
	return n
}

// Covered counts the techniques with a log and a matching finding.
func (r *Report) Covered() int {
	n := 0
	for _, x := range r.Results {
		if x.HasLog && x.Covered() {
			n++
		}
	}
	return n
}

// CoveredCountingNoisy counts the techniques with a log and a matching
// finding, counting noisy ones too.
func (r *Report) CoveredCountingNoisy() int {
	n := 0
	for _, x := range r.Results {
		if x.HasLog && x.CoveredCountingNoisy() {
			n++
		}
	}
	return n
}

// Percent is Covered/WithLog in percent (0 with no logs).
func (r *Report) Percent() float64 {
	if r.WithLog() == 0 {
		return 0
	}
	return 100 * float64(r.Covered()) / float64(r.WithLog())
}

// Run replays every technique's detonation log inside background traffic
// for its account(s) and a benign history of its principals, each on a
// fresh detector set, and reports what was raised.
func Run(ctx context.Context, o RunOptions) (*Report, error) {
	if o.Days <= 0 {
		o.Days = 14
	}
	reasons := o.Reasons
	if reasons == nil {
		reasons = Reasons
	}
	ts := slices.Clone(o.Catalog)
	sort.Slice(ts, func(i, j int) bool { return ts[i].ID < ts[j].ID })
	par := o.Parallel
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	rep := &Report{Results: make([]Result, len(ts))}
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(par, max(len(ts), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t := ts[i]
				res := Result{ID: t.ID, Name: t.Name, Platform: t.Platform, Tactics: t.Tactics, HasLog: t.LogFile != ""}
				if res.HasLog {
					if err := runTechnique(ctx, o, t, &res); err != nil {
						res.Err = err.Error()
					}
				}
				if !res.HasLog || !res.Covered() {
					res.Reason = reasons[t.ID]
					if res.Reason == "" && !res.HasLog {
						res.Reason = "no CloudTrail log in the dataset"
					}
				}
				rep.Results[i] = res
			}
		}()
	}
	for i := range ts {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return rep, nil
}

// Scenario builds the records Run replays for one detonation: the
// background of its accounts (and extra ones) and its principals'
// history, with the detonation's records interleaved by time, unchanged.
func Scenario(det []Record, seed uint64, days int, extraAccounts []string) ([]Record, error) {
	if len(det) == 0 {
		return nil, nil
	}
	var h struct {
		Region    string `json:"awsRegion"`
		Recipient string `json:"recipientAccountId"`
	}
	var accounts []string
	region := ""
	for _, r := range det {
		if err := json.Unmarshal(r.JSON, &h); err != nil {
			return nil, err
		}
		if region == "" {
			region = h.Region
		}
		if h.Recipient != "" && !slices.Contains(accounts, h.Recipient) {
			accounts = append(accounts, h.Recipient)
		}
	}
	for _, a := range extraAccounts {
		if !slices.Contains(accounts, a) {
			accounts = append(accounts, a)
		}
	}
	// The background runs up to an hour after the detonation's last
	// record, so the attack happens amid ordinary work.
	bg := Generate(Options{Seed: seed, End: det[len(det)-1].Time.Add(time.Hour), Days: days, Accounts: accounts, Region: region})
	hist, err := History(det, HistoryOptions{Seed: seed, Days: days})
	if err != nil {
		return nil, err
	}
	return Merge(bg, hist, det), nil
}

func runTechnique(ctx context.Context, o RunOptions, t Technique, res *Result) error {
	det, err := LoadDetonation(filepath.Join(o.Dir, filepath.FromSlash(t.LogFile)))
	if err != nil {
		return err
	}
	res.Records = len(det)
	recs, err := Scenario(det, o.Seed, o.Days, o.ExtraAccounts)
	if err != nil {
		return err
	}
	raised, err := Replay(ctx, o.NewDetectors(), recs, time.Time{})
	types, bgTypes, bgMed := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, r := range raised {
		typ := r.Finding.Type
		if r.Shape == ShapeDetonation {
			types[typ] = true
			continue
		}
		bgTypes[typ] = true
		if res.BackgroundCounts == nil {
			res.BackgroundCounts = map[string]int{}
		}
		res.BackgroundCounts[typ]++
		if finding.LabelOf(r.Finding.Severity) >= finding.Medium {
			bgMed[typ] = true
		}
	}
	res.Types = sortedKeys(types)
	res.BackgroundTypes = sortedKeys(bgTypes)
	res.BackgroundMedium = sortedKeys(bgMed)
	for _, typ := range res.Types {
		if MatchesTactics(typ, t.Tactics) {
			if bgTypes[typ] {
				res.Noisy = append(res.Noisy, typ)
			} else {
				res.Matching = append(res.Matching, typ)
			}
		}
		if strings.HasPrefix(typ, "AttackSequence:") {
			res.Sequences = append(res.Sequences, typ)
		}
	}
	return err
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Package detect runs detectors over events. A Detector is one small
// interface; the Engine indexes detectors by the event actions they want, so
// every event is seen once and only by the detectors that can fire on it. An
// explicit Registry lists the available detectors (duplicate names fail at
// start-up) and selects them by name and tag ("+cloudtrail,-noisy").
package detect

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// Info describes a detector.
type Info struct {
	Name        string       // unique name
	Aliases     []string     // other names it answers to in selections (a Sigma rule's id)
	Description string       // one line
	Tags        []string     // for selection: cloudtrail, iam, s3, ec2, noisy, …
	Types       []string     // finding types it can raise
	Kinds       []event.Kind // event kinds it looks at
	// Actions are the event actions (CloudTrail eventName) it looks at;
	// empty means every event of its kinds.
	Actions []string
}

// Detector inspects events and raises findings.
type Detector interface {
	// Info describes the detector; it must not change after construction.
	Info() Info
	// Detect appends the findings e raises to out and returns it. e is only
	// valid during the call (see package event): findings must hold copies.
	// Detect must not fail on odd input; it is called from one goroutine per
	// engine.
	Detect(ctx context.Context, e *event.Event, out []finding.Finding) []finding.Finding
}

// Correlator is a detector that also sees every finding the engine's
// detectors raise (attack sequences are built from findings, not events).
// Correlate is called once per event that raised findings, with those
// findings sealed (IDs set); it appends the findings it raises to out.
// raised must not be kept: copy what is needed.
type Correlator interface {
	Detector
	Correlate(ctx context.Context, e *event.Event, raised []finding.Finding, out []finding.Finding) []finding.Finding
}

// StateEntry is one persisted piece of a stateful detector's state (one
// principal's baseline, say). Value is the detector's own encoding.
type StateEntry struct {
	Key   string
	Value []byte
}

// Stateful is a detector whose state must survive a restart (behaviour
// baselines). The pipeline stores the entries changed since the last
// commit in the same transaction as the commit's findings and
// checkpoints; the app restores them at start-up before any Detect.
// A Stateful detector may be shared by several pipelines, so its methods
// must be safe for concurrent use.
type Stateful interface {
	Detector
	// StateName names the state in the store; stable across versions.
	StateName() string
	// RestoreState loads stored entries (called before any Detect).
	RestoreState(entries []StateEntry) error
	// DirtyState appends the entries changed since the last call and
	// marks them clean.
	DirtyState(out []StateEntry) []StateEntry
}

// Engine dispatches events to detectors.
type Engine struct {
	byAction    map[event.Kind]map[string][]Detector
	every       map[event.Kind][]Detector
	dets        []Detector
	correlators []Correlator
	stateful    []Stateful
	now         func() time.Time
}

// NewEngine indexes the detectors. now stamps createdAt/updatedAt (nil means time.Now).
func NewEngine(dets []Detector, now func() time.Time) *Engine {
	if now == nil {
		now = time.Now
	}
	en := &Engine{byAction: map[event.Kind]map[string][]Detector{}, every: map[event.Kind][]Detector{}, dets: dets, now: now}
	for _, d := range dets {
		if c, ok := d.(Correlator); ok {
			en.correlators = append(en.correlators, c)
		}
		if st, ok := d.(Stateful); ok {
			en.stateful = append(en.stateful, st)
		}
		in := d.Info()
		for _, k := range in.Kinds {
			if len(in.Actions) == 0 {
				en.every[k] = append(en.every[k], d)
				continue
			}
			m := en.byAction[k]
			if m == nil {
				m = map[string][]Detector{}
				en.byAction[k] = m
			}
			for _, a := range in.Actions {
				m[a] = append(m[a], d)
			}
		}
	}
	return en
}

// Detectors returns the engine's detectors.
func (en *Engine) Detectors() []Detector { return en.dets }

// Stateful returns the engine's detectors whose state is persisted.
func (en *Engine) Stateful() []Stateful { return en.stateful }

// Detect runs every interested detector on e, appending findings to out. New
// findings are sealed (ID, ARN) and stamped with the engine's clock.
func (en *Engine) Detect(ctx context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	n := len(out)
	for _, d := range en.every[e.Kind] {
		out = d.Detect(ctx, e, out)
	}
	if e.Action != "" {
		if m := en.byAction[e.Kind]; m != nil {
			for _, d := range m[e.Action] {
				out = d.Detect(ctx, e, out)
			}
		}
	}
	if len(out) == n {
		return out
	}
	en.seal(out[n:])
	if len(en.correlators) == 0 {
		return out
	}
	// Correlators see the findings of this event (their own included, so
	// a sequence may join another); each appends after what is there.
	m := len(out)
	for _, c := range en.correlators {
		k := len(out)
		out = c.Correlate(ctx, e, out[n:m:m], out)
		en.seal(out[k:])
	}
	return out
}

// seal stamps and seals new findings. Another producer's finding keeps
// its own times.
func (en *Engine) seal(fs []finding.Finding) {
	if len(fs) == 0 {
		return
	}
	now := en.now().UTC()
	for i := range fs {
		f := &fs[i]
		if f.CreatedAt.IsZero() {
			f.CreatedAt = now
		}
		if f.UpdatedAt.IsZero() {
			f.UpdatedAt = now
		}
		f.Seal()
	}
}

// Registry is the explicit table of available detectors.
type Registry struct {
	dets   []Detector
	byName map[string]Detector
}

// NewRegistry builds a registry; duplicate or empty names are an error.
func NewRegistry(dets ...Detector) (*Registry, error) {
	r := &Registry{byName: make(map[string]Detector, len(dets))}
	for _, d := range dets {
		name := d.Info().Name
		if name == "" {
			return nil, fmt.Errorf("detector registry: a detector has no name")
		}
		if _, dup := r.byName[name]; dup {
			return nil, fmt.Errorf("detector registry: duplicate detector name %q", name)
		}
		r.byName[name] = d
		r.dets = append(r.dets, d)
	}
	return r, nil
}

// All returns every registered detector, in registration order.
func (r *Registry) All() []Detector { return r.dets }

// Select returns the detectors chosen by expr and not disabled.
//
// expr is a comma-separated list of terms, each a tag or a detector name,
// optionally prefixed with + (include) or - (exclude). With no include
// terms every detector is included; excludes always win. "" selects all.
func (r *Registry) Select(expr string, disabled []string) ([]Detector, error) {
	var incl, excl []string
	for _, term := range strings.Split(expr, ",") {
		term = strings.TrimSpace(term)
		if term == "" {
			continue
		}
		switch term[0] {
		case '-':
			excl = append(excl, term[1:])
		case '+':
			incl = append(incl, term[1:])
		default:
			incl = append(incl, term)
		}
	}
	known := r.knownTerms()
	var unknown []string
	for _, t := range append(append([]string{}, incl...), excl...) {
		if !known[t] {
			unknown = append(unknown, t)
		}
	}
	for _, n := range disabled {
		if _, ok := r.byName[n]; !ok && !known[n] {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown detector names or tags: %s", strings.Join(unknown, ", "))
	}
	matches := func(d Detector, terms []string) bool {
		in := d.Info()
		for _, t := range terms {
			if t == in.Name || slices.Contains(in.Tags, t) || slices.Contains(in.Aliases, t) {
				return true
			}
		}
		return false
	}
	var out []Detector
	for _, d := range r.dets {
		if len(incl) > 0 && !matches(d, incl) {
			continue
		}
		if matches(d, excl) || matches(d, disabled) {
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

func (r *Registry) knownTerms() map[string]bool {
	k := map[string]bool{}
	for _, d := range r.dets {
		in := d.Info()
		k[in.Name] = true
		for _, a := range in.Aliases {
			k[a] = true
		}
		for _, t := range in.Tags {
			k[t] = true
		}
	}
	return k
}

// Tags lists every tag in use, sorted.
func (r *Registry) Tags() []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range r.dets {
		for _, t := range d.Info().Tags {
			if _, isName := r.byName[t]; !isName && !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	sort.Strings(out)
	return out
}

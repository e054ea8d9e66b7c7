// Package sequence builds attack sequences, like GuardDuty's Extended
// Threat Detection, from the findings other detectors raise: a chain
// (chains/*.yml, documented in docs/attack-sequences.md) names stages of
// finding types or ATT&CK tactics about one key — a principal, a
// credential, a resource or an account — within a window. When the
// findings held for a key complete a chain, the correlator raises one
// Critical AttackSequence:* finding listing them (its signals) in
// service.additionalInfo.sequence, and raises it again, with the same
// fingerprint (chain, key), each time a new distinct signal joins.
//
// It is a detect.Correlator (it sees the sealed findings of every event,
// GuardDuty's own included when the external detector raises them) and a
// detect.Stateful (partial chains survive a restart). Time is the
// findings' event time, never the wall clock: a replay decides as live
// traffic did. Memory is bounded: at most Options.MaxKeys sequences, the
// least recently active evicted first, and Options.MaxSignals signals
// each.
package sequence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/detect/state"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// Name is the detector's name.
const Name = "attack-sequence"

// Options tune the correlator. Zero values take the defaults.
type Options struct {
	// MaxKeys bounds the sequences (chain × key) held; the least recently
	// active is evicted first. Default 100000.
	MaxKeys int
	// MaxSignals bounds the signals held per sequence (at most 100, as
	// GuardDuty's). Default 32.
	MaxSignals int
	// Now dates findings that carry no time at all (default time.Now).
	Now func() time.Time
}

const nShards = 16

// Correlator raises attack sequences. Safe for concurrent use.
type Correlator struct {
	chains []*Chain
	byID   map[string]int
	opt    Options
	info   detect.Info
	shards [nShards]shard

	entries, evicted, expired atomic.Int64
}

type shard struct {
	mu    sync.Mutex
	m     map[string]*seq
	dirty map[string]struct{}
	max   int
}

// seq is one chain's state for one key.
type seq struct {
	chain   int
	key     string // the key's value: principal name, access key, bucket, instance or account
	signals []signal
	emitted int    // times raised
	account string // the finding's account and region, fixed when first raised
	region  string
}

// signal is one finding held in a sequence.
type signal struct {
	ID, Type, Detector, SourceID string
	Account, Region              string
	Entity                       string // instance, bucket or cluster the finding is about
	Instance                     bool   // Entity is an EC2 instance (its resource or role credentials)
	Severity                     float64
	First, Last                  int64 // event time, Unix nanoseconds
	Count                        int64
	tactic                       string
	mask                         uint32 // the chain's stages it matches
}

var (
	_ detect.Correlator = (*Correlator)(nil)
	_ detect.Stateful   = (*Correlator)(nil)
	_ state.Reporter    = (*Correlator)(nil)
)

// New returns a correlator of chains (see Load and Default).
func New(chains []*Chain, opt Options) (*Correlator, error) {
	if len(chains) == 0 {
		return nil, errors.New("attack sequences: no chains")
	}
	if opt.MaxKeys <= 0 {
		opt.MaxKeys = 100000
	}
	if opt.MaxSignals <= 0 {
		opt.MaxSignals = 32
	}
	opt.MaxSignals = min(max(opt.MaxSignals, MaxStages), 100)
	if opt.Now == nil {
		opt.Now = time.Now
	}
	c := &Correlator{chains: chains, byID: map[string]int{}, opt: opt}
	var types []string
	for i, ch := range chains {
		if _, dup := c.byID[ch.ID]; dup {
			return nil, fmt.Errorf("attack sequences: chain id %q twice", ch.ID)
		}
		c.byID[ch.ID] = i
		if !slices.Contains(types, ch.Type) {
			types = append(types, ch.Type)
		}
	}
	sort.Strings(types)
	c.info = detect.Info{
		Name:        Name,
		Description: "Attack sequences: chains of findings about one principal, credential, resource or account (Extended Threat Detection)",
		Tags:        []string{"sequence"},
		Types:       types,
		Kinds:       []event.Kind{event.KindCloudTrail, event.KindVPCFlow, event.KindDNS, event.KindK8sAudit, event.KindFinding},
	}
	per := (opt.MaxKeys + nShards - 1) / nShards
	for i := range c.shards {
		c.shards[i] = shard{m: map[string]*seq{}, dirty: map[string]struct{}{}, max: per}
	}
	return c, nil
}

// Chains returns the correlator's chains.
func (c *Correlator) Chains() []*Chain { return c.chains }

// Info describes the detector.
func (c *Correlator) Info() detect.Info { return c.info }

// Detect raises nothing: sequences are built from findings (Correlate).
func (c *Correlator) Detect(_ context.Context, _ *event.Event, out []finding.Finding) []finding.Finding {
	return out
}

// StateStats reports the sequences held.
func (c *Correlator) StateStats() state.Stats {
	return state.Stats{Entries: c.entries.Load(), Evicted: c.evicted.Load(), Expired: c.expired.Load()}
}

// Correlate adds the findings raised for e to the sequences they belong
// to and appends the attack sequences they complete or extend.
func (c *Correlator) Correlate(_ context.Context, e *event.Event, raised []finding.Finding, out []finding.Finding) []finding.Finding {
	for i := range raised {
		f := &raised[i]
		if ignored(f) {
			continue
		}
		tactic, _ := Classify(f.Type)
		inst := instanceOf(f)
		var sig signal
		built := false
		for ci, ch := range c.chains {
			var mask uint32
			for si := range ch.Stages {
				if ch.Stages[si].match(f.Type, tactic, inst != "") {
					mask |= 1 << si
				}
			}
			if mask == 0 {
				continue
			}
			if !built {
				sig = c.newSignal(f, e, tactic, inst)
				built = true
			}
			sig.mask = mask
			var kb [4]string
			for _, k := range keysOf(kb[:0], ch.Key, f, inst, sig.Entity) {
				out = c.add(ci, k, &sig, f, out)
			}
		}
	}
	return out
}

// ignored: attack sequences (no loops), GuardDuty's sample findings and
// archived (suppressed) findings are not signals.
func ignored(f *finding.Finding) bool {
	if strings.HasPrefix(f.Type, "AttackSequence:") || f.Service.Archived || f.ID == "" {
		return true
	}
	s, _ := f.Service.AdditionalInfo["sample"].(bool)
	return s
}

func (c *Correlator) newSignal(f *finding.Finding, e *event.Event, tactic, inst string) signal {
	last := f.Service.EventLastSeen
	for _, t := range []time.Time{f.UpdatedAt, f.CreatedAt, e.Time} {
		if last.IsZero() {
			last = t
		}
	}
	if last.IsZero() {
		last = c.opt.Now()
	}
	first := f.Service.EventFirstSeen
	if first.IsZero() || first.After(last) {
		first = last
	}
	s := signal{
		ID: f.ID, Type: f.Type, Detector: f.Service.DetectorID,
		Account: f.AccountID, Region: f.Region,
		Severity: f.Severity, First: first.UnixNano(), Last: last.UnixNano(),
		Count: max(f.Service.Count, 1), tactic: tactic,
	}
	if src, ok := f.Service.AdditionalInfo["source"].(map[string]any); ok {
		s.SourceID, _ = src["id"].(string)
	}
	switch r := &f.Resource; {
	case inst != "":
		s.Entity, s.Instance = inst, true
	case len(r.S3BucketDetails) > 0:
		s.Entity = r.S3BucketDetails[0].Name
	case r.EksClusterDetails != nil:
		s.Entity = r.EksClusterDetails.Name
	}
	return s
}

// instanceOf returns the EC2 instance a finding is about: its instance
// resource, or the instance whose role credentials made the call (role
// sessions of instance profiles are named after the instance).
func instanceOf(f *finding.Finding) string {
	if d := f.Resource.InstanceDetails; d != nil {
		if d.InstanceID != "" {
			return d.InstanceID
		}
		if len(d.NetworkInterfaces) > 0 {
			return d.NetworkInterfaces[0].NetworkInterfaceID
		}
	}
	if a := f.Resource.AccessKeyDetails; a != nil {
		if _, s, ok := strings.Cut(a.PrincipalID, ":"); ok && isInstanceID(s) {
			return s
		}
	}
	if i := strings.LastIndexByte(f.Keys.Actor, '/'); i >= 0 && strings.Contains(f.Keys.Actor, ":assumed-role/") && isInstanceID(f.Keys.Actor[i+1:]) {
		return f.Keys.Actor[i+1:]
	}
	return ""
}

func isInstanceID(s string) bool {
	h, ok := strings.CutPrefix(s, "i-")
	if !ok || (len(h) != 8 && len(h) != 17) {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// keysOf appends to ks the values of a chain's key in f (several for a
// finding about several buckets), "" excluded.
func keysOf(ks []string, kind string, f *finding.Finding, inst, entity string) []string {
	switch kind {
	case KeyPrincipal:
		if a := f.Resource.AccessKeyDetails; a != nil {
			if a.UserName != "" {
				return append(ks, a.UserName)
			}
			if a.PrincipalID != "" {
				return append(ks, a.PrincipalID)
			}
		}
		if k := f.Resource.KubernetesDetails; k != nil && k.KubernetesUserDetails != nil && k.KubernetesUserDetails.Username != "" {
			return append(ks, k.KubernetesUserDetails.Username)
		}
		if !f.External() && f.Keys.Actor != "" {
			return append(ks, f.Keys.Actor)
		}
	case KeyCredential:
		if a := f.Resource.AccessKeyDetails; a != nil && a.AccessKeyID != "" {
			return append(ks, a.AccessKeyID)
		}
	case KeyResource:
		if inst != "" {
			ks = append(ks, inst)
		}
		for _, b := range f.Resource.S3BucketDetails {
			if b.Name != "" && !slices.Contains(ks, b.Name) {
				ks = append(ks, b.Name)
			}
		}
		if len(ks) == 0 && entity != "" {
			ks = append(ks, entity)
		}
		return ks
	case KeyAccount:
		if f.AccountID != "" {
			return append(ks, f.AccountID)
		}
	}
	return ks
}

// stateKey is chain id | account | key value: the store's key and the
// shard map's.
func stateKey(buf []byte, chain, account, key string) []byte {
	buf = append(buf, chain...)
	buf = append(buf, '|')
	buf = append(buf, account...)
	buf = append(buf, '|')
	return append(buf, key...)
}

func (c *Correlator) shardOf(k []byte) *shard {
	h := uint32(2166136261)
	for _, b := range k {
		h ^= uint32(b)
		h *= 16777619
	}
	return &c.shards[h%nShards]
}

// add folds sig into the sequence of (chain ci, key) and appends the
// attack sequence when the chain is complete and the signal is new.
func (c *Correlator) add(ci int, key string, sig *signal, f *finding.Finding, out []finding.Finding) []finding.Finding {
	ch := c.chains[ci]
	var buf [160]byte
	kb := stateKey(buf[:0], ch.ID, f.AccountID, key)
	sh := c.shardOf(kb)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	s := sh.m[string(kb)]
	if s == nil {
		s = &seq{chain: ci, key: key}
		c.insert(sh, string(kb), s)
	}
	sh.dirty[string(kb)] = struct{}{}
	newest := sig.Last
	for i := range s.signals {
		newest = max(newest, s.signals[i].Last)
	}
	if c.prune(s, newest-int64(ch.Window)) {
		c.expired.Add(1)
	}
	if sig.Last < newest-int64(ch.Window) {
		return out // older than the window the sequence is in
	}
	for i := range s.signals {
		if o := &s.signals[i]; o.ID == sig.ID {
			// The same finding again (an aggregated repeat, or GuardDuty's
			// update of it): it widens, it does not extend the sequence.
			o.First, o.Last = min(o.First, sig.First), max(o.Last, sig.Last)
			if f.External() {
				o.Count = max(o.Count, sig.Count)
			} else {
				o.Count += sig.Count
			}
			o.Severity = max(o.Severity, sig.Severity)
			return out
		}
	}
	if len(s.signals) >= c.opt.MaxSignals {
		v := victim(s.signals)
		s.signals = slices.Delete(s.signals, v, v+1)
	}
	n := *sig
	n.ID, n.Type, n.Detector, n.SourceID = strings.Clone(n.ID), strings.Clone(n.Type), strings.Clone(n.Detector), strings.Clone(n.SourceID)
	n.Account, n.Region, n.Entity = strings.Clone(n.Account), strings.Clone(n.Region), strings.Clone(n.Entity)
	s.signals = append(s.signals, n)
	// Cheap test first: can the stages the signals match complete the chain?
	var union uint32
	for i := range s.signals {
		union |= s.signals[i].mask
	}
	if bits.OnesCount32(union) < ch.MinStages || union&ch.req != ch.req || (ch.oneOf != 0 && union&ch.oneOf == 0) {
		return out
	}
	r := ch.evaluate(s.signals)
	if !r.ok {
		return out
	}
	return append(out, c.raise(ch, s, &r, f))
}

// insert adds a new sequence to sh, evicting the least recently active
// of a sample when sh is full.
func (c *Correlator) insert(sh *shard, k string, s *seq) {
	if len(sh.m) >= sh.max {
		var vk string
		oldest := int64(1<<63 - 1)
		n := 0
		for k, o := range sh.m {
			if t := o.newest(); t < oldest {
				vk, oldest = k, t
			}
			if n++; n == 8 {
				break
			}
		}
		delete(sh.m, vk)
		sh.dirty[vk] = struct{}{} // persisted as deleted
		c.evicted.Add(1)
		c.entries.Add(-1)
	}
	sh.m[k] = s
	c.entries.Add(1)
}

func (s *seq) newest() int64 {
	var t int64
	for i := range s.signals {
		t = max(t, s.signals[i].Last)
	}
	return t
}

// prune drops the signals last seen before cut and reports whether any were.
func (c *Correlator) prune(s *seq, cut int64) bool {
	n := len(s.signals)
	s.signals = slices.DeleteFunc(s.signals, func(g signal) bool { return g.Last < cut })
	return len(s.signals) < n
}

// victim picks the signal to drop from a full sequence: the oldest of
// those matching the same stages as another, else the oldest.
func victim(sigs []signal) int {
	v, vr := -1, -1
	for i := range sigs {
		redundant := 0
		for j := range sigs {
			if i != j && sigs[j].mask == sigs[i].mask {
				redundant = 1
				break
			}
		}
		if v < 0 || redundant > vr || (redundant == vr && sigs[i].Last < sigs[v].Last) {
			v, vr = i, redundant
		}
	}
	return v
}

// result is a chain evaluated over a sequence's signals.
type result struct {
	ok       bool
	order    []int // signal indices, by first seen
	stageOf  []int // per signal index: the stage it fills, or -1
	matched  int   // stages filled
	tactics  []string
	entities []string
}

// evaluate assigns signals to stages — each signal fills at most one
// stage; in an ordered chain the filled stages' signals follow stage
// order — maximising the stages filled with the required ones (and one
// of RequireOneOf) among them, then checks the chain's minimums.
func (ch *Chain) evaluate(sigs []signal) result {
	r := result{order: make([]int, len(sigs)), stageOf: make([]int, len(sigs))}
	for i := range r.order {
		r.order[i] = i
		r.stageOf[i] = -1
	}
	// By first-seen time. Signals first seen at the same time have no
	// order (CloudTrail times are whole seconds, and findings of one
	// second arrive in no meaningful order): among them the one matching
	// the earliest stage comes first, so an ordered chain may take them in
	// stage order; otherwise arrival order.
	sort.SliceStable(r.order, func(a, b int) bool {
		x, y := &sigs[r.order[a]], &sigs[r.order[b]]
		if x.First != y.First {
			return x.First < y.First
		}
		return bits.TrailingZeros32(x.mask) < bits.TrailingZeros32(y.mask)
	})
	var filled uint32
	if ch.Ordered {
		filled = ch.assignOrdered(sigs, &r)
	} else {
		filled = ch.assignUnordered(sigs, &r)
	}
	r.matched = bits.OnesCount32(filled)
	for _, i := range r.order {
		if t := sigs[i].tactic; t != "" && !slices.Contains(r.tactics, t) {
			r.tactics = append(r.tactics, t)
		}
		if e := sigs[i].Entity; e != "" && !slices.Contains(r.entities, e) {
			r.entities = append(r.entities, e)
		}
	}
	r.ok = filled&ch.req == ch.req && (ch.oneOf == 0 || filled&ch.oneOf != 0) &&
		r.matched >= ch.MinStages && len(r.tactics) >= ch.MinTactics && len(r.entities) >= ch.MinResources
	return r
}

// assignUnordered is a maximum bipartite matching of stages to signals
// (augmenting paths), trying required stages first, then RequireOneOf,
// then the rest: a stage once filled stays filled, so the matching
// covers the most important stages that can be covered at all.
func (ch *Chain) assignUnordered(sigs []signal, r *result) uint32 {
	prio := make([]int, 0, len(ch.Stages))
	for pass := 0; pass < 3; pass++ {
		for i := range ch.Stages {
			bit := uint32(1) << i
			req, one := ch.req&bit != 0, ch.oneOf&bit != 0
			if (pass == 0 && req) || (pass == 1 && !req && one) || (pass == 2 && !req && !one) {
				prio = append(prio, i)
			}
		}
	}
	seen := make([]bool, len(sigs))
	var try func(st int) bool
	try = func(st int) bool {
		for _, j := range r.order {
			if sigs[j].mask&(1<<st) == 0 || seen[j] {
				continue
			}
			seen[j] = true
			if r.stageOf[j] < 0 || try(r.stageOf[j]) {
				r.stageOf[j] = st
				return true
			}
		}
		return false
	}
	var filled uint32
	for _, st := range prio {
		clear(seen)
		if try(st) {
			filled |= 1 << st
		}
	}
	return filled
}

// assignOrdered fills stages in order with signals in first-seen order:
// dynamic programming over (stage, signals consumed, one-of met), the
// most stages filled with every required one.
func (ch *Chain) assignOrdered(sigs []signal, r *result) uint32 {
	n, ns := len(r.order), len(ch.Stages)
	w := (n + 1) * 2
	cur, next := make([]int, w), make([]int, w)
	for i := range cur {
		cur[i] = -1
	}
	cur[0] = 0
	// parent[st*w + p*2+fl] = previous p*2+fl, +1<<20 when the stage was filled
	parent := make([]int32, ns*w)
	for st := 0; st < ns; st++ {
		bit := uint32(1) << st
		for i := range next {
			next[i] = -1
			if ch.req&bit == 0 && cur[i] >= 0 {
				next[i] = cur[i]
				parent[st*w+i] = int32(i)
			}
		}
		for i, v := range cur {
			if v < 0 {
				continue
			}
			p, fl := i/2, i%2
			if ch.oneOf&bit != 0 {
				fl = 1
			}
			for q := p; q < n; q++ {
				if sigs[r.order[q]].mask&bit == 0 {
					continue
				}
				if j := (q+1)*2 + fl; v+1 > next[j] {
					next[j] = v + 1
					parent[st*w+j] = int32(i) | 1<<20
				}
			}
		}
		cur, next = next, cur
	}
	best := -1
	for i, v := range cur {
		if (ch.oneOf == 0 || i%2 == 1) && v >= 0 && (best < 0 || v > cur[best]) {
			best = i
		}
	}
	if best < 0 {
		return 0
	}
	var filled uint32
	for st, i := ns-1, best; st >= 0; st-- {
		p := parent[st*w+i]
		if p&(1<<20) != 0 {
			filled |= 1 << st
			r.stageOf[r.order[i/2-1]] = st
		}
		i = int(p &^ (1 << 20))
	}
	// an unfilled required stage cannot happen: skipping it is never allowed
	return filled
}

// raise builds the attack sequence finding for s.
func (c *Correlator) raise(ch *Chain, s *seq, r *result, trigger *finding.Finding) finding.Finding {
	sigs := s.signals
	latest := &sigs[0]
	var first, last int64 = sigs[0].First, sigs[0].Last
	for i := range sigs {
		g := &sigs[i]
		first, last = min(first, g.First), max(last, g.Last)
		if g.Last > latest.Last {
			latest = g
		}
	}
	if s.emitted == 0 {
		// The finding's identity is (chain, key): account and region are
		// the latest signal's when the chain first completes, and stay.
		s.account, s.region = latest.Account, latest.Region
	}
	s.emitted++
	keys := finding.Keys{Resource: "attack-sequence/" + ch.ID, Actor: s.key}
	sev := ch.Severity(r.matched)

	signals := make([]any, 0, len(sigs))
	var desc strings.Builder
	desc.WriteString(ch.Description)
	desc.WriteString(" Signals:")
	var techniques []string
	for n, i := range r.order {
		g := &sigs[i]
		m := map[string]any{
			"uid":         g.ID,
			"type":        "FINDING",
			"name":        g.Type,
			"severity":    g.Severity,
			"count":       g.Count,
			"firstSeenAt": time.Unix(0, g.First).UTC().Format(time.RFC3339Nano),
			"lastSeenAt":  time.Unix(0, g.Last).UTC().Format(time.RFC3339Nano),
			"tactic":      g.tactic,
		}
		if g.Detector != "" {
			m["detector"] = g.Detector
		}
		if g.SourceID != "" {
			m["sourceId"] = g.SourceID
		}
		if g.Entity != "" {
			m["resource"] = g.Entity
		}
		if st := r.stageOf[i]; st >= 0 {
			m["stage"] = ch.Stages[st].ID
		}
		_, tech := Classify(g.Type)
		if len(tech) > 0 {
			m["techniques"] = toAny(tech)
			for _, t := range tech {
				if !slices.Contains(techniques, t) {
					techniques = append(techniques, t)
				}
			}
		}
		signals = append(signals, m)
		fmt.Fprintf(&desc, " %d) %s at %s (finding %s)", n+1, g.Type, time.Unix(0, g.First).UTC().Format(time.RFC3339), g.ID)
		if n+1 < len(r.order) {
			desc.WriteByte(';')
		}
	}
	desc.WriteByte('.')
	stages := make([]any, 0, len(ch.Stages))
	var matched []string
	for st := range ch.Stages {
		var ids []any
		for _, i := range r.order {
			if r.stageOf[i] == st {
				ids = append(ids, sigs[i].ID)
			}
		}
		if len(ids) > 0 {
			matched = append(matched, ch.Stages[st].ID)
		}
		stages = append(stages, map[string]any{"id": ch.Stages[st].ID, "name": ch.Stages[st].Name, "matched": len(ids) > 0, "signals": ids})
	}
	tactics := make([]any, 0, len(r.tactics))
	for _, t := range r.tactics {
		tactics = append(tactics, map[string]any{"id": t, "name": Tactics[t]})
	}
	info := map[string]any{
		"sequence": map[string]any{
			"uid":         finding.Fingerprint(ch.Type, s.account, s.region, keys),
			"chain":       ch.ID,
			"name":        ch.Name,
			"description": ch.Description,
			"key":         map[string]any{"kind": ch.Key, "value": s.key},
			"signals":     signals,
			"stages":      stages,
			"tactics":     tactics,
			"techniques":  toAny(techniques),
			"resources":   toAny(r.entities),
			"signalCount": int64(len(sigs)),
			"stageCount":  int64(r.matched),
		},
	}
	res := finding.Finding{Resource: trigger.Resource}
	res.Detach()
	return finding.Finding{
		Type:        ch.Type,
		Severity:    sev,
		AccountID:   s.account,
		Region:      s.region,
		Title:       fmt.Sprintf("%s: %d signals over %d stages (%s) for %s %s.", ch.Name, len(sigs), r.matched, strings.Join(matched, ", "), ch.Key, s.key),
		Description: desc.String(),
		Resource:    res.Resource,
		Service: finding.Service{
			DetectorID:     Name,
			Count:          1,
			EventFirstSeen: time.Unix(0, first).UTC(),
			EventLastSeen:  time.Unix(0, last).UTC(),
			ResourceRole:   "TARGET",
			AdditionalInfo: info,
		},
		Keys: keys,
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// StateName names the correlator's state in the store.
func (c *Correlator) StateName() string { return Name }

type stateJSON struct {
	V       int          `json:"v"`
	Emitted int          `json:"emitted,omitempty"`
	Account string       `json:"account,omitempty"`
	Region  string       `json:"region,omitempty"`
	Signals []signalJSON `json:"signals"`
}

type signalJSON struct {
	ID       string    `json:"id"`
	Type     string    `json:"type"`
	Detector string    `json:"detector,omitempty"`
	SourceID string    `json:"sourceId,omitempty"`
	Account  string    `json:"account"`
	Region   string    `json:"region"`
	Entity   string    `json:"entity,omitempty"`
	Instance bool      `json:"instance,omitempty"`
	Severity float64   `json:"severity"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
	Count    int64     `json:"count"`
}

// DirtyState appends the sequences changed since the last call, keyed
// "chain|account|key"; an entry with no Value is a sequence forgotten
// (evicted), to delete.
func (c *Correlator) DirtyState(out []detect.StateEntry) []detect.StateEntry {
	n := len(out)
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		for k := range sh.dirty {
			s := sh.m[k]
			if s == nil {
				out = append(out, detect.StateEntry{Key: k})
				continue
			}
			st := stateJSON{V: 1, Emitted: s.emitted, Account: s.account, Region: s.region, Signals: make([]signalJSON, len(s.signals))}
			for j, g := range s.signals {
				st.Signals[j] = signalJSON{ID: g.ID, Type: g.Type, Detector: g.Detector, SourceID: g.SourceID, Account: g.Account, Region: g.Region,
					Entity: g.Entity, Instance: g.Instance, Severity: g.Severity, First: time.Unix(0, g.First).UTC(), Last: time.Unix(0, g.Last).UTC(), Count: g.Count}
			}
			b, err := json.Marshal(st)
			if err != nil {
				continue // cannot happen: plain strings, numbers and times
			}
			out = append(out, detect.StateEntry{Key: k, Value: b})
		}
		clear(sh.dirty)
		sh.mu.Unlock()
	}
	slices.SortFunc(out[n:], func(a, b detect.StateEntry) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// RestoreState loads stored sequences. Entries of chains no longer
// loaded are dropped; stages are matched again with today's chains.
func (c *Correlator) RestoreState(entries []detect.StateEntry) error {
	var errs []error
	for _, en := range entries {
		if len(en.Value) == 0 {
			continue
		}
		id, rest, ok := strings.Cut(en.Key, "|")
		_, key, ok2 := strings.Cut(rest, "|")
		if !ok || !ok2 {
			errs = append(errs, fmt.Errorf("attack sequence state %q: bad key", en.Key))
			continue
		}
		ci, known := c.byID[id]
		if !known {
			continue
		}
		ch := c.chains[ci]
		var st stateJSON
		if err := json.Unmarshal(en.Value, &st); err != nil || st.V != 1 {
			errs = append(errs, fmt.Errorf("attack sequence state %q: %v (version %d)", en.Key, err, st.V))
			continue
		}
		s := &seq{chain: ci, key: key, emitted: st.Emitted, account: st.Account, region: st.Region}
		for _, g := range st.Signals {
			tactic, _ := Classify(g.Type)
			var mask uint32
			for si := range ch.Stages {
				if ch.Stages[si].match(g.Type, tactic, g.Instance) {
					mask |= 1 << si
				}
			}
			if mask == 0 || len(s.signals) >= c.opt.MaxSignals {
				continue
			}
			s.signals = append(s.signals, signal{ID: g.ID, Type: g.Type, Detector: g.Detector, SourceID: g.SourceID, Account: g.Account, Region: g.Region,
				Entity: g.Entity, Instance: g.Instance, Severity: g.Severity, First: g.First.UnixNano(), Last: g.Last.UnixNano(), Count: g.Count,
				tactic: tactic, mask: mask})
		}
		sh := c.shardOf([]byte(en.Key))
		sh.mu.Lock()
		if _, dup := sh.m[en.Key]; dup {
			sh.m[en.Key] = s
		} else {
			c.insert(sh, en.Key, s)
		}
		sh.mu.Unlock()
	}
	return errors.Join(errs...)
}

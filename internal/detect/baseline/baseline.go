// Package baseline is Picket's behaviour-baseline detector, the
// counterpart of GuardDuty's */AnomalousBehavior and
// ConsoleLoginSuccess.B findings. It keeps a small, bounded profile per
// principal and account — the tactic classes of the APIs it calls, the
// networks and user-agent families it calls from, and the hourly volume
// of each class — and, once the profile has learned for long enough,
// raises a finding when a principal:
//
//   - calls an API of a tactic class it has not used (tactics.yaml) from
//     a network or with a user-agent family that is not in its baseline;
//   - makes far more calls of a class in one hour than it usually does;
//   - signs in to the console from a network or user agent unusual for it.
//
// Time is always the events' time: a replay decides as live traffic
// would. The profiles persist through detect.Stateful. See
// docs/behaviour-baselines.md.
package baseline

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// Name is the detector's name and its state's name.
const Name = "baseline"

// Options tune the detector. Zero values take the defaults.
type Options struct {
	// LearningWindow is how long after its first event a principal only
	// learns (default 7 days: one weekly cycle of jobs, weekdays and
	// weekends).
	LearningWindow time.Duration
	// MinEvents and MinDays are the least history a principal needs, on
	// top of the window, before it can raise findings: events profiled
	// (default 20) and distinct active UTC days (default 3). A principal
	// active one day a week thus learns for three weeks.
	MinEvents int
	MinDays   int
	// Settle is how far apart a network or user agent first seen after
	// learning must be used again before it joins the baseline
	// (default 24h). One that took part in a finding never does.
	Settle time.Duration
	// Volume anomaly: an hour with more calls of a class than
	// max(VolumeFloor, mean + VolumeK·sd) is unusual, where mean and sd
	// are over the principal's past active hours of that class (sd is at
	// least sqrt(mean) and 1, the spread of a Poisson count). Needs
	// MinVolumeHours active hours of history. Defaults: 50, 6, 3.
	VolumeFloor    int
	VolumeK        float64
	MinVolumeHours int
	// VolumeMemory caps the hours the mean counts with full weight;
	// older hours then decay exponentially (default 336, two weeks of
	// hours).
	VolumeMemory int
	// MinLogins is how many successful console sign-ins a principal must
	// have made before a new one can raise ConsoleLoginSuccess.B
	// (default 3).
	MinLogins int
	// MaxPrincipals bounds the profiles kept; the least recently seen is
	// evicted (default 100000).
	MaxPrincipals int
	// Shards is the number of independently locked parts of the profile
	// table (default 64).
	Shards int
	// ASN, when set, profiles networks by autonomous system instead of
	// /24 (IPv4) or /48 (IPv6) prefix.
	ASN ASNLookup
	// Table maps APIs to tactic classes (default: the embedded
	// tactics.yaml).
	Table *Table
}

// DefaultOptions returns the defaults.
func DefaultOptions() Options {
	return Options{
		LearningWindow: 7 * 24 * time.Hour,
		MinEvents:      20,
		MinDays:        3,
		Settle:         24 * time.Hour,
		VolumeFloor:    50,
		VolumeK:        6,
		MinVolumeHours: 3,
		VolumeMemory:   336,
		MinLogins:      3,
		MaxPrincipals:  100000,
		Shards:         64,
		Table:          defaultTable,
	}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.LearningWindow <= 0 {
		o.LearningWindow = d.LearningWindow
	}
	if o.MinEvents <= 0 {
		o.MinEvents = d.MinEvents
	}
	if o.MinDays <= 0 {
		o.MinDays = d.MinDays
	}
	if o.Settle <= 0 {
		o.Settle = d.Settle
	}
	if o.VolumeFloor <= 0 {
		o.VolumeFloor = d.VolumeFloor
	}
	if o.VolumeK <= 0 {
		o.VolumeK = d.VolumeK
	}
	if o.MinVolumeHours <= 0 {
		o.MinVolumeHours = d.MinVolumeHours
	}
	if o.VolumeMemory <= 0 {
		o.VolumeMemory = d.VolumeMemory
	}
	if o.MinLogins <= 0 {
		o.MinLogins = d.MinLogins
	}
	if o.MaxPrincipals <= 0 {
		o.MaxPrincipals = d.MaxPrincipals
	}
	if o.Shards <= 0 {
		o.Shards = d.Shards
	}
	o.Shards = min(o.Shards, o.MaxPrincipals)
	if o.Table == nil {
		o.Table = d.Table
	}
	return o
}

// Detector is the behaviour-baseline detector. It is safe for concurrent
// use: the profiles are sharded, each shard behind its own mutex.
type Detector struct {
	opts     Options
	info     detect.Info
	seed     maphash.Seed
	shards   []shard
	learnSec int64
	settleH  uint32
}

type shard struct {
	mu    sync.Mutex
	max   int
	index map[string]int32
	keys  []string
	profs []profile
	dirty []int32
	tomb  []string // evicted keys that had been persisted
	_     [64]byte // keep shards' mutexes on separate cache lines
}

// New makes a detector.
func New(opts Options) *Detector {
	o := opts.withDefaults()
	d := &Detector{
		opts:     o,
		seed:     maphash.MakeSeed(),
		shards:   make([]shard, o.Shards),
		learnSec: int64(o.LearningWindow / time.Second),
		settleH:  uint32(max(o.Settle/time.Hour, 1)),
	}
	per := (o.MaxPrincipals + o.Shards - 1) / o.Shards
	for i := range d.shards {
		d.shards[i].max = per
		d.shards[i].index = map[string]int32{}
	}
	types := make([]string, 0, numClasses+1)
	for _, t := range classTypes[1:] {
		types = append(types, t.typ)
	}
	types = append(types, typeConsoleLogin)
	d.info = detect.Info{
		Name:        Name,
		Description: "behaviour baselines per principal: unusual tactics, networks, user agents and volumes (GuardDuty */AnomalousBehavior, ConsoleLoginSuccess.B)",
		Tags:        []string{"cloudtrail", "iam", "s3", "baseline"},
		Types:       types,
		Kinds:       []event.Kind{event.KindCloudTrail},
	}
	return d
}

// Info describes the detector.
func (d *Detector) Info() detect.Info { return d.info }

// StateName names the persisted state.
func (d *Detector) StateName() string { return Name }

// Len is the number of principals profiled.
func (d *Detector) Len() int {
	n := 0
	for i := range d.shards {
		s := &d.shards[i]
		s.mu.Lock()
		n += len(s.index)
		s.mu.Unlock()
	}
	return n
}

// principalOf returns the identity a profile belongs to: the IAM user,
// the role behind an assumed-role session, the root user. Calls made by
// or through AWS services are not profiled (ok false).
func principalOf(e *event.Event) (string, bool) {
	a := &e.Actor
	if a.InvokedBy != "" || a.Type == "AWSService" || a.Type == "" {
		return "", false
	}
	if ip := e.SourceIP; ip == "AWS Internal" || strings.HasSuffix(ip, ".amazonaws.com") {
		return "", false
	}
	switch a.Type {
	case "AssumedRole", "FederatedUser":
		if strings.Contains(a.SessionIssuerARN, ":role/aws-service-role/") {
			return "", false
		}
		if a.SessionIssuerARN != "" {
			return a.SessionIssuerARN, true
		}
		if a.Type == "AssumedRole" {
			// arn:aws:sts::123:assumed-role/Role/session → drop the session.
			if i := strings.LastIndexByte(a.ARN, '/'); i > 0 && strings.Contains(a.ARN, ":assumed-role/") {
				return a.ARN[:i], true
			}
		}
	}
	if a.ARN != "" {
		return a.ARN, true
	}
	if a.PrincipalID != "" {
		return a.PrincipalID, true
	}
	return "", false
}

// network returns the profile key of the caller's network, the address
// and, with an ASN table, its AS number.
func (d *Detector) network(src string) (k netKey, ip netip.Addr, asn uint32) {
	ip, ok := parseIP(src)
	if !ok {
		return nonIPKey(src), netip.Addr{}, 0
	}
	if d.opts.ASN != nil {
		if n, ok := d.opts.ASN.LookupASN(ip); ok && n != 0 {
			return asnKey(n), ip, n
		}
	}
	return prefixKey(ip), ip, 0
}

// anomaly is what made an event unusual.
type anomaly struct {
	cls                   Class
	login                 bool
	novel                 bool // a class the principal had not used
	unusualNet, unusualUA bool
	volume                bool
	count                 uint32
	thr                   float64
}

// Detect profiles e and raises the anomalies it shows.
func (d *Detector) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	if e.Kind != event.KindCloudTrail || e.Action == "" || e.Type == "AwsServiceEvent" {
		return out
	}
	if e.Category == "Data" && e.Service != "s3.amazonaws.com" {
		return out
	}
	login := e.Type == "AwsConsoleSignIn" && e.Action == "ConsoleLogin"
	if login && e.Failed {
		return out // failed sign-ins teach nothing and are other detectors' business
	}
	pr, ok := principalOf(e)
	if !ok {
		return out
	}
	var cls Class
	if !login {
		cls, _ = d.opts.Table.Classify(e.Service, e.Action)
	}
	nk, _, _ := d.network(e.SourceIP)
	fam := uaFamily(e.Actor.UserAgent)

	var buf [192]byte
	key := append(buf[:0], e.Account...)
	key = append(key, '|')
	key = append(key, pr...)
	s := &d.shards[maphash.Bytes(d.seed, key)%uint64(len(d.shards))]

	t := e.Time.Unix()
	h := hourOf(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.get(key, t)
	p := &s.profs[i]
	changed := false
	if p.events == 0 {
		p.first, p.last = t, t
		changed = true
	}
	p.first, p.last = min(p.first, t), max(p.last, t)
	if day := uint32(max(t, 0) / 86400); day > p.lastDay {
		p.days++
		p.lastDay = day
		changed = true
	}
	if p.grad == 0 && t-p.first >= d.learnSec && int(p.events) >= d.opts.MinEvents && int(p.days) >= d.opts.MinDays {
		p.grad = h
		changed = true
	}

	var an anomaly
	an.cls, an.login = cls, login
	if p.grad != 0 {
		ni, ui := p.findNet(nk), p.findUA(fam)
		an.unusualNet = !p.netDiverse && (ni < 0 || !p.settled(p.nets[ni].first, p.nets[ni].last, p.nets[ni].flagged, d.settleH))
		an.unusualUA = !p.uaDiverse && (ui < 0 || !p.settled(p.uas[ui].first, p.uas[ui].last, p.uas[ui].flagged, d.settleH))
		unusual := an.unusualNet || an.unusualUA
		switch {
		case login:
			an.novel = false
			if int(p.logins) < d.opts.MinLogins || !unusual {
				an.unusualNet, an.unusualUA = false, false
			}
		case cls != None:
			an.novel = p.learned&cls.bit() == 0 && unusual
		}
	}
	if cls != None {
		p.counts[cls-1]++
		var folded bool
		an.volume, an.count, an.thr, folded = d.volume(p, cls, h)
		changed = changed || folded
	}
	raised := (login && (an.unusualNet || an.unusualUA)) || an.novel || an.volume
	if cls != None && e.Success() && !raised && p.learned&cls.bit() == 0 {
		p.learned |= cls.bit()
		changed = true
	}
	if raised && cls != None && p.learned&cls.bit() == 0 {
		p.flagged |= cls.bit()
	}
	if login {
		p.logins++
		changed = true
	}
	p.events++
	if p.touchNet(nk, h, raised && an.unusualNet) {
		changed = true
	}
	if p.touchUA(fam, h, raised && an.unusualUA) {
		changed = true
	}
	if raised {
		out = append(out, d.finding(e, pr, p, &an, nk, fam))
	}
	if changed {
		s.markDirty(i)
	}
	return out
}

// volume counts a call of class c in hour h and reports whether the
// hour's count is now far above the principal's baseline for c. folded
// says the statistics changed (an hour ended).
func (d *Detector) volume(p *profile, c Class, h uint32) (fire bool, count uint32, thr float64, folded bool) {
	v := &p.vol[c-1]
	if h < v.hour {
		return false, 0, 0, false // a late event: its hour is closed
	}
	if h > v.hour {
		if v.count > 0 && v.fired == 0 {
			// Anomalous hours stay out of the baseline.
			v.fold(float64(v.count), uint32(d.opts.VolumeMemory))
			folded = true
		}
		v.hour, v.count, v.fired = h, 0, 0
	}
	v.count++
	if p.grad == 0 || int(v.n) < d.opts.MinVolumeHours {
		return false, v.count, 0, folded
	}
	thr = d.threshold(v)
	if float64(v.count) > thr && (v.fired == 0 || v.count >= 2*v.fired) {
		v.fired = v.count
		return true, v.count, thr, true
	}
	return false, v.count, thr, folded
}

func (d *Detector) threshold(v *volStat) float64 {
	mean := float64(v.mean)
	sd := max(v.sd(), math.Sqrt(mean), 1)
	return max(float64(d.opts.VolumeFloor), mean+d.opts.VolumeK*sd)
}

// get returns the slot of key, creating a fresh profile (and evicting the
// least recently seen one when the shard is full).
func (s *shard) get(key []byte, t int64) int32 {
	if i, ok := s.index[string(key)]; ok {
		return i
	}
	k := string(key)
	var i int32
	if len(s.profs) < s.max {
		s.profs = append(s.profs, profile{})
		s.keys = append(s.keys, k)
		i = int32(len(s.profs) - 1)
	} else {
		i = 0
		for j := range s.profs {
			if s.profs[j].last < s.profs[i].last {
				i = int32(j)
			}
		}
		if s.profs[i].persisted {
			s.tomb = append(s.tomb, s.keys[i])
		}
		delete(s.index, s.keys[i])
		s.profs[i] = profile{}
		s.keys[i] = k
	}
	s.index[k] = i
	return i
}

func (s *shard) markDirty(i int32) {
	if p := &s.profs[i]; !p.dirty {
		p.dirty = true
		s.dirty = append(s.dirty, i)
	}
}

// DirtyState appends the profiles changed since the last call (Value is
// the profile's binary encoding) and marks them clean. Profiles change
// when they learn something (a network, user agent, class, an active day
// or hour, the end of learning), not on every event, so a busy principal
// is written about once an hour. A principal evicted from the table comes
// back with an empty Value: the store may delete it.
func (d *Detector) DirtyState(out []detect.StateEntry) []detect.StateEntry {
	for si := range d.shards {
		s := &d.shards[si]
		s.mu.Lock()
		for _, i := range s.dirty {
			p := &s.profs[i]
			if !p.dirty {
				continue
			}
			p.dirty, p.persisted = false, true
			out = append(out, detect.StateEntry{Key: s.keys[i], Value: p.encode(make([]byte, 0, 256))})
		}
		s.dirty = s.dirty[:0]
		for _, k := range s.tomb {
			out = append(out, detect.StateEntry{Key: k})
		}
		s.tomb = s.tomb[:0]
		s.mu.Unlock()
	}
	return out
}

// RestoreState loads persisted profiles. Entries with an empty Value are
// skipped; a bad entry is skipped and reported in the error, the rest
// still load.
func (d *Detector) RestoreState(entries []detect.StateEntry) error {
	var errs []error
	for _, en := range entries {
		if len(en.Value) == 0 {
			continue
		}
		if !strings.Contains(en.Key, "|") {
			errs = append(errs, fmt.Errorf("baseline state %q: malformed key", en.Key))
			continue
		}
		var p profile
		if err := p.decode(en.Value); err != nil {
			errs = append(errs, fmt.Errorf("baseline state %q: %w", en.Key, err))
			continue
		}
		p.persisted = true
		key := []byte(en.Key)
		s := &d.shards[maphash.Bytes(d.seed, key)%uint64(len(d.shards))]
		s.mu.Lock()
		i := s.get(key, p.last)
		s.profs[i] = p
		s.mu.Unlock()
	}
	if len(errs) > 10 {
		errs = append(errs[:10], fmt.Errorf("and %d more", len(errs)-10))
	}
	return errors.Join(errs...)
}

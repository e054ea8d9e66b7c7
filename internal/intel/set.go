package intel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Options tune a Set. The zero value is usable.
type Options struct {
	// Logger receives what changed on every reload. Nil discards.
	Logger *slog.Logger
	// Client fetches URL lists. Nil means a client with FetchTimeout. The
	// Set uses a copy whose redirect policy refuses redirects from https
	// to plain http (and then applies the client's own CheckRedirect).
	Client *http.Client
	// FetchTimeout bounds one fetch of a URL list (default 30s).
	FetchTimeout time.Duration
	// MaxSize is the largest list file or download accepted (default
	// 256 MiB).
	MaxSize int64
	// MaxReportedEntries caps Changes.TrustedAdded and TrustedRemoved (per
	// list and reload; default 10000). Counts are always complete.
	MaxReportedEntries int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Set holds the configured lists. Lookups are safe for any number of
// goroutines at once, also while Reload swaps in new data: each lookup
// reads one immutable snapshot.
type Set struct {
	cfg  Config
	opts Options
	log  *slog.Logger
	h    hasher
	snap atomic.Pointer[snapshot]

	mu      sync.Mutex // serializes Reload
	src     []sourceState
	reloads int // completed Reload calls

	stmu   sync.Mutex // guards status
	status []listStatus
}

// sourceState is what Reload remembers about a list's source between runs.
type sourceState struct {
	statOK   bool
	size     int64
	mod      time.Time
	etag     string
	lastMod  string
	fetched  time.Time // last fetch attempt of a URL
	hasCache bool
}

type listStatus struct {
	lastErr     error
	lastAttempt time.Time
	fromCache   bool
}

type snapshot struct {
	lists   []*listData // by configuration index; nil = not loaded
	trusted side
	threat  side // threat and tor lists
}

type side struct {
	ip  ipIndex
	dom *domTable
}

// New checks cfg and returns a Set without any list loaded: call Reload
// (or use Load).
func New(cfg Config, opts Options) (*Set, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.FetchTimeout <= 0 {
		opts.FetchTimeout = 30 * time.Second
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: opts.FetchTimeout}
	}
	client := *opts.Client
	client.CheckRedirect = refuseDowngrade(client.CheckRedirect)
	opts.Client = &client
	if opts.MaxSize <= 0 {
		opts.MaxSize = 256 << 20
	}
	if opts.MaxReportedEntries <= 0 {
		opts.MaxReportedEntries = 10000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Set{
		cfg:    Config{Lists: slices.Clone(cfg.Lists)},
		opts:   opts,
		log:    opts.Logger,
		h:      hasher{seed: rand.Uint64(), mul: rand.Uint64() | 1},
		src:    make([]sourceState, len(cfg.Lists)),
		status: make([]listStatus, len(cfg.Lists)),
	}
	s.snap.Store(&snapshot{lists: make([]*listData, len(cfg.Lists))})
	return s, nil
}

// Load is New followed by a first Reload. The Set is returned even when
// some lists failed to load (the error says which); it is nil only for an
// invalid configuration.
func Load(ctx context.Context, cfg Config, opts Options) (*Set, Changes, error) {
	s, err := New(cfg, opts)
	if err != nil {
		return nil, Changes{}, err
	}
	ch, err := s.Reload(ctx)
	return s, ch, err
}

// Hit is a list entry that matched a lookup.
type Hit struct {
	Entry
	ListLoaded  time.Time // when the list was first loaded
	ListUpdated time.Time // when the version of the list that matched was loaded
	Custom      bool      // the list is one of your own (ListConfig.Custom)
}

// Verdict is the outcome of a check.
type Verdict uint8

// Verdicts.
const (
	VerdictNone    Verdict = iota // on no list
	VerdictThreat                 // on a threat (or tor) list and no trusted list
	VerdictTrusted                // on a trusted list (threat matches are suppressed)
)

func (v Verdict) String() string {
	switch v {
	case VerdictThreat:
		return "threat"
	case VerdictTrusted:
		return "trusted"
	}
	return "none"
}

// Result is the whole answer of CheckIP or CheckDomain.
type Result struct {
	Verdict Verdict
	// Threat is the threat (or tor) entry that matched, if any — also when
	// a trusted entry suppressed it (Verdict is then VerdictTrusted).
	Threat Hit
	// Trusted is the trusted entry that matched when Verdict is
	// VerdictTrusted.
	Trusted Hit
}

// Suppressed says whether a trusted entry hid a threat match.
func (r Result) Suppressed() bool { return r.Verdict == VerdictTrusted && r.Threat.List != "" }

func normAddr(a netip.Addr) netip.Addr { return a.Unmap().WithZone("") }

// LookupIP returns the threat (or tor) entry matching a — the exact address
// or the longest CIDR range — unless a trusted entry matches a. It does not
// allocate.
func (s *Set) LookupIP(a netip.Addr) (Hit, bool) {
	if !a.IsValid() {
		return Hit{}, false
	}
	a = normAddr(a)
	sn := s.snap.Load()
	if _, _, ok := sn.trusted.ip.find(a); ok {
		return Hit{}, false
	}
	ref, pfx, ok := sn.threat.ip.find(a)
	if !ok {
		return Hit{}, false
	}
	return sn.hit(ref, pfx, ""), true
}

// CheckIP returns the verdict for a with both the trusted and the threat
// entry that matched. It does not allocate.
func (s *Set) CheckIP(a netip.Addr) Result {
	var r Result
	if !a.IsValid() {
		return r
	}
	a = normAddr(a)
	sn := s.snap.Load()
	if ref, pfx, ok := sn.trusted.ip.find(a); ok {
		r.Verdict, r.Trusted = VerdictTrusted, sn.hit(ref, pfx, "")
	}
	if ref, pfx, ok := sn.threat.ip.find(a); ok {
		r.Threat = sn.hit(ref, pfx, "")
		if r.Verdict == VerdictNone {
			r.Verdict = VerdictThreat
		}
	}
	return r
}

// LookupDomain returns the threat (or tor) entry matching name or its
// nearest parent domain (a.b.evil.example matches evil.example), unless a
// trusted entry matches name or a parent. Matching ignores case and a
// trailing dot. It does not allocate.
func (s *Set) LookupDomain(name string) (Hit, bool) {
	var sx suffixes
	sx.set(s.h, name)
	if sx.n == 0 {
		return Hit{}, false
	}
	sn := s.snap.Load()
	if _, ok := sn.trusted.dom.lookup(sn.lists, &sx); ok {
		return Hit{}, false
	}
	ref, ok := sn.threat.dom.lookup(sn.lists, &sx)
	if !ok {
		return Hit{}, false
	}
	return sn.hit(ref, netip.Prefix{}, keyOf(sn.lists, ref)), true
}

// CheckDomain is CheckIP for domain names.
func (s *Set) CheckDomain(name string) Result {
	var r Result
	var sx suffixes
	sx.set(s.h, name)
	if sx.n == 0 {
		return r
	}
	sn := s.snap.Load()
	if ref, ok := sn.trusted.dom.lookup(sn.lists, &sx); ok {
		r.Verdict, r.Trusted = VerdictTrusted, sn.hit(ref, netip.Prefix{}, keyOf(sn.lists, ref))
	}
	if ref, ok := sn.threat.dom.lookup(sn.lists, &sx); ok {
		r.Threat = sn.hit(ref, netip.Prefix{}, keyOf(sn.lists, ref))
		if r.Verdict == VerdictNone {
			r.Verdict = VerdictThreat
		}
	}
	return r
}

func (sn *snapshot) hit(ref uint32, pfx netip.Prefix, domain string) Hit {
	l := sn.lists[ref>>refListShift]
	return Hit{Entry: l.entry(ref, pfx, domain), ListLoaded: l.firstLoaded, ListUpdated: l.updated, Custom: l.cfg.Custom}
}

// Changes is what one Reload did.
type Changes struct {
	At time.Time
	// Lists has one element per list that was loaded, reloaded with new
	// content, or failed; lists that did not change are left out.
	Lists []ListChange
	// TrustedAdded are the entries a reload added to trusted lists: each
	// widens what is trusted and may hide an attacker, so callers should
	// raise a finding for them. The first Reload of a Set reports none —
	// there is nothing to compare with; ListChange.Digest lets a caller
	// that keeps a baseline compare across restarts — but a trusted list
	// that first loads on a later reload (it was missing or broken at
	// start) has all its entries reported. At most
	// Options.MaxReportedEntries per list; ListChange.Added has the count.
	TrustedAdded []Entry
	// TrustedRemoved are the entries a reload removed from trusted lists.
	TrustedRemoved []Entry
}

// Changed says whether the reload swapped in new list data.
func (c Changes) Changed() bool {
	for _, l := range c.Lists {
		if l.Err == nil {
			return true
		}
	}
	return false
}

// ListChange is what a reload did to one list.
type ListChange struct {
	List   string
	Kind   Kind
	Format Format
	Source string // path or URL
	// Initial is true when the list loaded for the first time.
	Initial bool
	// FromCache is true when a URL list could not be fetched and its last
	// good copy was read from Path instead.
	FromCache bool
	// Entries is the number of unique entries now in use (of the
	// previous version when Err is set).
	Entries int
	// Added and Removed count the entries that differ from the previous
	// version (all of them are Added on an initial load).
	Added, Removed int
	// Bad, Skipped and Duplicates count lines of the new content; the
	// first few bad and skipped lines are given.
	Bad, Skipped, Duplicates int
	BadLines, SkippedLines   []LineProblem
	// Digest is the SHA-256 of the content, hex.
	Digest string
	// Err is why the list could not be (re)loaded. The previous version,
	// if any, stays in use.
	Err error
}

// ListStatus describes a configured list.
type ListStatus struct {
	Name        string
	Kind        Kind
	Format      Format
	Source      string
	Custom      bool
	Loaded      bool
	FromCache   bool // a URL list served from its last good copy on disk
	Entries     int
	Bad         int
	Skipped     int
	Duplicates  int
	FirstLoaded time.Time
	Updated     time.Time
	Digest      string
	LastAttempt time.Time
	LastError   string // of the last attempt; empty when it succeeded
}

// Lists returns the status of every configured list, in configuration
// order.
func (s *Set) Lists() []ListStatus {
	sn := s.snap.Load()
	s.stmu.Lock()
	defer s.stmu.Unlock()
	out := make([]ListStatus, len(s.cfg.Lists))
	for i, c := range s.cfg.Lists {
		c, _ = c.normalized()
		st := ListStatus{Name: c.Name, Kind: c.Kind, Format: c.Format, Source: c.source(), Custom: c.Custom,
			LastAttempt: s.status[i].lastAttempt, FromCache: s.status[i].fromCache}
		if err := s.status[i].lastErr; err != nil {
			st.LastError = err.Error()
		}
		if l := sn.lists[i]; l != nil {
			st.Loaded = true
			st.Entries, st.Bad, st.Skipped, st.Duplicates = l.stats.entries, l.stats.bad, l.stats.skipped, l.stats.duplicates
			st.FirstLoaded, st.Updated = l.firstLoaded, l.updated
			st.Digest = hex.EncodeToString(l.digest[:])
		}
		out[i] = st
	}
	return out
}

// Reload reads every list whose source changed — a file whose size or
// modification time changed (trusted lists: whose content changed; they
// are always re-read and hashed, since a size and time can be forged), a
// URL due for a refresh — and swaps in the new data at once. A list that
// fails keeps its previous version; the error names every list that
// failed. Changes says what changed, and in detail what changed in
// trusted lists.
func (s *Set) Reload(ctx context.Context) (Changes, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	old := s.snap.Load()
	lists := slices.Clone(old.lists)
	ch := Changes{At: now}
	var errs []error
	var trustedChanged, threatChanged bool
	for i := range s.cfg.Lists {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		lc, swapped := s.reloadList(ctx, i, old, lists, now, &ch)
		if lc == nil {
			continue
		}
		ch.Lists = append(ch.Lists, *lc)
		if lc.Err != nil {
			errs = append(errs, fmt.Errorf("intel list %s: %w", lc.List, lc.Err))
		}
		if swapped {
			if lc.Kind == KindTrusted {
				trustedChanged = true
			} else {
				threatChanged = true
			}
		}
	}
	s.reloads++
	if trustedChanged || threatChanged {
		sn := &snapshot{lists: lists, trusted: old.trusted, threat: old.threat}
		if trustedChanged {
			sn.trusted = buildSide(lists, KindTrusted, s.h)
		}
		if threatChanged {
			sn.threat = buildSide(lists, KindThreat, s.h)
		}
		s.snap.Store(sn)
	}
	return ch, errors.Join(errs...)
}

// reloadList reloads list i if its source changed. It returns nil when
// nothing happened, and whether new data went into lists.
func (s *Set) reloadList(ctx context.Context, i int, old *snapshot, lists []*listData, now time.Time, ch *Changes) (*ListChange, bool) {
	cfg, _ := s.cfg.Lists[i].normalized()
	prev := old.lists[i]
	lc := &ListChange{List: cfg.Name, Kind: cfg.Kind, Format: cfg.Format, Source: cfg.source(), Initial: prev == nil}
	if prev != nil {
		lc.Entries = prev.stats.entries
	}
	fail := func(err error) (*ListChange, bool) {
		lc.Err = err
		s.setStatus(i, now, err, false)
		s.log.Error("intel list not loaded", "list", cfg.Name, "kind", cfg.Kind, "source", lc.Source,
			"err", err, "keeping_previous", prev != nil)
		return lc, false
	}
	start := time.Now()
	rd, err := s.read(ctx, i, cfg, prev != nil, now)
	if err != nil {
		return fail(err)
	}
	if rd.data == nil {
		return nil, false // unchanged
	}
	lc.FromCache = rd.fromCache
	digest := sha256.Sum256(rd.data)
	lc.Digest = hex.EncodeToString(digest[:])
	if prev != nil && digest == prev.digest {
		rd.commit()
		s.setStatus(i, now, nil, rd.fromCache)
		return nil, false
	}
	l, err := buildList(s.cfg.Lists[i], i, rd.data, lists, s.h, now)
	if l != nil {
		lc.Bad, lc.Skipped, lc.Duplicates = l.stats.bad, l.stats.skipped, l.stats.duplicates
		lc.BadLines, lc.SkippedLines = l.stats.badLines, l.stats.skippedLines
	}
	if err != nil {
		if lc.Bad > 0 {
			err = fmt.Errorf("%w (%d bad lines; first: %s)", err, lc.Bad, lc.BadLines[0])
		}
		rd.commitStat() // do not re-read the same bad file on every reload
		return fail(err)
	}
	rd.commit()
	if rd.cacheable {
		s.writeCache(cfg, rd.data)
	}
	lc.Entries = l.stats.entries
	if prev == nil && (cfg.Kind != KindTrusted || s.reloads == 0) {
		lc.Added = l.stats.entries
	} else {
		// A trusted list that first loads after start-up (it was missing
		// or broken) widens trust at run time: compare it with nothing, so
		// that all its entries are reported.
		if prev == nil {
			prev = &listData{li: i, dom: newDomTable(s.h, 0)}
		} else {
			l.firstLoaded = prev.firstLoaded
		}
		d := diffLists(prev, l, old.lists, lists, cfg.Kind == KindTrusted, s.opts.MaxReportedEntries)
		lc.Added, lc.Removed = d.added, d.removed
		ch.TrustedAdded = append(ch.TrustedAdded, d.addedEntries...)
		ch.TrustedRemoved = append(ch.TrustedRemoved, d.removedEntry...)
		if cfg.Kind == KindTrusted {
			s.logTrusted(cfg.Name, d)
		}
	}
	s.setStatus(i, now, nil, rd.fromCache)
	s.logLoaded(lc, time.Since(start))
	return lc, true
}

func (s *Set) setStatus(i int, now time.Time, err error, fromCache bool) {
	s.stmu.Lock()
	s.status[i] = listStatus{lastErr: err, lastAttempt: now, fromCache: fromCache}
	s.stmu.Unlock()
}

func (s *Set) logLoaded(lc *ListChange, took time.Duration) {
	msg := "intel list reloaded"
	if lc.Initial {
		msg = "intel list loaded"
	}
	attrs := []any{"list", lc.List, "kind", lc.Kind, "format", lc.Format, "source", lc.Source,
		"entries", lc.Entries, "added", lc.Added, "removed", lc.Removed,
		"bad", lc.Bad, "skipped", lc.Skipped, "duplicates", lc.Duplicates, "took", took.Round(time.Millisecond)}
	if lc.FromCache {
		attrs = append(attrs, "from_cache", true)
	}
	s.log.Info(msg, attrs...)
	if lc.Bad > 0 {
		first := make([]string, 0, 3)
		for _, b := range lc.BadLines[:min(3, len(lc.BadLines))] {
			first = append(first, b.String())
		}
		s.log.Warn("intel list has bad lines", "list", lc.List, "bad", lc.Bad, "first", first)
	}
}

func (s *Set) logTrusted(name string, d diffResult) {
	sample := func(es []Entry) []string {
		out := make([]string, 0, 5)
		for _, e := range es[:min(5, len(es))] {
			out = append(out, fmt.Sprintf("line %d: %s", e.Line, e.Value()))
		}
		return out
	}
	if d.added > 0 {
		s.log.Warn("trusted intel list widened: matching activity is no longer reported",
			"list", name, "added", d.added, "first", sample(d.addedEntries))
	}
	if d.removed > 0 {
		s.log.Info("trusted intel list narrowed", "list", name, "removed", d.removed, "first", sample(d.removedEntry))
	}
}

// buildSide merges the lists of one side (trusted, or threat and tor).
func buildSide(lists []*listData, kind Kind, h hasher) side {
	var parts []*listData
	for _, l := range lists {
		if l != nil && (l.cfg.Kind == KindTrusted) == (kind == KindTrusted) {
			parts = append(parts, l)
		}
	}
	ips := make([]*ipIndex, len(parts))
	var doms []*listData
	total := 0
	for i, l := range parts {
		ips[i] = &l.ip
		if l.dom != nil && l.dom.n > 0 {
			doms = append(doms, l)
			total += l.dom.n
		}
	}
	sd := side{ip: mergeIP(ips)}
	switch len(doms) {
	case 0:
	case 1:
		sd.dom = doms[0].dom
	default:
		t := newDomTable(h, total)
		for _, l := range doms {
			l.dom.each(func(ref uint32) {
				key := keyOf(lists, ref)
				t.insert(lists, key, h.key(key), ref)
			})
		}
		sd.dom = t
	}
	return sd
}

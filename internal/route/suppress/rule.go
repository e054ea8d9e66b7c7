package suppress

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/picket-dev/picket/internal/finding"
)

// Rule is a suppression rule: findings matching Criteria are muted
// (archived, not notified) until Expires. Its JSON field names match
// store.SuppressionRule's; the store keeps Criteria as the bytes of
// Criteria's JSON (ParseCriteria reads them back).
type Rule struct {
	ID        string    `json:"id" yaml:"id"`         // stable; see NewID
	Name      string    `json:"name" yaml:"name"`     // short label
	Owner     string    `json:"owner" yaml:"owner"`   // who is accountable (required)
	Reason    string    `json:"reason" yaml:"reason"` // why (required)
	Criteria  Criteria  `json:"criteria" yaml:"criteria"`
	Expires   time.Time `json:"expires,omitzero" yaml:"expires,omitempty"` // zero: never
	CreatedAt time.Time `json:"createdAt" yaml:"createdAt"`
	CreatedBy string    `json:"createdBy" yaml:"createdBy"`
}

// NewID returns a fresh random rule ID: 32 hex characters, like a
// GuardDuty finding or filter ID.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b[:])
}

// Validate checks a rule being created or replaced at time now: it needs
// an ID, an Owner, a Reason and non-empty Criteria, and Expires, when
// set, must be after now. All problems are reported, joined.
func (r Rule) Validate(now time.Time) error {
	errs := r.check()
	if !r.Expires.IsZero() && !r.Expires.After(now) {
		errs = append(errs, fmt.Errorf("expires %s is not in the future", r.Expires.Format(time.RFC3339)))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("suppression rule %q: %w", r.label(), errors.Join(errs...))
}

// check is what every rule in a Set needs; expiry is only checked on
// creation (a stored rule may have expired since).
func (r Rule) check() []error {
	var errs []error
	if strings.TrimSpace(r.ID) == "" {
		errs = append(errs, errors.New("no ID (use NewID)"))
	}
	if strings.TrimSpace(r.Owner) == "" {
		errs = append(errs, errors.New("no owner: say who is accountable for muting these findings"))
	}
	if strings.TrimSpace(r.Reason) == "" {
		errs = append(errs, errors.New("no reason: say why these findings are safe to mute"))
	}
	if r.Criteria.IsZero() {
		errs = append(errs, errors.New("no criteria: a rule without criteria would mute everything"))
	}
	return errs
}

func (r Rule) label() string {
	if r.Name != "" {
		return r.Name
	}
	return r.ID
}

// Active reports whether the rule is in force at now (it never expires,
// or now is before Expires).
func (r *Rule) Active(now time.Time) bool {
	return r.Expires.IsZero() || now.Before(r.Expires)
}

// Set is an ordered list of rules, compiled for matching. It is immutable
// and safe for concurrent use.
type Set struct {
	rules  []Rule
	comp   []setRule
	accs   []*accessor        // distinct fields over all rules
	byType map[string][]int32 // rules pinned to a finding type by an Equals on "type"
	rest   []int32            // the other rules
	pool   sync.Pool          // *memo
}

type setRule struct {
	conds []*condition
	fids  []int32 // index into Set.accs per condition
}

// memo holds one finding's resolved field values during First, so a
// field used by many rules is read once.
type memo struct {
	gen    uint32
	stamp  []uint32
	lo, hi []int32
	vals   []value
}

// NewSet compiles rules, kept in order: First returns the earliest
// matching one. Each rule needs a unique ID, an Owner, a Reason and
// criteria; expired rules are accepted (and never match).
func NewSet(rules []Rule) (*Set, error) {
	s := &Set{rules: append([]Rule(nil), rules...), byType: map[string][]int32{}}
	fid := map[string]int32{}
	ids := map[string]int{}
	var errs []error
	for i := range s.rules {
		r := &s.rules[i]
		if e := r.check(); len(e) > 0 {
			errs = append(errs, fmt.Errorf("rule %d (%q): %w", i, r.label(), errors.Join(e...)))
			continue
		}
		if j, dup := ids[r.ID]; dup {
			errs = append(errs, fmt.Errorf("rule %d (%q): ID %s is also rule %d's", i, r.label(), r.ID, j))
			continue
		}
		ids[r.ID] = i
		sr := setRule{conds: r.Criteria.conds}
		pinned := false
		for _, cd := range sr.conds {
			id, ok := fid[cd.field]
			if !ok {
				id = int32(len(s.accs))
				fid[cd.field] = id
				s.accs = append(s.accs, cd.acc)
			}
			sr.fids = append(sr.fids, id)
			if cd.field == "type" && cd.equals != nil {
				pinned = true
				for _, o := range cd.equals {
					l := s.byType[o.s]
					if len(l) == 0 || l[len(l)-1] != int32(i) { // Equals may repeat a value
						s.byType[o.s] = append(l, int32(i))
					}
				}
			}
		}
		if !pinned {
			s.rest = append(s.rest, int32(i))
		}
		s.comp = append(s.comp, sr)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	n := len(s.accs)
	s.pool.New = func() any {
		return &memo{stamp: make([]uint32, n), lo: make([]int32, n), hi: make([]int32, n), vals: make([]value, 0, 32)}
	}
	return s, nil
}

// Len is the number of rules.
func (s *Set) Len() int { return len(s.rules) }

// Rules returns a copy of the rules, in order.
func (s *Set) Rules() []Rule { return append([]Rule(nil), s.rules...) }

// First returns the first rule (in the Set's order) that is active at now
// and matches f, or nil. The rule is the Set's own: do not modify it.
func (s *Set) First(f *finding.Finding, now time.Time) *Rule {
	if f == nil || len(s.rules) == 0 {
		return nil
	}
	m := s.pool.Get().(*memo)
	defer s.pool.Put(m)
	m.gen++
	if m.gen == 0 { // wrapped: forget every stamp
		clear(m.stamp)
		m.gen = 1
	}
	m.vals = m.vals[:0]
	root := reflect.ValueOf(f).Elem()

	// Merge the rules pinned to f's type with the unpinned ones, in order.
	a, b := s.byType[f.Type], s.rest
	for len(a) > 0 || len(b) > 0 {
		var i int32
		if len(b) == 0 || (len(a) > 0 && a[0] < b[0]) {
			i, a = a[0], a[1:]
		} else {
			i, b = b[0], b[1:]
		}
		r := &s.rules[i]
		if !r.Active(now) {
			continue
		}
		if s.match(&s.comp[i], m, root) {
			return r
		}
	}
	return nil
}

func (s *Set) match(sr *setRule, m *memo, root reflect.Value) bool {
	for k, cd := range sr.conds {
		id := sr.fids[k]
		if m.stamp[id] != m.gen {
			lo := len(m.vals)
			m.vals = s.accs[id].appendValues(m.vals, root)
			m.lo[id], m.hi[id], m.stamp[id] = int32(lo), int32(len(m.vals)), m.gen
		}
		if !cd.match(m.vals[m.lo[id]:m.hi[id]]) {
			return false
		}
	}
	return true
}

// PreviewSample is how many finding IDs Preview returns.
const PreviewSample = 10

// Preview reports how many of findings c would mute and the IDs of the
// first few (at most PreviewSample), so a rule's reach can be checked
// against stored findings before it is saved.
func Preview(c Criteria, findings []finding.Finding) (n int, sample []string) {
	for i := range findings {
		if c.Match(&findings[i]) {
			n++
			if len(sample) < PreviewSample {
				sample = append(sample, findings[i].ID)
			}
		}
	}
	return n, sample
}

package pattern

import (
	"fmt"

	"github.com/valyala/fastjson"
)

// Set holds named patterns and reports which names match an event. Adding
// a pattern under a name that already exists makes an OR, as with
// event-ruler's addRule. Build the Set first: Add must not run
// concurrently with matching. Matching may run concurrently (each
// goroutine with its own event).
type Set struct {
	groups []group
	index  map[string]int
}

type group struct {
	name string
	pats []*Pattern
}

// NewSet returns an empty Set.
func NewSet() *Set { return &Set{index: map[string]int{}} }

// Add compiles pattern and adds it under name.
func (s *Set) Add(name string, pattern []byte) error {
	p, err := Compile(pattern)
	if err != nil {
		return fmt.Errorf("add %q: %w", name, err)
	}
	s.AddPattern(name, p)
	return nil
}

// AddPattern adds a compiled pattern under name.
func (s *Set) AddPattern(name string, p *Pattern) {
	i, ok := s.index[name]
	if !ok {
		i = len(s.groups)
		s.index[name] = i
		s.groups = append(s.groups, group{name: name})
	}
	s.groups[i].pats = append(s.groups[i].pats, p)
}

// Len returns the number of distinct names.
func (s *Set) Len() int { return len(s.groups) }

// Matches returns the names whose patterns match ev, each once, in the
// order the names were first added.
func (s *Set) Matches(ev *fastjson.Value) []string {
	return s.AppendMatches(nil, ev)
}

// AppendMatches appends the matching names to dst; with a reused dst it
// does not allocate.
func (s *Set) AppendMatches(dst []string, ev *fastjson.Value) []string {
	for i := range s.groups {
		g := &s.groups[i]
		for _, p := range g.pats {
			if p.Match(ev) {
				dst = append(dst, g.name)
				break
			}
		}
	}
	return dst
}

// MatchesJSON parses the event and returns the matching names.
func (s *Set) MatchesJSON(ev []byte) ([]string, error) {
	ps := parsers.Get()
	defer parsers.Put(ps)
	v, err := ps.ParseBytes(ev)
	if err != nil {
		return nil, fmt.Errorf("pattern: parse event: %w", err)
	}
	return s.Matches(v), nil
}

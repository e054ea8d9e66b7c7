package sigma

import (
	"fmt"
	"hash/maphash"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/picket-dev/picket/internal/detect/state"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// correlation is a compiled correlation rule. Its state lives in a bounded
// table keyed by the group-by values (hashed), as the built-in stateful
// detectors keep theirs.
type correlation struct {
	*Correlation
	rule      *CompiledRule
	base      []*CompiledRule
	span      time.Duration
	min, max  float64 // count bounds from the condition (inclusive)
	upper     bool    // the condition has an upper bound: judged when a window closes
	field     string  // value_count: the field counted
	maxKeys   int
	table     *state.Table[uint64, corrState]
	seed      maphash.Seed
	pathCache map[string][]fieldPath // group-by and counted fields, compiled
}

// corrState is one group's state.
type corrState struct {
	times  []int64          // event_count: recent match times (unix ns)
	values map[uint64]int64 // value_count: value hash → last seen
	last   []int64          // temporal: last match time per base rule
	step   int              // temporal_ordered: rules matched in order so far
	start  int64            // fixed window start, or ordered chain start
	count  int64            // fixed window count
	group  map[string]string
}

func parseSpan(s string) (time.Duration, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("invalid timespan %q (e.g. 30s, 5m, 1h, 1d)", s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid timespan %q (e.g. 30s, 5m, 1h, 1d)", s)
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
	if unit == 0 {
		return 0, fmt.Errorf("invalid timespan unit in %q (s, m, h, d, w)", s)
	}
	return time.Duration(n) * unit, nil
}

func newCorrelation(r *Rule, o Options) (*correlation, error) {
	c := &correlation{Correlation: r.Correlation, min: 1, max: -1, maxKeys: o.MaxGroups, seed: maphash.MakeSeed()}
	if c.maxKeys <= 0 {
		c.maxKeys = 100_000
	}
	switch c.Type {
	case "event_count", "value_count", "temporal", "temporal_ordered":
	case "":
		return nil, errAt(nil, "correlation has no type (event_count, value_count, temporal, temporal_ordered)")
	default:
		return nil, fmt.Errorf("unknown correlation type %q (event_count, value_count, temporal, temporal_ordered)", c.Type)
	}
	if len(c.Rules) == 0 {
		return nil, fmt.Errorf("correlation references no rules")
	}
	span, err := parseSpan(c.Timespan)
	if err != nil {
		return nil, err
	}
	c.span = span
	for k, v := range c.Condition {
		if k == "field" {
			c.field = v
			continue
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("correlation condition %s: %q is not a number", k, v)
		}
		switch k {
		case "gt":
			c.min = n + 1
		case "gte":
			c.min = n
		case "lt":
			c.max, c.upper = n-1, true
		case "lte":
			c.max, c.upper = n, true
		case "eq":
			c.min, c.max, c.upper = n, n, true
		default:
			return nil, fmt.Errorf("unknown correlation condition %q (gt, gte, lt, lte, eq, field)", k)
		}
	}
	switch c.Type {
	case "event_count", "value_count":
		if len(c.Condition) == 0 || (len(c.Condition) == 1 && c.field != "") {
			return nil, fmt.Errorf("%s needs a condition such as {gte: 10}", c.Type)
		}
		if c.Type == "value_count" && c.field == "" {
			return nil, fmt.Errorf("value_count needs condition.field, the field whose distinct values are counted")
		}
		if c.upper && c.min < 1 {
			c.min = 1 // a window only exists once something matched
		}
	default:
		if len(c.Rules) < 2 {
			return nil, fmt.Errorf("%s correlates at least two rules", c.Type)
		}
	}
	c.table = state.New[uint64, corrState](c.maxKeys, 2*span)
	return c, nil
}

// resolve finds the referenced rules.
func (c *correlation) resolve(byRef map[string]*CompiledRule) error {
	c.base = c.base[:0]
	for _, ref := range c.Rules {
		b, ok := byRef[ref]
		if !ok {
			return fmt.Errorf("correlation references unknown rule %q (give a loaded rule's name or id)", ref)
		}
		if b.corr != nil {
			return fmt.Errorf("correlation references correlation %q: chaining correlations is not supported", ref)
		}
		if len(c.base) > 0 && b.Source.Kind != c.base[0].Source.Kind {
			return fmt.Errorf("correlation mixes log sources (%s and %s)", c.base[0].Source.Service, b.Source.Service)
		}
		c.base = append(c.base, b)
	}
	for alias, m := range c.Aliases {
		for ref := range m {
			if _, ok := byRef[ref]; !ok {
				return fmt.Errorf("alias %q maps unknown rule %q", alias, ref)
			}
		}
	}
	return nil
}

func (c *correlation) reset() {
	c.table = state.New[uint64, corrState](c.maxKeys, 2*c.span)
}

// fieldFor resolves a group-by field (or alias) for the base rule b.
func (c *correlation) fieldFor(name string, b *CompiledRule) string {
	if m, ok := c.Aliases[name]; ok {
		for ref, f := range m {
			if ref == b.ID || ref == b.Rule.Name || ref == b.name {
				return f
			}
		}
	}
	return name
}

// paths returns the compiled paths of a group-by or counted field in the
// correlation's log source, compiled on first use and kept.
func (c *correlation) paths(src *Source, field string) []fieldPath {
	if ps, ok := c.pathCache[field]; ok {
		return ps
	}
	targets := src.Fields[field]
	if len(targets) == 0 {
		targets = []string{field}
	}
	ps := make([]fieldPath, len(targets))
	for i, t := range targets {
		ps[i] = newFieldPath(t)
	}
	if c.pathCache == nil {
		c.pathCache = map[string][]fieldPath{}
	}
	c.pathCache[field] = ps
	return ps
}

// firstText is the first non-null value at paths in the event.
func firstText(c *evalCtx, paths []fieldPath) string {
	mark := len(c.vals)
	defer func() { c.vals = c.vals[:mark] }()
	for i := range paths {
		c.vals = paths[i].collect(c.raw, c.vals)
		for _, v := range c.vals[mark:] {
			if s, buf, ok := scalarText(v, c.buf); ok {
				c.buf = buf
				return s
			}
		}
	}
	return ""
}

// observe records a match of base rule b on e and appends a finding when
// the correlation's condition is met.
func (c *correlation) observe(b *CompiledRule, ec *evalCtx, e *event.Event, out []finding.Finding) []finding.Finding {
	t := e.Time
	if t.IsZero() {
		t = now()
	}
	ts := t.UnixNano()
	var h maphash.Hash
	h.SetSeed(c.seed)
	for _, g := range c.GroupBy {
		h.WriteString(firstText(ec, c.paths(b.Source, c.fieldFor(g, b))))
		h.WriteByte(0)
	}
	st, fresh := c.table.Get(h.Sum64(), t)
	if fresh || st.group == nil {
		*st = corrState{group: map[string]string{}}
		for _, g := range c.GroupBy {
			st.group[g] = strings.Clone(firstText(ec, c.paths(b.Source, c.fieldFor(g, b))))
		}
	}
	span := c.span.Nanoseconds()
	fire := false
	var count int64
	switch c.Type {
	case "event_count", "value_count":
		if c.upper {
			// Fixed windows: judged when the window closes, on the group's
			// next match after it.
			if st.start != 0 && ts-st.start > span {
				if n := float64(st.count); n >= c.min && n <= c.max {
					fire, count = true, st.count
				}
				st.start, st.count, st.values = 0, 0, nil
			}
			if st.start == 0 {
				st.start = ts
			}
			if c.Type == "event_count" {
				st.count++
			} else {
				if st.values == nil {
					st.values = map[uint64]int64{}
				}
				if len(st.values) < 4096 {
					st.values[c.valueHash(ec, b)] = ts
				}
				st.count = int64(len(st.values))
			}
			break
		}
		need := int(c.min)
		if c.Type == "event_count" {
			st.times = append(st.times, ts)
			if len(st.times) > need {
				st.times = st.times[len(st.times)-need:]
			}
			if len(st.times) >= need && ts-st.times[0] <= span {
				fire, count = true, int64(len(st.times))
				st.times = st.times[:0]
			}
		} else {
			if st.values == nil {
				st.values = map[uint64]int64{}
			}
			for k, seen := range st.values {
				if ts-seen > span {
					delete(st.values, k)
				}
			}
			st.values[c.valueHash(ec, b)] = ts
			if len(st.values) >= need {
				fire, count = true, int64(len(st.values))
				clear(st.values)
			}
		}
	case "temporal":
		if st.last == nil {
			st.last = make([]int64, len(c.base))
		}
		for i, r := range c.base {
			if r == b {
				st.last[i] = ts
			}
		}
		fire = true
		for _, l := range st.last {
			if l == 0 || ts-l > span {
				fire = false
			}
		}
		if fire {
			count = int64(len(c.base))
			clear(st.last)
		}
	case "temporal_ordered":
		if st.step > 0 && ts-st.start > span {
			st.step = 0
		}
		if c.base[st.step] == b {
			if st.step == 0 {
				st.start = ts
			}
			st.step++
		} else if c.base[0] == b {
			st.step, st.start = 1, ts
		}
		if st.step == len(c.base) {
			fire, count = true, int64(len(c.base))
			st.step = 0
		}
	}
	if !fire {
		return out
	}
	r := c.rule
	r.matches.Add(1)
	f := baseFinding(r, e)
	info := r.sigmaInfo()
	group := map[string]any{}
	for k, v := range st.group {
		group[k] = v
	}
	rules := make([]string, len(c.base))
	for i, b := range c.base {
		rules[i] = b.name
	}
	info["correlation"] = map[string]any{
		"type": c.Type, "timespan": c.Timespan, "count": count, "group": group, "rules": rules,
	}
	f.Service.AdditionalInfo = map[string]any{"sigma": info}
	f.Keys.Resource = groupKey(st.group)
	return append(out, f)
}

func (c *correlation) valueHash(ec *evalCtx, b *CompiledRule) uint64 {
	return maphash.String(c.seed, firstText(ec, c.paths(b.Source, c.fieldFor(c.field, b))))
}

func groupKey(g map[string]string) string {
	keys := make([]string, 0, len(g))
	for k := range g {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + g[k] + ";")
	}
	return b.String()
}

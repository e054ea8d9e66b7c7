package sigma

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// Options configure compilation.
type Options struct {
	// Placeholders give the values of %name% placeholders (|expand).
	Placeholders map[string][]string
	// Shadow lists rules (names, ids or titles) to run in shadow mode, in
	// addition to rules marked picket.shadow: true.
	Shadow []string
	// MaxGroups bounds each correlation rule's state (group-by keys held);
	// 0 means 100,000.
	MaxGroups int
}

// CompiledRule is a rule ready to run. It is a detect.Detector on its own
// (so the registry can select it by name and tag); NewSet evaluates many
// together in one pass.
type CompiledRule struct {
	*Rule
	Source   *Source
	Type     string
	Severity float64
	Shadow   bool
	name     string

	det  *compiled    // detection rules
	corr *correlation // correlation rules

	// Correlations fed by this rule, and whether any of them keeps this
	// rule from raising findings of its own (generate: false).
	feeds    []*correlation
	silenced bool

	matches atomic.Uint64
	ctx     evalCtx // for Detect on the rule alone
}

// DetectorName is the registry name of the rule.
func (r *CompiledRule) DetectorName() string { return r.name }

// Matches is how many events (or correlations) matched so far.
func (r *CompiledRule) Matches() uint64 { return r.matches.Load() }

// Info implements detect.Detector.
func (r *CompiledRule) Info() detect.Info {
	tags := []string{"sigma", r.Source.Product, r.Source.Service, "level:" + strings.ToLower(r.levelName())}
	if r.Shadow {
		tags = append(tags, "shadow")
	}
	tags = append(tags, r.Tags...)
	var aliases []string
	if r.ID != "" {
		aliases = append(aliases, r.ID)
	}
	return detect.Info{
		Name:        r.name,
		Aliases:     aliases,
		Description: r.Title,
		Tags:        tags,
		Types:       []string{r.Type},
		Kinds:       []event.Kind{r.Source.Kind},
	}
}

func (r *CompiledRule) levelName() string {
	if r.Level == "" {
		return "medium"
	}
	return r.Level
}

// Detect implements detect.Detector for the rule alone.
func (r *CompiledRule) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	if r.det == nil || e.Raw == nil || e.Kind != r.Source.Kind {
		return out
	}
	r.ctx.reset(e.Raw)
	if !r.det.match(&r.ctx) {
		return out
	}
	r.matches.Add(1)
	return append(out, r.finding(&r.ctx, e))
}

// Compile compiles parsed rules. A rule that cannot run (unknown log
// source, bad detection, deprecated) is reported and left out; the others
// compile.
func Compile(rules []*Rule, o Options) ([]*CompiledRule, []error) {
	var out []*CompiledRule
	var errs []error
	shadow := map[string]bool{}
	for _, s := range o.Shadow {
		shadow[s] = true
	}
	names := map[string]int{}
	byRef := map[string]*CompiledRule{}
	var corrs []*CompiledRule
	for _, r := range rules {
		if strings.EqualFold(r.Status, "deprecated") || strings.EqualFold(r.Status, "unsupported") {
			errs = append(errs, &Error{File: r.File, Line: r.Line, Rule: r.label(), Err: fmt.Errorf("status %s: skipped", r.Status), Skipped: true})
			continue
		}
		cr := &CompiledRule{Rule: r}
		fail := func(err error) {
			e := &Error{File: r.File, Line: r.Line, Rule: r.label(), Err: err}
			if le, ok := err.(*lineError); ok && le.line > 0 {
				e.Line = le.line
			}
			errs = append(errs, e)
		}
		if r.Correlation == nil {
			src, ok := sourceFor(r.Logsource)
			if !ok {
				fail(fmt.Errorf("no log source for product %q, service %q, category %q (supported: %s)",
					r.Logsource.Product, r.Logsource.Service, r.Logsource.Category, supportedSources()))
				continue
			}
			cr.Source = src
			cp := &compiler{fields: src.Fields, placeholders: o.Placeholders}
			det, err := cp.compileDetection(r.detection)
			if err != nil {
				fail(err)
				continue
			}
			cr.det = det
		} else {
			corr, err := newCorrelation(r, o)
			if err != nil {
				fail(err)
				continue
			}
			cr.corr = corr
			corr.rule = cr
			corrs = append(corrs, cr)
		}
		sev, ok := levelSeverity[strings.ToLower(cr.levelName())]
		if !ok {
			sev = levelSeverity["medium"]
		}
		cr.Severity = sev
		cr.name = ruleName(r, names)
		cr.Shadow = r.Shadow || shadow[cr.name] || (r.ID != "" && shadow[r.ID]) || (r.Name != "" && shadow[r.Name]) || shadow[r.Title]
		for _, ref := range []string{r.ID, r.Name, cr.name} {
			if ref != "" {
				byRef[ref] = cr
			}
		}
		out = append(out, cr)
	}
	// Correlations: resolve the rules they reference; their log source and
	// type come from those rules.
	keep := out[:0]
	bad := map[*CompiledRule]bool{}
	for _, cr := range corrs {
		if err := cr.corr.resolve(byRef); err != nil {
			errs = append(errs, &Error{File: cr.File, Line: cr.corr.line, Rule: cr.label(), Err: err})
			bad[cr] = true
			continue
		}
		cr.Source = cr.corr.base[0].Source
	}
	types := map[string]*CompiledRule{}
	for _, cr := range out {
		if bad[cr] {
			continue
		}
		cr.Type = TypeName(cr.Rule, cr.Source)
		if prev, dup := types[cr.Type]; dup && prev != cr {
			// Two rules with one title: tell their findings apart.
			suffix := cr.ID
			if len(suffix) > 8 {
				suffix = suffix[:8]
			}
			if suffix == "" {
				suffix = strings.TrimPrefix(cr.name, "sigma/")
			}
			cr.Type = strings.TrimSuffix(cr.Type, ".Sigma") + familyName(suffix) + ".Sigma"
		}
		types[cr.Type] = cr
		keep = append(keep, cr)
	}
	return keep, errs
}

// ruleName derives a unique registry name: sigma/<rule name or file name>.
func ruleName(r *Rule, seen map[string]int) string {
	base := r.Name
	if base == "" {
		base = strings.TrimSuffix(strings.TrimSuffix(filepath.Base(r.File), ".yml"), ".yaml")
		if r.Doc > 0 {
			base = fmt.Sprintf("%s-%d", base, r.Doc)
		}
	}
	name := "sigma/" + base
	seen[name]++
	if n := seen[name]; n > 1 {
		name = fmt.Sprintf("%s-%d", name, n)
	}
	return name
}

func supportedSources() string {
	var s []string
	for _, src := range Sources {
		s = append(s, src.Product+"/"+src.Service)
	}
	return strings.Join(s, ", ")
}

// Set evaluates many rules in one pass per event: rules are indexed by the
// values their log source's index field must have, so an event meets only
// the rules that can match it. Not safe for concurrent use (one per engine).
type Set struct {
	rules  []*CompiledRule
	byKind map[event.Kind]*kindIndex
	ctx    evalCtx
	key    []byte
	hits   []*CompiledRule
}

type kindIndex struct {
	byAction map[string][]*CompiledRule // lowercased index-field value
	always   []*CompiledRule
}

// NewSet indexes rules. Rules that correlations reference are evaluated
// even when not selected themselves (they then raise nothing alone).
func NewSet(rules []*CompiledRule) *Set {
	s := &Set{byKind: map[event.Kind]*kindIndex{}}
	in := map[*CompiledRule]bool{}
	var all []*CompiledRule
	add := func(r *CompiledRule) {
		if !in[r] {
			in[r] = true
			all = append(all, r)
		}
	}
	for _, r := range rules {
		add(r)
	}
	for _, r := range rules {
		if r.corr != nil {
			r.corr.reset()
			for _, b := range r.corr.base {
				add(b)
			}
		}
	}
	// Feeds and silencing are properties of this set.
	for _, r := range all {
		r.feeds, r.silenced = nil, false
	}
	for _, r := range all {
		if r.corr == nil {
			continue
		}
		for _, b := range r.corr.base {
			b.feeds = append(b.feeds, r.corr)
			if !r.corr.Generate {
				b.silenced = true
			}
		}
	}
	selected := map[*CompiledRule]bool{}
	for _, r := range rules {
		selected[r] = true
	}
	for _, r := range all {
		if !selected[r] {
			r.silenced = true
		}
		s.rules = append(s.rules, r)
		if r.det == nil {
			continue
		}
		ki := s.byKind[r.Source.Kind]
		if ki == nil {
			ki = &kindIndex{byAction: map[string][]*CompiledRule{}}
			s.byKind[r.Source.Kind] = ki
		}
		if vals := r.det.required(r.Source.IndexField); vals != nil {
			for _, v := range vals {
				ki.byAction[v] = append(ki.byAction[v], r)
			}
			continue
		}
		ki.always = append(ki.always, r)
	}
	return s
}

// Rules returns the rules the set evaluates.
func (s *Set) Rules() []*CompiledRule { return s.rules }

// Info implements detect.Detector.
func (s *Set) Info() detect.Info {
	in := detect.Info{Name: "sigma", Description: fmt.Sprintf("%d Sigma rules", len(s.rules)), Tags: []string{"sigma"}}
	kinds := map[event.Kind]bool{}
	for _, r := range s.rules {
		in.Types = append(in.Types, r.Type)
		if !kinds[r.Source.Kind] {
			kinds[r.Source.Kind] = true
			in.Kinds = append(in.Kinds, r.Source.Kind)
		}
	}
	sort.Slice(in.Kinds, func(i, j int) bool { return in.Kinds[i] < in.Kinds[j] })
	return in
}

// Match appends the detection rules e matches to out, without building
// findings or touching correlation state: the evaluation alone.
func (s *Set) Match(e *event.Event, out []*CompiledRule) []*CompiledRule {
	ki := s.byKind[e.Kind]
	if ki == nil || e.Raw == nil {
		return out
	}
	s.ctx.reset(e.Raw)
	if len(ki.byAction) > 0 && e.Action != "" {
		s.key = appendLower(s.key[:0], e.Action)
		for _, r := range ki.byAction[string(s.key)] {
			if r.det.match(&s.ctx) {
				out = append(out, r)
			}
		}
	}
	for _, r := range ki.always {
		if r.det.match(&s.ctx) {
			out = append(out, r)
		}
	}
	return out
}

// Detect implements detect.Detector.
func (s *Set) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	s.hits = s.Match(e, s.hits[:0])
	for _, r := range s.hits {
		if !r.silenced {
			r.matches.Add(1)
			out = append(out, r.finding(&s.ctx, e))
		}
		for _, c := range r.feeds {
			out = c.observe(r, &s.ctx, e, out)
		}
	}
	return out
}

func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// finding builds the finding for a match of r on e.
func (r *CompiledRule) finding(c *evalCtx, e *event.Event) finding.Finding {
	f := baseFinding(r, e)
	info := r.sigmaInfo()
	if r.det != nil {
		info["matched"] = r.det.matched(c)
	}
	f.Service.AdditionalInfo = map[string]any{"sigma": info}
	return f
}

// baseFinding is the part of a finding that depends on the event's kind.
func baseFinding(r *CompiledRule, e *event.Event) finding.Finding {
	var f finding.Finding
	if e.Kind == event.KindK8sAudit {
		f = kubernetesFinding(r.name, r.Type, r.Severity, e)
	} else {
		f = detect.APICallFinding(r.name, r.Type, r.Severity, e)
	}
	f.Title = r.Title
	f.Description = strings.TrimSpace(r.Description)
	if f.Description == "" {
		f.Description = r.Title
	}
	f.Service.Archived = r.Shadow
	// The first resource the record names (types are unique per rule, see
	// Compile, so two rules' findings never merge).
	if len(e.Resources) > 0 {
		f.Keys.Resource = strings.Clone(e.Resources[0].ARN)
	}
	return f
}

// sigmaInfo is the rule's attribution and context carried in every finding.
func (r *CompiledRule) sigmaInfo() map[string]any {
	info := map[string]any{
		"rule":   r.name,
		"id":     r.ID,
		"title":  r.Title,
		"level":  r.levelName(),
		"status": r.Status,
		"author": r.Author,
		"file":   filepath.Base(r.File),
	}
	if len(r.References) > 0 {
		info["references"] = append([]string(nil), r.References...)
	}
	if len(r.FalsePositives) > 0 {
		info["falsepositives"] = append([]string(nil), r.FalsePositives...)
	}
	if len(r.Tags) > 0 {
		info["tags"] = append([]string(nil), r.Tags...)
	}
	if r.License != "" {
		info["license"] = r.License
	}
	if r.Shadow {
		info["shadow"] = true
	}
	return info
}

// kubernetesFinding is the finding of a Kubernetes audit event.
func kubernetesFinding(detector, typ string, sev float64, e *event.Event) finding.Finding {
	raw := e.Raw
	str := func(path ...string) string {
		v := raw.Get(path...)
		if v == nil || v.Type() != fastjson.TypeString {
			return ""
		}
		return string(v.GetStringBytes())
	}
	call := &finding.KubernetesAPICallAction{
		RequestURI:   str("requestURI"),
		Verb:         str("verb"),
		UserAgent:    str("userAgent"),
		Namespace:    str("objectRef", "namespace"),
		Resource:     str("objectRef", "resource"),
		Subresource:  str("objectRef", "subresource"),
		ResourceName: str("objectRef", "name"),
		StatusCode:   raw.GetInt("responseStatus", "code"),
	}
	for _, ip := range raw.GetArray("sourceIPs") {
		if ip.Type() == fastjson.TypeString {
			call.SourceIPs = append(call.SourceIPs, string(ip.GetStringBytes()))
		}
	}
	if ip, err := netip.ParseAddr(e.SourceIP); err == nil {
		if ip.Is4() || ip.Is4In6() {
			call.RemoteIPDetails = &finding.RemoteIPDetails{IPAddressV4: ip.Unmap().String()}
		} else {
			call.RemoteIPDetails = &finding.RemoteIPDetails{IPAddressV6: ip.String()}
		}
	}
	user := &finding.KubernetesUserDetails{Username: str("user", "username"), UID: str("user", "uid")}
	for _, g := range raw.GetArray("user", "groups") {
		if g.Type() == fastjson.TypeString {
			user.Groups = append(user.Groups, string(g.GetStringBytes()))
		}
	}
	cluster := ""
	for _, res := range e.Resources {
		if strings.HasPrefix(res.Type, "EKSCluster") || strings.Contains(res.ARN, ":cluster/") {
			cluster = res.ARN
		}
	}
	actor := user.Username
	if cluster != "" {
		actor += " @ " + cluster
	}
	res := finding.Resource{
		ResourceType:      "EKSCluster",
		KubernetesDetails: &finding.KubernetesDetails{KubernetesUserDetails: user},
	}
	if cluster != "" {
		res.EksClusterDetails = &finding.EksClusterDetails{Arn: cluster, Name: cluster[strings.LastIndexByte(cluster, '/')+1:]}
	}
	return finding.Finding{
		Type:      typ,
		Severity:  sev,
		AccountID: strings.Clone(e.Account),
		Region:    strings.Clone(e.Region),
		Resource:  res,
		Service: finding.Service{
			DetectorID:     detector,
			Action:         finding.Action{ActionType: "KUBERNETES_API_CALL", KubernetesAPICallAction: call},
			Count:          1,
			EventFirstSeen: e.Time,
			EventLastSeen:  e.Time,
			ResourceRole:   "TARGET",
			FeatureName:    "EksAuditLogs",
		},
		Keys: finding.Keys{Actor: actor},
	}
}

// matched lists the fields of the searches that made the rule match and
// the values they had: the evidence of why it fired. Only called on a
// match, so it may allocate.
func (d *compiled) matched(c *evalCtx) map[string]any {
	out := map[string]any{}
	var walk func(n *cnode, neg bool)
	walk = func(n *cnode, neg bool) {
		switch n.op {
		case opNot:
			walk(n.kids[0], !neg)
			return
		case opSearch:
			if neg || !n.search.eval(c) {
				return
			}
			if n.search.keywords != nil {
				out["keywords"] = n.search.name
				return
			}
			for _, alt := range n.search.alts {
				ok := true
				for _, fc := range alt {
					if !fc.eval(c) {
						ok = false
						break
					}
				}
				if !ok {
					continue
				}
				for _, fc := range alt {
					if len(out) >= 32 {
						return
					}
					out[fc.key] = fc.valueText(c)
				}
				return
			}
			return
		}
		for _, k := range n.kids {
			walk(k, neg)
		}
	}
	for _, n := range d.conds {
		walk(n, false)
	}
	return out
}

// valueText is the value the field had (first one, for evidence), or null.
func (fc *fieldCond) valueText(c *evalCtx) any {
	mark := len(c.vals)
	for i := range fc.paths {
		c.vals = fc.paths[i].collect(c.raw, c.vals)
	}
	defer func() { c.vals = c.vals[:mark] }()
	for _, v := range c.vals[mark:] {
		t, buf, ok := scalarText(v, c.buf)
		if !ok && v.Type() != fastjson.TypeNull {
			start := len(buf)
			buf = v.MarshalTo(buf)
			t, ok = b2s(buf[start:]), true
		}
		c.buf = buf
		if ok {
			if len(t) > 512 {
				t = t[:512] + "…"
			}
			return strings.Clone(t)
		}
	}
	return nil
}

// now is the correlation clock fallback for events without a time.
var now = time.Now

// Members returns the set's rules as detectors.
func (s *Set) Members() []detect.Detector {
	out := make([]detect.Detector, len(s.rules))
	for i, r := range s.rules {
		out[i] = r
	}
	return out
}

// Collapse replaces the Sigma rules among dets with one Set evaluating
// them together (placed where the first rule was); other detectors stay.
func Collapse(dets []detect.Detector) []detect.Detector {
	var rules []*CompiledRule
	out := make([]detect.Detector, 0, len(dets))
	at := -1
	for _, d := range dets {
		if r, ok := d.(*CompiledRule); ok {
			if at < 0 {
				at = len(out)
				out = append(out, nil)
			}
			rules = append(rules, r)
			continue
		}
		out = append(out, d)
	}
	if at >= 0 {
		out[at] = NewSet(rules)
	}
	return out
}

// RuleStat is one rule's match count, for metrics.
type RuleStat struct {
	Name    string
	ID      string
	Shadow  bool
	Matches uint64
}

// Stats returns the match counts of the set's rules.
func (s *Set) Stats() []RuleStat {
	out := make([]RuleStat, 0, len(s.rules))
	for _, r := range s.rules {
		out = append(out, RuleStat{Name: r.name, ID: r.ID, Shadow: r.Shadow, Matches: r.Matches()})
	}
	return out
}

// MatchJSON reports whether the detection rule matches a raw JSON record
// (for tools and tests; the event path is Set.Detect).
func (r *CompiledRule) MatchJSON(record string) bool {
	if r.det == nil {
		return false
	}
	v, err := fastjson.Parse(record)
	if err != nil {
		return false
	}
	var c evalCtx
	c.reset(v)
	return r.det.match(&c)
}

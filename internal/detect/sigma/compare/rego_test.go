package compare

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/util"
)

// The Sigma → Rego translator. All rules go into one module, package sigma,
// whose partial set data.sigma.matches holds the ids of the rules that match
// input (one CloudTrail record).
//
// Semantics, as Sigma defines them:
//   - String matching is case-insensitive: rule values are lower-cased here,
//     event values with lower() at run time; wildcard values become (?i)
//     regular expressions. `re` values are case-sensitive, as written.
//   - A value with unescaped * or ? is a wildcard pattern (* any run of
//     characters, ? one character; \* \? \\ escape them). "contains: '*'"
//     therefore matches any present, non-null value.
//   - Numbers and booleans in events compare as their JSON text ('false'
//     matches false).
//   - Nested fields use dots. An array met on the way is entered: a field
//     inside an array of objects matches if it matches in any element
//     (kids). Where the field itself is an array or an object, each scalar
//     leaf beneath it is a candidate (leaves), so "requestParameters|contains"
//     looks at every value inside requestParameters.
//   - null matches a field that is absent or null (or, for arrays and
//     objects, that has no non-null leaf).
//   - `all` requires every listed value to match (each may match a different
//     leaf); `fieldref` compares with another field's value (exactly, as
//     field-to-field comparisons in Sigma backends do).
//
// Shape, for speed (what someone tuning Rego by hand would do; the
// semantics above are unchanged, as the tests check):
//   - Every field the rules read is a complete rule holding the set of its
//     candidate values as text (vN) and lower-cased (lvN), with a fast path
//     for a plain string. OPA caches a complete rule's value for the rest of
//     one evaluation, so each field is looked up, flattened and lower-cased
//     once per event however many rules read it; a rule's tests are then
//     set lookups (lv3["stoplogging"]) and iterations over a value or two.
//   - Rule i is hit["<id>"], and matches tries only the candidates: the
//     rules whose condition requires eventName to be one of a few plain
//     values (dispatch, keyed by lower-cased eventName) and those that do
//     not depend on eventName. hit[id] with id bound evaluates that rule
//     alone.
//   - OPA's own rule indexing cannot help: it needs input.x == "const",
//     which is case-sensitive.

// regoLibrary is the fixed part of the module.
const regoLibrary = `package sigma

# kids(x, k): the values under key k of object x, or of each object in array x.
kids(x, k) := [x[k]] if is_object(x)

kids(x, k) := [v | some e in x; is_object(e); v := e[k]] if is_array(x)

scalar(v) if {
	not is_object(v)
	not is_array(v)
	v != null
}

# leaves(x): the non-null scalars x stands for (itself, or everything inside).
leaves(x) := [x] if is_string(x)

leaves(x) := [x] if {
	not is_string(x)
	scalar(x)
}

leaves(x) := [v | walk(x, [_, v]); scalar(v)] if is_array(x)

leaves(x) := [v | walk(x, [_, v]); scalar(v)] if is_object(x)

# str(v): the text a scalar is matched as.
str(v) := v if is_string(v)

str(v) := json.marshal(v) if not is_string(v)
`

// regoQuery is the query the prepared evaluation answers.
const regoQuery = "data.sigma.matches"

// translateRules returns one Rego module for all the rules.
func translateRules(rules []*sigmaRule) (string, error) {
	g := &regoGen{fields: map[string]int{}, lowered: map[int]bool{}, dispatch: map[string][]string{}}
	seen := map[string]string{}
	eventNameField := g.field("eventName", true)
	for i, r := range rules {
		if f, dup := seen[r.id]; dup {
			return "", fmt.Errorf("%s: id %s already used by %s", r.file, r.id, f)
		}
		seen[r.id] = r.file
		if err := g.rule(i, r); err != nil {
			return "", fmt.Errorf("%s: %w", r.file, err)
		}
	}
	var out strings.Builder
	out.WriteString(regoLibrary)
	out.WriteString("\n# Field values: vN as text, lvN lower-cased.\n")
	for k, f := range g.fieldNames {
		// The common case, a string reached through objects only, first.
		direct := "input"
		for _, p := range strings.Split(f, ".") {
			direct += "[" + regoString(p) + "]"
		}
		lits, node := fieldPath(f)
		lits = append(lits, "some l in leaves("+node+")")
		fmt.Fprintf(&out, "\n# %s\nv%d := {%s} if is_string(%s)\n\telse := {str(l) | %s}\n",
			f, k, direct, direct, strings.Join(lits, "; "))
		if g.lowered[k] {
			fmt.Fprintf(&out, "\nlv%d := {lower(%s)} if is_string(%s)\n\telse := {lower(s) | some s in v%d}\n",
				k, direct, direct, k)
		}
	}
	out.WriteString("\n# Which rules to try: those whose eventNames include this event's, and\n# those that do not depend on eventName.\n")
	if len(g.dispatch) > 0 {
		fmt.Fprintf(&out, "dispatch := {")
		for i, n := range slices.Sorted(maps.Keys(g.dispatch)) {
			if i > 0 {
				out.WriteString(", ")
			}
			fmt.Fprintf(&out, "%s: %s", regoString(n), regoStrings(g.dispatch[n]))
		}
		fmt.Fprintf(&out, "}\n\ncandidates contains id if {\n\tsome n in %s\n\tsome id in dispatch[n]\n}\n", eventNameField)
	}
	if len(g.always) > 0 {
		fmt.Fprintf(&out, "\ncandidates contains id if {\n\tsome id in %s\n}\n", regoStrings(g.always))
	}
	out.WriteString("\nmatches contains id if {\n\tsome id in candidates\n\thit[id]\n}\n")
	out.WriteString(g.out.String())
	return out.String(), nil
}

func regoStrings(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = regoString(x)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

type regoGen struct {
	out        strings.Builder
	fields     map[string]int // field name → N of vN
	fieldNames []string
	lowered    map[int]bool        // lvN is used
	dispatch   map[string][]string // lower-cased eventName → ids of rules requiring it
	always     []string            // ids of rules to try on every event
	prefix     string              // r<index>_
	aux        int                 // auxiliary rules of the current Sigma rule
	vars       int                 // local variables of the current body
}

// field returns the name of the rule holding field's values, lower-cased
// or not.
func (g *regoGen) field(name string, lower bool) string {
	k, ok := g.fields[name]
	if !ok {
		k = len(g.fieldNames)
		g.fields[name] = k
		g.fieldNames = append(g.fieldNames, name)
	}
	if lower {
		g.lowered[k] = true
		return fmt.Sprintf("lv%d", k)
	}
	return fmt.Sprintf("v%d", k)
}

// fieldPath returns the body literals that bind the candidate nodes of a
// dotted field, entering arrays on the way, and the expression naming one
// candidate.
func fieldPath(field string) (lits []string, node string) {
	parts := strings.Split(field, ".")
	node = "input[" + regoString(parts[0]) + "]"
	for i, p := range parts[1:] {
		v := fmt.Sprintf("x%d", i+1)
		lits = append(lits, fmt.Sprintf("some %s in kids(%s, %s)", v, node, regoString(p)))
		node = v
	}
	return lits, node
}

func (g *regoGen) rule(i int, r *sigmaRule) error {
	g.prefix = fmt.Sprintf("r%d_", i)
	g.aux = 0
	head := "hit[" + regoString(r.id) + "]"
	fmt.Fprintf(&g.out, "\n# %s: %s\n", r.file, r.title)
	conds := make([]cond, len(r.conditions))
	used := map[string]int{} // how often each search is referenced
	for k, c := range r.conditions {
		parsed, err := parseCondition(c, r.names)
		if err != nil {
			return err
		}
		conds[k] = parsed
		countRefs(parsed, used)
	}
	// A condition that is a single one-map search becomes the body of
	// matches itself.
	inline := map[string]bool{}
	for _, c := range conds {
		if ref, ok := c.(condRef); ok && len(r.searches[string(ref)]) == 1 && used[string(ref)] == 1 {
			inline[string(ref)] = true
		}
	}
	searchRule := map[string]string{}
	for j, name := range r.names {
		if used[name] == 0 {
			continue
		}
		rn := fmt.Sprintf("%ss%d", g.prefix, j)
		searchRule[name] = rn
		for _, m := range r.searches[name] {
			g.vars = 0
			var body []string
			for _, it := range m {
				lits, err := g.item(it)
				if err != nil {
					return fmt.Errorf("search %s, %s: %w", name, it.field, err)
				}
				body = append(body, lits...)
			}
			if inline[name] {
				g.define(head, body)
			} else {
				g.define(rn, body)
			}
		}
	}
	for _, c := range conds {
		if ref, ok := c.(condRef); ok && inline[string(ref)] {
			continue
		}
		top := g.cond(c, searchRule)
		g.define(head, []string{top})
	}
	// Dispatch: a rule that can only match some eventNames is tried only
	// for those.
	names, bounded := eventNameBound(r, conds)
	if !bounded {
		g.always = append(g.always, r.id)
		return nil
	}
	for _, n := range names {
		if !slices.Contains(g.dispatch[n], r.id) {
			g.dispatch[n] = append(g.dispatch[n], r.id)
		}
	}
	return nil
}

// eventNameBound returns the lower-cased eventNames outside which r's
// conditions cannot hold, if there are such (every path to a match
// requires eventName to equal one of a few plain values).
func eventNameBound(r *sigmaRule, conds []cond) ([]string, bool) {
	var all []string
	for _, c := range conds {
		names, ok := condBound(r, c)
		if !ok {
			return nil, false
		}
		all = append(all, names...)
	}
	return dedupe(all), true
}

func condBound(r *sigmaRule, c cond) ([]string, bool) {
	switch c := c.(type) {
	case condRef:
		var names []string
		for _, m := range r.searches[string(c)] {
			found := false
			for _, it := range m {
				if it.field != "eventName" || len(it.mods) != 0 {
					continue
				}
				var vals []string
				for _, v := range it.values {
					if v == nil {
						vals = nil
						break
					}
					if _, wild := wildcardRegexp(*v, ""); wild {
						vals = nil
						break
					}
					vals = append(vals, strings.ToLower(unescapeWildcards(*v)))
				}
				if vals != nil {
					names = append(names, vals...)
					found = true
					break
				}
			}
			if !found {
				return nil, false
			}
		}
		return names, true
	case condAnd:
		var best []string
		ok := false
		for _, x := range c {
			if names, b := condBound(r, x); b && (!ok || len(names) < len(best)) {
				best, ok = names, true
			}
		}
		return best, ok
	case condOr:
		var all []string
		for _, x := range c {
			names, ok := condBound(r, x)
			if !ok {
				return nil, false
			}
			all = append(all, names...)
		}
		return all, true
	}
	return nil, false
}

func countRefs(c cond, used map[string]int) {
	switch c := c.(type) {
	case condRef:
		used[string(c)]++
	case condNot:
		countRefs(c.x, used)
	case condAnd:
		for _, x := range c {
			countRefs(x, used)
		}
	case condOr:
		for _, x := range c {
			countRefs(x, used)
		}
	}
}

// define writes one body of boolean rule (or rule head) name.
func (g *regoGen) define(name string, body []string) {
	if len(body) == 1 {
		fmt.Fprintf(&g.out, "%s if %s\n", name, body[0])
		return
	}
	fmt.Fprintf(&g.out, "%s if {\n\t%s\n}\n", name, strings.Join(body, "\n\t"))
}

func (g *regoGen) newAux(kind string) string {
	g.aux++
	return fmt.Sprintf("%s%s%d", g.prefix, kind, g.aux)
}

func (g *regoGen) newVar() string {
	g.vars++
	return fmt.Sprintf("x%d", g.vars)
}

// cond returns a body literal (the name of a boolean rule) for c.
func (g *regoGen) cond(c cond, searchRule map[string]string) string {
	switch c := c.(type) {
	case condRef:
		return searchRule[string(c)]
	case condNot:
		x := g.cond(c.x, searchRule)
		n := g.newAux("c")
		g.define(n, []string{"not " + x})
		return n
	case condAnd:
		var body []string
		for _, x := range c {
			body = append(body, g.cond(x, searchRule))
		}
		n := g.newAux("c")
		g.define(n, body)
		return n
	case condOr:
		var lits []string
		for _, x := range c {
			lits = append(lits, g.cond(x, searchRule))
		}
		n := g.newAux("c")
		for _, l := range lits {
			g.define(n, []string{l})
		}
		return n
	}
	panic(fmt.Sprintf("unknown condition node %T", c))
}

// A matcher tests a field's values against the rule's: op is "eq",
// contains, startswith, endswith or re (regular expressions, for `re` and
// for wildcards); values are lower-cased except for re.
type matcher struct {
	op     string
	values []string
}

// lits returns the body literals that test field with m.
func (g *regoGen) lits(field string, m matcher) []string {
	quoted := make([]string, len(m.values))
	for i, a := range m.values {
		quoted[i] = regoString(a)
	}
	if m.op == "re" {
		x := g.newVar()
		if len(quoted) == 1 {
			return []string{
				fmt.Sprintf("some %s in %s", x, g.field(field, false)),
				fmt.Sprintf("regex.match(%s, %s)", quoted[0], x),
			}
		}
		p := g.newVar()
		return []string{
			fmt.Sprintf("some %s in %s", x, g.field(field, false)),
			fmt.Sprintf("some %s in [%s]", p, strings.Join(quoted, ", ")),
			fmt.Sprintf("regex.match(%s, %s)", p, x),
		}
	}
	lv := g.field(field, true)
	if m.op == "eq" {
		if len(quoted) == 1 {
			return []string{fmt.Sprintf("%s[%s]", lv, quoted[0])}
		}
		x := g.newVar()
		return []string{
			fmt.Sprintf("some %s in %s", x, lv),
			fmt.Sprintf("%s in {%s}", x, strings.Join(quoted, ", ")),
		}
	}
	x := g.newVar()
	if len(quoted) == 1 {
		return []string{
			fmt.Sprintf("some %s in %s", x, lv),
			fmt.Sprintf("%s(%s, %s)", m.op, x, quoted[0]),
		}
	}
	p := g.newVar()
	return []string{
		fmt.Sprintf("some %s in %s", x, lv),
		fmt.Sprintf("some %s in [%s]", p, strings.Join(quoted, ", ")),
		fmt.Sprintf("%s(%s, %s)", m.op, x, p),
	}
}

// item returns the body literals for one field item.
func (g *regoGen) item(it sigmaItem) ([]string, error) {
	var (
		op       string // "", contains, startswith, endswith, re, fieldref
		all      bool
		hasNull  bool
		nonNulls []string
	)
	for _, m := range it.mods {
		switch m {
		case "contains", "startswith", "endswith", "re", "fieldref":
			if op != "" {
				return nil, fmt.Errorf("modifiers %s and %s together are not supported", op, m)
			}
			op = m
		case "all":
			all = true
		default:
			return nil, fmt.Errorf("modifier %q is not supported", m)
		}
	}
	for _, v := range it.values {
		if v == nil {
			hasNull = true
			continue
		}
		nonNulls = append(nonNulls, *v)
	}
	if hasNull && (op != "" || all) {
		return nil, fmt.Errorf("null with modifiers is not supported")
	}

	if op == "fieldref" {
		// Each value names another field; any (or, with all, every) equal.
		var alts [][]string
		for _, ref := range nonNulls {
			x := g.newVar()
			alts = append(alts, []string{
				fmt.Sprintf("some %s in %s", x, g.field(it.field, false)),
				fmt.Sprintf("%s[%s]", g.field(ref, false), x),
			})
		}
		return g.combine(alts, all), nil
	}

	if all {
		// Every value must match, each on its own.
		var alts [][]string
		for _, v := range nonNulls {
			ms, err := matchersFor(op, []string{v})
			if err != nil {
				return nil, err
			}
			alts = append(alts, g.lits(it.field, ms[0]))
		}
		return g.combine(alts, true), nil
	}

	// Any value matches: one test per kind of matcher, ORed.
	ms, err := matchersFor(op, nonNulls)
	if err != nil {
		return nil, err
	}
	var alts [][]string
	for _, m := range ms {
		alts = append(alts, g.lits(it.field, m))
	}
	if hasNull {
		alts = append(alts, []string{fmt.Sprintf("count(%s) == 0", g.field(it.field, false))})
	}
	return g.combine(alts, false), nil
}

// combine joins alternative bodies: with and, all their literals go into the
// caller's body; otherwise a single alternative goes in directly and several
// become an auxiliary rule with one body each.
func (g *regoGen) combine(alts [][]string, and bool) []string {
	if and || len(alts) == 1 {
		var out []string
		for _, a := range alts {
			out = append(out, a...)
		}
		return out
	}
	n := g.newAux("f")
	for _, a := range alts {
		g.define(n, a)
	}
	return []string{n}
}

// matchersFor groups values by how they are matched.
func matchersFor(op string, values []string) ([]matcher, error) {
	if op == "re" {
		for _, v := range values {
			if _, err := regexp.Compile(v); err != nil {
				return nil, fmt.Errorf("regexp %q: %w", v, err)
			}
		}
		return []matcher{{op: "re", values: values}}, nil
	}
	var plain, globs []string
	for _, v := range values {
		if re, ok := wildcardRegexp(v, op); ok {
			globs = append(globs, re)
		} else {
			plain = append(plain, strings.ToLower(unescapeWildcards(v)))
		}
	}
	var ms []matcher
	if len(plain) > 0 {
		if op == "" {
			op = "eq"
		}
		ms = append(ms, matcher{op: op, values: dedupe(plain)})
	}
	if len(globs) > 0 {
		ms = append(ms, matcher{op: "re", values: globs})
	}
	return ms, nil
}

func dedupe(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// wildcardRegexp turns a Sigma value holding unescaped * or ? into an
// anchored, case-insensitive regular expression, widened at either end as
// op asks. ok is false when the value has no wildcard.
func wildcardRegexp(v, op string) (re string, ok bool) {
	var b strings.Builder
	b.WriteString("(?is)^")
	if op == "contains" || op == "endswith" {
		b.WriteString(".*")
	}
	lit := strings.Builder{}
	flush := func() {
		b.WriteString(regexp.QuoteMeta(lit.String()))
		lit.Reset()
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && i+1 < len(v) && (v[i+1] == '*' || v[i+1] == '?' || v[i+1] == '\\'):
			lit.WriteByte(v[i+1])
			i++
		case c == '*':
			flush()
			b.WriteString(".*")
			ok = true
		case c == '?':
			flush()
			b.WriteString(".")
			ok = true
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	if op == "contains" || op == "startswith" {
		b.WriteString(".*")
	}
	b.WriteString("$")
	return b.String(), ok
}

// unescapeWildcards removes the escapes of \*, \? and \\ from a value
// without wildcards.
func unescapeWildcards(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && (v[i+1] == '*' || v[i+1] == '?' || v[i+1] == '\\') {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// regoString quotes s as a Rego (JSON) string.
func regoString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// ---- the OPA engine ----

// opaEngine evaluates every translated rule in one prepared query.
type opaEngine struct {
	module string
	pq     rego.PreparedEvalQuery
	ids    []string       // rule ids, in rule order
	index  map[string]int // id → position in ids
}

func newOPAEngine(ctx context.Context, rules []*sigmaRule) (*opaEngine, error) {
	module, err := translateRules(rules)
	if err != nil {
		return nil, err
	}
	pq, err := rego.New(
		rego.Query(regoQuery),
		rego.Module("sigma.rego", module),
		rego.SetRegoVersion(ast.RegoV1),
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("compiling the translated rules: %w", err)
	}
	e := &opaEngine{module: module, pq: pq, index: map[string]int{}}
	for i, r := range rules {
		e.ids = append(e.ids, r.id)
		e.index[r.id] = i
	}
	return e, nil
}

// decode turns raw JSON bytes into OPA's input value: util.UnmarshalJSON
// (encoding/json with json.Number) and ast.InterfaceToValue, which is what
// rego.EvalInput does with a Go value.
func (e *opaEngine) decode(raw []byte) (ast.Value, error) {
	var x any
	if err := util.UnmarshalJSON(raw, &x); err != nil {
		return nil, err
	}
	return ast.InterfaceToValue(x)
}

// eval sets hit[i] for every rule i that matches raw and returns how many
// matched.
func (e *opaEngine) eval(ctx context.Context, raw []byte, hit []bool) (int, error) {
	in, err := e.decode(raw)
	if err != nil {
		return 0, err
	}
	return e.evalValue(ctx, in, hit)
}

func (e *opaEngine) evalValue(ctx context.Context, in ast.Value, hit []bool) (int, error) {
	rs, err := e.pq.Eval(ctx, rego.EvalParsedInput(in))
	if err != nil {
		return 0, err
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return 0, fmt.Errorf("unexpected result set %v", rs)
	}
	ids, ok := rs[0].Expressions[0].Value.([]any)
	if !ok {
		return 0, fmt.Errorf("unexpected result %T", rs[0].Expressions[0].Value)
	}
	for _, id := range ids {
		s, _ := id.(string)
		i, ok := e.index[s]
		if !ok {
			return 0, fmt.Errorf("unknown rule id %v in result", id)
		}
		hit[i] = true
	}
	return len(ids), nil
}

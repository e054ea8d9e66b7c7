package rego

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	opa "github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/picket-dev/picket/internal/finding"
)

// Package is the Rego package whose rules the engine reads.
const Package = "picket.notify"

// DefaultTimeout bounds one evaluation unless [WithTimeout] says otherwise.
const DefaultTimeout = 100 * time.Millisecond

// The rules the engine reads.
const (
	ruleDrop     = "drop"
	ruleDeny     = "deny"
	ruleSeverity = "severity"
	ruleLabels   = "labels"
	ruleChannels = "channels"
	ruleReasons  = "reasons"
)

var outputRules = []string{ruleDrop, ruleDeny, ruleSeverity, ruleLabels, ruleChannels, ruleReasons}

// query evaluates the output rules only (not helpers), in one evaluation;
// the object holds the rules that are defined. It parses as Rego v0 and v1.
var query = `{k: v | ["` + strings.Join(outputRules, `", "`) + `"][_] = k; v = data.` + Package + `[k]}`

var packageRef = ast.MustParseRef("data." + Package)

// Decision is what policies decided for one finding.
type Decision struct {
	Drop     bool              // do not notify (the finding stays stored)
	Severity *float64          // override the notified severity (1.0–10.0)
	Labels   map[string]string // extra labels shown in the message
	Channels []string          // extra target names (routing.targets keys)
	Reasons  []string          // human-readable "why" from the policy (deny messages etc.)
}

// Option configures [Load], [Compile] and [RunTests].
type Option func(*config)

type config struct {
	timeout time.Duration
	targets map[string]bool
	version ast.RegoVersion
}

func newConfig(opts []Option) config {
	c := config{timeout: DefaultTimeout, version: ast.RegoV1}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithTimeout bounds each evaluation (default [DefaultTimeout]); 0 leaves
// only the caller's context.
func WithTimeout(d time.Duration) Option {
	return func(c *config) { c.timeout = max(d, 0) }
}

// WithTargets names the targets channels may name (the routing.targets
// keys); a policy naming another is an error. Without it any name passes.
func WithTargets(names ...string) Option {
	return func(c *config) {
		c.targets = make(map[string]bool, len(names))
		for _, n := range names {
			c.targets[n] = true
		}
	}
}

// WithRegoV0 parses policies as Rego v0 (OPA 0.x syntax) instead of v1.
func WithRegoV0() Option {
	return func(c *config) { c.version = ast.RegoV0 }
}

// Engine evaluates compiled policies. It is safe for concurrent use.
type Engine struct {
	pq      opa.PreparedEvalQuery
	timeout time.Duration
	targets map[string]bool
	where   map[string]string // output rule → "file:line, ..." of the rules defining it
	files   []string
}

// Files returns the policy files the engine was compiled from.
func (e *Engine) Files() []string { return slices.Clone(e.files) }

// Load compiles the .rego files at paths; a directory stands for every
// .rego file beneath it outside hidden directories. *_test.rego files are
// skipped, named or found (they are for [RunTests]). Errors name
// file:line.
func Load(paths []string, opts ...Option) (*Engine, error) {
	files, err := regoFiles(paths, false)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("rego policies: no .rego files in %s", strings.Join(paths, ", "))
	}
	modules := make(map[string]string, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("rego policies: %w", err)
		}
		modules[f] = string(b)
	}
	return Compile(modules, opts...)
}

// Compile compiles modules (file name → Rego source); the names appear in
// errors.
func Compile(modules map[string]string, opts ...Option) (*Engine, error) {
	c := newConfig(opts)
	parsed, err := parseModules(modules, c.version)
	if err != nil {
		return nil, err
	}
	comp := ast.NewCompiler().WithDefaultRegoVersion(c.version)
	if comp.Compile(parsed); comp.Failed() {
		return nil, fmt.Errorf("rego policies: %w", comp.Errors)
	}
	if len(comp.GetRulesWithPrefix(packageRef)) == 0 {
		return nil, fmt.Errorf("rego policies: no rules in package %s (in %s)", Package, strings.Join(slices.Sorted(maps.Keys(modules)), ", "))
	}
	e := &Engine{timeout: c.timeout, targets: c.targets, where: map[string]string{}, files: slices.Sorted(maps.Keys(modules))}
	for _, name := range outputRules {
		rules := comp.GetRules(packageRef.Append(ast.StringTerm(name)))
		e.where[name] = locations(rules)
		for _, r := range rules {
			if err := e.checkRule(name, r); err != nil {
				return nil, err
			}
		}
	}
	e.pq, err = opa.New(
		opa.Compiler(comp),
		opa.Store(inmem.New()),
		opa.Query(query),
		opa.SetRegoVersion(c.version),
		// Keep the result as AST: no conversion to Go values.
		opa.GenerateJSON(func(t *ast.Term, _ *opa.EvalContext) (any, error) { return t, nil }),
	).PrepareForEval(context.Background())
	if err != nil {
		return nil, fmt.Errorf("rego policies: %w", err)
	}
	return e, nil
}

func parseModules(modules map[string]string, v ast.RegoVersion) (map[string]*ast.Module, error) {
	parsed := make(map[string]*ast.Module, len(modules))
	var errs ast.Errors
	for _, name := range slices.Sorted(maps.Keys(modules)) {
		m, err := ast.ParseModuleWithOpts(name, modules[name], ast.ParserOptions{RegoVersion: v, ProcessAnnotation: true})
		if err != nil {
			var aerrs ast.Errors
			if errors.As(err, &aerrs) {
				errs = append(errs, aerrs...)
				continue
			}
			return nil, fmt.Errorf("rego policies: %s: %w", name, err)
		}
		parsed[name] = m
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("rego policies: %w", errs)
	}
	return parsed, nil
}

// regoFiles lists the .rego files at paths, with or without tests.
func regoFiles(paths []string, tests bool) ([]string, error) {
	var files []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			return nil, fmt.Errorf("rego policies: %w", err)
		}
		if !info.IsDir() {
			if !strings.HasSuffix(root, ".rego") {
				return nil, fmt.Errorf("rego policies: %s: not a .rego file", root)
			}
			if tests || !isTestFile(root) {
				add(root)
			}
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != root && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(p, ".rego") && (tests || !isTestFile(p)) {
				add(p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("rego policies: %w", err)
		}
	}
	return files, nil
}

func isTestFile(p string) bool { return strings.HasSuffix(p, "_test.rego") }

func locations(rules []*ast.Rule) string {
	var locs []string
	for _, r := range rules {
		if l := r.Loc(); l != nil {
			locs = append(locs, l.File+":"+strconv.Itoa(l.Row))
		}
	}
	slices.Sort(locs)
	return strings.Join(slices.Compact(locs), ", ")
}

func ruleLoc(r *ast.Rule) string {
	if l := r.Loc(); l != nil {
		return l.File + ":" + strconv.Itoa(l.Row)
	}
	return Package
}

// checkRule reports constant rule values the engine would reject at run
// time, so they fail at load with the rule's location. Values computed
// from the input are checked by Decide.
func (e *Engine) checkRule(name string, r *ast.Rule) error {
	if len(r.Head.Args) > 0 {
		return fmt.Errorf("rego policies: %s: %s must not be a function", ruleLoc(r), name)
	}
	full := r.Ref()
	if len(full) <= len(packageRef) {
		return nil // the whole package as one rule (package picket; notify := ...): checked at run time
	}
	rel := full[len(packageRef)+1:] // the path below the output rule's name
	for ; r != nil; r = r.Else {
		v := ruleDoc(r, rel)
		if v == nil {
			continue
		}
		var d Decision
		if err := e.apply(&d, name, v, ruleLoc(r)); err != nil {
			return fmt.Errorf("rego policies: %w", err)
		}
	}
	return nil
}

// ruleDoc is the part of the output document r contributes, as far as it
// is constant, or nil.
func ruleDoc(r *ast.Rule, rel ast.Ref) ast.Value {
	var val *ast.Term
	if r.Head.Value != nil {
		val = r.Head.Value
	} else {
		val = ast.SetTerm(r.Head.Key) // x contains k: a set holding k
	}
	if !ast.IsConstant(val.Value) {
		return nil
	}
	if len(rel) == 0 {
		return val.Value
	}
	// x[k] := v, x.k := v, x.k.l := v ...: an object; a variable key is a
	// placeholder, the value is what matters.
	key := rel[0]
	if !ast.IsConstant(key.Value) {
		key = ast.StringTerm("<" + key.String() + ">")
	}
	if len(rel) > 1 {
		val = ast.ObjectTerm() // nested
	}
	return ast.NewObject([2]*ast.Term{key, val})
}

// Decide evaluates the policies for f; event is the raw source event JSON
// (nil: none). An error means no decision: the caller notifies as usual.
func (e *Engine) Decide(ctx context.Context, f *finding.Finding, event []byte) (Decision, error) {
	input, err := buildInput(f, event)
	if err != nil {
		return Decision{}, fmt.Errorf("rego policies: %w", err)
	}
	parent := ctx
	if e.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.timeout)
		defer cancel()
	}
	// Cancel evaluation when ctx ends, without OPA's goroutine per query.
	c := topdown.NewCancel()
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, c.Cancel)
		defer stop()
	}
	start := time.Now()
	rs, err := e.pq.Eval(ctx, opa.EvalParsedInput(input), opa.EvalExternalCancel(c))
	if err != nil {
		switch {
		case parent.Err() != nil:
			return Decision{}, fmt.Errorf("rego policies: %w", parent.Err())
		case ctx.Err() != nil:
			return Decision{}, fmt.Errorf("rego policies: evaluation stopped after %v (timeout %v): %w",
				time.Since(start).Round(time.Millisecond), e.timeout, ctx.Err())
		}
		return Decision{}, fmt.Errorf("rego policies: %w", err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return Decision{}, fmt.Errorf("rego policies: unexpected result %v", rs)
	}
	t, ok := rs[0].Expressions[0].Value.(*ast.Term)
	if !ok {
		return Decision{}, fmt.Errorf("rego policies: unexpected result %T", rs[0].Expressions[0].Value)
	}
	out, ok := t.Value.(ast.Object)
	if !ok {
		return Decision{}, fmt.Errorf("rego policies: unexpected result %v", t)
	}
	var d Decision
	// Fixed order, so deny's reasons come before reasons'.
	for _, name := range outputRules {
		v := out.Get(ast.InternedTerm(name))
		if v == nil {
			continue
		}
		if err := e.apply(&d, name, v.Value, e.where[name]); err != nil {
			return Decision{}, fmt.Errorf("rego policies: %w", err)
		}
	}
	return d, nil
}

// apply checks the value v of output rule name and adds it to d. where
// names the policy rules, for errors.
func (e *Engine) apply(d *Decision, name string, v ast.Value, where string) error {
	bad := func(want string) error {
		return fmt.Errorf("%s (%s) must be %s, got %s", name, where, want, short(v))
	}
	switch name {
	case ruleDrop:
		b, ok := v.(ast.Boolean)
		if !ok {
			return bad("a boolean")
		}
		d.Drop = d.Drop || bool(b)
	case ruleDeny:
		var msgs []string
		var err error
		switch x := v.(type) {
		case ast.Set, *ast.Array:
			err = elems(v, func(t *ast.Term) error {
				msgs = append(msgs, message(t))
				return nil
			})
		case ast.Object:
			// v1 "deny[msg] if ..." is an object msg → true.
			for _, k := range x.Keys() {
				if b, ok := x.Get(k).Value.(ast.Boolean); ok && !bool(b) {
					continue
				}
				msgs = append(msgs, message(k))
			}
		default:
			return bad("a set of messages")
		}
		if err != nil {
			return err
		}
		if len(msgs) > 0 {
			d.Drop = true
			d.Reasons = append(d.Reasons, msgs...)
		}
	case ruleSeverity:
		n, ok := v.(ast.Number)
		if !ok {
			return bad("a number")
		}
		f, ok := n.Float64()
		if !ok || f < 1 || f > 10 {
			return fmt.Errorf("%s (%s) is %s, outside 1.0–10.0", name, where, n)
		}
		d.Severity = &f
	case ruleLabels:
		obj, ok := v.(ast.Object)
		if !ok {
			return bad("an object of strings")
		}
		if d.Labels == nil && obj.Len() > 0 {
			d.Labels = make(map[string]string, obj.Len())
		}
		var err error
		obj.Foreach(func(k, val *ast.Term) {
			ks, ok1 := k.Value.(ast.String)
			vs, ok2 := val.Value.(ast.String)
			if !ok1 || !ok2 {
				if err == nil {
					err = fmt.Errorf("%s (%s) must be an object of strings, got %s: %s", name, where, short(k.Value), short(val.Value))
				}
				return
			}
			d.Labels[string(ks)] = string(vs)
		})
		return err
	case ruleChannels, ruleReasons:
		switch v.(type) {
		case ast.Set, *ast.Array:
		default:
			return bad("a set of strings")
		}
		return elems(v, func(t *ast.Term) error {
			s, ok := t.Value.(ast.String)
			if !ok || s == "" {
				return fmt.Errorf("%s (%s) must be a set of non-empty strings, got %s", name, where, short(t.Value))
			}
			if name == ruleReasons {
				d.Reasons = append(d.Reasons, string(s))
				return nil
			}
			if e.targets != nil && !e.targets[string(s)] {
				return fmt.Errorf("%s (%s) names %q, which is not a routing target", name, where, string(s))
			}
			if !slices.Contains(d.Channels, string(s)) {
				d.Channels = append(d.Channels, string(s))
			}
			return nil
		})
	}
	return nil
}

// elems calls f for each element of a set (sorted) or array (in order).
func elems(v ast.Value, f func(*ast.Term) error) error {
	switch x := v.(type) {
	case ast.Set:
		return x.Iter(f)
	case *ast.Array:
		return x.Iter(f)
	}
	return nil
}

// message is a deny message as text: a string, an object's "msg" string,
// or else the value in Rego syntax.
func message(t *ast.Term) string {
	switch x := t.Value.(type) {
	case ast.String:
		return string(x)
	case ast.Object:
		if m := x.Get(ast.InternedTerm("msg")); m != nil {
			if s, ok := m.Value.(ast.String); ok {
				return string(s)
			}
		}
	}
	return t.String()
}

// short renders a value for an error message, cut to a sensible length.
func short(v ast.Value) string {
	s := v.String()
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

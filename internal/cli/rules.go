package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/picket-dev/picket/internal/app"
	"github.com/picket-dev/picket/internal/config"
	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/detect/builtin"
	"github.com/picket-dev/picket/internal/detect/ruletest"
	"github.com/picket-dev/picket/internal/detect/sequence"
	"github.com/picket-dev/picket/internal/detect/sigma"
	"github.com/picket-dev/picket/internal/route/rego"
)

func cmdRules(ctx context.Context, env Env, args []string) int {
	subs := map[string]func(context.Context, Env, []string) int{
		"list": rulesList,
		"lint": rulesLint,
		"test": rulesTest,
	}
	if len(args) == 0 || subs[args[0]] == nil {
		fmt.Fprintln(env.Stderr, "Usage: picket rules list|lint|test [-c picket.yaml] [PATH...]")
		fmt.Fprintln(env.Stderr, "  PATH: Sigma rule files or directories, added to detectors.sigma.rules of the config.")
		return ExitError
	}
	return subs[args[0]](ctx, env, args[1:])
}

// rulesConfig reads the detectors section of -c (when given) and adds the
// rule paths from the command line.
func rulesConfig(env Env, cfgPath string, paths []string) (config.DetectorsConfig, bool) {
	var d config.DetectorsConfig
	if cfgPath != "" {
		c, err := config.Load(cfgPath)
		if err != nil {
			printProblems(env.Stderr, cfgPath, err)
			return d, false
		}
		d = c.Detectors
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			fmt.Fprintf(env.Stderr, "picket: %v\n", err)
			return d, false
		}
	}
	d.Sigma.Rules = append(append([]string(nil), d.Sigma.Rules...), paths...)
	return d, true
}

func rulesList(_ context.Context, env Env, args []string) int {
	fs := newFlags(env, "rules list", "[-c picket.yaml] [PATH...]")
	cfgPath := fs.String("c", "", "config file (its detectors section)")
	paths, err := parse(fs, args)
	if err != nil {
		return flagErr(err)
	}
	d, ok := rulesConfig(env, *cfgPath, paths)
	if !ok {
		return ExitError
	}
	reg, err := app.Detectors(d, nil)
	if err != nil {
		return fail(env, "%v", err)
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tKIND\tSEVERITY\tFINDING TYPE\tSTATUS\tTITLE")
	for _, det := range reg.All() {
		in := det.Info()
		kind, sev, status := "builtin", "", ""
		if r, ok := det.(*sigma.CompiledRule); ok {
			kind, sev, status = "sigma", fmt.Sprintf("%.1f", r.Severity), r.Status
			if r.Shadow {
				status += ",shadow"
			}
		}
		typ := strings.Join(in.Types, ", ")
		if len(in.Types) > 2 {
			typ = fmt.Sprintf("%s, … (%d types)", in.Types[0], len(in.Types))
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", in.Name, kind, sev, typ, status, in.Description)
	}
	w.Flush()
	return ExitOK
}

// rulesLint reports every problem of the rules: errors (the rule cannot
// run) and warnings (it runs, but something is off).
func rulesLint(_ context.Context, env Env, args []string) int {
	fs := newFlags(env, "rules lint", "[-c picket.yaml] [PATH...]")
	cfgPath := fs.String("c", "", "config file (its detectors.sigma section)")
	paths, err := parse(fs, args)
	if err != nil {
		return flagErr(err)
	}
	d, ok := rulesConfig(env, *cfgPath, paths)
	if !ok {
		return ExitError
	}
	if len(d.Sigma.Rules) == 0 {
		return fail(env, "no rules to lint: give rule paths or a config with detectors.sigma.rules")
	}
	parsed, perrs := sigma.LoadPaths(d.Sigma.Rules...)
	compiled, cerrs := sigma.Compile(parsed, sigma.Options{Placeholders: d.Sigma.Placeholders, Shadow: d.Sigma.Shadow})
	errs, notes := 0, 0
	for _, e := range append(perrs, cerrs...) {
		var se *sigma.Error
		if errors.As(e, &se) && se.Skipped {
			fmt.Fprintf(env.Stdout, "skipped: %v\n", e)
			notes++
			continue
		}
		fmt.Fprintf(env.Stdout, "error: %v\n", e)
		errs++
	}
	warns := sigma.Lint(compiled)
	for _, w := range warns {
		fmt.Fprintf(env.Stdout, "warning: %v\n", w)
	}
	fmt.Fprintf(env.Stdout, "%d rule(s) loaded, %d error(s), %d warning(s), %d skipped\n", len(compiled), errs, len(warns), notes)
	if errs > 0 {
		return ExitFindings
	}
	return ExitOK
}

func rulesTest(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "rules test", "[-c picket.yaml] [-v] [--strict] [PATH...]")
	cfgPath := fs.String("c", "", "config file (its detectors section)")
	verbose := fs.Bool("v", false, "print every case, not only failures")
	strict := fs.Bool("strict", false, "skipped cases (missing data) fail too")
	paths, err := parse(fs, args)
	if err != nil {
		return flagErr(err)
	}
	d, ok := rulesConfig(env, *cfgPath, paths)
	if !ok {
		return ExitError
	}
	var policies []string
	if *cfgPath != "" {
		if c, err := config.Load(*cfgPath); err == nil {
			policies = c.Routing.Policies
		}
	}
	// Test files: the built-in detectors' and the attack-sequence chains'
	// (shipped in the binary) and any *.test.yml beside the rules.
	var files []*ruletest.File
	err = fs2Each(builtin.Tests, func(name string, b []byte) error {
		f, err := ruletest.Parse("builtin:"+name, b)
		if err == nil {
			files = append(files, f)
		}
		return err
	})
	if err != nil {
		return fail(env, "built-in tests: %v", err)
	}
	err = fs2Each(sequence.Tests, func(name string, b []byte) error {
		f, err := ruletest.Parse("sequence:"+name, b)
		if err == nil {
			files = append(files, f)
		}
		return err
	})
	if err != nil {
		return fail(env, "attack-sequence tests: %v", err)
	}
	found, err := ruletest.Find(d.Sigma.Rules...)
	if err != nil {
		return fail(env, "%v", err)
	}
	for _, p := range found {
		f, err := ruletest.Load(p)
		if err != nil {
			return fail(env, "%v", err)
		}
		files = append(files, f)
	}
	for _, e := range ruleLoadProblems(d.Sigma) {
		fmt.Fprintf(env.Stderr, "warning: %v\n", e)
	}
	tenv := ruletest.Env{
		Detectors: func(name, sel string) ([]detect.Detector, error) { return TestDetectors(d, name, sel) },
		Decoders:  app.Decoders(),
		Vars:      map[string]string{"PICKET_SHARED_DIR": os.Getenv("PICKET_SHARED_DIR")},
	}
	results := ruletest.Run(ctx, tenv, files)
	// Rego routing policies' own tests (test_* rules in *_test.rego).
	if len(policies) > 0 {
		prs, err := rego.RunTests(ctx, policies)
		if err != nil {
			return fail(env, "routing policies: %v", err)
		}
		for _, pr := range prs {
			pkg := strings.TrimPrefix(pr.Package, "data.")
			r := ruletest.Result{File: pr.Location, Name: pkg + "." + pr.Name, Rule: "rego:" + pkg, Status: ruletest.Pass}
			switch {
			case pr.Skip:
				r.Status, r.Message = ruletest.Skip, "todo"
			case !pr.Pass:
				r.Status, r.Message = ruletest.Fail, pr.Fail
			}
			results = append(results, r)
		}
	}
	reg, err := app.Detectors(d, nil)
	if err != nil {
		return fail(env, "%v", err)
	}
	var names []string
	for _, det := range reg.All() {
		names = append(names, det.Info().Name)
	}
	failed, skipped := 0, 0
	for _, r := range results {
		switch r.Status {
		case ruletest.Fail:
			failed++
		case ruletest.Skip:
			skipped++
		}
		if r.Status != ruletest.Pass || *verbose {
			fmt.Fprintf(env.Stdout, "%s  %s:%d  %s  [%s]  %s\n", strings.ToUpper(string(r.Status)), r.File, r.Line, r.Name, r.Rule, r.Message)
		}
	}
	cov := ruletest.Summarise(results, names)
	sort.SliceStable(cov, func(i, j int) bool { return cov[i].Detector < cov[j].Detector })
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "\nDETECTOR\tTESTS\tPASS\tFAIL\tSKIP")
	tested := 0
	for _, c := range cov {
		if c.Tests > 0 {
			tested++
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\n", c.Detector, c.Tests, c.Passed, c.Failed, c.Skipped)
	}
	w.Flush()
	fmt.Fprintf(env.Stdout, "%d case(s): %d passed, %d failed, %d skipped; %d of %d detectors have tests\n",
		len(results), len(results)-failed-skipped, failed, skipped, tested, len(names))
	if failed > 0 || (*strict && skipped > 0) {
		return ExitFindings
	}
	return ExitOK
}

// TestDetectors returns fresh detectors for one rule test: the detector
// (or Sigma rule) named name, or those expr selects when name is "".
func TestDetectors(d config.DetectorsConfig, name, expr string) ([]detect.Detector, error) {
	reg, err := app.Detectors(d, nil)
	if err != nil {
		return nil, err
	}
	if name == "" {
		// Excluding what is not loaded ("-sigma" with no Sigma rules) is
		// no error here: test files are shared by different setups.
		known := map[string]bool{}
		for _, t := range reg.Tags() {
			known[t] = true
		}
		var terms []string
		for _, t := range strings.Split(expr, ",") {
			if t = strings.TrimSpace(t); strings.HasPrefix(t, "-") && !known[t[1:]] {
				continue
			}
			terms = append(terms, t)
		}
		sel, err := reg.Select(strings.Join(terms, ","), nil)
		if err != nil {
			return nil, err
		}
		return app.EngineDetectors(sel), nil
	}
	var sel []detect.Detector
	for _, det := range reg.All() {
		in := det.Info()
		if name == "" || in.Name == name {
			sel = append(sel, det)
			continue
		}
		for _, a := range in.Aliases {
			if a == name {
				sel = append(sel, det)
			}
		}
	}
	if len(sel) == 0 {
		return nil, fmt.Errorf("no detector or rule named %q (see picket rules list)", name)
	}
	return app.EngineDetectors(sel), nil
}

func ruleLoadProblems(c config.SigmaConfig) []error {
	_, errs := app.SigmaRules(c)
	var out []error
	for _, e := range errs {
		var se *sigma.Error
		if errors.As(e, &se) && se.Skipped {
			continue
		}
		out = append(out, e)
	}
	return out
}

// fs2Each calls fn for every regular file of fsys, in name order.
func fs2Each(fsys fs.FS, fn func(name string, b []byte) error) error {
	return fs.WalkDir(fsys, ".", func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		return fn(filepath.ToSlash(p), b)
	})
}

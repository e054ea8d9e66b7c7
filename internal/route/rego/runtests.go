package rego

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// TestResult is the outcome of one Rego test rule.
type TestResult struct {
	Package  string // e.g. data.picket.notify_test
	Name     string // e.g. test_sandbox_low_dropped
	Pass     bool   // it passed, or was skipped (todo_test_): nothing to fix
	Skip     bool   // a todo_test_ rule, not run
	Fail     string // why it failed or could not run; "" when it passed
	Location string // file:line of the test rule
	Output   string // what print() wrote during the test
	Duration time.Duration
}

// RunTests runs OPA's tests (test_ rules) in the .rego files at paths,
// *_test.rego included: the convention of opa test. An error means the
// policies did not compile (it names file:line); failed tests are results.
func RunTests(ctx context.Context, paths []string, opts ...Option) ([]TestResult, error) {
	c := newConfig(opts)
	files, err := regoFiles(paths, true)
	if err != nil {
		return nil, err
	}
	src := make(map[string]string, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("rego tests: %w", err)
		}
		src[f] = string(b)
	}
	modules, err := parseModules(src, c.version)
	if err != nil {
		return nil, err
	}
	r := tester.NewRunner().
		SetStore(inmem.New()).
		SetDefaultRegoVersion(c.version).
		CapturePrintOutput(true).
		EnableTracing(true) // to say which expression failed
	if c.timeout > 0 {
		// A test may evaluate the policies many times; give it more room
		// than one evaluation, as opa test does.
		r.SetTimeout(max(5*time.Second, 10*c.timeout))
	}
	ch, err := r.Run(ctx, modules)
	if err != nil {
		return nil, fmt.Errorf("rego tests: %w", err)
	}
	var trs []*tester.Result
	for tr := range ch {
		trs = append(trs, tr)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("rego tests: %w", err)
	}
	slices.SortStableFunc(trs, func(a, b *tester.Result) int {
		if a.Location == nil || b.Location == nil {
			return 0
		}
		return cmp.Or(strings.Compare(a.Location.File, b.Location.File), cmp.Compare(a.Location.Row, b.Location.Row))
	})
	out := make([]TestResult, 0, len(trs))
	for _, tr := range trs {
		res := TestResult{
			Package: tr.Package, Name: tr.Name, Pass: tr.Pass() || tr.Skip, Skip: tr.Skip,
			Output: string(tr.Output), Duration: tr.Duration,
		}
		if tr.Location != nil {
			res.Location = tr.Location.File + ":" + strconv.Itoa(tr.Location.Row)
		}
		switch {
		case tr.Error != nil:
			res.Fail = tr.Error.Error()
		case tr.Fail:
			res.Fail = failure(tr)
		}
		out = append(out, res)
	}
	return out, nil
}

// failure says which expression of a failed test was false, as opa test
// --explain=fails does: the last failing expression in the trace.
func failure(tr *tester.Result) string {
	for _, e := range slices.Backward(tr.Trace) {
		if e.Op != topdown.FailOp || e.Location == nil || e.QueryID == 0 {
			continue
		}
		expr, ok := e.Node.(*ast.Expr)
		if !ok {
			continue
		}
		if _, every := expr.Terms.(*ast.Every); every {
			continue
		}
		return fmt.Sprintf("failed at %s:%d: %s", e.Location.File, e.Location.Row, expr)
	}
	return "failed"
}

package compare

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	sigma "github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"
)

// sigmaGoEngine runs github.com/bradleyjkemp/sigma-go the way its README
// shows: sigma.ParseRule per rule, one evaluator.ForRule per rule, and
// Matches(ctx, event) for every rule and event, the event being a
// map[string]any decoded from the raw bytes with encoding/json.
//
// sigma-go looks fields up as top-level keys; nested fields
// (userIdentity.type) need a config field mapping to a JSONPath
// ($.userIdentity.type), which is how its own tests and benchmarks reach
// into nested events. The config maps every dotted field the rules use.
//
// evaluator.ForRules (the bundle) is not used: it caches contains results
// keyed by the address of the event string's bytes, in a map that is never
// cleared, so over a stream of freshly decoded events it grows without bound
// and can answer from a stale entry when an address is reused.
type sigmaGoEngine struct {
	files         []string // base names, in rule order (parsed rules only)
	ids           []string // ids, in the same order
	evals         []*evaluator.RuleEvaluator
	parseFailures map[string]string // base name → parse error
}

func newSigmaGoEngine(files []string) (*sigmaGoEngine, error) {
	var names []string
	var srcs [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		names = append(names, filepath.Base(f))
		srcs = append(srcs, b)
	}
	return newSigmaGoEngineFromYAML(names, srcs), nil
}

// newSigmaGoEngineFromYAML builds the engine from rule sources; a rule that
// sigma-go cannot parse is left out and listed in parseFailures.
func newSigmaGoEngineFromYAML(names []string, srcs [][]byte) *sigmaGoEngine {
	e := &sigmaGoEngine{parseFailures: map[string]string{}}
	var rules []sigma.Rule
	for i, b := range srcs {
		r, err := sigma.ParseRule(b)
		if err != nil {
			e.parseFailures[names[i]] = err.Error()
			continue
		}
		rules = append(rules, r)
		e.files = append(e.files, names[i])
		e.ids = append(e.ids, r.ID)
	}
	cfg := sigma.Config{Title: "CloudTrail JSON", FieldMappings: map[string]sigma.FieldMapping{}}
	for _, f := range dottedFields(rules) {
		cfg.FieldMappings[f] = sigma.FieldMapping{TargetNames: []string{"$." + f}}
	}
	for _, r := range rules {
		e.evals = append(e.evals, evaluator.ForRule(r, evaluator.WithConfig(cfg)))
	}
	return e
}

// dottedFields lists the nested field names the rules use, sorted.
func dottedFields(rules []sigma.Rule) []string {
	set := map[string]bool{}
	for _, r := range rules {
		for _, s := range r.Detection.Searches {
			for _, m := range s.EventMatchers {
				for _, fm := range m {
					if strings.Contains(fm.Field, ".") {
						set[fm.Field] = true
					}
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// decode is the per-event decoding sigma-go needs.
func (e *sigmaGoEngine) decode(raw []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// eval decodes raw and evaluates every rule: hit[i] is set when rule i
// matches, errs[i] when it returns an error. It returns the number of
// matches.
func (e *sigmaGoEngine) eval(ctx context.Context, raw []byte, hit []bool, errs []error) (int, error) {
	m, err := e.decode(raw)
	if err != nil {
		return 0, fmt.Errorf("decoding: %w", err)
	}
	n := 0
	for i, ev := range e.evals {
		res, err := ev.Matches(ctx, m)
		if err != nil {
			if errs != nil {
				errs[i] = err
			}
			continue
		}
		if res.Match {
			hit[i] = true
			n++
		}
	}
	return n, nil
}

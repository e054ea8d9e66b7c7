package compare

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Observations about sigma-go v0.6.6 on the SigmaHQ AWS CloudTrail rules,
// pinned so that a new sigma-go version or a changed rule set is noticed.
var (
	// sigmaGoParseFailures: rule files sigma.ParseRule refuses (none).
	sigmaGoParseFailures = []string{}

	// sigmaGoErrorRules: rules whose Matches returns an error for every
	// event, with part of the error. A YAML null value is refused when
	// evaluated ("expected scalar field matching value got: <nil>"), and
	// the fieldref modifier is unknown.
	sigmaGoErrorRules = map[string]string{
		"aws_cloudtrail_bucket_deleted.yml":                        "expected scalar field matching value",
		"aws_cloudtrail_guardduty_detector_deleted_or_updated.yml": "expected scalar field matching value",
		"aws_cloudtrail_ssm_malicious_usage.yml":                   "expected scalar field matching value",
		"aws_cloudtrail_vpc_flow_logs_deleted.yml":                 "expected scalar field matching value",
		"aws_update_login_profile.yml":                             "unknown modifier fieldref",
	}

	// sigmaGoWildcardRules: rules with a * wildcard in a value, which
	// sigma-go compares as a literal character ("contains: '*'" then
	// matches only values holding a star).
	sigmaGoWildcardRules = []string{
		"aws_ec2_vm_export_failure.yml",
		"aws_iam_s3browser_templated_s3_bucket_policy_creation.yml",
		"aws_new_lambda_layer_attached.yml",
		"aws_rds_change_master_password.yml",
	}
)

// sigmaGoDefectFeatures lists the features of r that sigma-go is known to
// mishandle (see TestSigmaGoKnownDefects), read from the rule text.
func sigmaGoDefectFeatures(r *sigmaRule) []string {
	var out []string
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, name := range r.names {
		for _, m := range r.searches[name] {
			for _, it := range m {
				if slices.Contains(it.mods, "fieldref") {
					add("fieldref")
				}
				for _, v := range it.values {
					switch {
					case v == nil:
						add("null")
					case !slices.Contains(it.mods, "re") && !slices.Contains(it.mods, "fieldref"):
						if _, wild := wildcardRegexp(*v, ""); wild {
							add("wildcard")
						}
					}
				}
			}
		}
	}
	return out
}

// hasNestedField says whether r reads a dotted (nested) field.
func hasNestedField(r *sigmaRule) bool {
	for _, name := range r.names {
		for _, m := range r.searches[name] {
			for _, it := range m {
				if strings.Contains(it.field, ".") {
					return true
				}
			}
		}
	}
	return false
}

// expectedStratusHits: Stratus Red Team techniques and the rule written to
// catch that technique, which must match at least one of its records.
var expectedStratusHits = []struct{ technique, rule string }{
	{"aws.defense-evasion.cloudtrail-stop.json", "aws_cloudtrail_disable_logging.yml"},
	{"aws.defense-evasion.cloudtrail-delete.json", "aws_cloudtrail_disable_logging.yml"},
	{"aws.defense-evasion.vpc-remove-flow-logs.json", "aws_cloudtrail_vpc_flow_logs_deleted.yml"},
	{"aws.execution.ssm-send-command.json", "aws_cloudtrail_ssm_malicious_usage.yml"},
	{"aws.exfiltration.ec2-security-group-open-port-22-ingress.json", "aws_cloudtrail_security_group_change_ingress_egress.yml"},
	{"aws.exfiltration.ec2-share-ebs-snapshot.json", "aws_snapshot_backup_exfiltration.yml"},
	{"aws.initial-access.console-login-without-mfa.json", "aws_cloudtrail_console_login_success_without_mfa.yml"},
	{"aws.persistence.iam-backdoor-user.json", "aws_iam_backdoor_users_keys.yml"},
	{"aws.persistence.lambda-layer-extension.json", "aws_new_lambda_layer_attached.yml"},
	{"aws.privilege-escalation.iam-update-user-login-profile.json", "aws_update_login_profile.yml"},
}

// outcome is both engines' answer for one event and every rule.
type outcome struct {
	sg, opa []bool
	sgErr   []error
}

// runBoth evaluates both engines on raw; sigma-go's answers are put in
// OPA's rule order (sgIndex maps OPA index → sigma-go index, -1 when
// sigma-go could not parse the rule).
func runBoth(sg *sigmaGoEngine, o *opaEngine, sgIndex []int, raw []byte) (outcome, error) {
	ctx := context.Background()
	n := len(o.ids)
	sgHit, sgErr := make([]bool, len(sg.evals)), make([]error, len(sg.evals))
	if _, err := sg.eval(ctx, raw, sgHit, sgErr); err != nil {
		return outcome{}, fmt.Errorf("sigma-go: %w: %s", err, raw)
	}
	out := outcome{sg: make([]bool, n), opa: make([]bool, n), sgErr: make([]error, n)}
	if _, err := o.eval(ctx, raw, out.opa); err != nil {
		return outcome{}, fmt.Errorf("opa: %w: %s", err, raw)
	}
	for i, j := range sgIndex {
		if j >= 0 {
			out.sg[i], out.sgErr[i] = sgHit[j], sgErr[j]
		}
	}
	return out, nil
}

// runAll runs both engines over recs on every core (both are safe for
// concurrent use), keeping the outcomes in record order.
func runAll(sg *sigmaGoEngine, o *opaEngine, sgIndex []int, recs [][]byte) ([]outcome, error) {
	out := make([]outcome, len(recs))
	errs := make([]error, len(recs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(recs) {
					return
				}
				out[k], errs[k] = runBoth(sg, o, sgIndex, recs[k])
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// tally counts, per rule, over one set of events.
type tally struct {
	events                  int
	sgHit, sgErr, opa, diff []int
	example                 []string // a record where the engines differ
	firstErr                []string
}

func newTally(n int) *tally {
	return &tally{sgHit: make([]int, n), sgErr: make([]int, n), opa: make([]int, n), diff: make([]int, n),
		example: make([]string, n), firstErr: make([]string, n)}
}

func (ta *tally) add(oc outcome, raw []byte) {
	ta.events++
	for i := range oc.opa {
		if oc.opa[i] {
			ta.opa[i]++
		}
		if oc.sgErr[i] != nil {
			ta.sgErr[i]++
			if ta.firstErr[i] == "" {
				ta.firstErr[i] = oc.sgErr[i].Error()
			}
			continue
		}
		if oc.sg[i] {
			ta.sgHit[i]++
		}
		if oc.sg[i] != oc.opa[i] {
			ta.diff[i]++
			if ta.example[i] == "" {
				ta.example[i] = fmt.Sprintf("sigma-go=%v opa=%v on %.400s", oc.sg[i], oc.opa[i], raw)
			}
		}
	}
}

func TestReferenceEnginesAgree(t *testing.T) {
	files := sigmaRuleFiles(t)
	sg, o := engines(t)
	rules, err := loadSigmaRules(files)
	if err != nil {
		t.Fatal(err)
	}

	// Every rule translated and compiled into the one query.
	if len(o.ids) != len(files) || len(rules) != len(files) {
		t.Fatalf("OPA query has %d rules, %d parsed, want all %d files", len(o.ids), len(rules), len(files))
	}
	for _, r := range rules {
		if !strings.Contains(o.module, "\nhit["+regoString(r.id)+"] if ") {
			t.Fatalf("%s: no hit[%q] in the Rego module", r.file, r.id)
		}
	}

	// sigma-go: parse failures as observed.
	if got := slices.Sorted(maps.Keys(sg.parseFailures)); !slices.Equal(got, sigmaGoParseFailures) {
		t.Errorf("sigma-go parse failures %v (%v), want %v", got, sg.parseFailures, sigmaGoParseFailures)
	}
	if len(sg.evals)+len(sg.parseFailures) != len(files) {
		t.Fatalf("sigma-go: %d evaluators + %d failures != %d files", len(sg.evals), len(sg.parseFailures), len(files))
	}
	sgIndex := make([]int, len(rules))
	for i, r := range rules {
		sgIndex[i] = slices.Index(sg.files, r.file)
		if o.ids[i] != r.id || (sgIndex[i] >= 0 && sg.ids[sgIndex[i]] != r.id) {
			t.Fatalf("rule %d (%s): ids differ between the engines", i, r.file)
		}
	}

	// The rules with features sigma-go mishandles are the pinned ones.
	defects := map[string][]string{}
	for _, r := range rules {
		if f := sigmaGoDefectFeatures(r); len(f) > 0 {
			defects[r.file] = f
		}
	}
	wantDefects := slices.Sorted(maps.Keys(sigmaGoErrorRules))
	wantDefects = append(wantDefects, sigmaGoWildcardRules...)
	slices.Sort(wantDefects)
	if got := slices.Sorted(maps.Keys(defects)); !slices.Equal(got, wantDefects) {
		t.Errorf("rules using null/fieldref/wildcards: %v\nwant (pinned) %v", got, wantDefects)
	}
	for _, f := range sigmaGoWildcardRules {
		if !slices.Equal(defects[f], []string{"wildcard"}) {
			t.Errorf("%s: features %v, want only wildcard", f, defects[f])
		}
	}

	// The event sets: the Stratus records, a few thousand generated ones
	// (fewer under -race, to stay well under 20 s on two cores; the
	// benchmarks use the full corpus), and the rules' witnesses, as built
	// and with their nested objects moved into arrays.
	n := 3000
	if raceEnabled {
		n = 2000
	}
	if testing.Short() {
		n = 500
	}
	strat, stratFrom := stratusRecords(t)
	var wit, witArr [][]byte
	var witOwner []int // rule index of each witness
	for i, r := range rules {
		ws, err := witnesses(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range ws {
			a, err := inArrays(w)
			if err != nil {
				t.Fatal(err)
			}
			wit = append(wit, w)
			witArr = append(witArr, a)
			witOwner = append(witOwner, i)
		}
	}
	type eventSet struct {
		name string
		recs [][]byte
	}
	sets := []eventSet{
		{"stratus", strat},
		{"generated", generatedRecords(n)},
		{"witnesses", wit},
		{"witnesses-in-arrays", witArr},
	}
	const (
		setStratus   = 0
		setWitness   = 2
		setWitnessAr = 3
	)

	tallies := make([]*tally, len(sets))
	outcomes := make([][]outcome, len(sets))
	for s, set := range sets {
		if outcomes[s], err = runAll(sg, o, sgIndex, set.recs); err != nil {
			t.Fatal(err)
		}
		tallies[s] = newTally(len(rules))
		for k, oc := range outcomes[s] {
			tallies[s].add(oc, set.recs[k])
		}
	}

	// The per-rule table.
	var b strings.Builder
	fmt.Fprintf(&b, "per-rule matches, sigma-go/OPA (sigma-go errors, disagreements) over")
	for s, set := range sets {
		fmt.Fprintf(&b, " %s=%d", set.name, tallies[s].events)
	}
	fmt.Fprintf(&b, " events\n%-60s", "rule")
	for _, set := range sets {
		fmt.Fprintf(&b, " %24s", set.name)
	}
	b.WriteString("  sigma-go defect\n")
	for i, r := range rules {
		fmt.Fprintf(&b, "%-60s", r.file)
		for s := range sets {
			ta := tallies[s]
			fmt.Fprintf(&b, " %24s", fmt.Sprintf("%d/%d (%d, %d)", ta.sgHit[i], ta.opa[i], ta.sgErr[i], ta.diff[i]))
		}
		fmt.Fprintf(&b, "  %s\n", strings.Join(defects[r.file], ","))
	}
	t.Log(b.String())

	arrayErrs := 0
	for i, r := range rules {
		f := r.file
		// sigma-go errors exactly where pinned, on every event; and, once
		// nested objects sit in arrays, also for rules reading nested
		// fields (its JSONPath lookup fails: "could not select value,
		// invalid key: expected number but got …").
		for s, set := range sets {
			ta := tallies[s]
			want, pinned := sigmaGoErrorRules[f]
			switch {
			case pinned && (ta.sgErr[i] != ta.events || !strings.Contains(ta.firstErr[i], want)):
				t.Errorf("%s: sigma-go errors on %d of %d %s events (%q), want all with %q", f, ta.sgErr[i], ta.events, set.name, ta.firstErr[i], want)
			case pinned:
			case s == setWitnessAr && hasNestedField(r):
				if ta.sgErr[i] > 0 && !strings.Contains(ta.firstErr[i], "could not select value") {
					t.Errorf("%s: unexpected sigma-go error on %s: %s", f, set.name, ta.firstErr[i])
				}
				arrayErrs += ta.sgErr[i]
			case ta.sgErr[i] != 0:
				t.Errorf("%s: sigma-go errors on %d %s events: %s", f, ta.sgErr[i], set.name, ta.firstErr[i])
			}
		}
		// Without a known defect, the engines agree on every event (the
		// in-array witnesses aside: see below).
		if defects[f] == nil {
			for s := range setWitnessAr {
				if d := tallies[s].diff[i]; d != 0 {
					t.Errorf("%s: engines disagree on %d %s events, e.g. %s", f, d, sets[s].name, tallies[s].example[i])
				}
			}
		}
		// The wildcard defect shows on the witnesses.
		if slices.Contains(sigmaGoWildcardRules, f) && tallies[setWitness].diff[i] == 0 {
			t.Errorf("%s: pinned as a sigma-go wildcard defect, but the engines agree on all its witnesses", f)
		}
	}

	if arrayErrs == 0 {
		t.Errorf("sigma-go no longer fails on nested fields inside arrays: update the notes")
	}

	// Every rule matches at least one of its own witnesses in OPA.
	own, ownHit := make([]int, len(rules)), make([]int, len(rules))
	for w, i := range witOwner {
		own[i]++
		if outcomes[setWitness][w].opa[i] {
			ownHit[i]++
		}
	}
	for i, r := range rules {
		if ownHit[i] == 0 {
			t.Errorf("%s: OPA matches none of its %d witnesses", r.file, own[i])
		}
	}

	// Moving nested objects into arrays changes nothing for OPA (a field in
	// an array matches if it matches in any element). sigma-go's JSONPath
	// lookups do not enter arrays: counted, not asserted.
	sgArrayDiff := map[string]int{}
	for w := range wit {
		a, b := outcomes[setWitness][w], outcomes[setWitnessAr][w]
		for i, r := range rules {
			if a.opa[i] != b.opa[i] {
				t.Errorf("%s: OPA answers %v on witness %s but %v on %s", r.file, a.opa[i], wit[w], b.opa[i], witArr[w])
			}
			if a.sgErr[i] == nil && b.sgErr[i] == nil && a.sg[i] != b.sg[i] {
				sgArrayDiff[r.file]++
			}
		}
	}
	t.Logf("sigma-go errors on %d in-array witness evaluations, and answers differently (without an error) once nested objects sit in arrays for %d rules: %v",
		arrayErrs, len(sgArrayDiff), sgArrayDiff)

	// The Stratus techniques are caught by the rules written for them.
	for _, e := range expectedStratusHits {
		ri := slices.IndexFunc(rules, func(r *sigmaRule) bool { return r.file == e.rule })
		if ri < 0 {
			t.Errorf("rule %s not found", e.rule)
			continue
		}
		recs, hits := 0, 0
		for k, from := range stratFrom {
			if from == e.technique {
				recs++
				if outcomes[setStratus][k].opa[ri] {
					hits++
				}
			}
		}
		if recs == 0 || hits == 0 {
			t.Errorf("Stratus %s (%d records): OPA matched %s on %d", e.technique, recs, e.rule, hits)
		}
	}
}

package pattern

// Tests against the upstream fixtures in the shared data folder
// (../shared/data/eventbridge-pattern-tests and aws-docs-samples).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/picket-dev/picket/internal/testutil"
	"github.com/valyala/fastjson"
)

func readShared(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// correctnessWant holds the expected result of each case in event-ruler's
// correctness-cases.json. Upstream only checks that two engines agree; these
// results follow from the case names and the README's array-consistency rule.
var correctnessWant = map[string]bool{
	"flat: 2-field exists, both present":  true,
	"flat: 2-field exists, one missing":   false,
	"flat: exact match":                   true,
	"flat: exact mismatch":                false,
	"flat: prefix":                        true,
	"flat: numeric range":                 true,
	"flat: anything-but":                  true,
	"objarray: same element":              true,
	"objarray: split":                     false,
	"objarray: 3 elem, last valid":        true,
	"objarray: 3-field, all in one":       true,
	"objarray: 3-field, split 3 ways":     false,
	"objarray: exact same elem":           true,
	"objarray: exact split":               false,
	"objarray: prefix same":               true,
	"objarray: prefix split":              false,
	"primarray: exists":                   true,
	"primarray: exact match":              true,
	"primarray: no match":                 false,
	"nested: inner same":                  true,
	"nested: inner split":                 false,
	"nested: outer split":                 false,
	"nested: outer same":                  true,
	"nested2: same leaf":                  true,
	"nested2: split leaf":                 false,
	"mixed: array+scalar match":           true,
	"mixed: array+scalar fail":            false,
	"exists-false: absent":                true,
	"exists-false: present":               false,
	"empty object":                        false,
	"empty array":                         false,
	"single-field rule":                   true,
	"many elem one valid":                 true,
	"numeric+exists array":                true,
	"anything-but array":                  true,
	"primarray: large + scalar, exists":   true,
	"primarray: large + scalar, prefix":   true,
	"primarray: large + scalar, no match": false,
	"primarray: nested under object":      true,
	"primarray: two prim arrays + scalar": true,
	"primarray: exact match among many":   true,
	"primarray: numeric in array":         true,
	"primarray: anything-but in array":    true,
	"primarray: single value array":       true,
	"primarray: empty prim array":         false,
	"mixed: obj-array + prim-array":       true,
	"mixed: obj-array split + prim-array": false,
	"deep prim: nested 3 levels":          true,
	"suffix match in array":               true,
	"N emails, only last element has name — dedup loses the only valid match": true,
	"suffix match split": false,
}

func TestEventRulerCorrectnessCases(t *testing.T) {
	dir := testutil.SharedData(t, "eventbridge-pattern-tests", "event-ruler")
	var cases []struct {
		Name  string          `json:"name"`
		Rule  json.RawMessage `json:"rule"`
		Event json.RawMessage `json:"event"`
	}
	if err := json.Unmarshal(readShared(t, dir, "correctness-cases.json"), &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) != len(correctnessWant) {
		t.Errorf("%d cases upstream, %d expectations here", len(cases), len(correctnessWant))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			want, ok := correctnessWant[c.Name]
			if !ok {
				t.Fatalf("no expected result for case %q", c.Name)
			}
			if got := matches(t, string(c.Rule), string(c.Event)); got != want {
				t.Errorf("rule %s\nevent %s\nmatch = %v, want %v", c.Rule, c.Event, got, want)
			}
		})
	}
}

func TestEventRulerArrayFixtures(t *testing.T) {
	dir := testutil.SharedData(t, "eventbridge-pattern-tests", "event-ruler")
	s := NewSet()
	for _, name := range []string{"rule1", "rule2", "rule3"} {
		file := "arrayR" + strings.TrimPrefix(name, "r") + ".json"
		if err := s.Add(name, readShared(t, dir, file)); err != nil {
			t.Fatal(err)
		}
	}
	rule4, err := Compile(readShared(t, dir, "arrayRule4.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Known results (quamina's generic_machine_test.go, see SOURCE.md), plus
	// arrayRule4, whose values cover both elements of arrayEvent3.
	for _, tc := range []struct {
		event string
		want  []string
		rule4 bool
	}{
		{"arrayEvent1.json", []string{"rule1", "rule2"}, false},
		{"arrayEvent2.json", nil, false},
		{"arrayEvent3.json", nil, true},
		{"arrayEvent4.json", []string{"rule3"}, true},
	} {
		ev := readShared(t, dir, tc.event)
		got, err := s.MatchesJSON(ev)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: rules 1-3 matched %v, want %v", tc.event, got, tc.want)
		}
		if ok, _ := rule4.MatchJSON(ev); ok != tc.rule4 {
			t.Errorf("%s: rule4 match = %v, want %v", tc.event, ok, tc.rule4)
		}
	}
	// Quamina's copies of the fixtures must be the same files.
	qdir := testutil.SharedData(t, "eventbridge-pattern-tests", "quamina")
	for _, f := range []string{"arrayRule3.json", "arrayEvent3.json"} {
		if !bytes.Equal(readShared(t, dir, f), readShared(t, qdir, f)) {
			t.Errorf("%s differs between event-ruler and quamina", f)
		}
	}
}

func TestBigEvent(t *testing.T) {
	dir := testutil.SharedData(t, "eventbridge-pattern-tests", "event-ruler")
	rule := readShared(t, dir, "bigEventRule.json")
	ev := fastjson.MustParseBytes(readShared(t, dir, "bigEvent.json"))
	p, err := Compile(rule)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Match(ev) {
		t.Fatal("bigEventRule does not match bigEvent")
	}
	// Variants: a wrong constant, and array consistency across the 256 KB
	// change list (values taken from two different changes must not pair).
	for _, tc := range []struct {
		name, from, to string
		want           bool
	}{
		{"hostedZoneId mismatch", `"hostedZoneId": [
        ""
      ]`, `"hostedZoneId": ["Z1"]`, false},
		{"same change", `{ "prefix" : "A" }`, `"A50"`, true},
		{"other source", `"aws.route53"`, `"aws.ec2"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mod := strings.Replace(string(rule), tc.from, tc.to, 1)
			if mod == string(rule) {
				t.Fatalf("%q not found in the rule", tc.from)
			}
			if tc.name == "same change" {
				mod = strings.Replace(mod, `{ "prefix" : "CREATE" }`, `"CREATE47"`, 1)
			}
			if got := MustCompile(mod).Match(ev); got != tc.want {
				t.Errorf("match = %v, want %v", got, tc.want)
			}
		})
	}
	split := MustCompile(`{"detail":{"requestParameters":{"changeBatch":{"changes":{"action":["CREATE47"],"resourceRecordSet":{"type":["A63"]}}}}}}`)
	if split.Match(ev) {
		t.Error("action and type from different changes matched together")
	}
}

func TestOrRelationshipRules(t *testing.T) {
	dir := testutil.SharedData(t, "eventbridge-pattern-tests", "event-ruler")
	var rules []json.RawMessage
	if err := json.Unmarshal(readShared(t, dir, "orRelationshipRules.json"), &rules); err != nil {
		t.Fatal(err)
	}
	// Events per rule with the expected outcome; each rule's events check
	// that its $or is an OR and not a field named "$or".
	events := [][]struct {
		event string
		want  bool
	}{
		{ // metricName || namespace
			{`{"metricName":"CPUUtilization"}`, true},
			{`{"namespace":"AWS/ES"}`, true},
			{`{"metricName":"x","namespace":"y"}`, false},
			{`{"$or":{"metricName":"CPUUtilization"}}`, false},
		},
		{ // (metricName || namespace) && (detail.source || detail.detail-type)
			{`{"namespace":"AWS/EC2","detail":{"source":"aws.cloudwatch"}}`, true},
			{`{"metricName":"ReadLatency","detail":{"detail-type":"CloudWatch Alarm State Change"}}`, true},
			{`{"namespace":"AWS/EC2","detail":{"source":"aws.ec2"}}`, false},
			{`{"detail":{"source":"aws.cloudwatch"}}`, false},
		},
		{ // source && (metricName || (metricType && namespace) || scope)
			{`{"source":"aws.cloudwatch","metricType":"MetricType","namespace":"AWS/ES"}`, true},
			{`{"source":"aws.cloudwatch","scope":"Service"}`, true},
			{`{"source":"aws.cloudwatch","metricType":"MetricType"}`, false},
			{`{"metricName":"CPUUtilization"}`, false},
		},
		{ // source && (metricName || (metricType && namespace && (metricId || spaceId)) || scope)
			{`{"source":"aws.cloudwatch","metricType":"MetricType","namespace":"AWS/EC2","metricId":1234}`, true},
			{`{"source":"aws.cloudwatch","metricType":"MetricType","namespace":"AWS/EC2","spaceId":1000.0}`, true},
			{`{"source":"aws.cloudwatch","metricType":"MetricType","namespace":"AWS/EC2"}`, false},
			{`{"source":"aws.cloudwatch","metricName":"ReadLatency"}`, true},
		},
		{ // source && detail.state.value && (withConfiguration... || withoutConfiguration...)
			{`{"source":"aws.cloudwatch","detail":{"state":{"value":"ALARM"}},"withConfiguration":{"metrics":[{"metricStat":{"metric":{"namespace":"AWS/EC2"}}}]}}`, true},
			{`{"source":"aws.cloudwatch","detail":{"state":{"value":"ALARM"}},"withoutConfiguration":{"metric":{"name":"AWS/Default"}}}`, true},
			{`{"source":"aws.cloudwatch","detail":{"state":{"value":"OK"}},"withoutConfiguration":{"metric":{"name":"AWS/Default"}}}`, false},
			{`{"source":"aws.cloudwatch","detail":{"state":{"value":"ALARM"}}}`, false},
		},
	}
	if len(rules) != len(events) {
		t.Fatalf("%d rules upstream, expectations for %d", len(rules), len(events))
	}
	for i, r := range rules {
		for _, e := range events[i] {
			if got := matches(t, string(r), e.event); got != e.want {
				t.Errorf("rule %d on %s: match = %v, want %v", i, e.event, got, e.want)
			}
		}
	}
}

func TestWrongOrRelationshipRules(t *testing.T) {
	dir := testutil.SharedData(t, "eventbridge-pattern-tests", "event-ruler")
	var rules []json.RawMessage
	if err := json.Unmarshal(readShared(t, dir, "wrongOrRelationshipRules.json"), &rules); err != nil {
		t.Fatal(err)
	}
	wantPaths := []string{"$or", "detail.$or[2]"}
	if len(rules) != len(wantPaths) {
		t.Fatalf("%d rules upstream, want %d", len(rules), len(wantPaths))
	}
	for i, r := range rules {
		_, err := Compile(r)
		var pe *Error
		if err == nil || !errors.As(err, &pe) {
			t.Errorf("rule %d compiled or gave a non-*Error: %v", i, err)
			continue
		}
		if pe.Path != wantPaths[i] {
			t.Errorf("rule %d: error at %q, want %q (%v)", i, pe.Path, wantPaths[i], err)
		}
	}
}

func TestNormalRulesWithOrWording(t *testing.T) {
	dir := testutil.SharedData(t, "eventbridge-pattern-tests", "event-ruler")
	var rules []json.RawMessage
	if err := json.Unmarshal(readShared(t, dir, "normalRulesWithOrWording.json"), &rules); err != nil {
		t.Fatal(err)
	}
	// Legacy mode: "$or" is an ordinary field name in pattern and event.
	events := [][]struct {
		event string
		want  bool
	}{
		{
			{`{"$or":"10.0.0.7"}`, true},
			{`{"$or":"10.0.1.7"}`, false},
		},
		{
			{`{"source":"aws.cloudwatch","$or":{"metricType":"MetricType","namespace":"AWS/ES"}}`, true},
			{`{"source":"aws.cloudwatch","metricType":"MetricType","namespace":"AWS/ES"}`, false},
		},
		{
			{`{"time":"2017-10-02T00:00:00Z","detail":{"$or":3}}`, true},
			{`{"time":"2017-10-02T00:00:00Z","detail":{"$or":"10.1.2.3"}}`, true},
			{`{"time":"2017-10-02T00:00:00Z","detail":{"$or":7}}`, false},
			{`{"time":"2017-10-02T00:00:00Z","detail":{"c":3}}`, false},
		},
		{
			{`{"detail":{"$or":11}}`, true},
			{`{"detail":{"$or":7}}`, false},
		},
	}
	if len(rules) != len(events) {
		t.Fatalf("%d rules upstream, expectations for %d", len(rules), len(events))
	}
	for i, r := range rules {
		for _, e := range events[i] {
			if got := matches(t, string(r), e.event); got != e.want {
				t.Errorf("rule %d on %s: match = %v, want %v", i, e.event, got, e.want)
			}
		}
	}
}

// TestEventBridgeUserGuideExamples pairs the patterns and events of the
// EventBridge user guide (aws-docs-samples/eventbridge/blocks) with the
// outcomes the guide states, plus counter-examples.
func TestEventBridgeUserGuideExamples(t *testing.T) {
	dir := testutil.SharedData(t, "aws-docs-samples", "eventbridge", "blocks")
	block := func(prefix string) string {
		t.Helper()
		m, err := filepath.Glob(filepath.Join(dir, prefix+"_*"))
		if err != nil || len(m) != 1 {
			t.Fatalf("block %s: %v %v", prefix, m, err)
		}
		return string(readShared(t, dir, filepath.Base(m[0])))
	}
	// Blocks 008/009 are fragments ("resources": [...], with a trailing comma).
	fragment := func(prefix string) string {
		s := regexp.MustCompile(`,\s*]`).ReplaceAllString(block(prefix), "]")
		return "{" + s + "}"
	}
	// Block 012 holds two patterns one after the other.
	var p012 []string
	dec := json.NewDecoder(strings.NewReader(block("012")))
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		p012 = append(p012, string(raw))
	}
	if len(p012) != 2 {
		t.Fatalf("block 012: %d patterns, want 2", len(p012))
	}
	const ec2 = `{"time":"2017-10-02T18:43:48Z","detail":{"state":"running","c-count":5,"d-count":3,"x-limit":301.8}}`
	runMatchCases(t, []matchCase{
		{"002 on 001", block("002"), block("001"), true},
		{"002 on 029", block("002"), block("029"), true},
		{"002 on 019 (pending)", block("002"), block("019"), false},
		{"003 on 001", block("003"), block("001"), true},
		{"003 on 004", block("003"), block("004"), false},
		{"005 null on 004", block("005"), block("004"), true},
		{"005 null on 001", block("005"), block("001"), false},
		{"007 macie", block("007"), `{"source":"aws.macie","detail-type":"Macie Finding","detail":{"severity":{"score":1,"description":"Low"},"count":2}}`, true},
		{"007 macie count 3", block("007"), `{"source":"aws.macie","detail-type":"Macie Finding","detail":{"severity":{"score":1},"count":3}}`, false},
		{"008 on 009 arrays", fragment("008"), fragment("009"), true},
		{"008 on other arns", fragment("008"), `{"resources":["arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f"]}`, false},
		{"010 prefix", block("010"), `{"time":"2017-10-02T18:43:48Z"}`, true},
		{"010 prefix on 001", block("010"), block("001"), false},
		{"011 suffix", block("011"), `{"FileName":"image.png"}`, true},
		{"011 suffix jpg", block("011"), `{"FileName":"image.jpg"}`, false},
		{"012a anything-but", p012[0], ec2, true},
		{"012a anything-but excluded", p012[0], `{"detail":{"state":"initializing"}}`, false},
		{"012b anything-but number", p012[1], ec2, true},
		{"012b anything-but number excluded", p012[1], `{"detail":{"x-limit":123.0}}`, false},
		{"013 anything-but list", block("013"), ec2, true},
		{"013 anything-but list excluded", block("013"), `{"detail":{"state":"stopped"}}`, false},
		{"014 anything-but numbers", block("014"), ec2, true},
		{"014 anything-but numbers excluded", block("014"), `{"detail":{"x-limit":200}}`, false},
		{"015 anything-but prefix", block("015"), ec2, true},
		{"015 anything-but prefix excluded", block("015"), `{"detail":{"state":"initializing"}}`, false},
		{"016 numeric", block("016"), ec2, true},
		{"016 numeric c-count 0", block("016"), `{"detail":{"c-count":0,"d-count":3,"x-limit":301.8}}`, false},
		{"017 cidr", block("017"), `{"detail":{"sourceIPAddress":"10.0.0.255"}}`, true},
		{"017 cidr outside", block("017"), `{"detail":{"sourceIPAddress":"10.0.1.0"}}`, false},
		{"018 exists on 019", block("018"), block("019"), true},
		{"018 exists on 020", block("018"), block("020"), false},
		{"021 ignore case on 022", block("021"), block("022"), true},
		{"021 ignore case on 004", block("021"), block("004"), false},
		{"023 complex", block("023"), ec2, true},
		{"023 complex on 001", block("023"), block("001"), false},
		{"024 location", block("024"), `{"detail":{"location":"us-west-2"}}`, true},
		{"024 location excluded", block("024"), `{"detail":{"location":"us-east"}}`, false},
		{"025 $or", block("025"), `{"detail":{"c-count":7,"d-count":20,"x-limit":301.8}}`, true},
		{"025 $or none", block("025"), `{"detail":{"c-count":7,"d-count":20,"x-limit":300}}`, false},
		{"027 empty string on 026", block("027"), block("026"), true},
		{"028 null on 026", block("028"), block("026"), true},
		{"027 empty string is not null", block("027"), `{"detail":{"eventVersion":null}}`, false},
		{"028 null is not empty string", block("028"), `{"detail":{"responseElements":""}}`, false},
		{"036 fixed, on 034", block("036") + "}", block("034"), true},
		{"036 fixed, other city", block("036") + "}", strings.Replace(block("034"), "Seattle", "Portland", 1), false},
	})
	// Block 036 is printed in the guide without its closing brace.
	if _, err := Compile([]byte(block("036"))); err == nil {
		t.Error("block 036 (unbalanced braces) compiled")
	}
}

// TestGuardDutyUserGuidePatterns runs the GuardDuty guide's EventBridge
// patterns (written when EventBridge compared numbers as text, hence both
// 4 and 4.0) against the envelope fixture.
func TestGuardDutyUserGuidePatterns(t *testing.T) {
	dir := testutil.SharedData(t, "aws-docs-samples", "guardduty", "blocks")
	sev, err := Compile(readShared(t, dir, "002_guardduty_findings_cloudwatch.json"))
	if err != nil {
		t.Fatal(err)
	}
	acct, err := Compile(readShared(t, dir, "005_guardduty_findings_cloudwatch.json"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("testdata/guardduty_finding_event.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		severity string
		want     bool
	}{{"8", true}, {"5.0", true}, {"4.1", true}, {"8.9", true}, {"9", false}, {"4.05", false}, {"2", false}} {
		ev := fastjson.MustParseBytes(raw)
		ev.Get("detail").Set("severity", fastjson.MustParse(tc.severity))
		if got := sev.Match(ev); got != tc.want {
			t.Errorf("severity %s: match = %v, want %v", tc.severity, got, tc.want)
		}
	}
	ev := fastjson.MustParseBytes(raw)
	if !acct.Match(ev) {
		t.Error("account pattern does not match the fixture's account")
	}
	ev.Get("detail").Set("accountId", fastjson.MustParse(`"111122223333"`))
	if acct.Match(ev) {
		t.Error("account pattern matches another account")
	}
}

// TestPerfScenarios rebuilds event-ruler's pathological array-heavy
// scenarios (perf-scenarios.json names the generators, whose shapes are
// reconstructed here) and checks expectedMatches at the largest size.
func TestPerfScenarios(t *testing.T) {
	dir := testutil.SharedData(t, "eventbridge-pattern-tests", "event-ruler")
	var scenarios []struct {
		Name      string          `json:"name"`
		Rule      json.RawMessage `json:"rule"`
		Generator string          `json:"generator"`
		Sizes     []int           `json:"sizes"`
		Expected  int             `json:"expectedMatches"`
	}
	if err := json.Unmarshal(readShared(t, dir, "perf-scenarios.json"), &scenarios); err != nil {
		t.Fatal(err)
	}
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			gen, ok := perfGenerators[sc.Generator]
			if !ok {
				t.Fatalf("no generator %q", sc.Generator)
			}
			p, err := Compile(sc.Rule)
			if err != nil {
				t.Fatal(err)
			}
			n := slices.Max(sc.Sizes)
			got := 0
			if ok, err := p.MatchJSON([]byte(gen(n))); err != nil {
				t.Fatal(err)
			} else if ok {
				got = 1
			}
			if got != sc.Expected {
				t.Errorf("n=%d: %d matches, want %d", n, got, sc.Expected)
			}
		})
	}
}

func jsonList(n int, f func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = f(i)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

var perfGenerators = map[string]func(n int) string{
	"primArrayPlusScalar": func(n int) string {
		return `{"d":{"tags":` + jsonList(n, func(i int) string { return fmt.Sprintf(`"t%d"`, i) }) + `,"type":"GROUP"}}`
	},
	"primArrayOnly": func(n int) string {
		return `{"d":{"tags":` + jsonList(n, func(i int) string { return fmt.Sprintf(`"t%d"`, i) }) + `}}`
	},
	"objArrayBothFields": func(n int) string {
		return `{"d":` + jsonList(n, func(i int) string { return fmt.Sprintf(`{"a":%d,"b":%d}`, i, i) }) + `}`
	},
	"objArrayLastValid": func(n int) string {
		return `{"d":` + jsonList(n, func(i int) string {
			if i == n-1 {
				return fmt.Sprintf(`{"a":%d,"b":%d}`, i, i)
			}
			return fmt.Sprintf(`{"a":%d}`, i)
		}) + `}`
	},
	"objArrayAllPartial": func(n int) string {
		return `{"d":` + jsonList(n, func(i int) string {
			if i%2 == 0 {
				return fmt.Sprintf(`{"a":%d}`, i)
			}
			return fmt.Sprintf(`{"b":%d}`, i)
		}) + `}`
	},
	"customerLike": func(n int) string {
		return `{"detail":{"data":` + jsonList(n, func(i int) string {
			return fmt.Sprintf(`{"name":"user%d","type":"GROUP","domains":[{"email":"u%d@example.com"},{"other":1}]}`, i, i)
		}) + `,"context":{"companyId":"c1","userId":"u1","email":"u1@example.com"}}}`
	},
	"primInsideObjArray": func(n int) string {
		return `{"detail":{"data":` + jsonList(3, func(int) string {
			return `{"name":` + jsonList(n, func(i int) string { return fmt.Sprintf(`"n%d"`, i) }) + `,"type":"GROUP"}`
		}) + `}}`
	},
	"noObjArrayLargePrim": func(n int) string {
		return `{"detail":{"data":{"name":` + jsonList(n, func(i int) string { return fmt.Sprintf(`"n%d"`, i) }) + `,"type":"GROUP"}}}`
	},
	"nested2Level": func(n int) string {
		return `{"a":` + jsonList(n, func(i int) string {
			return `{"b":` + jsonList(10, func(j int) string {
				if i == n-1 && j == 9 {
					return `{"x":1,"y":2}`
				}
				return `{"x":1}`
			}) + `}`
		}) + `}`
	},
	"deepNestedPrim": func(n int) string {
		return `{"a":` + jsonList(3, func(int) string {
			return `{"b":{"tags":` + jsonList(n, func(i int) string { return fmt.Sprintf(`"t%d"`, i) }) + `,"type":"x"}}`
		}) + `}`
	},
	"wideRulePrimArray": func(n int) string {
		return `{"d":{"a":` + jsonList(n, func(i int) string { return fmt.Sprintf(`"v%d"`, i) }) + `,"b":"x","c":"y"}}`
	},
	"twoPrimArrays": func(n int) string {
		list := jsonList(n, func(i int) string { return fmt.Sprintf(`"v%d"`, i) })
		return `{"tags":` + list + `,"cats":` + list + `,"v":"1"}`
	},
	"controlScalar": func(int) string { return `{"a":1,"b":2}` },
}

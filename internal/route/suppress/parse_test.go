package suppress

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestParseCriteriaErrors(t *testing.T) {
	many := func(n int, f func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = f(i)
		}
		return strings.Join(parts, ",")
	}
	tests := []struct {
		name, src   string
		field, op   string // want in the *Error
		msgContains string
	}{
		{"not JSON", `{"Criterion":`, "", "", "invalid JSON"},
		{"not an object", `["type"]`, "", "", "must be a JSON object"},
		{"no Criterion", `{}`, "", "", "no Criterion"},
		{"unknown top key", `{"Criterion":{"type":{"Equals":["x"]}},"Rank":1}`, "", "", `unknown key "Rank"`},
		{"Criterion twice", `{"Criterion":{"type":{"Equals":["x"]}},"criterion":{}}`, "", "", "given twice"},
		{"Criterion not object", `{"Criterion":[]}`, "", "", "object of fields"},
		{"empty Criterion", `{"Criterion":{}}`, "", "", "no fields"},
		{"condition not object", `{"Criterion":{"type":["x"]}}`, "type", "", "object of operators"},
		{"no operators", `{"Criterion":{"type":{}}}`, "type", "", "no operators"},
		{"unknown operator", `{"Criterion":{"type":{"Contains":["x"]}}}`, "type", "Contains", "unknown operator"},
		{"prefix is not an operator", `{"Criterion":{"type":{"Prefix":["x"]}}}`, "type", "Prefix", "unknown operator"},
		{"empty list", `{"Criterion":{"type":{"Equals":[]}}}`, "type", "Equals", "empty list"},
		{"empty not-equals list", `{"Criterion":{"type":{"NotEquals":[]}}}`, "type", "NotEquals", "empty list"},
		{"empty matches list", `{"Criterion":{"type":{"Matches":[]}}}`, "type", "Matches", "empty list"},
		{"scalar for a list", `{"Criterion":{"type":{"Equals":"x"}}}`, "type", "Equals", "wants a list"},
		{"list for a bound", `{"Criterion":{"severity":{"Gt":[5]}}}`, "severity", "Gt", "not a list"},
		{"object value", `{"Criterion":{"type":{"Equals":[{"a":1}]}}}`, "type", "Equals", "values must be strings"},
		{"object operand", `{"Criterion":{"severity":{"Gt":{"a":1}}}}`, "severity", "Gt", "not an object"},
		{"null value", `{"Criterion":{"type":{"Equals":[null]}}}`, "type", "Equals", "null"},
		{"null bound", `{"Criterion":{"severity":{"Gt":null}}}`, "severity", "Gt", "null"},
		{"empty value", `{"Criterion":{"type":{"Equals":[""]}}}`, "type", "Equals", "empty value"},
		{"empty pattern", `{"Criterion":{"type":{"Matches":[""]}}}`, "type", "Matches", "empty pattern"},
		{"invalid UTF-8", "{\"Criterion\":{\"type\":{\"Equals\":[\"\xff\"]}}}", "type", "Equals", "UTF-8"},
		{"unknown field", `{"Criterion":{"resource.instanceDetail.instanceId":{"Equals":["i-1"]}}}`, "resource.instanceDetail.instanceId", "", "not a filterable field"},
		{"field case", `{"Criterion":{"Type":{"Equals":["x"]}}}`, "Type", "", `did you mean "type"`},
		{"field case deep", `{"Criterion":{"resource.instanceDetails.instanceID":{"Equals":["x"]}}}`, "resource.instanceDetails.instanceID", "", `did you mean "resource.instanceDetails.instanceId"`},
		{"object field", `{"Criterion":{"resource.instanceDetails":{"Equals":["x"]}}}`, "resource.instanceDetails", "", "is an object"},
		{"map field", `{"Criterion":{"service.additionalInfo":{"Equals":["x"]}}}`, "service.additionalInfo", "", "is a map"},
		{"below a scalar", `{"Criterion":{"type.name":{"Equals":["x"]}}}`, "type.name", "", "not a filterable field"},
		{"empty segment", `{"Criterion":{"service.additionalInfo..x":{"Equals":["x"]}}}`, "service.additionalInfo..x", "", "empty path segment"},
		{"json-ignored field", `{"Criterion":{"Keys.Resource":{"Equals":["x"]}}}`, "Keys.Resource", "", "not a filterable field"},
		{"duplicate field", `{"Criterion":{"type":{"Equals":["x"]},"type":{"Equals":["y"]}}}`, "type", "", "given twice"},
		{"duplicate operator", `{"Criterion":{"type":{"Equals":["x"],"Equals":["y"]}}}`, "type", "Equals", "given twice"},
		{"operator and its alias", `{"Criterion":{"type":{"Equals":["x"],"Eq":["y"]}}}`, "type", "Eq", "same operator"},
		{"bound and its alias", `{"Criterion":{"severity":{"Gte":1,"greaterThanOrEqual":2}}}`, "severity", "greaterThanOrEqual", "same operator"},
		{"severity not a number", `{"Criterion":{"severity":{"Equals":["high"]}}}`, "severity", "Equals", `"high" is not a number`},
		{"severity bound not a number", `{"Criterion":{"severity":{"Gte":"high"}}}`, "severity", "Gte", `"high" is not a number`},
		{"severity bound not a time", `{"Criterion":{"severity":{"Gte":"2024-01-01T00:00:00Z"}}}`, "severity", "Gte", "is not a number"},
		{"infinite bound", `{"Criterion":{"severity":{"Gte":1e999}}}`, "severity", "Gte", "is not a number"},
		{"boolean spelling", `{"Criterion":{"service.archived":{"Equals":["False"]}}}`, "service.archived", "Equals", `want "true" or "false"`},
		{"boolean range", `{"Criterion":{"service.archived":{"Gt":0}}}`, "service.archived", "Gt", "is a boolean"},
		{"string range", `{"Criterion":{"type":{"GreaterThan":5}}}`, "type", "GreaterThan", "is a string"},
		{"account range", `{"Criterion":{"accountId":{"Lt":5}}}`, "accountId", "Lt", "is a string"},
		{"matches on a number", `{"Criterion":{"severity":{"Matches":["7*"]}}}`, "severity", "Matches", "wildcards apply to strings"},
		{"matches on a time", `{"Criterion":{"updatedAt":{"Matches":["2024-*"]}}}`, "updatedAt", "Matches", "is a time"},
		{"time not parseable", `{"Criterion":{"updatedAt":{"Gt":"yesterday"}}}`, "updatedAt", "Gt", "RFC3339"},
		{"time equals not parseable", `{"Criterion":{"updatedAt":{"Equals":["2024-03-01"]}}}`, "updatedAt", "Equals", "not a time"},
		{"bad escape", `{"Criterion":{"type":{"Matches":["Recon:\\d"]}}}`, "type", "Matches", `bad escape \d`},
		{"trailing backslash", `{"Criterion":{"type":{"NotMatches":["Recon\\"]}}}`, "type", "NotMatches", "trailing backslash"},
		{"too many values", `{"Criterion":{"accountId":{"Equals":[` + many(51, func(i int) string { return fmt.Sprintf(`"%012d"`, i) }) + `]}}}`, "accountId", "Equals", "at most 50"},
		{"too many fields", `{"Criterion":{` + many(51, func(i int) string { return fmt.Sprintf(`"service.additionalInfo.k%d":{"Equals":["x"]}`, i) }) + `}}`, "", "", "at most 50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCriteria([]byte(tt.src))
			if err == nil {
				t.Fatalf("parsed: %s", c)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if e.Field != tt.field || e.Op != tt.op {
				t.Errorf("field, op = %q, %q; want %q, %q (%v)", e.Field, e.Op, tt.field, tt.op, err)
			}
			if !strings.Contains(err.Error(), tt.msgContains) {
				t.Errorf("error %q does not say %q", err, tt.msgContains)
			}
			if !c.IsZero() {
				t.Error("a failed parse returned criteria")
			}
		})
	}
}

func TestParseLimitsAccepted(t *testing.T) {
	vals := make([]string, MaxValues)
	for i := range vals {
		vals[i] = fmt.Sprintf(`"%012d"`, i)
	}
	if _, err := ParseCriteria([]byte(`{"Criterion":{"accountId":{"Equals":[` + strings.Join(vals, ",") + `]}}}`)); err != nil {
		t.Errorf("%d values: %v", MaxValues, err)
	}
}

// Operator names are case-insensitive: the API spells them in camelCase,
// the CLI and CloudFormation in PascalCase.
func TestOperatorSpellings(t *testing.T) {
	want := mustCriteria(t, `{"Criterion":{"severity":{"GreaterThan":1,"GreaterThanOrEqual":2,"LessThan":9,"LessThanOrEqual":8},"type":{"Equals":["a"],"NotEquals":["b"],"Matches":["c*"],"NotMatches":["d*"]}}}`).String()
	for _, src := range []string{
		`{"criterion":{"severity":{"greaterThan":1,"greaterThanOrEqual":2,"lessThan":9,"lessThanOrEqual":8},"type":{"equals":["a"],"notEquals":["b"],"matches":["c*"],"notMatches":["d*"]}}}`,
		`{"Criterion":{"type":{"Eq":["a"],"Neq":["b"],"MATCHES":["c*"],"notmatches":["d*"]},"severity":{"Gt":1,"Gte":2,"Lt":9,"Lte":8}}}`,
	} {
		if got := mustCriteria(t, src).String(); got != want {
			t.Errorf("%s\n got %s\nwant %s", src, got, want)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	tests := []struct{ in, want string }{
		{
			`{"Criterion":{"type":{"Eq":["Recon:EC2/PortProbeUnprotectedPort"]},"severity":{"Gte":4,"Lt":7.5}}}`,
			`{"Criterion":{"type":{"Equals":["Recon:EC2/PortProbeUnprotectedPort"]},"severity":{"GreaterThanOrEqual":4,"LessThan":7.5}}}`,
		},
		{ // fields sorted, "type" first; RFC3339 bounds become epoch ms
			`{"Criterion":{"updatedAt":{"GreaterThan":"2024-03-03T00:00:00Z"},"accountId":{"NotEquals":[123456789012]},"type":{"Matches":["Recon:*"]}}}`,
			`{"Criterion":{"type":{"Matches":["Recon:*"]},"accountId":{"NotEquals":["123456789012"]},"updatedAt":{"GreaterThan":1709424000000}}}`,
		},
		{ // values keep their text and order; no HTML escaping
			`{"Criterion":{"type":{"Equals":["Backdoor:EC2/C&CActivity.B!DNS","<a>"]},"service.action.awsApiCallAction.userAgent":{"NotMatches":["*(\\*test\\*)"]}}}`,
			`{"Criterion":{"type":{"Equals":["Backdoor:EC2/C&CActivity.B!DNS","<a>"]},"service.action.awsApiCallAction.userAgent":{"NotMatches":["*(\\*test\\*)"]}}}`,
		},
		{ // time Equals values keep their spelling
			`{"Criterion":{"updatedAt":{"Equals":["2024-03-01T11:45:30.500Z","1709293530500"]}}}`,
			`{"Criterion":{"updatedAt":{"Equals":["2024-03-01T11:45:30.500Z","1709293530500"]}}}`,
		},
	}
	for _, tt := range tests {
		c := mustCriteria(t, tt.in)
		if got := c.String(); got != tt.want {
			t.Errorf("String(%s)\n got %s\nwant %s", tt.in, got, tt.want)
		}
		// encoding/json HTML-escapes what MarshalJSON returns; the text
		// differs, the JSON does not.
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var back Criteria
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("Unmarshal(%s): %v", b, err)
		}
		if back.String() != tt.want {
			t.Errorf("round trip changed %s to %s", tt.want, back)
		}
	}
	if got := mustCriteria(t, tests[1].in).Fields(); !slices.Equal(got, []string{"type", "accountId", "updatedAt"}) {
		t.Errorf("Fields = %v", got)
	}
	// Zero criteria marshal as null, and null leaves criteria untouched.
	b, _ := json.Marshal(Criteria{})
	if string(b) != "null" {
		t.Errorf("zero criteria marshal as %s", b)
	}
	c := mustCriteria(t, tests[0].in)
	if err := json.Unmarshal([]byte("null"), &c); err != nil || c.IsZero() {
		t.Errorf("null: %v, %s", err, c)
	}
	if err := json.Unmarshal([]byte(`{"Criterion":{"type":{"Bogus":["x"]}}}`), &c); err == nil {
		t.Error("UnmarshalJSON accepted a bad operator")
	}
}

func TestYAML(t *testing.T) {
	src := `
criteria:
  Criterion:
    type:
      Equals: [Recon:EC2/PortProbeUnprotectedPort]
    accountId:
      NotEquals: [123456789012, "210987654321"]
    severity: {GreaterThanOrEqual: 2, Lt: 5}
    service.archived:
      Eq: [false]
    updatedAt:
      LessThan: 2024-03-03T00:00:00Z
`
	var doc struct{ Criteria Criteria }
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	want := `{"Criterion":{"type":{"Equals":["Recon:EC2/PortProbeUnprotectedPort"]},"accountId":{"NotEquals":["123456789012","210987654321"]},"service.archived":{"Equals":["false"]},"severity":{"GreaterThanOrEqual":2,"LessThan":5},"updatedAt":{"LessThan":1709424000000}}}`
	if got := doc.Criteria.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	fx := loadFixtures(t)
	if doc.Criteria.Match(fx["portprobe"]) {
		t.Error("matched portprobe, whose account is excluded")
	}
	f := *fx["portprobe"]
	f.AccountID = "999999999999"
	if !doc.Criteria.Match(&f) {
		t.Error("did not match portprobe from another account")
	}

	// Marshal and parse back.
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var back struct{ Criteria Criteria }
	if err := yaml.Unmarshal(out, &back); err != nil {
		t.Fatalf("%v in\n%s", err, out)
	}
	if back.Criteria.String() != want {
		t.Errorf("YAML round trip:\n%s\ngave %s", out, back.Criteria)
	}

	// Errors carry the line.
	bad := "Criterion:\n  type:\n    Equals: [a]\n  severity:\n    Gte: high\n"
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(bad), &n); err != nil {
		t.Fatal(err)
	}
	_, err = ParseCriteriaYAML(&n)
	var e *Error
	if !errors.As(err, &e) || e.Line != 5 || e.Field != "severity" || e.Op != "Gte" {
		t.Errorf("error %#v (%v), want line 5, severity, Gte", e, err)
	}
	for _, bad := range []string{
		"type: {Equals: [a]}",                                                  // no Criterion
		"Criterion: [a]",                                                       // not a mapping
		"Criterion:\n  type: [a]",                                              // condition not a mapping
		"Criterion:\n  type: {Equals: a}",                                      // scalar for a list
		"Criterion:\n  type: {Equals: [[a]]}",                                  // nested list
		"Criterion:\n  type: {Equals: [null]}",                                 // null
		"Criterion:\n  type: {Equals: []}",                                     // empty
		"Criterion:\n  severity: {Gt: {a: 1}}",                                 // mapping operand
		"Criterion:\n  severity: {Gt: 0x10}",                                   // not a decimal number
		"Criterion:\n  type: {Like: [a]}",                                      // unknown operator
		"Criterion: {}",                                                        // no fields
		"Criterion:\n  type: {Equals: [a]}\nCriterion:\n  type: {Equals: [b]}", // twice
	} {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(bad), &n); err != nil {
			continue // yaml itself refuses
		}
		if c, err := ParseCriteriaYAML(&n); err == nil {
			t.Errorf("%q parsed as %s", bad, c)
		}
	}
	if _, err := ParseCriteriaYAML(nil); err == nil {
		t.Error("nil node parsed")
	}
}

func TestParseTerms(t *testing.T) {
	tests := []struct {
		terms []string
		want  string
	}{
		{
			[]string{"type=Recon:EC2/PortProbeUnprotectedPort", "severity>=7", "accountId!=123456789012", "resource.instanceDetails.instanceId~i-0abc*"},
			`{"Criterion":{"type":{"Equals":["Recon:EC2/PortProbeUnprotectedPort"]},"accountId":{"NotEquals":["123456789012"]},"resource.instanceDetails.instanceId":{"Matches":["i-0abc*"]},"severity":{"GreaterThanOrEqual":7}}}`,
		},
		{ // repeated terms OR their values; range from two terms; spaces around operators
			[]string{"type = A", "type=B", "severity > 2", "severity<=8", "region !~ eu-*", "region!~ap-*"},
			`{"Criterion":{"type":{"Equals":["A","B"]},"region":{"NotMatches":["eu-*","ap-*"]},"severity":{"GreaterThan":2,"LessThanOrEqual":8}}}`,
		},
		{ // the value runs to the end: operators inside it are text
			[]string{"service.action.awsApiCallAction.userAgent=a=b>c", "updatedAt<2024-03-03T00:00:00Z"},
			`{"Criterion":{"service.action.awsApiCallAction.userAgent":{"Equals":["a=b>c"]},"updatedAt":{"LessThan":1709424000000}}}`,
		},
	}
	for _, tt := range tests {
		c, err := ParseTerms(tt.terms)
		if err != nil {
			t.Errorf("%q: %v", tt.terms, err)
			continue
		}
		if got := c.String(); got != tt.want {
			t.Errorf("%q\n got %s\nwant %s", tt.terms, got, tt.want)
		}
	}

	// The brief's example matches the port probe fixture once the account
	// differs.
	fx := loadFixtures(t)
	c, err := ParseTerms([]string{"type=Recon:EC2/PortProbeUnprotectedPort", "severity<=2", "accountId!=999999999999", "resource.instanceDetails.instanceId~i-0abc*"})
	if err != nil {
		t.Fatal(err)
	}
	for n, f := range fx {
		if got := c.Match(f); got != (n == "portprobe") {
			t.Errorf("%s: %v", n, got)
		}
	}
}

func TestParseTermsErrors(t *testing.T) {
	tests := []struct {
		terms     []string
		term, col int
		field, op string
		msg       string
	}{
		{[]string{"=x"}, 1, 1, "", "", "missing field name"},
		{[]string{"type=A", "  >=7"}, 2, 3, "", "", "missing field name"},
		{[]string{"severity"}, 1, 9, "severity", "", "expected an operator"},
		{[]string{"type=A", "severity 7"}, 2, 10, "severity", "", "expected an operator"},
		{[]string{"severity>="}, 1, 11, "severity", ">=", "missing value"},
		{[]string{"type==A"}, 1, 5, "type", "==", `use "="`},
		{[]string{"type=A", "severity>=high"}, 2, 11, "severity", ">=", `"high" is not a number`},
		{[]string{"type=A", "service.archived=False"}, 2, 18, "service.archived", "=", `want "true" or "false"`},
		{[]string{"type~Recon:\\d"}, 1, 6, "type", "~", "bad escape"},
		{[]string{"severity~7*"}, 1, 9, "severity", "~", "wildcards apply to strings"},
		{[]string{"type>3"}, 1, 5, "type", ">", "is a string"},
		{[]string{"type=A", "Type=B"}, 2, 1, "Type", "", `did you mean "type"`},
		{[]string{"severity>=2", "severity>=3"}, 2, 9, "severity", ">=", "given twice"},
		{[]string{"updatedAt>last week"}, 1, 11, "updatedAt", ">", "RFC3339"},
		{nil, 0, 0, "", "", "no terms"},
	}
	for _, tt := range tests {
		_, err := ParseTerms(tt.terms)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: error %v is not an *Error", tt.terms, err)
			continue
		}
		if e.Term != tt.term || e.Col != tt.col || e.Field != tt.field || e.Op != tt.op || !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("%q: got term %d col %d field %q op %q msg %q; want %d %d %q %q %q",
				tt.terms, e.Term, e.Col, e.Field, e.Op, e.Msg, tt.term, tt.col, tt.field, tt.op, tt.msg)
		}
		if tt.term > 0 && !strings.Contains(err.Error(), fmt.Sprintf("term %d %q, col %d", tt.term, tt.terms[tt.term-1], tt.col)) {
			t.Errorf("message %q lacks the term and column", err)
		}
	}
	// 51 values for one field, the 51st named.
	terms := make([]string, 51)
	for i := range terms {
		terms[i] = fmt.Sprintf("accountId=%012d", i)
	}
	_, err := ParseTerms(terms)
	var e *Error
	if !errors.As(err, &e) || e.Term != 51 {
		t.Errorf("51 values: %v", err)
	}
}

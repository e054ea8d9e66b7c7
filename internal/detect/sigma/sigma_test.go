package sigma

import (
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// compileOne compiles a rule whose detection section is det (YAML, indented
// under "detection:").
func compileOne(t *testing.T, det string, o Options) (*CompiledRule, error) {
	t.Helper()
	src := "title: Test rule\nid: 11111111-2222-3333-4444-555555555555\nlevel: high\ntags: [attack.stealth]\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n" + det
	rules, errs := Parse("test.yml", []byte(src))
	if len(errs) > 0 {
		return nil, errs[0]
	}
	crs, errs := Compile(rules, o)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return crs[0], nil
}

func matches(t *testing.T, r *CompiledRule, ev string) bool {
	t.Helper()
	v, err := fastjson.Parse(ev)
	if err != nil {
		t.Fatalf("bad test event %s: %v", ev, err)
	}
	var c evalCtx
	c.reset(v)
	return r.det.match(&c)
}

// The semantics of the Sigma specification, one behaviour per row: each
// row has events that must match and events that must not.
func TestSemantics(t *testing.T) {
	cases := []struct {
		name    string
		det     string
		opts    Options
		yes, no []string
	}{
		{"exact is case-insensitive", "  sel:\n    eventName: StopLogging\n  condition: sel\n",
			Options{}, []string{`{"eventName":"StopLogging"}`, `{"eventName":"stoplogging"}`}, []string{`{"eventName":"StopLoggingX"}`, `{}`}},
		{"cased", "  sel:\n    eventName|cased: StopLogging\n  condition: sel\n",
			Options{}, []string{`{"eventName":"StopLogging"}`}, []string{`{"eventName":"stoplogging"}`}},
		{"list is OR", "  sel:\n    eventName: [A, B]\n  condition: sel\n",
			Options{}, []string{`{"eventName":"a"}`, `{"eventName":"B"}`}, []string{`{"eventName":"C"}`}},
		{"map is AND", "  sel:\n    a: x\n    b: y\n  condition: sel\n",
			Options{}, []string{`{"a":"x","b":"y"}`}, []string{`{"a":"x"}`, `{"a":"x","b":"z"}`}},
		{"list of maps is OR", "  sel:\n    - a: x\n    - b: y\n  condition: sel\n",
			Options{}, []string{`{"a":"x"}`, `{"b":"y"}`}, []string{`{"a":"y","b":"x"}`}},
		{"wildcards", "  sel:\n    f: 'ab*cd?f'\n  condition: sel\n",
			Options{}, []string{`{"f":"abcdef"}`, `{"f":"ABxxCDxF"}`, `{"f":"ab*cd?f"}`}, []string{`{"f":"abcdf"}`, `{"f":"xabcdef"}`}},
		{"escaped wildcard is literal", "  sel:\n    f: 'a\\*b'\n  condition: sel\n",
			Options{}, []string{`{"f":"a*b"}`}, []string{`{"f":"axb"}`}},
		{"escaped backslash then wildcard", "  sel:\n    f: 'a\\\\*'\n  condition: sel\n",
			Options{}, []string{`{"f":"a\\"}`, `{"f":"a\\zz"}`}, []string{`{"f":"az"}`}},
		{"lone backslash stays", "  sel:\n    f: 'C:\\Windows'\n  condition: sel\n",
			Options{}, []string{`{"f":"c:\\windows"}`}, []string{`{"f":"C:Windows"}`}},
		{"null is absent or null", "  sel:\n    errorCode: null\n  condition: sel\n",
			Options{}, []string{`{}`, `{"errorCode":null}`}, []string{`{"errorCode":"AccessDenied"}`, `{"errorCode":""}`}},
		{"null or value", "  sel:\n    errorCode: [null, Success]\n  condition: sel\n",
			Options{}, []string{`{}`, `{"errorCode":"success"}`}, []string{`{"errorCode":"AccessDenied"}`}},
		{"empty string is not null", "  sel:\n    f: ''\n  condition: sel\n",
			Options{}, []string{`{"f":""}`}, []string{`{}`, `{"f":null}`, `{"f":"x"}`}},
		{"contains star is any value", "  sel:\n    f|contains: '*'\n  condition: sel\n",
			Options{}, []string{`{"f":"****"}`, `{"f":"x"}`, `{"f":{"a":1}}`, `{"f":5}`}, []string{`{}`, `{"f":null}`}},
		{"contains", "  sel:\n    f|contains: 'Bin/Sh'\n  condition: sel\n",
			Options{}, []string{`{"f":"/usr/bin/sh -c"}`}, []string{`{"f":"/usr/bin/bash"}`}},
		{"contains all", "  sel:\n    f|contains|all: [a, b]\n  condition: sel\n",
			Options{}, []string{`{"f":"xAyBz"}`}, []string{`{"f":"xaz"}`}},
		{"startswith endswith", "  sel:\n    a|startswith: Up\n    b|endswith: .exe\n  condition: sel\n",
			Options{}, []string{`{"a":"UpdateX","b":"C:\\x.EXE"}`}, []string{`{"a":"xUp","b":"a.exe"}`, `{"a":"Up","b":"a.exec"}`}},
		{"nested field", "  sel:\n    responseElements.ConsoleLogin: Success\n  condition: sel\n",
			Options{}, []string{`{"responseElements":{"ConsoleLogin":"Success"}}`}, []string{`{"responseElements":{"ConsoleLogin":"Failure"}}`, `{"responseElements":null}`}},
		{"dotted key", "  sel:\n    a.b: x\n  condition: sel\n",
			Options{}, []string{`{"a.b":"x"}`, `{"a":{"b":"x"}}`}, []string{`{"a":{"c":"x"}}`}},
		{"field inside arrays", "  sel:\n    requestParameters.items.name: web\n  condition: sel\n",
			Options{}, []string{`{"requestParameters":{"items":[{"name":"db"},{"name":"WEB"}]}}`, `{"requestParameters":[{"items":{"name":"web"}}]}`},
			[]string{`{"requestParameters":{"items":[{"name":"db"}]}}`}},
		{"array value matches any element", "  sel:\n    sourceIPs: 10.0.0.1\n  condition: sel\n",
			Options{}, []string{`{"sourceIPs":["1.2.3.4","10.0.0.1"]}`}, []string{`{"sourceIPs":["1.2.3.4"]}`}},
		{"boolean as text", "  sel:\n    requestParameters.enable: 'false'\n  condition: sel\n",
			Options{}, []string{`{"requestParameters":{"enable":false}}`, `{"requestParameters":{"enable":"False"}}`}, []string{`{"requestParameters":{"enable":true}}`}},
		{"yaml bool", "  sel:\n    f: true\n  condition: sel\n",
			Options{}, []string{`{"f":true}`, `{"f":"true"}`}, []string{`{"f":false}`}},
		{"number", "  sel:\n    responseStatus.code: 403\n  condition: sel\n",
			Options{}, []string{`{"responseStatus":{"code":403}}`, `{"responseStatus":{"code":403.0}}`, `{"responseStatus":{"code":"403"}}`}, []string{`{"responseStatus":{"code":4030}}`}},
		{"re case-sensitive by default", "  sel:\n    userIdentity.arn|re: '.+:assumed-role/aws:.+'\n  condition: sel\n",
			Options{}, []string{`{"userIdentity":{"arn":"arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1"}}`}, []string{`{"userIdentity":{"arn":"arn:aws:sts::1:ASSUMED-ROLE/aws:x/y"}}`}},
		{"re with i flag", "  sel:\n    f|re|i: '^abc$'\n  condition: sel\n",
			Options{}, []string{`{"f":"ABC"}`}, []string{`{"f":"xabc"}`}},
		{"re with s flag", "  sel:\n    f|re|s: 'a.b'\n  condition: sel\n",
			Options{}, []string{`{"f":"a\nb"}`}, []string{`{"f":"ab"}`}},
		{"cidr", "  sel:\n    sourceIPAddress|cidr: [10.0.0.0/8, '2001:db8::/32']\n  condition: sel\n",
			Options{}, []string{`{"sourceIPAddress":"10.1.2.3"}`, `{"sourceIPAddress":"2001:db8::1"}`, `{"sourceIPAddress":"::ffff:10.0.0.1"}`}, []string{`{"sourceIPAddress":"11.0.0.1"}`, `{"sourceIPAddress":"s3.amazonaws.com"}`}},
		{"exists", "  sel:\n    a|exists: true\n    b|exists: false\n  condition: sel\n",
			Options{}, []string{`{"a":"","b":null}`, `{"a":0}`}, []string{`{"b":1,"a":1}`, `{"a":null}`}},
		{"gt lte", "  sel:\n    n|gt: 5\n    m|lte: 2\n  condition: sel\n",
			Options{}, []string{`{"n":6,"m":2}`, `{"n":"5.5","m":-1}`}, []string{`{"n":5,"m":1}`, `{"n":6,"m":3}`, `{"n":"x","m":1}`}},
		{"fieldref", "  sel:\n    eventName: UpdateLoginProfile\n  filter:\n    userIdentity.userName|fieldref: requestParameters.userName\n  condition: sel and not filter\n",
			Options{}, []string{`{"eventName":"UpdateLoginProfile","userIdentity":{"userName":"alice"},"requestParameters":{"userName":"bob"}}`},
			[]string{`{"eventName":"UpdateLoginProfile","userIdentity":{"userName":"alice"},"requestParameters":{"userName":"Alice"}}`}},
		{"fieldref endswith", "  sel:\n    userIdentity.arn|fieldref|endswith: requestParameters.userName\n  condition: sel\n",
			Options{}, []string{`{"userIdentity":{"arn":"arn:aws:iam::1:user/alice"},"requestParameters":{"userName":"alice"}}`},
			[]string{`{"userIdentity":{"arn":"arn:aws:iam::1:user/alice"},"requestParameters":{"userName":"bob"}}`, `{"userIdentity":{"arn":"x"}}`}},
		{"base64", "  sel:\n    f|base64: 'http://'\n  condition: sel\n",
			Options{}, []string{`{"f":"aHR0cDovLw=="}`}, []string{`{"f":"http://"}`}},
		{"base64offset contains", "  sel:\n    f|base64offset|contains: '/bin/bash'\n  condition: sel\n",
			// "/bin/bash" at offsets 0, 1 and 2 of a longer encoded text.
			Options{}, []string{`{"f":"L2Jpbi9iYXNo"}`, `{"f":"eC9iaW4vYmFzaA=="}`, `{"f":"eHgvYmluL2Jhc2g="}`}, []string{`{"f":"L2Jpbi9zaA=="}`}},
		{"utf16le base64offset", "  sel:\n    f|wide|base64offset|contains: 'ping'\n  condition: sel\n",
			Options{}, []string{`{"f":"cABpAG4AZwA="}`}, []string{`{"f":"cGluZw=="}`}},
		{"windash", "  sel:\n    f|windash|contains: ' -enc '\n  condition: sel\n",
			Options{}, []string{`{"f":"powershell -enc AAA"}`, `{"f":"powershell /enc AAA"}`, "{\"f\":\"powershell \u2013enc AAA\"}"}, []string{`{"f":"powershell enc AAA"}`}},
		{"expand", "  sel:\n    eventName: ConsoleLogin\n  filter:\n    src_ip|expand: '%Trusted%'\n  condition: sel and not filter\n",
			Options{Placeholders: map[string][]string{"Trusted": {"203.0.113.0/24", "198.51.100.9"}}},
			[]string{`{"eventName":"ConsoleLogin","sourceIPAddress":"192.0.2.1"}`},
			[]string{`{"eventName":"ConsoleLogin","sourceIPAddress":"203.0.113.77"}`, `{"eventName":"ConsoleLogin","sourceIPAddress":"198.51.100.9"}`}},
		{"keywords", "  keywords:\n    - 'mimikatz'\n    - 'Invoke-*Shell'\n  condition: keywords\n",
			Options{}, []string{`{"a":{"b":["x","run MIMIKATZ now"]}}`, `{"c":"Invoke-PowerShell"}`}, []string{`{"a":"mimi katz"}`, `{"mimikatz":1}`}},
		{"not and parentheses", "  a:\n    x: 1\n  b:\n    y: 1\n  c:\n    z: 1\n  condition: a and not (b or c)\n",
			Options{}, []string{`{"x":"1"}`, `{"x":1,"y":2}`}, []string{`{"x":1,"y":1}`, `{"x":1,"z":"1"}`, `{"y":1}`}},
		{"1 of wildcard", "  selection_a:\n    x: 1\n  selection_b:\n    y: 1\n  filter:\n    z: 1\n  condition: 1 of selection_* and not filter\n",
			Options{}, []string{`{"x":1}`, `{"y":1}`}, []string{`{"x":1,"z":1}`, `{"z":1}`}},
		{"all of them skips underscore", "  a:\n    x: 1\n  b:\n    y: 1\n  _c:\n    z: 1\n  condition: all of them\n",
			Options{}, []string{`{"x":1,"y":1}`}, []string{`{"x":1}`}},
		{"precedence: and before or", "  a:\n    x: 1\n  b:\n    y: 1\n  c:\n    z: 1\n  condition: a or b and c\n",
			Options{}, []string{`{"x":1}`, `{"y":1,"z":1}`}, []string{`{"y":1}`}},
		{"condition list is OR", "  a:\n    x: 1\n  b:\n    y: 1\n  condition:\n    - a\n    - b\n",
			Options{}, []string{`{"x":1}`, `{"y":1}`}, []string{`{"z":1}`}},
		{"unicode folding", "  sel:\n    f|contains: 'ÄRGER'\n  condition: sel\n",
			Options{}, []string{`{"f":"viel ärger hier"}`}, []string{`{"f":"arger"}`}},
		{"src_ip maps to sourceIPAddress", "  sel:\n    src_ip|cidr: 192.0.2.0/24\n  condition: sel\n",
			Options{}, []string{`{"sourceIPAddress":"192.0.2.5"}`}, []string{`{"sourceIPAddress":"192.0.3.5"}`}},
		{"time modifier", "  sel:\n    eventTime|hour: 3\n  condition: sel\n",
			Options{}, []string{`{"eventTime":"2026-01-02T03:59:00Z"}`}, []string{`{"eventTime":"2026-01-02T04:00:00Z"}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := compileOne(t, tc.det, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range tc.yes {
				if !matches(t, r, ev) {
					t.Errorf("should match %s", ev)
				}
			}
			for _, ev := range tc.no {
				if matches(t, r, ev) {
					t.Errorf("should not match %s", ev)
				}
			}
		})
	}
}

// Rules that cannot run are rejected with where and why.
func TestCompileErrors(t *testing.T) {
	cases := []struct{ det, want string }{
		{"  sel:\n    f|bogus: x\n  condition: sel\n", `unknown modifier "bogus"`},
		{"  sel:\n    f: x\n  condition: sel and other\n", `unknown search identifier "other"`},
		{"  sel:\n    f: x\n  condition: sel and (sel\n", "expected ) to close"},
		{"  sel:\n    f: x\n  condition: sel | count() > 5\n", "correlation rules"},
		{"  sel:\n    f: x\n  condition: 1 of nothing*\n", "matches no search identifier"},
		{"  sel:\n    f|re: '(?<=x)y'\n  condition: sel\n", "RE2"},
		{"  sel:\n    f|cidr: 10.0.0.0/33\n  condition: sel\n", "invalid CIDR"},
		{"  sel:\n    f|gt: many\n  condition: sel\n", "needs a number"},
		{"  sel:\n    f|expand: '%Nope%'\n  condition: sel\n", "placeholder %Nope% has no values"},
		{"  sel:\n    f: x\n", "no condition"},
		{"  sel:\n    f: []\n  condition: sel\n", "empty list"},
		{"  sel:\n    f|exists: maybe\n  condition: sel\n", "exists takes true or false"},
		{"  sel:\n    f: x\n  condition: sel*\n", "need \"1 of\""},
	}
	for _, tc := range cases {
		_, err := compileOne(t, tc.det, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error containing %q", tc.det, err, tc.want)
		}
	}
}

// Errors name the file and the line of the problem.
func TestErrorLocation(t *testing.T) {
	src := "title: A\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    f|nope: x\n  condition: sel\n---\ntitle: B\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    f: x\n  condition: sel\n"
	rules, errs := Parse("rules/two.yml", []byte(src))
	if len(errs) != 0 || len(rules) != 2 {
		t.Fatalf("parse: %d rules, errors %v", len(rules), errs)
	}
	crs, errs := Compile(rules, Options{})
	if len(crs) != 1 || crs[0].Title != "B" {
		t.Fatalf("compiled %d rules, want only B", len(crs))
	}
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "rules/two.yml:5: rule \"A\"") {
		t.Fatalf("error %v, want it at rules/two.yml:5", errs)
	}
	_, errs = Parse("bad.yml", []byte("title: x\ndetection:\n  sel: [\n"))
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "bad.yml:") {
		t.Fatalf("YAML error %v", errs)
	}
	_, errs = Parse("lvl.yml", []byte("title: x\nlevel: severe\nlogsource: {product: aws}\ndetection:\n  s: {a: b}\n  condition: s\n"))
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `unknown level "severe"`) {
		t.Fatalf("level error %v", errs)
	}
}

// Deprecated rules are skipped with a notice, not an error; an unknown log
// source is an error.
func TestStatusAndLogsource(t *testing.T) {
	rules, _ := Parse("x.yml", []byte("title: old\nstatus: deprecated\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {a: b}\n  condition: s\n---\ntitle: win\nlogsource: {product: windows, service: security}\ndetection:\n  s: {a: b}\n  condition: s\n"))
	crs, errs := Compile(rules, Options{})
	if len(crs) != 0 || len(errs) != 2 {
		t.Fatalf("compiled %d, errors %v", len(crs), errs)
	}
	if e := errs[0].(*Error); !e.Skipped {
		t.Errorf("deprecated rule: %v, want a skip", e)
	}
	if e := errs[1].(*Error); e.Skipped || !strings.Contains(e.Error(), "no log source") {
		t.Errorf("windows rule: %v", e)
	}
}

func TestIndexing(t *testing.T) {
	for _, tc := range []struct {
		det  string
		want string
	}{
		{"  s:\n    eventName: [A, B]\n  condition: s\n", "a,b"},
		{"  s:\n    eventName: A\n  f:\n    x: 1\n  condition: s and not f\n", "a"},
		{"  a:\n    eventName: A\n  b:\n    eventName: B\n  condition: 1 of them\n", "a,b"},
		{"  a:\n    eventName: A\n  b:\n    x: 1\n  condition: a or b\n", ""},
		{"  a:\n    eventName|startswith: A\n  condition: a\n", ""},
		{"  a:\n    eventName: 'A*'\n  condition: a\n", ""},
		{"  a:\n    eventName: A\n  condition: not a\n", ""},
	} {
		r, err := compileOne(t, tc.det, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(r.det.required("eventName"), ","); got != tc.want {
			t.Errorf("%q: index %q, want %q", tc.det, got, tc.want)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pat, s string
		cased  bool
		want   bool
	}{
		{"a*b*c", "aXXbYYc", false, true},
		{"a*b*c", "aXXbYY", false, false},
		{"*a?c*", "zzABCzz", false, true},
		{"?", "é", false, true},
		{"??", "é", false, false},
		{"*", "", false, true},
		{"a*", "A", true, false},
		{"*ÉCOLE*", "une école", false, true},
		{"a*a*a*a*b", strings.Repeat("a", 200), false, false},
	} {
		if got := globMatch(parseWildcards(tc.pat), tc.s, tc.cased); got != tc.want {
			t.Errorf("glob %q on %q (cased %v) = %v", tc.pat, tc.s, tc.cased, got)
		}
	}
}

// A pattern on an object field matches the values inside it, not its keys
// nor its JSON text (a policy logged as a string keeps its quotes).
func TestObjectFieldValues(t *testing.T) {
	r, err := compileOne(t, "  sel:\n    requestParameters|contains|all: ['\"Allow\"', 's3:GetObject']\n  condition: sel\n", Options{})
	if err != nil {
		t.Fatal(err)
	}
	yes := `{"requestParameters":{"policyName":"p","policyDocument":"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\"}]}"}}`
	nested := `{"requestParameters":{"a":[{"b":"\"allow\""}],"c":{"d":"S3:GETOBJECT"}}}`
	keysOnly := `{"requestParameters":{"\"Allow\"":1,"s3:GetObject":2}}`
	if !matches(t, r, yes) || !matches(t, r, nested) {
		t.Error("values inside the object should match")
	}
	if matches(t, r, keysOnly) {
		t.Error("keys must not match")
	}
}

// Evaluation allocates nothing, including paths whose parents are missing
// (the dotted-key fallback) and fields inside arrays.
func TestMatchAllocatesNothing(t *testing.T) {
	r, err := compileOne(t, "  sel:\n    userIdentity.sessionContext.sessionIssuer.type: Role\n    a.b.c|contains: x\n  other:\n    items.name: web\n  condition: sel or other\n", Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := fastjson.Parse(`{"userIdentity":{"type":"IAMUser"},"items":[{"name":"db"},{"name":"api"}],"a":[{"x":1}]}`)
	var c evalCtx
	c.reset(v)
	r.det.match(&c) // sizes the scratch slices
	if n := testing.AllocsPerRun(100, func() {
		c.reset(v)
		if r.det.match(&c) {
			t.Fatal("matched")
		}
	}); n != 0 {
		t.Errorf("%.1f allocations per evaluation", n)
	}
}

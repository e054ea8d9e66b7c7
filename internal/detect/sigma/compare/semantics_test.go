package compare

import (
	"context"
	"strings"
	"testing"
)

// ruleYAML wraps a detection block (indented by four spaces) in a rule.
func ruleYAML(detection string) string {
	return "title: test\nid: 00000000-0000-0000-0000-000000000001\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n" + detection
}

func compileOne(t *testing.T, src string) *opaEngine {
	t.Helper()
	r, err := parseSigmaRule([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r.file = "test.yml"
	o, err := newOPAEngine(context.Background(), []*sigmaRule{r})
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	return o
}

func opaMatches(t *testing.T, o *opaEngine, event string) bool {
	t.Helper()
	hit := make([]bool, 1)
	if _, err := o.eval(context.Background(), []byte(event), hit); err != nil {
		t.Fatalf("%s: %v", event, err)
	}
	return hit[0]
}

// TestRegoTranslation checks the translator's Sigma semantics on small rules
// and hand-written events.
func TestRegoTranslation(t *testing.T) {
	type ev struct {
		json string
		want bool
	}
	cases := []struct {
		name      string
		detection string
		events    []ev
	}{{
		"case-insensitive equality, list OR, map AND",
		`    sel:
        eventSource: iam.amazonaws.com
        eventName:
            - CreateUser
            - DeleteUser
    condition: sel
`,
		[]ev{
			{`{"eventSource":"IAM.amazonaws.com","eventName":"deleteUSER"}`, true},
			{`{"eventSource":"iam.amazonaws.com","eventName":"CreateUserX"}`, false},
			{`{"eventName":"CreateUser"}`, false},
			{`{"eventSource":"iam.amazonaws.com","eventName":["x","createuser"]}`, true},
		},
	}, {
		"contains, startswith, endswith",
		`    sel:
        ua|contains: 'S3 Browser'
        arn|startswith: 'arn:aws:IAM'
        name|endswith: 'Admin'
    condition: sel
`,
		[]ev{
			{`{"ua":"x s3 BROWSER 9","arn":"ARN:AWS:iam::1","name":"superADMIN"}`, true},
			{`{"ua":"x s3 BROWSE 9","arn":"ARN:AWS:iam::1","name":"superADMIN"}`, false},
			{`{"ua":"S3 Browser","arn":"xarn:aws:iam","name":"Admin"}`, false},
			{`{"ua":"S3 Browser","arn":"arn:aws:iam","name":"Admins"}`, false},
		},
	}, {
		"wildcards and escapes",
		`    sel:
        a: 'foo*bar?'
        b: 'x\*y'
    condition: sel
`,
		[]ev{
			{`{"a":"FOOxyzbar1","b":"X*Y"}`, true},
			{`{"a":"foobar","b":"x*y"}`, false},
			{`{"a":"fooxbar12","b":"x*y"}`, false},
			{`{"a":"foobarZ","b":"xzy"}`, false},
		},
	}, {
		"contains '*' is any non-null value",
		`    sel:
        a|contains: '*'
    condition: sel
`,
		[]ev{
			{`{"a":"v"}`, true},
			{`{"a":""}`, true},
			{`{"a":["x"]}`, true},
			{`{"a":[]}`, false},
			{`{}`, false},
			{`{"a":null}`, false},
		},
	}, {
		"null is absent or null",
		`    sel:
        errorCode: null
    condition: sel
`,
		[]ev{
			{`{}`, true},
			{`{"errorCode":null}`, true},
			{`{"errorCode":""}`, false},
			{`{"errorCode":"AccessDenied"}`, false},
		},
	}, {
		"null or a value",
		`    sel:
        errorCode:
            - null
            - Success
    condition: sel
`,
		[]ev{
			{`{}`, true},
			{`{"errorCode":"success"}`, true},
			{`{"errorCode":"AccessDenied"}`, false},
		},
	}, {
		"fields inside arrays match any element",
		`    sel:
        requestParameters.items.name: 'x'
    condition: sel
`,
		[]ev{
			{`{"requestParameters":{"items":[{"name":"y"},{"name":"X"}]}}`, true},
			{`{"requestParameters":[{"zz":1},{"items":{"name":["y","x"]}}]}`, true},
			{`{"requestParameters":{"items":[{"name":"y"}]}}`, false},
			{`{"requestParameters":{"items":"x"}}`, false},
		},
	}, {
		"an object field: any value inside it, not its keys",
		`    sel:
        requestParameters|contains: 'suspended'
    condition: sel
`,
		[]ev{
			{`{"requestParameters":{"v":{"status":"Suspended"}}}`, true},
			{`{"requestParameters":{"Suspended":"no"}}`, false},
		},
	}, {
		"numbers and booleans compare as text",
		`    sel:
        enable: 'false'
        port: 22
    condition: sel
`,
		[]ev{
			{`{"enable":false,"port":22}`, true},
			{`{"enable":"FALSE","port":"22"}`, true},
			{`{"enable":true,"port":22}`, false},
			{`{"enable":false,"port":220}`, false},
		},
	}, {
		"re is case-sensitive and unanchored",
		`    sel:
        arn|re: ':assumed-role/aws:.+'
    condition: sel
`,
		[]ev{
			{`{"arn":"arn:aws:sts::1:assumed-role/aws:ec2/i-1"}`, true},
			{`{"arn":"arn:aws:sts::1:ASSUMED-ROLE/aws:ec2/i-1"}`, false},
		},
	}, {
		"contains|all",
		`    sel:
        p|contains|all:
            - 'a1'
            - 'b2'
    condition: sel
`,
		[]ev{
			{`{"p":"xA1yB2z"}`, true},
			{`{"p":"xa1"}`, false},
			{`{"p":{"k1":"a1","k2":"b2"}}`, true},
		},
	}, {
		"fieldref",
		`    sel:
        a|fieldref: b.c
    condition: sel
`,
		[]ev{
			{`{"a":"v","b":{"c":"v"}}`, true},
			{`{"a":"v","b":{"c":"w"}}`, false},
			{`{"a":"v"}`, false},
		},
	}, {
		"and, or, not, parentheses",
		`    sel_a:
        a: '1'
    sel_b:
        b: '1'
    filter:
        c: '1'
    condition: (sel_a or sel_b) and not filter
`,
		[]ev{
			{`{"a":"1"}`, true},
			{`{"b":"1"}`, true},
			{`{"b":"1","c":"1"}`, false},
			{`{"c":"1"}`, false},
			{`{}`, false},
		},
	}, {
		"precedence: and binds tighter than or; not tighter than and",
		`    sel_a:
        a: '1'
    sel_b:
        b: '1'
    sel_c:
        c: '1'
    condition: sel_a or not sel_b and sel_c
`,
		[]ev{
			{`{"a":"1","b":"1"}`, true},
			{`{"c":"1"}`, true},
			{`{"b":"1","c":"1"}`, false},
			{`{}`, false},
		},
	}, {
		"all of x*",
		`    sel_a:
        a: '1'
    sel_b:
        b: '1'
    other:
        c: '1'
    condition: all of sel_*
`,
		[]ev{
			{`{"a":"1","b":"1"}`, true},
			{`{"a":"1","c":"1"}`, false},
		},
	}, {
		"1 of them skips _names; list of maps is OR; list of conditions is OR",
		`    sel:
        - a: '1'
        - b: '1'
    _hidden:
        d: '1'
    other:
        e: '1'
    condition:
        - 1 of them
        - _hidden and other
`,
		[]ev{
			{`{"b":"1"}`, true},
			{`{"e":"1"}`, true},
			{`{"d":"1"}`, false},
			{`{"d":"1","e":"1"}`, true},
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := compileOne(t, ruleYAML(c.detection))
			for _, e := range c.events {
				if got := opaMatches(t, o, e.json); got != e.want {
					t.Errorf("%s: got %v, want %v\n%s", e.json, got, e.want, o.module[len(regoLibrary):])
				}
			}
		})
	}
}

// TestTranslatorRefuses checks that what the translator does not handle is
// an error, not a silently wrong rule.
func TestTranslatorRefuses(t *testing.T) {
	for _, det := range []string{
		"    sel:\n        a|base64: x\n    condition: sel\n",
		"    sel:\n        a|contains|startswith: x\n    condition: sel\n",
		"    sel:\n        - keyword\n    condition: sel\n",
		"    sel:\n        a: x\n    condition: sel | count() > 5\n",
		"    sel:\n        a: x\n    condition: nosuch\n",
		"    sel:\n        a: x\n    condition: 1 of other*\n",
		"    sel:\n        a: x\n    condition: (sel\n",
		"    sel:\n        a|contains: null\n    condition: sel\n",
		"    sel:\n        a|re: '('\n    condition: sel\n",
	} {
		r, err := parseSigmaRule([]byte(ruleYAML(det)))
		if err == nil {
			_, err = translateRules([]*sigmaRule{r})
		}
		if err == nil {
			t.Errorf("accepted:\n%s", det)
		}
	}
}

// TestSigmaGoKnownDefects shows each sigma-go v0.6.6 behaviour that the
// reference comparison works around or excludes, against the OPA
// translation's answer. A sigma-go upgrade that fixes one fails this test:
// then update the notes here and in agree_test.go.
func TestSigmaGoKnownDefects(t *testing.T) {
	cases := []struct {
		name      string
		detection string
		event     string
		sgMatch   bool   // sigma-go's answer (when no error)
		sgErr     string // part of sigma-go's error, "" for none
		opa       bool   // the Sigma answer
	}{
		{"YAML null is an evaluation error", "    sel:\n        errorCode: null\n    condition: sel\n",
			`{"eventName":"x"}`, false, "expected scalar field matching value", true},
		{"fieldref is an unknown modifier", "    sel:\n        a|fieldref: b\n    condition: sel\n",
			`{"a":"v","b":"v"}`, false, "unknown modifier fieldref", true},
		{"contains '*' is a literal star", "    sel:\n        a|contains: '*'\n    condition: sel\n",
			`{"a":"value"}`, false, "", true},
		{"a wildcard in a plain value is literal", "    sel:\n        a: 'foo*'\n    condition: sel\n",
			`{"a":"foobar"}`, false, "", true},
		{"a nested field behind an array is an error", "    sel:\n        a.b: x\n    condition: sel\n",
			`{"a":[{"b":"x"}]}`, false, "could not select value", true},
		// Not a defect so much as a different reading: an object field is
		// matched as Go's fmt.Sprint of the map, so key names match too.
		{"contains on an object sees key names", "    sel:\n        a|contains: secret\n    condition: sel\n",
			`{"a":{"secretName":"v"}}`, true, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := ruleYAML(c.detection)
			sg := newSigmaGoEngineFromYAML([]string{"test.yml"}, [][]byte{[]byte(src)})
			if len(sg.parseFailures) != 0 {
				t.Fatalf("sigma-go parse failure: %v", sg.parseFailures)
			}
			hit, errs := make([]bool, 1), make([]error, 1)
			if _, err := sg.eval(context.Background(), []byte(c.event), hit, errs); err != nil {
				t.Fatal(err)
			}
			switch {
			case c.sgErr == "" && errs[0] != nil:
				t.Errorf("sigma-go error %v, want none", errs[0])
			case c.sgErr != "" && (errs[0] == nil || !strings.Contains(errs[0].Error(), c.sgErr)):
				t.Errorf("sigma-go error %v, want one with %q", errs[0], c.sgErr)
			case c.sgErr == "" && hit[0] != c.sgMatch:
				t.Errorf("sigma-go answers %v, was %v", hit[0], c.sgMatch)
			}
			if got := opaMatches(t, compileOne(t, src), c.event); got != c.opa {
				t.Errorf("OPA answers %v, want %v", got, c.opa)
			}
		})
	}
}

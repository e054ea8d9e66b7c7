package sigma

import (
	"testing"

	"github.com/valyala/fastjson"
)

// FuzzParseRule: any bytes as a rule file must parse or fail cleanly, and a
// rule that compiles must evaluate any event without panicking.
func FuzzParseRule(f *testing.F) {
	f.Add([]byte("title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    eventName|contains|all: [a, b]\n  f:\n    - x|re|i: '^a.*'\n    - y: null\n  condition: s and not 1 of f*\n"))
	f.Add([]byte("title: t\nlogsource: {product: kubernetes, service: audit}\ndetection:\n  k: ['*x?', 'y\\\\*']\n  condition: all of them\n---\ntitle: c\ncorrelation: {type: event_count, rules: [t], timespan: 5m, condition: {gte: 2}}\n"))
	f.Add([]byte("title: t\nlogsource: {product: aws}\ndetection:\n  s:\n    a|base64offset|contains: x\n    b|windash: -x\n    c|cidr: 10.0.0.0/8\n    d|gte: 3\n  condition: (s)\n"))
	events := []*fastjson.Value{
		fastjson.MustParse(`{"eventName":"ab","x":"abc","a":[{"b":"c"}],"c":"10.1.1.1","d":4}`),
		fastjson.MustParse(`{"y":null,"k":{"x":["1",2,true,null,{"z":[]}]}}`),
		fastjson.MustParse(`[]`),
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rules, _ := Parse("fuzz.yml", b)
		crs, _ := Compile(rules, Options{Placeholders: map[string][]string{"p": {"1", "10.0.0.0/8"}}})
		var c evalCtx
		for _, r := range crs {
			if r.det == nil {
				continue
			}
			for _, ev := range events {
				c.reset(ev)
				if r.det.match(&c) {
					_ = r.det.matched(&c)
				}
			}
		}
		_ = Lint(crs)
	})
}

// FuzzCondition: any condition string parses or returns a CondError with
// a column inside the string.
func FuzzCondition(f *testing.F) {
	for _, s := range []string{"a and not (b or c)", "1 of sel_* and not all of them", "((a)", "a | count() > 4", "not not a or 2 of them", "all of x?"} {
		f.Add(s)
	}
	searches := map[string]*search{"a": {name: "a"}, "b": {name: "b"}, "c": {name: "c"}, "sel_1": {name: "sel_1"}, "_x": {name: "_x"}}
	names := []string{"a", "b", "c", "sel_1", "_x"}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseCondition(s, searches, names, map[string]bool{})
		if err != nil {
			ce, ok := err.(*CondError)
			if !ok {
				t.Fatalf("%q: error %T %v, want a *CondError", s, err, err)
			}
			if ce.Col < 1 || ce.Col > len(s)+1 {
				t.Fatalf("%q: column %d outside the condition", s, ce.Col)
			}
			return
		}
		if n == nil {
			t.Fatalf("%q: nil tree without error", s)
		}
	})
}

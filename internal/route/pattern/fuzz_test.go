package pattern

import (
	"errors"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/valyala/fastjson"
)

var fuzzEvents = []string{
	`{}`,
	`{"a":"x","b":5,"c":null,"d":true,"e":[1,"x",null,{"f":"y"}],"$or":"10.0.0.1"}`,
	`{"a":[{"b":"1","c":2},{"b":"2"}],"d":[[["x"]]],"n":-3.5e2,"ip":"2001:db8::1"}`,
	`{"source":"aws.guardduty","detail":{"severity":5.3,"type":"Recon:EC2/PortProbeUnprotectedPort","tags":[{"key":"k","value":"v"}]}}`,
	`[{"a":"x"}]`,
	`"just a string"`,
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`{"source":["aws.guardduty"],"detail-type":["GuardDuty Finding"],"detail":{"severity":[{"numeric":[">=",4,"<",9]}]}}`,
		`{"a":["x",5,true,false,null,""],"b":{"c":[{"exists":false},"y"]}}`,
		`{"a":[{"prefix":"x"},{"prefix":{"equals-ignore-case":"X"}},{"suffix":"y"},{"suffix":{"equals-ignore-case":"Y"}}]}`,
		`{"a":[{"equals-ignore-case":"É"},{"wildcard":"a*b\\*c\\\\*"},{"exactly":"z"},{"cidr":"10.0.0.0/8"},{"cidr":"2001:db8::/32"}]}`,
		`{"a":[{"anything-but":"x"},{"anything-but":[1,2]},{"anything-but":{"prefix":["p"]}},{"anything-but":{"suffix":"s"}}]}`,
		`{"a":[{"anything-but":{"equals-ignore-case":["A"]}},{"anything-but":{"wildcard":"*x*"}},{"numeric":["=",3e2]},{"numeric":["<",0]}]}`,
		`{"$or":[{"a":["1"]},{"b":{"$or":[{"c":["2"]},{"d":[{"exists":true}]}]}}],"e":["3"]}`,
		`{"$or":[{"cidr":"10.0.0.0/24"}]}`,
		`{"detail":{"$or":[{"numeric":[">",0,"<=",5]},{"numeric":[">",10]}]}}`,
		`{"a":{"b":[1]},"a":{"c":[2]},"a":[3]}`,
		`{"a":[{"numeric":[">",1e308,"<",1.7976931348623157e308]}]}`,
		`{"a":[{"wildcard":"**"}]}`,
		`{"a":[]}`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile("testdata/guardduty_finding_event.json"); err == nil {
		f.Add(b) // an event is a valid (if odd) pattern only where its leaves are lists
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Compile(src)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || p != nil {
				t.Fatalf("Compile = %v, %v; want nil and an *Error", p, err)
			}
			return
		}
		if len(p.rules) == 0 || len(p.rules) > maxCombinations {
			t.Fatalf("pattern has %d alternatives", len(p.rules))
		}
		for _, ev := range fuzzEvents {
			ok, err := p.MatchJSON([]byte(ev))
			if err != nil {
				t.Fatalf("MatchJSON(%s): %v", ev, err)
			}
			if again := p.Match(fastjson.MustParse(ev)); again != ok {
				t.Fatalf("Match and MatchJSON disagree on %s", ev)
			}
		}
	})
}

// FuzzNumber checks the exact fast path against strconv wherever it
// claims a result.
func FuzzNumber(f *testing.F) {
	for _, s := range []string{"0", "-0", "5", "5.0", "3.018e2", "301.8", "1e22", "1e23", "9007199254740993",
		"0.1", "1.7976931348623157e308", "4.9e-324", "123456789012", "-2.5E-3", "1.", ".5", "1e", "--1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseExact(s)
		if !ok {
			return
		}
		want, err := strconv.ParseFloat(s, 64)
		if err != nil || (got != want && !(math.IsNaN(got) && math.IsNaN(want))) || math.Signbit(got) != math.Signbit(want) {
			t.Fatalf("parseExact(%q) = %v, strconv says %v, %v", s, got, want, err)
		}
	})
}

func TestNumberParsing(t *testing.T) {
	if textField < 0 {
		t.Error("fastjson.Value layout changed: number matching falls back to an allocating path")
	}
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"3.018e2", true}, {"301.8", true}, {"-0.0", true}, {"5E+0", true}, {"0.000001", true},
		{"9007199254740993", false}, {"1e23", false}, {"12345678901234567890", false},
		{"1e", false}, {"-", false}, {"1.2.3", false}, {"", false},
	} {
		got, ok := parseExact(tc.in)
		if ok != tc.ok {
			t.Errorf("parseExact(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			continue
		}
		if want, _ := strconv.ParseFloat(tc.in, 64); ok && got != want {
			t.Errorf("parseExact(%q) = %v, want %v", tc.in, got, want)
		}
	}
	// Values outside the fast path still compare correctly.
	for _, s := range []string{"9007199254740993", "1e23", "12345678901234567890", "1e400"} {
		want, _ := strconv.ParseFloat(s, 64)
		if got, ok := number(fastjson.MustParse(s)); !ok || got != want {
			t.Errorf("number(%s) = %v, %v; want %v", s, got, ok, want)
		}
	}
}

package suppress

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/picket-dev/picket/internal/finding"
	"go.yaml.in/yaml/v3"
)

func fuzzFindings(t testing.TB) []*finding.Finding {
	fx := loadFixtures(t)
	out := []*finding.Finding{{}}
	for _, n := range fixtureNames {
		out = append(out, fx[n])
	}
	return out
}

// FuzzParseCriteria: parsing never panics; a failure is an *Error and
// zero criteria; a success matches fixtures without panicking, and its
// canonical JSON and YAML parse back to the same criteria.
func FuzzParseCriteria(f *testing.F) {
	for _, s := range []string{
		`{"Criterion":{"type":{"Equals":["Recon:EC2/PortProbeUnprotectedPort"]},"severity":{"Gte":4,"Lt":7}}}`,
		`{"criterion":{"service.archived":{"eq":["false"]},"service.action.dnsRequestAction.domain":{"eq":["test.example.com"]}}}`,
		`{"Criterion":{"resource.instanceDetails.instanceId":{"Matches":["i-0abc*","i-?\\*\\?\\\\"],"NotMatches":["*x"]}}}`,
		`{"Criterion":{"updatedAt":{"GreaterThan":"2024-03-03T00:00:00Z","Lte":1709424000000,"NotEquals":["1709293530500"]}}}`,
		`{"Criterion":{"service.additionalInfo.intel.confidence":{"Gt":1.5,"Equals":[80,true,"x"]}}}`,
		`{"Criterion":{"accountId":{"Neq":[123456789012]},"resource.instanceDetails.imageId":{"Eq":["ami-1"]}}}`,
		`{"Criterion":{"service.action.awsApiCallAction.affectedResources.AWS::IAM::Role":{"Matches":["*"]}}}`,
		`{"Criterion":{"type":{"Equals":[]}}}`,
		`{"Criterion":{"type":{"Bogus":1}}}`,
		`{"Criterion":{}}`,
		`{"Criterion":{"severity":{"Gt":1e999}}}`,
		`[]`,
		``,
	} {
		f.Add([]byte(s))
	}
	findings := fuzzFindings(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		c, err := ParseCriteria(src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !c.IsZero() {
				t.Fatalf("ParseCriteria = %v, %v; want zero criteria and an *Error", c, err)
			}
			return
		}
		if c.IsZero() {
			t.Fatal("parsed to zero criteria")
		}
		for _, fd := range findings {
			c.Match(fd)
		}
		s := c.String()
		back, err := ParseCriteria([]byte(s))
		if err != nil {
			t.Fatalf("canonical form %s does not parse: %v", s, err)
		}
		if back.String() != s {
			t.Fatalf("canonical form not stable:\n%s\n%s", s, back)
		}
		for _, fd := range findings {
			if c.Match(fd) != back.Match(fd) {
				t.Fatalf("%s and %s disagree on %s", src, s, fd.ID)
			}
		}
		y, err := yaml.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var fromYAML Criteria
		if err := yaml.Unmarshal(y, &fromYAML); err != nil {
			t.Fatalf("YAML %s: %v", y, err)
		}
		if fromYAML.String() != s {
			t.Fatalf("YAML round trip:\n%s\n%s", s, fromYAML)
		}
	})
}

// FuzzParseTerms: never panics, errors are *Error with a term index, and
// parsed terms survive a JSON round trip.
func FuzzParseTerms(f *testing.F) {
	for _, s := range []string{
		"type=Recon:EC2/PortProbeUnprotectedPort\nseverity>=7\naccountId!=123456789012\nresource.instanceDetails.instanceId~i-0abc*",
		"updatedAt<2024-03-03T00:00:00Z\nregion!~eu-*",
		"type==x", "=x", "severity", "severity>=high\nseverity>=2",
	} {
		f.Add(s)
	}
	findings := fuzzFindings(f)
	f.Fuzz(func(t *testing.T, s string) {
		terms := strings.Split(s, "\n")
		c, err := ParseTerms(terms)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !c.IsZero() {
				t.Fatalf("ParseTerms = %v, %v", c, err)
			}
			if e.Term > len(terms) {
				t.Fatalf("term %d of %d", e.Term, len(terms))
			}
			return
		}
		for _, fd := range findings {
			c.Match(fd)
		}
		if back, err := ParseCriteria([]byte(c.String())); err != nil || back.String() != c.String() {
			t.Fatalf("%q: %s round trip: %v", terms, c, err)
		}
	})
}

// wildcardRegexp is the reference: the same pattern as a regexp.
func wildcardRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
			b.WriteString(regexp.QuoteMeta(p[i : i+1]))
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			_, n := utf8.DecodeRuneInString(p[i:])
			b.WriteString(regexp.QuoteMeta(p[i : i+n]))
			i += n - 1
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

func TestWildcard(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"a*", "a", true},
		{"*", "", true},
		{"**", "x", true},
		{"*c", "abc", true},
		{"a*c", "ac", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a?c", "aéc", true},   // one character, two bytes
		{"a??c", "aéc", false}, // not two
		{"*?", "", false},
		{"?*", "x", true},
		{"*a?b*", "xxaxxaQb", true},
		{"*a?b", "aab", true},
		{`a\*b`, "a*b", true},
		{`a\*b`, "aXb", false},
		{`a\?b`, "a?b", true},
		{`a\?b`, "aXb", false},
		{`a\\*`, `a\bc`, true},
		{`a\\*`, `abc`, false},
		{"é*", "éa", true},
		{"?", "\xff", true}, // an invalid byte is one character
		{"i-0abc*", "i-0abc1234def567890", true},
	}
	for _, tt := range tests {
		w, err := parseWildcard(tt.pat)
		if err != nil {
			t.Errorf("%q: %v", tt.pat, err)
			continue
		}
		if got := w.match(tt.s); got != tt.want {
			t.Errorf("%q ~ %q = %v, want %v", tt.s, tt.pat, got, tt.want)
		}
		if utf8.ValidString(tt.s) {
			if ref := wildcardRegexp(tt.pat).MatchString(tt.s); ref != tt.want {
				t.Errorf("reference disagrees on %q ~ %q", tt.s, tt.pat)
			}
		}
	}
	for _, bad := range []string{`a\`, `a\b`, `\x`, "\xff*"} {
		if _, err := parseWildcard(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzWildcard checks the matcher against a regexp, and the fast path
// (no "?") against the general one.
func FuzzWildcard(f *testing.F) {
	for _, s := range [][2]string{
		{"a*b?c", "aXbYc"}, {"*", ""}, {`a\*\?\\`, `a*?\`}, {"*a*a*a*", "aaaa"}, {"?é*", "xéy"}, {"i-0abc*", "i-0abc12"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pat, s string) {
		if len(pat) > 64 || len(s) > 1024 {
			return // both matchers are O(len(pat)·len(s)): keep inputs fast
		}
		w, err := parseWildcard(pat)
		if err != nil {
			return
		}
		got := w.match(s)
		if utf8.ValidString(s) {
			if want := wildcardRegexp(pat).MatchString(s); got != want {
				t.Fatalf("%q ~ %q: %v, regexp says %v", s, pat, got, want)
			}
		}
		if w.toks == nil { // fast path: rebuild as tokens and compare
			var toks []wtok
			for i, p := range w.parts {
				if i > 0 {
					toks = append(toks, wtok{kind: '*'})
				}
				if p != "" {
					toks = append(toks, wtok{kind: 'l', s: p})
				}
			}
			if general := matchToks(toks, s); general != got {
				t.Fatalf("%q ~ %q: fast path %v, general %v", s, pat, got, general)
			}
		}
	})
}

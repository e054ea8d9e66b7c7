package pattern

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/picket-dev/picket/internal/testutil"
	"github.com/valyala/fastjson"
)

// benchPatterns are routing rules a GuardDuty pipeline might use; all of
// them match the fixture, so each walks its whole path.
var benchPatterns = []struct{ name, src string }{
	{"documented-severity", `{"source":["aws.guardduty"],"detail-type":["GuardDuty Finding"],"detail":{"severity":[{"numeric":[">=",4,"<",9]}]}}`},
	{"type-prefix-wildcard", `{"source":["aws.guardduty"],"detail":{"type":[{"prefix":"Recon:"},{"wildcard":"UnauthorizedAccess:*/SSHBruteForce"}]}}`},
	{"remote-ip-cidr", `{"detail":{"service":{"action":{"networkConnectionAction":{"connectionDirection":["INBOUND"],"remoteIpDetails":{"ipAddressV4":[{"cidr":"203.0.113.0/24"},{"cidr":"198.51.100.0/24"}]}}}}}}`},
	{"tag-array-consistency", `{"detail":{"resource":{"instanceDetails":{"tags":{"key":[{"equals-ignore-case":"environment"}],"value":[{"anything-but":["dev","test"]}]}}}}}`},
	{"or-anything-but", `{"detail":{"$or":[{"severity":[{"numeric":[">=",7]}]},{"type":[{"prefix":"CryptoCurrency:"}]}],"service":{"archived":[false],"resourceRole":[{"anything-but":{"prefix":"ACT"}}]}}}`},
}

func loadBenchEvent(b *testing.B) []byte {
	raw, err := os.ReadFile("testdata/guardduty_finding_event.json")
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// BenchmarkMatch matches a GuardDuty finding in its EventBridge envelope,
// already parsed, against each pattern; "set" runs all of them through a
// Set, and "json" includes parsing the event.
func BenchmarkMatch(b *testing.B) {
	raw := loadBenchEvent(b)
	ev := fastjson.MustParseBytes(raw)
	s := NewSet()
	for _, bp := range benchPatterns {
		p := MustCompile(bp.src)
		if !p.Match(ev) {
			b.Fatalf("%s does not match the fixture", bp.name)
		}
		s.AddPattern(bp.name, p)
		b.Run(bp.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Match(ev)
			}
		})
	}
	b.Run("set-all-5", func(b *testing.B) {
		b.ReportAllocs()
		dst := make([]string, 0, len(benchPatterns))
		for b.Loop() {
			dst = s.AppendMatches(dst[:0], ev)
		}
		if len(dst) != len(benchPatterns) {
			b.Fatalf("set matched %v", dst)
		}
	})
	p := MustCompile(benchPatterns[0].src)
	b.Run("json-documented-severity", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if ok, err := p.MatchJSON(raw); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}

// BenchmarkBigEvent is event-ruler's latency case: a 256 KB CloudTrail
// event whose 1000-odd changes must be searched with array consistency.
func BenchmarkBigEvent(b *testing.B) {
	dir := testutil.SharedData(b, "eventbridge-pattern-tests", "event-ruler")
	rule, err := os.ReadFile(filepath.Join(dir, "bigEventRule.json"))
	if err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "bigEvent.json"))
	if err != nil {
		b.Fatal(err)
	}
	p := MustCompile(string(rule))
	ev := fastjson.MustParseBytes(raw)
	b.Run("parsed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !p.Match(ev) {
				b.Fatal("no match")
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if ok, err := p.MatchJSON(raw); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}

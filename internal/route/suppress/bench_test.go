package suppress

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/finding"
	"github.com/valyala/fastjson"
)

// benchRules builds n rules shaped like real suppressions: most pin a
// finding type (40 types, the fixtures' among them) and narrow it by
// instance, account, IP, bucket or severity; the rest are cross-type
// (an account, a scanner IP, a threat list). None matches a fixture, so
// First checks every candidate: the worst case. With pinned false, no
// rule pins a type with Equals, so every rule is a candidate.
func benchRules(tb testing.TB, n int, pinned bool) []Rule {
	types := []string{
		"Recon:EC2/PortProbeUnprotectedPort", "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
		"UnauthorizedAccess:EC2/MaliciousIPCaller.Custom", "Policy:S3/BucketBlockPublicAccessDisabled", "Backdoor:EC2/C&CActivity.B!DNS",
	}
	for i := len(types); i < 40; i++ {
		types = append(types, fmt.Sprintf("Recon:EC2/Synthetic%02d", i))
	}
	typeOp := "="
	if !pinned {
		typeOp = "~" // a wildcard without wildcards: same test, not indexed
	}
	rules := make([]Rule, 0, n)
	for i := 0; i < n; i++ {
		var terms []string
		switch k := i % 10; {
		case k < 7: // pinned to a type
			typ := "type" + typeOp + types[i%len(types)]
			switch i % 5 {
			case 0:
				terms = []string{typ, fmt.Sprintf("resource.instanceDetails.instanceId=i-0f%015x", i)}
			case 1:
				terms = []string{typ, fmt.Sprintf("accountId=%012d", 900000000000+i)}
			case 2:
				terms = []string{typ, fmt.Sprintf("service.action.networkConnectionAction.remoteIpDetails.ipAddressV4=203.0.113.%d", 100+i%100), "severity<7"}
			case 3:
				terms = []string{typ, fmt.Sprintf("resource.s3BucketDetails.name~scratch-%d-*", i)}
			case 4:
				terms = []string{typ, "resource.instanceDetails.networkInterfaces.privateIpAddress~172.31.*", fmt.Sprintf("region=ap-south-%d", i%3)}
			}
		case k < 9: // cross-type
			terms = []string{fmt.Sprintf("service.action.awsApiCallAction.remoteIpDetails.ipAddressV4=192.0.2.%d", i%250), "accountId!=123456789012"}
		default:
			terms = []string{fmt.Sprintf("service.additionalInfo.threatListName=list-%d", i), "severity<=5"}
		}
		rules = append(rules, Rule{ID: fmt.Sprintf("r%03d", i), Owner: "o", Reason: "r", Criteria: mustTerms(tb, terms...)})
	}
	return rules
}

func benchFindings(b *testing.B) []finding.Finding {
	fx := loadFixtures(b)
	out := make([]finding.Finding, 0, len(fixtureNames))
	for _, n := range fixtureNames {
		out = append(out, *fx[n])
	}
	return out
}

func reportRate(b *testing.B) {
	if b.N > 0 {
		ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(1e9/ns, "findings/s")
	}
}

// BenchmarkFirst: one op is one finding (the five fixtures in turn)
// against 300 rules.
func BenchmarkFirst(b *testing.B) {
	findings := benchFindings(b)
	now := time.Now()
	for _, bc := range []struct {
		name   string
		pinned bool
	}{{"300-rules-type-indexed", true}, {"300-rules-unindexed", false}} {
		s, err := NewSet(benchRules(b, 300, bc.pinned))
		if err != nil {
			b.Fatal(err)
		}
		for i := range findings {
			if r := s.First(&findings[i], now); r != nil {
				b.Fatalf("%s matched %s", findings[i].ID, r.ID)
			}
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				s.First(&findings[i%len(findings)], now)
				i++
			}
			reportRate(b)
		})
	}
	// The last of 300 rules matches: the whole scan plus a hit.
	rules := benchRules(b, 299, false)
	rules = append(rules, Rule{ID: "last", Owner: "o", Reason: "r", Criteria: mustTerms(b, "resource.resourceType=Instance", "severity<=5")})
	s, err := NewSet(rules)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("300-rules-unindexed-last-matches", func(b *testing.B) {
		b.ReportAllocs()
		f := &findings[0]
		for b.Loop() {
			if s.First(f, now) == nil {
				b.Fatal("no match")
			}
		}
		reportRate(b)
	})
}

// BenchmarkCriteriaMatch is one rule's criteria on one finding, and
// matching 300 criteria one by one without a Set (each reads its fields
// again).
func BenchmarkCriteriaMatch(b *testing.B) {
	findings := benchFindings(b)
	c := mustTerms(b, "type=Recon:EC2/PortProbeUnprotectedPort", "resource.instanceDetails.instanceId~i-0abc*", "accountId!=999999999999", "severity<5")
	b.Run("one-criteria", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !c.Match(&findings[0]) {
				b.Fatal("no match")
			}
		}
	})
	rules := benchRules(b, 300, true)
	b.Run("300-criteria-linear", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			f := &findings[i%len(findings)]
			for j := range rules {
				if rules[j].Criteria.Match(f) {
					b.Fatal("matched")
				}
			}
			i++
		}
		reportRate(b)
	})
}

// BenchmarkMarshalBaseline is what reading fields through the finding's
// JSON would cost before any rule runs: encoding/json plus a fastjson
// parse, per finding.
func BenchmarkMarshalBaseline(b *testing.B) {
	findings := benchFindings(b)
	var p fastjson.Parser
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		raw, err := json.Marshal(&findings[i%len(findings)])
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.ParseBytes(raw); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

package route

import (
	"fmt"
	"slices"
	"testing"

	"github.com/valyala/fastjson"
	"go.yaml.in/yaml/v3"

	"github.com/picket-dev/picket/internal/finding"
)

// benchTable: 700 accounts in the accounts file, 1,000 pattern rules —
// 700 per-account rules (detail.accountId), 200 per-type rules, 100
// unindexed (severity ranges, prefixes, cidr) — as a large installation
// has them.
func benchTable(b testing.TB) (*Table, []finding.Finding) {
	var accts []AccountRoute
	var rules []Rule
	types := []string{"Recon:EC2/PortProbeUnprotectedPort", "UnauthorizedAccess:EC2/SSHBruteForce", "Policy:IAMUser/RootCredentialUsage",
		"Stealth:IAMUser/CloudTrailLoggingDisabled", "Trojan:EC2/DNSDataExfiltration", "CryptoCurrency:EC2/BitcoinTool.B!DNS"}
	node := func(js string) yaml.Node { return yaml.Node{Kind: yaml.ScalarNode, Value: js} }
	for i := range 700 {
		id := fmt.Sprintf("%012d", 100000000000+i)
		accts = append(accts, AccountRoute{AccountID: id, SlackConfig: SlackConfig{ChannelID: fmt.Sprintf("C%010d", i), ChannelName: "aws-" + id}})
		rules = append(rules, Rule{Name: "acct-" + id, Targets: []string{"pd"},
			Pattern: node(fmt.Sprintf(`{"detail":{"accountId":[%q],"severity":[{"numeric":[">=",7]}]}}`, id))})
	}
	for i := range 200 {
		rules = append(rules, Rule{Name: fmt.Sprint("type-", i), Targets: []string{"pd"},
			Pattern: node(fmt.Sprintf(`{"detail":{"type":[%q],"region":[%q]}}`, types[i%len(types)], fmt.Sprint("region-", i)))})
	}
	for i := range 100 {
		rules = append(rules, Rule{Name: fmt.Sprint("other-", i), Targets: []string{"pd"},
			Pattern: node(fmt.Sprintf(`{"source":["aws.guardduty"],"detail":{"severity":[{"numeric":[">",%d,"<=",%d]}],"type":[{"prefix":"Backdoor:%d"}]}}`, i%9, i%9+1, i))})
	}
	cfg := Config{Rules: rules, Targets: map[string]TargetConfig{"pd": {Kind: "stdout"}},
		Default: &AccountRoute{SlackConfig: SlackConfig{ChannelID: "C0DEFAULT01"}}}
	tab, err := NewTable(cfg, accts, testEnv)
	if err != nil {
		b.Fatal(err)
	}
	var fs []finding.Finding
	for i := range 1000 {
		f := mkFinding(fmt.Sprintf("%012d", 100000000000+i%800), types[i%len(types)], fmt.Sprint("i-", i), float64(2+i%8), 1)
		f.Service.Action.ActionType = "NETWORK_CONNECTION"
		fs = append(fs, f)
	}
	return tab, fs
}

// BenchmarkRoute: one op = one finding routed: its EventBridge envelope
// built and parsed, and matched against 1,000 rules and 700 accounts.
//
//	go test -run x -bench Route -benchmem -cpu 1 ./internal/route
func BenchmarkRoute(b *testing.B) {
	tab, fs := benchTable(b)
	var p fastjson.Parser
	n := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f := &fs[i%len(fs)]
		env, err := Envelope(f)
		if err != nil {
			b.Fatal(err)
		}
		ev, err := p.ParseBytes(env)
		if err != nil {
			b.Fatal(err)
		}
		n += len(tab.Destinations(f, ev))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "findings/s")
	b.ReportMetric(float64(n)/float64(b.N), "destinations/finding")
}

// The indexes never change the answer: every finding gets exactly the
// rules whose patterns match it, checked one by one.
func TestIndexEqualsLinear(t *testing.T) {
	tab, fs := benchTable(t)
	var p fastjson.Parser
	matched := 0
	for i := range fs {
		f := &fs[i]
		env, _ := Envelope(f)
		ev, err := p.ParseBytes(env)
		if err != nil {
			t.Fatal(err)
		}
		var want, got []string
		for j := range tab.cfg.Rules {
			if tab.cfg.Rules[j].compiled.Match(ev) {
				want = append(want, tab.cfg.Rules[j].Name)
			}
		}
		for _, r := range tab.matching(f, ev, nil) {
			got = append(got, r.Name)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("finding %d (%s %s %.0f): indexed %v, linear %v", i, f.AccountID, f.Type, f.Severity, got, want)
		}
		matched += len(want)
	}
	if matched < 100 {
		t.Fatalf("only %d rule matches over %d findings: the benchmark table tests little", matched, len(fs))
	}
}

package route

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/notify"
	"github.com/picket-dev/picket/internal/store"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// Table is the routing configuration compiled: accounts indexed by ID,
// rules indexed by the account and type they require. Immutable; a reload
// builds a new one.
type Table struct {
	cfg      Config
	accounts map[string]AccountRoute
	env      func(string) (string, bool)

	byAccount map[string][]*Rule // rules requiring detail.accountId
	byType    map[string][]*Rule // rules requiring detail.type
	// byTypeHead holds rules requiring detail.type to start with one of
	// some prefixes, by the prefixes' first typeHead bytes.
	byTypeHead map[string][]*Rule
	always     []*Rule
}

// NewTable compiles cfg with the given account entries. env resolves
// secrets at send time (nil: the process environment).
func NewTable(cfg Config, accounts []AccountRoute, env func(string) (string, bool)) (*Table, error) {
	if env == nil {
		env = os.LookupEnv
	}
	t := &Table{cfg: cfg, accounts: map[string]AccountRoute{}, env: env, byAccount: map[string][]*Rule{}, byType: map[string][]*Rule{}, byTypeHead: map[string][]*Rule{}}
	for _, a := range accounts {
		t.accounts[a.AccountID] = a
	}
	t.cfg.Rules = append([]Rule(nil), cfg.Rules...)
	for i := range t.cfg.Rules {
		r := &t.cfg.Rules[i]
		p, err := r.compile()
		if err != nil {
			return nil, fmt.Errorf("routing rule %q: %w", r.Name, err)
		}
		if ids := p.RequiredStrings("detail", "accountId"); ids != nil {
			for _, id := range ids {
				t.byAccount[id] = append(t.byAccount[id], r)
			}
			continue
		}
		if types := p.RequiredStrings("detail", "type"); types != nil {
			for _, ty := range types {
				t.byType[ty] = append(t.byType[ty], r)
			}
			continue
		}
		if heads := typeHeads(p.RequiredPrefixes("detail", "type")); heads != nil {
			for _, h := range heads {
				t.byTypeHead[h] = appendRule(t.byTypeHead[h], r)
			}
			continue
		}
		t.always = append(t.always, r)
	}
	return t, nil
}

// Destination is one place a finding goes.
type Destination struct {
	Key   string // target key, stable across reloads: account:<id>, default, security, target:<name>
	Route string // why: the account route or the rule name
}

// Envelope is the EventBridge event GuardDuty would send for f: routing
// patterns match it, so GuardDuty's documented patterns work as written.
func Envelope(f *finding.Finding) ([]byte, error) {
	detail, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	// Built by hand around the one marshalled detail: marshalling a
	// RawMessage would re-validate and copy it.
	b := make([]byte, 0, len(detail)+256)
	b = append(b, `{"version":"0","id":`...)
	b = appendJSONString(b, f.ID)
	b = append(b, `,"detail-type":"GuardDuty Finding","source":"aws.guardduty","account":`...)
	b = appendJSONString(b, f.AccountID)
	b = append(b, `,"time":"`...)
	b = f.UpdatedAt.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `","region":`...)
	b = appendJSONString(b, f.Region)
	b = append(b, `,"resources":[],"detail":`...)
	b = append(b, detail...)
	return append(b, '}'), nil
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// Destinations returns where f goes. ev is f's envelope, parsed.
func (t *Table) Destinations(f *finding.Finding, ev *fastjson.Value) []Destination {
	var out []Destination
	if a, ok := t.accounts[f.AccountID]; ok {
		if a.SlackConfig.enabled() {
			out = appendSlack(out, "account:"+a.AccountID, "account "+a.AccountID, a.SlackConfig)
		}
	} else if t.cfg.Default != nil && t.cfg.Default.SlackConfig.enabled() {
		out = appendSlack(out, "default", "default", t.cfg.Default.SlackConfig)
	}
	if st := t.cfg.SecurityTeam; st != nil && st.SlackConfig.enabled() {
		min := st.MinSeverity
		if min == 0 {
			min = DefaultSecuritySev
		}
		if f.Severity >= min {
			out = append(out, Destination{Key: "security", Route: "security team"})
		}
	}
	for _, r := range t.matching(f, ev, nil) {
		for _, name := range r.Targets {
			out = appendUnique(out, Destination{Key: "target:" + name, Route: r.Name})
		}
	}
	return out
}

// matching appends the rules whose patterns match ev, looking only at
// those the indexes say can.
func (t *Table) matching(f *finding.Finding, ev *fastjson.Value, out []*Rule) []*Rule {
	add := func(rs []*Rule) {
		for _, r := range rs {
			if r.compiled.Match(ev) {
				out = append(out, r)
			}
		}
	}
	add(t.byAccount[f.AccountID])
	add(t.byType[f.Type])
	if len(f.Type) >= typeHead {
		add(t.byTypeHead[f.Type[:typeHead]])
	}
	add(t.always)
	return out
}

// typeHead is how many leading bytes of a finding type index prefix
// rules: enough to tell GuardDuty's threat purposes apart.
const typeHead = 3

// typeHeads returns the distinct heads of prefixes, or nil when one is
// shorter than typeHead (the rule then cannot be indexed this way).
func typeHeads(prefixes []string) []string {
	if prefixes == nil {
		return nil
	}
	var out []string
	for _, p := range prefixes {
		if len(p) < typeHead {
			return nil
		}
		if h := p[:typeHead]; !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

func appendRule(rs []*Rule, r *Rule) []*Rule {
	if slices.Contains(rs, r) {
		return rs
	}
	return append(rs, r)
}

// appendSlack adds a Slack route: its channel, or each of its webhook
// overrides (key#i) when it has them.
func appendSlack(out []Destination, key, route string, s SlackConfig) []Destination {
	if len(s.WebhookOverrides) == 0 {
		return append(out, Destination{Key: key, Route: route})
	}
	for i := range s.WebhookOverrides {
		out = append(out, Destination{Key: fmt.Sprintf("%s#%d", key, i), Route: route})
	}
	return out
}

func appendUnique(ds []Destination, d Destination) []Destination {
	for _, x := range ds {
		if x.Key == d.Key {
			return ds
		}
	}
	return append(ds, d)
}

// Target resolves a destination key to a notify target, with secrets from
// the environment. Keys of routes removed since queuing are an error.
func (t *Table) Target(key string) (notify.Target, error) {
	hook := -1
	if i := strings.LastIndexByte(key, '#'); i > 0 {
		n, err := strconv.Atoi(key[i+1:])
		if err != nil {
			return notify.Target{}, fmt.Errorf("bad route key %q", key)
		}
		key, hook = key[:i], n
	}
	slackBot := func(s SlackConfig, name string) (notify.Target, error) {
		if hook >= 0 {
			if hook >= len(s.WebhookOverrides) {
				return notify.Target{}, fmt.Errorf("webhook override %d of %s no longer configured", hook, name)
			}
			if err := CheckURL(s.WebhookOverrides[hook], t.cfg.allowed()); err != nil {
				return notify.Target{}, err
			}
			return notify.Target{Kind: "slack", URL: s.WebhookOverrides[hook], Name: name}, nil
		}
		tok, _ := t.env(t.cfg.Slack.TokenEnv)
		if tok == "" {
			return notify.Target{}, fmt.Errorf("no Slack bot token (routing.slack.token_env)")
		}
		return notify.Target{Kind: "slack", Channel: s.ChannelID, Name: name, Token: tok, URL: t.cfg.Slack.APIURL}, nil
	}
	switch {
	case strings.HasPrefix(key, "account:"):
		a, ok := t.accounts[strings.TrimPrefix(key, "account:")]
		if !ok {
			return notify.Target{}, fmt.Errorf("account route %s no longer configured", key)
		}
		name := a.SlackConfig.ChannelName
		if name == "" {
			name = a.SlackConfig.ChannelID
		}
		return slackBot(a.SlackConfig, name)
	case key == "default" && t.cfg.Default != nil:
		return slackBot(t.cfg.Default.SlackConfig, "default")
	case key == "security" && t.cfg.SecurityTeam != nil:
		return slackBot(t.cfg.SecurityTeam.SlackConfig, "security team")
	case strings.HasPrefix(key, "target:"):
		name := strings.TrimPrefix(key, "target:")
		tc, ok := t.cfg.Targets[name]
		if !ok {
			return notify.Target{}, fmt.Errorf("target %s no longer configured", name)
		}
		nt := notify.Target{Kind: tc.Kind, Channel: tc.Channel, Name: name, URL: tc.URL}
		if tc.URLEnv != "" {
			nt.URL, _ = t.env(tc.URLEnv)
		}
		if tc.TokenEnv != "" {
			nt.Token, _ = t.env(tc.TokenEnv)
		}
		if tc.SigningKeyEnv != "" {
			nt.SigningKey, _ = t.env(tc.SigningKeyEnv)
		}
		return nt, nil
	}
	return notify.Target{}, fmt.Errorf("unknown route %q", key)
}

// ChannelOf returns the Slack channel ID a route key posts to ("" when it
// is not a Slack channel).
func (t *Table) ChannelOf(key string) string {
	if i := strings.LastIndexByte(key, '#'); i > 0 {
		key = key[:i]
	}
	switch {
	case strings.HasPrefix(key, "account:"):
		if a, ok := t.accounts[strings.TrimPrefix(key, "account:")]; ok {
			return a.SlackConfig.ChannelID
		}
	case key == "default" && t.cfg.Default != nil:
		return t.cfg.Default.SlackConfig.ChannelID
	case key == "security" && t.cfg.SecurityTeam != nil:
		return t.cfg.SecurityTeam.SlackConfig.ChannelID
	case strings.HasPrefix(key, "target:"):
		if tc, ok := t.cfg.Targets[strings.TrimPrefix(key, "target:")]; ok && tc.Kind == "slack" {
			return tc.Channel
		}
	}
	return ""
}

// Table returns the dispatcher's current routing table.
func (d *Dispatcher) Table() *Table { return d.table.Load() }

// RunbookURL links a finding type's runbook: routing.runbook_url with
// {type} replaced, else the console's runbook page, else none.
func (t *Table) RunbookURL(findingType string) string {
	switch {
	case t.cfg.RunbookURL != "":
		return strings.ReplaceAll(t.cfg.RunbookURL, "{type}", url.PathEscape(findingType))
	case t.cfg.ConsoleURL != "":
		return strings.TrimSuffix(t.cfg.ConsoleURL, "/") + "/runbooks/" + url.PathEscape(findingType)
	}
	return ""
}

// Account names an account for messages.
func (t *Table) Account(id string) notify.Account {
	a := notify.Account{ID: id}
	if r, ok := t.accounts[id]; ok {
		a.Name = r.SlackConfig.ChannelName
	}
	return a
}

// Throttle decides whether a finding is notified to a destination again:
// a new finding, a severity increase, or — for repeats — once per repeat
// interval when it occurred again since the last notification.
func Throttle(f *finding.Finding, prev *store.NotifyState, now time.Time, repeat time.Duration) (notify.Reason, bool) {
	if prev == nil {
		return notify.ReasonNew, true
	}
	if f.Severity > prev.Severity {
		return notify.ReasonSeverityIncrease, true
	}
	if f.Service.Count > prev.Count && now.Sub(prev.At) >= repeat {
		return notify.ReasonRepeat, true
	}
	return "", false
}

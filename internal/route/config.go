// Package route decides where findings go and delivers them: suppression
// rules archive what a team has decided to ignore, per-account routing
// sends each finding to the channel of the team that owns the account,
// EventBridge-pattern rules add targets, throttling keeps repeats quiet,
// and a durable outbox in the store carries every notification through
// restarts and outages (see store.Router).
package route

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/picket-dev/picket/internal/route/pattern"
	"github.com/picket-dev/picket/internal/route/rego"
)

// Config is the routing section of picket.yaml.
type Config struct {
	// AccountsFile is the per-account routing file (a YAML list of
	// {accountID, slackConfig}), relative to the config file; reloaded
	// when it changes.
	AccountsFile string `yaml:"accounts_file"`
	// Default is the route of findings whose account is not listed.
	Default *AccountRoute `yaml:"default"`
	// SecurityTeam also receives findings at or above its min_severity.
	SecurityTeam *SecurityTeam `yaml:"security_team"`
	// Rules add targets for findings matching an EventBridge pattern over
	// the finding's EventBridge envelope.
	Rules []Rule `yaml:"rules"`
	// Policies are Rego filter policies (files or directories, package
	// picket.notify) deciding drop, severity, labels and extra channels.
	Policies []string `yaml:"policies"`
	// Targets are named destinations rules refer to.
	Targets map[string]TargetConfig `yaml:"targets"`
	// Slack is how account channels are posted to.
	Slack SlackConfig `yaml:"slack"`
	// RepeatInterval: a finding that goes on is notified again at most
	// this often (GuardDuty's export frequencies: 15m, 1h, 6h). Default 6h.
	RepeatInterval time.Duration `yaml:"repeat_interval"`
	// IncidentWindow: a finding of the same incident (type family, account,
	// region, resource and actor) as one notified within this window — from
	// another producer or detector — goes in that finding's thread instead
	// of a message of its own. Default 1h; a negative value turns it off.
	IncidentWindow time.Duration `yaml:"incident_window"`
	// GroupWait holds a notification this long so a burst of findings of
	// one type and account becomes one message. Default 0.
	GroupWait time.Duration `yaml:"group_wait"`
	// MinSeverity: findings below it are not notified. Default 0.
	MinSeverity float64 `yaml:"min_severity"`
	// MaxAttempts before a notification goes to Fallback (or dead). Default 8.
	MaxAttempts int `yaml:"max_attempts"`
	// Lease is how long a sender holds a notification it is sending; a
	// process killed mid-send leaves it to be retried after this. Default
	// 1m; keep it above the channels' timeouts (15s).
	Lease time.Duration `yaml:"lease"`
	// Fallback is the target name a notification goes to after MaxAttempts.
	Fallback string `yaml:"fallback"`
	// AllowedHosts are the hosts outbound URLs may name (webhook overrides,
	// targets). Default: hooks.slack.com, slack.com, events.pagerduty.com.
	AllowedHosts []string `yaml:"allowed_hosts"`
	// ConsoleURL is Picket's console base URL, for links in messages.
	ConsoleURL string `yaml:"console_url"`
	// RunbookURL is a URL template for the runbook link ({type} is replaced).
	RunbookURL string `yaml:"runbook_url"`
}

// AccountRoute is one entry of the accounts file (and the default route).
type AccountRoute struct {
	AccountID   string      `yaml:"accountID" json:"accountID"`
	SlackConfig SlackConfig `yaml:"slackConfig" json:"slackConfig"`
}

// SlackConfig is an account's Slack channel, or the Slack credentials.
type SlackConfig struct {
	ChannelID        string   `yaml:"channelID" json:"channelID"`
	ChannelName      string   `yaml:"channelName" json:"channelName"`
	Enabled          *bool    `yaml:"enabled" json:"enabled"`
	WebhookOverrides []string `yaml:"webhookOverrides" json:"webhookOverrides"`
	// For routing.slack only: the bot token's environment variable and an
	// API base URL override.
	TokenEnv string `yaml:"token_env,omitempty" json:"-"`
	APIURL   string `yaml:"api_url,omitempty" json:"-"`
}

func (s SlackConfig) enabled() bool { return s.Enabled == nil || *s.Enabled }

// SecurityTeam is the security engineers' channel.
type SecurityTeam struct {
	SlackConfig SlackConfig `yaml:"slackConfig"`
	MinSeverity float64     `yaml:"min_severity"` // default 7.0 (High)
}

// Rule adds targets for the findings its pattern matches.
type Rule struct {
	Name    string    `yaml:"name"`
	Pattern yaml.Node `yaml:"pattern"` // an EventBridge pattern, as YAML or a JSON string
	Targets []string  `yaml:"targets"`

	compiled *pattern.Pattern
}

// TargetConfig is a named destination. Secrets are named by environment
// variables, never written in the file.
type TargetConfig struct {
	Kind          string `yaml:"kind"` // slack, webhook, pagerduty, stdout
	Channel       string `yaml:"channel"`
	URLEnv        string `yaml:"url_env"`         // webhook URL or Slack incoming webhook
	TokenEnv      string `yaml:"token_env"`       // Slack bot token, PagerDuty routing key
	SigningKeyEnv string `yaml:"signing_key_env"` // generic webhook HMAC key
	URL           string `yaml:"url"`             // non-secret base URL override (tests, proxies)
}

// Defaults.
const (
	DefaultRepeatInterval = 6 * time.Hour
	DefaultMaxAttempts    = 8
	DefaultSecuritySev    = 7.0
)

// DefaultAllowedHosts are the hosts outbound URLs may name by default.
var DefaultAllowedHosts = []string{"hooks.slack.com", "slack.com", "events.pagerduty.com"}

var (
	accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)
	channelIDRe = regexp.MustCompile(`^[CGD][A-Z0-9]{6,}$`)
)

// ParseAccounts reads an accounts file: a YAML list of AccountRoute.
func ParseAccounts(b []byte) ([]AccountRoute, error) {
	var out []AccountRoute
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&out); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return out, nil
}

// validateSlack checks a channel and its webhook overrides.
func validateSlack(where string, s SlackConfig, allowed []string) []error {
	var errs []error
	if s.ChannelID != "" && !channelIDRe.MatchString(s.ChannelID) {
		errs = append(errs, fmt.Errorf("%s.channelID: %q is not a Slack channel ID (C…)", where, s.ChannelID))
	}
	if s.ChannelID == "" && len(s.WebhookOverrides) == 0 && s.enabled() {
		errs = append(errs, fmt.Errorf("%s: needs a channelID or webhookOverrides", where))
	}
	for i, u := range s.WebhookOverrides {
		if err := CheckURL(u, allowed); err != nil {
			errs = append(errs, fmt.Errorf("%s.webhookOverrides[%d]: %w", where, i, err))
		}
	}
	return errs
}

// CheckURL accepts https URLs whose host is allowed, so configuration
// cannot turn Picket into a request forwarder.
func CheckURL(raw string, allowed []string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid URL: %v", err)
	}
	host := strings.ToLower(u.Hostname())
	// Plain http only to this machine (a local relay, tests).
	if u.Scheme != "https" && !(u.Scheme == "http" && (host == "127.0.0.1" || host == "localhost" || host == "::1")) {
		return fmt.Errorf("URL must be https, got %q", u.Scheme)
	}
	for _, a := range allowed {
		a = strings.ToLower(a)
		if host == a || strings.HasSuffix(host, "."+a) {
			return nil
		}
	}
	return fmt.Errorf("host %q is not in routing.allowed_hosts (%s)", host, strings.Join(allowed, ", "))
}

// ValidateAccounts checks an accounts file's entries.
func ValidateAccounts(accts []AccountRoute, allowed []string) []error {
	var errs []error
	seen := map[string]bool{}
	for i, a := range accts {
		where := fmt.Sprintf("[%d]", i)
		if !accountIDRe.MatchString(a.AccountID) {
			errs = append(errs, fmt.Errorf("%s.accountID: %q is not a 12-digit AWS account ID", where, a.AccountID))
		}
		if seen[a.AccountID] {
			errs = append(errs, fmt.Errorf("%s.accountID: %s is listed twice", where, a.AccountID))
		}
		seen[a.AccountID] = true
		errs = append(errs, validateSlack(where+".slackConfig", a.SlackConfig, allowed)...)
	}
	return errs
}

// Validate checks the routing config (and loads and checks the accounts
// file); env resolves secrets' environment variables.
func (c *Config) Validate(env func(string) (string, bool)) []error {
	var errs []error
	if env == nil {
		env = os.LookupEnv
	}
	allowed := c.allowed()
	if c.RepeatInterval < 0 || c.GroupWait < 0 {
		errs = append(errs, errors.New("repeat_interval and group_wait must not be negative"))
	}
	if c.Lease != 0 && c.Lease < time.Second {
		errs = append(errs, fmt.Errorf("lease: at least 1s, got %v", c.Lease))
	}
	if c.AccountsFile != "" {
		b, err := os.ReadFile(c.AccountsFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("accounts_file: %w", err))
		} else if accts, err := ParseAccounts(b); err != nil {
			errs = append(errs, fmt.Errorf("accounts_file %s: %w", c.AccountsFile, err))
		} else {
			for _, e := range ValidateAccounts(accts, allowed) {
				errs = append(errs, fmt.Errorf("accounts_file %s%w", c.AccountsFile, e))
			}
		}
	}
	if c.Default != nil {
		errs = append(errs, validateSlack("default.slackConfig", c.Default.SlackConfig, allowed)...)
	}
	if c.SecurityTeam != nil {
		errs = append(errs, validateSlack("security_team.slackConfig", c.SecurityTeam.SlackConfig, allowed)...)
	}
	needsBot := c.SecurityTeam != nil && c.SecurityTeam.SlackConfig.ChannelID != "" || c.Default != nil && c.Default.SlackConfig.ChannelID != "" || c.AccountsFile != ""
	if c.Slack.APIURL != "" {
		if err := CheckURL(c.Slack.APIURL, allowed); err != nil {
			errs = append(errs, fmt.Errorf("slack.api_url: %w", err))
		}
	}
	if needsBot && c.Slack.TokenEnv == "" {
		errs = append(errs, errors.New("slack.token_env: account and team channels are posted to with a bot token; name its environment variable"))
	} else if c.Slack.TokenEnv != "" {
		if v, ok := env(c.Slack.TokenEnv); !ok || v == "" {
			errs = append(errs, fmt.Errorf("slack.token_env: environment variable %s is not set", c.Slack.TokenEnv))
		}
	}
	for name, t := range c.Targets {
		errs = append(errs, t.validate("targets."+name, env, allowed)...)
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		where := fmt.Sprintf("rules[%d]", i)
		if r.Name == "" {
			errs = append(errs, fmt.Errorf("%s: needs a name", where))
		}
		if _, err := r.compile(); err != nil {
			errs = append(errs, fmt.Errorf("%s (%s).pattern: %w", where, r.Name, err))
		}
		if len(r.Targets) == 0 {
			errs = append(errs, fmt.Errorf("%s (%s): needs targets", where, r.Name))
		}
		for _, t := range r.Targets {
			if _, ok := c.Targets[t]; !ok {
				errs = append(errs, fmt.Errorf("%s (%s): unknown target %q", where, r.Name, t))
			}
		}
	}
	if len(c.Policies) > 0 {
		names := make([]string, 0, len(c.Targets))
		for n := range c.Targets {
			names = append(names, n)
		}
		if _, err := rego.Load(c.Policies, rego.WithTargets(names...)); err != nil {
			errs = append(errs, fmt.Errorf("policies: %w", err))
		}
	}
	if c.Fallback != "" {
		if _, ok := c.Targets[c.Fallback]; !ok {
			errs = append(errs, fmt.Errorf("fallback: unknown target %q", c.Fallback))
		}
	}
	return errs
}

func (c *Config) allowed() []string {
	if len(c.AllowedHosts) > 0 {
		return c.AllowedHosts
	}
	return DefaultAllowedHosts
}

func (t TargetConfig) validate(where string, env func(string) (string, bool), allowed []string) []error {
	var errs []error
	need := func(field, name string) {
		if name == "" {
			errs = append(errs, fmt.Errorf("%s.%s: required for kind %s", where, field, t.Kind))
			return
		}
		if v, ok := env(name); !ok || v == "" {
			errs = append(errs, fmt.Errorf("%s.%s: environment variable %s is not set", where, field, name))
		}
	}
	switch t.Kind {
	case "slack":
		if t.URLEnv == "" {
			need("token_env", t.TokenEnv)
			if !channelIDRe.MatchString(t.Channel) {
				errs = append(errs, fmt.Errorf("%s.channel: %q is not a Slack channel ID", where, t.Channel))
			}
		} else {
			need("url_env", t.URLEnv)
		}
	case "webhook":
		need("url_env", t.URLEnv)
	case "pagerduty":
		need("token_env", t.TokenEnv)
	case "stdout":
	default:
		errs = append(errs, fmt.Errorf("%s.kind: unknown %q (slack, webhook, pagerduty, stdout)", where, t.Kind))
	}
	if t.URL != "" {
		if err := CheckURL(t.URL, allowed); err != nil {
			errs = append(errs, fmt.Errorf("%s.url: %w", where, err))
		}
	}
	if t.URLEnv != "" {
		if v, ok := env(t.URLEnv); ok && v != "" && t.Kind != "stdout" {
			if err := CheckURL(v, allowed); err != nil {
				errs = append(errs, fmt.Errorf("%s.url_env (%s): %w", where, t.URLEnv, err))
			}
		}
	}
	return errs
}

// compile compiles the rule's pattern: YAML mapping or a JSON string.
func (r *Rule) compile() (*pattern.Pattern, error) {
	if r.compiled != nil {
		return r.compiled, nil
	}
	var src []byte
	switch r.Pattern.Kind {
	case yaml.ScalarNode:
		src = []byte(r.Pattern.Value)
	case yaml.MappingNode:
		var v any
		if err := r.Pattern.Decode(&v); err != nil {
			return nil, err
		}
		b, err := jsonMarshal(v)
		if err != nil {
			return nil, err
		}
		src = b
	default:
		return nil, errors.New("a pattern is a mapping or a JSON string")
	}
	p, err := pattern.Compile(src)
	if err != nil {
		return nil, err
	}
	r.compiled = p
	return p, nil
}

// Package config loads picket.yaml: strict decoding (unknown keys are
// errors), defaults, and Validate, which reports every problem at once with
// the line it is on. Secrets come only from environment variables named in
// the file (keys ending in _env) and are held in a Secret that never prints.
//
// Problems name the key by its path in the file (sources[1].path) and say
// what was expected in YAML terms: an unknown key is reported as
// `unknown key "pathh" (did you mean "path"?)`, a value of the wrong type as
// `must be a duration like 5s, got "soon"`.
//
// Relative paths in a config file (data_dir, store.sqlite.path and
// sources[].path) are relative to the directory the file is in, not to the
// working directory of the process, so the same file means the same thing
// to a shell and to a daemon started in /. Load makes them absolute; the
// default data_dir, picket-data, is then a directory next to the file.
// Parse, which has no file, leaves them as they are written, as does
// Default.
package config

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/detect/dnsquery"
	"github.com/picket-dev/picket/internal/detect/netflow"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/intel"
	"github.com/picket-dev/picket/internal/route"
	"github.com/picket-dev/picket/internal/runbook"
)

// Config is the whole configuration.
type Config struct {
	// DataDir holds the SQLite database and other local state. Default
	// picket-data. Relative to the config file's directory (see Load).
	DataDir   string          `yaml:"data_dir"`
	Log       LogConfig       `yaml:"log"`
	Store     StoreConfig     `yaml:"store"`
	HTTP      HTTPConfig      `yaml:"http"`
	Pipeline  PipelineConfig  `yaml:"pipeline"`
	Detectors DetectorsConfig `yaml:"detectors"`
	// Routing decides where findings are notified (package route).
	Routing route.Config `yaml:"routing"`
	// Alerts tunes the alert workflow.
	Alerts AlertsConfig `yaml:"alerts"`
	// Intel lists threat, trusted and Tor lists (package intel).
	Intel   intel.Config   `yaml:"intel"`
	Sources []SourceConfig `yaml:"sources"`

	// Resolved secrets, filled by Load from the environment.
	PostgresDSN Secret   `yaml:"-"`
	APITokens   []Secret `yaml:"-"`
	SessionKey  Secret   `yaml:"-"` // http.session_key_env's value

	lines map[string]int // field path → line, for problems
	path  string
}

// LogConfig sets up logging.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text, json
}

// StoreConfig chooses the store.
type StoreConfig struct {
	Driver   string         `yaml:"driver"` // sqlite or postgres
	SQLite   SQLiteConfig   `yaml:"sqlite"`
	Postgres PostgresConfig `yaml:"postgres"`
}

// SQLiteConfig configures the embedded store.
type SQLiteConfig struct {
	// Path is the database file, default <data_dir>/picket.db. Relative to
	// the config file's directory (see Load), not to data_dir.
	Path string `yaml:"path"`
}

// PostgresConfig configures PostgreSQL. The DSN holds a password, so it is
// read from the environment variable DSNEnv, never from the file.
type PostgresConfig struct {
	DSNEnv string `yaml:"dsn_env"`
}

// HTTPConfig configures the API server.
type HTTPConfig struct {
	// Listen is the address of /healthz, /metrics and the API; "off"
	// disables the server. Default 127.0.0.1:7420.
	Listen string `yaml:"listen"`
	// APITokenEnv names an environment variable holding one or more API
	// bearer tokens, comma-separated: admin tokens for every account.
	APITokenEnv string `yaml:"api_token_env"`
	// Tokens are API tokens with a role and an account scope, given by
	// their SHA-256 (echo -n TOKEN | sha256sum): the file never holds them.
	Tokens []TokenConfig `yaml:"tokens"`
	// Users log in to the console with a password (bcrypt hash, from
	// `picket hash-password`), or through ProxyAuth.
	Users []UserConfig `yaml:"users"`
	// ProxyAuth trusts an identity header set by an authenticating
	// reverse proxy (oauth2-proxy), from the listed addresses only.
	ProxyAuth *ProxyAuthConfig `yaml:"proxy_auth"`
	// AccountTags name groups of accounts; a user's or token's accounts
	// may list "tag:NAME".
	AccountTags map[string][]string `yaml:"account_tags"`
	// SessionKeyEnv names an environment variable with the key that signs
	// console session cookies (32+ characters). Unset: a random key per
	// process (sessions end at a restart).
	SessionKeyEnv string `yaml:"session_key_env"`
	// SecureCookies marks session cookies Secure (HTTPS only). Default:
	// on, except when listening on a loopback address.
	SecureCookies *bool `yaml:"secure_cookies"`
	// SessionTTL is how long a console session lasts (default 12h).
	SessionTTL time.Duration `yaml:"session_ttl"`
}

// UserConfig is a console user.
type UserConfig struct {
	Name         string   `yaml:"name"`
	PasswordHash string   `yaml:"password_hash"` // bcrypt; empty: only through proxy_auth
	Role         string   `yaml:"role"`          // viewer, responder or admin
	Accounts     []string `yaml:"accounts"`      // account IDs, "tag:NAME", or ["*"]
}

// ProxyAuthConfig is the authenticating reverse proxy's identity header.
type ProxyAuthConfig struct {
	Header         string   `yaml:"header"`          // e.g. X-Forwarded-Email
	TrustedProxies []string `yaml:"trusted_proxies"` // CIDRs or addresses the header is accepted from
}

// TokenConfig is a scoped API token.
type TokenConfig struct {
	Name     string   `yaml:"name"`
	SHA256   string   `yaml:"sha256"`
	Role     string   `yaml:"role"`     // viewer, responder or admin
	Accounts []string `yaml:"accounts"` // account IDs (or "tag:NAME") it may see; empty: none (use ["*"] for all)
}

// ResolveAccounts expands an accounts list: nil for all ("*"), account
// tags replaced by their accounts.
func (h *HTTPConfig) ResolveAccounts(list []string) []string {
	var out []string
	for _, a := range list {
		if a == "*" {
			return nil
		}
		if tag, ok := strings.CutPrefix(a, "tag:"); ok {
			out = append(out, h.AccountTags[tag]...)
			continue
		}
		out = append(out, a)
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// PipelineConfig tunes ingestion.
type PipelineConfig struct {
	BatchSize          int `yaml:"batch_size"`           // records per commit
	MaxRecordBytes     int `yaml:"max_record_bytes"`     // larger records are quarantined
	EvidencePerFinding int `yaml:"evidence_per_finding"` // raw events kept per finding
}

// DetectorsConfig selects detectors.
type DetectorsConfig struct {
	Select   string   `yaml:"select"`   // e.g. "+cloudtrail,-pentest"
	Disabled []string `yaml:"disabled"` // detector names
	// Network tunes the flow detectors (package detect/netflow); its
	// local_networks also tell threat-intel flow checks which end is yours.
	Network netflow.Config `yaml:"network"`
	// DNS tunes the DNS query detectors (package detect/dnsquery).
	DNS dnsquery.Config `yaml:"dns"`
	// Sigma loads Sigma rules (package detect/sigma).
	Sigma SigmaConfig `yaml:"sigma"`
	// AWSIPRanges is AWS's published ip-ranges.json (download it from
	// https://ip-ranges.amazonaws.com/ip-ranges.json): the credential
	// exfiltration detectors need it to tell AWS addresses from others.
	AWSIPRanges string `yaml:"aws_ip_ranges"`
	// Credentials tunes the credential exfiltration detectors.
	Credentials CredentialsConfig `yaml:"credentials"`
	// Baseline tunes the behaviour baselines (package detect/baseline).
	Baseline BaselineConfig `yaml:"baseline"`
}

// BaselineConfig tunes the per-principal behaviour baselines. Zero
// values take the detector's defaults (docs/behaviour-baselines.md).
type BaselineConfig struct {
	LearningWindow time.Duration `yaml:"learning_window"` // default 168h
	MinEvents      int           `yaml:"min_events"`      // default 20
	MinDays        int           `yaml:"min_days"`        // default 3
	MaxPrincipals  int           `yaml:"max_principals"`  // default 100000
	VolumeFloor    int           `yaml:"volume_floor"`    // default 50 calls an hour
	// ASNFile is an iptoasn.com ip2asn-v4.tsv table: networks are then
	// profiled by autonomous system instead of /24.
	ASNFile string `yaml:"asn_file"`
}

// CredentialsConfig names the organisation's own egress.
type CredentialsConfig struct {
	// OwnPrefixes are NAT gateway Elastic IPs, proxies, VPN and office
	// egress (CIDRs): instance credentials used from them are never
	// reported.
	OwnPrefixes []string `yaml:"own_prefixes"`
	// OwnAccounts own shared VPC endpoints (12-digit IDs).
	OwnAccounts []string `yaml:"own_accounts"`
}

// AlertsConfig tunes the alert workflow.
type AlertsConfig struct {
	// SLAs: how long an alert may wait for acknowledgement, per severity.
	// Defaults: critical and high 15m, medium 4h, low 24h.
	SLAs struct {
		Critical time.Duration `yaml:"critical"`
		High     time.Duration `yaml:"high"`
		Medium   time.Duration `yaml:"medium"`
		Low      time.Duration `yaml:"low"`
	} `yaml:"sla"`
	// DigestHour is the UTC hour of the daily digest of each channel's open
	// alerts (default 9; -1 turns it off).
	DigestHour *int `yaml:"digest_hour"`
	// ArchiveDelay is how long a developer's archive waits for a security
	// engineer to object (from Slack). Default 30m.
	ArchiveDelay time.Duration `yaml:"archive_delay"`
	// SecurityUsers are the Slack user IDs of security engineers: their
	// archives apply at once.
	SecurityUsers []string `yaml:"security_users"`
	// Runbooks is a directory of Markdown runbooks (per finding type or
	// type prefix) that override and add to the built-in ones; relative to
	// the config file.
	Runbooks string `yaml:"runbooks"`
	// Slack is the Slack app that handles alerts (buttons, /picket). Its
	// bot token is routing.slack.token_env; the security channel is
	// routing.security_team's.
	Slack SlackAppConfig `yaml:"slack"`
}

// SlackAppConfig configures the Slack app. Secrets are named by
// environment variables.
type SlackAppConfig struct {
	SigningSecretEnv string `yaml:"signing_secret_env"` // HTTPS interactivity (POST /slack/interactive, /slack/commands)
	AppTokenEnv      string `yaml:"app_token_env"`      // Socket Mode (no public endpoint)
	OnDutyGroup      string `yaml:"on_duty_group"`      // Slack user group ID mentioned on escalation
}

// SLA returns the configured SLAs over the defaults.
func (a AlertsConfig) SLA() alert.SLA {
	s := alert.SLA{}
	for l, d := range alert.DefaultSLA {
		s[l] = d
	}
	for l, d := range map[finding.Label]time.Duration{finding.Critical: a.SLAs.Critical, finding.High: a.SLAs.High, finding.Medium: a.SLAs.Medium, finding.Low: a.SLAs.Low} {
		if d > 0 {
			s[l] = d
		}
	}
	return s
}

// SigmaConfig says where Sigma rules are and how to run them.
type SigmaConfig struct {
	// Rules are rule files or directories (searched recursively for
	// *.yml), relative to the config file.
	Rules []string `yaml:"rules"`
	// Placeholders are the values of %name% placeholders (|expand).
	Placeholders map[string][]string `yaml:"placeholders"`
	// Shadow lists rules (names or ids) that only count: their findings
	// are stored archived and never alert.
	Shadow []string `yaml:"shadow"`
	// MaxGroups bounds each correlation rule's group-by state.
	MaxGroups int `yaml:"max_groups"`
}

// SourceConfig is one input.
type SourceConfig struct {
	Name         string        `yaml:"name"`
	Type         string        `yaml:"type"`    // directory, file, stdin, http
	Path         string        `yaml:"path"`    // relative to the config file's directory (see Load)
	Format       string        `yaml:"format"`  // auto (default), cloudtrail, vpcflow or dns
	Include      []string      `yaml:"include"` // glob patterns on file names
	PollInterval time.Duration `yaml:"poll_interval"`
	// Settle is how long a file must stay unchanged before it is read, so a
	// file still being written is not read half-way.
	Settle time.Duration `yaml:"settle"`
	// FormatOptions are options only the format's decoder reads, e.g.
	// vpcflow's fields (the field list of flow logs delivered without a
	// header line, as CloudWatch Logs does).
	FormatOptions map[string]string `yaml:"format_options"`
	// HTTP is for type http: records pushed to POST /v1/ingest/<name>
	// (EventBridge API destinations, Firehose HTTP endpoint delivery).
	HTTP *HTTPSourceConfig `yaml:"http"`
	// StoreEvents keeps the source's raw events for investigation search
	// (default on); Retention is how long (default 720h, 30 days).
	StoreEvents *bool         `yaml:"store_events"`
	Retention   time.Duration `yaml:"retention"`
}

// DefaultRetention is how long stored events are kept by default.
const DefaultRetention = 30 * 24 * time.Hour

// KeepsEvents reports whether the source's events are stored.
func (s *SourceConfig) KeepsEvents() bool { return s.StoreEvents == nil || *s.StoreEvents }

// EventRetention is how long the source's events are kept.
func (s *SourceConfig) EventRetention() time.Duration {
	if s.Retention > 0 {
		return s.Retention
	}
	return DefaultRetention
}

// HTTPSourceConfig authenticates and limits an http source. Secrets are
// named by environment variables.
type HTTPSourceConfig struct {
	TokensEnv   string `yaml:"tokens_env"`    // comma-separated bearer tokens (also Firehose access keys, API-key header values)
	HMACKeysEnv string `yaml:"hmac_keys_env"` // comma-separated HMAC-SHA256 keys (X-Picket-Signature)
	Header      string `yaml:"header"`        // an API-key header compared with the tokens (e.g. X-Api-Key)
	Firehose    bool   `yaml:"firehose"`      // Amazon Data Firehose HTTP endpoint delivery
	// MaxBodyBytes bounds a request body (default 10 MiB); MaxDecodedBytes
	// bounds it decompressed (default MaxBodyBytes).
	MaxBodyBytes    int64         `yaml:"max_body_bytes"`
	MaxDecodedBytes int64         `yaml:"max_decoded_bytes"`
	MaxSkew         time.Duration `yaml:"max_skew"` // signed requests' clock skew (default 5m)
}

// Defaults.
const (
	DefaultDataDir        = "picket-data"
	DefaultListen         = "127.0.0.1:7420"
	DefaultBatchSize      = 2000
	DefaultMaxRecordBytes = 8 << 20
	DefaultEvidence       = 10
	DefaultPollInterval   = 5 * time.Second
	DefaultSettle         = 2 * time.Second
)

// DefaultInclude are the file names read from directories by default.
var DefaultInclude = []string{"*.json", "*.json.gz", "*.jsonl", "*.jsonl.gz", "*.ndjson", "*.log", "*.gz"}

// Default returns the configuration used when no file is given.
func Default() *Config {
	c := &Config{}
	c.applyDefaults()
	return c
}

// Load reads, decodes and resolves a config file. Decoding problems
// (syntax, unknown keys, wrong types) are returned as Problems; when the
// file could still be decoded in part (unknown keys, wrong types), the
// config is returned too, so that check-config can report its Validate
// problems along with them.
//
// The relative paths of the file (data_dir, store.sqlite.path,
// sources[].path, and the defaults derived from data_dir) are made absolute
// against the directory of path, as named (symbolic links are not
// followed); absolute paths are left as they are.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	c, err := Parse(b)
	if c != nil {
		c.path = path
		dir := filepath.Dir(path)
		if abs, aerr := filepath.Abs(dir); aerr == nil {
			dir = abs
		}
		c.resolvePaths(dir)
	}
	if err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// resolvePaths makes the relative paths of c relative to dir.
func (c *Config) resolvePaths(dir string) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	abs(&c.DataDir)
	abs(&c.Store.SQLite.Path)
	for i := range c.Detectors.Sigma.Rules {
		abs(&c.Detectors.Sigma.Rules[i])
	}
	abs(&c.Detectors.AWSIPRanges)
	abs(&c.Detectors.Baseline.ASNFile)
	abs(&c.Routing.AccountsFile)
	abs(&c.Alerts.Runbooks)
	for i := range c.Routing.Policies {
		abs(&c.Routing.Policies[i])
	}
	for i := range c.Sources {
		abs(&c.Sources[i].Path)
	}
	for i := range c.Intel.Lists {
		abs(&c.Intel.Lists[i].Path)
	}
}

// Parse decodes YAML strictly and fills defaults. On unknown keys or wrong
// types it returns the config decoded from the rest along with the
// problems, each naming its key (sources[0].path); on a syntax error, only
// the problem. Relative paths are left as written: only Load knows what
// they are relative to.
func Parse(b []byte) (*Config, error) {
	c := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var te *yaml.TypeError
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		if !errors.As(err, &te) {
			return nil, decodeError(err)
		}
	}
	var root yaml.Node
	rerr := yaml.Unmarshal(b, &root)
	if rerr == nil {
		c.lines = map[string]int{}
		indexLines(&root, "", c.lines)
	}
	var derr error
	if te != nil {
		// yaml found problems; say which keys they are on.
		var ps Problems
		if rerr == nil {
			ps = checkTree(&root)
		}
		if len(ps) == 0 {
			for _, e := range te.Errors {
				ps = append(ps, fromYAMLMessage(problemFromYAML(e)))
			}
		}
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
		derr = ps
	}
	c.applyDefaults()
	return c, derr
}

// decodeError turns a yaml error that stopped decoding (a syntax error)
// into a problem.
func decodeError(err error) error {
	return Problems{problemFromYAML(err.Error())}
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

func problemFromYAML(msg string) Problem {
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return Problem{Line: n, Msg: m[2]}
	}
	return Problem{Msg: strings.TrimPrefix(msg, "yaml: ")}
}

// indexLines records the line of every mapping key and sequence item by
// its field path (sources[0].path).
func indexLines(n *yaml.Node, path string, out map[string]int) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			indexLines(c, path, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			out[p] = k.Line
			indexLines(n.Content[i+1], p, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			out[p] = c.Line
			indexLines(c, p, out)
		}
	}
}

func (c *Config) applyDefaults() {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	if c.HTTP.Listen == "" {
		c.HTTP.Listen = DefaultListen
	}
	if c.Store.Driver == "" {
		c.Store.Driver = "sqlite"
	}
	if c.Store.SQLite.Path == "" {
		c.Store.SQLite.Path = filepath.Join(c.DataDir, "picket.db")
	}
	if c.Pipeline.BatchSize == 0 {
		c.Pipeline.BatchSize = DefaultBatchSize
	}
	if c.Pipeline.MaxRecordBytes == 0 {
		c.Pipeline.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if c.Pipeline.EvidencePerFinding == 0 {
		c.Pipeline.EvidencePerFinding = DefaultEvidence
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		if s.Format == "" {
			s.Format = "auto" // each file's format from its first bytes
		}
		if s.Type == "directory" && len(s.Include) == 0 {
			s.Include = DefaultInclude
		}
		if s.PollInterval == 0 {
			s.PollInterval = DefaultPollInterval
		}
		if s.Settle == 0 && c.lines[fmt.Sprintf("sources[%d].settle", i)] == 0 {
			s.Settle = DefaultSettle // unset; an explicit 0s reads files as soon as they are seen
		}
	}
}

// Problem is one configuration problem.
type Problem struct {
	Line  int    // 0 when unknown
	Field string // e.g. sources[0].path
	Msg   string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found; it is an error when non-empty.
type Problems []Problem

func (ps Problems) Error() string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, "\n")
}

// Env reads environment variables; tests replace it.
type Env func(string) (string, bool)

// Checks are the outside facts Validate consults, so tests can stub them.
type Checks struct {
	Env         Env
	Formats     func(string) bool                          // known decoder formats
	SelectCheck func(expr string, disabled []string) error // detector selection
	// FormatOptions checks a source's format_options for its format.
	FormatOptions func(format string, opts map[string]string) error
	// SigmaCheck reports the configured Sigma rules that do not load.
	SigmaCheck func() []string
}

// Validate reports every problem of c at once and resolves the secrets it
// names from the environment. A nil Problems means the config is usable.
func (c *Config) Validate(ck Checks) error {
	if ck.Env == nil {
		ck.Env = os.LookupEnv
	}
	var ps Problems
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Line: c.lineOf(field), Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("log.level", "unknown level %q (want debug, info, warn or error)", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		add("log.format", "unknown format %q (want text or json)", c.Log.Format)
	}
	switch c.Store.Driver {
	case "sqlite":
	case "postgres":
		if c.Store.Postgres.DSNEnv == "" {
			add("store.postgres.dsn_env", "required with driver postgres: the environment variable holding the DSN")
		} else if v, ok := ck.Env(c.Store.Postgres.DSNEnv); !ok || v == "" {
			add("store.postgres.dsn_env", "environment variable %s is not set", c.Store.Postgres.DSNEnv)
		} else {
			c.PostgresDSN = NewSecret(v)
		}
	default:
		add("store.driver", "unknown driver %q (want sqlite or postgres)", c.Store.Driver)
	}
	if c.HTTP.Listen != "off" {
		if _, port, err := splitHostPort(c.HTTP.Listen); err != nil || port == "" {
			add("http.listen", "not a host:port address (or off): %q", c.HTTP.Listen)
		}
	}
	c.APITokens = nil
	if c.HTTP.APITokenEnv != "" {
		v, ok := ck.Env(c.HTTP.APITokenEnv)
		if !ok || strings.TrimSpace(v) == "" {
			add("http.api_token_env", "environment variable %s is not set", c.HTTP.APITokenEnv)
		}
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				if len(t) < 16 {
					add("http.api_token_env", "a token in %s is shorter than 16 characters", c.HTTP.APITokenEnv)
					continue
				}
				c.APITokens = append(c.APITokens, NewSecret(t))
			}
		}
	}
	if c.Pipeline.BatchSize < 1 || c.Pipeline.BatchSize > 1_000_000 {
		add("pipeline.batch_size", "must be between 1 and 1000000, got %d", c.Pipeline.BatchSize)
	}
	if c.Pipeline.MaxRecordBytes < 1024 || c.Pipeline.MaxRecordBytes > 1<<30 {
		add("pipeline.max_record_bytes", "must be between 1024 and 1073741824, got %d", c.Pipeline.MaxRecordBytes)
	}
	if c.Pipeline.EvidencePerFinding < 1 || c.Pipeline.EvidencePerFinding > 1000 {
		add("pipeline.evidence_per_finding", "must be between 1 and 1000, got %d", c.Pipeline.EvidencePerFinding)
	}
	if ck.SelectCheck != nil {
		if err := ck.SelectCheck(c.Detectors.Select, c.Detectors.Disabled); err != nil {
			field := "detectors.select"
			if c.lineOf(field) == 0 {
				field = "detectors.disabled"
			}
			add(field, "%v", err)
		}
	}
	for i, tk := range c.HTTP.Tokens {
		f := func(k string) string { return fmt.Sprintf("http.tokens[%d].%s", i, k) }
		if tk.Name == "" {
			add(f("name"), "required")
		}
		if b, err := hex.DecodeString(tk.SHA256); err != nil || len(b) != 32 {
			add(f("sha256"), "must be the token's SHA-256 as 64 hex digits (echo -n TOKEN | sha256sum)")
		}
		switch tk.Role {
		case "viewer", "responder", "admin":
		default:
			add(f("role"), "unknown role %q (viewer, responder, admin)", tk.Role)
		}
		checkAccounts(c, f("accounts"), tk.Accounts, add)
	}
	seenUser := map[string]bool{}
	for i, u := range c.HTTP.Users {
		f := func(k string) string { return fmt.Sprintf("http.users[%d].%s", i, k) }
		if u.Name == "" {
			add(f("name"), "required")
		} else if seenUser[u.Name] {
			add(f("name"), "duplicate user %q", u.Name)
		}
		seenUser[u.Name] = true
		switch u.Role {
		case "viewer", "responder", "admin":
		default:
			add(f("role"), "unknown role %q (viewer, responder, admin)", u.Role)
		}
		if u.PasswordHash == "" && c.HTTP.ProxyAuth == nil {
			add(f("password_hash"), "required (picket hash-password) unless http.proxy_auth is set")
		}
		if h := u.PasswordHash; h != "" && !(strings.HasPrefix(h, "$2a$") || strings.HasPrefix(h, "$2b$") || strings.HasPrefix(h, "$2y$")) {
			add(f("password_hash"), "not a bcrypt hash (picket hash-password prints one)")
		}
		checkAccounts(c, f("accounts"), u.Accounts, add)
	}
	if pa := c.HTTP.ProxyAuth; pa != nil {
		if pa.Header == "" {
			add("http.proxy_auth.header", "required: the identity header the proxy sets (e.g. X-Forwarded-Email)")
		}
		if len(pa.TrustedProxies) == 0 {
			add("http.proxy_auth.trusted_proxies", "required: the proxy's addresses (CIDRs); the header is ignored from anywhere else")
		}
		for _, p := range pa.TrustedProxies {
			if _, err := ParsePrefixOrAddr(p); err != nil {
				add("http.proxy_auth.trusted_proxies", "%q: %v", p, err)
			}
		}
	}
	for tag, accts := range c.HTTP.AccountTags {
		for _, a := range accts {
			if !isAccountID(a) {
				add("http.account_tags."+tag, "%q is not a 12-digit account ID", a)
			}
		}
	}
	if c.HTTP.SessionKeyEnv != "" {
		if v, ok := ck.Env(c.HTTP.SessionKeyEnv); !ok || len(v) < 32 {
			add("http.session_key_env", "environment variable %s must hold at least 32 characters", c.HTTP.SessionKeyEnv)
		} else {
			c.SessionKey = NewSecret(v)
		}
	}
	for i, src := range c.Sources {
		if src.Retention < 0 {
			add(fmt.Sprintf("sources[%d].retention", i), "must not be negative")
		}
	}
	for _, err := range c.Routing.Validate(ck.Env) {
		add("routing", "%v", err)
	}
	if c.Alerts.Runbooks != "" {
		if _, err := runbook.Load(c.Alerts.Runbooks); err != nil {
			add("alerts.runbooks", "%v", err)
		}
	}
	if p := c.Detectors.AWSIPRanges; p != "" {
		if _, err := os.Stat(p); err != nil {
			add("detectors.aws_ip_ranges", "%v (download https://ip-ranges.amazonaws.com/ip-ranges.json)", err)
		}
	}
	if p := c.Detectors.Baseline.ASNFile; p != "" {
		if _, err := os.Stat(p); err != nil {
			add("detectors.baseline.asn_file", "%v", err)
		}
	}
	if b := c.Detectors.Baseline; b.LearningWindow < 0 || b.MinEvents < 0 || b.MinDays < 0 || b.MaxPrincipals < 0 || b.VolumeFloor < 0 {
		add("detectors.baseline", "values must not be negative")
	}
	for i, p := range c.Detectors.Credentials.OwnPrefixes {
		if _, err := ParsePrefixOrAddr(p); err != nil {
			add(fmt.Sprintf("detectors.credentials.own_prefixes[%d]", i), "%q: %v", p, err)
		}
	}
	for i, a := range c.Detectors.Credentials.OwnAccounts {
		if !isAccountID(a) {
			add(fmt.Sprintf("detectors.credentials.own_accounts[%d]", i), "%q is not a 12-digit account ID", a)
		}
	}
	for i, p := range c.Detectors.Sigma.Rules {
		if _, err := os.Stat(p); err != nil {
			add(fmt.Sprintf("detectors.sigma.rules[%d]", i), "%v", err)
		}
	}
	if ck.SigmaCheck != nil {
		for _, p := range ck.SigmaCheck() {
			add("detectors.sigma.rules", "%s", p)
		}
	}
	for field, err := range map[string]error{
		"detectors.network": c.Detectors.Network.Validate(),
		"detectors.dns":     c.Detectors.DNS.Validate(),
		"intel":             c.Intel.Validate(),
	} {
		if err == nil {
			continue
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			add(field, "%s", line)
		}
	}
	names := map[string]int{}
	for i := range c.Sources {
		s := &c.Sources[i]
		f := func(k string) string { return fmt.Sprintf("sources[%d].%s", i, k) }
		if s.Name == "" {
			add(f("name"), "required")
		} else if j, dup := names[s.Name]; dup {
			add(f("name"), "duplicate source name %q (also sources[%d])", s.Name, j)
		} else {
			names[s.Name] = i
		}
		switch s.Type {
		case "directory", "file":
			if s.Path == "" {
				add(f("path"), "required for type %s", s.Type)
			} else if st, err := os.Stat(s.Path); err != nil {
				add(f("path"), "%v", err)
			} else if s.Type == "directory" && !st.IsDir() {
				add(f("path"), "%s is not a directory", s.Path)
			} else if s.Type == "file" && st.IsDir() {
				add(f("path"), "%s is a directory (use type: directory)", s.Path)
			}
		case "stdin":
		case "http":
			h := s.HTTP
			switch {
			case h == nil:
				add(f("http"), "required for type http: tokens_env or hmac_keys_env")
			case h.TokensEnv == "" && h.HMACKeysEnv == "":
				add(f("http"), "needs tokens_env or hmac_keys_env: pushed records are authenticated")
			default:
				for k, name := range map[string]string{"tokens_env": h.TokensEnv, "hmac_keys_env": h.HMACKeysEnv} {
					if name == "" {
						continue
					}
					if v, ok := ck.Env(name); !ok || v == "" {
						add(f("http."+k), "environment variable %s is not set", name)
					}
				}
			}
		case "":
			add(f("type"), "required (directory, file, stdin or http)")
		default:
			add(f("type"), "unknown source type %q (want directory, file, stdin or http)", s.Type)
		}
		if s.HTTP != nil && s.Type != "http" {
			add(f("http"), "only for type http")
		}
		if ck.Formats != nil && !ck.Formats(s.Format) {
			add(f("format"), "unknown format %q", s.Format)
		} else if ck.FormatOptions != nil {
			if err := ck.FormatOptions(s.Format, s.FormatOptions); err != nil {
				add(f("format_options"), "%v", err)
			}
		}
		for _, g := range s.Include {
			if _, err := filepath.Match(g, "x"); err != nil {
				add(f("include"), "bad pattern %q: %v", g, err)
			}
		}
		if s.PollInterval < 100*time.Millisecond {
			add(f("poll_interval"), "must be at least 100ms, got %s", s.PollInterval)
		}
		if s.Settle < 0 {
			add(f("settle"), "must not be negative")
		}
	}
	if len(ps) == 0 {
		return nil
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
	return ps
}

// lineOf finds the line of a field, or of its closest known parent.
func (c *Config) lineOf(field string) int {
	for p := field; p != ""; {
		if n, ok := c.lines[p]; ok {
			return n
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

// Path is the file the config came from ("" for defaults).
func (c *Config) Path() string { return c.path }

func splitHostPort(s string) (string, string, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", "", errors.New("missing port")
	}
	port := s[i+1:]
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", "", fmt.Errorf("bad port %q", port)
	}
	return s[:i], port, nil
}

// Merge combines decoding and validation errors into one error: every
// Problem in one list ordered by line, or, when an error is not a list of
// problems (a file that cannot be read), all of them joined.
func Merge(errs ...error) error {
	var ps Problems
	var other []error
	for _, err := range errs {
		var p Problems
		switch {
		case err == nil:
		case errors.As(err, &p):
			ps = append(ps, p...)
		default:
			other = append(other, err)
		}
	}
	if len(other) > 0 {
		return errors.Join(append(other, nilIfEmpty(ps))...)
	}
	if len(ps) == 0 {
		return nil
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
	return ps
}

func nilIfEmpty(ps Problems) error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

func isAccountID(a string) bool { return len(a) == 12 && strings.Trim(a, "0123456789") == "" }

// checkAccounts validates an accounts list of a token or user.
func checkAccounts(c *Config, field string, accts []string, add func(field, format string, args ...any)) {
	if len(accts) == 0 {
		add(field, "required: account IDs, tag:NAME, or [\"*\"] for all")
	}
	for _, a := range accts {
		if tag, ok := strings.CutPrefix(a, "tag:"); ok {
			if _, known := c.HTTP.AccountTags[tag]; !known {
				add(field, "unknown account tag %q (define it in http.account_tags)", tag)
			}
			continue
		}
		if a != "*" && !isAccountID(a) {
			add(field, "%q is not a 12-digit account ID", a)
		}
	}
}

// ParsePrefixOrAddr reads a CIDR or a single address (as a /32 or /128).
func ParsePrefixOrAddr(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("not a CIDR or an IP address")
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

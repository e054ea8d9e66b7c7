package baseline

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Class is the tactic class of an API call (0: none).
type Class uint8

// Tactic classes. The first eight raise <Class>:IAMUser/AnomalousBehavior;
// the S3 classes raise GuardDuty's S3 anomaly types.
const (
	None Class = iota
	Discovery
	CredentialAccess
	DefenseEvasion
	Exfiltration
	Impact
	InitialAccess
	Persistence
	PrivilegeEscalation
	S3Discovery
	S3Read
	S3Write
	S3Delete
	S3Permission
	numClasses = iota - 1 // classes 1..numClasses
)

var classNames = [...]string{
	None: "", Discovery: "Discovery", CredentialAccess: "CredentialAccess", DefenseEvasion: "DefenseEvasion",
	Exfiltration: "Exfiltration", Impact: "Impact", InitialAccess: "InitialAccess", Persistence: "Persistence",
	PrivilegeEscalation: "PrivilegeEscalation", S3Discovery: "S3Discovery", S3Read: "S3Read", S3Write: "S3Write",
	S3Delete: "S3Delete", S3Permission: "S3Permission",
}

func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

func (c Class) bit() uint16 { return 1 << (c - 1) }

// ParseClass reads a class name.
func ParseClass(s string) (Class, bool) {
	for i, n := range classNames {
		if i > 0 && n == s {
			return Class(i), true
		}
	}
	return None, false
}

// findingType is the GuardDuty type and default severity a class raises.
type findingType struct {
	typ string
	sev float64
	s3  bool
}

var classTypes = [...]findingType{
	Discovery:           {"Discovery:IAMUser/AnomalousBehavior", 2.0, false},
	CredentialAccess:    {"CredentialAccess:IAMUser/AnomalousBehavior", 5.0, false},
	DefenseEvasion:      {"DefenseEvasion:IAMUser/AnomalousBehavior", 5.0, false},
	Exfiltration:        {"Exfiltration:IAMUser/AnomalousBehavior", 8.0, false},
	Impact:              {"Impact:IAMUser/AnomalousBehavior", 8.0, false},
	InitialAccess:       {"InitialAccess:IAMUser/AnomalousBehavior", 5.0, false},
	Persistence:         {"Persistence:IAMUser/AnomalousBehavior", 5.0, false},
	PrivilegeEscalation: {"PrivilegeEscalation:IAMUser/AnomalousBehavior", 5.0, false},
	S3Discovery:         {"Discovery:S3/AnomalousBehavior", 2.0, true},
	S3Read:              {"Exfiltration:S3/AnomalousBehavior", 8.0, true},
	S3Write:             {"Impact:S3/AnomalousBehavior.Write", 5.0, true},
	S3Delete:            {"Impact:S3/AnomalousBehavior.Delete", 8.0, true},
	S3Permission:        {"Impact:S3/AnomalousBehavior.Permission", 8.0, true},
}

// Console sign-in from an unusual network or user agent.
const (
	typeConsoleLogin = "UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B"
	sevConsoleLogin  = 5.0
)

//go:embed tactics.yaml
var tacticsYAML []byte

// Table maps API calls to tactic classes.
type Table struct {
	exact        map[apiKey]Class
	prefixes     map[string][]prefix // by eventSource; "*" for every source
	any          []prefix
	unclassified map[apiKey]string // reason
}

type apiKey struct{ source, name string }

type prefix struct {
	p string
	c Class
}

type tableFile struct {
	Sources      map[string]map[string]string `yaml:"sources"`
	Unclassified map[string]map[string]string `yaml:"unclassified"`
}

// ParseTable reads a table in tactics.yaml's format.
func ParseTable(b []byte) (*Table, error) {
	var f tableFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("tactics table: %w", err)
	}
	t := &Table{exact: map[apiKey]Class{}, prefixes: map[string][]prefix{}, unclassified: map[apiKey]string{}}
	for src, names := range f.Sources {
		for name, cn := range names {
			c, ok := ParseClass(cn)
			if !ok {
				return nil, fmt.Errorf("tactics table: %s %s: unknown class %q", src, name, cn)
			}
			if p, ok := strings.CutSuffix(name, "*"); ok {
				t.prefixes[src] = append(t.prefixes[src], prefix{p, c})
				continue
			}
			if strings.Contains(name, "*") {
				return nil, fmt.Errorf("tactics table: %s %s: * only at the end", src, name)
			}
			if src == "*" {
				return nil, fmt.Errorf("tactics table: source \"*\" takes only patterns, not %s", name)
			}
			t.exact[apiKey{src, name}] = c
		}
	}
	for src, ps := range t.prefixes {
		// Longest prefix first, then by name for a stable order.
		sort.Slice(ps, func(i, j int) bool {
			if len(ps[i].p) != len(ps[j].p) {
				return len(ps[i].p) > len(ps[j].p)
			}
			return ps[i].p < ps[j].p
		})
		if src == "*" {
			t.any = ps
		}
	}
	for src, names := range f.Unclassified {
		for name, reason := range names {
			if strings.TrimSpace(reason) == "" {
				return nil, fmt.Errorf("tactics table: unclassified %s %s has no reason", src, name)
			}
			k := apiKey{src, name}
			if _, dup := t.exact[k]; dup {
				return nil, fmt.Errorf("tactics table: %s %s is both classified and unclassified", src, name)
			}
			t.unclassified[k] = reason
		}
	}
	return t, nil
}

// DefaultTable is the embedded tactics.yaml.
func DefaultTable() *Table { return defaultTable }

var defaultTable = func() *Table {
	t, err := ParseTable(tacticsYAML)
	if err != nil {
		panic(err)
	}
	return t
}()

// Classify returns the class of an API call. unclassified is true when
// the table says on purpose that the call has no class.
func (t *Table) Classify(source, name string) (c Class, unclassified bool) {
	name = stripVersion(name)
	if c, ok := t.exact[apiKey{source, name}]; ok {
		return c, false
	}
	if _, ok := t.unclassified[apiKey{source, name}]; ok {
		return None, true
	}
	for _, p := range t.prefixes[source] {
		if strings.HasPrefix(name, p.p) {
			return p.c, false
		}
	}
	for _, p := range t.any {
		if strings.HasPrefix(name, p.p) {
			return p.c, false
		}
	}
	return None, false
}

// Reason returns why a call is listed as unclassified ("" when not).
func (t *Table) Reason(source, name string) string {
	return t.unclassified[apiKey{source, stripVersion(name)}]
}

// Rows lists the table for documentation: source, name or pattern, class.
func (t *Table) Rows() [][3]string {
	var out [][3]string
	for k, c := range t.exact {
		out = append(out, [3]string{k.source, k.name, c.String()})
	}
	for src, ps := range t.prefixes {
		for _, p := range ps {
			out = append(out, [3]string{src, p.p + "*", p.c.String()})
		}
	}
	for k, r := range t.unclassified {
		out = append(out, [3]string{k.source, k.name, "unclassified: " + r})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i][0] != out[j][0] {
			return out[i][0] < out[j][0]
		}
		return out[i][1] < out[j][1]
	})
	return out
}

// stripVersion drops the API-version suffix Lambda puts on its event
// names: UpdateFunctionCode20150331v2 → UpdateFunctionCode.
func stripVersion(name string) string {
	i := len(name)
	// optional v<digits>
	j := i
	for j > 0 && isDigit(name[j-1]) {
		j--
	}
	if j < i && j > 0 && name[j-1] == 'v' {
		i = j - 1
	}
	// eight digits (a date)
	k := i
	for k > 0 && isDigit(name[k-1]) {
		k--
	}
	if i-k == 8 && k > 0 {
		return name[:k]
	}
	return name
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

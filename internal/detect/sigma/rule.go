// Package sigma runs Sigma rules (https://sigmahq.io/docs/, specification
// v2) unmodified: rules are parsed once, compiled into matchers over the
// event's raw JSON, indexed by the field that discriminates most
// (CloudTrail's eventName, Kubernetes' verb), and evaluated together in one
// pass per event with no allocation. Correlation rules (event_count,
// value_count, temporal, temporal_ordered) run on bounded state tables.
//
// A matching rule becomes a GuardDuty-shaped finding: the type is derived
// from the rule's ATT&CK tactic and log source (see typeName), the severity
// from its level, and the rule's title, id, author, references and false
// positives travel with the finding (the Detection Rule License asks for
// attribution).
package sigma

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Rule is one parsed Sigma rule (a detection rule or a correlation rule).
type Rule struct {
	File string // where it was loaded from
	Line int    // line of the rule's first key in File
	Doc  int    // 0-based YAML document index within File

	Title          string
	ID             string
	Name           string
	Status         string
	Description    string
	Author         string
	Date           string
	Modified       string
	Level          string
	License        string
	References     []string
	Tags           []string
	FalsePositives []string
	Fields         []string
	Logsource      Logsource

	// Detection rules.
	detection *yaml.Node
	// Correlation rules.
	Correlation *Correlation

	// Custom attributes Picket reads.
	Shadow bool // picket.shadow: count matches, raise archived findings, never alert
}

// Logsource is the rule's logsource section.
type Logsource struct {
	Product    string `yaml:"product"`
	Service    string `yaml:"service"`
	Category   string `yaml:"category"`
	Definition string `yaml:"definition"`
}

// Correlation is a correlation rule's correlation section.
type Correlation struct {
	Type      string            // event_count, value_count, temporal, temporal_ordered
	Rules     []string          // referenced rule names or ids
	GroupBy   []string          // fields (or aliases)
	Timespan  string            // as written, e.g. 5m
	Condition map[string]string // gt/gte/lt/lte/eq/neq → number; field → name
	Aliases   map[string]map[string]string
	Generate  bool
	line      int
}

// Error is a problem with a rule, located in its file.
type Error struct {
	File string
	Line int
	Rule string // title or id when known
	Err  error
	// Skipped marks a rule left out on purpose (status deprecated), which
	// is a notice, not a failure.
	Skipped bool
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Rule != "" {
		return fmt.Sprintf("%s: rule %q: %v", loc, e.Rule, e.Err)
	}
	return fmt.Sprintf("%s: %v", loc, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// lineError is an error tied to a line of the file being parsed.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return e.msg }

func errAt(n *yaml.Node, format string, a ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &lineError{line: line, msg: fmt.Sprintf(format, a...)}
}

// ParseFile parses every rule in a YAML file (several documents may hold
// several rules, as correlation rules do with their base rules).
func ParseFile(path string) ([]*Rule, []error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, []error{&Error{File: path, Err: err}}
	}
	return Parse(path, b)
}

// Parse parses the rules in b; file names the origin in errors. A
// document that fails yields an *Error and the others still load.
func Parse(file string, b []byte) ([]*Rule, []error) {
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	var rules []*Rule
	var errs []error
	for doc := 0; ; doc++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, &Error{File: file, Line: yamlErrLine(err), Err: fmt.Errorf("invalid YAML: %w", err)})
			break // the decoder cannot resume after a syntax error
		}
		if len(n.Content) == 0 {
			continue
		}
		root := n.Content[0]
		r, err := parseRule(root)
		if r != nil {
			r.File, r.Doc, r.Line = file, doc, root.Line
		}
		if err != nil {
			e := &Error{File: file, Err: err}
			var le *lineError
			if errors.As(err, &le) {
				e.Line = le.line
			}
			if r != nil {
				e.Rule = r.label()
			}
			errs = append(errs, e)
			continue
		}
		if r.detection == nil && r.Correlation == nil && r.Title == "" {
			continue // an empty document
		}
		rules = append(rules, r)
	}
	return rules, errs
}

func yamlErrLine(err error) int {
	var n int
	s := err.Error()
	if i := strings.Index(s, "line "); i >= 0 {
		fmt.Sscanf(s[i+5:], "%d", &n)
	}
	return n
}

// label names the rule in messages.
func (r *Rule) label() string {
	switch {
	case r.Title != "":
		return r.Title
	case r.ID != "":
		return r.ID
	}
	return r.Name
}

// parseRule reads one document.
func parseRule(n *yaml.Node) (*Rule, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errAt(n, "a rule must be a YAML mapping")
	}
	r := &Rule{}
	var errs []error
	var generate *bool
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "title":
			err = scalar(v, &r.Title)
		case "id":
			err = scalar(v, &r.ID)
		case "name":
			err = scalar(v, &r.Name)
		case "status":
			err = scalar(v, &r.Status)
		case "description":
			err = scalar(v, &r.Description)
		case "author":
			err = scalar(v, &r.Author)
		case "date":
			err = scalar(v, &r.Date)
		case "modified":
			err = scalar(v, &r.Modified)
		case "level":
			err = scalar(v, &r.Level)
		case "license":
			err = scalar(v, &r.License)
		case "references":
			r.References, err = stringList(v)
		case "tags":
			r.Tags, err = stringList(v)
		case "falsepositives":
			r.FalsePositives, err = stringList(v)
		case "fields":
			r.Fields, err = stringList(v)
		case "logsource":
			if v.Kind != yaml.MappingNode {
				err = errAt(v, "logsource must be a mapping")
				break
			}
			if e := v.Decode(&r.Logsource); e != nil {
				err = errAt(v, "logsource: %v", e)
			}
		case "detection":
			if v.Kind != yaml.MappingNode {
				err = errAt(v, "detection must be a mapping")
				break
			}
			r.detection = v
		case "correlation":
			r.Correlation, err = parseCorrelation(v)
		case "picket":
			err = parsePicket(v, r)
		case "generate":
			// v2 puts generate at the top of correlation rules.
			var g bool
			if e := v.Decode(&g); e != nil {
				err = errAt(v, "generate must be true or false")
			}
			generate = &g
		case "action":
			if v.Value == "global" || v.Value == "reset" || v.Value == "repeat" {
				err = errAt(v, "action: %s (Sigma v1 multi-document rules) is not supported; write each rule whole", v.Value)
			}
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return r, errs[0]
	}
	if generate != nil && r.Correlation != nil {
		r.Correlation.Generate = *generate
	}
	switch {
	case r.Title == "":
		return r, errAt(n, "missing title")
	case r.detection == nil && r.Correlation == nil:
		return r, errAt(n, "missing detection (or correlation) section")
	case r.detection != nil && r.Correlation != nil:
		return r, errAt(n, "a rule has either detection or correlation, not both")
	}
	if r.Level != "" {
		if _, ok := levelSeverity[strings.ToLower(r.Level)]; !ok {
			return r, errAt(n, "unknown level %q (informational, low, medium, high, critical)", r.Level)
		}
	}
	return r, nil
}

func parsePicket(v *yaml.Node, r *Rule) error {
	if v.Kind != yaml.MappingNode {
		return errAt(v, "picket must be a mapping")
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		switch k := v.Content[i]; k.Value {
		case "shadow":
			if err := v.Content[i+1].Decode(&r.Shadow); err != nil {
				return errAt(v.Content[i+1], "picket.shadow must be true or false")
			}
		default:
			return errAt(k, "unknown picket attribute %q (shadow)", k.Value)
		}
	}
	return nil
}

func scalar(v *yaml.Node, dst *string) error {
	if v.Kind != yaml.ScalarNode {
		return errAt(v, "expected a single value")
	}
	*dst = v.Value
	return nil
}

// stringList reads a list of strings, or a single string as a list of one.
func stringList(v *yaml.Node) ([]string, error) {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return nil, nil
		}
		return []string{v.Value}, nil
	case yaml.SequenceNode:
		out := make([]string, 0, len(v.Content))
		for _, c := range v.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, errAt(c, "expected a list of strings")
			}
			out = append(out, c.Value)
		}
		return out, nil
	}
	return nil, errAt(v, "expected a list of strings")
}

func parseCorrelation(v *yaml.Node) (*Correlation, error) {
	if v.Kind != yaml.MappingNode {
		return nil, errAt(v, "correlation must be a mapping")
	}
	c := &Correlation{line: v.Line, Condition: map[string]string{}}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		var err error
		switch k.Value {
		case "type":
			err = scalar(val, &c.Type)
		case "rules":
			c.Rules, err = stringList(val)
		case "group-by":
			c.GroupBy, err = stringList(val)
		case "timespan", "timeframe":
			err = scalar(val, &c.Timespan)
		case "generate":
			if e := val.Decode(&c.Generate); e != nil {
				err = errAt(val, "generate must be true or false")
			}
		case "condition":
			if val.Kind != yaml.MappingNode {
				err = errAt(val, "correlation condition must be a mapping such as {gte: 10}")
				break
			}
			for j := 0; j+1 < len(val.Content); j += 2 {
				c.Condition[val.Content[j].Value] = val.Content[j+1].Value
			}
		case "aliases":
			if e := val.Decode(&c.Aliases); e != nil {
				err = errAt(val, "aliases must map alias → {rule: field}: %v", e)
			}
		default:
			err = errAt(k, "unknown correlation key %q", k.Value)
		}
		if err != nil {
			return c, err
		}
	}
	return c, nil
}

// LoadPaths parses every rule file (*.yml, *.yaml) under the given files
// or directories, in a stable order. Test files (*.test.yml) are not rules.
func LoadPaths(paths ...string) ([]*Rule, []error) {
	var rules []*Rule
	var errs []error
	for _, root := range paths {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, &Error{File: p, Err: err})
				return nil
			}
			if d.IsDir() || !IsRuleFile(p) {
				return nil
			}
			rs, es := ParseFile(p)
			rules = append(rules, rs...)
			errs = append(errs, es...)
			return nil
		})
		if err != nil {
			errs = append(errs, &Error{File: root, Err: err})
		}
	}
	return rules, errs
}

// IsRuleFile reports whether p names a rule file (not a rule test file).
func IsRuleFile(p string) bool {
	base := strings.ToLower(filepath.Base(p))
	if IsTestFile(base) {
		return false
	}
	return strings.HasSuffix(base, ".yml") || strings.HasSuffix(base, ".yaml")
}

// IsTestFile reports whether p names a rule test file (*.test.yml).
func IsTestFile(p string) bool {
	base := strings.ToLower(filepath.Base(p))
	return strings.HasSuffix(base, ".test.yml") || strings.HasSuffix(base, ".test.yaml")
}

package sequence

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Key kinds: what joins the signals of a chain.
const (
	KeyPrincipal  = "principal"  // the IAM user or role (accessKeyDetails.userName, else the actor ARN)
	KeyCredential = "credential" // the access key ID
	KeyResource   = "resource"   // each S3 bucket, the instance (or the instance whose role credentials were used)
	KeyAccount    = "account"    // the AWS account
)

// MaxStages is the most stages a chain may have.
const MaxStages = 16

// Chain is one attack sequence: stages of findings about one key (a
// principal, a credential, a resource or an account) within a window.
type Chain struct {
	ID          string
	Name        string
	Description string
	Type        string  // AttackSequence:…
	SevMin      float64 // severity when MinStages stages are matched
	SevMax      float64 // severity when every stage is matched
	Window      time.Duration
	Key         string // KeyPrincipal, …
	// Ordered chains need their matched stages' signals in stage order
	// (first seen times not decreasing); unordered chains take them in
	// any order.
	Ordered   bool
	MinStages int // distinct stages matched, each by a different signal
	// MinTactics is the distinct ATT&CK tactics the held signals cover.
	MinTactics int
	// MinResources is the distinct resources (instances, buckets) the
	// held signals name: an instance group needs several instances.
	MinResources int
	// RequireOneOf: at least one of these stages (IDs) must be matched.
	RequireOneOf []string
	Stages       []Stage

	File string // where it was loaded from
	Line int

	oneOf uint32 // stage mask of RequireOneOf
	req   uint32 // stage mask of required stages
}

// Stage is one step of a chain: findings matched by type or tactic.
type Stage struct {
	ID   string
	Name string
	// Types are globs over finding types (* matches anything, ':' and
	// '/' included).
	Types []string
	// Tactics are ATT&CK tactic IDs (TA0007) the finding's type maps to
	// (see Classify).
	Tactics []string
	// Required stages must be matched for the chain to complete.
	Required bool
	// InstanceCredentials restricts the stage to findings about calls
	// made with an EC2 instance's role credentials (the role session is
	// named after the instance, i-…) or about an instance.
	InstanceCredentials bool

	globs []glob
	Line  int
}

// match reports whether a finding of type typ and tactic tactic matches s.
func (s *Stage) match(typ, tactic string, instance bool) bool {
	if s.InstanceCredentials && !instance {
		return false
	}
	if tactic != "" && slices.Contains(s.Tactics, tactic) {
		return true
	}
	for i := range s.globs {
		if s.globs[i].match(typ) {
			return true
		}
	}
	return false
}

// Severity returns the chain's severity with matched stages matched:
// SevMin at MinStages, rising evenly to SevMax when every stage is
// matched, in tenths.
func (c *Chain) Severity(matched int) float64 {
	n := len(c.Stages) - c.MinStages
	if n <= 0 || matched <= c.MinStages {
		return c.SevMin
	}
	s := c.SevMin + (c.SevMax-c.SevMin)*float64(min(matched, len(c.Stages))-c.MinStages)/float64(n)
	return float64(int(s*10+0.5)) / 10
}

//go:embed chains/*.yml
var builtin embed.FS

// Default returns the chains shipped with Picket (chains/*.yml).
func Default() ([]*Chain, error) { return Load(builtin) }

// Load reads every *.yml and *.yaml file of fsys (recursively), one
// chain per file, sorted by ID. Errors name the file and line; all of
// them are returned, joined.
func Load(fsys fs.FS) ([]*Chain, error) {
	var chains []*Chain
	var errs []error
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ext := path.Ext(p); d.IsDir() || (ext != ".yml" && ext != ".yaml") {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		c, err := Parse(p, b)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		chains = append(chains, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(chains, func(i, j int) bool { return chains[i].ID < chains[j].ID })
	for i := 1; i < len(chains); i++ {
		if a, b := chains[i-1], chains[i]; a.ID == b.ID {
			errs = append(errs, fmt.Errorf("%s:%d: chain id %q is already used by %s:%d", b.File, b.Line, b.ID, a.File, a.Line))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(chains) == 0 {
		return nil, errors.New("no chain files (*.yml)")
	}
	return chains, nil
}

var idRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Parse reads one chain file; name names it in errors.
func Parse(name string, b []byte) (*Chain, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf("%s:1: empty chain file", name)
	}
	p := &parser{file: name}
	c := p.chain(doc.Content[0])
	if p.err != nil {
		return nil, p.err
	}
	return c, nil
}

// parser collects the first error, with its position.
type parser struct {
	file string
	err  error
}

func (p *parser) fail(n *yaml.Node, format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("%s:%d: %s", p.file, n.Line, fmt.Sprintf(format, args...))
	}
}

// fields walks a mapping node, calling f with each key and value; keys
// not in known are an error.
func (p *parser) fields(n *yaml.Node, what string, known []string, f func(k string, v *yaml.Node)) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		p.fail(n, "%s must be a mapping", what)
		return nil
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(known, k.Value) {
			p.fail(k, "%s: unknown field %q (known: %s)", what, k.Value, strings.Join(known, ", "))
			continue
		}
		if _, dup := seen[k.Value]; dup {
			p.fail(k, "%s: field %q repeated", what, k.Value)
			continue
		}
		seen[k.Value] = k
		f(k.Value, v)
	}
	return seen
}

func (p *parser) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.fail(n, "%s must be a string", what)
		return ""
	}
	return n.Value
}

func (p *parser) num(n *yaml.Node, what string) float64 {
	f, err := strconv.ParseFloat(n.Value, 64)
	if n.Kind != yaml.ScalarNode || err != nil {
		p.fail(n, "%s must be a number", what)
	}
	return f
}

func (p *parser) int(n *yaml.Node, what string) int {
	i, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || i < 0 {
		p.fail(n, "%s must be a whole number ≥ 0", what)
	}
	return i
}

func (p *parser) bool(n *yaml.Node, what string) bool {
	var b bool
	if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
		p.fail(n, "%s must be true or false", what)
	}
	return b
}

func (p *parser) strs(n *yaml.Node, what string) []string {
	if n.Kind != yaml.SequenceNode {
		p.fail(n, "%s must be a list", what)
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, e := range n.Content {
		if s := p.str(e, what); s != "" {
			out = append(out, s)
		} else {
			p.fail(e, "%s: empty entry", what)
		}
	}
	return out
}

var chainFields = []string{"id", "name", "description", "type", "severity", "window", "key", "ordered", "minStages", "minTactics", "minResources", "requireOneOf", "stages"}
var stageFields = []string{"id", "name", "types", "tactics", "required", "instanceCredentials"}

func (p *parser) chain(n *yaml.Node) *Chain {
	c := &Chain{File: p.file, Line: n.Line}
	var stagesNode, sevNode, oneOfNode *yaml.Node
	seen := p.fields(n, "chain", chainFields, func(k string, v *yaml.Node) {
		switch k {
		case "id":
			c.ID = p.str(v, k)
			if c.ID != "" && !idRe.MatchString(c.ID) {
				p.fail(v, "id %q: use lower-case letters, digits and dashes", c.ID)
			}
		case "name":
			c.Name = p.str(v, k)
		case "description":
			c.Description = strings.TrimSpace(p.str(v, k))
		case "type":
			c.Type = p.str(v, k)
			if c.Type != "" && !validType(c.Type) {
				p.fail(v, "type %q: an attack sequence type is AttackSequence:<Resource>/<Name>", c.Type)
			}
		case "severity":
			sevNode = v
			p.fields(v, "severity", []string{"min", "max"}, func(k string, v *yaml.Node) {
				switch k {
				case "min":
					c.SevMin = p.num(v, "severity.min")
				case "max":
					c.SevMax = p.num(v, "severity.max")
				}
			})
		case "window":
			d, err := time.ParseDuration(p.str(v, k))
			switch {
			case err != nil:
				p.fail(v, "window: %v", err)
			case d <= 0 || d > 7*24*time.Hour:
				p.fail(v, "window %s: must be more than 0 and at most 168h", d)
			}
			c.Window = d
		case "key":
			c.Key = p.str(v, k)
			if !slices.Contains([]string{KeyPrincipal, KeyCredential, KeyResource, KeyAccount}, c.Key) {
				p.fail(v, "key %q: one of principal, credential, resource, account", c.Key)
			}
		case "ordered":
			c.Ordered = p.bool(v, k)
		case "minStages":
			c.MinStages = p.int(v, k)
		case "minTactics":
			c.MinTactics = p.int(v, k)
		case "minResources":
			c.MinResources = p.int(v, k)
		case "requireOneOf":
			oneOfNode = v
			c.RequireOneOf = p.strs(v, k)
		case "stages":
			stagesNode = v
		}
	})
	if p.err != nil {
		return nil
	}
	for _, f := range []string{"id", "name", "description", "type", "severity", "window", "key", "minStages", "stages"} {
		if seen[f] == nil {
			p.fail(n, "chain: missing field %q", f)
			return nil
		}
	}
	if c.SevMin < 9 || c.SevMax > 10 || c.SevMin > c.SevMax {
		p.fail(sevNode, "severity: need 9.0 ≤ min ≤ max ≤ 10.0 (attack sequences are Critical), got min %g max %g", c.SevMin, c.SevMax)
	}
	if stagesNode.Kind != yaml.SequenceNode || len(stagesNode.Content) < 2 || len(stagesNode.Content) > MaxStages {
		p.fail(stagesNode, "stages: a list of 2 to %d stages", MaxStages)
		return nil
	}
	for i, sn := range stagesNode.Content {
		s := Stage{Line: sn.Line}
		what := fmt.Sprintf("stage %d", i+1)
		sseen := p.fields(sn, what, stageFields, func(k string, v *yaml.Node) {
			switch k {
			case "id":
				s.ID = p.str(v, k)
				if s.ID != "" && !idRe.MatchString(s.ID) {
					p.fail(v, "%s: id %q: use lower-case letters, digits and dashes", what, s.ID)
				}
			case "name":
				s.Name = p.str(v, k)
			case "types":
				s.Types = p.strs(v, what+" types")
				for j, t := range s.Types {
					if !strings.Contains(t, ":") && t != "*" {
						p.fail(v.Content[j], "%s: type glob %q has no ':' (Purpose:Resource/Name)", what, t)
					}
					if strings.HasPrefix(t, "AttackSequence:") {
						p.fail(v.Content[j], "%s: type glob %q: attack sequences are never signals", what, t)
					}
				}
			case "tactics":
				s.Tactics = p.strs(v, what+" tactics")
				for j, t := range s.Tactics {
					if _, ok := Tactics[t]; !ok {
						p.fail(v.Content[j], "%s: unknown ATT&CK tactic %q (use an ID such as TA0007)", what, t)
					}
				}
			case "required":
				s.Required = p.bool(v, k)
			case "instanceCredentials":
				s.InstanceCredentials = p.bool(v, k)
			}
		})
		if p.err != nil {
			return nil
		}
		switch {
		case sseen["id"] == nil:
			p.fail(sn, "%s: missing field \"id\"", what)
		case sseen["name"] == nil:
			p.fail(sn, "stage %q: missing field \"name\"", s.ID)
		case len(s.Types) == 0 && len(s.Tactics) == 0:
			p.fail(sn, "stage %q: needs types or tactics", s.ID)
		}
		for _, o := range c.Stages {
			if o.ID == s.ID {
				p.fail(sseen["id"], "stage id %q repeated (first at line %d)", s.ID, o.Line)
			}
		}
		for _, t := range s.Types {
			s.globs = append(s.globs, compileGlob(t))
		}
		if s.Required {
			c.req |= 1 << i
		}
		c.Stages = append(c.Stages, s)
	}
	for j, id := range c.RequireOneOf {
		i := c.stage(id)
		if i < 0 {
			p.fail(oneOfNode.Content[j], "requireOneOf: no stage %q", id)
			continue
		}
		c.oneOf |= 1 << i
	}
	nreq := 0
	for _, s := range c.Stages {
		if s.Required {
			nreq++
		}
	}
	switch {
	case c.MinStages < 2 || c.MinStages > len(c.Stages):
		p.fail(seen["minStages"], "minStages %d: between 2 and the %d stages", c.MinStages, len(c.Stages))
	case c.MinStages < nreq:
		p.fail(seen["minStages"], "minStages %d: less than the %d required stages", c.MinStages, nreq)
	case c.MinTactics > len(Tactics):
		p.fail(seen["minTactics"], "minTactics %d: there are %d tactics", c.MinTactics, len(Tactics))
	}
	if p.err != nil {
		return nil
	}
	return c
}

func (c *Chain) stage(id string) int {
	for i := range c.Stages {
		if c.Stages[i].ID == id {
			return i
		}
	}
	return -1
}

func validType(t string) bool {
	rest, ok := strings.CutPrefix(t, "AttackSequence:")
	res, name, ok2 := strings.Cut(rest, "/")
	return ok && ok2 && res != "" && name != "" && len(t) <= 50
}

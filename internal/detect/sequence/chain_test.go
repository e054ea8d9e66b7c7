package sequence

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/picket-dev/picket/internal/testutil"
)

const goodChain = `id: test
name: Test chain
type: AttackSequence:IAM/CompromisedCredentials
description: A test.
severity: {min: 9.0, max: 10.0}
window: 1h
key: principal
ordered: true
minStages: 2
stages:
  - id: a
    name: A
    types: ["Discovery:*"]
  - id: b
    name: B
    tactics: [TA0040]
`

// TestParseErrors: chain files are validated with the file and line of
// the fault.
func TestParseErrors(t *testing.T) {
	if _, err := Parse("good.yml", []byte(goodChain)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, old, new, want string }{
		{"unknown field", "ordered: true\n", "orderd: true\n", `bad.yml:8: chain: unknown field "orderd"`},
		{"bad type", "type: AttackSequence:IAM/CompromisedCredentials", "type: Recon:IAMUser/Foo", `bad.yml:3: type "Recon:IAMUser/Foo"`},
		{"low severity", "{min: 9.0, max: 10.0}", "{min: 7.0, max: 10.0}", "bad.yml:5: severity: need 9.0"},
		{"severity not a number", "{min: 9.0, max: 10.0}", "{min: high, max: 10.0}", "bad.yml:5: severity.min must be a number"},
		{"bad window", "window: 1h", "window: forever", "bad.yml:6: window:"},
		{"long window", "window: 1h", "window: 720h", "bad.yml:6: window 720h0m0s"},
		{"bad key", "key: principal", "key: user", `bad.yml:7: key "user"`},
		{"minStages too high", "minStages: 2", "minStages: 3", "bad.yml:9: minStages 3"},
		{"unknown tactic", "tactics: [TA0040]", "tactics: [TA9999]", `bad.yml:16: stage 2: unknown ATT&CK tactic "TA9999"`},
		{"stage without matcher", "    tactics: [TA0040]\n", "", `bad.yml:14: stage "b": needs types or tactics`},
		{"repeated stage id", "  - id: b", "  - id: a", `bad.yml:14: stage id "a" repeated (first at line 11)`},
		{"sequence as signal", `["Discovery:*"]`, `["AttackSequence:*"]`, `bad.yml:13: stage 1: type glob "AttackSequence:*"`},
		{"unknown stage field", "    name: B\n", "    name: B\n    requird: true\n", `bad.yml:16: stage 2: unknown field "requird"`},
		{"missing field", "window: 1h\n", "", `bad.yml:1: chain: missing field "window"`},
		{"requireOneOf unknown", "minStages: 2\n", "minStages: 2\nrequireOneOf: [a, zz]\n", `bad.yml:10: requireOneOf: no stage "zz"`},
		{"not yaml", "stages:", "stages: [", "bad.yml: yaml:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(goodChain, c.old, c.new, 1)
			if src == goodChain {
				t.Fatal("replacement did not apply")
			}
			_, err := Parse("bad.yml", []byte(src))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
	// Load reports every file's errors and duplicate IDs.
	_, err := Load(fstest.MapFS{
		"x/one.yml":   {Data: []byte(goodChain)},
		"x/two.yaml":  {Data: []byte(goodChain)},
		"x/three.yml": {Data: []byte(strings.Replace(goodChain, "key: principal", "key: nope", 1))},
		"x/notes.txt": {Data: []byte("ignored")},
	})
	for _, want := range []string{`x/two.yaml:1: chain id "test" is already used by x/one.yml:1`, `x/three.yml:7: key "nope"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load error %v, want %q", err, want)
		}
	}
	if _, err := Load(fstest.MapFS{}); err == nil {
		t.Error("no chains: no error")
	}
}

func TestDefaultChains(t *testing.T) {
	chains, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	for _, c := range chains {
		types[c.Type] = true
		if !strings.HasPrefix(c.File, "chains/") || c.Window <= 0 || c.Severity(len(c.Stages)) != c.SevMax || c.Severity(c.MinStages) != c.SevMin {
			t.Errorf("%s: %+v", c.ID, c)
		}
	}
	for _, want := range []string{"AttackSequence:IAM/CompromisedCredentials", "AttackSequence:S3/CompromisedData", "AttackSequence:EC2/CompromisedInstanceGroup"} {
		if !types[want] {
			t.Errorf("no chain raises %s", want)
		}
	}
}

// TestDocs: docs/attack-sequences.md documents every shipped chain — a
// section per chain with its type, window, key and stages — and every
// tactic of the mapping table.
func TestDocs(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testutil.ModuleDir(t), "docs", "attack-sequences.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	chains, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	sections := regexp.MustCompile("(?m)^### `([a-z0-9-]+)`").FindAllStringSubmatchIndex(doc, -1)
	bodies := map[string]string{}
	for i, m := range sections {
		end := len(doc)
		if i+1 < len(sections) {
			end = sections[i+1][0]
		}
		bodies[doc[m[2]:m[3]]] = doc[m[0]:end]
	}
	for _, c := range chains {
		body, ok := bodies[c.ID]
		if !ok {
			t.Errorf("chain %s (%s) is not documented: add a \"### `%s`\" section to docs/attack-sequences.md", c.ID, c.File, c.ID)
			continue
		}
		for _, want := range []string{c.Type, "Window: " + strings.TrimSuffix(strings.TrimSuffix(c.Window.String(), "0s"), "0m"), "Key: " + c.Key, "Example"} {
			if !strings.Contains(body, want) {
				t.Errorf("docs of %s do not say %q", c.ID, want)
			}
		}
		for _, s := range c.Stages {
			if !strings.Contains(body, "`"+s.ID+"`") {
				t.Errorf("docs of %s do not list stage %s", c.ID, s.ID)
			}
		}
		delete(bodies, c.ID)
	}
	for id := range bodies {
		t.Errorf("docs describe chain %s, which is not shipped", id)
	}
	for p, ta := range PurposeTactics {
		if !strings.Contains(doc, "| "+p+" | "+ta) {
			t.Errorf("docs tactic table lacks %s → %s", p, ta)
		}
	}
}

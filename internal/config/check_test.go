package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// parseProblems parses text and returns its decoding problems.
func parseProblems(t *testing.T, text string) Problems {
	t.Helper()
	c, err := Parse([]byte(text))
	if err == nil {
		t.Fatalf("no problem found in:\n%s", text)
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error is not Problems: %v", err)
	}
	if c == nil {
		t.Fatalf("no partial config with %v", err)
	}
	return ps
}

func wantProblems(t *testing.T, got Problems, want []Problem) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%v\nwant:\n%v", got, Problems(want))
	}
}

func TestUnknownKeyProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []Problem
	}{
		{"top level, nothing close", "log: {level: info}\ncolour: blue\n",
			[]Problem{{2, "colour", `unknown key "colour"`}}},
		{"nested, nothing close", "http:\n  listen: off\n  bogus: 1\n",
			[]Problem{{3, "http.bogus", `unknown key "bogus"`}}},
		{"in a list item", "sources:\n  - name: a\n    type: stdin\n  - name: b\n    type: directory\n    pathh: /tmp\n",
			[]Problem{{6, "sources[1].pathh", `unknown key "pathh" (did you mean "path"?)`}}},
		{"three deep", "store:\n  sqlite:\n    pth: x.db\n",
			[]Problem{{3, "store.sqlite.pth", `unknown key "pth" (did you mean "path"?)`}}},
		{"distance 2", "store:\n  drvr: sqlite\n",
			[]Problem{{2, "store.drvr", `unknown key "drvr" (did you mean "driver"?)`}}},
		{"distance 3: no hint", "store:\n  drv: sqlite\n",
			[]Problem{{2, "store.drv", `unknown key "drv"`}}},
		{"transposed letters are distance 2", "sources: [{name: a, tpye: stdin}]\n",
			[]Problem{{1, "sources[0].tpye", `unknown key "tpye" (did you mean "type"?)`}}},
		{"case only, however long", "PIPELINE: {}\nhttp: {API_TOKEN_ENV: X}\n",
			[]Problem{
				{1, "PIPELINE", `unknown key "PIPELINE" (did you mean "pipeline"?)`},
				{2, "http.API_TOKEN_ENV", `unknown key "API_TOKEN_ENV" (did you mean "api_token_env"?)`},
			}},
		{"only keys of the same mapping are hinted", "log:\n  path: x\n",
			[]Problem{{2, "log.path", `unknown key "path"`}}},
		{"closest of several", "pipeline: {batch_sizes: 1}\ndetectors: {disable: [x]}\n",
			[]Problem{
				{1, "pipeline.batch_sizes", `unknown key "batch_sizes" (did you mean "batch_size"?)`},
				{2, "detectors.disable", `unknown key "disable" (did you mean "disabled"?)`},
			}},
		{"several on one line, each with its path", "sources: [{name: a, pathh: x}, {name: b, typ: stdin, Path: y}]\n",
			[]Problem{
				{1, "sources[0].pathh", `unknown key "pathh" (did you mean "path"?)`},
				{1, "sources[1].typ", `unknown key "typ" (did you mean "type"?)`},
				{1, "sources[1].Path", `unknown key "Path" (did you mean "path"?)`},
			}},
		{"keys of yaml:\"-\" fields are unknown", "postgresdsn: x\napitokens: [y]\n",
			[]Problem{{1, "postgresdsn", `unknown key "postgresdsn"`}, {2, "apitokens", `unknown key "apitokens"`}}},
		{"unexported fields are unknown", "lines: {}\n",
			[]Problem{{1, "lines", `unknown key "lines"`}}},
		{"odd keys are quoted and escaped", "log:\n  \"le vel\": x\n  \"\\e[31m\": y\n",
			[]Problem{
				{2, `log["le vel"]`, `unknown key "le vel" (did you mean "level"?)`},
				{3, `log["\x1b[31m"]`, `unknown key "\x1b[31m"`},
			}},
		{"merged in from an anchor", "sources:\n  - &base {name: a, type: stdin, poll_intervl: 1s}\n  - <<: *base\n    name: b\n",
			[]Problem{{2, "sources[0].poll_intervl", `unknown key "poll_intervl" (did you mean "poll_interval"?)`}}},
		{"only in the merged mapping", "sources:\n  - name: a\n    <<: {type: stdin, pathh: x}\n",
			[]Problem{{3, "sources[0].pathh", `unknown key "pathh" (did you mean "path"?)`}}},
		{"overridden merged key is not decoded", "sources:\n  - pathh: mine\n    <<: {type: stdin, pathh: x}\n",
			[]Problem{{2, "sources[0].pathh", `unknown key "pathh" (did you mean "path"?)`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblems(t, parseProblems(t, tt.yaml), tt.want)
		})
	}
}

func TestTypeProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []Problem
	}{
		{"number", "pipeline:\n  batch_size: lots\n",
			[]Problem{{2, "pipeline.batch_size", `must be a number, got "lots"`}}},
		{"number too large", "pipeline: {evidence_per_finding: 99999999999999999999}\n",
			[]Problem{{1, "pipeline.evidence_per_finding", `must be a number, got "99999999999999999999" (out of range)`}}},
		{"duration", "sources:\n  - name: a\n    poll_interval: soon\n",
			[]Problem{{3, "sources[0].poll_interval", `must be a duration like 5s, got "soon"`}}},
		{"duration without a unit", "sources: [{name: a, settle: 5}]\n",
			[]Problem{{1, "sources[0].settle", `must be a duration like 5s, got "5" (add a unit: 5s, 5m, 5h)`}}},
		{"list given one value", "sources: [{name: a, include: \"*.json\"}]\n",
			[]Problem{{1, "sources[0].include", `must be a list, got "*.json" (write one "- item" line per item, or [a, b])`}}},
		{"list given a mapping", "sources:\n  name: a\n",
			[]Problem{{2, "sources", `must be a list, got a mapping`}}},
		{"string given a list, in a list", "detectors:\n  disabled:\n    - a\n    - [b, c]\n",
			[]Problem{{4, "detectors.disabled[1]", `must be a string, got a list`}}},
		{"string given a mapping", "http:\n  listen:\n    host: x\n",
			[]Problem{{3, "http.listen", `must be a string, got a mapping`}}},
		{"section given a value", "log: debug\n",
			[]Problem{{1, "log", `must be a mapping (keys: level, format), got "debug"`}}},
		{"document is not a mapping", "- a\n",
			[]Problem{{1, "", `must be a mapping (keys: data_dir, log, store, http, pipeline, detectors, routing, alerts, intel, sources), got a list`}}},
		{"long values are cut", "pipeline: {batch_size: " + strings.Repeat("x", 100) + "}\n",
			[]Problem{{1, "pipeline.batch_size", `must be a number, got "` + strings.Repeat("x", 39) + `"…`}}},
		{"through an alias, at the anchor", "sources:\n  - {name: &n [x], type: stdin}\n  - {name: *n, type: stdin}\n",
			[]Problem{{2, "sources[0].name", `must be a string, got a list`}}},
		{"with unknown keys, in line order", "sources:\n  - poll_interval: x\n    pathh: y\nlog: {levl: info}\npipeline: {batch_size: []}\n",
			[]Problem{
				{2, "sources[0].poll_interval", `must be a duration like 5s, got "x"`},
				{3, "sources[0].pathh", `unknown key "pathh" (did you mean "path"?)`},
				{4, "log.levl", `unknown key "levl" (did you mean "level"?)`},
				{5, "pipeline.batch_size", `must be a number, got a list`},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := parseProblems(t, tt.yaml)
			wantProblems(t, ps, tt.want)
			for _, p := range ps {
				for _, goish := range []string{"!!", "cannot unmarshal", "config.", "time.Duration", "[]string", " int "} {
					if strings.Contains(p.Msg+" ", goish) {
						t.Errorf("problem %v speaks Go (%q)", p, goish)
					}
				}
			}
		})
	}
}

func TestRepeatedKeys(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []Problem
	}{
		{"known key", "log:\n  level: a\n  level: b\n",
			[]Problem{{3, "log.level", `key "level" is repeated (first on line 2)`}}},
		{"the rest of the mapping is not decoded, as yaml does", "log:\n  level: a\n  level: b\n  colour: c\n",
			[]Problem{{3, "log.level", `key "level" is repeated (first on line 2)`}}},
		{"three times", "data_dir: a\ndata_dir: b\ndata_dir: c\n",
			[]Problem{
				{2, "data_dir", `key "data_dir" is repeated (first on line 1)`},
				{3, "data_dir", `key "data_dir" is repeated (first on line 1)`},
			}},
		{"spelled differently", "http:\n  listen: a\n  \"listen\": b\n",
			[]Problem{{3, "http.listen", `key "listen" is repeated (first on line 2)`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblems(t, parseProblems(t, tt.yaml), tt.want)
		})
	}
}

// Every key of every config struct comes from its yaml tag, and a slip of
// the finger on any of them gets it as a hint: no list to keep up to date.
func TestEveryKeyIsHinted(t *testing.T) {
	type key struct {
		path string // dotted, for the Field
		yaml func(leaf string) string
	}
	var keys []key
	var walk func(t reflect.Type, path string, wrap func(string) string, indent string)
	walk = func(t reflect.Type, path string, wrap func(string) string, indent string) {
		for _, name := range knownKeys(t).names {
			ft := knownKeys(t).types[name]
			p := joinKey(path, name)
			keys = append(keys, key{p, func(leaf string) string { return wrap(indent + leaf + ": 1\n") }})
			child := func(s string) string { return wrap(indent + name + ":\n" + s) }
			switch {
			case !walkable(ft):
				// Free-form (an EventBridge pattern): any keys are fine.
			case ft.Kind() == reflect.Struct:
				walk(ft, p, child, indent+"  ")
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
				item := func(s string) string { return wrap(indent + name + ":\n" + indent + "  - " + strings.TrimLeft(s, " ")) }
				walk(ft.Elem(), p+"[0]", item, indent+"    ")
			}
		}
	}
	walk(reflect.TypeOf(Config{}), "", func(s string) string { return s }, "")
	if len(keys) < 20 {
		t.Fatalf("only %d keys found", len(keys))
	}
	for _, k := range keys {
		i := strings.LastIndexAny(k.path, ".]")
		name := k.path[i+1:]
		typo := name[:len(name)-1] + "X" + name[len(name)-1:]
		text := k.yaml(typo)
		ps := parseProblems(t, text)
		want := Problem{Line: strings.Count(text, "\n"), Field: k.path[:i+1] + typo,
			Msg: fmt.Sprintf("unknown key %q (did you mean %q?)", typo, name)}
		if i < 0 {
			want.Field = typo
		}
		if len(ps) != 1 || ps[0] != want {
			t.Errorf("%s:\n%s=> %v\nwant %v", k.path, text, ps, want)
		}
	}
}

func TestKnownKeys(t *testing.T) {
	type Inner struct {
		A string `yaml:"a"`
		B int    `yaml:"b,omitempty"`
	}
	type Odd struct {
		Named     string        `yaml:"named"`
		Untagged  int           // lower-cased field name
		Flagged   string        `yaml:",omitempty"`
		Skipped   string        `yaml:"-"`
		unexp     string        //nolint:unused
		In        Inner         `yaml:",inline"`
		Ptr       *Inner        `yaml:"ptr"`
		Dur       time.Duration `yaml:"dur" json:"d"`
		OtherTags string        `json:"other"`
		_         struct{}
	}
	_ = Odd{}.unexp
	tests := []struct {
		typ  any
		want []string
	}{
		{HTTPConfig{}, []string{"listen", "api_token_env", "tokens", "users", "proxy_auth", "account_tags", "session_key_env", "secure_cookies", "session_ttl"}},
		{SourceConfig{}, []string{"name", "type", "path", "format", "include", "poll_interval", "settle", "format_options", "http", "store_events", "retention"}},
		{Config{}, []string{"data_dir", "log", "store", "http", "pipeline", "detectors", "routing", "alerts", "intel", "sources"}},
		{Odd{}, []string{"named", "untagged", "flagged", "a", "b", "ptr", "dur", "othertags"}},
	}
	for _, tt := range tests {
		t.Run(reflect.TypeOf(tt.typ).Name(), func(t *testing.T) {
			if got := knownKeys(reflect.TypeOf(tt.typ)).names; !slices.Equal(got, tt.want) {
				t.Errorf("keys %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"name", "type", "path", "format", "include", "poll_interval", "settle", "format_options"}
	tests := []struct {
		key, want string
	}{
		{"pathh", "path"},
		{"pth", "path"},
		{"paht", "path"}, // two substitutions
		{"PATH", "path"}, // case only, though 4 apart
		{"Path", "path"},
		{"PollInterval", ""}, // not the same letters
		{"poll-interval", "poll_interval"},
		{"pollinterval", "poll_interval"},
		{"formatt", "format"},
		{"xyz", ""},
		{"", ""},
		{"includes", "include"},
		{"nme", "name"},
		{"tape", "type"}, // "type" (1) before "name" (3)
		{"settled", "settle"},
		{"sett", "settle"},
		{"se", ""}, // 4 from settle
	}
	for _, tt := range tests {
		if got := suggest(tt.key, known); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		max  int
		want int
	}{
		{"", "", 3, 0},
		{"path", "path", 3, 0},
		{"path", "pathh", 3, 1},
		{"path", "pth", 3, 1},
		{"path", "paht", 3, 2},
		{"kitten", "sitting", 10, 3},
		{"kitten", "sitting", 3, 3},
		{"kitten", "sitting", 2, 2}, // capped
		{"a", "abcdef", 3, 3},
		{"", "abc", 10, 3},
		{"héllo", "hello", 3, 1}, // runes, not bytes
		{"flaw", "lawn", 3, 2},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b, tt.max); got != tt.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.max, got, tt.want)
		}
		if got := editDistance(tt.b, tt.a, tt.max); got != tt.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tt.b, tt.a, tt.max, got, tt.want)
		}
	}
}

// The fallback, for a problem yaml finds and checkTree does not, still
// speaks YAML rather than Go.
func TestFromYAMLMessage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"field pathh not found in type config.SourceConfig", `unknown key "pathh" (did you mean "path"?)`},
		{"field bogus not found in type config.HTTPConfig", `unknown key "bogus"`},
		{"field x not found in type some.Other", `unknown key "x"`},
		{"field level already set in type config.LogConfig", `key "level" is repeated`},
		{"cannot unmarshal !!str `lots` into int", `must be a number, got "lots"`},
		{"cannot unmarshal !!str `soon` into time.Duration", `must be a duration like 5s, got "soon"`},
		{"cannot unmarshal !!seq into string", `must be a string, got a list`},
		{"cannot unmarshal !!map into []string", `must be a list, got a mapping`},
		{"cannot unmarshal !!str `debug` into config.LogConfig", `must be a mapping (keys: level, format), got "debug"`},
		{"cannot unmarshal !!str `x` into chan int", `must be a different kind of value, got "x"`},
		{`mapping key "a" already defined at line 1`, `mapping key "a" already defined at line 1`},
	}
	for _, tt := range tests {
		p := fromYAMLMessage(Problem{Line: 3, Msg: tt.in})
		if p.Msg != tt.want || p.Line != 3 {
			t.Errorf("fromYAMLMessage(%q) = %v, want line 3: %s", tt.in, p, tt.want)
		}
	}
}

package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func env(m map[string]string) Env {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

var checks = Checks{
	Env:     env(map[string]string{"TEST_PICKET_DSN": "postgres://picket:hunter2-secret@db:5432/picket", "TEST_PICKET_TOKEN": "tok-aaaaaaaaaaaaaaaa, tok-bbbbbbbbbbbbbbbb"}),
	Formats: func(f string) bool { return f == "cloudtrail" || f == "auto" },
	SelectCheck: func(expr string, disabled []string) error {
		if strings.Contains(expr, "nosuch") {
			return errors.New("unknown detector names or tags: nosuch")
		}
		return nil
	},
}

func TestLoadValid(t *testing.T) {
	c, err := Load("testdata/conf.valid.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(checks); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if c.Store.Driver != "postgres" || c.PostgresDSN.Reveal() != "postgres://picket:hunter2-secret@db:5432/picket" {
		t.Errorf("store = %+v", c.Store)
	}
	if len(c.APITokens) != 2 || c.APITokens[1].Reveal() != "tok-bbbbbbbbbbbbbbbb" {
		t.Errorf("tokens = %d", len(c.APITokens))
	}
	s := c.Sources[0]
	if s.Format != "auto" || s.PollInterval != 2*time.Second || s.Settle != DefaultSettle || len(s.Include) == 0 {
		t.Errorf("source defaults = %+v", s)
	}
	if c.Pipeline.BatchSize != 500 || c.Pipeline.EvidencePerFinding != DefaultEvidence || c.Store.SQLite.Path != "/tmp/picket-test/picket.db" {
		t.Errorf("pipeline = %+v", c.Pipeline)
	}
}

func TestUnknownKeysAreErrorsWithLines(t *testing.T) {
	_, err := Load("testdata/conf.unknown-key.yml")
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("err = %v", err)
	}
	want := map[int]string{3: "drivr", 7: "paht"}
	if len(ps) != len(want) {
		t.Fatalf("problems = %v", ps)
	}
	for _, p := range ps {
		if !strings.Contains(p.Msg, want[p.Line]) {
			t.Errorf("problem %v, want line %d to mention %q", p, p.Line, want[p.Line])
		}
	}
}

func TestBadTypesReportedTogether(t *testing.T) {
	_, err := Load("testdata/conf.bad-type.yml")
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 2 || ps[0].Line != 2 || ps[1].Line != 6 {
		t.Fatalf("problems = %v", err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c, err := Load("testdata/conf.many-problems.yml")
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate(checks)
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("err = %v", err)
	}
	want := []struct {
		line  int
		field string
		msg   string
	}{
		{2, "log.level", "unknown level"},
		{4, "store.driver", "unknown driver"},
		{6, "http.listen", "not a host:port"},
		{7, "http.api_token_env", "TEST_PICKET_UNSET_TOKEN is not set"},
		{9, "pipeline.batch_size", "between 1 and"},
		{13, "sources[0].path", "no such file"},
		{14, "sources[1].name", "duplicate source name"},
		{15, "sources[1].type", "unknown source type"},
		{16, "sources[1].format", "unknown format"},
		{17, "sources[1].poll_interval", "at least 100ms"},
		{18, "sources[2].name", "required"},
		{18, "sources[2].path", "required"},
	}
	if len(ps) != len(want) {
		t.Fatalf("got %d problems:\n%v", len(ps), ps)
	}
	for i, w := range want {
		p := ps[i]
		if p.Line != w.line || p.Field != w.field || !strings.Contains(p.Msg, w.msg) {
			t.Errorf("problem %d = %v, want line %d %s: …%s…", i, p, w.line, w.field, w.msg)
		}
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	c, err := Load("testdata/conf.valid.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(checks); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "cfg", c, "dsn", c.PostgresDSN, "tokens", c.APITokens)
	js, _ := json.Marshal(c)
	ym, _ := yaml.Marshal(c)
	outputs := map[string]string{
		"%v":   fmt.Sprintf("%v", c),
		"%+v":  fmt.Sprintf("%+v", *c),
		"%#v":  fmt.Sprintf("%#v", c.PostgresDSN),
		"slog": logs.String(),
		"json": string(js),
		"yaml": string(ym),
	}
	for how, out := range outputs {
		for _, secret := range []string{"hunter2", "tok-aaaa", "tok-bbbb"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s output leaks %q: %s", how, secret, out)
			}
		}
	}
	if !strings.Contains(logs.String(), "<secret>") {
		t.Errorf("slog output does not show the redaction: %s", logs.String())
	}
}

func TestDefaults(t *testing.T) {
	c := Default()
	if err := c.Validate(Checks{Env: env(nil)}); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	if c.Store.Driver != "sqlite" || c.Store.SQLite.Path == "" || c.Pipeline.BatchSize != DefaultBatchSize {
		t.Errorf("defaults = %+v", c)
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/conf.valid.yml", "testdata/conf.many-problems.yml", "testdata/conf.unknown-key.yml", "testdata/conf.bad-type.yml"} {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add([]byte("sources: [{name: a, type: directory, path: ., include: ['[']}]"))
	f.Add([]byte("sources:\n  - &s {name: a, type: stdin, pathh: x}\n  - <<: *s\n    name: b\n    poll_interval: 5\n"))
	f.Add([]byte("sources:\n  - pathh: mine\n    <<: [{type: stdin, pathh: x}, {settle: soon}]\n"))
	f.Add([]byte("log: {level: a, level: b}\nhttp: {listen: [x], \"listen\": y}\n"))
	f.Add([]byte("pipeline: {batch_size: lots, max_record_bytes: 1e30}\ndetectors: {disabled: [a, [b]], select: {}}\n"))
	f.Add([]byte("? [a]\n: b\n~: c\n*x : d\n"))
	f.Add([]byte("- a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("Parse error is not Problems: %v", err)
			}
			for _, p := range ps {
				// yaml's phrasing, with Go types, must not get through.
				if strings.HasPrefix(p.Msg, "cannot unmarshal") || strings.HasPrefix(p.Msg, "field ") {
					t.Errorf("problem in yaml's words: %v", p)
				}
				if strings.HasPrefix(p.Msg, "unknown key") && (p.Field == "" || p.Line == 0) {
					t.Errorf("unknown key without its field or line: %#v", p)
				}
			}
		} else {
			_ = c.Validate(Checks{Env: env(nil)})
		}

		// The tree walk finds a problem exactly when yaml's strict decoder
		// does, so the fallback to yaml's messages is never needed.
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		serr := dec.Decode(&Config{})
		var te *yaml.TypeError
		if serr != nil && !errors.Is(serr, io.EOF) && !errors.As(serr, &te) {
			return // a syntax error: no tree
		}
		var root yaml.Node
		if yaml.NewDecoder(bytes.NewReader(b)).Decode(&root) != nil {
			return
		}
		if ps := checkTree(&root); (len(ps) > 0) != (te != nil) {
			t.Fatalf("tree walk and yaml disagree:\nwalk: %v\nyaml: %v", ps, serr)
		}
	})
}

func TestSettleZeroIsKept(t *testing.T) {
	c, err := Parse([]byte("sources:\n  - {name: a, type: stdin, settle: 0s}\n  - {name: b, type: stdin}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Sources[0].Settle != 0 || c.Sources[1].Settle != DefaultSettle {
		t.Errorf("settle %v and %v, want 0 and %v", c.Sources[0].Settle, c.Sources[1].Settle, DefaultSettle)
	}
}

// Unknown keys do not hide the other problems: the rest is decoded, so
// Validate can report on it too, and Merge orders everything by line.
func TestDecodeAndValidateProblemsTogether(t *testing.T) {
	c, err := Parse([]byte("log:\n  level: loud\n  colour: blue\nstore:\n  driver: oracle\n"))
	if c == nil {
		t.Fatalf("no partial config: %v", err)
	}
	all := Merge(err, c.Validate(checks))
	var ps Problems
	if !errors.As(all, &ps) || len(ps) != 3 {
		t.Fatalf("problems %v", all)
	}
	if ps[0].Line != 2 || ps[1].Line != 3 || ps[2].Line != 5 || !strings.Contains(ps[1].Msg, "colour") {
		t.Errorf("problems out of order or missing: %v", ps)
	}
	if _, err := Parse([]byte("log: [unclosed")); err == nil {
		t.Error("syntax error accepted")
	}
	if Merge(nil, nil) != nil {
		t.Error("Merge of nothing is not nil")
	}
	if err := Merge(errors.New("disk on fire"), ps); !strings.Contains(err.Error(), "disk on fire") || !strings.Contains(err.Error(), "oracle") {
		t.Errorf("Merge lost an error: %v", err)
	}
}

func TestFormatOptionsChecked(t *testing.T) {
	c, err := Parse([]byte("sources:\n  - name: flows\n    type: stdin\n    format: vpcflow\n    format_options:\n      fields: \"version srcaddr\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	var gotFormat string
	var gotOpts map[string]string
	ck := checks
	ck.Formats = func(string) bool { return true }
	ck.FormatOptions = func(format string, opts map[string]string) error {
		gotFormat, gotOpts = format, opts
		return errors.New("fields: dstaddr is missing")
	}
	err = c.Validate(ck)
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Field != "sources[0].format_options" || ps[0].Line != 5 {
		t.Fatalf("problems %v", err)
	}
	if gotFormat != "vpcflow" || gotOpts["fields"] != "version srcaddr" {
		t.Errorf("checked %q %v", gotFormat, gotOpts)
	}
}

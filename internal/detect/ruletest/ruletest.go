// Package ruletest runs rule tests: data files of events in and expected
// findings out, for Sigma rules and built-in detectors alike. A test file
// (*.test.yml) sits beside the rules it tests:
//
//	tests:
//	  - name: trail stopped                  # required
//	    rule: sigma/aws_cloudtrail_disable_logging   # detector name or Sigma rule id; omitted: every detector
//	    format: cloudtrail                   # decoder; default cloudtrail
//	    events:                              # inline records (maps become JSON; strings are raw lines)
//	      - {eventSource: cloudtrail.amazonaws.com, eventName: StopLogging, ...}
//	    file: ${PICKET_SHARED_DIR}/data/…    # or a log file, relative to the test file
//	    where: {eventName: StopLogging}      # keep the file's records whose fields equal these
//	    unwrap: log                          # take each record from this field (test-case wrappers)
//	    expect: 1                            # findings the rule raises (before aggregation)
//	    types: [Stealth:IAMUser/…]           # or: exactly these finding types (sorted multiset)
//
// Every case runs on fresh detectors, so stateful detectors and Sigma
// correlations start empty.
package ruletest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/valyala/fastjson"
	"go.yaml.in/yaml/v3"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// File is a parsed test file.
type File struct {
	Path string
	// Select is the detector selection (e.g. "-sigma") cases without a
	// rule run against; "" is every detector.
	Select string
	Tests  []Case
}

// Case is one test.
type Case struct {
	Name   string            `yaml:"name"`
	Rule   string            `yaml:"rule"`
	Format string            `yaml:"format"`
	Events []yaml.Node       `yaml:"events"`
	File   string            `yaml:"file"`
	Where  map[string]string `yaml:"where"`
	Unwrap string            `yaml:"unwrap"`
	Expect *int              `yaml:"expect"`
	Types  []string          `yaml:"types"`
	Line   int               `yaml:"-"`
}

// Load reads a test file.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, b)
}

// Parse parses a test file's contents; path names it in messages and
// anchors its relative file paths.
func Parse(path string, b []byte) (*File, error) {
	var doc struct {
		Select string      `yaml:"select"`
		Tests  []yaml.Node `yaml:"tests"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f := &File{Path: path, Select: doc.Select}
	for _, n := range doc.Tests {
		var c Case
		d := n
		if err := d.Decode(&c); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n.Line, err)
		}
		c.Line = n.Line
		switch {
		case c.Name == "":
			return nil, fmt.Errorf("%s:%d: a test needs a name", path, n.Line)
		case c.Expect == nil && c.Types == nil:
			return nil, fmt.Errorf("%s:%d: test %q needs expect (a count) or types", path, n.Line, c.Name)
		case len(c.Events) == 0 && c.File == "":
			return nil, fmt.Errorf("%s:%d: test %q needs events or a file", path, n.Line, c.Name)
		case (c.Where != nil || c.Unwrap != "") && c.File == "":
			return nil, fmt.Errorf("%s:%d: test %q: where and unwrap apply to a file", path, n.Line, c.Name)
		}
		f.Tests = append(f.Tests, c)
	}
	if len(f.Tests) == 0 {
		return nil, fmt.Errorf("%s: no tests (expected a top-level \"tests:\" list)", path)
	}
	return f, nil
}

// Find lists the test files (*.test.yml, *.test.yaml) under paths.
func Find(paths ...string) ([]string, error) {
	var out []string
	for _, root := range paths {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			base := strings.ToLower(d.Name())
			if !d.IsDir() && (strings.HasSuffix(base, ".test.yml") || strings.HasSuffix(base, ".test.yaml")) {
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

// Env is what running tests needs.
type Env struct {
	// Detectors returns fresh detectors: the one named name (or with that
	// alias), or when name is "" those the selection expression sel picks
	// (every one for ""), ready for an engine: Sigma rules collapsed into
	// one set.
	Detectors func(name, sel string) ([]detect.Detector, error)
	// Decoders decode the test records.
	Decoders *decode.Registry
	// Vars expand ${NAME} in file paths; an unknown name skips the case.
	Vars map[string]string
}

// Result is the outcome of one case.
type Result struct {
	File    string
	Line    int
	Name    string
	Rule    string
	Status  Status
	Message string
	// Covers names the detectors a case without a rule tests: those that
	// declare the finding types it expects.
	Covers []string
}

// Status of a case.
type Status string

// Statuses.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Run runs every case of the files.
func Run(ctx context.Context, env Env, files []*File) []Result {
	var out []Result
	for _, f := range files {
		for _, c := range f.Tests {
			r := Result{File: f.Path, Line: c.Line, Name: c.Name, Rule: c.Rule}
			r.Status, r.Message, r.Covers = runCase(ctx, env, f, &c)
			out = append(out, r)
		}
	}
	return out
}

type skipError struct{ msg string }

func (e *skipError) Error() string { return e.msg }

func runCase(ctx context.Context, env Env, f *File, c *Case) (Status, string, []string) {
	dets, err := env.Detectors(c.Rule, f.Select)
	if err != nil {
		return Fail, err.Error(), nil
	}
	if len(dets) == 0 {
		return Fail, fmt.Sprintf("no detector named %q", c.Rule), nil
	}
	// A correlator (attack sequences) raises findings from the findings
	// of the other detectors: run them too; only its own findings count.
	if c.Rule != "" && slices.ContainsFunc(dets, func(d detect.Detector) bool { _, ok := d.(detect.Correlator); return ok }) {
		others, err := env.Detectors("", f.Select)
		if err != nil {
			return Fail, err.Error(), nil
		}
		for _, o := range others {
			if !slices.ContainsFunc(dets, func(d detect.Detector) bool { return d.Info().Name == o.Info().Name }) {
				dets = append(dets, o)
			}
		}
	}
	var covers []string
	if c.Rule == "" {
		for _, d := range dets {
			for _, m := range members(d) {
				in := m.Info()
				for _, t := range c.Types {
					if slices.Contains(in.Types, t) && !slices.Contains(covers, in.Name) {
						covers = append(covers, in.Name)
					}
				}
			}
		}
	}
	st, msg := runEvents(ctx, env, f, c, dets)
	return st, msg, covers
}

// members returns d, or the rules inside a set of rules.
func members(d detect.Detector) []detect.Detector {
	if m, ok := d.(interface{ Members() []detect.Detector }); ok {
		return m.Members()
	}
	return []detect.Detector{d}
}

func runEvents(ctx context.Context, env Env, f *File, c *Case, dets []detect.Detector) (Status, string) {
	input, err := c.input(f, env.Vars)
	var se *skipError
	if errors.As(err, &se) {
		return Skip, se.msg
	}
	if err != nil {
		return Fail, err.Error()
	}
	format := c.Format
	if format == "" {
		format = "cloudtrail"
	}
	dec, err := env.Decoders.New(format)
	if err != nil {
		return Fail, err.Error()
	}
	en := detect.NewEngine(dets, func() time.Time { return time.Unix(0, 0) })
	h := &handler{ctx: ctx, en: en}
	if _, err := dec.Decode(ctx, bytes.NewReader(input), decode.Options{Origin: event.Origin{Source: "test", Path: f.Path}}, h); err != nil {
		return Fail, fmt.Sprintf("decode: %v", err)
	}
	if len(h.bad) > 0 {
		return Fail, fmt.Sprintf("%d record(s) did not decode: %s", len(h.bad), h.bad[0])
	}
	if h.events == 0 {
		return Fail, "no events: the file or filter selected nothing"
	}
	var got []string
	for _, fd := range h.found {
		if c.Rule == "" || fd.Service.DetectorID == c.Rule || slices.Contains(aliases(dets, fd.Service.DetectorID), c.Rule) {
			got = append(got, fd.Type)
		}
	}
	sort.Strings(got)
	if c.Expect != nil && len(got) != *c.Expect {
		return Fail, fmt.Sprintf("%d finding(s) from %d event(s), want %d%s", len(got), h.events, *c.Expect, listTypes(got))
	}
	if c.Types != nil {
		want := append([]string(nil), c.Types...)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			return Fail, fmt.Sprintf("finding types %q, want %q", got, want)
		}
	}
	return Pass, fmt.Sprintf("%d finding(s) from %d event(s)", len(got), h.events)
}

func listTypes(ts []string) string {
	if len(ts) == 0 {
		return ""
	}
	return ": " + strings.Join(ts, ", ")
}

// aliases returns the aliases of the detector named name, looked up in
// dets and, for a Sigma set, among its rules.
func aliases(dets []detect.Detector, name string) []string {
	for _, d := range dets {
		if in := d.Info(); in.Name == name {
			return in.Aliases
		}
		for _, r := range members(d) {
			if in := r.Info(); in.Name == name {
				return in.Aliases
			}
		}
	}
	return nil
}

type handler struct {
	ctx    context.Context
	en     *detect.Engine
	found  []finding.Finding
	events int
	bad    []string
}

func (h *handler) Event(e *event.Event) error {
	h.events++
	n := len(h.found)
	h.found = h.en.Detect(h.ctx, e, h.found)
	for i := n; i < len(h.found); i++ {
		h.found[i].Detach()
	}
	return nil
}

func (h *handler) Quarantine(b decode.Bad) error {
	h.bad = append(h.bad, fmt.Sprintf("record %d: %s", b.Origin.Index, b.Reason))
	return nil
}

var varRe = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)

// input builds the bytes to decode: JSON lines (or the raw lines given).
func (c *Case) input(f *File, vars map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	for _, n := range c.Events {
		if n.Kind == yaml.ScalarNode {
			buf.WriteString(n.Value)
			buf.WriteByte('\n')
			continue
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("event at line %d: %w", n.Line, err)
		}
		b, err := json.Marshal(jsonable(v))
		if err != nil {
			return nil, fmt.Errorf("event at line %d: %w", n.Line, err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	if c.File == "" {
		return buf.Bytes(), nil
	}
	var missing string
	path := varRe.ReplaceAllStringFunc(c.File, func(m string) string {
		name := varRe.FindStringSubmatch(m)[1]
		v, ok := vars[name]
		if !ok || v == "" {
			missing = name
		}
		return v
	})
	if missing != "" {
		return nil, &skipError{fmt.Sprintf("%s is not set (needed for %s)", missing, c.File)}
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(f.Path), path)
	}
	data, err := readMaybeGzip(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, &skipError{fmt.Sprintf("%s not found", path)}
	}
	if err != nil {
		return nil, err
	}
	if c.Where == nil && c.Unwrap == "" && !strings.HasPrefix(strings.TrimSpace(string(data)), "[") {
		buf.Write(data)
		return buf.Bytes(), nil
	}
	recs, err := jsonRecords(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, r := range recs {
		if !whereMatch(r, c.Where) {
			continue
		}
		if c.Unwrap != "" {
			r = r.Get(strings.Split(c.Unwrap, ".")...)
			if r == nil {
				continue
			}
		}
		buf.Write(r.MarshalTo(nil))
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}

func readMaybeGzip(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// jsonRecords splits a JSON file into records: an array, {"Records": […]},
// one object, or JSON lines.
func jsonRecords(data []byte) ([]*fastjson.Value, error) {
	trim := bytes.TrimSpace(data)
	if v, err := fastjson.ParseBytes(trim); err == nil {
		switch v.Type() {
		case fastjson.TypeArray:
			return v.GetArray(), nil
		case fastjson.TypeObject:
			if recs := v.GetArray("Records"); recs != nil {
				return recs, nil
			}
			return []*fastjson.Value{v}, nil
		}
	}
	var out []*fastjson.Value
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 16<<20)
	for line := 1; sc.Scan(); line++ {
		l := bytes.TrimSpace(sc.Bytes())
		if len(l) == 0 {
			continue
		}
		v, err := fastjson.ParseBytes(l)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, v)
	}
	return out, sc.Err()
}

// whereMatch: every path equals its value (strings as is, others as JSON).
func whereMatch(v *fastjson.Value, where map[string]string) bool {
	for path, want := range where {
		got := v.Get(strings.Split(path, ".")...)
		if got == nil {
			return false
		}
		s := string(got.MarshalTo(nil))
		if got.Type() == fastjson.TypeString {
			s = string(got.GetStringBytes())
		}
		if s != want {
			return false
		}
	}
	return true
}

// jsonable turns YAML maps (map[string]any from yaml.v3) into JSON-ready values.
func jsonable(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = jsonable(x)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[fmt.Sprint(k)] = jsonable(x)
		}
		return m
	case []any:
		for i, x := range t {
			t[i] = jsonable(x)
		}
		return t
	}
	return v
}

// Coverage summarises results per detector.
type Coverage struct {
	Detector                       string
	Tests, Passed, Failed, Skipped int
}

// Summarise returns coverage rows for every detector name in names (those
// without tests included, with zero tests) plus any tested name not in it.
func Summarise(results []Result, names []string) []Coverage {
	rows := map[string]*Coverage{}
	var order []string
	row := func(n string) *Coverage {
		if r, ok := rows[n]; ok {
			return r
		}
		r := &Coverage{Detector: n}
		rows[n] = r
		order = append(order, n)
		return r
	}
	for _, n := range names {
		row(n)
	}
	for _, r := range results {
		targets := []string{r.Rule}
		if r.Rule == "" {
			targets = r.Covers
			if len(targets) == 0 {
				targets = []string{"(all detectors)"}
			}
		}
		for _, name := range targets {
			c := row(name)
			c.Tests++
			switch r.Status {
			case Pass:
				c.Passed++
			case Fail:
				c.Failed++
			case Skip:
				c.Skipped++
			}
		}
	}
	out := make([]Coverage, 0, len(order))
	for _, n := range order {
		out = append(out, *rows[n])
	}
	return out
}

package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// This file turns yaml's decoding errors (unknown fields, wrong types, keys
// set twice) into problems a user can act on: the dotted path of the key
// (sources[1].path), its line, and what was expected in YAML terms rather
// than Go types.
//
// yaml decides whether there is a problem: Parse only calls checkTree when
// the strict decoder failed. checkTree walks the YAML tree alongside the
// config types the way yaml's decoder does (same duplicate-key check, same
// merge-key rules, and the decoder itself for scalars), so it finds the same
// problems, with their paths. Should it ever find none where yaml found some,
// Parse falls back to yaml's own messages (see fromYAMLMessage), so a config
// that yaml rejects is never accepted.

// maxCheckSteps bounds the walk, whatever aliases do to the tree's size.
const maxCheckSteps = 1 << 20

var durationType = reflect.TypeOf(time.Duration(0))

// checker walks a YAML tree against a Go type.
type checker struct {
	ps       Problems
	reported map[*yaml.Node]bool // one problem per node, however many aliases reach it
	active   map[*yaml.Node]bool // aliases being followed, against cycles
	keys     map[reflect.Type]*structKeys
	steps    int
}

// checkTree reports the unknown keys, wrong types and repeated keys of a
// document decoded into a Config.
func checkTree(root *yaml.Node) Problems {
	ch := &checker{reported: map[*yaml.Node]bool{}, active: map[*yaml.Node]bool{}, keys: map[reflect.Type]*structKeys{}}
	ch.node(root, reflect.TypeOf(Config{}), "")
	return ch.ps
}

func (ch *checker) add(n *yaml.Node, p Problem) {
	if ch.reported[n] {
		return
	}
	ch.reported[n] = true
	ch.ps = append(ch.ps, p)
}

// node checks n decoded into a value of type t found at path.
func (ch *checker) node(n *yaml.Node, t reflect.Type, path string) {
	if ch.steps++; ch.steps > maxCheckSteps {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 1 {
			ch.node(n.Content[0], t, path)
		}
		return
	case yaml.AliasNode:
		if n.Alias == nil || ch.active[n] {
			return // yaml fails on these before we get here
		}
		ch.active[n] = true
		ch.node(n.Alias, t, path)
		delete(ch.active, n)
		return
	}
	switch {
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct && walkable(t):
		ch.mapping(n, t, path, nil)
	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
		for i, item := range n.Content {
			ch.node(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	default:
		// Scalars, and nodes of the wrong kind: the decoder itself says
		// whether they fit.
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			ch.add(n, typeProblem(n, t, path, err))
		}
	}
}

// walkable reports whether yaml decodes a mapping into t field by field
// (rather than through t's own UnmarshalYAML).
func walkable(t reflect.Type) bool {
	if t == reflect.TypeOf(yaml.Node{}) {
		return false
	}
	_, custom := reflect.PointerTo(t).MethodByName("UnmarshalYAML")
	return !custom
}

// mapping checks a mapping decoded into struct type t, as yaml's decoder
// does: a mapping with a key written twice is not decoded further.
func (ch *checker) mapping(n *yaml.Node, t reflect.Type, path string, merged map[string]bool) {
	dup := false
	for j := 2; j+1 < len(n.Content); j += 2 {
		kj := n.Content[j]
		for i := 0; i < j; i += 2 {
			if ki := n.Content[i]; ki.Kind == kj.Kind && ki.Value == kj.Value {
				ch.add(kj, Problem{Line: kj.Line, Field: joinKey(path, kj.Value),
					Msg: fmt.Sprintf("key %s is repeated (first on line %d)", quote(kj.Value), ki.Line)})
				dup = true
				break
			}
		}
	}
	if !dup {
		ch.fields(n, t, path, merged)
	}
}

// fields checks the keys of mapping n against the fields of struct type t.
// merged, when not nil, holds the keys already set by the mapping that
// merges n in (<<: *base); they are skipped, as yaml skips them.
func (ch *checker) fields(n *yaml.Node, t reflect.Type, path string, merged map[string]bool) {
	sk := ch.keysOf(t)
	done := map[string]int{}
	var mergeNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMerge(k) {
			mergeNode = v
			continue
		}
		name, ok := ch.keyName(k, path)
		if !ok {
			continue
		}
		if merged != nil {
			if merged[name] {
				continue
			}
			merged[name] = true
		}
		p := joinKey(path, name)
		switch ft, known := sk.types[name]; {
		case known:
			if first, again := done[name]; again {
				ch.add(k, Problem{Line: k.Line, Field: p, Msg: fmt.Sprintf("key %s is repeated (first on line %d)", quote(name), first)})
				continue
			}
			done[name] = k.Line
			ch.node(v, ft, p)
		case sk.inline != nil:
			ch.node(v, sk.inline, p)
		default:
			ch.add(k, Problem{Line: k.Line, Field: p, Msg: unknownKeyMsg(name, sk.names)})
		}
	}
	if mergeNode != nil {
		ch.merge(n, mergeNode, t, path, merged)
	}
}

// merge checks the mappings merged into parent by "<<".
func (ch *checker) merge(parent, m *yaml.Node, t reflect.Type, path string, merged map[string]bool) {
	if merged == nil {
		merged = map[string]bool{}
		for i := 0; i < len(parent.Content); i += 2 {
			var k any
			if parent.Content[i].Decode(&k) == nil {
				if s, ok := k.(string); ok {
					merged[s] = true
				}
			}
		}
	}
	var ms []*yaml.Node
	if m.Kind == yaml.SequenceNode {
		ms = m.Content
	} else {
		ms = []*yaml.Node{m}
	}
	for _, m := range ms {
		if m.Kind == yaml.AliasNode {
			if m.Alias == nil || ch.active[m] {
				continue
			}
			ch.active[m] = true
			ch.mergeOne(m.Alias, t, path, merged)
			delete(ch.active, m)
		} else {
			ch.mergeOne(m, t, path, merged)
		}
	}
}

func (ch *checker) mergeOne(m *yaml.Node, t reflect.Type, path string, merged map[string]bool) {
	if ch.steps++; ch.steps > maxCheckSteps || m.Kind != yaml.MappingNode {
		return // other kinds are fatal to yaml, before we get here
	}
	ch.mapping(m, t, path, merged)
}

// keyName decodes a mapping key as yaml does for struct fields: a null key
// is skipped, a key that is not a scalar is a problem.
func (ch *checker) keyName(k *yaml.Node, path string) (string, bool) {
	r := k
	for i := 0; r.Kind == yaml.AliasNode && r.Alias != nil && i < 8; i++ {
		r = r.Alias
	}
	if r.Kind == yaml.ScalarNode && r.ShortTag() == "!!null" {
		return "", false
	}
	var s string
	if err := k.Decode(&s); err != nil {
		ch.add(k, Problem{Line: k.Line, Field: path, Msg: "a key must be a string, got " + describe(k)})
		return "", false
	}
	return s, true
}

func isMerge(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "<<" &&
		(n.Tag == "" || n.Tag == "!" || n.Tag == "!!merge" || n.Tag == "tag:yaml.org,2002:merge")
}

// structKeys are the keys yaml accepts for a struct type, from its yaml tags.
type structKeys struct {
	names  []string // in declaration order
	types  map[string]reflect.Type
	inline reflect.Type // element type of an ",inline" map, if any
}

func (ch *checker) keysOf(t reflect.Type) *structKeys {
	if sk, ok := ch.keys[t]; ok {
		return sk
	}
	sk := knownKeys(t)
	ch.keys[t] = sk
	return sk
}

// knownKeys lists the keys of struct type t the way yaml reads its tags:
// `yaml:"name"`, the lower-cased field name when the tag has no name,
// nothing for "-" and unexported fields, and the keys of ",inline" structs.
func knownKeys(t reflect.Type) *structKeys {
	sk := &structKeys{types: map[string]reflect.Type{}}
	sk.add(t, 0)
	return sk
}

func (sk *structKeys) add(t reflect.Type, depth int) {
	if depth > 8 {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.PkgPath != "" && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "" && !strings.Contains(string(f.Tag), ":") {
			tag = string(f.Tag)
		}
		if tag == "-" {
			continue
		}
		name, flags, _ := strings.Cut(tag, ",")
		if inline := strings.Contains(","+flags+",", ",inline,"); inline {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch ft.Kind() {
			case reflect.Map:
				sk.inline = ft.Elem()
			case reflect.Struct:
				sk.add(ft, depth+1)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if _, dup := sk.types[name]; !dup {
			sk.names = append(sk.names, name)
			sk.types[name] = f.Type
		}
	}
}

// unknownKeyMsg says that key is unknown, with the closest known key as a
// hint when there is one.
func unknownKeyMsg(key string, known []string) string {
	msg := "unknown key " + quote(key)
	if s := suggest(key, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return msg
}

// suggest returns the known key closest to key: one spelled the same but
// for case, else the nearest within an edit distance of 2; "" if none.
func suggest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if strings.EqualFold(k, key) {
			return k
		}
		if d := editDistance(key, k, bestD); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes,
// or max when it is max or more.
func editDistance(a, b string, max int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d >= max || -d >= max {
		return max
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= max {
			return max
		}
		prev, cur = cur, prev
	}
	return min(prev[len(rb)], max)
}

// typeProblem describes a value that does not fit the field's type.
func typeProblem(n *yaml.Node, t reflect.Type, path string, err error) Problem {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		// Not a type mismatch (an array of the wrong length, say).
		return Problem{Line: n.Line, Field: path, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	return Problem{Line: n.Line, Field: path, Msg: "must be " + wantKind(t) + ", got " + describe(n) + kindHint(n, t)}
}

// wantKind names what a value of type t is written as in YAML.
func wantKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == durationType {
		return "a duration like 5s"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map:
		return "a mapping (key: value)"
	case reflect.Struct:
		if names := knownKeys(t).names; len(names) > 0 && walkable(t) {
			return "a mapping (keys: " + strings.Join(names, ", ") + ")"
		}
		return "a mapping (key: value)"
	}
	return "a different kind of value"
}

var plainNumber = regexp.MustCompile(`^[-+]?[0-9]+(\.[0-9]*)?$`)

// kindHint adds a word on common mistakes: a duration without its unit, a
// number too large for a count, a single value for a list.
func kindHint(n *yaml.Node, t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind != yaml.ScalarNode {
		return ""
	}
	switch {
	case t == durationType:
		if plainNumber.MatchString(n.Value) {
			return fmt.Sprintf(" (add a unit: %ss, %sm, %sh)", n.Value, n.Value, n.Value)
		}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uintptr:
		// yaml drops the fraction of a number for an integer field, so a
		// number that does not fit is too large (or negative, for uint).
		if _, err := strconv.ParseFloat(n.Value, 64); err == nil || errors.Is(err, strconv.ErrRange) {
			return " (out of range)"
		}
	case t.Kind() == reflect.Slice:
		return " (write one \"- item\" line per item, or [a, b])"
	}
	return ""
}

// describe shows a node in a message: its value, quoted and cut short, or
// "a list" or "a mapping".
func describe(n *yaml.Node) string {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return quote(n.Value)
}

// quote quotes s for a message, escaping control characters and cutting
// it to 40 characters.
func quote(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		return strconv.Quote(string(r[:max-1])) + "…"
	}
	return strconv.Quote(s)
}

// joinKey appends a mapping key to a field path: http.listen, or
// http["odd key"] for keys that are not plain words.
func joinKey(path, key string) string {
	if !plainKey(key) {
		return path + "[" + quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func plainKey(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// yaml's own messages, for the fallback.
var (
	yamlNotFound = regexp.MustCompile(`^field (.*) not found in type (\S+)$`)
	yamlSetTwice = regexp.MustCompile(`^field (.*) already set in type (\S+)$`)
	yamlCannot   = regexp.MustCompile("^cannot unmarshal (\\S+)(?: `(.*)`)? into (.+)$")
)

// fromYAMLMessage rewrites one of yaml's type errors without Go type names,
// for when checkTree has not found the problem itself.
func fromYAMLMessage(p Problem) Problem {
	types := configTypes()
	if m := yamlNotFound.FindStringSubmatch(p.Msg); m != nil {
		var known []string
		if t, ok := types[m[2]]; ok {
			known = knownKeys(t).names
		}
		p.Msg = unknownKeyMsg(m[1], known)
	} else if m := yamlSetTwice.FindStringSubmatch(p.Msg); m != nil {
		p.Msg = fmt.Sprintf("key %s is repeated", quote(m[1]))
	} else if m := yamlCannot.FindStringSubmatch(p.Msg); m != nil {
		got := quote(m[2])
		switch m[1] {
		case "!!seq":
			got = "a list"
		case "!!map":
			got = "a mapping"
		}
		want := "a different kind of value"
		if t, ok := types[m[3]]; ok {
			want = wantKind(t)
		}
		p.Msg = "must be " + want + ", got " + got
	}
	return p
}

// configTypes maps the Go names of the types in a Config (as yaml's
// messages print them) to the types.
func configTypes() map[string]reflect.Type {
	out := map[string]reflect.Type{}
	var visit func(t reflect.Type)
	visit = func(t reflect.Type) {
		if _, seen := out[t.String()]; seen {
			return
		}
		out[t.String()] = t
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			visit(t.Elem())
		case reflect.Struct:
			for _, ft := range knownKeys(t).types {
				visit(ft)
			}
		}
	}
	visit(reflect.TypeOf(Config{}))
	return out
}

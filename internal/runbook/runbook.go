// Package runbook holds the response runbooks shown with findings: one
// Markdown document per finding type, or per family of types, saying what
// the finding means, how to check whether it is expected, how to contain
// it, when to escalate, and its known false positives.
//
// # API
//
//	set := runbook.Defaults()                 // the runbooks built into Picket (defaults/*.md)
//	mine, err := runbook.Load("/etc/picket/runbooks")
//	set = set.Merge(mine)                     // yours replace the built-in ones of the same type
//	rb, ok := set.Find("Recon:EC2/PortProbeUnprotectedPort")
//	html := runbook.RenderHTML(rb.Markdown)   // safe HTML for the console
//
// A Set is immutable once built and safe for concurrent use; the
// Markdown of the runbooks it returns is shared and must not be modified.
//
// # Types and prefixes
//
// A runbook's Type is one of:
//
//   - a finding type, matched exactly (case-sensitive, as GuardDuty):
//     "Trojan:EC2/DNSDataExfiltration";
//   - a prefix, ending in ":", "/" or ".": "Backdoor:" (a threat
//     purpose), "Backdoor:EC2/" (a purpose on one resource type),
//     "Backdoor:EC2/DenialOfService." (a family of variants);
//   - "", the generic runbook, used when nothing else matches.
//
// Find tries the exact type, then the longest prefix runbook the type
// starts with, then the generic one.
//
// # Files
//
// Load reads the *.md files of one directory (not its subdirectories).
// The type comes from front matter, a block of "key: value" lines between
// two "---" lines at the very top of the file:
//
//	---
//	type: Recon:EC2/PortProbeUnprotectedPort
//	title: Unprotected port probed by a known malicious host
//	---
//
// Keys are type and title; values may be quoted ("…" with Go escapes, or
// '…'). type: "" (quoted, empty) makes the generic runbook; a bare
// "type:" is an error. Without a title, the first heading of the document
// is the title, or else the type.
//
// Without a type in front matter, the file name gives it: the name less
// ".md", with "__" standing for ":" and "--" for "/" (characters that file
// systems reject or treat as separators), and "_default" for the generic
// runbook:
//
//	Recon__EC2--PortProbeUnprotectedPort.md   Recon:EC2/PortProbeUnprotectedPort
//	Backdoor__EC2--.md                        Backdoor:EC2/
//	Backdoor__.md                             Backdoor:
//	Backdoor__EC2--DenialOfService..md        Backdoor:EC2/DenialOfService.
//	_default.md                               "" (generic)
//
// FileName gives the name for a type. A file whose name is encoded that way
// and whose front matter names another type is an error, as are a file
// with no type, an invalid type, two files with one type, and a file that
// cannot be read; each error names the file.
package runbook

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// Runbook is the response guide for one finding type or type prefix.
type Runbook struct {
	// Type is an exact finding type, a prefix ending in ":", "/" or "."
	// ("Recon:EC2/", "Backdoor:"), or "" for the generic runbook.
	Type string
	// Title is the front matter's title, or the document's first heading.
	Title string
	// Markdown is the document without its front matter.
	Markdown []byte
	// Source is the file it was read from: a path for Load, or
	// "embedded:defaults/NAME.md" for the built-in runbooks.
	Source string
}

// IsPrefix reports whether the runbook covers every type that starts with
// its Type (the generic runbook is not a prefix: it is the fallback).
func (r Runbook) IsPrefix() bool { return isPrefix(r.Type) }

func isPrefix(t string) bool {
	return t != "" && strings.ContainsRune(":/.", rune(t[len(t)-1]))
}

// Set is a collection of runbooks with at most one per type.
type Set struct {
	byType   map[string]Runbook
	prefixes []string // prefix types, longest first
}

func newSet(rbs map[string]Runbook) *Set {
	s := &Set{byType: rbs}
	for t := range rbs {
		if isPrefix(t) {
			s.prefixes = append(s.prefixes, t)
		}
	}
	sort.Slice(s.prefixes, func(i, j int) bool {
		a, b := s.prefixes[i], s.prefixes[j]
		if len(a) != len(b) {
			return len(a) > len(b)
		}
		return a < b
	})
	return s
}

// Find returns the runbook for a finding type: the one for exactly that
// type, else the one with the longest prefix of it, else the generic
// runbook (Type ""). ok is false when none of these exists.
func (s *Set) Find(findingType string) (Runbook, bool) {
	if s == nil {
		return Runbook{}, false
	}
	if findingType != "" {
		if rb, ok := s.byType[findingType]; ok {
			return rb, true
		}
		for _, p := range s.prefixes {
			if strings.HasPrefix(findingType, p) {
				return s.byType[p], true
			}
		}
	}
	rb, ok := s.byType[""]
	return rb, ok
}

// All returns the runbooks sorted by type (the generic one first).
func (s *Set) All() []Runbook {
	if s == nil {
		return nil
	}
	out := make([]Runbook, 0, len(s.byType))
	for _, rb := range s.byType {
		out = append(out, rb)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// Len is the number of runbooks.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.byType)
}

// Merge returns a set with the runbooks of s and over; where both have a
// runbook for the same type, over's wins. Neither s nor over changes.
func (s *Set) Merge(over *Set) *Set {
	m := make(map[string]Runbook, s.Len()+over.Len())
	if s != nil {
		for t, rb := range s.byType {
			m[t] = rb
		}
	}
	if over != nil {
		for t, rb := range over.byType {
			m[t] = rb
		}
	}
	return newSet(m)
}

//go:embed defaults/*.md
var defaultFiles embed.FS

var defaults = sync.OnceValue(func() *Set {
	s, err := loadFS(defaultFiles, "defaults", "embedded:defaults", func(name string) string { return "embedded:defaults/" + name })
	if err != nil {
		panic("runbook: built-in runbooks: " + err.Error())
	}
	return s
})

// Defaults returns the runbooks built into Picket (defaults/*.md, named by
// the file-name scheme, each with front matter). The set is shared. It
// panics if a built-in file is broken, which the package's tests rule out.
func Defaults() *Set { return defaults() }

// Load reads the runbooks in dir (its *.md files; see the package doc).
func Load(dir string) (*Set, error) {
	return loadFS(os.DirFS(dir), ".", dir, func(name string) string { return filepath.Join(dir, name) })
}

// loadFS reads the *.md files of dir in fsys; label names dir in errors,
// and source a file, in errors and in Runbook.Source.
func loadFS(fsys fs.FS, dir, label string, source func(name string) string) (*Set, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("runbook directory %s: %w", label, unwrapPath(err))
	}
	var errs []error
	m := map[string]Runbook{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".md") {
			continue
		}
		src := source(name)
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			errs = append(errs, fmt.Errorf("runbook %s: %w", src, unwrapPath(err)))
			continue
		}
		rb, err := parse(name, b)
		if err != nil {
			errs = append(errs, fmt.Errorf("runbook %s: %w", src, err))
			continue
		}
		rb.Source = src
		if prev, dup := m[rb.Type]; dup {
			errs = append(errs, fmt.Errorf("runbook %s: type %s already has runbook %s", src, describe(rb.Type), prev.Source))
			continue
		}
		m[rb.Type] = rb
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return newSet(m), nil
}

// unwrapPath drops the *fs.PathError's relative path (the caller names
// the file in full).
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func describe(t string) string {
	if t == "" {
		return `"" (generic)`
	}
	return strconv.Quote(t)
}

// FileName is the file name Load reads typ from when the file has no
// front matter: ":" as "__", "/" as "--", and "_default.md" for "".
func FileName(typ string) string {
	if typ == "" {
		return defaultName + ".md"
	}
	return strings.NewReplacer(":", "__", "/", "--").Replace(typ) + ".md"
}

const defaultName = "_default"

// typeFromName decodes a file name (see FileName). ok is false when the
// name does not encode a type.
func typeFromName(name string) (string, bool) {
	base := strings.TrimSuffix(name, ".md")
	if base == defaultName {
		return "", true
	}
	if !strings.Contains(base, "__") {
		return "", false
	}
	return strings.NewReplacer("__", ":", "--", "/").Replace(base), true
}

// validType: Purpose:, Purpose:Resource/, or Purpose:Resource/Rest (a
// type, or a prefix when Rest ends in ".").
var validType = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*:(?:[A-Za-z0-9]+/(?:[^\s/]+)?)?$`)

// ValidType reports whether t can be a runbook's type: "" (generic), a
// finding type in GuardDuty's Purpose:Resource/Name form, or a prefix.
func ValidType(t string) bool { return t == "" || validType.MatchString(t) }

// parse reads one file: front matter, type, title, body.
func parse(name string, b []byte) (Runbook, error) {
	fm, body, err := splitFrontMatter(b)
	if err != nil {
		return Runbook{}, err
	}
	nameType, named := typeFromName(name)
	typ, hasType := fm["type"]
	switch {
	case hasType && named && typ != nameType:
		return Runbook{}, fmt.Errorf("front matter type %s differs from the file name's %s", describe(typ), describe(nameType))
	case hasType:
	case named:
		typ = nameType
	default:
		return Runbook{}, fmt.Errorf(`no finding type: add front matter ("---", "type: Recon:EC2/Portscan", "---") or name the file %s`, FileName("Recon:EC2/Portscan"))
	}
	if !ValidType(typ) {
		return Runbook{}, fmt.Errorf("invalid finding type %q: want Purpose:Resource/Name, or a prefix ending in \":\", \"/\" or \".\"", typ)
	}
	title := fm["title"]
	if title == "" {
		title = firstHeading(body)
	}
	if title == "" {
		title = typ
	}
	if title == "" {
		title = "Generic runbook"
	}
	return Runbook{Type: typ, Title: title, Markdown: body}, nil
}

var frontMatterKeys = map[string]bool{"type": true, "title": true}

// splitFrontMatter separates the front matter (see the package doc) from
// the body. A file that does not start with a "---" line has none.
func splitFrontMatter(b []byte) (map[string]string, []byte, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	first, rest, _ := bytes.Cut(b, []byte("\n"))
	if string(bytes.TrimRight(first, " \t\r")) != "---" {
		return nil, b, nil
	}
	fm := map[string]string{}
	for n := 2; ; n++ {
		if len(rest) == 0 {
			return nil, nil, errors.New(`front matter has no closing "---" line`)
		}
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		l := strings.TrimSpace(string(line))
		if l == "---" {
			break
		}
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, nil, fmt.Errorf("front matter line %d: want key: value, got %q", n, l)
		}
		if !frontMatterKeys[k] {
			return nil, nil, fmt.Errorf("front matter line %d: unknown key %q (type, title)", n, k)
		}
		if _, dup := fm[k]; dup {
			return nil, nil, fmt.Errorf("front matter line %d: %s given twice", n, k)
		}
		raw := strings.TrimSpace(v)
		if raw == "" && k == "type" {
			return nil, nil, fmt.Errorf(`front matter line %d: type is empty (write type: "" for the generic runbook)`, n)
		}
		v, err := unquote(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("front matter line %d: %s: %w", n, k, err)
		}
		fm[k] = v
	}
	return fm, rest, nil
}

func unquote(v string) (string, error) {
	switch {
	case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
		return strconv.Unquote(v)
	case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
		return v[1 : len(v)-1], nil
	case strings.HasPrefix(v, `"`) || strings.HasPrefix(v, `'`):
		return "", errors.New("unterminated quote")
	}
	return v, nil
}

// firstHeading returns the plain text of the document's first heading.
func firstHeading(md []byte) string {
	doc := markdown().Parser().Parse(text.NewReader(md))
	var title string
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering {
			title = strings.TrimSpace(plainText(h, md))
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	return title
}

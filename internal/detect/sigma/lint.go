package sigma

import (
	"fmt"
	"strings"
)

// Lint returns warnings about compiled rules: things that do not stop a
// rule from running but that a reviewer should see.
func Lint(rules []*CompiledRule) []error {
	var out []error
	ids := map[string]*CompiledRule{}
	warn := func(r *CompiledRule, format string, a ...any) {
		out = append(out, &Error{File: r.File, Line: r.Line, Rule: r.label(), Err: fmt.Errorf(format, a...)})
	}
	for _, r := range rules {
		if r.ID == "" {
			warn(r, "no id: findings name the rule by file name, which changes when the file moves")
		} else if prev, dup := ids[r.ID]; dup {
			warn(r, "id %s is also used by %s", r.ID, prev.File)
		} else {
			ids[r.ID] = r
		}
		if r.Level == "" {
			warn(r, "no level: severity defaults to medium (5.0)")
		}
		if r.Author == "" {
			warn(r, "no author: the Detection Rule License asks for attribution")
		}
		if r.Description == "" {
			warn(r, "no description")
		}
		if strings.EqualFold(r.Status, "experimental") {
			warn(r, "status experimental: consider running it in shadow mode first")
		}
		if r.det != nil {
			for _, name := range r.det.unused() {
				warn(r, "search identifier %q is not used by the condition", name)
			}
			if r.det.required(r.Source.IndexField) == nil {
				warn(r, "not indexed by %s: evaluated on every %s event", r.Source.IndexField, r.Source.Kind)
			}
		}
	}
	return out
}

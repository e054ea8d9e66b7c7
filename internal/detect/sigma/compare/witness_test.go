package compare

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Witness events: for each rule, events built from the rule itself, so that
// every rule (not only the few the corpus triggers) is exercised. Each search
// contributes either nothing or one of its maps, in every combination; a map
// contributes, for each field item, a value that satisfies it (with the
// letter case swapped, to exercise case-insensitive matching). Whether a
// witness matches depends on the condition; the engines must agree either
// way, and every rule must match at least one of its witnesses.

// regexExamples gives a value matched by each regular expression the rules
// use (`re`). A rule with a regular expression not listed here fails the
// tests, so a new one gets an example.
var regexExamples = map[string]string{
	".+:assumed-role/aws:.+": "arn:aws:sts::123456789012:assumed-role/aws:ec2-instance/i-0123456789abcdef0",
}

// maxWitnesses bounds the combinations per rule.
const maxWitnesses = 4096

// witnesses returns the witness events of r, as JSON.
func witnesses(r *sigmaRule) ([][]byte, error) {
	radix := make([]int, len(r.names))
	total := 1
	for i, n := range r.names {
		radix[i] = len(r.searches[n]) + 1
		total *= radix[i]
		if total > maxWitnesses {
			return nil, fmt.Errorf("%s: more than %d witness combinations", r.file, maxWitnesses)
		}
	}
	var out [][]byte
	for k := range total {
		ev := map[string]any{}
		x := k
		for i, n := range r.names {
			c := x % radix[i]
			x /= radix[i]
			if c == 0 {
				continue
			}
			for _, it := range r.searches[n][c-1] {
				if err := applyItem(ev, it); err != nil {
					return nil, fmt.Errorf("%s, search %s, %s: %w", r.file, n, it.field, err)
				}
			}
		}
		b, err := json.Marshal(ev)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// applyItem sets (or, for null, removes) it.field in ev so that it matches.
func applyItem(ev map[string]any, it sigmaItem) error {
	op, all := "", false
	for _, m := range it.mods {
		if m == "all" {
			all = true
		} else {
			op = m
		}
	}
	var vals []string
	for _, v := range it.values {
		if v == nil {
			deletePath(ev, it.field)
			return nil
		}
		vals = append(vals, *v)
	}
	switch op {
	case "re":
		ex, ok := regexExamples[vals[0]]
		if !ok {
			return fmt.Errorf("no example for regular expression %q in regexExamples", vals[0])
		}
		setPath(ev, it.field, ex)
		return nil
	case "fieldref":
		v, ok := getPath(ev, vals[0]).(string)
		if !ok {
			v = "Same-Value"
			setPath(ev, vals[0], v)
		}
		setPath(ev, it.field, v)
		return nil
	}
	x := expandWildcards(vals[0])
	if all {
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = expandWildcards(v)
		}
		x = strings.Join(parts, " | ")
		if op == "" && len(vals) > 1 {
			return fmt.Errorf("all without a string modifier cannot be satisfied")
		}
	}
	x = swapCase(x)
	switch op {
	case "contains":
		x = "Pre-" + x + "-Post"
	case "startswith":
		x += "-Post"
	case "endswith":
		x = "Pre-" + x
	case "":
	default:
		return fmt.Errorf("modifier %q has no witness", op)
	}
	setPath(ev, it.field, x)
	return nil
}

// expandWildcards replaces * with "W1" and ? with "q", and unescapes \* \?
// and \\.
func expandWildcards(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && i+1 < len(v) && (v[i+1] == '*' || v[i+1] == '?' || v[i+1] == '\\'):
			b.WriteByte(v[i+1])
			i++
		case c == '*':
			b.WriteString("W1")
		case c == '?':
			b.WriteString("q")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// swapCase swaps the case of ASCII letters.
func swapCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case 'A' <= c && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}

func setPath(ev map[string]any, field string, v any) {
	parts := strings.Split(field, ".")
	m := ev
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

func getPath(ev map[string]any, field string) any {
	var cur any = ev
	for _, p := range strings.Split(field, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func deletePath(ev map[string]any, field string) {
	parts := strings.Split(field, ".")
	m := ev
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			return
		}
		m = next
	}
	delete(m, parts[len(parts)-1])
}

// inArrays rewrites a witness so that every nested object sits in an array
// after a decoy object ({"a":{"b":1}} becomes {"a":[{"zzDecoy":"x"},{"b":1}]}).
// Sigma says a field inside an array matches if it matches in any element,
// so a correct engine answers the same for both forms.
func inArrays(raw []byte) ([]byte, error) {
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	for k, v := range ev {
		ev[k] = wrapObjects(v)
	}
	return json.Marshal(ev)
}

func wrapObjects(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for k, x := range m {
		m[k] = wrapObjects(x)
	}
	return []any{map[string]any{"zzDecoy": "decoy"}, m}
}

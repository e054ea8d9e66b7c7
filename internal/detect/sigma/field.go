package sigma

import (
	"strings"

	"github.com/valyala/fastjson"
)

// fieldPath is a compiled field name. Sigma names nested fields with dots
// (requestParameters.bucketName); a key that itself holds dots is tried
// whole too, so both {"a":{"b":1}} and {"a.b":1} answer "a.b".
type fieldPath struct {
	name  string
	parts []string
	// dotted[i][k] is parts[i:i+k+2] joined with dots: the keys tried when
	// part i is missing, joined once here rather than per event.
	dotted [][]string
}

func newFieldPath(name string) fieldPath {
	p := fieldPath{name: name, parts: strings.Split(name, ".")}
	p.dotted = make([][]string, len(p.parts))
	for i := range p.parts {
		for j := i + 2; j <= len(p.parts); j++ {
			p.dotted[i] = append(p.dotted[i], strings.Join(p.parts[i:j], "."))
		}
	}
	return p
}

// collect appends every value at p in v to out: arrays met on the way are
// entered (a field inside an array matches any element), and a final array
// contributes its elements. Nothing is allocated once out has capacity.
func (p *fieldPath) collect(v *fastjson.Value, out []*fastjson.Value) []*fastjson.Value {
	return p.collectFrom(v, 0, out)
}

// collectFrom collects the values at parts[i:] below v.
func (p *fieldPath) collectFrom(v *fastjson.Value, i int, out []*fastjson.Value) []*fastjson.Value {
	for i < len(p.parts) {
		switch v.Type() {
		case fastjson.TypeArray:
			arr, _ := v.Array()
			for _, el := range arr {
				out = p.collectFrom(el, i, out)
			}
			return out
		case fastjson.TypeObject:
		default:
			return out
		}
		o, _ := v.Object()
		next := o.Get(p.parts[i])
		if next == nil {
			// A key with dots in it ("a.b" as one key).
			for k, key := range p.dotted[i] {
				if w := o.Get(key); w != nil {
					return p.collectFrom(w, i+k+2, out)
				}
			}
			return out
		}
		v, i = next, i+1
	}
	return appendFinal(v, out)
}

// appendFinal appends a value, or the elements of a final array (nested
// arrays flattened).
func appendFinal(v *fastjson.Value, out []*fastjson.Value) []*fastjson.Value {
	if v.Type() != fastjson.TypeArray {
		return append(out, v)
	}
	arr, _ := v.Array()
	for _, el := range arr {
		out = appendFinal(el, out)
	}
	return out
}

// appendLeaves appends the scalar values inside a container (objects and
// arrays, recursively): a pattern on a field that holds an object matches
// any value inside it (not its keys), as document stores search them.
func appendLeaves(v *fastjson.Value, out []*fastjson.Value) []*fastjson.Value {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		o.Visit(func(_ []byte, el *fastjson.Value) { out = appendLeaves(el, out) })
	case fastjson.TypeArray:
		arr, _ := v.Array()
		for _, el := range arr {
			out = appendLeaves(el, out)
		}
	default:
		out = append(out, v)
	}
	return out
}

// scalarText returns the text a string pattern is matched against: a
// string's contents, a number as written (appended to scratch), true or
// false. ok is false for null and containers.
func scalarText(v *fastjson.Value, scratch []byte) (s string, buf []byte, ok bool) {
	switch v.Type() {
	case fastjson.TypeString:
		return b2s(v.GetStringBytes()), scratch, true
	case fastjson.TypeTrue:
		return "true", scratch, true
	case fastjson.TypeFalse:
		return "false", scratch, true
	case fastjson.TypeNumber:
		start := len(scratch)
		scratch = v.MarshalTo(scratch)
		return b2s(scratch[start:]), scratch, true
	}
	return "", scratch, false
}

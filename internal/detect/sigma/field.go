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
}

func newFieldPath(name string) fieldPath {
	return fieldPath{name: name, parts: strings.Split(name, ".")}
}

// collect appends every value at p in v to out: arrays met on the way are
// entered (a field inside an array matches any element), and a final array
// contributes its elements. Nothing is allocated once out has capacity.
func (p *fieldPath) collect(v *fastjson.Value, out []*fastjson.Value) []*fastjson.Value {
	return collectParts(v, p.parts, out)
}

func collectParts(v *fastjson.Value, parts []string, out []*fastjson.Value) []*fastjson.Value {
	for len(parts) > 0 {
		switch v.Type() {
		case fastjson.TypeArray:
			arr, _ := v.Array()
			for _, el := range arr {
				out = collectParts(el, parts, out)
			}
			return out
		case fastjson.TypeObject:
		default:
			return out
		}
		o, _ := v.Object()
		next := o.Get(parts[0])
		if next == nil && len(parts) > 1 {
			// A key with dots in it ("a.b" as one key).
			return collectDotted(o, parts, out)
		}
		if next == nil {
			return out
		}
		v, parts = next, parts[1:]
	}
	if v.Type() == fastjson.TypeArray {
		arr, _ := v.Array()
		for _, el := range arr {
			if el.Type() == fastjson.TypeArray {
				out = collectParts(el, nil, out)
				continue
			}
			out = append(out, el)
		}
		return out
	}
	return append(out, v)
}

// collectDotted looks for keys spanning several parts. Rare (only when
// the nested lookup failed), so it may be slower.
func collectDotted(o *fastjson.Object, parts []string, out []*fastjson.Value) []*fastjson.Value {
	for n := 2; n <= len(parts); n++ {
		key := strings.Join(parts[:n], ".")
		if v := o.Get(key); v != nil {
			return collectParts(v, parts[n:], out)
		}
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

package rego

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/finding"
)

var (
	keyFinding = ast.StringTerm("finding")
	keyEvent   = ast.StringTerm("event")
	parsers    fastjson.ParserPool
)

// buildInput makes the input document {"finding": ..., "event": ...} as
// an AST value directly from JSON, skipping the map[string]any that OPA
// would otherwise convert (see BenchmarkInput).
func buildInput(f *finding.Finding, event []byte) (ast.Value, error) {
	if f == nil {
		return nil, errors.New("no finding")
	}
	fj, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encoding finding: %w", err)
	}
	p := parsers.Get()
	defer parsers.Put(p)
	fv, err := p.ParseBytes(fj)
	if err != nil {
		return nil, fmt.Errorf("encoding finding: %w", err)
	}
	ft := jsonTerm(fv)
	et := ast.InternedNullTerm
	if len(event) > 0 {
		ev, err := p.ParseBytes(event)
		if err != nil {
			return nil, fmt.Errorf("source event is not JSON: %w", err)
		}
		et = jsonTerm(ev)
	}
	return ast.NewObject([2]*ast.Term{keyFinding, ft}, [2]*ast.Term{keyEvent, et}), nil
}

// jsonTerm converts a parsed JSON value to an AST term. Numbers keep their
// JSON text, as OPA's own decoding does.
func jsonTerm(v *fastjson.Value) *ast.Term {
	switch v.Type() {
	case fastjson.TypeObject:
		o := v.GetObject()
		kvs := make([][2]*ast.Term, 0, o.Len())
		o.Visit(func(k []byte, v *fastjson.Value) {
			kvs = append(kvs, [2]*ast.Term{ast.StringTerm(string(k)), jsonTerm(v)})
		})
		return ast.NewTerm(ast.NewObject(kvs...))
	case fastjson.TypeArray:
		a := v.GetArray()
		ts := make([]*ast.Term, len(a))
		for i, x := range a {
			ts[i] = jsonTerm(x)
		}
		return ast.NewTerm(ast.NewArray(ts...))
	case fastjson.TypeString:
		return ast.StringTerm(string(v.GetStringBytes()))
	case fastjson.TypeNumber:
		s := v.String() // the number's JSON text
		if t := ast.InternedIntNumberTermFromString(s); t != nil {
			return t
		}
		return ast.NumberTerm(json.Number(s))
	case fastjson.TypeTrue:
		return ast.InternedTerm(true)
	case fastjson.TypeFalse:
		return ast.InternedTerm(false)
	default:
		return ast.InternedNullTerm
	}
}

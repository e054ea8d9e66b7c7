package rego

import (
	"bytes"
	"encoding/json"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/picket-dev/picket/internal/finding"
)

// mapInput is the other way to make the input: decode the JSON to Go
// values and let OPA convert them (what rego.EvalInput does).
func mapInput(f *finding.Finding, event []byte) (ast.Value, error) {
	fj, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	in := map[string]any{"event": nil}
	var fv any
	if err := decode(fj, &fv); err != nil {
		return nil, err
	}
	in["finding"] = fv
	if len(event) > 0 {
		var ev any
		if err := decode(event, &ev); err != nil {
			return nil, err
		}
		in["event"] = ev
	}
	return ast.InterfaceToValue(in)
}

func decode(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

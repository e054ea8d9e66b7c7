package suppress

import (
	"fmt"
	"strings"

	"github.com/valyala/fastjson"
	"go.yaml.in/yaml/v3"
)

// ParseCriteria parses GuardDuty's FindingCriteria JSON:
//
//	{"Criterion": {"<field>": {"<Operator>": <operand>, ...}, ...}}
//
// Operator names are matched case-insensitively, so the API's camelCase
// (equals, greaterThan), the CLI's PascalCase (Equals, GreaterThan) and
// the deprecated Eq, Neq, Gt, Gte, Lt and Lte all work. Errors are
// *Error values naming the field and operator.
func ParseCriteria(b []byte) (Criteria, error) {
	var p fastjson.Parser
	v, err := p.ParseBytes(b)
	if err != nil {
		return Criteria{}, &Error{Msg: "invalid JSON: " + err.Error()}
	}
	raw, perr := rawFromJSON(v)
	if perr != nil {
		return Criteria{}, perr
	}
	return compile(raw, pos{})
}

const wantShape = `want {"Criterion": {"<field>": {"<Operator>": ...}}}`

func rawFromJSON(v *fastjson.Value) ([]rawCond, *Error) {
	root, err := v.Object()
	if err != nil {
		return nil, &Error{Msg: "criteria must be a JSON object; " + wantShape}
	}
	var crit *fastjson.Value
	var perr *Error
	root.Visit(func(k []byte, v *fastjson.Value) {
		switch {
		case perr != nil:
		case !strings.EqualFold(string(k), "Criterion"):
			perr = &Error{Msg: fmt.Sprintf("unknown key %q; %s", k, wantShape)}
		case crit != nil:
			perr = &Error{Msg: "Criterion given twice"}
		default:
			crit = v
		}
	})
	if perr != nil {
		return nil, perr
	}
	if crit == nil {
		return nil, &Error{Msg: "no Criterion; " + wantShape}
	}
	fields, err := crit.Object()
	if err != nil {
		return nil, &Error{Msg: "Criterion must be an object of fields; " + wantShape}
	}
	var raw []rawCond
	fields.Visit(func(k []byte, v *fastjson.Value) {
		if perr != nil {
			return
		}
		rc := rawCond{field: string(k)}
		ops, err := v.Object()
		if err != nil {
			perr = &Error{Field: rc.field, Msg: "condition must be an object of operators, e.g. {\"Equals\": [\"x\"]}"}
			return
		}
		ops.Visit(func(k []byte, v *fastjson.Value) {
			if perr != nil {
				return
			}
			ro, e := newRawOp(rc.field, string(k), pos{})
			if e != nil {
				perr = e
				return
			}
			if a, err := v.Array(); err == nil {
				ro.isList = true
				for _, e := range a {
					rs, ok := scalarFromJSON(e)
					if !ok {
						perr = &Error{Field: rc.field, Op: ro.name, Msg: "values must be strings (or bare numbers and booleans), not " + e.Type().String()}
						return
					}
					ro.list = append(ro.list, rs)
				}
			} else {
				rs, ok := scalarFromJSON(v)
				if !ok {
					perr = &Error{Field: rc.field, Op: ro.name, Msg: "operand must be a list or a number, not an object"}
					return
				}
				ro.scalar = rs
			}
			rc.ops = append(rc.ops, ro)
		})
		raw = append(raw, rc)
	})
	if perr != nil {
		return nil, perr
	}
	return raw, nil
}

func scalarFromJSON(v *fastjson.Value) (rawScalar, bool) {
	switch v.Type() {
	case fastjson.TypeString:
		return rawScalar{text: string(v.GetStringBytes())}, true
	case fastjson.TypeNumber:
		return rawScalar{text: string(v.MarshalTo(nil))}, true
	case fastjson.TypeTrue:
		return rawScalar{text: "true"}, true
	case fastjson.TypeFalse:
		return rawScalar{text: "false"}, true
	case fastjson.TypeNull:
		return rawScalar{null: true}, true
	}
	return rawScalar{}, false
}

func newRawOp(field, name string, p pos) (rawOp, *Error) {
	op, ok := opByName[strings.ToLower(name)]
	if !ok {
		return rawOp{}, errAt(p, field, name, "unknown operator; use one of %s (or the deprecated Eq, Neq, Gt, Gte, Lt, Lte)",
			strings.Join(opNames[:], ", "))
	}
	return rawOp{name: name, op: op, pos: p}, nil
}

// ParseCriteriaYAML parses the same shape as ParseCriteria from a YAML
// node (a document or a mapping), for criteria kept in configuration:
//
//	Criterion:
//	  type: {Equals: [Recon:EC2/PortProbeUnprotectedPort]}
//	  severity: {GreaterThanOrEqual: 7}
//
// Errors carry the YAML line.
func ParseCriteriaYAML(n *yaml.Node) (Criteria, error) {
	if n == nil {
		return Criteria{}, &Error{Msg: "no criteria"}
	}
	n = unalias(n)
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return Criteria{}, &Error{Line: n.Line, Msg: "empty document; " + wantShape}
		}
		n = unalias(n.Content[0])
	}
	raw, err := rawFromYAML(n)
	if err != nil {
		return Criteria{}, err
	}
	return compile(raw, pos{line: n.Line})
}

func unalias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func rawFromYAML(n *yaml.Node) ([]rawCond, *Error) {
	if n.Kind != yaml.MappingNode {
		return nil, &Error{Line: n.Line, Msg: "criteria must be a mapping; " + wantShape}
	}
	var crit *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := unalias(n.Content[i])
		if k.Kind != yaml.ScalarNode || !strings.EqualFold(k.Value, "Criterion") {
			return nil, &Error{Line: k.Line, Msg: fmt.Sprintf("unknown key %q; %s", k.Value, wantShape)}
		}
		if crit != nil {
			return nil, &Error{Line: k.Line, Msg: "Criterion given twice"}
		}
		crit = unalias(n.Content[i+1])
	}
	if crit == nil {
		return nil, &Error{Line: n.Line, Msg: "no Criterion; " + wantShape}
	}
	if crit.Kind != yaml.MappingNode {
		return nil, &Error{Line: crit.Line, Msg: "Criterion must be a mapping of fields; " + wantShape}
	}
	var raw []rawCond
	for i := 0; i+1 < len(crit.Content); i += 2 {
		k, v := unalias(crit.Content[i]), unalias(crit.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return nil, &Error{Line: k.Line, Msg: "field names must be strings"}
		}
		rc := rawCond{field: k.Value, pos: pos{line: k.Line}}
		if v.Kind != yaml.MappingNode {
			return nil, &Error{Line: v.Line, Field: rc.field, Msg: "condition must be a mapping of operators, e.g. {Equals: [x]}"}
		}
		for j := 0; j+1 < len(v.Content); j += 2 {
			ok, ov := unalias(v.Content[j]), unalias(v.Content[j+1])
			if ok.Kind != yaml.ScalarNode {
				return nil, &Error{Line: ok.Line, Field: rc.field, Msg: "operator names must be strings"}
			}
			ro, e := newRawOp(rc.field, ok.Value, pos{line: ok.Line})
			if e != nil {
				return nil, e
			}
			switch ov.Kind {
			case yaml.SequenceNode:
				ro.isList = true
				for _, e := range ov.Content {
					e = unalias(e)
					if e.Kind != yaml.ScalarNode {
						return nil, &Error{Line: e.Line, Field: rc.field, Op: ro.name, Msg: "values must be scalars"}
					}
					ro.list = append(ro.list, scalarFromYAML(e))
				}
			case yaml.ScalarNode:
				ro.scalar = scalarFromYAML(ov)
			default:
				return nil, &Error{Line: ov.Line, Field: rc.field, Op: ro.name, Msg: "operand must be a list or a number, not a mapping"}
			}
			rc.ops = append(rc.ops, ro)
		}
		raw = append(raw, rc)
	}
	return raw, nil
}

func scalarFromYAML(n *yaml.Node) rawScalar {
	return rawScalar{text: n.Value, null: n.ShortTag() == "!!null", pos: pos{line: n.Line}}
}

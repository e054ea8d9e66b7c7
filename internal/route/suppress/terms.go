package suppress

import (
	"strings"
)

// termOps are ParseTerms' operators, longest first so ">=" wins over ">".
var termOps = []struct {
	tok string
	op  opKind
}{
	{"!=", opNotEquals}, {"!~", opNotMatches}, {">=", opGreaterThanOrEqual}, {"<=", opLessThanOrEqual},
	{"=", opEquals}, {"~", opMatches}, {">", opGreaterThan}, {"<", opLessThan},
}

// ParseTerms builds criteria from compact command-line terms, each
// "<field><op><value>":
//
//	=   Equals        !=  NotEquals
//	~   Matches       !~  NotMatches   (wildcards: * ? and \ escapes)
//	>   GreaterThan   >=  GreaterThanOrEqual
//	<   LessThan      <=  LessThanOrEqual
//
// For example "type=Recon:EC2/PortProbeUnprotectedPort", "severity>=7",
// "accountId!=123456789012", "resource.instanceDetails.instanceId~i-0abc*",
// "updatedAt<2025-01-01T00:00:00Z". Spaces around the operator are
// ignored; the value runs to the end of the term (trailing spaces
// trimmed) and is never split, so to OR several values repeat the term
// ("type=A" "type=B"). Terms on the same field combine into one condition:
// "severity>=4" "severity<7" is a range. Errors are *Error values with the
// term's index and the column of the problem.
func ParseTerms(terms []string) (Criteria, error) {
	var raw []rawCond
	index := map[string]int{}
	for ti, t := range terms {
		field, ro, err := parseTerm(ti+1, t)
		if err != nil {
			return Criteria{}, err
		}
		i, ok := index[field]
		if !ok {
			i = len(raw)
			index[field] = i
			raw = append(raw, rawCond{field: field, pos: pos{term: ti + 1, col: 1, text: t}})
		}
		rc := &raw[i]
		merged := false
		if ro.isList {
			for j := range rc.ops {
				if rc.ops[j].op == ro.op {
					if len(rc.ops[j].list) >= MaxValues {
						return Criteria{}, errAt(ro.pos, field, ro.name, "more than %d values; GuardDuty allows at most %d", MaxValues, MaxValues)
					}
					rc.ops[j].list = append(rc.ops[j].list, ro.list...)
					merged = true
				}
			}
		}
		if !merged {
			rc.ops = append(rc.ops, ro)
		}
	}
	if len(terms) == 0 {
		return Criteria{}, &Error{Msg: "no terms; give at least one, e.g. type=Recon:EC2/PortProbeUnprotectedPort"}
	}
	return compile(raw, pos{})
}

func parseTerm(n int, t string) (string, rawOp, error) {
	at := func(col int) pos { return pos{term: n, col: col, text: t} }
	i := 0
	for i < len(t) && t[i] == ' ' {
		i++
	}
	start := i
	for i < len(t) && !strings.ContainsRune("=!<>~ \t", rune(t[i])) {
		i++
	}
	field := t[start:i]
	if field == "" {
		return "", rawOp{}, errAt(at(start+1), "", "", "missing field name before the operator")
	}
	for i < len(t) && (t[i] == ' ' || t[i] == '\t') {
		i++
	}
	opCol := i + 1
	var ro rawOp
	found := false
	for _, o := range termOps {
		if strings.HasPrefix(t[i:], o.tok) {
			ro = rawOp{name: o.tok, op: o.op, isList: o.op.isList(), pos: at(opCol)}
			i += len(o.tok)
			found = true
			break
		}
	}
	if !found {
		return "", rawOp{}, errAt(at(opCol), field, "", "expected an operator (=, !=, ~, !~, >, >=, <, <=)")
	}
	if ro.op == opEquals && strings.HasPrefix(t[i:], "=") {
		return "", rawOp{}, errAt(at(opCol), field, "==", `"==" is not an operator; use "="`)
	}
	for i < len(t) && (t[i] == ' ' || t[i] == '\t') {
		i++
	}
	val := strings.TrimRight(t[i:], " \t")
	if val == "" {
		return "", rawOp{}, errAt(at(i+1), field, ro.name, "missing value after the operator")
	}
	rs := rawScalar{text: val, pos: at(i + 1)}
	if ro.isList {
		ro.list = []rawScalar{rs}
	} else {
		ro.scalar = rs
	}
	return field, ro, nil
}

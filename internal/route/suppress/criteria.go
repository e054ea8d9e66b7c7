package suppress

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/picket-dev/picket/internal/finding"
	"go.yaml.in/yaml/v3"
)

// GuardDuty's limits, which Picket keeps so a rule can be exported as a
// GuardDuty filter: at most 50 fields per criteria and 50 values per list.
const (
	MaxFields = 50
	MaxValues = 50
)

type opKind uint8

const (
	opEquals opKind = iota
	opNotEquals
	opMatches
	opNotMatches
	opGreaterThan
	opGreaterThanOrEqual
	opLessThan
	opLessThanOrEqual
	numOps
)

// opNames are the names Criteria marshal with (GuardDuty's CLI and
// CloudFormation spelling).
var opNames = [numOps]string{"Equals", "NotEquals", "Matches", "NotMatches",
	"GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual"}

// opByName maps lower-cased operator names, current and deprecated, to
// operators. The API spells them in camelCase (equals, greaterThan), the
// CLI and CloudFormation in PascalCase (Equals, GreaterThan); the
// deprecated Eq, Neq, Gt, Gte, Lt and Lte are the same operators.
var opByName = map[string]opKind{
	"equals": opEquals, "eq": opEquals,
	"notequals": opNotEquals, "neq": opNotEquals,
	"matches": opMatches, "notmatches": opNotMatches,
	"greaterthan": opGreaterThan, "gt": opGreaterThan,
	"greaterthanorequal": opGreaterThanOrEqual, "gte": opGreaterThanOrEqual,
	"lessthan": opLessThan, "lt": opLessThan,
	"lessthanorequal": opLessThanOrEqual, "lte": opLessThanOrEqual,
}

func (o opKind) isList() bool { return o <= opNotMatches }

// Criteria is a compiled GuardDuty FindingCriteria: a finding matches when
// every field's condition holds. It is immutable and safe for concurrent
// use. The zero Criteria matches nothing. It marshals (JSON and YAML) as
// {"Criterion": {field: {Operator: operand}}}, with fields and operators
// in a canonical order and the current operator names.
type Criteria struct {
	conds []*condition // "type" first, then by field name
}

// condition is one field's operators, ANDed.
type condition struct {
	field      string
	acc        *accessor
	equals     []operand
	notEquals  []operand
	matches    []wildcard
	notMatches []wildcard
	bound      [4]bound // GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual
	hasBound   bool
}

type bound struct {
	set bool
	n   float64
}

// operand is one Equals/NotEquals value, read for each kind of value it
// may meet.
type operand struct {
	s      string
	n      float64 // number, or epoch ms on a time field
	isNum  bool
	isTime bool
	b      bool
	isBool bool
}

// Match reports whether f satisfies every condition. A nil finding or the
// zero Criteria never matches.
func (c Criteria) Match(f *finding.Finding) bool {
	if f == nil || len(c.conds) == 0 {
		return false
	}
	root := reflect.ValueOf(f).Elem()
	sc := scratchPool.Get().(*[]value)
	defer scratchPool.Put(sc)
	for _, cd := range c.conds {
		*sc = cd.acc.appendValues((*sc)[:0], root)
		if !cd.match(*sc) {
			return false
		}
	}
	return true
}

var scratchPool = sync.Pool{New: func() any { s := make([]value, 0, 16); return &s }}

// IsZero reports whether c is the zero Criteria (no conditions).
func (c Criteria) IsZero() bool { return len(c.conds) == 0 }

// Fields lists the criterion fields, in canonical order.
func (c Criteria) Fields() []string {
	out := make([]string, len(c.conds))
	for i, cd := range c.conds {
		out[i] = cd.field
	}
	return out
}

// Unpopulated lists the fields that are GuardDuty filter attributes but
// that Picket's findings never carry (e.g. resource.instanceDetails.imageId).
// Criteria on them see the field as missing, so Equals never matches and
// NotEquals always does; a CLI should warn about them.
func (c Criteria) Unpopulated() []string {
	var out []string
	for _, cd := range c.conds {
		if cd.acc.absent {
			out = append(out, cd.field)
		}
	}
	return out
}

// match evaluates the condition on the field's values (empty when the
// field is missing).
func (c *condition) match(vals []value) bool {
	if c.equals != nil && !anyEqual(vals, c.equals) {
		return false
	}
	if c.notEquals != nil && anyEqual(vals, c.notEquals) {
		return false
	}
	if c.matches != nil && !anyMatch(vals, c.matches) {
		return false
	}
	if c.notMatches != nil && anyMatch(vals, c.notMatches) {
		return false
	}
	if c.hasBound {
		for i := range vals {
			if n, ok := comparable(&vals[i]); ok && c.inRange(n) {
				return true
			}
		}
		return false
	}
	return true
}

func anyEqual(vals []value, ops []operand) bool {
	for i := range vals {
		v := &vals[i]
		for j := range ops {
			if ops[j].equal(v) {
				return true
			}
		}
	}
	return false
}

func (o *operand) equal(v *value) bool {
	switch v.k {
	case vString:
		return v.s == o.s
	case vNumber:
		return o.isNum && v.n == o.n
	case vTime:
		return o.isTime && v.n == o.n
	case vBool:
		return o.isBool && (v.n != 0) == o.b
	}
	return false
}

func anyMatch(vals []value, ws []wildcard) bool {
	for i := range vals {
		if vals[i].k != vString {
			continue
		}
		for j := range ws {
			if ws[j].match(vals[i].s) {
				return true
			}
		}
	}
	return false
}

// comparable is a value's number for the range operators: numbers, times
// (epoch ms), and — in free-form fields, whose strings are all that is
// known — strings holding a decimal number or an RFC3339 time.
func comparable(v *value) (float64, bool) {
	switch v.k {
	case vNumber, vTime:
		return v.n, true
	case vString:
		if n, err := strconv.ParseFloat(v.s, 64); err == nil && !math.IsInf(n, 0) && !math.IsNaN(n) {
			return n, true
		}
		if t, err := time.Parse(time.RFC3339Nano, v.s); err == nil {
			return float64(t.UnixMilli()), true
		}
	}
	return 0, false
}

func (c *condition) inRange(n float64) bool {
	b := &c.bound
	return (!b[0].set || n > b[0].n) && (!b[1].set || n >= b[1].n) &&
		(!b[2].set || n < b[2].n) && (!b[3].set || n <= b[3].n)
}

// --- compiling ---

// pos locates a piece of input for error messages.
type pos struct {
	line int    // YAML line (1-based), 0 if unknown
	term int    // ParseTerms term (1-based), 0 otherwise
	col  int    // byte column in the term (1-based)
	text string // the term
}

type rawScalar struct {
	text string
	null bool
	pos  pos
}

type rawOp struct {
	name   string // as written
	op     opKind
	list   []rawScalar
	isList bool
	scalar rawScalar
	pos    pos
}

type rawCond struct {
	field string
	ops   []rawOp
	pos   pos
}

// Error is an invalid criteria, rule or term. Field and Op name the
// criterion field and operator (as written) when the problem is in one.
type Error struct {
	Field string
	Op    string
	Line  int    // YAML line, when parsed from YAML
	Term  int    // 1-based index of the offending ParseTerms term
	Col   int    // 1-based byte column within that term
	Text  string // the term
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("suppress: ")
	if e.Term > 0 {
		fmt.Fprintf(&b, "term %d %q, col %d: ", e.Term, e.Text, e.Col)
	} else if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "field %q: ", e.Field)
	}
	if e.Op != "" {
		fmt.Fprintf(&b, "%s: ", e.Op)
	}
	b.WriteString(e.Msg)
	return b.String()
}

func errAt(p pos, field, op, format string, args ...any) *Error {
	return &Error{Field: field, Op: op, Line: p.line, Term: p.term, Col: p.col, Text: p.text, Msg: fmt.Sprintf(format, args...)}
}

func compile(raw []rawCond, whole pos) (Criteria, error) {
	if len(raw) == 0 {
		return Criteria{}, errAt(whole, "", "", "Criterion has no fields; a suppression rule needs at least one")
	}
	if len(raw) > MaxFields {
		return Criteria{}, errAt(whole, "", "", "%d fields; GuardDuty allows at most %d", len(raw), MaxFields)
	}
	seen := map[string]bool{}
	var c Criteria
	for _, rc := range raw {
		if seen[rc.field] {
			return Criteria{}, errAt(rc.pos, rc.field, "", "given twice")
		}
		seen[rc.field] = true
		cd, err := compileCond(rc)
		if err != nil {
			return Criteria{}, err
		}
		c.conds = append(c.conds, cd)
	}
	slices.SortFunc(c.conds, func(a, b *condition) int {
		if (a.field == "type") != (b.field == "type") {
			if a.field == "type" {
				return -1
			}
			return 1
		}
		return strings.Compare(a.field, b.field)
	})
	return c, nil
}

func compileCond(rc rawCond) (*condition, error) {
	if rc.field == "" {
		return nil, errAt(rc.pos, "", "", "empty field name")
	}
	if !utf8.ValidString(rc.field) {
		return nil, errAt(rc.pos, rc.field, "", "field name is not valid UTF-8")
	}
	acc, msg := lookupField(rc.field)
	if acc == nil {
		return nil, errAt(rc.pos, rc.field, "", "%s", msg)
	}
	if len(rc.ops) == 0 {
		return nil, errAt(rc.pos, rc.field, "", "no operators; use one of %s", strings.Join(opNames[:], ", "))
	}
	cd := &condition{field: rc.field, acc: acc}
	var given [numOps]string
	for _, ro := range rc.ops {
		if prev := given[ro.op]; prev != "" {
			if prev == ro.name {
				return nil, errAt(ro.pos, rc.field, ro.name, "given twice")
			}
			return nil, errAt(ro.pos, rc.field, ro.name, "%s is the same operator; give one of them", prev)
		}
		given[ro.op] = ro.name
		if err := cd.add(ro); err != nil {
			return nil, err
		}
	}
	return cd, nil
}

func (cd *condition) add(ro rawOp) error {
	k := cd.acc.kind
	fail := func(p pos, format string, args ...any) error {
		return errAt(p, cd.field, ro.name, format, args...)
	}
	if ro.op.isList() != ro.isList {
		if ro.op.isList() {
			return fail(ro.pos, "wants a list of values, e.g. [\"x\"]")
		}
		return fail(ro.pos, "wants a single number (or, on a time field, an RFC3339 time), not a list")
	}
	if ro.op.isList() {
		if len(ro.list) == 0 {
			return fail(ro.pos, "empty list")
		}
		if len(ro.list) > MaxValues {
			return fail(ro.pos, "%d values; GuardDuty allows at most %d", len(ro.list), MaxValues)
		}
	}
	switch ro.op {
	case opEquals, opNotEquals:
		ops := make([]operand, 0, len(ro.list))
		for _, rs := range ro.list {
			o, err := makeOperand(rs, k)
			if err != "" {
				return fail(rs.pos, "%s", err)
			}
			ops = append(ops, o)
		}
		if ro.op == opEquals {
			cd.equals = ops
		} else {
			cd.notEquals = ops
		}
	case opMatches, opNotMatches:
		if k != kindString && k != kindDynamic {
			return fail(ro.pos, "wildcards apply to strings; %q is %s", cd.field, k)
		}
		ws := make([]wildcard, 0, len(ro.list))
		for _, rs := range ro.list {
			if rs.null {
				return fail(rs.pos, "null is not a pattern")
			}
			if rs.text == "" {
				return fail(rs.pos, "empty pattern")
			}
			w, err := parseWildcard(rs.text)
			if err != nil {
				return fail(rs.pos, "pattern %q: %v", rs.text, err)
			}
			ws = append(ws, w)
		}
		if ro.op == opMatches {
			cd.matches = ws
		} else {
			cd.notMatches = ws
		}
	default:
		if k == kindString || k == kindBool {
			return fail(ro.pos, "compares numbers and times; %q is %s", cd.field, k)
		}
		n, err := parseBound(ro.scalar, k)
		if err != "" {
			return fail(ro.scalar.pos, "%s", err)
		}
		cd.bound[ro.op-opGreaterThan] = bound{set: true, n: n}
		cd.hasBound = true
	}
	return nil
}

// makeOperand reads one Equals/NotEquals value for a field of kind k.
// Values are strings in GuardDuty's API; numbers and booleans written
// bare are taken by their text.
func makeOperand(rs rawScalar, k kind) (operand, string) {
	if rs.null {
		return operand{}, "null is not a value"
	}
	s := rs.text
	if s == "" {
		return operand{}, "empty value"
	}
	if !utf8.ValidString(s) {
		return operand{}, fmt.Sprintf("%q is not valid UTF-8", s)
	}
	o := operand{s: s}
	if n, ok := parseNumber(s); ok {
		o.n, o.isNum = n, true
	}
	switch s {
	case "true":
		o.b, o.isBool = true, true
	case "false":
		o.isBool = true
	}
	switch k {
	case kindNumber:
		if !o.isNum {
			return o, fmt.Sprintf("%q is not a number", s)
		}
	case kindBool:
		if !o.isBool {
			return o, fmt.Sprintf("%q is not a boolean (want \"true\" or \"false\")", s)
		}
	case kindTime:
		ms, ok := parseTime(s)
		if !ok {
			return o, fmt.Sprintf("%q is not a time (want epoch milliseconds or RFC3339)", s)
		}
		o.n, o.isNum, o.isTime = ms, false, true
	}
	return o, ""
}

// parseBound reads a range operand: a number, or on time and free-form
// fields an RFC3339 time (as epoch milliseconds, which is what GuardDuty
// takes). Times are compared at millisecond precision.
func parseBound(rs rawScalar, k kind) (float64, string) {
	if rs.null {
		return 0, "null is not a number"
	}
	if n, ok := parseNumber(rs.text); ok {
		return n, ""
	}
	if k == kindTime || k == kindDynamic {
		if ms, ok := parseTime(rs.text); ok {
			return ms, ""
		}
		return 0, fmt.Sprintf("%q is not a number or an RFC3339 time", rs.text)
	}
	return 0, fmt.Sprintf("%q is not a number", rs.text)
}

func parseNumber(s string) (float64, bool) {
	if s == "" || strings.ContainsAny(s, "_xXpPiInN") { // no 0x, 1_000, Inf, NaN
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(n, 0) {
		return 0, false
	}
	return n, true
}

// parseTime reads epoch milliseconds (an integer) or an RFC3339 time,
// truncated to the millisecond.
func parseTime(s string) (float64, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return float64(n), true
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, false
	}
	return float64(t.UnixMilli()), true
}

// --- marshaling ---

// writeJSON renders c as GuardDuty's shape with deterministic
// order: fields as stored, operators in opNames order.
func (c Criteria) writeJSON(b *bytes.Buffer) {
	b.WriteString(`{"Criterion":{`)
	for i, cd := range c.conds {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, cd.field)
		b.WriteString(":{")
		first := true
		key := func(name string) {
			if !first {
				b.WriteByte(',')
			}
			first = false
			writeString(b, name)
			b.WriteByte(':')
		}
		list := func(name string, vals []string) {
			if vals == nil {
				return
			}
			key(name)
			b.WriteByte('[')
			for j, v := range vals {
				if j > 0 {
					b.WriteByte(',')
				}
				writeString(b, v)
			}
			b.WriteByte(']')
		}
		list(opNames[opEquals], operandTexts(cd.equals))
		list(opNames[opNotEquals], operandTexts(cd.notEquals))
		list(opNames[opMatches], patternTexts(cd.matches))
		list(opNames[opNotMatches], patternTexts(cd.notMatches))
		for j, bd := range cd.bound {
			if bd.set {
				key(opNames[opGreaterThan+opKind(j)])
				b.WriteString(formatNumber(bd.n))
			}
		}
		b.WriteByte('}')
	}
	b.WriteString("}}")
}

func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // strings always encode
	b.Truncate(b.Len() - 1)
}

func operandTexts(ops []operand) []string {
	if ops == nil {
		return nil
	}
	out := make([]string, len(ops))
	for i, o := range ops {
		out[i] = o.s
	}
	return out
}

func patternTexts(ws []wildcard) []string {
	if ws == nil {
		return nil
	}
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.src
	}
	return out
}

func formatNumber(n float64) string {
	return strconv.FormatFloat(n, 'f', -1, 64)
}

// MarshalJSON renders GuardDuty's FindingCriteria JSON. The zero Criteria
// is null.
func (c Criteria) MarshalJSON() ([]byte, error) {
	if len(c.conds) == 0 {
		return []byte("null"), nil
	}
	var b bytes.Buffer
	c.writeJSON(&b)
	return b.Bytes(), nil
}

// String is the criteria's canonical JSON.
func (c Criteria) String() string {
	b, _ := c.MarshalJSON()
	return string(b)
}

// UnmarshalJSON parses GuardDuty's FindingCriteria JSON (see ParseCriteria).
// null leaves c unchanged.
func (c *Criteria) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	p, err := ParseCriteria(b)
	if err != nil {
		return err
	}
	*c = p
	return nil
}

// MarshalYAML renders the same shape as MarshalJSON.
func (c Criteria) MarshalYAML() (any, error) {
	if len(c.conds) == 0 {
		return nil, nil
	}
	str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
	fields := &yaml.Node{Kind: yaml.MappingNode}
	for _, cd := range c.conds {
		ops := &yaml.Node{Kind: yaml.MappingNode}
		list := func(name string, vals []string) {
			if vals == nil {
				return
			}
			seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
			for _, v := range vals {
				seq.Content = append(seq.Content, str(v))
			}
			ops.Content = append(ops.Content, str(name), seq)
		}
		list(opNames[opEquals], operandTexts(cd.equals))
		list(opNames[opNotEquals], operandTexts(cd.notEquals))
		list(opNames[opMatches], patternTexts(cd.matches))
		list(opNames[opNotMatches], patternTexts(cd.notMatches))
		for j, bd := range cd.bound {
			if bd.set {
				tag := "!!float"
				if bd.n == math.Trunc(bd.n) {
					tag = "!!int"
				}
				ops.Content = append(ops.Content, str(opNames[opGreaterThan+opKind(j)]),
					&yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: formatNumber(bd.n)})
			}
		}
		fields.Content = append(fields.Content, str(cd.field), ops)
	}
	return &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{str("Criterion"), fields}}, nil
}

// UnmarshalYAML parses the same shape as ParseCriteria (see
// ParseCriteriaYAML).
func (c *Criteria) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	p, err := ParseCriteriaYAML(n)
	if err != nil {
		return err
	}
	*c = p
	return nil
}

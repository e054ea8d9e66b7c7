package vpcflow

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// kind says what a field of a record is, and so how it is parsed and where
// it goes in the event.
type kind uint8

const (
	kIgnore kind = iota // a field the event has no place for, or an unknown one: kept in RawBytes only
	kVersion
	kAccount
	kInterface
	kSrcAddr
	kDstAddr
	kSrcPort
	kDstPort
	kProtocol
	kPackets
	kBytes
	kStart
	kEnd
	kAction
	kLogStatus
	kVPC
	kSubnet
	kInstance
	kTCPFlags
	kPktSrcAddr
	kPktDstAddr
	kRegion
	kDirection
)

// fieldInfo describes one known flow log field.
type fieldInfo struct {
	kind    kind
	version int // the flow log version that introduced it
}

// known lists every field AWS documents for flow log records (versions 2 to
// 10), with where it goes. Fields without a place in event.Network are
// parsed as text and stay in RawBytes.
var known = map[string]fieldInfo{
	// Version 2: the default format.
	"version":      {kVersion, 2},
	"account-id":   {kAccount, 2},
	"interface-id": {kInterface, 2},
	"srcaddr":      {kSrcAddr, 2},
	"dstaddr":      {kDstAddr, 2},
	"srcport":      {kSrcPort, 2},
	"dstport":      {kDstPort, 2},
	"protocol":     {kProtocol, 2},
	"packets":      {kPackets, 2},
	"bytes":        {kBytes, 2},
	"start":        {kStart, 2},
	"end":          {kEnd, 2},
	"action":       {kAction, 2},
	"log-status":   {kLogStatus, 2},
	// Version 3.
	"vpc-id":      {kVPC, 3},
	"subnet-id":   {kSubnet, 3},
	"instance-id": {kInstance, 3},
	"tcp-flags":   {kTCPFlags, 3},
	"type":        {kIgnore, 3},
	"pkt-srcaddr": {kPktSrcAddr, 3},
	"pkt-dstaddr": {kPktDstAddr, 3},
	// Version 4.
	"region":           {kRegion, 4},
	"az-id":            {kIgnore, 4},
	"sublocation-type": {kIgnore, 4},
	"sublocation-id":   {kIgnore, 4},
	// Version 5.
	"pkt-src-aws-service": {kIgnore, 5},
	"pkt-dst-aws-service": {kIgnore, 5},
	"flow-direction":      {kDirection, 5},
	"traffic-path":        {kIgnore, 5},
	// Version 7: ECS.
	"ecs-cluster-arn":            {kIgnore, 7},
	"ecs-cluster-name":           {kIgnore, 7},
	"ecs-container-instance-arn": {kIgnore, 7},
	"ecs-container-instance-id":  {kIgnore, 7},
	"ecs-container-id":           {kIgnore, 7},
	"ecs-second-container-id":    {kIgnore, 7},
	"ecs-service-name":           {kIgnore, 7},
	"ecs-task-definition-arn":    {kIgnore, 7},
	"ecs-task-arn":               {kIgnore, 7},
	"ecs-task-id":                {kIgnore, 7},
	// Version 8 and later.
	"reject-reason":     {kIgnore, 8},
	"resource-id":       {kIgnore, 9},
	"encryption-status": {kIgnore, 10},
}

// DefaultFields is the field list of the default (version 2) format, used
// when a stream has no header line and no "fields" option.
const DefaultFields = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"

// layout is a compiled field list: the kind of the field at each position.
type layout struct {
	text  string   // the field list as written (header line or option), the cache key
	names []string // field names by position
	kinds []kind   // field kinds by position
	line  int64    // the header's line number (0: not a header)
	// what names the list in reasons: "the default v2 format", "the header
	// on line 1", "format_options fields".
	source string
	// err makes the layout unusable: every record that needs it is
	// quarantined with it.
	err error
}

// nameShaped reports whether b looks like a flow log field name: a
// lowercase letter, then lowercase letters, digits and dashes.
func nameShaped(b []byte) bool {
	if len(b) == 0 || b[0] < 'a' || b[0] > 'z' {
		return false
	}
	for _, c := range b[1:] {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// isSpace reports whether c separates fields.
func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// headerLike reports whether line is a header: every token is shaped like a
// field name and at least one is a known field. Data lines never are: their
// addresses, numbers, '-' and upper-case actions are not name-shaped, and
// their IDs (eni-…, vpc-…) are not field names.
func headerLike(line []byte) bool {
	anyKnown := false
	n := 0
	for i := 0; i < len(line); {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			break
		}
		s := i
		for i < len(line) && !isSpace(line[i]) {
			i++
		}
		tok := line[s:i]
		if !nameShaped(tok) {
			return false
		}
		if _, ok := known[string(tok)]; ok {
			anyKnown = true
		}
		n++
	}
	return n > 0 && anyKnown
}

// compileHeader compiles the header line of a file. Unknown names are
// accepted (a field AWS added later) and ignored; a duplicate name makes the
// header unusable.
func compileHeader(text string, lineNo int64) *layout {
	names := strings.Fields(text)
	l := &layout{text: text, names: names, kinds: make([]kind, len(names)), source: fmt.Sprintf("the header on line %d", lineNo), line: lineNo}
	seen := make(map[string]int, len(names))
	for i, n := range names {
		if j, dup := seen[n]; dup {
			l.err = fmt.Errorf("the header on line %d names field %s twice (fields %d and %d): records cannot be read", lineNo, n, j+1, i+1)
			return l
		}
		seen[n] = i
		l.kinds[i] = known[n].kind // unknown: kIgnore
	}
	return l
}

// compileParams compiles the "fields" option. An absent option is the
// default format.
func compileParams(params map[string]string) *layout {
	text, ok := params["fields"]
	if !ok {
		return defaultLayout
	}
	names, err := checkFields(text)
	l := &layout{text: text, names: names, source: "format_options fields"}
	if err != nil {
		l.err = fmt.Errorf("format_options: %w", err)
		return l
	}
	l.kinds = make([]kind, len(names))
	for i, n := range names {
		l.kinds[i] = known[n].kind
	}
	return l
}

var defaultLayout = func() *layout {
	names := strings.Fields(DefaultFields)
	l := &layout{text: DefaultFields, names: names, kinds: make([]kind, len(names)), source: "the default v2 format"}
	for i, n := range names {
		l.kinds[i] = known[n].kind
	}
	return l
}()

// CheckParams implements decode.ParamChecker. The only option is "fields":
// the flow log's field names in order, separated by spaces, for streams
// without a header line (CloudWatch Logs delivery). AWS's own LogFormat
// syntax ("${version} ${account-id} …") is accepted too. Every problem is
// reported.
func (d *Decoder) CheckParams(params map[string]string) error {
	var errs []error
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k != "fields" {
			errs = append(errs, fmt.Errorf("unknown option %q: the vpcflow format takes only \"fields\"", k))
		}
	}
	if text, ok := params["fields"]; ok {
		if _, err := checkFields(text); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkFields parses and checks a field list, returning its names.
func checkFields(text string) ([]string, error) {
	raw := strings.Fields(text)
	if len(raw) == 0 {
		return nil, fmt.Errorf("fields is empty: list the flow log's field names in order, separated by spaces (e.g. %q)", DefaultFields)
	}
	var errs []error
	names := make([]string, 0, len(raw))
	pos := make(map[string]int, len(raw))
	for i, tok := range raw {
		name := tok
		if strings.HasPrefix(name, "${") && strings.HasSuffix(name, "}") {
			name = name[2 : len(name)-1] // AWS LogFormat syntax
		}
		switch {
		case strings.ContainsAny(name, ",;"):
			errs = append(errs, fmt.Errorf("fields: %q (field %d): separate field names with spaces, not commas or semicolons", tok, i+1))
			continue
		case !nameShaped([]byte(name)):
			hint := ""
			if s := closest(strings.ReplaceAll(strings.ToLower(name), "_", "-")); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			}
			errs = append(errs, fmt.Errorf("fields: %q (field %d) is not a field name: names are lower-case words joined by dashes, like pkt-srcaddr%s", tok, i+1, hint))
			continue
		}
		if _, ok := known[name]; !ok {
			hint := ""
			if s := closest(name); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			}
			errs = append(errs, fmt.Errorf("fields: unknown field %q (field %d)%s", name, i+1, hint))
			continue
		}
		if j, dup := pos[name]; dup {
			errs = append(errs, fmt.Errorf("fields: %s is listed twice (fields %d and %d)", name, j+1, i+1))
			continue
		}
		pos[name] = i
		names = append(names, name)
	}
	if len(errs) == 0 {
		var missing []string
		for _, need := range []string{"srcaddr", "dstaddr"} {
			if _, ok := pos[need]; !ok {
				missing = append(missing, need)
			}
		}
		if len(missing) > 0 {
			errs = append(errs, fmt.Errorf("fields: the list lacks %s: flow records without addresses cannot be analysed", strings.Join(missing, " and ")))
		}
	}
	return names, errors.Join(errs...)
}

// closest returns the known field name nearest to s when it is a likely
// typo (edit distance at most 2), or "".
func closest(s string) string {
	best, bestD := "", 3
	for name := range known {
		if d := editDistance(s, name); d < bestD || (d == bestD && name < best) {
			best, bestD = name, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

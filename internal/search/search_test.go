package search

import (
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// tree renders a parsed query fully parenthesized, to test its structure.
func tree(n node) string {
	switch n := n.(type) {
	case nil:
		return "<all>"
	case andNode:
		parts := make([]string, len(n))
		for i, c := range n {
			parts[i] = tree(c)
		}
		return "(" + strings.Join(parts, " & ") + ")"
	case orNode:
		parts := make([]string, len(n))
		for i, c := range n {
			parts[i] = tree(c)
		}
		return "(" + strings.Join(parts, " | ") + ")"
	case notNode:
		return "!" + tree(n.x)
	case *cmpNode:
		switch n.op {
		case opEq:
			return n.field + "=" + n.pat
		case opNe:
			return n.field + "!=" + n.pat
		default:
			return n.field + " in " + n.prefix.String()
		}
	}
	return fmt.Sprintf("<%T>", n)
}

func TestParseTree(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "<all>"},
		{"   \t", "<all>"},
		{"actor=alice", "actor=alice"},
		{"actor!=alice", "actor!=alice"},
		{"eventName=Delete*", "action=Delete*"},
		{"EVENTSOURCE=s3.amazonaws.com", "service=s3.amazonaws.com"},
		{"srcip IN 203.0.113.9/24", "srcIP in 203.0.113.0/24"},
		{"srcIP in 2001:db8::1/32", "srcIP in 2001:db8::/32"},
		{"srcIP in 10.0.0.1", "srcIP in 10.0.0.1/32"},
		// precedence: NOT > AND > OR
		{"region=a OR account=b AND NOT outcome=c", "(region=a | (account=b & !outcome=c))"},
		{"NOT region=a AND account=b", "(!region=a & account=b)"},
		{"region=a AND account=b OR outcome=c", "((region=a & account=b) | outcome=c)"},
		// parentheses
		{"(region=a OR account=b) AND outcome=c", "((region=a | account=b) & outcome=c)"},
		{"NOT (region=a OR account=b)", "!(region=a | account=b)"},
		{"((region=a))", "region=a"},
		{"region=a AND (account=b AND outcome=c)", "(region=a & account=b & outcome=c)"},
		// implicit AND
		{"region=a account=b", "(region=a & account=b)"},
		{"region=a NOT account=b", "(region=a & !account=b)"},
		{"region=a (account=b OR account=c)", "(region=a & (account=b | account=c))"},
		{"region=a account=b OR outcome=c", "((region=a & account=b) | outcome=c)"},
		// keyword case
		{"region=a or account=b and not outcome=c", "(region=a | (account=b & !outcome=c))"},
		{"region=a Or account=b", "(region=a | account=b)"},
		{"NOT NOT region=a", "!!region=a"},
		// quotes and escapes
		{`actor="aws-cli/2 Python"`, "actor=aws-cli/2 Python"},
		{`actor="say \"hi\""`, `actor=say "hi"`},
		{`actor="OR"`, "actor=OR"},
		{`actor=""`, "actor="},
		{`resource=a\*b`, `resource=a\*b`},
		{`resource="a\?b*"`, `resource=a\?b*`},
		{`resource="back\\slash"`, `resource=back\\slash`},
		{`resource=x\ y`, "resource=x y"},
		{`actor=in`, "actor=in"},
		{`actor=a!b`, "actor=a!b"},
		{`actor=(x)`, "<error>"},
	}
	for _, tt := range tests {
		q, err := Parse(tt.in)
		got := "<error>"
		if err == nil {
			got = tree(q.root)
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %s (err %v), want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"(actor=a", "column 1: unclosed parenthesis"},
		{"actor=a AND (region=b", "column 13: unclosed parenthesis"},
		{"(actor=a region=b", "column 1: unclosed parenthesis"},
		{"(", "column 1: unclosed parenthesis"},
		{"actor=", "column 7: missing value after ="},
		{"actor!= AND region=x", "column 9: missing value after !="},
		{"actor=) ", "column 7: missing value after ="},
		{"srcIP in", "column 9: missing value after in"},
		{"srcIP in 10.0.0.0/33", `column 10: invalid CIDR "10.0.0.0/33"`},
		{"region=x srcIP in 10.0.0.*", `column 19: invalid CIDR "10.0.0.*"`},
		{"srcIP in fe80::1%eth0", `column 10: invalid CIDR "fe80::1%eth0"`},
		{"acount=1", `column 1: unknown field "acount" (did you mean "account"?)`},
		{"region=x AND evntName=Delete*", `column 14: unknown field "evntName" (did you mean "eventName"?)`},
		{"srcAddr in 10.0.0.0/8", `column 1: unknown field "srcAddr" (did you mean "srcIP"?)`},
		{`actor="é" regio=x`, `column 11: unknown field "regio" (did you mean "region"?)`},
		{"actor=a AND", "column 9: missing expression after AND"},
		{"actor=a or", "column 9: missing expression after OR"},
		{"actor=a AND OR region=b", "column 9: missing expression after AND"},
		{"NOT", "column 1: missing expression after NOT"},
		{"actor=a AND )", "column 9: missing expression after AND"},
		{"()", "column 1: empty parentheses"},
		{"actor=a ( )", "column 9: empty parentheses"},
		{"actor=a)", "column 8: unmatched )"},
		{"actor=a=b", "column 8: unexpected ="},
		{"(actor=a =", "column 10: unexpected ="},
		{"OR actor=a", "column 1: unexpected OR"},
		{`actor="abc`, "column 7: unterminated quoted string"},
		{`actor="abc\"`, "column 7: unterminated quoted string"},
		{`actor=abc\`, "column 10: trailing backslash"},
		{"actor", "column 6: expected =, != or in after actor, found end of query"},
		{"actor alice", `column 7: expected =, != or in after actor, found "alice"`},
		{"region in 10.0.0.0/8", "column 8: in needs an address field such as srcIP, not region"},
		{`"actor"=x`, "column 1: expected a field name, found a quoted string"},
	}
	for _, tt := range tests {
		q, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) = %q, want error %q", tt.in, q.String(), tt.want)
			continue
		}
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) error %T, want *Error", tt.in, err)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("Parse(%q) error = %q, want %q", tt.in, err.Error(), tt.want)
		}
	}
}

func TestStringRoundTrip(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"eventName=Delete*", "action=Delete*"},
		{"srcip IN 203.0.113.7/24", "srcIP in 203.0.113.0/24"},
		{"srcIP in 10.1.2.3", "srcIP in 10.1.2.3/32"},
		{"srcIP in ::ffff:10.0.0.0/104", "srcIP in ::ffff:10.0.0.0/104"},
		{"region=x account=1", "region=x AND account=1"},
		{"region=x or account=1 and not outcome=failure", "region=x OR account=1 AND NOT outcome=failure"},
		{"(region=x OR region=y) AND (account=1)", "(region=x OR region=y) AND account=1"},
		{"NOT (region=x account=1)", "NOT (region=x AND account=1)"},
		{"NOT (region=x OR account=1)", "NOT (region=x OR account=1)"},
		{"(region=x OR region=y) OR region=z", "region=x OR region=y OR region=z"},
		{"region=x AND (account=1 AND outcome=y)", "region=x AND account=1 AND outcome=y"},
		{"NOT NOT outcome=success", "NOT NOT outcome=success"},
		{`actor="aws-cli/2 Python"`, `actor="aws-cli/2 Python"`},
		{`actor="say \"hi\""`, `actor="say \"hi\""`},
		{`actor="and"`, `actor="and"`},
		{`actor=""`, `actor=""`},
		{`resource="a*b"`, "resource=a*b"},
		{`resource=a\*b`, `resource=a\*b`},
		{`resource="x\q"`, "resource=xq"},
		{`resource="a\\"`, `resource=a\\`},
		{`actor="a=b"`, `actor="a=b"`},
		{`actor="(x)"`, `actor="(x)"`},
		{`actor="x!"`, `actor="x!"`},
		{`actor="tab\there"`, "actor=tabthere"},
		{"actor=\"line\nbreak\"", "actor=\"line\nbreak\""},
	}
	for _, tt := range tests {
		q, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		got := q.String()
		if got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
			continue
		}
		q2, err := Parse(got)
		if err != nil {
			t.Errorf("Parse(%q) (canonical of %q): %v", got, tt.in, err)
			continue
		}
		if tree(q2.root) != tree(q.root) {
			t.Errorf("round trip of %q: tree %s, want %s", tt.in, tree(q2.root), tree(q.root))
		}
	}
}

var (
	testCols = map[string]string{
		"account": "account", "region": "region", "source": "source_kind", "actor": "actor",
		"srcIP": "src_ip", "action": "event_name", "outcome": "outcome", "resource": "resource",
		"service": "event_source",
	}
	testIPKeyCols = map[string]string{"srcIP": "src_ip_key"}
)

func TestSQL(t *testing.T) {
	tests := []struct {
		in    string
		where string
		args  []any
	}{
		{"", "1=1", nil},
		{"actor=alice", "actor = ?", []any{"alice"}},
		{"actor!=alice", "actor <> ?", []any{"alice"}},
		{"eventName=Delete*", `event_name LIKE ? ESCAPE '\'`, []any{"Delete%"}},
		{"eventName!=Get?", `event_name NOT LIKE ? ESCAPE '\'`, []any{"Get_"}},
		{`resource="50%_off*"`, `resource LIKE ? ESCAPE '\'`, []any{`50\%\_off%`}},
		{`resource="50%_off"`, "resource = ?", []any{"50%_off"}},
		{`resource=a\*b`, "resource = ?", []any{"a*b"}},
		{`resource=a\*b\??`, `resource LIKE ? ESCAPE '\'`, []any{"a*b?_"}},
		{`resource="c:\\dir\\*"`, `resource LIKE ? ESCAPE '\'`, []any{`c:\\dir\\%`}},
		{"srcIP=203.0.113.5", "src_ip = ?", []any{"203.0.113.5"}},
		{"srcIP in 203.0.113.0/24", "src_ip_key BETWEEN ? AND ?",
			[]any{"00000000000000000000ffffcb007100", "00000000000000000000ffffcb0071ff"}},
		{"srcIP in 2001:db8::/32", "src_ip_key BETWEEN ? AND ?",
			[]any{"20010db8000000000000000000000000", "20010db8ffffffffffffffffffffffff"}},
		{"srcIP in 0.0.0.0/0", "src_ip_key BETWEEN ? AND ?",
			[]any{"00000000000000000000ffff00000000", "00000000000000000000ffffffffffff"}},
		{"region=us-east-1 OR account=1 AND NOT outcome=failure",
			"region = ? OR account = ? AND NOT (outcome = ?)", []any{"us-east-1", "1", "failure"}},
		{"(region=a OR region=b) outcome=failure",
			"(region = ? OR region = ?) AND outcome = ?", []any{"a", "b", "failure"}},
		{"NOT (actor=a OR srcIP in 10.0.0.0/8)",
			"NOT (actor = ? OR src_ip_key BETWEEN ? AND ?)",
			[]any{"a", "00000000000000000000ffff0a000000", "00000000000000000000ffff0affffff"}},
		{"NOT NOT source=dns", "NOT (NOT (source_kind = ?))", []any{"dns"}},
	}
	for _, tt := range tests {
		q, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		where, args, err := q.SQL(testCols, testIPKeyCols)
		if err != nil {
			t.Errorf("SQL(%q): %v", tt.in, err)
			continue
		}
		if where != tt.where || !reflect.DeepEqual(args, tt.args) {
			t.Errorf("SQL(%q) = %q %#v, want %q %#v", tt.in, where, args, tt.where, tt.args)
		}
	}
}

func TestSQLMissingColumn(t *testing.T) {
	q, err := Parse("region=x OR actor=y")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := q.SQL(map[string]string{"region": "region"}, nil); err == nil {
		t.Error("SQL without a column for actor: no error")
	}
	q, err = Parse("srcIP in 10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := q.SQL(testCols, nil); err == nil {
		t.Error("SQL without an ip_key column for srcIP: no error")
	}
	if _, _, err := q.SQL(testCols, testIPKeyCols); err != nil {
		t.Errorf("SQL with all columns: %v", err)
	}
}

func TestIPKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1.2.3.4", "00000000000000000000ffff01020304"},
		{"::ffff:1.2.3.4", "00000000000000000000ffff01020304"},
		{"2001:db8::1", "20010db8000000000000000000000001"},
		{"fe80::1%eth0", "fe800000000000000000000000000001"},
		{"::", "00000000000000000000000000000000"},
	}
	for _, tt := range tests {
		if got := IPKey(netip.MustParseAddr(tt.in)); got != tt.want {
			t.Errorf("IPKey(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
	if got := IPKey(netip.Addr{}); got != "" {
		t.Errorf("IPKey(zero) = %q, want empty", got)
	}
}

func TestMatch(t *testing.T) {
	ev := map[string]string{
		"action": "DeleteBucket", "actor": "arn:aws:iam::1:user/bob", "srcIP": "203.0.113.9",
		"resource": "a*b", "region": "é", "service": "50%_off",
	}
	tests := []struct {
		q    string
		want bool
	}{
		{"", true},
		{"action=DeleteBucket", true},
		{"action=deletebucket", false},
		{"action=Delete*", true},
		{"action=delete*", false},
		{"action=*Bucket", true},
		{"action=*", true},
		{"action=Delete?ucket", true},
		{"action=Delete?", false},
		{"action=D*e*t", true},
		{"action=D*x*t", false},
		{"action!=Delete*", false},
		{"actor=*user/bob", true},
		{`resource=a\*b`, true},
		{`resource=a\*c`, false},
		{`resource=a\?b`, false},
		{"region=?", true},
		{"region=??", false},
		{"service=50%_off", true},
		{"service=50__off", false},
		{"srcIP in 203.0.113.0/24", true},
		{"srcIP in 203.0.114.0/24", false},
		{"srcIP in ::ffff:203.0.113.0/120", true},
		{"srcIP in 2001:db8::/32", false},
		{"srcIP in 203.0.113.9", true},
		{"outcome=\"\"", true},
		{"outcome!=\"\"", false},
		{"action=DeleteBucket AND region=x", false},
		{"action=DeleteBucket OR region=x", true},
		{"NOT region=x", true},
	}
	for _, tt := range tests {
		q, err := Parse(tt.q)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.q, err)
			continue
		}
		if got := q.Match(ev); got != tt.want {
			t.Errorf("%q.Match = %v, want %v", tt.q, got, tt.want)
		}
	}
	var nilQ *Query
	if !nilQ.Match(ev) || nilQ.String() != "" {
		t.Error("nil query should match everything and print empty")
	}
}

// syntheticEvents is a deterministic set of events varied across fields.
func syntheticEvents() []map[string]string {
	accounts := []string{"111111111111", "222222222222", "333333333333"}
	regions := []string{"us-east-1", "us-west-2", "eu-west-1", "ap-south-1"}
	sources := []string{"cloudtrail", "vpcflow", "dns", "k8saudit", "finding"}
	actors := []string{"arn:aws:iam::111111111111:user/alice", "arn:aws:iam::222222222222:role/Admin",
		"arn:aws:sts::111111111111:assumed-role/ci/bot", "system:serviceaccount:kube-system:x", "", "ALICE"}
	ips := []string{"203.0.113.5", "203.0.113.200", "198.51.100.7", "10.1.2.3", "2001:db8::1",
		"2001:db9::1", "::ffff:203.0.113.77", "", "not-an-ip", "fe80::1%eth0", "10.255.255.255"}
	actions := []string{"DeleteBucket", "deletebucket", "GetObject", "PutObject", "DeleteTrail",
		"Delete_Trail", "Get%Obj", "ConsoleLogin", "a*b", "Dé"}
	outcomes := []string{"success", "failure"}
	resources := []string{"arn:aws:s3:::logs", "arn:aws:s3:::50%_off", "arn:aws:s3:::50x_off", `c:\dir\f`, ""}
	services := []string{"s3.amazonaws.com", "iam.amazonaws.com", "sts.amazonaws.com", "cloudtrail.amazonaws.com"}
	var evs []map[string]string
	for i := range 55 {
		evs = append(evs, map[string]string{
			"account":  accounts[i%len(accounts)],
			"region":   regions[(i/2)%len(regions)],
			"source":   sources[(i*3)%len(sources)],
			"actor":    actors[(i*5)%len(actors)],
			"srcIP":    ips[(i*7)%len(ips)],
			"action":   actions[i%len(actions)],
			"outcome":  outcomes[(i/3)%len(outcomes)],
			"resource": resources[(i*2)%len(resources)],
			"service":  services[(i/5)%len(services)],
		})
	}
	return evs
}

func TestMatchAgreesWithSQL(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one in-memory database, one pragma setting
	if _, err := db.Exec("PRAGMA case_sensitive_like = ON"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE events (id INTEGER PRIMARY KEY, account TEXT NOT NULL,
		region TEXT NOT NULL, source_kind TEXT NOT NULL, actor TEXT NOT NULL, src_ip TEXT NOT NULL,
		src_ip_key TEXT NOT NULL, event_name TEXT NOT NULL, outcome TEXT NOT NULL,
		resource TEXT NOT NULL, event_source TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	evs := syntheticEvents()
	for i, ev := range evs {
		key := ""
		if a, err := netip.ParseAddr(ev["srcIP"]); err == nil {
			key = IPKey(a)
		}
		if _, err := db.Exec(`INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?)`, i, ev["account"], ev["region"],
			ev["source"], ev["actor"], ev["srcIP"], key, ev["action"], ev["outcome"], ev["resource"], ev["service"]); err != nil {
			t.Fatal(err)
		}
	}
	queries := []string{
		"action=DeleteBucket",
		"action=Delete*",
		"eventName=delete*",
		"action!=Delete*",
		"action=Delete?Trail",
		`action=Delete\_Trail OR action=Delete_Trail`,
		"action=*%*",
		`action=a\*b`,
		"action=?é OR action=D?",
		`resource="*50%_off"`,
		`resource=*\\*`,
		"resource=\"\" OR actor=\"\"",
		"srcIP in 203.0.113.0/24",
		"NOT srcIP in 203.0.113.0/24",
		"srcIP in 2001:db8::/32",
		"srcIP in 10.0.0.0/8 OR srcIP in 2001:db8::1",
		"srcIP in ::/0",
		"srcIP=203.0.113.5",
		"actor=arn:aws:iam::*",
		"actor=*alice",
		"account=111111111111 region=us-* outcome=failure",
		"(source=cloudtrail OR source=dns) AND NOT outcome=success",
		"NOT (region=us-east-1 OR eventSource=s3.amazonaws.com) actor!=\"\"",
		"region=eu-west-1 OR account=222222222222 AND NOT service=iam*",
		"NOT NOT outcome=success",
		"source!=finding source!=vpcflow",
	}
	for _, qs := range queries {
		q, err := Parse(qs)
		if err != nil {
			t.Errorf("Parse(%q): %v", qs, err)
			continue
		}
		var want []int
		for i, ev := range evs {
			if q.Match(ev) {
				want = append(want, i)
			}
		}
		if len(want) == 0 || len(want) == len(evs) {
			t.Errorf("%q: Match accepts %d of %d events; want a query that separates them", qs, len(want), len(evs))
		}
		where, args, err := q.SQL(testCols, testIPKeyCols)
		if err != nil {
			t.Errorf("SQL(%q): %v", qs, err)
			continue
		}
		rows, err := db.Query("SELECT id FROM events WHERE "+where+" ORDER BY id", args...)
		if err != nil {
			t.Errorf("query %q (%s): %v", qs, where, err)
			continue
		}
		var got []int
		for rows.Next() {
			var id int
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			got = append(got, id)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if !slices.Equal(got, want) {
			t.Errorf("%q: SQL %s %v selects %v, Match accepts %v", qs, where, args, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		"", "actor=alice", "eventName=Delete* AND NOT outcome=success",
		`actor="aws-cli/2 \"Python\""`, "srcIP in 203.0.113.0/24 OR srcIP in 2001:db8::/32",
		"(region=a OR region=b) account=1", `resource=a\*b\?c\\`, "NOT NOT (source=dns)",
		"((", "actor=", `"x`, "actor=\"\xff\"", "actor=é?", "srcIP in 10.0.0.1",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	ev := syntheticEvents()[0]
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Col < 1 {
				t.Fatalf("Parse(%q): bad error %#v", s, err)
			}
			return
		}
		c := q.String()
		q2, err := Parse(c)
		if err != nil {
			t.Fatalf("Parse(%q) (canonical of %q): %v", c, s, err)
		}
		if c2 := q2.String(); c2 != c {
			t.Fatalf("canonical of %q: %q reparses as %q", s, c, c2)
		}
		if q.Match(ev) != q2.Match(ev) {
			t.Fatalf("%q and its canonical %q disagree on Match", s, c)
		}
		if _, _, err := q.SQL(testCols, testIPKeyCols); err != nil {
			t.Fatalf("SQL(%q): %v", s, err)
		}
	})
}

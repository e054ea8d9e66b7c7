package pattern

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/valyala/fastjson"
)

type matchCase struct {
	name    string
	pattern string
	event   string
	want    bool
}

func runMatchCases(t *testing.T, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := matches(t, tc.pattern, tc.event); got != tc.want {
				t.Errorf("pattern %s\nevent   %s\nmatch = %v, want %v", tc.pattern, tc.event, got, tc.want)
			}
		})
	}
}

func matches(t testing.TB, pat, ev string) bool {
	t.Helper()
	p, err := Compile([]byte(pat))
	if err != nil {
		t.Fatalf("Compile(%s): %v", pat, err)
	}
	ok, err := p.MatchJSON([]byte(ev))
	if err != nil {
		t.Fatalf("MatchJSON(%s): %v", ev, err)
	}
	// Match on a pre-parsed value must agree with MatchJSON.
	if p.Match(fastjson.MustParse(ev)) != ok {
		t.Fatalf("Match and MatchJSON disagree on %s", ev)
	}
	return ok
}

func TestExactValues(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"string", `{"a":["x"]}`, `{"a":"x"}`, true},
		{"string mismatch", `{"a":["x"]}`, `{"a":"X"}`, false},
		{"string list is OR", `{"a":["x","y"]}`, `{"a":"y"}`, true},
		{"missing field", `{"a":["x"]}`, `{"b":"x"}`, false},
		{"empty string", `{"a":[""]}`, `{"a":""}`, true},
		{"empty string is not null", `{"a":[""]}`, `{"a":null}`, false},
		{"null", `{"a":[null]}`, `{"a":null}`, true},
		{"null is not the string null", `{"a":[null]}`, `{"a":"null"}`, false},
		{"null is not missing", `{"a":[null]}`, `{}`, false},
		{"true", `{"a":[true]}`, `{"a":true}`, true},
		{"true is not the string", `{"a":[true]}`, `{"a":"true"}`, false},
		{"false", `{"a":[false]}`, `{"a":false}`, true},
		{"false is not true", `{"a":[false]}`, `{"a":true}`, false},
		{"number", `{"a":[5]}`, `{"a":5}`, true},
		{"number 5 equals 5.0", `{"a":[5]}`, `{"a":5.0}`, true},
		{"number 5 equals 5e0", `{"a":[5]}`, `{"a":5e0}`, true},
		{"number 3e2 equals 300", `{"a":[3e2]}`, `{"a":300}`, true},
		{"number 300 equals 3.0e2", `{"a":[300]}`, `{"a":3.0e2}`, true},
		{"number 1.5 equals 1.50", `{"a":[1.5]}`, `{"a":1.50}`, true},
		{"number -0 equals 0", `{"a":[0]}`, `{"a":-0}`, true},
		{"number is not string", `{"a":[5]}`, `{"a":"5"}`, false},
		{"string is not number", `{"a":["5"]}`, `{"a":5}`, false},
		{"number mismatch", `{"a":[5]}`, `{"a":5.000001}`, false},
		{"account id number", `{"a":[123456789012]}`, `{"a":123456789012}`, true},
		{"exactly", `{"a":[{"exactly":"x"}]}`, `{"a":"x"}`, true},
		{"exactly mismatch", `{"a":[{"exactly":"x"}]}`, `{"a":"xx"}`, false},
		{"ip literal same text", `{"ip":["10.0.0.1"]}`, `{"ip":"10.0.0.1"}`, true},
		{"ipv6 literal other spelling", `{"ip":["2001:db8::1"]}`, `{"ip":"2001:DB8:0:0:0:0:0:1"}`, true},
		{"ipv6 literal other address", `{"ip":["2001:db8::1"]}`, `{"ip":"2001:db8::2"}`, false},
		{"escaped string", `{"a":["q\"\u00e9"]}`, `{"a":"q\"é"}`, true},
		{"escaped event key", `{"a":["x"]}`, `{"\u0061":"x"}`, true},
		{"nested object", `{"a":{"b":{"c":["x"]}}}`, `{"a":{"b":{"c":"x"}}}`, true},
		{"nested object wrong level", `{"a":{"b":{"c":["x"]}}}`, `{"a":{"c":"x"}}`, false},
		{"nested pattern, scalar event", `{"a":{"b":["x"]}}`, `{"a":"x"}`, false},
		{"leaf pattern, object event", `{"a":["x"]}`, `{"a":{"b":"x"}}`, false},
		{"dotted key is literal", `{"a.b":["x"]}`, `{"a":{"b":"x"}}`, false},
		{"dotted key", `{"a.b":["x"]}`, `{"a.b":"x"}`, true},
		{"all fields must match", `{"a":["x"],"b":["y"]}`, `{"a":"x","b":"z"}`, false},
		{"extra event fields ignored", `{"a":["x"]}`, `{"a":"x","b":"z","c":[1,2]}`, true},
	})
}

func TestStringOperators(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"prefix", `{"t":[{"prefix":"2017-10-02"}]}`, `{"t":"2017-10-02T18:43:48Z"}`, true},
		{"prefix mismatch", `{"t":[{"prefix":"2017-10-02"}]}`, `{"t":"2017-10-03T00:00:00Z"}`, false},
		{"prefix is case sensitive", `{"s":[{"prefix":"AWS"}]}`, `{"s":"aws.ec2"}`, false},
		{"prefix empty matches any string", `{"s":[{"prefix":""}]}`, `{"s":"x"}`, true},
		{"prefix not on numbers", `{"s":[{"prefix":"1"}]}`, `{"s":123}`, false},
		{"prefix ignore case", `{"s":[{"prefix":{"equals-ignore-case":"AWS."}}]}`, `{"s":"aws.ec2"}`, true},
		{"prefix ignore case mismatch", `{"s":[{"prefix":{"equals-ignore-case":"EC2"}}]}`, `{"s":"aws.ec2"}`, false},
		{"prefix ignore case unicode", `{"s":[{"prefix":{"equals-ignore-case":"ÉCO"}}]}`, `{"s":"école"}`, true},
		{"prefix ignore case longer than value", `{"s":[{"prefix":{"equals-ignore-case":"abcd"}}]}`, `{"s":"ABC"}`, false},
		{"suffix", `{"f":[{"suffix":".png"}]}`, `{"f":"photo.png"}`, true},
		{"suffix mismatch", `{"f":[{"suffix":".png"}]}`, `{"f":"photo.PNG"}`, false},
		{"suffix ignore case", `{"s":[{"suffix":{"equals-ignore-case":"EC2"}}]}`, `{"s":"aws.ec2"}`, true},
		{"suffix ignore case kelvin sign", `{"s":[{"suffix":{"equals-ignore-case":"\u212a"}}]}`, `{"s":"work"}`, true},
		{"suffix ignore case mismatch", `{"s":[{"suffix":{"equals-ignore-case":"EC3"}}]}`, `{"s":"aws.ec2"}`, false},
		{"equals-ignore-case", `{"s":[{"equals-ignore-case":"AWS.EC2"}]}`, `{"s":"aws.ec2"}`, true},
		{"equals-ignore-case is not prefix", `{"s":[{"equals-ignore-case":"AWS"}]}`, `{"s":"aws.ec2"}`, false},
		{"equals-ignore-case unicode", `{"s":[{"equals-ignore-case":"ÉCOLE"}]}`, `{"s":"école"}`, true},
		{"equals-ignore-case not on bool", `{"s":[{"equals-ignore-case":"true"}]}`, `{"s":true}`, false},
		{"wildcard middle", `{"s":[{"wildcard":"Simple*Service"}]}`, `{"s":"SimpleQueueService"}`, true},
		{"wildcard empty star", `{"s":[{"wildcard":"Simple*Service"}]}`, `{"s":"SimpleService"}`, true},
		{"wildcard mismatch", `{"s":[{"wildcard":"Simple*Service"}]}`, `{"s":"SimpleQueueServices"}`, false},
		{"wildcard leading", `{"s":[{"wildcard":"*.png"}]}`, `{"s":".png"}`, true},
		{"wildcard several", `{"s":[{"wildcard":"a*b*c"}]}`, `{"s":"aXbYbZc"}`, true},
		{"wildcard order matters", `{"s":[{"wildcard":"a*b*c"}]}`, `{"s":"acb"}`, false},
		{"wildcard no overlap", `{"s":[{"wildcard":"ab*ba"}]}`, `{"s":"aba"}`, false},
		{"wildcard star only", `{"s":[{"wildcard":"*"}]}`, `{"s":""}`, true},
		{"wildcard star not numbers", `{"s":[{"wildcard":"*"}]}`, `{"s":1}`, false},
		{"wildcard no star is exact", `{"s":[{"wildcard":"abc"}]}`, `{"s":"abcd"}`, false},
		{"wildcard escaped star", `{"s":[{"wildcard":"a\\*b"}]}`, `{"s":"a*b"}`, true},
		{"wildcard escaped star is literal", `{"s":[{"wildcard":"a\\*b"}]}`, `{"s":"aXb"}`, false},
		{"wildcard escaped backslash", `{"s":[{"wildcard":"a\\\\*"}]}`, `{"s":"a\\bc"}`, true},
		{"wildcard quamina example", `{"s":[{"wildcard":"a\\*\\*\\\\.b"}]}`, `{"s":"a**\\.b"}`, true},
		{"wildcard escaped star then star", `{"s":[{"wildcard":"\\**"}]}`, `{"s":"*rest"}`, true},
		{"cidr v4", `{"ip":[{"cidr":"10.0.0.0/24"}]}`, `{"ip":"10.0.0.255"}`, true},
		{"cidr v4 outside", `{"ip":[{"cidr":"10.0.0.0/24"}]}`, `{"ip":"10.0.1.0"}`, false},
		{"cidr v4 host bits masked", `{"ip":[{"cidr":"10.0.0.7/24"}]}`, `{"ip":"10.0.0.200"}`, true},
		{"cidr v4-mapped v6 event", `{"ip":[{"cidr":"10.0.0.0/8"}]}`, `{"ip":"::ffff:10.1.2.3"}`, true},
		{"cidr v6", `{"ip":[{"cidr":"2001:db8::/32"}]}`, `{"ip":"2001:db8:1::5"}`, true},
		{"cidr v6 outside", `{"ip":[{"cidr":"2001:db8::/32"}]}`, `{"ip":"2001:db9::1"}`, false},
		{"cidr v4 does not take v6", `{"ip":[{"cidr":"0.0.0.0/0"}]}`, `{"ip":"2001:db8::1"}`, false},
		{"cidr not an ip", `{"ip":[{"cidr":"10.0.0.0/8"}]}`, `{"ip":"10.0.0.x"}`, false},
		{"cidr not a string", `{"ip":[{"cidr":"10.0.0.0/8"}]}`, `{"ip":10}`, false},
	})
}

func TestNumeric(t *testing.T) {
	const rng = `{"n":[{"numeric":[">",0,"<=",5]}]}`
	runMatchCases(t, []matchCase{
		{"open lower bound excluded", rng, `{"n":0}`, false},
		{"just above lower", rng, `{"n":0.0001}`, true},
		{"closed upper bound included", rng, `{"n":5}`, true},
		{"closed upper as float", rng, `{"n":5.0}`, true},
		{"above upper", rng, `{"n":5.0001}`, false},
		{"negative", rng, `{"n":-1}`, false},
		{"string is not a number", rng, `{"n":"3"}`, false},
		{"missing", rng, `{}`, false},
		{"array any element", rng, `{"n":[100,3,200]}`, true},
		{"array no element", rng, `{"n":[100,200]}`, false},
		{"less than", `{"n":[{"numeric":["<",10]}]}`, `{"n":-1e9}`, true},
		{"less than bound", `{"n":[{"numeric":["<",10]}]}`, `{"n":10}`, false},
		{"less or equal bound", `{"n":[{"numeric":["<=",10]}]}`, `{"n":10}`, true},
		{"greater or equal bound", `{"n":[{"numeric":[">=",10]}]}`, `{"n":10}`, true},
		{"greater bound", `{"n":[{"numeric":[">",10]}]}`, `{"n":10}`, false},
		{"equals with exponent", `{"n":[{"numeric":["=",3.018e2]}]}`, `{"n":301.8}`, true},
		{"equals other", `{"n":[{"numeric":["=",3.018e2]}]}`, `{"n":301.81}`, false},
		{"closed lower open upper", `{"n":[{"numeric":[">=",4,"<",9]}]}`, `{"n":4}`, true},
		{"open upper excluded", `{"n":[{"numeric":[">=",4,"<",9]}]}`, `{"n":9}`, false},
		{"large numbers", `{"n":[{"numeric":[">",1e15]}]}`, `{"n":123456789012345678}`, true},
		{"ranges OR", `{"n":[{"numeric":["<",0]},{"numeric":[">",10]}]}`, `{"n":11}`, true},
		{"ranges OR none", `{"n":[{"numeric":["<",0]},{"numeric":[">",10]}]}`, `{"n":5}`, false},
		{"numeric and exact mixed", `{"n":[{"numeric":["<",0]},"none"]}`, `{"n":"none"}`, true},
	})
}

func TestAnythingBut(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"string", `{"s":[{"anything-but":"initializing"}]}`, `{"s":"running"}`, true},
		{"string excluded", `{"s":[{"anything-but":"initializing"}]}`, `{"s":"initializing"}`, false},
		{"string missing", `{"s":[{"anything-but":"initializing"}]}`, `{}`, false},
		{"string vs number", `{"s":[{"anything-but":"x"}]}`, `{"s":5}`, true},
		{"string vs null", `{"s":[{"anything-but":"x"}]}`, `{"s":null}`, true},
		{"string vs empty array", `{"s":[{"anything-but":"x"}]}`, `{"s":[]}`, false},
		{"string array with other", `{"s":[{"anything-but":"x"}]}`, `{"s":["x","y"]}`, true},
		{"string array only excluded", `{"s":[{"anything-but":"x"}]}`, `{"s":["x","x"]}`, false},
		{"string list", `{"s":[{"anything-but":["stopped","overloaded"]}]}`, `{"s":"overloaded"}`, false},
		{"string list other", `{"s":[{"anything-but":["stopped","overloaded"]}]}`, `{"s":"running"}`, true},
		{"number", `{"x":[{"anything-but":123}]}`, `{"x":301.8}`, true},
		{"number excluded numerically", `{"x":[{"anything-but":123}]}`, `{"x":123.0}`, false},
		{"number vs string", `{"x":[{"anything-but":123}]}`, `{"x":"123"}`, true},
		{"number list", `{"x":[{"anything-but":[100,200,300]}]}`, `{"x":3e2}`, false},
		{"number list other", `{"x":[{"anything-but":[100,200,300]}]}`, `{"x":301.8}`, true},
		{"prefix", `{"s":[{"anything-but":{"prefix":"init"}}]}`, `{"s":"initializing"}`, false},
		{"prefix other", `{"s":[{"anything-but":{"prefix":"init"}}]}`, `{"s":"running"}`, true},
		{"prefix list", `{"s":[{"anything-but":{"prefix":["init","error"]}}]}`, `{"s":"error-42"}`, false},
		{"prefix vs number", `{"s":[{"anything-but":{"prefix":"1"}}]}`, `{"s":123}`, true},
		{"suffix", `{"s":[{"anything-but":{"suffix":"1234"}}]}`, `{"s":"i-0001234"}`, false},
		{"suffix list other", `{"s":[{"anything-but":{"suffix":["1234","6789"]}}]}`, `{"s":"i-000000aaaaaa00000"}`, true},
		{"ignore case", `{"s":[{"anything-but":{"equals-ignore-case":"Stopped"}}]}`, `{"s":"STOPPED"}`, false},
		{"ignore case other", `{"s":[{"anything-but":{"equals-ignore-case":"Stopped"}}]}`, `{"s":"running"}`, true},
		{"ignore case list", `{"s":[{"anything-but":{"equals-ignore-case":["Stopped","OverLoaded"]}}]}`, `{"s":"overloaded"}`, false},
		{"wildcard", `{"s":[{"anything-but":{"wildcard":"*/bin/*.jar"}}]}`, `{"s":"/usr/bin/app.jar"}`, false},
		{"wildcard other", `{"s":[{"anything-but":{"wildcard":"*/bin/*.jar"}}]}`, `{"s":"/usr/lib/app.jar"}`, true},
		{"wildcard list", `{"s":[{"anything-but":{"wildcard":["*/bin/*.jar","*/bin/*.class"]}}]}`, `{"s":"/opt/bin/Main.class"}`, false},
		{"wildcard vs bool", `{"s":[{"anything-but":{"wildcard":"*"}}]}`, `{"s":false}`, true},
	})
}

func TestExists(t *testing.T) {
	const yes, no = `{"a":[{"exists":true}]}`, `{"a":[{"exists":false}]}`
	events := []struct {
		event  string
		exists bool
	}{
		{`{"a":1}`, true},
		{`{"a":""}`, true},
		{`{"a":null}`, true},
		{`{"a":false}`, true},
		{`{"a":[1]}`, true},
		{`{"a":[[],[0]]}`, true},
		{`{}`, false},
		{`{"b":1}`, false},
		{`{"a":{}}`, false},
		{`{"a":{"c1":100}}`, false}, // not a leaf
		{`{"a":[]}`, false},
		{`{"a":[[]]}`, false},
		{`{"a":[{"b":1}]}`, false},
	}
	for _, e := range events {
		if got := matches(t, yes, e.event); got != e.exists {
			t.Errorf("exists:true on %s = %v, want %v", e.event, got, e.exists)
		}
		if got := matches(t, no, e.event); got == e.exists {
			t.Errorf("exists:false on %s = %v, want %v", e.event, got, !e.exists)
		}
	}
	runMatchCases(t, []matchCase{
		{"absent under missing parent", `{"a":{"b":[{"exists":false}]}}`, `{}`, true},
		{"absent under scalar parent", `{"a":{"b":[{"exists":false}]}}`, `{"a":"s"}`, true},
		{"absent but present", `{"a":{"b":[{"exists":false}]}}`, `{"a":{"b":1}}`, false},
		{"absent or value: missing", `{"a":["x",{"exists":false}]}`, `{}`, true},
		{"absent or value: value", `{"a":["x",{"exists":false}]}`, `{"a":"x"}`, true},
		{"absent or value: other", `{"a":["x",{"exists":false}]}`, `{"a":"y"}`, false},
		{"exists or absent", `{"a":[{"exists":true},{"exists":false}]}`, `{"a":{"x":1}}`, true},
		{"exists with other fields", `{"a":[{"exists":true}],"b":["x"]}`, `{"a":0,"b":"y"}`, false},
	})
}

func TestArrays(t *testing.T) {
	const employees = `{"employees":[{"firstName":"John","lastName":"Doe"},{"firstName":"Anna","lastName":"Smith"},{"firstName":"Peter","lastName":"Jones"}]}`
	const nested = `{"employees":[[{"firstName":"John","lastName":"Doe"},{"firstName":"Anna","lastName":"Smith"}],[{"firstName":"Peter","lastName":"Jones"}]]}`
	runMatchCases(t, []matchCase{
		{"intersection", `{"r":["a","b"]}`, `{"r":["c","b"]}`, true},
		{"no intersection", `{"r":["a","b"]}`, `{"r":["c","d"]}`, false},
		{"nested primitive arrays", `{"r":["x"]}`, `{"r":[["y"],["x"]]}`, true},
		{"docs resources example", `{"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f","arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f"]}`,
			`{"resources":["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x","arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}`, true},
		{"readme employees one field", `{"employees":{"firstName":["Anna"]}}`, employees, true},
		{"readme employees same element", `{"employees":{"firstName":["Anna"],"lastName":["Smith"]}}`, employees, true},
		{"readme employees different elements", `{"employees":{"firstName":["Anna"],"lastName":["Jones"]}}`, employees, false},
		{"readme multi-level same", `{"employees":{"firstName":["Anna"],"lastName":["Smith"]}}`, nested, true},
		{"readme multi-level different", `{"employees":{"firstName":["Anna"],"lastName":["Jones"]}}`, nested, false},
		{"independent arrays", `{"a":{"x":["1"]},"b":{"y":["2"]}}`, `{"a":[{"x":"0"},{"x":"1"}],"b":[{"y":"2"}]}`, true},
		{"deep consistency", `{"a":{"b":{"x":["1"]},"c":["2"]}}`, `{"a":[{"b":[{"x":"1"}],"c":"3"},{"b":[{"x":"0"}],"c":"2"}]}`, false},
		{"deep consistency ok", `{"a":{"b":{"x":["1"]},"c":["2"]}}`, `{"a":[{"b":[{"x":"0"},{"x":"1"}],"c":"2"}]}`, true},
		// Negative fields: checked in the element chosen for positive siblings...
		{"absent in chosen element", `{"d":{"a":["1"],"b":[{"exists":false}]}}`, `{"d":[{"a":"1","b":2},{"a":"1"}]}`, true},
		{"absent nowhere usable", `{"d":{"a":["1"],"b":[{"exists":false}]}}`, `{"d":[{"a":"1","b":2},{"c":1}]}`, false},
		// ...and in every element when nothing positive anchors one.
		{"absent alone, present somewhere", `{"d":{"b":[{"exists":false}]}}`, `{"d":[{"a":1},{"b":2}]}`, false},
		{"absent alone, present nowhere", `{"d":{"b":[{"exists":false}]}}`, `{"d":[{"a":1},{"c":2}]}`, true},
		{"absent alone, empty array", `{"d":{"b":[{"exists":false}]}}`, `{"d":[]}`, true},
		{"absent, anchored elsewhere", `{"d":{"b":[{"exists":false}]},"top":["1"]}`, `{"d":[{"b":1},{"c":2}],"top":"1"}`, false},
		{"or within one element", `{"d":{"$or":[{"a":["1"]},{"b":["2"]}],"c":["3"]}}`, `{"d":[{"a":"1"},{"c":"3"}]}`, false},
		{"or within one element ok", `{"d":{"$or":[{"a":["1"]},{"b":["2"]}],"c":["3"]}}`, `{"d":[{"a":"0"},{"b":"2","c":"3"}]}`, true},
	})
}

func TestOr(t *testing.T) {
	const orPat = `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization","ReadLatency"]},{"namespace":["AWS/EC2","AWS/ES"]}]}`
	runMatchCases(t, []matchCase{
		{"first branch", orPat, `{"source":"aws.cloudwatch","metricName":"ReadLatency"}`, true},
		{"second branch", orPat, `{"source":"aws.cloudwatch","namespace":"AWS/ES"}`, true},
		{"no branch", orPat, `{"source":"aws.cloudwatch","metricName":"x","namespace":"y"}`, false},
		{"branch but not the rest", orPat, `{"source":"aws.ec2","metricName":"ReadLatency"}`, false},
		{"or with numeric", `{"detail":{"$or":[{"c-count":[{"numeric":[">",0,"<=",5]}]},{"d-count":[{"numeric":["<",10]}]}]}}`, `{"detail":{"c-count":50,"d-count":9}}`, true},
		{"two or groups AND", `{"$or":[{"a":["1"]},{"b":["1"]}],"x":{"$or":[{"c":["1"]},{"d":["1"]}]}}`, `{"b":"1","x":{"c":"2","d":"1"}}`, true},
		{"two or groups one fails", `{"$or":[{"a":["1"]},{"b":["1"]}],"x":{"$or":[{"c":["1"]},{"d":["1"]}]}}`, `{"b":"1","x":{"c":"2"}}`, false},
		{"branch merges with sibling object", `{"detail":{"a":["1"]},"$or":[{"detail":{"b":["2"]}},{"c":["3"]}]}`, `{"detail":{"a":"1","b":"2"}}`, true},
		{"merged branch keeps sibling", `{"detail":{"a":["1"]},"$or":[{"detail":{"b":["2"]}},{"c":["3"]}]}`, `{"detail":{"b":"2"}}`, false},
		{"or branch with exists false", `{"$or":[{"a":[{"exists":false}]},{"b":["1"]}]}`, `{"a":1,"b":"1"}`, true},
		{"or field name is not an event field", orPat, `{"source":"aws.cloudwatch","$or":{"metricName":"ReadLatency"}}`, false},
	})
}

func TestDuplicateKeys(t *testing.T) {
	// The EventBridge user guide: "if you include a key more than once the
	// last reference will be the one used".
	const dup = `{"detail":{"location":[{"prefix":"us-"}],"location":[{"anything-but":"us-east"}]}}`
	runMatchCases(t, []matchCase{
		{"last list wins", dup, `{"detail":{"location":"eu-west-1"}}`, true},
		{"last list wins excluded", dup, `{"detail":{"location":"us-east"}}`, false},
		{"objects merge", `{"detail":{"a":["1"]},"detail":{"b":["2"]}}`, `{"detail":{"a":"1","b":"2"}}`, true},
		{"objects merge both needed", `{"detail":{"a":["1"]},"detail":{"b":["2"]}}`, `{"detail":{"a":"1"}}`, false},
	})
}

// README.md of aws/event-ruler ("Ruler by Example"): every example, against
// its sample event.
func TestEventRulerREADMEExamples(t *testing.T) {
	const ev = `{
  "version": "0", "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
  "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
  "account": "012345679012", "time": "2017-10-02T16:24:49Z", "region": "us-east-1",
  "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
  "detail": {"c-count": 5, "d-count": 3, "x-limit": 301.8, "source-ip": "10.0.0.33",
    "instance-id": "i-000000aaaaaa00000", "state": "running"}}`
	// The exists:false example's second event, where c-count is not a leaf.
	const ev2 = `{"detail-type":["EC2 Instance State-change Notification"],
  "resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
  "detail":{"state":["initializing","running"],"c-count":{"c1":100}}}`
	runMatchCases(t, []matchCase{
		{"simple", `{"detail-type":["EC2 Instance State-change Notification"],"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],"detail":{"state":["initializing","running"]}}`, ev, true},
		{"prefix", `{"time":[{"prefix":"2017-10-02"}]}`, ev, true},
		{"prefix equals-ignore-case EC2", `{"source":[{"prefix":{"equals-ignore-case":"EC2"}}]}`, ev, false},
		{"prefix equals-ignore-case AWS", `{"source":[{"prefix":{"equals-ignore-case":"AWS"}}]}`, ev, true},
		{"suffix", `{"source":[{"suffix":"ec2"}]}`, ev, true},
		{"suffix equals-ignore-case", `{"source":[{"suffix":{"equals-ignore-case":"EC2"}}]}`, ev, true},
		{"equals-ignore-case EC2", `{"source":[{"equals-ignore-case":"EC2"}]}`, ev, false},
		{"equals-ignore-case AWS.EC2", `{"source":[{"equals-ignore-case":"AWS.EC2"}]}`, ev, true},
		{"wildcard", `{"source":[{"wildcard":"Simple*Service"}]}`, ev, false},
		{"wildcard aws.*", `{"source":[{"wildcard":"aws.*"}]}`, ev, true},
		{"anything-but string", `{"detail":{"state":[{"anything-but":"initializing"}]}}`, ev, true},
		{"anything-but number", `{"detail":{"x-limit":[{"anything-but":123}]}}`, ev, true},
		{"anything-but list strings", `{"detail":{"state":[{"anything-but":["stopped","overloaded"]}]}}`, ev, true},
		{"anything-but list numbers", `{"detail":{"x-limit":[{"anything-but":[100,200,300]}]}}`, ev, true},
		{"anything-but prefix", `{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`, ev, true},
		{"anything-but prefix list", `{"detail":{"state":[{"anything-but":{"prefix":["init","error"]}}]}}`, ev, true},
		{"anything-but suffix", `{"detail":{"instance-id":[{"anything-but":{"suffix":"1234"}}]}}`, ev, true},
		{"anything-but suffix list", `{"detail":{"instance-id":[{"anything-but":{"suffix":["1234","6789"]}}]}}`, ev, true},
		{"anything-but ignore case", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":"Stopped"}}]}}`, ev, true},
		{"anything-but ignore case hit", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":"RUNNING"}}]}}`, ev, false},
		{"anything-but ignore case list", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":["Stopped","OverLoaded"]}}]}}`, ev, true},
		{"anything-but wildcard", `{"detail":{"state":[{"anything-but":{"wildcard":"*/bin/*.jar"}}]}}`, ev, true},
		{"anything-but wildcard list", `{"detail":{"state":[{"anything-but":{"wildcard":["*/bin/*.jar","*/bin/*.class"]}}]}}`, ev, true},
		{"numeric", `{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"numeric":["=",3.018e2]}]}}`, ev, true},
		{"cidr", `{"detail":{"source-ip":[{"cidr":"10.0.0.0/24"}]}}`, ev, true},
		{"exists true", `{"detail":{"c-count":[{"exists":true}]}}`, ev, true},
		{"exists false", `{"detail":{"c-count":[{"exists":false}]}}`, ev, false},
		{"exists false, not a leaf", `{"detail":{"c-count":[{"exists":false}]}}`, ev2, true},
		{"complex", `{"time":[{"prefix":"2017-10-02"}],"detail":{"state":[{"anything-but":"initializing"}],"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"anything-but":[100,200,300]}],"source-ip":[{"cidr":"10.0.0.0/8"}]}}`, ev, true},
		{"complex, one field fails", `{"time":[{"prefix":"2017-10-02"}],"detail":{"state":[{"anything-but":"running"}],"c-count":[{"numeric":[">",0,"<=",5]}]}}`, ev, false},
		{"rule R1 first", `{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}]}}`, ev, true},
		{"rule R1 second", `{"detail":{"x-limit":[{"numeric":["=",3.018e2]}]}}`, ev, true},
	})
}

func TestGuardDutyDocumentedPattern(t *testing.T) {
	raw, err := os.ReadFile("testdata/guardduty_finding_event.json")
	if err != nil {
		t.Fatal(err)
	}
	p := MustCompile(`{"source":["aws.guardduty"],"detail-type":["GuardDuty Finding"],"detail":{"severity":[{"numeric":[">=",4,"<",9]}]}}`)
	for _, tc := range []struct {
		severity string
		want     bool
	}{
		{"8", true}, {"4", true}, {"4.0", true}, {"8.9", true}, {"5.5", true},
		{"3.9", false}, {"9", false}, {"2", false}, {`"8"`, false}, {"null", false},
	} {
		ev := fastjson.MustParseBytes(raw)
		ev.Get("detail").Set("severity", fastjson.MustParse(tc.severity))
		if got := p.Match(ev); got != tc.want {
			t.Errorf("severity %s: match = %v, want %v", tc.severity, got, tc.want)
		}
	}
	ev := fastjson.MustParseBytes(raw)
	ev.Set("source", fastjson.MustParse(`"aws.securityhub"`))
	if p.Match(ev) {
		t.Error("matched an event from another source")
	}
}

// TestGuardDutyFixture exercises the operators on the realistic fixture,
// including array consistency inside the instance's tags and interfaces.
func TestGuardDutyFixture(t *testing.T) {
	raw, err := os.ReadFile("testdata/guardduty_finding_event.json")
	if err != nil {
		t.Fatal(err)
	}
	ev := string(raw)
	runMatchCases(t, []matchCase{
		{"type prefix", `{"detail":{"type":[{"prefix":"UnauthorizedAccess:EC2/"}]}}`, ev, true},
		{"type wildcard", `{"detail":{"type":[{"wildcard":"*:EC2/*BruteForce"}]}}`, ev, true},
		{"remote ip cidr", `{"detail":{"service":{"action":{"networkConnectionAction":{"remoteIpDetails":{"ipAddressV4":[{"cidr":"203.0.113.0/24"}]}}}}}}`, ev, true},
		{"remote ip not internal", `{"detail":{"service":{"action":{"networkConnectionAction":{"remoteIpDetails":{"ipAddressV4":[{"cidr":"10.0.0.0/8"}]}}}}}}`, ev, false},
		{"ipv6 cidr in array", `{"detail":{"resource":{"instanceDetails":{"networkInterfaces":{"ipv6Addresses":[{"cidr":"2001:db8::/64"}]}}}}}`, ev, true},
		{"private ip in nested arrays", `{"detail":{"resource":{"instanceDetails":{"networkInterfaces":{"privateIpAddresses":{"privateIpAddress":["10.0.0.2"]}}}}}}`, ev, true},
		{"tag same element", `{"detail":{"resource":{"instanceDetails":{"tags":{"key":["Environment"],"value":["production"]}}}}}`, ev, true},
		{"tag split across elements", `{"detail":{"resource":{"instanceDetails":{"tags":{"key":["Name"],"value":["production"]}}}}}`, ev, false},
		{"no tag named Team", `{"detail":{"resource":{"instanceDetails":{"tags":{"key":[{"anything-but":"Team"}]}}}}}`, ev, true},
		{"platform null", `{"detail":{"resource":{"instanceDetails":{"platform":[null]}}}}`, ev, true},
		{"blocked false", `{"detail":{"service":{"action":{"networkConnectionAction":{"blocked":[false]}}}}}`, ev, true},
		{"local port 22", `{"detail":{"service":{"action":{"networkConnectionAction":{"localPortDetails":{"port":[22]}}}}}}`, ev, true},
		{"empty resources has no value", `{"resources":[{"exists":true}]}`, ev, false},
		{"or on finding family", `{"source":["aws.guardduty"],"detail":{"$or":[{"type":[{"prefix":"Recon:"}]},{"severity":[{"numeric":[">=",7]}]}]}}`, ev, true},
	})
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		pattern, path, msg string
	}{
		{`not json`, "", "invalid JSON"},
		{`{"a":[NaN]}`, "", "invalid JSON"},
		{`[{"a":["x"]}]`, "", "must be a JSON object"},
		{`{}`, "", "empty object"},
		{`{"a":"x"}`, "a", "must be an object or an array"},
		{`{"a":5}`, "a", "must be an object or an array"},
		{`{"a":[]}`, "a", "empty list"},
		{`{"a":{}}`, "a", "empty object"},
		{`{"a":[["x"]]}`, "a[0]", "match values must be"},
		{`{"a":[1e400]}`, "a[0]", "out of range"},
		{`{"a":[{"foo":1}]}`, "a[0].foo", `unknown operator "foo"`},
		{`{"a":[{}]}`, "a[0]", "exactly one key"},
		{`{"a":[{"prefix":"x","suffix":"y"}]}`, "a[0]", "exactly one key"},
		{`{"a":[{"prefix":1}]}`, "a[0].prefix", "expected a string"},
		{`{"a":[{"prefix":{"foo":"x"}}]}`, "a[0].prefix", "equals-ignore-case"},
		{`{"a":[{"suffix":{"equals-ignore-case":5}}]}`, "a[0].suffix.equals-ignore-case", "expected a string"},
		{`{"a":[{"equals-ignore-case":["x"]}]}`, "a[0].equals-ignore-case", "expected a string"},
		{`{"a":[{"exactly":5}]}`, "a[0].exactly", "expected a string"},
		{`{"a":[{"wildcard":"a**b"}]}`, "a[0].wildcard", "consecutive"},
		{`{"a":[{"wildcard":"a\\b"}]}`, "a[0].wildcard", "backslash"},
		{`{"a":[{"wildcard":"ab\\"}]}`, "a[0].wildcard", "backslash"},
		{`{"a":[{"anything-but":[]}]}`, "a[0].anything-but", "must not be empty"},
		{`{"a":[{"anything-but":["x",1]}]}`, "a[0].anything-but[1]", "only strings or only numbers"},
		{`{"a":[{"anything-but":[1,"x"]}]}`, "a[0].anything-but[1]", "only strings or only numbers"},
		{`{"a":[{"anything-but":[null]}]}`, "a[0].anything-but[0]", "only strings or only numbers"},
		{`{"a":[{"anything-but":null}]}`, "a[0].anything-but", "must be a string, a number"},
		{`{"a":[{"anything-but":true}]}`, "a[0].anything-but", "must be a string, a number"},
		{`{"a":[{"anything-but":{"prefix":""}}]}`, "a[0].anything-but.prefix", "empty prefix"},
		{`{"a":[{"anything-but":{"suffix":["x",""]}}]}`, "a[0].anything-but.suffix", "empty suffix"},
		{`{"a":[{"anything-but":{"prefix":5}}]}`, "a[0].anything-but.prefix", "expected a string"},
		{`{"a":[{"anything-but":{"prefix":[]}}]}`, "a[0].anything-but.prefix", "must not be empty"},
		{`{"a":[{"anything-but":{"numeric":[">",1]}}]}`, "a[0].anything-but.numeric", "unsupported anything-but operator"},
		{`{"a":[{"anything-but":{"prefix":"a","suffix":"b"}}]}`, "a[0].anything-but", "exactly one key"},
		{`{"a":[{"anything-but":{"wildcard":["x","a**"]}}]}`, "a[0].anything-but.wildcard[1]", "consecutive"},
		{`{"a":[{"numeric":5}]}`, "a[0].numeric", "must be an array"},
		{`{"a":[{"numeric":[">",0,"<"]}]}`, "a[0].numeric", "2 or 4 elements"},
		{`{"a":[{"numeric":[]}]}`, "a[0].numeric", "2 or 4 elements"},
		{`{"a":[{"numeric":["<",10,">",0]}]}`, "a[0].numeric[2]", "must start with"},
		{`{"a":[{"numeric":[">",10,"<",5]}]}`, "a[0].numeric", "lower bound"},
		{`{"a":[{"numeric":[">=",5,"<=",5]}]}`, "a[0].numeric", "lower bound"},
		{`{"a":[{"numeric":["==",5]}]}`, "a[0].numeric[0]", "unexpected operator"},
		{`{"a":[{"numeric":[5,">"]}]}`, "a[0].numeric[0]", "comparison operator"},
		{`{"a":[{"numeric":[">","5"]}]}`, "a[0].numeric[1]", "expected a number"},
		{`{"a":[{"numeric":[">",0,">",5]}]}`, "a[0].numeric[2]", `"<" or "<="`},
		{`{"a":[{"numeric":["=",1e400]}]}`, "a[0].numeric[1]", "out of range"},
		{`{"detail":{"severity":[{"numeric":[">=",4,"<","9"]}]}}`, "detail.severity[0].numeric[3]", "expected a number"},
		{`{"a":[{"exists":"true"}]}`, "a[0].exists", "true or false"},
		{`{"a":[{"cidr":"10.0.0.0"}]}`, "a[0].cidr", "/prefix"},
		{`{"a":[{"cidr":"10.0.0.0/33"}]}`, "a[0].cidr", "invalid cidr"},
		{`{"a":[{"cidr":10}]}`, "a[0].cidr", "expected a string"},
		{`{"a b":{"":["x",{"bad":1}]}}`, `"a b".""[1].bad`, "unknown operator"},
		{`{"[0]":[{"bad":1}]}`, `"[0]"[0].bad`, "unknown operator"},
		{`{"$or":"x"}`, "$or", "must be an array"},
		{`{"$or":[{"a":["x"]}]}`, "$or", "at least two"},
		{`{"$or":[{"a":["x"]},5]}`, "$or[1]", "must be objects"},
		{`{"$or":[{"a":["x"]},{}]}`, "$or[1]", "empty object"},
		{`{"$or":[{"a":["x"]},{"b":{"prefix":["y"]}}]}`, "$or[1].b.prefix", "reserved"},
		{`{"$or":[{"a":["x"]},{"b":[{"bad":1}]}]}`, "$or[1].b[0].bad", "unknown operator"},
		{`{"$or":[{"a":["1"]},{"a":["2"]},{"a":["3"]},{"a":["4"]},{"a":["5"]},{"a":["6"]}],
		   "b":{"$or":[{"a":["1"]},{"a":["2"]},{"a":["3"]},{"a":["4"]},{"a":["5"]},{"a":["6"]}]},
		   "c":{"$or":[{"a":["1"]},{"a":["2"]},{"a":["3"]},{"a":["4"]},{"a":["5"]},{"a":["6"]}]},
		   "d":{"$or":[{"a":["1"]},{"a":["2"]},{"a":["3"]},{"a":["4"]},{"a":["5"]},{"a":["6"]}]}}`, "", "more than 1000"},
	} {
		t.Run(tc.pattern, func(t *testing.T) {
			p, err := Compile([]byte(tc.pattern))
			if err == nil {
				t.Fatalf("compiled, want error %q at %q (rules: %d)", tc.msg, tc.path, len(p.rules))
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if pe.Path != tc.path {
				t.Errorf("path = %q, want %q (%v)", pe.Path, tc.path, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}

func TestCombinationLimitAllowsExactly1000(t *testing.T) {
	// 10 × 10 × 10 = 1000 alternatives is EventBridge's maximum, still valid.
	var b strings.Builder
	b.WriteString("{")
	for i, k := range []string{"x", "y", "z"} {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"` + k + `":{"$or":[`)
		for j := range 10 {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString(`{"v` + string(rune('0'+j)) + `":["1"]}`)
		}
		b.WriteString("]}")
	}
	b.WriteString("}")
	p, err := Compile([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.rules) != 1000 {
		t.Fatalf("rules = %d, want 1000", len(p.rules))
	}
	if !p.Match(fastjson.MustParse(`{"x":{"v3":"1"},"y":{"v9":"1"},"z":{"v0":"1"}}`)) {
		t.Error("no match")
	}
	if p.Match(fastjson.MustParse(`{"x":{"v3":"1"},"y":{"v9":"1"}}`)) {
		t.Error("matched without z")
	}
}

func TestCompileCopiesInput(t *testing.T) {
	src := []byte(`{"a":["xyz"]}`)
	p, err := Compile(src)
	if err != nil {
		t.Fatal(err)
	}
	copy(src, `{"a":["abc"]}`)
	if !p.Match(fastjson.MustParse(`{"a":"xyz"}`)) || p.Match(fastjson.MustParse(`{"a":"abc"}`)) {
		t.Error("pattern changed when the caller reused its buffer")
	}
}

func TestMatchNilAndBadJSON(t *testing.T) {
	p := MustCompile(`{"a":[{"exists":false}]}`)
	if p.Match(nil) {
		t.Error("Match(nil) = true")
	}
	if ok, err := p.MatchJSON([]byte(`{"a":`)); err == nil || ok {
		t.Errorf("MatchJSON(bad) = %v, %v; want error", ok, err)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustCompile did not panic on a bad pattern")
		}
	}()
	MustCompile(`{"a":[]}`)
}

func TestSet(t *testing.T) {
	s := NewSet()
	for _, r := range []struct{ name, pat string }{
		{"high", `{"detail":{"severity":[{"numeric":[">=",7]}]}}`},
		{"ssh", `{"detail":{"type":[{"suffix":"SSHBruteForce"}]}}`},
		{"recon-or-crypto", `{"detail":{"type":[{"prefix":"Recon:"}]}}`},
		{"recon-or-crypto", `{"detail":{"type":[{"prefix":"CryptoCurrency:"}]}}`},
		{"never", `{"source":["aws.other"]}`},
	} {
		if err := s.Add(r.name, []byte(r.pat)); err != nil {
			t.Fatal(err)
		}
	}
	if s.Len() != 4 {
		t.Errorf("Len = %d, want 4", s.Len())
	}
	got, err := s.MatchesJSON([]byte(`{"detail":{"severity":8,"type":"CryptoCurrency:EC2/BitcoinTool.B!DNS"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "high,recon-or-crypto"; strings.Join(got, ",") != want {
		t.Errorf("matches = %v, want %s", got, want)
	}
	got = s.Matches(fastjson.MustParse(`{"detail":{"severity":2,"type":"UnauthorizedAccess:EC2/SSHBruteForce"}}`))
	if want := "ssh"; strings.Join(got, ",") != want {
		t.Errorf("matches = %v, want %s", got, want)
	}
	err = s.Add("broken", []byte(`{"a":[{"numeric":[">"]}]}`))
	var pe *Error
	if err == nil || !strings.Contains(err.Error(), `"broken"`) || !errors.As(err, &pe) {
		t.Errorf("Add(broken) = %v; want a wrapped *Error naming the rule", err)
	}
	if _, err := s.MatchesJSON([]byte(`nope`)); err == nil {
		t.Error("MatchesJSON(bad) succeeded")
	}
}

// TestMatchDoesNotAllocate covers every operator on the hot path.
func TestMatchDoesNotAllocate(t *testing.T) {
	raw, err := os.ReadFile("testdata/guardduty_finding_event.json")
	if err != nil {
		t.Fatal(err)
	}
	ev := fastjson.MustParseBytes(raw)
	pats := []*Pattern{
		MustCompile(`{"source":["aws.guardduty"],"detail-type":["GuardDuty Finding"],"detail":{"severity":[{"numeric":[">=",4,"<",9]}]}}`),
		MustCompile(`{"detail":{"type":[{"prefix":{"equals-ignore-case":"unauthorizedaccess:"}},{"suffix":{"equals-ignore-case":"bruteforce"}},{"equals-ignore-case":"x"},{"wildcard":"*EC2*Force"}]}}`),
		MustCompile(`{"detail":{"service":{"action":{"networkConnectionAction":{"remoteIpDetails":{"ipAddressV4":[{"cidr":"203.0.113.0/24"},"2001:db8::1"]}}}}}}`),
		MustCompile(`{"detail":{"resource":{"instanceDetails":{"tags":{"key":[{"anything-but":{"prefix":["aws:"]}}],"value":[{"anything-but":{"wildcard":"*-test"}}]},"networkInterfaces":{"ipv6Addresses":[{"cidr":"2001:db8::/32"}]}}}}}`),
		MustCompile(`{"detail":{"$or":[{"accountId":[{"anything-but":["1","2"]}]},{"severity":[{"anything-but":[1,2]}]}],"service":{"count":[{"exists":true}],"missing":[{"exists":false}]}}}`),
		MustCompile(`{"detail":{"resource":{"instanceDetails":{"platform":[null],"instanceState":[{"anything-but":{"equals-ignore-case":"STOPPED"}}],"tags":{"key":[{"exists":false}]}}}}}`),
	}
	want := []bool{true, true, true, true, true, false}
	for i, p := range pats {
		if got := p.Match(ev); got != want[i] {
			t.Fatalf("pattern %d: match = %v, want %v", i, got, want[i])
		}
	}
	allocs := testing.AllocsPerRun(100, func() {
		for _, p := range pats {
			p.Match(ev)
		}
	})
	if allocs != 0 {
		t.Errorf("Match allocates %.1f times per run", allocs)
	}
}

func TestConcurrentMatch(t *testing.T) {
	raw, err := os.ReadFile("testdata/guardduty_finding_event.json")
	if err != nil {
		t.Fatal(err)
	}
	p := MustCompile(`{"detail":{"resource":{"instanceDetails":{"tags":{"key":["Environment"],"value":["production"]}}}}}`)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				// Each goroutine parses its own event; the pattern is shared.
				if ok, err := p.MatchJSON(raw); !ok || err != nil {
					t.Errorf("MatchJSON = %v, %v", ok, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestWildcardParse(t *testing.T) {
	for _, tc := range []struct {
		in    string
		parts []string
	}{
		{"abc", []string{"abc"}},
		{"*", []string{"", ""}},
		{"a*b", []string{"a", "b"}},
		{`a\*b*`, []string{"a*b", ""}},
		{`\\*`, []string{`\`, ""}},
		{"*x*", []string{"", "x", ""}},
	} {
		w, err := parseWildcard(tc.in)
		if err != nil {
			t.Errorf("parseWildcard(%q): %v", tc.in, err)
			continue
		}
		if strings.Join(w.parts, "|") != strings.Join(tc.parts, "|") || len(w.parts) != len(tc.parts) {
			t.Errorf("parseWildcard(%q) = %q, want %q", tc.in, w.parts, tc.parts)
		}
	}
}

func TestRequiredStrings(t *testing.T) {
	for _, tc := range []struct {
		pat  string
		path []string
		want string
	}{
		{`{"detail":{"accountId":["111122223333","444455556666"]}}`, []string{"detail", "accountId"}, "[111122223333 444455556666]"},
		{`{"detail":{"accountId":["1"],"type":[{"prefix":"Recon:"}]}}`, []string{"detail", "type"}, "[]"},
		{`{"detail":{"accountId":["1", {"prefix":"2"}]}}`, []string{"detail", "accountId"}, "[]"},
		{`{"$or":[{"detail":{"accountId":["1"]}},{"detail":{"accountId":["2"]}}]}`, []string{"detail", "accountId"}, "[1 2]"},
		{`{"$or":[{"detail":{"accountId":["1"]}},{"source":["x"]}]}`, []string{"detail", "accountId"}, "[]"},
		{`{"source":["aws.guardduty"]}`, []string{"detail", "accountId"}, "[]"},
	} {
		got := MustCompile(tc.pat).RequiredStrings(tc.path...)
		if s := fmt.Sprint(got); s != tc.want && !(tc.want == "[]" && got == nil) {
			t.Errorf("%s %v: %v, want %s", tc.pat, tc.path, got, tc.want)
		}
	}
}

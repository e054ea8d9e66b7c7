package findingstream

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fastjson"
)

func TestKey(t *testing.T) {
	var buf [64]byte
	for in, want := range map[string]string{
		"InstanceId": "instanceId", "S3BucketDetails": "s3BucketDetails", "Id": "id", "A": "a", "AWS::IAM::Role": "AWS::IAM::Role",
		"ID": "ID", "instanceId": "instanceId", "": "", "ÄB": "ÄB", strings.Repeat("X", 65): strings.Repeat("X", 65),
	} {
		if got := string(Key([]byte(in), &buf)); got != want {
			t.Errorf("Key(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAny(t *testing.T) {
	v := fastjson.MustParse(`{"A":[1,"s",true,false,null,{"Bc":{}}],"AWS::X":2.5}`)
	got, err := Any(v, true)
	want := map[string]any{"a": []any{1.0, "s", true, false, nil, map[string]any{"bc": map[string]any{}}}, "AWS::X": 2.5}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("%#v %v", got, err)
	}
	if got, _ := Any(v, false); got.(map[string]any)["A"] == nil {
		t.Error("keys changed without camel")
	}
	for _, in := range []string{`[NaN]`, `{"a":{"b":Inf}}`, `-Inf`} {
		if _, err := Any(fastjson.MustParse(in), false); err == nil || !strings.Contains(err.Error(), "not a JSON number") {
			t.Errorf("%s: %v", in, err)
		}
	}
}

func TestReader(t *testing.T) {
	v := fastjson.MustParse(`{"n":"12","f":1.5,"b":"true","t":"2026-01-02T03:04:05Z","e":"","x":"nope","o":{},"a":[],"s":["a","b"],"bad":["a",1]}`)
	var r Reader
	if n, ok := r.Num(v.Get("n"), "p", "n"); !ok || n != 12 {
		t.Error(n, ok)
	}
	if n, ok := r.Int(v.Get("f"), "p", "f", 0, 9); ok || n != 0 || r.Err == nil || r.Err.Error() != "field p.f: not an integer from 0 to 9: 1.5" {
		t.Error(n, ok, r.Err)
	}
	r.Err = nil
	if !r.Bool(v.Get("b"), "", "b") || !r.Time(v.Get("t"), "", "t").Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) || !r.Time(v.Get("e"), "", "e").IsZero() {
		t.Error("bool or time")
	}
	if _, ok := r.Num(v.Get("e"), "", "e"); ok || r.Err != nil {
		t.Error("empty string is no number, and no error")
	}
	if r.Object(v.Get("o"), "", "o") == nil || r.Array(v.Get("a"), "", "a") == nil && v.Get("a").Type() != fastjson.TypeArray {
		t.Error("object or array")
	}
	if s := r.Strings(v.Get("s"), "", "s"); !reflect.DeepEqual(s, []string{"a", "b"}) || r.Err != nil {
		t.Error(s, r.Err)
	}
	r.Strings(v.Get("bad"), "p", "bad")
	r.Bool(v.Get("x"), "p", "x") // a second error: the first one wins
	if r.Err == nil || r.Err.Error() != "field p.bad[1]: expected a string, got number" {
		t.Error(r.Err)
	}
	if Join("", "a") != "a" || Join("a", "") != "a" || Join("a", "b") != "a.b" {
		t.Error("Join")
	}
}

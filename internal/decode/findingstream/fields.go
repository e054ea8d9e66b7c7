package findingstream

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/event"
)

// Reader reads typed fields out of a finding's JSON, keeping the first
// error: a mapper reads every field, then checks Err once. A field is
// named in errors by its path ("service.action") and name ("count"),
// joined only when something is wrong, so reading allocates nothing.
//
// Strings returned borrow the parser's memory (see package event).
type Reader struct {
	Err error
}

// Join names a field: Join("service", "count") is "service.count".
func Join(path, name string) string {
	switch {
	case path == "":
		return name
	case name == "":
		return path
	}
	return path + "." + name
}

// Fail records an error about a field (the first one wins).
func (r *Reader) Fail(path, name, format string, args ...any) {
	if r.Err == nil {
		r.Err = fmt.Errorf("field %s: %s", Join(path, name), fmt.Sprintf(format, args...))
	}
}

// Wrong records a field of the wrong JSON type.
func (r *Reader) Wrong(path, name, want string, got fastjson.Type) {
	r.Fail(path, name, "expected %s, got %s", want, got)
}

// Str reads a string ("" for null).
func (r *Reader) Str(v *fastjson.Value, path, name string) string {
	switch t := v.Type(); t {
	case fastjson.TypeString:
		return event.B2S(v.GetStringBytes())
	case fastjson.TypeNull:
	default:
		r.Wrong(path, name, "a string", t)
	}
	return ""
}

// Num reads a number, or a string holding one (ASFF ProductFields and
// some exports write numbers as strings). ok is false for null and "".
// NaN and infinities are errors.
func (r *Reader) Num(v *fastjson.Value, path, name string) (f float64, ok bool) {
	var err error
	switch t := v.Type(); t {
	case fastjson.TypeNumber:
		f, err = v.Float64()
	case fastjson.TypeString:
		s := event.B2S(v.GetStringBytes())
		if s == "" {
			return 0, false
		}
		f, err = strconv.ParseFloat(s, 64)
	case fastjson.TypeNull:
		return 0, false
	default:
		r.Wrong(path, name, "a number", t)
		return 0, false
	}
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		r.Fail(path, name, "not a number: %s", clip(v.String(), 40))
		return 0, false
	}
	return f, true
}

// Int reads an integer from lo to hi (see Num).
func (r *Reader) Int(v *fastjson.Value, path, name string, lo, hi int64) (int64, bool) {
	f, ok := r.Num(v, path, name)
	if !ok {
		return 0, false
	}
	if f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
		r.Fail(path, name, "not an integer from %d to %d: %s", lo, hi, clip(v.String(), 40))
		return 0, false
	}
	return int64(f), true
}

// Bool reads a boolean, or the string "true" or "false" (false for null).
func (r *Reader) Bool(v *fastjson.Value, path, name string) bool {
	switch t := v.Type(); t {
	case fastjson.TypeTrue:
		return true
	case fastjson.TypeFalse, fastjson.TypeNull:
		return false
	case fastjson.TypeString:
		switch string(v.GetStringBytes()) {
		case "true", "True", "TRUE":
			return true
		case "false", "False", "FALSE", "":
			return false
		}
		r.Fail(path, name, "not a boolean: %s", clip(v.String(), 40))
	default:
		r.Wrong(path, name, "a boolean", t)
	}
	return false
}

// Time reads a timestamp string (decode.ParseTime); null and "" are the
// zero time.
func (r *Reader) Time(v *fastjson.Value, path, name string) time.Time {
	switch t := v.Type(); t {
	case fastjson.TypeString:
		b := v.GetStringBytes()
		if len(b) == 0 {
			return time.Time{}
		}
		tm, err := decode.ParseTime(b)
		if err != nil {
			r.Fail(path, name, "%v", err)
		}
		return tm
	case fastjson.TypeNull:
	default:
		r.Wrong(path, name, "a string", t)
	}
	return time.Time{}
}

// Object reads an object (nil for null).
func (r *Reader) Object(v *fastjson.Value, path, name string) *fastjson.Object {
	switch t := v.Type(); t {
	case fastjson.TypeObject:
		o, _ := v.Object()
		return o
	case fastjson.TypeNull:
	default:
		r.Wrong(path, name, "an object", t)
	}
	return nil
}

// Array reads an array (nil for null).
func (r *Reader) Array(v *fastjson.Value, path, name string) []*fastjson.Value {
	switch t := v.Type(); t {
	case fastjson.TypeArray:
		a, _ := v.Array()
		return a
	case fastjson.TypeNull:
	default:
		r.Wrong(path, name, "an array", t)
	}
	return nil
}

// Strings reads an array of strings (nil for null or an empty array).
func (r *Reader) Strings(v *fastjson.Value, path, name string) []string {
	arr := r.Array(v, path, name)
	if len(arr) == 0 {
		return nil
	}
	out := make([]string, 0, len(arr))
	for i, s := range arr {
		if s.Type() != fastjson.TypeString {
			r.Wrong(path, name+"["+strconv.Itoa(i)+"]", "a string", s.Type())
			return nil
		}
		out = append(out, event.B2S(s.GetStringBytes()))
	}
	return out
}

// Key returns an object key with its first letter lowered when the key is
// PascalCase ("InstanceId" → "instanceId", "S3BucketDetails" →
// "s3BucketDetails"), so that the AWS CLI's and SDKs' shape of a GuardDuty
// finding (botocore's member names) reads like the JSON API's. A key whose
// second letter is upper case too ("AWS::IAM::Role", "ID") is kept. The
// result borrows buf or k.
func Key(k []byte, buf *[64]byte) []byte {
	if len(k) == 0 || len(k) > len(buf) || k[0] < 'A' || k[0] > 'Z' || (len(k) > 1 && k[1] >= 'A' && k[1] <= 'Z') {
		return k
	}
	n := copy(buf[:], k)
	buf[0] += 'a' - 'A'
	return buf[:n]
}

// Any converts a JSON value to what encoding/json would decode it to
// (map[string]any, []any, float64, string, bool, nil), for
// Service.AdditionalInfo. With camel set, object keys go through Key.
// Strings borrow the parser's memory. A number that is not a finite JSON
// number (fastjson accepts NaN) is an error.
func Any(v *fastjson.Value, camel bool) (any, error) {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		m := make(map[string]any, o.Len())
		var err error
		var kb [64]byte
		o.Visit(func(k []byte, fv *fastjson.Value) {
			if err != nil {
				return
			}
			var x any
			if x, err = Any(fv, camel); err != nil {
				return
			}
			m[KeyString(k, camel, &kb)] = x
		})
		return m, err
	case fastjson.TypeArray:
		arr, _ := v.Array()
		out := make([]any, len(arr))
		for i, el := range arr {
			x, err := Any(el, camel)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case fastjson.TypeString:
		return event.B2S(v.GetStringBytes()), nil
	case fastjson.TypeNumber:
		f, err := v.Float64()
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("not a JSON number: %s", clip(v.String(), 40))
		}
		return f, nil
	case fastjson.TypeTrue:
		return true, nil
	case fastjson.TypeFalse:
		return false, nil
	}
	return nil, nil
}

// KeyString returns k as a map key: borrowed when unchanged, else (a
// PascalCase key lowered when camel is set) a new string.
func KeyString(k []byte, camel bool, buf *[64]byte) string {
	if camel && len(k) > 0 {
		if nk := Key(k, buf); &nk[0] != &k[0] {
			return string(nk)
		}
	}
	return event.B2S(k)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// AddTimes records a producer's createdAt and updatedAt in a finding's
// AdditionalInfo["source"] as RFC 3339 strings (what they read back as
// from JSON), when they are set: the detect engine stamps the finding's
// own createdAt and updatedAt with the time Picket raised it.
func AddTimes(src map[string]any, created, updated time.Time) {
	if !created.IsZero() {
		src["createdAt"] = created.Format(time.RFC3339Nano)
	}
	if !updated.IsZero() {
		src["updatedAt"] = updated.Format(time.RFC3339Nano)
	}
}

package pattern

import (
	"errors"
	"reflect"
	"strconv"

	"github.com/valyala/fastjson"
)

// number parses a JSON number value with correct rounding. fastjson's
// Float64 rounds twice when there is an exponent (3.018e2 and 301.8 come
// out different), so the number's text is parsed here. Overflow gives
// ±Inf, which still compares.
func number(v *fastjson.Value) (float64, bool) {
	s := numberText(v)
	if f, ok := parseExact(s); ok {
		return f, true
	}
	// Rare: more than 19 significant digits or a large exponent.
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil || errors.Is(err, strconv.ErrRange)
}

// textField is the index of fastjson.Value's unexported text field, or -1.
// fastjson has no accessor for a number's source text, and MarshalTo,
// which copies it, forces its buffer onto the heap. Reading the field
// through reflect keeps matching allocation-free. The layout is checked
// here once, and if a fastjson upgrade changes it, numberText falls back
// to MarshalTo.
var textField = func() int {
	f, ok := reflect.TypeFor[fastjson.Value]().FieldByName("s")
	if !ok || f.Type.Kind() != reflect.String || len(f.Index) != 1 {
		return -1
	}
	probe := fastjson.MustParse("3.018e2")
	if reflect.ValueOf(probe).Elem().Field(f.Index[0]).String() != "3.018e2" {
		return -1
	}
	return f.Index[0]
}()

func numberText(v *fastjson.Value) string {
	if textField >= 0 {
		return reflect.ValueOf(v).Elem().Field(textField).String()
	}
	return string(v.MarshalTo(nil))
}

var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseExact handles decimal numbers whose significand fits in 53 bits
// and whose decimal exponent is at most 22 in magnitude. Both the
// significand and the power of ten are then exact doubles, so a single
// IEEE multiply or divide rounds correctly (Clinger's fast path, as in
// strconv). It reports false for anything else.
func parseExact(b string) (float64, bool) {
	i, neg := 0, false
	if i < len(b) && b[i] == '-' {
		neg, i = true, i+1
	}
	var mant uint64
	digits, exp, sawDigit := 0, 0, false
	for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		sawDigit = true
		if mant == 0 && b[i] == '0' {
			continue
		}
		if digits == 19 {
			return 0, false
		}
		mant, digits = mant*10+uint64(b[i]-'0'), digits+1
	}
	if i < len(b) && b[i] == '.' {
		for i++; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
			sawDigit = true
			if mant == 0 && b[i] == '0' {
				exp--
				continue
			}
			if digits == 19 {
				return 0, false
			}
			mant, digits, exp = mant*10+uint64(b[i]-'0'), digits+1, exp-1
		}
	}
	if !sawDigit {
		return 0, false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg, i = b[i] == '-', i+1
		}
		e, start := 0, i
		for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
			if e > 1000 {
				return 0, false
			}
			e = e*10 + int(b[i]-'0')
		}
		if i == start {
			return 0, false
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if i != len(b) || mant > 1<<53 {
		return 0, false
	}
	f := float64(mant)
	switch {
	case mant == 0 || exp == 0:
	case exp > 0 && exp < len(pow10):
		f *= pow10[exp]
	case exp < 0 && -exp < len(pow10):
		f /= pow10[-exp]
	default:
		return 0, false
	}
	if neg {
		f = -f
	}
	return f, true
}

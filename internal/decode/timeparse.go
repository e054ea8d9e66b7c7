package decode

import (
	"fmt"
	"time"

	"github.com/valyala/fastjson"
)

// TimeField reads a JSON string field holding a timestamp (ParseTime),
// naming the field in its errors.
func TimeField(v *fastjson.Value, field string) (time.Time, error) {
	if v.Type() != fastjson.TypeString {
		return time.Time{}, fmt.Errorf("field %s: expected a string, got %s", field, v.Type())
	}
	b, _ := v.StringBytes()
	t, err := ParseTime(b)
	if err != nil {
		return t, fmt.Errorf("field %s: %w", field, err)
	}
	return t, nil
}

// ParseTime reads a log timestamp: RFC 3339 (as AWS services write them,
// "2006-01-02T15:04:05Z" with or without fractional seconds, through a fast
// path that allocates nothing), any other RFC 3339 time, or the
// space-separated UTC form some exports use ("2006-01-02 15:04:05"). The
// result is in UTC.
func ParseTime(b []byte) (time.Time, error) {
	if t, ok := fastTime(b); ok {
		return t, nil
	}
	s := string(b)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02 15:04:05.999999999", s); err == nil {
		return t, nil
	}
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return time.Time{}, fmt.Errorf("not a time: %q", s)
}

// fastTime parses exactly "YYYY-MM-DDTHH:MM:SS[.F…]Z" (1 to 9 fraction
// digits), accepting what time.Parse(time.RFC3339Nano) accepts for it.
func fastTime(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[len(b)-1] != 'Z' {
		return time.Time{}, false
	}
	y, ok1 := digits(b[0:4])
	mo, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	h, ok4 := digits(b[11:13])
	mi, ok5 := digits(b[14:16])
	s, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) || h > 23 || mi > 59 || s > 59 {
		return time.Time{}, false
	}
	ns := 0
	if frac := b[19 : len(b)-1]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		f, ok := digits(frac[1:])
		if !ok {
			return time.Time{}, false
		}
		for i := len(frac) - 1; i < 9; i++ {
			f *= 10
		}
		ns = f
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC), true
}

func digits(p []byte) (int, bool) {
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

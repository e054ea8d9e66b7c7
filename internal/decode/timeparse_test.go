package decode

import (
	"testing"
	"time"
)

func TestFastTime(t *testing.T) {
	tests := []struct {
		in   string
		fast bool // taken by the fast path
	}{
		{"2021-02-04T17:51:55Z", true},
		{"2017-03-16T19:20:25.177Z", true},
		{"2017-03-16T19:20:25.1Z", true},
		{"2017-03-16T19:20:25.123456789Z", true},
		{"2024-02-29T00:00:00Z", true},
		{"2000-02-29T23:59:59Z", true},
		{"2023-02-29T00:00:00Z", false},
		{"1900-02-29T00:00:00Z", false},
		{"2021-04-31T00:00:00Z", false},
		{"2021-13-01T00:00:00Z", false},
		{"2021-00-01T00:00:00Z", false},
		{"2021-01-00T00:00:00Z", false},
		{"2021-01-01T24:00:00Z", false},
		{"2021-01-01T23:60:00Z", false},
		{"2021-01-01T23:59:60Z", false},
		{"2017-03-16T19:20:25.Z", false},
		{"2017-03-16T19:20:25.1234567890Z", false},
		{"2017-03-16T19:20:25,123Z", false},
		{"2017-03-16T19:20:25.12a4Z", false},
		{"2017-03-16T19:20:25+00:00", false},
		{"2017-03-16 19:20:25Z", false},
		{"2017-3-16T19:20:25Z", false},
		{"+017-03-16T19:20:25Z", false},
	}
	for _, tc := range tests {
		got, ok := fastTime([]byte(tc.in))
		if ok != tc.fast {
			t.Errorf("fastTime(%q) ok = %v, want %v", tc.in, ok, tc.fast)
		}
		want, err := time.Parse(time.RFC3339Nano, tc.in)
		if ok && (err != nil || !got.Equal(want)) {
			t.Errorf("fastTime(%q) = %v, time.Parse says %v, %v", tc.in, got, want, err)
		}
	}
}

// FuzzFastTime checks the fast path against time.Parse.
func FuzzFastTime(f *testing.F) {
	f.Add("2021-02-04T17:51:55Z")
	f.Add("2017-03-16T19:20:25.177Z")
	f.Add("2024-02-29T23:59:59.999999999Z")
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := fastTime([]byte(s))
		if !ok {
			return
		}
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || !got.Equal(want) {
			t.Fatalf("fastTime(%q) = %v, time.Parse says %v, %v", s, got, want, err)
		}
	})
}

package vpcflow

import (
	"bytes"
	"net/netip"
	"strconv"
	"testing"
)

// paddings follow a token in the tests of the SWAR parsers, which look at
// the bytes after it: the end of the line, a separator and more fields,
// digits and dots (which must not be taken for part of it).
var paddings = []string{"", " ", "\t", " 1234567890123456789", " 10.0.0.1 ACCEPT OK", "\t....9999999999999999"}

func TestNumber(t *testing.T) {
	tests := []struct {
		in string
		v  uint64
		ok bool
	}{
		{"0", 0, true}, {"7", 7, true}, {"42", 42, true}, {"65535", 65535, true},
		{"12345678", 12345678, true}, {"123456789", 123456789, true},
		{"1728900000", 1728900000, true}, {"0000000000000001", 1, true},
		{"9999999999999999", 9999999999999999, true}, {"12345678901234567", 12345678901234567, true},
		{"9999999999999999999", 9999999999999999999, true}, // 19 digits
		{"10000000000000000000", 0, false},                 // 20 digits
		{"", 0, false}, {"-1", 0, false}, {"+1", 0, false}, {"1x", 0, false}, {"x1", 0, false},
		{"12345678x", 0, false}, {"1234567890123456x", 0, false}, {"1.5", 0, false}, {"1e3", 0, false},
		{"٣", 0, false}, {"1\x00", 0, false}, {"1/", 0, false}, {"1:", 0, false},
	}
	for _, tc := range tests {
		for _, pad := range paddings {
			b := []byte(tc.in + pad)
			if len(b) == 0 {
				continue
			}
			j, v, ok := number(b, 0)
			if ok != tc.ok || (ok && (v != tc.v || j != len(tc.in))) {
				t.Errorf("number(%q) = %d, %d, %v; want %d, %v", b, j, v, ok, tc.v, tc.ok)
			}
		}
	}
}

// FuzzNumber checks number against strconv.
func FuzzNumber(f *testing.F) {
	for _, s := range []string{"0", "123", "1728900000 ACCEPT", "99999999999999999999", "12345678x", "1 2"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		j, v, ok := number(b, 0)
		tok := b[:tokenEnd(b, 0)]
		w, err := strconv.ParseUint(string(tok), 10, 64)
		want := err == nil && len(tok) <= 19 && len(tok) > 0 && tok[0] != '+' && tok[0] != '-' && !bytes.ContainsRune(tok, '_')
		if ok != want || (ok && (v != w || j != len(tok))) {
			t.Fatalf("number(%q) = %d, %d, %v; strconv %d, %v", b, j, v, ok, w, err)
		}
	})
}

func TestParseAddr(t *testing.T) {
	tests := []string{
		"10.0.1.25", "0.0.0.0", "255.255.255.255", "1.2.3.4", "192.168.100.200", "100.100.100.100", "8.8.8.8",
		"256.1.1.1", "1.256.1.1", "01.2.3.4", "1.2.3.04", "1.02.3.4", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3",
		"1.2.3.", "1.2.3.4a", "999.1.1.1", "1234.1.1.1", "1.2.3.4444", "a.b.c.d", "1,2,3,4",
		"::1", "fe80::1", "2001:db8::7", "::ffff:192.0.2.128", "2001:db8:1234:a100:8d6e:3477:df66:f105",
		"fe80::1%eth0", "2001:db8::g1", "null", "-1", "1.2.3.4/24",
	}
	for _, s := range tests {
		for _, pad := range paddings {
			b := []byte(s + pad)
			var got netip.Addr
			var m addrMemo
			j, c := m.addr(b, 0, &got)
			want, err := netip.ParseAddr(s)
			if (c == eNone) != (err == nil) || got != want || j != len(s) {
				t.Errorf("parseAddr(%q) = %v, %v, %d; netip %v, %v", b, got, c, j, want, err)
			}
		}
	}
}

// FuzzParseAddr checks address parsing (and its IPv4 fast path) against
// netip.ParseAddr.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"10.0.1.25 x", "255.255.255.255", "01.2.3.4 1.2.3.4", "1.2.3.4.5", "::1", "1.2.3.4\t99"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 || sep[b[0]] {
			return
		}
		var got netip.Addr
		var m addrMemo
		j, c := m.addr(b, 0, &got)
		tok := b[:tokenEnd(b, 0)]
		// The same token again comes from the memo.
		if c == eNone {
			var again netip.Addr
			if _, c2 := m.addr(b, 0, &again); c2 != eNone || again != got {
				t.Fatalf("memo: %v, %v; want %v", again, c2, got)
			}
		}
		want, err := netip.ParseAddr(string(tok))
		if (c == eNone) != (err == nil) || got != want || j != len(tok) {
			t.Fatalf("parseAddr(%q) = %v, %v, %d; netip %v, %v", b, got, c, j, want, err)
		}
	})
}

func TestTokenEnd(t *testing.T) {
	for _, s := range []string{"", "a", "eni-0a1b2c3d4e5f60718", "12345678", "1234567", "123456789", "x\ty", "a b", "\x00\x01\xff ", "0123456789abcdef0123456789abcdef "} {
		want := bytes.IndexAny([]byte(s), " \t")
		if want < 0 {
			want = len(s)
		}
		if got := tokenEnd([]byte(s), 0); got != want {
			t.Errorf("tokenEnd(%q) = %d, want %d", s, got, want)
		}
	}
}

package receiver

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseFirehose(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 100)
	tests := []struct {
		name    string
		body    string
		limit   int64
		want    string
		wantN   int
		wantID  string
		wantErr string
		tooBig  bool
	}{
		{name: "two records", body: string(envelope("id1", []byte("a"), []byte("b\n"))), limit: 100, want: "a\nb", wantN: 2, wantID: "id1"},
		{name: "empty records skipped", body: string(envelope("id2", []byte("\n"), []byte("a"), []byte(""))), limit: 100, want: "a", wantN: 1, wantID: "id2"},
		{name: "no records", body: `{"requestId":"x","timestamp":1,"records":[]}`, limit: 100, wantID: "x"},
		{name: "multi-line record kept", body: string(envelope("", []byte("l1\nl2\r\n"))), limit: 100, want: "l1\nl2", wantN: 1},
		{name: "unknown fields ignored", body: `{"records":[{"data":"YQ==","extra":1}],"other":true}`, limit: 100, want: "a", wantN: 1},
		{name: "exact limit", body: string(envelope("", []byte("ab"), []byte("cd"))), limit: 5, want: "ab\ncd", wantN: 2},
		{name: "over limit with separator", body: string(envelope("", []byte("ab"), []byte("cd"))), limit: 4, tooBig: true},
		{name: "over limit", body: string(envelope("", big)), limit: 99, tooBig: true},
		{name: "gzip record over limit", body: string(envelope("", gz(t, big))), limit: 99, tooBig: true},
		{name: "gzip record at limit", body: string(envelope("", gz(t, big))), limit: 100, want: string(big), wantN: 1},
		{name: "array", body: `[{"data":"YQ=="}]`, limit: 100, wantErr: "not a JSON envelope"},
		{name: "null records", body: `{"records":null}`, limit: 100, wantErr: `missing "records"`},
		{name: "records not array", body: `{"records":{"data":"YQ=="}}`, limit: 100, wantErr: "not a JSON envelope"},
		{name: "data not string", body: `{"records":[{"data":5}]}`, limit: 100, wantErr: "not a JSON envelope"},
		{name: "unpadded base64", body: `{"records":[{"data":"YQ"}]}`, limit: 100, wantErr: "not valid base64"},
		{name: "url base64", body: `{"records":[{"data":"-_-_"}]}`, limit: 100, wantErr: "not valid base64"},
		{name: "truncated gzip", body: string(envelope("", gz(t, big)[:12])), limit: 1000, wantErr: "record 0: invalid gzip data"},
		{name: "two envelopes", body: `{"records":[]}{"records":[]}`, limit: 100, wantErr: "trailing data"},
		{name: "empty body", body: ``, limit: 100, wantErr: "not a JSON envelope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, n, id, err := parseFirehose([]byte(tc.body), tc.limit)
			if tc.tooBig {
				var tl *tooLargeError
				if !errors.As(err, &tl) {
					t.Fatalf("err = %v, want too large", err)
				}
				return
			}
			if tc.wantErr != "" {
				var ee *envelopeError
				if !errors.As(err, &ee) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want envelope error %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if string(out) != tc.want || n != tc.wantN || id != tc.wantID {
				t.Errorf("got %q n=%d id=%q, want %q n=%d id=%q", out, n, id, tc.want, tc.wantN, tc.wantID)
			}
		})
	}
}

func TestGunzipLimit(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 1000)
	z := gz(t, data)
	if out, err := gunzipLimit(z, int64(len(data))); err != nil || !bytes.Equal(out, data) {
		t.Fatalf("at limit: %v", err)
	}
	var tl *tooLargeError
	if _, err := gunzipLimit(z, int64(len(data))-1); !errors.As(err, &tl) {
		t.Fatalf("over limit: %v", err)
	}
	// Concatenated members are one stream.
	two := append(append([]byte{}, z...), gz(t, []byte("tail"))...)
	if out, err := gunzipLimit(two, 1<<20); err != nil || !bytes.HasSuffix(out, []byte("tail")) || len(out) != len(data)+4 {
		t.Fatalf("two members: %d bytes, %v", len(out), err)
	}
	if _, err := gunzipLimit([]byte("not gzip"), 100); err == nil || errors.As(err, &tl) {
		t.Fatalf("not gzip: %v", err)
	}
}

// FuzzParseFirehose checks that the envelope parser never panics, only
// returns its two error kinds, respects the limit, and that what it returns
// survives a round trip through a fresh envelope.
func FuzzParseFirehose(f *testing.F) {
	f.Add([]byte(`{"requestId":"a","timestamp":1,"records":[{"data":"YQ=="},{"data":"Yg=="}]}`), int64(100))
	f.Add([]byte(`{"records":[{"data":"H4sIAAAAAAAA/0tMTAQAEAvEBQMAAAA="}]}`), int64(10))
	f.Add([]byte(`{"records":[{"data":"!!"}]}`), int64(10))
	f.Add([]byte(`{"records":null}`), int64(0))
	f.Add([]byte(`{"records":[{}]}`), int64(10))
	f.Add([]byte(`[1,2]`), int64(10))
	f.Add(envelope("seed", gz(f, bytes.Repeat([]byte("z"), 500)), []byte("line\n")), int64(300))
	f.Fuzz(func(t *testing.T, body []byte, limit int64) {
		if limit < 0 {
			limit = -limit
		}
		limit %= 1 << 16
		out, n, _, err := parseFirehose(body, limit)
		if err != nil {
			var tl *tooLargeError
			var ee *envelopeError
			if !errors.As(err, &tl) && !errors.As(err, &ee) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			if out != nil || n != 0 {
				t.Fatalf("output with an error: %q, %d", out, n)
			}
			return
		}
		if int64(len(out)) > limit {
			t.Fatalf("output %d bytes over limit %d", len(out), limit)
		}
		if (n == 0) != (len(out) == 0) {
			t.Fatalf("n = %d with %d bytes", n, len(out))
		}
		if n == 0 {
			return
		}
		// Re-wrapping the output as one record gives the same output
		// (unless it starts with the gzip magic, which would be unpacked).
		if bytes.HasPrefix(out, gzipMagic) {
			return
		}
		again, n2, _, err := parseFirehose(envelope("r", out), limit)
		if err != nil || n2 != 1 || !bytes.Equal(again, out) {
			t.Fatalf("round trip: %q (n=%d, %v), want %q", again, n2, err, out)
		}
	})
}

func TestSeenCache(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

	c := newSeenCache(3, true)
	if r, _ := c.begin("a", at(0), at(10)); r != beginNew {
		t.Fatalf("a: %v", r)
	}
	if r, _ := c.begin("a", at(1), at(11)); r != beginPending {
		t.Fatalf("a again: %v", r)
	}
	c.complete("a", at(10), 200, "")
	if r, e := c.begin("a", at(2), at(12)); r != beginDone || e.status != 200 {
		t.Fatalf("a done: %v %+v", r, e)
	}
	c.begin("b", at(0), at(20))
	c.begin("c", at(0), at(5)) // expires before b: not at the queue front
	if r, _ := c.begin("d", at(3), at(13)); r != beginFull {
		t.Fatalf("d while full: %v", r)
	}
	// At 6, c (not at the front) has expired: a full scan finds it.
	if r, _ := c.begin("d", at(6), at(16)); r != beginNew {
		t.Fatalf("d after c expired: %v", r)
	}
	if r, _ := c.begin("c", at(6), at(16)); r != beginFull {
		t.Fatalf("c again while full: %v", r)
	}
	c.release("b")
	if r, _ := c.begin("c", at(6), at(16)); r != beginNew {
		t.Fatalf("c after release: %v", r)
	}
	// At 10, a expires; at 20 everything older.
	if r, _ := c.begin("a", at(10), at(30)); r != beginNew {
		t.Fatalf("a after expiry: %v", r)
	}
	if n := c.len(); n != 3 {
		t.Fatalf("len %d", n)
	}

	// An evicting cache drops the oldest live entry when full.
	e := newSeenCache(2, false)
	e.begin("x", at(0), at(100))
	e.begin("y", at(0), at(100))
	e.complete("x", at(100), 200, "")
	e.complete("y", at(100), 200, "")
	if r, _ := e.begin("z", at(1), at(100)); r != beginNew {
		t.Fatalf("z: %v", r)
	}
	if r, _ := e.begin("y", at(1), at(100)); r != beginDone {
		t.Fatalf("y should be kept: %v", r)
	}
	// x was evicted: it is new again (and evicts the oldest live one).
	if r, _ := e.begin("x", at(1), at(100)); r != beginNew {
		t.Fatalf("x should have been evicted: %v", r)
	}
	if n := e.len(); n != 2 {
		t.Fatalf("len %d", n)
	}
}

func TestSeenCacheQueueBounded(t *testing.T) {
	c := newSeenCache(10, false)
	t0 := time.Unix(0, 0)
	for i := range 10000 {
		now := t0.Add(time.Duration(i) * time.Millisecond)
		key := string(rune('a' + i%26))
		c.begin(key, now, now.Add(time.Hour))
		c.complete(key, now.Add(time.Hour), 200, "")
		if i%3 == 0 {
			c.release(key)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 10 || len(c.q) > 2*10+16+1 {
		t.Fatalf("map %d, queue %d", len(c.m), len(c.q))
	}
}

func TestEnvelopeHelper(t *testing.T) {
	// The test helper itself: standard padded base64.
	b := envelope("i", []byte("a"))
	if !bytes.Contains(b, []byte(`"data":"`+base64.StdEncoding.EncodeToString([]byte("a"))+`"`)) {
		t.Fatalf("%s", b)
	}
}

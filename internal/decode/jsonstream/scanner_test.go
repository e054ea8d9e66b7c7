package jsonstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

type got struct {
	items []string // record text, or "ERR:<substring>"
	offs  []int64
	lines []int64
}

func scanAll(t testing.TB, in string, max int, oneByte bool) got {
	var r io.Reader = strings.NewReader(in)
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	s := NewScanner(r, max, "Records", "Events")
	var g got
	for i := 0; i < 10000; i++ {
		it, err := s.Next()
		if err == io.EOF {
			return g
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if it.Err != nil {
			g.items = append(g.items, "ERR:"+it.Err.Error())
		} else {
			g.items = append(g.items, string(it.Bytes))
		}
		g.offs = append(g.offs, it.Offset)
		g.lines = append(g.lines, it.Line)
	}
	t.Fatal("scanner did not finish")
	return g
}

func TestScanner(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		items []string // exact record text, or "ERR:" + substring of the error
		offs  []int64
		lines []int64
	}{
		{"json lines", "{\"a\":1}\n{\"b\":2}\n", []string{`{"a":1}`, `{"b":2}`}, []int64{0, 8}, []int64{1, 2}},
		{"concatenated", `{"a":1}{"b":"}"}`, []string{`{"a":1}`, `{"b":"}"}`}, []int64{0, 7}, nil},
		{"records container", `{"Records":[{"a":1},{"b":[2,{"c":3}]}]}`, []string{`{"a":1}`, `{"b":[2,{"c":3}]}`}, []int64{12, 20}, nil},
		{"records pretty", "{\n  \"Records\": [\n    {\"a\": 1},\n    {\"b\": 2}\n  ]\n}\n", []string{`{"a": 1}`, `{"b": 2}`}, nil, []int64{3, 4}},
		{"container then other keys", `{"Events":[{"a":1}],"NextToken":"x{"}{"c":1}`, []string{`{"a":1}`, `{"c":1}`}, nil, nil},
		{"not a container key", `{"Other":[{"a":1}]}`, []string{`{"Other":[{"a":1}]}`}, nil, nil},
		{"top-level array", `[{"a":1}, {"b":2}]`, []string{`{"a":1}`, `{"b":2}`}, nil, nil},
		{"escaped quotes", `{"a":"x\"}y\\"}` + "\n", []string{`{"a":"x\"}y\\"}`}, nil, nil},
		{"truncated compact line", "{\"a\":1,\"b\":{\"c\":2\n{\"d\":3}\n", []string{"ERR:line ends inside the record", `{"d":3}`}, []int64{0, 18}, []int64{1, 2}},
		{"line cut in a string", "{\"a\":\"xy\n{\"d\":3}\n", []string{"ERR:line ends inside a string", `{"d":3}`}, nil, []int64{1, 2}},
		{"pretty object", "{\n  \"a\": {\n    \"b\": 1\n  }\n}\n{\"c\":1}", []string{"{\n  \"a\": {\n    \"b\": 1\n  }\n}", `{"c":1}`}, nil, []int64{1, 6}},
		{"garbage line", "hello world\n{\"a\":1}\n", []string{"ERR:expected an object", `{"a":1}`}, nil, []int64{1, 2}},
		{"eof inside value", `{"a":[1,2`, []string{"ERR:truncated"}, nil, nil},
		{"eof inside container", `{"Records":[{"a":1},`, []string{`{"a":1}`, "ERR:inside an array"}, nil, nil},
		{"broken element resyncs", "{\"Records\": [\n  {\"a\": \"x\n  \"},\n  {\"b\": 2}\n]}", []string{"ERR:raw newline", `{"b": 2}`}, nil, nil},
		{"unbalanced close", "}\n{\"a\":1}", []string{"ERR:expected an object", `{"a":1}`}, nil, nil},
		{"empty", "  \n ", nil, nil, nil},
		{"empty array", "[]", nil, nil, nil},
		{"crlf lines", "{\"a\":1}\r\n{\"b\":2}\r\n", []string{`{"a":1}`, `{"b":2}`}, nil, []int64{1, 2}},
	}
	for _, tc := range tests {
		for _, oneByte := range []bool{false, true} {
			name := tc.name
			if oneByte {
				name += "/one-byte reads"
			}
			t.Run(name, func(t *testing.T) {
				g := scanAll(t, tc.in, 0, oneByte)
				if len(g.items) != len(tc.items) {
					t.Fatalf("items = %q, want %q", g.items, tc.items)
				}
				for i, want := range tc.items {
					if strings.HasPrefix(want, "ERR:") {
						if !strings.HasPrefix(g.items[i], "ERR:") || !strings.Contains(g.items[i], want[4:]) {
							t.Errorf("item %d = %q, want error containing %q", i, g.items[i], want[4:])
						}
					} else if g.items[i] != want {
						t.Errorf("item %d = %q, want %q", i, g.items[i], want)
					}
				}
				for i, o := range tc.offs {
					if g.offs[i] != o {
						t.Errorf("offset %d = %d, want %d", i, g.offs[i], o)
					}
				}
				for i, l := range tc.lines {
					if g.lines[i] != l {
						t.Errorf("line %d = %d, want %d", i, g.lines[i], l)
					}
				}
			})
		}
	}
}

func TestScannerTooLarge(t *testing.T) {
	big := `{"a":"` + strings.Repeat("x", 5000) + `"}`
	for _, oneByte := range []bool{false, true} {
		g := scanAll(t, `{"s":1}`+"\n"+big+"\n"+`{"t":2}`, 1000, oneByte)
		if len(g.items) != 3 || !strings.Contains(g.items[1], "maximum record size") || g.items[2] != `{"t":2}` {
			t.Fatalf("items = %.80q", g.items)
		}
		if g.offs[1] != 8 || g.lines[2] != 3 {
			t.Errorf("offsets %v lines %v", g.offs, g.lines)
		}
	}
}

// A reader that fails after some bytes stands for a corrupt gzip stream.
func TestScannerReadError(t *testing.T) {
	in := `{"a":1}` + "\n" + `{"b":2}` + "\n"
	boom := errors.New("gzip: invalid checksum")
	r := io.MultiReader(strings.NewReader(in), iotest.ErrReader(boom))
	s := NewScanner(r, 0)
	var items []Item
	for {
		it, err := s.Next()
		if err == io.EOF {
			break
		}
		items = append(items, Item{Bytes: bytes.Clone(it.Bytes), Err: it.Err, Offset: it.Offset})
	}
	if len(items) != 3 || items[2].Err == nil || !errors.Is(items[2].Err, boom) || items[2].Offset != int64(len(in)) {
		t.Fatalf("items = %+v", items)
	}
}

func FuzzScanner(f *testing.F) {
	for _, s := range []string{`{"Records":[{"a":1},{"b":2}]}`, "{\"a\":1}\n{\"b\"", `[{"a":"\"}"}]`, "{\n\"Events\": [\n{}\n]\n}", "x\n}]{"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s := NewScanner(iotest.HalfReader(bytes.NewReader(in)), 64, "Records", "Events")
		var last int64 = -1
		for i := 0; ; i++ {
			it, err := s.Next()
			if err == io.EOF {
				break
			}
			if i > len(in)+2 {
				t.Fatalf("more items (%d) than input bytes", i)
			}
			if it.Offset < last || it.Offset > int64(len(in)) {
				t.Fatalf("offset %d after %d (input %d bytes)", it.Offset, last, len(in))
			}
			last = it.Offset
			if it.Err == nil && !bytes.Equal(in[it.Offset:it.Offset+int64(len(it.Bytes))], it.Bytes) {
				t.Fatalf("item bytes do not match the input at offset %d", it.Offset)
			}
		}
		// A compact valid object, written twice as JSON lines, comes back
		// as exactly two good records equal to it.
		obj := bytes.TrimSpace(in)
		if len(obj) == 0 || obj[0] != '{' || bytes.IndexByte(obj, '\n') >= 0 || !json.Valid(obj) {
			return
		}
		lines := append(append(append([]byte{}, obj...), '\n'), obj...)
		s = NewScanner(iotest.OneByteReader(bytes.NewReader(lines)), len(obj)+1)
		for i := 0; i < 2; i++ {
			it, err := s.Next()
			if err != nil || it.Err != nil || !bytes.Equal(it.Bytes, obj) {
				t.Fatalf("record %d of %q: %q, %v, %v", i, lines, it.Bytes, it.Err, err)
			}
		}
		if _, err := s.Next(); err != io.EOF {
			t.Fatalf("more than two records in %q", lines)
		}
	})
}

package jsonstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/picket-dev/picket/internal/bench"
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
		{"byte order mark", "\ufeff{\"a\":1}\n{\"b\":2}\n", []string{`{"a":1}`, `{"b":2}`}, []int64{3, 11}, []int64{1, 2}},
		{"byte order mark then container", "\ufeff{\"Records\":[{\"a\":1}]}", []string{`{"a":1}`}, []int64{15}, nil},
		{"byte order mark only", "\ufeff", nil, nil, nil},
		{"byte order mark then space", "\ufeff \n{\"a\":1}", []string{`{"a":1}`}, []int64{5}, []int64{2}},
		{"byte order mark later", "{\"a\":1}\n\ufeff{\"b\":2}", []string{`{"a":1}`, "ERR:expected an object", `{"b":2}`}, []int64{0, 8, 11}, []int64{1, 2, 2}},
		{"two byte order marks", "\ufeff\ufeff{\"a\":1}", []string{"ERR:expected an object", `{"a":1}`}, []int64{3, 6}, nil},
		{"part of a byte order mark", "\xef\xbb{\"a\":1}", []string{"ERR:expected an object", `{"a":1}`}, []int64{0, 2}, nil},
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

// The bytes of a broken array element stay valid until the next call to
// Next: skipping to the next element must not read over them first.
func TestScannerBadElementBytes(t *testing.T) {
	for _, ch := range chunkings {
		s := NewScanner(ch.wrap(strings.NewReader("[0\n1,\n{\"a\":1}]")), 0)
		it, err := s.Next()
		if err != nil || it.Err == nil || string(it.Bytes) != "0" || it.Tail {
			t.Errorf("%s reads: %q, %v, %v", ch.name, it.Bytes, it.Err, err)
		}
		if it, err = s.Next(); err != nil || it.Err != nil || string(it.Bytes) != `{"a":1}` {
			t.Errorf("%s reads: then %q, %v, %v", ch.name, it.Bytes, it.Err, err)
		}
	}
}

// rec is what the chunking tests and the fuzzer compare of an item.
type rec struct {
	Off, Line int64
	Bytes     string
	Err       string // Err.Error(), "" for a good item
	Tail      bool
}

// scanRecs scans r to the end and returns its items and the final Offset.
func scanRecs(t testing.TB, r io.Reader, max int, containers ...string) ([]rec, int64) {
	t.Helper()
	s := NewScanner(r, max, containers...)
	var out []rec
	for {
		it, err := s.Next()
		if err == io.EOF {
			return out, s.Offset()
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if len(out) > 1<<20 {
			t.Fatal("scanner did not finish")
		}
		r := rec{Off: it.Offset, Line: it.Line, Bytes: string(it.Bytes), Tail: it.Tail}
		if it.Err != nil {
			r.Err = it.Err.Error()
		}
		out = append(out, r)
	}
}

// chunkings read the same input in different pieces.
var chunkings = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"one-byte", iotest.OneByteReader},
	{"half", iotest.HalfReader},
	{"data-err", iotest.DataErrReader},
}

var errBoom = errors.New("gzip: invalid checksum")

func TestScannerTail(t *testing.T) {
	type want struct {
		err  string // substring of the error, "" for a good item
		tail bool
	}
	ok := want{"", false}
	big := `{"a":"` + strings.Repeat("x", 100) + `"}`
	tests := []struct {
		name string
		in   string
		fail bool // the reader fails with errBoom after in
		max  int
		want []want
	}{
		{"complete file", `{"Records":[{"a":1},{"b":2}]}`, false, 0, []want{ok, ok}},
		{"complete file, newline", "{\n\"Records\": [\n{\"a\":1},\n{\"b\":2}\n]\n}\n", false, 0, []want{ok, ok}},
		{"cut mid-record", `{"Records":[{"a":1},{"b":2,"c":"x`, false, 0, []want{ok, {"truncated", true}}},
		{"cut after a comma", `{"Records":[{"a":1},`, false, 0, []want{ok, {"inside an array", true}}},
		{"cut after the array", `{"Records":[{"a":1}]`, false, 0, []want{ok, {"inside the container object", true}}},
		{"cut in another key", `{"Records":[{"a":1}],"NextToken":"ab`, false, 0, []want{ok, {"truncated", true}}},
		{"top-level array cut", `[{"a":1}`, false, 0, []want{ok, {"inside an array", true}}},
		{"json lines, last line cut", "{\"a\":1}\n{\"b\":2}\n{\"c\":3,\"d", false, 0, []want{ok, ok, {"truncated", true}}},
		{"json lines, complete without newline", "{\"a\":1}\n{\"b\":2}", false, 0, []want{ok, ok}},
		{"cut line in the middle", "{\"a\":1}\n{\"b\":{\"c\":2\n{\"d\":3}\n{\"e\":4}\n", false, 0, []want{ok, {"line ends inside the record", false}, ok, ok}},
		{"garbage in the middle", "hello\n{\"a\":1}\n", false, 0, []want{{"expected an object", false}, ok}},
		{"garbage at the end", "{\"a\":1}\nhello", false, 0, []want{ok, {"expected an object", true}}},
		{"too large in the middle", big + "\n{\"a\":1}\n", false, 64, []want{{"maximum record size", false}, ok}},
		{"too large at the end", "{\"a\":1}\n" + big[:90], false, 64, []want{ok, {"maximum record size", true}}},
		{"read error between records", "{\"a\":1}\n{\"b\":2}\n", true, 0, []want{ok, ok, {"invalid checksum", true}}},
		{"read error in a record", "{\"a\":1}\n{\"b\":", true, 0, []want{ok, {"invalid checksum", true}}},
		{"read error in an array", `{"Records":[{"a":1},{"b"`, true, 0, []want{ok, {"invalid checksum", true}}},
		{"read error in garbage", "{\"a\":1}\nhel", true, 0, []want{ok, {"invalid checksum", true}}},
		{"read error in a too-large record", big[:90], true, 64, []want{{"invalid checksum", true}}},
		{"read error at once", "", true, 0, []want{{"invalid checksum", true}}},
		{"empty", "", false, 0, nil},
	}
	for _, tc := range tests {
		for _, ch := range chunkings {
			t.Run(tc.name+"/"+ch.name, func(t *testing.T) {
				var r io.Reader = strings.NewReader(tc.in)
				if tc.fail {
					r = io.MultiReader(r, iotest.ErrReader(errBoom))
				}
				s := NewScanner(ch.wrap(r), tc.max, "Records", "Events")
				var items []Item
				for len(items) < 100 {
					it, err := s.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("Next: %v", err)
					}
					items = append(items, it)
				}
				if len(items) != len(tc.want) {
					t.Fatalf("%d items, want %d: %+v", len(items), len(tc.want), items)
				}
				for i, w := range tc.want {
					it := items[i]
					if w.err == "" && it.Err != nil || w.err != "" && (it.Err == nil || !strings.Contains(it.Err.Error(), w.err)) {
						t.Errorf("item %d: err %v, want %q", i, it.Err, w.err)
					}
					if tc.fail && w.tail && !errors.Is(it.Err, errBoom) {
						t.Errorf("item %d: err %v does not wrap the read error", i, it.Err)
					}
					if it.Tail != w.tail {
						t.Errorf("item %d (%v): Tail = %v, want %v", i, it.Err, it.Tail, w.tail)
					}
				}
			})
		}
	}
}

// Item boundaries, and everything else about the items, do not depend on
// the sizes of the reads.
func TestScannerChunking(t *testing.T) {
	garbage := strings.Repeat("g", 66)
	// Longer than ContainerLookahead, which would otherwise have the whole
	// record read before it is scanned.
	str := `{"a":"` + strings.Repeat("x", 200)
	tests := []struct {
		name  string
		in    string
		items int
	}{
		{"garbage longer than max", garbage, 1},
		{"garbage longer than max, then a record", garbage + "\n{\"a\":1}", 2},
		{"long garbage in an array", "[" + garbage + garbage + garbage + ",{\"a\":1}]", 2},
		{"garbage of max bytes", garbage[:64] + "\n", 1},
		{"garbage of max+1 bytes", garbage[:65] + "\n", 1},
		{"long line with a raw newline in a string", str + "\n\"}\n{\"b\":2}", 3},
		{"long string with a raw newline", `"` + strings.Repeat("x", 200) + "\n{\"b\":2}", 2},
		{"long string in an array with a raw newline", `["` + strings.Repeat("x", 200) + "\n{\"b\":2}]", 2},
		{"long compact line cut", `{"a":1,"b":"` + strings.Repeat("y", 200) + `",` + "\n{\"b\":2}", 2},
		{"long record cut", str, 1},
		{"long record", str + `"}` + "\n{\"b\":2}", 2},
	}
	for _, tc := range tests {
		for _, containers := range [][]string{nil, {"Records"}} {
			t.Run(fmt.Sprintf("%s/containers=%q", tc.name, containers), func(t *testing.T) {
				want, wantOff := scanRecs(t, strings.NewReader(tc.in), 64, containers...)
				if len(want) != tc.items {
					t.Fatalf("%d items, want %d: %+v", len(want), tc.items, want)
				}
				for _, ch := range chunkings[1:] {
					got, off := scanRecs(t, ch.wrap(strings.NewReader(tc.in)), 64, containers...)
					if !slices.Equal(got, want) || off != wantOff {
						t.Errorf("%s reads: %+v (offset %d)\nwhole: %+v (offset %d)", ch.name, got, off, want, wantOff)
					}
				}
			})
		}
	}
}

// The same holds for streams bigger than the buffer, with records and
// garbage bigger than it, and the buffer stays bounded by the limit.
func TestScannerChunkingLarge(t *testing.T) {
	const max = 64 << 10
	var in bytes.Buffer
	in.Write(bench.LogFile(300))
	in.WriteString("\n" + strings.Repeat("g", 600<<10) + "\n")
	in.WriteString(`{"a":"` + strings.Repeat("x", 600<<10) + "\"}\n")
	in.Write(bench.LogFile(300))
	in.WriteString("\n" + strings.Repeat("h", 300<<10))
	want, wantOff := scanRecs(t, bytes.NewReader(in.Bytes()), max, "Records")
	if len(want) != 603 || want[300].Err == "" || want[301].Err == "" || !want[602].Tail {
		t.Fatalf("%d items", len(want))
	}
	for _, ch := range chunkings[1:] {
		got, off := scanRecs(t, ch.wrap(bytes.NewReader(in.Bytes())), max, "Records")
		if !slices.Equal(got, want) || off != wantOff {
			t.Errorf("%s reads differ from whole reads", ch.name)
		}
		s := NewScanner(ch.wrap(bytes.NewReader(in.Bytes())), max, "Records")
		for {
			if _, err := s.Next(); err != nil {
				break
			}
		}
		if len(s.buf) > 256<<10 {
			t.Errorf("%s reads: buffer grew to %d bytes", ch.name, len(s.buf))
		}
	}
}

func FuzzScanner(f *testing.F) {
	for _, s := range []string{`{"Records":[{"a":1},{"b":2}]}`, "{\"a\":1}\n{\"b\"", `[{"a":"\"}"}]`, "{\n\"Events\": [\n{}\n]\n}", "x\n}]{",
		"\ufeff{\"a\":1}", strings.Repeat("g", 66), "{\"a\":\"" + strings.Repeat("x", 70) + "\n\"}\n{}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		// The same input read in different pieces gives the same items,
		// with container keys and without (the container check reads ahead,
		// which can hide the effect of small reads).
		whole, off := scanRecs(t, bytes.NewReader(in), 64, "Records", "Events")
		plain, plainOff := scanRecs(t, bytes.NewReader(in), 64)
		for _, ch := range chunkings[1:] {
			got, gotOff := scanRecs(t, ch.wrap(bytes.NewReader(in)), 64, "Records", "Events")
			if !slices.Equal(got, whole) || gotOff != off {
				t.Fatalf("%s reads of %q:\n%+v (offset %d)\nwhole:\n%+v (offset %d)", ch.name, in, got, gotOff, whole, off)
			}
			got, gotOff = scanRecs(t, ch.wrap(bytes.NewReader(in)), 64)
			if !slices.Equal(got, plain) || gotOff != plainOff {
				t.Fatalf("%s reads of %q without containers:\n%+v (offset %d)\nwhole:\n%+v (offset %d)", ch.name, in, got, gotOff, plain, plainOff)
			}
		}
		if off != int64(len(in)) || plainOff != int64(len(in)) {
			t.Fatalf("offset %d (%d without containers) at the end of %d bytes", off, plainOff, len(in))
		}
		var last int64 = -1
		for i, it := range whole {
			if i > len(in)+2 {
				t.Fatalf("more items (%d) than input bytes", i)
			}
			if it.Off < last || it.Off > int64(len(in)) {
				t.Fatalf("offset %d after %d (input %d bytes)", it.Off, last, len(in))
			}
			last = it.Off
			if it.Err == "" && !bytes.Equal(in[it.Off:it.Off+int64(len(it.Bytes))], []byte(it.Bytes)) {
				t.Fatalf("item bytes do not match the input at offset %d", it.Off)
			}
			if it.Tail && i != len(whole)-1 {
				t.Fatalf("Tail item %d of %d", i, len(whole))
			}
			if it.Tail && it.Err == "" {
				t.Fatalf("good Tail item %d", i)
			}
		}
		// A read error after the input ends the items with a Tail item that
		// reports it; what comes before does not change.
		for _, ch := range chunkings {
			got, _ := scanRecs(t, ch.wrap(io.MultiReader(bytes.NewReader(in), iotest.ErrReader(errBoom))), 64, "Records", "Events")
			n := len(got) - 1
			if n < 0 || !got[n].Tail || !strings.Contains(got[n].Err, errBoom.Error()) {
				t.Fatalf("%s reads of %q then a read error: %+v", ch.name, in, got)
			}
			if !slices.Equal(got[:n], whole[:min(n, len(whole))]) {
				t.Fatalf("%s reads of %q then a read error:\n%+v\nwithout:\n%+v", ch.name, in, got, whole)
			}
		}
		// A prefix of the input, as a file being written is, gives the same
		// items as the whole input up to its Tail item.
		for _, k := range []int{len(in) / 3, len(in) / 2, len(in) - 1} {
			if k <= 0 {
				continue
			}
			got, _ := scanRecs(t, iotest.HalfReader(bytes.NewReader(in[:k])), 64, "Records", "Events")
			n := len(got)
			if n > 0 && got[n-1].Tail {
				n--
			}
			if n > len(whole) || !slices.Equal(got[:n], whole[:n]) {
				t.Fatalf("first %d bytes of %q:\n%+v\nwhole:\n%+v", k, in, got, whole)
			}
		}
		// A compact valid object, written twice as JSON lines, comes back
		// as exactly two good records equal to it.
		obj := bytes.TrimSpace(in)
		if len(obj) == 0 || obj[0] != '{' || bytes.IndexByte(obj, '\n') >= 0 || !json.Valid(obj) {
			return
		}
		lines := append(append(append([]byte{}, obj...), '\n'), obj...)
		s := NewScanner(iotest.OneByteReader(bytes.NewReader(lines)), len(obj)+1)
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

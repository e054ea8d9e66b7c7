package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/demo"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/testutil"
)

// transcript is everything a decoder delivers, in order, as text.
func transcript(t testing.TB, in []byte, noWhole bool, o decode.Options) string {
	t.Helper()
	var b strings.Builder
	h := &recorder{b: &b}
	d := &Decoder{noWhole: noWhole}
	st, err := d.Decode(context.Background(), iotest.HalfReader(bytes.NewReader(in)), o, h)
	fmt.Fprintf(&b, "stats %+v err %v\n", st, err)
	return b.String()
}

type recorder struct{ b *strings.Builder }

func (r *recorder) Event(e *event.Event) error {
	c := *e
	c.Raw, c.RawBytes = nil, nil
	fmt.Fprintf(r.b, "event %+v raw %q\n", c, e.RawBytes)
	if e.Raw != nil {
		fmt.Fprintf(r.b, "  dom %s\n", e.Raw.MarshalTo(nil))
	}
	return nil
}

func (r *recorder) Quarantine(b decode.Bad) error {
	fmt.Fprintf(r.b, "bad %+v %q sample %q\n", b.Origin, b.Reason, b.Sample)
	return nil
}

// checkSamePaths decodes in through the whole-file path and the streaming
// path and fails when they deliver anything different.
func checkSamePaths(t testing.TB, name string, in []byte, o decode.Options) {
	t.Helper()
	whole, stream := transcript(t, in, false, o), transcript(t, in, true, o)
	if whole != stream {
		wl, sl := strings.Split(whole, "\n"), strings.Split(stream, "\n")
		for i := range min(len(wl), len(sl)) {
			if wl[i] != sl[i] {
				t.Fatalf("%s: paths differ at line %d:\nwhole:  %.600s\nstream: %.600s", name, i, wl[i], sl[i])
			}
		}
		t.Fatalf("%s: paths differ in length: %d vs %d lines", name, len(wl), len(sl))
	}
}

// The two decoding paths deliver the same events, origins and raw bytes, on
// every kind of file we have: our test files, the demo scenario, generated
// files with odd layouts, and the shared real data.
func TestWholeFileMatchesStreaming(t *testing.T) {
	files, _ := filepath.Glob("testdata/*")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		checkSamePaths(t, p, b, decode.Options{})
		checkSamePaths(t, p+" from 2", b, decode.Options{Start: 2})
	}
	fsys := demo.Scenario()
	fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, _ := fsys.Open(p)
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(zr)
		checkSamePaths(t, p, b, decode.Options{})
		return nil
	})
	rec := `{"eventVersion":"1.08","eventTime":"2026-10-14T09:06:41Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","userName":"a\"b"},"recipientAccountId":"111122223333"}`
	odd := map[string]string{
		"pretty":          "{\n  \"Records\" : [\n    " + rec + " ,\n\n  " + rec + "\n  ]\n}\n",
		"escaped key":     `{"Records":[{"event\u004eame":"X","eventTime":"2026-10-14T09:06:41Z"},` + rec + `]}`,
		"empty record":    `{"Records":[` + rec + `,{}]}`,
		"not objects":     `{"Records":[` + rec + `,"x",3,null]}`,
		"no records":      `{"Records":[]}`,
		"trailing keys":   `{"Records":[` + rec + `],"Other":{"a":[1,2]}}`,
		"broken record":   `{"Records":[` + rec + `,{"eventName":tru},` + rec + `]}`,
		"truncated":       `{"Records":[` + rec + `,` + rec[:50],
		"bad record":      `{"Records":[{"eventTime":"2026-10-14T09:06:41Z"},` + rec + `]}`,
		"wrong type":      `{"Records":[{"eventName":7,"eventTime":"2026-10-14T09:06:41Z"}]}`,
		"events":          `{"Events":[{"CloudTrailEvent":` + fmt.Sprintf("%q", rec) + `}]}`,
		"records later":   `{"Other":1,"Records":[` + rec + `]}`,
		"leading space":   "\n\t  {\"Records\":[" + rec + "]}",
		"unicode":         `{"Records":[` + strings.Replace(rec, "GetObject", "Get\u00e9Object\\u00e9", 1) + `]}`,
		"nested first":    `{"Records":[{"userIdentity":{"type":"Root"},"eventName":"X","eventTime":"2026-10-14T09:06:41Z"}]}`,
		"too large":       `{"Records":[` + rec + `,` + strings.Replace(rec, `"a\"b"`, `"`+strings.Repeat("x", 5000)+`"`, 1) + `]}`,
		"whitespace keys": `{ "Records" : [ { "eventName" : "X" , "eventTime" : "2026-10-14T09:06:41Z" } , ` + rec + ` ] }`,
	}
	for name, in := range odd {
		checkSamePaths(t, name, []byte(in), decode.Options{MaxRecordBytes: 4096})
		checkSamePaths(t, name+" from 1", []byte(in), decode.Options{MaxRecordBytes: 4096, Start: 1})
	}
	for _, dir := range []string{"stratus-red-team/detonation-logs", "cloudtrail-misc-samples", "aws-docs-samples/cloudtrail"} {
		root := testutil.SharedData(t, strings.Split(dir, "/")...)
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err == nil && !strings.HasSuffix(p, ".gz") {
				checkSamePaths(t, p, b, decode.Options{})
			}
			return nil
		})
	}
}

// The whole-file path is the one taken for S3 log files (a regression in
// locating records would silently fall back and only cost speed).
func TestWholeFileIsUsed(t *testing.T) {
	rec := `{"eventTime":"2026-10-14T09:06:41Z","eventName":"X"}`
	d := &Decoder{}
	in := []byte(`{"Records":[` + rec + `,` + rec + `]}`)
	buf, _, whole := d.readWhole(bytes.NewReader(in))
	if !whole || !bytes.Equal(buf, in) {
		t.Fatalf("readWhole: whole=%t", whole)
	}
	root, err := d.p.ParseBytes(buf)
	if err != nil {
		t.Fatal(err)
	}
	items, ok := d.locate(buf, root, 0)
	if !ok || len(items) != 2 {
		t.Fatalf("locate: ok=%t items=%d", ok, len(items))
	}
	if got := string(buf[d.spans[2]:d.spans[3]]); got != rec {
		t.Errorf("second record located as %q", got)
	}
	// Not a container, or too large: streamed.
	for _, in := range []string{rec + "\n" + rec, `{"Records":[` + strings.Repeat(rec+",", wholeMax/len(rec)+1) + rec + `]}`} {
		if _, rest, whole := d.readWhole(strings.NewReader(in)); whole {
			t.Errorf("%.40s… (%d bytes) read whole", in, len(in))
		} else if b, _ := io.ReadAll(rest); string(b) != in {
			t.Errorf("the streaming reader does not replay the input")
		}
	}
}

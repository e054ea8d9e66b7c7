package bench

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// countScan stands in for app.Scan: it counts the records of the files.
func countScan(ctx context.Context, paths []string) (int64, int, int64, error) {
	var events, size int64
	err := filepath.Walk(paths[0], func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		size += int64(len(b))
		events += int64(bytes.Count(b, []byte(`"eventVersion"`)))
		return err
	})
	return events, 1, size, err
}

func TestRun(t *testing.T) {
	var log bytes.Buffer
	rs, err := Run(t.Context(), RunOptions{Records: 3000, Rounds: 3}, countScan, &log)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Name != "json" || rs[1].Name != "json.gz" {
		t.Fatalf("results %+v", rs)
	}
	// The gzip files are counted compressed by countScan: only the plain
	// variant can be checked for its record count.
	if rs[0].Records != 3000 || rs[0].EventsPerSec() <= 0 || rs[0].JSONBytes < 3000*500 || rs[1].FileBytes >= rs[0].FileBytes {
		t.Errorf("json %+v, json.gz %+v", rs[0], rs[1])
	}
	for _, r := range rs {
		if r.Median < r.Elapsed || r.Elapsed <= 0 {
			t.Errorf("%s: fastest %v, median %v", r.Name, r.Elapsed, r.Median)
		}
	}
	if strings.Count(log.String(), "round ") != 6 {
		t.Errorf("log:\n%s", log.String())
	}
	var out bytes.Buffer
	Print(&out, 1, rs)
	if !strings.Contains(out.String(), "json.gz") || !strings.Contains(out.String(), "median events/s") {
		t.Errorf("printed:\n%s", out.String())
	}

	// An existing directory is measured as it is.
	dir := t.TempDir()
	if _, _, err := WriteCorpus(dir, CorpusOptions{Records: 500}); err != nil {
		t.Fatal(err)
	}
	rs, err = Run(t.Context(), RunOptions{Corpus: dir, Rounds: 2}, countScan, &log)
	if err != nil || len(rs) != 1 || rs[0].Records != 500 || rs[0].Name != filepath.Base(dir) || rs[0].JSONBytes != rs[0].FileBytes {
		t.Errorf("corpus run: %+v, %v", rs, err)
	}
}

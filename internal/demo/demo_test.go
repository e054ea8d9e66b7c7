package demo

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readGz decompresses one scenario file.
func readGz(t *testing.T, fsys fs.FS, name string) []byte {
	t.Helper()
	f, err := fsys.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

func TestScenarioFiles(t *testing.T) {
	fsys := Scenario()
	var logs, digests, records int
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.HasPrefix(p, "AWSLogs/") || !strings.HasSuffix(p, ".json.gz") {
			t.Errorf("unexpected file %s", p)
			return nil
		}
		raw := readGz(t, fsys, p)
		if strings.Contains(p, "/CloudTrail-Digest/") {
			var dg struct {
				DigestStartTime string            `json:"digestStartTime"`
				LogFiles        []json.RawMessage `json:"logFiles"`
			}
			if err := json.Unmarshal(raw, &dg); err != nil || dg.DigestStartTime == "" || len(dg.LogFiles) == 0 {
				t.Errorf("%s: not a digest file (%v)", p, err)
			}
			digests++
			return nil
		}
		var lf struct {
			Records []struct {
				EventTime string `json:"eventTime"`
				EventName string `json:"eventName"`
			} `json:"Records"`
		}
		if err := json.Unmarshal(raw, &lf); err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		if len(lf.Records) == 0 {
			t.Errorf("%s: no records", p)
		}
		var prev time.Time
		for i, r := range lf.Records {
			ts, err := time.Parse(time.RFC3339, r.EventTime)
			if err != nil || r.EventName == "" {
				t.Errorf("%s record %d: eventTime %q eventName %q", p, i, r.EventTime, r.EventName)
				continue
			}
			if ts.Before(prev) {
				t.Errorf("%s record %d: eventTime %s before %s", p, i, ts, prev)
			}
			prev = ts
		}
		logs++
		records += len(lf.Records)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if logs < 4 || digests != 1 {
		t.Errorf("%d log files and %d digests, want at least 4 and 1", logs, digests)
	}
	if records < 400 || records > 800 {
		t.Errorf("%d records, want 400-800", records)
	}
	t.Logf("%d log files, %d records, %d digest", logs, records, digests)
}

func TestWriteTo(t *testing.T) {
	dir := t.TempDir()
	if err := WriteTo(dir); err != nil {
		t.Fatal(err)
	}
	n := 0
	err := fs.WalkDir(Scenario(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		want, _ := fs.ReadFile(Scenario(), p)
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs after WriteTo", p)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no files written")
	}
}

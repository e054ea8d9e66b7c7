package bench

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var requiredKeys = []string{
	"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
	"sourceIPAddress", "userAgent", "requestParameters", "responseElements", "eventID",
	"readOnly", "eventType", "managementEvent", "recipientAccountId", "eventCategory",
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

var kaliWord = regexp.MustCompile(`(?i)(^|[^a-z])(kali|parrot|pentoo)([^a-z]|$)`)

// isTriggerRecord says whether a built-in detector should flag the record.
func isTriggerRecord(r map[string]json.RawMessage) bool {
	var name, ua string
	var id struct{ Type string }
	json.Unmarshal(r["eventName"], &name)
	json.Unmarshal(r["userAgent"], &ua)
	json.Unmarshal(r["userIdentity"], &id)
	if _, failed := r["errorCode"]; failed {
		return false
	}
	switch {
	case name == "StopLogging", name == "DeleteFlowLogs":
		return true
	case name == "PutBucketPublicAccessBlock":
		return bytes.Contains(r["requestParameters"], []byte(`":false`))
	case id.Type == "Root", kaliWord.MatchString(ua):
		return true
	}
	return false
}

func TestWriteCorpus(t *testing.T) {
	const n = 5000
	for _, gz := range []bool{false, true} {
		dir := t.TempDir()
		files, size, err := WriteCorpus(dir, CorpusOptions{Records: n, RecordsPerFile: 1000, Gzip: gz, Seed: 42})
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 5 {
			t.Fatalf("%d files, want 5", len(files))
		}
		var records, triggers int
		var raw int64
		names := map[string]int{}
		types := map[string]int{}
		for _, f := range files {
			if !strings.HasPrefix(filepath.ToSlash(f), filepath.ToSlash(dir)+"/AWSLogs/") || strings.HasSuffix(f, ".gz") != gz {
				t.Errorf("unexpected file name %s", f)
			}
			b := readFile(t, f)
			raw += int64(len(b))
			var lf struct{ Records []map[string]json.RawMessage }
			if err := json.Unmarshal(b, &lf); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			var prev time.Time
			for i, r := range lf.Records {
				for _, k := range requiredKeys {
					if _, ok := r[k]; !ok {
						t.Fatalf("%s record %d lacks %s: %s", f, i, k, r["eventName"])
					}
				}
				var typ, et, name string
				json.Unmarshal(r["eventType"], &typ)
				json.Unmarshal(r["eventTime"], &et)
				json.Unmarshal(r["eventName"], &name)
				if _, ok := r["requestID"]; !ok && typ == "AwsApiCall" {
					t.Fatalf("%s record %d (%s) lacks requestID", f, i, name)
				}
				ts, err := time.Parse(time.RFC3339, et)
				if err != nil || ts.Before(prev) {
					t.Fatalf("%s record %d: eventTime %q (previous %s)", f, i, et, prev)
				}
				prev = ts
				var id struct{ Type string }
				json.Unmarshal(r["userIdentity"], &id)
				names[name]++
				types[id.Type]++
				if isTriggerRecord(r) {
					triggers++
				}
				records++
			}
		}
		if records != n {
			t.Fatalf("%d records, want %d", records, n)
		}
		if raw != size {
			t.Errorf("reported %d bytes, files hold %d uncompressed", size, raw)
		}
		avg := float64(size) / n
		if avg < 1300 || avg > 1600 {
			t.Errorf("average record size %.0f bytes, want 1300-1600", avg)
		}
		frac := float64(triggers) / n
		if frac < 0.002 || frac > 0.01 {
			t.Errorf("trigger fraction %.4f, want 0.002-0.01", frac)
		}
		if len(names) < 35 {
			t.Errorf("only %d event names", len(names))
		}
		for _, ty := range []string{"IAMUser", "AssumedRole", "AWSService", "Root", "WebIdentityUser"} {
			if types[ty] == 0 {
				t.Errorf("no %s identity", ty)
			}
		}
		t.Logf("gzip=%v: %d bytes, %.0f B/record, %d triggers, %d event names, identities %v", gz, size, avg, triggers, len(names), types)
	}
}

func TestWriteCorpusDeterministic(t *testing.T) {
	write := func(seed int64) map[string][]byte {
		dir := t.TempDir()
		files, _, err := WriteCorpus(dir, CorpusOptions{Records: 2500, RecordsPerFile: 1000, Gzip: true, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]byte{}
		for _, f := range files {
			rel, _ := filepath.Rel(dir, f)
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out[rel] = b
		}
		return out
	}
	a, b, c := write(7), write(7), write(8)
	if len(a) != 3 || len(a) != len(b) {
		t.Fatalf("%d and %d files", len(a), len(b))
	}
	for name, x := range a {
		if !bytes.Equal(x, b[name]) {
			t.Errorf("%s differs between runs with the same seed", name)
		}
		if bytes.Equal(x, c[name]) {
			t.Errorf("%s is the same with another seed", name)
		}
	}
}

func TestGenerateRecord(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var buf []byte
	for i := range 3000 {
		buf = GenerateRecord(r, i, buf[:0])
		var m map[string]json.RawMessage
		if err := json.Unmarshal(buf, &m); err != nil {
			t.Fatalf("record %d: %v\n%s", i, err, buf)
		}
		if got := isTriggerRecord(m); got != IsTrigger(0, i) {
			t.Fatalf("record %d: trigger %v, IsTrigger says %v: %s", i, got, !got, buf)
		}
	}
}

func BenchmarkWriteCorpus(b *testing.B) {
	for _, gz := range []bool{false, true} {
		name := "json"
		if gz {
			name = "gzip"
		}
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			var total int64
			for range b.N {
				_, n, err := WriteCorpus(dir, CorpusOptions{Records: 50_000, Gzip: gz, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				total = n
			}
			b.SetBytes(total)
		})
	}
}

func BenchmarkGenerateRecord(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 0, 8192)
	var n int64
	for i := range b.N {
		buf = GenerateRecord(r, i, buf[:0])
		n += int64(len(buf))
	}
	b.SetBytes(n / int64(b.N))
}

package cloudtrail

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/event"
)

// FuzzDecode feeds arbitrary bytes: the decoder must never panic, and every
// record slot is either an event, a quarantined record or a skip.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"detail-type":"AWS API Call via CloudTrail","detail":{"detail-type":"AWS API Call via CloudTrail","detail":{}}}`))
	f.Add([]byte(`{"CloudTrailEvent":"{\"CloudTrailEvent\":\"{}\"}"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var n int64
		h := handlerFunc(func(e *event.Event) error {
			n++
			if e.Action == "" && e.Category != "Insight" {
				t.Fatalf("event without action: %+v", e)
			}
			return nil
		})
		st, err := New().Decode(context.Background(), bytes.NewReader(in), decode.Options{MaxRecordBytes: 4096}, h)
		if err != nil {
			t.Fatal(err)
		}
		if st.Events != n || st.Events+st.Quarantined+st.Skipped != st.Records {
			t.Fatalf("stats do not add up: %+v (handler saw %d)", st, n)
		}
	})
}

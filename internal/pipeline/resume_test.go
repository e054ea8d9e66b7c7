package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/source"
	"github.com/picket-dev/picket/internal/store"
	"github.com/picket-dev/picket/internal/store/sqlite"
)

// stopLogging is one CloudTrail record that raises a finding (its trail
// name and event ID vary with i).
func stopLogging(i int) string {
	return fmt.Sprintf(`{"eventVersion":"1.08","eventTime":"2026-10-14T09:06:41Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.77","userAgent":"aws-cli/2","requestParameters":{"name":"trail-%d"},"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE","userName":"x"},"eventID":"e-%d","eventType":"AwsApiCall","recipientAccountId":"111122223333"}`, i%3, i)
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "picket.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// ingest reads path once as the server does: with its stored checkpoint.
func ingest(t *testing.T, p *Pipeline, st store.Store, path string) (Result, error) {
	t.Helper()
	objs, err := source.Walk([]string{path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	job := Job{Source: "t", Format: "cloudtrail", Object: objs[0], Checkpoint: true}
	if cp, ok, err := st.Checkpoint(t.Context(), "t", path); err != nil {
		t.Fatal(err)
	} else if ok {
		job.Stored = &cp
	}
	return p.Process(t.Context(), job)
}

func occurrences(t *testing.T, st store.Store) int64 {
	t.Helper()
	fs, _, err := st.ListFindings(t.Context(), store.FindingQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return total(fs)
}

// A file read while it is being written stops before its last, cut-off
// record; once the file is complete, that record is read whole and its
// quarantine entry goes.
func TestTailIsReadAgainWhenComplete(t *testing.T) {
	for _, gz := range []bool{false, true} {
		t.Run(fmt.Sprintf("gzip=%t", gz), func(t *testing.T) {
			st := openStore(t)
			p := newPipeline(t, st, 100, nil)
			var full bytes.Buffer
			for i := range 40 {
				full.WriteString(stopLogging(i) + "\n")
			}
			data := full.Bytes()
			if gz {
				var z bytes.Buffer
				zw := gzip.NewWriter(&z)
				zw.Write(data)
				zw.Close()
				data = z.Bytes()
			}
			path := filepath.Join(t.TempDir(), "live.jsonl")
			cut := len(data) / 2
			if !gz {
				cut = strings.Index(full.String(), "e-20") // inside record 20
			}
			if err := os.WriteFile(path, data[:cut], 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := ingest(t, p, st, path)
			if err != nil {
				t.Fatal(err)
			}
			cp, _, _ := st.Checkpoint(t.Context(), "t", path)
			if res.Quarantined != 1 || !cp.Done || cp.Position != res.Events {
				t.Fatalf("first read: %+v, checkpoint %+v: want the cut record quarantined and the checkpoint before it", res.Stats, cp)
			}
			if q, _ := st.QuarantineCount(t.Context(), "t"); q != 1 {
				t.Fatalf("%d quarantined", q)
			}
			first := res.Events
			// The file is complete now.
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			res, err = ingest(t, p, st, path)
			if err != nil {
				t.Fatal(err)
			}
			if res.Start != first || res.Events != 40-first || res.Quarantined != 0 {
				t.Errorf("second read from %d: %+v", res.Start, res.Stats)
			}
			if n := occurrences(t, st); n != 40 {
				t.Errorf("%d occurrences stored, want 40", n)
			}
			if q, _ := st.QuarantineCount(t.Context(), "t"); q != 0 {
				t.Errorf("%d quarantined after the file was completed, want 0", q)
			}
			// And unchanged, it is not read a third time.
			if res, err := ingest(t, p, st, path); err != nil || !res.Unchanged {
				t.Errorf("third read: %+v %v", res, err)
			}
		})
	}
}

// Stopping while the decoder is still skipping to the resume position
// keeps the position (it used to drop to 0 and count the file again).
func TestCancelWhileResumingKeepsPosition(t *testing.T) {
	st := openStore(t)
	p := newPipeline(t, st, 500, nil)
	obj := corpusFile(t, 3000)
	if _, err := p.Process(t.Context(), Job{Source: "t", Format: "cloudtrail", Object: obj, Checkpoint: true}); err != nil {
		t.Fatal(err)
	}
	before := occurrences(t, st)
	cp, _, _ := st.Checkpoint(t.Context(), "t", obj.Key)
	cp.Done, cp.Size = false, cp.Size-1 // as if the file had grown since
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := p.Process(ctx, Job{Source: "t", Format: "cloudtrail", Object: obj, Checkpoint: true, Stored: &cp})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	after, _, _ := st.Checkpoint(t.Context(), "t", obj.Key)
	if after.Position != 3000 {
		t.Errorf("checkpoint after a cancelled resume: %+v, want position 3000", after)
	}
	if n := occurrences(t, st); n != before {
		t.Errorf("%d occurrences, want %d", n, before)
	}
}

// Two readers of one file (two picket processes on one store): the one
// whose checkpoint is stale fails with ErrConflict and stores nothing.
func TestSecondReaderConflicts(t *testing.T) {
	st := openStore(t)
	obj := corpusFile(t, 1000)
	a, b := newPipeline(t, st, 300, nil), newPipeline(t, st, 300, nil)
	if _, err := a.Process(t.Context(), Job{Source: "t", Format: "cloudtrail", Object: obj, Checkpoint: true}); err != nil {
		t.Fatal(err)
	}
	want := occurrences(t, st)
	// b looked up the checkpoint before a wrote it: none.
	_, err := b.Process(t.Context(), Job{Source: "t", Format: "cloudtrail", Object: obj, Checkpoint: true})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second reader: %v, want ErrConflict", err)
	}
	if n := occurrences(t, st); n != want {
		t.Errorf("%d occurrences after the conflict, want %d", n, want)
	}
}

// A file that cannot be read (an I/O error, not bad data) is not
// quarantined: decoding stops with the error, to be retried.
func TestReadErrorIsNotBadData(t *testing.T) {
	r := &run{p: newPipeline(t, &Collector{}, 10, nil), tail: -1}
	ioErr := &fs.PathError{Op: "read", Path: "/mnt/x", Err: errors.New("input/output error")}
	if err := r.Quarantine(decode.Bad{Origin: event.Origin{Path: "/mnt/x"}, Reason: "x", Err: fmt.Errorf("truncated: %w", ioErr), Tail: true}); !errors.Is(err, ioErr) {
		t.Errorf("Quarantine returned %v", err)
	}
	if len(r.batch.Quarantine) != 0 {
		t.Error("an I/O error was quarantined as bad data")
	}
	if err := r.Quarantine(decode.Bad{Origin: event.Origin{Path: "f", Index: 3}, Reason: "malformed JSON", Tail: true}); err != nil || r.tail != 3 || r.next != 3 {
		t.Errorf("a cut-off last record: err %v tail %d next %d", err, r.tail, r.next)
	}
}

// A live stream (stdin from `tail -F`) is stored when it pauses, not only
// when a batch fills or the stream ends, and stops when the context does —
// with its format named or recognised from its first record.
func TestLiveStreamFlushesWhenIdle(t *testing.T) {
	for _, format := range []string{"cloudtrail", FormatAuto} {
		t.Run(format, func(t *testing.T) { testLiveStream(t, format) })
	}
}

func testLiveStream(t *testing.T, format string) {
	st := openStore(t)
	p := newPipeline(t, st, 1000, nil)
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := p.Process(ctx, Job{Source: "stdin", Format: format, Object: source.Stdin(ctx, pr)})
		done <- err
	}()
	for i := range 3 {
		if _, err := io.WriteString(pw, stopLogging(i)+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for occurrences(t, st) != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%d occurrences stored while the stream is idle, want 3", occurrences(t, st))
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel() // the pipe stays open and idle
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Process: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Process did not stop on cancel while stdin was idle")
	}
	if q, _ := st.QuarantineCount(t.Context(), ""); q != 0 {
		t.Errorf("%d quarantined: stopping is not bad data", q)
	}
}

package stdout

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"

	"github.com/picket-dev/picket/internal/notify"
	"github.com/picket-dev/picket/internal/notify/notifytest"
)

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  notify.Message
	}{
		{"high", notifytest.High()},
		{"repeat", notifytest.Repeat()},
		{"evil", notifytest.Evil()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			res, err := New(&buf).Send(context.Background(), notify.Target{Kind: "stdout", Name: "local"}, tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			if res != (notify.Result{}) {
				t.Errorf("result %+v", res)
			}
			out := buf.Bytes()
			if bytes.Count(out, []byte("\n")) != 1 || out[len(out)-1] != '\n' {
				t.Fatalf("not one line: %q", out)
			}
			var l Line
			if err := json.Unmarshal(out, &l); err != nil {
				t.Fatal(err)
			}
			if l.Target != "local" || !reflect.DeepEqual(l.Message, roundTrip(t, tc.msg)) {
				t.Errorf("line decodes to %+v", l)
			}
			notifytest.Golden(t, tc.name+".golden.json", out)
		})
	}
}

func roundTrip(t *testing.T, m notify.Message) notify.Message {
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var r notify.Message
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestConcurrent checks lines never interleave.
func TestConcurrent(t *testing.T) {
	var buf bytes.Buffer
	n := New(&buf)
	var wg sync.WaitGroup
	const senders, each = 8, 25
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				m := notifytest.High()
				m.Key = fmt.Sprintf("k-%d-%d", i, j)
				if _, err := n.Send(context.Background(), notify.Target{Name: "local"}, m); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<20)
	keys := map[string]bool{}
	for sc.Scan() {
		var l Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("bad line %q: %v", sc.Text(), err)
		}
		keys[l.Message.Key] = true
	}
	if len(keys) != senders*each {
		t.Errorf("%d distinct lines, want %d", len(keys), senders*each)
	}
}

type failWriter struct{}

var errDiskFull = errors.New("no space left on device")

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestErrors(t *testing.T) {
	_, err := New(failWriter{}).Send(context.Background(), notify.Target{}, notifytest.High())
	if !errors.Is(err, errDiskFull) {
		t.Errorf("error %v, want the write error", err)
	}
	if r, _ := notify.Retryable(err); !r {
		t.Error("a write error is not retryable")
	}

	m := notifytest.High()
	m.Finding.Severity = math.NaN() // JSON cannot hold it
	var buf bytes.Buffer
	_, err = New(&buf).Send(context.Background(), notify.Target{}, m)
	notifytest.CheckError(t, err, notifytest.Class{})
	if buf.Len() != 0 {
		t.Errorf("wrote %q on an encoding error", buf.String())
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = New(&buf).Send(ctx, notify.Target{}, notifytest.High())
	if !errors.Is(err, context.Canceled) || buf.Len() != 0 {
		t.Errorf("canceled context: error %v, wrote %q", err, buf.String())
	}
}

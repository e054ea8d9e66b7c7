package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/store"
	"github.com/picket-dev/picket/internal/store/sqlite"
	"github.com/picket-dev/picket/internal/store/sqlite/sqlitebench"
)

// BenchmarkCommitEvents commits batches of 2,000 stored events (the
// benchmark's CloudTrail-like records, about 1.3 KB each) through the
// store, as ingestion does, into a database that starts empty and grows
// to b.N batches; events/s is the rate, fsyncs included (WAL,
// synchronous=NORMAL).
//
//	go test -run '^$' -bench CommitEvents -benchtime 200x ./internal/store/sqlite
func BenchmarkCommitEvents(b *testing.B) {
	if testing.Short() {
		b.Skip("skipped with -short")
	}
	const batch = 2000
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "picket.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	src := sqlitebench.NewEventSource()
	batches := make([][]store.StoredEvent, b.N)
	for i := range batches {
		batches[i] = src.Batch(batch)
	}
	now := time.Now()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if _, err := s.Commit(ctx, &store.Batch{Events: batches[i], Now: now}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "events/s")
}

package app

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/config"
	"github.com/picket-dev/picket/internal/store"
	"github.com/picket-dev/picket/internal/store/sqlite"
)

// Stored events go when their source's retention has passed; each source
// keeps its own.
func TestPruneEventsPerSource(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	cfg := config.Default()
	cfg.Sources = []config.SourceConfig{
		{Name: "trail", Type: "stdin", Retention: 48 * time.Hour},
		{Name: "flows", Type: "stdin", Retention: time.Hour},
		{Name: "dns", Type: "stdin"}, // default 30 days
	}
	a, err := New(t.Context(), cfg, Options{Store: st, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ev := func(src string, age time.Duration) store.StoredEvent {
		return store.StoredEvent{Time: now.Add(-age), Account: "111122223333", Kind: "cloudtrail", Source: src, Action: src}
	}
	if _, err := st.Commit(t.Context(), &store.Batch{Events: []store.StoredEvent{
		ev("trail", 72*time.Hour), ev("trail", 24*time.Hour),
		ev("flows", 2*time.Hour), ev("flows", 30*time.Minute),
		ev("dns", 40*24*time.Hour), ev("dns", 20*24*time.Hour),
	}}); err != nil {
		t.Fatal(err)
	}
	n, err := a.PruneEvents(t.Context())
	if err != nil || n != 3 {
		t.Fatalf("pruned %d, %v; want 3", n, err)
	}
	left, err := st.SearchEvents(t.Context(), store.EventQuery{Limit: 10})
	if err != nil || len(left) != 3 {
		t.Fatalf("left %d, %v", len(left), err)
	}
	for _, e := range left {
		if age := now.Sub(e.Time); (e.Source == "trail" && age > 48*time.Hour) || (e.Source == "flows" && age > time.Hour) || age > 30*24*time.Hour {
			t.Errorf("kept %s event of age %s", e.Source, age)
		}
	}
}

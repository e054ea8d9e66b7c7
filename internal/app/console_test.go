package app

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The dashboard's ingest health reads the pipeline's counters per source,
// with events/s over the interval since the last kept reading.
func TestSourceHealth(t *testing.T) {
	reg := prometheus.NewRegistry()
	events := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "picket_events_out_total"}, []string{"source"})
	quar := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "picket_quarantined_total"}, []string{"source"})
	last := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "picket_last_event_timestamp_seconds"}, []string{"source"})
	reg.MustRegister(events, quar, last)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	h := &sourceHealth{reg: reg, now: func() time.Time { return now }, last: map[string]healthSample{}}

	events.WithLabelValues("trail").Add(1000)
	events.WithLabelValues("flows").Add(10)
	quar.WithLabelValues("trail").Add(3)
	last.WithLabelValues("trail").Set(float64(now.Add(-time.Minute).Unix()))
	got := h.read()
	if len(got) != 2 || got[0].Source != "flows" || got[1].Source != "trail" || got[1].Events != 1000 || got[1].Quarantined != 3 ||
		got[1].PerSecond != 0 || !got[1].LastEventTime.Equal(now.Add(-time.Minute)) {
		t.Fatalf("first reading %+v", got)
	}
	now = now.Add(time.Minute)
	events.WithLabelValues("trail").Add(6000)
	got = h.read()
	if got[1].PerSecond != 100 || got[0].PerSecond != 0 {
		t.Errorf("rates %+v", got)
	}
}

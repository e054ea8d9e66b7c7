package pipeline

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/store"
)

// Metrics are the pipeline's Prometheus metrics. They are updated once per
// commit, never per event, so they cost nothing on the hot path. A nil
// *Metrics records nothing.
type Metrics struct {
	recordsIn   *prometheus.CounterVec
	eventsOut   *prometheus.CounterVec
	quarantined *prometheus.CounterVec
	bytesRead   *prometheus.CounterVec
	findings    *prometheus.CounterVec
	newFindings *prometheus.CounterVec
	objects     *prometheus.CounterVec
	lag         *prometheus.GaugeVec
	lastEvent   *prometheus.GaugeVec
	commits     prometheus.Histogram
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		recordsIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_records_in_total",
			Help: "Records read from sources (events in), bad and skipped ones included.",
		}, []string{"source"}),
		eventsOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_events_out_total",
			Help: "Events decoded and passed to the detectors (events out).",
		}, []string{"source"}),
		quarantined: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_quarantined_total",
			Help: "Records that could not be decoded and were quarantined with their origin.",
		}, []string{"source"}),
		bytesRead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_bytes_read_total",
			Help: "Decompressed bytes read from sources.",
		}, []string{"source"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_findings_total",
			Help: "Finding occurrences raised and stored, by finding type.",
		}, []string{"type"}),
		newFindings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_findings_new_total",
			Help: "Findings stored for the first time (new fingerprints), by finding type.",
		}, []string{"type"}),
		objects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_objects_total",
			Help: "Objects (files) processed, by outcome: done, quarantined, error.",
		}, []string{"source", "outcome"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "picket_pipeline_lag_seconds",
			Help: "At the last commit: seconds between the object's modification (delivery) time and its findings being stored.",
		}, []string{"source"}),
		lastEvent: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "picket_last_event_timestamp_seconds",
			Help: "Time of the newest event committed, as a Unix timestamp.",
		}, []string{"source"}),
		commits: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "picket_commit_duration_seconds",
			Help:    "Time to store one batch.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 8),
		}),
	}
	reg.MustRegister(m.recordsIn, m.eventsOut, m.quarantined, m.bytesRead, m.findings, m.newFindings,
		m.objects, m.lag, m.lastEvent, m.commits)
	return m
}

// committed records one commit of r, which ended at end.
func (m *Metrics) committed(r *run, cr store.CommitResult, end time.Time) {
	if m == nil {
		return
	}
	src := r.job.Source
	m.recordsIn.WithLabelValues(src).Add(float64(r.pendEvents + r.pendQuar))
	m.eventsOut.WithLabelValues(src).Add(float64(r.pendEvents))
	m.quarantined.WithLabelValues(src).Add(float64(r.pendQuar))
	for i := range r.batch.Findings {
		f := &r.batch.Findings[i]
		m.findings.WithLabelValues(f.Type).Add(float64(f.Service.Count))
	}
	for _, id := range cr.NewFindings {
		if i, ok := r.idx[id]; ok {
			m.newFindings.WithLabelValues(r.batch.Findings[i].Type).Inc()
		}
	}
	if mt := r.info.ModTime; !mt.IsZero() {
		m.lag.WithLabelValues(src).Set(end.Sub(mt).Seconds())
	}
	if !r.lastEvent.IsZero() {
		m.lastEvent.WithLabelValues(src).Set(float64(r.lastEvent.UnixNano()) / 1e9)
	}
	m.commits.Observe(end.Sub(r.batch.Now).Seconds())
}

// finished records what only the decoder's final stats know.
func (m *Metrics) finished(job Job, start int64, st decode.Stats) {
	if m == nil {
		return
	}
	src := job.Source
	// Records before start were read by an earlier run: not counted again.
	m.recordsIn.WithLabelValues(src).Add(float64(max(st.Skipped-min(start, st.Records), 0)))
	m.bytesRead.WithLabelValues(src).Add(float64(st.Bytes))
}

func (m *Metrics) object(src, outcome string) {
	if m == nil {
		return
	}
	m.objects.WithLabelValues(src, outcome).Inc()
}

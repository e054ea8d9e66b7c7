package receiver

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// unknownSourceLabel is the source label of requests for no configured
// source, so that arbitrary URLs cannot create label values.
const unknownSourceLabel = "_unknown"

type metrics struct {
	requests *prometheus.CounterVec
	bytes    *prometheus.CounterVec
}

func newMetrics() *metrics {
	return &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_ingest_requests_total",
			Help: "Requests to the push receiver (POST /v1/ingest/{source}), by source and HTTP status code; source \"" + unknownSourceLabel + "\" counts requests for unconfigured sources.",
		}, []string{"source", "code"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_ingest_bytes_total",
			Help: "Request body bytes received by the push receiver as sent (before any decompression), by source.",
		}, []string{"source"}),
	}
}

func (m *metrics) request(source string, code int) {
	m.requests.WithLabelValues(source, strconv.Itoa(code)).Inc()
}

func (m *metrics) received(source string, n int) {
	if n > 0 {
		m.bytes.WithLabelValues(source).Add(float64(n))
	}
}

// Collectors returns the receiver's Prometheus collectors, for the caller
// to register: picket_ingest_requests_total{source,code} and
// picket_ingest_bytes_total{source}.
func (r *Receiver) Collectors() []prometheus.Collector {
	return []prometheus.Collector{r.metrics.requests, r.metrics.bytes}
}

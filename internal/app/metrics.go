package app

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/detect/state"
	"github.com/picket-dev/picket/internal/intel"
)

// stateCollector reports, at scrape time, how much the stateful detectors
// hold and how much they evicted, summed over the app's pipelines, and the
// size of the threat lists.
type stateCollector struct {
	mu      sync.Mutex
	engines []*detect.Engine
	lists   *intel.Set

	entries, evicted, expired, listEntries *prometheus.Desc
}

func newStateCollector(lists *intel.Set) *stateCollector {
	return &stateCollector{
		lists: lists,
		entries: prometheus.NewDesc("picket_detector_state_entries", "Entities a stateful detector tracks (hosts, instances, domains).",
			[]string{"detector"}, nil),
		evicted: prometheus.NewDesc("picket_detector_state_evictions_total", "Live entities a stateful detector dropped because its table was full (raise max_entities if this grows).",
			[]string{"detector"}, nil),
		expired: prometheus.NewDesc("picket_detector_state_expired_total", "Entities a stateful detector dropped after their window passed.",
			[]string{"detector"}, nil),
		listEntries: prometheus.NewDesc("picket_intel_list_entries", "Entries of a threat intelligence list as last loaded.",
			[]string{"list", "kind"}, nil),
	}
}

func (c *stateCollector) add(en *detect.Engine) {
	c.mu.Lock()
	c.engines = append(c.engines, en)
	c.mu.Unlock()
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.entries
	ch <- c.evicted
	ch <- c.expired
	ch <- c.listEntries
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	sums := map[string]state.Stats{}
	for _, en := range c.engines {
		for _, d := range en.Detectors() {
			if r, ok := d.(state.Reporter); ok {
				name := d.Info().Name
				sums[name] = sums[name].Add(r.StateStats())
			}
		}
	}
	c.mu.Unlock()
	for name, s := range sums {
		ch <- prometheus.MustNewConstMetric(c.entries, prometheus.GaugeValue, float64(s.Entries), name)
		ch <- prometheus.MustNewConstMetric(c.evicted, prometheus.CounterValue, float64(s.Evicted), name)
		ch <- prometheus.MustNewConstMetric(c.expired, prometheus.CounterValue, float64(s.Expired), name)
	}
	if c.lists != nil {
		for _, l := range c.lists.Lists() {
			ch <- prometheus.MustNewConstMetric(c.listEntries, prometheus.GaugeValue, float64(l.Entries), l.Name, string(l.Kind))
		}
	}
}

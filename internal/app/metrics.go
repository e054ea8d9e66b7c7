package app

import (
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/detect/sigma"
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

	entries, evicted, expired, listEntries, ruleMatches *prometheus.Desc
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
		ruleMatches: prometheus.NewDesc("picket_sigma_rule_matches_total", "Events (or correlations) a Sigma rule matched; shadow rules count here without alerting.",
			[]string{"rule", "id", "shadow"}, nil),
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
	ch <- c.ruleMatches
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	sums := map[string]state.Stats{}
	rules := map[sigma.RuleStat]uint64{}
	for _, en := range c.engines {
		for _, d := range en.Detectors() {
			if r, ok := d.(state.Reporter); ok {
				name := d.Info().Name
				sums[name] = sums[name].Add(r.StateStats())
			}
			if set, ok := d.(*sigma.Set); ok {
				for _, st := range set.Stats() {
					n := st.Matches
					st.Matches = 0
					rules[st] += n
				}
			}
		}
	}
	c.mu.Unlock()
	for st, n := range rules {
		ch <- prometheus.MustNewConstMetric(c.ruleMatches, prometheus.CounterValue, float64(n), st.Name, st.ID, fmt.Sprint(st.Shadow))
	}
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

package alert

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/picket-dev/picket/internal/finding"
)

// SLA is how long an alert may wait for acknowledgement, per severity band.
type SLA map[finding.Label]time.Duration

// DefaultSLA: Critical and High 15 minutes, Medium 4 hours, Low 24 hours.
var DefaultSLA = SLA{finding.Critical: 15 * time.Minute, finding.High: 15 * time.Minute, finding.Medium: 4 * time.Hour, finding.Low: 24 * time.Hour}

// For returns the acknowledgement deadline of an alert of severity sev.
func (s SLA) For(sev float64) time.Duration {
	if d, ok := s[finding.LabelOf(sev)]; ok {
		return d
	}
	return DefaultSLA[finding.LabelOf(sev)]
}

// PastSLA reports whether a was (or, still unacknowledged at now, is) not
// acknowledged within its SLA. Alerts closed without acknowledgement count
// by their closing time.
func (a *Alert) PastSLA(s SLA, now time.Time) bool {
	limit := s.For(a.Severity)
	switch {
	case !a.AckedAt.IsZero():
		return a.AckedAt.Sub(a.CreatedAt) > limit
	case !a.ClosedAt.IsZero():
		return a.ClosedAt.Sub(a.CreatedAt) > limit
	}
	return now.Sub(a.CreatedAt) > limit
}

// StatRow is the response times of a group of alerts.
type StatRow struct {
	Key                  string        `json:"key"`
	Alerts               int           `json:"alerts"`
	Open                 int           `json:"open"`
	PastSLA              int           `json:"pastSla"`
	NotifyP50, NotifyP90 time.Duration `json:"-"`
	AckP50, AckP90       time.Duration `json:"-"`
	CloseP50, CloseP90   time.Duration `json:"-"`
	Acked, Closed        int           `json:"-"`

	// Seconds, for JSON.
	NotifyP50s float64 `json:"timeToNotifyP50Seconds"`
	NotifyP90s float64 `json:"timeToNotifyP90Seconds"`
	AckP50s    float64 `json:"timeToAcknowledgeP50Seconds"`
	AckP90s    float64 `json:"timeToAcknowledgeP90Seconds"`
	CloseP50s  float64 `json:"timeToCloseP50Seconds"`
	CloseP90s  float64 `json:"timeToCloseP90Seconds"`
}

// Groupings for Stats.
var Groupings = []string{"account", "type", "severity", "channel", "all"}

// Stats aggregates response times by account, type, severity label,
// channel (route) or all.
func Stats(alerts []Alert, by string, sla SLA, now time.Time) ([]StatRow, error) {
	if !slices.Contains(Groupings, by) {
		return nil, fmt.Errorf("group by %q: want one of %v", by, Groupings)
	}
	type acc struct {
		row                 StatRow
		notify, ack, closed []time.Duration
	}
	groups := map[string]*acc{}
	for i := range alerts {
		a := &alerts[i]
		var key string
		switch by {
		case "account":
			key = a.Account
		case "type":
			key = a.Type
		case "severity":
			key = finding.LabelOf(a.Severity).String()
		case "channel":
			key = a.Route
		default:
			key = "all"
		}
		g := groups[key]
		if g == nil {
			g = &acc{row: StatRow{Key: key}}
			groups[key] = g
		}
		g.row.Alerts++
		if a.State.Open() {
			g.row.Open++
		}
		if a.PastSLA(sla, now) {
			g.row.PastSLA++
		}
		rt := a.ResponseTimes()
		if !a.NotifiedAt.IsZero() {
			g.notify = append(g.notify, rt.ToNotify)
		}
		if !a.AckedAt.IsZero() {
			g.ack = append(g.ack, rt.ToAcknowledge)
		}
		if !a.ClosedAt.IsZero() {
			g.closed = append(g.closed, rt.ToClose)
		}
	}
	out := make([]StatRow, 0, len(groups))
	for _, g := range groups {
		r := g.row
		r.NotifyP50, r.NotifyP90 = pct(g.notify, 50), pct(g.notify, 90)
		r.AckP50, r.AckP90 = pct(g.ack, 50), pct(g.ack, 90)
		r.CloseP50, r.CloseP90 = pct(g.closed, 50), pct(g.closed, 90)
		r.Acked, r.Closed = len(g.ack), len(g.closed)
		r.NotifyP50s, r.NotifyP90s = r.NotifyP50.Seconds(), r.NotifyP90.Seconds()
		r.AckP50s, r.AckP90s = r.AckP50.Seconds(), r.AckP90.Seconds()
		r.CloseP50s, r.CloseP90s = r.CloseP50.Seconds(), r.CloseP90.Seconds()
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Alerts != out[j].Alerts {
			return out[i].Alerts > out[j].Alerts
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

// pct is the nearest-rank percentile (0 for none).
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := (p*len(ds)+99)/100 - 1
	return ds[max(0, min(i, len(ds)-1))]
}

package pipeline

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/store"
)

// Collector is an in-memory Sink for offline scans: it merges findings by
// ID exactly as the store does, keeps evidence up to the batch's limit per
// finding, and counts quarantined records (keeping the first MaxQuarantine).
type Collector struct {
	// MaxQuarantine bounds the quarantined records kept; 0 means 1000.
	MaxQuarantine int

	mu          sync.Mutex
	findings    map[string]*finding.Finding
	evidence    map[string][]finding.Evidence
	quarantine  []store.Quarantined
	quarantined int64
}

// Commit merges b into the collection.
func (c *Collector) Commit(_ context.Context, b *store.Batch) (store.CommitResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.findings == nil {
		c.findings, c.evidence = map[string]*finding.Finding{}, map[string][]finding.Evidence{}
	}
	var res store.CommitResult
	for i := range b.Findings {
		f := b.Findings[i]
		if have, ok := c.findings[f.ID]; ok {
			have.Merge(&f)
			have.UpdatedAt = b.Now
			res.UpdatedFindings = append(res.UpdatedFindings, f.ID)
			continue
		}
		f.CreatedAt, f.UpdatedAt = b.Now, b.Now
		c.findings[f.ID] = &f
		res.NewFindings = append(res.NewFindings, f.ID)
	}
	limit := b.EvidenceLimit
	if limit <= 0 {
		limit = store.DefaultEvidenceLimit
	}
	for _, e := range b.Evidence {
		ev := c.evidence[e.FindingID]
		if len(ev) >= limit || slices.ContainsFunc(ev, func(x finding.Evidence) bool { return x.EventID == e.EventID }) {
			continue
		}
		c.evidence[e.FindingID] = append(ev, e)
	}
	max := c.MaxQuarantine
	if max <= 0 {
		max = 1000
	}
	for _, q := range b.Quarantine {
		c.quarantined++
		if len(c.quarantine) < max {
			c.quarantine = append(c.quarantine, q)
		}
	}
	return res, nil
}

// Findings returns the collected findings, most severe first, then by type,
// account, region and ID.
func (c *Collector) Findings() []finding.Finding {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]finding.Finding, 0, len(c.findings))
	for _, f := range c.findings {
		out = append(out, *f)
	}
	SortFindings(out)
	return out
}

// Evidence returns the evidence kept for a finding.
func (c *Collector) Evidence(id string) []finding.Evidence {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.evidence[id])
}

// Quarantine returns the kept quarantined records and how many there were.
func (c *Collector) Quarantine() ([]store.Quarantined, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.quarantine), c.quarantined
}

// SortFindings orders findings most severe first, then by type, account,
// region and ID: the order reports print them in.
func SortFindings(fs []finding.Finding) {
	slices.SortFunc(fs, func(a, b finding.Finding) int {
		return cmp.Or(cmp.Compare(b.Severity, a.Severity), strings.Compare(a.Type, b.Type),
			strings.Compare(a.AccountID, b.AccountID), strings.Compare(a.Region, b.Region), strings.Compare(a.ID, b.ID))
	})
}

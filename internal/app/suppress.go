package app

import (
	"fmt"
	"time"

	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/route"
	"github.com/picket-dev/picket/internal/route/suppress"
	"github.com/picket-dev/picket/internal/store"
)

// SuppressionRule converts a stored rule.
func SuppressionRule(r store.SuppressionRule) (suppress.Rule, error) {
	c, err := suppress.ParseCriteria(r.Criteria)
	if err != nil {
		return suppress.Rule{}, fmt.Errorf("suppression rule %s: %w", r.ID, err)
	}
	return suppress.Rule{ID: r.ID, Name: r.Name, Owner: r.Owner, Reason: r.Reason, Criteria: c,
		Expires: r.Expires, CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy}, nil
}

// NewSuppressor compiles the stored suppression rules.
func NewSuppressor(rules []store.SuppressionRule) (route.Suppressor, error) {
	var rs []suppress.Rule
	for _, r := range rules {
		sr, err := SuppressionRule(r)
		if err != nil {
			return nil, err
		}
		rs = append(rs, sr)
	}
	set, err := suppress.NewSet(rs)
	if err != nil {
		return nil, err
	}
	return suppressor{set}, nil
}

type suppressor struct{ s *suppress.Set }

func (s suppressor) Suppressing(f *finding.Finding, now time.Time) (string, bool) {
	if r := s.s.First(f, now); r != nil {
		return r.ID, true
	}
	return "", false
}

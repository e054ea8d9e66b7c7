// Package external raises the findings of other producers — GuardDuty,
// Security Hub (ASFF) — that the decoders of decode/guardduty and
// decode/asff bring in as events of kind event.KindFinding, so that they
// are routed, aggregated, suppressed and notified like Picket's own.
//
// The detector adds nothing: the finding it raises is the producer's, as
// the decoder mapped it (type, severity, resource, action, count,
// eventFirstSeen and eventLastSeen, archived, additionalInfo), copied so
// that it owns its memory. The engine then stamps createdAt/updatedAt and
// seals it: Keys (set by the decoder from the producer's finding ID) make
// its fingerprint stable per producer finding, and the producer's ID and
// ARN stay in Service.AdditionalInfo["source"].
package external

import (
	"context"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// Name is the detector's name.
const Name = "external"

type detector struct{}

// New returns the detector of other producers' findings.
func New() detect.Detector { return detector{} }

var info = detect.Info{
	Name:        Name,
	Description: "Findings from other producers (GuardDuty, Security Hub), raised as they are",
	Tags:        []string{"external"},
	Kinds:       []event.Kind{event.KindFinding},
}

func (detector) Info() detect.Info { return info }

// Detect appends a copy of the event's finding, detached from the
// decoder's memory. An event without a finding (or whose finding has no
// type) raises nothing.
func (detector) Detect(_ context.Context, e *event.Event, out []finding.Finding) []finding.Finding {
	if e.Kind != event.KindFinding || e.Finding == nil || e.Finding.Type == "" {
		return out
	}
	out = append(out, *e.Finding)
	out[len(out)-1].Detach()
	return out
}

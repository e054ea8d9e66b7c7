package finding

import (
	"fmt"
	"strings"
)

// Label is a severity band.
type Label int

// GuardDuty's severity bands, lowest first.
const (
	Low Label = iota + 1
	Medium
	High
	Critical
)

// Default severities Picket assigns in each band, as GuardDuty does (2, 5, 8, 9).
const (
	SevLow      = 2.0
	SevMedium   = 5.0
	SevHigh     = 8.0
	SevCritical = 9.0
)

// LabelOf maps a numeric severity to its band: Low 1.0–3.9, Medium 4.0–6.9,
// High 7.0–8.9, Critical 9.0–10.0.
func LabelOf(sev float64) Label {
	switch {
	case sev >= 9.0:
		return Critical
	case sev >= 7.0:
		return High
	case sev >= 4.0:
		return Medium
	}
	return Low
}

// Min is the lowest severity in the band.
func (l Label) Min() float64 {
	switch l {
	case Critical:
		return 9.0
	case High:
		return 7.0
	case Medium:
		return 4.0
	}
	return 1.0
}

func (l Label) String() string {
	switch l {
	case Low:
		return "Low"
	case Medium:
		return "Medium"
	case High:
		return "High"
	case Critical:
		return "Critical"
	}
	return fmt.Sprintf("Label(%d)", int(l))
}

// ParseLabel reads a band name, case-insensitively.
func ParseLabel(s string) (Label, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "low":
		return Low, nil
	case "medium":
		return Medium, nil
	case "high":
		return High, nil
	case "critical":
		return Critical, nil
	}
	return 0, fmt.Errorf("unknown severity %q (want low, medium, high or critical)", s)
}

// SeverityLabel is the finding's band.
func (f *Finding) SeverityLabel() Label { return LabelOf(f.Severity) }

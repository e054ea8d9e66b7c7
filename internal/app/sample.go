package app

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/detect/sigma"
	"github.com/picket-dev/picket/internal/finding"
)

// SampleFindings returns one sample finding per finding type the
// registry's detectors raise (or only the given types), marked as samples
// — in the title, and additionalInfo.sample — so a user can check the
// whole path (suppression, routing, notification) as GuardDuty's sample
// findings let them. Re-sending samples updates the same findings.
func SampleFindings(reg *detect.Registry, types []string, account, region string, now time.Time) ([]finding.Finding, error) {
	sev := map[string]float64{}
	var all []string
	for _, d := range reg.All() {
		in := d.Info()
		for _, t := range in.Types {
			if _, ok := sev[t]; ok {
				continue
			}
			all = append(all, t)
			sev[t] = sampleSeverity(t)
			if r, ok := d.(*sigma.CompiledRule); ok {
				sev[t] = r.Severity
			}
		}
	}
	slices.Sort(all)
	if len(types) == 0 {
		types = all
	}
	var out []finding.Finding
	for _, t := range types {
		s, ok := sev[t]
		if !ok {
			return nil, fmt.Errorf("unknown finding type %q (see picket rules list)", t)
		}
		f := finding.Finding{
			Type: t, Severity: s, AccountID: account, Region: region,
			Title:       "[SAMPLE] " + t,
			Description: "This is a sample finding made by picket sample-findings to test suppression, routing and notification. No activity caused it.",
			CreatedAt:   now, UpdatedAt: now,
			Resource: finding.Resource{ResourceType: "AccessKey", AccessKeyDetails: &finding.AccessKeyDetails{AccessKeyID: "ASIASAMPLEEXAMPLE0001", PrincipalID: "AIDASAMPLEEXAMPLE0001", UserName: "sample-user", UserType: "IAMUser"}},
			Service: finding.Service{
				DetectorID: "sample", Count: 1, EventFirstSeen: now, EventLastSeen: now, ResourceRole: "TARGET",
				Action:         finding.Action{ActionType: "AWS_API_CALL", AwsAPICallAction: &finding.AwsAPICallAction{API: "SampleAPI", ServiceName: "sample.amazonaws.com", CallerType: "Remote IP", RemoteIPDetails: &finding.RemoteIPDetails{IPAddressV4: "198.51.100.1"}}},
				AdditionalInfo: map[string]any{"sample": true},
			},
			Keys: finding.Keys{Resource: "sample", Actor: "sample-user"},
		}
		f.Seal()
		out = append(out, f)
	}
	return out, nil
}

// sampleSeverity is a plausible severity for a type: its threat purpose's
// usual band in GuardDuty.
func sampleSeverity(t string) float64 {
	purpose, _, _ := strings.Cut(t, ":")
	switch purpose {
	case "Backdoor", "Trojan", "CryptoCurrency", "Impact", "Exfiltration", "UnauthorizedAccess", "CredentialAccess", "DefenseImpairment", "AttackSequence":
		return finding.SevHigh
	case "Policy", "PenTest", "Stealth":
		return finding.SevLow
	}
	return finding.SevMedium
}

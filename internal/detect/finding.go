package detect

import (
	"net/netip"
	"strings"

	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// APICallFinding fills what every CloudTrail API finding has: account, region,
// the access key resource, the API call action and the seen window. All
// strings are copied out of the event.
func APICallFinding(detector, typ string, sev float64, e *event.Event) finding.Finding {
	a := &e.Actor
	akd := &finding.AccessKeyDetails{
		AccessKeyID: strings.Clone(a.AccessKeyID),
		PrincipalID: strings.Clone(a.PrincipalID),
		UserName:    strings.Clone(a.Name()),
		UserType:    strings.Clone(a.Type),
	}
	call := &finding.AwsAPICallAction{
		API:         strings.Clone(e.Action),
		ServiceName: strings.Clone(e.Service),
		ErrorCode:   strings.Clone(e.ErrorCode),
		UserAgent:   strings.Clone(a.UserAgent),
	}
	if ip, err := netip.ParseAddr(e.SourceIP); err == nil {
		call.CallerType = "Remote IP"
		if ip.Is4() || ip.Is4In6() {
			call.RemoteIPDetails = &finding.RemoteIPDetails{IPAddressV4: ip.Unmap().String()}
		} else {
			call.RemoteIPDetails = &finding.RemoteIPDetails{IPAddressV6: ip.String()}
		}
	} else if e.SourceIP != "" {
		call.CallerType = "AWS Service"
		call.DomainDetails = &finding.DomainDetails{Domain: strings.Clone(e.SourceIP)}
	}
	actor := a.ARN
	if actor == "" {
		actor = a.PrincipalID
	}
	if actor == "" {
		actor = a.InvokedBy
	}
	return finding.Finding{
		Type:      typ,
		Severity:  sev,
		AccountID: strings.Clone(e.Account),
		Region:    strings.Clone(e.Region),
		Resource:  finding.Resource{ResourceType: "AccessKey", AccessKeyDetails: akd},
		Service: finding.Service{
			DetectorID:     detector,
			Action:         finding.Action{ActionType: "AWS_API_CALL", AwsAPICallAction: call},
			Count:          1,
			EventFirstSeen: e.Time,
			EventLastSeen:  e.Time,
			ResourceRole:   "TARGET",
			FeatureName:    "CloudTrail",
		},
		Keys: finding.Keys{Actor: strings.Clone(actor)},
	}
}

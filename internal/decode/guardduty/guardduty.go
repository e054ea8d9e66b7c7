// Package guardduty decodes Amazon GuardDuty findings into events of kind
// event.KindFinding, each carrying the finding mapped to Picket's finding
// schema — GuardDuty's own — so that Picket routes, aggregates and
// notifies on GuardDuty's findings as on its own (detect/external raises
// them). These shapes are read (package findingstream splits them):
//
//   - findings as GuardDuty's JSON API, EventBridge and the S3 export write
//     them (camelCase keys): JSON lines (the S3 export), concatenated
//     objects, or a JSON array;
//   - GetFindings responses: {"findings":[…]} from the JSON API and
//     {"Findings":[…]} from the AWS CLI and SDKs, whose keys are PascalCase
//     ("AccountId", "Service": {"EventFirstSeen": …}); both read alike;
//   - EventBridge events with source "aws.guardduty" and detail-type
//     "GuardDuty Finding", the detail being the finding. Other GuardDuty
//     events (malware scan results, runtime agent status) are Skipped;
//     other sources' events are quarantined;
//   - those inside SNS notifications and CloudWatch Logs data
//     (subscription messages, filter-log-events output, log events).
//
// # Mapping
//
// An event per finding:
//
//	Event field      GuardDuty field
//	Kind             event.KindFinding
//	Time             updatedAt, else service.eventLastSeen, else createdAt, else the
//	                 EventBridge event's time or the log event's timestamp
//	ID               id (GuardDuty's finding ID)
//	Account          accountId
//	Region           region, else the region in arn, else the EventBridge event's region
//	Finding          the finding, below
//	Raw, RawBytes    the finding (an envelope's detail, not the envelope)
//
// The finding keeps GuardDuty's fields, field for field, where Picket's
// schema has them:
//
//	schemaVersion, id, arn, partition (else from arn), accountId, region, type,
//	severity, title, description, createdAt, updatedAt
//	resource.resourceType
//	resource.accessKeyDetails      accessKeyId, principalId, userName, userType
//	resource.instanceDetails       instanceId, networkInterfaces[] (networkInterfaceId,
//	                               privateIpAddress, vpcId, subnetId)
//	resource.s3BucketDetails[]     arn, name, type
//	resource.eksClusterDetails     name, arn
//	resource.kubernetesDetails     kubernetesUserDetails (username, uid, groups)
//	service.detectorId, archived, count, eventFirstSeen, eventLastSeen,
//	resourceRole, featureName
//	service.action.actionType and the action objects Picket's schema has:
//	  awsApiCallAction             api, serviceName, callerType, errorCode, userAgent,
//	                               remoteIpDetails (ipAddressV4/V6), domainDetails.domain,
//	                               affectedResources
//	  networkConnectionAction      connectionDirection, protocol, blocked, local/remote
//	                               IpDetails and PortDetails (port, portName)
//	  portProbeAction              blocked, portProbeDetails[] (localPortDetails,
//	                               localIpDetails, remoteIpDetails)
//	  dnsRequestAction             domain, protocol, blocked, domainWithSuffix
//	  kubernetesApiCallAction      requestUri, verb, sourceIps, userAgent, remoteIpDetails,
//	                               statusCode, namespace, resource, subresource, resourceName
//	service.additionalInfo         merged into Service.AdditionalInfo, keys as they are
//	                               ("sample": true marks GuardDuty's sample findings); the
//	                               JSON API's {"value":"<JSON>","type":…} form is unpacked
//
// Service.ServiceName is "guardduty" and Service.DetectorID GuardDuty's
// detectorId. Everything else GuardDuty sends — confidence, instance
// image, tags and security groups, remoteIpDetails' country, city and
// organization, service.evidence, runtimeDetails, ebsVolumeScanDetails,
// rdsLoginAttemptAction, newer fields — is kept, with the same nesting,
// in Service.AdditionalInfo["guardduty"]: the finding's JSON less what was
// mapped (as map[string]any, []any, float64, string, bool; PascalCase keys
// lowered like the rest). Mapped fields plus that residue are the whole
// finding; Raw has it too.
//
// Identity. Keys.Resource is "guardduty:" + GuardDuty's finding id, so the
// fingerprint Seal computes (type, account, region, keys) is stable per
// GuardDuty finding: each update of a finding GuardDuty sends lands on the
// same Picket finding. Seal replaces ID and Arn with Picket's, and the
// detect engine stamps createdAt and updatedAt with the time Picket raised
// the finding; GuardDuty's stay in Service.AdditionalInfo["source"] =
// {"producer": "guardduty", "format": "guardduty", "id": …, "arn": …,
// "createdAt": …, "updatedAt": …} (times as RFC 3339 strings). The keys
// "source" and "guardduty" win over additionalInfo keys of those names.
//
// Checks. A finding needs an id, a type, a 12-digit accountId, a severity
// from 0 to 10 (a number, or a string holding one) and a region (or an arn
// or envelope naming one). Every field read is type-checked: a severity
// "high", a resource that is not an object, a count of -1, a port of 70000
// or a time that is not a time quarantines the finding with a reason naming
// the field ("field service.count: …"). Numbers and booleans written as
// strings are read, as ASFF's flattened GuardDuty fields need.
//
// Strings in the event and its Finding borrow the decoder's memory (see
// package event): a detector keeps a Detach'ed copy. The decoder reuses
// its parsers and event; a finding costs the allocations of its Finding's
// pointers, slices and AdditionalInfo maps.
package guardduty

import (
	"errors"
	"fmt"

	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/findingstream"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// Format is the registry name of this decoder.
const Format = "guardduty"

// ServiceName is Service.ServiceName of GuardDuty's findings.
const ServiceName = "guardduty"

// KeyPrefix starts Keys.Resource of GuardDuty's findings: "guardduty:<id>".
const KeyPrefix = "guardduty:"

// EventBridge source and detail-type of GuardDuty's findings.
const (
	EventSource     = "aws.guardduty"
	EventDetailType = "GuardDuty Finding"
)

// New returns a GuardDuty findings decoder.
func New() decode.Decoder { return findingstream.New(&format{}) }

// format is GuardDuty's findingstream.Format.
type format struct {
	m   Mapper
	f   finding.Finding
	one [1]*fastjson.Value
}

func (x *format) EventBridge(source, detailType string, detail *fastjson.Value) ([]*fastjson.Value, string, error) {
	if source != EventSource {
		return nil, "", fmt.Errorf("not a GuardDuty finding: an event from %q (%q)", clip(source, 64), clip(detailType, 64))
	}
	if detailType != EventDetailType {
		return nil, "", findingstream.ErrSkip
	}
	if detail == nil {
		return nil, "", errors.New("field detail is missing")
	}
	x.one[0] = detail
	return x.one[:], "detail", nil
}

func (x *format) Finding(v *fastjson.Value, env findingstream.Env, e *event.Event) error {
	f := &x.f
	if err := x.m.Finding(v, f); err != nil {
		return err
	}
	if f.Region == "" {
		f.Region = env.Region
	}
	if f.Region == "" {
		return errors.New("field region is missing")
	}
	e.Kind = event.KindFinding
	e.Time = times(f, env.Time)
	e.ID = f.ID
	e.Account = f.AccountID
	e.Region = f.Region
	e.Finding = f
	return nil
}

// Parse decodes GuardDuty findings in any shape Decode reads into new events
// that the caller owns (their Findings detached). A bad record does not
// stop it: the error then describes the first one and says how many there
// were. For tests and tools; the stream path is Decode.
func Parse(b []byte) ([]*event.Event, error) {
	return findingstream.Parse(New(), b)
}

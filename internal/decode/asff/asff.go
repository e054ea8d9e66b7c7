// Package asff decodes AWS Security Hub findings in the AWS Security
// Finding Format (ASFF) into events of kind event.KindFinding, each
// carrying the finding mapped to Picket's finding schema (GuardDuty's), so
// that Picket routes, aggregates and notifies on Security Hub's findings —
// GuardDuty's, Inspector's, Macie's, Security Hub's own control checks,
// partner products' — as on its own (detect/external raises them). These
// shapes are read (package findingstream splits them):
//
//   - BatchImportFindings requests and GetFindings responses:
//     {"Findings":[…]}, each element a record;
//   - EventBridge "Security Hub Findings - Imported" events (source
//     "aws.securityhub"): each element of detail.findings is a record.
//     "Security Hub Findings - Custom Action" events (an analyst re-sending
//     findings already imported) and "Security Hub Insight Results" are
//     Skipped; other Security Hub events (the OCSF "Findings Imported V2")
//     and other sources' events are quarantined;
//   - single findings as JSON lines, concatenated, or a JSON array;
//   - those inside SNS notifications and CloudWatch Logs data.
//
// # Mapping
//
//	Event field      ASFF attribute
//	Kind             event.KindFinding
//	Time             UpdatedAt, else LastObservedAt, else CreatedAt, else the EventBridge
//	                 event's time or the log event's timestamp
//	ID               Id
//	Account          AwsAccountId
//	Region           Region, else Resources[0].Region, else the region of ProductArn,
//	                 else the EventBridge event's region
//	Raw, RawBytes    the finding (an element of detail.findings, not the event)
//
//	Finding field                 ASFF attribute
//	type                          see "Type" below
//	severity                      see "Severity" below
//	accountId, region             as the event's
//	partition                     Resources[0].Partition, else the partition of Id or
//	                              ProductArn when they are ARNs
//	title, description            Title, Description
//	createdAt, updatedAt          CreatedAt, UpdatedAt
//	resource                      Resources[0], see "Resource" below
//	service.serviceName           ProductName lowercased ("guardduty", "security hub",
//	                              "inspector", "macie"), else ProductFields'
//	                              "aws/securityhub/ProductName", else the last part of
//	                              ProductArn ("…/product/aws/guardduty" → "guardduty")
//	service.detectorId            GeneratorId (a GuardDuty finding: GuardDuty's detectorId)
//	service.eventFirstSeen        FirstObservedAt, else CreatedAt
//	service.eventLastSeen         LastObservedAt, else UpdatedAt
//	service.count                 1 (a GuardDuty finding: GuardDuty's count)
//	service.archived              Workflow.Status SUPPRESSED or RecordState ARCHIVED
//	service.resourceRole          Resources[0].ResourceRole upper-cased (Actor → ACTOR)
//	service.action                Action (ASFF's is GuardDuty's action in PascalCase)
//
// A GuardDuty finding (ProductName or ProductFields' product name
// "GuardDuty", or ProductArn ending in /product/aws/guardduty) carries
// GuardDuty's service object flattened into ProductFields
// ("aws/guardduty/service/count": "74", "…/action/networkConnectionAction/
// localPortDetails/port": "22"): it is rebuilt and read as the guardduty
// package reads a service object, giving detectorId, count, archived,
// eventFirstSeen, eventLastSeen, resourceRole, featureName, additionalInfo
// and the action (ASFF's Action, when present, wins for the action).
//
// # Type
//
// GuardDuty puts its finding type in the last part of a Types entry with
// the "/" turned into "-": "TTPs/Initial Access/UnauthorizedAccess:EC2-
// SSHBruteForce" is UnauthorizedAccess:EC2/SSHBruteForce (and
// "TTPs/PenTest:IAMUser/KaliLinux" keeps its "/"). Such a GuardDuty-style
// classifier — Purpose:Resource-Name, a capitalized word, a colon, letters
// and digits, "-" or "/", a name without spaces — is the type, for
// GuardDuty and for any other product that writes one (Macie's
// "SensitiveData:S3Object-Personal"); Types is searched in order, then
// FindingProviderFields.Types. GuardDuty's Security Hub table maps
// Trojan:EC2/DNSDataExfiltration to "…-DNSDataExfiltration!DNS"; that one
// is undone.
//
// Otherwise the type is built as <Purpose>:<Resource>/<Name>.SecurityHub:
//
//	Purpose   from the namespace/category of Types[0]:
//	          TTPs/<tactic> → the tactic without spaces ("Initial Access" →
//	            InitialAccess, "Command and Control" → CommandAndControl; TTPs alone → TTP)
//	          Effects/Data Exfiltration → Exfiltration; other Effects → Impact
//	          Unusual Behaviors → Behavior
//	          Software and Configuration Checks/Vulnerabilities → Vulnerability;
//	            other Software and Configuration Checks → Policy
//	          Sensitive Data Identifications → SensitiveData
//	          another namespace → its words joined; no Types → Finding
//	Resource  from Resources[0].Type: AwsEc2* → EC2, AwsIamAccessKey and AwsIamUser →
//	          IAMUser, AwsIamRole → IAMRole, other AwsIam* → IAM, AwsS3* → S3,
//	          AwsEks* → EKS, AwsLambda* → Lambda, AwsRds* → RDS, AwsEcs* → ECS,
//	          AwsAccount → Account; another Aws<Name> → <Name> ("AwsCloudTrailTrail"
//	          → CloudTrailTrail); a type without the Aws prefix as it is ("Other",
//	          "Container"); no Resources → Unknown
//	Name      the last "/"-separated part of GeneratorId ("aws-foundational-security-
//	          best-practices/v/1.0.0/CloudTrail.2" → CloudTrail.2; an ARN without "/"
//	          → its last ":"-separated part); when that part has no letter (CIS rules
//	          "…/cis-aws-foundations-benchmark/v/1.2.0/rule/2.7"), the nearest
//	          earlier part with a letter other than "v" and "rule" is put before it
//	          (cis-aws-foundations-benchmark.2.7). Characters other than letters,
//	          digits, ".", "_" and "-" become "-".
//
// e.g. Policy:CloudTrailTrail/CloudTrail.2.SecurityHub,
// Behavior:Other/ssm.amazonaws.com.SecurityHub. A finding needs a Types
// entry or a GeneratorId.
//
// # Severity
//
// GuardDuty's numeric severity from ASFF's Severity (else
// FindingProviderFields.Severity):
//
//   - a GuardDuty finding's Severity.Product (else Severity.Original) is
//     GuardDuty's own severity and is kept as it is (above 0, at most 10);
//   - else Normalized (0–100, a number or a string holding one) / 10,
//     clamped to 1.0–10.0, so that its band is the Label's (0 → 1.0, 40 →
//     4.0, 70 → 7.0, 90 → 9.0) — unless a Label says another band;
//   - else Label: CRITICAL 9.0, HIGH 8.0, MEDIUM 5.0, LOW 2.0,
//     INFORMATIONAL 1.0 (Picket's default severities of each band).
//
// A finding without Label or Normalized (or GuardDuty's severity), with an
// unknown Label or a Normalized outside 0–100 is quarantined.
//
// # Resource
//
// From Resources[0] (the other resources stay in the residue, below):
//
//	AwsEc2Instance   resourceType Instance; instanceDetails.instanceId from Id (the
//	                 instance ARN's "instance/i-…", or an Id that is an instance ID);
//	                 Details.AwsEc2Instance's NetworkInterfaces give the interfaces, the
//	                 first with VpcId, SubnetId and the first private IpV4Addresses
//	                 (one interface without an ID when only those are known)
//	AwsIamAccessKey  resourceType AccessKey; accessKeyDetails: accessKeyId from
//	                 Details.AwsIamAccessKey.AccessKeyId (else an Id that is not an ARN),
//	                 principalId PrincipalId, userType PrincipalType, userName
//	                 PrincipalName, else UserName, else SessionContext.SessionIssuer.UserName
//	AwsS3Bucket      resourceType S3Bucket; s3BucketDetails [{arn: Id, name: the bucket}]
//	AwsEksCluster    resourceType EKSCluster; eksClusterDetails {name: Details.AwsEksCluster.Name
//	                 or the ARN's cluster/<name>, arn: Id}
//	any other        resourceType is the ASFF type ("AwsCloudTrailTrail", "Other")
//
// # Identity and what is kept
//
// Keys.Resource is "asff:" + Id, so the fingerprint is stable per ASFF
// finding: every update of it (same Id) lands on the same Picket finding.
// A GuardDuty finding whose Id is GuardDuty's ARN (…/finding/<id>) gets
// "guardduty:<id>" instead, the key the guardduty decoder gives it: read
// from both GuardDuty's EventBridge events and Security Hub, it is one
// Picket finding. Service.AdditionalInfo["source"] = {"producer": the
// service name, "format": "asff", "id": Id, "productArn": …,
// "generatorId": …, "createdAt": …, "updatedAt": …} (CreatedAt and
// UpdatedAt as RFC 3339 strings: Seal and the detect engine replace the
// finding's ID, createdAt and updatedAt with Picket's). Service.AdditionalInfo["asff"] keeps, whole, every
// top-level ASFF attribute other than those copied as they are (Id,
// SchemaVersion, ProductArn, ProductName, GeneratorId, AwsAccountId,
// Region, Title, Description, CreatedAt, UpdatedAt, FirstObservedAt,
// LastObservedAt): Types, Severity, Resources, ProductFields, Compliance,
// Remediation, Workflow, RecordState, Action, Network, Process, … Raw has
// the finding too.
//
// Every field read is type-checked; a finding without Id or a 12-digit
// AwsAccountId, or with a field of the wrong type (a Severity.Normalized
// "high", Resources that is not an array), is quarantined with a reason
// naming the field. Strings borrow the decoder's memory (see package event).
package asff

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
const Format = "asff"

// KeyPrefix starts Keys.Resource of ASFF findings: "asff:<Id>".
const KeyPrefix = "asff:"

// EventBridge source and detail-types of Security Hub's events.
const (
	EventSource           = "aws.securityhub"
	EventImported         = "Security Hub Findings - Imported"
	EventCustomAction     = "Security Hub Findings - Custom Action"
	EventInsightResults   = "Security Hub Insight Results"
	SecurityHubTypeSuffix = ".SecurityHub"
)

// New returns an ASFF findings decoder.
func New() decode.Decoder { return findingstream.New(&format{}) }

// Parse decodes ASFF findings in any shape Decode reads into new events
// that the caller owns (their Findings detached). A bad record does not
// stop it: the error then describes the first one and says how many there
// were. For tests and tools; the stream path is Decode.
func Parse(b []byte) ([]*event.Event, error) { return findingstream.Parse(New(), b) }

// format is ASFF's findingstream.Format.
type format struct {
	m Mapper
	f finding.Finding
}

func (x *format) EventBridge(source, detailType string, detail *fastjson.Value) ([]*fastjson.Value, string, error) {
	if source != EventSource {
		return nil, "", fmt.Errorf("not an ASFF finding: an event from %q (%q)", clip(source, 64), clip(detailType, 64))
	}
	switch detailType {
	case EventImported:
	case EventCustomAction, EventInsightResults:
		return nil, "", findingstream.ErrSkip
	default:
		return nil, "", fmt.Errorf("unsupported Security Hub event %q", clip(detailType, 64))
	}
	if detail == nil {
		return nil, "", errors.New("field detail is missing")
	}
	fv := detail.Get("findings")
	if fv == nil {
		return nil, "", errors.New("field detail.findings is missing")
	}
	arr, err := fv.Array()
	if err != nil {
		return nil, "", fmt.Errorf("field detail.findings: expected an array, got %s", fv.Type())
	}
	return arr, "detail.findings", nil
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
		return errors.New("field Region is missing (and Resources[0] and ProductArn name none)")
	}
	e.Kind = event.KindFinding
	e.Time = firstTime(f.UpdatedAt, x.m.lastObserved, f.CreatedAt, env.Time)
	e.ID = x.m.id
	e.Account = f.AccountID
	e.Region = f.Region
	e.Finding = f
	return nil
}

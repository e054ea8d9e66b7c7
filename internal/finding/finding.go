// Package finding holds Picket's findings in GuardDuty's JSON schema: the
// type name, numeric severity and its label, the resource and service.action
// details, and aggregation (count, eventFirstSeen/eventLastSeen). A finding's
// identity is a fingerprint of what makes it the same threat, so a repeat
// updates the stored finding instead of creating a new one.
package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// SchemaVersion is GuardDuty's finding schema version, which Picket follows.
const SchemaVersion = "2.0"

// Finding is one finding, serialized exactly as GuardDuty's Finding object
// (https://docs.aws.amazon.com/guardduty/latest/APIReference/API_Finding.html).
type Finding struct {
	SchemaVersion string    `json:"schemaVersion"`
	ID            string    `json:"id"`
	Arn           string    `json:"arn"`
	Partition     string    `json:"partition"`
	AccountID     string    `json:"accountId"`
	Region        string    `json:"region"`
	Type          string    `json:"type"`
	Severity      float64   `json:"severity"`
	Title         string    `json:"title"`
	Description   string    `json:"description"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
	Resource      Resource  `json:"resource"`
	Service       Service   `json:"service"`

	// Keys is what the fingerprint is made of; kept so a finding can be
	// re-fingerprinted and explained. Not part of GuardDuty's schema.
	Keys Keys `json:"-"`
}

// Keys are the parts of a finding's identity besides type, account and region.
type Keys struct {
	Resource string // e.g. bucket name, instance ID, access key ID
	Actor    string // e.g. principal ARN
}

// Resource is GuardDuty's resource object: a type and the matching details.
type Resource struct {
	ResourceType      string             `json:"resourceType"` // AccessKey, Instance, S3Bucket
	AccessKeyDetails  *AccessKeyDetails  `json:"accessKeyDetails,omitempty"`
	InstanceDetails   *InstanceDetails   `json:"instanceDetails,omitempty"`
	S3BucketDetails   []S3BucketDetail   `json:"s3BucketDetails,omitempty"`
	EksClusterDetails *EksClusterDetails `json:"eksClusterDetails,omitempty"`
	KubernetesDetails *KubernetesDetails `json:"kubernetesDetails,omitempty"`
}

// EksClusterDetails names the EKS (or other Kubernetes) cluster.
type EksClusterDetails struct {
	Name string `json:"name,omitempty"`
	Arn  string `json:"arn,omitempty"`
}

// KubernetesDetails says who acted in the cluster.
type KubernetesDetails struct {
	KubernetesUserDetails *KubernetesUserDetails `json:"kubernetesUserDetails,omitempty"`
}

// KubernetesUserDetails is the Kubernetes user behind the call.
type KubernetesUserDetails struct {
	Username string   `json:"username,omitempty"`
	UID      string   `json:"uid,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

// AccessKeyDetails identifies the credential used.
type AccessKeyDetails struct {
	AccessKeyID string `json:"accessKeyId,omitempty"`
	PrincipalID string `json:"principalId,omitempty"`
	UserName    string `json:"userName,omitempty"`
	UserType    string `json:"userType,omitempty"`
}

// InstanceDetails identifies an EC2 instance. Flow and DNS logs may name
// only a network interface; InstanceID is then empty.
type InstanceDetails struct {
	InstanceID        string             `json:"instanceId"`
	NetworkInterfaces []NetworkInterface `json:"networkInterfaces,omitempty"`
}

// NetworkInterface is an instance's network interface.
type NetworkInterface struct {
	NetworkInterfaceID string `json:"networkInterfaceId,omitempty"`
	PrivateIPAddress   string `json:"privateIpAddress,omitempty"`
	VpcID              string `json:"vpcId,omitempty"`
	SubnetID           string `json:"subnetId,omitempty"`
}

// S3BucketDetail identifies a bucket.
type S3BucketDetail struct {
	Arn  string `json:"arn,omitempty"`
	Name string `json:"name"`
	Type string `json:"type,omitempty"` // Destination
}

// Service is GuardDuty's service object.
type Service struct {
	ServiceName    string         `json:"serviceName"` // "picket"
	DetectorID     string         `json:"detectorId"`  // the Picket detector that raised it
	Action         Action         `json:"action"`
	Archived       bool           `json:"archived"`
	Count          int64          `json:"count"`
	EventFirstSeen time.Time      `json:"eventFirstSeen"`
	EventLastSeen  time.Time      `json:"eventLastSeen"`
	ResourceRole   string         `json:"resourceRole"` // TARGET or ACTOR
	FeatureName    string         `json:"featureName,omitempty"`
	AdditionalInfo map[string]any `json:"additionalInfo,omitempty"`
}

// Action is GuardDuty's service.action: a type and the matching object.
type Action struct {
	ActionType              string                   `json:"actionType"` // AWS_API_CALL, NETWORK_CONNECTION, PORT_PROBE, DNS_REQUEST, KUBERNETES_API_CALL
	AwsAPICallAction        *AwsAPICallAction        `json:"awsApiCallAction,omitempty"`
	NetworkConnectionAction *NetworkConnectionAction `json:"networkConnectionAction,omitempty"`
	PortProbeAction         *PortProbeAction         `json:"portProbeAction,omitempty"`
	DNSRequestAction        *DNSRequestAction        `json:"dnsRequestAction,omitempty"`
	KubernetesAPICallAction *KubernetesAPICallAction `json:"kubernetesApiCallAction,omitempty"`
}

// KubernetesAPICallAction is a call to the Kubernetes API server.
type KubernetesAPICallAction struct {
	RequestURI      string           `json:"requestUri,omitempty"`
	Verb            string           `json:"verb,omitempty"`
	SourceIPs       []string         `json:"sourceIps,omitempty"`
	UserAgent       string           `json:"userAgent,omitempty"`
	RemoteIPDetails *RemoteIPDetails `json:"remoteIpDetails,omitempty"`
	StatusCode      int              `json:"statusCode,omitempty"`
	Namespace       string           `json:"namespace,omitempty"`
	Resource        string           `json:"resource,omitempty"`
	Subresource     string           `json:"subresource,omitempty"`
	ResourceName    string           `json:"resourceName,omitempty"`
}

// NetworkConnectionAction is a connection between an instance and a
// remote host.
type NetworkConnectionAction struct {
	ConnectionDirection string           `json:"connectionDirection"` // INBOUND, OUTBOUND, UNKNOWN
	Protocol            string           `json:"protocol"`            // TCP, UDP, ICMP, or the number
	Blocked             bool             `json:"blocked"`
	LocalIPDetails      *RemoteIPDetails `json:"localIpDetails,omitempty"`
	LocalPortDetails    *PortDetails     `json:"localPortDetails,omitempty"`
	RemoteIPDetails     *RemoteIPDetails `json:"remoteIpDetails,omitempty"`
	RemotePortDetails   *PortDetails     `json:"remotePortDetails,omitempty"`
}

// PortDetails is a port and its service name.
type PortDetails struct {
	Port     int    `json:"port"`
	PortName string `json:"portName,omitempty"`
}

// PortProbeAction is a remote host probing an instance's ports.
type PortProbeAction struct {
	Blocked          bool              `json:"blocked"`
	PortProbeDetails []PortProbeDetail `json:"portProbeDetails"`
}

// PortProbeDetail is one probed port.
type PortProbeDetail struct {
	LocalPortDetails *PortDetails     `json:"localPortDetails,omitempty"`
	LocalIPDetails   *RemoteIPDetails `json:"localIpDetails,omitempty"`
	RemoteIPDetails  *RemoteIPDetails `json:"remoteIpDetails,omitempty"`
}

// DNSRequestAction is a DNS query made by an instance.
type DNSRequestAction struct {
	Domain           string `json:"domain"`
	Protocol         string `json:"protocol,omitempty"`
	Blocked          bool   `json:"blocked"`
	DomainWithSuffix string `json:"domainWithSuffix,omitempty"`
}

// AwsAPICallAction describes the API call behind the finding.
type AwsAPICallAction struct {
	API               string            `json:"api"`
	ServiceName       string            `json:"serviceName"`
	CallerType        string            `json:"callerType"` // Remote IP, AWS Service, Domain
	ErrorCode         string            `json:"errorCode,omitempty"`
	UserAgent         string            `json:"userAgent,omitempty"`
	RemoteIPDetails   *RemoteIPDetails  `json:"remoteIpDetails,omitempty"`
	DomainDetails     *DomainDetails    `json:"domainDetails,omitempty"`
	AffectedResources map[string]string `json:"affectedResources,omitempty"`
}

// RemoteIPDetails is the caller's address.
type RemoteIPDetails struct {
	IPAddressV4 string `json:"ipAddressV4,omitempty"`
	IPAddressV6 string `json:"ipAddressV6,omitempty"`
}

// DomainDetails names the caller when it is a domain (an AWS service).
type DomainDetails struct {
	Domain string `json:"domain"`
}

// Fingerprint computes the finding's identity from type, account, region and
// keys: 32 hex characters, like a GuardDuty finding ID.
func Fingerprint(typ, account, region string, k Keys) string {
	h := sha256.New()
	for _, s := range [...]string{typ, account, region, k.Resource, k.Actor} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// Seal fills the derived fields of a new finding: schema version, ID, ARN,
// partition and a count of at least one.
func (f *Finding) Seal() {
	f.SchemaVersion = SchemaVersion
	f.ID = Fingerprint(f.Type, f.AccountID, f.Region, f.Keys)
	if f.Partition == "" {
		f.Partition = PartitionOf(f.Region)
	}
	f.Arn = fmt.Sprintf("arn:%s:guardduty:%s:%s:detector/picket/finding/%s", f.Partition, f.Region, f.AccountID, f.ID)
	if f.Service.ServiceName == "" {
		f.Service.ServiceName = "picket"
	}
	if f.Service.Count < 1 {
		f.Service.Count = 1
	}
}

// PartitionOf guesses the AWS partition from a region name.
func PartitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// Merge folds another occurrence o of the same finding into f: counts add
// up, the seen window widens, the latest occurrence's title, description,
// action and resource win (they describe the same call), severity never
// goes down. Archive state and creation time stay f's.
func (f *Finding) Merge(o *Finding) {
	if f.External() && o.External() {
		// Another producer's finding (GuardDuty, Security Hub): its count is
		// cumulative and its latest update is the truth.
		f.Service.Count = max(f.Service.Count, o.Service.Count)
		if o.UpdatedAt.After(f.UpdatedAt) {
			f.Severity = o.Severity
		}
	} else {
		f.Service.Count += o.Service.Count
	}
	if o.Service.EventFirstSeen.Before(f.Service.EventFirstSeen) || f.Service.EventFirstSeen.IsZero() {
		f.Service.EventFirstSeen = o.Service.EventFirstSeen
	}
	// An attack sequence is re-raised with every signal it gains: its
	// latest list of signals is the truth, whatever their times.
	if _, seq := o.Service.AdditionalInfo["sequence"]; seq {
		f.Service.AdditionalInfo = o.Service.AdditionalInfo
		f.Title, f.Description = cmpOr(o.Title, f.Title), cmpOr(o.Description, f.Description)
	}
	if o.Service.EventLastSeen.After(f.Service.EventLastSeen) {
		f.Service.EventLastSeen = o.Service.EventLastSeen
		f.Service.Action = o.Service.Action
		if len(o.Service.AdditionalInfo) > 0 {
			f.Service.AdditionalInfo = o.Service.AdditionalInfo
		}
		f.Resource = o.Resource
		if o.Title != "" {
			f.Title = o.Title
		}
		if o.Description != "" {
			f.Description = o.Description
		}
	}
	if !f.External() || !o.External() {
		f.Severity = max(f.Severity, o.Severity)
	}
	if o.UpdatedAt.After(f.UpdatedAt) {
		f.UpdatedAt = o.UpdatedAt
	}
}

// External reports whether another producer (GuardDuty, Security Hub, …)
// made the finding: Picket only carries it.
func (f *Finding) External() bool {
	return f.Service.ServiceName != "" && f.Service.ServiceName != "picket"
}

// Evidence is a raw event kept with the finding it produced.
type Evidence struct {
	FindingID string    `json:"findingId"`
	EventID   string    `json:"eventId"` // eventID, or origin path#index when the record has none
	EventTime time.Time `json:"eventTime"`
	Source    string    `json:"source"`
	Path      string    `json:"path"`
	Index     int64     `json:"index"`
	Offset    int64     `json:"offset"`
	Raw       []byte    `json:"-"` // the record as read
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

package coverage

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
)

// Technique is one Stratus Red Team technique of the catalog
// (stratus-red-team/catalog.json).
type Technique struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Platform string   `json:"platform"`
	Tactics  []string `json:"mitre_tactics"` // "Credential Access", …
	// LogFile is the detonation log, relative to the catalog's folder
	// ("detonation-logs/<id>.json"); empty when there is none.
	LogFile    string `json:"detonation_log_file"`
	LogRecords int    `json:"detonation_log_records"`
}

// LoadCatalog reads catalog.json, sorted by technique id.
func LoadCatalog(path string) ([]Technique, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ts []Technique
	if err := json.Unmarshal(b, &ts); err != nil {
		return nil, err
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].ID < ts[j].ID })
	return ts, nil
}

// Families maps a technique's tactic (MITRE ATT&CK, in Stratus's
// spelling, lower case and hyphenated) to the finding-type prefixes — the
// threat purpose of GuardDuty's ThreatPurpose:Resource/Name — that count as
// detecting it. A finding of a matching family says what the technique
// is for, not merely that something happened: CloudTrail logging stopped
// is Stealth (defense evasion), a new access key for another user is
// Persistence. GuardDuty files credential theft and the use of stolen
// credentials under UnauthorizedAccess, and Picket's Sigma findings file
// lateral movement there, so those count for credential access, initial
// access and lateral movement. AttackSequence:* findings count for every
// tactic (a sequence is the strongest statement of an attack), and so do
// none of Policy:*, PenTest:*, Recon:…/MaliciousIPCaller and the like
// unless listed.
var Families = map[string][]string{
	"credential-access":    {"CredentialAccess:", "UnauthorizedAccess:"},
	"defense-evasion":      {"Stealth:", "DefenseEvasion:", "DefenseImpairment:"},
	"discovery":            {"Discovery:", "Recon:"},
	"execution":            {"Execution:"},
	"exfiltration":         {"Exfiltration:"},
	"impact":               {"Impact:"},
	"initial-access":       {"InitialAccess:", "UnauthorizedAccess:"},
	"lateral-movement":     {"LateralMovement:", "UnauthorizedAccess:"},
	"persistence":          {"Persistence:"},
	"privilege-escalation": {"PrivilegeEscalation:"},
}

// tacticKey spells a tactic as Families does: "Defense Evasion" →
// "defense-evasion".
func tacticKey(t string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(t)), " ", "-")
}

// MatchesTactics reports whether a finding type is of a family that
// detects one of the tactics (see Families).
func MatchesTactics(findingType string, tactics []string) bool {
	if strings.HasPrefix(findingType, "AttackSequence:") {
		return true
	}
	for _, t := range tactics {
		for _, p := range Families[tacticKey(t)] {
			if strings.HasPrefix(findingType, p) {
				return true
			}
		}
	}
	return false
}

// Reasons explains, per technique, why it has no log or why the current
// detectors raise nothing of its family on it. Shown in the table only
// for techniques without a log or without a matching finding.
var Reasons = map[string]string{
	// No detonation log in the dataset.
	"aws.defense-evasion.cloudtrail-lifecycle-rule":    "no CloudTrail log in the dataset (PutBucketLifecycle on the trail's bucket; needs the trail→bucket mapping)",
	"aws.discovery.ec2-enumerate-from-instance":        "no CloudTrail log in the dataset (many Describe*/List* by an instance role: a baseline case)",
	"aws.discovery.ses-enumerate":                      "no CloudTrail log in the dataset (SES GetAccount/ListIdentities: a baseline case)",
	"aws.execution.sagemaker-update-lifecycle-config":  "no CloudTrail log in the dataset",
	"aws.exfiltration.s3-backdoor-bucket-policy":       "no CloudTrail log in the dataset (PutBucketPolicy granting another account)",
	"aws.impact.ec2-deregister-ami":                    "no CloudTrail log in the dataset",
	"aws.impact.s3-ransomware-batch-deletion":          "no CloudTrail log in the dataset (needs S3 data events)",
	"aws.impact.s3-ransomware-client-side-encryption":  "no CloudTrail log in the dataset (needs S3 data events)",
	"aws.impact.s3-ransomware-individual-deletion":     "no CloudTrail log in the dataset (needs S3 data events)",
	"eks.lateral-movement.create-access-entry":         "EKS technique: no log in the dataset",
	"eks.persistence.backdoor-aws-auth-configmap":      "EKS technique: no Kubernetes audit log in the dataset",
	"k8s.credential-access.dump-secrets":               "Kubernetes technique: no audit log in the dataset",
	"k8s.credential-access.steal-serviceaccount-token": "Kubernetes technique: no audit log in the dataset",
	"k8s.persistence.create-admin-clusterrole":         "Kubernetes technique: no audit log in the dataset",
	"k8s.persistence.create-client-certificate":        "Kubernetes technique: no audit log in the dataset",
	"k8s.persistence.create-token":                     "Kubernetes technique: no audit log in the dataset",
	"k8s.privilege-escalation.hostpath-volume":         "Kubernetes technique: no audit log in the dataset",
	"k8s.privilege-escalation.nodes-proxy":             "Kubernetes technique: no audit log in the dataset",
	"k8s.privilege-escalation.privileged-pod":          "Kubernetes technique: no audit log in the dataset",

	// Logged, but hard without more context.
	"aws.credential-access.ec2-steal-instance-credentials":        "InstanceCredentialExfiltration.InsideAWS needs the instance's own address learned from its recent calls, and ip-ranges.json",
	"aws.credential-access.secretsmanager-batch-retrieve-secrets": "secret reads are everyday application work; only a volume or first-time baseline tells them apart",
	"aws.credential-access.secretsmanager-retrieve-secrets":       "secret reads are everyday application work; only a volume or first-time baseline tells them apart",
	"aws.credential-access.ssm-retrieve-securestring-parameters":  "decrypted parameter reads are everyday application work; only a baseline tells them apart",
	"aws.discovery.ec2-download-user-data":                        "DescribeInstanceAttribute userData is routine for admins and tools; denied calls in bulk need a baseline",
	"aws.execution.ec2-launch-unusual-instances":                  "denied RunInstances of an unusual type: indistinguishable from admin work without a baseline",
	"aws.execution.ec2-user-data":                                 "ModifyInstanceAttribute userData is also a deployment step; needs the principal's baseline",
	"aws.execution.ssm-send-command":                              "SendCommand is routine fleet management; needs the principal's baseline",
	"aws.execution.ssm-start-session":                             "StartSession is routine operator access; needs the principal's baseline",
	"aws.exfiltration.ec2-security-group-open-port-22-ingress":    "the logged ingress rule is the technique; rules filed under another tactic (network change) do not count",
	"aws.exfiltration.ec2-share-ami":                              "sharing an AMI with an account is also release work; needs the organisation's account list",
	"aws.exfiltration.ec2-share-ebs-snapshot":                     "sharing a snapshot with an account is also backup work; needs the organisation's account list",
	"aws.exfiltration.rds-share-snapshot":                         "sharing a DB snapshot with an account is also backup work; needs the organisation's account list",
	"aws.impact.bedrock-invoke-model":                             "model access and invocations look like any Bedrock user's; needs a baseline",
	"aws.initial-access.console-login-without-mfa":                "a console login without MFA is only suspicious against the user's usual logins",
	"aws.lateral-movement.ec2-instance-connect":                   "SendSSHPublicKey is routine operator access; needs the principal's baseline",
	"aws.lateral-movement.ec2-serial-console-send-ssh-public-key": "serial-console access is rare but legitimate; needs the principal's baseline",
	"aws.persistence.iam-backdoor-role":                           "the technique's calls are indistinguishable from admin work without a baseline",
	"aws.persistence.iam-backdoor-user":                           "an access key for another user is admin work without a baseline",
	"aws.persistence.iam-create-admin-user":                       "creating an admin user is admin work without a baseline",
	"aws.persistence.iam-create-backdoor-role":                    "creating a role trusting another account is admin work without the organisation's account list",
	"aws.persistence.iam-create-user-login-profile":               "a login profile for another user is admin work without a baseline",
	"aws.persistence.lambda-backdoor-function":                    "a public Lambda permission is rare but also a deployment step",
	"aws.persistence.lambda-layer-extension":                      "adding a layer from another account is also a deployment step",
	"aws.persistence.lambda-overwrite-code":                       "UpdateFunctionCode is what CI does on every deployment; needs the principal's baseline",
	"aws.persistence.rolesanywhere-create-trust-anchor":           "a Roles Anywhere trust anchor is rare but legitimate; needs a baseline",
	"aws.persistence.sts-federation-token":                        "GetFederationToken by a user is rare but legitimate; needs a baseline",
	"aws.privilege-escalation.iam-update-user-login-profile":      "a password reset for another user is admin work without a baseline",
}

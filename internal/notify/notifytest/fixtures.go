package notifytest

import (
	"time"

	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/notify"
)

// T0 is the fixtures' clock.
var T0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// Thread is the Slack ts of the fixtures' first message.
const Thread = "1764072000.000100"

// CloudTrail is a High finding from a CloudTrail detector: instance
// credentials used from outside AWS.
func CloudTrail() finding.Finding {
	f := finding.Finding{
		AccountID:   "111122223333",
		Region:      "us-east-1",
		Type:        "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
		Severity:    finding.SevHigh,
		Title:       "Credentials for instance role ec2-app used from an external IP address.",
		Description: "Credentials created exclusively for an EC2 instance through instance role ec2-app have been used from external IP address 198.51.100.7.",
		CreatedAt:   T0.Add(-time.Hour),
		UpdatedAt:   T0,
		Resource: finding.Resource{
			ResourceType: "AccessKey",
			AccessKeyDetails: &finding.AccessKeyDetails{
				AccessKeyID: "ASIAQEXAMPLE7KEY", PrincipalID: "AROAQEXAMPLEROLE:i-0abc1234def567890",
				UserName: "ec2-app", UserType: "AssumedRole",
			},
		},
		Service: finding.Service{
			DetectorID: "builtin/credential-exfiltration",
			Action: finding.Action{ActionType: "AWS_API_CALL", AwsAPICallAction: &finding.AwsAPICallAction{
				API: "ListBuckets", ServiceName: "s3.amazonaws.com", CallerType: "Remote IP",
				UserAgent:       "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
				RemoteIPDetails: &finding.RemoteIPDetails{IPAddressV4: "198.51.100.7"},
			}},
			Count:          3,
			EventFirstSeen: T0.Add(-50 * time.Minute),
			EventLastSeen:  T0.Add(-2 * time.Minute),
			ResourceRole:   "TARGET",
		},
		Keys: finding.Keys{Resource: "ec2-app", Actor: "arn:aws:sts::111122223333:assumed-role/ec2-app/i-0abc1234def567890"},
	}
	f.Seal()
	return f
}

// Message wraps f as a first notification routed to its account.
func Message(f finding.Finding) notify.Message {
	return notify.Message{
		Key: f.ID + "|account:" + f.AccountID + "|1", Reason: notify.ReasonNew, Finding: f,
		Account: notify.Account{ID: f.AccountID, Name: "aws-" + f.AccountID + "-prod"},
		Route:   "account:" + f.AccountID, Time: T0,
	}
}

// High is the CloudTrail finding's first notification, with console and
// runbook links.
func High() notify.Message {
	m := Message(CloudTrail())
	m.ConsoleURL = "https://picket.example.com/findings/" + m.Finding.ID
	m.RunbookURL = "https://wiki.example.com/runbooks/UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"
	return m
}

// Repeat is High six hours on: 42 occurrences, 30 since the last notice,
// two similar findings grouped in, threaded under Thread.
func Repeat() notify.Message {
	m := High()
	m.Key = m.Finding.ID + "|account:111122223333|7"
	m.Reason = notify.ReasonRepeat
	m.Finding.Service.Count = 42
	m.Finding.Service.EventLastSeen = T0.Add(6 * time.Hour)
	m.Previous = &notify.Previous{Severity: finding.SevHigh, Count: 12}
	m.Thread = Thread
	m.Grouped = 2
	m.Time = T0.Add(6*time.Hour + time.Minute)
	return m
}

// SeverityIncrease is High raised from Medium to Critical, threaded.
func SeverityIncrease() notify.Message {
	m := High()
	m.Key = m.Finding.ID + "|account:111122223333|3"
	m.Reason = notify.ReasonSeverityIncrease
	m.Finding.Severity = finding.SevCritical
	m.Previous = &notify.Previous{Severity: finding.SevMedium, Count: 3}
	m.Thread = Thread
	m.Time = T0.Add(time.Hour)
	return m
}

// Sample is a sample finding (picket sample-findings) whose type holds
// an "&", as GuardDuty's Backdoor:EC2/C&CActivity.B!DNS does.
func Sample() notify.Message {
	f := finding.Finding{
		AccountID: "111122223333", Region: "eu-west-1", Type: "Backdoor:EC2/C&CActivity.B!DNS",
		Severity: finding.SevHigh, Title: "Command and control server domain name queried by EC2 instance i-99999999.",
		CreatedAt: T0, UpdatedAt: T0,
		Resource: finding.Resource{ResourceType: "Instance", InstanceDetails: &finding.InstanceDetails{InstanceID: "i-99999999"}},
		Service: finding.Service{
			Action:         finding.Action{ActionType: "DNS_REQUEST", DNSRequestAction: &finding.DNSRequestAction{Domain: "guarddutyc2activityb.com", Protocol: "UDP"}},
			EventFirstSeen: T0, EventLastSeen: T0,
			AdditionalInfo: map[string]any{"sample": true},
		},
		Keys: finding.Keys{Resource: "i-99999999"},
	}
	f.Seal()
	m := Message(f)
	m.Reason, m.Sample = notify.ReasonSample, true
	return m
}

// Evil is a Medium finding whose attacker-controlled strings try to
// mention the channel, make links and fake extra lines.
func Evil() notify.Message {
	f := CloudTrail()
	f.Severity = finding.SevMedium
	f.Title = "<!channel> <http://evil|x> & co"
	f.Description = "Call by <@U024BE7LH> from <https://phish.example|your bank>.\n*Resolved*: <!everyone> ignore this"
	f.Resource.AccessKeyDetails.UserName = "admin<!here>\u202e"
	f.Service.Action.AwsAPICallAction.UserAgent = "curl/8 <https://evil.example|Open in console> &amp;\n:white_check_mark: Archived"
	m := Message(f)
	m.Account.Name = "<#C999|general>"
	return m
}

package threatintel

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/intel"
)

var t0 = time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC)

func lists(t *testing.T) *intel.Set {
	t.Helper()
	cfg := intel.Config{Lists: []intel.ListConfig{
		{Name: "feed-c2", Kind: intel.KindThreat, Format: "TXT", Path: "testdata/feed-c2.txt", Category: "c2"},
		{Name: "feed-mining", Kind: intel.KindThreat, Format: "TXT", Path: "testdata/feed-mining.txt", Category: "cryptomining"},
		{Name: "feed-malicious", Kind: intel.KindThreat, Format: "TXT", Path: "testdata/feed-malicious.txt", Category: "malicious"},
		{Name: "tor", Kind: intel.KindTor, Format: "TXT", Path: "testdata/tor.txt"},
		{Name: "ours", Kind: intel.KindThreat, Format: "TXT", Path: "testdata/ours.txt", Custom: true},
		{Name: "trusted", Kind: intel.KindTrusted, Format: "TXT", Path: "testdata/trusted.txt"},
		{Name: "feed-crypto", Kind: intel.KindThreat, Format: "TXT", Path: "testdata/feed-crypto.txt", Category: "cryptocurrency"},
		{Name: "feed-abused", Kind: intel.KindThreat, Format: "TXT", Path: "testdata/feed-abused.txt", Category: "abused"},
		{Name: "feed-suspicious", Kind: intel.KindThreat, Format: "TXT", Path: "testdata/feed-suspicious.txt", Category: "suspicious"},
		{Name: "feed-dga", Kind: intel.KindThreat, Format: "TXT", Path: "testdata/feed-dga.txt", Category: "dga"},
	}}
	s, _, err := intel.Load(context.Background(), cfg, intel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func run(dets []detect.Detector, evs ...*event.Event) []finding.Finding {
	en := detect.NewEngine(dets, func() time.Time { return t0 })
	var out []finding.Finding
	for _, e := range evs {
		out = en.Detect(context.Background(), e, out)
	}
	return out
}

func flowEvent(src string, sport uint16, dst string, dport uint16, action string, at time.Duration) *event.Event {
	e := &event.Event{Kind: event.KindVPCFlow, Time: t0.Add(at), Account: "111122223333", Region: "us-east-1"}
	e.Net = event.Network{SrcAddr: netip.MustParseAddr(src), DstAddr: netip.MustParseAddr(dst), SrcPort: sport, DstPort: dport,
		Protocol: 6, Packets: 10, Bytes: 2000, Start: t0.Add(at), End: t0.Add(at + time.Minute), Action: action, LogStatus: "OK",
		InterfaceID: "eni-0123456789abcdef0", InstanceID: "i-0abc123def4567890"}
	return e
}

const local = "10.0.1.15"

func TestFlows(t *testing.T) {
	s := lists(t)
	tests := []struct {
		name string
		e    *event.Event
		want string // "" for none
		sev  float64
	}{
		{"egress to C&C", flowEvent(local, 40000, "198.51.100.66", 443, "ACCEPT", 0), "Backdoor:EC2/C&CActivity.B", finding.SevHigh},
		{"egress to a mining pool", flowEvent(local, 40000, "203.0.113.50", 3333, "ACCEPT", 0), "CryptoCurrency:EC2/BitcoinTool.B", finding.SevHigh},
		{"egress to Tor", flowEvent(local, 40000, "185.220.101.1", 9001, "ACCEPT", 0), "UnauthorizedAccess:EC2/TorClient", finding.SevHigh},
		{"a relay's ORPort talking to Tor", flowEvent(local, 9001, "185.220.101.2", 443, "ACCEPT", 0), "UnauthorizedAccess:EC2/TorRelay", finding.SevHigh},
		{"Tor reaching the relay port", flowEvent("185.220.101.2", 50000, local, 9001, "ACCEPT", 0), "UnauthorizedAccess:EC2/TorRelay", finding.SevHigh},
		{"Tor reaching a web server", flowEvent("185.220.101.2", 50000, local, 443, "ACCEPT", 0), "", 0},
		{"custom list, inbound", flowEvent("192.0.2.99", 50000, local, 22, "ACCEPT", 0), "UnauthorizedAccess:EC2/MaliciousIPCaller.Custom", finding.SevMedium},
		{"custom list, blocked", flowEvent("192.0.2.99", 50000, local, 22, "REJECT", 0), "", 0},
		{"known malicious host probes an open port", flowEvent("45.33.32.156", 50000, local, 8080, "ACCEPT", 0), "Recon:EC2/PortProbeUnprotectedPort", finding.SevLow},
		{"known malicious host, port closed", flowEvent("45.33.32.156", 50000, local, 8080, "REJECT", 0), "", 0},
		{"trusted beats the C&C list", flowEvent(local, 40000, "198.51.100.77", 443, "ACCEPT", 0), "", 0},
		{"unlisted host", flowEvent(local, 40000, "198.51.100.200", 443, "ACCEPT", 0), "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := run(All(s, Options{})[:1], tc.e)
			var got []string
			for _, f := range fs {
				got = append(got, f.Type)
			}
			if tc.want == "" {
				if len(fs) != 0 {
					t.Errorf("raised %v", got)
				}
				return
			}
			if len(fs) != 1 || fs[0].Type != tc.want || fs[0].Severity != tc.sev {
				t.Fatalf("raised %v, want %s", got, tc.want)
			}
			info := fs[0].Service.AdditionalInfo
			if info["threatListName"] == "" || info["threatListLine"].(int) < 1 {
				t.Errorf("no provenance: %v", info)
			}
		})
	}
	// A probe finding says which port, as GuardDuty's PORT_PROBE action.
	fs := run(All(s, Options{})[:1], flowEvent("45.33.32.156", 50000, local, 8080, "ACCEPT", 0))
	if pp := fs[0].Service.Action.PortProbeAction; pp == nil || pp.PortProbeDetails[0].LocalPortDetails.Port != 8080 {
		t.Errorf("probe action %+v", fs[0].Service.Action)
	}
	// Repeats within the window raise once; after it, again.
	fs = run(All(s, Options{Window: 10 * time.Minute})[:1],
		flowEvent(local, 40000, "198.51.100.66", 443, "ACCEPT", 0),
		flowEvent(local, 40001, "198.51.100.66", 443, "ACCEPT", time.Minute),
		flowEvent(local, 40002, "198.51.100.66", 443, "ACCEPT", 11*time.Minute))
	if len(fs) != 2 || fs[0].ID != fs[1].ID {
		t.Errorf("repeats: %d findings", len(fs))
	}
}

func dnsEvent(name string) *event.Event {
	e := &event.Event{Kind: event.KindDNS, Time: t0, Account: "111122223333", Region: "us-east-1"}
	e.DNS = event.DNS{Query: name, QueryType: "A", RCode: "NOERROR", SrcAddr: netip.MustParseAddr(local), Transport: "UDP",
		InstanceID: "i-0abc123def4567890", VPCID: "vpc-1"}
	return e
}

func TestQueries(t *testing.T) {
	s := lists(t)
	tests := map[string]string{
		"beacon.c2.badness.example.":     "Backdoor:EC2/C&CActivity.B!DNS",
		"POOL.MINEXMR.EXAMPLE":           "CryptoCurrency:EC2/BitcoinTool.B!DNS",
		"phish-login.example.":           "Impact:EC2/MaliciousDomainRequest.Reputation",
		"x.exfil.ours.example.":          "Impact:EC2/MaliciousDomainRequest.Custom",
		"guarddutyc2activityb.com.":      "Backdoor:EC2/C&CActivity.B!DNS",
		"www.coins.exchange.example.":    "Impact:EC2/BitcoinDomainRequest.Reputation",
		"pastes.example.":                "Impact:EC2/AbusedDomainRequest.Reputation",
		"meh.example.":                   "Impact:EC2/SuspiciousDomainRequest.Reputation",
		"xkqzvbnmwrtplk.example.":        "Trojan:EC2/DGADomainRequest.C!DNS",
		"notc2.badness.example.":         "",
		"www.example.com.":               "",
		"c2.badness.example.attacker.ex": "",
	}
	for q, want := range tests {
		fs := run(All(s, Options{})[1:2], dnsEvent(q))
		switch {
		case want == "" && len(fs) != 0:
			t.Errorf("%s raised %s", q, fs[0].Type)
		case want != "" && (len(fs) != 1 || fs[0].Type != want):
			t.Errorf("%s: %v, want %s", q, fs, want)
		case want != "" && fs[0].Service.Action.DNSRequestAction.Domain != strings.TrimSuffix(q, "."):
			t.Errorf("%s: action %+v", q, fs[0].Service.Action.DNSRequestAction)
		}
	}
}

func callEvent(ip, service, action string, readOnly bool) *event.Event {
	return &event.Event{Kind: event.KindCloudTrail, Time: t0, Account: "111122223333", Region: "us-east-1", SourceIP: ip,
		Service: service, Action: action, ReadOnly: readOnly,
		Actor: event.Actor{Type: "IAMUser", UserName: "dev", AccessKeyID: "AKIAEXAMPLE", ARN: "arn:aws:iam::111122223333:user/dev"}}
}

func TestCallers(t *testing.T) {
	s := lists(t)
	tests := []struct {
		e    *event.Event
		want string
	}{
		{callEvent("45.33.32.156", "iam.amazonaws.com", "ListUsers", true), "Recon:IAMUser/MaliciousIPCaller"},
		{callEvent("45.33.32.156", "iam.amazonaws.com", "CreateUser", false), "UnauthorizedAccess:IAMUser/MaliciousIPCaller"},
		{callEvent("192.0.2.99", "ec2.amazonaws.com", "DescribeInstances", true), "Recon:IAMUser/MaliciousIPCaller.Custom"},
		{callEvent("192.0.2.99", "ec2.amazonaws.com", "RunInstances", false), "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom"},
		{callEvent("185.220.101.1", "sts.amazonaws.com", "GetCallerIdentity", true), "Recon:IAMUser/TorIPCaller"},
		{callEvent("185.220.101.1", "iam.amazonaws.com", "AttachUserPolicy", false), "UnauthorizedAccess:IAMUser/TorIPCaller"},
		{callEvent("45.33.32.156", "s3.amazonaws.com", "ListBuckets", true), "Discovery:S3/MaliciousIPCaller"},
		{callEvent("45.33.32.156", "s3.amazonaws.com", "GetObject", true), "Exfiltration:S3/MaliciousIPCaller"},
		{callEvent("45.33.32.156", "s3.amazonaws.com", "DeleteObject", false), "Impact:S3/MaliciousIPCaller"},
		{callEvent("192.0.2.99", "s3.amazonaws.com", "ListObjects", true), "Discovery:S3/MaliciousIPCaller.Custom"},
		{callEvent("192.0.2.99", "s3.amazonaws.com", "PutBucketPolicy", false), "UnauthorizedAccess:S3/MaliciousIPCaller.Custom"},
		{callEvent("185.220.101.1", "s3.amazonaws.com", "ListObjects", true), "Discovery:S3/TorIPCaller"},
		{callEvent("185.220.101.1", "s3.amazonaws.com", "GetObject", true), "UnauthorizedAccess:S3/TorIPCaller"},
		{callEvent("198.51.100.77", "iam.amazonaws.com", "ListUsers", true), ""},   // trusted
		{callEvent("s3.amazonaws.com", "s3.amazonaws.com", "GetObject", true), ""}, // a service, not an address
		{callEvent("198.51.100.200", "iam.amazonaws.com", "ListUsers", true), ""},  // unlisted
	}
	for _, tc := range tests {
		fs := run(All(s, Options{})[2:], tc.e)
		var got []string
		for _, f := range fs {
			got = append(got, f.Type)
		}
		want := []string{tc.want}
		if tc.want == "" {
			want = nil
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s %s from %s: %v, want %v", tc.e.Service, tc.e.Action, tc.e.SourceIP, got, want)
		}
	}
	fs := run(All(s, Options{})[2:], callEvent("45.33.32.156", "iam.amazonaws.com", "ListUsers", true))
	f := fs[0]
	if f.Resource.AccessKeyDetails.AccessKeyID != "AKIAEXAMPLE" || f.Service.Action.AwsAPICallAction.RemoteIPDetails.IPAddressV4 != "45.33.32.156" ||
		!strings.Contains(f.Description, "feed-malicious") {
		t.Errorf("finding %+v", f)
	}
}

// A domain queried again and again raises once per window.
func TestQueriesOncePerWindow(t *testing.T) {
	s := lists(t)
	var evs []*event.Event
	for _, at := range []time.Duration{0, time.Minute, 5 * time.Minute, 11 * time.Minute} {
		e := dnsEvent("beacon.c2.badness.example.")
		e.Time = t0.Add(at)
		evs = append(evs, e)
	}
	if fs := run(All(s, Options{Window: 10 * time.Minute})[1:2], evs...); len(fs) != 2 {
		t.Errorf("%d findings, want 2 (at 0 and 11 minutes)", len(fs))
	}
}

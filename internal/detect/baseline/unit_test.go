package baseline

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

func TestUAFamily(t *testing.T) {
	for _, tc := range []struct{ ua, want string }{
		{uaCLI, "aws-cli"},
		{"[aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79]", "aws-cli"},
		{uaTerraform, "terraform"},
		{uaBoto3, "boto3"},
		{"Botocore/1.31.0 Python/3.9", "boto3"},
		{uaStratus, "stratus-red-team"},
		{"aws-sdk-go-v2/1.32.3 os/linux lang/go#1.23.1 md/GOOS#linux", "aws-sdk-go-v2"},
		{"aws-sdk-java/1.12.500 Linux/5.10 OpenJDK_64-Bit_Server_VM/17", "aws-sdk-java"},
		{uaMac, "browser-macos"},
		{uaWindows, "browser-windows"},
		{"Mozilla/5.0 (X11; Linux x86_64) Firefox/124.0", "browser-linux"},
		{"AWS Internal", "aws-internal"},
		{"console.amazonaws.com", "console"},
		{"signin.amazonaws.com", "console"},
		{"aws-cdk/2.130.0", "cdk"},
		{"", "none"},
		{"python-requests/2.31.0", "python-requests"},
		{"averyveryverylongtoolnamewithoutslashes", "averyveryverylongtooln"},
	} {
		if got := uaFamily(tc.ua); got != tc.want {
			t.Errorf("uaFamily(%q) = %q, want %q", tc.ua, got, tc.want)
		}
	}
}

func TestNetwork(t *testing.T) {
	for _, tc := range []struct{ ip, want string }{
		{"203.0.113.66", "203.0.113.0/24"},
		{"075.050.255.67", "75.50.255.0/24"}, // anonymised, leading zeros
		{"2001:db8:1:2::7", "2001:db8:1::/48"},
		{"::ffff:198.51.100.7", "198.51.100.0/24"},
		{"256.1.1.1", "non-ip:"},
		{"1.2.3", "non-ip:"},
		{"AWS Internal", "non-ip:"},
	} {
		d := New(Options{})
		k, _, _ := d.network(tc.ip)
		if got := k.String(); got != tc.want && !(tc.want == "non-ip:" && k.kind() == netNonIP) {
			t.Errorf("network(%q) = %q, want %q", tc.ip, got, tc.want)
		}
	}
	d := New(Options{ASN: asnStub{}})
	if k, _, asn := d.network("203.0.113.9"); k.String() != "AS64500" || asn != 64500 {
		t.Errorf("with ASN: %v %d", k, asn)
	}
	if k, _, _ := d.network("192.0.2.9"); k.String() != "192.0.2.0/24" {
		t.Errorf("unknown to the ASN table: %v", k)
	}
}

type asnStub struct{}

func (asnStub) LookupASN(ip netip.Addr) (uint32, bool) {
	if netip.MustParsePrefix("203.0.113.0/24").Contains(ip) || netip.MustParsePrefix("198.51.100.0/24").Contains(ip) {
		return 64500, true
	}
	return 0, false
}

// With an ASN table, a new address in the principal's usual AS is not
// unusual; the finding names the AS.
func TestASNProfiles(t *testing.T) {
	d := New(Options{ASN: asnStub{}})
	var calls []call
	for _, c := range consoleHistory(14) {
		c.ip = "198.51.100.7"
		calls = append(calls, c)
	}
	run(t, d, calls)
	at := day0.AddDate(0, 0, 15).Add(23 * time.Hour)
	same := call{at: at, who: iamUser("alice"), api: "signin:ConsoleLogin", ip: "203.0.113.5", ua: uaMac, evType: "AwsConsoleSignIn", response: map[string]any{"ConsoleLogin": "Success"}}
	if fs := run(t, d, []call{same}); len(fs) != 0 {
		t.Errorf("same AS raised %v", typeSet(fs))
	}
	other := same
	other.ip, other.at = "192.0.2.1", at.Add(time.Hour)
	fs := run(t, d, []call{other})
	if len(fs) != 1 {
		t.Fatalf("other network: %v", typeSet(fs))
	}
	pr := fs[0].Service.AdditionalInfo["anomalies"].(map[string]any)["profiled"].(map[string]any)
	if nets := pr["networks"].([]string); len(nets) != 1 || nets[0] != "AS64500" {
		t.Errorf("profiled networks %v", nets)
	}
}

func TestClassify(t *testing.T) {
	tab := DefaultTable()
	for _, tc := range []struct {
		src, name string
		want      Class
		unc       bool
	}{
		{"iam.amazonaws.com", "CreateAccessKey", Persistence, false},
		{"iam.amazonaws.com", "ListUsers", Discovery, false},
		{"ec2.amazonaws.com", "GetPasswordData", CredentialAccess, false}, // exact beats Get*
		{"lambda.amazonaws.com", "UpdateFunctionCode20150331v2", Persistence, false},
		{"lambda.amazonaws.com", "GetFunction20150331v2", Discovery, false},
		{"s3.amazonaws.com", "GetObject", S3Read, false},
		{"s3.amazonaws.com", "GetBucketPolicy", S3Discovery, false}, // s3's Get* beats "*"
		{"s3.amazonaws.com", "ListObjectsV2", S3Discovery, false},
		{"sts.amazonaws.com", "AssumeRole", None, true},
		{"ecs.amazonaws.com", "UpdateService", None, false},
	} {
		c, unc := tab.Classify(tc.src, tc.name)
		if c != tc.want || unc != tc.unc {
			t.Errorf("Classify(%s, %s) = %v %v, want %v %v", tc.src, tc.name, c, unc, tc.want, tc.unc)
		}
	}
	for _, bad := range []string{
		"sources: {iam.amazonaws.com: {CreateUser: Nope}}",
		"sources: {'*': {CreateUser: Persistence}}",
		"sources: {iam.amazonaws.com: {'Cre*User': Persistence}}",
		"unclassified: {sts.amazonaws.com: {AssumeRole: ''}}",
		"sources: {iam.amazonaws.com: {CreateUser: Persistence}}\nunclassified: {iam.amazonaws.com: {CreateUser: why}}",
	} {
		if _, err := ParseTable([]byte(bad)); err == nil {
			t.Errorf("ParseTable(%q) succeeded", bad)
		}
	}
	if len(tab.Rows()) < 200 {
		t.Errorf("%d rows", len(tab.Rows()))
	}
}

func TestProfileSize(t *testing.T) {
	const max = 1200
	if n := unsafe.Sizeof(profile{}); n > max {
		t.Errorf("profile is %d bytes, budget %d", n, max)
	}
	t.Logf("profile struct: %d bytes", unsafe.Sizeof(profile{}))
}

// BenchmarkDetect measures the common path: a learned principal making
// usual calls (no finding). Reports bytes per principal from a table of
// 20000 profiles.
func BenchmarkDetect(b *testing.B) {
	d := New(Options{})
	run(b, d, ciHistory(14))
	evs := []*event.Event{
		call{at: day0.AddDate(0, 0, 15).Add(10 * time.Hour), who: role("ci-deploy", "bench"), api: "ec2:DescribeInstances", ip: "192.0.2.12", ua: uaCLI}.event(b),
		call{at: day0.AddDate(0, 0, 15).Add(10 * time.Hour), who: role("ci-deploy", "bench"), api: "ecs:UpdateService", ip: "192.0.2.13", ua: uaTerraform}.event(b),
	}
	var out []finding.Finding
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out = d.Detect(ctx, evs[i&1], out[:0])
	}
	b.StopTimer()
	if len(out) != 0 {
		b.Fatal("raised a finding")
	}
	b.ReportMetric(bytesPerPrincipal(b, 20000), "bytes/principal")
}

func bytesPerPrincipal(b *testing.B, n int) float64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	d := New(Options{MaxPrincipals: 2 * n}) // shards fill unevenly
	e := call{at: day0, who: iamUser("x"), api: "sts:GetCallerIdentity", ip: "192.0.2.1", ua: uaCLI}.event(b)
	for i := 0; i < n; i++ {
		e.Actor.ARN = fmt.Sprintf("arn:aws:iam::%s:user/user-%06d", acct, i)
		d.Detect(context.Background(), e, nil)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	if d.Len() != n {
		b.Fatalf("Len %d", d.Len())
	}
	runtime.KeepAlive(d)
	return float64(m1.HeapAlloc-m0.HeapAlloc) / float64(n)
}

// The common path does not allocate.
func TestDetectAllocs(t *testing.T) {
	d := New(Options{})
	run(t, d, ciHistory(14))
	e := call{at: day0.AddDate(0, 0, 15).Add(10 * time.Hour), who: role("ci-deploy", "bench"), api: "ec2:DescribeInstances", ip: "192.0.2.12", ua: uaCLI}.event(t)
	out := make([]finding.Finding, 0, 1)
	if n := testing.AllocsPerRun(200, func() { out = d.Detect(context.Background(), e, out[:0]) }); n != 0 {
		t.Errorf("%v allocations per event", n)
	}
}

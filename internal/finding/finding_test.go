package finding

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestLabelOf(t *testing.T) {
	tests := []struct {
		sev  float64
		want Label
	}{
		{1.0, Low}, {3.9, Low}, {4.0, Medium}, {6.9, Medium}, {7.0, High}, {8.9, High}, {9.0, Critical}, {10, Critical},
	}
	for _, tc := range tests {
		if got := LabelOf(tc.sev); got != tc.want {
			t.Errorf("LabelOf(%v) = %v, want %v", tc.sev, got, tc.want)
		}
		if tc.want.Min() > tc.sev {
			t.Errorf("%v.Min() = %v above %v", tc.want, tc.want.Min(), tc.sev)
		}
	}
	for _, s := range []string{"low", " HIGH ", "Critical", "medium"} {
		l, err := ParseLabel(s)
		if err != nil || !strings.EqualFold(l.String(), strings.TrimSpace(s)) {
			t.Errorf("ParseLabel(%q) = %v, %v", s, l, err)
		}
	}
	if _, err := ParseLabel("severe"); err == nil {
		t.Error("ParseLabel accepted an unknown label")
	}
}

func TestFingerprint(t *testing.T) {
	base := Fingerprint("T", "111111111111", "us-east-1", Keys{Resource: "r", Actor: "a"})
	if len(base) != 32 || strings.Trim(base, "0123456789abcdef") != "" {
		t.Fatalf("fingerprint %q is not 32 hex characters", base)
	}
	if Fingerprint("T", "111111111111", "us-east-1", Keys{Resource: "r", Actor: "a"}) != base {
		t.Error("same inputs, different fingerprints")
	}
	// Every part counts, and parts cannot run into each other.
	for _, other := range []string{
		Fingerprint("U", "111111111111", "us-east-1", Keys{Resource: "r", Actor: "a"}),
		Fingerprint("T", "222222222222", "us-east-1", Keys{Resource: "r", Actor: "a"}),
		Fingerprint("T", "111111111111", "eu-west-1", Keys{Resource: "r", Actor: "a"}),
		Fingerprint("T", "111111111111", "us-east-1", Keys{Resource: "s", Actor: "a"}),
		Fingerprint("T", "111111111111", "us-east-1", Keys{Resource: "r", Actor: "b"}),
		Fingerprint("T", "111111111111", "us-east-1", Keys{Resource: "ra", Actor: ""}),
	} {
		if other == base {
			t.Errorf("different inputs share fingerprint %s", base)
		}
	}
}

func TestSealAndJSON(t *testing.T) {
	f := Finding{Type: "Stealth:IAMUser/CloudTrailLoggingDisabled", Severity: SevLow, AccountID: "111122223333", Region: "cn-north-1",
		Keys: Keys{Resource: "trail"}}
	f.Seal()
	if f.Partition != "aws-cn" || f.Service.Count != 1 || f.SchemaVersion != "2.0" ||
		f.Arn != "arn:aws-cn:guardduty:cn-north-1:111122223333:detector/picket/finding/"+f.ID {
		t.Errorf("sealed %+v", f)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"schemaVersion", "id", "arn", "accountId", "region", "type", "severity", "createdAt", "updatedAt", "resource", "service"} {
		if _, ok := m[k]; !ok {
			t.Errorf("GuardDuty field %s missing from %s", k, b)
		}
	}
	if _, ok := m["Keys"]; ok {
		t.Error("internal keys serialized")
	}
}

func TestMerge(t *testing.T) {
	t0 := time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC)
	f := Finding{Severity: 2, Title: "low", Service: Service{Count: 2, EventFirstSeen: t0, EventLastSeen: t0.Add(time.Hour), Archived: true,
		Action: Action{ActionType: "first"}}, CreatedAt: t0}
	earlier := Finding{Severity: 5, Title: "medium", Service: Service{Count: 3, EventFirstSeen: t0.Add(-time.Hour), EventLastSeen: t0,
		Action: Action{ActionType: "earlier"}}}
	f.Merge(&earlier)
	if f.Service.Count != 5 || !f.Service.EventFirstSeen.Equal(t0.Add(-time.Hour)) || !f.Service.EventLastSeen.Equal(t0.Add(time.Hour)) {
		t.Errorf("after an earlier occurrence: %+v", f.Service)
	}
	if f.Service.Action.ActionType != "first" {
		t.Error("an earlier occurrence replaced the latest action")
	}
	// The title describes the latest call, as the action does.
	if f.Severity != 5 || f.Title != "low" || !f.Service.Archived || !f.CreatedAt.Equal(t0) {
		t.Errorf("severity %v title %q archived %t createdAt %v", f.Severity, f.Title, f.Service.Archived, f.CreatedAt)
	}
	later := Finding{Severity: 1, Title: "latest", Service: Service{Count: 1, EventFirstSeen: t0.Add(2 * time.Hour), EventLastSeen: t0.Add(2 * time.Hour),
		Action: Action{ActionType: "later"}}}
	f.Merge(&later)
	if f.Service.Action.ActionType != "later" || f.Title != "latest" || f.Severity != 5 || f.Service.Count != 6 {
		t.Errorf("after a later, lower occurrence: action %q title %q severity %v count %d", f.Service.Action.ActionType, f.Title, f.Severity, f.Service.Count)
	}
}

func TestDetach(t *testing.T) {
	buf := []byte("i-0123456789abcdef0 eni-0123 10.0.0.1 AKIAEXAMPLE GetObject port")
	s := func(i, j int) string { return unsafeString(buf[i:j]) }
	f := Finding{
		Type: s(0, 19),
		Resource: Resource{ResourceType: "Instance", InstanceDetails: &InstanceDetails{InstanceID: s(0, 19),
			NetworkInterfaces: []NetworkInterface{{NetworkInterfaceID: s(20, 28), PrivateIPAddress: s(29, 37)}}}},
		Service: Service{Action: Action{AwsAPICallAction: &AwsAPICallAction{API: s(50, 59), AffectedResources: map[string]string{s(38, 49): s(50, 59)}}},
			AdditionalInfo: map[string]any{"k": s(60, 64), "list": []string{s(0, 3)}}},
		Keys: Keys{Resource: s(0, 19)},
	}
	before := *f.Resource.InstanceDetails
	f.Detach()
	for i := range buf {
		buf[i] = 'X'
	}
	id := f.Resource.InstanceDetails
	if id.InstanceID != "i-0123456789abcdef0" || f.Type != "i-0123456789abcdef0" || f.Keys.Resource != "i-0123456789abcdef0" ||
		id.NetworkInterfaces[0].NetworkInterfaceID != "eni-0123" || f.Service.Action.AwsAPICallAction.API != "GetObject" ||
		f.Service.Action.AwsAPICallAction.AffectedResources["AKIAEXAMPLE"] != "GetObject" || f.Service.AdditionalInfo["k"] != "port" ||
		f.Service.AdditionalInfo["list"].([]string)[0] != "i-0" {
		t.Errorf("detached finding still borrows the buffer: %+v %+v %+v", f, *id, f.Service)
	}
	if before.InstanceID == id.InstanceID {
		t.Error("the original InstanceDetails was not replaced")
	}
}

// Another producer's updates carry cumulative counts and its latest
// severity; Picket's own occurrences add up.
func TestMergeExternal(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(service string, count int64, sev float64, updated time.Time) Finding {
		f := Finding{Severity: sev, UpdatedAt: updated}
		f.Service.ServiceName, f.Service.Count = service, count
		return f
	}
	gd := mk("guardduty", 74, 8, t0)
	up := mk("guardduty", 80, 5, t0.Add(time.Hour))
	gd.Merge(&up)
	if gd.Service.Count != 80 || gd.Severity != 5 {
		t.Errorf("external merge: count %d severity %.1f, want 80 and the newer 5.0", gd.Service.Count, gd.Severity)
	}
	old := mk("guardduty", 70, 9, t0.Add(-time.Hour))
	gd.Merge(&old)
	if gd.Service.Count != 80 || gd.Severity != 5 {
		t.Errorf("an older update changed it: count %d severity %.1f", gd.Service.Count, gd.Severity)
	}
	own := mk("picket", 3, 2, t0)
	more := mk("picket", 4, 5, t0)
	own.Merge(&more)
	if own.Service.Count != 7 || own.Severity != 5 {
		t.Errorf("picket merge: count %d severity %.1f", own.Service.Count, own.Severity)
	}
}

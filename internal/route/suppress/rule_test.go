package suppress

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/finding"
)

var t0 = time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)

func mustTerms(t testing.TB, terms ...string) Criteria {
	t.Helper()
	c, err := ParseTerms(terms)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func rule(t testing.TB, id string, expires time.Time, terms ...string) Rule {
	return Rule{ID: id, Name: "rule " + id, Owner: "secops@example.com", Reason: "known scanner", Criteria: mustTerms(t, terms...),
		Expires: expires, CreatedAt: t0.Add(-time.Hour), CreatedBy: "alice"}
}

func TestValidate(t *testing.T) {
	ok := rule(t, "r1", t0.Add(24*time.Hour), "type=X")
	if err := ok.Validate(t0); err != nil {
		t.Errorf("valid rule: %v", err)
	}
	never := rule(t, "r2", time.Time{}, "type=X")
	if err := never.Validate(t0); err != nil {
		t.Errorf("rule without expiry: %v", err)
	}
	tests := []struct {
		name string
		edit func(*Rule)
		want []string
	}{
		{"no owner", func(r *Rule) { r.Owner = " " }, []string{"no owner"}},
		{"no reason", func(r *Rule) { r.Reason = "" }, []string{"no reason"}},
		{"no id", func(r *Rule) { r.ID = "" }, []string{"no ID"}},
		{"no criteria", func(r *Rule) { r.Criteria = Criteria{} }, []string{"no criteria"}},
		{"expired", func(r *Rule) { r.Expires = t0.Add(-time.Second) }, []string{"not in the future"}},
		{"expires now", func(r *Rule) { r.Expires = t0 }, []string{"not in the future"}},
		{"all at once", func(r *Rule) { r.Owner, r.Reason, r.Expires = "", "", t0.Add(-time.Hour) },
			[]string{"no owner", "no reason", "not in the future"}},
	}
	for _, tt := range tests {
		r := ok
		tt.edit(&r)
		err := r.Validate(t0)
		if err == nil {
			t.Errorf("%s: valid", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", tt.name, err, w)
			}
		}
	}
}

func TestNewSetErrors(t *testing.T) {
	good := rule(t, "a", time.Time{}, "type=X")
	noOwner := rule(t, "b", time.Time{}, "type=X")
	noOwner.Owner = ""
	if _, err := NewSet([]Rule{good, noOwner}); err == nil || !strings.Contains(err.Error(), "no owner") {
		t.Errorf("missing owner: %v", err)
	}
	if _, err := NewSet([]Rule{good, good}); err == nil || !strings.Contains(err.Error(), "ID a") {
		t.Errorf("duplicate ID: %v", err)
	}
	empty := good
	empty.ID, empty.Criteria = "c", Criteria{}
	if _, err := NewSet([]Rule{empty}); err == nil || !strings.Contains(err.Error(), "no criteria") {
		t.Errorf("empty criteria: %v", err)
	}
	// An expired rule loads (it was valid when created) but never matches.
	old := rule(t, "d", t0.Add(-time.Hour), "type=X")
	s, err := NewSet([]Rule{old})
	if err != nil {
		t.Fatalf("expired rule rejected: %v", err)
	}
	if r := s.First(&finding.Finding{Type: "X"}, t0); r != nil {
		t.Errorf("expired rule matched: %s", r.ID)
	}
	if r := s.First(&finding.Finding{Type: "X"}, t0.Add(-2*time.Hour)); r == nil || r.ID != "d" {
		t.Errorf("rule before its expiry: %v", r)
	}
	if r := s.First(nil, t0); r != nil {
		t.Error("matched nil")
	}
	empty2, err := NewSet(nil)
	if err != nil || empty2.First(&finding.Finding{}, t0) != nil || empty2.Len() != 0 {
		t.Errorf("empty set: %v", err)
	}
}

func TestSetFirst(t *testing.T) {
	fx := loadFixtures(t)
	day := 24 * time.Hour
	rules := []Rule{
		// 0: pinned to the DNS type, expired
		rule(t, "dns-expired", t0.Add(-day), "type=Backdoor:EC2/C&CActivity.B!DNS"),
		// 1: unpinned, matches high severity outside account 123456789012: none
		rule(t, "other-accounts-high", time.Time{}, "accountId!=123456789012", "severity>=7"),
		// 2: pinned to two types
		rule(t, "probe-or-dns", t0.Add(day), "type=Recon:EC2/PortProbeUnprotectedPort", "type=Backdoor:EC2/C&CActivity.B!DNS", "severity<8"),
		// 3: unpinned: instances i-0abc* (portprobe, netconn)
		rule(t, "abc-instances", time.Time{}, "resource.instanceDetails.instanceId~i-0abc*"),
		// 4: pinned by Matches is not indexed (type~...): the iam finding
		rule(t, "iam-types", time.Time{}, "type~UnauthorizedAccess:IAMUser/*", "service.action.awsApiCallAction.remoteIpDetails.ipAddressV4=198.51.100.6"),
		// 5: pinned, would match the port probe but comes after rule 2
		rule(t, "probe-late", time.Time{}, "type=Recon:EC2/PortProbeUnprotectedPort"),
		// 6: NotEquals on type: unpinned
		rule(t, "not-probe-archived", time.Time{}, "type!=Recon:EC2/PortProbeUnprotectedPort", "service.archived=true"),
	}
	s, err := NewSet(rules)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"portprobe": "probe-or-dns",       // rule 2 (pinned) before 3 (unpinned) and 5
		"dns":       "probe-or-dns",       // rule 0 expired
		"netconn":   "abc-instances",      // unpinned only
		"iam_exfil": "iam-types",          // Matches on type
		"s3_public": "not-probe-archived", // last rule
	}
	check := func(now time.Time, want map[string]string) {
		t.Helper()
		for n, f := range fx {
			got := ""
			if r := s.First(f, now); r != nil {
				got = r.ID
			}
			if got != want[n] {
				t.Errorf("at %s, %s: First = %q, want %q", now.Format(time.RFC3339), n, got, want[n])
			}
		}
	}
	check(t0, want)
	// Two days on, rule 2 has expired too: the port probe falls to rule 3,
	// the DNS finding to nothing.
	later := t0.Add(2 * day)
	check(later, map[string]string{"portprobe": "abc-instances", "dns": "", "netconn": "abc-instances", "iam_exfil": "iam-types", "s3_public": "not-probe-archived"})
	// Two days back, rule 0 is still active.
	earlier := t0.Add(-2 * day)
	check(earlier, map[string]string{"portprobe": "probe-or-dns", "dns": "dns-expired", "netconn": "abc-instances", "iam_exfil": "iam-types", "s3_public": "not-probe-archived"})

	// First agrees with matching every rule's criteria in order.
	for n, f := range fx {
		var want *Rule
		for i := range rules {
			if rules[i].Active(t0) && rules[i].Criteria.Match(f) {
				want = &rules[i]
				break
			}
		}
		got := s.First(f, t0)
		if (got == nil) != (want == nil) || (got != nil && got.ID != want.ID) {
			t.Errorf("%s: First %v, linear scan %v", n, got, want)
		}
	}
	if s.Len() != len(rules) || !slices.EqualFunc(s.Rules(), rules, func(a, b Rule) bool { return a.ID == b.ID }) {
		t.Error("Rules() differs from the input")
	}
}

// TestSetConcurrent runs First from several goroutines (meaningful under
// -race): the per-call memo comes from a pool.
func TestSetConcurrent(t *testing.T) {
	fx := loadFixtures(t)
	s, err := NewSet([]Rule{
		rule(t, "a", time.Time{}, "type=Recon:EC2/PortProbeUnprotectedPort", "severity<3"),
		rule(t, "b", time.Time{}, "accountId=123456789012", "service.action.actionType=AWS_API_CALL"),
		rule(t, "c", time.Time{}, "resource.instanceDetails.networkInterfaces.privateIpAddress~10.*"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"portprobe": "a", "iam_exfil": "b", "netconn": "c", "dns": "c", "s3_public": ""}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for i := 0; i < 200; i++ {
				for n, f := range fx {
					got := ""
					if r := s.First(f, t0); r != nil {
						got = r.ID
					}
					if got != want[n] {
						t.Errorf("%s: %q, want %q", n, got, want[n])
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

func TestPreview(t *testing.T) {
	fx := loadFixtures(t)
	var all []finding.Finding
	for i := 0; i < 5; i++ {
		for _, n := range fixtureNames {
			f := *fx[n]
			f.ID = fmt.Sprintf("%s-%d", n, i)
			all = append(all, f)
		}
	}
	n, sample := Preview(mustTerms(t, "accountId=123456789012"), all)
	if n != 20 || len(sample) != PreviewSample || sample[0] != "portprobe-0" || sample[1] != "iam_exfil-0" {
		t.Errorf("Preview = %d, %v", n, sample)
	}
	n, sample = Preview(mustTerms(t, "type=Policy:S3/BucketBlockPublicAccessDisabled"), all)
	if n != 5 || !slices.Equal(sample, []string{"s3_public-0", "s3_public-1", "s3_public-2", "s3_public-3", "s3_public-4"}) {
		t.Errorf("Preview = %d, %v", n, sample)
	}
	n, sample = Preview(mustTerms(t, "type=nothing"), all)
	if n != 0 || sample != nil {
		t.Errorf("Preview = %d, %v", n, sample)
	}
}

func TestRuleJSON(t *testing.T) {
	r := rule(t, NewID(), t0.Add(time.Hour), "type=Recon:EC2/PortProbeUnprotectedPort", "severity<5")
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"id":`, `"owner":"secops@example.com"`, `"criteria":{"Criterion":{"type":{"Equals":["Recon:EC2/PortProbeUnprotectedPort"]}`, `"expires":"2024-03-10T13:00:00Z"`, `"createdBy":"alice"`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("%s lacks %s", b, k)
		}
	}
	var back Rule
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.ID != r.ID || back.Criteria.String() != r.Criteria.String() || !back.Expires.Equal(r.Expires) || back.Reason != r.Reason {
		t.Errorf("round trip: %+v", back)
	}
	r.Expires = time.Time{}
	b, _ = json.Marshal(r)
	if strings.Contains(string(b), "expires") {
		t.Errorf("zero expiry written: %s", b)
	}
	if id := NewID(); len(id) != 32 || id == NewID() {
		t.Errorf("NewID = %q", id)
	}
}

package coverage_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/picket-dev/picket/internal/detect/coverage"
	"github.com/picket-dev/picket/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite docs/stratus-coverage.md")

// coverageSeed seeds the committed table's background traffic.
const coverageSeed = 2024

// TestCoverageTable runs every Stratus technique through today's detector
// set and compares the table with docs/stratus-coverage.md (-update
// rewrites it). The coverage figure is logged, not asserted.
func TestCoverageTable(t *testing.T) {
	root := testutil.SharedData(t, "stratus-red-team")
	newDets := detectors(t)
	cat, err := coverage.LoadCatalog(filepath.Join(root, "catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := coverage.Run(context.Background(), coverage.RunOptions{
		Catalog: cat, Dir: root, NewDetectors: newDets, Seed: coverageSeed, Days: 14,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if r.Err != "" {
			t.Errorf("%s: %s", r.ID, r.Err)
		}
		if r.HasLog && r.Records == 0 {
			t.Errorf("%s: empty detonation log", r.ID)
		}
		if r.Reason == "" && !r.Covered() {
			t.Errorf("%s: not covered and no reason in coverage.Reasons", r.ID)
		}
		if len(r.BackgroundMedium) > 0 {
			t.Logf("%s: Medium+ on background/history: %v", r.ID, r.BackgroundMedium)
		}
	}
	t.Logf("coverage: %s", rep.Summary())
	got := []byte(rep.Markdown())
	path := filepath.Join(testutil.ModuleDir(t), "docs", "stratus-coverage.md")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/detect/coverage -run TestCoverageTable -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date: run go test ./internal/detect/coverage -run TestCoverageTable -update\n\ngot:\n%s", path, got)
	}
}

// The run is reproducible: the same seed gives the same table.
func TestCoverageDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	root := testutil.SharedData(t, "stratus-red-team")
	newDets := detectors(t)
	cat, err := coverage.LoadCatalog(filepath.Join(root, "catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	var some []coverage.Technique
	for _, c := range cat {
		if c.LogFile != "" && len(some) < 4 {
			some = append(some, c)
		}
	}
	o := coverage.RunOptions{Catalog: some, Dir: root, NewDetectors: newDets, Seed: 5, Days: 3}
	a, err := coverage.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := coverage.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if a.Markdown() != b.Markdown() {
		t.Fatal("same seed, different tables")
	}
}

func TestMatchesTactics(t *testing.T) {
	for _, tc := range []struct {
		typ     string
		tactics []string
		want    bool
	}{
		{"Stealth:IAMUser/CloudTrailLoggingDisabled", []string{"Defense Evasion"}, true},
		{"DefenseImpairment:EC2/DisableOrModifyTools", []string{"Defense Evasion"}, true},
		{"CredentialAccess:EC2/UnsecuredCredentials", []string{"Credential Access"}, true},
		{"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", []string{"Credential Access"}, true},
		{"Persistence:IAMUser/AnomalousBehavior", []string{"Persistence", "Privilege Escalation"}, true},
		{"PrivilegeEscalation:IAMUser/AnomalousBehavior", []string{"Persistence", "Privilege Escalation"}, true},
		{"AttackSequence:IAM/CompromisedCredentials", []string{"Impact"}, true},
		{"Discovery:IAMUser/AnomalousBehavior", []string{"Credential Access"}, false},
		{"Policy:IAMUser/RootCredentialUsage", []string{"Initial Access"}, false},
		{"PenTest:IAMUser/KaliLinux", []string{"Execution"}, false},
		{"Recon:IAMUser/MaliciousIPCaller", []string{"Discovery"}, true},
	} {
		if got := coverage.MatchesTactics(tc.typ, tc.tactics); got != tc.want {
			t.Errorf("MatchesTactics(%q, %v) = %v, want %v", tc.typ, tc.tactics, got, tc.want)
		}
	}
}

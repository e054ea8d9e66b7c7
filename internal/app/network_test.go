package app

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/picket-dev/picket/internal/config"
	"github.com/picket-dev/picket/internal/testutil"
)

// networkWant is internal/demo/network/README.md's table: type, instance,
// actor (remote host, domain or port), severity, count.
var networkWant = []string{
	"Backdoor:EC2/C&CActivity.B|i-0f66b8d0e2a4c6d7e|198.51.100.66|8|8",
	"Backdoor:EC2/C&CActivity.B!DNS|i-0f66b8d0e2a4c6d7e|c2.badness.example|8|8",
	"CryptoCurrency:EC2/BitcoinTool.B|i-0b88d0f2a4c6e8f9a|203.0.113.50|8|10",
	"CryptoCurrency:EC2/BitcoinTool.B!DNS|i-0b88d0f2a4c6e8f9a|pool.minexmr.example|8|1",
	"Recon:EC2/PortProbeUnprotectedPort|i-0a11c3e5f7a9b1c2d|port 80|2|1",
	"Recon:EC2/PortProbeUnprotectedPort|i-0a11c3e5f7a9b1c2d|port 443|2|1",
	"UnauthorizedAccess:EC2/SSHBruteForce|i-0c33e5a7b9d1f3a4b|198.51.100.140|5|2",
	"Trojan:EC2/DNSDataExfiltration|i-0e55a7c9d1f3b5c6d|exfil-tunnel.example|8|2",
	"UnauthorizedAccess:EC2/TorClient|i-0c99e1a3b5d7f9a0b|185.220.101.1|8|4",
	"Behavior:EC2/NetworkPortUnusual|i-0c99e1a3b5d7f9a0b|port 9001|5|1",
	"AttackSequence:EC2/CompromisedInstanceGroup|i-0a11c3e5f7a9b1c2d|111122223333|9.5|4",
}

// scanNetwork scans dir with the network scenario's lists.
func scanNetwork(t *testing.T, dir string) []string {
	t.Helper()
	root := testutil.ModuleDir(t)
	cfg, err := config.Load(filepath.Join(root, "internal/demo/network/picket.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Scan(t.Context(), ScanOptions{Paths: []string{dir}, Detectors: cfg.Detectors, Intel: cfg.Intel})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) > 0 || rep.Summary.Quarantined != 0 {
		t.Fatalf("errors %v, %d quarantined", rep.Errors, rep.Summary.Quarantined)
	}
	var got []string
	for _, f := range rep.Findings {
		got = append(got, fmt.Sprintf("%s|%s|%s|%g|%d", f.Type, f.Resource.InstanceDetails.InstanceID, f.Keys.Actor, f.Severity, f.Service.Count))
		if len(rep.Collector.Evidence(f.ID)) == 0 {
			t.Errorf("%s has no evidence", f.Type)
		}
	}
	slices.Sort(got)
	return got
}

// The network scenario raises exactly the findings its README lists.
func TestNetworkScenario(t *testing.T) {
	root := testutil.ModuleDir(t)
	got := scanNetwork(t, filepath.Join(root, "internal/demo/network/AWSLogs"))
	want := slices.Sorted(slices.Values(networkWant))
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n got %q\nwant %q", got, want)
	}
}

// The scenario's ordinary traffic alone raises nothing.
func TestNetworkScenarioBenign(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the scenario generator")
	}
	root := testutil.ModuleDir(t)
	dir := t.TempDir()
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "run", "internal/demo/network/gen/main.go", "-benign", "-out", dir)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generator: %v\n%s", err, out)
	}
	if got := scanNetwork(t, filepath.Join(dir, "AWSLogs")); len(got) != 0 {
		t.Errorf("benign traffic raised %q", got)
	}
}

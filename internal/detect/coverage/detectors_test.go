package coverage_test

import (
	"testing"

	"github.com/picket-dev/picket/internal/app"
	"github.com/picket-dev/picket/internal/config"
	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/testutil"
)

// ipRanges is a small ip-ranges.json in AWS's format: real published EC2
// prefixes (each listed as AMAZON and EC2, as AWS does) holding the
// generator's AWS addresses — the instances', the self-hosted runners'
// NAT addresses, the Lambda egress addresses, all us-east-1 — and the
// us-west-2 EC2 host the Stratus ec2-steal-instance-credentials
// detonation calls from (18.236.253.47). The office and home addresses
// are in none of them.
const ipRanges = "testdata/ip-ranges.json"

// detectors returns a factory of the full detector set as the app builds
// it (app.Detectors with the SigmaHQ CloudTrail rules, AWS's address
// ranges so the credential-exfiltration detectors run, the default
// selection, prepared by app.EngineDetectors), so detectors registered in
// the app later are measured too. The factory is safe for concurrent use.
func detectors(t *testing.T) func() []detect.Detector {
	t.Helper()
	rules := testutil.SharedData(t, "sigma", "rules", "cloud", "aws", "cloudtrail")
	cfg := config.DetectorsConfig{Sigma: config.SigmaConfig{Rules: []string{rules}}, AWSIPRanges: ipRanges}
	if _, errs := app.SigmaRules(cfg.Sigma); len(errs) > 0 {
		for _, e := range errs {
			t.Logf("sigma rule not loaded: %v", e)
		}
	}
	build := func() ([]detect.Detector, error) {
		reg, err := app.Detectors(cfg, nil)
		if err != nil {
			return nil, err
		}
		sel, err := reg.Select(cfg.Select, cfg.Disabled)
		if err != nil {
			return nil, err
		}
		return app.EngineDetectors(sel), nil
	}
	if _, err := build(); err != nil {
		t.Fatal(err)
	}
	return func() []detect.Detector {
		d, err := build()
		if err != nil {
			t.Error(err) // safe from the runner's goroutines
		}
		return d
	}
}

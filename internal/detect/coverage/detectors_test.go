package coverage_test

import (
	"testing"

	"github.com/picket-dev/picket/internal/app"
	"github.com/picket-dev/picket/internal/config"
	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/testutil"
)

// detectors returns a factory of the full detector set as the app builds
// it (app.Detectors with the SigmaHQ CloudTrail rules, the default
// selection, prepared by app.EngineDetectors), so detectors registered in
// the app later are measured too. The factory is safe for concurrent use.
func detectors(t *testing.T) func() []detect.Detector {
	t.Helper()
	rules := testutil.SharedData(t, "sigma", "rules", "cloud", "aws", "cloudtrail")
	cfg := config.DetectorsConfig{Sigma: config.SigmaConfig{Rules: []string{rules}}}
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

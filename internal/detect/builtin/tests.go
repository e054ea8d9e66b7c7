package builtin

import "embed"

// Tests are the built-in detectors' rule tests (ruletest format), shipped
// in the binary so `picket rules test` always runs them.
//
//go:embed tests/*.test.yml
var Tests embed.FS

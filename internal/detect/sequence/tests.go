package sequence

import "embed"

// Tests are the shipped chains' rule tests (ruletest format: GuardDuty-
// shaped findings and the attack sequences they must or must not raise),
// run by `picket rules test` beside the built-in detectors' tests.
//
//go:embed tests/*.test.yml
var Tests embed.FS

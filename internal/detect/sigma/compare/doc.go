// Package compare holds reference-point benchmarks for Sigma rule evaluation:
// the SigmaHQ AWS CloudTrail rules run by two third-party engines
// (github.com/bradleyjkemp/sigma-go, and OPA with the rules translated to
// Rego by a small translator in this package's tests) over the same corpus of
// raw CloudTrail records that Picket's own compiled Sigma engine is measured
// on. Everything here is test code: the package has no non-test API.
//
// Run the benchmarks on one core:
//
//	go test -run x -bench . -benchmem -cpu 1 ./internal/detect/sigma/compare
//
// Helpers for further benchmarks in this package: referenceCorpus returns the
// shared corpus (built once per process) and sigmaRuleFiles the rule files.
package compare

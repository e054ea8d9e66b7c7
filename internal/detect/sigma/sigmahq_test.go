package sigma

import (
	"path/filepath"
	"testing"

	"github.com/picket-dev/picket/internal/testutil"
)

// Every SigmaHQ AWS CloudTrail and Kubernetes audit rule loads and compiles
// with no error, and indexes by its event name or verb where it can.
func TestSigmaHQRulesLoad(t *testing.T) {
	for _, tc := range []struct {
		dir  []string
		want int
	}{
		{[]string{"sigma", "rules", "cloud", "aws", "cloudtrail"}, 57},
		{[]string{"sigma", "rules", "application", "kubernetes", "audit"}, 16},
	} {
		dir := testutil.SharedData(t, tc.dir...)
		rules, errs := LoadPaths(dir)
		for _, e := range errs {
			t.Errorf("%s: %v", filepath.Base(dir), e)
		}
		if len(rules) != tc.want {
			t.Errorf("%s: %d rules parsed, want %d", dir, len(rules), tc.want)
		}
		crs, errs := Compile(rules, Options{})
		for _, e := range errs {
			t.Errorf("compile: %v", e)
		}
		if len(crs) != tc.want {
			t.Errorf("%s: %d rules compiled, want %d", dir, len(crs), tc.want)
		}
		set := NewSet(crs)
		for k, ki := range set.byKind {
			t.Logf("kind %v: %d index keys, %d rules evaluated on every event", k, len(ki.byAction), len(ki.always))
			for _, r := range ki.always {
				t.Logf("  unindexed: %s", r.name)
			}
		}
		for _, r := range crs {
			t.Logf("%s  %s  %.1f", r.name, r.Type, r.Severity)
		}
	}
}

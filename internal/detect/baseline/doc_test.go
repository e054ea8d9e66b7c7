package baseline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/picket-dev/picket/internal/testutil"
)

const (
	docBegin = "<!-- tactics table: generated from tactics.yaml by TestDocTable (BASELINE_UPDATE_DOC=1) -->\n"
	docEnd   = "<!-- end of tactics table -->"
)

func renderTable() string {
	var b strings.Builder
	b.WriteString("| eventSource | eventName | class |\n|---|---|---|\n")
	for _, r := range DefaultTable().Rows() {
		b.WriteString("| " + r[0] + " | `" + r[1] + "` | " + r[2] + " |\n")
	}
	return b.String()
}

// The table in docs/behaviour-baselines.md is tactics.yaml's.
func TestDocTable(t *testing.T) {
	p := filepath.Join(testutil.ModuleDir(t), "docs", "behaviour-baselines.md")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, docBegin), strings.Index(doc, docEnd)
	if i < 0 || j < i {
		t.Fatalf("%s: table markers missing", p)
	}
	want := renderTable()
	if doc[i+len(docBegin):j] == want {
		return
	}
	if os.Getenv("BASELINE_UPDATE_DOC") == "1" {
		doc = doc[:i+len(docBegin)] + want + doc[j:]
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s: tactics table out of date; run BASELINE_UPDATE_DOC=1 go test -run TestDocTable ./internal/detect/baseline", p)
}

package compare

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/picket-dev/picket/internal/bench"
	"github.com/picket-dev/picket/internal/testutil"
)

// corpusGenerated is how many synthetic records the benchmark corpus holds
// (the Stratus Red Team records are added to these).
const corpusGenerated = 200_000

// corpusSeed seeds the synthetic records, so every run and every engine sees
// the same bytes.
const corpusSeed = 0x5167_6d61

// sigmaRuleFiles returns the SigmaHQ AWS CloudTrail rule files
// (shared/data/sigma/rules/cloud/aws/cloudtrail/*.yml), sorted. It skips the
// test when the shared folder is absent (and fails under CI=true).
func sigmaRuleFiles(tb testing.TB) []string {
	tb.Helper()
	dir := testutil.SharedData(tb, "sigma", "rules", "cloud", "aws", "cloudtrail")
	files, err := filepath.Glob(filepath.Join(dir, "*.yml"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(files) == 0 {
		tb.Fatalf("no Sigma rules in %s", dir)
	}
	sort.Strings(files)
	return files
}

// generatedRecords returns n synthetic CloudTrail records (one JSON object
// each) from bench.GenerateRecord with a fixed seed. The records share one
// backing array; each slice is capped so appending to one cannot overwrite
// the next.
func generatedRecords(n int) [][]byte {
	r := rand.New(rand.NewPCG(corpusSeed, 1))
	arena := make([]byte, 0, n*1500)
	recs := make([][]byte, n)
	for i := range n {
		start := len(arena)
		// If the arena grows and moves, earlier records keep pointing
		// into the old array, which stays valid.
		arena = bench.GenerateRecord(r, i, arena)
		recs[i] = arena[start:len(arena):len(arena)]
	}
	return recs
}

var (
	stratusOnce  sync.Once
	stratusRecs  [][]byte
	stratusFiles []string
	stratusErr   error
)

// stratusRecords returns every record of the Stratus Red Team detonation
// logs (shared/data/stratus-red-team/detonation-logs/*.json, each a JSON
// array of CloudTrail records), compacted to one line each, in file order,
// and the base name of the file each came from.
func stratusRecords(tb testing.TB) (recs [][]byte, files []string) {
	tb.Helper()
	dir := testutil.SharedData(tb, "stratus-red-team", "detonation-logs")
	stratusOnce.Do(func() { stratusRecs, stratusFiles, stratusErr = loadStratus(dir) })
	if stratusErr != nil {
		tb.Fatal(stratusErr)
	}
	return stratusRecs, stratusFiles
}

func loadStratus(dir string) (out [][]byte, from []string, err error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, nil, err
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("no detonation logs in %s", dir)
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, err
		}
		var recs []json.RawMessage
		if err := json.Unmarshal(b, &recs); err != nil {
			return nil, nil, fmt.Errorf("%s: want a JSON array of records: %w", f, err)
		}
		for i, r := range recs {
			var buf bytes.Buffer
			if err := json.Compact(&buf, r); err != nil {
				return nil, nil, fmt.Errorf("%s record %d: %w", f, i, err)
			}
			if buf.Len() == 0 || buf.Bytes()[0] != '{' {
				return nil, nil, fmt.Errorf("%s record %d is not a JSON object", f, i)
			}
			out = append(out, buf.Bytes())
			from = append(from, filepath.Base(f))
		}
	}
	return out, from, nil
}

// mix spreads the extra records evenly through base: extra record k goes
// after base record (k+1)*len(base)/(len(extra)+1).
func mix(base, extra [][]byte) [][]byte {
	out := make([][]byte, 0, len(base)+len(extra))
	next := 0
	for k, e := range extra {
		at := (k + 1) * len(base) / (len(extra) + 1)
		out = append(out, base[next:at]...)
		out = append(out, e)
		next = at
	}
	return append(out, base[next:]...)
}

var (
	corpusOnce sync.Once
	corpus     [][]byte
)

// referenceCorpus returns the benchmark corpus: corpusGenerated synthetic
// CloudTrail records with every Stratus Red Team detonation record mixed in
// evenly, each one JSON object as raw bytes. It is built once per process;
// callers must not modify it.
func referenceCorpus(tb testing.TB) [][]byte {
	tb.Helper()
	extra, _ := stratusRecords(tb)
	corpusOnce.Do(func() { corpus = mix(generatedRecords(corpusGenerated), extra) })
	return corpus
}

// agreementRecords is the smaller set the agreement test runs: every
// Stratus record plus n synthetic ones.
func agreementRecords(tb testing.TB, n int) [][]byte {
	strat, _ := stratusRecords(tb)
	return mix(generatedRecords(n), strat)
}

func TestCorpusShape(t *testing.T) {
	recs := agreementRecords(t, 1000)
	strat, _ := stratusRecords(t)
	if len(recs) != 1000+len(strat) {
		t.Fatalf("%d records, want %d", len(recs), 1000+len(strat))
	}
	for i, r := range recs {
		var m map[string]any
		if err := json.Unmarshal(r, &m); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if _, ok := m["eventName"].(string); !ok {
			t.Fatalf("record %d has no eventName: %.200s", i, r)
		}
	}
	// Every Stratus record is in the mix exactly once.
	seen := map[string]int{}
	for _, r := range recs {
		seen[string(r)]++
	}
	for i, s := range strat {
		if seen[string(s)] < 1 {
			t.Fatalf("stratus record %d missing from the mix", i)
		}
	}
}

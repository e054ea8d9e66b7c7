package dnslog

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/testutil"
)

// TestSharedDocsSamples decodes the query log examples from the Route 53
// documentation (aws-docs-samples/route53-resolver).
func TestSharedDocsSamples(t *testing.T) {
	dir := testutil.SharedData(t, "aws-docs-samples", "route53-resolver")
	mb, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Blocks []struct{ File, Kind, Section string }
	}
	if err := json.Unmarshal(mb, &manifest); err != nil {
		t.Fatal(err)
	}
	jsonBlocks := 0
	for _, blk := range manifest.Blocks {
		t.Run(filepath.Base(blk.File), func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, blk.File))
			if err != nil {
				t.Fatal(err)
			}
			c, _ := decodeBytes(t, b, decode.Options{Origin: event.Origin{Path: blk.File}})
			if blk.Kind != "json" {
				// The hosted-zone (public DNS) query log example is another,
				// space-separated format: it must not pass for query logs.
				if len(c.events) != 0 || len(c.bad) == 0 {
					t.Errorf("%s (%s): %d events, %d quarantined", blk.File, blk.Section, len(c.events), len(c.bad))
				}
				return
			}
			jsonBlocks++
			if len(c.bad) != 0 || len(c.events) != 1 {
				t.Fatalf("%d events, %d quarantined (%v)", len(c.events), len(c.bad), c.bad)
			}
			// The documented example is record 0 of testdata/records.jsonl.
			checkEvent(t, blk.File, c.events[0], recordsWant[0])
			if !bytes.Equal(c.events[0].RawBytes, bytes.TrimSpace(b)) {
				t.Error("RawBytes is not the whole record")
			}
		})
	}
	if jsonBlocks == 0 {
		t.Error("no JSON example in the manifest")
	}
}

// TestSharedPantherEvents decodes the query logs of Panther's AWS.VPCDns
// rule tests: each line is a test case whose "log" is one record.
func TestSharedPantherEvents(t *testing.T) {
	p := testutil.SharedData(t, "panther-rule-tests", "tests_AWS_VPCDns.jsonl")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	type pantherLog struct {
		AccountID      string `json:"account_id"`
		QueryName      string `json:"query_name"`
		QueryType      string `json:"query_type"`
		QueryTimestamp string `json:"query_timestamp"`
		SrcAddr        string `json:"srcaddr"`
		SrcPort        string `json:"srcport"`
		SrcIDs         struct {
			Instance string `json:"instance"`
		} `json:"srcids"`
		Answers json.RawMessage `json:"answers"`
	}
	var logs [][]byte
	var want []pantherLog
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var tc struct {
			TestName string          `json:"test_name"`
			Log      json.RawMessage `json:"log"`
		}
		if err := json.Unmarshal(line, &tc); err != nil {
			t.Fatal(err)
		}
		var pl pantherLog
		if err := json.Unmarshal(tc.Log, &pl); err != nil {
			t.Fatalf("%s: %v", tc.TestName, err)
		}
		logs = append(logs, tc.Log)
		want = append(want, pl)
	}
	in := append(bytes.Join(logs, []byte("\n")), '\n')
	c, st := decodeBytes(t, in, decode.Options{Origin: event.Origin{Path: "panther"}})
	if len(c.bad) != 0 {
		t.Fatalf("quarantined: %s (%s)", c.bad[0].Reason, c.bad[0].Sample)
	}
	if len(c.events) != len(want) || st.Records != int64(len(want)) {
		t.Fatalf("%d events, want %d", len(c.events), len(want))
	}
	for i, w := range want {
		e := c.events[i]
		wt, err := time.Parse("2006-01-02 15:04:05", w.QueryTimestamp)
		if err != nil {
			t.Fatal(err)
		}
		if e.DNS.Query != w.QueryName || e.DNS.QueryType != w.QueryType || e.Account != w.AccountID || !e.Time.Equal(wt) ||
			e.SourceIP != w.SrcAddr || e.DNS.SrcAddr.String() != w.SrcAddr || e.DNS.InstanceID != w.SrcIDs.Instance {
			t.Errorf("test %d: event %+v does not match %+v", i, e.DNS, w)
		}
		if w.SrcPort != "" && e.DNS.SrcPort == 0 {
			t.Errorf("test %d: srcport %q not read", i, w.SrcPort)
		}
		// One answer, written either as an array or as a bare object.
		if wantAns := len(w.Answers) > 0 && string(w.Answers) != "null"; wantAns != (len(e.DNS.Answers) == 1) {
			t.Errorf("test %d: answers %s decoded as %+v", i, w.Answers, e.DNS.Answers)
		}
	}
}

package vpcflow

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/testutil"
)

// TestAWSDocsSamples decodes the flow log examples of the Amazon VPC user
// guide. A block that is a field list is the header of the blocks after
// it, as in the guide.
func TestAWSDocsSamples(t *testing.T) {
	dir := testutil.SharedData(t, "aws-docs-samples", "vpc-flow-logs")
	var manifest struct {
		Blocks []struct {
			File      string `json:"file"`
			SourceDoc string `json:"source_doc"`
		} `json:"blocks"`
	}
	mb, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mb, &manifest); err != nil {
		t.Fatal(err)
	}
	type want struct {
		events, bad int
		check       func(t *testing.T, es []*event.Event, bad []decode.Bad)
	}
	addr := netip.MustParseAddr
	wants := map[string]want{
		"001": {1, 0, func(t *testing.T, es []*event.Event, _ []decode.Bad) {
			if got := flow(es[0]); got != "123456789010 eni-1235b8ca123456789 172.31.16.139:20641>172.31.16.21:22/6 20 4249 1418530010-1418530070 ACCEPT OK" {
				t.Error(got)
			}
		}},
		"002": {1, 0, func(t *testing.T, es []*event.Event, _ []decode.Bad) {
			if n := es[0].Net; n.DstPort != 3389 || n.Action != "REJECT" {
				t.Error(flow(es[0]))
			}
		}},
		"003": {1, 0, func(t *testing.T, es []*event.Event, _ []decode.Bad) {
			if n := es[0].Net; n.LogStatus != "NODATA" || n.SrcAddr.IsValid() || n.Action != "" || n.Start.Unix() != 1431280876 {
				t.Error(flow(es[0]))
			}
		}},
		"004": {1, 0, func(t *testing.T, es []*event.Event, _ []decode.Bad) {
			if n := es[0].Net; n.LogStatus != "SKIPDATA" || n.InterfaceID != "eni-11111111aaaaaaaaa" {
				t.Error(flow(es[0]))
			}
		}},
		"005": {1, 0, func(t *testing.T, es []*event.Event, _ []decode.Bad) {
			if n := es[0].Net; n.Protocol != 1 || n.SrcAddr != addr("203.0.113.12") || n.Action != "ACCEPT" {
				t.Error(flow(es[0]))
			}
		}},
		"006": {1, 0, func(t *testing.T, es []*event.Event, _ []decode.Bad) {
			if n := es[0].Net; n.Protocol != 1 || n.DstAddr != addr("203.0.113.12") || n.Action != "REJECT" {
				t.Error(flow(es[0]))
			}
		}},
		"007": {1, 0, func(t *testing.T, es []*event.Event, _ []decode.Bad) {
			if n := es[0].Net; !n.SrcAddr.Is6() || n.SrcAddr != addr("2001:db8:1234:a100:8d6e:3477:df66:f105") || n.DstPort != 22 {
				t.Error(flow(es[0]))
			}
		}},
		"009": {4, 0, func(t *testing.T, es []*event.Event, _ []decode.Bad) {
			checkFlags(t, es, 2, 18, 2, 18)
			if n := es[0].Net; n.VPCID != "vpc-abcdefab012345678" || n.InstanceID != "i-01234567890123456" || n.Bytes != 568 || n.Packets != 8 {
				t.Error(extra(es[0]), flow(es[0]))
			}
		}},
		"010": {2, 0, func(t *testing.T, es []*event.Event, _ []decode.Bad) { checkFlags(t, es, 1, 1) }},
		// The guide has two spaces between two fields of one line here.
		"011": {2, 0, func(t *testing.T, es []*event.Event, _ []decode.Bad) { checkFlags(t, es, 3, 19) }},
		"013": {1, 0, func(t *testing.T, es []*event.Event, _ []decode.Bad) {
			if n := es[0].Net; n.InstanceID != "" || n.DstAddr != addr("10.0.0.220") || n.PktDstAddr != addr("203.0.113.5") {
				t.Error(extra(es[0]), flow(es[0]))
			}
		}},
		"014": {2, 0, nil},
		"015": {1, 0, func(t *testing.T, es []*event.Event, _ []decode.Bad) {
			if n := es[0].Net; n.SrcAddr != addr("10.0.0.220") || n.PktSrcAddr != addr("203.0.113.5") {
				t.Error(extra(es[0]))
			}
		}},
		// Lines annotated with "#…" comments in the guide: not records.
		"016": {0, 2, func(t *testing.T, _ []*event.Event, bad []decode.Bad) {
			for i, want := range []string{"got 16", "got 17"} {
				if r := bad[i].Reason; !strings.HasPrefix(r, "expected 6 fields (the header on line 1), ") || !strings.HasSuffix(r, want) {
					t.Error(r)
				}
			}
		}},
		// "..." between two records.
		"018": {2, 1, func(t *testing.T, es []*event.Event, bad []decode.Bad) {
			checkFlags(t, es, 3, 19)
			if bad[0].Origin.Line != 3 || string(bad[0].Sample) != "..." {
				t.Errorf("%+v", bad[0])
			}
		}},
		"019": {1, 0, func(t *testing.T, es []*event.Event, _ []decode.Bad) {
			if n := es[0].Net; n.InstanceID != "" || n.PktSrcAddr != addr("10.20.33.164") || n.SubnetID != "subnet-11111111aaaaaaaaa" {
				t.Error(extra(es[0]))
			}
		}},
		"020": {1, 0, nil},
		"022": {2, 0, func(t *testing.T, es []*event.Event, _ []decode.Bad) {
			got := []string{extra(es[0]), extra(es[1])}
			sameLines(t, "v5", got, []string{
				"vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b flags=19 pkt=52.95.128.179>10.0.0.71 region=ap-southeast-2 dir=ingress",
				"vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b flags=3 pkt=10.0.0.71>52.95.128.179 region=ap-southeast-2 dir=egress",
			})
			if es[0].Account != "123456789012" || es[0].Net.Bytes != 15044 || es[0].Time.Unix() != 1616729292 {
				t.Error(flow(es[0]))
			}
		}},
	}
	header := ""
	seen := 0
	for _, blk := range manifest.Blocks {
		if blk.SourceDoc != "doc_source/flow-logs-records-examples.md" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, blk.File))
		if err != nil {
			t.Fatal(err)
		}
		id := strings.SplitN(filepath.Base(blk.File), "_", 2)[0]
		text := strings.TrimSpace(string(b))
		if headerLike([]byte(text)) {
			header = text
			continue
		}
		t.Run(id, func(t *testing.T) {
			in := text + "\n"
			if header != "" && !strings.HasPrefix(text, "2 ") {
				in = header + "\n" + in
			}
			c, st := decodeBytes(t, []byte(in), decode.Options{Origin: event.Origin{Path: blk.File}})
			w, ok := wants[id]
			if !ok {
				t.Fatalf("no expectation for block %s (%d events, %d bad)", id, len(c.events), len(c.bad))
			}
			seen++
			if len(c.events) != w.events || len(c.bad) != w.bad {
				for _, b := range c.bad {
					t.Logf("bad line %d: %s", b.Origin.Line, b.Reason)
				}
				t.Fatalf("%d events, %d bad; want %d and %d (stats %+v)", len(c.events), len(c.bad), w.events, w.bad, st)
			}
			if w.check != nil {
				w.check(t, c.events, c.bad)
			}
		})
	}
	if seen != len(wants) {
		t.Errorf("checked %d blocks, expected %d", seen, len(wants))
	}
}

func checkFlags(t *testing.T, es []*event.Event, flags ...uint16) {
	t.Helper()
	var got []uint16
	for _, e := range es {
		got = append(got, e.Net.TCPFlags)
	}
	if fmt.Sprint(got) != fmt.Sprint(flags) {
		t.Errorf("tcp flags %v, want %v", got, flags)
	}
}

// TestPantherRuleTests writes the flow fields of Panther's AWS.VPCFlow rule
// test logs as flow log records (a header naming the fields, then the
// values) and checks they decode to the same values; the log whose source
// address is "null" is quarantined for it.
func TestPantherRuleTests(t *testing.T) {
	dir := testutil.SharedData(t, "panther-rule-tests")
	f, err := os.Open(filepath.Join(dir, "tests_AWS_VPCFlow.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Panther's field names → flow log field names.
	names := map[string]string{
		"srcAddr": "srcaddr", "dstAddr": "dstaddr", "srcPort": "srcport", "dstPort": "dstport",
		"flowDirection": "flow-direction", "vpcId": "vpc-id", "subNetId": "subnet-id", "region": "region",
	}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var tc struct {
			RuleID   string         `json:"rule_id"`
			TestName string         `json:"test_name"`
			Log      map[string]any `json:"log"`
		}
		if err := json.Unmarshal(sc.Bytes(), &tc); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range tc.Log {
			if _, ok := names[k]; ok {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			continue // only Panther metadata (p_any_ip_addresses)
		}
		sort.Strings(keys)
		var hdr, vals []string
		for _, k := range keys {
			hdr = append(hdr, names[k])
			vals = append(vals, fmt.Sprint(tc.Log[k]))
		}
		in := strings.Join(hdr, " ") + "\n" + strings.Join(vals, " ") + "\n"
		t.Run(tc.RuleID+"/"+tc.TestName, func(t *testing.T) {
			n++
			c, _ := decodeBytes(t, []byte(in), decode.Options{})
			if tc.Log["srcAddr"] == "null" {
				if len(c.bad) != 1 || c.bad[0].Reason != `field srcaddr: "null" is not an IP address` {
					t.Fatalf("bad %+v events %d", c.bad, len(c.events))
				}
				return
			}
			if len(c.events) != 1 {
				t.Fatalf("%q: bad %+v", in, c.bad)
			}
			e := c.events[0]
			got := map[string]string{
				"srcAddr": e.Net.SrcAddr.String(), "dstAddr": e.Net.DstAddr.String(),
				"srcPort": fmt.Sprint(e.Net.SrcPort), "dstPort": fmt.Sprint(e.Net.DstPort),
				"flowDirection": e.Net.Direction, "vpcId": e.Net.VPCID, "subNetId": e.Net.SubnetID, "region": e.Region,
			}
			for _, k := range keys {
				if want := fmt.Sprint(tc.Log[k]); got[k] != want {
					t.Errorf("%s = %q, want %q", k, got[k], want)
				}
			}
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 9 {
		t.Errorf("only %d flow logs in the Panther tests", n)
	}
}

// TestPantherAttackerScenario decodes the raw v2 flow records of Panther's
// compromised-root-credentials scenario.
func TestPantherAttackerScenario(t *testing.T) {
	dir := testutil.SharedData(t, "panther-rule-tests", "scenario-compromised-root-creds")
	b, err := os.ReadFile(filepath.Join(dir, "attacker_vpc.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var sc struct {
		LogType string   `yaml:"LogType"`
		Format  string   `yaml:"Format"`
		Logs    []string `yaml:"Logs"`
	}
	if err := yaml.Unmarshal(b, &sc); err != nil {
		t.Fatal(err)
	}
	if sc.LogType != "AWS.VPCFlow" || sc.Format != "raw" || len(sc.Logs) != 6 {
		t.Fatalf("scenario %s/%s with %d logs", sc.LogType, sc.Format, len(sc.Logs))
	}
	in := strings.Join(sc.Logs, "\n") + "\n"
	c, st := decodeBytes(t, []byte(in), decode.Options{Origin: event.Origin{Path: "AWSLogs/493859302102/vpcflowlogs/us-east-1/2020/11/01/x.log"}})
	if len(c.bad) != 0 || st.Events != 6 {
		t.Fatalf("bad %+v, stats %+v", c.bad, st)
	}
	attacker := netip.MustParseAddr("92.55.146.245")
	var toAttacker, fromAttacker, exfil int64
	for _, e := range c.events {
		n := e.Net
		if e.Account != "493859302102" || e.Region != "us-east-1" || n.InterfaceID != "eni-0b13344793d4fde67" || n.Protocol != 6 {
			t.Errorf("event %s", flow(e))
		}
		if n.SrcAddr == attacker && n.DstPort == 22 {
			fromAttacker++
		}
		if n.DstAddr == attacker {
			toAttacker++
			exfil += n.Bytes
		}
	}
	// The SSH C2 connection in, and the exfiltration out.
	if fromAttacker != 1 || toAttacker != 3 || exfil != 7119+1048576+1048576 {
		t.Errorf("from attacker %d, to attacker %d (%d bytes)", fromAttacker, toAttacker, exfil)
	}
	if c.events[2].Net.Action != "REJECT" || c.events[2].Time.Unix() != 1604266590 {
		t.Errorf("scan record %s", flow(c.events[2]))
	}
}

package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/bench"
	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/dnslog"
	"github.com/picket-dev/picket/internal/decode/vpcflow"
	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/detect/dnsquery"
	"github.com/picket-dev/picket/internal/detect/netflow"
	"github.com/picket-dev/picket/internal/detect/state"
	"github.com/picket-dev/picket/internal/detect/threatintel"
	"github.com/picket-dev/picket/internal/intel"
	"github.com/picket-dev/picket/internal/source"
	"github.com/picket-dev/picket/internal/testutil"
)

// flowPipeline is a pipeline with the flow detectors and the threat-intel
// ones over the shared open feeds (about 68,000 entries).
func flowPipeline(tb testing.TB) *Pipeline {
	tb.Helper()
	feeds := testutil.SharedData(tb, "threat-intel-feeds")
	lists := intel.Config{Lists: []intel.ListConfig{
		{Name: "ipsum", Kind: intel.KindThreat, Format: "ipsum", Path: filepath.Join(feeds, "ipsum", "level3.txt"), Category: "malicious"},
		{Name: "tor", Kind: intel.KindTor, Format: "tor", Path: filepath.Join(feeds, "tor-exit-nodes-2024", "tor-exit-nodes.lst")},
		{Name: "malware", Kind: intel.KindThreat, Format: "txt", Path: filepath.Join(feeds, "blocklistproject", "malware.ip"), Category: "malicious"},
	}}
	set, _, err := intel.Load(context.Background(), lists, intel.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	dets := append(netflow.All(netflow.Config{}), threatintel.All(set, threatintel.Options{})...)
	reg, _ := decode.NewRegistry(map[string]decode.Factory{vpcflow.Format: vpcflow.New})
	now := func() time.Time { return fixedNow }
	return New(reg, detect.NewEngine(dets, now), &Collector{}, Options{BatchSize: 5000, Now: now}, nil, nil)
}

// BenchmarkFlowPipeline measures VPC flow records through decode, threat
// list lookups and every flow detector; one op is one record.
func BenchmarkFlowPipeline(b *testing.B) {
	const n = 100_000
	data := bench.FlowLog(n, 50_000)
	path := filepath.Join(b.TempDir(), "flows.log")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	objs, _ := source.Walk([]string{path}, nil)
	p := flowPipeline(b)
	b.SetBytes(int64(len(data)) / n)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += n {
		if _, err := p.Process(context.Background(), Job{Source: "b", Format: "vpcflow", Object: objs[0]}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFlowMemoryWithManyHosts feeds SSH attempts from a million distinct
// source addresses (each one a new entity for the brute-force detector)
// plus ordinary traffic, and checks that memory stays bounded and that
// evictions are counted.
func TestFlowMemoryWithManyHosts(t *testing.T) {
	if testing.Short() {
		t.Skip("a million hosts")
	}
	var buf bytes.Buffer
	buf.WriteString(bench.FlowHeader + "\n")
	for i := range 1_000_000 {
		fmt.Fprintf(&buf, "5 123456789012 eni-0123456789abcdef0 %d.%d.%d.%d 10.20.0.5 40000 22 6 1 44 %d %d REJECT OK vpc-1 subnet-1 i-0123456789abcdef0 2 IPv4 - - us-east-1 ingress\n",
			100+i>>24, (i>>16)&255, (i>>8)&255, i&255, 1791936000+i/1000, 1791936060+i/1000)
	}
	buf.Write(bench.FlowLog(200_000, 200_000)[len(bench.FlowHeader)+1:])
	p := flowPipeline(t)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := p.Process(context.Background(), Job{Source: "t", Format: "vpcflow", Object: source.Stdin(context.Background(), &buf)}); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapInuse) - int64(before.HeapInuse)
	var sum state.Stats
	for _, d := range p.engine.Detectors() {
		if r, ok := d.(state.Reporter); ok {
			sum = sum.Add(r.StateStats())
		}
	}
	t.Logf("heap grew by %d MiB after 1.2M flows from 1.2M hosts; detectors hold %d entities (%d bytes each with the table's overhead), evicted %d",
		heap>>20, sum.Entries, heap/max(sum.Entries, 1), sum.Evicted)
	if heap > 512<<20 {
		t.Errorf("heap grew by %d MiB", heap>>20)
	}
	if sum.Entries < netflow.DefaultMaxEntities || sum.Evicted < 500_000 {
		t.Errorf("entries %d, evicted %d: the table did not fill and evict", sum.Entries, sum.Evicted)
	}
	if per := heap / sum.Entries; per > 256 {
		t.Errorf("%d bytes per tracked entity, want at most 256", per)
	}
}

// BenchmarkDNSPipeline measures Route 53 Resolver query records through
// decode, threat list lookups and every DNS detector; one op is one record.
func BenchmarkDNSPipeline(b *testing.B) {
	const n = 50_000
	data := bench.DNSLog(n)
	path := filepath.Join(b.TempDir(), "dns.log")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	objs, _ := source.Walk([]string{path}, nil)
	feeds := testutil.SharedData(b, "threat-intel-feeds")
	set, _, err := intel.Load(context.Background(), intel.Config{Lists: []intel.ListConfig{
		{Name: "blocklist-crypto", Kind: intel.KindThreat, Format: "hosts", Path: filepath.Join(feeds, "blocklistproject", "crypto.txt"), Category: "cryptomining"},
		{Name: "blocklist-ransomware", Kind: intel.KindThreat, Format: "hosts", Path: filepath.Join(feeds, "blocklistproject", "ransomware.txt"), Category: "malicious"},
	}}, intel.Options{})
	if err != nil {
		b.Fatal(err)
	}
	dets := append(dnsquery.All(dnsquery.Config{}), threatintel.All(set, threatintel.Options{})...)
	reg, _ := decode.NewRegistry(map[string]decode.Factory{dnslog.Format: dnslog.New})
	now := func() time.Time { return fixedNow }
	p := New(reg, detect.NewEngine(dets, now), &Collector{}, Options{BatchSize: 5000, Now: now}, nil, nil)
	b.SetBytes(int64(len(data)) / n)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += n {
		if _, err := p.Process(context.Background(), Job{Source: "b", Format: "dns", Object: objs[0]}); err != nil {
			b.Fatal(err)
		}
	}
}

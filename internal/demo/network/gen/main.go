//go:build ignore

// Command gen writes Picket's network demo scenario: VPC Flow Logs (v5
// custom format with a header line) and Route 53 Resolver query logs, both
// gzip-compressed in their S3 delivery layouts, for two hours of one VPC
// in which six things go wrong amid a hundred times as much ordinary
// traffic. Every record is synthetic, written by this program; the output
// is deterministic for a given -seed.
//
// Regenerate from the repository root with:
//
//	go run internal/demo/network/gen/main.go -out internal/demo/network
//
// With -benign it writes only the ordinary traffic (for the test that no
// Medium or higher finding comes from it). See ../README.md.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

const (
	account = "111122223333"
	region  = "us-east-1"
	vpc     = "vpc-0a1b2c3d4e5f60718"

	// The attackers and the hosts the intel lists name (see ../intel).
	scannerIP = "45.33.32.156"   // feed-malicious: probes the web server
	bruteIP   = "198.51.100.140" // unlisted: SSH brute force on the bastion
	poolIP    = "203.0.113.50"   // feed-mining: the mining pool
	poolName  = "pool.minexmr.example."
	torIP     = "185.220.101.1" // tor-exits
	c2IP      = "198.51.100.66" // feed-c2
	c2Name    = "beacon.c2.badness.example."
	tunnelDom = "t.exfil-tunnel.example."
	officeIP  = "198.18.23.10" // the company's VPN egress: benign SSH
	resolver  = "10.20.0.2"    // the VPC resolver
)

var start = time.Date(2026, 10, 14, 8, 0, 0, 0, time.UTC)

type instance struct {
	id, eni, ip, subnet string
}

var (
	web1    = instance{"i-0a11c3e5f7a9b1c2d", "eni-0a11c3e5f7a9b1c2d", "10.20.1.10", "subnet-0aa1bb2cc3dd4ee01"}
	web2    = instance{"i-0b22d4f6a8c0e2f3a", "eni-0b22d4f6a8c0e2f3a", "10.20.1.11", "subnet-0aa1bb2cc3dd4ee01"}
	bastion = instance{"i-0c33e5a7b9d1f3a4b", "eni-0c33e5a7b9d1f3a4b", "10.20.0.5", "subnet-0aa1bb2cc3dd4ee00"}
	app1    = instance{"i-0d44f6b8c0e2a4b5c", "eni-0d44f6b8c0e2a4b5c", "10.20.2.21", "subnet-0aa1bb2cc3dd4ee02"}
	app2    = instance{"i-0e55a7c9d1f3b5c6d", "eni-0e55a7c9d1f3b5c6d", "10.20.2.22", "subnet-0aa1bb2cc3dd4ee02"}
	app3    = instance{"i-0f66b8d0e2a4c6d7e", "eni-0f66b8d0e2a4c6d7e", "10.20.2.23", "subnet-0aa1bb2cc3dd4ee02"}
	db1     = instance{"i-0a77c9e1f3b5d7e8f", "eni-0a77c9e1f3b5d7e8f", "10.20.3.5", "subnet-0aa1bb2cc3dd4ee03"}
	miner   = instance{"i-0b88d0f2a4c6e8f9a", "eni-0b88d0f2a4c6e8f9a", "10.20.2.50", "subnet-0aa1bb2cc3dd4ee02"}
	dev1    = instance{"i-0c99e1a3b5d7f9a0b", "eni-0c99e1a3b5d7f9a0b", "10.20.4.7", "subnet-0aa1bb2cc3dd4ee04"}
	all     = []instance{web1, web2, bastion, app1, app2, app3, db1, miner, dev1}
)

// AWS service endpoints and other ordinary destinations (documentation
// and benchmarking ranges, and made-up public addresses).
var awsEndpoints = []string{"52.94.133.131", "52.216.89.14", "54.239.28.85", "52.119.169.4", "3.5.0.12", "52.46.145.19"}

type flow struct {
	src, dst     string
	sport, dport int
	proto        int
	packets      int
	bytes        int
	t            time.Time
	dur          time.Duration
	action       string
	inst         instance
	dir          string // egress or ingress, from inst's point of view
	flags        int
}

type query struct {
	t       time.Time
	inst    instance
	name    string
	qtype   string
	rcode   string
	answers []string
}

type gen struct {
	r       *rand.Rand
	flows   []flow
	queries []query
	benign  bool
}

func (g *gen) pub() string {
	// A client address in 198.18.0.0/15 or made-up public space, never an
	// address on the demo's lists.
	switch g.r.IntN(3) {
	case 0:
		return fmt.Sprintf("198.18.%d.%d", g.r.IntN(256), 1+g.r.IntN(254))
	case 1:
		return fmt.Sprintf("100.%d.%d.%d", 128+g.r.IntN(64), g.r.IntN(256), 1+g.r.IntN(254))
	}
	return fmt.Sprintf("%d.%d.%d.%d", 60+g.r.IntN(40), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
}

func (g *gen) eph() int { return 32768 + g.r.IntN(28000) }

// add records a connection as flow records from the instance's side.
func (g *gen) add(f flow) {
	if f.dur == 0 {
		f.dur = time.Duration(5+g.r.IntN(50)) * time.Second
	}
	if f.flags == 0 && f.proto == 6 {
		f.flags = 19 // SYN, ACK, FIN
	}
	g.flows = append(g.flows, f)
}

func (g *gen) out(inst instance, dst string, dport, proto, packets, bytes int, t time.Time) {
	g.add(flow{src: inst.ip, dst: dst, sport: g.eph(), dport: dport, proto: proto, packets: packets, bytes: bytes, t: t, action: "ACCEPT", inst: inst, dir: "egress"})
}

func (g *gen) in(inst instance, src string, dport, proto, packets, bytes int, t time.Time, action string) {
	g.add(flow{src: src, dst: inst.ip, sport: g.eph(), dport: dport, proto: proto, packets: packets, bytes: bytes, t: t, action: action, inst: inst, dir: "ingress"})
}

func (g *gen) ask(inst instance, t time.Time, name, qtype, rcode string, answers ...string) {
	g.queries = append(g.queries, query{t: t, inst: inst, name: name, qtype: qtype, rcode: rcode, answers: answers})
}

var names = []string{"s3.us-east-1.amazonaws.com.", "dynamodb.us-east-1.amazonaws.com.", "sqs.us-east-1.amazonaws.com.",
	"sts.us-east-1.amazonaws.com.", "api.github.com.", "registry.npmjs.org.", "0.amazon.pool.ntp.org.", "ssm.us-east-1.amazonaws.com.",
	"logs.us-east-1.amazonaws.com.", "secretsmanager.us-east-1.amazonaws.com.", "checkout.stripe.example.", "hooks.slack.com."}

// background is two hours of ordinary traffic, minute by minute.
func (g *gen) background() {
	for m := 0; m < 120; m++ {
		t := start.Add(time.Duration(m) * time.Minute)
		// Web servers answer customers on 443 (and redirect 80).
		for _, w := range []instance{web1, web2} {
			for range 12 + g.r.IntN(8) {
				g.in(w, g.pub(), 443, 6, 12+g.r.IntN(40), 4000+g.r.IntN(60000), t.Add(time.Duration(g.r.IntN(60))*time.Second), "ACCEPT")
			}
			g.in(w, g.pub(), 80, 6, 6, 900, t.Add(time.Duration(g.r.IntN(60))*time.Second), "ACCEPT")
		}
		// Apps call AWS endpoints and the payment API; the database.
		for _, a := range []instance{app1, app2, app3} {
			for range 4 + g.r.IntN(4) {
				g.out(a, awsEndpoints[g.r.IntN(len(awsEndpoints))], 443, 6, 20+g.r.IntN(60), 6000+g.r.IntN(40000), t.Add(time.Duration(g.r.IntN(60))*time.Second))
			}
			g.add(flow{src: a.ip, dst: db1.ip, sport: g.eph(), dport: 5432, proto: 6, packets: 30, bytes: 12000, t: t, action: "ACCEPT", inst: a, dir: "egress"})
			if g.r.IntN(4) == 0 {
				g.ask(a, t.Add(time.Duration(g.r.IntN(60))*time.Second), names[g.r.IntN(len(names))], "A", "NOERROR", awsEndpoints[g.r.IntN(len(awsEndpoints))])
			}
		}
		for _, i := range all {
			if i == db1 {
				continue
			}
			for range 2 {
				g.ask(i, t.Add(time.Duration(g.r.IntN(60))*time.Second), names[g.r.IntN(len(names))], "A", "NOERROR", awsEndpoints[g.r.IntN(len(awsEndpoints))])
			}
		}
		// Internet background noise: scanners knocking on closed ports.
		for range 3 {
			w := []instance{web1, web2, bastion}[g.r.IntN(3)]
			g.in(w, g.pub(), []int{23, 445, 3389, 8080, 5900, 1433}[g.r.IntN(6)], 6, 1, 44, t.Add(time.Duration(g.r.IntN(60))*time.Second), "REJECT")
		}
		// NTP, every ten minutes per instance.
		if m%10 == 0 {
			for _, i := range all {
				g.out(i, "169.254.169.123", 123, 17, 2, 152, t)
			}
		}
		// Admins on the bastion from the VPN, now and then.
		if m%30 == 7 {
			g.in(bastion, officeIP, 22, 6, 1800, 420000, t, "ACCEPT")
		}
		// The developer box browses and pulls packages.
		if m%2 == 0 {
			g.out(dev1, g.pub(), 443, 6, 40, 30000, t)
			g.ask(dev1, t, "registry.npmjs.org.", "A", "NOERROR", "104.16.0.35")
		}
		// A typo now and then.
		if m%40 == 13 {
			g.ask(app1, t, "dynamodb.us-east-1.amazonaws.con.", "A", "NXDOMAIN")
		}
	}
	// Idle interfaces report NODATA.
	for m := 0; m < 120; m += 10 {
		g.add(flow{t: start.Add(time.Duration(m) * time.Minute), inst: db1, action: "-", dur: 10 * time.Minute})
	}
}

// attacks are the six incidents.
func (g *gen) attacks() {
	// 1. The miner: i-…d0f2 connects to a mining pool from 08:20 on, and
	// resolves its name first.
	g.ask(miner, start.Add(20*time.Minute), poolName, "A", "NOERROR", poolIP)
	for m := 20; m < 120; m += 2 {
		g.out(miner, poolIP, 3333, 6, 220, 41000, start.Add(time.Duration(m)*time.Minute))
	}
	// 2. A known malicious scanner sweeps web1's ports at 08:35: closed
	// ports reject, 80 and 443 are open.
	for p := 1; p <= 40; p++ {
		port := []int{21, 22, 23, 25, 53, 80, 110, 135, 139, 143, 443, 445, 993, 995, 1433, 1521, 2049, 3306, 3389, 5432,
			5900, 6379, 8000, 8080, 8443, 9200, 11211, 27017, 5601, 9000, 8888, 7001, 4444, 6667, 10000, 2375, 2376, 5000, 5985, 5986}[p-1]
		action := "REJECT"
		if port == 80 || port == 443 {
			action = "ACCEPT"
		}
		g.in(web1, scannerIP, port, 6, 1, 44, start.Add(35*time.Minute+time.Duration(p)*time.Second), action)
	}
	// 3. An SSH brute force on the bastion at 08:50 — 60 tries, then a
	// long session: it got in.
	for i := range 60 {
		g.in(bastion, bruteIP, 22, 6, 14, 2600, start.Add(50*time.Minute+time.Duration(i*4)*time.Second), "ACCEPT")
	}
	g.in(bastion, bruteIP, 22, 6, 2400, 380000, start.Add(55*time.Minute), "ACCEPT")
	// 4. Data leaves app2 through DNS from 09:10: 200 queries with hex
	// labels under one domain.
	for i := range 200 {
		var b strings.Builder
		for range 56 {
			fmt.Fprintf(&b, "%x", g.r.IntN(16))
		}
		name := b.String()[:28] + "." + b.String()[28:] + fmt.Sprintf(".%d.", i) + tunnelDom
		g.ask(app2, start.Add(70*time.Minute+time.Duration(i*6)*time.Second), name, "TXT", "NOERROR")
	}
	// 5. The developer box runs a Tor client from 09:25.
	for m := 85; m < 120; m += 5 {
		g.out(dev1, torIP, 9001, 6, 90, 48000, start.Add(time.Duration(m)*time.Minute))
	}
	// 6. app3 beacons to a C&C server every five minutes, resolving it
	// each time.
	for m := 3; m < 120; m += 5 {
		t := start.Add(time.Duration(m) * time.Minute)
		g.ask(app3, t, c2Name, "A", "NOERROR", c2IP)
		g.out(app3, c2IP, 443, 6, 9, 1800, t.Add(time.Second))
	}
}

// flowLine writes one record of the v5 custom format.
func flowLine(f flow) string {
	if f.action == "-" {
		return fmt.Sprintf("5 %s %s - - - - - - - %d %d - NODATA %s %s %s - - - - %s -",
			account, f.inst.eni, f.t.Unix(), f.t.Add(f.dur).Unix(), vpc, f.inst.subnet, f.inst.id, region)
	}
	return fmt.Sprintf("5 %s %s %s %s %d %d %d %d %d %d %d %s OK %s %s %s %d IPv4 %s %s %s %s",
		account, f.inst.eni, f.src, f.dst, f.sport, f.dport, f.proto, f.packets, f.bytes, f.t.Unix(), f.t.Add(f.dur).Unix(),
		f.action, vpc, f.inst.subnet, f.inst.id, f.flags, f.src, f.dst, region, f.dir)
}

const header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region flow-direction"

type dnsRecord struct {
	Version        string              `json:"version"`
	AccountID      string              `json:"account_id"`
	Region         string              `json:"region"`
	VPCID          string              `json:"vpc_id"`
	QueryTimestamp string              `json:"query_timestamp"`
	QueryName      string              `json:"query_name"`
	QueryType      string              `json:"query_type"`
	QueryClass     string              `json:"query_class"`
	RCode          string              `json:"rcode"`
	Answers        []map[string]string `json:"answers"`
	SrcAddr        string              `json:"srcaddr"`
	SrcPort        string              `json:"srcport"`
	Transport      string              `json:"transport"`
	SrcIDs         map[string]string   `json:"srcids"`
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

func main() {
	outDir := flag.String("out", "internal/demo/network", "directory to write AWSLogs/ into")
	seed := flag.Uint64("seed", 20261014, "random seed")
	benign := flag.Bool("benign", false, "write only the ordinary traffic")
	flag.Parse()
	g := &gen{r: rand.New(rand.NewPCG(*seed, 7)), benign: *benign}
	g.background()
	if !*benign {
		g.attacks()
	}
	sort.SliceStable(g.flows, func(i, j int) bool { return g.flows[i].t.Before(g.flows[j].t) })
	sort.SliceStable(g.queries, func(i, j int) bool { return g.queries[i].t.Before(g.queries[j].t) })
	root := filepath.Join(*outDir, "AWSLogs")
	if err := os.RemoveAll(root); err != nil {
		panic(err)
	}
	files, records := 0, 0
	write := func(rel string, b []byte) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			panic(err)
		}
		if err := os.WriteFile(p, gz(b), 0o644); err != nil {
			panic(err)
		}
		files++
	}
	// Flow logs: one file per 10 minutes, as S3 delivery batches them.
	for w := 0; w < 12; w++ {
		from, to := start.Add(time.Duration(w)*10*time.Minute), start.Add(time.Duration(w+1)*10*time.Minute)
		var b strings.Builder
		b.WriteString(header + "\n")
		n := 0
		for _, f := range g.flows {
			if !f.t.Before(from) && f.t.Before(to) {
				b.WriteString(flowLine(f) + "\n")
				n++
			}
		}
		records += n
		stamp := to.Add(3 * time.Minute).Format("20060102T1504Z")
		write(fmt.Sprintf("%s/vpcflowlogs/%s/2026/10/14/%s_vpcflowlogs_%s_fl-0d1e2f3a4b5c6d7e8_%s_%08x.log.gz", account, region, account, region, stamp, g.r.Uint32()), []byte(b.String()))
	}
	// Resolver query logs: one file per 10 minutes.
	for w := 0; w < 12; w++ {
		from, to := start.Add(time.Duration(w)*10*time.Minute), start.Add(time.Duration(w+1)*10*time.Minute)
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		for _, q := range g.queries {
			if q.t.Before(from) || !q.t.Before(to) {
				continue
			}
			rec := dnsRecord{Version: "1.100000", AccountID: account, Region: region, VPCID: vpc,
				QueryTimestamp: q.t.Format(time.RFC3339), QueryName: q.name, QueryType: q.qtype, QueryClass: "IN", RCode: q.rcode,
				Answers: []map[string]string{}, SrcAddr: q.inst.ip, SrcPort: fmt.Sprint(32768 + g.r.IntN(28000)), Transport: "UDP",
				SrcIDs: map[string]string{"instance": q.inst.id}}
			for _, a := range q.answers {
				rec.Answers = append(rec.Answers, map[string]string{"Rdata": a, "Type": q.qtype, "Class": "IN"})
			}
			enc.Encode(rec)
			records++
		}
		stamp := to.Add(2 * time.Minute).Format("20060102T1504Z")
		write(fmt.Sprintf("%s/vpcdnsquerylogs/%s/2026/10/14/%s_vpcdnsquerylogs_%s_%s_%08x.log.gz", account, vpc, account, vpc, stamp, g.r.Uint32()), b.Bytes())
	}
	fmt.Printf("wrote %d files, %d records (%d flows, %d queries)\n", files, records, len(g.flows), len(g.queries))
}

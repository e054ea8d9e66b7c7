//go:build ignore

// Command gen writes Picket's network demo scenario: VPC Flow Logs (v5
// custom format with a header line, one-minute aggregation) and Route 53
// Resolver query logs, both gzip-compressed in their S3 delivery layouts,
// for two hours of one VPC in which six things go wrong amid a hundred
// times as much ordinary traffic. Every record is synthetic, written by this
// program; the output is deterministic for a given -seed.
//
// The records follow what VPC Flow Logs really write, so that detectors
// which misread real logs fail here too:
//
//   - every TCP or UDP connection is a pair of records per network
//     interface per one-minute aggregation window: the initiator's packets
//     in one, the reply traffic (addresses and ports swapped) in the other;
//     a connection between two interfaces of the VPC is logged by both;
//   - tcp-flags is the OR of FIN (1), SYN (2), RST (4) and SYN-ACK (18) over
//     the window: SYN (or SYN|FIN) in the initiator's first window, SYN-ACK
//     (or SYN-ACK|FIN) in the responder's, 0 or FIN later; an attempt nobody
//     answers is one to three SYNs with no reply record, a rejected one a
//     single packet marked REJECT;
//   - private instances reach the internet through a NAT gateway, whose
//     interface logs both halves (instance to NAT, NAT to the internet);
//     S3 and DynamoDB are reached through gateway endpoints, other AWS
//     services through interface endpoints in the VPC;
//   - customers reach the web servers through an internet-facing load
//     balancer, which health-checks them every ten seconds; Route 53 health
//     checkers probe them too; long idle connections send TCP keep-alives;
//     db1 uploads a backup; a Kubernetes node's pods hold connections to
//     many SaaS endpoints; the resolver sees instance-data, EKS and
//     VPC-endpoint names; nothing is logged for the Amazon DNS server,
//     instance metadata or Amazon Time Sync, as in real flow logs.
//
// Regenerate from the repository root with:
//
//	go run internal/demo/network/gen/main.go -out internal/demo/network
//
// With -benign it writes only the ordinary traffic (for the test that
// it raises no finding). See ../README.md.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
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
)

var (
	start = time.Date(2026, 10, 14, 8, 0, 0, 0, time.UTC)
	t0    = start.Unix()   // the first second logged
	tEnd  = t0 + 120*60    // the first second not logged
	never = int64(1) << 40 // a connection that outlives the logs
)

// at is minute m, second s of the two hours, in Unix seconds.
func at(m, s int) int64 { return t0 + int64(m*60+s) }

// iface is one elastic network interface of the VPC.
type iface struct {
	eni, inst, subnet string   // inst is "-" for interfaces no instance of ours owns
	ips               []string // the primary private address first
	private           bool     // in a private subnet: reaches the internet through the NAT gateway
	off               int64    // where its one-minute aggregation windows begin, seconds past the minute
}

func (n *iface) ip() string { return n.ips[0] }

const (
	subPubA = "subnet-0aa1bb2cc3dd4ee00" // 10.20.0.0/24, public: bastion, NAT gateway, load balancer
	subPubB = "subnet-0aa1bb2cc3dd4ee01" // 10.20.1.0/24, public: web servers, load balancer
	subApp  = "subnet-0aa1bb2cc3dd4ee02" // 10.20.2.0/24, private: applications, EKS node, endpoints
	subDB   = "subnet-0aa1bb2cc3dd4ee03" // 10.20.3.0/24, private: database
	subDev  = "subnet-0aa1bb2cc3dd4ee04" // 10.20.4.0/24, private: developers
)

func nic(inst, eni, subnet string, ips ...string) *iface {
	h := fnv.New32a()
	h.Write([]byte(eni))
	return &iface{eni: eni, inst: inst, subnet: subnet, ips: ips, private: subnet != subPubA && subnet != subPubB, off: int64(h.Sum32() % 60)}
}

var (
	web1    = nic("i-0a11c3e5f7a9b1c2d", "eni-0a11c3e5f7a9b1c2d", subPubB, "10.20.1.10")
	web2    = nic("i-0b22d4f6a8c0e2f3a", "eni-0b22d4f6a8c0e2f3a", subPubB, "10.20.1.11")
	bastion = nic("i-0c33e5a7b9d1f3a4b", "eni-0c33e5a7b9d1f3a4b", subPubA, "10.20.0.5")
	app1    = nic("i-0d44f6b8c0e2a4b5c", "eni-0d44f6b8c0e2a4b5c", subApp, "10.20.2.21")
	app2    = nic("i-0e55a7c9d1f3b5c6d", "eni-0e55a7c9d1f3b5c6d", subApp, "10.20.2.22")
	app3    = nic("i-0f66b8d0e2a4c6d7e", "eni-0f66b8d0e2a4c6d7e", subApp, "10.20.2.23")
	db1     = nic("i-0a77c9e1f3b5d7e8f", "eni-0a77c9e1f3b5d7e8f", subDB, "10.20.3.5")
	miner   = nic("i-0b88d0f2a4c6e8f9a", "eni-0b88d0f2a4c6e8f9a", subApp, "10.20.2.50")
	dev1    = nic("i-0c99e1a3b5d7f9a0b", "eni-0c99e1a3b5d7f9a0b", subDev, "10.20.4.7")
	node    = nic("i-0d1a3c5e7f9b2d4f6", "eni-0d1a3c5e7f9b2d4f6", subApp, "10.20.2.60") // an EKS worker
	pods    = nic("i-0d1a3c5e7f9b2d4f6", "eni-03f5b7d9e1a3c5e70", subApp, podIPs()...)  // its pods' ENI (VPC CNI)
	standby = nic("i-0a77c9e1f3b5d7e8f", "eni-0a77c9e1f3b5d7e90", subDB, "10.20.3.6")   // db1's failover ENI: idle
	nat     = nic("-", "eni-0f1e2d3c4b5a69788", subPubA, "10.20.0.40")                  // NAT gateway
	lbA     = nic("-", "eni-07c3a9e15b2d4f680", subPubA, "10.20.0.30")                  // internet-facing ALB
	lbB     = nic("-", "eni-0d84b26f1a9c3e571", subPubB, "10.20.1.30")
	eksENI  = nic("-", "eni-0b6e9d2c5f8a1e4d7", subApp, "10.20.2.240") // EKS control plane's cross-account ENI
	// The load balancer's and the NAT gateway's interfaces are
	// requester-managed (EC2 lists the former with interface type
	// "interface"): their records have no instance ID. The records' own
	// type field is the traffic type, IPv4 for all of them.

	instances = []*iface{web1, web2, bastion, app1, app2, app3, db1, miner, dev1, node}
	apps      = []*iface{app1, app2, app3}
	webs      = []*iface{web1, web2}
	lbs       = []*iface{lbA, lbB}
)

func podIPs() []string {
	var ips []string
	for i := 101; i <= 130; i++ {
		ips = append(ips, fmt.Sprintf("10.20.2.%d", i))
	}
	return ips
}

// endpoint is an interface VPC endpoint: its private DNS name resolves to
// its ENI's address.
type endpoint struct {
	name string
	n    *iface
}

func vpce(name, eni, ip string) endpoint { return endpoint{name, nic("-", eni, subApp, ip)} }

var (
	epSSM     = vpce("ssm.us-east-1.amazonaws.com.", "eni-0c2a7f4e9b1d3a6c8", "10.20.2.201")
	epSSMMsg  = vpce("ssmmessages.us-east-1.amazonaws.com.", "eni-0e8b3d6a1f4c7e2b9", "10.20.2.202")
	epEC2Msg  = vpce("ec2messages.us-east-1.amazonaws.com.", "eni-01d4f7a2c5e8b3d6f", "10.20.2.203")
	epSQS     = vpce("sqs.us-east-1.amazonaws.com.", "eni-0a5c8e1b4d7f2a9c3", "10.20.2.204")
	epSTS     = vpce("sts.us-east-1.amazonaws.com.", "eni-0f3b6d9a2c5e8f1b4", "10.20.2.205")
	epSecrets = vpce("secretsmanager.us-east-1.amazonaws.com.", "eni-06e9a2d5f8b1c4e7a", "10.20.2.206")
	epLogs    = vpce("logs.us-east-1.amazonaws.com.", "eni-0b8d1f4a7c2e5b9d6", "10.20.2.207")
	epECRAPI  = vpce("api.ecr.us-east-1.amazonaws.com.", "eni-02f5c8e1a4d7b3f6c", "10.20.2.208")
	epECRDKR  = vpce(account+".dkr.ecr.us-east-1.amazonaws.com.", "eni-0d7a4c1f8e5b2d9a3", "10.20.2.209")
	epS3      = vpce("bucket.vpce-0e4b7d1a9c3f6e2b8-x7k2m9qd.s3.us-east-1.vpce.amazonaws.com.", "eni-09c6f3a8d1e4b7c2f", "10.20.2.210")
	endpoints = []endpoint{epSSM, epSSMMsg, epEC2Msg, epSQS, epSTS, epSecrets, epLogs, epECRAPI, epECRDKR, epS3}

	// The EKS cluster's API server and the endpoint-specific names the node
	// uses for ECR.
	eksName    = "8F3A2C9E1B7D4F6A0C5E3B9D2A7F1C4E.gr7.us-east-1.eks.amazonaws.com."
	ecrVPCE    = "vpce-0d7a4c1f8e5b2d9a3-5h2xq8tn.dkr.ecr.us-east-1.vpce.amazonaws.com."
	ecrAPIVPCE = "vpce-02f5c8e1a4d7b3f6c-m3r8c1vw.api.ecr.us-east-1.vpce.amazonaws.com."
)

var byIP = map[string]*iface{}

func init() {
	all := []*iface{web1, web2, bastion, app1, app2, app3, db1, miner, dev1, node, pods, standby, nat, lbA, lbB, eksENI}
	for _, e := range endpoints {
		all = append(all, e.n)
	}
	for _, n := range all {
		for _, ip := range n.ips {
			byIP[ip] = n
		}
	}
}

// host is a public destination: a name and its addresses.
type host struct {
	name string
	ips  []string
	ttl  int64
}

// Public hosts. AWS addresses are made-up hosts in AWS's public ranges;
// the others are made-up addresses.
var (
	s3Assets  = host{"picket-web-assets-111122223333.s3.us-east-1.amazonaws.com.", []string{"52.216.89.14", "52.216.170.29"}, 5}
	s3Backups = host{"picket-db-backups-111122223333.s3.us-east-1.amazonaws.com.", []string{"3.5.0.12", "52.216.41.118"}, 5}
	dynamo    = host{"dynamodb.us-east-1.amazonaws.com.", []string{"52.94.0.74", "52.94.2.9"}, 5}
	kinesis   = host{"kinesis.us-east-1.amazonaws.com.", []string{"52.46.145.19"}, 60}
	stripe    = host{"checkout.stripe.example.", []string{"93.184.216.40", "93.184.216.41"}, 300}
	slack     = host{"hooks.slack.com.", []string{"76.223.92.165"}, 60}
	github    = host{"api.github.com.", []string{"140.82.112.6"}, 60}
	devHosts  = []host{
		{"registry.npmjs.org.", []string{"104.16.0.35", "104.16.1.35"}, 300},
		{"github.com.", []string{"140.82.112.3"}, 60},
		{"codeload.github.com.", []string{"140.82.112.10"}, 60},
		{"proxy.golang.org.", []string{"142.250.72.17"}, 300},
		{"pypi.org.", []string{"151.101.0.223"}, 300},
		{"files.pythonhosted.org.", []string{"151.101.64.223"}, 300},
		{"objects.githubusercontent.com.", []string{"185.199.108.133"}, 300},
		{"download.docker.example.", []string{"98.44.13.201"}, 60},
		{"api.github.com.", []string{"140.82.112.6"}, 60},
	}
	ntpServers = []string{"69.89.207.99", "72.30.35.89", "91.189.89.198", "66.85.78.80", "74.6.168.73", "68.233.45.146", "64.225.34.103", "96.245.170.99"}
	// Route 53 health checkers: made-up hosts in the ranges AWS publishes
	// for them.
	checkers = []string{"107.23.255.12", "107.23.255.43", "54.243.31.203", "54.183.255.140", "54.244.52.201", "54.228.16.10", "54.255.254.199", "177.71.207.141"}
)

// saasHosts are the many public endpoints the Kubernetes pods talk to.
func saasHosts(r *rand.Rand) []host {
	pre := []string{"api", "ingest", "events", "auth", "grpc", "push", "sync", "stream", "hooks", "edge"}
	ven := []string{"acme-pay", "logstream", "flagship", "mailrelay", "smsgate", "geoip", "searchcloud", "tracing", "crashdesk",
		"metricsly", "featurely", "authzero", "queuehub", "cdnfast", "imgresize", "pdfgen", "taxcalc", "fraudscore", "shipquote", "translate"}
	var hs []host
	seen := map[string]bool{}
	for len(hs) < 150 {
		name := pre[r.IntN(len(pre))] + "." + ven[r.IntN(len(ven))] + ".example."
		if seen[name] {
			continue
		}
		seen[name] = true
		h := host{name: name, ttl: int64([]int{30, 60, 60, 300}[r.IntN(4)])}
		for range 1 + r.IntN(2) {
			h.ips = append(h.ips, fmt.Sprintf("%d.%d.%d.%d", 64+r.IntN(36), r.IntN(256), r.IntN(256), 1+r.IntN(254)))
		}
		hs = append(hs, h)
	}
	return hs
}

// gatewayEndpoint says whether traffic from a private subnet to ip bypasses the NAT
// gateway: S3 and DynamoDB are reached through gateway endpoints.
func gatewayEndpoint(ip string) bool {
	for _, h := range []host{s3Assets, s3Backups, dynamo} {
		for _, a := range h.ips {
			if a == ip {
				return true
			}
		}
	}
	return false
}

// pkt is a burst of packets in one direction of a connection.
type pkt struct {
	t     int64
	n, b  int
	flags int
}

// conn is one connection: fwd from its initiator a, rev from its responder b.
type conn struct {
	a, b     string
	ap, bp   int
	proto    int
	fwd, rev []pkt
	action   string
}

type rec struct {
	n               *iface
	src, dst        string
	sport, dport    int
	proto           int
	pkts, bytes     int
	start, end      int64
	action, status  string
	flags           int
	psrc, pdst, dir string
	kind            int
	attack          bool
}

type answer struct{ rdata, typ string }

type query struct {
	t       int64
	src     string
	inst    string
	name    string
	qtype   string
	rcode   string
	answers []answer
	attack  bool
	kind    int
}

type gen struct {
	r       *rand.Rand
	recs    []rec
	queries []query
	attack  bool             // what is being written now is an incident's
	kind    int              // and belongs to this kind of traffic
	kinds   []string         // names of the kinds
	cache   map[string]int64 // when a client last asked the resolver for a name
	saas    []host
}

// as starts a kind of traffic, for the counts printed at the end.
func (g *gen) as(name string) {
	g.kind = len(g.kinds)
	g.kinds = append(g.kinds, name)
}

func (g *gen) pub() string {
	// A client address in 198.18.0.0/15 or made-up public space, never an
	// address on the demo's lists or the office's.
	switch g.r.IntN(3) {
	case 0:
		return fmt.Sprintf("198.%d.%d.%d", 18+g.r.IntN(2), 24+g.r.IntN(232), 1+g.r.IntN(254))
	case 1:
		return fmt.Sprintf("100.%d.%d.%d", 128+g.r.IntN(64), g.r.IntN(256), 1+g.r.IntN(254))
	}
	return fmt.Sprintf("%d.%d.%d.%d", 60+g.r.IntN(40), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
}

func (g *gen) eph() int { return 32768 + g.r.IntN(28232) }

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *gen) between(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

// spread appends n packets of b bytes in all, split over the bursts at times ts.
func spread(ps []pkt, ts []int64, n, b int) []pkt {
	if n <= 0 || len(ts) == 0 {
		return ps
	}
	if len(ts) > n {
		ts = ts[:n]
	}
	if b < 40*n {
		b = 40 * n
	}
	k := len(ts)
	for i, t := range ts {
		pn := n/k + btoi(i < n%k)
		pb := b * pn / n
		ps = append(ps, pkt{t: t, n: pn, b: pb})
	}
	return ps
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// times returns k times spread over [from, to].
func (g *gen) times(from, to int64, k int) []int64 {
	ts := make([]int64, k)
	for i := range ts {
		ts[i] = from + (to-from)*int64(i+1)/int64(k+1)
	}
	return ts
}

const (
	closeFIN  = iota // both sides send FIN
	closeRST         // the initiator resets the connection
	closeNone        // still open
)

// tcp is a short connection from a:ap to b:bp at t lasting dur seconds, the
// initiator sending fp packets of fb bytes in all, the responder rp and rb:
// a handshake, data, and a close.
func (g *gen) tcp(a string, ap int, b string, bp int, t, dur int64, fp, fb, rp, rb int, how int) conn {
	c := conn{a: a, b: b, ap: ap, bp: bp, proto: 6, action: "ACCEPT"}
	c.fwd = append(c.fwd, pkt{t, 1, 60, 2})
	c.rev = append(c.rev, pkt{t, 1, 60, 18})
	k := 1 + int(dur/15)
	ts := g.times(t, t+dur, k)
	closing := btoi(how != closeNone)
	c.fwd = spread(c.fwd, ts, fp-1-closing, fb-60-52*closing)
	c.rev = spread(c.rev, ts, rp-1-btoi(how == closeFIN), rb-60-52*btoi(how == closeFIN))
	switch how {
	case closeFIN:
		c.fwd = append(c.fwd, pkt{t + dur, 1, 52, 1})
		c.rev = append(c.rev, pkt{t + dur, 1, 52, 1})
	case closeRST:
		c.fwd = append(c.fwd, pkt{t + dur, 1, 40, 4})
	}
	return c
}

// steady is a long-lived connection from a:ap to b:bp opened at from and
// closed at to (either may lie outside the two hours), exchanging what
// sizes says every period seconds (plus jitter).
func (g *gen) steady(a string, ap int, b string, bp int, from, to, period int64, jitter int, sizes func() (fp, fb, rp, rb int)) conn {
	c := conn{a: a, b: b, ap: ap, bp: bp, proto: 6, action: "ACCEPT"}
	if from >= t0-60 {
		c.fwd = append(c.fwd, pkt{from, 1, 60, 2}, pkt{from, 1, 52, 0})
		c.rev = append(c.rev, pkt{from, 1, 60, 18})
	}
	for t := from + period; t < to && t < tEnd+60; t += period {
		if t < t0-60 {
			continue
		}
		tt := t
		if jitter > 0 {
			tt += int64(g.r.IntN(jitter))
		}
		fp, fb, rp, rb := sizes()
		if fp > 0 {
			c.fwd = append(c.fwd, pkt{tt, fp, max(fb, 52*fp), 0})
		}
		if rp > 0 {
			c.rev = append(c.rev, pkt{tt, rp, max(rb, 52*rp), 0})
		}
	}
	if to < tEnd+60 {
		c.fwd = append(c.fwd, pkt{to, 1, 52, 1})
		c.rev = append(c.rev, pkt{to, 1, 52, 1})
	}
	return c
}

// keepalive is a long idle connection whose only traffic is a TCP
// keep-alive probe and its acknowledgement every minute.
func (g *gen) keepalive(a, b string, bp int) conn {
	return g.steady(a, g.eph(), b, bp, t0-3600*5-int64(g.r.IntN(3600)), never, 60, 0, func() (int, int, int, int) { return 1, 52, 1, 52 })
}

// unanswered is a connection attempt nobody answers: one to three SYNs.
func (g *gen) unanswered(a, b string, bp int, t int64) conn {
	c := conn{a: a, b: b, ap: g.eph(), bp: bp, proto: 6, action: "ACCEPT"}
	for i := range 1 + g.r.IntN(3) {
		c.fwd = append(c.fwd, pkt{t + int64(1<<i) - 1, 1, 60, 2})
	}
	return c
}

// rejected is a connection attempt the security group drops.
func (g *gen) rejected(a, b string, bp int, t int64) conn {
	return conn{a: a, b: b, ap: g.eph(), bp: bp, proto: 6, action: "REJECT", fwd: []pkt{{t, 1, []int{40, 44, 60}[g.r.IntN(3)], 2}}}
}

// udp is one request and its answer.
func (g *gen) udp(a, b string, bp int, t int64, size int) conn {
	return conn{a: a, b: b, ap: g.eph(), bp: bp, proto: 17, action: "ACCEPT", fwd: []pkt{{t, 1, size, 0}}, rev: []pkt{{t, 1, size, 0}}}
}

// emit writes a connection's flow records on every interface that sees it.
func (g *gen) emit(c conn) {
	ia, ib := byIP[c.a], byIP[c.b]
	switch {
	case ia != nil && ib != nil:
		g.leg(ia, c, c.a, c.b, c.ap, c.bp, c.a, c.b, "egress", c.fwd)
		g.leg(ia, c, c.b, c.a, c.bp, c.ap, c.b, c.a, "ingress", c.rev)
		g.leg(ib, c, c.a, c.b, c.ap, c.bp, c.a, c.b, "ingress", c.fwd)
		g.leg(ib, c, c.b, c.a, c.bp, c.ap, c.b, c.a, "egress", c.rev)
	case ia != nil:
		g.leg(ia, c, c.a, c.b, c.ap, c.bp, c.a, c.b, "egress", c.fwd)
		g.leg(ia, c, c.b, c.a, c.bp, c.ap, c.b, c.a, "ingress", c.rev)
		if ia.private && !gatewayEndpoint(c.b) {
			// The NAT gateway's interface sees the instance's side and
			// the internet's, with its own address and port on the latter.
			n := nat.ip()
			np := 1024 + g.r.IntN(64512)
			g.leg(nat, c, c.a, n, c.ap, c.bp, c.a, c.b, "ingress", c.fwd)
			g.leg(nat, c, n, c.b, np, c.bp, n, c.b, "egress", c.fwd)
			g.leg(nat, c, c.b, n, c.bp, np, c.b, n, "ingress", c.rev)
			g.leg(nat, c, n, c.a, c.bp, c.ap, c.b, c.a, "egress", c.rev)
		}
	case ib != nil:
		g.leg(ib, c, c.a, c.b, c.ap, c.bp, c.a, c.b, "ingress", c.fwd)
		g.leg(ib, c, c.b, c.a, c.bp, c.ap, c.b, c.a, "egress", c.rev)
	default:
		panic("a connection outside the VPC: " + c.a + " " + c.b)
	}
}

// leg writes one direction of a connection as n logs it: a record per
// aggregation window with packets in it.
func (g *gen) leg(n *iface, c conn, src, dst string, sp, dp int, psrc, pdst, dir string, ps []pkt) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].t < ps[j].t })
	var cur *rec
	flush := func() {
		if cur != nil && cur.start >= t0 && cur.start < tEnd {
			g.recs = append(g.recs, *cur)
		}
		cur = nil
	}
	win := int64(-1)
	for _, p := range ps {
		w := (p.t - n.off) / 60
		if cur == nil || w != win {
			flush()
			win = w
			cur = &rec{n: n, src: src, dst: dst, sport: sp, dport: dp, proto: c.proto, start: p.t, action: c.action, status: "OK",
				psrc: psrc, pdst: pdst, dir: dir, kind: g.kind, attack: g.attack}
		}
		cur.pkts += p.n
		cur.bytes += p.b
		cur.flags |= p.flags
		cur.end = p.t
	}
	flush()
}

// nodata writes an idle interface's NODATA record for each window.
func (g *gen) nodata(n *iface) {
	for w := t0 - 60 + n.off; w < tEnd; w += 60 {
		if w >= t0 {
			g.recs = append(g.recs, rec{n: n, start: w, end: w + 59, action: "-", status: "NODATA", kind: g.kind})
		}
	}
}

// ask writes a query to the VPC resolver.
func (g *gen) ask(src string, t int64, name, qtype, rcode string, answers ...answer) {
	n := byIP[src]
	g.queries = append(g.queries, query{t: t, src: src, inst: n.inst, name: name, qtype: qtype, rcode: rcode, answers: answers, attack: g.attack, kind: g.kind})
}

// lookup resolves a name for src before it connects, unless its cache still
// holds the answer: an A and an AAAA query (there is no IPv6 here).
func (g *gen) lookup(src string, t int64, name string, ttl int64, ips ...string) {
	key := src + " " + name
	if last, ok := g.cache[key]; ok && t < last+ttl {
		return
	}
	g.cache[key] = t
	var ans []answer
	if strings.HasPrefix(name, "picket-") && strings.Contains(name, ".s3.") {
		ans = append(ans, answer{"s3-r-w.us-east-1.amazonaws.com.", "CNAME"})
	}
	for _, ip := range ips {
		ans = append(ans, answer{ip, "A"})
	}
	g.ask(src, t, name, "A", "NOERROR", ans...)
	g.ask(src, t, name, "AAAA", "NOERROR")
}

// podLookup is a pod resolving an outside name through CoreDNS: with
// ndots:5 the search domains are tried first, and CoreDNS forwards the
// ec2.internal one to the VPC resolver, which answers NXDOMAIN.
func (g *gen) podLookup(t int64, h host) {
	dns := pods.ips[g.r.IntN(2)] // the CoreDNS pods
	key := "coredns " + h.name
	if last, ok := g.cache[key]; ok && t < last+max(h.ttl, 30) {
		return
	}
	g.cache[key] = t
	g.ask(dns, t, h.name+"ec2.internal.", "A", "NXDOMAIN")
	g.ask(dns, t, h.name+"ec2.internal.", "AAAA", "NXDOMAIN")
	var ans []answer
	for _, ip := range h.ips {
		ans = append(ans, answer{ip, "A"})
	}
	g.ask(dns, t, h.name, "A", "NOERROR", ans...)
	g.ask(dns, t, h.name, "AAAA", "NOERROR")
}

// chain runs one connection slot from before the logs to after them: each
// connection lives life() seconds and is replaced by a new one.
func (g *gen) chain(life func() int64, open func(from, to int64)) {
	from := t0 - life()/2 - int64(g.r.IntN(600))
	for from < tEnd {
		to := from + life()
		open(from, to)
		from = to + int64(g.r.IntN(3))
	}
}

// background is two hours of ordinary traffic.
func (g *gen) background() {
	g.saas = saasHosts(g.r)
	g.webTier()
	g.appTier()
	g.agents()
	g.kubernetes()
	g.admins()
	g.internetNoise()
	g.as("backup upload from db1 to S3")
	g.backup()
	g.as("NODATA on an idle interface")
	g.nodata(standby)
	g.as("other DNS queries")
	g.dnsChatter()
}

// webTier: customers through the load balancer, its health checks and
// pooled connections to the web servers, Route 53 health checks.
func (g *gen) webTier() {
	g.as("customers to the load balancer")
	for m := 0; m < 120; m++ {
		for _, lb := range lbs {
			for range 9 + g.r.IntN(5) {
				client, t := g.pub(), at(m, g.r.IntN(60))
				for range 1 + g.r.IntN(4) { // browsers open several connections
					t += int64(g.r.IntN(3))
					dur := int64(1 + g.r.IntN(20))
					switch g.r.IntN(20) {
					case 0:
						dur = int64(60 + g.r.IntN(180))
					case 1, 2, 3, 4:
						dur = int64(20 + g.r.IntN(40))
					}
					fp := 10 + g.r.IntN(25) + int(dur/6)
					rp := 12 + g.r.IntN(40) + int(dur/4)
					how := closeFIN
					if g.r.IntN(25) == 0 {
						how = closeRST
					}
					g.emit(g.tcp(client, g.eph(), lb.ip(), 443, t, dur, fp, 52*fp+300+g.r.IntN(3000), rp, rp*(500+g.r.IntN(900)), how))
				}
			}
			if g.r.IntN(2) == 0 { // the port 80 listener redirects to 443
				g.emit(g.tcp(g.pub(), g.eph(), lb.ip(), 80, at(m, g.r.IntN(60)), 0, 5, 440+g.r.IntN(120), 4, 620, closeFIN))
			}
		}
	}
	g.as("load balancer to web servers")
	for _, lb := range lbs {
		for _, w := range webs {
			for range 3 {
				g.chain(func() int64 { return int64(1200 + g.r.IntN(2400)) }, func(from, to int64) {
					g.emit(g.steady(lb.ip(), g.eph(), w.ip(), 443, from, to, 10, 10, func() (int, int, int, int) {
						fp, rp := 2+g.r.IntN(14), 3+g.r.IntN(30)
						return fp, fp * (200 + g.r.IntN(400)), rp, rp * (700 + g.r.IntN(700))
					}))
				})
			}
		}
	}
	g.as("load balancer health checks")
	for _, lb := range lbs {
		for _, w := range webs {
			for t := t0 - int64(g.r.IntN(10)); t < tEnd; t += 10 {
				if t >= t0 {
					g.emit(g.tcp(lb.ip(), g.eph(), w.ip(), 443, t, 0, 9, 1100+g.r.IntN(80), 8, 4700+g.r.IntN(200), closeFIN))
				}
			}
		}
	}
	g.as("Route 53 health checks")
	for _, c := range checkers {
		for _, w := range webs {
			for t := t0 + int64(g.r.IntN(30)); t < tEnd; t += 30 {
				g.emit(g.tcp(c, g.eph(), w.ip(), 443, t, 0, 7, 880+g.r.IntN(60), 6, 4300+g.r.IntN(150), closeFIN))
			}
		}
	}
	g.as("web servers to the app servers")
	for _, w := range webs {
		for _, a := range apps {
			g.chain(func() int64 { return int64(1800 + g.r.IntN(5400)) }, func(from, to int64) {
				g.emit(g.steady(w.ip(), g.eph(), a.ip(), 8080, from, to, 15, 15, func() (int, int, int, int) {
					fp, rp := 2+g.r.IntN(12), 2+g.r.IntN(16)
					return fp, fp * (150 + g.r.IntN(500)), rp, rp * (400 + g.r.IntN(1000))
				}))
			})
		}
		// Static assets from S3 through the gateway endpoint.
		for m := 0; m < 120; m += 1 + g.r.IntN(4) {
			t := at(m, g.r.IntN(60))
			ip := g.pick(s3Assets.ips)
			g.lookup(w.ip(), t, s3Assets.name, s3Assets.ttl, ip)
			fp, rp := 8+g.r.IntN(20), 10+g.r.IntN(80)
			g.emit(g.tcp(w.ip(), g.eph(), ip, 443, t, int64(g.r.IntN(4)), fp, fp*120, rp, rp*1300, closeFIN))
		}
	}
}

// appTier: the app servers' database pools, AWS services and third-party
// APIs, and the idle connections that only send keep-alives.
func (g *gen) appTier() {
	g.as("app servers to the database")
	for _, a := range apps {
		for range 3 {
			g.chain(func() int64 { return int64(1800 + g.r.IntN(9000)) }, func(from, to int64) {
				if from >= t0 {
					g.lookup(a.ip(), from, "db1.prod.picket.internal.", 300, db1.ip())
				}
				g.emit(g.steady(a.ip(), g.eph(), db1.ip(), 5432, from, to, 10, 10, func() (int, int, int, int) {
					fp, rp := 2+g.r.IntN(10), 2+g.r.IntN(14)
					return fp, fp * (90 + g.r.IntN(200)), rp, rp * (200 + g.r.IntN(800))
				}))
			})
		}
	}
	g.as("app servers calling each other")
	for m := 0; m < 120; m++ {
		for range 1 + g.r.IntN(3) {
			a, b := apps[g.r.IntN(3)], apps[g.r.IntN(3)]
			if a == b {
				continue
			}
			t := at(m, g.r.IntN(60))
			svc := "svc-" + strings.ReplaceAll(b.ip(), ".", "-") + ".prod.picket.internal."
			g.lookup(a.ip(), t, svc, 10, b.ip())
			fp, rp := 6+g.r.IntN(10), 6+g.r.IntN(16)
			g.emit(g.tcp(a.ip(), g.eph(), b.ip(), 8080, t, int64(g.r.IntN(3)), fp, fp*(100+g.r.IntN(400)), rp, rp*(200+g.r.IntN(900)), closeFIN))
		}
	}
	g.as("TCP keep-alives on idle connections")
	g.emit(g.keepalive(app1.ip(), db1.ip(), 5432))
	g.emit(g.keepalive(app1.ip(), kinesis.ips[0], 443))
	g.emit(g.keepalive(app2.ip(), db1.ip(), 5432))

	g.as("app servers to AWS services")
	for _, a := range apps {
		// SQS long polls (20 seconds) on a connection the SDK reuses.
		g.chain(func() int64 { return int64(300 + g.r.IntN(1500)) }, func(from, to int64) {
			if from >= t0 {
				g.lookup(a.ip(), from, epSQS.name, 60, epSQS.n.ip())
			}
			g.emit(g.steady(a.ip(), g.eph(), epSQS.n.ip(), 443, from, to, 20, 2, func() (int, int, int, int) {
				rp := 2 + g.r.IntN(3)
				return 2 + g.r.IntN(2), 700 + g.r.IntN(300), rp, rp*200 + g.r.IntN(2500)
			}))
		})
		// DynamoDB through the gateway endpoint: two pooled connections.
		for range 2 {
			g.chain(func() int64 { return int64(600 + g.r.IntN(3000)) }, func(from, to int64) {
				ip := g.pick(dynamo.ips)
				if from >= t0 {
					g.lookup(a.ip(), from, dynamo.name, dynamo.ttl, ip)
				}
				g.emit(g.steady(a.ip(), g.eph(), ip, 443, from, to, 12, 12, func() (int, int, int, int) {
					fp, rp := 1+g.r.IntN(8), 1+g.r.IntN(8)
					return fp, fp * (150 + g.r.IntN(600)), rp, rp * (150 + g.r.IntN(900))
				}))
			})
		}
		// CloudWatch Logs: the agent ships every five seconds.
		g.chain(func() int64 { return int64(1800 + g.r.IntN(3600)) }, func(from, to int64) {
			if from >= t0 {
				g.lookup(a.ip(), from, epLogs.name, 60, epLogs.n.ip())
			}
			g.emit(g.steady(a.ip(), g.eph(), epLogs.n.ip(), 443, from, to, 5, 0, func() (int, int, int, int) {
				fp := 1 + g.r.IntN(3)
				return fp, fp * (200 + g.r.IntN(1000)), 1 + g.r.IntN(2), 120 + g.r.IntN(200)
			}))
		})
		// Credentials and secrets now and then.
		for t := at(0, g.r.IntN(900)); t < tEnd; t += int64(600 + g.r.IntN(600)) {
			ep := []endpoint{epSTS, epSecrets}[g.r.IntN(2)]
			g.lookup(a.ip(), t, ep.name, 60, ep.n.ip())
			g.emit(g.tcp(a.ip(), g.eph(), ep.n.ip(), 443, t, 0, 10, 1900+g.r.IntN(400), 9, 5200+g.r.IntN(900), closeFIN))
		}
		// S3 objects through the gateway endpoint.
		for t := at(0, g.r.IntN(120)); t < tEnd; t += int64(30 + g.r.IntN(150)) {
			ip := g.pick(s3Assets.ips)
			g.lookup(a.ip(), t, s3Assets.name, s3Assets.ttl, ip)
			fp, rp := 8+g.r.IntN(30), 8+g.r.IntN(60)
			g.emit(g.tcp(a.ip(), g.eph(), ip, 443, t, int64(g.r.IntN(5)), fp, fp*(100+g.r.IntN(900)), rp, rp*(200+g.r.IntN(1200)), closeFIN))
		}
	}
	g.as("app servers to third-party APIs (NAT)")
	for m := 0; m < 120; m++ {
		for _, a := range []*iface{app1, app2} {
			if g.r.IntN(3) == 0 {
				t := at(m, g.r.IntN(60))
				ip := g.pick(stripe.ips)
				g.lookup(a.ip(), t, stripe.name, stripe.ttl, ip)
				g.emit(g.tcp(a.ip(), g.eph(), ip, 443, t, int64(1+g.r.IntN(3)), 14, 2600+g.r.IntN(900), 12, 6800+g.r.IntN(2000), closeFIN))
			}
		}
		if m%7 == 3 {
			t := at(m, g.r.IntN(60))
			g.lookup(app3.ip(), t, slack.name, slack.ttl, slack.ips...)
			g.emit(g.tcp(app3.ip(), g.eph(), slack.ips[0], 443, t, 1, 12, 2300, 10, 5600, closeFIN))
		}
		if m%11 == 5 {
			t := at(m, g.r.IntN(60))
			g.lookup(app3.ip(), t, github.name, github.ttl, github.ips...)
			g.emit(g.tcp(app3.ip(), g.eph(), github.ips[0], 443, t, 2, 16, 2100, 22, 19000, closeFIN))
		}
		if m == 47 || m == 96 { // the webhook receiver is down: nothing answers
			g.lookup(app2.ip(), at(m, 10), slack.name, slack.ttl, slack.ips...)
			g.emit(g.unanswered(app2.ip(), "76.223.92.170", 443, at(m, 10)))
		}
	}
}

// agents: the SSM agent and NTP on every instance.
func (g *gen) agents() {
	g.as("SSM agents to the interface endpoints")
	for _, i := range instances {
		g.emit(g.steady(i.ip(), g.eph(), epSSMMsg.n.ip(), 443, t0-int64(3600+g.r.IntN(36000)), never, 30, 5, func() (int, int, int, int) {
			return 1 + g.r.IntN(2), 90 + g.r.IntN(200), 1 + g.r.IntN(2), 90 + g.r.IntN(200)
		}))
		g.chain(func() int64 { return int64(900 + g.r.IntN(2700)) }, func(from, to int64) {
			if from >= t0 {
				g.lookup(i.ip(), from, epEC2Msg.name, 60, epEC2Msg.n.ip())
			}
			g.emit(g.steady(i.ip(), g.eph(), epEC2Msg.n.ip(), 443, from, to, 20, 2, func() (int, int, int, int) {
				return 2, 640 + g.r.IntN(120), 2, 520 + g.r.IntN(200)
			}))
		})
		for t := at(0, g.r.IntN(300)); t < tEnd; t += 300 {
			g.lookup(i.ip(), t, epSSM.name, 60, epSSM.n.ip())
			g.emit(g.tcp(i.ip(), g.eph(), epSSM.n.ip(), 443, t, 0, 9, 2300+g.r.IntN(300), 8, 4900+g.r.IntN(300), closeFIN))
		}
	}
	g.as("NTP to the pool (through the NAT from private subnets)")
	for _, i := range instances {
		for _, s := range []int{0, 2, 4, 6} {
			srv := ntpServers[(s+g.r.IntN(2))%len(ntpServers)]
			for t := t0 + int64(g.r.IntN(256)); t < tEnd; t += 256 {
				g.emit(g.udp(i.ip(), srv, 123, t, 76))
			}
		}
	}
}

// kubernetes: the EKS node's kubelet and its pods.
func (g *gen) kubernetes() {
	g.as("EKS node: kubelet, image pulls")
	for range 2 {
		g.chain(func() int64 { return int64(1800 + g.r.IntN(3600)) }, func(from, to int64) {
			g.emit(g.steady(node.ip(), g.eph(), eksENI.ip(), 443, from, to, 10, 10, func() (int, int, int, int) {
				fp, rp := 1+g.r.IntN(4), 1+g.r.IntN(8)
				return fp, fp * (100 + g.r.IntN(500)), rp, rp * (100 + g.r.IntN(1200))
			}))
		})
	}
	for t := at(0, g.r.IntN(60)); t < tEnd; t += 60 {
		g.lookup(node.ip(), t, eksName, 60, eksENI.ip())
		g.emit(g.tcp(node.ip(), g.eph(), eksENI.ip(), 443, t, 0, 8, 1700+g.r.IntN(400), 7, 3900+g.r.IntN(900), closeFIN))
	}
	for _, m := range []int{14, 52, 88} { // a deployment pulls images
		t := at(m, g.r.IntN(60))
		g.lookup(node.ip(), t, ecrAPIVPCE, 60, epECRAPI.n.ip())
		g.emit(g.tcp(node.ip(), g.eph(), epECRAPI.n.ip(), 443, t, 0, 10, 2100, 9, 5800, closeFIN))
		g.lookup(node.ip(), t+1, ecrVPCE, 60, epECRDKR.n.ip())
		g.emit(g.tcp(node.ip(), g.eph(), epECRDKR.n.ip(), 443, t+1, 1, 14, 2600, 16, 21000, closeFIN))
		for range 3 + g.r.IntN(3) {
			g.lookup(node.ip(), t+2, epS3.name, 60, epS3.n.ip())
			rp := 2000 + g.r.IntN(8000)
			g.emit(g.tcp(node.ip(), g.eph(), epS3.n.ip(), 443, t+2, int64(5+g.r.IntN(40)), rp/2, rp/2*52, rp, rp*1400, closeFIN))
		}
	}
	g.as("EKS pods to many public endpoints (NAT)")
	for range 40 {
		pod := pods.ips[2+g.r.IntN(len(pods.ips)-2)]
		g.chain(func() int64 { return int64(600 + g.r.IntN(5400)) }, func(from, to int64) {
			h := g.saas[g.r.IntN(60)]
			if from >= t0 {
				g.podLookup(from, h)
			}
			g.emit(g.steady(pod, g.eph(), g.pick(h.ips), 443, from, to, 15, 15, func() (int, int, int, int) {
				fp, rp := 1+g.r.IntN(6), 1+g.r.IntN(8)
				return fp, fp * (80 + g.r.IntN(400)), rp, rp * (80 + g.r.IntN(900))
			}))
		})
	}
	for m := 0; m < 120; m++ {
		for range 3 + g.r.IntN(4) {
			pod := pods.ips[2+g.r.IntN(len(pods.ips)-2)]
			h := g.saas[g.r.IntN(len(g.saas))]
			t := at(m, g.r.IntN(60))
			g.podLookup(t, h)
			fp, rp := 8+g.r.IntN(20), 8+g.r.IntN(40)
			g.emit(g.tcp(pod, g.eph(), g.pick(h.ips), 443, t, int64(g.r.IntN(8)), fp, fp*(100+g.r.IntN(500)), rp, rp*(200+g.r.IntN(1100)), []int{closeFIN, closeFIN, closeFIN, closeRST}[g.r.IntN(4)]))
		}
		if m%23 == 9 { // an endpoint that is down
			pod := pods.ips[2+g.r.IntN(len(pods.ips)-2)]
			h := g.saas[60+g.r.IntN(90)]
			t := at(m, g.r.IntN(60))
			g.podLookup(t, h)
			g.emit(g.unanswered(pod, h.ips[0], 443, t))
		}
	}
}

// admins: SSH from the office VPN to the bastion and on to the servers;
// the developer box.
func (g *gen) admins() {
	g.as("admins: office VPN to the bastion and on")
	for m := 7; m < 120; m += 30 {
		from := at(m, g.r.IntN(60))
		to := from + int64(480+g.r.IntN(900))
		g.emit(g.steady(officeIP, g.eph(), bastion.ip(), 22, from, to, 5, 5, func() (int, int, int, int) {
			fp, rp := 2+g.r.IntN(20), 2+g.r.IntN(30)
			return fp, fp * (70 + g.r.IntN(60)), rp, rp * (90 + g.r.IntN(200))
		}))
		for range 1 + g.r.IntN(2) {
			hop := []*iface{app1, app2, app3, db1}[g.r.IntN(4)]
			hf := from + int64(30+g.r.IntN(120))
			g.emit(g.steady(bastion.ip(), g.eph(), hop.ip(), 22, hf, hf+int64(120+g.r.IntN(300)), 5, 5, func() (int, int, int, int) {
				fp, rp := 2+g.r.IntN(16), 2+g.r.IntN(24)
				return fp, fp * (70 + g.r.IntN(60)), rp, rp * (90 + g.r.IntN(200))
			}))
		}
	}
	g.as("developer box: packages and browsing (NAT)")
	for m := 0; m < 120; m++ {
		for range g.r.IntN(4) {
			h := devHosts[g.r.IntN(len(devHosts))]
			t := at(m, g.r.IntN(60))
			ip := g.pick(h.ips)
			g.lookup(dev1.ip(), t, h.name, h.ttl, ip)
			dur := int64(g.r.IntN(10))
			if g.r.IntN(15) == 0 {
				dur = int64(60 + g.r.IntN(240)) // a clone or a large download
			}
			fp, rp := 10+g.r.IntN(20)+int(dur*4), 12+g.r.IntN(40)+int(dur*12)
			g.emit(g.tcp(dev1.ip(), g.eph(), ip, 443, t, dur, fp, fp*(60+g.r.IntN(200)), rp, rp*(900+g.r.IntN(500)), closeFIN))
		}
		if m%37 == 20 {
			t := at(m, g.r.IntN(60))
			g.emit(g.unanswered(dev1.ip(), "98.44.13.202", 443, t))
		}
	}
}

// internetNoise: scanners knocking on closed ports, SSH banner grabs.
func (g *gen) internetNoise() {
	g.as("internet scanners on closed ports (REJECT)")
	for m := 0; m < 120; m++ {
		for range 3 + g.r.IntN(3) {
			n := []*iface{web1, web2, bastion, lbA, lbB}[g.r.IntN(5)]
			g.emit(g.rejected(g.pub(), n.ip(), []int{23, 445, 3389, 8080, 5900, 1433, 6379, 8443, 2323, 5060}[g.r.IntN(10)], at(m, g.r.IntN(60))))
		}
	}
	g.as("SSH banner grabs on the bastion")
	for m := 0; m < 120; m += 3 + g.r.IntN(6) {
		how := closeFIN
		if g.r.IntN(3) == 0 {
			how = closeRST
		}
		g.emit(g.tcp(g.pub(), g.eph(), bastion.ip(), 22, at(m, g.r.IntN(60)), int64(g.r.IntN(3)), 5+g.r.IntN(4), 400+g.r.IntN(600), 4+g.r.IntN(3), 700+g.r.IntN(500), how))
	}
}

// backup: db1 uploads its nightly backup to S3 through the gateway
// endpoint, four multipart streams for twenty minutes.
func (g *gen) backup() {
	from := at(5, 12)
	for i := range 4 {
		ip := s3Backups.ips[i%2]
		g.lookup(db1.ip(), from+int64(i), s3Backups.name, s3Backups.ttl, ip)
		g.emit(g.steady(db1.ip(), g.eph(), ip, 443, from+int64(i), from+20*60+int64(g.r.IntN(30)), 5, 0, func() (int, int, int, int) {
			fp := 330 + g.r.IntN(120)
			return fp, fp * 1400, fp / 2, fp / 2 * 52
		}))
	}
}

// dnsChatter: the queries that go with no connection here: instance
// metadata, hostnames, reverse lookups.
func (g *gen) dnsChatter() {
	for _, i := range instances {
		for t := t0 + int64(g.r.IntN(1800)); t < tEnd; t += int64(1200 + g.r.IntN(1200)) {
			name := "instance-data.ec2.internal."
			if i == node {
				name = "instance-data.us-east-1.compute.internal."
			}
			g.ask(i.ip(), t, name, "A", "NOERROR", answer{"169.254.169.254", "A"})
		}
		for t := t0 + int64(g.r.IntN(600)); t < tEnd; t += int64(300 + g.r.IntN(600)) {
			h := "ip-" + strings.ReplaceAll(i.ip(), ".", "-") + ".ec2.internal."
			g.ask(i.ip(), t, h, "A", "NOERROR", answer{i.ip(), "A"})
		}
	}
	// db1 logs its clients' host names.
	for t := t0 + int64(g.r.IntN(60)); t < tEnd; t += int64(60 + g.r.IntN(240)) {
		c := g.pick([]string{app1.ip(), app2.ip(), app3.ip(), bastion.ip()})
		o := strings.Split(c, ".")
		g.ask(db1.ip(), t, o[3]+"."+o[2]+"."+o[1]+"."+o[0]+".in-addr.arpa.", "PTR", "NOERROR", answer{"ip-" + strings.ReplaceAll(c, ".", "-") + ".ec2.internal.", "PTR"})
	}
	// A typo now and then.
	for _, m := range []int{13, 53, 93} {
		g.ask(app1.ip(), at(m, 20), "dynamodb.us-east-1.amazonaws.con.", "A", "NXDOMAIN")
	}
}

// attacks are the six incidents.
func (g *gen) attacks() {
	g.attack = true
	// 1. The miner: i-…d0f2 connects to a mining pool every two minutes
	// from 08:20 on, through the NAT, and resolves its name first.
	g.as("incident: miner")
	g.ask(miner.ip(), at(20, 0), poolName, "A", "NOERROR", answer{poolIP, "A"})
	for m := 20; m < 120; m += 2 {
		t := at(m, 1+g.r.IntN(5))
		g.emit(g.tcp(miner.ip(), g.eph(), poolIP, 3333, t, int64(5+g.r.IntN(30)), 110+g.r.IntN(20), 21000+g.r.IntN(2000), 100+g.r.IntN(20), 20000+g.r.IntN(2000), closeFIN))
	}
	// 2. A known malicious scanner sweeps web1's ports at 08:35: closed
	// ports reject, 80 and 443 answer with SYN-ACK and the scanner resets.
	g.as("incident: port scan")
	for p := 1; p <= 40; p++ {
		port := []int{21, 22, 23, 25, 53, 80, 110, 135, 139, 143, 443, 445, 993, 995, 1433, 1521, 2049, 3306, 3389, 5432,
			5900, 6379, 8000, 8080, 8443, 9200, 11211, 27017, 5601, 9000, 8888, 7001, 4444, 6667, 10000, 2375, 2376, 5000, 5985, 5986}[p-1]
		t := at(35, p)
		if port == 80 || port == 443 {
			g.emit(conn{a: scannerIP, b: web1.ip(), ap: 41522, bp: port, proto: 6, action: "ACCEPT",
				fwd: []pkt{{t, 1, 44, 2}, {t, 1, 40, 4}}, rev: []pkt{{t, 1, 44, 18}}})
		} else {
			c := g.rejected(scannerIP, web1.ip(), port, t)
			c.ap, c.fwd[0].b = 41522, 44
			g.emit(c)
		}
	}
	// 3. An SSH brute force on the bastion at 08:50 — 60 connections of a
	// few password tries each, then a long session: it got in.
	g.as("incident: SSH brute force")
	for i := range 60 {
		t := at(50, i*4)
		g.emit(g.tcp(bruteIP, g.eph(), bastion.ip(), 22, t, int64(2+g.r.IntN(2)), 14, 2500+g.r.IntN(200), 12, 3000+g.r.IntN(300), closeFIN))
	}
	from := at(55, 0)
	g.emit(g.steady(bruteIP, g.eph(), bastion.ip(), 22, from, from+600, 5, 5, func() (int, int, int, int) {
		return 18 + g.r.IntN(4), 2900 + g.r.IntN(400), 15 + g.r.IntN(4), 3100 + g.r.IntN(600)
	}))
	// 4. Data leaves app2 through DNS from 09:10: 200 queries with hex
	// labels under one domain.
	g.as("incident: DNS tunnel")
	for i := range 200 {
		var b strings.Builder
		for range 56 {
			fmt.Fprintf(&b, "%x", g.r.IntN(16))
		}
		name := b.String()[:28] + "." + b.String()[28:] + fmt.Sprintf(".%d.", i) + tunnelDom
		g.ask(app2.ip(), at(70, i*6), name, "TXT", "NOERROR")
	}
	// 5. The developer box runs a Tor client from 09:25, through the NAT.
	g.as("incident: Tor client")
	for m := 85; m < 120; m += 5 {
		t := at(m, 40+g.r.IntN(10))
		g.emit(g.tcp(dev1.ip(), g.eph(), torIP, 9001, t, int64(20+g.r.IntN(60)), 60+g.r.IntN(10), 12000+g.r.IntN(2000), 70+g.r.IntN(10), 48000+g.r.IntN(4000), closeFIN))
	}
	// 6. app3 beacons to a C&C server every five minutes, resolving it
	// each time, through the NAT.
	g.as("incident: C&C beacons")
	for m := 3; m < 120; m += 5 {
		t := at(m, 0)
		g.ask(app3.ip(), t, c2Name, "A", "NOERROR", answer{c2IP, "A"})
		g.emit(g.tcp(app3.ip(), g.eph(), c2IP, 443, t+1, int64(1+g.r.IntN(2)), 10, 1400+g.r.IntN(200), 8, 3200+g.r.IntN(300), closeFIN))
	}
	g.attack = false
}

// flowLine writes one record of the v5 custom format.
func flowLine(f rec) string {
	if f.status == "NODATA" {
		return fmt.Sprintf("5 %s %s - - - - - - - %d %d - NODATA %s %s %s - - - - %s -",
			account, f.n.eni, f.start, f.end, vpc, f.n.subnet, f.n.inst, region)
	}
	return fmt.Sprintf("5 %s %s %s %s %d %d %d %d %d %d %d %s OK %s %s %s %d IPv4 %s %s %s %s",
		account, f.n.eni, f.src, f.dst, f.sport, f.dport, f.proto, f.pkts, f.bytes, f.start, f.end,
		f.action, vpc, f.n.subnet, f.n.inst, f.flags, f.psrc, f.pdst, region, f.dir)
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
	g := &gen{r: rand.New(rand.NewPCG(*seed, 7)), cache: map[string]int64{}}
	g.background()
	if !*benign {
		g.attacks()
	}
	sort.SliceStable(g.recs, func(i, j int) bool { return g.recs[i].start < g.recs[j].start })
	sort.SliceStable(g.queries, func(i, j int) bool { return g.queries[i].t < g.queries[j].t })
	root := filepath.Join(*outDir, "AWSLogs")
	if err := os.RemoveAll(root); err != nil {
		panic(err)
	}
	files, size := 0, 0
	write := func(rel string, b []byte) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			panic(err)
		}
		z := gz(b)
		if err := os.WriteFile(p, z, 0o644); err != nil {
			panic(err)
		}
		files++
		size += len(z)
	}
	// Flow logs: one file per 10 minutes, as S3 delivery batches them.
	for w := 0; w < 12; w++ {
		from, to := at(w*10, 0), at(w*10+10, 0)
		var b strings.Builder
		b.WriteString(header + "\n")
		for _, f := range g.recs {
			if f.start >= from && f.start < to {
				b.WriteString(flowLine(f) + "\n")
			}
		}
		stamp := time.Unix(to, 0).UTC().Add(3 * time.Minute).Format("20060102T1504Z")
		write(fmt.Sprintf("%s/vpcflowlogs/%s/2026/10/14/%s_vpcflowlogs_%s_fl-0d1e2f3a4b5c6d7e8_%s_%08x.log.gz", account, region, account, region, stamp, g.r.Uint32()), []byte(b.String()))
	}
	// Resolver query logs: one file per 10 minutes.
	for w := 0; w < 12; w++ {
		from, to := at(w*10, 0), at(w*10+10, 0)
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		for _, q := range g.queries {
			if q.t < from || q.t >= to {
				continue
			}
			rec := dnsRecord{Version: "1.100000", AccountID: account, Region: region, VPCID: vpc,
				QueryTimestamp: time.Unix(q.t, 0).UTC().Format(time.RFC3339), QueryName: q.name, QueryType: q.qtype, QueryClass: "IN", RCode: q.rcode,
				Answers: []map[string]string{}, SrcAddr: q.src, SrcPort: fmt.Sprint(g.eph()), Transport: "UDP",
				SrcIDs: map[string]string{"instance": q.inst}}
			for _, a := range q.answers {
				rec.Answers = append(rec.Answers, map[string]string{"Rdata": a.rdata, "Type": a.typ, "Class": "IN"})
			}
			enc.Encode(rec)
		}
		stamp := time.Unix(to, 0).UTC().Add(2 * time.Minute).Format("20060102T1504Z")
		write(fmt.Sprintf("%s/vpcdnsquerylogs/%s/2026/10/14/%s_vpcdnsquerylogs_%s_%s_%08x.log.gz", account, vpc, account, vpc, stamp, g.r.Uint32()), b.Bytes())
	}

	// What was written, by kind of traffic.
	flows, dns := make([]int, len(g.kinds)), make([]int, len(g.kinds))
	attack, benignN := 0, 0
	for _, f := range g.recs {
		flows[f.kind]++
		if f.attack {
			attack++
		} else {
			benignN++
		}
	}
	for _, q := range g.queries {
		dns[q.kind]++
		if q.attack {
			attack++
		} else {
			benignN++
		}
	}
	for k, name := range g.kinds {
		fmt.Printf("%7d flow records %6d DNS queries  %s\n", flows[k], dns[k], name)
	}
	fmt.Printf("wrote %d files, %d bytes gzipped: %d flow records and %d DNS queries, %d records in all\n", files, size, len(g.recs), len(g.queries), len(g.recs)+len(g.queries))
	ratio := "no incidents"
	if attack > 0 {
		ratio = fmt.Sprintf("1 in %.0f", float64(attack+benignN)/float64(attack))
	}
	fmt.Printf("incident records: %d, benign records: %d (%s)\n", attack, benignN, ratio)
}

package bench

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// FlowHeader is the field list of the flow logs FlowLog writes.
const FlowHeader = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region flow-direction"

// FlowLog returns an S3-delivered VPC flow log (v5 custom format with its
// header line) of n records from a fleet of 200 instances: web traffic in,
// API calls out, database traffic inside the VPC, rejected noise from the
// internet, one NODATA record in 500. Remote addresses come from a pool of
// distinct, so the stateful detectors track real numbers of entities.
func FlowLog(n, distinctRemotes int) []byte {
	r := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, 0, n*190)
	b = append(b, FlowHeader...)
	b = append(b, '\n')
	t0 := time.Date(2026, 10, 14, 0, 0, 0, 0, time.UTC).Unix()
	for i := range n {
		inst := r.IntN(200)
		local := fmt.Sprintf("10.%d.%d.%d", 20+inst/100, inst%100, 10+inst%200)
		rk := r.IntN(distinctRemotes)
		remote := fmt.Sprintf("%d.%d.%d.%d", 100+(rk>>24)%100, (rk>>16)&255, (rk>>8)&255, rk&255)
		start := t0 + int64(i/50)
		eni := fmt.Sprintf("eni-%017x", inst)
		id := fmt.Sprintf("i-%017x", inst)
		if i%500 == 499 {
			b = fmt.Appendf(b, "5 123456789012 %s - - - - - - - %d %d - NODATA vpc-0a1b2c3d subnet-0a1b2c3d %s - - - - us-east-1 -\n", eni, start, start+60, id)
			continue
		}
		var src, dst, dir string
		var sport, dport, proto, packets, bytes int
		action := "ACCEPT"
		switch k := r.IntN(10); {
		case k < 4: // customers to the web tier
			src, dst, sport, dport, dir = remote, local, 32768+r.IntN(28000), 443, "ingress"
			proto, packets, bytes = 6, 10+r.IntN(50), 3000+r.IntN(60000)
		case k < 7: // API calls out
			src, dst, sport, dport, dir = local, remote, 32768+r.IntN(28000), 443, "egress"
			proto, packets, bytes = 6, 10+r.IntN(80), 2000+r.IntN(40000)
		case k < 9: // inside the VPC
			src, dst, sport, dport, dir = local, fmt.Sprintf("10.20.%d.%d", r.IntN(10), 5+r.IntN(5)), 32768+r.IntN(28000), 5432, "egress"
			proto, packets, bytes = 6, 20+r.IntN(100), 5000+r.IntN(90000)
		default: // internet noise on closed ports
			src, dst, sport, dport, dir = remote, local, 1024+r.IntN(60000), []int{22, 23, 445, 3389, 8080}[r.IntN(5)], "ingress"
			proto, packets, bytes, action = 6, 1, 44, "REJECT"
		}
		b = fmt.Appendf(b, "5 123456789012 %s %s %s %d %d %d %d %d %d %d %s OK vpc-0a1b2c3d subnet-0a1b2c3d %s 2 IPv4 %s %s us-east-1 %s\n",
			eni, src, dst, sport, dport, proto, packets, bytes, start, start+60, action, id, src, dst, dir)
	}
	return b
}

// DNSLog returns Route 53 Resolver query logs (JSON lines) of n queries
// from 200 instances: AWS endpoints and common services, a few NXDOMAIN
// typos, A/AAAA/TXT/CNAME with zero to three answers.
func DNSLog(n int) []byte {
	r := rand.New(rand.NewPCG(5, 6))
	names := []string{"s3.us-east-1.amazonaws.com.", "dynamodb.us-east-1.amazonaws.com.", "sqs.us-east-1.amazonaws.com.",
		"sts.amazonaws.com.", "api.github.com.", "registry.npmjs.org.", "0.amazon.pool.ntp.org.", "logs.us-east-1.amazonaws.com.",
		"www.example.com.", "cdn.jsdelivr.net.", "hooks.slack.com.", "ssm.us-east-1.amazonaws.com."}
	types := []string{"A", "A", "A", "AAAA", "TXT", "CNAME"}
	b := make([]byte, 0, n*480)
	t0 := time.Date(2026, 10, 14, 0, 0, 0, 0, time.UTC)
	for i := range n {
		inst := r.IntN(200)
		name, rcode := names[r.IntN(len(names))], "NOERROR"
		if i%200 == 7 {
			name, rcode = "dynamodb.us-east-1.amazonaws.con.", "NXDOMAIN"
		}
		qt := types[r.IntN(len(types))]
		b = fmt.Appendf(b, `{"version":"1.100000","account_id":"123456789012","region":"us-east-1","vpc_id":"vpc-0a1b2c3d4e5f60718","query_timestamp":"%s","query_name":"%s","query_type":"%s","query_class":"IN","rcode":"%s","answers":[`,
			t0.Add(time.Duration(i)*10*time.Millisecond).Format(time.RFC3339), name, qt, rcode)
		if rcode == "NOERROR" {
			for a := range r.IntN(4) {
				if a > 0 {
					b = append(b, ',')
				}
				b = fmt.Appendf(b, `{"Rdata":"52.%d.%d.%d","Type":"%s","Class":"IN"}`, r.IntN(256), r.IntN(256), r.IntN(256), qt)
			}
		}
		b = fmt.Appendf(b, `],"srcaddr":"10.20.%d.%d","srcport":"%d","transport":"UDP","srcids":{"instance":"i-%017x"}}`+"\n",
			inst/100, 10+inst%200, 32768+r.IntN(28000), inst)
	}
	return b
}

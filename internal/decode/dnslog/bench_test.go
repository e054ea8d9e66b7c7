package dnslog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/event"
)

type countHandler struct{ events, bad int }

func (h *countHandler) Event(*event.Event) error    { h.events++; return nil }
func (h *countHandler) Quarantine(decode.Bad) error { h.bad++; return nil }

var (
	benchDomains = []string{
		"s3.us-east-1.amazonaws.com", "dynamodb.us-east-1.amazonaws.com", "sts.amazonaws.com",
		"ec2.us-east-1.amazonaws.com", "api.github.com", "registry.npmjs.org", "pypi.org",
		"proxy.golang.org", "www.google.com", "ntp.ubuntu.com", "security.ubuntu.com",
		"ssm.us-east-1.amazonaws.com", "logs.us-east-1.amazonaws.com", "db.corp.example.internal",
		"ip-10-0-1-23.ec2.internal", "_dmarc.example.com", "cdn.example.net", "auth.example.org",
	}
	benchTypes = []string{"A", "A", "A", "A", "AAAA", "AAAA", "TXT", "CNAME"}
)

// genRecords writes n Route 53 Resolver query log records as JSON lines, in
// the field order Resolver uses: A/AAAA/TXT/CNAME queries with 0–4 answers
// (CNAME chains included), a tenth NXDOMAIN, IPv4 and IPv6 sources, some
// DNS Firewall matches and some queries through inbound endpoints.
func genRecords(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	var b []byte
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for i := range n {
		b = appendRecord(b, rng, t0.Add(time.Duration(i)*37*time.Millisecond))
		b = append(b, '\n')
	}
	return b
}

func appendRecord(b []byte, rng *rand.Rand, t time.Time) []byte {
	qtype := benchTypes[rng.IntN(len(benchTypes))]
	name := benchDomains[rng.IntN(len(benchDomains))] + "."
	if rng.IntN(4) == 0 {
		name = "x" + strconv.FormatUint(rng.Uint64()%1e8, 36) + "." + name
	}
	rcode := "NOERROR"
	nans := rng.IntN(5)
	if rng.IntN(10) == 0 {
		rcode, nans = "NXDOMAIN", 0
	}
	b = append(b, `{"version":"1.100000","account_id":"1111222233`...)
	b = strconv.AppendInt(b, int64(10+rng.IntN(4)), 10)
	b = append(b, `","region":"us-east-1","vpc_id":"vpc-0a1b2c3d4e5f6071`...)
	b = strconv.AppendInt(b, int64(rng.IntN(8)), 10)
	b = append(b, `","query_timestamp":"`...)
	b = t.AppendFormat(b, time.RFC3339)
	b = append(b, `","query_name":"`...)
	b = append(b, name...)
	b = append(b, `","query_type":"`...)
	b = append(b, qtype...)
	b = append(b, `","query_class":"IN","rcode":"`...)
	b = append(b, rcode...)
	b = append(b, `","answers":[`...)
	for j := range nans {
		if j > 0 {
			b = append(b, ',')
		}
		atype := qtype
		if qtype == "CNAME" || (j == 0 && nans > 1 && qtype != "TXT") {
			atype = "CNAME"
		}
		b = append(b, `{"Rdata":"`...)
		switch atype {
		case "A":
			b = fmt.Appendf(b, "%d.%d.%d.%d", 3+rng.IntN(200), rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
		case "AAAA":
			b = fmt.Appendf(b, "2600:1f18:%x:%x::%x", rng.IntN(0xffff), rng.IntN(0xffff), rng.IntN(0xffff))
		case "TXT":
			b = append(b, `\"v=spf1 include:_spf.example.com ~all\"`...)
		case "CNAME":
			b = append(b, "edge-"...)
			b = strconv.AppendInt(b, int64(rng.IntN(100)), 10)
			b = append(b, ".cdn.example.net."...)
		}
		b = append(b, `","Type":"`...)
		b = append(b, atype...)
		b = append(b, `","Class":"IN"}`...)
	}
	b = append(b, `],"srcaddr":"`...)
	inbound := rng.IntN(20) == 0
	switch {
	case inbound:
		b = fmt.Appendf(b, "192.168.%d.%d", rng.IntN(256), 1+rng.IntN(254))
	case rng.IntN(5) == 0:
		b = fmt.Appendf(b, "2600:1f18:4a3:6902:%x:%x:%x:%x", rng.IntN(0xffff), rng.IntN(0xffff), rng.IntN(0xffff), rng.IntN(0xffff))
	default:
		b = fmt.Appendf(b, "10.0.%d.%d", rng.IntN(256), 1+rng.IntN(254))
	}
	b = append(b, `","srcport":"`...)
	b = strconv.AppendInt(b, int64(1024+rng.IntN(64511)), 10)
	b = append(b, `","transport":"`...)
	if rng.IntN(20) == 0 {
		b = append(b, "TCP"...)
	} else {
		b = append(b, "UDP"...)
	}
	if inbound {
		b = append(b, `","srcids":{"resolver_endpoint":"rslvr-in-0123456789abcdef0","resolver_network_interface":"rni-0a1b2c3d4e5f60718"}`...)
	} else {
		b = append(b, `","srcids":{"instance":"i-0`...)
		b = fmt.Appendf(b, "%016x", rng.Uint64())
		b = append(b, `"}`...)
	}
	if rng.IntN(50) == 0 {
		b = append(b, `,"firewall_rule_group_id":"rslvr-frg-0aaaabbbbccccdddd","firewall_rule_action":"ALERT","firewall_domain_list_id":"rslvr-fdl-0aaaabbbbccccdddd"`...)
	}
	return append(b, '}')
}

// genCloudWatch writes n records as CloudWatch Logs subscription messages
// of perMessage log events each, one message per line.
func genCloudWatch(n, perMessage int) []byte {
	recs := bytes.Split(bytes.TrimRight(genRecords(n, 3), "\n"), []byte("\n"))
	var out []byte
	for len(recs) > 0 {
		k := min(perMessage, len(recs))
		type logEvent struct {
			ID        string `json:"id"`
			Timestamp int64  `json:"timestamp"`
			Message   string `json:"message"`
		}
		msg := struct {
			MessageType         string     `json:"messageType"`
			Owner               string     `json:"owner"`
			LogGroup            string     `json:"logGroup"`
			LogStream           string     `json:"logStream"`
			SubscriptionFilters []string   `json:"subscriptionFilters"`
			LogEvents           []logEvent `json:"logEvents"`
		}{"DATA_MESSAGE", "111122223333", "/aws/route53resolver/query-logs", "vpc-0a1b2c3d4e5f60718_ee0f2e4b", []string{"picket"}, nil}
		for i, r := range recs[:k] {
			msg.LogEvents = append(msg.LogEvents, logEvent{fmt.Sprintf("3719574328091736461895620482983750617231789023%04d", i), 1772446500000 + int64(i), string(r)})
		}
		recs = recs[k:]
		j, err := json.Marshal(msg)
		if err != nil {
			panic(err)
		}
		out = append(append(out, j...), '\n')
	}
	return out
}

func benchDecode(b *testing.B, data []byte, n int) {
	d := New()
	var h countHandler
	rd := bytes.NewReader(data)
	b.SetBytes(int64(len(data)) / int64(n))
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += n {
		rd.Reset(data)
		if _, err := d.Decode(context.Background(), rd, decode.Options{}, &h); err != nil {
			b.Fatal(err)
		}
	}
	if h.bad > 0 {
		b.Fatalf("%d bad records", h.bad)
	}
}

// BenchmarkDecode splits, parses and normalizes Route 53 Resolver query log
// records from a JSON-lines file; one op is one record.
func BenchmarkDecode(b *testing.B) {
	const n = 2000
	benchDecode(b, genRecords(n, 1), n)
}

// BenchmarkDecodeCloudWatch decodes the same kind of records delivered as
// CloudWatch Logs subscription messages (50 log events each); one op is one
// record.
func BenchmarkDecodeCloudWatch(b *testing.B) {
	const n = 2000
	benchDecode(b, genCloudWatch(n, 50), n)
}

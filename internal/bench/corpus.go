// Package bench builds inputs for Picket's benchmarks: a synthetic CloudTrail
// corpus written the way CloudTrail delivers logs to S3 ({"Records":[…]}
// files, optionally gzip-compressed, under AWSLogs/<account>/CloudTrail/…).
//
// The records are realistic enough that a parser does real work: about
// 1.4 KB each on average (CloudTrail's own average), some forty event names
// across services weighted like real traffic, S3 data events with resources
// arrays, several identity types, nested request and response objects,
// occasional errors, and one record in two hundred that a built-in detector
// should flag (StopLogging, DeleteFlowLogs, a Block Public Access switched
// off, a Kali Linux user agent, a root call).
//
// Output is deterministic for a given seed. Records are built by appending
// bytes, not through encoding/json, so a large corpus is written quickly.
package bench

import (
	"compress/gzip"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for CorpusOptions.
const (
	DefaultRecords        = 200_000
	DefaultRecordsPerFile = 1000
	// TriggerEvery is the stride of detector-triggering records: exactly one
	// record in each block of TriggerEvery (0.5%).
	TriggerEvery = 200
)

// CorpusOptions configure WriteCorpus.
type CorpusOptions struct {
	Records        int   // total records; 0 means DefaultRecords
	RecordsPerFile int   // records per file, as in one S3 delivery; 0 means DefaultRecordsPerFile
	Gzip           bool  // write .json.gz files, like CloudTrail's delivery
	Seed           int64 // same seed, same bytes
}

// corpusStart is the time of the first record.
var corpusStart = time.Date(2026, 10, 14, 0, 0, 0, 0, time.UTC)

// recordGap is the average time between records (jittered within it, so
// records stay in time order).
const recordGap = 150 * time.Millisecond

// WriteCorpus writes o.Records CloudTrail records into dir in files of
// o.RecordsPerFile, in CloudTrail's S3 layout
// (dir/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<time>_<random>.json[.gz]).
// Each file belongs to one account and region and its records are in time
// order. It returns the files written, in record order, and the number of
// uncompressed JSON bytes. Files are generated in parallel; each has its own
// random source derived from the seed, so the output does not depend on
// scheduling.
func WriteCorpus(dir string, o CorpusOptions) (files []string, bytes int64, err error) {
	if o.Records < 0 || o.RecordsPerFile < 0 {
		return nil, 0, errors.New("bench: negative record count")
	}
	if o.Records == 0 {
		o.Records = DefaultRecords
	}
	if o.RecordsPerFile == 0 {
		o.RecordsPerFile = DefaultRecordsPerFile
	}
	n := (o.Records + o.RecordsPerFile - 1) / o.RecordsPerFile
	files = make([]string, n)
	var total atomic.Int64
	var mu sync.Mutex
	var firstErr error
	next := atomic.Int64{}
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var raw, zbuf bytesBuffer
			var zw *gzip.Writer
			for {
				k := int(next.Add(1) - 1)
				if k >= n {
					return
				}
				mu.Lock()
				failed := firstErr != nil
				mu.Unlock()
				if failed {
					return
				}
				first := k * o.RecordsPerFile
				last := min(first+o.RecordsPerFile, o.Records)
				rel, body := buildFile(raw.b[:0], o.Seed, k, first, last, o.Gzip)
				raw.b = body
				out := body
				if o.Gzip {
					zbuf.b = zbuf.b[:0]
					if zw == nil {
						zw, _ = gzip.NewWriterLevel(&zbuf, gzip.DefaultCompression)
					} else {
						zw.Reset(&zbuf)
					}
					zw.Write(body)
					zw.Close()
					out = zbuf.b
				}
				p := filepath.Join(dir, filepath.FromSlash(rel))
				err := os.MkdirAll(filepath.Dir(p), 0o755)
				if err == nil {
					err = os.WriteFile(p, out, 0o644)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				files[k] = p
				total.Add(int64(len(body)))
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, 0, fmt.Errorf("bench: writing corpus: %w", firstErr)
	}
	return files, total.Load(), nil
}

// bytesBuffer is a minimal io.Writer over a reusable slice.
type bytesBuffer struct{ b []byte }

func (w *bytesBuffer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// fileRand is the random source of file k.
func fileRand(seed int64, k int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), uint64(k)^0x636f72707573))
}

// buildFile appends file k's JSON ({"Records":[…]}, records first..last-1)
// to buf and returns its relative path.
func buildFile(buf []byte, seed int64, k, first, last int, gz bool) (string, []byte) {
	r := fileRand(seed, k)
	g := rg{r: r, b: buf, seed: uint64(seed)}
	g.pickPlace()
	g.b = append(g.b, `{"Records":[`...)
	var lastT time.Time
	for i := first; i < last; i++ {
		if i > first {
			g.b = append(g.b, ',')
		}
		g.t = recordTime(r, i)
		lastT = g.t
		g.record(i)
	}
	g.b = append(g.b, "]}"...)
	delivered := lastT.Add(time.Duration(2+r.IntN(4)) * time.Minute)
	ext := ".json"
	if gz {
		ext = ".json.gz"
	}
	var rnd [16]byte
	for j := range rnd {
		rnd[j] = alnum[r.IntN(len(alnum))]
	}
	rel := "AWSLogs/" + g.acct.id + "/CloudTrail/" + g.region + "/" + delivered.Format("2006/01/02") + "/" +
		g.acct.id + "_CloudTrail_" + g.region + "_" + delivered.Format("20060102T1504Z") + "_" + string(rnd[:]) + ext
	return rel, g.b
}

func recordTime(r *rand.Rand, i int) time.Time {
	return corpusStart.Add(time.Duration(i)*recordGap + time.Duration(r.Int64N(int64(recordGap/time.Millisecond)))*time.Millisecond)
}

// GenerateRecord appends record i of a corpus with seed 0 to buf, using r
// for its random choices: its account, region and time derive from i as in
// WriteCorpus, and it is a detector-triggering record exactly when
// WriteCorpus with seed 0 would make record i one. It is for benchmarks
// that want records without files.
func GenerateRecord(r *rand.Rand, i int, buf []byte) []byte {
	g := rg{r: r, b: buf}
	g.place((i / DefaultRecordsPerFile) % len(places))
	g.t = recordTime(r, i)
	g.record(i)
	return g.b
}

// LogFile returns one S3 CloudTrail log file ({"Records":[…]}) of the
// first n records GenerateRecord makes with a fixed random source, for
// benchmarks that decode from memory.
func LogFile(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := []byte(`{"Records":[`)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = GenerateRecord(r, i, b)
	}
	return append(b, "]}"...)
}

// IsTrigger reports whether record i of a corpus with the given seed is one
// of the detector-triggering records.
func IsTrigger(seed int64, i int) bool { return isTrigger(uint64(seed), i) }

func isTrigger(seed uint64, i int) bool {
	block := uint64(i / TriggerEvery)
	return uint64(i%TriggerEvery) == splitmix(seed^(block*0x9e3779b97f4a7c15))%TriggerEvery
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// ---- the record generator ----

type rg struct {
	r      *rand.Rand
	b      []byte
	seed   uint64
	acct   *account
	region string
	t      time.Time
}

// places are the account/region pairs files belong to, weighted by repetition.
var places = []struct {
	acct   int
	region string
}{
	{0, "us-east-1"}, {0, "us-east-1"}, {0, "us-east-1"}, {0, "eu-west-1"}, {0, "eu-west-1"},
	{1, "us-east-1"}, {1, "eu-west-1"}, {2, "us-west-2"},
}

func (g *rg) pickPlace() { g.place(g.r.IntN(len(places))) }

func (g *rg) place(n int) {
	p := places[n]
	g.acct = pools().accounts[p.acct]
	g.region = p.region
}

func (g *rg) record(i int) {
	if isTrigger(g.seed, i) {
		g.trigger()
		return
	}
	x := g.r.IntN(totalWeight)
	for _, k := range kinds {
		if x < k.w {
			k.fn(g)
			return
		}
		x -= k.w
	}
}

// kind is one event shape and its share of traffic.
type kind struct {
	w  int
	fn func(g *rg)
}

var kinds = []kind{
	{100, (*rg).assumeRoleService},
	{25, (*rg).assumeRoleChained},
	{10, (*rg).assumeRoleWebIdentity},
	{110, func(g *rg) { g.s3Object("GetObject") }},
	{40, func(g *rg) { g.s3Object("PutObject") }},
	{25, func(g *rg) { g.s3Object("HeadObject") }},
	{8, func(g *rg) { g.s3Object("DeleteObject") }},
	{25, (*rg).s3List},
	{90, func(g *rg) { g.kms("Decrypt") }},
	{40, func(g *rg) { g.kms("GenerateDataKey") }},
	{60, (*rg).kmsByService},
	{8, func(g *rg) { g.kms("Encrypt") }},
	{35, func(g *rg) { g.ec2Describe("DescribeInstances") }},
	{15, func(g *rg) { g.ec2Describe("DescribeSecurityGroups") }},
	{20, func(g *rg) { g.ec2Describe("DescribeNetworkInterfaces") }},
	{10, func(g *rg) { g.ec2Describe("DescribeVolumes") }},
	{8, func(g *rg) { g.ec2Describe("DescribeSubnets") }},
	{2, (*rg).runInstances},
	{35, (*rg).getCallerIdentity},
	{40, (*rg).createLogStream},
	{8, (*rg).describeLogGroups},
	{40, (*rg).ssmUpdateInstanceInformation},
	{25, func(g *rg) { g.ssmGet("GetParameter") }},
	{15, func(g *rg) { g.ssmGet("GetParameters") }},
	{20, (*rg).getSecretValue},
	{10, func(g *rg) { g.iamRead("GetRole") }},
	{3, func(g *rg) { g.iamRead("ListRoles") }},
	{5, func(g *rg) { g.iamRead("GetPolicyVersion") }},
	{5, func(g *rg) { g.iamRead("ListAttachedRolePolicies") }},
	{10, (*rg).describeTable},
	{15, (*rg).ecrAuth},
	{8, (*rg).ecrBatchGetImage},
	{8, func(g *rg) { g.cfn("DescribeStacks") }},
	{5, func(g *rg) { g.cfn("DescribeStackEvents") }},
	{10, (*rg).describeAlarms},
	{10, (*rg).describeTargetHealth},
	{8, (*rg).describeAutoScalingGroups},
	{8, (*rg).ecsDescribeTasks},
	{8, (*rg).putEvaluations},
	{8, (*rg).getBucketAcl},
	{5, (*rg).listBuckets},
	{3, (*rg).consoleLogin},
	{2, (*rg).lookupEvents},
	{1, (*rg).updateFunctionCode},
}

var totalWeight = func() int {
	n := 0
	for _, k := range kinds {
		n += k.w
	}
	return n
}()

// ---- low-level writers ----

const (
	hexDigits = "0123456789abcdef"
	upperHex  = "0123456789ABCDEF"
	alnum     = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	keyChars  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b64Chars  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// str appends s as a JSON string.
func (g *rg) str(s string) {
	g.b = append(g.b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		g.b = append(g.b, s[start:i]...)
		switch c {
		case '"', '\\':
			g.b = append(g.b, '\\', c)
		case '\n':
			g.b = append(g.b, '\\', 'n')
		case '\t':
			g.b = append(g.b, '\\', 't')
		default:
			g.b = append(g.b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		}
		start = i + 1
	}
	g.b = append(g.b, s[start:]...)
	g.b = append(g.b, '"')
}

// kv appends ,"k":"v".
func (g *rg) kv(k, v string) {
	g.b = append(g.b, ',', '"')
	g.b = append(g.b, k...)
	g.b = append(g.b, '"', ':')
	g.str(v)
}

// key appends ,"k":
func (g *rg) key(k string) {
	g.b = append(g.b, ',', '"')
	g.b = append(g.b, k...)
	g.b = append(g.b, '"', ':')
}

// raw appends literal JSON.
func (g *rg) raw(s string) { g.b = append(g.b, s...) }

func (g *rg) int(n int64) {
	var tmp [20]byte
	i := len(tmp)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		tmp[i] = '-'
	}
	g.b = append(g.b, tmp[i:]...)
}

func (g *rg) bool(v bool) {
	if v {
		g.raw("true")
	} else {
		g.raw("false")
	}
}

// chars appends n random characters of set (no quoting).
func (g *rg) chars(set string, n int) {
	for n > 0 {
		x := g.r.Uint64()
		for j := 0; j < 8 && n > 0; j++ {
			g.b = append(g.b, set[int(x&0xff)%len(set)])
			x >>= 8
			n--
		}
	}
}

func (g *rg) uuid() {
	a, b := g.r.Uint64(), g.r.Uint64()
	a = a&^(0xf<<12) | 0x4<<12
	b = b&^(0x3<<62) | 0x2<<62
	g.hex64(a>>32, 8)
	g.b = append(g.b, '-')
	g.hex64(a>>16, 4)
	g.b = append(g.b, '-')
	g.hex64(a, 4)
	g.b = append(g.b, '-')
	g.hex64(b>>48, 4)
	g.b = append(g.b, '-')
	g.hex64(b, 12)
}

// hex64 appends the low n hex digits of x.
func (g *rg) hex64(x uint64, n int) {
	for i := n - 1; i >= 0; i-- {
		g.b = append(g.b, hexDigits[(x>>(uint(i)*4))&15])
	}
}

func (g *rg) time(t time.Time) { g.b = t.AppendFormat(g.b, `"2006-01-02T15:04:05Z"`) }

// kmsARN appends the account's KMS key ARN in the current region.
func (g *rg) kmsARN() {
	g.raw("arn:aws:kms:")
	g.raw(g.region)
	g.raw(":")
	g.raw(g.acct.id)
	g.raw(":key/")
	g.raw(g.acct.kmsKey)
}

func (g *rg) pick(list []string) string { return list[g.r.IntN(len(list))] }

// ---- record skeleton ----

// head writes the record up to userAgent. ua and ip override the
// principal's own when non-empty.
func (g *rg) head(p *principal, ver, src, name, ip, ua string) {
	g.raw(`{"eventVersion":"`)
	g.raw(ver)
	g.raw(`","userIdentity":`)
	g.b = append(g.b, p.json...)
	g.raw(`,"eventTime":`)
	g.time(g.t)
	g.kv("eventSource", src)
	g.kv("eventName", name)
	g.kv("awsRegion", g.region)
	if ip == "" {
		ip = g.pick(p.ips)
	}
	if ua == "" {
		ua = g.pick(p.uas)
	}
	g.kv("sourceIPAddress", ip)
	g.kv("userAgent", ua)
}

// fail appends errorCode and errorMessage.
func (g *rg) fail(code, msg string) {
	g.kv("errorCode", code)
	g.kv("errorMessage", msg)
}

// maybeDenied fails one call in about 1/n with AccessDenied for p.
func (g *rg) maybeDenied(p *principal, n int, code, action, res string) bool {
	if g.r.IntN(n) != 0 {
		return false
	}
	g.fail(code, "User: "+p.arn+" is not authorized to perform: "+action+" on resource: "+res+" because no identity-based policy allows the "+action+" action")
	return true
}

type resource struct{ typ, arn string }

// tail describes the record from requestID on.
type tail struct {
	ro, data bool
	evType   string // "" is AwsApiCall
	host     string // "" means no tlsDetails (AWS service callers)
	reqID    int    // reqUUID, reqS3, reqNone
	res      [2]resource
	nres     int
	noAcct   int // index+1 of a resource without accountId (S3 objects)
	vpce     string
	api      string // apiVersion
	shared   bool
	tls12    bool
	console  bool
}

const (
	reqUUID = iota
	reqS3
	reqNone
)

func (g *rg) finish(t tail) {
	switch t.reqID {
	case reqUUID:
		g.raw(`,"requestID":"`)
		g.uuid()
		g.raw(`"`)
	case reqS3:
		g.raw(`,"requestID":"`)
		g.chars(upperHex, 16)
		g.raw(`"`)
	}
	g.raw(`,"eventID":"`)
	g.uuid()
	g.raw(`","readOnly":`)
	g.bool(t.ro)
	if t.nres > 0 {
		g.raw(`,"resources":[`)
		for i := 0; i < t.nres; i++ {
			if i > 0 {
				g.raw(",")
			}
			g.raw("{")
			if t.noAcct != i+1 {
				g.raw(`"accountId":"`)
				g.raw(g.acct.id)
				g.raw(`",`)
			}
			g.raw(`"type":`)
			g.str(t.res[i].typ)
			g.raw(`,"ARN":`)
			g.str(t.res[i].arn)
			g.raw("}")
		}
		g.raw("]")
	}
	if t.evType == "" {
		t.evType = "AwsApiCall"
	}
	g.kv("eventType", t.evType)
	if t.api != "" {
		g.kv("apiVersion", t.api)
	}
	g.raw(`,"managementEvent":`)
	g.bool(!t.data)
	g.kv("recipientAccountId", g.acct.id)
	if t.shared {
		g.raw(`,"sharedEventID":"`)
		g.uuid()
		g.raw(`"`)
	}
	if t.vpce != "" {
		g.kv("vpcEndpointId", t.vpce)
		g.kv("vpcEndpointAccountId", g.acct.id)
	}
	if t.data {
		g.raw(`,"eventCategory":"Data"`)
	} else {
		g.raw(`,"eventCategory":"Management"`)
	}
	if t.host != "" {
		if t.tls12 {
			g.raw(`,"tlsDetails":{"tlsVersion":"TLSv1.2","cipherSuite":"ECDHE-RSA-AES128-GCM-SHA256","clientProvidedHostHeader":`)
		} else {
			g.raw(`,"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":`)
		}
		g.str(t.host)
		g.raw("}")
	}
	if t.console {
		g.raw(`,"sessionCredentialFromConsole":"true"`)
	}
	g.raw("}")
}

// std fills the tail for a regular call by p to service prefix svc.
func (g *rg) std(p *principal, svc string, ro bool) tail {
	t := tail{ro: ro, console: p.console, tls12: g.r.IntN(10) == 0}
	if p.service == "" {
		t.host = svc + "." + g.region + ".amazonaws.com"
	}
	return t
}

// ---- event kinds ----

func (g *rg) credentials(hours int) {
	g.raw(`{"credentials":{"accessKeyId":"ASIA`)
	g.chars(keyChars, 16)
	g.raw(`","sessionToken":"IQoJb3JpZ2luX2VjE`)
	g.chars(b64Chars, 160+g.r.IntN(120))
	g.raw(`","expiration":"`)
	g.b = g.t.Add(time.Duration(hours)*time.Hour).AppendFormat(g.b, "Jan 2, 2006, 3:04:05 PM")
	g.raw(`"}`)
}

func (g *rg) assumeRoleService() {
	a := g.acct
	svc := a.services[g.r.IntN(len(a.services))]
	w := a.workloads[g.r.IntN(len(a.workloads))]
	g.head(svc, "1.08", "sts.amazonaws.com", "AssumeRole", "", "")
	g.raw(`,"requestParameters":{"roleArn":`)
	g.str(w.roleARN)
	g.raw(`,"roleSessionName":`)
	g.str(w.session)
	if svc.service == "ec2.amazonaws.com" {
		g.raw(`,"durationSeconds":21600`)
	}
	g.raw(`},"responseElements":`)
	g.credentials(6)
	g.raw(`}`)
	t := tail{ro: true, shared: true}
	t.res[0], t.nres = resource{"AWS::IAM::Role", w.roleARN}, 1
	g.finish(t)
}

func (g *rg) assumeRoleChained() {
	a := g.acct
	p := a.pick(g.r, a.humans, a.workloads)
	target := a.workloads[g.r.IntN(len(a.workloads))]
	g.head(p, "1.08", "sts.amazonaws.com", "AssumeRole", "", "")
	sess := "botocore-session-" + fmt.Sprint(g.t.Unix())
	if p.kind == kindUser {
		sess = p.name + "-" + fmt.Sprint(g.t.Unix())
	}
	denied := g.maybeDenied(p, 30, "AccessDenied", "sts:AssumeRole", target.roleARN)
	g.raw(`,"requestParameters":{"roleArn":`)
	g.str(target.roleARN)
	g.raw(`,"roleSessionName":`)
	g.str(sess)
	g.raw(`,"durationSeconds":3600},"responseElements":`)
	if denied {
		g.raw("null")
	} else {
		g.credentials(1)
		g.raw(`,"assumedRoleUser":{"assumedRoleId":"`)
		g.raw(target.roleID)
		g.raw(":")
		g.raw(sess)
		g.raw(`","arn":`)
		g.str(target.stsPrefix + sess)
		g.raw(`}}`)
	}
	t := g.std(p, "sts", true)
	if t.host != "" && g.r.IntN(2) == 0 {
		t.host = "sts.amazonaws.com"
	}
	t.res[0], t.nres = resource{"AWS::IAM::Role", target.roleARN}, 1
	g.finish(t)
}

func (g *rg) assumeRoleWebIdentity() {
	a := g.acct
	p := a.webIdentity[g.r.IntN(len(a.webIdentity))]
	target := a.workloads[g.r.IntN(len(a.workloads))]
	g.head(p, "1.08", "sts.amazonaws.com", "AssumeRoleWithWebIdentity", "", "")
	sess := "GitHubActions-" + fmt.Sprint(10_000_000_000+g.r.Int64N(2_000_000_000))
	g.raw(`,"requestParameters":{"roleArn":`)
	g.str(target.roleARN)
	g.raw(`,"roleSessionName":`)
	g.str(sess)
	g.raw(`,"durationSeconds":3600},"responseElements":`)
	g.credentials(1)
	g.raw(`,"subjectFromWebIdentityToken":`)
	g.str(p.name)
	g.raw(`,"assumedRoleUser":{"assumedRoleId":"`)
	g.raw(target.roleID)
	g.raw(":")
	g.raw(sess)
	g.raw(`","arn":`)
	g.str(target.stsPrefix + sess)
	g.raw(`},"provider":"token.actions.githubusercontent.com","audience":"sts.amazonaws.com"}`)
	t := g.std(p, "sts", true)
	t.host = "sts.amazonaws.com"
	t.res[0], t.res[1], t.nres = resource{"AWS::IAM::Role", target.roleARN}, resource{"AWS::IAM::OidcProvider", "arn:aws:iam::" + a.id + ":oidc-provider/token.actions.githubusercontent.com"}, 2
	g.finish(t)
}

var (
	objectPrefixes = []string{"exports/2026/10/", "uploads/", "media/products/", "logs/app/", "backups/db/", "reports/daily/", "config/", "tmp/etl/stage-2/", "static/js/", "invoices/2026/"}
	objectExts     = []string{".json", ".csv.gz", ".parquet", ".webp", ".jpg", ".pdf", ".log.gz", ".yaml", ".js", ".tar.zst"}
)

func (g *rg) s3extra(in, out int) {
	g.raw(`,"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":`)
	g.int(int64(in))
	g.raw(`,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"`)
	g.chars(b64Chars, 76)
	g.raw(`","bytesTransferredOut":`)
	g.int(int64(out))
	g.raw("}")
}

func (g *rg) s3Object(name string) {
	a := g.acct
	p := a.pick(g.r, a.workloads, a.workloads, a.workloads, a.users, a.users, a.humans)
	bucket := a.buckets[g.r.IntN(len(a.buckets))]
	var key []byte
	key = append(key, g.pick(objectPrefixes)...)
	for range 12 {
		key = append(key, hexDigits[g.r.IntN(16)])
	}
	key = append(key, g.pick(objectExts)...)
	host := bucket + ".s3." + g.region + ".amazonaws.com"
	g.head(p, "1.10", "s3.amazonaws.com", name, "", "")
	failed := false
	switch {
	case name == "GetObject" && g.r.IntN(80) == 0:
		g.fail("NoSuchKey", "The specified key does not exist.")
		failed = true
	case g.r.IntN(150) == 0:
		g.fail("AccessDenied", "Access Denied")
		failed = true
	}
	g.raw(`,"requestParameters":{"bucketName":`)
	g.str(bucket)
	g.raw(`,"Host":`)
	g.str(host)
	g.raw(`,"key":`)
	g.b = append(g.b, '"')
	g.b = append(g.b, key...)
	g.b = append(g.b, '"')
	size := int(g.r.ExpFloat64() * 200_000)
	in, out := 0, size
	if name == "PutObject" {
		in, out = size, 0
		g.raw(`,"x-amz-server-side-encryption":"aws:kms"}`)
		if failed {
			g.raw(`,"responseElements":null`)
		} else {
			g.raw(`,"responseElements":{"x-amz-server-side-encryption":"aws:kms","x-amz-server-side-encryption-aws-kms-key-id":"`)
			g.kmsARN()
			g.raw(`","x-amz-version-id":"`)
			g.chars(alnum, 32)
			g.raw(`","x-amz-server-side-encryption-bucket-key-enabled":"true"}`)
		}
	} else {
		g.raw(`},"responseElements":null`)
	}
	if failed || name == "HeadObject" || name == "DeleteObject" {
		out = 0
	}
	g.s3extra(in, out)
	t := tail{ro: name == "GetObject" || name == "HeadObject", data: true, reqID: reqS3, host: host, noAcct: 1, console: p.console}
	if p.private {
		t.vpce = a.vpce
	}
	t.res[0] = resource{"AWS::S3::Object", "arn:aws:s3:::" + bucket + "/" + string(key)}
	t.res[1], t.nres = resource{"AWS::S3::Bucket", "arn:aws:s3:::" + bucket}, 2
	g.finish(t)
}

func (g *rg) s3List() {
	a := g.acct
	p := a.pick(g.r, a.workloads, a.humans)
	bucket := a.buckets[g.r.IntN(len(a.buckets))]
	host := bucket + ".s3." + g.region + ".amazonaws.com"
	g.head(p, "1.10", "s3.amazonaws.com", "ListObjects", "", "")
	g.raw(`,"requestParameters":{"list-type":"2","bucketName":`)
	g.str(bucket)
	g.raw(`,"encoding-type":"url","max-keys":"1000","prefix":`)
	g.str(g.pick(objectPrefixes))
	g.raw(`,"delimiter":"/","Host":`)
	g.str(host)
	g.raw(`},"responseElements":null`)
	g.s3extra(0, 400+g.r.IntN(30000))
	t := tail{ro: true, data: true, reqID: reqS3, host: host, console: p.console}
	if p.private {
		t.vpce = a.vpce
	}
	t.res[0], t.nres = resource{"AWS::S3::Bucket", "arn:aws:s3:::" + bucket}, 1
	g.finish(t)
}

func (g *rg) kms(name string) {
	a := g.acct
	p := a.pick(g.r, a.workloads, a.workloads, a.invoked, a.users)
	g.head(p, "1.08", "kms.amazonaws.com", name, "", "")
	if g.r.IntN(200) == 0 {
		g.fail("ThrottlingException", "Rate exceeded")
	}
	g.raw(`,"requestParameters":{`)
	switch name {
	case "Decrypt":
		g.raw(`"encryptionAlgorithm":"SYMMETRIC_DEFAULT","encryptionContext":{`)
	case "GenerateDataKey":
		g.raw(`"keyId":"`)
		g.kmsARN()
		g.raw(`","keySpec":"AES_256","encryptionContext":{`)
	default:
		g.raw(`"keyId":"`)
		g.kmsARN()
		g.raw(`","encryptionAlgorithm":"SYMMETRIC_DEFAULT","encryptionContext":{`)
	}
	switch g.r.IntN(3) {
	case 0:
		g.raw(`"aws:s3:arn":"arn:aws:s3:::`)
		g.raw(a.buckets[g.r.IntN(len(a.buckets))])
		g.raw(`"`)
	case 1:
		g.raw(`"SecretARN":"arn:aws:secretsmanager:`)
		g.raw(g.region)
		g.raw(":")
		g.raw(a.id)
		g.raw(`:secret:`)
		g.raw(g.pick(secretNames))
		g.raw(`","SecretVersionId":"`)
		g.uuid()
		g.raw(`"`)
	default:
		g.raw(`"aws:lambda:FunctionArn":"arn:aws:lambda:`)
		g.raw(g.region)
		g.raw(":")
		g.raw(a.id)
		g.raw(`:function:`)
		g.raw(g.pick(functionNames))
		g.raw(`"`)
	}
	g.raw(`}},"responseElements":null`)
	t := g.std(p, "kms", true)
	t.res[0], t.nres = resource{"AWS::KMS::Key", "arn:aws:kms:" + g.region + ":" + a.id + ":key/" + a.kmsKey}, 1
	g.finish(t)
}

// kmsByService is an AWS service using a customer key on its own behalf,
// such as CloudTrail encrypting log files or CloudWatch Logs a log group.
func (g *rg) kmsByService() {
	a := g.acct
	svc := g.pick([]string{"cloudtrail.amazonaws.com", "logs.amazonaws.com", "s3.amazonaws.com", "sns.amazonaws.com"})
	name := "GenerateDataKey"
	if g.r.IntN(3) == 0 {
		name = "Decrypt"
	}
	p := &principal{kind: kindService, json: a.serviceJSON(svc)}
	g.head(p, "1.08", "kms.amazonaws.com", name, svc, svc)
	g.raw(`,"requestParameters":{`)
	if name == "GenerateDataKey" {
		g.raw(`"keyId":"`)
		g.kmsARN()
		g.raw(`","keySpec":"AES_256",`)
	} else {
		g.raw(`"encryptionAlgorithm":"SYMMETRIC_DEFAULT",`)
	}
	g.raw(`"encryptionContext":{`)
	switch svc {
	case "cloudtrail.amazonaws.com":
		g.raw(`"aws:cloudtrail:arn":"arn:aws:cloudtrail:us-east-1:`)
		g.raw(a.id)
		g.raw(`:trail/org-trail","aws:s3:arn":"arn:aws:s3:::`)
		g.raw(a.buckets[3])
		g.raw(`/AWSLogs/`)
		g.raw(a.id)
		g.raw(`/CloudTrail/`)
		g.raw(g.region)
		g.b = g.t.AppendFormat(g.b, "/2006/01/02/")
		g.raw(a.id)
		g.raw(`_CloudTrail_`)
		g.raw(g.region)
		g.b = g.t.AppendFormat(g.b, "_20060102T1504Z_")
		g.chars(alnum, 16)
		g.raw(`.json.gz"`)
	case "logs.amazonaws.com":
		g.raw(`"aws:logs:arn":"arn:aws:logs:`)
		g.raw(g.region)
		g.raw(":")
		g.raw(a.id)
		g.raw(":log-group:")
		g.raw(g.pick(logGroups))
		g.raw(`"`)
	default:
		g.raw(`"aws:s3:arn":"arn:aws:s3:::`)
		g.raw(a.buckets[g.r.IntN(len(a.buckets))])
		g.raw(`"`)
	}
	g.raw(`}},"responseElements":null`)
	t := tail{ro: true, shared: g.r.IntN(2) == 0}
	t.res[0], t.nres = resource{"AWS::KMS::Key", "arn:aws:kms:" + g.region + ":" + a.id + ":key/" + a.kmsKey}, 1
	g.finish(t)
}

func (g *rg) ec2Describe(name string) {
	a := g.acct
	p := a.pick(g.r, a.workloads, a.invoked, a.invoked, a.users)
	g.head(p, "1.09", "ec2.amazonaws.com", name, "", "")
	if p.kind == kindUser && g.maybeDenied(p, 25, "Client.UnauthorizedOperation", "ec2:"+name, "*") {
		// the request parameters are still logged
	} else if g.r.IntN(300) == 0 {
		g.fail("Client.RequestLimitExceeded", "Request limit exceeded.")
	}
	g.raw(`,"requestParameters":{`)
	switch name {
	case "DescribeInstances":
		g.raw(`"instancesSet":{`)
		if g.r.IntN(2) == 0 {
			g.raw(`"items":[{"instanceId":"i-`)
			g.chars(hexDigits, 17)
			g.raw(`"}]`)
		}
		g.raw(`},"filterSet":{"items":[{"name":"tag:aws:autoscaling:groupName","valueSet":{"items":[{"value":"`)
		g.raw(g.pick(functionNames))
		g.raw(`-asg"}]}},{"name":"instance-state-name","valueSet":{"items":[{"value":"running"},{"value":"pending"}]}}]}`)
	case "DescribeSecurityGroups":
		g.raw(`"securityGroupSet":{"items":[{"groupId":"sg-`)
		g.chars(hexDigits, 17)
		g.raw(`"}]},"securityGroupIdSet":{},"filterSet":{}`)
	case "DescribeNetworkInterfaces":
		g.raw(`"networkInterfaceIdSet":{},"filterSet":{"items":[{"name":"vpc-id","valueSet":{"items":[{"value":"`)
		g.raw(a.vpc)
		g.raw(`"}]}},{"name":"status","valueSet":{"items":[{"value":"in-use"}]}}]}`)
	case "DescribeVolumes":
		g.raw(`"volumeSet":{"items":[{"volumeId":"vol-`)
		g.chars(hexDigits, 17)
		g.raw(`"}]},"filterSet":{}`)
	default:
		g.raw(`"subnetSet":{},"filterSet":{"items":[{"name":"vpc-id","valueSet":{"items":[{"value":"`)
		g.raw(a.vpc)
		g.raw(`"}]}}]}`)
	}
	g.raw(`},"responseElements":null`)
	g.finish(g.std(p, "ec2", true))
}

func (g *rg) runInstances() {
	a := g.acct
	p := a.pick(g.r, a.invoked[2:3], a.humans)
	g.head(p, "1.09", "ec2.amazonaws.com", "RunInstances", "", "")
	inst, eni := "i-0", "eni-0"
	var tmp [16]byte
	for i := range tmp {
		tmp[i] = hexDigits[g.r.IntN(16)]
	}
	inst += string(tmp[:])
	eni += string(tmp[:])
	g.raw(`,"requestParameters":{"instancesSet":{"items":[{"imageId":"ami-0`)
	g.chars(hexDigits, 16)
	g.raw(`","minCount":1,"maxCount":1}]},"instanceType":"m7g.large","blockDeviceMapping":{},"availabilityZone":"`)
	g.raw(g.region)
	g.raw(`a","monitoring":{"enabled":false},"disableApiTermination":false,"disableApiStop":false,"clientToken":"`)
	g.uuid()
	g.raw(`","networkInterfaceSet":{"items":[{"deviceIndex":0,"subnetId":"subnet-0`)
	g.chars(hexDigits, 16)
	g.raw(`","associatePublicIpAddress":false,"groupSet":{"items":[{"groupId":"sg-0`)
	g.chars(hexDigits, 16)
	g.raw(`"}]}}]},"iamInstanceProfile":{"arn":"arn:aws:iam::`)
	g.raw(a.id)
	g.raw(`:instance-profile/app-server"},"tagSpecificationSet":{"items":[{"resourceType":"instance","tags":[{"key":"Name","value":"app-server"},{"key":"aws:autoscaling:groupName","value":"app-asg"}]}]},"launchTemplate":{"launchTemplateId":"lt-0`)
	g.chars(hexDigits, 16)
	g.raw(`","version":"12"},"metadataOptions":{"httpTokens":"required","httpPutResponseHopLimit":2,"httpEndpoint":"enabled"}},"responseElements":{"requestId":"`)
	g.uuid()
	g.raw(`","reservationId":"r-0`)
	g.chars(hexDigits, 16)
	g.raw(`","ownerId":"`)
	g.raw(a.id)
	g.raw(`","groupSet":{},"instancesSet":{"items":[{"instanceId":"`)
	g.raw(inst)
	g.raw(`","currentInstanceBootMode":"uefi","instanceState":{"code":0,"name":"pending"},"privateDnsName":"ip-10-20-`)
	g.int(int64(g.r.IntN(255)))
	g.raw("-")
	g.int(int64(g.r.IntN(255)))
	g.raw(`.ec2.internal","amiLaunchIndex":0,"productCodes":{},"instanceType":"m7g.large","launchTime":`)
	g.int(g.t.UnixMilli())
	g.raw(`,"placement":{"availabilityZone":"`)
	g.raw(g.region)
	g.raw(`a","tenancy":"default"},"monitoring":{"state":"disabled"},"subnetId":"subnet-0`)
	g.chars(hexDigits, 16)
	g.raw(`","vpcId":"`)
	g.raw(a.vpc)
	g.raw(`","privateIpAddress":"10.20.`)
	g.int(int64(g.r.IntN(255)))
	g.raw(".")
	g.int(int64(g.r.IntN(255)))
	g.raw(`","stateReason":{"code":"pending","message":"pending"},"architecture":"arm64","rootDeviceType":"ebs","rootDeviceName":"/dev/xvda","blockDeviceMapping":{},"virtualizationType":"hvm","hypervisor":"xen","networkInterfaceSet":{"items":[{"networkInterfaceId":"`)
	g.raw(eni)
	g.raw(`","status":"in-use","sourceDestCheck":true,"interfaceType":"interface"}]},"ebsOptimized":true,"enaSupport":true,"metadataOptions":{"state":"pending","httpTokens":"required","httpPutResponseHopLimit":2,"httpEndpoint":"enabled"},"maintenanceOptions":{"autoRecovery":"default"}}]}}`)
	t := g.std(p, "ec2", false)
	g.finish(t)
}

func (g *rg) getCallerIdentity() {
	a := g.acct
	p := a.pick(g.r, a.workloads, a.users, a.users)
	g.head(p, "1.08", "sts.amazonaws.com", "GetCallerIdentity", "", "")
	g.raw(`,"requestParameters":null,"responseElements":null`)
	t := g.std(p, "sts", true)
	g.finish(t)
}

var logGroups = []string{"/aws/lambda/order-processor", "/aws/lambda/thumbnailer", "/aws/lambda/report-builder", "/ecs/webshop-api", "/ecs/webshop-worker", "/aws/codebuild/webshop", "/var/log/messages"}

func (g *rg) createLogStream() {
	a := g.acct
	p := a.pick(g.r, a.workloads)
	g.head(p, "1.08", "logs.amazonaws.com", "CreateLogStream", "", "")
	if g.r.IntN(100) == 0 {
		g.fail("ResourceAlreadyExistsException", "The specified log stream already exists")
	}
	g.raw(`,"requestParameters":{"logGroupName":`)
	g.str(g.pick(logGroups))
	g.raw(`,"logStreamName":"`)
	g.b = g.t.AppendFormat(g.b, "2006/01/02")
	g.raw(`/[$LATEST]`)
	g.chars(hexDigits, 32)
	g.raw(`"},"responseElements":null`)
	g.finish(g.std(p, "logs", false))
}

func (g *rg) describeLogGroups() {
	a := g.acct
	p := a.pick(g.r, a.humans, a.invoked)
	g.head(p, "1.08", "logs.amazonaws.com", "DescribeLogGroups", "", "")
	g.raw(`,"requestParameters":{"logGroupNamePrefix":`)
	g.str(g.pick(logGroups)[:8])
	g.raw(`,"limit":50},"responseElements":null`)
	g.finish(g.std(p, "logs", true))
}

func (g *rg) ssmUpdateInstanceInformation() {
	a := g.acct
	p := a.instances[g.r.IntN(len(a.instances))]
	g.head(p, "1.08", "ssm.amazonaws.com", "UpdateInstanceInformation", "", ssmAgentUA)
	g.raw(`,"requestParameters":{"instanceId":`)
	g.str(p.name)
	g.raw(`,"agentVersion":"3.3.987.0","agentStatus":"Active","platformType":"Linux","platformName":"Amazon Linux","platformVersion":"2023","iPAddress":`)
	ip := p.ips[0]
	g.str(ip)
	g.raw(`,"computerName":"ip-`)
	for i := 0; i < len(ip); i++ {
		if ip[i] == '.' {
			g.b = append(g.b, '-')
		} else {
			g.b = append(g.b, ip[i])
		}
	}
	g.raw(`.ec2.internal","agentName":"amazon-ssm-agent","availabilityZone":"`)
	g.raw(g.region)
	g.raw(`b","availabilityZoneId":"use1-az2"},"responseElements":null`)
	t := g.std(p, "ssm", false)
	g.finish(t)
}

var paramNames = []string{"/webshop/prod/db-host", "/webshop/prod/cache-endpoint", "/webshop/prod/feature-flags", "/platform/otel/collector-endpoint", "/reporting/warehouse/dsn", "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"}

func (g *rg) ssmGet(name string) {
	a := g.acct
	p := a.pick(g.r, a.workloads)
	g.head(p, "1.08", "ssm.amazonaws.com", name, "", "")
	if g.r.IntN(120) == 0 {
		g.fail("ParameterNotFound", "")
	}
	if name == "GetParameter" {
		g.raw(`,"requestParameters":{"name":`)
		g.str(g.pick(paramNames))
		g.raw(`,"withDecryption":true}`)
	} else {
		g.raw(`,"requestParameters":{"names":[`)
		for i := range 2 + g.r.IntN(3) {
			if i > 0 {
				g.raw(",")
			}
			g.str(g.pick(paramNames))
		}
		g.raw(`],"withDecryption":true}`)
	}
	g.raw(`,"responseElements":null`)
	g.finish(g.std(p, "ssm", true))
}

var secretNames = []string{"prod/webshop/db-Xk3p9Q", "prod/webshop/stripe-api-key-a8F2kd", "shared/datadog-api-key-Q1w2E3", "reporting/warehouse-creds-Zz91Lm"}

func (g *rg) getSecretValue() {
	a := g.acct
	p := a.pick(g.r, a.workloads)
	g.head(p, "1.08", "secretsmanager.amazonaws.com", "GetSecretValue", "", "")
	arn := "arn:aws:secretsmanager:" + g.region + ":" + a.id + ":secret:" + g.pick(secretNames)
	g.maybeDenied(p, 100, "AccessDeniedException", "secretsmanager:GetSecretValue", arn)
	g.raw(`,"requestParameters":{"secretId":`)
	g.str(arn)
	g.raw(`},"responseElements":null`)
	g.finish(g.std(p, "secretsmanager", true))
}

func (g *rg) iamRead(name string) {
	a := g.acct
	p := a.pick(g.r, a.humans, a.invoked, a.users)
	g.head(p, "1.08", "iam.amazonaws.com", name, "", "")
	g.maybeDenied(p, 40, "AccessDenied", "iam:"+name, "arn:aws:iam::"+a.id+":role/*")
	w := a.workloads[g.r.IntN(len(a.workloads))]
	switch name {
	case "GetRole", "ListAttachedRolePolicies":
		g.raw(`,"requestParameters":{"roleName":`)
		g.str(w.roleName)
		g.raw("}")
	case "GetPolicyVersion":
		g.raw(`,"requestParameters":{"policyArn":"arn:aws:iam::aws:policy/`)
		g.raw(g.pick([]string{"ReadOnlyAccess", "AmazonS3ReadOnlyAccess", "CloudWatchAgentServerPolicy", "AmazonSSMManagedInstanceCore"}))
		g.raw(`","versionId":"v`)
		g.int(int64(1 + g.r.IntN(9)))
		g.raw(`"}`)
	default:
		g.raw(`,"requestParameters":{"maxItems":100}`)
	}
	g.raw(`,"responseElements":null`)
	t := g.std(p, "iam", true)
	if t.host != "" {
		t.host = "iam.amazonaws.com"
	}
	g.finish(t)
}

func (g *rg) describeTable() {
	a := g.acct
	p := a.pick(g.r, a.workloads, a.invoked)
	g.head(p, "1.08", "dynamodb.amazonaws.com", "DescribeTable", "", "")
	table := g.pick([]string{"orders", "carts", "sessions", "inventory", "idempotency-keys"})
	g.raw(`,"requestParameters":{"tableName":`)
	g.str(table)
	g.raw(`},"responseElements":null`)
	t := g.std(p, "dynamodb", true)
	t.res[0], t.nres = resource{"AWS::DynamoDB::Table", "arn:aws:dynamodb:" + g.region + ":" + a.id + ":table/" + table}, 1
	g.finish(t)
}

func (g *rg) ecrAuth() {
	a := g.acct
	p := a.pick(g.r, a.workloads, a.webIdentitySessions)
	g.head(p, "1.08", "ecr.amazonaws.com", "GetAuthorizationToken", "", "")
	g.raw(`,"requestParameters":{"registryIds":["`)
	g.raw(a.id)
	g.raw(`"]},"responseElements":null`)
	g.finish(g.std(p, "api.ecr", true))
}

func (g *rg) ecrBatchGetImage() {
	a := g.acct
	p := a.pick(g.r, a.workloads)
	repo := g.pick([]string{"webshop-api", "webshop-worker", "order-processor", "otel-collector"})
	g.head(p, "1.08", "ecr.amazonaws.com", "BatchGetImage", "", "")
	g.raw(`,"requestParameters":{"imageIds":[{"imageTag":"sha-`)
	g.chars(hexDigits, 7)
	g.raw(`"}],"acceptedMediaTypes":["application/vnd.docker.distribution.manifest.v1+json","application/vnd.docker.distribution.manifest.v2+json","application/vnd.oci.image.manifest.v1+json"],"repositoryName":`)
	g.str(repo)
	g.raw(`,"registryId":"`)
	g.raw(a.id)
	g.raw(`"},"responseElements":null`)
	t := g.std(p, "api.ecr", true)
	t.res[0], t.nres = resource{"AWS::ECR::Repository", "arn:aws:ecr:" + g.region + ":" + a.id + ":repository/" + repo}, 1
	g.finish(t)
}

func (g *rg) cfn(name string) {
	a := g.acct
	p := a.pick(g.r, a.webIdentitySessions, a.humans)
	g.head(p, "1.08", "cloudformation.amazonaws.com", name, "", "")
	g.raw(`,"requestParameters":{"stackName":`)
	g.str(g.pick([]string{"webshop", "networking", "observability", "data-pipeline"}))
	g.raw(`},"responseElements":null`)
	g.finish(g.std(p, "cloudformation", true))
}

func (g *rg) describeAlarms() {
	a := g.acct
	p := a.pick(g.r, a.invoked, a.humans)
	g.head(p, "1.08", "monitoring.amazonaws.com", "DescribeAlarms", "", "")
	g.raw(`,"requestParameters":{"alarmNamePrefix":`)
	g.str(g.pick([]string{"webshop-", "rds-", "TargetTracking-", "order-processor-"}))
	g.raw(`,"maxRecords":100},"responseElements":null`)
	g.finish(g.std(p, "monitoring", true))
}

func (g *rg) describeTargetHealth() {
	a := g.acct
	p := a.pick(g.r, a.invoked, a.workloads)
	g.head(p, "1.08", "elasticloadbalancing.amazonaws.com", "DescribeTargetHealth", "", "")
	g.raw(`,"requestParameters":{"targetGroupArn":"arn:aws:elasticloadbalancing:`)
	g.raw(g.region)
	g.raw(":")
	g.raw(a.id)
	g.raw(`:targetgroup/webshop-api/`)
	g.chars(hexDigits, 16)
	g.raw(`"},"responseElements":null`)
	g.finish(g.std(p, "elasticloadbalancing", true))
}

func (g *rg) describeAutoScalingGroups() {
	a := g.acct
	p := a.pick(g.r, a.invoked, a.humans)
	g.head(p, "1.08", "autoscaling.amazonaws.com", "DescribeAutoScalingGroups", "", "")
	g.raw(`,"requestParameters":{"autoScalingGroupNames":["app-asg","worker-asg"],"maxRecords":50},"responseElements":null`)
	g.finish(g.std(p, "autoscaling", true))
}

func (g *rg) ecsDescribeTasks() {
	a := g.acct
	p := a.pick(g.r, a.invoked, a.workloads)
	g.head(p, "1.08", "ecs.amazonaws.com", "DescribeTasks", "", "")
	g.raw(`,"requestParameters":{"cluster":"arn:aws:ecs:`)
	g.raw(g.region)
	g.raw(":")
	g.raw(a.id)
	g.raw(`:cluster/webshop","tasks":["`)
	g.chars(hexDigits, 32)
	g.raw(`"],"include":["TAGS"]},"responseElements":null`)
	g.finish(g.std(p, "ecs", true))
}

func (g *rg) putEvaluations() {
	a := g.acct
	p := a.configSession
	g.head(p, "1.08", "config.amazonaws.com", "PutEvaluations", "", "")
	g.raw(`,"requestParameters":{"evaluations":[{"complianceResourceType":"AWS::S3::Bucket","complianceResourceId":`)
	g.str(a.buckets[g.r.IntN(len(a.buckets))])
	g.raw(`,"complianceType":"`)
	g.raw(g.pick([]string{"COMPLIANT", "COMPLIANT", "COMPLIANT", "NON_COMPLIANT"}))
	g.raw(`","orderingTimestamp":`)
	g.b = append(g.b, '"')
	g.b = g.t.Add(-time.Duration(g.r.IntN(600))*time.Second).AppendFormat(g.b, "Jan 2, 2006, 3:04:05 PM")
	g.raw(`"}],"resultToken":"`)
	g.chars(b64Chars, 120)
	g.raw(`","testMode":false},"responseElements":{"failedEvaluations":[]}`)
	g.finish(g.std(p, "config", false))
}

func (g *rg) getBucketAcl() {
	a := g.acct
	p := a.configSession
	bucket := a.buckets[g.r.IntN(len(a.buckets))]
	g.head(p, "1.09", "s3.amazonaws.com", "GetBucketAcl", "", "")
	g.raw(`,"requestParameters":{"bucketName":`)
	g.str(bucket)
	g.raw(`,"Host":`)
	g.str(bucket + ".s3.amazonaws.com")
	g.raw(`,"acl":""},"responseElements":null`)
	g.s3extra(0, 0)
	t := tail{ro: true, reqID: reqS3}
	t.res[0], t.nres = resource{"AWS::S3::Bucket", "arn:aws:s3:::" + bucket}, 1
	g.finish(t)
}

func (g *rg) listBuckets() {
	a := g.acct
	p := a.pick(g.r, a.humans, a.users)
	g.head(p, "1.09", "s3.amazonaws.com", "ListBuckets", "", "")
	g.raw(`,"requestParameters":{"Host":"s3.`)
	g.raw(g.region)
	g.raw(`.amazonaws.com"},"responseElements":null`)
	g.s3extra(0, 0)
	t := g.std(p, "s3", true)
	t.reqID = reqS3
	g.finish(t)
}

func (g *rg) consoleLogin() {
	a := g.acct
	u := a.users[g.r.IntN(3)] // people, not service users
	g.head(u.login, "1.08", "signin.amazonaws.com", "ConsoleLogin", g.pick(u.ips), g.pick(browserUAs))
	fail := g.r.IntN(15) == 0
	if fail {
		g.raw(`,"errorMessage":"Failed authentication","requestParameters":null,"responseElements":{"ConsoleLogin":"Failure"}`)
	} else {
		g.raw(`,"requestParameters":null,"responseElements":{"ConsoleLogin":"Success"}`)
	}
	g.raw(`,"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_`)
	g.raw(g.region)
	g.raw("_")
	g.chars(hexDigits, 16)
	g.raw(`","MobileVersion":"No",`)
	if fail {
		g.raw(`"MFAUsed":"No"}`)
	} else {
		g.raw(`"MFAIdentifier":"arn:aws:iam::`)
		g.raw(a.id)
		g.raw(":mfa/")
		g.raw(u.name)
		g.raw(`","MFAUsed":"Yes"}`)
	}
	g.finish(tail{reqID: reqNone, evType: "AwsConsoleSignIn", host: "signin.aws.amazon.com"})
}

func (g *rg) lookupEvents() {
	a := g.acct
	p := a.pick(g.r, a.humans)
	g.head(p, "1.08", "cloudtrail.amazonaws.com", "LookupEvents", "", "")
	g.raw(`,"requestParameters":{"lookupAttributes":[{"attributeKey":"EventName","attributeValue":`)
	g.str(g.pick([]string{"ConsoleLogin", "CreateUser", "DeleteBucket", "AuthorizeSecurityGroupIngress"}))
	g.raw(`}],"startTime":`)
	g.b = append(g.b, '"')
	g.b = g.t.Add(-24*time.Hour).AppendFormat(g.b, "Jan 2, 2006, 3:04:05 PM")
	g.raw(`","maxResults":50},"responseElements":null`)
	g.finish(g.std(p, "cloudtrail", true))
}

func (g *rg) updateFunctionCode() {
	a := g.acct
	p := a.cfnSession
	fn := g.pick(functionNames)
	arn := "arn:aws:lambda:" + g.region + ":" + a.id + ":function:" + fn
	g.head(p, "1.08", "lambda.amazonaws.com", "UpdateFunctionCode20150331v2", "", "")
	g.raw(`,"requestParameters":{"functionName":`)
	g.str(arn)
	g.raw(`,"imageUri":"`)
	g.raw(a.id)
	g.raw(`.dkr.ecr.`)
	g.raw(g.region)
	g.raw(`.amazonaws.com/`)
	g.raw(fn)
	g.raw(`:sha-`)
	g.chars(hexDigits, 7)
	g.raw(`","publish":false,"dryRun":false},"responseElements":{"functionName":`)
	g.str(fn)
	g.raw(`,"functionArn":`)
	g.str(arn)
	g.raw(`,"role":"arn:aws:iam::`)
	g.raw(a.id)
	g.raw(`:role/service-role/`)
	g.raw(fn)
	g.raw(`-role","codeSize":0,"timeout":30,"memorySize":512,"version":"$LATEST","codeSha256":"`)
	g.chars(b64Chars, 43)
	g.raw(`=","tracingConfig":{"mode":"PassThrough"},"revisionId":"`)
	g.uuid()
	g.raw(`","state":"Active","lastUpdateStatus":"InProgress","packageType":"Image","architectures":["arm64"]}`)
	g.finish(tail{api: "2015-03-31"})
}

// ---- detector triggers ----

func (g *rg) trigger() {
	a := g.acct
	switch g.r.IntN(5) {
	case 0: // Stealth:IAMUser/CloudTrailLoggingDisabled
		p := a.pick(g.r, a.users, a.humans)
		g.head(p, "1.08", "cloudtrail.amazonaws.com", "StopLogging", "", "")
		g.raw(`,"requestParameters":{"name":"arn:aws:cloudtrail:us-east-1:`)
		g.raw(a.id)
		g.raw(`:trail/org-trail"},"responseElements":null`)
		g.finish(g.std(p, "cloudtrail", false))
	case 1: // DefenseImpairment:EC2/DisableOrModifyTools
		p := a.pick(g.r, a.users, a.humans)
		g.head(p, "1.09", "ec2.amazonaws.com", "DeleteFlowLogs", "", "")
		g.raw(`,"requestParameters":{"DeleteFlowLogsRequest":{"FlowLogId":{"content":"fl-0`)
		g.chars(hexDigits, 16)
		g.raw(`","tag":1}}},"responseElements":{"DeleteFlowLogsResponse":{"xmlns":"http://ec2.amazonaws.com/doc/2016-11-15/","requestId":"`)
		g.uuid()
		g.raw(`","unsuccessful":""}}`)
		g.finish(g.std(p, "ec2", false))
	case 2: // Policy:S3/BucketBlockPublicAccessDisabled
		p := a.pick(g.r, a.users, a.humans)
		bucket := a.buckets[g.r.IntN(len(a.buckets))]
		g.head(p, "1.09", "s3.amazonaws.com", "PutBucketPublicAccessBlock", "", "")
		g.raw(`,"requestParameters":{"publicAccessBlock":"","bucketName":`)
		g.str(bucket)
		g.raw(`,"PublicAccessBlockConfiguration":{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/","RestrictPublicBuckets":false,"BlockPublicPolicy":false,"BlockPublicAcls":false,"IgnorePublicAcls":false},"Host":`)
		g.str(bucket + ".s3.amazonaws.com")
		g.raw(`},"responseElements":null`)
		g.s3extra(300, 0)
		t := g.std(p, "s3", false)
		t.host, t.reqID = bucket+".s3.amazonaws.com", reqS3
		t.res[0], t.nres = resource{"AWS::S3::Bucket", "arn:aws:s3:::" + bucket}, 1
		g.finish(t)
	case 3: // PenTest:IAMUser/KaliLinux
		p := a.users[g.r.IntN(len(a.users))]
		cmd := g.pick([]string{"iam.list-users", "iam.list-roles", "iam.get-account-authorization-details", "iam.list-attached-user-policies"})
		g.head(p, "1.08", "iam.amazonaws.com", "ListUsers", "203.0.113."+fmt.Sprint(1+g.r.IntN(254)),
			"aws-cli/2.15.30 Python/3.11.8 Linux/6.6.9-amd64-kali exe/x86_64.kali.2024 prompt/off command/"+cmd)
		g.raw(`,"requestParameters":null,"responseElements":null`)
		t := g.std(p, "iam", true)
		t.host = "iam.amazonaws.com"
		g.finish(t)
	default: // Policy:IAMUser/RootCredentialUsage
		p := a.root
		name := g.pick([]string{"GetAccountSummary", "ListUsers", "ListAccessKeys", "GetAccountPasswordPolicy"})
		g.head(p, "1.08", "iam.amazonaws.com", name, "", "")
		g.raw(`,"requestParameters":null,"responseElements":null`)
		t := g.std(p, "iam", true)
		t.host = "iam.amazonaws.com"
		g.finish(t)
	}
}

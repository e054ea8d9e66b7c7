package sqlitebench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/picket-dev/picket/internal/search"
	"github.com/picket-dev/picket/internal/store"
)

// The stored events: NumEvents CloudTrail-like records over EventDays days
// from EventsStart, in time order, each with a raw record of about 1 KB.
// Accounts are Zipf-distributed (s 1.1, v 2): Account(0) has about 10.6%
// of the events (some 35,000 a day), Account(50) 0.3%. Each account has
// up to 200 principals (Zipf: a few busy roles, a long tail), 60% assumed
// roles, 30% IAM users named after people (one name in 40 is alice), 10%
// AWS services; a principal calls from a few addresses of its own (a pool
// of 200,000), and 0.5% of calls come from 203.0.113.0/24. Actions are 90
// API names, Zipf-distributed, of which about 1.5% of calls are Delete*;
// 3% of calls fail.
const (
	NumEvents = 10_000_000
	EventDays = 30
	// eventsPerInsert is 200 rows of 14 parameters, as the store's own
	// addEvents; eventsPerTx rows are committed at a time.
	eventsPerInsert = 200
	eventsPerTx     = 500_000
)

// EventsStart is the first day of stored events (the findings' last month).
var EventsStart = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// EventDay is the n-th day of stored events.
func EventDay(n int) (since, until time.Time) {
	since = EventsStart.Add(time.Duration(n) * 24 * time.Hour)
	return since, since.Add(24 * time.Hour)
}

type apiCall struct {
	name, service string
	readOnly      bool
}

// apiCalls, most frequent first.
var apiCalls = func() []apiCall {
	var out []apiCall
	add := func(service string, readOnly bool, names ...string) {
		for _, n := range names {
			out = append(out, apiCall{n, service, readOnly})
		}
	}
	add("sts.amazonaws.com", true, "AssumeRole", "GetCallerIdentity")
	add("s3.amazonaws.com", true, "GetObject", "HeadObject", "ListObjects", "GetBucketAcl", "GetBucketPolicy", "GetBucketLocation")
	add("ec2.amazonaws.com", true, "DescribeInstances", "DescribeSecurityGroups", "DescribeVolumes", "DescribeSubnets", "DescribeVpcs",
		"DescribeNetworkInterfaces", "DescribeImages", "DescribeSnapshots", "DescribeTags", "DescribeRegions")
	add("kms.amazonaws.com", true, "Decrypt", "GenerateDataKey", "DescribeKey")
	add("s3.amazonaws.com", false, "PutObject")
	add("logs.amazonaws.com", false, "CreateLogStream", "PutLogEvents")
	add("logs.amazonaws.com", true, "DescribeLogGroups", "DescribeLogStreams")
	add("lambda.amazonaws.com", true, "ListFunctions", "GetFunction", "GetFunctionConfiguration")
	add("iam.amazonaws.com", true, "GetRole", "ListRoles", "GetUser", "ListUsers", "ListAttachedRolePolicies", "GetPolicy",
		"GetPolicyVersion", "ListAccessKeys", "GetAccountAuthorizationDetails")
	add("dynamodb.amazonaws.com", true, "DescribeTable", "ListTables")
	add("cloudwatch.amazonaws.com", true, "GetMetricData", "DescribeAlarms", "ListMetrics")
	add("ssm.amazonaws.com", true, "GetParameter", "GetParameters", "DescribeInstanceInformation")
	add("secretsmanager.amazonaws.com", true, "GetSecretValue", "DescribeSecret", "ListSecrets")
	add("ec2.amazonaws.com", false, "RunInstances", "CreateTags", "StartInstances", "StopInstances", "CreateSnapshot",
		"AuthorizeSecurityGroupIngress", "CreateNetworkInterface")
	add("s3.amazonaws.com", false, "DeleteObject", "PutBucketPolicy", "CreateBucket")
	add("ec2.amazonaws.com", false, "DeleteNetworkInterface", "TerminateInstances", "DeleteSnapshot", "DeleteVolume")
	add("iam.amazonaws.com", false, "CreateAccessKey", "AttachRolePolicy", "PutRolePolicy", "CreateRole", "UpdateAssumeRolePolicy",
		"DeleteAccessKey", "DeleteRolePolicy", "CreateUser", "DeleteUser", "CreateLoginProfile")
	add("lambda.amazonaws.com", false, "UpdateFunctionCode", "CreateFunction", "DeleteFunction")
	add("cloudtrail.amazonaws.com", true, "LookupEvents", "DescribeTrails", "GetTrailStatus")
	add("cloudtrail.amazonaws.com", false, "StopLogging", "DeleteTrail", "UpdateTrail")
	add("guardduty.amazonaws.com", false, "DeleteDetector", "UpdateDetector")
	add("s3.amazonaws.com", false, "DeleteBucket", "DeleteBucketPolicy", "PutBucketAcl")
	add("kms.amazonaws.com", false, "ScheduleKeyDeletion", "DisableKey")
	add("rds.amazonaws.com", true, "DescribeDBInstances", "DescribeDBSnapshots")
	add("rds.amazonaws.com", false, "DeleteDBInstance", "ModifyDBInstance", "CreateDBSnapshot")
	add("organizations.amazonaws.com", true, "DescribeOrganization", "ListAccounts")
	add("signin.amazonaws.com", false, "ConsoleLogin")
	return out
}()

var (
	firstNames = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj",
		"olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "wendy", "yusuf", "zoe", "amir", "bea", "chen",
		"dmitri", "eszter", "farah", "goran", "hana", "ines", "jonas", "kenji", "lucia", "mateo", "noor", "omar", "priya", "quinn", "raj"}
	roleNames = []string{"OrganizationAccountAccessRole", "AWSReservedSSO_AdministratorAccess_0f1e2d3c4b5a6978",
		"AWSReservedSSO_ReadOnly_a1b2c3d4e5f60718", "deploy-pipeline", "terraform-apply", "eks-node-role", "lambda-exec-orders",
		"lambda-exec-billing", "datadog-integration", "security-audit", "backup-operator", "github-actions-oidc"}
	servicePrincipals = []string{"ec2.amazonaws.com", "lambda.amazonaws.com", "autoscaling.amazonaws.com", "elasticloadbalancing.amazonaws.com",
		"cloudformation.amazonaws.com", "config.amazonaws.com"}
	eventRegions = []string{"us-east-1", "us-east-1", "us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "us-east-2"}
	userAgents   = []string{
		"aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1014-aws exe/x86_64.ubuntu.22 prompt/off command/s3api.get-object",
		"aws-sdk-go-v2/1.25.3 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.150.0",
		"Boto3/1.34.60 md/Botocore#1.34.60 ua/2.0 os/linux#5.10.210-201.852.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
		"Terraform/1.7.4 (+https://www.terraform.io) terraform-provider-aws/5.40.0 (+https://registry.terraform.io/providers/hashicorp/aws)",
	}
)

// principal is one caller of an account.
type principal struct {
	arn, kind, principalID, accessKey, userAgent string
	service                                      bool
	ips                                          []string
}

type eventGen struct {
	rng       *rand.Rand
	acct      *rand.Zipf
	princ     *rand.Zipf
	action    *rand.Zipf
	region    *rand.Zipf
	ipPool    []string
	principal map[int][]*principal // by account rank, lazily
	buf       []byte
}

func newEventGen() *eventGen {
	rng := rand.New(rand.NewPCG(3, 4))
	g := &eventGen{rng: rng,
		acct:      rand.NewZipf(rng, 1.1, 2, Accounts-1),
		princ:     rand.NewZipf(rng, 1.2, 1, 199),
		action:    rand.NewZipf(rng, 1.07, 4, uint64(len(apiCalls)-1)),
		region:    rand.NewZipf(rng, 1.5, 1, uint64(len(eventRegions)-1)),
		principal: map[int][]*principal{},
	}
	for range 200_000 {
		var a netip.Addr
		if rng.IntN(20) == 0 {
			var b [16]byte
			b[0], b[1] = 0x2a, 0x05
			for i := 2; i < 16; i++ {
				b[i] = byte(rng.IntN(256))
			}
			a = netip.AddrFrom16(b)
		} else {
			a = netip.AddrFrom4([4]byte{byte(rng.IntN(222) + 1), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(1 + rng.IntN(254))})
		}
		g.ipPool = append(g.ipPool, a.String())
	}
	return g
}

func (g *eventGen) principalOf(acctRank, n int) *principal {
	ps := g.principal[acctRank]
	if ps == nil {
		ps = make([]*principal, 200)
		g.principal[acctRank] = ps
	}
	if p := ps[n]; p != nil {
		return p
	}
	acct := Account(acctRank)
	rng := g.rng
	p := &principal{userAgent: userAgents[rng.IntN(len(userAgents))]}
	switch k := n % 10; {
	case k < 6:
		role := roleNames[(n/10+acctRank)%len(roleNames)]
		session := firstNames[rng.IntN(len(firstNames))] + "@example.com"
		if k >= 3 {
			session = fmt.Sprintf("i-%017x", rng.Uint64()>>4)
		}
		p.arn = "arn:aws:sts::" + acct + ":assumed-role/" + role + "/" + session
		p.kind, p.principalID = "AssumedRole", fmt.Sprintf("AROA%016X:%s", rng.Uint64(), session)
		p.accessKey = fmt.Sprintf("ASIA%016X", rng.Uint64())
	case k < 9:
		name := fmt.Sprintf("%s.%s-%d", firstNames[(n/10*7+acctRank)%len(firstNames)], firstNames[rng.IntN(len(firstNames))], n)
		p.arn = "arn:aws:iam::" + acct + ":user/" + name
		p.kind, p.principalID = "IAMUser", fmt.Sprintf("AIDA%016X", rng.Uint64())
		p.accessKey = fmt.Sprintf("AKIA%016X", rng.Uint64())
	default:
		p.arn, p.kind, p.service = servicePrincipals[rng.IntN(len(servicePrincipals))], "AWSService", true
		p.userAgent = p.arn
		p.ips = []string{p.arn}
	}
	for range 1 + rng.IntN(3) {
		if !p.service {
			p.ips = append(p.ips, g.ipPool[rng.IntN(len(g.ipPool))])
		}
	}
	ps[n] = p
	return p
}

// event fills args (14 values, eventCols' order) with the i-th event.
func (g *eventGen) event(i int, args []any) {
	rng := g.rng
	t := EventsStart.Add(time.Duration(i) * (EventDays * 24 * time.Hour / NumEvents)) // 259.2 ms apart
	rank := int(g.acct.Uint64())
	acct := Account(rank)
	p := g.principalOf(rank, int(g.princ.Uint64()))
	call := apiCalls[g.action.Uint64()]
	region := eventRegions[g.region.Uint64()]
	ip := p.ips[rng.IntN(len(p.ips))]
	if !p.service && rng.IntN(200) == 0 {
		ip = "203.0.113." + strconv.Itoa(rng.IntN(256))
	}
	outcome := "success"
	if rng.IntN(33) == 0 {
		outcome = "failure"
	}
	eventID := uuid(rng)
	resource := ""
	switch call.service {
	case "s3.amazonaws.com":
		resource = fmt.Sprintf("arn:aws:s3:::%s-data-%d", acct, rng.IntN(20))
	case "ec2.amazonaws.com":
		resource = fmt.Sprintf("arn:aws:ec2:%s:%s:instance/i-%017x", region, acct, rng.Uint64()>>(4+rng.IntN(40)))
	case "iam.amazonaws.com":
		resource = "arn:aws:iam::" + acct + ":role/" + roleNames[rng.IntN(len(roleNames))]
	}

	b := g.buf[:0]
	b = append(b, `{"eventVersion":"1.09","userIdentity":{"type":"`...)
	b = append(b, p.kind...)
	if !p.service {
		b = append(b, `","principalId":"`...)
		b = append(b, p.principalID...)
		b = append(b, `","arn":"`...)
		b = append(b, p.arn...)
		b = append(b, `","accountId":"`...)
		b = append(b, acct...)
		b = append(b, `","accessKeyId":"`...)
		b = append(b, p.accessKey...)
		if p.kind == "AssumedRole" {
			b = append(b, `","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"`...)
			b = append(b, p.principalID[:20]...)
			b = append(b, `","arn":"arn:aws:iam::`...)
			b = append(b, acct...)
			b = append(b, `:role/example","accountId":"`...)
			b = append(b, acct...)
			b = append(b, `"},"attributes":{"creationDate":"`...)
			b = t.Add(-37*time.Minute).AppendFormat(b, "2006-01-02T15:04:05Z")
			b = append(b, `","mfaAuthenticated":"false"}`...)
		} else {
			b = append(b, `"`...)
		}
	} else {
		b = append(b, `","invokedBy":"`...)
		b = append(b, p.arn...)
		b = append(b, `"`...)
	}
	b = append(b, `},"eventTime":"`...)
	b = t.AppendFormat(b, "2006-01-02T15:04:05Z")
	b = append(b, `","eventSource":"`...)
	b = append(b, call.service...)
	b = append(b, `","eventName":"`...)
	b = append(b, call.name...)
	b = append(b, `","awsRegion":"`...)
	b = append(b, region...)
	b = append(b, `","sourceIPAddress":"`...)
	b = append(b, ip...)
	b = append(b, `","userAgent":"`...)
	b = append(b, p.userAgent...)
	if outcome == "failure" {
		b = append(b, `","errorCode":"AccessDenied","errorMessage":"User: `...)
		b = append(b, p.arn...)
		b = append(b, ` is not authorized to perform: `...)
		b = append(b, call.name...)
	}
	b = append(b, `","requestParameters":{`...)
	if resource != "" {
		b = append(b, `"resource":"`...)
		b = append(b, resource...)
		b = append(b, `",`...)
	}
	b = append(b, `"maxResults":1000,"filterSet":{"items":[{"name":"tag:team","valueSet":{"items":[{"value":"payments"}]}}]}},"responseElements":null,"requestID":"`...)
	b = append(b, uuid(rng)...)
	b = append(b, `","eventID":"`...)
	b = append(b, eventID...)
	b = append(b, `","readOnly":`...)
	b = strconv.AppendBool(b, call.readOnly)
	b = append(b, `,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"`...)
	b = append(b, acct...)
	b = append(b, `","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"`...)
	b = append(b, strings.TrimSuffix(call.service, ".amazonaws.com")...)
	b = append(b, '.')
	b = append(b, region...)
	b = append(b, `.amazonaws.com"}}`...)
	g.buf = b
	raw := make([]byte, len(b))
	copy(raw, b)

	key := ""
	if a, err := netip.ParseAddr(ip); err == nil {
		key = search.IPKey(a)
	}
	args[0], args[1], args[2], args[3], args[4], args[5], args[6] = t.Format("2006-01-02T15:04:05.000000000Z"), acct, region, "cloudtrail", "org-trail", eventID, p.arn
	args[7], args[8], args[9], args[10], args[11], args[12], args[13] = ip, key, call.name, call.service, outcome, resource, raw
}

func uuid(rng *rand.Rand) string {
	a, b := rng.Uint64(), rng.Uint64()
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// buildEvents adds the stored events to the database at path.
func buildEvents(ctx context.Context, path string) error {
	db, err := openBulk(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	const cols = "event_time, account_id, region, source_kind, source, event_id, actor, src_ip, src_ip_key, action, service, outcome, resource, raw"
	row := "(?" + strings.Repeat(", ?", 13) + ")"
	insert := "INSERT INTO events (" + cols + ") VALUES " + row + strings.Repeat(", "+row, eventsPerInsert-1)
	g := newEventGen()
	args := make([]any, 14*eventsPerInsert)
	for done := 0; done < NumEvents; {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, insert)
		if err != nil {
			tx.Rollback()
			return err
		}
		for end := done + eventsPerTx; done < end; done += eventsPerInsert {
			for j := range eventsPerInsert {
				g.event(done+j, args[14*j:14*j+14])
			}
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				tx.Rollback()
				return fmt.Errorf("inserting events: %w", err)
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	// No ANALYZE: the store never runs it, so the planner works without
	// statistics here as it does in production.
	return closeBulk(ctx, db)
}

// EventSource generates the benchmark's stored events, for benchmarks
// that write them through the store.
type EventSource struct {
	g    *eventGen
	next int
	args []any
}

// NewEventSource starts at the first event.
func NewEventSource() *EventSource {
	return &EventSource{g: newEventGen(), args: make([]any, 14)}
}

// Batch returns the next n events (wrapping after NumEvents).
func (s *EventSource) Batch(n int) []store.StoredEvent {
	out := make([]store.StoredEvent, n)
	for i := range out {
		s.g.event(s.next%NumEvents, s.args)
		s.next++
		a := s.args
		t, _ := time.Parse(time.RFC3339Nano, a[0].(string))
		out[i] = store.StoredEvent{Time: t, Account: a[1].(string), Region: a[2].(string), Kind: a[3].(string), Source: a[4].(string),
			EventID: a[5].(string), Actor: a[6].(string), SrcIP: a[7].(string), Action: a[9].(string), Service: a[10].(string),
			Outcome: a[11].(string), Resource: a[12].(string), Raw: a[13].([]byte)}
	}
	return out
}

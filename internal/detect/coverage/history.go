package coverage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"slices"
	"strings"
	"time"
)

// LoadDetonation reads a detonation log: a JSON array of CloudTrail
// records, or a {"Records":[…]} file. Each record keeps its bytes exactly
// as they are in the file; the records are ordered by eventTime (records
// at the same time keep their order in the file).
func LoadDetonation(path string) ([]Record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseDetonation(b)
}

// ParseDetonation is LoadDetonation over bytes.
func ParseDetonation(b []byte) ([]Record, error) {
	var raw []json.RawMessage
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var file struct{ Records []json.RawMessage }
		if err := json.Unmarshal(b, &file); err != nil {
			return nil, err
		}
		raw = file.Records
	} else if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("want a JSON array of CloudTrail records: %w", err)
	}
	out := make([]Record, 0, len(raw))
	for i, r := range raw {
		var h struct {
			EventTime string `json:"eventTime"`
		}
		if err := json.Unmarshal(r, &h); err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
		t, err := time.Parse(time.RFC3339, h.EventTime)
		if err != nil {
			return nil, fmt.Errorf("record %d: eventTime: %w", i, err)
		}
		out = append(out, Record{Time: t.UTC(), Shape: ShapeDetonation, JSON: []byte(r)})
	}
	Sort(out)
	return out, nil
}

// HistoryOptions configure History.
type HistoryOptions struct {
	Seed uint64
	Days int // default 14
	// Gap is how long before the detonation's first record the history
	// stops (default one hour).
	Gap time.Duration
}

// principal is one identity seen in a detonation.
type principal struct {
	arn, typ, acct, region string
	identity               map[string]any
	first                  time.Time
	console                bool   // signed in to the console
	mfaUsed                string // its ConsoleLogin's MFAUsed
	instance               bool   // an EC2 instance-role session (ec2RoleDelivery)
	ips                    []string
	assumedBy              string // the principal that assumed this session, when the detonation shows it
	roleSession            string // the session name it was assumed with
	roleARN                string
}

// Principals lists the identities that act in a detonation (AWS services
// left out), in the order they first act.
func Principals(detonation []Record) ([]string, error) {
	ps, err := principals(detonation)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.arn
	}
	return out, nil
}

func principals(detonation []Record) ([]*principal, error) {
	var order []*principal
	by := map[string]*principal{}
	type assume struct{ by, roleARN, session, resultARN string }
	var assumes []assume
	for i, r := range detonation {
		var h struct {
			EventTime           string          `json:"eventTime"`
			EventType           string          `json:"eventType"`
			EventName           string          `json:"eventName"`
			AWSRegion           string          `json:"awsRegion"`
			Recipient           string          `json:"recipientAccountId"`
			SourceIP            string          `json:"sourceIPAddress"`
			UserIdentity        json.RawMessage `json:"userIdentity"`
			AdditionalEventData map[string]any  `json:"additionalEventData"`
			RequestParameters   map[string]any  `json:"requestParameters"`
			ResponseElements    map[string]any  `json:"responseElements"`
		}
		if err := json.Unmarshal(r.JSON, &h); err != nil {
			return nil, fmt.Errorf("detonation record %d: %w", i, err)
		}
		var id map[string]any
		d := json.NewDecoder(bytes.NewReader(h.UserIdentity))
		d.UseNumber()
		if err := d.Decode(&id); err != nil || id == nil {
			continue
		}
		arn, _ := id["arn"].(string)
		typ, _ := id["type"].(string)
		if arn == "" || typ == "AWSService" {
			continue
		}
		p := by[arn]
		if p == nil {
			acct := h.Recipient
			if acct == "" {
				acct, _ = id["accountId"].(string)
			}
			p = &principal{arn: arn, typ: typ, acct: acct, region: h.AWSRegion, identity: id, first: r.Time}
			if sc, ok := id["sessionContext"].(map[string]any); ok && sc["ec2RoleDelivery"] != nil {
				p.instance = true
			}
			by[arn] = p
			order = append(order, p)
		}
		if r.Time.Before(p.first) {
			p.first = r.Time
		}
		if !slices.Contains(p.ips, h.SourceIP) {
			p.ips = append(p.ips, h.SourceIP)
		}
		if h.EventType == "AwsConsoleSignIn" && h.EventName == "ConsoleLogin" {
			p.console = true
			p.identity = id // the sign-in's identity: no session key
			p.mfaUsed, _ = h.AdditionalEventData["MFAUsed"].(string)
		}
		if h.EventName == "AssumeRole" {
			ra, _ := h.RequestParameters["roleArn"].(string)
			sess, _ := h.RequestParameters["roleSessionName"].(string)
			res := ""
			if aru, ok := h.ResponseElements["assumedRoleUser"].(map[string]any); ok {
				res, _ = aru["arn"].(string)
			}
			assumes = append(assumes, assume{by: arn, roleARN: ra, session: sess, resultARN: res})
		}
	}
	for _, p := range order {
		if p.typ != "AssumedRole" {
			continue
		}
		issuerARN := ""
		if sc, ok := p.identity["sessionContext"].(map[string]any); ok {
			if si, ok := sc["sessionIssuer"].(map[string]any); ok {
				issuerARN, _ = si["arn"].(string)
			}
		}
		for _, a := range assumes {
			if a.by == p.arn {
				continue
			}
			sessOK := a.resultARN == p.arn || (a.roleARN == issuerARN && strings.HasSuffix(p.arn, "/"+a.session))
			if sessOK && by[a.by] != nil {
				p.assumedBy, p.roleSession, p.roleARN = a.by, a.session, a.roleARN
				break
			}
		}
	}
	return order, nil
}

var historyReads = []struct{ src, name, cmd string }{
	{"sts.amazonaws.com", "GetCallerIdentity", "sts.get-caller-identity"},
	{"ec2.amazonaws.com", "DescribeInstances", "ec2.describe-instances"},
	{"ec2.amazonaws.com", "DescribeRegions", "ec2.describe-regions"},
	{"ec2.amazonaws.com", "DescribeVpcs", "ec2.describe-vpcs"},
	{"ec2.amazonaws.com", "DescribeSecurityGroups", "ec2.describe-security-groups"},
	{"s3.amazonaws.com", "ListBuckets", "s3.ls"},
	{"iam.amazonaws.com", "ListRoles", "iam.list-roles"},
	{"cloudtrail.amazonaws.com", "DescribeTrails", "cloudtrail.describe-trails"},
	{"lambda.amazonaws.com", "ListFunctions20150331", "lambda.list-functions"},
	{"logs.amazonaws.com", "DescribeLogGroups", "logs.describe-log-groups"},
	{"monitoring.amazonaws.com", "DescribeAlarms", "cloudwatch.describe-alarms"},
}

// History generates a benign history for every principal that acts in
// detonation: the same identity (ARN, account, session issuer; a long-term
// access key is kept, session keys are new per session) doing ordinary
// read-only work for o.Days before the detonation, from one stable address
// that the detonation does not use and with an ordinary user agent. An
// instance-role session calls from an AWS address; a console user signs
// in (with the same MFA use as in the detonation) and browses; a role
// session the detonation shows being assumed is assumed the same way by
// its assumer's history first. The detonation is not changed.
func History(detonation []Record, o HistoryOptions) ([]Record, error) {
	if o.Days <= 0 {
		o.Days = 14
	}
	if o.Gap <= 0 {
		o.Gap = time.Hour
	}
	ps, err := principals(detonation)
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	first := ps[0].first
	var avoid []string
	for _, p := range ps {
		if p.first.Before(first) {
			first = p.first
		}
		avoid = append(avoid, p.ips...)
	}
	end := first.Add(-o.Gap)
	start := end.Add(-time.Duration(o.Days) * 24 * time.Hour)
	byARN := map[string]*principal{}
	for _, p := range ps {
		byARN[p.arn] = p
	}
	var out []Record
	for _, p := range ps {
		es := newEstate(o.Seed, p.acct, p.region)
		h := historian{p: p, ip: stableIP(p, avoid), ua: p.userAgent()}
		if a := byARN[p.assumedBy]; a != nil {
			h.assumer = &historian{p: a, ip: stableIP(a, avoid), ua: a.userAgent()}
		}
		for d := start.Truncate(24 * time.Hour); d.Before(end); d = d.Add(24 * time.Hour) {
			g := &gen{es: es, r: newRnd(o.Seed, "history:"+p.arn+"/"+d.Format("2006-01-02")), shape: ShapeHistory}
			sessions := 1 + g.r.IntN(2)
			if weekend(d) && !p.instance {
				sessions = g.r.IntN(2)
			}
			if p.instance {
				// An instance runs around the clock: its SSM agent
				// reports in every hour, weekends too.
				h.agent(g, d)
			}
			for s := range sessions {
				h.session(g, g.at(d, 8+float64(s)*4, 3*time.Hour))
			}
			for _, r := range g.out {
				if !r.Time.Before(start) && r.Time.Before(end) {
					out = append(out, r)
				}
			}
		}
	}
	Sort(out)
	return out, nil
}

type historian struct {
	p       *principal
	ip, ua  string
	assumer *historian
}

// stableIP picks p's everyday address: an AWS one for an instance role, an
// office or home one otherwise, never one the detonation uses.
func stableIP(p *principal, avoid []string) string {
	pool := append(append([]string{}, officeIPs...), homeIPs...)
	if p.instance {
		pool = awsHostIPs
	}
	f := fnv.New32a()
	f.Write([]byte(p.arn))
	n := int(f.Sum32())
	for i := range pool {
		ip := pool[(n+i)%len(pool)]
		if !slices.Contains(avoid, ip) {
			return ip
		}
	}
	return pool[n%len(pool)]
}

func (p *principal) userAgent() string {
	switch {
	case p.console:
		return browserUAs[0]
	case p.instance:
		return uaBoto3
	}
	return uaCLI
}

// identityAt is p's identity for a session that began at created.
func (h *historian) identityAt(g *gen, created time.Time) map[string]any {
	id := deepCopy(h.p.identity).(map[string]any)
	if k, _ := id["accessKeyId"].(string); strings.HasPrefix(k, "ASIA") {
		id["accessKeyId"] = g.r.key("ASIA", 16)
	}
	if sc, ok := id["sessionContext"].(map[string]any); ok {
		if at, ok := sc["attributes"].(map[string]any); ok {
			at["creationDate"] = ctTime(created)
		}
	}
	return id
}

// agent is an instance's SSM agent reporting in, hourly over day, with
// the instance's own credentials from its own address (the instance ID is
// the role session's name, as EC2 names it).
func (h *historian) agent(g *gen, day time.Time) {
	p := h.p
	inst := p.arn[strings.LastIndexByte(p.arn, '/')+1:]
	ids := map[time.Time]map[string]any{} // EC2 rotates the credentials every few hours
	for hr := range 24 {
		t := g.at(day, float64(hr), 50*time.Minute)
		slot := t.Truncate(credSlot)
		if ids[slot] == nil {
			ids[slot] = h.identityAt(g, slot)
		}
		g.emit(call{
			t: t, who: ids[slot], ip: h.ip, ua: uaSSMAgent, src: "ssm.amazonaws.com", name: "UpdateInstanceInformation", version: "1.08",
			params: map[string]any{"instanceId": inst, "agentVersion": "3.3.40.0", "agentStatus": "Active", "platformType": "Linux",
				"platformName": "Amazon Linux", "platformVersion": "2023", "agentName": "amazon-ssm-agent"},
		})
	}
}

func (h *historian) session(g *gen, t time.Time) {
	p := h.p
	ua := func(cmd string) string {
		if strings.Contains(h.ua, "%s") {
			return fmt.Sprintf(h.ua, cmd)
		}
		return h.ua
	}
	if h.assumer != nil {
		a := h.assumer
		key := g.r.key("ASIA", 16)
		aid := a.identityAt(g, t.Add(-time.Duration(10+g.r.IntN(50))*time.Minute))
		auaCmd := "sts.assume-role"
		aua := a.ua
		if strings.Contains(aua, "%s") {
			aua = fmt.Sprintf(aua, auaCmd)
		}
		g.emit(call{
			t: t, who: aid, ip: a.ip, ua: aua, src: "sts.amazonaws.com", name: "AssumeRole", readOnly: true,
			params: map[string]any{"roleArn": p.roleARN, "roleSessionName": p.roleSession},
			resp: map[string]any{
				"credentials":     map[string]any{"accessKeyId": key, "sessionToken": "IQoJb3JpZ2luX2VjE" + g.r.hex(24), "expiration": t.Add(time.Hour).Format("Jan 2, 2006, 3:04:05 PM")},
				"assumedRoleUser": map[string]any{"arn": p.arn},
			},
			resources: []resource{{AccountID: p.acct, Type: "AWS::IAM::Role", ARN: p.roleARN}},
		})
		t = t.Add(time.Duration(1+g.r.IntN(5)) * time.Second)
	}
	id := h.identityAt(g, t)
	if p.console {
		mfa := p.mfaUsed
		if mfa == "" {
			mfa = "No"
		}
		g.emit(call{
			t: t, who: id, ip: h.ip, ua: h.ua, src: "signin.amazonaws.com", name: "ConsoleLogin", eventType: "AwsConsoleSignIn", version: "1.08",
			resp:  map[string]any{"ConsoleLogin": "Success"},
			extra: map[string]any{"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": mfa},
		})
		id = deepCopy(id).(map[string]any)
		id["accessKeyId"] = g.r.key("ASIA", 16)
		m := "false"
		if mfa == "Yes" {
			m = "true"
		}
		id["sessionContext"] = map[string]any{
			"sessionIssuer": map[string]any{}, "webIdFederationData": map[string]any{},
			"attributes": map[string]any{"creationDate": ctTime(t), "mfaAuthenticated": m},
		}
	}
	for range 4 + g.r.IntN(9) {
		t = t.Add(time.Duration(2+g.r.IntN(180)) * time.Second)
		op := historyReads[g.r.IntN(len(historyReads))]
		params, bucket := g.readParams(op.name)
		g.emit(call{t: t, who: id, ip: h.ip, ua: ua(op.cmd), src: op.src, name: op.name, readOnly: true, params: params, bucket: bucket, console: p.console})
	}
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}

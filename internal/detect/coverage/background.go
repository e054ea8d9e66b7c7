package coverage

import (
	"fmt"
	"strings"
	"time"
)

// Options configure the background traffic.
type Options struct {
	Seed     uint64    // same seed, same bytes
	End      time.Time // traffic is generated in [End-Days, End)
	Days     int       // default 14
	Accounts []string  // 12-digit account IDs; default one, 111122223333
	// Region is the accounts' home region (default us-east-1). Global
	// services (IAM, the console sign-in) are logged there too.
	Region string
	// Shapes limits the shapes generated (default all of Shapes).
	Shapes []Shape
}

func (o Options) withDefaults() Options {
	if o.Days <= 0 {
		o.Days = 14
	}
	if len(o.Accounts) == 0 {
		o.Accounts = []string{"111122223333"}
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if len(o.Shapes) == 0 {
		o.Shapes = Shapes
	}
	if o.End.IsZero() {
		o.End = time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	}
	o.End = o.End.UTC()
	return o
}

// Generate returns benign CloudTrail background traffic for the accounts
// over the days before o.End, ordered by time.
func Generate(o Options) []Record {
	o = o.withDefaults()
	start := o.End.Add(-time.Duration(o.Days) * 24 * time.Hour)
	var out []Record
	for _, acct := range o.Accounts {
		es := newEstate(o.Seed, acct, o.Region)
		// Whole days from the one holding start, cut to [start, End).
		day0 := start.Truncate(24 * time.Hour)
		for d := day0; d.Before(o.End); d = d.Add(24 * time.Hour) {
			for _, sh := range o.Shapes {
				g := &gen{es: es, r: newRnd(o.Seed, fmt.Sprintf("%s/%s/%s", acct, sh, d.Format("2006-01-02"))), shape: sh}
				switch sh {
				case ShapeService:
					g.service(d)
				case ShapeCI:
					g.ci(d)
				case ShapeConsole:
					g.console(d)
				case ShapeInstance:
					g.instance(d)
				case ShapeS3Data:
					g.s3data(d)
				}
				for _, r := range g.out {
					if !r.Time.Before(start) && r.Time.Before(o.End) {
						out = append(out, r)
					}
				}
			}
		}
	}
	Sort(out)
	return out
}

// gen builds one shape's records for one account and day.
type gen struct {
	es    *estate
	r     rnd
	shape Shape
	out   []Record
}

// call is one API call to record.
type call struct {
	t         time.Time
	who       any // *identity or map[string]any
	ip, ua    string
	src, name string
	readOnly  bool
	params    map[string]any
	resp      map[string]any
	extra     map[string]any
	resources []resource
	data      bool   // a data event (S3 object level)
	console   bool   // made from the console with session credentials
	internal  bool   // made by an AWS service: no TLS details
	eventType string // default AwsApiCall
	bucket    string // for the S3 host header
	region    string // default the estate's
	version   string // eventVersion; default 1.09
}

func (g *gen) emit(c call) {
	es := g.es
	region := c.region
	if region == "" {
		region = es.region
	}
	rec := ct{
		EventVersion:        c.version,
		UserIdentity:        c.who,
		EventTime:           ctTime(c.t),
		EventSource:         c.src,
		EventName:           c.name,
		AWSRegion:           region,
		SourceIPAddress:     c.ip,
		UserAgent:           c.ua,
		RequestParameters:   c.params,
		ResponseElements:    c.resp,
		AdditionalEventData: c.extra,
		EventID:             g.r.uuid(),
		ReadOnly:            c.readOnly,
		Resources:           c.resources,
		EventType:           c.eventType,
		ManagementEvent:     !c.data,
		RecipientAccountID:  es.acct,
		EventCategory:       "Management",
	}
	if rec.EventVersion == "" {
		rec.EventVersion = "1.09"
	}
	if rec.EventType == "" {
		rec.EventType = "AwsApiCall"
		rec.RequestID = g.r.uuid()
		if c.src == "s3.amazonaws.com" {
			rec.RequestID = strings.ToUpper(g.r.hex(16))
		}
	}
	if c.data {
		rec.EventCategory = "Data"
	}
	if !c.internal {
		rec.TLSDetails = &tlsDetails{TLSVersion: "TLSv1.3", CipherSuite: g.r.pick(tls13), ClientProvidedHostHeader: hostHeader(c.src, region, c.bucket)}
	}
	if c.console {
		rec.SessionCredentialFromConsole = "true"
	}
	if c.internal && c.name == "AssumeRole" {
		rec.SharedEventID = g.r.uuid()
	}
	g.out = append(g.out, Record{Time: c.t.UTC().Truncate(time.Second), Shape: g.shape, JSON: marshal(rec)})
}

// at returns day + h hours + up to jitter of random time.
func (g *gen) at(day time.Time, h float64, jitter time.Duration) time.Time {
	t := day.Add(time.Duration(h * float64(time.Hour)))
	if jitter > 0 {
		t = t.Add(time.Duration(g.r.Int64N(int64(jitter))))
	}
	return t
}

func weekend(d time.Time) bool { return d.Weekday() == time.Saturday || d.Weekday() == time.Sunday }

// credSlot is the 6-hour slot of an instance or function's credentials:
// EC2 and Lambda refresh role credentials every few hours.
const credSlot = 6 * time.Hour

func (g *gen) slotCreds(owner string, t time.Time) (key string, created time.Time) {
	slot := t.Truncate(credSlot)
	created = slot.Add(time.Duration(len(owner)%7+1) * time.Minute)
	if t.Before(created) { // the previous slot's credentials are still valid
		slot = slot.Add(-credSlot)
		created = slot.Add(time.Duration(len(owner)%7+1) * time.Minute)
	}
	return stableKey(g.es.seed, fmt.Sprintf("%s/%s/%d", g.es.acct, owner, slot.Unix()), "ASIA", 16), created
}

func awsService(svc string) *identity {
	return &identity{Type: "AWSService", InvokedBy: svc}
}

// ---- AWS service principals ----

func (g *gen) service(day time.Time) {
	es := g.es
	// CloudTrail encrypts each log file it delivers with the trail's key.
	for h := range 24 {
		for range 1 + g.r.IntN(2) {
			t := g.at(day, float64(h), time.Hour)
			g.emit(call{
				t: t, who: awsService("cloudtrail.amazonaws.com"), ip: "cloudtrail.amazonaws.com", ua: "cloudtrail.amazonaws.com",
				src: "kms.amazonaws.com", name: "GenerateDataKey", readOnly: true, internal: true,
				params: map[string]any{
					"keyId":   es.kmsKey,
					"keySpec": "AES_256",
					"encryptionContext": map[string]any{
						"aws:cloudtrail:arn": es.trailARN,
						"aws:s3:arn":         fmt.Sprintf("arn:aws:s3:::acme-org-cloudtrail/AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%sZ_%s.json.gz", es.acct, es.region, t.Format("2006/01/02"), es.acct, es.region, t.Format("20060102T1504"), g.r.hex(16)),
					},
				},
				resources: []resource{{AccountID: es.acct, Type: "AWS::KMS::Key", ARN: es.kmsKey}},
			})
		}
	}
	// EC2 delivers the instance profile's credentials: an AssumeRole by
	// ec2.amazonaws.com, the session named after the instance.
	for _, in := range es.instances {
		for s := time.Duration(0); s < 24*time.Hour; s += credSlot {
			key, created := g.slotCreds(in.id, day.Add(s+30*time.Minute))
			g.assumeByService("ec2.amazonaws.com", es.appRole, in.id, key, created)
		}
	}
	// Lambda assumes the function's execution role on cold starts.
	for s := time.Duration(0); s < 24*time.Hour; s += credSlot {
		key, created := g.slotCreds(es.fn, day.Add(s+30*time.Minute))
		g.assumeByService("lambda.amazonaws.com", es.fnRole, es.fn, key, created)
	}
	// AWS Config records the configuration of resources through its
	// service-linked role, every six hours.
	for s := 0; s < 24; s += 6 {
		t := g.at(day, float64(s)+0.25, 20*time.Minute)
		sess := "AWSConfig-Describe"
		key := g.r.key("ASIA", 16)
		g.assumeByService("config.amazonaws.com", es.configRole, sess, key, t)
		who := es.session(es.configRole, sess, key, t, false)
		who.InvokedBy = "config.amazonaws.com"
		for i, op := range []struct{ src, name string }{
			{"ec2.amazonaws.com", "DescribeInstances"}, {"ec2.amazonaws.com", "DescribeSecurityGroups"},
			{"ec2.amazonaws.com", "DescribeVpcs"}, {"ec2.amazonaws.com", "DescribeSubnets"},
			{"s3.amazonaws.com", "GetBucketAcl"}, {"s3.amazonaws.com", "GetBucketPolicy"},
			{"iam.amazonaws.com", "ListAttachedRolePolicies"}, {"iam.amazonaws.com", "GetRole"},
		} {
			var params map[string]any
			bucket := ""
			switch op.name {
			case "GetBucketAcl", "GetBucketPolicy":
				bucket = []string{es.assets, es.data, es.artifacts}[g.r.IntN(3)]
				params = map[string]any{"bucketName": bucket, "Host": bucket + ".s3." + es.region + ".amazonaws.com", strings.ToLower(strings.TrimPrefix(op.name, "GetBucket")): ""}
			case "ListAttachedRolePolicies", "GetRole":
				params = map[string]any{"roleName": es.appRole.name}
			case "DescribeInstances":
				params = map[string]any{"instancesSet": map[string]any{}, "filterSet": map[string]any{}}
			default:
				params = map[string]any{"filterSet": map[string]any{}}
			}
			g.emit(call{
				t: t.Add(time.Duration(2+i*3) * time.Second), who: who, ip: "config.amazonaws.com", ua: "config.amazonaws.com",
				src: op.src, name: op.name, readOnly: true, params: params, internal: true, bucket: bucket,
			})
		}
	}
}

// assumeByService records an AWS service assuming ro for session sess.
func (g *gen) assumeByService(svc string, ro role, sess, key string, t time.Time) {
	es := g.es
	g.emit(call{
		t: t, who: awsService(svc), ip: svc, ua: svc, src: "sts.amazonaws.com", name: "AssumeRole",
		readOnly: true, internal: true,
		params: map[string]any{"roleArn": ro.arn, "roleSessionName": sess},
		resp: map[string]any{
			"credentials": map[string]any{
				"accessKeyId":  key,
				"sessionToken": "IQoJb3JpZ2luX2VjE" + g.r.hex(24),
				"expiration":   t.Add(6 * time.Hour).Format("Jan 2, 2006, 3:04:05 PM"),
			},
			"assumedRoleUser": map[string]any{
				"assumedRoleId": ro.id + ":" + sess,
				"arn":           fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", es.acct, ro.name, sess),
			},
		},
		resources: []resource{
			{AccountID: es.acct, Type: "AWS::IAM::Role", ARN: ro.arn},
		},
	})
}

// ---- CI: GitHub Actions (OIDC) and Terraform ----

func (g *gen) ci(day time.Time) {
	runs := 3 + g.r.IntN(6)
	if weekend(day) {
		runs = g.r.IntN(2)
	}
	for range runs {
		g.ciRun(g.at(day, 7.5, 10*time.Hour))
	}
}

var tfReads = []struct{ src, name, api string }{
	{"ec2.amazonaws.com", "DescribeVpcs", "ec2"}, {"ec2.amazonaws.com", "DescribeSubnets", "ec2"},
	{"ec2.amazonaws.com", "DescribeSecurityGroups", "ec2"}, {"ec2.amazonaws.com", "DescribeInstances", "ec2"},
	{"ec2.amazonaws.com", "DescribeVpcAttribute", "ec2"}, {"ec2.amazonaws.com", "DescribeNetworkInterfaces", "ec2"},
	{"iam.amazonaws.com", "GetRole", "iam"}, {"iam.amazonaws.com", "ListRolePolicies", "iam"},
	{"iam.amazonaws.com", "ListAttachedRolePolicies", "iam"}, {"iam.amazonaws.com", "GetPolicy", "iam"},
	{"iam.amazonaws.com", "GetPolicyVersion", "iam"}, {"lambda.amazonaws.com", "GetFunction20150331v2", "lambda"},
	{"lambda.amazonaws.com", "ListVersionsByFunction20150331", "lambda"}, {"lambda.amazonaws.com", "GetPolicy20150331v2", "lambda"},
	{"s3.amazonaws.com", "GetBucketVersioning", "s3"}, {"s3.amazonaws.com", "GetBucketPolicy", "s3"},
	{"s3.amazonaws.com", "GetBucketEncryption", "s3"}, {"s3.amazonaws.com", "GetBucketTagging", "s3"},
	{"ecs.amazonaws.com", "DescribeServices", "ecs"}, {"ecs.amazonaws.com", "DescribeTaskDefinition", "ecs"},
	{"logs.amazonaws.com", "DescribeLogGroups", "cloudwatchlogs"}, {"kms.amazonaws.com", "DescribeKey", "kms"},
	{"sts.amazonaws.com", "GetCallerIdentity", "sts"},
}

func (g *gen) ciRun(t time.Time) {
	es := g.es
	ip := g.r.pick(es.runners)
	sess := "GitHubActions"
	ghKey := g.r.key("ASIA", 16)
	ref := "refs/heads/main"
	sub := "repo:" + es.repo + ":ref:" + ref
	provider := fmt.Sprintf("arn:aws:iam::%s:oidc-provider/token.actions.githubusercontent.com", es.acct)
	g.emit(call{
		t: t, ip: ip, ua: uaGHOIDC, src: "sts.amazonaws.com", name: "AssumeRoleWithWebIdentity", readOnly: true, version: "1.08",
		who:    &identity{Type: "WebIdentityUser", PrincipalID: provider + ":sts.amazonaws.com:" + sub, UserName: sub, IdentityProvider: provider},
		params: map[string]any{"roleArn": es.ghRole.arn, "roleSessionName": sess, "durationSeconds": 3600},
		resp: map[string]any{
			"credentials":                 map[string]any{"accessKeyId": ghKey, "sessionToken": "IQoJb3JpZ2luX2VjE" + g.r.hex(24), "expiration": t.Add(time.Hour).Format("Jan 2, 2006, 3:04:05 PM")},
			"subjectFromWebIdentityToken": sub,
			"assumedRoleUser":             map[string]any{"assumedRoleId": es.ghRole.id + ":" + sess, "arn": fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", es.acct, es.ghRole.name, sess)},
			"provider":                    provider,
			"audience":                    "sts.amazonaws.com",
		},
		resources: []resource{{AccountID: es.acct, Type: "AWS::IAM::Role", ARN: es.ghRole.arn}},
	})
	gh := es.session(es.ghRole, sess, ghKey, t, false)
	gh.SessionContext.WebIDFederationData = &webIDFederated{FederatedProvider: provider, Attributes: map[string]string{}}
	t = t.Add(time.Duration(2+g.r.IntN(4)) * time.Second)
	g.emit(call{t: t, who: gh, ip: ip, ua: fmt.Sprintf(uaCLIRunner, "sts.get-caller-identity"), src: "sts.amazonaws.com", name: "GetCallerIdentity", readOnly: true})

	// Terraform runs as its own role, assumed from the workflow's session.
	tfSess := fmt.Sprintf("terraform-%d", t.Unix())
	tfKey := g.r.key("ASIA", 16)
	t = t.Add(time.Duration(20+g.r.IntN(40)) * time.Second)
	g.emit(call{
		t: t, who: gh, ip: ip, ua: fmt.Sprintf(uaTerraform, "sts"), src: "sts.amazonaws.com", name: "AssumeRole", readOnly: true,
		params: map[string]any{"roleArn": es.tfRole.arn, "roleSessionName": tfSess, "durationSeconds": 3600},
		resp: map[string]any{
			"credentials":     map[string]any{"accessKeyId": tfKey, "sessionToken": "IQoJb3JpZ2luX2VjE" + g.r.hex(24), "expiration": t.Add(time.Hour).Format("Jan 2, 2006, 3:04:05 PM")},
			"assumedRoleUser": map[string]any{"assumedRoleId": es.tfRole.id + ":" + tfSess, "arn": fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", es.acct, es.tfRole.name, tfSess)},
		},
		resources: []resource{{AccountID: es.acct, Type: "AWS::IAM::Role", ARN: es.tfRole.arn}},
	})
	tf := es.session(es.tfRole, tfSess, tfKey, t, false)
	// terraform plan: refresh the state with read calls.
	for range 10 + g.r.IntN(16) {
		op := tfReads[g.r.IntN(len(tfReads))]
		t = t.Add(time.Duration(100+g.r.IntN(900)) * time.Millisecond)
		params, bucket := g.readParams(op.name)
		g.emit(call{t: t, who: tf, ip: ip, ua: fmt.Sprintf(uaTerraform, op.api), src: op.src, name: op.name, readOnly: true, params: params, bucket: bucket})
	}
	if g.r.IntN(10) >= 4 { // 60% of runs deploy
		g.deploy(t.Add(time.Duration(30+g.r.IntN(60))*time.Second), gh, tf, ip)
	}
}

// readParams returns plausible request parameters for a read call.
func (g *gen) readParams(name string) (map[string]any, string) {
	es := g.es
	switch name {
	case "GetRole", "ListRolePolicies", "ListAttachedRolePolicies":
		return map[string]any{"roleName": g.r.pick([]string{es.appRole.name, es.fnRole.name})}, ""
	case "GetPolicy", "GetPolicyVersion":
		p := map[string]any{"policyArn": fmt.Sprintf("arn:aws:iam::%s:policy/orders-app-access", es.acct)}
		if name == "GetPolicyVersion" {
			p["versionId"] = fmt.Sprintf("v%d", 1+g.r.IntN(5))
		}
		return p, ""
	case "GetFunction20150331v2", "ListVersionsByFunction20150331", "GetPolicy20150331v2":
		return map[string]any{"functionName": es.fn}, ""
	case "GetBucketVersioning", "GetBucketPolicy", "GetBucketEncryption", "GetBucketTagging", "GetBucketAcl":
		b := g.r.pick([]string{es.assets, es.data, es.artifacts})
		sub := strings.ToLower(strings.TrimPrefix(name, "GetBucket"))
		return map[string]any{"bucketName": b, "Host": b + ".s3." + es.region + ".amazonaws.com", sub: ""}, b
	case "DescribeServices":
		return map[string]any{"cluster": es.cluster, "services": []string{"orders-api"}}, ""
	case "DescribeTaskDefinition":
		return map[string]any{"taskDefinition": "orders-api"}, ""
	case "DescribeVpcAttribute":
		return map[string]any{"vpcId": es.vpc, "attribute": "enableDnsSupport"}, ""
	case "DescribeKey":
		return map[string]any{"keyId": es.kmsKey}, ""
	case "DescribeInstances":
		return map[string]any{"instancesSet": map[string]any{}, "filterSet": map[string]any{}}, ""
	case "DescribeLogGroups":
		return map[string]any{"logGroupNamePrefix": "/aws/lambda/" + es.fn}, ""
	case "GetCallerIdentity", "ListBuckets", "DescribeRegions", "ListFunctions20150331", "DescribeTrails", "ListRoles", "ListUsers", "DescribeAlarms", "DescribeDBInstances", "GetCostAndUsage", "DescribeInstanceInformation":
		return nil, ""
	}
	return map[string]any{"filterSet": map[string]any{}}, ""
}

func (g *gen) deploy(t time.Time, gh, tf *identity, ip string) {
	es := g.es
	ver := fmt.Sprintf("%s.zip", g.r.hex(40))
	key := "orders-processor/" + ver
	// The workflow uploads the build artifact.
	g.emit(call{
		t: t, who: gh, ip: ip, ua: "[" + fmt.Sprintf(uaCLIRunner, "s3.cp") + "]", src: "s3.amazonaws.com", name: "PutObject", data: true, bucket: es.artifacts,
		params:    map[string]any{"bucketName": es.artifacts, "Host": es.artifacts + ".s3." + es.region + ".amazonaws.com", "key": key},
		resp:      map[string]any{"x-amz-server-side-encryption": "AES256"},
		extra:     g.s3Extra(1_000_000+g.r.IntN(8_000_000), 0),
		resources: s3Resources(es.acct, es.artifacts, key),
	})
	// terraform apply: the function's code, the service's task.
	t = t.Add(time.Duration(20+g.r.IntN(30)) * time.Second)
	fnARN := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", es.region, es.acct, es.fn)
	g.emit(call{
		t: t, who: tf, ip: ip, ua: fmt.Sprintf(uaTerraform, "lambda"), src: "lambda.amazonaws.com", name: "UpdateFunctionCode20150331v2", version: "1.08",
		params: map[string]any{"functionName": fnARN, "s3Bucket": es.artifacts, "s3Key": key, "publish": true, "dryRun": false},
		resp: map[string]any{
			"functionName": es.fn, "functionArn": fnARN, "runtime": "python3.12", "role": es.fnRole.arn, "handler": "app.handler",
			"codeSize": 1_000_000 + g.r.IntN(8_000_000), "timeout": 30, "memorySize": 512, "version": fmt.Sprint(10 + g.r.IntN(90)),
			"state": "Active", "lastUpdateStatus": "InProgress", "packageType": "Zip", "architectures": []string{"arm64"},
		},
	})
	g.emit(call{t: t.Add(3 * time.Second), who: tf, ip: ip, ua: fmt.Sprintf(uaTerraform, "lambda"), src: "lambda.amazonaws.com", name: "GetFunction20150331v2", readOnly: true, version: "1.08",
		params: map[string]any{"functionName": es.fn}})
	t = t.Add(time.Duration(10+g.r.IntN(20)) * time.Second)
	rev := 100 + g.r.IntN(900)
	g.emit(call{
		t: t, who: tf, ip: ip, ua: fmt.Sprintf(uaTerraform, "ecs"), src: "ecs.amazonaws.com", name: "RegisterTaskDefinition",
		params: map[string]any{
			"family": "orders-api", "networkMode": "awsvpc", "cpu": "512", "memory": "1024", "requiresCompatibilities": []string{"FARGATE"},
			"executionRoleArn": fmt.Sprintf("arn:aws:iam::%s:role/orders-api-execution", es.acct), "taskRoleArn": fmt.Sprintf("arn:aws:iam::%s:role/orders-api-task", es.acct),
			"containerDefinitions": []map[string]any{{"name": "orders-api", "image": fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/orders-api:%s", es.acct, es.region, g.r.hex(12)), "essential": true,
				"portMappings": []map[string]any{{"containerPort": 8080, "protocol": "tcp"}}}},
		},
		resp: map[string]any{"taskDefinition": map[string]any{"family": "orders-api", "revision": rev, "status": "ACTIVE",
			"taskDefinitionArn": fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/orders-api:%d", es.region, es.acct, rev)}},
	})
	g.emit(call{
		t: t.Add(2 * time.Second), who: tf, ip: ip, ua: fmt.Sprintf(uaTerraform, "ecs"), src: "ecs.amazonaws.com", name: "UpdateService",
		params: map[string]any{"cluster": es.cluster, "service": "orders-api", "taskDefinition": fmt.Sprintf("orders-api:%d", rev), "forceNewDeployment": false},
		resp:   map[string]any{"service": map[string]any{"serviceName": "orders-api", "status": "ACTIVE", "desiredCount": 3}},
	})
	// Now and then the change is to the network: a security group rule
	// for the internal load balancer, from the VPC's range.
	if g.r.IntN(5) == 0 {
		t = t.Add(time.Duration(5+g.r.IntN(10)) * time.Second)
		g.emit(call{
			t: t, who: tf, ip: ip, ua: fmt.Sprintf(uaTerraform, "ec2"), src: "ec2.amazonaws.com", name: "AuthorizeSecurityGroupIngress",
			params: map[string]any{"groupId": es.sgID, "ipPermissions": map[string]any{"items": []map[string]any{{
				"ipProtocol": "tcp", "fromPort": 8080, "toPort": 8080, "groups": map[string]any{},
				"ipRanges": map[string]any{"items": []map[string]any{{"cidrIp": "10.20.0.0/16", "description": "internal ALB"}}},
			}}}},
			resp: map[string]any{"_return": true, "securityGroupRuleSet": map[string]any{"items": []map[string]any{{
				"groupId": es.sgID, "securityGroupRuleId": "sgr-0" + g.r.hex(16), "isEgress": false, "ipProtocol": "tcp", "fromPort": 8080, "toPort": 8080, "cidrIpv4": "10.20.0.0/16",
			}}}},
		})
		g.emit(call{t: t.Add(time.Second), who: tf, ip: ip, ua: fmt.Sprintf(uaTerraform, "ec2"), src: "ec2.amazonaws.com", name: "CreateTags",
			params: map[string]any{"resourcesSet": map[string]any{"items": []map[string]any{{"resourceId": es.sgID}}},
				"tagSet": map[string]any{"items": []map[string]any{{"key": "ManagedBy", "value": "terraform"}}}},
			resp: map[string]any{"_return": true}})
	}
}

// ---- console users ----

var consoleReads = []struct{ src, name string }{
	{"ec2.amazonaws.com", "DescribeInstances"}, {"ec2.amazonaws.com", "DescribeInstanceStatus"},
	{"ec2.amazonaws.com", "DescribeSecurityGroups"}, {"ec2.amazonaws.com", "DescribeVpcs"},
	{"monitoring.amazonaws.com", "DescribeAlarms"}, {"s3.amazonaws.com", "ListBuckets"},
	{"s3.amazonaws.com", "GetBucketVersioning"}, {"logs.amazonaws.com", "DescribeLogGroups"},
	{"lambda.amazonaws.com", "ListFunctions20150331"}, {"lambda.amazonaws.com", "GetFunction20150331v2"},
	{"rds.amazonaws.com", "DescribeDBInstances"}, {"ce.amazonaws.com", "GetCostAndUsage"},
	{"ecs.amazonaws.com", "DescribeServices"}, {"cloudtrail.amazonaws.com", "LookupEvents"},
	{"health.amazonaws.com", "DescribeEventAggregates"},
}

var adminReads = []struct{ src, name string }{
	{"iam.amazonaws.com", "ListRoles"}, {"iam.amazonaws.com", "GetRole"}, {"iam.amazonaws.com", "ListUsers"},
	{"iam.amazonaws.com", "GetAccountSummary"}, {"cloudtrail.amazonaws.com", "DescribeTrails"},
	{"ssm.amazonaws.com", "DescribeInstanceInformation"},
}

func (g *gen) console(day time.Time) {
	es := g.es
	for _, u := range es.users {
		logins := 0
		if !weekend(day) && g.r.IntN(10) < 8 {
			logins = 1 + g.r.IntN(2)
		}
		for l := range logins {
			t := g.at(day, 7+float64(l)*4.5, 4*time.Hour)
			g.consoleSession(u, t)
		}
	}
}

func (g *gen) consoleSession(u consoleUser, t time.Time) {
	es := g.es
	arn := fmt.Sprintf("arn:aws:iam::%s:user/%s", es.acct, u.name)
	g.emit(call{
		t: t, ip: u.ip, ua: u.ua, src: "signin.amazonaws.com", name: "ConsoleLogin", eventType: "AwsConsoleSignIn",
		who:   &identity{Type: "IAMUser", PrincipalID: u.principalID, ARN: arn, AccountID: es.acct, UserName: u.name},
		resp:  map[string]any{"ConsoleLogin": "Success"},
		extra: map[string]any{"LoginTo": "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_" + es.region + "_" + g.r.hex(16), "MobileVersion": "No", "MFAIdentifier": fmt.Sprintf("arn:aws:iam::%s:mfa/%s", es.acct, u.name), "MFAUsed": "Yes"},
	})
	who := &identity{
		Type: "IAMUser", PrincipalID: u.principalID, ARN: arn, AccountID: es.acct, UserName: u.name,
		AccessKeyID: g.r.key("ASIA", 16),
		SessionContext: &sessionContext{
			SessionIssuer: &issuer{}, WebIDFederationData: &webIDFederated{},
			Attributes: attributes{CreationDate: ctTime(t), MFAAuthenticated: "true"},
		},
	}
	ops := consoleReads
	if u.admin {
		ops = append(append([]struct{ src, name string }{}, consoleReads...), adminReads...)
	}
	for range 5 + g.r.IntN(16) {
		t = t.Add(time.Duration(5+g.r.IntN(240)) * time.Second)
		op := ops[g.r.IntN(len(ops))]
		params, bucket := g.readParams(op.name)
		g.emit(call{t: t, who: who, ip: u.ip, ua: u.ua, src: op.src, name: op.name, readOnly: true, params: params, bucket: bucket, console: true})
	}
}

// ---- EC2 instance roles ----

func (g *gen) instance(day time.Time) {
	es := g.es
	for _, in := range es.instances {
		who := func(t time.Time) *identity {
			key, created := g.slotCreds(in.id, t)
			id := es.session(es.appRole, in.id, key, created, false)
			id.SessionContext.EC2RoleDelivery = "2.0"
			return id
		}
		// The SSM agent reports in (hourly here; every five minutes in life).
		for h := range 24 {
			t := g.at(day, float64(h), 50*time.Minute)
			az := es.region + "a"
			g.emit(call{
				t: t, who: who(t), ip: in.ip, ua: uaSSMAgent, src: "ssm.amazonaws.com", name: "UpdateInstanceInformation", version: "1.08",
				params: map[string]any{
					"instanceId": in.id, "agentVersion": "3.3.40.0", "agentStatus": "Active", "platformType": "Linux",
					"platformName": "Amazon Linux", "platformVersion": "2023", "iPAddress": in.privateIP,
					"computerName": "ip-" + strings.ReplaceAll(in.privateIP, ".", "-") + ".ec2.internal", "agentName": "amazon-ssm-agent",
					"availabilityZone": az, "availabilityZoneId": "use1-az" + fmt.Sprint(1+len(in.id)%6),
				},
			})
		}
		// The application reads its configuration and secret.
		for h := 0; h < 24; h += 2 {
			t := g.at(day, float64(h), 2*time.Hour)
			g.emit(call{t: t, who: who(t), ip: in.ip, ua: uaBoto3, src: "ssm.amazonaws.com", name: "GetParameters", readOnly: true,
				params: map[string]any{"names": es.params, "withDecryption": true}})
		}
		for h := 0; h < 24; h += 4 {
			t := g.at(day, float64(h), 4*time.Hour)
			g.emit(call{t: t, who: who(t), ip: in.ip, ua: uaJavaSDK, src: "secretsmanager.amazonaws.com", name: "GetSecretValue", readOnly: true, version: "1.08",
				params:    map[string]any{"secretId": es.secret},
				resources: nil})
		}
		// And serves static assets it fetches from S3.
		for range 10 + g.r.IntN(30) {
			t := g.at(day, 0, 24*time.Hour)
			key := fmt.Sprintf("static/%s/%s.%s", g.r.pick([]string{"img", "css", "js"}), g.r.hex(12), g.r.pick([]string{"png", "css", "js"}))
			g.s3obj(t, who(t), in.ip, uaBoto3, "GetObject", es.assets, key, ShapeS3Data)
		}
	}
}

// ---- S3 data events by applications ----

func (g *gen) s3data(day time.Time) {
	es := g.es
	n := 40 + g.r.IntN(80)
	if weekend(day) {
		n /= 2
	}
	for range n {
		t := g.at(day, 0, 24*time.Hour)
		key, created := g.slotCreds(es.fn, t)
		who := es.session(es.fnRole, es.fn, key, created, false)
		ip := g.r.pick(es.fnIPs)
		id := fmt.Sprintf("%s/%s", t.Format("2006/01/02"), g.r.uuid())
		g.s3obj(t, who, ip, uaBoto3Func, "GetObject", es.data, "incoming/"+id+".json", ShapeS3Data)
		g.s3obj(t.Add(time.Duration(200+g.r.IntN(1500))*time.Millisecond), who, ip, uaBoto3Func, "PutObject", es.data, "processed/"+id+".parquet", ShapeS3Data)
	}
}

func (g *gen) s3obj(t time.Time, who *identity, ip, ua, op, bucket, key string, shape Shape) {
	saved := g.shape
	g.shape = shape
	defer func() { g.shape = saved }()
	c := call{
		t: t, who: who, ip: ip, ua: "[" + ua + "]", src: "s3.amazonaws.com", name: op, data: true, bucket: bucket, readOnly: op == "GetObject", version: "1.10",
		params:    map[string]any{"bucketName": bucket, "Host": bucket + ".s3." + g.es.region + ".amazonaws.com", "key": key},
		resources: s3Resources(g.es.acct, bucket, key),
	}
	if op == "GetObject" {
		c.extra = g.s3Extra(0, 500+g.r.IntN(200_000))
	} else {
		c.extra = g.s3Extra(500+g.r.IntN(200_000), 0)
		c.resp = map[string]any{"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": g.es.kmsKey, "x-amz-server-side-encryption-bucket-key-enabled": true}
	}
	g.emit(c)
}

func (g *gen) s3Extra(in, out int) map[string]any {
	return map[string]any{
		"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": in, "bytesTransferredOut": out,
		"AuthenticationMethod": "AuthHeader", "x-amz-id-2": g.r.hex(40),
	}
}

func s3Resources(acct, bucket, key string) []resource {
	return []resource{
		{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::" + bucket + "/" + key},
		{AccountID: acct, Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + bucket},
	}
}

package sqlitebench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/store"
	"github.com/picket-dev/picket/internal/store/sqlite"
)

// The findings: created in order over FindingsSpan from FindingsStart,
// updated up to a week later; accounts and types Zipf-distributed.
const (
	NumFindings   = 1_000_000
	Accounts      = 700
	AlertEvery    = 20
	rowsPerInsert = 100
)

var (
	FindingsStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	FindingsSpan  = 180 * 24 * time.Hour
)

func Types() []string {
	var out []string
	for _, t := range []string{"IAMUser", "EC2", "S3", "Kubernetes", "RDS", "Lambda"} {
		for _, n := range []string{"Recon:%s/MaliciousIPCaller", "UnauthorizedAccess:%s/TorIPCaller", "Stealth:%s/LoggingDisabled",
			"Discovery:%s/AnomalousBehavior", "Persistence:%s/AnomalousBehavior", "Impact:%s/ResourceConsumption",
			"CredentialAccess:%s/AnomalousBehavior", "Exfiltration:%s/ObjectRead.Unusual", "PrivilegeEscalation:%s/AdminPolicyAttached",
			"Policy:%s/RootCredentialUsage"} {
			out = append(out, fmt.Sprintf(n, t))
		}
	}
	return out
}

// benchTemplates commits a few realistic findings through the store and
// returns them as stored: every benchmark row is a clone of one.
func benchTemplates(ctx context.Context, s store.Store) ([]finding.Finding, error) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ua := "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1014-aws exe/x86_64.ubuntu.22 prompt/off command/s3api.get-object"
	api := finding.Finding{
		AccountID: Account(0), Region: "us-east-1", Type: "Recon:IAMUser/MaliciousIPCaller", Severity: finding.SevMedium,
		Title:       "API GetObject was invoked from a known malicious IP address.",
		Description: "API GetObject was invoked from IP address 198.51.100.7, which is on a threat list.",
		Resource: finding.Resource{ResourceType: "AccessKey", AccessKeyDetails: &finding.AccessKeyDetails{
			AccessKeyID: "AKIAIOSFODNN7EXAMPLE", PrincipalID: "AIDAJQABLZS4A3QDU576Q", UserName: "deploy-bot-1", UserType: "IAMUser"}},
		Service: finding.Service{DetectorID: "threat-intel", ResourceRole: "TARGET", Count: 3,
			EventFirstSeen: now.Add(-time.Hour), EventLastSeen: now,
			Action: finding.Action{ActionType: "AWS_API_CALL", AwsAPICallAction: &finding.AwsAPICallAction{
				API: "GetObject", ServiceName: "s3.amazonaws.com", CallerType: "Remote IP", UserAgent: ua,
				RemoteIPDetails:   &finding.RemoteIPDetails{IPAddressV4: "198.51.100.7"},
				AffectedResources: map[string]string{"AWS::S3::Bucket": "prod-artifacts-eu", "AWS::S3::Object": "releases/2024/picket-1.4.2.tar.gz"},
			}},
			AdditionalInfo: map[string]any{"threatListName": "ProofPoint", "threatName": "Scanner", "userAgentCategory": "AWS CLI"},
		},
		Keys: finding.Keys{Resource: "AKIAIOSFODNN7EXAMPLE", Actor: "arn:aws:iam::" + Account(0) + ":user/deploy-bot-1"},
	}
	net := api
	net.Type, net.Severity = "UnauthorizedAccess:EC2/TorIPCaller", finding.SevHigh
	net.Title = "EC2 instance i-0abcd1234ef567890 is communicating with a Tor exit node."
	net.Description = "EC2 instance i-0abcd1234ef567890 is receiving inbound connections from Tor exit node 203.0.113.9."
	net.Resource = finding.Resource{ResourceType: "Instance", InstanceDetails: &finding.InstanceDetails{InstanceID: "i-0abcd1234ef567890",
		NetworkInterfaces: []finding.NetworkInterface{{NetworkInterfaceID: "eni-0123456789abcdef0", PrivateIPAddress: "10.20.30.40", VpcID: "vpc-0a1b2c3d", SubnetID: "subnet-0a1b2c3d4e"}}}}
	net.Service.DetectorID = "flow-threat-intel"
	net.Service.Action = finding.Action{ActionType: "NETWORK_CONNECTION", NetworkConnectionAction: &finding.NetworkConnectionAction{
		ConnectionDirection: "INBOUND", Protocol: "TCP",
		LocalIPDetails: &finding.RemoteIPDetails{IPAddressV4: "10.20.30.40"}, LocalPortDetails: &finding.PortDetails{Port: 22, PortName: "SSH"},
		RemoteIPDetails: &finding.RemoteIPDetails{IPAddressV4: "203.0.113.9"}, RemotePortDetails: &finding.PortDetails{Port: 49152, PortName: "Unknown"}}}
	net.Keys = finding.Keys{Resource: "i-0abcd1234ef567890", Actor: "203.0.113.9"}
	fs := []finding.Finding{api, net}
	for i := range fs {
		fs[i].Seal()
	}
	if _, err := s.Commit(ctx, &store.Batch{Findings: fs, Now: now}); err != nil {
		return nil, err
	}
	for i := range fs {
		f, err := s.GetFinding(ctx, fs[i].ID)
		if err != nil {
			return nil, err
		}
		fs[i] = *f
	}
	return fs, nil
}

func buildFindings(ctx context.Context, path string) error {
	s, err := sqlite.Open(ctx, path) // the schema, as the store migrates it
	if err != nil {
		return err
	}
	templates, err := benchTemplates(ctx, s)
	s.Close()
	if err != nil {
		return err
	}
	db, err := openBulk(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "DELETE FROM findings"); err != nil {
		return err
	}

	const cols = "id, type, severity, account_id, region, resource_type, title, count, first_seen, last_seen, created_at, updated_at, archived, key_resource, key_actor, body, version, routed_version"
	nCols := strings.Count(cols, ",") + 1
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", nCols), ", ") + ")"
	insert := "INSERT INTO findings (" + cols + ") VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", rowsPerInsert), ", ")
	stmt, err := tx.PrepareContext(ctx, insert)
	if err != nil {
		return err
	}
	defer stmt.Close()
	const alertCols = "id, finding_id, account_id, type, severity, route, state, created_at, updated_at, body"
	alertIns, err := tx.PrepareContext(ctx, "INSERT INTO alerts ("+alertCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	if err != nil {
		return err
	}
	defer alertIns.Close()

	rng := rand.New(rand.NewPCG(1, 2))
	types := Types()
	regions := []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"}
	states := []alert.State{alert.New, alert.Notified, alert.Acknowledged, alert.Resolved, alert.Archived}
	zipfType := rand.NewZipf(rng, 1.2, 2, uint64(len(types)-1))
	zipfAcct := rand.NewZipf(rng, 1.05, 20, Accounts-1)
	start, span := FindingsStart, FindingsSpan
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

	args := make([]any, 0, nCols*rowsPerInsert)
	for i := range NumFindings {
		typ := types[zipfType.Uint64()]
		f := templates[0]
		if strings.Contains(typ, ":EC2/") {
			f = templates[1]
		}
		acct := Account(int(zipfAcct.Uint64()))
		f.AccountID, f.Type, f.Region = acct, typ, regions[rng.IntN(len(regions))]
		switch p := rng.Float64(); {
		case p < 0.40:
			f.Severity = 1 + float64(rng.IntN(30))/10
		case p < 0.75:
			f.Severity = 4 + float64(rng.IntN(30))/10
		case p < 0.95:
			f.Severity = 7 + float64(rng.IntN(20))/10
		default:
			f.Severity = 9 + float64(rng.IntN(11))/10
		}
		user := fmt.Sprintf("deploy-bot-%d", rng.IntN(5000))
		f.Keys.Actor = "arn:aws:iam::" + acct + ":user/" + user
		f.Keys.Resource = fmt.Sprintf("AKIA%016X", rng.Uint64())
		f.Title = fmt.Sprintf("%s by %s from %d.%d.%d.%d", typ, user, rng.IntN(223)+1, rng.IntN(256), rng.IntN(256), rng.IntN(256))
		if f.Resource.AccessKeyDetails != nil {
			d := *f.Resource.AccessKeyDetails
			d.AccessKeyID, d.UserName = f.Keys.Resource, user
			f.Resource.AccessKeyDetails = &d
		}
		f.Seal()
		// Created in order over the span, updated up to a week later.
		created := start.Add(time.Duration(i) * (span / NumFindings))
		updated := created.Add(time.Duration(rng.Int64N(int64(7 * 24 * time.Hour))))
		f.CreatedAt, f.UpdatedAt = created, updated
		f.Service.Count = int64(1 + rng.ExpFloat64()*40)
		f.Service.EventFirstSeen = created.Add(-time.Duration(rng.Int64N(int64(time.Hour))))
		f.Service.EventLastSeen = updated.Add(-time.Duration(rng.Int64N(int64(time.Minute))))
		f.Service.Archived = rng.IntN(10) == 0
		body, err := json.Marshal(&f)
		if err != nil {
			return err
		}
		args = append(args, f.ID, f.Type, f.Severity, f.AccountID, f.Region, f.Resource.ResourceType, f.Title, f.Service.Count,
			ts(f.Service.EventFirstSeen), ts(f.Service.EventLastSeen), ts(f.CreatedAt), ts(f.UpdatedAt), f.Service.Archived,
			f.Keys.Resource, f.Keys.Actor, string(body), 1, 1)
		if len(args) == cap(args) {
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("inserting findings: %w", err)
			}
			args = args[:0]
		}
		if i%AlertEvery == 0 {
			a := alert.Alert{ID: "inc-" + f.ID, FindingID: f.ID, Account: acct, Region: f.Region, Type: f.Type, Severity: f.Severity,
				Title: f.Title, Route: "account:" + acct, State: states[rng.IntN(len(states))], CreatedAt: created, UpdatedAt: updated,
				NotifiedAt: created.Add(time.Second)}
			ab, err := json.Marshal(&a)
			if err != nil {
				return err
			}
			if _, err := alertIns.ExecContext(ctx, a.ID, a.FindingID, a.Account, a.Type, a.Severity, a.Route, string(a.State),
				ts(a.CreatedAt), ts(a.UpdatedAt), string(ab)); err != nil {
				return fmt.Errorf("inserting alert: %w", err)
			}
		}
	}
	if len(args) > 0 {
		return fmt.Errorf("%d findings is not a multiple of %d", NumFindings, rowsPerInsert)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return closeBulk(ctx, db)
}

package baseline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/testutil"
)

// sdkHelpers are names in the catalog's sdk_calls_in_source that are
// SDK plumbing, not API calls: they never reach CloudTrail.
var sdkHelpers = map[string]string{
	"NextPage":    "paginator method",
	"WithTimeout": "context helper",
	"SignHTTP":    "SigV4 signer",
	"Retrieve":    "credentials provider method",
}

// sdkSources maps the catalog's Go SDK service names to eventSource.
var sdkSources = map[string]string{
	"bedrockruntime":     "bedrock.amazonaws.com",
	"ec2instanceconnect": "ec2-instance-connect.amazonaws.com",
}

func sourceOf(prefix string) string {
	if s, ok := sdkSources[prefix]; ok {
		return s
	}
	return prefix + ".amazonaws.com"
}

// Every API of the Stratus Red Team AWS catalog — the CloudTrail events
// its docs list, the events in its detonation logs, and the SDK calls in
// its source — has a class or is unclassified on purpose.
func TestTacticsCoverStratusCatalog(t *testing.T) {
	dir := testutil.SharedData(t, "stratus-red-team")
	b, err := os.ReadFile(filepath.Join(dir, "catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cat []struct {
		ID       string   `json:"id"`
		Platform string   `json:"platform"`
		Events   []string `json:"cloudtrail_events_documented"`
		Logged   []string `json:"detonation_log_event_names"`
		Services []string `json:"sdk_services_in_source"`
		Calls    []string `json:"sdk_calls_in_source"`
	}
	if err := json.Unmarshal(b, &cat); err != nil {
		t.Fatal(err)
	}
	tab := DefaultTable()
	n := 0
	for _, tech := range cat {
		if tech.Platform != "AWS" {
			continue
		}
		for _, ev := range slices.Concat(tech.Events, tech.Logged) {
			svc, name, ok := strings.Cut(ev, ":")
			if !ok {
				t.Errorf("%s: odd event name %q", tech.ID, ev)
				continue
			}
			n++
			if c, unc := tab.Classify(sourceOf(svc), name); c == None && !unc {
				t.Errorf("%s: %s has no class", tech.ID, ev)
			}
		}
		for _, call := range tech.Calls {
			if _, ok := sdkHelpers[call]; ok {
				continue
			}
			n++
			found := false
			for _, svc := range tech.Services {
				src := sourceOf(svc)
				if svc == "s3" && call == "PutBucketLifecycleConfiguration" {
					call = "PutBucketLifecycle" // CloudTrail's name for it
				}
				if c, unc := tab.Classify(src, call); c != None || unc {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: SDK call %s (%v) has no class", tech.ID, call, tech.Services)
			}
		}
	}
	if n < 150 {
		t.Errorf("checked only %d API names", n)
	}
}

type rawRecord = map[string]any

func loadDetonation(t *testing.T, name string) []rawRecord {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testutil.SharedData(t, "stratus-red-team", "detonation-logs"), name))
	if err != nil {
		t.Fatal(err)
	}
	var recs []rawRecord
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatal(err)
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i]["eventTime"].(string) < recs[j]["eventTime"].(string) })
	return recs
}

// Every event name in the detonation logs has a class or is unclassified
// on purpose.
func TestTacticsCoverDetonationLogs(t *testing.T) {
	dir := testutil.SharedData(t, "stratus-red-team", "detonation-logs")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) < 30 {
		t.Fatalf("%d detonation logs", len(files))
	}
	tab := DefaultTable()
	for _, f := range files {
		for _, r := range loadDetonation(t, filepath.Base(f)) {
			src, name := r["eventSource"].(string), r["eventName"].(string)
			if c, unc := tab.Classify(src, name); c == None && !unc {
				t.Errorf("%s: %s %s has no class", filepath.Base(f), src, name)
			}
		}
	}
}

// Replays real detonations after a generated benign history of the same
// principal (another network, another tool) and checks the finding
// family.
func TestStratusReplay(t *testing.T) {
	discovery := []string{"ec2:DescribeInstances", "sts:GetCallerIdentity", "iam:ListUsers", "s3:ListBuckets"}
	deployer := []string{"ecr:GetAuthorizationToken", "s3:PutObject", "ecs:UpdateService"}
	for _, tc := range []struct {
		file    string
		history []string // APIs of the benign history
		want    []string // finding types (all raised, no others)
	}{
		{"aws.persistence.iam-create-admin-user.json", discovery,
			[]string{"Persistence:IAMUser/AnomalousBehavior", "PrivilegeEscalation:IAMUser/AnomalousBehavior"}},
		{"aws.persistence.iam-backdoor-role.json", discovery, []string{"Persistence:IAMUser/AnomalousBehavior"}},
		{"aws.persistence.lambda-overwrite-code.json", discovery, []string{"Persistence:IAMUser/AnomalousBehavior"}},
		{"aws.privilege-escalation.iam-update-user-login-profile.json", discovery, []string{"PrivilegeEscalation:IAMUser/AnomalousBehavior"}},
		{"aws.discovery.ec2-download-user-data.json", deployer, []string{"Discovery:IAMUser/AnomalousBehavior"}},
		{"aws.exfiltration.ec2-share-ebs-snapshot.json", discovery, []string{"Exfiltration:IAMUser/AnomalousBehavior"}},
		{"aws.credential-access.secretsmanager-retrieve-secrets.json", discovery, []string{"CredentialAccess:IAMUser/AnomalousBehavior"}},
		{"aws.defense-evasion.cloudtrail-stop.json", discovery, []string{"DefenseEvasion:IAMUser/AnomalousBehavior"}},
		{"aws.impact.bedrock-invoke-model.json", discovery, []string{"Impact:IAMUser/AnomalousBehavior"}},
		{"aws.execution.ssm-start-session.json", discovery, []string{"InitialAccess:IAMUser/AnomalousBehavior"}},
		{"aws.initial-access.console-login-without-mfa.json", []string{"signin:ConsoleLogin", "ec2:DescribeInstances"},
			[]string{"UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B"}},
	} {
		t.Run(strings.TrimSuffix(tc.file, ".json"), func(t *testing.T) {
			recs := loadDetonation(t, tc.file)
			// The attacked principal: the one behind the last record (the
			// first ones may be the AssumeRole that got its session).
			last := recs[len(recs)-1]
			start, err := time.Parse(time.RFC3339, recs[0]["eventTime"].(string))
			if err != nil {
				t.Fatal(err)
			}
			d := New(Options{})
			var out []finding.Finding
			// 21 days of history: every day, the principal's usual APIs
			// from 192.0.2.0/24 with the AWS CLI (or a Mac browser).
			for day := 21; day >= 1; day-- {
				for h := 0; h < 3; h++ {
					for i, api := range tc.history {
						at := start.Add(-time.Duration(day)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(i)*time.Second)
						svc, name, _ := strings.Cut(api, ":")
						r := rawRecord{
							"eventVersion": "1.08", "eventTime": at.UTC().Format(time.RFC3339),
							"eventSource": svc + ".amazonaws.com", "eventName": name, "eventType": "AwsApiCall",
							"awsRegion": last["awsRegion"], "recipientAccountId": last["recipientAccountId"],
							"sourceIPAddress": "192.0.2.44", "userAgent": uaCLI, "userIdentity": last["userIdentity"],
						}
						if api == "signin:ConsoleLogin" {
							r["eventType"], r["userAgent"] = "AwsConsoleSignIn", uaMac
							r["responseElements"] = map[string]any{"ConsoleLogin": "Success"}
						}
						out = d.Detect(t.Context(), parse(t, r), out)
					}
				}
			}
			if len(out) != 0 {
				t.Fatalf("history raised %v", typeSet(out))
			}
			for _, r := range recs {
				out = d.Detect(t.Context(), parse(t, r), out)
			}
			if got := typeSet(out); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			for _, f := range out {
				un := f.Service.AdditionalInfo["anomalies"].(map[string]any)["unusual"].(map[string]any)
				if un["userAgent"] != "stratus-red-team" {
					t.Errorf("%s: unusual %v, want the stratus-red-team user agent", f.Type, un)
				}
			}
		})
	}
}

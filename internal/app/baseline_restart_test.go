package app

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/picket-dev/picket/internal/config"
	"github.com/picket-dev/picket/internal/source"
	"github.com/picket-dev/picket/internal/store"
	"github.com/picket-dev/picket/internal/store/sqlite"
)

// ctRecord is a CloudTrail record of an IAM user's call.
func ctRecord(i int, t time.Time, api, svc, ip, ua string) map[string]any {
	return map[string]any{
		"eventVersion": "1.09", "eventTime": t.UTC().Format(time.RFC3339), "eventSource": svc, "eventName": api,
		"awsRegion": "us-east-1", "sourceIPAddress": ip, "userAgent": ua,
		"userIdentity": map[string]any{"type": "IAMUser", "principalId": "AIDAEXAMPLEBUILD0001", "arn": "arn:aws:iam::111122223333:user/build",
			"accountId": "111122223333", "accessKeyId": "AKIAEXAMPLEBUILD0001", "userName": "build"},
		"requestID": fmt.Sprintf("req-%d", i), "eventID": fmt.Sprintf("00000000-0000-4000-8000-%012d", i), "readOnly": true,
		"eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": "111122223333", "eventCategory": "Management",
	}
}

func trailFile(t *testing.T, recs []map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A principal's behaviour baseline survives a restart: it is learnt by one
// process, stored with the commits, restored by the next, which then raises
// the anomaly a fresh baseline could not (it would still be learning).
func TestBaselineSurvivesRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "picket.db")
	start := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	var history []map[string]any
	for d := range 10 {
		for h := range 4 {
			at := start.Add(time.Duration(d)*24*time.Hour + time.Duration(h)*time.Hour)
			history = append(history, ctRecord(len(history), at, "DescribeInstances", "ec2.amazonaws.com", "198.51.100.10", "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64"))
		}
	}
	attackAt := start.Add(11 * 24 * time.Hour)
	attack := []map[string]any{ctRecord(10_000, attackAt, "CreateAccessKey", "iam.amazonaws.com", "203.0.113.99", "stratus-red-team_4d5a6e")}
	attack[0]["readOnly"] = false

	src := config.SourceConfig{Name: "trail", Type: "file", Format: "cloudtrail"}
	open := func() (*App, store.Store) {
		st, err := sqlite.Open(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		a, err := New(t.Context(), config.Default(), Options{Store: st})
		if err != nil {
			t.Fatal(err)
		}
		return a, st
	}
	ingest := func(a *App, name string, b []byte) {
		t.Helper()
		objs, err := source.WalkFS(fstest.MapFS{name: {Data: b, ModTime: time.Now()}}, source.Matcher{"*.json"})
		if err != nil || len(objs) != 1 {
			t.Fatal(objs, err)
		}
		if _, err := a.Ingest(t.Context(), src, objs[0]); err != nil {
			t.Fatal(err)
		}
	}

	a, st := open()
	ingest(a, "history.json", trailFile(t, history))
	if rows, err := st.LoadState(t.Context(), "baseline"); err != nil || len(rows) != 1 {
		t.Fatalf("stored baseline state: %d rows, %v", len(rows), err)
	}
	a.Close()

	a, st = open()
	defer a.Close()
	ingest(a, "attack.json", trailFile(t, attack))
	fs, _, err := st.ListFindings(t.Context(), store.FindingQuery{Types: []string{"Persistence:IAMUser/AnomalousBehavior"}})
	if err != nil || len(fs) != 1 {
		t.Fatalf("after the restart: %d Persistence anomaly findings, %v", len(fs), err)
	}
	if fs[0].Keys.Actor != "arn:aws:iam::111122223333:user/build" {
		t.Errorf("actor %q", fs[0].Keys.Actor)
	}

	// Without the stored baseline the same call raises nothing: the
	// principal would be new, and learning.
	fresh := filepath.Join(t.TempDir(), "fresh.db")
	st2, err := sqlite.Open(t.Context(), fresh)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := New(t.Context(), config.Default(), Options{Store: st2})
	if err != nil {
		t.Fatal(err)
	}
	defer a2.Close()
	objs, _ := source.WalkFS(fstest.MapFS{"attack.json": {Data: trailFile(t, attack), ModTime: time.Now()}}, source.Matcher{"*.json"})
	if _, err := a2.Ingest(t.Context(), src, objs[0]); err != nil {
		t.Fatal(err)
	}
	if fs, _, _ := st2.ListFindings(t.Context(), store.FindingQuery{Types: []string{"Persistence:IAMUser/AnomalousBehavior"}}); len(fs) != 0 {
		t.Errorf("a fresh baseline raised %d findings", len(fs))
	}
	_ = os.Remove(fresh)
}

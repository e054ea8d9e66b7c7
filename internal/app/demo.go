package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"

	"github.com/picket-dev/picket/internal/config"
	"github.com/picket-dev/picket/internal/demo"
	"github.com/picket-dev/picket/internal/pipeline"
	"github.com/picket-dev/picket/internal/report"
	"github.com/picket-dev/picket/internal/source"
	"github.com/picket-dev/picket/internal/store"
	"github.com/picket-dev/picket/internal/web"
)

// DemoOptions configure the demo.
type DemoOptions struct {
	DataDir string // where the SQLite file goes
	Listen  string // API address; "off" ingests, prints and returns
	Out     io.Writer
	Log     *slog.Logger
	// Ready, when set, is called with the API's address, token and the
	// console password once the scenario is ingested and the server
	// listens (for tests).
	Ready func(addr, token, password string)
}

// DemoSource is the source name the demo's files are checkpointed under.
const DemoSource = "demo"

// DemoNetworkSource is the source name of the network scenario's files.
const DemoNetworkSource = "demo-network"

// Demo ingests the bundled scenarios — CloudTrail in two accounts, and one
// VPC's flow and DNS logs checked against the scenario's threat lists —
// into an SQLite store in o.DataDir, prints the findings, and serves
// /healthz, /metrics and the API until ctx is done. Run twice, it reads
// nothing new (the checkpoints say every file is done) and prints the
// same findings.
func Demo(ctx context.Context, o DemoOptions) error {
	cfg := config.Default()
	cfg.DataDir = o.DataDir
	cfg.Store.SQLite.Path = filepath.Join(o.DataDir, "picket.db")
	// The network scenario's threat lists, written out as files.
	netDir := filepath.Join(o.DataDir, "network-intel")
	if err := demo.WriteNetworkIntel(netDir); err != nil {
		return fmt.Errorf("demo threat lists: %w", err)
	}
	netCfg, err := config.Load(filepath.Join(netDir, "picket.yaml"))
	if err != nil {
		return fmt.Errorf("demo threat lists: %w", err)
	}
	cfg.Intel = netCfg.Intel
	if o.Listen != "" {
		cfg.HTTP.Listen = o.Listen
	}
	if err := Validate(cfg); err != nil {
		return err
	}
	// The demo's API token and console password are made here, not read
	// from the environment.
	token := newToken()
	cfg.APITokens = []config.Secret{config.NewSecret(token)}
	password := newToken()[:16]
	hash, err := web.HashPassword(password)
	if err != nil {
		return err
	}
	cfg.HTTP.Users = []config.UserConfig{{Name: "demo", PasswordHash: hash, Role: "admin", Accounts: []string{"*"}}}
	a, err := New(ctx, cfg, Options{Log: o.Log})
	if err != nil {
		return err
	}
	defer a.Close()

	objs, err := source.WalkFS(demo.Scenario(), source.Matcher{"*.json.gz"})
	if err != nil {
		return fmt.Errorf("demo scenario: %w", err)
	}
	netObjs, err := source.WalkFS(demo.Network(), source.Matcher{"*.log.gz"})
	if err != nil {
		return fmt.Errorf("demo network scenario: %w", err)
	}
	var sum report.Summary
	// The CloudTrail events are kept for the console's search; the 117,000
	// flow and DNS records are not (storing them takes longer than
	// detecting on them: flow logs usually run with store_events off or a
	// short retention).
	for _, part := range []struct {
		src  config.SourceConfig
		objs []source.Object
	}{
		{config.SourceConfig{Name: DemoSource, Type: "file", Format: "cloudtrail"}, objs},
		{config.SourceConfig{Name: DemoNetworkSource, Type: "file", Format: pipeline.FormatAuto, StoreEvents: new(bool)}, netObjs},
	} {
		for _, obj := range part.objs {
			res, err := a.Ingest(ctx, part.src, obj)
			if err != nil {
				return err
			}
			sum.Objects++
			sum.Records += res.Records
			sum.Events += res.Events
			sum.Skipped += res.Skipped
			sum.Quarantined += res.Quarantined
		}
	}
	fs, _, err := a.store.ListFindings(ctx, store.FindingQuery{Limit: 1000})
	if err != nil {
		return err
	}
	pipeline.SortFindings(fs)
	w := o.Out
	fmt.Fprintf(w, "Picket demo: the bundled attack scenarios (%d CloudTrail files from 2 accounts; %d VPC flow and DNS log files from one VPC).\n", len(objs), len(netObjs))
	if sum.Objects > 0 && sum.Records > 0 {
		fmt.Fprintf(w, "Read %d records: %d events, %d skipped (digest files), %d quarantined.\n", sum.Records, sum.Events, sum.Skipped, sum.Quarantined)
	} else {
		fmt.Fprintf(w, "Nothing new to read: every file is checkpointed in %s.\n", cfg.Store.SQLite.Path)
	}
	fmt.Fprintf(w, "%s, stored in %s\n\n", report.CountLine(fs), cfg.Store.SQLite.Path)
	if err := report.Table(w, fs); err != nil {
		return err
	}
	if cfg.HTTP.Listen == "off" {
		return nil
	}
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.HTTP.Listen, err)
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(w, "\nServing until interrupted (Ctrl-C):\n")
	fmt.Fprintf(w, "  Console: %s/  (user demo, password %s)\n", base, password)
	fmt.Fprintf(w, "  %s/healthz\n  %s/metrics\n", base, base)
	fmt.Fprintf(w, "  curl -H 'Authorization: Bearer %s' '%s/api/v1/findings?severity=high'\n", token, base)
	fmt.Fprintf(w, "The password and API token are new on every start. Explore the store from the CLI too:\n")
	fmt.Fprintf(w, "  picket findings list --db %s\n", cfg.Store.SQLite.Path)
	if o.Ready != nil {
		o.Ready(ln.Addr().String(), token, password)
	}
	return a.Serve(ctx, ln)
}

func newToken() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b[:])
}

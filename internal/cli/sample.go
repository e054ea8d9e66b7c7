package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/picket-dev/picket/internal/app"
	"github.com/picket-dev/picket/internal/store"
)

// cmdSampleFindings stores one sample finding per type and routes and
// sends them as picket run would, then reports where each went.
func cmdSampleFindings(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "sample-findings", "-c picket.yaml [--type T[,T…]] [--account ID] [--region R]")
	cfgPath := fs.String("c", "picket.yaml", "config file (store, routing)")
	types := fs.String("type", "", "finding types, comma-separated (default: every type Picket raises)")
	account := fs.String("account", "123456789012", "account the samples belong to (decides their route)")
	region := fs.String("region", "us-east-1", "region of the samples")
	wait := fs.Duration("wait", 30*time.Second, "how long to wait for deliveries (retries included)")
	if _, err := parse(fs, args); err != nil {
		return flagErr(err)
	}
	cfg, ok := loadConfig(env, *cfgPath, app.Validate)
	if !ok {
		return ExitError
	}
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return fail(env, "%v", err)
	}
	defer st.Close()
	reg, err := app.Detectors(cfg.Detectors, nil)
	if err != nil {
		return fail(env, "%v", err)
	}
	now := time.Now().UTC()
	samples, err := app.SampleFindings(reg, splitList(*types), *account, *region, now)
	if err != nil {
		return fail(env, "%v", err)
	}
	if _, err := st.Commit(ctx, &store.Batch{Findings: samples, Now: now}); err != nil {
		return fail(env, "%v", err)
	}
	d, err := app.NewDispatcher(cfg, st, app.Notifiers(), newLogger(env.Stderr, cfg.Log), nil)
	if err != nil {
		return fail(env, "%v", err)
	}
	ids := map[string]string{}
	for _, f := range samples {
		ids[f.ID] = f.Type
	}
	deadline := time.Now().Add(*wait)
	for {
		if _, err := d.RouteOnce(ctx); err != nil {
			return fail(env, "routing: %v", err)
		}
		if _, err := d.SendOnce(ctx); err != nil {
			return fail(env, "sending: %v", err)
		}
		rows, err := st.Outbox(ctx, "", 10000)
		if err != nil {
			return fail(env, "%v", err)
		}
		pending := 0
		for _, r := range rows {
			if _, ok := ids[r.FindingID]; ok && r.State == store.OutboxPending && r.CreatedAt.After(now.Add(-time.Second)) {
				pending++
			}
		}
		if pending == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return reportSamples(env, rows, ids, now)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func reportSamples(env Env, rows []store.OutboxRow, ids map[string]string, since time.Time) int {
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "FINDING TYPE\tTARGET\tSTATE\tATTEMPTS\tERROR")
	n, bad := 0, 0
	seen := map[string]bool{}
	for _, r := range rows {
		typ, ok := ids[r.FindingID]
		if !ok || r.CreatedAt.Before(since.Add(-time.Second)) {
			continue
		}
		seen[r.FindingID] = true
		n++
		if r.State != store.OutboxSent {
			bad++
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\n", typ, r.Target, r.State, r.Attempts, strings.ReplaceAll(r.LastError, "\n", " "))
	}
	w.Flush()
	fmt.Fprintf(env.Stdout, "%d sample findings, %d notifications (%d not delivered); %d samples routed nowhere (suppressed, below min_severity, or no route)\n",
		len(ids), n, bad, len(ids)-len(seen))
	if bad > 0 {
		return ExitFindings
	}
	return ExitOK
}

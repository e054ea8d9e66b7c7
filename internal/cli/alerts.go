package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/app"
	"github.com/picket-dev/picket/internal/store"
)

func cmdAlerts(ctx context.Context, env Env, args []string) int {
	subs := map[string]func(context.Context, Env, []string) int{
		"list":     alertsList,
		"show":     alertsShow,
		"ack":      func(ctx context.Context, env Env, a []string) int { return alertsAct(ctx, env, a, alert.Acknowledge) },
		"resolve":  func(ctx context.Context, env Env, a []string) int { return alertsAct(ctx, env, a, alert.Resolve) },
		"escalate": func(ctx context.Context, env Env, a []string) int { return alertsAct(ctx, env, a, alert.Escalate) },
		"archive":  func(ctx context.Context, env Env, a []string) int { return alertsAct(ctx, env, a, alert.Archive) },
		"stats":    alertsStats,
	}
	if len(args) == 0 || subs[args[0]] == nil {
		fmt.Fprintln(env.Stderr, "Usage: picket alerts list|show|ack|resolve|escalate|archive|stats -c picket.yaml ...")
		return ExitError
	}
	return subs[args[0]](ctx, env, args[1:])
}

func alertsList(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "alerts list", "-c picket.yaml [--all] [--account ID]")
	cfgPath := fs.String("c", "picket.yaml", "config file")
	all := fs.Bool("all", false, "closed alerts too")
	account := fs.String("account", "", "only this account")
	limit := fs.Int("limit", 100, "at most this many")
	if _, err := parse(fs, args); err != nil {
		return flagErr(err)
	}
	st, ok := openStoreFromConfig(ctx, env, *cfgPath)
	if !ok {
		return ExitError
	}
	defer st.Close()
	q := store.AlertQuery{Limit: *limit}
	if !*all {
		q.States = []alert.State{alert.New, alert.Notified, alert.Acknowledged}
	}
	if *account != "" {
		q.Accounts = []string{*account}
	}
	as, err := st.ListAlerts(ctx, q)
	if err != nil {
		return fail(env, "%v", err)
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSTATE\tSEVERITY\tTYPE\tACCOUNT\tCHANNEL\tCREATED\tESCALATED")
	for _, a := range as {
		esc := ""
		if a.Escalated {
			esc = "yes"
		}
		fmt.Fprintf(w, "%s\t%s\t%.1f\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.State, a.Severity, a.Type, a.Account, a.Route, a.CreatedAt.Format(time.RFC3339), esc)
	}
	w.Flush()
	return ExitOK
}

func alertsShow(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "alerts show", "-c picket.yaml ID")
	cfgPath := fs.String("c", "picket.yaml", "config file")
	ids, err := parse(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if len(ids) != 1 {
		return fail(env, "give one alert ID")
	}
	st, ok := openStoreFromConfig(ctx, env, *cfgPath)
	if !ok {
		return ExitError
	}
	defer st.Close()
	a, err := st.GetAlert(ctx, ids[0])
	if err != nil {
		return fail(env, "%v", err)
	}
	hist, err := st.AlertHistory(ctx, a.ID)
	if err != nil {
		return fail(env, "%v", err)
	}
	b, _ := json.MarshalIndent(map[string]any{"alert": a, "history": hist}, "", "  ")
	fmt.Fprintln(env.Stdout, string(b))
	return ExitOK
}

func alertsAct(ctx context.Context, env Env, args []string, kind alert.Kind) int {
	fs := newFlags(env, "alerts "+string(kind), "-c picket.yaml [--note TEXT] [--reason R] ID")
	cfgPath := fs.String("c", "picket.yaml", "config file")
	note := fs.String("note", "", "a note for the history")
	reason := fs.String("reason", "", "archive reason: "+reasonList())
	actor := fs.String("actor", "cli:"+currentUser(), "who acts (history)")
	ids, err := parse(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if len(ids) != 1 {
		return fail(env, "give one alert ID")
	}
	act := alert.Action{Kind: kind, Actor: *actor, Note: *note, At: time.Now().UTC()}
	if kind == alert.Archive {
		r, err := alert.ParseReason(*reason)
		if err != nil {
			return fail(env, "--reason: %v", err)
		}
		act.Reason = r
	}
	st, ok := openStoreFromConfig(ctx, env, *cfgPath)
	if !ok {
		return ExitError
	}
	defer st.Close()
	a, tr, err := st.ApplyAlert(ctx, ids[0], nil, act)
	if err != nil {
		return fail(env, "%v", err)
	}
	fmt.Fprintf(env.Stdout, "alert %s: %s → %s\n", a.ID, tr.From, tr.To)
	return ExitOK
}

func reasonList() string {
	var s []string
	for _, r := range alert.Reasons {
		s = append(s, string(r))
	}
	return strings.Join(s, ", ")
}

func alertsStats(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "alerts stats", "-c picket.yaml [--since 30d] [--by account|type|severity|channel|all] [--json]")
	cfgPath := fs.String("c", "picket.yaml", "config file")
	since := fs.String("since", "30d", "alerts created within this long (e.g. 30d, 12h)")
	by := fs.String("by", "severity", "group by: "+strings.Join(alert.Groupings, ", "))
	asJSON := fs.Bool("json", false, "JSON output")
	if _, err := parse(fs, args); err != nil {
		return flagErr(err)
	}
	window, err := parseDays(*since)
	if err != nil {
		return fail(env, "--since: %v", err)
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
	now := time.Now().UTC()
	as, err := st.ListAlerts(ctx, store.AlertQuery{Since: now.Add(-window), Limit: 100000})
	if err != nil {
		return fail(env, "%v", err)
	}
	rows, err := alert.Stats(as, *by, cfg.Alerts.SLA(), now)
	if err != nil {
		return fail(env, "--by: %v", err)
	}
	if *asJSON {
		b, _ := json.MarshalIndent(rows, "", "  ")
		fmt.Fprintln(env.Stdout, string(b))
		return ExitOK
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "%s\tALERTS\tOPEN\tPAST SLA\tNOTIFY p50/p90\tACK p50/p90\tCLOSE p50/p90\n", strings.ToUpper(*by))
	d := func(x time.Duration) string {
		if x == 0 {
			return "-"
		}
		return x.Round(time.Second).String()
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%s / %s\t%s / %s\t%s / %s\n", r.Key, r.Alerts, r.Open, r.PastSLA,
			d(r.NotifyP50), d(r.NotifyP90), d(r.AckP50), d(r.AckP90), d(r.CloseP50), d(r.CloseP90))
	}
	w.Flush()
	return ExitOK
}

// parseDays reads a duration that may be written in days ("30d").
func parseDays(s string) (time.Duration, error) {
	if strings.HasSuffix(s, "d") {
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("invalid %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("invalid %q", s)
	}
	return d, nil
}

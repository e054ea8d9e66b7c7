package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/picket-dev/picket/internal/app"
	"github.com/picket-dev/picket/internal/config"
	"github.com/picket-dev/picket/internal/report"
	"github.com/picket-dev/picket/internal/store"
	"github.com/picket-dev/picket/internal/web"
)

func cmdFindings(ctx context.Context, env Env, args []string) int {
	subs := map[string]func(context.Context, Env, []string) int{
		"list":      findingsList,
		"show":      findingsShow,
		"archive":   func(ctx context.Context, env Env, a []string) int { return findingsArchive(ctx, env, a, true) },
		"unarchive": func(ctx context.Context, env Env, a []string) int { return findingsArchive(ctx, env, a, false) },
	}
	if len(args) == 0 || subs[args[0]] == nil {
		fmt.Fprintln(env.Stderr, "Usage: picket findings list|show|archive|unarchive [flags] [ID...]")
		fmt.Fprintln(env.Stderr, "  The store is the one in -c picket.yaml, or the SQLite file --db, or ./picket-data/picket.db.")
		return ExitError
	}
	return subs[args[0]](ctx, env, args[1:])
}

// storeFlags are the flags naming the store.
type storeFlags struct{ cfg, db *string }

func addStoreFlags(fs *flag.FlagSet) storeFlags {
	return storeFlags{
		cfg: fs.String("c", "", "config file naming the store"),
		db:  fs.String("db", "", "SQLite store file (instead of -c)"),
	}
}

// open opens the store the flags name. A SQLite file must already exist:
// reading findings never creates an empty store by mistake.
func (sf storeFlags) open(ctx context.Context, env Env) (store.Store, bool) {
	var cfg *config.Config
	switch {
	case *sf.db != "":
		cfg = config.Default()
		cfg.Store.SQLite.Path = *sf.db
	case *sf.cfg != "":
		c, ok := loadConfig(env, *sf.cfg, func(c *config.Config) error {
			// Only the store section matters here: sources may be absent on this machine.
			c.Sources = nil
			return app.Validate(c)
		})
		if !ok {
			return nil, false
		}
		cfg = c
	default:
		cfg = config.Default()
	}
	if cfg.Store.Driver == "sqlite" && !exists(cfg.Store.SQLite.Path) {
		fail(env, "no store at %s (run 'picket run' or 'picket demo' first, or name it with --db or -c)", cfg.Store.SQLite.Path)
		return nil, false
	}
	s, err := app.OpenStore(ctx, cfg)
	if err != nil {
		fail(env, "%v", err)
		return nil, false
	}
	return s, true
}

func findingsList(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "findings list", "[flags]")
	sf := addStoreFlags(fs)
	format := fs.String("format", "table", "output format: table, json or jsonl")
	account := fs.String("account", "", "account IDs, comma-separated")
	typ := fs.String("type", "", "finding types, comma-separated")
	region := fs.String("region", "", "regions, comma-separated")
	severity := fs.String("severity", "", "minimum severity: low, medium, high, critical or a number")
	archived := fs.Bool("archived", false, "list archived findings instead of current ones")
	all := fs.Bool("all", false, "list archived and current findings")
	since := fs.String("since", "", "only findings updated at or after this RFC 3339 time")
	limit := fs.Int("limit", 100, "at most this many findings (1-1000)")
	offset := fs.Int("offset", 0, "skip this many findings")
	if _, err := parse(fs, args); err != nil {
		return flagErr(err)
	}
	if !slices.Contains(report.Formats, *format) {
		return fail(env, "--format: want one of %s, got %q", strings.Join(report.Formats, ", "), *format)
	}
	params := map[string][]string{
		"account": {*account}, "type": {*typ}, "region": {*region}, "severity": {*severity}, "since": {*since},
		"limit": {fmt.Sprint(*limit)}, "offset": {fmt.Sprint(*offset)},
	}
	if !*all {
		params["archived"] = []string{fmt.Sprint(*archived)}
	}
	q, err := web.ParseFindingQuery(func(k string) []string { return params[k] })
	if err != nil {
		return fail(env, "%v", err)
	}
	s, ok := sf.open(ctx, env)
	if !ok {
		return ExitError
	}
	defer s.Close()
	list, total, err := s.ListFindings(ctx, q)
	if err != nil {
		return fail(env, "%v", err)
	}
	if err := report.Write(env.Stdout, *format, list, nil); err != nil {
		return fail(env, "%v", err)
	}
	if *format == "table" {
		fmt.Fprintf(env.Stderr, "\n%d of %d matching findings shown.\n", len(list), total)
	}
	return ExitOK
}

func findingsShow(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "findings show", "[flags] ID...")
	sf := addStoreFlags(fs)
	ids, err := parse(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if len(ids) == 0 {
		fs.Usage()
		return ExitError
	}
	s, ok := sf.open(ctx, env)
	if !ok {
		return ExitError
	}
	defer s.Close()
	code := ExitOK
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	for _, id := range ids {
		f, err := s.GetFinding(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			code = fail(env, "finding %s not found", report.Clean(id))
			continue
		}
		if err != nil {
			return fail(env, "%v", err)
		}
		ev, err := s.Evidence(ctx, id)
		if err != nil {
			return fail(env, "%v", err)
		}
		if err := enc.Encode(web.FindingDetail{Finding: f, Evidence: web.EvidenceView(ev)}); err != nil {
			return fail(env, "%v", err)
		}
	}
	return code
}

func findingsArchive(ctx context.Context, env Env, args []string, archived bool) int {
	verb := map[bool]string{true: "archive", false: "unarchive"}[archived]
	fs := newFlags(env, "findings "+verb, "[flags] ID...")
	sf := addStoreFlags(fs)
	ids, err := parse(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if len(ids) == 0 {
		fs.Usage()
		return ExitError
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	s, ok := sf.open(ctx, env)
	if !ok {
		return ExitError
	}
	defer s.Close()
	var missing []string
	for _, id := range ids {
		if _, err := s.GetFinding(ctx, id); errors.Is(err, store.ErrNotFound) {
			missing = append(missing, report.Clean(id))
		} else if err != nil {
			return fail(env, "%v", err)
		}
	}
	n, err := s.SetArchived(ctx, ids, archived, time.Now())
	if err != nil {
		return fail(env, "%v", err)
	}
	fmt.Fprintf(env.Stdout, "%sd %d finding(s); %d already were.\n", verb, n, len(ids)-len(missing)-n)
	if len(missing) > 0 {
		return fail(env, "not found: %s", strings.Join(missing, ", "))
	}
	return ExitOK
}

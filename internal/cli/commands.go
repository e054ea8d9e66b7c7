package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"strings"

	"github.com/picket-dev/picket/internal/app"
	"github.com/picket-dev/picket/internal/bench"
	"github.com/picket-dev/picket/internal/config"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/intel"
	"github.com/picket-dev/picket/internal/report"
	"github.com/picket-dev/picket/internal/source"
	"github.com/picket-dev/picket/internal/web"
)

func cmdRun(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "run", "-c picket.yaml")
	cfgPath := fs.String("c", "picket.yaml", "config file")
	if _, err := parse(fs, args); err != nil {
		return flagErr(err)
	}
	cfg, ok := loadConfig(env, *cfgPath, app.Validate)
	if !ok {
		return ExitError
	}
	log := newLogger(env.Stderr, cfg.Log)
	a, err := app.New(ctx, cfg, app.Options{Log: log})
	if err != nil {
		log.Error("starting failed", "err", err)
		return ExitError
	}
	defer a.Close()
	if err := a.Run(ctx, env.Stdin); err != nil && ctx.Err() == nil {
		log.Error("stopped", "err", err)
		return ExitError
	}
	log.Info("stopped")
	return ExitOK
}

// checkLists loads the config's threat lists and reports each that fails
// as a problem; lists with bad lines are mentioned on stdout.
func checkLists(ctx context.Context, env Env, c *config.Config) error {
	_, changes, _ := intel.Load(ctx, c.Intel, intel.Options{})
	var ps config.Problems
	for _, l := range changes.Lists {
		if l.Err != nil {
			ps = append(ps, config.Problem{Field: "intel.lists", Msg: fmt.Sprintf("list %s: %v", l.List, l.Err)})
			continue
		}
		fmt.Fprintf(env.Stdout, "threat list %s: %d entries", report.Escape(l.List), l.Entries)
		if l.Bad > 0 {
			fmt.Fprintf(env.Stdout, ", %d bad lines (first: %s)", l.Bad, report.Escape(l.BadLines[0].String()))
		}
		fmt.Fprintln(env.Stdout)
	}
	if len(ps) > 0 {
		return ps
	}
	return nil
}

func cmdCheckConfig(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "check-config", "-c picket.yaml")
	cfgPath := fs.String("c", "picket.yaml", "config file")
	if _, err := parse(fs, args); err != nil {
		return flagErr(err)
	}
	c, err := config.Load(*cfgPath)
	if c != nil {
		// Decoding problems and validation problems, reported together.
		err = config.Merge(err, app.Validate(c))
	}
	if err == nil && len(c.Intel.Lists) > 0 {
		// Load the threat lists too: a missing or unreadable list is a
		// config problem, found now rather than by a warning in the log.
		err = checkLists(ctx, env, c)
	}
	if err != nil {
		printProblems(env.Stdout, *cfgPath, err)
		return ExitFindings
	}
	fmt.Fprintf(env.Stdout, "%s: OK (store %s, %d sources, %d threat lists)\n", *cfgPath, c.Store.Driver, len(c.Sources), len(c.Intel.Lists))
	return ExitOK
}

func cmdScan(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "scan", "[flags] PATH...")
	format := fs.String("format", "table", "output format: table, json or jsonl")
	failOn := fs.String("fail-on", "", "exit 1 when a finding is at or above this severity: low, medium, high or critical")
	sel := fs.String("select", "", `detectors by name or tag, e.g. "+cloudtrail,-pentest"`)
	inFormat := fs.String("input-format", "auto", "log format of the files: auto (each file's from its first bytes), cloudtrail, vpcflow or dns")
	cfgPath := fs.String("c", "", "picket.yaml whose detectors and intel sections to use (threat lists, thresholds)")
	include := fs.String("include", strings.Join(config.DefaultInclude, ","), "file name patterns read from directories, comma-separated")
	showQ := fs.Bool("quarantine", false, "list the quarantined records on stderr")
	rules := fs.String("rules", "", "Sigma rule files or directories, comma-separated (added to the config's)")
	paths, err := parse(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if len(paths) == 0 {
		fs.Usage()
		return ExitError
	}
	if !slices.Contains(report.Formats, *format) {
		return fail(env, "--format: want one of %s, got %q", strings.Join(report.Formats, ", "), *format)
	}
	var threshold finding.Label
	if *failOn != "" {
		if threshold, err = finding.ParseLabel(*failOn); err != nil {
			return fail(env, "--fail-on: %v", err)
		}
	}
	opts := app.ScanOptions{
		Paths: paths, Stdin: env.Stdin, Format: *inFormat, Select: *sel,
		Include: source.Matcher(splitList(*include)),
	}
	if *cfgPath != "" {
		c, ok := loadConfig(env, *cfgPath, func(c *config.Config) error {
			c.Sources = nil // a scan reads the paths it is given
			return app.Validate(c)
		})
		if !ok {
			return ExitError
		}
		opts.Detectors, opts.Intel = c.Detectors, c.Intel
		opts.BatchSize, opts.MaxRecordBytes, opts.EvidenceLimit = c.Pipeline.BatchSize, c.Pipeline.MaxRecordBytes, c.Pipeline.EvidencePerFinding
	}
	if *rules != "" {
		opts.Detectors.Sigma.Rules = append(opts.Detectors.Sigma.Rules, splitList(*rules)...)
	}
	rep, err := app.Scan(ctx, opts)
	if err != nil {
		return fail(env, "%v", err)
	}
	if err := report.Write(env.Stdout, *format, rep.Findings, &rep.Summary); err != nil {
		return fail(env, "%v", err)
	}
	s := rep.Summary
	fmt.Fprintf(env.Stderr, "\n%s. Read %d files: %d records, %d events, %d skipped, %d quarantined.\n",
		report.CountLine(rep.Findings), s.Objects, s.Records, s.Events, s.Skipped, s.Quarantined)
	if s.Quarantined > 0 {
		if *showQ {
			for _, q := range rep.Quarantine {
				fmt.Fprintf(env.Stderr, "  quarantined %s record %d (line %d, offset %d): %s\n",
					report.Escape(q.Origin.Path), q.Origin.Index, q.Origin.Line, q.Origin.Offset, report.Escape(q.Reason))
			}
			if int64(len(rep.Quarantine)) < s.Quarantined {
				fmt.Fprintf(env.Stderr, "  … and %d more\n", s.Quarantined-int64(len(rep.Quarantine)))
			}
		} else {
			fmt.Fprintln(env.Stderr, "Run with --quarantine to list the bad records and why.")
		}
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(env.Stderr, "picket: %s\n", report.Escape(e.Error()))
	}
	if threshold != 0 {
		for i := range rep.Findings {
			if rep.Findings[i].SeverityLabel() >= threshold {
				return ExitFindings
			}
		}
	}
	if len(rep.Errors) > 0 {
		return ExitError
	}
	return ExitOK
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func cmdDemo(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "demo", "[flags]")
	dataDir := fs.String("data-dir", "picket-demo-data", "directory of the demo's SQLite store")
	listen := fs.String("listen", config.DefaultListen, `API address, or "off" to print the findings and exit`)
	if _, err := parse(fs, args); err != nil {
		return flagErr(err)
	}
	log := newLogger(env.Stderr, config.LogConfig{Level: "warn"})
	err := app.Demo(ctx, app.DemoOptions{DataDir: *dataDir, Listen: *listen, Out: env.Stdout, Log: log})
	if err != nil && ctx.Err() == nil {
		return fail(env, "demo: %v", err)
	}
	return ExitOK
}

func cmdBench(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "bench", "[flags]")
	records := fs.Int("records", bench.DefaultRecords, "CloudTrail records in the corpus")
	dir := fs.String("dir", "", "where to write the corpus (default: a temporary directory, removed after)")
	corpus := fs.String("corpus", "", "measure this directory of log files instead of a generated corpus")
	cores := fs.Int("cores", 1, "GOMAXPROCS while measuring")
	rounds := fs.Int("rounds", 3, "measured rounds per input (the fastest is reported)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured rounds to this file")
	if _, err := parse(fs, args); err != nil {
		return flagErr(err)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fail(env, "%v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fail(env, "%v", err)
		}
		defer pprof.StopCPUProfile()
	}
	scan := func(ctx context.Context, paths []string) (int64, int, int64, error) {
		rep, err := app.Scan(ctx, app.ScanOptions{Paths: paths})
		if err != nil {
			return 0, 0, 0, err
		}
		if len(rep.Errors) > 0 {
			return 0, 0, 0, rep.Errors[0]
		}
		return rep.Summary.Events, len(rep.Findings), rep.Summary.Bytes, nil
	}
	rs, err := bench.Run(ctx, bench.RunOptions{Records: *records, Dir: *dir, Corpus: *corpus, Cores: *cores, Rounds: *rounds}, scan, env.Stderr)
	if err != nil {
		return fail(env, "bench: %v", err)
	}
	bench.Print(env.Stdout, *cores, rs)
	return ExitOK
}

// exists reports whether a file exists.
func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// cmdHashPassword hashes a password read from stdin (one line), so it
// never appears in a process list or shell history.
func cmdHashPassword(_ context.Context, env Env, args []string) int {
	fs := newFlags(env, "hash-password", "< password")
	if _, err := parse(fs, args); err != nil {
		return flagErr(err)
	}
	line, err := bufio.NewReader(io.LimitReader(env.Stdin, 1024)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fail(env, "reading the password: %v", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if len(pw) < 12 {
		return fail(env, "the password must have at least 12 characters")
	}
	h, err := web.HashPassword(pw)
	if err != nil {
		return fail(env, "%v", err)
	}
	fmt.Fprintln(env.Stdout, h)
	return ExitOK
}

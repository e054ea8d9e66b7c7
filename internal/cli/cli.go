// Package cli is the picket command line: it parses flags into options and
// calls package app. Exit codes: 0 success, 1 a result the user asked to
// fail on (findings at or above --fail-on, config problems), 2 usage or
// runtime errors.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/picket-dev/picket/internal/config"
)

// Exit codes.
const (
	ExitOK       = 0
	ExitFindings = 1 // scan found something at or above --fail-on; check-config found problems
	ExitError    = 2
)

// Env is what a command sees of its process.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

type command struct {
	name, args, help string
	run              func(ctx context.Context, env Env, args []string) int
}

func commands() []command {
	return []command{
		{"run", "-c picket.yaml", "run the server: ingest the configured sources, serve the API", cmdRun},
		{"scan", "[flags] PATH...", "detect offline over files and directories ('-' reads stdin)", cmdScan},
		{"demo", "[flags]", "ingest the bundled attack scenario and serve the API", cmdDemo},
		{"check-config", "-c picket.yaml", "report every problem of a config file", cmdCheckConfig},
		{"findings", "list|show|archive|unarchive", "read and archive stored findings", cmdFindings},
		{"alerts", "list|show|ack|resolve|escalate|archive|stats -c picket.yaml", "handle alerts and measure response times", cmdAlerts},
		{"suppress", "list|add|preview|remove -c picket.yaml", "manage suppression rules (GuardDuty filter criteria)", cmdSuppress},
		{"sample-findings", "-c picket.yaml [--type T]", "store one sample finding per type and send them through routing and notification", cmdSampleFindings},
		{"rules", "list|lint|test [PATH...]", "list detectors and rules, lint Sigma rules, run rule tests", cmdRules},
		{"bench", "[flags]", "measure scan throughput on a generated CloudTrail corpus", cmdBench},
		{"hash-password", "", "read a console password on stdin and print its bcrypt hash for http.users[].password_hash", cmdHashPassword},
		{"version", "", "print the version", cmdVersion},
	}
}

// Version is set at build time with -ldflags "-X ...cli.Version=…".
var Version = "dev"

// Main runs the picket command line and returns the exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stdout)
		if len(args) == 0 {
			return ExitError
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, env, args[1:])
		}
	}
	fmt.Fprintf(env.Stderr, "picket: unknown command %q\n\n", args[0])
	usage(env.Stderr)
	return ExitError
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "picket: threat detection and alert response for AWS")
	fmt.Fprintln(w, "\nUsage:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  picket %-13s %-30s %s\n", c.name, c.args, c.help)
	}
	fmt.Fprintln(w, "\nRun 'picket COMMAND -h' for a command's flags.")
}

// newFlags makes a flag set that reports to stderr.
func newFlags(env Env, name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet("picket "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: picket %s %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags placed anywhere among the positional arguments
// (picket scan logs/ --format json), which the flag package alone does not.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		// Parse consumes a "--" it stops at: everything after it is positional.
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// flagErr turns a flag parsing error into an exit code.
func flagErr(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	return ExitError
}

func fail(env Env, format string, args ...any) int {
	fmt.Fprintf(env.Stderr, "picket: "+format+"\n", args...)
	return ExitError
}

// newLogger builds the process logger from the config's log section.
func newLogger(w io.Writer, c config.LogConfig) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// loadConfig loads and validates a config file, printing every problem.
func loadConfig(env Env, path string, validate func(*config.Config) error) (*config.Config, bool) {
	if path == "" {
		fmt.Fprintln(env.Stderr, "picket: -c picket.yaml is required")
		return nil, false
	}
	c, err := config.Load(path)
	if c != nil {
		err = config.Merge(err, validate(c))
	}
	if err != nil {
		printProblems(env.Stderr, path, err)
		return nil, false
	}
	return c, true
}

func printProblems(w io.Writer, path string, err error) {
	var ps config.Problems
	if errors.As(err, &ps) {
		fmt.Fprintf(w, "%s: %d problem(s):\n", path, len(ps))
		for _, p := range ps {
			fmt.Fprintf(w, "  %s\n", p)
		}
		return
	}
	msg := err.Error()
	fmt.Fprintf(w, "picket: %s\n", strings.TrimSpace(msg))
}

func cmdVersion(_ context.Context, env Env, _ []string) int {
	fmt.Fprintf(env.Stdout, "picket %s\n", Version)
	return ExitOK
}

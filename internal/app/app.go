// Package app wires Picket's stages into the running system: it builds the
// registries (decoders, detectors), opens the store, runs the sources
// through the pipeline and serves the HTTP API. cmd/picket only parses
// flags; tests start the whole system in-process through this package.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/alert/worker"
	"github.com/picket-dev/picket/internal/awsip"
	"github.com/picket-dev/picket/internal/config"
	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/abuse"
	"github.com/picket-dev/picket/internal/decode/asff"
	"github.com/picket-dev/picket/internal/decode/cloudtrail"
	"github.com/picket-dev/picket/internal/decode/dnslog"
	"github.com/picket-dev/picket/internal/decode/guardduty"
	"github.com/picket-dev/picket/internal/decode/k8saudit"
	"github.com/picket-dev/picket/internal/decode/vpcflow"
	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/detect/baseline"
	"github.com/picket-dev/picket/internal/detect/builtin"
	"github.com/picket-dev/picket/internal/detect/credexfil"
	"github.com/picket-dev/picket/internal/detect/dnsquery"
	"github.com/picket-dev/picket/internal/detect/external"
	"github.com/picket-dev/picket/internal/detect/netflow"
	"github.com/picket-dev/picket/internal/detect/sequence"
	"github.com/picket-dev/picket/internal/detect/sigma"
	"github.com/picket-dev/picket/internal/detect/threatintel"
	"github.com/picket-dev/picket/internal/geoasn"
	"github.com/picket-dev/picket/internal/intel"
	"github.com/picket-dev/picket/internal/pipeline"
	"github.com/picket-dev/picket/internal/receiver"
	"github.com/picket-dev/picket/internal/route"
	"github.com/picket-dev/picket/internal/runbook"
	"github.com/picket-dev/picket/internal/slackbot"
	"github.com/picket-dev/picket/internal/source"
	"github.com/picket-dev/picket/internal/store"
	"github.com/picket-dev/picket/internal/store/postgres"
	"github.com/picket-dev/picket/internal/store/sqlite"
	"github.com/picket-dev/picket/internal/web"
)

// Decoders is the registry of log formats: adding one is one line here.
func Decoders() *decode.Registry {
	r, err := decode.NewRegistry(map[string]decode.Factory{
		cloudtrail.Format: cloudtrail.New,
		dnslog.Format:     dnslog.New,
		k8saudit.Format:   k8saudit.New,
		guardduty.Format:  guardduty.New,
		asff.Format:       asff.New,
		abuse.Format:      abuse.New,
		vpcflow.Format:    vpcflow.New,
	})
	if err != nil { // only if the table above is wrong
		panic(err)
	}
	return r
}

// SniffFormat names a file's format from its first bytes: the formats
// that recognise themselves (Kubernetes audit logs) first, then
// decode.Sniff (CloudTrail, VPC Flow Logs, Route 53 Resolver logs).
func SniffFormat(head []byte) string {
	switch {
	case k8saudit.Sniff(head):
		return k8saudit.Format
	case guardduty.Sniff(head):
		return guardduty.Format
	case asff.Sniff(head):
		return asff.Format
	case abuse.Sniff(head):
		return abuse.Format
	}
	return decode.Sniff(head)
}

// Detectors is the registry of detectors, configured by d, the threat
// intelligence ones asking lookup (nil: no lists). Every call makes new
// detectors and loads their data anew (see DetectorsShared).
func Detectors(d config.DetectorsConfig, lookup threatintel.Lookup) (*detect.Registry, error) {
	sh, err := NewShared(d, nil)
	if err != nil {
		return nil, err
	}
	return DetectorsShared(d, lookup, sh)
}

// Shared is what the detectors of every pipeline of a process share:
// loaded data, and the detectors whose state is one per installation
// (safe for concurrent use, persisted in the store).
type Shared struct {
	Ranges   *awsip.Ranges      // AWS's address ranges; nil when not configured
	Baseline *baseline.Detector // behaviour baselines, one per process
	Sequence *sequence.Correlator
}

// NewShared loads the shared detector data d names. log (nil: discard)
// hears about detectors left out for want of data.
func NewShared(d config.DetectorsConfig, log *slog.Logger) (*Shared, error) {
	bo := baseline.Options{LearningWindow: d.Baseline.LearningWindow, MinEvents: d.Baseline.MinEvents, MinDays: d.Baseline.MinDays,
		MaxPrincipals: d.Baseline.MaxPrincipals, VolumeFloor: d.Baseline.VolumeFloor}
	if p := d.Baseline.ASNFile; p != "" {
		t, err := geoasn.Load(p)
		if err != nil {
			return nil, fmt.Errorf("detectors.baseline.asn_file: %w", err)
		}
		bo.ASN = t
	}
	chains, err := sequence.Default()
	if err != nil {
		return nil, fmt.Errorf("attack sequences: %w", err)
	}
	seq, err := sequence.New(chains, sequence.Options{})
	if err != nil {
		return nil, err
	}
	sh := &Shared{Baseline: baseline.New(bo), Sequence: seq}
	if p := d.AWSIPRanges; p != "" {
		r, err := awsip.Load(p)
		if err != nil {
			return nil, fmt.Errorf("detectors.aws_ip_ranges: %w", err)
		}
		sh.Ranges = r
	} else if log != nil {
		log.Warn("credential exfiltration detectors are off: set detectors.aws_ip_ranges to AWS's ip-ranges.json")
	}
	return sh, nil
}

// DetectorsShared is Detectors with the shared data and stateful
// detectors of sh: the stateless ones are new on every call.
func DetectorsShared(d config.DetectorsConfig, lookup threatintel.Lookup, sh *Shared) (*detect.Registry, error) {
	if lookup == nil {
		lookup = noIntel{}
	}
	all := builtin.All()
	var own []netip.Prefix
	for _, p := range d.Credentials.OwnPrefixes {
		if pr, err := config.ParsePrefixOrAddr(p); err == nil {
			own = append(own, pr)
		}
	}
	creds, err := credexfil.New(sh.Ranges, credexfil.Options{OwnPrefixes: own, OwnAccounts: d.Credentials.OwnAccounts})
	if err != nil && !errors.Is(err, credexfil.ErrNoRanges) {
		return nil, err
	}
	all = append(all, creds...)
	all = append(all, sh.Baseline, sh.Sequence)
	all = append(all, external.New())
	all = append(all, netflow.All(d.Network)...)
	all = append(all, dnsquery.All(d.DNS)...)
	all = append(all, threatintel.All(lookup, threatintel.Options{
		LocalNetworks: d.Network.LocalNetworks, Window: d.Network.Window, MaxEntities: d.Network.MaxEntities,
	})...)
	rules, _ := SigmaRules(d.Sigma)
	for _, r := range rules {
		all = append(all, r)
	}
	return detect.NewRegistry(all...)
}

// SigmaRules loads and compiles the configured Sigma rules. Rules with
// problems are left out and reported (a deprecated rule as a skipped
// notice, see sigma.Error.Skipped); the rest load.
func SigmaRules(c config.SigmaConfig) ([]*sigma.CompiledRule, []error) {
	if len(c.Rules) == 0 {
		return nil, nil
	}
	parsed, errs := sigma.LoadPaths(c.Rules...)
	rules, cerrs := sigma.Compile(parsed, sigma.Options{Placeholders: c.Placeholders, Shadow: c.Shadow, MaxGroups: c.MaxGroups})
	return rules, append(errs, cerrs...)
}

// EngineDetectors prepares selected detectors for an engine: the Sigma
// rules among them are evaluated together, in one pass per event.
func EngineDetectors(sel []detect.Detector) []detect.Detector { return sigma.Collapse(sel) }

// noIntel is the lookup when no lists are loaded.
type noIntel struct{}

func (noIntel) CheckIP(netip.Addr) intel.Result { return intel.Result{} }
func (noIntel) CheckDomain(string) intel.Result { return intel.Result{} }

// Validate checks cfg against the registries (formats, detector names) and
// resolves its secrets; the error lists every problem.
func Validate(cfg *config.Config) error {
	dets, err := Detectors(cfg.Detectors, nil)
	if err != nil {
		return err
	}
	decoders := Decoders()
	var ruleProblems []string
	if _, errs := SigmaRules(cfg.Detectors.Sigma); len(errs) > 0 {
		for _, e := range errs {
			if se, ok := e.(*sigma.Error); ok && se.Skipped {
				continue
			}
			ruleProblems = append(ruleProblems, e.Error())
		}
	}
	return cfg.Validate(config.Checks{
		Formats: func(f string) bool { return f == pipeline.FormatAuto || decoders.Has(f) },
		FormatOptions: func(format string, opts map[string]string) error {
			if format == pipeline.FormatAuto {
				if len(opts) > 0 {
					return fmt.Errorf("options need an explicit format (vpcflow, dns or cloudtrail), not %s", format)
				}
				return nil
			}
			d, err := decoders.New(format)
			if err != nil {
				return err
			}
			if pc, ok := d.(decode.ParamChecker); ok {
				return pc.CheckParams(opts)
			}
			if len(opts) > 0 {
				return fmt.Errorf("format %s takes no options", format)
			}
			return nil
		},
		SelectCheck: func(expr string, disabled []string) error {
			_, err := dets.Select(expr, disabled)
			return err
		},
		SigmaCheck: func() []string { return ruleProblems },
	})
}

// OpenStore opens the store cfg names. cfg must be validated (the DSN is
// resolved by Validate).
func OpenStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	switch cfg.Store.Driver {
	case "postgres":
		return postgres.Open(ctx, cfg.PostgresDSN.Reveal())
	case "sqlite", "":
		return sqlite.Open(ctx, cfg.Store.SQLite.Path)
	}
	return nil, fmt.Errorf("unknown store driver %q", cfg.Store.Driver)
}

// App is a running Picket: store, pipeline and HTTP server.
type App struct {
	cfg      *config.Config
	log      *slog.Logger
	store    store.Store
	intel    *intel.Set
	pipe     *pipeline.Pipeline // the sources' pipeline (one goroutine)
	newPipe  func() *pipeline.Pipeline
	registry *prometheus.Registry
	now      func() time.Time
	// dispatch routes stored findings and sends notifications (nil when
	// the config routes nowhere).
	dispatch    *route.Dispatcher
	accountsMod time.Time
	receiver    *receiver.Receiver // POST /v1/ingest/{source}; nil without http sources
	slackBot    *slackbot.Bot      // the Slack app; nil when not configured
	runbooks    *runbook.Set       // built-in runbooks and the configured directory's
	routingPoll time.Duration      // how often the accounts file and suppression rules are checked; default 10s
	health      *sourceHealth      // ingest counters for the dashboard
}

// Options are what New takes besides the config.
type Options struct {
	Log   *slog.Logger     // nil: discard
	Store store.Store      // nil: open the one cfg names
	Now   func() time.Time // nil: time.Now
}

// New builds an App from a validated config.
func New(ctx context.Context, cfg *config.Config, o Options) (*App, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	lists, changes, err := intel.Load(ctx, cfg.Intel, intel.Options{Logger: o.Log})
	if lists == nil {
		return nil, fmt.Errorf("threat intelligence: %w", err)
	}
	if err != nil {
		o.Log.Warn("some threat intelligence lists could not be loaded", "err", err)
	}
	for _, l := range changes.Lists {
		if l.Err != nil {
			o.Log.Warn("threat intelligence list not loaded", "list", l.List, "err", l.Err)
			continue
		}
		o.Log.Info("threat intelligence list loaded", "list", l.List, "entries", l.Entries, "bad_lines", l.Bad)
	}
	_, ruleErrs := SigmaRules(cfg.Detectors.Sigma)
	for _, e := range ruleErrs {
		var se *sigma.Error
		if errors.As(e, &se) && se.Skipped {
			o.Log.Info("sigma rule skipped", "rule", se.Rule, "file", se.File, "reason", se.Err)
			continue
		}
		o.Log.Warn("sigma rule not loaded", "err", e)
	}
	shared, err := NewShared(cfg.Detectors, o.Log)
	if err != nil {
		return nil, err
	}
	dets, err := DetectorsShared(cfg.Detectors, lists, shared)
	if err != nil {
		return nil, err
	}
	selected, err := dets.Select(cfg.Detectors.Select, cfg.Detectors.Disabled)
	if err != nil {
		return nil, fmt.Errorf("selecting detectors: %w", err)
	}
	st := o.Store
	if st == nil {
		if st, err = OpenStore(ctx, cfg); err != nil {
			return nil, err
		}
	}
	if err := restoreState(ctx, st, shared.stateful(), o.Log); err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := pipeline.NewMetrics(reg)
	states := newStateCollector(lists)
	reg.MustRegister(states)
	var dispatch *route.Dispatcher
	var accountsMod time.Time
	var sink pipeline.Sink = st
	if routingEnabled(cfg.Routing) {
		tab, mod, err := routingTable(cfg)
		if err != nil {
			return nil, err
		}
		accountsMod = mod
		host, _ := os.Hostname()
		dispatch = route.NewDispatcher(st, tab, Notifiers(), fmt.Sprintf("%s/%d", host, os.Getpid()), o.Now, o.Log, route.NewMetrics(reg))
		if cfg.Routing.Lease > 0 {
			dispatch.Lease = cfg.Routing.Lease
		}
		if err := setPolicy(dispatch, cfg); err != nil {
			return nil, err
		}
		dispatch.SLA = cfg.Alerts.SLA()
		sink = wakingSink{st, dispatch.Wake}
		reg.MustRegister(outboxCollector{st}, alertCollector{st: st, sla: cfg.Alerts.SLA(), now: o.Now})
	}
	// Each reading goroutine gets its own pipeline: decoders and detectors
	// keep state and are not shared. Detectors are built anew for each.
	newPipe := func() *pipeline.Pipeline {
		dets, _ := DetectorsShared(cfg.Detectors, lists, shared)
		sel, _ := dets.Select(cfg.Detectors.Select, cfg.Detectors.Disabled)
		en := detect.NewEngine(EngineDetectors(sel), o.Now)
		states.add(en)
		return pipeline.New(Decoders(), en, sink, pipeline.Options{
			BatchSize:      cfg.Pipeline.BatchSize,
			MaxRecordBytes: cfg.Pipeline.MaxRecordBytes,
			EvidenceLimit:  cfg.Pipeline.EvidencePerFinding,
			Now:            o.Now,
			Sniff:          SniffFormat,
		}, metrics, o.Log)
	}
	o.Log.Info("picket ready", "store", cfg.Store.Driver, "detectors", len(selected), "sources", len(cfg.Sources))
	a := &App{cfg: cfg, log: o.Log, store: st, intel: lists, pipe: newPipe(), newPipe: newPipe, registry: reg, now: o.Now,
		dispatch: dispatch, accountsMod: accountsMod, health: &sourceHealth{reg: reg, now: o.Now, last: map[string]healthSample{}}}
	rcv, err := receiverFor(a)
	if err != nil {
		return nil, fmt.Errorf("http sources: %w", err)
	}
	if rcv != nil {
		a.receiver = rcv
		reg.MustRegister(rcv.Collectors()...)
	}
	a.runbooks = runbook.Defaults()
	if d := cfg.Alerts.Runbooks; d != "" {
		own, err := runbook.Load(d)
		if err != nil {
			return nil, fmt.Errorf("alerts.runbooks: %w", err)
		}
		a.runbooks = a.runbooks.Merge(own)
	}
	if a.slackBot, err = slackBotFor(a); err != nil {
		return nil, fmt.Errorf("slack app: %w", err)
	}
	return a, nil
}

// Store is the app's store.
func (a *App) Store() store.Store { return a.store }

// Close closes the store.
func (a *App) Close() error { return a.store.Close() }

// Handler is the HTTP API, /healthz and /metrics.
func (a *App) Handler() http.Handler {
	s := &web.Server{
		Store:    a.store,
		Tokens:   a.cfg.APITokens,
		Scoped:   scopedTokens(&a.cfg.HTTP),
		Metrics:  promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{Registry: a.registry}),
		Log:      a.log,
		Now:      a.now,
		SLA:      a.cfg.Alerts.SLA(),
		Runbooks: a.runbooks,

		Users:         consoleUsers(&a.cfg.HTTP),
		Proxy:         proxyAuth(&a.cfg.HTTP),
		SecureCookies: secureCookies(&a.cfg.HTTP),
		SessionTTL:    a.cfg.HTTP.SessionTTL,
		Accounts:      a.consoleAccounts,
		Health:        a.health.read,
	}
	if k := a.cfg.SessionKey.Reveal(); k != "" {
		s.SessionKey = []byte(k)
	}
	if a.receiver != nil {
		s.Ingest = a.receiver
	}
	if a.slackBot != nil {
		mux := http.NewServeMux()
		a.slackBot.Register(mux)
		s.Slack = mux
	}
	return s.Handler()
}

// Serve serves Handler on ln until ctx is done, then shuts down gracefully.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("http server shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Ingest reads one object of a source through the pipeline, resuming
// from its stored checkpoint (and skipping it when it was read to the end
// and has not changed).
func (a *App) Ingest(ctx context.Context, src config.SourceConfig, obj source.Object) (pipeline.Result, error) {
	var stored *store.Checkpoint
	if src.Type != "stdin" {
		cp, found, err := a.store.Checkpoint(ctx, src.Name, obj.Key)
		if err != nil {
			return pipeline.Result{}, err
		}
		if found {
			stored = &cp
		}
	}
	return a.ingest(ctx, a.pipe, src, obj, stored)
}

func (a *App) ingest(ctx context.Context, p *pipeline.Pipeline, src config.SourceConfig, obj source.Object, stored *store.Checkpoint) (pipeline.Result, error) {
	job := pipeline.Job{Source: src.Name, Format: src.Format, Params: src.FormatOptions, Object: obj,
		Checkpoint: src.Type != "stdin", Stored: stored, StoreEvents: src.KeepsEvents()}
	res, err := p.Process(ctx, job)
	if err != nil || res.Unchanged {
		return res, err
	}
	lvl := slog.LevelDebug
	if res.Quarantined > 0 || len(res.NewFindings) > 0 {
		lvl = slog.LevelInfo
	}
	a.log.Log(ctx, lvl, "ingested", "source", src.Name, "key", obj.Key, "from", res.Start, "records", res.Records,
		"events", res.Events, "quarantined", res.Quarantined, "occurrences", res.Occurrences, "new_findings", len(res.NewFindings))
	return res, nil
}

// Run serves the API (unless disabled) and ingests the configured sources
// until ctx is done: stdin in a goroutine of its own (it may never end),
// files and directories by polling for new and changed files.
func (a *App) Run(ctx context.Context, stdin io.Reader) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 4+len(a.cfg.Sources))
	running := 0
	if a.cfg.HTTP.Listen != "off" {
		ln, err := net.Listen("tcp", a.cfg.HTTP.Listen)
		if err != nil {
			return fmt.Errorf("listening on %s: %w", a.cfg.HTTP.Listen, err)
		}
		a.log.Info("serving", "addr", ln.Addr().String(), "api", len(a.cfg.APITokens) > 0)
		running++
		go func() { errc <- a.Serve(ctx, ln) }()
	}
	for _, sc := range a.cfg.Sources {
		if sc.Type == "stdin" {
			running++
			go func() { errc <- a.readStdin(ctx, sc, stdin) }()
		}
	}
	running += 2
	go func() { errc <- a.pollSources(ctx) }()
	go func() { errc <- a.pruneEvents(ctx) }()
	if len(a.cfg.Intel.Lists) > 0 {
		running++
		go func() { errc <- a.watchIntel(ctx) }()
	}
	if a.dispatch != nil {
		running += 3
		go func() { errc <- a.dispatch.Run(ctx) }()
		go func() { errc <- a.watchRouting(ctx) }()
		host, _ := os.Hostname()
		w := worker.New(a.store, a.cfg.Alerts.SLA(), fmt.Sprintf("%s/%d/worker", host, os.Getpid()), a.now, a.log)
		if h := a.cfg.Alerts.DigestHour; h != nil {
			w.DigestHour = *h
		}
		if a.slackBot != nil {
			w.Archived = func(ctx context.Context, al alert.Alert) { a.slackBot.Refresh(ctx, al) }
		}
		go func() { errc <- w.Run(ctx) }()
	}
	if a.slackBot != nil && a.cfg.Alerts.Slack.AppTokenEnv != "" {
		running++
		go func() { errc <- a.slackBot.RunSocketMode(ctx) }()
	}
	var first error
	for range running {
		err := <-errc
		if err != nil && !errors.Is(err, context.Canceled) && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

// readStdin reads a stdin source to its end, with its own pipeline, then
// waits for ctx.
func (a *App) readStdin(ctx context.Context, sc config.SourceConfig, r io.Reader) error {
	if _, err := a.ingest(ctx, a.newPipe(), sc, source.Stdin(ctx, r), nil); err != nil && ctx.Err() == nil {
		a.log.Error("reading stdin failed", "source", sc.Name, "err", err)
	}
	a.log.Info("stdin ended", "source", sc.Name)
	<-ctx.Done()
	return ctx.Err()
}

// watched is a polled file or directory source.
type watched struct {
	cfg    config.SourceConfig
	poller *source.Poller
	next   time.Time
	// cps caches the source's checkpoints, loaded in one query at the
	// first poll and kept up to date by what this process writes.
	cps map[string]store.Checkpoint
	// retry holds objects that failed: when to try again and the backoff.
	retry map[string]backoff
}

type backoff struct {
	at    time.Time
	delay time.Duration
}

// maxRetryDelay bounds the backoff of an object that keeps failing.
const maxRetryDelay = 10 * time.Minute

// pollSources is the ingest loop of file and directory sources. One
// goroutine reads them in turn: detectors keep per-account state and see
// each event once, in order.
func (a *App) pollSources(ctx context.Context) error {
	var ws []*watched
	for _, sc := range a.cfg.Sources {
		if sc.Type == "file" || sc.Type == "directory" {
			ws = append(ws, &watched{cfg: sc, retry: map[string]backoff{}, poller: &source.Poller{
				Paths: []string{sc.Path}, Include: source.Matcher(sc.Include), Settle: sc.Settle, Now: a.now,
			}})
		}
	}
	if len(ws) == 0 {
		<-ctx.Done()
		return ctx.Err()
	}
	for {
		for _, w := range ws {
			if a.now().Before(w.next) {
				continue
			}
			if err := a.poll(ctx, w); err != nil {
				return err
			}
			w.next = a.now().Add(w.cfg.PollInterval)
		}
		wait := time.Duration(1<<63 - 1)
		for _, w := range ws {
			wait = min(wait, w.next.Sub(a.now()))
		}
		t := time.NewTimer(max(wait, 10*time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// poll reads what is new in one source. It returns only ctx's error.
func (a *App) poll(ctx context.Context, w *watched) error {
	if w.cps == nil {
		cps, err := a.store.Checkpoints(ctx, w.cfg.Name)
		if err != nil {
			a.log.Warn("reading checkpoints failed; will retry", "source", w.cfg.Name, "err", err)
			return ctx.Err()
		}
		w.cps = cps
	}
	objs, err := w.poller.Poll()
	if err != nil {
		a.log.Warn("listing source failed", "source", w.cfg.Name, "err", err)
	}
	now := a.now()
	for key, b := range w.retry {
		if !now.Before(b.at) {
			w.poller.Forget(key) // due: the next poll returns it again
		}
	}
	for _, obj := range objs {
		if b, ok := w.retry[obj.Key]; ok && now.Before(b.at) {
			continue
		}
		var stored *store.Checkpoint
		if cp, ok := w.cps[obj.Key]; ok {
			stored = &cp
		}
		res, err := a.ingest(ctx, a.pipe, w.cfg, obj, stored)
		if res.Checkpoint != nil {
			w.cps[obj.Key] = *res.Checkpoint
		}
		switch {
		case err == nil:
			delete(w.retry, obj.Key)
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, store.ErrConflict):
			// Another process moved the checkpoint: read its view and go on
			// from there at the next poll.
			a.log.Info("another process is reading this file; resuming from its checkpoint", "source", w.cfg.Name, "key", obj.Key)
			if cp, ok, cerr := a.store.Checkpoint(ctx, w.cfg.Name, obj.Key); cerr == nil && ok {
				w.cps[obj.Key] = cp
			}
			w.poller.Forget(obj.Key)
		default:
			b := w.retry[obj.Key]
			b.delay = min(max(2*b.delay, w.cfg.PollInterval), maxRetryDelay)
			b.at = now.Add(b.delay)
			w.retry[obj.Key] = b
			a.log.Error("ingest failed", "source", w.cfg.Name, "key", obj.Key, "err", err, "retry_in", b.delay)
		}
	}
	return nil
}

// scopedTokens converts the configured scoped tokens (validated).
func scopedTokens(h *config.HTTPConfig) []web.ScopedToken {
	var out []web.ScopedToken
	for _, t := range h.Tokens {
		sum, err := web.ParseTokenHash(t.SHA256)
		if err != nil {
			continue // refused by Validate
		}
		role, _ := web.ParseRole(t.Role)
		st := web.ScopedToken{SHA256: sum, Principal: web.Principal{Name: t.Name, Role: role, Accounts: h.ResolveAccounts(t.Accounts)}}
		out = append(out, st)
	}
	return out
}

// pruneEvents deletes stored events past their source's retention, at
// start and then hourly, in steps so that ingestion is not held up.
func (a *App) pruneEvents(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		if _, err := a.PruneEvents(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("pruning stored events failed", "err", err)
		}
		t.Reset(time.Hour)
	}
}

// PruneEvents deletes every source's stored events past its retention
// and returns how many went.
func (a *App) PruneEvents(ctx context.Context) (int64, error) {
	var total int64
	for _, src := range a.cfg.Sources {
		before := a.now().Add(-src.EventRetention())
		for {
			n, err := a.store.PruneEvents(ctx, src.Name, before, 10_000)
			total += n
			if err != nil {
				return total, err
			}
			if n < 10_000 {
				break
			}
		}
	}
	if total > 0 {
		a.log.Info("stored events pruned", "events", total)
	}
	return total, nil
}

// stateful lists the shared detectors whose state is persisted.
func (sh *Shared) stateful() []detect.Stateful {
	return []detect.Stateful{sh.Baseline, sh.Sequence}
}

// restoreState loads the stateful detectors' persisted state, so a
// restart keeps what they learnt.
func restoreState(ctx context.Context, st store.Store, dets []detect.Stateful, log *slog.Logger) error {
	for _, d := range dets {
		rows, err := st.LoadState(ctx, d.StateName())
		if err != nil {
			return fmt.Errorf("loading %s state: %w", d.StateName(), err)
		}
		entries := make([]detect.StateEntry, len(rows))
		for i, r := range rows {
			entries[i] = detect.StateEntry{Key: r.Key, Value: r.Value}
		}
		if err := d.RestoreState(entries); err != nil {
			log.Warn("detector state partly restored", "detector", d.StateName(), "err", err)
		}
		if len(entries) > 0 {
			log.Info("detector state restored", "detector", d.StateName(), "entries", len(entries))
		}
	}
	return nil
}

package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/picket-dev/picket/internal/config"
	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/detect/sigma"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/intel"
	"github.com/picket-dev/picket/internal/pipeline"
	"github.com/picket-dev/picket/internal/report"
	"github.com/picket-dev/picket/internal/source"
	"github.com/picket-dev/picket/internal/store"
)

// ScanOptions configure an offline scan.
type ScanOptions struct {
	Paths   []string       // files and directories; "-" reads Stdin
	Stdin   io.Reader      // read for "-"
	Include source.Matcher // file names read from directories; nil means config.DefaultInclude
	Format  string         // decoder; "" means auto (each file's format from its first bytes)
	Select  string         // detector selection ("+cloudtrail,-pentest"); overrides Detectors.Select when set
	// Detectors and Intel configure the detectors and threat lists as in
	// picket.yaml (zero values: defaults, no lists).
	Detectors config.DetectorsConfig
	Intel     intel.Config
	// BatchSize, MaxRecordBytes and EvidenceLimit as in the config; zero
	// values take its defaults.
	BatchSize      int
	MaxRecordBytes int
	EvidenceLimit  int
	Log            *slog.Logger
	Now            func() time.Time
}

// ScanReport is what a scan found.
type ScanReport struct {
	Findings   []finding.Finding
	Summary    report.Summary
	Quarantine []store.Quarantined // the first ones (see pipeline.Collector)
	Errors     []error             // objects that could not be read
	Collector  *pipeline.Collector // evidence, by finding
}

// Scan runs the detectors over files offline, keeping findings in memory.
// Unreadable files are reported in Errors and the scan goes on.
func Scan(ctx context.Context, o ScanOptions) (*ScanReport, error) {
	if o.Format == "" {
		o.Format = pipeline.FormatAuto
	}
	if o.Include == nil {
		o.Include = source.Matcher(config.DefaultInclude)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = config.DefaultBatchSize
	}
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = config.DefaultMaxRecordBytes
	}
	if o.EvidenceLimit <= 0 {
		o.EvidenceLimit = config.DefaultEvidence
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	decoders := Decoders()
	if o.Format != pipeline.FormatAuto && !decoders.Has(o.Format) {
		return nil, fmt.Errorf("unknown format %q (known: %s, %v)", o.Format, pipeline.FormatAuto, decoders.Formats())
	}
	lists, _, lerr := intel.Load(ctx, o.Intel, intel.Options{Logger: o.Log})
	if lists == nil {
		return nil, fmt.Errorf("threat intelligence: %w", lerr)
	}
	dets, err := Detectors(o.Detectors, lists)
	if err != nil {
		return nil, err
	}
	sel := o.Detectors.Select
	if o.Select != "" {
		sel = o.Select
	}
	selected, err := dets.Select(sel, o.Detectors.Disabled)
	if err != nil {
		return nil, err
	}
	rep := &ScanReport{Collector: &pipeline.Collector{}}
	_, ruleErrs := SigmaRules(o.Detectors.Sigma)
	for _, e := range ruleErrs {
		var se *sigma.Error
		if errors.As(e, &se) && se.Skipped {
			continue
		}
		rep.Errors = append(rep.Errors, fmt.Errorf("sigma rule not loaded: %w", e))
	}
	if lerr != nil { // some lists failed: say so, scan with the others
		rep.Errors = append(rep.Errors, fmt.Errorf("threat intelligence: %w", lerr))
	}
	var objs []source.Object
	var paths []string
	for _, p := range o.Paths {
		if p == source.StdinKey {
			objs = append(objs, source.Stdin(ctx, o.Stdin))
			continue
		}
		paths = append(paths, p)
	}
	if len(paths) > 0 {
		files, err := source.Walk(paths, o.Include)
		if err != nil {
			rep.Errors = append(rep.Errors, err)
		}
		objs = append(objs, files...)
	}
	pipe := pipeline.New(decoders, detect.NewEngine(EngineDetectors(selected), o.Now), rep.Collector, pipeline.Options{
		BatchSize: o.BatchSize, MaxRecordBytes: o.MaxRecordBytes, EvidenceLimit: o.EvidenceLimit, Now: o.Now, Sniff: SniffFormat,
	}, nil, o.Log)
	s := &rep.Summary
	for _, obj := range objs {
		res, err := pipe.Process(ctx, pipeline.Job{Source: "scan", Format: o.Format, Object: obj})
		s.Objects++
		s.Records += res.Records
		s.Events += res.Events
		s.Skipped += res.Skipped
		s.Bytes += res.Bytes
		s.Quarantined += res.Quarantined
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			rep.Errors = append(rep.Errors, err)
		}
	}
	s.Errors = len(rep.Errors)
	rep.Findings = rep.Collector.Findings()
	rep.Quarantine, _ = rep.Collector.Quarantine()
	return rep, nil
}

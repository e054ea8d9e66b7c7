// Package report writes findings for people and programs: an aligned text
// table, a JSON document, or JSON lines. Strings that come from logs
// (user names, resource names) are attacker-controlled, so the table
// escapes control characters: a crafted user agent cannot rewrite the
// terminal it is printed on.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/picket-dev/picket/internal/finding"
)

// Formats are the output formats Write knows.
var Formats = []string{"table", "json", "jsonl"}

// Summary is what a scan read, printed with the findings.
type Summary struct {
	Objects     int   `json:"objects"`
	Records     int64 `json:"records"`
	Events      int64 `json:"events"`
	Quarantined int64 `json:"quarantined"`
	Skipped     int64 `json:"skipped"`
	Bytes       int64 `json:"bytes"`
	Errors      int   `json:"errors"`
}

// Write writes findings in format (table, json or jsonl). summary may be nil.
func Write(w io.Writer, format string, fs []finding.Finding, summary *Summary) error {
	switch format {
	case "table", "":
		return Table(w, fs)
	case "json":
		doc := struct {
			Findings []finding.Finding `json:"findings"`
			Summary  *Summary          `json:"summary,omitempty"`
		}{fs, summary}
		if doc.Findings == nil {
			doc.Findings = []finding.Finding{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	case "jsonl":
		enc := json.NewEncoder(w)
		for i := range fs {
			if err := enc.Encode(&fs[i]); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown output format %q (want table, json or jsonl)", format)
}

// Table writes one aligned line per finding.
func Table(w io.Writer, fs []finding.Finding) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tTYPE\tACCOUNT\tREGION\tRESOURCE\tACTOR\tCOUNT\tLAST SEEN\tID")
	for i := range fs {
		f := &fs[i]
		fmt.Fprintf(tw, "%s %.1f\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n",
			f.SeverityLabel(), f.Severity, Clean(f.Type), Clean(f.AccountID), Clean(f.Region),
			Clean(Resource(f)), Clean(Actor(f)), f.Service.Count, f.Service.EventLastSeen.UTC().Format(time.RFC3339),
			f.ID)
	}
	return tw.Flush()
}

// Resource names a finding's resource in a few words.
func Resource(f *finding.Finding) string {
	r := &f.Resource
	switch {
	case r.InstanceDetails != nil && r.InstanceDetails.InstanceID != "":
		return "instance " + r.InstanceDetails.InstanceID
	case len(r.S3BucketDetails) > 0:
		names := make([]string, len(r.S3BucketDetails))
		for i, b := range r.S3BucketDetails {
			names[i] = b.Name
		}
		return "bucket " + strings.Join(names, ",")
	case f.Keys.Resource != "" && !f.External(): // an external finding's key is its producer's ID
		return f.Keys.Resource
	case r.AccessKeyDetails != nil && r.AccessKeyDetails.AccessKeyID != "":
		return "key " + r.AccessKeyDetails.AccessKeyID
	}
	return r.ResourceType
}

// Actor names who acted: the user or role name, or the principal.
func Actor(f *finding.Finding) string {
	if a := f.Resource.AccessKeyDetails; a != nil {
		if a.UserName != "" {
			return a.UserName
		}
		if a.PrincipalID != "" {
			return a.PrincipalID
		}
	}
	return f.Keys.Actor
}

// Clean makes s safe to print on a terminal: control and other
// non-printable characters are escaped, and long values are shortened.
func Clean(s string) string {
	const max = 80
	s = Escape(s)
	if len(s) > max {
		cut := max - 1
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// Escape escapes the control and other non-printable characters of s
// (and invalid UTF-8), leaving its length otherwise alone: for paths and
// errors, where a shortened value would hide what it names.
func Escape(s string) string {
	for _, r := range s {
		// RuneError also stands for an invalid byte, which must not reach
		// the terminal raw (0x9b is CSI to some, 0xff tabwriter's escape).
		if !unicode.IsPrint(r) || r == '\t' || r == utf8.RuneError {
			q := strconv.QuoteToGraphic(s)
			return q[1 : len(q)-1]
		}
	}
	return s
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// Counts tallies findings by severity label, for summaries.
func Counts(fs []finding.Finding) map[finding.Label]int {
	m := map[finding.Label]int{}
	for i := range fs {
		m[fs[i].SeverityLabel()]++
	}
	return m
}

// CountLine is a one-line summary such as "21 findings: 2 Critical, 9 High, 6 Medium, 4 Low".
func CountLine(fs []finding.Finding) string {
	c := Counts(fs)
	var parts []string
	for _, l := range []finding.Label{finding.Critical, finding.High, finding.Medium, finding.Low} {
		if c[l] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[l], l))
		}
	}
	s := fmt.Sprintf("%d findings", len(fs))
	if len(fs) == 1 {
		s = "1 finding"
	}
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	return s
}

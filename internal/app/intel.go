package app

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/intel"
	"github.com/picket-dev/picket/internal/store"
)

// IntelReloadInterval is how often the threat lists are checked for changes.
const IntelReloadInterval = time.Minute

// TrustedListWidened is the finding raised when a reload adds entries to a
// trusted list: trusted entries hide threat matches, and widening a
// trusted list is how an attacker with access to it would hide.
const TrustedListWidened = "DefenseImpairment:Picket/TrustedListWidened"

// watchIntel reloads the threat lists until ctx is done.
func (a *App) watchIntel(ctx context.Context) error {
	t := time.NewTicker(IntelReloadInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		a.reloadIntel(ctx)
	}
}

// reloadIntel reloads the lists once, logs what changed, and stores a
// finding for every trusted list that gained entries.
func (a *App) reloadIntel(ctx context.Context) {
	ch, err := a.intel.Reload(ctx)
	if err != nil {
		a.log.Warn("reloading threat intelligence failed for some lists; the last good versions stay", "err", err)
	}
	for _, l := range ch.Lists {
		if l.Err != nil {
			a.log.Warn("threat intelligence list not reloaded; its last good version stays", "list", l.List, "err", l.Err)
			continue
		}
		a.log.Info("threat intelligence list changed", "list", l.List, "entries", l.Entries, "added", l.Added, "removed", l.Removed, "bad_lines", l.Bad)
	}
	for _, e := range ch.TrustedRemoved {
		a.log.Info("trusted list entry removed", "list", e.List, "line", e.Line, "entry", e.Value())
	}
	if len(ch.TrustedAdded) == 0 {
		return
	}
	fs := trustedWidenedFindings(ch, a.now().UTC())
	for _, f := range fs {
		a.log.Warn("a trusted list was widened: its entries now hide threat matches", "list", f.Keys.Resource, "added", f.Service.AdditionalInfo["addedCount"])
	}
	if _, err := a.store.Commit(ctx, &store.Batch{Findings: fs, Now: a.now()}); err != nil {
		a.log.Error("storing the trusted list finding failed", "err", err)
	}
}

// trustedWidenedFindings makes one finding per trusted list that gained
// entries in ch.
func trustedWidenedFindings(ch intel.Changes, now time.Time) []finding.Finding {
	byList := map[string][]intel.Entry{}
	for _, e := range ch.TrustedAdded {
		byList[e.List] = append(byList[e.List], e)
	}
	names := make([]string, 0, len(byList))
	for n := range byList {
		names = append(names, n)
	}
	sort.Strings(names)
	counts := map[string]int{}
	for _, l := range ch.Lists {
		counts[l.List] = l.Added
	}
	var out []finding.Finding
	for _, name := range names {
		added := byList[name]
		n := max(counts[name], len(added))
		var shown []string
		for _, e := range added {
			shown = append(shown, fmt.Sprintf("%s (line %d)", e.Value(), e.Line))
		}
		f := finding.Finding{
			Type:     TrustedListWidened,
			Severity: finding.SevMedium,
			Title:    fmt.Sprintf("Trusted list %s was widened by %d entries.", name, n),
			Description: fmt.Sprintf("A reload added %d entries to the trusted list %s: %s. Addresses and domains on a trusted list raise no threat findings, "+
				"so check that whoever changed it meant to.", n, name, strings.Join(shown, ", ")),
			Resource: finding.Resource{ResourceType: "ThreatIntelSet"},
			Service: finding.Service{
				DetectorID: "Picket/TrustedListWatch", Count: 1, EventFirstSeen: now, EventLastSeen: now, ResourceRole: "TARGET",
				Action:         finding.Action{ActionType: "CONFIG_CHANGE"},
				AdditionalInfo: map[string]any{"list": name, "addedCount": n, "added": shown},
			},
			Keys:      finding.Keys{Resource: name},
			CreatedAt: now, UpdatedAt: now,
		}
		f.Seal()
		out = append(out, f)
	}
	return out
}

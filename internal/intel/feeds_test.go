package intel

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/testutil"
)

// feedLines returns the lines of a feed that are not blank or comments.
func feedLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// canonical spells an address or CIDR the way netip does, and lower-cases
// names, so that the expected counts see duplicates the way a lookup does.
func canonical(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().String()
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked().String()
	}
	return strings.TrimPrefix(strings.ToLower(strings.TrimSuffix(s, ".")), ".")
}

func uniqueCount(ss []string) int {
	seen := map[string]bool{}
	for _, s := range ss {
		seen[canonical(s)] = true
	}
	return len(seen)
}

// maltrailExpect counts a maltrail file's entries by its own simple rules:
// drop "# comments", skip URL trails with a path, strip ports and schemes.
func maltrailExpect(lines []string) (entries, skipped int) {
	var keep []string
	for _, l := range lines {
		if i := strings.Index(l, " #"); i >= 0 {
			l = strings.TrimSpace(l[:i])
		}
		if i := strings.Index(l, "\t#"); i >= 0 {
			l = strings.TrimSpace(l[:i])
		}
		l = strings.TrimPrefix(strings.TrimPrefix(l, "http://"), "https://")
		if host, rest, found := strings.Cut(l, "/"); found {
			if _, err := netip.ParsePrefix(l); err != nil {
				if host == "" || rest != "" {
					skipped++
					continue
				}
				l = host
			}
		}
		if h, port, found := strings.Cut(l, ":"); found && !strings.Contains(port, ":") {
			l = h
		}
		keep = append(keep, l)
	}
	return uniqueCount(keep), skipped
}

func TestRealFeeds(t *testing.T) {
	root := testutil.SharedData(t, "threat-intel-feeds")
	type feed struct {
		rel    string
		format Format
		kind   Kind
		want   func(lines []string) (entries, skipped int)
		exact  int // the count SOURCE.md gives, when it gives one
	}
	unique := func(lines []string) (int, int) { return uniqueCount(lines), 0 }
	hostsNames := func(lines []string) (int, int) {
		var names []string
		for _, l := range lines {
			f := strings.Fields(l)
			names = append(names, f[1:]...)
		}
		return uniqueCount(names), 0
	}
	feeds := []feed{
		{"ipsum/level3.txt", FormatIPsum, KindThreat, unique, 14217},
		{"ipsum/level8.txt", FormatIPsum, KindThreat, unique, 23},
		{"tor-exit-nodes-2024/tor-exit-nodes.lst", FormatTor, KindTor, unique, 1746},
		{"blocklistproject/malware.ip", FormatTXT, KindThreat, unique, 20907},
		{"blocklistproject/crypto.txt", FormatHosts, KindThreat, hostsNames, 1274},
		{"blocklistproject/ransomware.txt", FormatHosts, KindThreat, hostsNames, 1904},
	}
	trails, err := filepath.Glob(filepath.Join(root, "maltrail", "*", "*.txt"))
	if err != nil || len(trails) < 10 {
		t.Fatalf("maltrail trails: %v %d", err, len(trails))
	}
	for _, p := range trails {
		rel, _ := filepath.Rel(root, p)
		feeds = append(feeds, feed{rel, FormatMaltrail, KindThreat, maltrailExpect, 0})
	}
	var cfg Config
	for _, f := range feeds {
		cfg.Lists = append(cfg.Lists, ListConfig{Name: f.rel, Kind: f.kind, Format: f.format, Path: filepath.Join(root, f.rel)})
	}
	start := time.Now()
	s, ch, err := Load(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded in %v", time.Since(start))
	if len(ch.Lists) != len(feeds) {
		t.Fatalf("%d lists loaded, want %d", len(ch.Lists), len(feeds))
	}
	total := 0
	for i, f := range feeds {
		lines := feedLines(t, filepath.Join(root, f.rel))
		wantEntries, wantSkipped := f.want(lines)
		lc := ch.Lists[i]
		if lc.Entries != wantEntries || lc.Skipped != wantSkipped || lc.Bad != 0 {
			t.Errorf("%s: %d entries, %d skipped, %d bad (%v); want %d entries, %d skipped",
				f.rel, lc.Entries, lc.Skipped, lc.Bad, lc.BadLines, wantEntries, wantSkipped)
		}
		if f.exact != 0 && lc.Entries != f.exact {
			t.Errorf("%s: %d entries, SOURCE.md says %d", f.rel, lc.Entries, f.exact)
		}
		if f.format != FormatHosts && lc.Entries+lc.Duplicates+lc.Skipped != len(lines) {
			t.Errorf("%s: %d entries + %d duplicates + %d skipped != %d lines", f.rel, lc.Entries, lc.Duplicates, lc.Skipped, len(lines))
		}
		total += lc.Entries
	}
	t.Logf("%d lists, %d entries", len(feeds), total)

	// Spot checks through lookups.
	checks := []struct {
		q, list string
		cat     Category
	}{
		{"77.90.185.20", "ipsum/level3.txt", CategoryMalicious}, // on every level: the first list wins
		{"101.99.92.179", "tor-exit-nodes-2024/tor-exit-nodes.lst", CategoryTor},
		{"2001:470:1:908::9001", "tor-exit-nodes-2024/tor-exit-nodes.lst", CategoryTor},
		{"103.114.104.195", "blocklistproject/malware.ip", CategoryMalicious}, // in 103.114.104.194/31
		{"x.minergate.com", "blocklistproject/crypto.txt", CategoryMalicious},
		// The most specific entry wins across lists: maltrail has pool.minergate.com.
		{"x.pool.minergate.com", "maltrail/suspicious/crypto_mining.txt", CategoryCryptomining},
		{"abc.onion", "maltrail/suspicious/onion.txt", CategoryTor},
		{"letshack.ddns.net", "maltrail/c2-frameworks/sliver.txt", CategoryMalicious},
		// Maltrail's suspicious trails: services malware abuses, and
		// low-confidence ones.
		{"x.ddns.net", "maltrail/suspicious/dynamic_domain.txt", CategoryAbused},
		{"2ip.me", "maltrail/suspicious/ipinfo.txt", CategoryAbused},
		{"bdns.at", "maltrail/suspicious/blockchain_dns.txt", CategoryAbused},
		{"packetriot.net", "maltrail/suspicious/dns_tunneling_service.txt", CategoryAbused},
		{"www.hide.me", "maltrail/suspicious/anonymous_web_proxy.txt", CategorySuspicious},
		{"i2p-projekt.de", "maltrail/suspicious/i2p.txt", CategorySuspicious},
	}
	for _, c := range checks {
		var h Hit
		var ok bool
		if a, err := netip.ParseAddr(c.q); err == nil {
			h, ok = s.LookupIP(a)
		} else {
			h, ok = s.LookupDomain(c.q)
		}
		if !ok || h.List != c.list || h.Category != c.cat {
			t.Errorf("%s: %s %v %v, want %s %v", c.q, h.List, h.Category, ok, c.list, c.cat)
		}
	}
	// Maltrail categories come from the file names.
	if h, ok := s.LookupIP(netip.MustParseAddr("107.191.47.239")); !ok || h.Category != CategoryCryptomining ||
		h.List != "maltrail/suspicious/crypto_mining.txt" || h.Raw != "107.191.47.239:3333" {
		t.Errorf("crypto_mining trail: %+v %v", h, ok)
	}
}

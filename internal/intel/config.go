package intel

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"
)

// Kind says what a list's entries mean.
type Kind string

// List kinds.
const (
	// KindThreat entries are known bad: a match is a finding (GuardDuty's
	// threat lists and *.Custom finding types).
	KindThreat Kind = "threat"
	// KindTrusted entries are trusted: a match suppresses threat matches.
	KindTrusted Kind = "trusted"
	// KindTor entries are Tor exit (or relay) addresses. They are looked up
	// with the threat lists; their category is always CategoryTor. A tor
	// list cannot be in FormatHosts, which holds only domain names.
	KindTor Kind = "tor"
)

// ParseKind returns the Kind named s (case-insensitive).
func ParseKind(s string) (Kind, bool) {
	switch k := Kind(strings.ToLower(strings.TrimSpace(s))); k {
	case KindThreat, KindTrusted, KindTor:
		return k, true
	}
	return "", false
}

// Format is a list's file format.
type Format string

// Formats. The first six are GuardDuty's ThreatIntelSet/IPSet formats.
const (
	// FormatTXT is GuardDuty's plaintext: one IP, CIDR or domain per line;
	// blank lines and # comments (whole-line or after the entry) are ignored.
	FormatTXT Format = "txt"
	// FormatSTIX is a STIX 2.1 (or 2.0) JSON bundle of indicator objects
	// whose patterns compare ipv4-addr, ipv6-addr, domain-name or url values
	// (OR'd comparisons give one entry each; url values give their host).
	FormatSTIX Format = "stix"
	// FormatOTXCSV is AlienVault OTX's pulse export:
	// "Indicator type,Indicator,Description".
	FormatOTXCSV Format = "otx_csv"
	// FormatAlienVault is AlienVault's IP reputation database
	// (reputation.data: ip#reliability#risk#type#country#city#lat,long#x;
	// reputation.generic lines "ip # type ..." are accepted too).
	FormatAlienVault Format = "alien_vault"
	// FormatProofPoint is Proofpoint ET Intelligence: plain IP lists
	// (compromised-ips.txt) and the reputation CSVs
	// (ip|domain,category,score[,first_seen,last_seen,ports]).
	FormatProofPoint Format = "proof_point"
	// FormatFireEye is a CSV of FireEye iSIGHT indicators; the columns named
	// ip, domain, url, cidr, sourceIp and sourceDomain (any case) are read.
	// Without a header the first column is the indicator.
	FormatFireEye Format = "fire_eye"
	// FormatIPsum is stamparm/ipsum: "ip<TAB>count" lines with # comments
	// (its levels/N.txt files, plain IPs, are accepted too).
	FormatIPsum Format = "ipsum"
	// FormatHosts is a hosts file: "0.0.0.0 domain..." or
	// "127.0.0.1 domain..." with # comments; the names are the entries.
	FormatHosts Format = "hosts"
	// FormatMaltrail is a maltrail static trail: one domain, IP, ip:port or
	// URL per line, # comments (also after an entry). Trails with a URL path
	// are skipped: the path, not the host, is the indicator.
	FormatMaltrail Format = "maltrail"
	// FormatTor is a Tor exit list: one address per line (torbulkexitlist)
	// or the Tor Project's exit-addresses ("ExitAddress ip date time").
	FormatTor Format = "tor"
)

var formats = []Format{FormatTXT, FormatSTIX, FormatOTXCSV, FormatAlienVault, FormatProofPoint,
	FormatFireEye, FormatIPsum, FormatHosts, FormatMaltrail, FormatTor}

// ParseFormat returns the Format named s. Names are case-insensitive and
// accept GuardDuty's spelling (TXT, STIX, OTX_CSV, ALIEN_VAULT, PROOF_POINT,
// FIRE_EYE) and a few aliases (plaintext, otx, alienvault, proofpoint,
// fireeye, tor_exits); "-" and "_" are interchangeable.
func ParseFormat(s string) (Format, bool) {
	n := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_")
	switch n {
	case "plaintext", "text":
		return FormatTXT, true
	case "stix2", "stix21", "stix_2.1":
		return FormatSTIX, true
	case "otx", "otxcsv":
		return FormatOTXCSV, true
	case "alienvault":
		return FormatAlienVault, true
	case "proofpoint", "et":
		return FormatProofPoint, true
	case "fireeye":
		return FormatFireEye, true
	case "tor_exits", "tor_exit":
		return FormatTor, true
	}
	for _, f := range formats {
		if n == string(f) {
			return f, true
		}
	}
	return "", false
}

// Category is the kind of threat an entry stands for. Detectors use it to
// pick GuardDuty finding types (CryptoCurrency:EC2/BitcoinTool.B, Backdoor
// C&CActivity.B, Trojan:EC2/DropPoint, Trojan:EC2/BlackholeTraffic,
// UnauthorizedAccess:EC2/TorClient, …).
//
// The numeric values are stable: new categories are appended.
type Category uint8

// Categories. CategoryNone is the category of trusted entries.
const (
	CategoryNone Category = iota
	// CategoryMalicious: known bad, nothing more specific said.
	CategoryMalicious
	// CategoryCryptomining: mining pools and miners' infrastructure.
	CategoryCryptomining
	// CategoryC2: command-and-control servers.
	CategoryC2
	// CategoryDropzone: drop points for stolen data.
	CategoryDropzone
	// CategoryBlackhole: sinkholes and blackholed addresses.
	CategoryBlackhole
	// CategoryTor: Tor nodes (the category of every tor list entry).
	CategoryTor
	// CategoryPhishing: phishing sites.
	CategoryPhishing
	// CategoryCryptocurrency: domains and addresses tied to cryptocurrency
	// activity that are not mining pools: exchanges, wallets, coin sites,
	// blockchain nodes.
	CategoryCryptocurrency
	// CategoryAbused: legitimate services commonly abused by malware: free
	// and dynamic DNS, paste and file-sharing sites, free hosting, public-IP
	// lookup services.
	CategoryAbused
	// CategorySuspicious: low-confidence reputation: anomalous or
	// questionable, not known to be malicious.
	CategorySuspicious
	// CategoryDGA: domains known to come from a domain generation
	// algorithm.
	CategoryDGA
)

var categoryNames = [...]string{"", "malicious", "cryptomining", "c2", "dropzone", "blackhole", "tor", "phishing",
	"cryptocurrency", "abused", "suspicious", "dga"}

// String returns the category's config name ("" for CategoryNone).
func (c Category) String() string {
	if int(c) < len(categoryNames) {
		return categoryNames[c]
	}
	return fmt.Sprintf("category(%d)", uint8(c))
}

// MarshalText writes the config name.
func (c Category) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// ParseCategory returns the category named s (case-insensitive; "" is
// CategoryNone). Besides the names it accepts a few aliases: c&c, cnc and
// command-and-control (c2); mining, crypto_mining and crypto-mining
// (cryptomining); droppoint, drop and exfiltration (dropzone).
// "cryptocurrency" is its own category, not cryptomining.
func ParseCategory(s string) (Category, bool) {
	n := strings.ToLower(strings.TrimSpace(s))
	switch n {
	case "c&c", "cnc", "command-and-control":
		return CategoryC2, true
	case "mining", "crypto_mining", "crypto-mining":
		return CategoryCryptomining, true
	case "droppoint", "drop", "exfiltration":
		return CategoryDropzone, true
	}
	for i, name := range categoryNames {
		if n == name {
			return Category(i), true
		}
	}
	return 0, false
}

func categoryList() string { return strings.Join(categoryNames[1:], ", ") }

// Config lists the intel lists. It is meant to sit in picket.yaml under
// intel: {lists: [...]}.
type Config struct {
	Lists []ListConfig `yaml:"lists"`
}

// ListConfig is one list.
type ListConfig struct {
	// Name identifies the list in hits, logs and findings. Unique.
	Name string `yaml:"name"`
	// Kind is threat, trusted or tor.
	Kind Kind `yaml:"kind"`
	// Format is the file format (see Format).
	Format Format `yaml:"format"`
	// Path is the local file. With URL it is where the last good copy is
	// kept (optional then). Relative paths are used as given: the caller
	// resolves them against the config file's directory.
	Path string `yaml:"path"`
	// URL, when set, is an http(s) URL the list is fetched from (with a
	// timeout; the last good copy is kept in memory and at Path). Trusted
	// lists must use https.
	URL string `yaml:"url"`
	// Refresh is how often a URL is fetched again (default 1h).
	Refresh time.Duration `yaml:"refresh"`
	// Custom marks a threat or tor list of your own (what GuardDuty calls
	// an uploaded threat list, whose findings get ".Custom" types) rather
	// than a public or commercial feed. Hits carry it. Not allowed on
	// trusted lists, whose matches raise no findings.
	Custom bool `yaml:"custom"`
	// Category is the category of threat entries when the feed does not say
	// (malicious, cryptomining, c2, dropzone, blackhole, tor, phishing,
	// cryptocurrency, abused, suspicious, dga; see Category). Default
	// malicious; always tor for kind tor; unused for trusted lists.
	Category string `yaml:"category"`
}

// MaxLists is the most lists a Config may hold.
const MaxLists = 255

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(i int, l ListConfig, format string, args ...any) {
		name := l.Name
		if name == "" {
			name = "(no name)"
		}
		errs = append(errs, fmt.Errorf("intel.lists[%d] %s: %s", i, name, fmt.Sprintf(format, args...)))
	}
	if len(c.Lists) > MaxLists {
		errs = append(errs, fmt.Errorf("intel.lists: %d lists, at most %d are supported", len(c.Lists), MaxLists))
	}
	seen := map[string]int{}
	for i, l := range c.Lists {
		switch {
		case strings.TrimSpace(l.Name) == "":
			bad(i, l, "name is missing")
		case l.Name != strings.TrimSpace(l.Name):
			bad(i, l, "name %q has leading or trailing spaces", l.Name)
		default:
			if j, dup := seen[l.Name]; dup {
				bad(i, l, "duplicate name (also lists[%d])", j)
			} else {
				seen[l.Name] = i
			}
		}
		kind, kindOK := ParseKind(string(l.Kind))
		if l.Kind == "" {
			bad(i, l, "kind is missing (threat, trusted or tor)")
		} else if !kindOK {
			bad(i, l, "unknown kind %q (threat, trusted or tor)", l.Kind)
		}
		format, formatOK := ParseFormat(string(l.Format))
		if l.Format == "" {
			bad(i, l, "format is missing (%s)", formatNames())
		} else if !formatOK {
			bad(i, l, "unknown format %q (%s)", l.Format, formatNames())
		}
		if kind == KindTor && format == FormatHosts {
			// A hosts file holds domain names (its addresses are where a
			// blocker sends them), while a tor list is the addresses of Tor
			// nodes: nothing in it would ever be a Tor node.
			bad(i, l, "a tor list holds addresses of Tor nodes, and format hosts holds only domain names")
		}
		if l.Custom && kind == KindTrusted {
			bad(i, l, "custom is not used for trusted lists (it picks the finding types of threat matches; trusted matches raise none)")
		}
		if strings.TrimSpace(l.Path) == "" && strings.TrimSpace(l.URL) == "" {
			bad(i, l, "path is missing (or url)")
		}
		if l.URL != "" {
			u, err := url.Parse(l.URL)
			switch {
			case err != nil || u.Host == "":
				bad(i, l, "url %q is not an absolute http(s) URL", l.URL)
			case u.Scheme != "http" && u.Scheme != "https":
				bad(i, l, "url %q: scheme must be http or https", l.URL)
			case u.Scheme == "http" && kind == KindTrusted:
				bad(i, l, "url %q: a trusted list must be fetched over https (anyone on the path could widen it)", l.URL)
			}
		} else if l.Refresh != 0 {
			bad(i, l, "refresh is only used with url")
		}
		if l.Refresh < 0 {
			bad(i, l, "refresh must not be negative")
		}
		if l.Category != "" {
			cat, ok := ParseCategory(l.Category)
			switch {
			case !ok:
				bad(i, l, "unknown category %q (%s)", l.Category, categoryList())
			case kind == KindTrusted:
				bad(i, l, "category is not used for trusted lists")
			case kind == KindTor && cat != CategoryTor:
				bad(i, l, "category of a tor list is always tor")
			}
		}
	}
	return errors.Join(errs...)
}

func formatNames() string {
	s := make([]string, len(formats))
	for i, f := range formats {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// normalized returns l with kind and format in canonical spelling and the
// default category filled; l must be valid.
func (l ListConfig) normalized() (ListConfig, Category) {
	l.Kind, _ = ParseKind(string(l.Kind))
	l.Format, _ = ParseFormat(string(l.Format))
	if l.URL != "" && l.Refresh == 0 {
		l.Refresh = time.Hour
	}
	cat, _ := ParseCategory(l.Category)
	switch l.Kind {
	case KindTrusted:
		cat = CategoryNone
	case KindTor:
		cat = CategoryTor
	}
	return l, cat
}

// fileName is the base name of the list's file, or of its URL's path when
// it has no Path: maltrail trails take their category from it.
func (l ListConfig) fileName() string {
	if l.Path == "" && l.URL != "" {
		if u, err := url.Parse(l.URL); err == nil {
			return path.Base(u.Path)
		}
	}
	return path.Base(l.Path)
}

// source says where a list is read from, for logs.
func (l ListConfig) source() string {
	if l.URL != "" {
		return l.URL
	}
	return l.Path
}

package intel

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// LineProblem is a line (or STIX object) that gave no entry.
type LineProblem struct {
	Line   int    // 1-based
	Text   string // the line as written, cut to 200 bytes
	Reason string
}

func (p LineProblem) String() string {
	return fmt.Sprintf("line %d: %s: %q", p.Line, p.Reason, p.Text)
}

// MaxReportedLines is how many bad (or skipped) lines a load reports in
// detail; the rest are only counted.
const MaxReportedLines = 10

// ParseOptions says how to parse a list's content.
type ParseOptions struct {
	Format Format
	// Name is the file's base name. Maltrail trails take their category
	// from it (xmrig_miner.txt → cryptomining, banjori_dga.txt → dga,
	// dynamic_domain.txt → abused; see parseMaltrail).
	Name string
	// Now is compared with STIX indicators' valid_until. Zero means
	// time.Now().
	Now time.Time
}

// ParseResult is what Parse found.
type ParseResult struct {
	// Entries in file order, duplicates included. Category is what the
	// feed says (CategoryNone when it does not); FirstSeen is zero.
	Entries []Entry
	// Bad counts lines that should have held an entry but did not parse;
	// BadLines are the first MaxReportedLines of them.
	Bad      int
	BadLines []LineProblem
	// Skipped counts lines understood but not loadable: URL trails with a
	// path, file hashes and other non-network indicators, revoked or expired
	// STIX indicators, STIX patterns that AND conditions together.
	Skipped      int
	SkippedLines []LineProblem
}

// ErrEmpty is returned for a list without a single entry.
var ErrEmpty = errors.New("no entries")

// Parse parses a list's content. It fails only when the content as a whole
// is unusable (a STIX file that is not JSON); bad lines are counted in the
// result. A list without entries returns ErrEmpty along with the result.
func Parse(data []byte, opts ParseOptions) (ParseResult, error) {
	f, ok := ParseFormat(string(opts.Format))
	if !ok {
		return ParseResult{}, fmt.Errorf("unknown format %q", opts.Format)
	}
	c := &collector{}
	err := parseContent(string(data), f, opts.Name, opts.Now, c)
	if err == nil && len(c.res.Entries) == 0 {
		err = ErrEmpty
	}
	return c.res, err
}

// sink receives what a parser finds.
type sink interface {
	entry(ind indicator, raw string, line int, cat Category)
	problem(line int, text, reason string, skipped bool)
}

type parseCtx struct {
	data string
	name string
	now  time.Time
	out  sink
}

func parseContent(data string, f Format, name string, now time.Time, out sink) error {
	if now.IsZero() {
		now = time.Now()
	}
	p := &parseCtx{data: data, name: name, now: now, out: out}
	switch f {
	case FormatTXT:
		parseTXT(p)
	case FormatSTIX:
		return parseSTIX(p)
	case FormatOTXCSV:
		parseOTX(p)
	case FormatAlienVault:
		parseAlienVault(p)
	case FormatProofPoint:
		parseProofPoint(p)
	case FormatFireEye:
		parseFireEye(p)
	case FormatIPsum:
		parseIPsum(p)
	case FormatHosts:
		parseHosts(p)
	case FormatMaltrail:
		parseMaltrail(p)
	case FormatTor:
		parseTor(p)
	default:
		return fmt.Errorf("unknown format %q", f)
	}
	return nil
}

func (p *parseCtx) bad(line int, text, reason string)  { p.out.problem(line, text, reason, false) }
func (p *parseCtx) skip(line int, text, reason string) { p.out.problem(line, text, reason, true) }

// add classifies tok and emits it, or reports the line as bad.
func (p *parseCtx) add(line int, text, tok string, cat Category) {
	ind, reason := classify(tok)
	if reason != "" {
		p.bad(line, text, reason)
		return
	}
	p.out.entry(ind, tok, line, cat)
}

// addAs is add for an entry found inside raw (the host of a URL).
func (p *parseCtx) addAs(line int, text, tok, raw string, cat Category) {
	ind, reason := classify(tok)
	if reason != "" {
		p.bad(line, text, reason)
		return
	}
	p.out.entry(ind, raw, line, cat)
}

// addIP is add for fields that must be an address or CIDR.
func (p *parseCtx) addIP(line int, text, tok string, cat Category) {
	ind, reason := classifyIP(tok)
	if reason != "" {
		p.bad(line, text, reason)
		return
	}
	p.out.entry(ind, tok, line, cat)
}

// eachLine calls fn with every line (1-based number, without "\r\n" and
// without a leading byte-order mark).
func eachLine(data string, fn func(n int, line string)) {
	for n := 1; len(data) > 0; n++ {
		var line string
		if i := strings.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, ""
		}
		line = strings.TrimSuffix(line, "\r")
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		fn(n, line)
	}
}

// cutComment trims a line and drops a '#' comment: the whole line when it
// starts with '#', otherwise from a '#' that follows a blank.
func cutComment(line string) string {
	s := strings.TrimSpace(line)
	if strings.HasPrefix(s, "#") {
		return ""
	}
	for i := 1; i < len(s); i++ {
		if s[i] == '#' && (s[i-1] == ' ' || s[i-1] == '\t') {
			return strings.TrimSpace(s[:i])
		}
	}
	return s
}

// splitCSV splits one line of CSV into dst: fields separated by commas,
// optionally double-quoted (a quoted field may hold commas and ""), each
// trimmed of blanks. It returns false for a quote that is not closed.
func splitCSV(line string, dst []string) ([]string, bool) {
	dst = dst[:0]
	for {
		s := strings.TrimLeft(line, " \t")
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i, closed := 1, false
			start := 1
			for i < len(s) {
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						b.WriteString(s[start : i+1])
						i += 2
						start = i
						continue
					}
					closed = true
					break
				}
				i++
			}
			if !closed {
				return dst, false
			}
			field := s[start:i]
			if b.Len() > 0 {
				b.WriteString(field)
				field = b.String()
			}
			rest := strings.TrimLeft(s[i+1:], " \t")
			dst = append(dst, strings.TrimSpace(field))
			if rest == "" {
				return dst, true
			}
			if rest[0] != ',' {
				return dst, false
			}
			line = rest[1:]
			continue
		}
		i := strings.IndexByte(s, ',')
		if i < 0 {
			return append(dst, strings.TrimSpace(s)), true
		}
		dst = append(dst, strings.TrimSpace(s[:i]))
		line = s[i+1:]
	}
}

// categoryRank orders categories for inferCategory: when a feed's words
// name several, the highest wins. Specific threats come first (a "Tor C2"
// or a "malicious-activity" "cryptominer pool" is C2 or mining), then DGA
// (a DGA domain is a definite, specific malware indicator), tor and
// malicious; the three weak categories come last, so that a feed's
// explicit "malicious" or "compromised" is never watered down by a
// word that only says "cryptocurrency", "abused" or "suspicious".
func categoryRank(c Category) int {
	switch c {
	case CategoryC2:
		return 11
	case CategoryCryptomining:
		return 10
	case CategoryDropzone:
		return 9
	case CategoryBlackhole:
		return 8
	case CategoryPhishing:
		return 7
	case CategoryDGA:
		return 6
	case CategoryTor:
		return 5
	case CategoryMalicious:
		return 4
	case CategoryCryptocurrency:
		return 3
	case CategoryAbused:
		return 2
	case CategorySuspicious:
		return 1
	}
	return 0
}

// categoryWords are the words inferCategory knows. STIX's indicator-type
// vocabulary is among them: malicious-activity and compromised are
// malicious; anomalous-activity ("may not necessarily be malicious"),
// anonymization (proxies, VPNs, Tor: a tor word still makes it tor) and
// benign ("not suspicious or malicious in and of itself") are suspicious;
// attribution and unknown say nothing. Words are deliberately narrow:
// "crypto" alone (crypto ransomware), "wallet", "exchange" or "proxy" would
// misfile too much free text.
var categoryWords = map[string]Category{
	"c2": CategoryC2, "cnc": CategoryC2, "botnetcc": CategoryC2, "c2server": CategoryC2,
	"spywarecnc": CategoryC2, "p2pcnc": CategoryC2,

	"miner": CategoryCryptomining, "miners": CategoryCryptomining, "mining": CategoryCryptomining,
	"cryptomining": CategoryCryptomining, "coinminer": CategoryCryptomining, "cryptominer": CategoryCryptomining,
	"coinmining": CategoryCryptomining, "xmrig": CategoryCryptomining, "cryptojacking": CategoryCryptomining,

	"drop": CategoryDropzone, "dropzone": CategoryDropzone, "droppoint": CategoryDropzone,
	"exfil": CategoryDropzone, "exfiltration": CategoryDropzone,

	"blackhole": CategoryBlackhole,

	"phishing": CategoryPhishing, "phish": CategoryPhishing,

	"tor": CategoryTor, "tornode": CategoryTor, "torexit": CategoryTor, "onion": CategoryTor,

	"malicious": CategoryMalicious, "malware": CategoryMalicious, "bad": CategoryMalicious,
	"compromised": CategoryMalicious,

	"cryptocurrency": CategoryCryptocurrency, "cryptocurrencies": CategoryCryptocurrency,
	"bitcoin": CategoryCryptocurrency,

	"abused": CategoryAbused, "abusedtld": CategoryAbused, "ddns": CategoryAbused, "dyndns": CategoryAbused,
	"pastebin": CategoryAbused, "ipcheck": CategoryAbused,

	"suspicious": CategorySuspicious, "anomalous": CategorySuspicious, "anonymization": CategorySuspicious,
	"benign": CategorySuspicious,

	"dga": CategoryDGA, "dgas": CategoryDGA,
}

// inferCategory reads a category from words a feed uses (indicator types,
// labels, threat type names, file names): "C&C", "cnc", "c2" → c2; "miner",
// "mining" → cryptomining; "drop", "exfil" → dropzone; "blackhole";
// "phishing"; "dga", "domain generation algorithm" → dga; "tor", "onion" →
// tor; "malicious", "malware", "compromised" → malicious; "cryptocurrency",
// "bitcoin" → cryptocurrency; "abused", "ddns", "pastebin" → abused;
// "suspicious", "anomalous", "anonymization", "benign" → suspicious (see
// categoryWords). When several are named, categoryRank picks. It returns
// CategoryNone when no word is known.
func inferCategory(texts ...string) Category {
	best := CategoryNone
	for _, t := range texts {
		t = strings.ToLower(t)
		if strings.Contains(t, "c&c") || strings.Contains(t, "command and control") ||
			strings.Contains(t, "command-and-control") || strings.Contains(t, "command_and_control") {
			return CategoryC2
		}
		if strings.Contains(t, "domain generation algorithm") || strings.Contains(t, "domain-generation-algorithm") ||
			strings.Contains(t, "domain_generation_algorithm") {
			if categoryRank(CategoryDGA) > categoryRank(best) {
				best = CategoryDGA
			}
		}
		words := strings.FieldsFunc(t, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
		})
		for _, w := range words {
			if c := categoryWords[w]; categoryRank(c) > categoryRank(best) {
				best = c
			}
		}
	}
	return best
}

// collector is the sink behind Parse.
type collector struct{ res ParseResult }

func (c *collector) entry(ind indicator, raw string, line int, cat Category) {
	e := Entry{Line: line, Raw: raw, Category: cat}
	if ind.typ == typeDomain {
		e.Domain = ind.domain
	} else {
		e.Prefix = ind.prefix
	}
	c.res.Entries = append(c.res.Entries, e)
}

func (c *collector) problem(line int, text, reason string, skipped bool) {
	lp := LineProblem{Line: line, Text: clip(text), Reason: reason}
	if skipped {
		c.res.Skipped++
		if len(c.res.SkippedLines) < MaxReportedLines {
			c.res.SkippedLines = append(c.res.SkippedLines, lp)
		}
		return
	}
	c.res.Bad++
	if len(c.res.BadLines) < MaxReportedLines {
		c.res.BadLines = append(c.res.BadLines, lp)
	}
}

func clip(s string) string {
	if len(s) > 200 {
		return strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}

// Entry is one list entry with its provenance.
type Entry struct {
	List     string   // list name
	Kind     Kind     // kind of the list
	Category Category // threat category (CategoryNone on trusted lists)
	Line     int      // 1-based line in the list's file
	Raw      string   // the entry as written ("1.2.3.4:3333", "[ipv4-addr:value = '…']")
	// Prefix is the address range matched: /32 or /128 for one address.
	// Zero for domain entries.
	Prefix netip.Prefix
	// Domain is the domain matched, with its subdomains: lower case, no
	// trailing dot. Empty for address entries.
	Domain string
	// FirstSeen is when Picket first loaded this entry from this list (kept
	// across reloads while the entry stays; reset when the process starts).
	FirstSeen time.Time
}

// IsDomain says whether the entry is a domain (rather than an address or
// CIDR range).
func (e Entry) IsDomain() bool { return e.Domain != "" }

// Value is the canonical entry: the domain, the address, or the CIDR range.
func (e Entry) Value() string {
	if e.Domain != "" {
		return e.Domain
	}
	if e.Prefix.IsSingleIP() {
		return e.Prefix.Addr().String()
	}
	return e.Prefix.String()
}

// String is "list:line value".
func (e Entry) String() string { return fmt.Sprintf("%s:%d %s", e.List, e.Line, e.Value()) }

package intel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type wantEntry struct {
	line  int
	value string // Entry.Value(): canonical
	raw   string // as written
	cat   Category
}

type wantProblem struct {
	line   int
	reason string // substring of the reason
}

// testNow is the clock of the tests: STIX valid_until is compared with it.
var testNow = time.Date(2026, 8, 24, 12, 0, 0, 0, time.UTC)

func checkParse(t *testing.T, res ParseResult, entries []wantEntry, bad, skipped []wantProblem) {
	t.Helper()
	var got []string
	for _, e := range res.Entries {
		got = append(got, fmt.Sprintf("%d %s %q %s", e.Line, e.Value(), e.Raw, e.Category))
	}
	var want []string
	for _, e := range entries {
		want = append(want, fmt.Sprintf("%d %s %q %s", e.line, e.value, e.raw, e.cat))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	checkProblems(t, "bad", res.Bad, res.BadLines, bad)
	checkProblems(t, "skipped", res.Skipped, res.SkippedLines, skipped)
}

func checkProblems(t *testing.T, what string, n int, got []LineProblem, want []wantProblem) {
	t.Helper()
	if n != len(want) || len(got) != min(len(want), MaxReportedLines) {
		t.Errorf("%s: %d (%d reported) %v, want %d %v", what, n, len(got), got, len(want), want)
		return
	}
	for i, w := range want[:len(got)] {
		if got[i].Line != w.line || !strings.Contains(got[i].Reason, w.reason) {
			t.Errorf("%s[%d] = %v, want line %d with reason containing %q", what, i, got[i], w.line, w.reason)
		}
	}
}

func TestParseFormats(t *testing.T) {
	const (
		mal = CategoryMalicious
		non = CategoryNone
	)
	tests := []struct {
		file    string
		format  Format
		entries []wantEntry
		bad     []wantProblem
		skipped []wantProblem
	}{{
		file:   "guardduty.txt",
		format: "TXT", // GuardDuty's spelling
		entries: []wantEntry{
			{2, "54.20.175.217", "54.20.175.217", non},
			{3, "205.0.0.0/8", "205.0.0.0/8", non},
			{5, "2001:db8::1", "2001:db8::1", non},
			{6, "2001:db8:abcd::/48", "2001:db8:abcd::/48", non},
			{7, "evil.example.com", "Evil.Example.COM.", non},
			{8, "198.51.100.7", "::ffff:198.51.100.7", non},
			{9, "10.1.2.3", "10.1.2.3", non},
		},
		bad: []wantProblem{{10, "more than one field"}, {11, "not an IP address or domain"},
			{12, "invalid CIDR"}, {13, "zone"}, {14, "non-ASCII"}},
	}, {
		file:   "ipsum.txt",
		format: FormatIPsum,
		entries: []wantEntry{
			{8, "77.90.185.20", "77.90.185.20", non},
			{9, "2.57.122.53", "2.57.122.53", non},
			{10, "45.154.244.193", "45.154.244.193", non},
		},
		bad: []wantProblem{{11, "count is not a number"}, {12, "not an IP address"}, {13, "expected ip and count"}},
	}, {
		file:   "hosts.txt",
		format: FormatHosts,
		entries: []wantEntry{
			{4, "0slot.trade", "0slot.trade", non},
			{5, "2miners.com", "2miners.com", non},
			{5, "www.2miners.com", "www.2miners.com", non},
			{6, "pool.example.net", "Pool.Example.NET", non},
		},
		bad: []wantProblem{{8, "address without a name"}, {9, "must start with an address"},
			{10, "invalid character"}},
		skipped: []wantProblem{{7, "address in the name column"}},
	}, {
		file:   "xmrig_miner.txt", // maltrail: the file name gives the category
		format: FormatMaltrail,
		entries: []wantEntry{
			{4, "pool.minexmr.example", "pool.minexmr.example", CategoryCryptomining},
			{5, "107.191.47.239", "107.191.47.239:3333", CategoryCryptomining},
			{6, "2001:db8::5", "[2001:db8::5]:443", CategoryCryptomining},
			{7, "45.32.233.191", "http://45.32.233.191", CategoryCryptomining},
			{11, "onion", ".onion", CategoryCryptomining},
			{12, "nagano-19599.herokussl.example", "nagano-19599.herokussl.example", CategoryCryptomining},
			{13, "10.20.30.0/24", "10.20.30.0/24", CategoryCryptomining},
		},
		bad: []wantProblem{{14, "invalid port"}, {15, "empty label"}},
		skipped: []wantProblem{{8, "URL trail with a path"}, {9, "URL trail with a path"},
			{10, "URL path trail"}},
	}, {
		file:   "tor-exit-addresses.txt",
		format: FormatTor,
		entries: []wantEntry{
			{4, "162.247.74.201", "162.247.74.201", CategoryTor},
			{8, "2001:db8::beef", "2001:db8::beef", CategoryTor},
			{10, "185.220.101.1", "185.220.101.1", CategoryTor},
		},
		bad: []wantProblem{{9, "without an address"}, {11, "not an IP address"}},
	}, {
		file:   "alienvault-reputation.data",
		format: "ALIEN_VAULT",
		entries: []wantEntry{
			{2, "198.51.100.1", "198.51.100.1", mal},
			{3, "198.51.100.2", "198.51.100.2", CategoryC2},
			{4, "198.51.100.3", "198.51.100.3", mal},
			{5, "203.0.113.9", "203.0.113.9", mal},
		},
		bad: []wantProblem{{6, "not an IP address"}, {7, "reliability and risk"},
			{8, "expected ip#reliability"}, {9, "type is empty"}},
	}, {
		file:   "proofpoint-detailed-iprepdata.txt",
		format: "PROOF_POINT",
		entries: []wantEntry{
			{2, "192.0.2.10", "192.0.2.10", CategoryC2},
			{3, "192.0.2.11", "192.0.2.11", CategoryCryptocurrency}, // Bitcoin_Related
			{4, "192.0.2.12", "192.0.2.12", mal},
			{5, "192.0.2.13", "192.0.2.13", CategoryBlackhole},
		},
		bad: []wantProblem{{6, "category"}, {7, "score"}, {8, "not an IP address or domain"}},
	}, {
		file:   "proofpoint-detailed-domainrepdata.txt",
		format: FormatProofPoint,
		entries: []wantEntry{
			{2, "evil.example", "evil.example", CategoryC2},
			{3, "dyn.example", "*.dyn.example", CategoryAbused}, // DynDNS
		},
	}, {
		file:   "proofpoint-compromised-ips.txt",
		format: FormatProofPoint,
		entries: []wantEntry{
			{2, "198.51.100.20", "198.51.100.20", non},
			{3, "198.51.100.0/28", "198.51.100.0/28", non},
		},
		bad: []wantProblem{{4, "more than one field"}},
	}, {
		file:   "otx.csv",
		format: "OTX_CSV",
		entries: []wantEntry{
			{2, "198.51.100.30", "198.51.100.30", CategoryC2},
			{3, "2001:db8::30", "2001:db8::30", non},
			{4, "evil-otx.example", "evil-otx.example", CategoryPhishing},
			{5, "www.evil-otx.example", "WWW.Evil-OTX.example", non},
			{6, "dl.evil-otx.example", "http://dl.evil-otx.example:8080/payload.exe", mal},
			{8, "203.0.113.0/24", "203.0.113.0/24", CategoryCryptomining},
		},
		bad:     []wantProblem{{9, "does not match its type"}, {11, "unterminated quote"}},
		skipped: []wantProblem{{7, "FileHash-SHA256"}, {10, "email"}, {12, "URL without a host"}},
	}, {
		file:   "fireeye-isight.csv",
		format: "FIRE_EYE",
		entries: []wantEntry{
			{2, "pool.fe.example", "pool.fe.example", CategoryCryptomining},
			{2, "198.51.100.40", "198.51.100.40", CategoryCryptomining},
			{3, "203.0.113.64/26", "203.0.113.64/26", non},
			{3, "c2.fe.example", "http://c2.fe.example/gate.php", non},
		},
		bad:     []wantProblem{{5, "invalid character"}, {5, "not an IP address or domain"}},
		skipped: []wantProblem{{4, "no network indicator"}},
	}, {
		file:   "stix-bundle.json",
		format: "STIX",
		entries: []wantEntry{
			{17, "198.51.100.1", "ipv4-addr:value = '198.51.100.1'", CategoryC2},
			{17, "203.0.113.0/24", "ipv4-addr:value = '203.0.113.0/24'", CategoryC2},
			{25, "2001:db8::1", "ipv6-addr:value = '2001:db8::1'", non},
			{35, "evil.example", "domain-name:value = 'Evil.Example'", CategoryCryptomining},
			{35, "dl.evil.example", "url:value = 'https://dl.evil.example/x.exe'", CategoryCryptomining},
			{43, "a.example", "'a.example'", non},
			{43, "b.example", "'b.example'", non},
			{109, "escaped.example", "domain-name:value = 'escaped.example'", non},
			{117, "198.51.100.15", "ipv4-addr:value = '198.51.100.15'", non},
			{126, "198.51.100.16", "network-traffic:dst_ref.value = '198.51.100.16'", CategoryTor},
			{134, "198.51.100.17", "ipv4-addr:value = '198.51.100.17'", CategoryC2},
		},
		bad: []wantProblem{{93, "unbalanced"}, {101, "does not match ipv4-addr:value"}, {137, "wrong JSON type"}},
		skipped: []wantProblem{{51, "unsupported pattern: AND"}, {59, "unsupported comparison file:hashes"},
			{68, "revoked"}, {76, "expired"}, {85, "pattern_type snort"}},
	}}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Parse(data, ParseOptions{Format: tt.format, Name: tt.file, Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			checkParse(t, res, tt.entries, tt.bad, tt.skipped)
			for _, e := range res.Entries {
				if _, ok := within(string(data), e.Raw); !ok && tt.format != "STIX" {
					t.Errorf("line %d: raw %q is not the text of the file", e.Line, e.Raw)
				}
			}
		})
	}
}

// within says whether s occurs in data (a weaker check than aliasing, enough
// to catch a raw text made up by a parser).
func within(data, s string) (int, bool) {
	i := strings.Index(data, s)
	return i, i >= 0
}

// TestParseInline covers what is easier to write inline: line endings,
// byte-order marks, headerless CSVs, single STIX objects, whole-file
// errors.
func TestParseInline(t *testing.T) {
	tests := []struct {
		name    string
		format  Format
		in      string
		entries []wantEntry
		bad     []wantProblem
		skipped []wantProblem
		err     string
	}{
		{name: "crlf and bom", format: FormatTXT, in: "\ufeff1.2.3.4\r\n# c\r\nevil.example\r\n",
			entries: []wantEntry{{1, "1.2.3.4", "1.2.3.4", 0}, {3, "evil.example", "evil.example", 0}}},
		{name: "no final newline", format: FormatTXT, in: "1.2.3.4\n5.6.7.8",
			entries: []wantEntry{{1, "1.2.3.4", "1.2.3.4", 0}, {2, "5.6.7.8", "5.6.7.8", 0}}},
		{name: "hash in a URL fragment is not a comment", format: FormatMaltrail, in: "http://evil.example/#x\n",
			skipped: []wantProblem{{1, "with a path"}}, err: "no entries"},
		{name: "txt cidr with host bits", format: FormatTXT, in: "10.1.2.3/8\n::ffff:10.0.0.0/104\n",
			entries: []wantEntry{{1, "10.0.0.0/8", "10.1.2.3/8", 0}, {2, "10.0.0.0/8", "::ffff:10.0.0.0/104", 0}}},
		{name: "txt /32 and /128 are single addresses", format: FormatTXT, in: "10.1.2.3/32\n2001:db8::1/128\n",
			entries: []wantEntry{{1, "10.1.2.3", "10.1.2.3/32", 0}, {2, "2001:db8::1", "2001:db8::1/128", 0}}},
		{name: "txt long label and long name", format: FormatTXT,
			in:  strings.Repeat("a", 64) + ".example\n" + strings.Repeat("abcdefghi.", 26) + "x\n",
			bad: []wantProblem{{1, "longer than 63"}, {2, "longer than 253"}}, err: "no entries"},
		{name: "empty is an error", format: FormatTXT, in: "# only comments\n\n", err: "no entries"},
		{name: "fireeye without header", format: FormatFireEye, in: "198.51.100.1,x\nevil.example,y\n,z\n",
			entries: []wantEntry{{1, "198.51.100.1", "198.51.100.1", 0}, {2, "evil.example", "evil.example", 0}},
			skipped: []wantProblem{{3, "no network indicator"}}},
		{name: "fireeye header without indicator columns", format: FormatFireEye, in: "title,md5\nfoo,abc\n",
			bad: []wantProblem{{1, "no ip, domain, url or cidr column"}}, skipped: []wantProblem{{2, "no network"}},
			err: "no entries"},
		{name: "otx quoted fields", format: FormatOTXCSV, in: `"IPv4","198.51.100.1","a ""quoted"" c2, really"` + "\n",
			entries: []wantEntry{{1, "198.51.100.1", "198.51.100.1", CategoryC2}}},
		{name: "alienvault generic", format: FormatAlienVault, in: "1.2.3.4 # Scanning Host A1 CN,,1,1\n",
			entries: []wantEntry{{1, "1.2.3.4", "1.2.3.4", 0}}},
		{name: "stix single indicator", format: FormatSTIX,
			in:      `{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '1.2.3.4']","pattern_type":"stix"}`,
			entries: []wantEntry{{1, "1.2.3.4", "ipv4-addr:value = '1.2.3.4'", 0}}},
		{name: "stix array", format: FormatSTIX,
			in:      "[\n{\"type\":\"indicator\",\"pattern\":\"[domain-name:value = 'x.example']\"},\n{\"type\":\"malware\"}\n]",
			entries: []wantEntry{{2, "x.example", "domain-name:value = 'x.example'", 0}}},
		{name: "stix pattern key inside another value", format: FormatSTIX,
			in:      "[{\"type\":\"indicator\",\"name\":\"pattern\",\n\"pattern\":\"[domain-name:value = 'x.example']\"}]",
			entries: []wantEntry{{2, "x.example", "domain-name:value = 'x.example'", 0}}},
		{name: "stix not json", format: FormatSTIX, in: "{\"type\": \"bundle\", \"objects\": [", err: "stix"},
		{name: "stix not a bundle", format: FormatSTIX, in: `{"type":"malware"}`, err: "neither a bundle"},
		{name: "stix trailing data", format: FormatSTIX, in: `[] []`, err: "after the bundle"},
		{name: "stix objects not an array", format: FormatSTIX, in: `{"objects": {}}`, err: "not an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Parse([]byte(tt.in), ParseOptions{Format: tt.format, Now: testNow})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if tt.err == "no entries" && !errors.Is(err, ErrEmpty) {
					t.Fatalf("err = %v, want ErrEmpty", err)
				}
				if strings.HasPrefix(tt.err, "stix") || strings.Contains(tt.name, "stix") {
					return
				}
			} else if err != nil {
				t.Fatal(err)
			}
			checkParse(t, res, tt.entries, tt.bad, tt.skipped)
		})
	}
}

func TestParseSTIXPattern(t *testing.T) {
	tests := []struct {
		pattern string
		want    []string // path op value
		reason  string
	}{
		{pattern: "[ipv4-addr:value = '1.2.3.4']", want: []string{"ipv4-addr:value = 1.2.3.4"}},
		{pattern: "[ipv4-addr:value = '1.2.3.4' OR ipv6-addr:value = '::1' OR domain-name:value = 'x.y']",
			want: []string{"ipv4-addr:value = 1.2.3.4", "ipv6-addr:value = ::1", "domain-name:value = x.y"}},
		{pattern: "([ipv4-addr:value = '1.2.3.4'] OR [url:value = 'http://a.b/c']) WITHIN 5 SECONDS",
			want: []string{"ipv4-addr:value = 1.2.3.4", "url:value = http://a.b/c"}},
		{pattern: "[ipv4-addr:value ISSUBSET '10.0.0.0/8'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
			want: []string{"ipv4-addr:value ISSUBSET 10.0.0.0/8"}},
		{pattern: "[domain-name:value = 'it\\'s']", want: []string{"domain-name:value = it's"}},
		{pattern: "[file:hashes.'SHA-256' = 'ab' OR file:name = 'x']",
			want: []string{"file:hashes.'sha-256' = ab", "file:name = x"}},
		{pattern: "[x-foo:values[*].name = 'a']", want: []string{"x-foo:values[*].name = a"}},
		{pattern: "[ipv4-addr:value IN ('1.1.1.1','2.2.2.2')] REPEATS 2 TIMES",
			want: []string{"ipv4-addr:value = 1.1.1.1", "ipv4-addr:value = 2.2.2.2"}},
		{pattern: "[network-traffic:dst_port = 443]", want: []string{"network-traffic:dst_port = "}},
		{pattern: "[a:b = 'x' AND c:d = 'y']", reason: "unsupported pattern: AND"},
		{pattern: "[a:b = 'x'] FOLLOWEDBY [c:d = 'y']", reason: "unsupported pattern: FOLLOWEDBY"},
		{pattern: "[a:b NOT = 'x']", reason: "unsupported pattern: NOT"},
		{pattern: "[a:b = 'x'", reason: "unbalanced"},
		{pattern: "a:b = 'x'", reason: "outside [ ]"},
		{pattern: "[[a:b = 'x']]", reason: "nested"},
		{pattern: "[a:b = 'x]", reason: "unterminated string"},
		{pattern: "[a:b = 'x\\n']", reason: "invalid escape"},
		{pattern: "[a:b ~ 'x']", reason: "unexpected"},
		{pattern: "[a:b IN ()]", reason: "empty IN set"},
		{pattern: "[]", reason: "without comparisons"},
		{pattern: "[a:b =]", reason: "expected a value"},
		{pattern: "[value = 'x']", reason: "expected an object path"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			cmps, reason := parseSTIXPattern(tt.pattern)
			if tt.reason != "" {
				if !strings.Contains(reason, tt.reason) {
					t.Fatalf("reason = %q, want %q", reason, tt.reason)
				}
				return
			}
			if reason != "" {
				t.Fatalf("reason = %q", reason)
			}
			var got []string
			for _, c := range cmps {
				got = append(got, c.path+" "+c.op+" "+c.value)
				if !strings.Contains(tt.pattern, c.raw) || c.raw == "" {
					t.Errorf("raw %q is not in the pattern", c.raw)
				}
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		in     string
		typ    entryType
		value  string
		reason string
	}{
		{"1.2.3.4", typeIP4, "1.2.3.4/32", ""},
		{"::ffff:1.2.3.4", typeIP4, "1.2.3.4/32", ""},
		{"2001:DB8::1", typeIP6, "2001:db8::1/128", ""},
		{"2001:0470:0001:0908:0000:0000:0000:9001", typeIP6, "2001:470:1:908::9001/128", ""},
		{"0.0.0.0/0", typeCIDR4, "0.0.0.0/0", ""},
		{"::/0", typeCIDR6, "::/0", ""},
		{"::ffff:0:0/96", typeCIDR4, "0.0.0.0/0", ""},
		{"::ffff:0:0/95", typeCIDR6, "::fffe:0:0/95", ""},
		{"10.9.8.7/8", typeCIDR4, "10.0.0.0/8", ""},
		{"1.2.3.4/32", typeIP4, "1.2.3.4/32", ""},
		{"EXAMPLE.com.", typeDomain, "example.com", ""},
		{"*.example.com", typeDomain, "example.com", ""},
		{".onion", typeDomain, "onion", ""},
		{"xn--bcher-kva.example", typeDomain, "xn--bcher-kva.example", ""},
		{"_dmarc.example", typeDomain, "_dmarc.example", ""},
		{"1.2.3", 0, "", "not an IP address or domain"},
		{"01.2.3.4", 0, "", "not an IP address or domain"},
		{"1.2.3.4/", 0, "", "invalid CIDR"},
		{"fe80::1%eth0", 0, "", "zone"},
		{"a..b", 0, "", "empty label"},
		{".", 0, "", "empty domain"},
		{"", 0, "", "empty entry"},
		{"a b", 0, "", "invalid character"},
		{"*.", 0, "", "invalid character"},
	}
	for _, tt := range tests {
		ind, reason := classify(tt.in)
		var got string
		if ind.typ == typeDomain {
			got = ind.domain
		} else if ind.typ != 0 {
			got = ind.prefix.String()
		}
		if ind.typ != tt.typ || got != tt.value || !strings.Contains(reason, tt.reason) || (tt.reason == "") != (reason == "") {
			t.Errorf("classify(%q) = %v %q %q, want %v %q %q", tt.in, ind.typ, got, reason, tt.typ, tt.value, tt.reason)
		}
	}
}

func TestInferCategory(t *testing.T) {
	tests := []struct {
		in   []string
		want Category
	}{
		{[]string{"C&C"}, CategoryC2},
		{[]string{"Cobalt Strike C2 server"}, CategoryC2},
		{[]string{"command-and-control"}, CategoryC2},
		{[]string{"xmrig miner"}, CategoryCryptomining},
		{[]string{"malicious-activity", "Cryptominer pool"}, CategoryCryptomining},
		{[]string{"malicious-activity", "crypto miner pool"}, CategoryCryptomining},
		{[]string{"Tor exit node"}, CategoryTor},
		{[]string{"Tor C2"}, CategoryC2},
		{[]string{"monitor", "actor"}, CategoryNone},
		{[]string{"Malicious Host"}, CategoryMalicious},
		{[]string{"phishing"}, CategoryPhishing},
		{[]string{"Blackhole"}, CategoryBlackhole},
		{[]string{"exfiltration drop"}, CategoryDropzone},
		// STIX indicator types (2.1 indicator_types, 2.0 labels).
		{[]string{"anomalous-activity"}, CategorySuspicious},
		{[]string{"anonymization"}, CategorySuspicious},
		{[]string{"benign"}, CategorySuspicious},
		{[]string{"compromised"}, CategoryMalicious},
		{[]string{"malicious-activity"}, CategoryMalicious},
		{[]string{"attribution", "unknown"}, CategoryNone},
		{[]string{"anonymization", "Tor exit relay"}, CategoryTor},
		// The strong verdict wins over the weak ones.
		{[]string{"compromised", "anomalous-activity"}, CategoryMalicious},
		{[]string{"malicious-activity", "Bitcoin wallet"}, CategoryMalicious},
		{[]string{"Suspicious", "abused"}, CategoryAbused},
		{[]string{"suspicious cryptocurrency exchange"}, CategoryCryptocurrency},
		// Cryptocurrency is not mining, but mining is mining.
		{[]string{"Bitcoin"}, CategoryCryptocurrency},
		{[]string{"cryptocurrency"}, CategoryCryptocurrency},
		{[]string{"Bitcoin mining pool"}, CategoryCryptomining},
		{[]string{"crypto ransomware"}, CategoryNone},
		// Abused services and DGAs.
		{[]string{"DDNS host"}, CategoryAbused},
		{[]string{"payload on pastebin"}, CategoryAbused},
		{[]string{"AbusedTLD"}, CategoryAbused},
		{[]string{"Necurs DGA"}, CategoryDGA},
		{[]string{"malware", "domain generation algorithm"}, CategoryDGA},
		{[]string{"DGA C2"}, CategoryC2},
		{nil, CategoryNone},
	}
	for _, tt := range tests {
		if got := inferCategory(tt.in...); got != tt.want {
			t.Errorf("inferCategory(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestMaltrailCategory(t *testing.T) {
	for name, want := range map[string]Category{
		"xmrig_miner.txt":           CategoryCryptomining,
		"crypto_mining.txt":         CategoryCryptomining,
		"crypto_currencies.txt":     CategoryCryptocurrency,
		"dynamic_domain.txt":        CategoryAbused,
		"blockchain_dns.txt":        CategoryAbused,
		"ipinfo.txt":                CategoryAbused,
		"dns_tunneling_service.txt": CategoryAbused,
		"free_web_hosting.txt":      CategoryAbused,
		"anonymous_web_proxy.txt":   CategorySuspicious,
		"i2p.txt":                   CategorySuspicious,
		"parking_site.txt":          CategorySuspicious,
		"onion.txt":                 CategoryTor,
		"banjori_dga.txt":           CategoryDGA,
		"Necurs_DGA2.txt":           CategoryDGA,
		"dga.txt":                   CategoryDGA,
		"dga_pykspa.txt":            CategoryDGA,
		"sliver.txt":                CategoryNone,
		"dgarbage.txt":              CategoryNone, // one word, not *_dga*
		"tofsee_dgadomains.txt":     CategoryDGA,
		"cobalt_dga.txt":            CategoryDGA,
		"xmrig_miner_dga.txt":       CategoryCryptomining,
		"phishing.txt":              CategoryPhishing,
		"malicious_proxy.txt":       CategoryMalicious,
	} {
		if got := maltrailCategory(name); got != want {
			t.Errorf("maltrailCategory(%q) = %v, want %v", name, got, want)
		}
	}
	// The category reaches the entries.
	res, err := Parse([]byte("evil.example\n"), ParseOptions{Format: FormatMaltrail, Name: "banjori_dga.txt"})
	if err != nil || len(res.Entries) != 1 || res.Entries[0].Category != CategoryDGA {
		t.Fatalf("banjori_dga.txt: %+v %v", res.Entries, err)
	}
}

// TestParseFeedCategories checks the categories the new feed mappings give:
// Proofpoint ET category numbers and STIX indicator types.
func TestParseFeedCategories(t *testing.T) {
	pp := lines(
		"ip,category,score,first_seen,last_seen,ports (|)",
		"192.0.2.1,40,90,2024-01-02,2024-02-03,",  // Bitcoin_Related
		"192.0.2.2,25,90,2024-01-02,2024-02-03,",  // DynDNS
		"192.0.2.3,17,90,2024-01-02,2024-02-03,",  // IPCheck
		"192.0.2.4,27,90,2024-01-02,2024-02-03,",  // AbusedTLD
		"192.0.2.5,26,90,2024-01-02,2024-02-03,",  // Undesirable
		"192.0.2.6,19,90,2024-01-02,2024-02-03,",  // Utility
		"192.0.2.7,13,90,2024-01-02,2024-02-03,",  // Compromised
		"192.0.2.8,2,90,2024-01-02,2024-02-03,",   // Bot
		"192.0.2.9,200,90,2024-01-02,2024-02-03,", // not an ET category: malicious
		"192.0.2.10,10,90,2024-01-02,2024-02-03,", // TorNode
	)
	res, err := Parse([]byte(pp), ParseOptions{Format: FormatProofPoint})
	if err != nil {
		t.Fatal(err)
	}
	checkParse(t, res, []wantEntry{
		{2, "192.0.2.1", "192.0.2.1", CategoryCryptocurrency},
		{3, "192.0.2.2", "192.0.2.2", CategoryAbused},
		{4, "192.0.2.3", "192.0.2.3", CategoryAbused},
		{5, "192.0.2.4", "192.0.2.4", CategoryAbused},
		{6, "192.0.2.5", "192.0.2.5", CategorySuspicious},
		{7, "192.0.2.6", "192.0.2.6", CategorySuspicious},
		{8, "192.0.2.7", "192.0.2.7", CategoryMalicious},
		{9, "192.0.2.8", "192.0.2.8", CategoryMalicious},
		{10, "192.0.2.9", "192.0.2.9", CategoryMalicious},
		{11, "192.0.2.10", "192.0.2.10", CategoryTor},
	}, nil, nil)

	stix := `{"type": "bundle", "objects": [
{"type": "indicator", "indicator_types": ["anomalous-activity"],
 "pattern": "[ipv4-addr:value = '198.51.100.1']"},
{"type": "indicator", "indicator_types": ["compromised"],
 "pattern": "[ipv4-addr:value = '198.51.100.2']"},
{"type": "indicator", "labels": ["anonymization"],
 "pattern": "[ipv4-addr:value = '198.51.100.3']"},
{"type": "indicator", "indicator_types": ["malicious-activity"], "name": "Necurs DGA domains",
 "pattern": "[domain-name:value = 'qwkjhe.example']"},
{"type": "indicator", "indicator_types": ["unknown"], "name": "Cryptocurrency exchange",
 "pattern": "[domain-name:value = 'coins.example']"}
]}`
	res, err = Parse([]byte(stix), ParseOptions{Format: FormatSTIX, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	checkParse(t, res, []wantEntry{
		{3, "198.51.100.1", "ipv4-addr:value = '198.51.100.1'", CategorySuspicious},
		{5, "198.51.100.2", "ipv4-addr:value = '198.51.100.2'", CategoryMalicious},
		{7, "198.51.100.3", "ipv4-addr:value = '198.51.100.3'", CategorySuspicious},
		{9, "qwkjhe.example", "domain-name:value = 'qwkjhe.example'", CategoryDGA},
		{11, "coins.example", "domain-name:value = 'coins.example'", CategoryCryptocurrency},
	}, nil, nil)
}

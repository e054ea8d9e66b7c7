package intel

import (
	"path"
	"strconv"
	"strings"
)

// parseTXT reads GuardDuty's plaintext format: one IP, CIDR or domain per
// line. GuardDuty documents no comment syntax; '#' comments and blank lines
// are accepted because every real list has them.
func parseTXT(p *parseCtx) {
	eachLine(p.data, func(n int, line string) {
		s := cutComment(line)
		if s == "" {
			return
		}
		if strings.ContainsAny(s, " \t") {
			p.bad(n, line, "more than one field (one entry per line)")
			return
		}
		p.add(n, line, s, CategoryNone)
	})
}

// parseIPsum reads stamparm/ipsum: "ip<TAB>count" (count = how many
// blacklists hold the address) or a bare address (levels/N.txt).
func parseIPsum(p *parseCtx) {
	eachLine(p.data, func(n int, line string) {
		s := cutComment(line)
		if s == "" {
			return
		}
		f := strings.Fields(s)
		if len(f) > 2 {
			p.bad(n, line, "expected ip and count")
			return
		}
		if len(f) == 2 {
			if _, err := strconv.ParseUint(f[1], 10, 32); err != nil {
				p.bad(n, line, "count is not a number")
				return
			}
		}
		p.addIP(n, line, f[0], CategoryNone)
	})
}

// hostsIgnored are the names every hosts file maps to itself.
var hostsIgnored = map[string]bool{
	"localhost": true, "localhost.localdomain": true, "local": true, "broadcasthost": true,
	"ip6-localhost": true, "ip6-loopback": true, "ip6-localnet": true, "ip6-mcastprefix": true,
	"ip6-allnodes": true, "ip6-allrouters": true, "ip6-allhosts": true, "0.0.0.0": true,
}

// parseHosts reads a hosts file: an address (usually 0.0.0.0 or 127.0.0.1)
// followed by one or more names. The names are the entries; the address is
// where a blocker would send them and is not loaded.
func parseHosts(p *parseCtx) {
	eachLine(p.data, func(n int, line string) {
		s := cutComment(line)
		if s == "" {
			return
		}
		f := strings.Fields(s)
		if _, reason := classifyIP(f[0]); reason != "" {
			p.bad(n, line, "hosts line must start with an address")
			return
		}
		if len(f) == 1 {
			p.bad(n, line, "address without a name")
			return
		}
		for _, name := range f[1:] {
			if hostsIgnored[strings.ToLower(name)] {
				continue
			}
			ind, reason := classify(name)
			switch {
			case reason != "":
				p.bad(n, line, reason)
			case ind.typ != typeDomain:
				p.skip(n, line, "address in the name column")
			default:
				p.out.entry(ind, name, n, CategoryNone)
			}
		}
	})
}

// maltrailCategories are the categories of maltrail trails (trails/static)
// whose file names do not say it in words inferCategory knows. Most are in
// maltrail's suspicious/ folder.
var maltrailCategories = map[string]Category{
	// Cryptocurrency sites: exchanges, wallets, coin sites.
	"crypto_currencies": CategoryCryptocurrency,
	// Legitimate services malware relies on: free dynamic DNS
	// (duckdns.org, ddns.net), blockchain DNS (.bit, .bazar: names that
	// cannot be taken down), free hosting and file sharing, public-IP
	// lookup services malware calls to learn where it runs, DNS tunneling
	// services.
	"dynamic_domain":        CategoryAbused,
	"blockchain_dns":        CategoryAbused,
	"free_web_hosting":      CategoryAbused,
	"freewebhost":           CategoryAbused,
	"filesharing_service":   CategoryAbused,
	"ipinfo":                CategoryAbused,
	"dns_tunneling_service": CategoryAbused,
	// Low-confidence: anonymizing proxies and networks (I2P is not Tor),
	// parked, suspended and formerly bad domains.
	"anonymous_web_proxy": CategorySuspicious,
	"i2p":                 CategorySuspicious,
	"parking_site":        CategorySuspicious,
	"suspended_domain":    CategorySuspicious,
	"bad_history":         CategorySuspicious,
}

// maltrailCategory is the category of a maltrail trail named name (a base
// name, "xmrig_miner.txt"): from maltrailCategories, or from the words of
// the name ("_" separates them). Besides the word "dga" (dga.txt,
// dga_pykspa.txt), a later word starting with "dga" (banjori_dga.txt,
// necurs_dga2.txt: *_dga*) says dga.
func maltrailCategory(name string) Category {
	base := strings.ToLower(strings.TrimSuffix(name, path.Ext(name)))
	if c, ok := maltrailCategories[base]; ok {
		return c
	}
	cat := inferCategory(strings.ReplaceAll(base, "_", " "))
	if _, rest, ok := strings.Cut(base, "_"); ok && categoryRank(CategoryDGA) > categoryRank(cat) {
		for _, w := range strings.Split(rest, "_") {
			if strings.HasPrefix(w, "dga") {
				cat = CategoryDGA
			}
		}
	}
	return cat
}

// parseMaltrail reads a maltrail static trail. Entries are domains, IPs,
// "ip:port" (the port is dropped: the address is matched on every port),
// CIDRs, and URLs. A URL trail with a path ("evil.example/gate.php",
// "http://1.2.3.4/x.exe", "/wp-admin/x.php") names that path only — often
// on a shared or compromised host — so it is skipped rather than widened to
// the host. A leading dot (".onion") means the suffix, as every domain
// entry matches its subdomains anyway. The category comes from the file
// name (see maltrailCategory).
func parseMaltrail(p *parseCtx) {
	cat := CategoryNone
	if p.name != "" {
		cat = maltrailCategory(path.Base(p.name))
	}
	eachLine(p.data, func(n int, line string) {
		s := cutComment(line)
		if s == "" {
			return
		}
		if strings.ContainsAny(s, " \t") {
			p.bad(n, line, "more than one field")
			return
		}
		if strings.HasPrefix(s, "/") {
			p.skip(n, line, "URL path trail")
			return
		}
		tok := s
		if strings.Contains(s, "://") || strings.IndexByte(s, '/') >= 0 && !isCIDR(s) {
			host, hasPath, ok := urlHost(s)
			switch {
			case !ok:
				p.bad(n, line, "invalid URL")
				return
			case hasPath:
				p.skip(n, line, "URL trail with a path")
				return
			}
			tok = host
		} else if h, ok := stripPort(s); ok {
			tok = h
		} else {
			p.bad(n, line, "invalid port")
			return
		}
		ind, reason := classify(tok)
		if reason != "" {
			p.bad(n, line, reason)
			return
		}
		p.out.entry(ind, s, n, cat)
	})
}

func isCIDR(s string) bool {
	i := strings.IndexByte(s, '/')
	return i > 0 && allDigits(s[i+1:]) && len(s)-i-1 <= 3
}

// parseTor reads a Tor exit list: one address per line (the Tor Project's
// torbulkexitlist and its mirrors) or the exit-addresses format, whose
// "ExitAddress ip date time" lines hold the addresses (ExitNode, Published
// and LastStatus lines are ignored).
func parseTor(p *parseCtx) {
	eachLine(p.data, func(n int, line string) {
		s := cutComment(line)
		if s == "" {
			return
		}
		f := strings.Fields(s)
		switch f[0] {
		case "ExitNode", "Published", "LastStatus":
			return
		case "ExitAddress":
			if len(f) < 2 {
				p.bad(n, line, "ExitAddress without an address")
				return
			}
			p.addIP(n, line, f[1], CategoryTor)
			return
		}
		if len(f) > 1 {
			p.bad(n, line, "more than one field")
			return
		}
		p.addIP(n, line, f[0], CategoryTor)
	})
}

// parseAlienVault reads AlienVault's IP reputation database. reputation.data
// lines are "ip#reliability#risk#type#country#city#lat,long#x" (type may be
// several, "Malicious Host;Scanning Host"); reputation.generic lines are
// "ip # type ...". The category comes from the type ("C&C" → c2).
func parseAlienVault(p *parseCtx) {
	eachLine(p.data, func(n int, line string) {
		s := strings.TrimSpace(line)
		if s == "" || s[0] == '#' {
			return
		}
		if i := strings.Index(s, " # "); i >= 0 { // reputation.generic
			p.addIP(n, line, strings.TrimSpace(s[:i]), inferCategory(s[i+3:]))
			return
		}
		f := strings.Split(s, "#")
		if len(f) < 4 {
			p.bad(n, line, "expected ip#reliability#risk#type#...")
			return
		}
		for _, num := range f[1:3] {
			if v, err := strconv.Atoi(strings.TrimSpace(num)); err != nil || v < 0 || v > 10 {
				p.bad(n, line, "reliability and risk must be numbers from 0 to 10")
				return
			}
		}
		if strings.TrimSpace(f[3]) == "" {
			p.bad(n, line, "type is empty")
			return
		}
		p.addIP(n, line, strings.TrimSpace(f[0]), inferCategory(f[3]))
	})
}

// proofpointCategories maps ET Intelligence (IQRisk) category numbers, as
// in ET's categories.txt, to categories; numbers not listed are malicious.
// ET's reputation lists mix outright threats with "policy" categories that
// describe a host rather than accuse it; those are abused (legitimate
// services malware leans on) or suspicious (everything else that does not
// by itself say threat), never malicious.
var proofpointCategories = map[int]Category{
	1:  CategoryC2,         // CnC
	2:  CategoryMalicious,  // Bot
	3:  CategoryMalicious,  // Spam
	4:  CategoryDropzone,   // Drop
	5:  CategoryC2,         // SpywareCnC
	6:  CategorySuspicious, // OnlineGaming: questionable gaming site
	7:  CategoryMalicious,  // DriveBySrc
	9:  CategorySuspicious, // ChatServer (policy)
	10: CategoryTor,        // TorNode
	13: CategoryMalicious,  // Compromised
	15: CategorySuspicious, // P2P node
	16: CategorySuspicious, // Proxy
	17: CategoryAbused,     // IPCheck: what-is-my-IP services malware calls
	19: CategorySuspicious, // Utility: known good public utility; the weakest category there is
	20: CategorySuspicious, // DDoSTarget: a victim, not an attacker
	21: CategoryMalicious,  // Scanner
	23: CategoryMalicious,  // Brute_Forcer
	24: CategoryMalicious,  // FakeAV
	25: CategoryAbused,     // DynDNS: dynamic DNS names
	26: CategorySuspicious, // Undesirable but not illegal
	27: CategoryAbused,     // AbusedTLD: abused or free TLDs
	28: CategorySuspicious, // SelfSignedSSL
	29: CategoryBlackhole,  // Blackhole
	30: CategoryAbused,     // RemoteAccessService: GoToMyPC and the like
	31: CategoryC2,         // P2PCnC
	33: CategorySuspicious, // Parking
	34: CategorySuspicious, // VPN
	35: CategoryMalicious,  // EXE_Source
	37: CategoryC2,         // Mobile_CnC
	38: CategoryC2,         // Mobile_Spyware_CnC
	39: CategorySuspicious, // Skype_SuperNode
	// Bitcoin_Related is cryptocurrency, not cryptomining: the category
	// covers whatever relates to Bitcoin (pools, but also exchanges,
	// wallets, nodes, coin sites), so it does not say that an entry is a
	// mining pool, and calling an exchange one would raise a mining finding
	// for someone checking a price. Feeds that do say mining (a "mining
	// pool" description, maltrail's crypto_mining trail) still give
	// cryptomining.
	40: CategoryCryptocurrency, // Bitcoin_Related
	41: CategoryMalicious,      // DDoSAttacker
}

// parseProofPoint reads Proofpoint ET Intelligence lists: the plain IP
// lists (compromised-ips.txt, emerging-Block-IPs.txt: addresses and CIDRs,
// '#' comments) and the reputation CSVs (iprepdata.txt "ip,category,score",
// detailed-iprepdata.txt and detailed-domainrepdata.txt
// "ip|domain,category,score,first_seen,last_seen,ports", with a header
// line). Domain globs "*.evil.example" become evil.example.
func parseProofPoint(p *parseCtx) {
	var f []string
	eachLine(p.data, func(n int, line string) {
		s := cutComment(line)
		if s == "" {
			return
		}
		if strings.IndexByte(s, ',') < 0 {
			if strings.ContainsAny(s, " \t") {
				p.bad(n, line, "more than one field")
				return
			}
			p.add(n, line, s, CategoryNone)
			return
		}
		var ok bool
		if f, ok = splitCSV(s, f); !ok {
			p.bad(n, line, "unterminated quote")
			return
		}
		if h := strings.ToLower(f[0]); h == "ip" || h == "domain" || h == "ip address" || h == "domain name" {
			return // header
		}
		cat := CategoryNone
		if len(f) > 1 {
			num, err := strconv.Atoi(f[1])
			if err != nil || num < 1 || num > 255 {
				p.bad(n, line, "category is not an ET category number")
				return
			}
			if c, ok := proofpointCategories[num]; ok {
				cat = c
			} else {
				cat = CategoryMalicious
			}
		}
		if len(f) > 2 {
			if score, err := strconv.Atoi(f[2]); err != nil || score < 0 || score > 127 {
				p.bad(n, line, "score must be a number from 0 to 127")
				return
			}
		}
		p.add(n, line, f[0], cat)
	})
}

// otxTypes maps OTX indicator types (lower case) to what they hold.
var otxTypes = map[string]entryType{
	"ipv4": typeIP4, "ipv6": typeIP6, "cidr": typeCIDR4,
	"domain": typeDomain, "hostname": typeDomain,
	"url": typeNone, "uri": typeNone, // a URL: its host
}

// parseOTX reads AlienVault OTX's CSV export: "Indicator type,Indicator,
// Description". IPv4, IPv6, CIDR, domain and hostname indicators are
// loaded; URL and URI indicators give their host; file hashes, e-mail
// addresses, mutexes, CVEs and the other types are skipped. The category
// comes from the description when it says ("Cobalt Strike C2").
func parseOTX(p *parseCtx) {
	var f []string
	eachLine(p.data, func(n int, line string) {
		s := strings.TrimSpace(line)
		if s == "" || s[0] == '#' {
			return
		}
		var ok bool
		if f, ok = splitCSV(s, f); !ok {
			p.bad(n, line, "unterminated quote")
			return
		}
		typ := strings.ToLower(f[0])
		if typ == "indicator type" || typ == "indicator_type" || typ == "type" {
			return // header
		}
		if len(f) < 2 || f[1] == "" {
			p.bad(n, line, "expected indicator type,indicator,description")
			return
		}
		want, known := otxTypes[typ]
		if !known {
			p.skip(n, line, "not a network indicator ("+f[0]+")")
			return
		}
		cat := CategoryNone
		if len(f) > 2 {
			cat = inferCategory(f[2])
		}
		val := f[1]
		if want == typeNone {
			host, _, ok := urlHost(val)
			if !ok {
				p.skip(n, line, "URL without a host")
				return
			}
			p.addAs(n, line, host, val, cat)
			return
		}
		ind, reason := classify(val)
		if reason == "" && !otxTypeMatches(want, ind.typ) {
			reason = "indicator does not match its type " + f[0]
		}
		if reason != "" {
			p.bad(n, line, reason)
			return
		}
		p.out.entry(ind, val, n, cat)
	})
}

func otxTypeMatches(want, got entryType) bool {
	switch want {
	case typeIP4:
		return got == typeIP4
	case typeIP6:
		return got == typeIP6
	case typeCIDR4:
		return got != typeDomain
	}
	return got == want
}

// fireEyeColumns are the iSIGHT indicator columns read (lower case, blanks
// and '_' removed) and what they hold. sourceIp and sourceDomain are the
// sender infrastructure of e-mail indicators.
var fireEyeColumns = map[string]entryType{
	"ip": typeIP4, "ipaddress": typeIP4, "ipv4": typeIP4, "ipv6": typeIP4, "sourceip": typeIP4, "cidr": typeIP4,
	"domain": typeDomain, "hostname": typeDomain, "sourcedomain": typeDomain,
	"url": typeNone,
}

// parseFireEye reads a CSV of FireEye iSIGHT indicators. The header names
// the columns; every non-empty ip, cidr, domain, url (its host), sourceIp
// and sourceDomain cell is an entry, so one row can give several. Rows with
// none (file hashes, e-mail subjects) are skipped. The category comes from
// the malwareFamily, ThreatScape and description columns when they say.
// Without a header (the first row's first cell is an indicator) the first
// column is the indicator.
func parseFireEye(p *parseCtx) {
	var f []string
	var cols []int // indicator columns
	var types []entryType
	var catCols []int
	header := false
	eachLine(p.data, func(n int, line string) {
		s := strings.TrimSpace(line)
		if s == "" || s[0] == '#' {
			return
		}
		var ok bool
		if f, ok = splitCSV(s, f); !ok {
			p.bad(n, line, "unterminated quote")
			return
		}
		if cols == nil { // the first row: a header, or already data
			for i, name := range f {
				key := strings.ToLower(strings.NewReplacer(" ", "", "_", "").Replace(name))
				if t, ok := fireEyeColumns[key]; ok {
					cols = append(cols, i)
					types = append(types, t)
				}
				switch key {
				case "malwarefamily", "threatscape", "description", "category":
					catCols = append(catCols, i)
				}
			}
			if len(cols) > 0 {
				header = true
				return
			}
			catCols = nil
			if ind, reason := classify(f[0]); reason == "" && (ind.typ != typeDomain || strings.Contains(ind.domain, ".")) {
				cols, types = []int{0}, []entryType{typeNone}
			} else {
				p.bad(n, line, "header has no ip, domain, url or cidr column")
				cols = []int{}
				return
			}
		}
		cat := CategoryNone
		if len(catCols) > 0 {
			var words []string
			for _, c := range catCols {
				if c < len(f) {
					words = append(words, f[c])
				}
			}
			cat = inferCategory(words...)
		}
		found := false
		for k, c := range cols {
			if c >= len(f) || f[c] == "" {
				continue
			}
			found = true
			val := f[c]
			switch types[k] {
			case typeNone:
				if !header {
					p.add(n, line, val, cat)
					continue
				}
				host, _, ok := urlHost(val)
				if !ok {
					p.bad(n, line, "URL without a host")
					continue
				}
				p.addAs(n, line, host, val, cat)
			case typeIP4:
				p.addIP(n, line, val, cat)
			default:
				ind, reason := classify(val)
				if reason == "" && ind.typ != typeDomain {
					reason = "not a domain"
				}
				if reason != "" {
					p.bad(n, line, reason)
					continue
				}
				p.out.entry(ind, val, n, cat)
			}
		}
		if !found {
			p.skip(n, line, "no network indicator in row")
		}
	})
}

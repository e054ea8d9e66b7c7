package intel

import (
	"net/netip"
	"strings"
)

// entryType is what an entry matches.
type entryType uint8

const (
	typeNone   entryType = iota
	typeIP4              // one IPv4 address
	typeIP6              // one IPv6 address
	typeCIDR4            // an IPv4 range
	typeCIDR6            // an IPv6 range
	typeDomain           // a domain and its subdomains
)

// indicator is a parsed entry in canonical form.
type indicator struct {
	typ    entryType
	prefix netip.Prefix // IP types: /32 or /128 for one address; masked; IPv4 unmapped
	domain string       // typeDomain: lower case, no trailing dot
}

// MaxDomainLen is the longest domain name accepted (RFC 1035, without the
// root dot).
const MaxDomainLen = 253

// classify parses one entry as written: an IP address, a CIDR range or a
// domain name. It returns a reason when tok is none of them.
func classify(tok string) (indicator, string) {
	if tok == "" {
		return indicator{}, "empty entry"
	}
	if a, err := netip.ParseAddr(tok); err == nil {
		if a.Zone() != "" {
			return indicator{}, "address with a zone"
		}
		return ipIndicator(a), ""
	}
	if strings.IndexByte(tok, '/') >= 0 {
		p, err := netip.ParsePrefix(tok)
		if err != nil {
			return indicator{}, "invalid CIDR"
		}
		return prefixIndicator(p), ""
	}
	d, reason := canonicalDomain(tok)
	if reason != "" {
		return indicator{}, reason
	}
	return indicator{typ: typeDomain, domain: d}, ""
}

// classifyIP is classify for fields that must hold an address or CIDR.
func classifyIP(tok string) (indicator, string) {
	ind, reason := classify(tok)
	if reason == "" && ind.typ == typeDomain {
		return indicator{}, "not an IP address"
	}
	return ind, reason
}

func ipIndicator(a netip.Addr) indicator {
	a = a.Unmap()
	if a.Is4() {
		return indicator{typ: typeIP4, prefix: netip.PrefixFrom(a, 32)}
	}
	return indicator{typ: typeIP6, prefix: netip.PrefixFrom(a, 128)}
}

func prefixIndicator(p netip.Prefix) indicator {
	a, bits := p.Addr(), p.Bits()
	if a.Is4In6() && bits >= 96 {
		a, bits = a.Unmap(), bits-96
	}
	p = netip.PrefixFrom(a, bits).Masked()
	switch {
	case a.Is4() && bits == 32:
		return indicator{typ: typeIP4, prefix: p}
	case a.Is6() && bits == 128:
		return indicator{typ: typeIP6, prefix: p}
	case a.Is4():
		return indicator{typ: typeCIDR4, prefix: p}
	}
	return indicator{typ: typeCIDR6, prefix: p}
}

// canonicalDomain lower-cases a domain name and drops a trailing root dot
// and a leading "*." or "." (a wildcard or suffix mark: the entry matches
// subdomains anyway). It allocates only when the name has upper case.
func canonicalDomain(s string) (string, string) {
	s = strings.TrimSuffix(s, ".")
	if strings.HasPrefix(s, "*.") {
		s = s[2:]
	} else if strings.HasPrefix(s, ".") {
		s = s[1:]
	}
	if reason := checkDomain(s); reason != "" {
		return "", reason
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s), ""
		}
	}
	return s, ""
}

// checkDomain checks a domain name without its trailing dot: at most 253
// bytes, labels of 1 to 63 letters, digits, '-' or '_' (which real feeds
// contain), and a last label that is not all digits (so "1.2.3" and
// "300.1.1.1" are not taken for names).
func checkDomain(s string) string {
	if s == "" {
		return "empty domain"
	}
	if len(s) > MaxDomainLen {
		return "domain longer than 253 characters"
	}
	label, digitsOnly := 0, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if label == 0 {
				return "empty label in domain"
			}
			label, digitsOnly = 0, true
			continue
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-', c == '_':
			digitsOnly = false
		default:
			if c >= 0x80 {
				return "non-ASCII domain (use punycode)"
			}
			return "invalid character in domain"
		}
		label++
		if label > 63 {
			return "domain label longer than 63 characters"
		}
	}
	if label == 0 {
		return "empty label in domain"
	}
	if digitsOnly {
		return "not an IP address or domain"
	}
	return ""
}

// urlHost returns the host of a URL ("scheme://[user@]host[:port]/path") or
// of a scheme-less "host[:port]/path", and whether a path, query or
// fragment follows it.
func urlHost(u string) (host string, hasPath bool, ok bool) {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	} else if strings.HasPrefix(u, "//") {
		u = u[2:]
	}
	end := strings.IndexAny(u, "/?#")
	if end >= 0 {
		rest := u[end:]
		hasPath = rest != "/"
		u = u[:end]
	}
	if at := strings.LastIndexByte(u, '@'); at >= 0 {
		u = u[at+1:]
	}
	host, ok = stripPort(u)
	return host, hasPath, ok && host != ""
}

// stripPort drops a ":port" from "host:port" or "[v6]:port" and the
// brackets of "[v6]". A bare IPv6 address is returned as is.
func stripPort(s string) (string, bool) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", false
		}
		rest := s[end+1:]
		if rest != "" && (rest[0] != ':' || !allDigits(rest[1:])) {
			return "", false
		}
		return s[1:end], true
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 || strings.IndexByte(s[:i], ':') >= 0 {
		return s, true // no port, or an IPv6 address
	}
	if !allDigits(s[i+1:]) {
		return "", false
	}
	return s[:i], true
}

func allDigits(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

package baseline

import (
	"net/netip"
	"strconv"
	"strings"
)

// ASNLookup maps an address to its autonomous system number. A table of
// iptoasn.com's ip2asn files (package geoasn) is one.
type ASNLookup interface {
	LookupASN(ip netip.Addr) (asn uint32, ok bool)
}

// netKey identifies a source network: the top byte is the kind, the rest
// the value. It holds no pointers, so profiles stay flat.
type netKey uint64

const (
	netV4     = 1 // IPv4 /24: the first three bytes
	netV6     = 2 // IPv6 /48: the first six bytes
	netASN    = 3 // an autonomous system number
	netNonIP  = 4 // sourceIPAddress is not an address: an FNV hash of it
	kindShift = 56
)

func (k netKey) kind() int { return int(k >> kindShift) }

// String renders the key: 203.0.113.0/24, 2001:db8:1::/48, AS64496.
func (k netKey) String() string {
	v := uint64(k) & (1<<kindShift - 1)
	switch k.kind() {
	case netV4:
		return netip.AddrFrom4([4]byte{byte(v >> 16), byte(v >> 8), byte(v), 0}).String() + "/24"
	case netV6:
		var a [16]byte
		for i := 0; i < 6; i++ {
			a[i] = byte(v >> (8 * (5 - i)))
		}
		return netip.AddrFrom16(a).String() + "/48"
	case netASN:
		return "AS" + strconv.FormatUint(v, 10)
	case netNonIP:
		return "non-ip:" + strconv.FormatUint(v, 16)
	}
	return ""
}

// parseIP reads sourceIPAddress. IPv4 octets may have leading zeros
// (anonymised logs write 075.050.255.67; net/netip refuses them). It does
// not allocate.
func parseIP(s string) (netip.Addr, bool) {
	if a, ok := parseV4(s); ok {
		return a, true
	}
	if strings.IndexByte(s, ':') < 0 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

func parseV4(s string) (netip.Addr, bool) {
	var b [4]byte
	part, digits, val := 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			val = val*10 + int(c-'0')
			if digits > 3 || val > 255 {
				return netip.Addr{}, false
			}
		case c == '.':
			if digits == 0 || part == 3 {
				return netip.Addr{}, false
			}
			b[part] = byte(val)
			part, digits, val = part+1, 0, 0
		default:
			return netip.Addr{}, false
		}
	}
	if part != 3 || digits == 0 {
		return netip.Addr{}, false
	}
	b[3] = byte(val)
	return netip.AddrFrom4(b), true
}

// prefixKey is the /24 (IPv4) or /48 (IPv6) of an address.
func prefixKey(a netip.Addr) netKey {
	if a.Is4() {
		b := a.As4()
		return netKey(uint64(netV4)<<kindShift | uint64(b[0])<<16 | uint64(b[1])<<8 | uint64(b[2]))
	}
	b := a.As16()
	var v uint64
	for i := 0; i < 6; i++ {
		v = v<<8 | uint64(b[i])
	}
	return netKey(uint64(netV6)<<kindShift | v)
}

func asnKey(asn uint32) netKey { return netKey(uint64(netASN)<<kindShift | uint64(asn)) }

func nonIPKey(s string) netKey {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return netKey(uint64(netNonIP)<<kindShift | uint64(h))
}

// uaFamily normalizes a user agent to the tool that sent it:
// "aws-cli/2.15.0 Python/3.11 …" → "aws-cli". The result is a constant or
// a substring of ua (no allocation), at most uaNameLen bytes.
func uaFamily(ua string) string {
	ua = strings.TrimSpace(ua)
	ua = strings.TrimPrefix(ua, "[")
	switch {
	case ua == "":
		return "none"
	case strings.HasPrefix(ua, "stratus-red-team"):
		return "stratus-red-team"
	case strings.HasPrefix(ua, "aws-cli/"):
		return "aws-cli"
	case strings.HasPrefix(ua, "Boto3/"), strings.HasPrefix(ua, "Botocore/"), strings.HasPrefix(ua, "botocore/"):
		return "boto3"
	case strings.Contains(ua, "Terraform/") || strings.Contains(ua, "terraform-provider-aws"):
		return "terraform"
	case strings.Contains(ua, "Pulumi"):
		return "pulumi"
	case strings.Contains(ua, "aws-cdk"):
		return "cdk"
	case ua == "AWS Internal" || strings.HasPrefix(ua, "aws-internal"):
		return "aws-internal"
	case ua == "console.amazonaws.com" || ua == "signin.amazonaws.com" ||
		strings.HasPrefix(ua, "console.") || strings.Contains(ua, ".console.aws.amazon.com"):
		return "console"
	case strings.HasPrefix(ua, "Mozilla/"):
		switch {
		case strings.Contains(ua, "Windows"):
			return "browser-windows"
		case strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPad"):
			return "browser-ios"
		case strings.Contains(ua, "Mac OS X") || strings.Contains(ua, "Macintosh"):
			return "browser-macos"
		case strings.Contains(ua, "Android"):
			return "browser-android"
		case strings.Contains(ua, "Linux") || strings.Contains(ua, "X11"):
			return "browser-linux"
		}
		return "browser"
	}
	// First token: "aws-sdk-go-v2/1.32.3 os/linux …" → "aws-sdk-go-v2".
	end := len(ua)
	for i := 0; i < len(ua); i++ {
		if c := ua[i]; c == '/' || c == ' ' || c == '(' || c == ',' || c == ';' || c == ']' {
			end = i
			break
		}
	}
	if end == 0 {
		return "other"
	}
	if end > uaNameLen {
		end = uaNameLen
	}
	return ua[:end]
}

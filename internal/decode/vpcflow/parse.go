package vpcflow

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"strconv"
	"time"

	"github.com/picket-dev/picket/internal/event"
)

// errCode says what is wrong with a record. Reasons are only formatted for
// bad records, off the hot path.
type errCode uint8

const (
	eNone      errCode = iota
	eCount             // wrong number of fields
	eNumber            // not a number
	eRange             // a number out of range for the field
	eAddr              // not an IP address
	eAction            // action is not ACCEPT or REJECT
	eLogStatus         // log-status is not OK, NODATA or SKIPDATA
	eDirection         // flow-direction is not ingress or egress
	eHeader            // a header line after the first line
)

// perr is a parse failure, returned by value so parsing never allocates.
type perr struct {
	code  errCode
	field int    // position of the bad field
	got   int    // number of fields found (eCount)
	tok   []byte // the bad value
}

// maxUnix is the last second of year 9999: later "times" are garbage, and
// would not survive JSON encoding.
const maxUnix = 253402300799

// sep marks the bytes that separate fields.
var sep = [256]bool{' ': true, '\t': true}

// parseRecord splits one record into fields and sets them on e, which the
// caller has reset. Fields are separated by spaces (runs of spaces and tabs
// are tolerated). "-" is a missing value and leaves the field zero.
//
// Each field is parsed where it starts and its parser finds where it ends
// (a number as it reads its digits, eight at a time), so the line is
// scanned once. A wrong field count wins over a bad value.
func parseRecord(b []byte, l *layout, e *event.Event) perr {
	if len(b) > 0 && b[0]-'a' < 26 && midHeader(b) {
		return perr{code: eHeader}
	}
	kinds := l.kinds
	n := len(kinds)
	var memo addrMemo
	f, i := 0, 0
	for {
		if i < len(b) && b[i] == ' ' { // the usual single space
			i++
		}
		for i < len(b) && sep[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
		if f >= n {
			return perr{code: eCount, got: f + countFields(b[i:])}
		}
		j, c := setField(kinds[f], b, i, e, &memo)
		if c != eNone {
			if got := f + countFields(b[i:]); got != n {
				return perr{code: eCount, got: got}
			}
			return perr{code: c, field: f, tok: b[i:tokenEnd(b, i)]}
		}
		i = j
		f++
	}
	if f != n {
		return perr{code: eCount, got: f}
	}
	return perr{}
}

// countFields counts the fields of b.
func countFields(b []byte) int {
	f := 0
	for i := 0; ; {
		for i < len(b) && sep[b[i]] {
			i++
		}
		if i >= len(b) {
			return f
		}
		i = tokenEnd(b, i)
		f++
	}
}

// SWAR constants: a byte value in every byte of a word.
const (
	ones   = 0x0101010101010101
	high   = 0x8080808080808080
	zeros  = 0x3030303030303030 // '0'
	over   = 0x4646464646464646 // added to a byte above '9', sets its high bit
	spaces = 0x2020202020202020
	tabs   = 0x0909090909090909
)

// tokenEnd returns the index of the separator (or the end) after the
// field starting at b[i].
func tokenEnd(b []byte, i int) int {
	// Eight bytes at a time (SWAR): for a byte value v, (x^v - 0x01…) &^
	// (x^v) & 0x80… has a high bit set at the bytes of x equal to v, the
	// lowest of them exactly.
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		s, t := x^spaces, x^tabs
		if m := ((s-ones)&^s | (t-ones)&^t) & high; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	for i < len(b) && !sep[b[i]] {
		i++
	}
	return i
}

// midHeader reports whether b, a line that is not the first, is a header
// line: its first field is a field name, and the whole line looks like a
// header. Only lines starting with a lower-case letter get here.
func midHeader(b []byte) bool {
	i := tokenEnd(b, 0)
	if _, ok := known[string(b[:i])]; !ok {
		return false
	}
	return headerLike(b)
}

// setField parses the field of kind k starting at b[i] into e and returns
// the index just past it.
func setField(k kind, b []byte, i int, e *event.Event, m *addrMemo) (int, errCode) {
	if k == kInstance {
		e.Net.InstanceIDLogged = true // "-" then says the interface is not an instance's
	}
	if b[i] == '-' && (i+1 == len(b) || sep[b[i+1]]) {
		return i + 1, eNone // missing
	}
	n := &e.Net
	switch k {
	case kSrcAddr:
		return m.addr(b, i, &n.SrcAddr)
	case kDstAddr:
		return m.addr(b, i, &n.DstAddr)
	case kSrcPort:
		return parseU16(b, i, &n.SrcPort)
	case kDstPort:
		return parseU16(b, i, &n.DstPort)
	case kPackets:
		return parseI64(b, i, &n.Packets)
	case kBytes:
		return parseI64(b, i, &n.Bytes)
	case kStart:
		return parseUnix(b, i, &n.Start)
	case kEnd:
		return parseUnix(b, i, &n.End)
	case kProtocol:
		j, v, ok := number(b, i)
		if !ok {
			return j, eNumber
		}
		if v > math.MaxUint8 {
			return j, eRange
		}
		n.Protocol = uint8(v)
		return j, eNone
	case kVersion:
		j, _, ok := number(b, i)
		if !ok {
			return j, eNumber
		}
		return j, eNone
	case kPktSrcAddr:
		return m.addr(b, i, &n.PktSrcAddr)
	case kPktDstAddr:
		return m.addr(b, i, &n.PktDstAddr)
	case kTCPFlags:
		n.TCPFlagsLogged = true
		return parseU16(b, i, &n.TCPFlags)
	}
	j := tokenEnd(b, i)
	t := b[i:j]
	switch k {
	case kAccount:
		e.Account = event.B2S(t)
	case kInterface:
		n.InterfaceID = event.B2S(t)
	case kAction:
		switch string(t) {
		case "ACCEPT":
			n.Action = "ACCEPT"
		case "REJECT":
			n.Action = "REJECT"
		default:
			return j, eAction
		}
	case kLogStatus:
		switch string(t) {
		case "OK":
			n.LogStatus = "OK"
		case "NODATA":
			n.LogStatus = "NODATA"
		case "SKIPDATA":
			n.LogStatus = "SKIPDATA"
		default:
			return j, eLogStatus
		}
	case kDirection:
		switch string(t) {
		case "ingress":
			n.Direction = "ingress"
		case "egress":
			n.Direction = "egress"
		default:
			return j, eDirection
		}
	case kVPC:
		n.VPCID = event.B2S(t)
	case kSubnet:
		n.SubnetID = event.B2S(t)
	case kInstance:
		n.InstanceID = event.B2S(t)
	case kRegion:
		e.Region = event.B2S(t)
	}
	return j, eNone
}

// number reads the decimal number without sign starting at b[i], of at
// most 19 digits (so it cannot overflow), which must end at a separator or
// the end of b. It returns the index after the digits.
//
// Eight bytes are looked at at once (SWAR): a byte is a digit when
// subtracting '0' does not borrow and adding 0x46 does not reach 0x80. The
// lowest byte that is not a digit ends the number; the bytes above it may
// be mangled by borrows and carries, and are not looked at.
func number(b []byte, i int) (int, uint64, bool) {
	if i+16 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		t := x - zeros
		if m := (t | (x + over)) & high; m != 0 {
			l := bits.TrailingZeros64(m) >> 3
			j := i + l
			if l == 0 || !sep[b[j]] {
				return j, 0, false
			}
			return j, combine8(t, l), true
		}
		// Eight digits, and more.
		x2 := binary.LittleEndian.Uint64(b[i+8:])
		t2 := x2 - zeros
		if m := (t2 | (x2 + over)) & high; m != 0 {
			l := bits.TrailingZeros64(m) >> 3
			j := i + 8 + l
			if !sep[b[j]] {
				return j, 0, false
			}
			if l == 0 {
				return j, combine8(t, 8), true
			}
			return j, combine8(t, 8)*pow10[l] + combine8(t2, l), true
		}
	}
	// Near the end of the line, or longer than 16 digits.
	var v uint64
	j := i
	for ; j < len(b); j++ {
		c := b[j] - '0'
		if c > 9 {
			break
		}
		v = v*10 + uint64(c)
	}
	if j == i || j-i > 19 || (j < len(b) && !sep[b[j]]) {
		return j, 0, false
	}
	return j, v, true
}

var pow10 = [9]uint64{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000}

// combine8 turns the first l (1 to 8) bytes of t, digit values in a
// little-endian word, into their number: the bytes after them are shifted
// out (leading zeros come in), then digits are combined pairwise with three
// multiplications.
func combine8(t uint64, l int) uint64 {
	t <<= uint(8-l) * 8
	t = (t * (10<<8 + 1)) >> 8
	t = ((t & 0x00FF00FF00FF00FF) * (100<<16 + 1)) >> 16
	return ((t & 0x0000FFFF0000FFFF) * (10000<<32 + 1)) >> 32
}

func parseU16(b []byte, i int, dst *uint16) (int, errCode) {
	j, v, ok := number(b, i)
	if !ok {
		return j, eNumber
	}
	if v > math.MaxUint16 {
		return j, eRange
	}
	*dst = uint16(v)
	return j, eNone
}

func parseI64(b []byte, i int, dst *int64) (int, errCode) {
	j, v, ok := number(b, i)
	if !ok {
		return j, eNumber
	}
	if v > math.MaxInt64 {
		return j, eRange
	}
	*dst = int64(v)
	return j, eNone
}

func parseUnix(b []byte, i int, dst *time.Time) (int, errCode) {
	j, v, ok := number(b, i)
	if !ok {
		return j, eNumber
	}
	if v > maxUnix {
		return j, eRange
	}
	*dst = time.Unix(int64(v), 0).UTC()
	return j, eNone
}

// addrMemo remembers the first addresses parsed in a record, so that a
// field repeating one (pkt-srcaddr is usually srcaddr) is not parsed again.
type addrMemo struct {
	n    int
	s, e [2]int // where they are in the record
	v    [2]netip.Addr
}

// addr reads the IP address starting at b[i] into dst and returns the index
// after it.
func (m *addrMemo) addr(b []byte, i int, dst *netip.Addr) (int, errCode) {
	j := tokenEnd(b, i)
	for k := 0; k < m.n; k++ {
		if string(b[i:j]) == string(b[m.s[k]:m.e[k]]) {
			*dst = m.v[k]
			return j, eNone
		}
	}
	c := parseAddr(b, i, j, dst)
	if c == eNone && m.n < len(m.v) {
		m.s[m.n], m.e[m.n], m.v[m.n] = i, j, *dst
		m.n++
	}
	return j, c
}

// parseAddr parses b[i:j] as an IP address: dotted IPv4 directly, anything
// else through netip.ParseAddr.
func parseAddr(b []byte, i, j int, dst *netip.Addr) errCode {
	if ip, ok := parseIPv4(b, i, j); ok {
		*dst = netip.AddrFrom4(ip)
		return eNone
	}
	a, err := netip.ParseAddr(event.B2S(b[i:j]))
	if err != nil {
		return eAddr
	}
	*dst = a
	return eNone
}

// parseIPv4 parses b[i:j] as four decimal octets of one to three digits
// without leading zeros, the IPv4 form netip.ParseAddr takes. It looks at
// sixteen bytes at once (SWAR): masks of the dots and of the bytes that
// are not digits give the octets, which are read without branching on
// their lengths. ok is false for anything else, and near the end of b
// (the caller then asks netip).
func parseIPv4(b []byte, i, j int) (ip [4]byte, ok bool) {
	l := j - i
	if l < 7 || l > 15 || i+18 > len(b) {
		return ip, false
	}
	x0 := binary.LittleEndian.Uint64(b[i:])
	x1 := binary.LittleEndian.Uint64(b[i+8:])
	in := uint32(1)<<l - 1
	dots := (movemask(zeroBytes(x0^dotsWord)) | movemask(zeroBytes(x1^dotsWord))<<8) & in
	other := (movemask(nonDigits(x0)) | movemask(nonDigits(x1))<<8) & in
	if other != dots || bits.OnesCount32(dots) != 3 {
		return ip, false
	}
	p1 := bits.TrailingZeros32(dots)
	dots &= dots - 1
	p2 := bits.TrailingZeros32(dots)
	dots &= dots - 1
	p3 := bits.TrailingZeros32(dots)
	v0, ok0 := octet(b, i, i+p1)
	v1, ok1 := octet(b, i+p1+1, i+p2)
	v2, ok2 := octet(b, i+p2+1, i+p3)
	v3, ok3 := octet(b, i+p3+1, j)
	return [4]byte{v0, v1, v2, v3}, ok0 && ok1 && ok2 && ok3
}

// Digit weights of an octet's bytes by its length: the bytes after a
// short octet are read too, and weigh nothing.
var w0, w1, w2 = [4]uint{0, 1, 10, 100}, [4]uint{0, 0, 1, 10}, [4]uint{0, 0, 0, 1}

// octet reads the digits b[s:e] (known to be digits) as an octet: one to
// three of them, no leading zero, at most 255. b[s+2] must exist.
func octet(b []byte, s, e int) (byte, bool) {
	n := uint(e-s) & 3
	v := uint(b[s]-'0')*w0[n] + uint(b[s+1]-'0')*w1[n] + uint(b[s+2]-'0')*w2[n]
	return byte(v), e-s == int(n) && n != 0 && v <= 255 && (n == 1 || b[s] != '0')
}

const dotsWord = 0x2e2e2e2e2e2e2e2e // '.' in every byte

// zeroBytes sets the high bit of exactly the zero bytes of x (no borrow
// crosses bytes).
func zeroBytes(x uint64) uint64 {
	return ^(((x & 0x7f7f7f7f7f7f7f7f) + 0x7f7f7f7f7f7f7f7f) | x) & high
}

// nonDigits sets the high bit of exactly the bytes of x that are not
// ASCII digits.
func nonDigits(x uint64) uint64 {
	y := x ^ zeros // digits become 0 to 9
	return (((y & 0x7f7f7f7f7f7f7f7f) + 0x7676767676767676) | y) & high
}

// movemask gathers the high bits of m's bytes into bits 0 to 7.
func movemask(m uint64) uint32 {
	return uint32(((m >> 7) * 0x0102040810204080) >> 56)
}

// reason formats what is wrong, naming the field.
func (pe perr) reason(l *layout) string {
	name := ""
	if pe.field < len(l.names) {
		name = l.names[pe.field]
	}
	v := quote(pe.tok)
	switch pe.code {
	case eCount:
		s := fmt.Sprintf("expected %d fields (%s), got %d", len(l.kinds), l.source, pe.got)
		if l == defaultLayout && pe.got > len(l.kinds) {
			s += ": a custom format needs its header line, or the field list in format_options fields"
		}
		return s
	case eNumber:
		return fmt.Sprintf("field %s: %s is not a number", name, v)
	case eRange:
		switch l.kinds[pe.field] {
		case kSrcPort, kDstPort:
			return fmt.Sprintf("field %s: %s is not a port number (0-65535)", name, v)
		case kProtocol:
			return fmt.Sprintf("field %s: %s is not a protocol number (0-255)", name, v)
		case kStart, kEnd:
			return fmt.Sprintf("field %s: %s is not a time in Unix seconds", name, v)
		}
		return fmt.Sprintf("field %s: %s is out of range", name, v)
	case eAddr:
		return fmt.Sprintf("field %s: %s is not an IP address", name, v)
	case eAction:
		return fmt.Sprintf("field %s: %s is not ACCEPT, REJECT or -", name, v)
	case eLogStatus:
		return fmt.Sprintf("field %s: %s is not OK, NODATA, SKIPDATA or -", name, v)
	case eDirection:
		return fmt.Sprintf("field %s: %s is not ingress, egress or -", name, v)
	case eHeader:
		return "a header line after the start of the stream: a flow log file has one header, on its first line"
	}
	return "bad record"
}

// quote quotes a value for a reason, shortened to 64 bytes.
func quote(b []byte) string {
	if len(b) > 64 {
		return strconv.Quote(string(b[:64])) + "…"
	}
	return strconv.Quote(string(b))
}

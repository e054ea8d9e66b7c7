// Package geoasn maps IP addresses to autonomous systems from
// iptoasn.com's ip2asn-v4.tsv / ip2asn-v6.tsv files: one range a line,
// tab-separated range_start, range_end, AS_number, country_code,
// AS_description. Lookups are a binary search over sorted, disjoint
// ranges and do not allocate.
package geoasn

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Entry is what a range says about its addresses.
type Entry struct {
	ASN         uint32
	Country     string
	Description string
}

// Table is a loaded ip2asn file (v4, v6 or both). Safe for concurrent
// lookups; it never changes once built.
type Table struct {
	v4      []rng4
	v6      []rng6
	entries []Entry
}

type rng4 struct {
	start, end uint32
	entry      int32
}

type rng6 struct {
	start, end netip.Addr
	entry      int32
}

// Len is the number of ranges.
func (t *Table) Len() int { return len(t.v4) + len(t.v6) }

// Load reads a file; a name ending in .gz is gunzipped.
func Load(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		defer z.Close()
		r = z
	}
	t, err := Parse(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Parse reads ip2asn lines. Ranges of AS 0 ("Not routed") are dropped;
// blank lines and lines starting with # are skipped. Ranges may come in
// any order but must not overlap.
func Parse(r io.Reader) (*Table, error) {
	t := &Table{}
	byEntry := map[Entry]int32{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimRight(sc.Text(), "\r")
		if s == "" || s[0] == '#' {
			continue
		}
		f := strings.SplitN(s, "\t", 5)
		if len(f) < 3 {
			return nil, fmt.Errorf("line %d: want at least 3 tab-separated fields, got %d", line, len(f))
		}
		start, err := netip.ParseAddr(f[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: range_start: %w", line, err)
		}
		end, err := netip.ParseAddr(f[1])
		if err != nil {
			return nil, fmt.Errorf("line %d: range_end: %w", line, err)
		}
		start, end = start.Unmap(), end.Unmap()
		if start.Zone() != "" || end.Zone() != "" {
			return nil, fmt.Errorf("line %d: zoned address", line)
		}
		if start.Is4() != end.Is4() || end.Less(start) {
			return nil, fmt.Errorf("line %d: bad range %s-%s", line, start, end)
		}
		asn, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("line %d: AS_number: %w", line, err)
		}
		if asn == 0 {
			continue
		}
		e := Entry{ASN: uint32(asn)}
		if len(f) > 3 {
			e.Country = f[3]
		}
		if len(f) > 4 {
			e.Description = f[4]
		}
		id, ok := byEntry[e]
		if !ok {
			id = int32(len(t.entries))
			t.entries = append(t.entries, e)
			byEntry[e] = id
		}
		if start.Is4() {
			t.v4 = append(t.v4, rng4{u32(start), u32(end), id})
		} else {
			t.v6 = append(t.v6, rng6{start, end, id})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	sort.Slice(t.v4, func(i, j int) bool { return t.v4[i].start < t.v4[j].start })
	sort.Slice(t.v6, func(i, j int) bool { return t.v6[i].start.Less(t.v6[j].start) })
	for i := 1; i < len(t.v4); i++ {
		if t.v4[i].start <= t.v4[i-1].end {
			return nil, fmt.Errorf("ranges overlap at %s", addr4(t.v4[i].start))
		}
	}
	for i := 1; i < len(t.v6); i++ {
		if !t.v6[i-1].end.Less(t.v6[i].start) {
			return nil, fmt.Errorf("ranges overlap at %s", t.v6[i].start)
		}
	}
	return t, nil
}

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func addr4(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// Lookup returns the entry of the range holding ip.
func (t *Table) Lookup(ip netip.Addr) (Entry, bool) {
	if i := t.find(ip); i >= 0 {
		return t.entries[i], true
	}
	return Entry{}, false
}

// LookupASN returns the AS number of ip (the baseline detector's
// ASNLookup).
func (t *Table) LookupASN(ip netip.Addr) (uint32, bool) {
	if i := t.find(ip); i >= 0 {
		return t.entries[i].ASN, true
	}
	return 0, false
}

func (t *Table) find(ip netip.Addr) int32 {
	if t == nil || !ip.IsValid() {
		return -1
	}
	ip = ip.Unmap()
	if ip.Is4() {
		v := u32(ip)
		// first range starting after v, then the one before it
		i := sort.Search(len(t.v4), func(i int) bool { return t.v4[i].start > v }) - 1
		if i >= 0 && v <= t.v4[i].end {
			return t.v4[i].entry
		}
		return -1
	}
	ip = ip.WithZone("")
	i := sort.Search(len(t.v6), func(i int) bool { return ip.Less(t.v6[i].start) }) - 1
	if i >= 0 && !t.v6[i].end.Less(ip) {
		return t.v6[i].entry
	}
	return -1
}

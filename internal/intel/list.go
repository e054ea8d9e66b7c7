package intel

import (
	"crypto/sha256"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unsafe"
)

// prov is the provenance of one entry: 20 bytes. Raw text and domain keys
// are offsets into the list's text (the file's content, or the list's extra
// text for what is not in the file as such: a lower-cased domain, a STIX
// value with JSON escapes).
type prov struct {
	off   uint32 // the entry as written
	koff  uint32 // domain entries: the key (lower case, no trailing dot)
	line  uint32
	first uint32 // first seen, Unix seconds
	n     uint16 // length of the entry as written (cut to 65535)
	kn    uint8  // length of the key
	cat   Category
}

// listData is one loaded version of a list. It is immutable once built.
type listData struct {
	cfg   ListConfig // normalized
	li    int        // index in the configuration
	data  string     // the content (aliases the bytes read)
	extra string     // text for raws and keys not found verbatim in data
	prov  []prov     // by entry index; duplicates keep a prov nobody refers to
	ip    ipIndex
	dom   *domTable
	stats listStats

	digest      [32]byte
	firstLoaded time.Time // when this list first loaded (kept across reloads)
	updated     time.Time // when this version loaded
}

type listStats struct {
	entries      int // unique entries
	bad, skipped int
	duplicates   int
	badLines     []LineProblem
	skippedLines []LineProblem
}

func (l *listData) str(off, n uint32) string {
	if d := uint32(len(l.data)); off < d {
		return l.data[off : off+n]
	} else {
		return l.extra[off-d : off-d+n]
	}
}

// entry returns the Entry a ref names; pfx or domain is its canonical value.
func (l *listData) entry(ref uint32, pfx netip.Prefix, domain string) Entry {
	p := &l.prov[ref&refEntryMask]
	return Entry{
		List:      l.cfg.Name,
		Kind:      l.cfg.Kind,
		Category:  p.cat,
		Line:      int(p.line),
		Raw:       l.str(p.off, uint32(p.n)),
		Prefix:    pfx,
		Domain:    domain,
		FirstSeen: time.Unix(int64(p.first), 0).UTC(),
	}
}

// builder is the sink that turns parsed entries into a listData.
type builder struct {
	l      *listData
	lists  []*listData // for domain keys: lists[l.li] == l
	h      hasher
	defCat Category
	now    uint32
	extra  []byte
	v4     []uint64
	v6     []v6rec
	c4, c6 []cidrRec
	doms   []uint32 // entry indexes of domain entries
	full   bool
}

// buildList parses data into a new version of list li. lists is the
// snapshot-to-be's list slice; the new list is stored in it at li.
func buildList(cfg ListConfig, li int, data []byte, lists []*listData, h hasher, now time.Time) (*listData, error) {
	cfg, defCat := cfg.normalized()
	var content string
	if len(data) > 0 {
		content = unsafe.String(&data[0], len(data)) // data is ours and never written again
	}
	l := &listData{cfg: cfg, li: li, data: content, digest: sha256.Sum256(data), updated: now, firstLoaded: now}
	// Most formats give at most one entry per line.
	l.prov = make([]prov, 0, min(strings.Count(content, "\n")+1, MaxListEntries))
	b := &builder{l: l, lists: lists, h: h, defCat: defCat, now: uint32(max(now.Unix(), 0))}
	if err := parseContent(content, cfg.Format, cfg.fileName(), now, b); err != nil {
		return nil, err
	}
	if b.full {
		return nil, fmt.Errorf("more than %d entries", MaxListEntries)
	}
	l.extra = string(b.extra)
	l.prov = shrink(l.prov)
	prev := lists[li]
	lists[li] = l

	var d int
	slices.Sort(b.v4)
	b.v4, d = dedupV4(b.v4)
	l.stats.duplicates += d
	slices.SortFunc(b.v6, cmpV6)
	b.v6, d = dedupV6(b.v6)
	l.stats.duplicates += d
	slices.SortFunc(b.c4, cmpCIDR)
	b.c4, d = dedupCIDR(b.c4)
	l.stats.duplicates += d
	slices.SortFunc(b.c6, cmpCIDR)
	b.c6, d = dedupCIDR(b.c6)
	l.stats.duplicates += d
	l.ip = ipIndex{
		v4: newV4Table(shrink(b.v4)),
		v6: shrink(b.v6),
		c4: newCIDRTable(shrink(b.c4), 32),
		c6: newCIDRTable(shrink(b.c6), 128),
	}
	l.dom = newDomTable(h, len(b.doms))
	for _, e := range b.doms {
		ref := makeRef(li, int(e))
		key := keyOf(lists, ref)
		if _, added := l.dom.insert(lists, key, h.key(key), ref); !added {
			l.stats.duplicates++
		}
	}
	l.stats.entries = l.ip.size() + l.dom.n
	if l.stats.entries == 0 {
		lists[li] = prev
		return l, ErrEmpty
	}
	return l, nil
}

// shrink returns s without much unused capacity.
func shrink[T any](s []T) []T {
	if cap(s)-len(s) > len(s)/8 {
		return slices.Clone(s)
	}
	return s
}

// ref returns the offset of s in the list's text, adding it to the extra
// text when it is not part of the content.
func (b *builder) ref(s string) uint32 {
	data := b.l.data
	if len(s) > 0 && len(data) > 0 {
		d := uintptr(unsafe.Pointer(unsafe.StringData(data)))
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		if p >= d && p+uintptr(len(s)) <= d+uintptr(len(data)) {
			return uint32(p - d)
		}
	}
	off := uint32(len(data) + len(b.extra))
	b.extra = append(b.extra, s...)
	return off
}

func (b *builder) entry(ind indicator, raw string, line int, cat Category) {
	l := b.l
	e := len(l.prov)
	if e >= MaxListEntries {
		b.full = true
		return
	}
	switch {
	case l.cfg.Kind == KindTrusted:
		cat = CategoryNone
	case l.cfg.Kind == KindTor:
		cat = CategoryTor
	case cat == CategoryNone && b.defCat != CategoryNone:
		cat = b.defCat
	case cat == CategoryNone:
		cat = CategoryMalicious
	}
	if len(raw) > 1<<16-1 {
		raw = raw[:1<<16-1]
	}
	p := prov{off: b.ref(raw), n: uint16(len(raw)), line: uint32(line), first: b.now, cat: cat}
	ref := makeRef(l.li, e)
	switch ind.typ {
	case typeIP4:
		b.v4 = append(b.v4, uint64(addr4(ind.prefix.Addr()))<<32|uint64(ref))
	case typeIP6:
		b.v6 = append(b.v6, v6rec{addr: addr6(ind.prefix.Addr()), ref: ref})
	case typeCIDR4:
		b.c4 = append(b.c4, cidrRec{start: u128{0, uint64(addr4(ind.prefix.Addr()))}, bits: uint8(ind.prefix.Bits()), ref: ref})
	case typeCIDR6:
		b.c6 = append(b.c6, cidrRec{start: addr6(ind.prefix.Addr()), bits: uint8(ind.prefix.Bits()), ref: ref})
	case typeDomain:
		if ind.domain == raw {
			p.koff = p.off
		} else {
			p.koff = b.ref(ind.domain)
		}
		p.kn = uint8(len(ind.domain))
		b.doms = append(b.doms, uint32(e))
	default:
		return
	}
	l.prov = append(l.prov, p)
}

func (b *builder) problem(line int, text, reason string, skipped bool) {
	s := &b.l.stats
	lp := LineProblem{Line: line, Text: clip(text), Reason: reason}
	if skipped {
		s.skipped++
		if len(s.skippedLines) < MaxReportedLines {
			s.skippedLines = append(s.skippedLines, lp)
		}
		return
	}
	s.bad++
	if len(s.badLines) < MaxReportedLines {
		s.badLines = append(s.badLines, lp)
	}
}

// diff compares two versions of a list, carries the first-seen times of
// the entries they share into the new one, and counts (and, up to max,
// collects) the entries added and removed.
type diffResult struct {
	added, removed             int
	addedEntries, removedEntry []Entry
}

func diffLists(oldL, newL *listData, oldLists, newLists []*listData, collect bool, maxEntries int) diffResult {
	var r diffResult
	add := func(l *listData, ref uint32, pfx netip.Prefix, dom string, added bool) {
		if added {
			r.added++
			if collect && len(r.addedEntries) < maxEntries {
				r.addedEntries = append(r.addedEntries, l.entry(ref, pfx, dom))
			}
			return
		}
		r.removed++
		if collect && len(r.removedEntry) < maxEntries {
			r.removedEntry = append(r.removedEntry, l.entry(ref, pfx, dom))
		}
	}
	same := func(oldRef, newRef uint32) {
		newL.prov[newRef&refEntryMask].first = oldL.prov[oldRef&refEntryMask].first
	}

	// Sorted merge walks for the address entries.
	o4, n4 := oldL.ip.v4.recs, newL.ip.v4.recs
	for i, j := 0, 0; i < len(o4) || j < len(n4); {
		switch {
		case j == len(n4) || i < len(o4) && o4[i]>>32 < n4[j]>>32:
			add(oldL, uint32(o4[i]), netip.PrefixFrom(from4(uint32(o4[i]>>32)), 32), "", false)
			i++
		case i == len(o4) || n4[j]>>32 < o4[i]>>32:
			add(newL, uint32(n4[j]), netip.PrefixFrom(from4(uint32(n4[j]>>32)), 32), "", true)
			j++
		default:
			same(uint32(o4[i]), uint32(n4[j]))
			i, j = i+1, j+1
		}
	}
	o6, n6 := oldL.ip.v6, newL.ip.v6
	for i, j := 0, 0; i < len(o6) || j < len(n6); {
		switch {
		case j == len(n6) || i < len(o6) && o6[i].addr.less(n6[j].addr):
			add(oldL, o6[i].ref, netip.PrefixFrom(from6(o6[i].addr), 128), "", false)
			i++
		case i == len(o6) || n6[j].addr.less(o6[i].addr):
			add(newL, n6[j].ref, netip.PrefixFrom(from6(n6[j].addr), 128), "", true)
			j++
		default:
			same(o6[i].ref, n6[j].ref)
			i, j = i+1, j+1
		}
	}
	for _, fam := range [2]int{32, 128} {
		oc, nc := oldL.ip.c4.recs, newL.ip.c4.recs
		if fam == 128 {
			oc, nc = oldL.ip.c6.recs, newL.ip.c6.recs
		}
		pfx := func(r cidrRec) netip.Prefix {
			if fam == 32 {
				return netip.PrefixFrom(from4(uint32(r.start.lo)), int(r.bits))
			}
			return netip.PrefixFrom(from6(r.start), int(r.bits))
		}
		key := func(a, b cidrRec) int {
			if c := a.start.cmp(b.start); c != 0 {
				return c
			}
			return int(a.bits) - int(b.bits)
		}
		for i, j := 0, 0; i < len(oc) || j < len(nc); {
			switch {
			case j == len(nc) || i < len(oc) && key(oc[i], nc[j]) < 0:
				add(oldL, oc[i].ref, pfx(oc[i]), "", false)
				i++
			case i == len(oc) || key(nc[j], oc[i]) < 0:
				add(newL, nc[j].ref, pfx(nc[j]), "", true)
				j++
			default:
				same(oc[i].ref, nc[j].ref)
				i, j = i+1, j+1
			}
		}
	}

	// Domains: probe each version's table with the other's keys.
	newL.dom.each(func(ref uint32) {
		key := keyOf(newLists, ref)
		if old, ok := oldL.dom.find(oldLists, key, oldL.dom.h.key(key)); ok {
			same(old, ref)
		} else {
			add(newL, ref, netip.Prefix{}, key, true)
		}
	})
	oldL.dom.each(func(ref uint32) {
		key := keyOf(oldLists, ref)
		if _, ok := newL.dom.find(newLists, key, newL.dom.h.key(key)); !ok {
			add(oldL, ref, netip.Prefix{}, key, false)
		}
	})
	return r
}

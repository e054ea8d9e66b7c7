package baseline

import (
	"encoding/binary"
	"errors"
	"math"
)

// Set sizes. A profile holds no pointers and has a fixed size (see
// BenchmarkDetect's bytes/principal and TestProfileSize).
const (
	netCap    = 16 // source networks per principal
	uaCap     = 8  // user-agent families per principal
	uaNameLen = 22 // bytes kept of a family name
)

// netEntry is one source network of a profile. Times are hours since
// the Unix epoch (event time).
type netEntry struct {
	key         netKey
	first, last uint32
	flagged     bool // took part in a finding: never settles
}

// uaEntry is one user-agent family.
type uaEntry struct {
	first, last uint32
	n           uint8
	flagged     bool
	name        [uaNameLen]byte
}

func (u *uaEntry) is(name string) bool {
	return int(u.n) == len(name) && string(u.name[:u.n]) == name
}

func (u *uaEntry) String() string { return string(u.name[:u.n]) }

// volStat is the hourly volume of one class: the current hour's count and
// the running mean and variance of the counts of past active hours
// (hours with at least one call of the class).
type volStat struct {
	hour, count uint32
	fired       uint32 // count at the last volume finding this hour (0: none)
	n           uint32 // active hours folded in, capped at Options.VolumeMemory
	mean, vari  float32
}

func (v *volStat) sd() float64 { return math.Sqrt(float64(max(v.vari, 0))) }

// fold adds one active hour's count to the running statistics. With n
// capped at memory, older hours decay exponentially.
func (v *volStat) fold(x float64, memory uint32) {
	if v.n < memory {
		v.n++
	}
	a := 1 / float64(v.n)
	d := x - float64(v.mean)
	mean := float64(v.mean) + a*d
	vari := (1 - a) * (float64(v.vari) + a*d*d)
	v.mean, v.vari = float32(mean), float32(vari)
}

// profile is one principal's baseline.
type profile struct {
	first, last int64  // event time, Unix seconds
	events      uint32 // events profiled
	days        uint16 // distinct active days (UTC)
	lastDay     uint32
	grad        uint32 // hour the learning window ended (0: still learning)
	learned     uint16 // classes used in the baseline
	flagged     uint16 // classes seen only in findings
	logins      uint32 // successful console sign-ins
	netDiverse  bool   // too many networks while learning: network novelty says nothing
	uaDiverse   bool
	dirty       bool // changed since the last DirtyState
	persisted   bool // handed out by DirtyState at least once
	nNets, nUAs uint8
	counts      [numClasses]uint32 // calls per class
	nets        [netCap]netEntry
	uas         [uaCap]uaEntry
	vol         [numClasses]volStat
}

func hourOf(unix int64) uint32 { return uint32(max(unix, 0) / 3600) }

// settled reports whether an entry first seen at first and last seen at
// last belongs to the baseline: seen while learning, or seen again at
// least settle hours apart without ever being part of a finding.
func (p *profile) settled(first, last uint32, flagged bool, settle uint32) bool {
	if p.grad != 0 && first <= p.grad {
		return !flagged
	}
	return !flagged && last-first >= settle
}

func (p *profile) findNet(k netKey) int {
	for i := range p.nets[:p.nNets] {
		if p.nets[i].key == k {
			return i
		}
	}
	return -1
}

func (p *profile) findUA(name string) int {
	for i := range p.uas[:p.nUAs] {
		if p.uas[i].is(name) {
			return i
		}
	}
	return -1
}

// touchNet records a network use at hour h; it reports whether the set
// changed (a new entry or a flag).
func (p *profile) touchNet(k netKey, h uint32, flag bool) bool {
	if i := p.findNet(k); i >= 0 {
		e := &p.nets[i]
		e.last = max(e.last, h)
		if flag && !e.flagged {
			e.flagged = true
			return true
		}
		return false
	}
	i := int(p.nNets)
	if i == netCap {
		if p.grad == 0 {
			p.netDiverse = true
		}
		i = 0
		for j := range p.nets {
			if p.nets[j].last < p.nets[i].last {
				i = j
			}
		}
	} else {
		p.nNets++
	}
	p.nets[i] = netEntry{key: k, first: h, last: h, flagged: flag}
	return true
}

func (p *profile) touchUA(name string, h uint32, flag bool) bool {
	if i := p.findUA(name); i >= 0 {
		e := &p.uas[i]
		e.last = max(e.last, h)
		if flag && !e.flagged {
			e.flagged = true
			return true
		}
		return false
	}
	i := int(p.nUAs)
	if i == uaCap {
		if p.grad == 0 {
			p.uaDiverse = true
		}
		i = 0
		for j := range p.uas {
			if p.uas[j].last < p.uas[i].last {
				i = j
			}
		}
	} else {
		p.nUAs++
	}
	e := uaEntry{first: h, last: h, flagged: flag}
	e.n = uint8(copy(e.name[:], name))
	p.uas[i] = e
	return true
}

// Encoding: version byte, then the fields in order, little-endian. Only
// the used set entries are written.
const encVersion = 1

func (p *profile) encode(b []byte) []byte {
	le := binary.LittleEndian
	b = append(b, encVersion)
	b = le.AppendUint64(b, uint64(p.first))
	b = le.AppendUint64(b, uint64(p.last))
	b = le.AppendUint32(b, p.events)
	b = le.AppendUint16(b, p.days)
	b = le.AppendUint32(b, p.lastDay)
	b = le.AppendUint32(b, p.grad)
	b = le.AppendUint16(b, p.learned)
	b = le.AppendUint16(b, p.flagged)
	b = le.AppendUint32(b, p.logins)
	var fl byte
	if p.netDiverse {
		fl |= 1
	}
	if p.uaDiverse {
		fl |= 2
	}
	b = append(b, fl, numClasses)
	for _, c := range p.counts {
		b = le.AppendUint32(b, c)
	}
	for _, v := range p.vol {
		b = le.AppendUint32(b, v.hour)
		b = le.AppendUint32(b, v.count)
		b = le.AppendUint32(b, v.fired)
		b = le.AppendUint32(b, v.n)
		b = le.AppendUint32(b, math.Float32bits(v.mean))
		b = le.AppendUint32(b, math.Float32bits(v.vari))
	}
	b = append(b, p.nNets)
	for _, e := range p.nets[:p.nNets] {
		b = le.AppendUint64(b, uint64(e.key))
		b = le.AppendUint32(b, e.first)
		b = le.AppendUint32(b, e.last)
		b = append(b, boolByte(e.flagged))
	}
	b = append(b, p.nUAs)
	for _, e := range p.uas[:p.nUAs] {
		b = le.AppendUint32(b, e.first)
		b = le.AppendUint32(b, e.last)
		b = append(b, boolByte(e.flagged), e.n)
		b = append(b, e.name[:e.n]...)
	}
	return b
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

var errShort = errors.New("baseline profile: truncated")

type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil || len(r.b) < n {
		r.err = errShort
		return make([]byte, n)
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}
func (r *reader) u8() uint8   { return r.take(1)[0] }
func (r *reader) u16() uint16 { return binary.LittleEndian.Uint16(r.take(2)) }
func (r *reader) u32() uint32 { return binary.LittleEndian.Uint32(r.take(4)) }
func (r *reader) u64() uint64 { return binary.LittleEndian.Uint64(r.take(8)) }

func (p *profile) decode(b []byte) error {
	r := &reader{b: b}
	if v := r.u8(); r.err == nil && v != encVersion {
		return errors.New("baseline profile: unknown encoding version")
	}
	p.first, p.last = int64(r.u64()), int64(r.u64())
	p.events, p.days, p.lastDay, p.grad = r.u32(), r.u16(), r.u32(), r.u32()
	p.learned, p.flagged, p.logins = r.u16(), r.u16(), r.u32()
	fl := r.u8()
	p.netDiverse, p.uaDiverse = fl&1 != 0, fl&2 != 0
	nc := int(r.u8())
	for i := 0; i < nc; i++ {
		c := r.u32()
		if i < numClasses {
			p.counts[i] = c
		}
	}
	for i := 0; i < nc; i++ {
		v := volStat{hour: r.u32(), count: r.u32(), fired: r.u32(), n: r.u32(),
			mean: math.Float32frombits(r.u32()), vari: math.Float32frombits(r.u32())}
		if i < numClasses {
			p.vol[i] = v
		}
	}
	if nc < numClasses {
		// classes added since: nothing learned about them
		p.learned &= 1<<nc - 1
	}
	n := int(r.u8())
	if n > netCap {
		return errors.New("baseline profile: too many networks")
	}
	p.nNets = uint8(n)
	for i := 0; i < n; i++ {
		p.nets[i] = netEntry{key: netKey(r.u64()), first: r.u32(), last: r.u32(), flagged: r.u8() != 0}
	}
	n = int(r.u8())
	if n > uaCap {
		return errors.New("baseline profile: too many user agents")
	}
	p.nUAs = uint8(n)
	for i := 0; i < n; i++ {
		e := uaEntry{first: r.u32(), last: r.u32(), flagged: r.u8() != 0}
		e.n = r.u8()
		if e.n > uaNameLen {
			return errors.New("baseline profile: user agent name too long")
		}
		copy(e.name[:], r.take(int(e.n)))
		p.uas[i] = e
	}
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return errors.New("baseline profile: trailing bytes")
	}
	return nil
}

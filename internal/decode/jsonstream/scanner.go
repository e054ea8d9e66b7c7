// Package jsonstream splits a byte stream of JSON into records without
// parsing them: concatenated or newline-delimited values, top-level arrays,
// and container objects such as CloudTrail's {"Records":[…]} whose array
// elements are the records. Each record comes with its byte offset and line,
// so a bad one can be quarantined with its origin while the rest go on.
//
// The scanner keeps only the current record in memory (bounded by a maximum
// record size), so multi-gigabyte streams and hostile 10 MB lines cost no
// more than the limit.
//
// A UTF-8 byte order mark at the very start of the stream is skipped; offsets
// still count it.
package jsonstream

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// Errors attached to bad items. Test with errors.Is.
var (
	ErrTooLarge  = errors.New("record exceeds the maximum record size")
	ErrTruncated = errors.New("record is truncated")
	ErrSyntax    = errors.New("malformed JSON")
)

// DefaultMaxRecord is the default maximum size of one record.
const DefaultMaxRecord = 8 << 20

// Item is one record, or one stretch of bad input.
type Item struct {
	// Bytes is the record. It is only valid until the next call to Next.
	Bytes  []byte
	Offset int64 // byte offset of the record in the stream
	Line   int64 // 1-based line where it starts
	// Err is set when the item is bad input (ErrTooLarge, ErrTruncated,
	// ErrSyntax, or a read error such as a truncated gzip stream). Bytes then
	// holds a sample of it. Scanning can go on after a bad item.
	Err error
	// Tail says the stream ended, or failed to read, inside this item:
	// nothing follows it. A log file read while it is still being written
	// ends this way, and the item may be complete when the file is read
	// again.
	Tail bool
}

// Scanner splits a stream into items. It is not safe for concurrent use.
type Scanner struct {
	r          io.Reader
	containers []string
	max        int

	buf      []byte
	pos, end int   // buf[pos:end] is unread
	base     int64 // stream offset of buf[0]
	lineNo   int64 // line number at linePos
	linePos  int
	rerr     error // sticky read error (io.EOF at the end)
	fatal    bool  // a Tail item was returned; nothing more follows
	started  bool  // the byte order mark check is done
	resyncs  bool  // a broken array element was returned: resync before going on
	inArray  bool  // inside a top-level array or a container's array
	closeObj bool  // the array is a container's: skip the rest of its object after it
	sample   []byte
}

// NewScanner returns a scanner over r. containers names the object keys whose
// array value holds the records when the key comes first in a top-level
// object (e.g. "Records"). maxRecord <= 0 means DefaultMaxRecord.
func NewScanner(r io.Reader, maxRecord int, containers ...string) *Scanner {
	if maxRecord <= 0 {
		maxRecord = DefaultMaxRecord
	}
	s := &Scanner{containers: containers, max: maxRecord, lineNo: 1}
	s.Reset(r)
	return s
}

// Reset makes the scanner read r from the start, keeping its buffers.
func (s *Scanner) Reset(r io.Reader) {
	if s.buf == nil {
		s.buf = make([]byte, 256<<10)
	}
	*s = Scanner{r: r, containers: s.containers, max: s.max, buf: s.buf, lineNo: 1, sample: s.sample[:0]}
}

// Offset is the number of bytes consumed so far.
func (s *Scanner) Offset() int64 { return s.base + int64(s.pos) }

// Next returns the next item, or io.EOF when the stream is done.
func (s *Scanner) Next() (Item, error) {
	for {
		if s.fatal {
			return Item{}, io.EOF
		}
		if !s.started {
			s.started = true
			s.skipBOM()
		}
		if s.resyncs {
			s.resyncs = false
			s.resync()
		}
		c, ok := s.skipSpace(s.inArray)
		if !ok {
			if s.rerr != nil && s.rerr != io.EOF {
				return s.readFailure(), nil
			}
			if s.inArray {
				s.inArray = false
				return s.tail(s.bad(s.pos, s.pos, fmt.Errorf("%w: input ends inside an array", ErrTruncated))), nil
			}
			return Item{}, io.EOF
		}
		if s.inArray {
			if c == ']' {
				s.pos++
				s.inArray = false
				if s.closeObj {
					s.closeObj = false
					if it, bad := s.skipObjectRest(); bad {
						return it, nil
					}
				}
				continue
			}
			return s.value(false), nil
		}
		switch c {
		case '[':
			s.pos++
			s.inArray, s.closeObj = true, false
			continue
		case '{':
			if n := s.containerStart(); n > 0 {
				s.pos += n
				s.inArray, s.closeObj = true, true
				continue
			}
		}
		return s.value(true), nil
	}
}

// bom is the UTF-8 encoding of U+FEFF, which some tools write at the start
// of a text file.
var bom = []byte{0xEF, 0xBB, 0xBF}

// skipBOM skips a byte order mark at the start of the stream.
func (s *Scanner) skipBOM() {
	for s.end-s.pos < len(bom) && s.fill() {
	}
	if bytes.HasPrefix(s.buf[s.pos:s.end], bom) {
		s.pos += len(bom)
	}
}

// skipSpace skips whitespace (and commas between array elements) and
// returns the next byte without consuming it.
func (s *Scanner) skipSpace(commas bool) (byte, bool) {
	for {
		for s.pos < s.end {
			c := s.buf[s.pos]
			if c == ' ' || c == '\n' || c == '\r' || c == '\t' || (commas && c == ',') {
				s.pos++
				continue
			}
			return c, true
		}
		if !s.fill() {
			return 0, false
		}
	}
}

// containerStart checks whether the object at pos starts with one of the
// container keys followed by an array, and returns how many bytes to skip to
// get past the '[' (0 if not a container).
func (s *Scanner) containerStart() int {
	if len(s.containers) == 0 {
		return 0
	}
	for s.end-s.pos < ContainerLookahead && s.fill() {
	}
	return ContainerStart(s.buf[s.pos:s.end], s.containers...)
}

// ContainerLookahead is how many bytes ContainerStart needs to see.
const ContainerLookahead = 128

// ContainerStart reports whether b (starting at an object's '{') opens a
// container: an object whose first key is one of containers and whose value
// is an array. It returns the index just past the array's '[', or 0. Only
// the first ContainerLookahead bytes are looked at.
func ContainerStart(b []byte, containers ...string) int {
	if len(b) > ContainerLookahead {
		b = b[:ContainerLookahead]
	}
	if len(b) == 0 || b[0] != '{' {
		return 0
	}
	i := 1
	i += wsLen(b[i:])
	if i >= len(b) || b[i] != '"' {
		return 0
	}
	j := bytes.IndexByte(b[i+1:], '"')
	if j < 0 {
		return 0
	}
	key := b[i+1 : i+1+j]
	found := false
	for _, c := range containers {
		if string(key) == c {
			found = true
			break
		}
	}
	if !found {
		return 0
	}
	i += j + 2
	i += wsLen(b[i:])
	if i >= len(b) || b[i] != ':' {
		return 0
	}
	i++
	i += wsLen(b[i:])
	if i >= len(b) || b[i] != '[' {
		return 0
	}
	return i + 1
}

func wsLen(b []byte) int {
	n := 0
	for n < len(b) && (b[n] == ' ' || b[n] == '\n' || b[n] == '\r' || b[n] == '\t') {
		n++
	}
	return n
}

// skipObjectRest consumes what follows a container's array up to and
// including the enclosing object's '}' (other keys are ignored).
func (s *Scanner) skipObjectRest() (Item, bool) {
	for {
		c, ok := s.skipSpace(true)
		if !ok {
			if s.rerr != nil && s.rerr != io.EOF {
				return s.readFailure(), true
			}
			return s.tail(s.bad(s.pos, s.pos, fmt.Errorf("%w: input ends inside the container object", ErrTruncated))), true
		}
		if c == '}' {
			s.pos++
			return Item{}, false
		}
		// Another key: "key": value — skip the string, the colon and the value.
		it := s.value(false)
		if it.Err != nil {
			return it, true
		}
		if c, ok = s.skipSpace(false); ok && c == ':' {
			s.pos++
			if _, ok = s.skipSpace(false); ok {
				if it = s.value(false); it.Err != nil {
					return it, true
				}
			}
		}
	}
}

// class of each byte for the scanning loop.
const (
	clPlain = iota
	clQuote
	clBackslash
	clNewline
	clOpen
	clClose
	clColon
)

// strPlain marks the bytes that need no attention inside a string.
var strPlain = func() (t [256]bool) {
	for i := range t {
		t[i] = i != '"' && i != '\\' && i != '\n'
	}
	return t
}()

var class = func() (t [256]uint8) {
	t['"'] = clQuote
	t['\\'] = clBackslash
	t['\n'] = clNewline
	t['{'], t['['] = clOpen, clOpen
	t['}'], t[']'] = clClose, clClose
	t[':'] = clColon
	return t
}()

// value scans one JSON value starting at pos. top says the value is a
// top-level one (not inside an array), where a compact record cut short by a
// newline is recognised as truncated.
func (s *Scanner) value(top bool) Item {
	start := s.pos
	startOff := s.base + int64(start)
	line := s.lineAt(start)
	st := spanState{top: top}
	discarding := false
	s.sample = s.sample[:0]
	i := start
	first := s.buf[i]
	if first != '{' && first != '[' && first != '"' {
		// A scalar, or garbage: up to the next delimiter.
		return s.scalar(startOff, line)
	}
	for {
		if i >= s.end {
			if !discarding && i-start > s.max {
				discarding = true
			}
			if discarding {
				start = s.discard(start, i)
			}
			shift := s.pos
			ok := s.fill()
			shift -= s.pos
			i -= shift
			start -= shift
			if !ok {
				return s.cut(start, i, startOff, line, discarding, ErrTruncated)
			}
			continue
		}
		var out spanEnd
		i, out = scanSpan(s.buf[:s.end], i, &st)
		switch out {
		case spanMore:
			continue
		case spanDone:
			return s.finish(start, i, startOff, line, discarding, nil)
		case spanNewlineInString:
			if st.top && st.sawColon {
				return s.finish(start, i, startOff, line, discarding, fmt.Errorf("%w: line ends inside a string", ErrTruncated))
			}
			return s.finish(start, i, startOff, line, discarding, fmt.Errorf("%w: raw newline inside a string", ErrSyntax))
		case spanUnbalanced:
			return s.finish(start, i, startOff, line, discarding, fmt.Errorf("%w: unbalanced %q", ErrSyntax, s.buf[i-1]))
		case spanLineEnds:
			return s.finish(start, i, startOff, line, discarding, fmt.Errorf("%w: line ends inside the record", ErrTruncated))
		}
	}
}

// spanState is the scanning state kept across buffer refills.
type spanState struct {
	depth         int
	inStr, esc    bool
	top, sawColon bool // top-level value; its first line had a key/value (compact form)
}

// spanEnd says why scanSpan stopped.
type spanEnd uint8

const (
	spanMore            spanEnd = iota // reached the end of the buffer
	spanDone                           // the value ends before the returned index
	spanNewlineInString                // a raw newline inside a string, at the returned index
	spanUnbalanced                     // a closing bracket too many, before the returned index
	spanLineEnds                       // a compact top-level record ended at a newline, at the returned index
)

// scanSpan advances over b from i until the value ends, something is wrong,
// or b runs out. It works on a local slice and local state so the hot loop
// keeps everything in registers.
func scanSpan(b []byte, i int, st *spanState) (int, spanEnd) {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	const quote, bslash, nl = lo * '"', lo * '\\', lo * '\n'
	depth, inStr := st.depth, st.inStr
	end := spanMore
	if st.esc { // the byte after a backslash, split across reads
		st.esc = false
		i++
	}
	for i < len(b) {
		if inStr {
			// Skip the string's ordinary bytes (not '"', '\\' or '\n'), which
			// are most of a record, eight at a time (SWAR): for a byte value
			// v, (x^v - 0x01…) &^ (x^v) & 0x80… has a high bit set exactly at
			// the bytes of x equal to v, the lowest of them first. Inlined by
			// hand: this loop is the scanner's hot path.
			for i+8 <= len(b) {
				x := binary.LittleEndian.Uint64(b[i:])
				q, e, n := x^quote, x^bslash, x^nl
				if m := (((q - lo) &^ q) | ((e - lo) &^ e) | ((n - lo) &^ n)) & hi; m != 0 {
					i += bits.TrailingZeros64(m) >> 3
					goto special
				}
				i += 8
			}
			for i < len(b) && strPlain[b[i]] {
				i++
			}
			if i >= len(b) {
				break
			}
		special:
			switch b[i] {
			case '"':
				inStr = false
				i++
				if depth == 0 {
					end = spanDone
					goto out
				}
			case '\\':
				i += 2
				if i > len(b) {
					st.esc = true
					i = len(b)
				}
			default: // '\n': JSON strings cannot hold raw newlines
				end = spanNewlineInString
				goto out
			}
			continue
		}
		c := b[i]
		i++
		switch class[c] {
		case clQuote:
			inStr = true
		case clOpen:
			depth++
		case clClose:
			depth--
			if depth <= 0 {
				end = spanDone
				if depth < 0 {
					end = spanUnbalanced
				}
				goto out
			}
		case clColon:
			st.sawColon = true
		case clNewline:
			if st.top && st.sawColon {
				i--
				end = spanLineEnds
				goto out
			}
			st.top = false // a pretty-printed value: newlines are layout
		}
	}
out:
	st.depth, st.inStr = depth, inStr
	return i, end
}

// scalar consumes a top-level scalar or garbage up to a delimiter (or the
// end of the stream). A run longer than the maximum record size is one
// ErrTooLarge item, whatever the sizes of the reads: the bytes beyond what
// the buffer holds are dropped as they are passed, keeping a sample.
func (s *Scanner) scalar(startOff, line int64) Item {
	start := s.pos
	i := start
	discarding := false
	for {
		for i < s.end {
			c := s.buf[i]
			if c == '\n' || c == ',' || c == ']' || c == '}' || c == '{' || c == '[' {
				if i == start && !discarding { // a lone delimiter
					i++
				}
				return s.finish(start, i, startOff, line, discarding, errNotObject)
			}
			i++
		}
		if !discarding && i-start > s.max {
			discarding = true
		}
		if discarding {
			start = s.discard(start, i)
		}
		shift := s.pos
		ok := s.fill()
		shift -= s.pos
		i -= shift
		start -= shift
		if !ok {
			return s.cut(start, i, startOff, line, discarding, errNotObject)
		}
	}
}

// errNotObject marks a scalar or garbage where a record should be.
var errNotObject = fmt.Errorf("%w: expected an object", ErrSyntax)

// sampleSize is how much of a too-large item is kept in Item.Bytes.
const sampleSize = 1024

// discard drops buf[start:i], a stretch of a too-large item, keeping what the
// sample still lacks of its first sampleSize bytes. It returns the new start
// (i): the buffer no longer has to hold the item.
func (s *Scanner) discard(start, i int) int {
	s.keepSample(start, i)
	s.lineAt(i)
	s.pos = i
	return i
}

// keepSample adds to the sample what it lacks of buf[start:end].
func (s *Scanner) keepSample(start, end int) {
	if n := sampleSize - len(s.sample); n > 0 {
		s.sample = append(s.sample, s.buf[start:min(end, start+n)]...)
	}
}

// cut returns the item that the end of the input, or a read error, cut off
// at buf[end]: a Tail item, after which Next reports io.EOF. err is what the
// item is when the stream simply ends; a read error is added to it.
func (s *Scanner) cut(start, end int, off, line int64, discarded bool, err error) Item {
	failed := s.rerr != nil && s.rerr != io.EOF
	if failed {
		err = fmt.Errorf("%w: %w", ErrTruncated, s.rerr)
	}
	it := s.finish(start, end, off, line, discarded, err)
	if failed && errors.Is(it.Err, ErrTooLarge) {
		it.Err = fmt.Errorf("%w: %w", ErrTooLarge, s.rerr)
	}
	return s.tail(it)
}

// tail marks it as the last item: the stream ended or failed inside it.
func (s *Scanner) tail(it Item) Item {
	it.Tail = true
	s.fatal = true
	return it
}

// finish returns the item buf[start:end] (or, if discarded, the sample of an
// item whose earlier bytes were dropped) and consumes it. An item larger than
// the maximum record size is ErrTooLarge whatever else is wrong with it, so
// the outcome does not depend on whether it had to be discarded.
func (s *Scanner) finish(start, end int, off, line int64, discarded bool, err error) Item {
	s.pos = end
	if discarded {
		s.keepSample(start, end)
		return Item{Bytes: s.sample, Offset: off, Line: line, Err: ErrTooLarge}
	}
	if end-start > s.max {
		return Item{Bytes: s.buf[start:min(end, start+sampleSize)], Offset: off, Line: line, Err: ErrTooLarge}
	}
	if err != nil && s.inArray && errors.Is(err, ErrSyntax) {
		// Not now: reading on would move the item's bytes in the buffer.
		s.resyncs = true
	}
	return Item{Bytes: s.buf[start:end], Offset: off, Line: line, Err: err}
}

// resync skips to the next line that starts an object, after a broken
// element inside an array.
func (s *Scanner) resync() {
	for {
		for s.pos < s.end {
			if s.buf[s.pos] == '\n' {
				j := s.pos + 1
				for j < s.end && (s.buf[j] == ' ' || s.buf[j] == '\t' || s.buf[j] == '\r') {
					j++
				}
				if j < s.end && (s.buf[j] == '{' || s.buf[j] == ']') {
					s.pos = j
					return
				}
				if j < s.end {
					s.pos = j
					continue
				}
				break // need more data to decide
			}
			s.pos++
		}
		if !s.fill() {
			s.pos = s.end
			return
		}
	}
}

func (s *Scanner) bad(start, end int, err error) Item {
	return Item{Bytes: s.buf[start:end], Offset: s.base + int64(start), Line: s.lineAt(start), Err: err}
}

// readFailure is the item for a read error between items.
func (s *Scanner) readFailure() Item {
	s.pos = s.end
	return s.tail(Item{Offset: s.base + int64(s.end), Line: s.lineAt(s.end), Err: fmt.Errorf("%w: %w", ErrTruncated, s.rerr)})
}

// lineAt returns the line number at buffer index p (p never goes back).
func (s *Scanner) lineAt(p int) int64 {
	if p > s.linePos {
		s.lineNo += int64(bytes.Count(s.buf[s.linePos:p], []byte{'\n'}))
		s.linePos = p
	}
	return s.lineNo
}

// fill reads more input, compacting the buffer so buf[pos:end] is kept. It
// reports whether any bytes were added.
func (s *Scanner) fill() bool {
	if s.rerr != nil {
		return false
	}
	if s.pos > 0 {
		s.lineAt(s.pos)
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.base += int64(s.pos)
		s.linePos -= s.pos
		s.end = n
		s.pos = 0
	}
	if s.end == len(s.buf) {
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	for tries := 0; tries < 100; tries++ {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.rerr = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	s.rerr = io.ErrNoProgress
	return false
}

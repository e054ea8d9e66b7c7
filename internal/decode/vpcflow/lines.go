package vpcflow

import (
	"bytes"
	"io"
)

// line is one line of the stream.
type line struct {
	// b is the line without its ending ("\n" or "\r\n"); for a too-long
	// line, a sample of its start. Valid until the next call to next.
	b    []byte
	off  int64 // byte offset of the line's first byte
	no   int64 // 1-based line number
	eol  bool  // the line ended with '\n' (else the stream ended inside it)
	long bool  // longer than the maximum record size: b is a sample
	err  error // the read error the stream failed with inside this line
}

// sampleSize is how much of a too-long line is kept as its sample.
const sampleSize = 1024

// lineReader splits a stream into lines with one reused buffer, which holds
// at most one maximum-size line: longer lines are passed over, keeping a
// sample.
type lineReader struct {
	r        io.Reader
	buf      []byte
	pos, end int   // buf[pos:end] is unread
	scanned  int   // buf[pos:pos+scanned] has no '\n'
	base     int64 // stream offset of buf[0]
	lineNo   int64 // number of the line starting at pos
	rerr     error // sticky read error (io.EOF at the end)
	max      int
	sample   []byte
	errShown bool // a line carried the read error
}

func (lr *lineReader) reset(r io.Reader, max int) {
	if lr.buf == nil {
		lr.buf = make([]byte, 256<<10)
	}
	*lr = lineReader{r: r, buf: lr.buf, lineNo: 1, max: max, sample: lr.sample[:0]}
}

// offset is the number of bytes consumed.
func (lr *lineReader) offset() int64 { return lr.base + int64(lr.pos) }

// bom is the UTF-8 byte order mark some tools write at the start of a file.
var bom = []byte{0xEF, 0xBB, 0xBF}

// peek returns the first byte of the stream that is neither white space
// nor part of a byte order mark, consuming nothing (so buf[:end] is the
// stream's first bytes); ok is false when the stream holds nothing else as
// far as half a buffer reaches.
func (lr *lineReader) peek() (byte, bool) {
	for lr.end < len(bom) && lr.fill() {
	}
	i := 0
	if bytes.HasPrefix(lr.buf[:lr.end], bom) {
		i = len(bom)
	}
	for {
		for ; i < lr.end; i++ {
			switch c := lr.buf[i]; c {
			case ' ', '\t', '\r', '\n':
			default:
				return c, true
			}
		}
		if lr.end >= len(lr.buf)/2 || !lr.fill() {
			return 0, false
		}
	}
}

// skipBOM consumes a byte order mark at the start of the stream.
func (lr *lineReader) skipBOM() {
	for lr.end-lr.pos < len(bom) && lr.fill() {
	}
	if lr.base == 0 && lr.pos == 0 && bytes.HasPrefix(lr.buf[:lr.end], bom) {
		lr.pos = len(bom)
	}
}

// next returns the next line; ok is false at the end of the stream.
func (lr *lineReader) next() (ln line, ok bool) {
	discarding := false
	var discardOff int64
	for {
		if i := bytes.IndexByte(lr.buf[lr.pos+lr.scanned:lr.end], '\n'); i >= 0 {
			nl := lr.pos + lr.scanned + i
			ln = line{off: lr.base + int64(lr.pos), no: lr.lineNo, eol: true}
			b := lr.buf[lr.pos:nl]
			if len(b) > 0 && b[len(b)-1] == '\r' {
				b = b[:len(b)-1]
			}
			switch {
			case discarding:
				lr.keepSample(b)
				ln.off, ln.b, ln.long = discardOff, lr.sample, true
			case len(b) > lr.max:
				ln.b, ln.long = b[:min(len(b), sampleSize)], true
			default:
				ln.b = b
			}
			lr.pos, lr.scanned = nl+1, 0
			lr.lineNo++
			return ln, true
		}
		lr.scanned = lr.end - lr.pos
		if !discarding && lr.scanned > lr.max {
			// Too long: pass over the rest of the line, keeping a sample.
			discarding = true
			discardOff = lr.base + int64(lr.pos)
			lr.sample = lr.sample[:0]
		}
		if discarding {
			lr.keepSample(lr.buf[lr.pos:lr.end])
			lr.pos, lr.scanned = lr.end, 0
		}
		if lr.fill() {
			continue
		}
		// The stream ended (or failed) inside this line, or between lines.
		if lr.end == lr.pos && !discarding {
			return line{}, false
		}
		ln = line{off: lr.base + int64(lr.pos), no: lr.lineNo, b: lr.buf[lr.pos:lr.end]}
		if n := len(ln.b); n > 0 && ln.b[n-1] == '\r' {
			ln.b = ln.b[:n-1]
		}
		if lr.rerr != io.EOF {
			ln.err, lr.errShown = lr.rerr, true
		}
		if discarding {
			ln.off, ln.b, ln.long = discardOff, lr.sample, true
		} else if len(ln.b) > lr.max {
			ln.b, ln.long = ln.b[:min(len(ln.b), sampleSize)], true
		}
		lr.pos, lr.scanned = lr.end, 0
		return ln, true
	}
}

// failed returns the read error the stream failed with, or nil when it
// simply ended.
func (lr *lineReader) failed() error {
	if lr.rerr == io.EOF {
		return nil
	}
	return lr.rerr
}

// keepSample adds to the sample what it lacks of b.
func (lr *lineReader) keepSample(b []byte) {
	if n := sampleSize - len(lr.sample); n > 0 {
		lr.sample = append(lr.sample, b[:min(len(b), n)]...)
	}
}

// fill reads more input, moving buf[pos:end] to the front first. It
// reports whether bytes were added.
func (lr *lineReader) fill() bool {
	if lr.rerr != nil {
		return false
	}
	if lr.pos > 0 {
		n := copy(lr.buf, lr.buf[lr.pos:lr.end])
		lr.base += int64(lr.pos)
		lr.end, lr.pos = n, 0
	}
	if lr.end == len(lr.buf) {
		// Hold up to one maximum-size line (and a little more, so that a
		// longer one is recognised): longer lines are discarded as read.
		n := min(2*len(lr.buf), lr.max+64<<10)
		if n <= len(lr.buf) {
			n = 2 * len(lr.buf)
		}
		lr.buf = append(lr.buf, make([]byte, n-len(lr.buf))...)
	}
	for tries := 0; tries < 100; tries++ {
		n, err := lr.r.Read(lr.buf[lr.end:])
		lr.end += n
		if err != nil {
			lr.rerr = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	lr.rerr = io.ErrNoProgress
	return false
}

package parse

import (
	"bytes"
	"regexp"
)

// Traceback text is parsed in units, by several workers, read from a file
// at any offset or from a stream in order. A unit may begin only where the
// parser, reading the whole input line by line, would be in the state it
// starts every unit in, so that the result never depends on where the
// units begin. Those places are the cuts, and findCut is the only code
// that finds them:
//
//  1. a line that follows a blank line: a blank line ends any block and
//     any panic value, whatever came before;
//  2. a goroutine header followed by a frame (a function line and its
//     location, "created by" and its location, or "goroutine running on
//     other thread"), whatever precedes it: the parser takes such a line
//     for a header in every state, even inside a panic value, so a dump
//     whose blank lines were lost is still cut between goroutines.
//
// Lines are compared after the log prefix and ANSI codes are removed
// (cleaner), so prefixed logs are cut at the same places as plain text.
// A candidate whose lines are longer than maxCtx is passed over: cuts are
// a content-defined subset of the safe places, never a guess.

// Sizes of the units and buffers of the text reader. They are variables
// so that tests can shrink them and put many cuts into small inputs.
var (
	// unitSize is the stride of the units: a unit begins at the first cut
	// at or after each multiple of unitSize (from where the text starts).
	// Inputs of at most one unit are parsed without starting a goroutine.
	unitSize = 512 << 10
	// pieceSize is how much a reader reads ahead past a unit's nominal
	// end to find its cut; a unit longer than a buffer (one giant block)
	// is handed to its parser in pieces of about this size.
	pieceSize = 256 << 10
	// maxLine bounds the bytes of one line the parser looks at; the rest
	// of a longer line is skipped, so that no line is held whole.
	maxLine = 16 << 20
	// preambleWindow is how much text before the first goroutine header
	// is read: crash output puts its cause right above the goroutines,
	// and a log that precedes a dump is not read further back, so that a
	// stream need not be held whole to learn its log prefix.
	preambleWindow = 1 << 20
)

// readAhead is how far past its end a region is read first.
const readAhead = 16 << 10

// maxCtx bounds the lines that findCut examines around a candidate, and
// ctxBefore is how many bytes before a candidate it reads: the line
// before and the newline that starts it.
const (
	maxCtx    = 4 << 10
	ctxBefore = maxCtx + 2
)

// cleaner removes what log pipelines add to each line: a log prefix
// learnt from the first goroutine header, and ANSI colour codes.
type cleaner struct {
	prefix *prefixMatcher // nil: none
	ansi   bool
}

// clean returns line (without its '\n') as the parser reads it: without
// the '\r' of CRLF text, ANSI codes and the log prefix.
func (c *cleaner) clean(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if c == nil {
		return line
	}
	if c.ansi && bytes.IndexByte(line, 0x1b) >= 0 {
		line = ansiCode.ReplaceAll(line, nil)
	}
	if c.prefix != nil {
		if n := c.prefix.match(line); n >= 0 {
			line = line[n:]
		}
	}
	return line
}

// isBlank reports whether a line is empty once cleaned and trimmed.
func (c *cleaner) isBlank(line []byte) bool {
	return len(trimSpace(c.clean(line))) == 0
}

// findCut returns the index in buf of the first cut at or after from and
// before limit (limit < 0: no limit). buf holds the input from offset
// base on; the caller keeps at least ctxBefore bytes of buf before from
// (or buf starts the text), so that the line before a candidate can be
// read. eof says buf ends the input.
//
// When it finds none it returns -1 and resume: every candidate before
// resume was rejected, and the search goes on from there once buf holds
// more input (resume >= limit when none is left in range).
func (c *cleaner) findCut(buf []byte, base int64, from, limit int, eof bool) (cut, resume int) {
	p := from
	if p > len(buf) {
		return -1, p
	}
	// from may fall inside a line: the first candidate starts the next.
	if !(base+int64(p) == 0 || p > 0 && buf[p-1] == '\n') {
		i := bytes.IndexByte(buf[p:], '\n')
		if i < 0 {
			return -1, len(buf)
		}
		p += i + 1
	}
	for {
		if limit >= 0 && p >= limit {
			return -1, p
		}
		if p >= len(buf) {
			return -1, p
		}
		ok, decided := c.cutAt(buf, base, p, eof)
		if !decided {
			return -1, p
		}
		if ok {
			return p, p
		}
		i := bytes.IndexByte(buf[p:], '\n')
		if i < 0 {
			return -1, len(buf)
		}
		p += i + 1
	}
}

// cutAt tests the line starting at p (p > 0, buf[p-1] == '\n'). decided
// is false when the answer needs bytes past the end of buf.
func (c *cleaner) cutAt(buf []byte, base int64, p int, eof bool) (ok, decided bool) {
	if base+int64(p) == 0 {
		return false, true // the input's start is no cut: the first unit begins there
	}
	// 1. After a blank line.
	lo := max(p-ctxBefore, 0)
	q := bytes.LastIndexByte(buf[lo:p-1], '\n')
	switch {
	case q >= 0:
		q += lo + 1
	case lo == 0 && base == 0:
		q = 0
	default:
		q = -1 // the line before is longer than maxCtx: not blank
	}
	if q >= 0 && c.isBlank(buf[q:p-1]) {
		return true, true
	}
	// 2. A header followed by a frame.
	var lines [3][]byte
	at := p
	for i := range lines {
		j := bytes.IndexByte(buf[at:min(len(buf), at+maxCtx+1)], '\n')
		if j < 0 {
			if len(buf)-at > maxCtx || eof {
				return false, true // too long, or the input's partial last line
			}
			return false, false
		}
		lines[i] = trimSpace(c.clean(buf[at : at+j]))
		at += j + 1
		if i == 0 {
			if _, ok := parseHeader(lines[0]); !ok {
				return false, true
			}
		}
	}
	return blockFollows(lines[1], lines[2]), true
}

// blockFollows reports whether the two lines after a goroutine header
// (trimmed) begin its block: a function and its location, "created by"
// and its location, or a stack the runtime could not print.
func blockFollows(next, after []byte) bool {
	switch {
	case hasPrefix(next, "goroutine running on other thread"):
		return true
	case hasPrefix(next, "created by "):
	case isFuncLine(next):
	default:
		return false
	}
	_, _, ok := parseLocation(after)
	return ok
}

// isFuncLine recognises "pkg.F(0x1, {0x2, 0x3})" and "pkg.G(...)", as
// frameLine reads them (see funcEnd).
func isFuncLine(t []byte) bool {
	return len(t) > 0 && t[len(t)-1] == ')' && !hasPrefix(t, "created by ") && funcEnd(t) > 0
}

// parseLocation reads a location line, trimmed:
//
//	"/app/worker.go:17 +0x2a fp=0x... sp=0x... pc=0x..." → "/app/worker.go", 17
//	"/app/gen.go:9"                                       → inlined (no offset)
//	"/app/x.c:12 pc=0x4a1b2c"                             → cgo symbolizer frame
func parseLocation(t []byte) (file []byte, line int, ok bool) {
	if i := bytes.Index(t, []byte(" fp=")); i >= 0 {
		t = t[:i]
	}
	if i := bytes.LastIndex(t, []byte(" +0x")); i >= 0 {
		t = t[:i]
	}
	if i := bytes.LastIndexByte(t, ' '); i >= 0 && hasPrefix(t[i:], " pc=0x") {
		t = t[:i]
	}
	if len(t) == 0 || t[len(t)-1] < '0' || t[len(t)-1] > '9' {
		return nil, 0, false
	}
	file, line, err := splitLocation(t)
	return file, line, err == nil
}

// textStart is what a first look at traceback text found: the log prefix
// and where reading starts.
type textStart struct {
	clean *cleaner // nil: lines are read as they are
	// skip is how many bytes at the start are not read: text more than
	// preambleWindow before the first header; lines counts their lines.
	skip  int64
	lines int
	found bool // a line looks like a goroutine header
}

// headerLine finds the first line of text (complete lines only) that
// holds a goroutine header after what may be a log prefix, and returns
// its start and end (after '\n'), the prefix and whether the line had
// ANSI codes. A prefix that holds "panic: " is a panic value quoting a
// header, not a log prefix.
func headerLine(text []byte) (start, end int, prefix []byte, ansi, ok bool) {
	for off := 0; off < len(text); {
		i := bytes.Index(text[off:], []byte("goroutine "))
		if i < 0 {
			return 0, 0, nil, false, false
		}
		i += off
		start = bytes.LastIndexByte(text[:i], '\n') + 1
		nl := bytes.IndexByte(text[i:], '\n')
		if nl < 0 {
			return 0, 0, nil, false, false // not a complete line yet
		}
		end = i + nl + 1
		off = end
		line := text[start : end-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		ansi = bytes.IndexByte(line, 0x1b) >= 0
		if ansi {
			line = ansiCode.ReplaceAll(line, nil)
		}
		for j := 0; ; {
			k := bytes.Index(line[j:], []byte("goroutine "))
			if k < 0 {
				break
			}
			j += k
			if _, ok := parseHeader(trimSpace(line[j:])); ok && !bytes.Contains(line[:j], []byte("panic: ")) {
				return start, end, line[:j], ansi, true
			}
			j++
		}
	}
	return 0, 0, nil, false, false
}

// newCleaner builds the cleaner for text whose first header line has the
// given prefix, with ANSI codes stripped when the text around it has any.
func newCleaner(prefix []byte, ansi bool) *cleaner {
	c := &cleaner{ansi: ansi}
	if len(bytes.TrimSpace(prefix)) > 0 {
		c.prefix = newPrefixMatcher(prefix)
	}
	if c.prefix == nil && !c.ansi {
		return nil
	}
	return c
}

var ansiCode = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

// A prefixMatcher matches the log prefix of a line, generalised from one
// observed prefix: digits may change (timestamps, counters), and so may
// the stream name and partial-line flag of container logs ("stdout F",
// "stderr P"); one space or tab after it is part of it. It is a pattern
// of literal bytes and those few variable parts, matched without
// backtracking, as every line of a prefixed log is.
type prefixMatcher struct {
	parts []prefixPart
}

type prefixPart struct {
	kind byte // 'l' literal, 'd' digits, 's' stdout or stderr, 'f' F or P
	lit  []byte
}

func newPrefixMatcher(prefix []byte) *prefixMatcher {
	p := bytes.TrimRight(prefix, " \t")
	m := &prefixMatcher{}
	lit := func(b byte) {
		if n := len(m.parts); n > 0 && m.parts[n-1].kind == 'l' {
			m.parts[n-1].lit = append(m.parts[n-1].lit, b)
			return
		}
		m.parts = append(m.parts, prefixPart{kind: 'l', lit: []byte{b}})
	}
	for i := 0; i < len(p); {
		switch {
		case p[i] >= '0' && p[i] <= '9':
			for i < len(p) && p[i] >= '0' && p[i] <= '9' {
				i++
			}
			m.parts = append(m.parts, prefixPart{kind: 'd'})
		case bytes.HasPrefix(p[i:], []byte("stdout")) || bytes.HasPrefix(p[i:], []byte("stderr")):
			i += len("stdout")
			m.parts = append(m.parts, prefixPart{kind: 's'})
			if i+1 < len(p) && p[i] == ' ' && (p[i+1] == 'F' || p[i+1] == 'P') {
				lit(' ')
				m.parts = append(m.parts, prefixPart{kind: 'f'})
				i += 2
			}
		default:
			lit(p[i])
			i++
		}
	}
	return m
}

// match returns the length of the prefix at the start of line, or -1.
func (m *prefixMatcher) match(line []byte) int {
	i := 0
	for _, pt := range m.parts {
		switch pt.kind {
		case 'l':
			if !bytes.HasPrefix(line[i:], pt.lit) {
				return -1
			}
			i += len(pt.lit)
		case 'd':
			j := i
			for j < len(line) && line[j] >= '0' && line[j] <= '9' {
				j++
			}
			if j == i {
				return -1
			}
			i = j
		case 's':
			if !bytes.HasPrefix(line[i:], []byte("stdout")) && !bytes.HasPrefix(line[i:], []byte("stderr")) {
				return -1
			}
			i += len("stdout")
		case 'f':
			if i >= len(line) || line[i] != 'F' && line[i] != 'P' {
				return -1
			}
			i++
		}
	}
	if i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	return i
}

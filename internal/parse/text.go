package parse

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// textParser is the line state machine for traceback text (debug=2 and
// crash output). It reads one unit of the text at a time (see
// boundary.go), given in pieces of any size, and turns each goroutine
// into a record of the unit's result; the results are committed in input
// order (commit.go).
//
// The shape it reads, one block per goroutine, blocks separated by a
// blank line (see ../../../shared/FORMATS.md in the team's notes, and the
// Go runtime's traceback.go):
//
//	goroutine 42 [chan receive, 3 minutes]:          header
//	main.worker(0xc000012345, {0x6f087c, 0x5})       function
//		/app/worker.go:17 +0x2a                      location
//	...4 frames elided...                            elision
//	created by main.start in goroutine 1             creator
//		/app/main.go:9 +0x45                         its go statement
//	[originating from goroutine 1]:                  ancestors
type textParser struct {
	b     *builder
	clean *cleaner // nil: lines are read as they are
	each  func(*Goroutine) error
	err   error // from each
	// quick is set when blocks may be read by quickBlock: no cleaner and
	// no Each, which needs every goroutine in full.
	quick bool

	// blocks maps the bytes that identify a well-formed block's stack
	// (see quickBlock) to the stack, for stacks seen more than once.
	blocks  map[string]quickStack
	key     []byte
	fnLines []int32 // start and end of each function line of a block

	// The unit being read.
	r        *unitResult
	line     int    // lines of the unit read so far
	carry    []byte // the start of a line the last piece ended inside
	skipping bool   // the carried line is longer than maxLine: drop the rest

	st        textState
	prevBlank bool // the previous line was blank (or this is the first)
	inPanic   bool // inside a panic value, which may contain anything
	textSince bool // text outside blocks since the last goroutine
	g         rawGoroutine
	hdrLine   int
	fn        []byte
	fnInlined bool
	anc       *Ancestor // ancestor section being read, if any
	noStack   bool      // the block said its stack is unavailable
	deep      bool      // its locations carry "fp=": GOTRACEBACK=system or crash
	partial   bool      // the line being read is the input's last and has no newline
	cutInLine bool      // that line did not make sense: the input was cut inside it
	// A header inside a panic value, which is believed once a frame
	// follows it (stTentHeader, stTentFunc).
	tentHeader, tentFunc         []byte
	tentHeaderLine, tentFuncLine int

	headerSeen bool
	causeSince bool // a cause line since the last goroutine was recorded
	lastStack  *Stack
	lastNew    bool
}

type textState uint8

const (
	stOutside    textState = iota // before, between or after goroutine blocks
	stFrames                      // in a block, expecting a function or "created by"
	stLocation                    // expecting the location of the function just read
	stCreatorAt                   // expecting the location of "created by"
	stTentHeader                  // after a header inside a panic value
	stTentFunc                    // after a header and a function inside a panic value
)

type warning struct {
	line int
	msg  string
}

// maxWarnings bounds the warnings kept; the rest are counted.
const maxWarnings = 20

func newTextParser(b *builder, clean *cleaner, each func(*Goroutine) error) *textParser {
	return &textParser{b: b, clean: clean, each: each, quick: clean == nil && each == nil}
}

func (p *textParser) warn(format string, args ...any) {
	p.warnAt(p.line, format, args...)
}

func (p *textParser) warnAt(line int, format string, args ...any) {
	p.r.nwarn++
	if len(p.r.warns) < maxWarnings {
		p.r.warns = append(p.r.warns, warning{line, fmt.Sprintf(format, args...)})
	}
}

// begin starts unit seq: the parser is in the state the text is in after
// a cut (see boundary.go).
func (p *textParser) begin(seq int) {
	p.r = &unitResult{seq: seq, records: *recordPool.Get().(*[]record)}
	p.line = 0
	p.carry, p.skipping = p.carry[:0], false
	p.st = stOutside
	p.prevBlank, p.inPanic, p.textSince = true, false, false
	p.anc, p.noStack, p.partial, p.cutInLine = nil, false, false, false
	p.headerSeen, p.causeSince = false, false
	p.lastStack = nil
}

// feed reads the next piece of the unit; it may end inside a line.
func (p *textParser) feed(piece []byte) { p.run(piece, false) }

// end finishes the unit: at a cut, or at the end of the input.
func (p *textParser) end(eof bool) *unitResult {
	if eof {
		p.run(nil, true)
		p.endOfInput()
	} else {
		p.endAtCut()
	}
	r := p.r
	r.lines = p.line
	r.trailingText = p.textSince
	r.sawHeader = p.headerSeen
	p.r = nil
	return r
}

func (p *textParser) run(data []byte, eof bool) {
	if len(p.carry) > 0 || p.skipping {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			p.addCarry(data)
			if eof {
				p.partial = true
				p.lineDone(p.carry)
				p.carry, p.skipping = p.carry[:0], false
			}
			return
		}
		p.addCarry(data[:i])
		p.lineDone(p.carry)
		p.carry, p.skipping = p.carry[:0], false
		data = data[i+1:]
	}
	for len(data) > 0 && p.err == nil {
		if p.quick && p.st == stOutside && (p.prevBlank || !p.inPanic) && hasPrefix(data, "goroutine ") {
			if n := p.quickBlock(data); n > 0 {
				data = data[n:]
				continue
			}
		}
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if eof {
				p.partial = true
				p.lineDone(data)
			} else {
				p.addCarry(data)
			}
			return
		}
		p.lineDone(data[:i])
		data = data[i+1:]
	}
}

// addCarry keeps the start of a line that continues in the next piece,
// at most maxLine bytes of it.
func (p *textParser) addCarry(b []byte) {
	if p.skipping {
		return
	}
	if room := maxLine - len(p.carry); len(b) > room {
		b = b[:room]
		p.skipping = true
	}
	p.carry = append(p.carry, b...)
}

func (p *textParser) lineDone(raw []byte) {
	p.line++
	if len(raw) > maxLine || p.skipping {
		raw = raw[:min(len(raw), maxLine)]
		p.warn("line longer than %s: only its start is read", formatBytes(int64(maxLine)))
	}
	line := p.clean.clean(raw)
	if p.partial && len(trimSpace(line)) == 0 {
		// The input ends with the start of a line, spaces so far: in a
		// block, the next line was cut; no blank line ends the block.
		if p.st != stOutside {
			p.cutInLine = true
		}
		return
	}
	p.readLine(line)
}

// bad reports a line that makes no sense: a warning, unless it is the
// last line of the input cut short.
func (p *textParser) bad(format string, args ...any) {
	if p.partial {
		p.cutInLine = true
		return
	}
	p.warn(format, args...)
}

// quickBlock reads the goroutine block at the start of chunk if it has
// the exact shape the runtime writes, and returns how many bytes it took
// (the block and the blank line after it), or 0 to let the line state
// machine read it.
//
// It is the fast path that keeps leakscan near the speed of a bare line
// scan: goroutines of one stack print the same location lines (file:line
// and PC offset) and differ only in header and arguments. So the block is
// not parsed frame by frame: its location lines, with a byte standing for
// each function line, are the key of the stack it was folded into before,
// when the state machine parsed it in full, and the functions are checked
// against that stack's. Only stacks seen twice are remembered, so that a
// dump of distinct stacks costs no memory for keys.
func (p *textParser) quickBlock(chunk []byte) int {
	nl := bytes.IndexByte(chunk, '\n')
	if nl < 1 || nl > maxLine || chunk[nl-1] == '\r' {
		return 0
	}
	header := chunk[:nl]
	p.key = p.key[:0]
	p.fnLines = p.fnLines[:0]
	creator := -1
	lines := 1
	end := -1 // offset of the blank line ending the block
	for off := nl + 1; off < len(chunk); lines++ {
		i := bytes.IndexByte(chunk[off:], '\n')
		if i < 0 || i > maxLine {
			return 0 // the last block of the piece: the state machine reads it
		}
		line := chunk[off : off+i]
		if len(line) == 0 {
			end = off
			break
		}
		// The key is a list of elements ended by '\n', which no line
		// holds, and told apart by their first byte: a location line
		// ('\t'), an elision ('.'), a function ('F', or 'I' inlined) and
		// "created by" ('C'). Keys of different blocks never run together.
		switch {
		case line[0] == '\t':
			if !plainLocation(line) {
				return 0
			}
			p.key = append(p.key, chunk[off:off+i+1]...)
		case line[len(line)-1] == ')' && line[0] != ' ' && !hasPrefix(line, "created by "):
			if bytes.HasSuffix(line, []byte("(...)")) {
				p.key = append(p.key, 'I', '\n')
			} else {
				p.key = append(p.key, 'F', '\n')
			}
			p.fnLines = append(p.fnLines, int32(off), int32(off+i))
		case line[0] == 'c' && hasPrefix(line, "created by "):
			p.key = append(p.key, 'C', '\n')
			creator = off
		case line[0] == '.' && hasPrefix(line, "...") && line[len(line)-1] == '.':
			p.key = append(p.key, chunk[off:off+i+1]...)
		default:
			return 0
		}
		off += i + 1
	}
	if end < 0 {
		return 0
	}
	if q := p.blocks[string(p.key)]; q.s != nil && p.sameFuncs(q, chunk, creator) {
		s := q.s
		h, ok := parseHeader(header)
		if !ok {
			return 0
		}
		p.line++
		p.startBlock(h)
		p.line += lines
		p.st = stOutside
		p.prevBlank = true
		if p.g.id != 0 {
			p.emit(s, len(s.Frames) > 0)
		}
		return end + 1
	}
	// Not known yet: parse the block in full; remember its stack when it
	// is one seen before and the block read cleanly.
	nwarn := p.r.nwarn
	p.lastStack = nil
	for rest := chunk[:end+1]; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		p.line++
		p.readLine(rest[:i])
		rest = rest[i+1:]
	}
	if p.st == stOutside && p.lastStack != nil && !p.lastNew && p.r.nwarn == nwarn {
		if p.blocks == nil {
			p.blocks = make(map[string]quickStack)
		}
		p.blocks[string(p.key)] = newQuickStack(p.lastStack)
	}
	return end + 1
}

// quickStack is a stack quickBlock knows, with the names of its functions
// and its creator one after the other (ends[i] is where name i ends), so
// that a block is checked against them without reaching into the frames.
type quickStack struct {
	s     *Stack
	names string
	ends  []int32
}

func newQuickStack(s *Stack) quickStack {
	var b strings.Builder
	ends := make([]int32, 0, len(s.Frames)+1)
	for _, f := range s.Frames {
		b.WriteString(f.Func)
		ends = append(ends, int32(b.Len()))
	}
	b.WriteString(s.Creator.Func)
	ends = append(ends, int32(b.Len()))
	return quickStack{s, b.String(), ends}
}

// sameFuncs reports whether the function lines of the block at the start
// of chunk (p.fnLines, and "created by" at offset creator) name the
// functions of q, as the state machine would read them (see funcEnd).
func (p *textParser) sameFuncs(q quickStack, chunk []byte, creator int) bool {
	if len(p.fnLines) != 2*len(q.s.Frames) || (creator >= 0) != (q.s.Creator.Func != "") {
		return false
	}
	from := int32(0)
	for i, end := range q.ends[:len(q.ends)-1] {
		line := chunk[p.fnLines[2*i]:p.fnLines[2*i+1]]
		fn := q.names[from:end]
		from = end
		// funcEnd(line) == len(fn): fn holds no '(' but those of "(*".
		if len(line) <= len(fn)+1 || line[len(fn)] != '(' || line[len(fn)+1] == '*' || string(line[:len(fn)]) != fn {
			return false
		}
	}
	if creator >= 0 {
		line := chunk[creator+len("created by "):]
		line = line[:bytes.IndexByte(line, '\n')]
		if i := bytes.Index(line, []byte(" in goroutine ")); i >= 0 {
			line = line[:i]
		}
		if q.names[from:] != string(line) {
			return false
		}
	}
	return true
}

// plainLocation reports whether line is a location exactly as the runtime
// prints it at the default traceback level: "\t" FILE ":" LINE, and
// " +0x" OFFSET unless inlined.
func plainLocation(line []byte) bool {
	i := len(line)
	for i > 0 && isHex(line[i-1]) {
		i--
	}
	end := len(line)
	if i >= 4 && i < len(line) && string(line[i-4:i]) == " +0x" {
		end = i - 4
	}
	j := end
	for j > 0 && line[j-1] >= '0' && line[j-1] <= '9' {
		j--
	}
	return j < end && j > 2 && line[j-1] == ':'
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

func (p *textParser) readLine(line []byte) {
	switch p.st {
	case stLocation, stCreatorAt:
		if p.location(line) {
			p.st = stFrames
			return
		}
		if p.st == stCreatorAt {
			p.bad("\"created by\" has no location line")
		} else {
			p.bad("function %s has no location line", clip(p.fn))
		}
		p.st = stFrames
	case stTentHeader, stTentFunc:
		p.tentative(line)
		return
	}
	if p.st == stFrames {
		p.frameLine(line)
		return
	}
	p.outside(line)
}

// outside handles a line outside any goroutine block: the preamble of
// crash output, the blank lines between blocks, and trailers.
func (p *textParser) outside(line []byte) {
	t := trimSpace(line)
	if len(t) == 0 {
		p.prevBlank = true
		p.inPanic = false
		return
	}
	if hasPrefix(t, "goroutine ") {
		if h, ok := parseHeader(t); ok {
			if p.prevBlank || !p.inPanic {
				p.startBlock(h)
				return
			}
			// A panic value can span lines and hold any text: a header
			// inside it is believed once a frame follows it, as it does
			// when the blank line after "panic: ..." was lost.
			p.tentHeader = append(p.tentHeader[:0], t...)
			p.tentHeaderLine = p.line
			p.st = stTentHeader
			return
		}
	}
	p.text(t)
}

// text handles a line outside blocks that is not a header.
func (p *textParser) text(t []byte) {
	if p.partial && len(t) < len("goroutine") && string(t) == "goroutine"[:len(t)] {
		p.cutInLine = true // the start of a header, cut
	}
	if hasPrefix(t, "goroutine") {
		switch {
		case p.partial:
			p.cutInLine = true
		case len(t) > 10 && t[10] >= '1' && t[10] <= '9' && (p.prevBlank || !p.inPanic):
			// Shaped like a header, but not one this parser knows: say so
			// rather than lose the goroutine silently.
			if headerIDOverflows(t) {
				p.warn("goroutine header %q: the id does not fit in 64 bits", clip(t))
			} else {
				p.warn("unrecognised goroutine header %q", clip(t))
			}
		}
	}
	p.prevBlank = false
	p.textSince = true
	switch {
	case hasPrefix(t, "panic: "):
		p.inPanic = true
		p.setCause(t)
	case hasPrefix(t, "fatal error: "), hasPrefix(t, "SIG") && isSignalLine(t):
		p.setCause(t)
	}
}

// tentative reads the lines after a header inside a panic value: a
// function and its location, "created by" and its location, or a stack
// the runtime could not print confirm it, and the lines are read as a
// block; anything else makes them part of the panic value.
func (p *textParser) tentative(line []byte) {
	t := trimSpace(line)
	if p.st == stTentHeader {
		switch {
		case hasPrefix(t, "goroutine running on other thread"):
			p.confirm()
			p.frameLine(line)
		case isFuncLine(t), hasPrefix(t, "created by "):
			p.tentFunc = append(p.tentFunc[:0], line...)
			p.tentFuncLine = p.line
			p.st = stTentFunc
		default:
			p.revert()
			p.readLine(line)
		}
		return
	}
	if _, _, ok := parseLocation(t); ok {
		p.confirm()
		at := p.line
		p.line = p.tentFuncLine
		p.frameLine(p.tentFunc)
		p.line = at
		p.readLine(line)
		return
	}
	p.revert()
	p.readLine(line)
}

// confirm reads the tentative header as the start of a block.
func (p *textParser) confirm() {
	at := p.line
	p.line = p.tentHeaderLine
	h, _ := parseHeader(p.tentHeader)
	p.st = stOutside
	p.startBlock(h)
	p.line = at
}

// revert reads the tentative lines as the panic value's text.
func (p *textParser) revert() {
	at := p.line
	tentFunc := p.st == stTentFunc
	p.st = stOutside
	p.line = p.tentHeaderLine
	p.text(p.tentHeader)
	if tentFunc {
		p.line = p.tentFuncLine
		p.text(trimSpace(p.tentFunc))
	}
	p.line = at
}

func (p *textParser) setCause(t []byte) {
	if !p.causeSince {
		p.causeSince = true
		p.r.causes = append(p.r.causes, cause{at: len(p.r.records), line: p.line, text: string(t)})
	}
}

// funcEnd returns where the function of a function line ends and its
// arguments begin, or -1: at the first '(' that opens no pointer receiver.
//
//	"net/http.(*conn).serve(0xc000123456, {0x1, 0x2})" → 22
//	"main.(*Pool[...]).get.func1(...)"                 → 27
//
// Receivers are the only parentheses of a name the runtime prints, and
// arguments hold none.
func funcEnd(t []byte) int {
	i := bytes.IndexByte(t, '(')
	for i >= 0 && i+1 < len(t) && t[i+1] == '*' {
		j := bytes.IndexByte(t[i+1:], '(')
		if j < 0 {
			return -1
		}
		i += j + 1
	}
	return i
}

// isSignalLine matches "SIGQUIT: quit", "SIGSEGV: segmentation violation".
func isSignalLine(t []byte) bool {
	i := 3
	for i < len(t) && t[i] >= 'A' && t[i] <= 'Z' {
		i++
	}
	return i > 3 && i+1 < len(t) && t[i] == ':' && t[i+1] == ' '
}

// frameLine handles a line inside a block.
func (p *textParser) frameLine(line []byte) {
	t := trimSpace(line)
	switch {
	case len(t) == 0:
		p.endBlock()
		p.prevBlank = true
		p.inPanic = false
	case hasPrefix(t, "stack: frame="), hasPrefix(t, "runtime: "):
		// The unwinder's diagnostics of a stack it cannot walk
		// ("runtime: unknown pc 0x…", then "stack: frame={sp:…}
		// stack=[…)" and a hex dump): nothing to keep, whatever the
		// line ends with.
	case t[len(t)-1] == ')' && !hasPrefix(t, "created by "):
		i := funcEnd(t)
		if i <= 0 {
			p.bad("unexpected line %q", clip(t))
			return
		}
		p.fn = append(p.fn[:0], t[:i]...)
		p.fnInlined = string(t[i:]) == "(...)"
		p.st = stLocation
	case hasPrefix(t, "created by "):
		fn := t[len("created by "):]
		if i := bytes.Index(fn, []byte(" in goroutine ")); i >= 0 {
			if p.anc == nil {
				p.g.parent, _ = strconv.ParseUint(string(fn[i+len(" in goroutine "):]), 10, 64)
			}
			fn = fn[:i]
		}
		p.fn = append(p.fn[:0], fn...)
		p.fnInlined = false
		p.st = stCreatorAt
	case t[0] == '.' && hasPrefix(t, "..."):
		// "...additional frames elided..." (Go <1.21: the bottom of the
		// stack is lost) or "...N frames elided..." (1.21+: the middle).
		if p.anc != nil {
			return
		}
		if n, ok := elidedCount(t); ok {
			p.g.elided = n
		} else {
			p.g.elided = -1
			p.g.cut = true
		}
	case t[0] == '[' && hasPrefix(t, "[originating from goroutine "):
		p.startAncestor(t)
	case hasPrefix(t, "goroutine running on other thread"):
		p.noStack = true
	case hasPrefix(t, "goroutine "):
		// A header without the blank line before it, as in text whose
		// empty lines were lost: the previous block ends here.
		if h, ok := parseHeader(t); ok {
			p.startBlock(h)
		} else {
			p.bad("unexpected line %q in goroutine %d", clip(t), p.g.id)
		}
	case isTrailer(t):
		// What go run and go test print after the dump, with no blank line.
		p.endBlock()
		p.prevBlank = false
		p.textSince = true
	case hasPrefix(t, "non-Go function"), hasPrefix(t, "0x"):
		// No stack, a cgo frame, or the unwinder's diagnostics of a broken
		// stack: nothing to keep.
	default:
		p.bad("unexpected line %q in goroutine %d", clip(t), p.g.id)
	}
}

// isTrailer recognises lines that follow a dump directly: "exit status 2"
// (go run), "FAIL\tpkg\t3.04s", "FAIL", "ok  \tpkg" (go test), and the
// registers a fatal signal prints after the goroutines ("rax    0xca",
// "rflags 0x286", "lr     0x4a1c2c").
func isTrailer(t []byte) bool {
	return hasPrefix(t, "exit status ") || string(t) == "FAIL" || hasPrefix(t, "FAIL\t") ||
		hasPrefix(t, "ok  \t") || string(t) == "PASS" || isRegister(t)
}

// isRegister matches a register line of crash output: a short lower-case
// name, spaces, and a hex value.
func isRegister(t []byte) bool {
	i := 0
	for i < len(t) && (t[i] >= 'a' && t[i] <= 'z' || i > 0 && t[i] >= '0' && t[i] <= '9') {
		i++
	}
	if i == 0 || i > 7 || i == len(t) || t[i] != ' ' {
		return false
	}
	for i < len(t) && t[i] == ' ' {
		i++
	}
	if !hasPrefix(t[i:], "0x") || i+2 == len(t) {
		return false
	}
	for _, c := range t[i+2:] {
		if !isHex(c) {
			return false
		}
	}
	return true
}

// elidedCount parses "...N frames elided...".
func elidedCount(t []byte) (int, bool) {
	t = t[3:]
	n, i := 0, 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		if n > (1<<31)/10 {
			return 0, false // not a count the runtime prints
		}
		n = n*10 + int(t[i]-'0')
		i++
	}
	return n, i > 0 && hasPrefix(t[i:], " frames elided")
}

// location reads "\t/app/worker.go:17 +0x2a fp=0x... sp=0x... pc=0x..."
// as the location of the pending function. It reports false if the line
// is not a location.
func (p *textParser) location(line []byte) bool {
	t := trimSpace(line)
	file, ln, ok := parseLocation(t)
	if !ok {
		return false
	}
	if p.partial && !bytes.Contains(t, []byte(" +0x")) {
		// The input's last line, without newline and without the offset
		// that follows the line number: the number may be cut short.
		p.cutInLine = true
		return true
	}
	if p.anc == nil && bytes.Contains(t, []byte(" fp=")) {
		p.deep = true
	}
	if p.st == stLocation && p.anc == nil && len(p.g.frames) >= maxFrames {
		if !p.g.cut {
			// No runtime prints this many (100, the rest elided): the
			// rest of the stack is not kept, as its bottom would be lost
			// to elision.
			p.warn("goroutine %d has more than %d frames: the rest is not read", p.g.id, maxFrames)
			p.g.cut = true
		}
		return true
	}
	id := p.b.frameID(p.fn, file, ln, p.fnInlined)
	if p.st == stCreatorAt {
		if p.anc != nil {
			p.anc.Creator = *p.b.frame(id)
		} else {
			p.g.creator = id
		}
		return true
	}
	switch {
	case p.anc == nil:
		p.g.frames = append(p.g.frames, id)
	case len(p.anc.Frames) < maxFrames:
		p.anc.Frames = append(p.anc.Frames, *p.b.frame(id))
	}
	return true
}

// maxFrames bounds the frames kept of one goroutine.
const maxFrames = 1 << 16

// header is a goroutine header line, parsed.
type header struct {
	id     uint64
	status []byte // between the brackets
	labels []byte // Go 1.27 labels after the brackets, or nil
}

// parseHeader reads a goroutine header line (trimmed):
//
//	goroutine 7 gp=0xc000007c00 m=nil [chan receive (leaked), 3 minutes, locked to thread, synctest bubble 2]:
//	goroutine 8 [select labels:{"k": "v"}]:          Go 1.26, GODEBUG=tracebacklabels=1
//	goroutine 9 [select] {k: v, "k 2": "v 2"}:       Go 1.27, labels quoted only when needed
//
// An id that does not fit in 64 bits makes it no header.
func parseHeader(t []byte) (header, bool) {
	if !hasPrefix(t, "goroutine ") || len(t) < len("goroutine 1 [x]:") || t[len(t)-1] != ':' {
		return header{}, false
	}
	rest := t[len("goroutine "):]
	var id uint64
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		d := uint64(rest[i] - '0')
		if id > (math.MaxUint64-d)/10 {
			return header{}, false
		}
		id = id*10 + d
		i++
	}
	if i == 0 || i >= len(rest) || rest[i] != ' ' {
		return header{}, false
	}
	rest = rest[i+1:]
	// Go 1.22+ at GOTRACEBACK=system and in fatal signals: " gp=0x… m=N mp=0x…" or " m=nil".
	if hasPrefix(rest, "gp=") {
		j := bytes.IndexByte(rest, '[')
		if j < 0 {
			return header{}, false
		}
		rest = rest[j:]
	}
	if len(rest) < 3 || rest[0] != '[' {
		return header{}, false
	}
	body := rest[1 : len(rest)-1] // without '[' and the final ':'
	var labels []byte             // Go 1.27 form, after the brackets
	if i := bytes.Index(body, []byte(" labels:{")); i >= 0 {
		// Go 1.26: labels inside the brackets, where values may hold ']'.
		if body[len(body)-1] != ']' {
			return header{}, false
		}
		body = body[:len(body)-1]
	} else {
		j := bytes.IndexByte(body, ']')
		if j < 0 {
			return header{}, false
		}
		tail := body[j+1:]
		body = body[:j]
		switch {
		case len(tail) == 0:
		case len(tail) >= 3 && tail[0] == ' ' && tail[1] == '{' && tail[len(tail)-1] == '}':
			labels = tail[1:]
		default:
			return header{}, false
		}
	}
	return header{id: id, status: body, labels: labels}, true
}

// headerIDOverflows reports whether t is "goroutine N ..." with an N of
// 2^64 or more.
func headerIDOverflows(t []byte) bool {
	rest := t[len("goroutine "):]
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	_, err := strconv.ParseUint(string(rest[:i]), 10, 64)
	return i > 0 && err != nil
}

// startBlock begins the block of a header, ending the block before it.
func (p *textParser) startBlock(h header) {
	if p.st != stOutside {
		p.endBlock()
	}
	p.g.reset()
	p.g.id = h.id
	p.hdrLine = p.line
	p.noStack, p.deep = false, false
	p.anc = nil
	p.st = stFrames
	p.headerSeen = true
	// A block ends any panic value before it.
	p.prevBlank, p.inPanic = false, false
	p.readStatus(h.status)
	if h.labels != nil && p.each != nil {
		p.g.labels = parseLabels(p.g.labels, h.labels)
	}
}

// readStatus reads the text between the brackets of a header:
//
//	"chan receive (nil chan) (leaked), 3 minutes, locked to thread"
//	→ state "chan receive (nil chan)", leaked, 3 minutes, locked
func (p *textParser) readStatus(body []byte) {
	// Labels (Go 1.26+) come last and are quoted; their values may contain
	// "]" or ", ", so they are cut off before anything else is split.
	if i := bytes.Index(body, []byte(" labels:{")); i >= 0 {
		if p.each != nil {
			p.g.labels = parseLabels(p.g.labels, body[i+len(" labels:"):])
		}
		body = body[:i]
	}
	status := body
	if i := bytes.IndexByte(body, ','); i >= 0 {
		status = body[:i]
		for rest := body[i:]; len(rest) > 0; {
			rest = rest[1:]
			if len(rest) > 0 && rest[0] == ' ' {
				rest = rest[1:]
			}
			var a []byte
			if j := bytes.IndexByte(rest, ','); j >= 0 {
				a, rest = rest[:j], rest[j:]
			} else {
				a, rest = rest, nil
			}
			p.annotation(a)
		}
	}
	// Annotations the runtime appends to the wait reason. "(durable)"
	// and its Go 1.24 name "(synctest)" mark waits inside a synctest
	// bubble; some wait reasons carry it themselves.
	for {
		switch {
		case bytes.HasSuffix(status, []byte(" (leaked)")):
			p.g.leaked = true
			status = status[:len(status)-len(" (leaked)")]
			continue
		case bytes.HasSuffix(status, []byte(" (scan)")):
			status = status[:len(status)-len(" (scan)")]
			continue
		case bytes.HasSuffix(status, []byte(" (durable)")):
			status = status[:len(status)-len(" (durable)")]
			continue
		case bytes.HasSuffix(status, []byte(" (synctest)")):
			status = status[:len(status)-len(" (synctest)")]
			continue
		}
		break
	}
	if string(status) == "leaked" {
		p.g.leaked = true
	}
	p.g.state = p.b.intern(status)
}

// annotation reads one ", "-separated item after the status.
func (p *textParser) annotation(a []byte) {
	switch {
	case bytes.HasSuffix(a, []byte(" minutes")):
		// The runtime prints a whole number of minutes since a GC first
		// saw the goroutine blocked: never negative, and far below 2^31
		// (4,000 years).
		n, err := strconv.ParseInt(string(a[:len(a)-len(" minutes")]), 10, 32)
		if err != nil || n < 0 {
			p.warn("goroutine %d: wait time %q ignored", p.g.id, clip(a))
			return
		}
		p.g.minutes = int(n)
	case string(a) == "locked to thread":
		p.g.locked = true
	case hasPrefix(a, "synctest bubble "), hasPrefix(a, "synctest group "):
		n, _ := strconv.ParseUint(string(a[bytes.LastIndexByte(a, ' ')+1:]), 10, 64)
		p.g.bubble = n
	default:
		p.warn("unknown goroutine annotation %q", clip(a))
	}
}

// parseLabels reads a label set in any of the runtime's spellings:
//
//	{"k": "v", "k2": "v2"}     debug=2 headers of Go 1.26 (print.go printquoted)
//	{"k":"v", "k2":"v2"}       debug=1 "# labels:" lines (Go %q)
//	{k: v, "k 2": "v\t2"}      debug=2 headers of Go 1.27: quoted only when a
//	                           string holds more than [A-Za-z0-9./_]
func parseLabels(dst []Label, b []byte) []Label {
	s := string(b)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return dst
	}
	s = s[1:]
	for {
		k, rest, ok := nextToken(s, ':')
		if !ok || len(rest) == 0 || rest[0] != ':' {
			return dst
		}
		v, rest2, ok := nextToken(trimLeft(rest[1:]), ',')
		if !ok {
			return dst
		}
		dst = append(dst, Label{Key: k, Value: v})
		rest2 = trimLeft(rest2)
		if len(rest2) == 0 || rest2[0] != ',' {
			return dst
		}
		s = trimLeft(rest2[1:])
	}
}

// nextToken reads a quoted string, or a bare one up to stop or '}'.
func nextToken(s string, stop byte) (string, string, bool) {
	if len(s) > 0 && s[0] == '"' {
		return nextQuoted(s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] == stop || s[i] == '}' {
			return s[:i], s[i:], i > 0
		}
	}
	return "", s, false
}

// nextQuoted unquotes the Go-quoted string at the start of s.
func nextQuoted(s string) (string, string, bool) {
	if len(s) == 0 || s[0] != '"' {
		return "", s, false
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			v, err := strconv.Unquote(s[:i+1])
			if err != nil {
				return s[1:i], s[i+1:], true
			}
			return v, s[i+1:], true
		}
	}
	return "", s, false
}

func trimLeft(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	return s
}

// startAncestor reads "[originating from goroutine 72]:".
func (p *textParser) startAncestor(t []byte) {
	n := t[len("[originating from goroutine "):]
	if i := bytes.IndexByte(n, ']'); i >= 0 {
		n = n[:i]
	}
	id, _ := strconv.ParseUint(string(n), 10, 64)
	if p.each == nil {
		// Ancestors are kept on the goroutine only for callers that look
		// at goroutines one by one; the fold needs only their count.
		p.anc = &Ancestor{ID: id}
		return
	}
	p.g.ancestors = append(p.g.ancestors, Ancestor{ID: id})
	p.anc = &p.g.ancestors[len(p.g.ancestors)-1]
}

// endBlock records the goroutine just read.
func (p *textParser) endBlock() {
	p.st = stOutside
	p.anc = nil
	if p.g.id == 0 {
		// "goroutine 0" is a thread's g0 stack in crash output, not a
		// goroutine.
		return
	}
	s, isNew := p.b.stackOf(&p.g)
	p.lastStack, p.lastNew = s, isNew
	p.emit(s, len(p.g.frames) > 0)
	if p.each != nil {
		p.err = p.each(p.b.goroutine(&p.g))
	}
}

// emit records the goroutine of the current header in stack s.
func (p *textParser) emit(s *Stack, hasFrames bool) {
	g := &p.g
	p.r.records = append(p.r.records, record{
		st: s, id: g.id, state: g.state, minutes: g.minutes, line: p.hdrLine,
		leaked: g.leaked, locked: g.locked,
		// A goroutine after text between blocks (a crash's cause, a log
		// line), or the running goroutine that writes a dump, may be the
		// first of a second dump (see commit.go).
		head: p.textSince || hasFrames && g.state == "running",
	})
	p.textSince = false
	p.causeSince = false
}

// endAtCut ends a unit where the next begins: at a header that follows
// a frame or at a line after a blank line (boundary.go). The block being
// read ends as that header would end it.
func (p *textParser) endAtCut() {
	switch p.st {
	case stTentHeader, stTentFunc:
		p.revert()
	case stLocation:
		p.warnAt(p.line+1, "function %s has no location line", clip(p.fn))
	case stCreatorAt:
		p.warnAt(p.line+1, "\"created by\" has no location line")
	}
	if p.st != stOutside {
		p.endBlock()
	}
}

// endOfInput applies the one rule for what counts as cut: the runtime
// cuts debug=2 output at 64 MiB, mid-line, and transfers and copy-paste
// cut anywhere. The block open at the end of the input was cut when it
// ends inside a line, after a header or a function, or before the
// "created by" every goroutine has but those that legitimately have none
// (see hasNoCreator). A goroutine cut so is not counted: its site is
// unknown. Once its "created by" is read, its own lines are whole: a cut
// in the ancestors after it leaves it counted, and says truncated.
func (p *textParser) endOfInput() {
	what := ""
	switch {
	case p.st == stTentHeader || p.st == stTentFunc:
		// A header at the end of a panic value: the dump was cut right
		// after it.
		p.headerSeen = true
		what = fmt.Sprintf("the input ends inside goroutine %d, which is not counted", headerID(p.tentHeader))
		p.st = stOutside
	case p.st == stOutside:
		if p.cutInLine {
			what = "the input ends inside a line"
		}
	case p.g.creator >= 0:
		if p.cutInLine || p.st != stFrames || p.anc != nil && p.anc.Creator.Func == "" && p.anc.ID != 1 {
			what = fmt.Sprintf("the input ends inside the ancestors of goroutine %d", p.g.id)
		}
		p.endBlock()
	case p.cutInLine || p.st != stFrames || !p.hasNoCreator():
		what = fmt.Sprintf("the input ends inside goroutine %d, which is not counted", p.g.id)
		p.st = stOutside
	default:
		p.endBlock()
	}
	if what != "" {
		p.r.truncated = true
		p.r.truncWhat = what
		p.r.truncLine = p.line
	}
}

// hasNoCreator reports whether the block read last is complete without a
// "created by" line. The runtime prints one for every goroutine but
//
//   - goroutine 1, the main goroutine: its stack ends in main.main, or in
//     runtime.main and runtime.goexit at GOTRACEBACK=system and crash
//     (whose locations carry "fp="); its bottom may be elided (Go <1.21),
//     or on another thread;
//   - a cgo thread's goroutine (an extra M, locked to its thread): its
//     stack is runtime.goexit alone, or a callback into Go whose frames
//     hold the runtime's cgocallback or a _cgoexp_ function.
//
// Other goroutines without a shown creator (a finalizer running user code
// at GOTRACEBACK<system) cannot be told from a cut and count as cut;
// only the last block of an input is ever in doubt.
func (p *textParser) hasNoCreator() bool {
	g := &p.g
	bottom := ""
	if n := len(g.frames); n > 0 {
		bottom = p.b.frame(g.frames[n-1]).Func
	}
	if g.id == 1 {
		return p.noStack || g.elided < 0 && bottom != "" ||
			bottom == "runtime.goexit" || bottom == "main.main" && !p.deep
	}
	if !g.locked {
		return false
	}
	if len(g.frames) == 1 && bottom == "runtime.goexit" {
		return true
	}
	for _, id := range g.frames {
		fn := p.b.frame(id).Func
		if strings.HasPrefix(fn, "runtime.cgocallback") || strings.Contains(fn, "._cgoexp_") {
			return true
		}
	}
	return false
}

// headerID returns the id of a header line that parsed before.
func headerID(t []byte) uint64 {
	h, _ := parseHeader(t)
	return h.id
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func hasPrefix(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix
}

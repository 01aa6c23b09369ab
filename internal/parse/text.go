package parse

import (
	"bytes"
	"fmt"
	"strconv"
)

// textParser is the line state machine for traceback text (debug=2 and
// crash output). It reads one chunk of whole goroutine blocks at a time
// and folds each goroutine into its builder.
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
	b    *builder
	seq  int // the chunk being read, in input order
	line int // number of the current line within the chunk, from 1
	// lines records how many lines each chunk read by this parser had,
	// by chunk: line numbers become absolute once every chunk is read.
	lines map[int]int

	st         textState
	prevBlank  bool // the previous line was blank (or this is the first)
	inPanic    bool // inside a panic value, which may contain anything
	g          rawGoroutine
	fn         []byte
	fnInlined  bool
	anc        *Ancestor // ancestor section being read, if any
	headerSeen bool

	cause     string
	causeAt   position
	warns     []warning
	nwarn     int
	crash     bool // an envelope line was seen: this is crash output
	truncated bool
	partial   bool // the line being read is the input's last and has no newline
	cutInLine bool // that line did not make sense: the input was cut inside it
	noStack   bool // the block said its stack is unavailable

	strip func([]byte) []byte // log prefix remover, or nil
	each  func(*Goroutine) error
	err   error // from each

	// blocks maps the bytes that identify a well-formed block's stack
	// (see quickBlock) to the stack it was folded into.
	blocks map[string]*Stack
	key    []byte
}

type textState uint8

const (
	stOutside   textState = iota // before, between or after goroutine blocks
	stFrames                     // in a block, expecting a function or "created by"
	stLocation                   // expecting the location of the function just read
	stCreatorAt                  // expecting the location of "created by"
)

// position is a line of the input: line within chunk seq.
type position struct{ seq, line int }

type warning struct {
	at  position
	msg string
}

// maxWarnings bounds the warnings a parser keeps; the rest are counted.
const maxWarnings = 20

func (p *textParser) warn(format string, args ...any) {
	p.nwarn++
	if len(p.warns) < maxWarnings {
		p.warns = append(p.warns, warning{position{p.seq, p.line}, fmt.Sprintf(format, args...)})
	}
}

// parse reads the lines of chunk number seq; final says no more input
// follows.
func (p *textParser) parse(seq int, chunk []byte, final bool) {
	p.seq, p.line = seq, 0
	defer func() {
		if p.lines == nil {
			p.lines = make(map[int]int)
		}
		p.lines[seq] = p.line
	}()
	p.prevBlank = true
	quick := p.each == nil && p.strip == nil
	for len(chunk) > 0 && p.err == nil {
		if quick && p.st == stOutside && (p.prevBlank || !p.inPanic) && hasPrefix(chunk, "goroutine ") {
			if n := p.quickBlock(chunk); n > 0 {
				chunk = chunk[n:]
				continue
			}
		}
		var line []byte
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			line, chunk = chunk, nil
			p.partial = final
		} else {
			line, chunk = chunk[:i], chunk[i+1:]
		}
		p.line++
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if p.strip != nil {
			line = p.strip(line)
		}
		p.readLine(line)
	}
	if !final {
		if p.st != stOutside {
			p.warn("goroutine %d is too long to read in one piece; read in part", p.g.id)
			p.endBlock()
		}
		return
	}
	// The runtime cuts debug=2 output at 64 MiB, mid-line; transfers and
	// copy-paste cut anywhere. A goroutine without its bottom is dropped
	// rather than counted at a wrong site.
	cut := p.cutInLine || p.st == stLocation || p.st == stCreatorAt ||
		p.st == stFrames && len(p.g.frames) == 0 && p.g.creator < 0 && !p.noStack
	if !cut {
		if p.st == stFrames {
			p.endBlock()
		}
		return
	}
	p.truncated = true
	what := "the input ends inside a line"
	if p.st != stOutside {
		what = fmt.Sprintf("the input ends inside goroutine %d, which is not counted", p.g.id)
	}
	p.warns = append(p.warns, warning{position{p.seq, p.line}, what + " (truncated: the runtime cuts debug=2 dumps at 64 MiB)"})
	p.st = stOutside
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
// not parsed frame by frame: its location lines, with one byte standing
// for each function line, are the key of the stack it was folded into
// the first time, when the state machine parsed it in full.
func (p *textParser) quickBlock(chunk []byte) int {
	nl := bytes.IndexByte(chunk, '\n')
	if nl < 1 || chunk[nl-1] == '\r' {
		return 0
	}
	header := chunk[:nl]
	p.key = p.key[:0]
	lines := 1
	end := -1 // offset of the blank line ending the block
	for off := nl + 1; off < len(chunk); lines++ {
		i := bytes.IndexByte(chunk[off:], '\n')
		if i < 0 {
			return 0 // the last block of the input: the state machine reads it
		}
		line := chunk[off : off+i]
		if len(line) == 0 {
			end = off
			break
		}
		off += i + 1
		switch {
		case line[0] == '\t':
			if !plainLocation(line) {
				return 0
			}
			p.key = append(p.key, line...)
		case line[len(line)-1] == ')' && line[0] != ' ':
			p.key = append(p.key, '\n')
		case line[0] == 'c' && hasPrefix(line, "created by "):
			p.key = append(p.key, '\v')
		case line[0] == '.' && hasPrefix(line, "...") && line[len(line)-1] == '.':
			p.key = append(p.key, line...)
		default:
			return 0
		}
	}
	if end < 0 {
		return 0
	}
	s := p.blocks[string(p.key)]
	if s == nil {
		// First sight: parse the block in full, and remember its stack.
		key := string(p.key)
		p.b.last = nil
		for rest := chunk[:end+1]; len(rest) > 0; {
			i := bytes.IndexByte(rest, '\n')
			p.line++
			p.readLine(rest[:i])
			rest = rest[i+1:]
		}
		if p.st == stOutside && p.b.last != nil {
			if p.blocks == nil {
				p.blocks = make(map[string]*Stack)
			}
			p.blocks[key] = p.b.last
		}
		return end + 1
	}
	if !p.header(header) {
		return 0
	}
	p.line += lines + 1
	p.st = stOutside
	p.prevBlank = true
	p.inPanic = false
	if p.g.id != 0 {
		p.b.add(s, &p.g)
	}
	return end + 1
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
	if p.st == stLocation || p.st == stCreatorAt {
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
	// A panic value can span lines and hold any text; a header inside it
	// is believed only after a blank line.
	if (p.prevBlank || !p.inPanic) && p.header(t) {
		p.prevBlank = false
		return
	}
	if hasPrefix(t, "goroutine") {
		if p.partial {
			p.cutInLine = true
		} else if len(t) > 10 && t[10] >= '1' && t[10] <= '9' && (p.prevBlank || !p.inPanic) {
			// Shaped like a header, but not one this parser knows: say so
			// rather than lose the goroutine silently.
			p.warn("unrecognised goroutine header %q", clip(t))
		}
	}
	p.prevBlank = false
	switch {
	case hasPrefix(t, "panic: "):
		p.inPanic = true
		p.setCause(t)
	case hasPrefix(t, "fatal error: "), hasPrefix(t, "SIG") && isSignalLine(t):
		p.setCause(t)
	}
}

func (p *textParser) setCause(t []byte) {
	p.crash = true
	if p.cause == "" {
		p.cause = string(t)
		p.causeAt = position{p.seq, p.line}
	}
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
		p.st = stOutside
		p.prevBlank = true
		p.inPanic = false
	case hasPrefix(t, "stack: frame="), hasPrefix(t, "runtime: "):
		// The unwinder's diagnostics of a stack it cannot walk
		// ("runtime: unknown pc 0x…", then "stack: frame={sp:…}
		// stack=[…)" and a hex dump): nothing to keep, whatever the
		// line ends with.
	case t[len(t)-1] == ')' && !hasPrefix(t, "created by "):
		// "pkg.F(0x1, {0x2, 0x3})" or "pkg.G(...)": the function name ends
		// at the last '(', as arguments never contain one.
		i := bytes.LastIndexByte(t, '(')
		if i <= 0 {
			p.bad("unexpected line %q", clip(t))
			return
		}
		p.fn = t[:i]
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
		p.fn = fn
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
	case hasPrefix(t, "goroutine ") && p.header(t):
		// A header without the blank line before it, as in text whose
		// empty lines were lost: the previous block ends here.
	case hasPrefix(t, "goroutine running on other thread"):
		p.noStack = true
	case isTrailer(t):
		// What go run and go test print after the dump, with no blank line.
		p.endBlock()
	case hasPrefix(t, "non-Go function"), hasPrefix(t, "0x"):
		// No stack, a cgo frame, or the unwinder's diagnostics of a broken
		// stack: nothing to keep.
	default:
		p.bad("unexpected line %q in goroutine %d", clip(t), p.g.id)
	}
}

// isTrailer recognises lines that follow a dump directly: "exit status 2"
// (go run), "FAIL\tpkg\t3.04s", "FAIL", "ok  \tpkg" (go test).
func isTrailer(t []byte) bool {
	return hasPrefix(t, "exit status ") || string(t) == "FAIL" || hasPrefix(t, "FAIL\t") ||
		hasPrefix(t, "ok  \t") || string(t) == "PASS"
}

// elidedCount parses "...N frames elided...".
func elidedCount(t []byte) (int, bool) {
	t = t[3:]
	n, i := 0, 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
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
	if i := bytes.Index(t, []byte(" fp=")); i >= 0 {
		t = t[:i]
	}
	if i := bytes.LastIndex(t, []byte(" +0x")); i >= 0 {
		t = t[:i]
	}
	if i := bytes.LastIndexByte(t, ' '); i >= 0 && hasPrefix(t[i:], " pc=0x") {
		t = t[:i] // cgo symbolizer frames: "file:line pc=0x..."
	}
	if len(t) == 0 || t[len(t)-1] < '0' || t[len(t)-1] > '9' {
		return false
	}
	id, err := p.b.frameID(p.fn, t, p.fnInlined)
	if err != nil {
		return false
	}
	if p.st == stCreatorAt {
		if p.anc != nil {
			p.anc.Creator = p.b.frames[id]
		} else {
			p.g.creator = id
		}
		return true
	}
	if p.anc != nil {
		p.anc.Frames = append(p.anc.Frames, p.b.frames[id])
	} else {
		p.g.frames = append(p.g.frames, id)
	}
	return true
}

// header reads a goroutine header, ending the block before it:
//
//	goroutine 7 gp=0xc000007c00 m=nil [chan receive (leaked), 3 minutes, locked to thread, synctest bubble 2]:
//	goroutine 8 [select labels:{"k": "v"}]:          Go 1.26, GODEBUG=tracebacklabels=1
//	goroutine 9 [select] {k: v, "k 2": "v 2"}:       Go 1.27, labels quoted only when needed
//
// It reports false, changing nothing, if t is not a header.
func (p *textParser) header(t []byte) bool {
	if !hasPrefix(t, "goroutine ") || len(t) < len("goroutine 1 [x]:") || t[len(t)-1] != ':' {
		return false
	}
	rest := t[len("goroutine "):]
	var id uint64
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		id = id*10 + uint64(rest[i]-'0')
		i++
	}
	if i == 0 || i > 20 || i >= len(rest) || rest[i] != ' ' {
		return false
	}
	rest = rest[i+1:]
	// Go 1.22+ at GOTRACEBACK=system and in fatal signals: " gp=0x… m=N mp=0x…" or " m=nil".
	if hasPrefix(rest, "gp=") {
		j := bytes.IndexByte(rest, '[')
		if j < 0 {
			return false
		}
		rest = rest[j:]
	}
	if len(rest) < 3 || rest[0] != '[' {
		return false
	}
	body := rest[1 : len(rest)-1] // without '[' and the final ':'
	var labels []byte             // Go 1.27 form, after the brackets
	if i := bytes.Index(body, []byte(" labels:{")); i >= 0 {
		// Go 1.26: labels inside the brackets, where values may hold ']'.
		if body[len(body)-1] != ']' {
			return false
		}
		body = body[:len(body)-1]
	} else {
		j := bytes.IndexByte(body, ']')
		if j < 0 {
			return false
		}
		tail := body[j+1:]
		body = body[:j]
		switch {
		case len(tail) == 0:
		case len(tail) >= 3 && tail[0] == ' ' && tail[1] == '{' && tail[len(tail)-1] == '}':
			labels = tail[1:]
		default:
			return false
		}
	}

	if p.st != stOutside {
		p.endBlock()
	}
	p.g.reset()
	p.g.id = id
	p.noStack = false
	p.anc = nil
	p.st = stFrames
	p.headerSeen = true
	p.readStatus(body)
	if labels != nil && p.each != nil {
		p.g.labels = parseLabels(p.g.labels, labels)
	}
	return true
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
		n, err := strconv.Atoi(string(a[:len(a)-len(" minutes")]))
		if err == nil {
			p.g.minutes = n
		}
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

// endBlock folds the goroutine just read.
func (p *textParser) endBlock() {
	p.st = stOutside
	p.anc = nil
	if p.g.id == 0 {
		// "goroutine 0" is a thread's g0 stack in crash output, not a
		// goroutine.
		return
	}
	p.b.fold(&p.g)
	if p.each != nil {
		p.err = p.each(p.b.goroutine(&p.g))
	}
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

package parse

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// Options tunes Read. The zero value is ready to use.
type Options struct {
	// Workers bounds the goroutines that parse traceback text in
	// parallel; 0 means GOMAXPROCS (at most 8), 1 parses in the caller's
	// goroutine.
	Workers int
	// MaxBytes limits the input, counted after gzip decompression; 0
	// means DefaultMaxBytes.
	MaxBytes int64
	// Each, if set, is called with every goroutine (or counted record) in
	// input order, and the text is parsed in the caller's goroutine. An
	// error from Each stops Read and is returned.
	Each func(*Goroutine) error
}

// DefaultMaxBytes is the input limit when Options.MaxBytes is 0.
const DefaultMaxBytes = 512 << 20

// ErrTooLarge is returned (wrapped) when the input exceeds Options.MaxBytes.
var ErrTooLarge = errors.New("input too large")

// chunkSize is how much traceback text one parsing step takes. Inputs of
// at most one chunk are parsed without starting any goroutine.
const chunkSize = 512 << 10

// maxChunk bounds a chunk that must grow to hold one goroutine block.
const maxChunk = 16 << 20

// dumpLimit is where the runtime silently cuts debug=2 output
// (runtime/pprof writeGoroutineStacks).
const dumpLimit = 64 << 20

// Read parses the goroutine dump r, named name in messages, whatever its
// format: traceback text (debug=2, or crash output around it), counted
// text (debug=1), or a protobuf profile (gzipped or not), of the goroutine
// or goroutineleak profile. Damaged parts become Snapshot.Warnings; Read
// fails only for I/O errors, an input over the size limit, or an input
// with no goroutine in it.
func Read(ctx context.Context, r io.Reader, name string, opts Options) (*Snapshot, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if in, ok := sizedInput(r); ok && opts.Each == nil && in.Size() > chunkSize {
		if in.Size() > opts.MaxBytes {
			return nil, fmt.Errorf("%s: %w: more than %s", name, ErrTooLarge, formatBytes(opts.MaxBytes))
		}
		snap, ok, err := readRegions(ctx, in, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if ok {
			snap.Source = name
			return snap, nil
		}
		r = in // not plain text: stream it from where it starts
	}
	snap, err := read(ctx, &limitReader{r: r, n: opts.MaxBytes}, name, opts, false)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	snap.Source = name
	return snap, nil
}

func read(ctx context.Context, r io.Reader, name string, opts Options, gunzipped bool) (*Snapshot, error) {
	first := make([]byte, chunkSize)
	n, err := io.ReadFull(r, first)
	first = first[:n]
	eof := err == io.EOF || err == io.ErrUnexpectedEOF
	if err != nil && !eof {
		return nil, err
	}
	rest := r
	if eof {
		rest = eofReader{}
	}
	switch {
	case len(bytes.TrimSpace(first)) == 0:
		if gunzipped {
			return nil, errors.New("gzip data that holds nothing")
		}
		return nil, errors.New("empty input")
	case bytes.HasPrefix(first, []byte{0x1f, 0x8b}):
		if gunzipped {
			return nil, errors.New("gzip data inside gzip data, not a goroutine profile")
		}
		zr, err := gzip.NewReader(io.MultiReader(bytes.NewReader(first), rest))
		if err != nil {
			return nil, fmt.Errorf("damaged gzip data: %w", err)
		}
		// The limit counts decompressed bytes: a small gzip can expand
		// without bound.
		return read(ctx, &limitReader{r: gzipErrors{zr}, n: r.(*limitReader).n}, name, opts, true)
	case !looksText(first):
		data, err := readAll(first, rest)
		if err != nil {
			return nil, err
		}
		snap, err := readProto(data, opts)
		var wrong *wrongProfile
		if errors.As(err, &wrong) {
			return nil, err
		}
		if err != nil {
			if gunzipped {
				return nil, fmt.Errorf("gzip data that is not a goroutine profile: %w", err)
			}
			return nil, fmt.Errorf("binary data that is not a goroutine profile: %w", err)
		}
		return snap, nil
	}
	if prof, ok := countedHeader(first); ok {
		return readDebug1(ctx, io.MultiReader(bytes.NewReader(first), rest), prof, opts)
	}
	snap, err := readText(ctx, first, rest, opts)
	if err != nil {
		return nil, err
	}
	if snap.Goroutines == 0 && len(snap.Stacks) == 0 && !snap.sawHeader {
		if gunzipped {
			return nil, errors.New("gzip data that is not a goroutine profile: " + notADump(first))
		}
		return nil, errors.New(notADump(first))
	}
	return snap, nil
}

// notADump says what an input without goroutines looks like instead.
func notADump(first []byte) string {
	t := bytes.TrimSpace(bytes.TrimPrefix(first, []byte("\xef\xbb\xbf")))
	lower := bytes.ToLower(t[:min(len(t), 512)])
	switch {
	case bytes.HasPrefix(lower, []byte("<!doctype html")), bytes.HasPrefix(lower, []byte("<html")),
		bytes.Contains(lower, []byte("<html")), bytes.Contains(lower, []byte("<body")):
		return "an HTML page, not a goroutine dump"
	case t[0] == '{' || t[0] == '[':
		return "JSON, not a goroutine dump"
	case t[0] == '<':
		return "XML, not a goroutine dump"
	}
	if m := otherProfile.FindSubmatch(t); m != nil {
		return fmt.Sprintf("a %s profile, not a goroutine profile", m[1])
	}
	return "no goroutine found (want /debug/pprof/goroutine output or crash output)"
}

var otherProfile = regexp.MustCompile(`^(\S+) profile: `)

// countedHeader recognises the first line of debug=1 output:
// "goroutine profile: total 74" or "goroutineleak profile: total 18".
func countedHeader(first []byte) (profile string, ok bool) {
	t := bytes.TrimLeft(bytes.TrimPrefix(first, []byte("\xef\xbb\xbf")), " \t\r\n")
	for _, p := range []string{"goroutine", "goroutineleak"} {
		if hasPrefix(t, p+" profile: total ") {
			return p, true
		}
	}
	return "", false
}

// looksText reports whether b is text rather than binary: no NUL byte and
// almost all valid UTF-8.
func looksText(b []byte) bool {
	b = b[:min(len(b), 4096)]
	if bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	bad := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			bad++
		}
		b = b[size:]
	}
	return bad < 8
}

// readText parses traceback text: the first chunk is already read.
func readText(ctx context.Context, first []byte, rest io.Reader, opts Options) (*Snapshot, error) {
	strip := prefixStripper(first)
	workers := opts.Workers
	if workers <= 0 {
		workers = min(runtime.GOMAXPROCS(0), 8)
	}
	_, isEOF := rest.(eofReader)
	if opts.Each != nil || strip != nil || isEOF {
		// Callers that want goroutines in order, log prefixes (which hide
		// block boundaries) and small inputs are read in this goroutine.
		workers = 1
	}
	parsers := make([]*textParser, workers)
	for i := range parsers {
		parsers[i] = &textParser{b: newBuilder(), strip: strip, each: opts.Each}
	}
	var total int64
	if workers == 1 {
		err := splitChunks(ctx, first, rest, func(c chunk) error {
			total += int64(len(c.data))
			p := parsers[0]
			p.parse(c.seq, c.data, c.final)
			return p.err
		}, nil)
		if err != nil {
			return nil, err
		}
		return finishText(parsers, total), nil
	}

	// Parallel: this goroutine splits the input at goroutine boundaries
	// and the workers fold chunks into builders of their own, merged at
	// the end. Buffers circulate through free, so memory stays at
	// 2*workers+1 chunks whatever the input size.
	work := make(chan chunk)
	// One slot more than buffers: the first chunk's buffer joins them, and
	// a worker must never block handing a buffer back.
	free := make(chan []byte, 2*workers+2)
	for range 2*workers + 1 {
		free <- make([]byte, 0, chunkSize)
	}
	var wg sync.WaitGroup
	for _, p := range parsers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				p.parse(c.seq, c.data, c.final)
				free <- c.buf[:0]
			}
		}()
	}
	err := splitChunks(ctx, first, rest, func(c chunk) error {
		total += int64(len(c.data))
		select {
		case work <- c:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}, free)
	close(work)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	return finishText(parsers, total), nil
}

// chunk is a run of whole goroutine blocks.
type chunk struct {
	data  []byte
	buf   []byte // backing buffer, returned to the free list
	seq   int    // chunks before this one
	final bool
}

// splitChunks cuts the input into chunks that begin at a goroutine
// header and calls emit for each in order. Buffers come from free when it
// is not nil (and go back through the consumer), else one is reused.
func splitChunks(ctx context.Context, first []byte, rest io.Reader, emit func(chunk) error, free chan []byte) error {
	buf := first
	seq := 0
	var spare []byte
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		eof := false
		if _, ok := rest.(eofReader); ok {
			eof = true
		} else if len(buf) < cap(buf) {
			n, err := io.ReadFull(rest, buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				eof = true
			} else if err != nil {
				return err
			}
		}
		if eof {
			return emit(chunk{data: buf, buf: buf, seq: seq, final: true})
		}
		cut := lastBoundary(buf)
		if cut <= 0 {
			if len(buf) < maxChunk {
				// One block longer than a chunk: grow and read on.
				buf = append(buf[:len(buf):len(buf)], make([]byte, min(2*len(buf), maxChunk)-len(buf))...)[:len(buf)]
				continue
			}
			cut = bytes.LastIndexByte(buf, '\n') + 1
			if cut <= 0 {
				cut = len(buf)
			}
		}
		var next []byte
		if free != nil {
			select {
			case next = <-free:
			case <-ctx.Done():
				return ctx.Err()
			}
		} else {
			next, spare = spare, nil
		}
		if cap(next) < max(chunkSize, len(buf)-cut) {
			next = make([]byte, 0, max(chunkSize, 2*(len(buf)-cut)))
		}
		next = append(next[:0], buf[cut:]...)
		c := chunk{data: buf[:cut], buf: buf, seq: seq}
		seq++
		if err := emit(c); err != nil {
			return err
		}
		if free == nil {
			spare = buf[:0]
		}
		buf = next
	}
}

// lastBoundary returns the offset of the last goroutine header in buf
// that follows a blank line, or 0.
func lastBoundary(buf []byte) int {
	end := len(buf)
	for {
		i := bytes.LastIndex(buf[:end], []byte("\ngoroutine "))
		if i < 0 {
			return 0
		}
		// The line before must be empty ("\n\n" or "\r\n\r\n"): then this
		// is where a block starts, never inside one.
		j := i
		if j > 0 && buf[j-1] == '\r' {
			j--
		}
		if j > 0 && buf[j-1] == '\n' {
			return i + 1
		}
		end = i
	}
}

// finishText merges the parsers' results into a Snapshot.
func finishText(parsers []*textParser, total int64) *Snapshot {
	b := parsers[0].b
	snap := &Snapshot{Format: FormatDebug2, Profile: "goroutine"}
	// Line numbers: each chunk's first line follows all lines of the
	// chunks before it, whichever parser read them.
	var counts []int
	for _, p := range parsers {
		for seq, n := range p.lines {
			for len(counts) <= seq {
				counts = append(counts, 0)
			}
			counts[seq] = n
		}
	}
	base := make([]int, len(counts)+1)
	for i, n := range counts {
		base[i+1] = base[i] + n
	}
	abs := func(at position) int { return base[at.seq] + at.line }

	var warns []warning
	nwarn := 0
	causeLine := 0
	others := make([]*builder, 0, len(parsers)-1)
	for i, p := range parsers {
		if i > 0 {
			others = append(others, p.b)
		}
		for _, w := range p.warns {
			warns = append(warns, warning{position{0, abs(w.at)}, w.msg})
		}
		nwarn += p.nwarn
		if p.cause != "" && (snap.Cause == "" || abs(p.causeAt) < causeLine) {
			snap.Cause, causeLine = p.cause, abs(p.causeAt)
		}
		snap.Truncated = snap.Truncated || p.truncated
		snap.sawHeader = snap.sawHeader || p.headerSeen
		if p.crash {
			snap.Format = FormatCrash
		}
	}
	if total == dumpLimit && !snap.Truncated && snap.Format == FormatDebug2 {
		snap.Truncated = true
		warns = append(warns, warning{position{}, "input is exactly 64 MiB, where the runtime cuts debug=2 dumps: goroutines may be missing"})
	}
	sort.SliceStable(warns, func(i, j int) bool { return warns[i].at.line < warns[j].at.line })
	for _, w := range warns[:min(len(warns), maxWarnings)] {
		if w.at.line > 0 {
			snap.Warnings = append(snap.Warnings, fmt.Sprintf("line %d: %s", w.at.line, w.msg))
		} else {
			snap.Warnings = append(snap.Warnings, w.msg)
		}
	}
	if more := nwarn - maxWarnings; more > 0 && len(warns) >= maxWarnings {
		snap.Warnings = append(snap.Warnings, fmt.Sprintf("%d more warnings not shown", more))
	}
	b.merge(others)
	snap.Goroutines = b.goroutines
	snap.Stacks = b.sortedStacks()
	return snap
}

// prefixStripper returns a function removing the log prefix that precedes
// each line, learnt from the first goroutine header of the text
// ("2024-05-01T12:00:00.123Z stderr F goroutine 1 [running]:"), or nil
// when there is none. It also removes ANSI colour codes.
func prefixStripper(first []byte) func([]byte) []byte {
	ansi := bytes.IndexByte(first, 0x1b) >= 0
	var re *regexp.Regexp
	for _, m := range headerAnywhere.FindAllSubmatchIndex(first, 4) {
		prefix := first[m[2]:m[3]]
		if len(bytes.TrimSpace(prefix)) == 0 {
			break // whitespace is tolerated everywhere
		}
		if bytes.Contains(prefix, []byte("panic: ")) {
			continue
		}
		re = prefixPattern(string(prefix))
		break
	}
	if re == nil && !ansi {
		return nil
	}
	return func(line []byte) []byte {
		if ansi && bytes.IndexByte(line, 0x1b) >= 0 {
			line = ansiCode.ReplaceAll(line, nil)
		}
		if re != nil {
			if m := re.FindIndex(line); m != nil {
				line = line[m[1]:]
			}
		}
		return line
	}
}

var (
	headerAnywhere = regexp.MustCompile(`(?m)^([^\n]*?)goroutine \d+ (?:gp=\S+ m=\S+(?: mp=\S+)? )?\[[^\n]*[\]}]:\r?$`)
	ansiCode       = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")
	digits         = regexp.MustCompile(`[0-9]+`)
)

// prefixPattern generalises one observed prefix to a pattern: digits may
// change, and so may the stream name and partial-line flag of container
// logs ("stdout F", "stderr P").
func prefixPattern(prefix string) *regexp.Regexp {
	trimmed := strings.TrimRight(prefix, " \t")
	q := regexp.QuoteMeta(trimmed)
	q = digits.ReplaceAllString(q, `[0-9]+`)
	q = strings.ReplaceAll(q, "stdout", "std(?:out|err)")
	q = strings.ReplaceAll(q, "stderr", "std(?:out|err)")
	q = strings.ReplaceAll(q, `) F`, `) [FP]`)
	q = strings.ReplaceAll(q, `) P`, `) [FP]`)
	re, err := regexp.Compile(`^` + q + `[ \t]?`)
	if err != nil {
		return nil // not text a pattern can hold (invalid UTF-8): strip nothing
	}
	return re
}

// limitReader fails with ErrTooLarge once more than n bytes were read.
type limitReader struct {
	r    io.Reader
	n    int64
	read int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.read > l.n {
		return 0, fmt.Errorf("%w: more than %s", ErrTooLarge, formatBytes(l.n))
	}
	if rem := l.n + 1 - l.read; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	if l.read > l.n {
		return n, fmt.Errorf("%w: more than %s", ErrTooLarge, formatBytes(l.n))
	}
	return n, err
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// gzipErrors marks errors of the gzip stream as damage, so that a
// truncated gzip is never mistaken for the end of the input.
type gzipErrors struct{ r io.Reader }

func (g gzipErrors) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("damaged or truncated gzip data (%v)", err)
	}
	return n, err
}

// eofReader stands for the rest of an input that was read whole.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

func readAll(first []byte, rest io.Reader) ([]byte, error) {
	if _, ok := rest.(eofReader); ok {
		return first, nil
	}
	var buf bytes.Buffer
	buf.Write(first)
	_, err := buf.ReadFrom(rest)
	return buf.Bytes(), err
}

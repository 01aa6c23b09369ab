package parse

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
)

// Options tunes Read. The zero value is ready to use.
type Options struct {
	// Workers bounds the goroutines that parse traceback text in
	// parallel; 0 means GOMAXPROCS (at most 8), 1 parses in the caller's
	// goroutine. The result is the same for any number.
	Workers int
	// MaxBytes limits the input, counted after gzip decompression; 0
	// means DefaultMaxBytes.
	MaxBytes int64
	// MaxStacks limits the distinct stacks of the snapshot, each of which
	// costs memory (well under 1 KiB beyond its function names); 0 means
	// DefaultMaxStacks, a negative value no limit.
	MaxStacks int
	// Each, if set, is called with every goroutine (or counted record) in
	// input order, earlier dumps of a file holding several included, and
	// the text is parsed in the caller's goroutine. An error from Each
	// stops Read and is returned.
	Each func(*Goroutine) error
}

// DefaultMaxBytes is the input limit when Options.MaxBytes is 0.
const DefaultMaxBytes = 512 << 20

// DefaultMaxStacks is the limit on distinct stacks when Options.MaxStacks
// is 0: a dump of real services has thousands; two million distinct
// stacks take about 1.5 GiB.
const DefaultMaxStacks = 2_000_000

// ErrTooLarge is returned (wrapped) when the input exceeds Options.MaxBytes.
var ErrTooLarge = errors.New("input too large")

// sniffSize is how much of the input is looked at to tell its format.
const sniffSize = 64 << 10

// dumpLimit is where the runtime silently cuts debug=2 output
// (runtime/pprof writeGoroutineStacks).
const dumpLimit = 64 << 20

// Read parses the goroutine dump r, named name in messages, whatever its
// format: traceback text (debug=2, or crash output around it), counted
// text (debug=1), or a protobuf profile (gzipped or not), of the goroutine
// or goroutineleak profile. Damaged parts become Snapshot.Warnings; Read
// fails only for I/O errors, an input over the size limit, too many
// distinct stacks, or an input with no goroutine in it.
//
// A regular file (or any reader with ReadAt, Seek and a size) is read by
// several workers at once; the result is the same as for the same bytes
// from a stream. Text that holds several dumps of one process (goroutine
// ids repeat) is read as its last dump (see Snapshot.EarlierDumps).
func Read(ctx context.Context, r io.Reader, name string, opts Options) (*Snapshot, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	switch {
	case opts.MaxStacks == 0:
		opts.MaxStacks = DefaultMaxStacks
	case opts.MaxStacks < 0:
		opts.MaxStacks = 0
	}
	var snap *Snapshot
	var err error
	if in, ok := sizedInput(r); ok {
		if in.Size() > opts.MaxBytes {
			return nil, fmt.Errorf("%s: %w: more than %s", name, ErrTooLarge, formatBytes(opts.MaxBytes))
		}
		snap, err = readInput(ctx, &limitReader{r: io.NewSectionReader(in, 0, in.Size()), n: opts.MaxBytes}, in, opts, false)
	} else {
		snap, err = readInput(ctx, &limitReader{r: r, n: opts.MaxBytes}, nil, opts, false)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	snap.Source = name
	return snap, nil
}

// readInput reads one input from src; in, when not nil, reads the same
// bytes at any offset.
func readInput(ctx context.Context, src *limitReader, in *io.SectionReader, opts Options, gunzipped bool) (*Snapshot, error) {
	head, eof, err := readUpTo(src, nil, sniffSize)
	if err != nil {
		return nil, err
	}
	notProfile := func(what string) error {
		if gunzipped {
			return errors.New("gzip data that is not a goroutine profile: " + what)
		}
		return errors.New(what)
	}
	switch {
	case len(head) == 0 && gunzipped:
		return nil, errors.New("gzip data that holds nothing")
	case len(head) == 0:
		return nil, errors.New("empty input")
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		if gunzipped {
			return nil, errors.New("gzip data inside gzip data, not a goroutine profile")
		}
		zr, err := gzip.NewReader(io.MultiReader(bytes.NewReader(head), src))
		if err != nil {
			return nil, fmt.Errorf("damaged gzip data: %w", err)
		}
		// The limit counts decompressed bytes: a small gzip can expand
		// without bound.
		return readInput(ctx, &limitReader{r: gzipErrors{zr}, n: src.n}, nil, opts, true)
	}
	if what := compressed(head); what != "" {
		return nil, notProfile(what)
	}
	if looksProto(head, eof) {
		data, err := readRest(head, src, in, opts.MaxBytes)
		if err != nil {
			return nil, err
		}
		snap, err := readProto(data, opts)
		var wrong *wrongProfile
		switch {
		case errors.As(err, &wrong):
			return nil, err
		case err != nil && gunzipped:
			return nil, fmt.Errorf("gzip data that is not a goroutine profile: %w", err)
		case err != nil:
			return nil, fmt.Errorf("binary data that is not a goroutine profile: %w", err)
		}
		return snap, checkStacks(snap, opts)
	}
	if !looksText(head) {
		if gunzipped {
			return nil, errors.New("gzip data that is not a goroutine profile (binary, and no protobuf profile)")
		}
		return nil, errors.New("binary data that is not a goroutine profile (nor any protobuf profile)")
	}

	// Text: leading blank lines are counted, not read.
	off, lines, head, eof, err := skipBlankLines(ctx, head, eof, src)
	if err != nil {
		return nil, err
	}
	if len(head) == 0 {
		if gunzipped {
			return nil, errors.New("gzip data that holds nothing")
		}
		return nil, errors.New("empty input")
	}
	if prof, c, ok := countedHeader(head); ok {
		snap, err := readDebug1(ctx, io.MultiReader(bytes.NewReader(head), src), prof, c, opts)
		if err != nil {
			return nil, err
		}
		return snap, checkStacks(snap, opts)
	}
	first := head[:min(len(head), 4096):min(len(head), 4096)]
	st, buffered, eof, err := learn(ctx, head, eof, src)
	if err != nil {
		return nil, err
	}
	if !st.found {
		return nil, notProfile(notADump(first))
	}
	st.skip += off
	st.lines += lines
	var snap *Snapshot
	if in != nil {
		snap, err = readTextRegions(ctx, in, st, opts)
	} else {
		snap, err = readTextStream(ctx, buffered, src, eof, st, opts, func() int64 { return src.read })
	}
	if err != nil {
		return nil, err
	}
	if snap.Goroutines == 0 && len(snap.Stacks) == 0 && !snap.sawHeader {
		return nil, notProfile(notADump(first))
	}
	return snap, nil
}

// checkStacks applies Options.MaxStacks to a counted profile, which was
// read whole already.
func checkStacks(snap *Snapshot, opts Options) error {
	if opts.MaxStacks > 0 && len(snap.Stacks) > opts.MaxStacks {
		return fmt.Errorf("%w: more than %d", ErrTooManyStacks, opts.MaxStacks)
	}
	return nil
}

// readUpTo appends to buf what r holds, up to n bytes in all, and
// reports whether r ended. The buffer grows as bytes come, so that a
// small input costs a small buffer.
func readUpTo(r io.Reader, buf []byte, n int) ([]byte, bool, error) {
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = append(make([]byte, 0, min(n, max(2*cap(buf), 8<<10))), buf...)
		}
		m, err := io.ReadFull(r, buf[len(buf):min(n, cap(buf))])
		buf = buf[:len(buf)+m]
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return buf, true, nil
		}
		if err != nil {
			return buf, false, err
		}
	}
	return buf, false, nil
}

// skipBlankLines reads past the blank lines that start text and returns
// their bytes and lines, and the text from its first line that is not
// blank (at least sniffSize bytes of it, or all), without holding the
// blank lines however many there are.
func skipBlankLines(ctx context.Context, head []byte, eof bool, src io.Reader) (off int64, lines int, text []byte, _ bool, err error) {
	for {
		if err := ctx.Err(); err != nil {
			return 0, 0, nil, false, err
		}
		i := 0
		for i < len(head) && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n') {
			i++
		}
		if i < len(head) {
			ls := bytes.LastIndexByte(head[:i], '\n') + 1
			lines += bytes.Count(head[:ls], []byte("\n"))
			off += int64(ls)
			text = head[ls:]
			if !eof && len(text) < sniffSize {
				text, eof, err = readUpTo(src, text, sniffSize)
			}
			return off, lines, text, eof, err
		}
		if eof {
			return off, lines, nil, true, nil
		}
		// All blank: keep only the spaces after the last newline.
		ls := bytes.LastIndexByte(head, '\n') + 1
		lines += bytes.Count(head[:ls], []byte("\n"))
		off += int64(ls)
		rest := copy(head, head[ls:])
		head, eof, err = readUpTo(src, head[:rest], sniffSize)
		if err != nil {
			return 0, 0, nil, false, err
		}
	}
}

// learn reads traceback text from its start (head, then src) to the first
// line that holds a goroutine header, which tells the log prefix of every
// line. It holds no more than preambleWindow of text before that line,
// and returns the text from where reading starts (st.skip) on.
func learn(ctx context.Context, head []byte, eof bool, src io.Reader) (st textStart, text []byte, _ bool, err error) {
	buf := head
	var base int64 // offset of buf[0] in the text
	lines := 0     // before buf
	scan := 0      // no header line starts before scan
	long := false  // scan is inside a line too long to be a header
	for {
		if long {
			if i := bytes.IndexByte(buf[scan:], '\n'); i >= 0 {
				scan, long = scan+i+1, false
			} else {
				scan = len(buf)
			}
		}
		if !long {
			search := buf[scan:]
			if eof && len(search) > 0 && search[len(search)-1] != '\n' {
				search = append(search[:len(search):len(search)], '\n')
			}
			if s, e, prefix, ansi, ok := headerLine(search); ok {
				f := scan + s
				w := max(0, f-preambleWindow)
				if w > 0 && buf[w-1] != '\n' {
					w += bytes.IndexByte(buf[w:], '\n') + 1
				}
				lines += bytes.Count(buf[:w], []byte("\n"))
				ansi = ansi || bytes.IndexByte(buf[w:min(len(buf), scan+e)], 0x1b) >= 0
				return textStart{clean: newCleaner(prefix, ansi), skip: base + int64(w), lines: lines, found: true}, buf[w:], eof, nil
			}
			if nl := bytes.LastIndexByte(buf[scan:], '\n'); nl >= 0 {
				scan += nl + 1
			}
			if len(buf)-scan > maxLine {
				scan, long = len(buf), true
			}
		}
		if eof {
			return textStart{}, nil, true, nil
		}
		if err := ctx.Err(); err != nil {
			return textStart{}, nil, false, err
		}
		// Lines that start more than preambleWindow before scan are more
		// than that before any header to come: drop them.
		if d := scan - preambleWindow; d > 0 {
			if buf[d-1] != '\n' {
				if i := bytes.IndexByte(buf[d:], '\n'); i >= 0 {
					d += i + 1
				} else {
					d = len(buf)
				}
			}
			lines += bytes.Count(buf[:d], []byte("\n"))
			buf = buf[:copy(buf, buf[d:])]
			base += int64(d)
			scan -= d
		}
		if cap(buf)-len(buf) < pieceSize {
			buf = append(make([]byte, 0, 2*len(buf)+pieceSize), buf...)
		}
		buf, eof, err = readUpTo(src, buf, len(buf)+pieceSize)
		if err != nil {
			return textStart{}, nil, false, err
		}
	}
}

// readRest reads a protobuf profile whole, never more than limit bytes of
// it: head is what was read of it already.
func readRest(head []byte, src io.Reader, in *io.SectionReader, limit int64) ([]byte, error) {
	if in != nil {
		data := make([]byte, in.Size())
		if _, err := in.ReadAt(data, 0); err != nil && err != io.EOF {
			return nil, err
		}
		return data, nil
	}
	buf := head
	for {
		if len(buf) == cap(buf) {
			n := int(min(int64(2*cap(buf)+sniffSize), limit+1))
			buf = append(make([]byte, 0, n), buf...)
		}
		m, err := src.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
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
// "goroutine profile: total 74" or "goroutineleak profile: total 18",
// also behind a log prefix or in colour, and returns the cleaner of the
// lines that follow.
//
//	2024-05-01T12:00:00.123Z stderr F goroutine profile: total 74
func countedHeader(first []byte) (profile string, c *cleaner, ok bool) {
	t := bytes.TrimLeft(bytes.TrimPrefix(first, []byte("\xef\xbb\xbf")), " \t\r\n")
	line := t
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimSuffix(line, []byte("\r"))
	ansi := bytes.IndexByte(line, 0x1b) >= 0
	if ansi {
		line = ansiCode.ReplaceAll(line, nil)
	}
	for _, p := range []string{"goroutineleak", "goroutine"} {
		i := bytes.Index(line, []byte(p+" profile: total "))
		if i < 0 {
			continue
		}
		if i > 0 && line[i-1] != ' ' && line[i-1] != '\t' {
			return "", nil, false
		}
		return p, newCleaner(line[:i], ansi), true
	}
	return "", nil, false
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

package parse

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/google/pprof/profile"
)

// readDebug1 parses the counted text of ?debug=1 (runtime/pprof
// printCountProfile): one record per distinct stack and label set.
//
//	goroutine profile: total 74
//	10 @ 0x48642e 0x41896e 0x51fe05 0x48dcc1
//	# labels: {"tenant":"t-42"}
//	#	0x51fe04	main.worker+0x24	/app/worker.go:42
//
// The format has no ids, states or creators: a record's site is its entry
// function, the outermost frame.
//
// A cleaner c (nil for none) removes a log prefix and ANSI codes from
// every line.
func readDebug1(ctx context.Context, r io.Reader, prof string, c *cleaner, opts Options) (*Snapshot, error) {
	snap := &Snapshot{Format: FormatDebug1, Profile: prof}
	bl := newBuilder()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var (
		g       rawGoroutine
		inRec   bool
		total   = -1
		line    int
		nwarn   int
		pcs     int
		unknown int
		// recUnknown counts the frames of the current record that
		// have no function name.
		recUnknown int
	)
	warn := func(format string, args ...any) {
		nwarn++
		if nwarn <= maxWarnings {
			snap.Warnings = append(snap.Warnings, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, args...))
		}
	}
	end := func() error {
		if !inRec {
			return nil
		}
		inRec = false
		// Stacks are recorded 32 deep up to Go 1.22 and 128 deep since
		// (GODEBUG=profstackdepth); deeper ones lose their bottom frames.
		g.cut = pcs == 32 || pcs == 128 || pcs == 1024
		if len(g.frames) == 0 && pcs == 1 && recUnknown == 0 {
			// "1 @ 0x46f8e1" and no frame line: the only PC is
			// runtime.goexit, which debug=1 always hides. It is a
			// goroutine that has not started running yet, as the one
			// net/http starts for the very request that fetched the
			// profile often is.
			g.frames = append(g.frames, bl.addFrame(Frame{Func: "runtime.goexit"}))
		}
		bl.fold(&g)
		if opts.MaxStacks > 0 && len(bl.stacks) > opts.MaxStacks {
			return fmt.Errorf("%w: more than %d", ErrTooManyStacks, opts.MaxStacks)
		}
		if opts.Each != nil {
			return opts.Each(bl.goroutine(&g))
		}
		return nil
	}
	for sc.Scan() {
		line++
		if line%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		t := trimSpace(c.clean(sc.Bytes()))
		switch {
		case total < 0:
			if len(t) == 0 {
				continue
			}
			t = bytes.TrimPrefix(t, []byte("\xef\xbb\xbf"))
			i := bytes.LastIndexByte(t, ' ')
			n, err := strconv.Atoi(string(t[i+1:]))
			if err != nil || n < 0 || n > maxCount {
				return nil, fmt.Errorf("line %d: bad profile header %q", line, clip(t))
			}
			total = n
		case len(t) == 0:
			if err := end(); err != nil {
				return nil, err
			}
		case t[0] >= '0' && t[0] <= '9':
			if err := end(); err != nil {
				return nil, err
			}
			n, at, ok := bytes.Cut(t, []byte(" @"))
			count, err := strconv.Atoi(string(n))
			if !ok || err != nil {
				warn("unexpected line %q", clip(t))
				continue
			}
			if count > maxCount || bl.goroutines > maxCount-count {
				return nil, fmt.Errorf("line %d: records count more than %d goroutines, more than any process holds", line, maxCount)
			}
			g.reset()
			recUnknown = 0
			g.count = count
			g.leaked = prof == "goroutineleak"
			pcs = len(bytes.Fields(at))
			inRec = true
		case !inRec:
			warn("unexpected line %q", clip(t))
		case hasPrefix(t, "# labels: "):
			g.labels = parseLabels(g.labels, t[len("# labels: "):])
		case t[0] == '#':
			f, ok := counted1Frame(t[1:])
			if !ok {
				unknown++
				recUnknown++
				continue
			}
			g.frames = append(g.frames, bl.addFrame(f))
		default:
			warn("unexpected line %q", clip(t))
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: line longer than 4 MiB", line+1)
		}
		return nil, err
	}
	if err := end(); err != nil {
		return nil, err
	}
	if total < 0 {
		return nil, errors.New("empty input")
	}
	snap.Goroutines = bl.goroutines
	switch {
	case bl.goroutines < total:
		snap.Truncated = true
		snap.Warnings = append(snap.Warnings, fmt.Sprintf(
			"records count %d goroutines, the header says %d: the input is truncated", bl.goroutines, total))
	case bl.goroutines > total:
		snap.Warnings = append(snap.Warnings, fmt.Sprintf(
			"records count %d goroutines, more than the header's total of %d", bl.goroutines, total))
	}
	if unknown > 0 {
		snap.Warnings = append(snap.Warnings, fmt.Sprintf("%d frames without a function name skipped", unknown))
	}
	snap.Stacks = bl.sortedStacks()
	return snap, nil
}

// counted1Frame reads a frame line of debug=1 after its '#':
//
//	"\t0x51fe04\tmain.worker+0x24\t\t/app/worker.go:42" → main.worker, /app/worker.go, 42
//
// Fields are separated by tabs (tabwriter padding), or by spaces in text
// that went through a chat tool; file names may contain spaces.
func counted1Frame(t []byte) (Frame, bool) {
	t = trimSpace(t)
	i := bytes.IndexAny(t, " \t")
	if i < 0 || !hasPrefix(t, "0x") {
		return Frame{}, false
	}
	t = trimSpace(t[i:])
	i = bytes.IndexAny(t, " \t")
	if i < 0 {
		return Frame{}, false
	}
	fn, loc := t[:i], trimSpace(t[i:])
	if j := bytes.LastIndex(fn, []byte("+0x")); j > 0 {
		fn = fn[:j]
	}
	file, line, err := splitLocation(loc)
	if err != nil {
		return Frame{}, false
	}
	return Frame{Func: normalizeFunc(string(fn)), File: string(file), Line: line}, true
}

// readProto parses a protobuf profile (?debug=0) with the pprof library.
func readProto(data []byte, opts Options) (*Snapshot, error) {
	p, err := profile.ParseUncompressed(data)
	if err != nil {
		return nil, err
	}
	idx := -1
	for i, st := range p.SampleType {
		if st.Type == "goroutine" || st.Type == "goroutineleak" {
			idx = i
			break
		}
	}
	if idx < 0 {
		return nil, &wrongProfile{kind: profileKind(p)}
	}
	snap := &Snapshot{Format: FormatProto, Profile: p.SampleType[idx].Type}
	if p.TimeNanos > 0 {
		snap.Time = time.Unix(0, p.TimeNanos).UTC()
	}
	if p.DurationNanos > 0 {
		snap.Warnings = append(snap.Warnings, fmt.Sprintf(
			"a delta profile (?seconds=%d): counts are changes over that time, not goroutines alive",
			p.DurationNanos/1e9))
	}
	bl := newBuilder()
	var g rawGoroutine
	negative, delta := false, p.DurationNanos > 0
	var sum int64
	for _, s := range p.Sample {
		if idx >= len(s.Value) {
			continue
		}
		v := s.Value[idx]
		switch {
		case v < 0 && !delta:
			return nil, fmt.Errorf("a sample counts %d goroutines: negative counts belong only to delta profiles (?seconds=N)", v)
		case v > maxCount || v < -maxCount:
			return nil, fmt.Errorf("a sample counts %d goroutines, more than any process holds", v)
		}
		if sum += v; sum > maxCount || sum < -maxCount {
			return nil, fmt.Errorf("samples count more than %d goroutines, more than any process holds", int64(maxCount))
		}
		g.reset()
		g.count = int(v)
		negative = negative || g.count < 0
		g.leaked = snap.Profile == "goroutineleak"
		for _, loc := range s.Location {
			for j, ln := range loc.Line {
				if ln.Function == nil || ln.Function.Name == "runtime.goexit" && len(s.Location) > 1 {
					// goexit is the bottom of every stack; alone, it is
					// a goroutine that has not started yet, kept so that
					// it is counted.
					continue
				}
				g.frames = append(g.frames, bl.addFrame(Frame{
					Func:    normalizeFunc(ln.Function.Name),
					File:    ln.Function.Filename,
					Line:    int(ln.Line),
					Inlined: j < len(loc.Line)-1,
				}))
			}
		}
		n := len(s.Location)
		g.cut = n == 32 || n == 128 || n == 1024
		g.labels = g.labels[:0]
		for k, vs := range s.Label {
			for _, v := range vs {
				g.labels = append(g.labels, Label{Key: k, Value: v})
			}
		}
		sort.Slice(g.labels, func(i, j int) bool { return g.labels[i].Key < g.labels[j].Key })
		if g.count == 0 {
			continue
		}
		bl.fold(&g)
		if opts.MaxStacks > 0 && len(bl.stacks) > opts.MaxStacks {
			return nil, fmt.Errorf("%w: more than %d", ErrTooManyStacks, opts.MaxStacks)
		}
		if opts.Each != nil {
			if err := opts.Each(bl.goroutine(&g)); err != nil {
				return nil, err
			}
		}
	}
	if negative {
		snap.Warnings = append(snap.Warnings, "negative counts: goroutines that ended during the delta")
	}
	snap.Goroutines = bl.goroutines
	snap.Stacks = bl.sortedStacks()
	return snap, nil
}

// maxCount bounds the goroutines a counted profile may claim: far more
// than any process can hold (each goroutine has a stack of at least 2 KiB),
// far less than sums that overflow.
const maxCount = 1 << 40

// wrongProfile is a valid profile of another kind.
type wrongProfile struct{ kind string }

func (e *wrongProfile) Error() string {
	return fmt.Sprintf("a %s profile, not a goroutine profile", e.kind)
}

// profileKind names a profile by its sample types, as net/http/pprof
// names its endpoints.
func profileKind(p *profile.Profile) string {
	kind := "unknown"
	for _, st := range p.SampleType {
		switch st.Type {
		case "inuse_space", "alloc_space":
			return "heap"
		case "cpu":
			return "CPU"
		case "contentions", "delay":
			return "mutex or block"
		case "threadcreate":
			return "threadcreate"
		}
		if kind == "unknown" {
			kind = st.Type
		}
	}
	return kind
}

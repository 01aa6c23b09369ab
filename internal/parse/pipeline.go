package parse

import (
	"context"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// The text reader has two ways to get at the bytes, and only those
// differ: a stream (stdin, a URL, gzip) is cut into units in order by one
// goroutine and the units are handed to workers; a file is cut into
// regions of unitSize and each worker reads and cuts its own regions, the
// kernel's copy of the bytes included. Both cut at the same places
// (findCut from each multiple of unitSize), and both hand every unit to a
// parser that starts it fresh, so the same bytes give the same records;
// the committer folds them in input order. An input of one unit is read
// in the caller's goroutine.

// textWorkers is how many parsers read the text.
func textWorkers(opts Options, units int64) int {
	w := opts.Workers
	if w <= 0 {
		w = min(runtime.GOMAXPROCS(0), 8)
	}
	if opts.Each != nil {
		// Callers that want goroutines in order are served by one parser.
		w = 1
	}
	return int(max(min(int64(w), units), 1))
}

// nextTarget returns where the search for the cut after a unit starting
// at u (an offset in the text) begins: the next multiple of unitSize.
func nextTarget(u int64) int64 {
	return (u/int64(unitSize) + 1) * int64(unitSize)
}

// readTextStream reads traceback text from a stream. head holds its first
// bytes, from st.skip on; eof says there is nothing after them.
func readTextStream(ctx context.Context, head []byte, rest io.Reader, eof bool, st textStart, opts Options, total func() int64) (*Snapshot, error) {
	units := int64(math.MaxInt32) // a stream's length is unknown
	if eof && len(head) <= unitSize {
		units = 1
	}
	workers := textWorkers(opts, units)
	c := newCommitter(ctx, opts.MaxStacks, workers > 1, st.lines)
	// A buffer holds a unit and the read-ahead to its cut, or the bytes
	// kept for the next search (at most a few lines of maxCtx).
	bufCap := max(unitSize+pieceSize, 5*maxCtx+pieceSize)
	sp := &splitter{ctx: ctx, r: rest, clean: st.clean, eof: eof, bufCap: bufCap}
	if workers == 1 {
		// Units are parsed as they are cut: two buffers take turns.
		var spare [][]byte
		sp.get = func() []byte {
			if n := len(spare); n > 0 {
				b := spare[n-1]
				spare = spare[:n-1]
				return b[:0]
			}
			return make([]byte, 0, bufCap)
		}
		p := newTextParser(newBuilder(), st.clean, opts.Each)
		sp.sink = &seqSink{p: p, c: c, free: func(b []byte) {
			if cap(b) >= bufCap && len(spare) < 2 {
				spare = append(spare, b)
			}
		}}
		if err := sp.run(head); err != nil {
			return nil, err
		}
		if p.err != nil {
			return nil, p.err
		}
		return finishText(ctx, c, total())
	}

	// Buffers circulate through free, so that memory stays at a few
	// buffers per worker whatever the input size.
	free := make(chan []byte, 2*workers+2)
	for range 2*workers + 2 {
		free <- make([]byte, 0, bufCap)
	}
	sp.get = func() []byte {
		select {
		case b := <-free:
			return b[:0]
		case <-ctx.Done():
			return make([]byte, 0, bufCap)
		}
	}
	put := func(b []byte) {
		if cap(b) >= bufCap {
			select {
			case free <- b[:0]:
			default:
			}
		}
	}
	c.tokens = make(chan struct{}, commitWindow(workers))
	work := make(chan *streamUnit)
	ps := &parSink{ctx: ctx, c: c, work: work, put: put}
	sp.sink = ps
	var wg sync.WaitGroup
	for range workers {
		p := newTextParser(newBuilder(), st.clean, nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range work {
				p.begin(u.seq)
				for _, pc := range u.pieces {
					p.feed(pc.data)
					put(pc.buf)
				}
				if u.more != nil {
					for pc := range u.more {
						p.feed(pc.data)
						put(pc.buf)
					}
				}
				if err := c.submit(p.end(u.eof)); err != nil {
					c.fail(err)
				}
			}
		}()
	}
	err := sp.run(head)
	ps.close()
	close(work)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	return finishText(ctx, c, total())
}

func finishText(ctx context.Context, c *committer, total int64) (*Snapshot, error) {
	if err := c.failed(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.snapshot(total), nil
}

// A unitSink receives the units a splitter cuts: begin, the unit's bytes
// in pieces (buf is the buffer that holds a piece, for reuse once it is
// parsed), and end.
type unitSink interface {
	begin(seq int)
	piece(data, buf []byte) error
	end(eof bool) error
}

// splitter cuts a stream into units.
type splitter struct {
	ctx    context.Context
	r      io.Reader
	clean  *cleaner
	eof    bool
	bufCap int
	get    func() []byte
	sink   unitSink
}

// fresh returns a buffer from the pool that starts with tail.
func (sp *splitter) fresh(tail []byte) []byte {
	b := sp.get()
	if cap(b) < len(tail)+pieceSize {
		b = make([]byte, 0, len(tail)+sp.bufCap)
	}
	return append(b, tail...)
}

// run cuts the text whose first bytes are head. Offsets are counted from
// the start of the text.
func (sp *splitter) run(head []byte) error {
	buf := head
	var base int64 // offset of buf[0]
	pieceAt := 0   // the first byte of the unit not handed over yet
	target := nextTarget(0)
	from := int(target - base)
	seq := 0
	eof := sp.eof
	sp.sink.begin(seq)
	for {
		if err := sp.ctx.Err(); err != nil {
			return err
		}
		cut, resume := sp.clean.findCut(buf, base, from, -1, eof)
		if cut >= 0 {
			target = nextTarget(base + int64(cut))
			// Keep what the next search needs to see before its target.
			keep := max(0, min(cut, int(target-base))-ctxBefore)
			nb := sp.fresh(buf[keep:])
			if err := sp.sink.piece(buf[pieceAt:cut], buf); err != nil {
				return err
			}
			if err := sp.sink.end(false); err != nil {
				return err
			}
			seq++
			sp.sink.begin(seq)
			base += int64(keep)
			buf, pieceAt, from = nb, cut-keep, int(target-base)
			continue
		}
		if eof {
			if err := sp.sink.piece(buf[pieceAt:], buf); err != nil {
				return err
			}
			return sp.sink.end(true)
		}
		from = resume
		if len(buf) >= sp.bufCap {
			// A unit longer than the buffer (one giant block): hand over
			// what belongs to it for sure, keep the rest.
			decided := min(from, len(buf))
			keep := max(0, decided-ctxBefore)
			nb := sp.fresh(buf[keep:])
			if err := sp.sink.piece(buf[pieceAt:decided], buf); err != nil {
				return err
			}
			base += int64(keep)
			buf, pieceAt, from = nb, decided-keep, from-keep
		}
		if cap(buf) < sp.bufCap {
			nb := sp.fresh(buf)
			buf = nb
		}
		n, err := io.ReadFull(sp.r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			eof = true
		case err != nil:
			return err
		}
	}
}

// seqSink parses units as they are cut, in the splitter's goroutine.
type seqSink struct {
	p    *textParser
	c    *committer
	free func([]byte)
}

func (s *seqSink) begin(seq int) { s.p.begin(seq) }

func (s *seqSink) piece(data, buf []byte) error {
	s.p.feed(data)
	s.free(buf)
	return s.p.err
}

func (s *seqSink) end(eof bool) error {
	r := s.p.end(eof)
	if s.p.err != nil {
		return s.p.err
	}
	return s.c.submit(r)
}

// streamUnit is a unit handed to a worker: its pieces, and when it does
// not fit in one buffer, a channel for the pieces that follow.
type streamUnit struct {
	seq    int
	pieces []streamPiece
	more   chan streamPiece
	eof    bool
}

type streamPiece struct{ data, buf []byte }

// parSink hands units to workers.
type parSink struct {
	ctx  context.Context
	c    *committer
	work chan *streamUnit
	put  func([]byte)
	cur  *streamUnit
	sent bool
}

func (s *parSink) begin(seq int) { s.cur, s.sent = &streamUnit{seq: seq}, false }

func (s *parSink) piece(data, buf []byte) error {
	pc := streamPiece{data, buf}
	if !s.sent && len(s.cur.pieces) == 0 {
		s.cur.pieces = append(s.cur.pieces, pc)
		return nil
	}
	if !s.sent {
		// A second piece: the worker takes the unit now and reads the
		// rest as it comes.
		s.cur.more = make(chan streamPiece, 1)
		if err := s.send(); err != nil {
			s.put(buf)
			return err
		}
	}
	select {
	case s.cur.more <- pc:
		return nil
	case <-s.ctx.Done():
		s.put(buf)
		return s.ctx.Err()
	}
}

func (s *parSink) end(eof bool) error {
	s.cur.eof = eof
	if s.sent {
		close(s.cur.more)
		s.cur = nil
		return nil
	}
	err := s.send()
	s.cur = nil
	return err
}

// send hands the current unit to a worker once fewer than a few units
// wait to be committed.
func (s *parSink) send() error {
	if err := s.c.take(); err != nil {
		return err
	}
	select {
	case s.work <- s.cur:
		s.sent = true
		return nil
	case <-s.ctx.Done():
		<-s.c.tokens
		return s.ctx.Err()
	case <-s.c.stop:
		return s.c.failed()
	}
}

// close ends a unit left open by an error, so that its worker stops.
func (s *parSink) close() {
	if s.cur != nil && s.sent {
		close(s.cur.more)
	}
	if s.cur != nil && !s.sent {
		for _, pc := range s.cur.pieces {
			s.put(pc.buf)
		}
	}
	s.cur = nil
}

// readTextRegions reads traceback text from a file: in is the input, the
// text starts at st.skip.
func readTextRegions(ctx context.Context, in *io.SectionReader, st textStart, opts Options) (*Snapshot, error) {
	size := in.Size() - st.skip
	text := io.NewSectionReader(in, st.skip, size)
	n := max((size+int64(unitSize)-1)/int64(unitSize), 1)
	workers := textWorkers(opts, n)
	c := newCommitter(ctx, opts.MaxStacks, workers > 1, st.lines)
	if workers == 1 {
		rr := &regionReader{ctx: ctx, in: text, p: newTextParser(newBuilder(), st.clean, opts.Each)}
		for k := range n {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			r, err := rr.read(k)
			if err == nil && rr.p.err != nil {
				err = rr.p.err
			}
			if err == nil {
				err = c.submit(r)
			}
			if err != nil {
				return nil, err
			}
		}
		return finishText(ctx, c, in.Size())
	}
	c.tokens = make(chan struct{}, commitWindow(workers))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		rr := &regionReader{ctx: ctx, in: text, p: newTextParser(newBuilder(), st.clean, nil)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c.failed() == nil {
				if err := c.take(); err != nil {
					c.fail(err)
					return
				}
				k := next.Add(1) - 1
				if k >= n {
					<-c.tokens
					return
				}
				r, err := rr.read(k)
				if err == nil {
					err = c.submit(r)
				}
				if err != nil {
					c.fail(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return finishText(ctx, c, in.Size())
}

// regionReader reads the unit of region k of the text: from the first
// cut at or after k*unitSize to the first at or after (k+1)*unitSize.
type regionReader struct {
	ctx context.Context
	in  *io.SectionReader
	p   *textParser
	buf []byte
}

func (rr *regionReader) read(k int64) (*unitResult, error) {
	size := rr.in.Size()
	lo := k * int64(unitSize)
	hi := min(lo+int64(unitSize), size)
	base := max(lo-ctxBefore, 0)
	// The cut after a region is mostly a few lines past its end: read a
	// little ahead, and pieceSize at a time when that is not enough.
	end := min(hi+int64(min(pieceSize, readAhead)), size)
	buf, err := readAt(rr.in, rr.buf[:0], base, end)
	rr.buf = buf
	if err != nil {
		return nil, err
	}
	start := 0
	if k > 0 {
		from := int(lo - base)
		for {
			cut, resume := rr.p.clean.findCut(buf, base, from, int(hi-base), end == size)
			if cut >= 0 {
				start = cut
				break
			}
			if resume >= int(hi-base) || end == size {
				return &unitResult{seq: int(k)}, nil // no unit begins here
			}
			// The cut's lookahead needs more than was read.
			next := min(end+int64(pieceSize), size)
			if buf, err = readAt(rr.in, buf, end, next); err != nil {
				return nil, err
			}
			rr.buf, end, from = buf, next, resume
		}
	}
	p := rr.p
	p.begin(int(k))
	from := int(hi - base)
	for {
		cut, resume := p.clean.findCut(buf, base, from, -1, end == size)
		if cut >= 0 {
			p.feed(buf[start:cut])
			return p.end(false), nil
		}
		if end == size {
			p.feed(buf[start:])
			return p.end(true), nil
		}
		// Read on to the cut, handing the parser what belongs to the unit
		// for sure: a giant block is read in pieces, once.
		decided := min(resume, len(buf))
		p.feed(buf[start:decided])
		if p.err != nil {
			return nil, p.err
		}
		if err := rr.ctx.Err(); err != nil {
			return nil, err
		}
		keep := max(0, decided-ctxBefore)
		buf = buf[:copy(buf, buf[keep:])]
		base += int64(keep)
		start, from = decided-keep, resume-keep
		next := min(end+int64(pieceSize), size)
		if buf, err = readAt(rr.in, buf, end, next); err != nil {
			return nil, err
		}
		rr.buf, end = buf, next
	}
}

// readAt appends in[from:to] to buf.
func readAt(in *io.SectionReader, buf []byte, from, to int64) ([]byte, error) {
	n := len(buf)
	need := n + int(to-from)
	if cap(buf) < need {
		// Room for a region and the read-ahead past its end, so that the
		// buffer is allocated once per worker (once in all for a small
		// input).
		room := need
		if in.Size() > int64(need) {
			room = max(need, unitSize+2*pieceSize+2*ctxBefore)
		}
		grown := make([]byte, need, room)
		copy(grown, buf)
		buf = grown
	}
	buf = buf[:need]
	m, err := in.ReadAt(buf[n:], from)
	if err == io.EOF && int64(m) == to-from {
		err = nil
	}
	if err != nil {
		return buf, fmt.Errorf("read at %d: %w", from, err)
	}
	return buf, nil
}

// commitWindow is how many units may be read before the one the
// committer waits for: enough for the other workers to read past a giant
// block (a unit of 30 regions), few enough to bound the records waiting.
func commitWindow(workers int) int { return max(4*workers, 64) }

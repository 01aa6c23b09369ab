package parse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"sync"
	"sync/atomic"
)

// regionSize is how much of a file one parsing step takes in region mode.
const regionSize = 1 << 20

// errGiantBlock stops region mode for an input with a "goroutine block"
// larger than maxChunk, which only text that is not a dump has; the
// streaming reader copes with it.
var errGiantBlock = errors.New("block too large for region mode")

// sizedInput returns the rest of r as a ReaderAt of known size when r is
// a regular file or an in-memory reader, so that workers can read their
// own parts of it in parallel.
func sizedInput(r io.Reader) (*io.SectionReader, bool) {
	ra, ok := r.(io.ReaderAt)
	sk, ok2 := r.(io.Seeker)
	if !ok || !ok2 {
		return nil, false
	}
	var size int64
	switch v := r.(type) {
	case interface{ Stat() (fs.FileInfo, error) }:
		st, err := v.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return nil, false
		}
		size = st.Size()
	case interface{ Size() int64 }:
		size = v.Size()
	default:
		return nil, false
	}
	base, err := sk.Seek(0, io.SeekCurrent)
	if err != nil || base > size {
		return nil, false
	}
	return io.NewSectionReader(ra, base, size-base), true
}

// readRegions parses traceback text that can be read at any offset: the
// input is cut into regions of regionSize, and each worker reads and
// parses whole regions of its own, the kernel's copy of the bytes
// included, so no goroutine hands chunks to the others. A region owns the
// goroutine blocks whose headers start in it, reading past its end to
// finish the last one. It reports ok=false, having parsed nothing, when
// the input is not plain traceback text (gzip, binary, debug=1, log
// prefixes), so the caller streams it instead.
func readRegions(ctx context.Context, in *io.SectionReader, opts Options) (snap *Snapshot, ok bool, err error) {
	size := in.Size()
	first := make([]byte, min(size, regionSize))
	if _, err := in.ReadAt(first, 0); err != nil && err != io.EOF {
		return nil, true, err
	}
	if len(bytes.TrimSpace(first)) == 0 || bytes.HasPrefix(first, []byte{0x1f, 0x8b}) || !looksText(first) {
		return nil, false, nil
	}
	if _, counted := countedHeader(first); counted || prefixStripper(first) != nil {
		return nil, false, nil
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = min(runtime.GOMAXPROCS(0), 8)
	}
	n := (size + regionSize - 1) / regionSize
	workers = int(min(int64(workers), n))
	parsers := make([]*textParser, workers)
	errs := make([]error, workers)
	var next atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for i := range parsers {
		p := &textParser{b: newBuilder()}
		parsers[i] = p
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for !stop.Load() {
				k := next.Add(1) - 1
				if k >= n {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[i] = err
					stop.Store(true)
					return
				}
				var err error
				buf, err = parseRegion(p, in, k, buf)
				if err != nil {
					errs[i] = err
					stop.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		switch {
		case errors.Is(err, errGiantBlock):
			return nil, false, nil
		case err != nil:
			return nil, true, err
		}
	}
	return finishText(parsers, size), true, nil
}

// parseRegion reads region k of in into buf (reused) and parses the
// blocks it owns.
func parseRegion(p *textParser, in *io.SectionReader, k int64, buf []byte) ([]byte, error) {
	size := in.Size()
	start, end := k*regionSize, min((k+1)*regionSize, size)
	// Four bytes before the region tell whether a header at its very
	// start follows a blank line ("\n\n" or "\r\n\r\n").
	lo := max(start-4, 0)
	buf, err := readAt(in, buf[:0], lo, end)
	if err != nil {
		return buf, err
	}
	from := 0
	if k > 0 {
		from = boundaryFrom(buf, int(start-lo))
		if from < 0 || from >= int(end-lo) {
			return buf, nil // no header starts here: the region before reads it all
		}
	}
	// Read on to the first boundary at or after end.
	to := -1
	for hi := end; ; {
		to = boundaryFrom(buf, int(end-lo))
		if to >= 0 || hi == size {
			break
		}
		if hi-end > maxChunk {
			return buf, errGiantBlock
		}
		// Blocks are a few kilobytes: read on a little at a time.
		next := min(hi+16<<10, size)
		if buf, err = readAt(in, buf, hi, next); err != nil {
			return buf, err
		}
		hi = next
	}
	final := to < 0
	if final {
		to = len(buf)
	}
	p.parse(int(k), buf[from:to], final)
	return buf, p.err
}

// readAt appends in[from:to] to buf.
func readAt(in *io.SectionReader, buf []byte, from, to int64) ([]byte, error) {
	n := len(buf)
	need := n + int(to-from)
	if cap(buf) < need {
		// Room for a region and a block past its end, so that the
		// buffer is allocated once per worker.
		grown := make([]byte, need, need+64<<10)
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

// boundaryFrom returns the offset of the first goroutine header at or
// after off that follows a blank line, or -1.
func boundaryFrom(buf []byte, off int) int {
	for {
		i := bytes.Index(buf[max(off-1, 0):], []byte("\ngoroutine "))
		if i < 0 {
			return -1
		}
		p := max(off-1, 0) + i + 1
		j := p - 1
		if j > 0 && buf[j-1] == '\r' {
			j--
		}
		if p >= off && j > 0 && buf[j-1] == '\n' {
			return p
		}
		off = p + 1
	}
}

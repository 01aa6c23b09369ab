package parse

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// blockSpan is where one goroutine block of a dump lies: its header
// starts at start, and it is whole once the input reaches complete (the
// "file:line" of its last line and the "+0x" after it: a line number
// without them may be cut short). A block with ancestors has its own
// lines whole at counted, its "created by" read; its ancestors after it
// may be cut anywhere, undetectably at their line ends.
type blockSpan struct {
	start, counted, complete int
	ancestors                bool
}

// blockSpans finds the goroutine blocks of a real dump.
func blockSpans(data []byte) []blockSpan {
	var spans []blockSpan
	open := -1
	last := 0     // start of the block's last line
	creator := -1 // start of the line after its first "created by"
	whole := func(from, lineEnd int) int {
		if i := bytes.Index(data[from:lineEnd], []byte(" +0x")); i >= 0 {
			return from + i + len(" +0x")
		}
		return lineEnd + 1
	}
	end := func(lineEnd int) {
		if open < 0 {
			return
		}
		sp := blockSpan{start: open, complete: whole(last, lineEnd)}
		sp.counted = sp.complete
		if creator >= 0 && creator < last {
			sp.ancestors = true
			sp.counted = whole(creator, creator+bytes.IndexByte(data[creator:], '\n'))
		}
		spans = append(spans, sp)
		open, creator = -1, -1
	}
	for off := 0; off < len(data); {
		nl := bytes.IndexByte(data[off:], '\n')
		if nl < 0 {
			nl = len(data) - off
		}
		line := data[off : off+nl]
		switch {
		case len(line) == 0:
			end(last + bytes.IndexByte(data[last:], '\n'))
		case bytes.HasPrefix(line, []byte("goroutine ")):
			if _, ok := parseHeader(line); ok {
				end(last + bytes.IndexByte(data[last:], '\n'))
				open = off
			}
			last = off
		case bytes.HasPrefix(line, []byte("created by ")) && creator < 0:
			creator = off + nl + 1
			last = off
		default:
			last = off
		}
		off += nl + 1
	}
	end(len(data) - 1)
	return spans
}

// TestTruncationSweep cuts real dumps at every byte: the goroutines
// counted are exactly the whole ones, each at its site in the whole dump,
// and the snapshot says it was truncated exactly when a goroutine was cut.
// The input for a cut inside block k is the text before the first block
// (a crash's cause), block k-1 and block k up to the cut: after the blank
// line before a block the parser is where it would be in the whole dump,
// and the sweep stays fast.
func TestTruncationSweep(t *testing.T) {
	for _, tc := range []struct {
		rel  string
		step int
	}{
		{"go1.19.13/crash.panic.system.txt", 1},
		{"go1.26.8/a.debug2.txt", 1},
		{"go1.22.12/ancestors.debug2.txt", 3}, // cuts in ancestors: every third byte
	} {
		t.Run(filepath.Base(filepath.Dir(tc.rel))+"/"+filepath.Base(tc.rel), func(t *testing.T) {
			t.Parallel()
			step := tc.step
			if testing.Short() {
				step = 7
			}
			sweep(t, tc.rel, step)
		})
	}
}

func sweep(t *testing.T, rel string, step int) {
	data, err := os.ReadFile(filepath.Join(corpusDir, rel))
	if err != nil {
		t.Fatal(err)
	}
	full := readString(t, string(data))
	siteOf := map[uint64]Site{}
	for _, s := range full.Stacks {
		s.IDs.Each(func(id uint64) { siteOf[id] = s.Site })
	}
	spans := blockSpans(data)
	if len(spans) != full.Goroutines {
		t.Fatalf("%s: %d blocks, the snapshot counts %d", rel, len(spans), full.Goroutines)
	}
	preamble := data[:spans[0].start]
	failures := 0
	for k, sp := range spans {
		from := spans[max(k-1, 0)].start
		end := len(data)
		if k+1 < len(spans) {
			end = spans[k+1].start
		}
		first := sp.start
		if k == 0 {
			first = 0 // and the cause before the first block
		}
		for cut := first; cut < end && failures < 10; cut += step {
			in := data[:cut]
			if k > 0 {
				in = append(append([]byte(nil), preamble...), data[from:cut]...)
			}
			whole, cutInside, unsure := 0, false, false
			for _, s := range spans[max(k-1, 0) : k+1] {
				if cut >= s.counted {
					whole++
				}
				switch {
				case cut >= s.complete || cut <= s.start:
				case s.ancestors && cut >= s.counted:
					unsure = true
				default:
					cutInside = true
				}
			}
			snap, err := Read(context.Background(), bytes.NewReader(in), "cut", Options{Workers: 1})
			if err != nil {
				if whole > 0 {
					t.Errorf("%s cut at %d: %v", rel, cut, err)
					failures++
				}
				continue
			}
			for _, s := range snap.Stacks {
				s.IDs.Each(func(id uint64) {
					if siteOf[id] != s.Site {
						t.Errorf("%s cut at %d: goroutine %d counted at %v, not %v", rel, cut, id, s.Site, siteOf[id])
						failures++
					}
				})
			}
			if snap.Goroutines != whole || snap.Truncated != cutInside && !unsure {
				t.Errorf("%s cut at %d (...%q): %d goroutines, truncated %v; want %d, %v (warnings %q)",
					rel, cut, data[max(0, cut-30):cut], snap.Goroutines, snap.Truncated, whole, cutInside, snap.Warnings)
				failures++
			}
		}
	}
}

package parse

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A readPath is one way for the same bytes to reach Read.
type readPath struct {
	name string
	open func(t testing.TB, data []byte) io.Reader
	opts Options
}

// How many of the paths to Read a test takes.
type pathSet int

const (
	fewPaths   pathSet = iota // the small-input path, file regions and a stream, 2 workers
	somePaths                 // and 8 workers, and a stream read by one
	everyPaths                // and a trickle of 1, 7 and 4093 bytes, sections, gzip
	// fuzzPaths is everyPaths with in-memory readers for the files (the
	// same region path): a temporary file for every input would make the
	// fuzzer slow.
	fuzzPaths
)

// everyPath lists the ways bytes reach Read: a file read in regions by
// 1, 2 and 8 workers, in-memory readers with a size, streams read whole
// or a few bytes at a time (as from a pipe) by 1, 2 and 8 workers, and
// gzip. Trickles of a few bytes are left out for inputs of more than
// 256 KiB.
func everyPath(set pathSet, size int) []readPath {
	file := func(t testing.TB, data []byte) io.Reader {
		f, err := os.Create(filepath.Join(t.TempDir(), "dump"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		if _, err := f.Write(data); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		return f
	}
	memory := func(_ testing.TB, data []byte) io.Reader { return bytes.NewReader(data) }
	if set == fuzzPaths {
		file = memory
	}
	section := func(_ testing.TB, data []byte) io.Reader {
		return io.NewSectionReader(bytes.NewReader(data), 0, int64(len(data)))
	}
	stream := func(_ testing.TB, data []byte) io.Reader { return io.MultiReader(bytes.NewReader(data)) }
	trickled := func(n int) func(testing.TB, []byte) io.Reader {
		return func(_ testing.TB, data []byte) io.Reader { return &trickle{r: bytes.NewReader(data), n: n} }
	}
	paths := []readPath{
		{"memory, 1 worker", memory, Options{Workers: 1}},
		{"file, 2 workers", file, Options{Workers: 2}},
		{"stream, 2 workers", stream, Options{Workers: 2}},
	}
	if set == fewPaths {
		return paths
	}
	paths = append(paths,
		readPath{"file, 8 workers", file, Options{Workers: 8}},
		readPath{"stream, 1 worker", stream, Options{Workers: 1}},
	)
	if set == somePaths {
		return paths
	}
	paths = append(paths,
		readPath{"file, 1 worker", file, Options{Workers: 1}},
		readPath{"section, 2 workers", section, Options{Workers: 2}},
		readPath{"stream, 8 workers", stream, Options{Workers: 8}},
		readPath{"trickle 4093, 3 workers", trickled(4093), Options{Workers: 3}},
		readPath{"gzip, 2 workers", func(_ testing.TB, data []byte) io.Reader { return gzipped(data) }, Options{Workers: 2}},
	)
	if size <= 256<<10 {
		paths = append(paths,
			readPath{"trickle 1, 2 workers", trickled(1), Options{Workers: 2}},
			readPath{"trickle 7, 1 worker", trickled(7), Options{Workers: 1}},
		)
	}
	return paths
}

// readAll reads data through every path and fails the test unless all
// give the same snapshot, or the same error; it returns the snapshot (nil
// for an error) and the error.
func readAll(t testing.TB, data []byte, set pathSet, opts Options) (*Snapshot, error) {
	t.Helper()
	var want string
	var first *Snapshot
	var firstErr error
	paths := everyPath(set, len(data))
	for i, p := range paths {
		if strings.HasPrefix(p.name, "gzip") && bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			continue // gzip inside gzip is refused
		}
		o := p.opts
		o.MaxBytes, o.MaxStacks, o.Each = opts.MaxBytes, opts.MaxStacks, opts.Each
		if o.Each != nil {
			o.Workers = 1
		}
		snap, err := Read(context.Background(), p.open(t, data), "in", o)
		got := ""
		if err != nil {
			got = "error: " + err.Error()
		} else {
			got = renderSnapshot(snap)
		}
		if i == 0 {
			want, first, firstErr = got, snap, err
			continue
		}
		if strings.HasPrefix(p.name, "gzip") && firstErr != nil {
			// A gzip of something that is no dump is said to be gzip.
			if err == nil {
				t.Errorf("%s: no error, %s: %v", p.name, paths[0].name, firstErr)
			}
			continue
		}
		if got != want {
			t.Errorf("%s differs from %s: (-%[2]s +%[1]s)\n%s", p.name, paths[0].name, diffLines(want, got))
		}
	}
	return first, firstErr
}

func diffLines(a, b string) string {
	d := cmp.Diff(a, b)
	if len(d) > 4000 {
		d = d[:4000] + "\n..."
	}
	return d
}

// renderSnapshot writes down everything a snapshot holds.
func renderSnapshot(s *Snapshot) string {
	var b strings.Builder
	fmt.Fprintf(&b, "format %s profile %s goroutines %d truncated %v cause %q earlier dumps %d\n",
		s.Format, s.Profile, s.Goroutines, s.Truncated, s.Cause, s.EarlierDumps)
	for _, w := range s.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	for _, st := range s.Stacks {
		fmt.Fprintf(&b, "%v creator=%v count=%d leaked=%d locked=%d states=%v entry=%v wait=%v cut=%v\n",
			st.Site, st.Creator, st.Count, st.Leaked, st.Locked, st.States, st.Entry, st.Wait, st.Cut)
		for _, f := range st.Frames {
			fmt.Fprintf(&b, "\t%v\n", f)
		}
		fmt.Fprintf(&b, "\tids (%d):", st.IDs.Len())
		st.IDs.Each(func(id uint64) { fmt.Fprintf(&b, " %d", id) })
		b.WriteString("\n")
	}
	return b.String()
}

// withSizes runs f with the text reader's units, pieces and lines made
// small, so that small inputs cross many cuts.
func withSizes(unit, piece, line int, f func()) {
	u, p, l := unitSize, pieceSize, maxLine
	unitSize, pieceSize, maxLine = unit, piece, line
	defer func() { unitSize, pieceSize, maxLine = u, p, l }()
	f()
}

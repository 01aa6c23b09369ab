package parse

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead feeds arbitrary bytes to Read. Whatever the input, Read must
// not panic or hang, the stacks must add up to the snapshot's total, and
// the parallel parser must agree with the sequential one.
func FuzzRead(f *testing.F) {
	for _, s := range []string{twoBlocks, "panic: x\n\n" + twoBlocks, "goroutine profile: total 1\n1 @ 0x1\n#\t0x1\tmain.f+0x1\t/a.go:1\n"} {
		f.Add([]byte(s))
	}
	// Seeds from the corpus of real dumps, first kilobytes of each.
	files, _ := filepath.Glob("../../testdata/corpus/*/*")
	for _, name := range files {
		if filepath.Ext(name) == ".json" {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		f.Add(data[:min(len(data), 8<<10)])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		seq, err1 := Read(context.Background(), bytes.NewReader(data), "fuzz", Options{Workers: 1})
		par, err2 := Read(context.Background(), &trickle{r: bytes.NewReader(data), n: 7}, "fuzz", Options{Workers: 2})
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("sequential error %v, parallel error %v", err1, err2)
		}
		if err1 != nil {
			return
		}
		for _, snap := range []*Snapshot{seq, par} {
			n := 0
			for _, s := range snap.Stacks {
				n += s.Count
				if s.Count != 0 && s.IDs.Len() > s.Count {
					t.Fatalf("stack has %d ids for %d goroutines", s.IDs.Len(), s.Count)
				}
			}
			if n != snap.Goroutines {
				t.Fatalf("stacks count %d goroutines, snapshot %d", n, snap.Goroutines)
			}
		}
		if seq.Goroutines != par.Goroutines || len(seq.Stacks) != len(par.Stacks) {
			t.Fatalf("sequential %d goroutines in %d stacks, parallel %d in %d",
				seq.Goroutines, len(seq.Stacks), par.Goroutines, len(par.Stacks))
		}
	})
}

package parse

import (
	"math/rand/v2"
	"testing"
)

// TestIDSet checks the compact set against a map, on dense runs (ids of
// goroutines started in a loop), sparse ids and ids past 2^32.
func TestIDSet(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		gen  func(i int) uint64
		n    int
	}{
		{"dense", func(i int) uint64 { return uint64(i + 1) }, 100000},
		{"dense shuffled", func(i int) uint64 { return uint64(r.IntN(40000)) }, 50000},
		{"sparse", func(i int) uint64 { return r.Uint64N(1 << 40) }, 50000},
		{"mixed", func(i int) uint64 {
			if i%3 == 0 {
				return r.Uint64N(1 << 20)
			}
			return uint64(1<<33 + i)
		}, 100000},
	} {
		var a, b IDSet
		ma, mb := map[uint64]bool{}, map[uint64]bool{}
		for i := range tc.n {
			id := tc.gen(i)
			a.Add(id)
			ma[id] = true
			if i%2 == 0 {
				id2 := tc.gen(i)
				b.Add(id2)
				mb[id2] = true
			}
		}
		if a.Len() != len(ma) || b.Len() != len(mb) {
			t.Errorf("%s: Len = %d, %d; want %d, %d", tc.name, a.Len(), b.Len(), len(ma), len(mb))
		}
		common := 0
		for id := range mb {
			if ma[id] {
				common++
			}
			if !b.Has(id) {
				t.Fatalf("%s: Has(%d) = false", tc.name, id)
			}
		}
		if got := a.IntersectLen(&b); got != common {
			t.Errorf("%s: IntersectLen = %d, want %d", tc.name, got, common)
		}
		if got := b.IntersectLen(&a); got != common {
			t.Errorf("%s: IntersectLen reversed = %d, want %d", tc.name, got, common)
		}
		var prev uint64
		n := 0
		a.Each(func(id uint64) {
			if n > 0 && id <= prev {
				t.Fatalf("%s: Each not increasing: %d after %d", tc.name, id, prev)
			}
			if !ma[id] {
				t.Fatalf("%s: Each yields %d, not in the set", tc.name, id)
			}
			prev = id
			n++
		})
		if n != len(ma) {
			t.Errorf("%s: Each yields %d ids, want %d", tc.name, n, len(ma))
		}
		var u IDSet
		u.AddSet(&a)
		u.AddSet(&b)
		union := len(ma)
		for id := range mb {
			if !ma[id] {
				union++
			}
		}
		if u.Len() != union {
			t.Errorf("%s: union Len = %d, want %d", tc.name, u.Len(), union)
		}
	}
}

// TestIDSetCompact checks that a dense run of a million ids stays small:
// survivor analysis must not cost an object per goroutine.
func TestIDSetCompact(t *testing.T) {
	var s IDSet
	for id := uint64(1); id <= 1_000_000; id++ {
		s.Add(id)
	}
	bytes := 0
	for _, c := range s.cs {
		bytes += 2*len(c.array) + 8*len(c.bits)
	}
	if bytes > 200_000 {
		t.Errorf("a million dense ids take %d bytes, want at most 200 kB", bytes)
	}
}

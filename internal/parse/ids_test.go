package parse

import (
	"fmt"
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
	for _, c := range s.m.cs {
		bytes += 2*len(c.array) + 8*len(c.bits)
	}
	if bytes > 200_000 {
		t.Errorf("a million dense ids take %d bytes, want at most 200 kB", bytes)
	}
}

// TestIDSetSparse checks sets of ids 64Ki apart, one container each,
// arriving in decreasing order and merged interleaved: every container is
// new and belongs before the others, which once cost a copy of all
// containers per id (20 s for 300,000 ids).
func TestIDSetSparse(t *testing.T) {
	const n = 60000
	var down, odd, even IDSet
	for i := n; i > 0; i-- {
		down.Add(uint64(i) << 16)
	}
	for i := 1; i <= n; i++ {
		if i%2 == 1 {
			odd.Add(uint64(i) << 16)
		} else {
			even.Add(uint64(i)<<16 | 7)
		}
	}
	if down.Len() != n || !down.Has(17<<16) || down.Has(17<<16|1) {
		t.Fatalf("descending sparse ids: Len = %d, Has wrong", down.Len())
	}
	var u IDSet
	u.AddSet(&odd)
	u.AddSet(&even)
	u.AddSet(&down)
	if want := n + n/2; u.Len() != want {
		t.Errorf("union Len = %d, want %d", u.Len(), want)
	}
	if got := u.IntersectLen(&down); got != n {
		t.Errorf("IntersectLen(union, descending) = %d, want %d", got, n)
	}
	var prev uint64
	count := 0
	down.Each(func(id uint64) {
		if count > 0 && id <= prev {
			t.Fatalf("Each not increasing: %d after %d", id, prev)
		}
		prev = id
		count++
	})
	if count != n {
		t.Errorf("Each yields %d ids, want %d", count, n)
	}
}

// TestIDSetSmall checks the forms of a set with zero, one and two ids.
func TestIDSetSmall(t *testing.T) {
	var s IDSet
	if s.Len() != 0 || s.Has(0) || s.IntersectLen(&s) != 0 || s.Max() != 0 {
		t.Errorf("empty set: Len %d", s.Len())
	}
	s.Add(42)
	s.Add(42)
	if s.Len() != 1 || !s.Has(42) || s.Has(0) || s.IntersectLen(&s) != 1 || s.Max() != 42 {
		t.Errorf("one id: Len %d", s.Len())
	}
	var ids []uint64
	s.Each(func(id uint64) { ids = append(ids, id) })
	s.Add(1 << 40)
	s.Each(func(id uint64) { ids = append(ids, id) })
	if fmt.Sprint(ids) != "[42 42 1099511627776]" || s.Len() != 2 {
		t.Errorf("Each gave %v, Len %d", ids, s.Len())
	}
	var u IDSet
	u.Add(7)
	u.AddSet(&s)
	if u.Len() != 3 || !u.Has(7) || !u.Has(1<<40) {
		t.Errorf("one id plus two: Len %d", u.Len())
	}
}

// FuzzIDSet applies the operations the bytes spell to sets and to maps,
// ids dense, sparse and of every magnitude, in any order: the sets must
// agree with the maps, and Each must yield their ids in order.
func FuzzIDSet(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{200, 1, 0, 0, 255, 255, 255, 255, 7, 9, 3, 1})
	f.Fuzz(func(t *testing.T, ops []byte) {
		var sets [2]IDSet
		maps := [2]map[uint64]bool{{}, {}}
		var id uint64
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i], uint64(ops[i+1])
			k := int(op & 1)
			switch op >> 5 {
			case 0, 1, 2: // near the last id, as goroutines started in a loop
				id += arg
			case 3: // another container
				id = id&^0xffff + arg<<16
			case 4: // far away
				id = arg << 40
			case 5: // a burst of consecutive ids, enough for a bitmap
				for j := range uint64(arg) * 40 {
					sets[k].Add(id + j)
					maps[k][id+j] = true
				}
				continue
			case 6: // union
				sets[k].AddSet(&sets[1-k])
				for x := range maps[1-k] {
					maps[k][x] = true
				}
				continue
			case 7:
				id -= arg << 16
			}
			sets[k].Add(id)
			maps[k][id] = true
		}
		common := 0
		for x := range maps[0] {
			if maps[1][x] {
				common++
			}
		}
		if got := sets[0].IntersectLen(&sets[1]); got != common {
			t.Errorf("IntersectLen = %d, want %d", got, common)
		}
		for k := range sets {
			if sets[k].Len() != len(maps[k]) {
				t.Errorf("set %d: Len %d, want %d", k, sets[k].Len(), len(maps[k]))
			}
			var top uint64
			for x := range maps[k] {
				top = max(top, x)
			}
			if got := sets[k].Max(); got != top {
				t.Errorf("set %d: Max %d, want %d", k, got, top)
			}
			n, prev := 0, uint64(0)
			sets[k].Each(func(x uint64) {
				if n > 0 && x <= prev || !maps[k][x] {
					t.Fatalf("set %d: Each yields %d after %d", k, x, prev)
				}
				prev = x
				n++
			})
			for x := range maps[k] {
				if !sets[k].Has(x) || sets[k].Has(x+1) != maps[k][x+1] {
					t.Fatalf("set %d: Has(%d) wrong", k, x)
				}
			}
		}
	})
}

package synth

// rng is splitmix64: tiny, fast and the same on every platform and Go
// release (math/rand's streams are not promised to stay the same). Only
// integer arithmetic is used for decisions, so output is identical on every
// architecture.
type rng struct{ s uint64 }

func newRNG(seed int64, stream uint64) rng {
	r := rng{s: uint64(seed) ^ stream*0x9e3779b97f4a7c15}
	r.next()
	return r
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// intn returns a number in [0, n); n must be > 0. The modulo bias is
// irrelevant here.
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// permille reports true with probability p/1000.
func (r *rng) permille(p int) bool { return r.intn(1000) < p }

// pick returns one of the strings.
func (r *rng) pick(s []string) string { return s[r.intn(len(s))] }

// fenwick samples without replacement from a multiset of site indices:
// take(u) returns the site that holds the u-th remaining item and removes
// that item, in O(log n).
type fenwick struct {
	tree  []int // 1-based
	total int
	step  int // highest power of two <= len(tree)-1
}

func newFenwick(counts []int) *fenwick {
	f := &fenwick{tree: make([]int, len(counts)+1)}
	for i, c := range counts {
		f.total += c
		for j := i + 1; j < len(f.tree); j += j & -j {
			f.tree[j] += c
		}
	}
	f.step = 1
	for f.step*2 < len(f.tree) {
		f.step *= 2
	}
	return f
}

// take removes and returns the site of item u, 0 <= u < f.total.
func (f *fenwick) take(u int) int {
	pos := 0
	for s := f.step; s > 0; s /= 2 {
		if p := pos + s; p < len(f.tree) && f.tree[p] <= u {
			pos = p
			u -= f.tree[p]
		}
	}
	for j := pos + 1; j < len(f.tree); j += j & -j {
		f.tree[j]--
	}
	f.total--
	return pos
}

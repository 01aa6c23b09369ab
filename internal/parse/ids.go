package parse

import (
	"math/bits"
	"slices"
	"sort"
)

// IDSet is a compact set of goroutine ids: ids are grouped by their high
// bits into containers of 65536 values, each a sorted array of low halves
// while small and a bitmap once dense (the "roaring bitmap" layout). A
// million goroutines cost at most 2 bytes each, consecutive ids, which
// goroutines started in a loop get, cost 1 bit each, and a set of one id
// (a stack only one goroutine has) costs nothing beyond the IDSet itself.
//
// The zero value is an empty set. An IDSet is not safe for concurrent use
// while ids are added, nor for concurrent reads when ids were added out of
// the order of their containers: the first read that needs order sorts
// them. The sets of a Snapshot are sorted and may be read concurrently.
type IDSet struct {
	n int
	// one is the only id while n == 1 and m is nil: most stacks of a dump
	// with many distinct stacks have a single goroutine, and a set of one
	// costs no more than the IDSet itself.
	one uint64
	m   *idMany // the containers of a set that had two ids or more
}

type idMany struct {
	cs []idContainer // sorted by key, unless index is set
	// index maps container keys to their place in cs once ids stopped
	// arriving in increasing order of containers (sparse ids out of
	// order), so that a new container is never inserted into the middle
	// of a long slice. Reads that need order sort cs first (settle).
	index map[uint64]int32
}

// indexAt is how many containers a set keeps sorted by insertion before
// it indexes them.
const indexAt = 64

type idContainer struct {
	key   uint64   // id >> 16
	array []uint16 // sorted low halves, while len <= arrayMax
	bits  []uint64 // 1024 words once the container is dense
	n     int      // ids in the bitmap
}

// arrayMax is where a bitmap (8 KiB) becomes smaller than an array.
const arrayMax = 4096

// Len returns the number of ids in the set.
func (s *IDSet) Len() int { return s.n }

// Add inserts id.
func (s *IDSet) Add(id uint64) { s.insert(id) }

// insert adds id and reports whether it was new.
func (s *IDSet) insert(id uint64) bool {
	if s.m == nil {
		switch {
		case s.n == 0:
			s.one, s.n = id, 1
			return true
		case s.one == id:
			return false
		}
		// A second id: from here on, containers.
		first := s.one
		s.n, s.one = 0, 0
		s.m = &idMany{cs: make([]idContainer, 0, 1)}
		s.insert(first)
	}
	if s.m.insert(id) {
		s.n++
		return true
	}
	return false
}

func (s *idMany) insert(id uint64) bool {
	key, low := id>>16, uint16(id)
	last := len(s.cs) - 1
	var i int
	switch {
	case s.index != nil:
		k, ok := s.index[key]
		if !ok {
			k = int32(len(s.cs))
			s.cs = append(s.cs, idContainer{key: key})
			s.index[key] = k
		}
		i = int(k)
	case last >= 0 && s.cs[last].key == key:
		// Ids mostly arrive in increasing order: the last container.
		i = last
	case last < 0 || s.cs[last].key < key:
		s.cs = append(s.cs, idContainer{key: key})
		i = last + 1
	default:
		i = sort.Search(len(s.cs), func(j int) bool { return s.cs[j].key >= key })
		switch {
		case s.cs[i].key == key:
		case len(s.cs) < indexAt:
			s.cs = slices.Insert(s.cs, i, idContainer{key: key})
		default:
			s.index = make(map[uint64]int32, 2*len(s.cs))
			for j := range s.cs {
				s.index[s.cs[j].key] = int32(j)
			}
			i = len(s.cs)
			s.cs = append(s.cs, idContainer{key: key})
			s.index[key] = int32(i)
		}
	}
	return s.cs[i].add(low)
}

// settle sorts the containers of a set that indexed them.
func (s *IDSet) settle() {
	if s.m == nil || s.m.index == nil {
		return
	}
	s.m.settle()
}

func (s *idMany) settle() {
	sort.Slice(s.cs, func(i, j int) bool { return s.cs[i].key < s.cs[j].key })
	s.index = nil
}

func (c *idContainer) add(low uint16) bool {
	if c.bits != nil {
		w, b := low>>6, uint64(1)<<(low&63)
		if c.bits[w]&b != 0 {
			return false
		}
		c.bits[w] |= b
		c.n++
		return true
	}
	n := len(c.array)
	var i int
	if n == 0 || c.array[n-1] < low {
		i = n
	} else {
		i = sort.Search(n, func(j int) bool { return c.array[j] >= low })
		if c.array[i] == low {
			return false
		}
	}
	if n == arrayMax {
		c.toBitmap()
		c.bits[low>>6] |= 1 << (low & 63)
		c.n++
		return true
	}
	c.array = slices.Insert(c.array, i, low)
	return true
}

func (c *idContainer) toBitmap() {
	c.bits = make([]uint64, 1024)
	for _, v := range c.array {
		c.bits[v>>6] |= 1 << (v & 63)
	}
	c.n = len(c.array)
	c.array = nil
}

func (c *idContainer) len() int {
	if c.bits != nil {
		return c.n
	}
	return len(c.array)
}

// Has reports whether id is in the set.
func (s *IDSet) Has(id uint64) bool {
	if s.m == nil {
		return s.n == 1 && s.one == id
	}
	return s.m.has(id)
}

func (s *idMany) has(id uint64) bool {
	key, low := id>>16, uint16(id)
	var c *idContainer
	if s.index != nil {
		k, ok := s.index[key]
		if !ok {
			return false
		}
		c = &s.cs[k]
	} else {
		i := sort.Search(len(s.cs), func(j int) bool { return s.cs[j].key >= key })
		if i == len(s.cs) || s.cs[i].key != key {
			return false
		}
		c = &s.cs[i]
	}
	if c.bits != nil {
		return c.bits[low>>6]&(1<<(low&63)) != 0
	}
	j := sort.Search(len(c.array), func(j int) bool { return c.array[j] >= low })
	return j < len(c.array) && c.array[j] == low
}

// AddSet inserts every id of t. The containers of both sets are merged in
// one pass, so the cost is linear in their sizes whatever the ids.
func (s *IDSet) AddSet(t *IDSet) {
	switch {
	case t.n == 0 || s == t:
		return
	case t.m == nil:
		s.insert(t.one)
		return
	case s.m == nil:
		one, had := s.one, s.n == 1
		*s = t.clone()
		if had {
			s.insert(one)
		}
		return
	}
	s.settle()
	t.settle()
	a, b := s.m.cs, t.m.cs
	merged := make([]idContainer, 0, len(a)+len(b))
	n := 0
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var c idContainer
		switch {
		case j == len(b) || i < len(a) && a[i].key < b[j].key:
			c = a[i]
			i++
		case i == len(a) || b[j].key < a[i].key:
			c = b[j].clone()
			j++
		default:
			c = a[i]
			c.union(&b[j])
			i++
			j++
		}
		n += c.len()
		merged = append(merged, c)
	}
	s.m.cs, s.n = merged, n
}

func (s *IDSet) clone() IDSet {
	out := IDSet{n: s.n, one: s.one}
	if s.m != nil {
		s.settle()
		out.m = &idMany{cs: make([]idContainer, len(s.m.cs))}
		for i := range s.m.cs {
			out.m.cs[i] = s.m.cs[i].clone()
		}
	}
	return out
}

func (c *idContainer) clone() idContainer {
	return idContainer{key: c.key, array: slices.Clone(c.array), bits: slices.Clone(c.bits), n: c.n}
}

// union adds the ids of d (same key) to c.
func (c *idContainer) union(d *idContainer) {
	switch {
	case c.bits != nil && d.bits != nil:
		n := 0
		for w := range c.bits {
			c.bits[w] |= d.bits[w]
			n += bits.OnesCount64(c.bits[w])
		}
		c.n = n
	case c.bits != nil:
		for _, v := range d.array {
			c.add(v)
		}
	case d.bits != nil:
		arr := c.array
		*c = d.clone()
		for _, v := range arr {
			c.add(v)
		}
	default:
		// Merge two sorted arrays.
		out := make([]uint16, 0, len(c.array)+len(d.array))
		a, b := c.array, d.array
		for len(a) > 0 && len(b) > 0 {
			switch {
			case a[0] < b[0]:
				out, a = append(out, a[0]), a[1:]
			case a[0] > b[0]:
				out, b = append(out, b[0]), b[1:]
			default:
				out, a, b = append(out, a[0]), a[1:], b[1:]
			}
		}
		out = append(append(out, a...), b...)
		c.array = out
		if len(out) > arrayMax {
			c.toBitmap()
		}
	}
}

// Each calls fn for every id in increasing order.
func (s *IDSet) Each(fn func(id uint64)) {
	if s.m == nil {
		if s.n == 1 {
			fn(s.one)
		}
		return
	}
	s.settle()
	for i := range s.m.cs {
		c := &s.m.cs[i]
		base := c.key << 16
		if c.bits == nil {
			for _, v := range c.array {
				fn(base | uint64(v))
			}
			continue
		}
		for w, word := range c.bits {
			for word != 0 {
				b := bits.TrailingZeros64(word)
				fn(base | uint64(w<<6+b))
				word &= word - 1
			}
		}
	}
}

// IntersectLen returns how many ids s and t have in common.
func (s *IDSet) IntersectLen(t *IDSet) int {
	switch {
	case s.m == nil:
		if s.n == 1 && t.Has(s.one) {
			return 1
		}
		return 0
	case t.m == nil:
		return t.IntersectLen(s)
	}
	s.settle()
	t.settle()
	n := 0
	i, j := 0, 0
	sc, tc := s.m.cs, t.m.cs
	for i < len(sc) && j < len(tc) {
		a, b := &sc[i], &tc[j]
		switch {
		case a.key < b.key:
			i++
		case a.key > b.key:
			j++
		default:
			n += a.intersectLen(b)
			i++
			j++
		}
	}
	return n
}

func (c *idContainer) intersectLen(d *idContainer) int {
	switch {
	case c.bits != nil && d.bits != nil:
		n := 0
		for w := range c.bits {
			n += bits.OnesCount64(c.bits[w] & d.bits[w])
		}
		return n
	case c.bits != nil:
		return d.countIn(c.bits)
	case d.bits != nil:
		return c.countIn(d.bits)
	}
	n, i, j := 0, 0, 0
	for i < len(c.array) && j < len(d.array) {
		switch {
		case c.array[i] < d.array[j]:
			i++
		case c.array[i] > d.array[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}

// countIn counts the array values of c set in a bitmap.
func (c *idContainer) countIn(bm []uint64) int {
	n := 0
	for _, v := range c.array {
		if bm[v>>6]&(1<<(v&63)) != 0 {
			n++
		}
	}
	return n
}

// Max returns the largest id in the set, 0 for an empty set.
func (s *IDSet) Max() uint64 {
	if s.m == nil {
		if s.n == 1 {
			return s.one
		}
		return 0
	}
	s.settle()
	for i := len(s.m.cs) - 1; i >= 0; i-- {
		c := &s.m.cs[i]
		base := c.key << 16
		if c.bits == nil {
			if n := len(c.array); n > 0 {
				return base | uint64(c.array[n-1])
			}
			continue
		}
		for w := len(c.bits) - 1; w >= 0; w-- {
			if c.bits[w] != 0 {
				return base | uint64(w<<6+63-bits.LeadingZeros64(c.bits[w]))
			}
		}
	}
	return 0
}

package parse

import (
	"math/bits"
	"slices"
	"sort"
)

// IDSet is a compact set of goroutine ids: ids are grouped by their high
// bits into containers of 65536 values, each a sorted array of low halves
// while small and a bitmap once dense (the "roaring bitmap" layout). A
// million goroutines cost at most 2 bytes each, and consecutive ids, which
// goroutines started in a loop get, cost 1 bit each.
//
// The zero value is an empty set. An IDSet is not safe for concurrent use,
// not even for reading: reads first file away ids added since the last.
type IDSet struct {
	cs []idContainer // sorted by key
	n  int
	// pending holds ids added since the last read, unsorted: a dump lists
	// goroutines in roughly but not exactly increasing id order, and
	// inserting each into the middle of a sorted array cost more than
	// sorting them in batches.
	pending []uint64
}

// pendingMax is how many ids wait before they are filed.
const pendingMax = 1024

type idContainer struct {
	key   uint64   // id >> 16
	array []uint16 // sorted low halves, while len <= arrayMax
	bits  []uint64 // 1024 words once the container is dense
}

// arrayMax is where a bitmap (8 KiB) becomes smaller than an array.
const arrayMax = 4096

// Len returns the number of ids in the set.
func (s *IDSet) Len() int {
	s.flush()
	return s.n
}

// Add inserts id.
func (s *IDSet) Add(id uint64) {
	s.pending = append(s.pending, id)
	if len(s.pending) == pendingMax {
		s.flush()
	}
}

// flush files the pending ids, in increasing order so that each lands at
// the end of its container.
func (s *IDSet) flush() {
	if len(s.pending) == 0 {
		return
	}
	slices.Sort(s.pending)
	for _, id := range s.pending {
		s.insert(id)
	}
	s.pending = s.pending[:0]
}

func (s *IDSet) insert(id uint64) {
	key, low := id>>16, uint16(id)
	i := len(s.cs) - 1
	// Ids mostly arrive in increasing order: try the last container first.
	if i < 0 || s.cs[i].key != key {
		i = sort.Search(len(s.cs), func(j int) bool { return s.cs[j].key >= key })
		if i == len(s.cs) || s.cs[i].key != key {
			s.cs = append(s.cs, idContainer{})
			copy(s.cs[i+1:], s.cs[i:])
			s.cs[i] = idContainer{key: key}
		}
	}
	if s.cs[i].add(low) {
		s.n++
	}
}

func (c *idContainer) add(low uint16) bool {
	if c.bits != nil {
		w, b := low>>6, uint64(1)<<(low&63)
		if c.bits[w]&b != 0 {
			return false
		}
		c.bits[w] |= b
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
		c.bits = make([]uint64, 1024)
		for _, v := range c.array {
			c.bits[v>>6] |= 1 << (v & 63)
		}
		c.array = nil
		c.bits[low>>6] |= 1 << (low & 63)
		return true
	}
	c.array = append(c.array, 0)
	copy(c.array[i+1:], c.array[i:])
	c.array[i] = low
	return true
}

// Has reports whether id is in the set.
func (s *IDSet) Has(id uint64) bool {
	s.flush()
	key, low := id>>16, uint16(id)
	i := sort.Search(len(s.cs), func(j int) bool { return s.cs[j].key >= key })
	if i == len(s.cs) || s.cs[i].key != key {
		return false
	}
	c := &s.cs[i]
	if c.bits != nil {
		return c.bits[low>>6]&(1<<(low&63)) != 0
	}
	j := sort.Search(len(c.array), func(j int) bool { return c.array[j] >= low })
	return j < len(c.array) && c.array[j] == low
}

// AddSet inserts every id of t.
func (s *IDSet) AddSet(t *IDSet) {
	t.each(func(id uint64) { s.Add(id) })
}

// Each calls fn for every id in increasing order.
func (s *IDSet) Each(fn func(id uint64)) { s.each(fn) }

func (s *IDSet) each(fn func(id uint64)) {
	s.flush()
	for i := range s.cs {
		c := &s.cs[i]
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
	s.flush()
	t.flush()
	n := 0
	i, j := 0, 0
	for i < len(s.cs) && j < len(t.cs) {
		a, b := &s.cs[i], &t.cs[j]
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
	s.flush()
	for i := len(s.cs) - 1; i >= 0; i-- {
		c := &s.cs[i]
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

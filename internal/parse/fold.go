package parse

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"math/bits"
	"sort"
)

// A builder interns the frames and stacks of one parser: a frame seen
// once is a small integer afterwards, and a stack is found by the numbers
// of its frames. Each parsing worker has its own, so that no lock is
// taken per goroutine; the committer (commit.go) matches the stacks of
// several builders by value. Memory grows with distinct frames and
// stacks, never with goroutines: frames and stacks live in slabs, the
// tables that find them hold 4-byte numbers, and a stack whose frames
// were all new shares the frame table's memory.
type builder struct {
	frames frameTable
	strs   map[string]string // files and states: few distinct ones
	index  []stackSlot       // open addressing over stacks
	stacks []*Stack
	slab   []Stack
	fslab  []Frame // frames of stacks that cannot share the frame table's
	fnBuf  []byte
	last   *Stack // the stack of the goroutine folded last (counted formats)

	// goroutines counts what fold added (counted formats).
	goroutines int
}

type stackSlot struct {
	hash uint32
	n    int32 // index in stacks + 1; 0: empty
}

func newBuilder() *builder {
	return &builder{strs: make(map[string]string)}
}

// intern returns b as a string shared by every equal string of the builder.
func (bl *builder) intern(b []byte) string {
	if s, ok := bl.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	bl.strs[s] = s
	return s
}

func (bl *builder) internString(s string) string {
	if t, ok := bl.strs[s]; ok {
		return t
	}
	bl.strs[s] = s
	return s
}

// Frames live in slabs of 32, 64, 128 and 256 frames, then of
// frameSlabSize: a small dump allocates little, and frames never move.
const (
	frameSlabSize = 512
	smallSlabs    = 4   // slabs smaller than frameSlabSize
	smallFrames   = 480 // frames in them: 32+64+128+256
)

// slabOf returns the slab of frame number id and its index there.
func slabOf(id int32) (slab, at int) {
	if id < smallFrames {
		k := bits.Len32(uint32(id)/32+1) - 1
		return k, int(id) - 32*(1<<k-1)
	}
	return smallSlabs + int(id-smallFrames)/frameSlabSize, int(id-smallFrames) % frameSlabSize
}

// frameTable holds every distinct frame of a builder: a frame is its
// function, file, line and whether it was inlined ("(...)"), so that the
// same frame read by different workers is the same value.
type frameTable struct {
	slabs  [][]Frame
	n      int32
	hashes []uint32 // of each frame, to grow the table without hashing again
	slots  []int32  // open addressing: frame number + 1; 0: empty
	h      maphash.Hash
}

func (t *frameTable) at(id int32) *Frame {
	slab, at := slabOf(id)
	return &t.slabs[slab][at]
}

// hash hashes a frame given as bytes (hashString as strings: the same
// value for the same frame). Converting the bytes to strings would copy
// every name longer than 32 bytes.
func (t *frameTable) hash(fn, file []byte, line int, inlined bool) uint32 {
	t.h.Reset()
	t.h.Write(fn)
	t.h.WriteByte(0)
	t.h.Write(file)
	return mixFrame(t.h.Sum64(), line, inlined)
}

func (t *frameTable) hashString(fn, file string, line int, inlined bool) uint32 {
	t.h.Reset()
	t.h.WriteString(fn)
	t.h.WriteByte(0)
	t.h.WriteString(file)
	return mixFrame(t.h.Sum64(), line, inlined)
}

func mixFrame(h uint64, line int, inlined bool) uint32 {
	h ^= uint64(line) * 0x9e3779b97f4a7c15
	if inlined {
		h = ^h
	}
	return uint32(h ^ h>>32)
}

// find returns the number of the frame, or -1.
func (t *frameTable) find(h uint32, fn, file []byte, line int, inlined bool) int32 {
	if len(t.slots) == 0 {
		return -1
	}
	mask := uint32(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		n := t.slots[i]
		if n == 0 {
			return -1
		}
		if t.hashes[n-1] != h {
			continue
		}
		f := t.at(n - 1)
		if f.Line == line && f.Inlined == inlined && f.Func == string(fn) && f.File == string(file) {
			return n - 1
		}
	}
}

// findString is find for a frame given as strings.
func (t *frameTable) findString(h uint32, f Frame) int32 {
	if len(t.slots) == 0 {
		return -1
	}
	mask := uint32(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		n := t.slots[i]
		if n == 0 {
			return -1
		}
		if t.hashes[n-1] == h && *t.at(n - 1) == f {
			return n - 1
		}
	}
}

func (t *frameTable) add(h uint32, f Frame) int32 {
	id := t.n
	if slab, at := slabOf(id); at == 0 {
		size := frameSlabSize
		if slab < smallSlabs {
			size = 32 << slab
		}
		t.slabs = append(t.slabs, make([]Frame, size))
	}
	*t.at(id) = f
	t.hashes = append(t.hashes, h)
	t.n++
	if 2*int(t.n) > len(t.slots) {
		t.slots = make([]int32, tableSize(int(t.n)))
		for id := range t.n {
			t.place(t.hashes[id], id)
		}
	} else {
		t.place(h, id)
	}
	return id
}

func (t *frameTable) place(h uint32, id int32) {
	mask := uint32(len(t.slots) - 1)
	i := h & mask
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = id + 1
}

// tableSize returns the number of slots of an open-addressing table for
// n entries: a power of two, at most half full until n doubles.
func tableSize(n int) int {
	return 1 << bits.Len(uint(max(32, 2*n)))
}

// frame returns frame number id.
func (bl *builder) frame(id int32) *Frame { return bl.frames.at(id) }

// frameID returns the number of the frame with function fn (as printed)
// at file:line.
func (bl *builder) frameID(fn, file []byte, line int, inlined bool) int32 {
	if bytes.IndexByte(fn, '[') >= 0 {
		bl.fnBuf = append(bl.fnBuf[:0], normalizeFunc(string(fn))...)
		fn = bl.fnBuf
	}
	h := bl.frames.hash(fn, file, line, inlined)
	if id := bl.frames.find(h, fn, file, line, inlined); id >= 0 {
		return id
	}
	return bl.frames.add(h, Frame{Func: string(fn), File: bl.intern(file), Line: line, Inlined: inlined})
}

// addFrame interns a frame given as a value (counted formats).
func (bl *builder) addFrame(f Frame) int32 {
	h := bl.frames.hashString(f.Func, f.File, f.Line, f.Inlined)
	if id := bl.frames.findString(h, f); id >= 0 {
		return id
	}
	f.File = bl.internString(f.File)
	return bl.frames.add(h, f)
}

// splitLocation splits "file:line" at the last colon (file names may hold
// colons: "C:/Go/src/x.go:12").
func splitLocation(loc []byte) (file []byte, line int, err error) {
	i := len(loc) - 1
	for i >= 0 && loc[i] >= '0' && loc[i] <= '9' {
		i--
	}
	if i < 1 || i == len(loc)-1 || loc[i] != ':' || len(loc)-i-1 > 9 {
		return nil, 0, fmt.Errorf("want file:line, got %q", clip(loc))
	}
	for _, c := range loc[i+1:] {
		line = line*10 + int(c-'0')
	}
	return loc[:i], line, nil
}

// rawGoroutine is a goroutine as the parser holds it: frames are numbers
// into the builder's table. It is reused from one goroutine to the next.
type rawGoroutine struct {
	id        uint64
	state     string
	minutes   int
	locked    bool
	leaked    bool
	bubble    uint64
	labels    []Label
	frames    []int32
	creator   int32 // -1: none
	parent    uint64
	elided    int
	cut       bool // bottom of the stack may be missing
	count     int
	ancestors []Ancestor
}

func (g *rawGoroutine) reset() {
	frames, labels := g.frames[:0], g.labels[:0]
	*g = rawGoroutine{frames: frames, labels: labels, creator: -1, count: 1}
}

// stackHash mixes the frame numbers of a stack.
func stackHash(g *rawGoroutine) uint32 {
	h := uint64(g.creator+2) * 0x9e3779b97f4a7c15
	if g.cut {
		h = ^h
	}
	for _, f := range g.frames {
		h = (h ^ uint64(f)) * 0xbf58476d1ce4e5b9
		h ^= h >> 31
	}
	return uint32(h ^ h>>32)
}

// stackOf returns the stack of g, and whether it is new.
func (bl *builder) stackOf(g *rawGoroutine) (*Stack, bool) {
	h := stackHash(g)
	if len(bl.index) > 0 {
		mask := uint32(len(bl.index) - 1)
		for i := h & mask; ; i = (i + 1) & mask {
			sl := bl.index[i]
			if sl.n == 0 {
				break
			}
			if sl.hash == h && bl.sameStack(bl.stacks[sl.n-1], g) {
				return bl.stacks[sl.n-1], false
			}
		}
	}
	s := bl.newStack(g)
	bl.stacks = append(bl.stacks, s)
	if 2*len(bl.stacks) > len(bl.index) {
		old := bl.index
		bl.index = make([]stackSlot, tableSize(len(bl.stacks)))
		for _, sl := range old {
			if sl.n != 0 {
				bl.place(sl)
			}
		}
	}
	bl.place(stackSlot{h, int32(len(bl.stacks))})
	return s, true
}

func (bl *builder) place(sl stackSlot) {
	mask := uint32(len(bl.index) - 1)
	i := sl.hash & mask
	for bl.index[i].n != 0 {
		i = (i + 1) & mask
	}
	bl.index[i] = sl
}

func (bl *builder) sameStack(s *Stack, g *rawGoroutine) bool {
	if s.Cut != g.cut || len(s.Frames) != len(g.frames) {
		return false
	}
	if g.creator >= 0 {
		if s.Creator != *bl.frame(g.creator) {
			return false
		}
	} else if s.Creator != (Frame{}) {
		return false
	}
	for i, id := range g.frames {
		if s.Frames[i] != *bl.frame(id) {
			return false
		}
	}
	return true
}

// fold adds g to its stack (counted formats, which one builder reads).
func (bl *builder) fold(g *rawGoroutine) {
	s, _ := bl.stackOf(g)
	bl.last = s
	bl.add(s, g)
}

// add counts g in its stack s.
func (bl *builder) add(s *Stack, g *rawGoroutine) {
	bl.goroutines += g.count
	s.Count += g.count
	if g.leaked {
		s.Leaked += g.count
	}
	if g.locked {
		s.Locked += g.count
	}
	if g.id != 0 {
		s.IDs.Add(g.id)
	}
	state := g.state
	if state == "semacquire" {
		state = s.sema
	}
	s.addState(StateCount{State: state, Count: g.count, MaxMinutes: g.minutes,
		Over1m: g.count * b2i(g.minutes >= 1), Over10m: g.count * b2i(g.minutes >= 10)})
}

func (bl *builder) newStack(g *rawGoroutine) *Stack {
	if len(bl.slab) == cap(bl.slab) {
		bl.slab = make([]Stack, 0, min(max(16, 2*cap(bl.slab)), 1024))
	}
	bl.slab = bl.slab[:len(bl.slab)+1]
	s := &bl.slab[len(bl.slab)-1]
	s.Frames, s.Cut = bl.frameSlice(g.frames), g.cut
	if g.creator >= 0 {
		s.Creator = *bl.frame(g.creator)
	}
	s.finish()
	return s
}

// frameSlice returns the frames of ids. Frames that were added to the
// table one after the other, as those of a stack no goroutine had before,
// are shared with it rather than copied.
func (bl *builder) frameSlice(ids []int32) []Frame {
	n := len(ids)
	if n == 0 {
		return nil
	}
	first := ids[0]
	slab, at := slabOf(first)
	run := at+n <= len(bl.frames.slabs[slab])
	for i := 1; run && i < n; i++ {
		run = ids[i] == first+int32(i)
	}
	if run {
		return bl.frames.slabs[slab][at : at+n : at+n]
	}
	if n > cap(bl.fslab)-len(bl.fslab) {
		bl.fslab = make([]Frame, 0, max(n, 1024))
	}
	out := bl.fslab[len(bl.fslab) : len(bl.fslab)+n : len(bl.fslab)+n]
	bl.fslab = bl.fslab[:len(bl.fslab)+n]
	for i, id := range ids {
		out[i] = *bl.frame(id)
	}
	return out
}

// finish derives the site, entry and wait frames from the stack.
func (s *Stack) finish() {
	var entry int
	s.Site, entry = siteOf(s.Creator, s.Frames)
	if entry >= 0 {
		s.Entry = s.Frames[entry]
	}
	// Frames below the entry (goexit, wrappers, a helper's own) are
	// never where the goroutine's code waits.
	if w := waitIndex(s.Frames[:entry+1]); w >= 0 {
		s.Wait = s.Frames[w]
	}
	s.sema = refineState("semacquire", s.Frames)
}

func (s *Stack) addState(sc StateCount) {
	for i := range s.States {
		if t := &s.States[i]; t.State == sc.State {
			t.Count += sc.Count
			t.MaxMinutes = max(t.MaxMinutes, sc.MaxMinutes)
			t.Over1m += sc.Over1m
			t.Over10m += sc.Over10m
			return
		}
	}
	s.States = append(s.States, sc)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sortedStacks returns the stacks in their documented order: by site,
// then by frames, so that output never depends on worker scheduling.
func (bl *builder) sortedStacks() []*Stack {
	out := append([]*Stack(nil), bl.stacks...)
	sortStacks(out)
	return out
}

// sortStacks puts stacks and their states in the documented order.
func sortStacks(stacks []*Stack) {
	for _, s := range stacks {
		sort.Slice(s.States, func(i, j int) bool { return s.States[i].State < s.States[j].State })
		s.IDs.settle()
	}
	sort.Slice(stacks, func(i, j int) bool { return stackLess(stacks[i], stacks[j]) })
}

func stackLess(a, b *Stack) bool {
	if a.Site != b.Site {
		return siteLess(a.Site, b.Site)
	}
	if a.Creator != b.Creator {
		return frameLess(a.Creator, b.Creator)
	}
	for i := 0; i < len(a.Frames) && i < len(b.Frames); i++ {
		if a.Frames[i] != b.Frames[i] {
			return frameLess(a.Frames[i], b.Frames[i])
		}
	}
	if len(a.Frames) != len(b.Frames) {
		return len(a.Frames) < len(b.Frames)
	}
	return !a.Cut && b.Cut
}

// SiteLess orders sites by kind, function, file and line.
func SiteLess(a, b Site) bool { return siteLess(a, b) }

func siteLess(a, b Site) bool {
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	if a.Func != b.Func {
		return a.Func < b.Func
	}
	if a.File != b.File {
		return a.File < b.File
	}
	return a.Line < b.Line
}

func frameLess(a, b Frame) bool {
	if a.Func != b.Func {
		return a.Func < b.Func
	}
	if a.File != b.File {
		return a.File < b.File
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	return !a.Inlined && b.Inlined
}

// goroutine expands a raw goroutine for Options.Each.
func (bl *builder) goroutine(g *rawGoroutine) *Goroutine {
	out := &Goroutine{
		ID: g.id, State: g.state, WaitMinutes: g.minutes, Locked: g.locked,
		Leaked: g.leaked, Bubble: g.bubble, Elided: g.elided, ParentID: g.parent,
		Count: g.count, Ancestors: g.ancestors,
	}
	if len(g.labels) > 0 {
		out.Labels = append([]Label(nil), g.labels...)
	}
	out.Frames = make([]Frame, len(g.frames))
	for i, id := range g.frames {
		out.Frames[i] = *bl.frame(id)
	}
	if g.creator >= 0 {
		out.Creator = *bl.frame(g.creator)
	}
	return out
}

// clip shortens b for an error message.
func clip(b []byte) string {
	const n = 60
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

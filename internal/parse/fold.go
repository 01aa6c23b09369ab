package parse

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"sort"
	"strconv"
)

// A builder folds goroutines into distinct stacks. Each parsing worker has
// its own, so that no lock is taken per goroutine; merge combines them.
//
// Frames are interned: a frame seen once is a small integer afterwards,
// and a stack is the byte string of its frame numbers. Memory therefore
// grows with distinct frames and stacks, never with goroutines.
type builder struct {
	frameIDs map[string]int32 // func "\x00" location → index in frames
	frames   []Frame
	strs     map[string]string
	stacks   map[string]*Stack
	key      []byte
	last     *Stack // the stack of the goroutine folded last

	goroutines int
}

func newBuilder() *builder {
	return &builder{
		frameIDs: make(map[string]int32),
		strs:     make(map[string]string),
		stacks:   make(map[string]*Stack),
	}
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

// frameID returns the number of the frame with function fn at location
// loc ("file:line", no offset), parsing loc the first time it is seen.
func (bl *builder) frameID(fn, loc []byte, inlined bool) (int32, error) {
	bl.key = append(append(append(bl.key[:0], fn...), 0), loc...)
	if id, ok := bl.frameIDs[string(bl.key)]; ok {
		return id, nil
	}
	file, line, err := splitLocation(loc)
	if err != nil {
		return 0, err
	}
	id := int32(len(bl.frames))
	bl.frames = append(bl.frames, Frame{
		Func:    bl.internString(normalizeFunc(string(fn))),
		File:    bl.intern(file),
		Line:    line,
		Inlined: inlined,
	})
	bl.frameIDs[string(bl.key)] = id
	return id, nil
}

// addFrame interns a frame given as a value (counted formats).
func (bl *builder) addFrame(f Frame) int32 {
	bl.key = append(bl.key[:0], f.Func...)
	bl.key = append(bl.key, 0)
	bl.key = append(bl.key, f.File...)
	bl.key = append(bl.key, ':')
	bl.key = binary.AppendUvarint(bl.key, uint64(f.Line))
	if id, ok := bl.frameIDs[string(bl.key)]; ok {
		return id
	}
	id := int32(len(bl.frames))
	f.Func = bl.internString(f.Func)
	f.File = bl.internString(f.File)
	bl.frames = append(bl.frames, f)
	bl.frameIDs[string(bl.key)] = id
	return id
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

// fold adds g to its stack.
func (bl *builder) fold(g *rawGoroutine) {
	bl.key = bl.key[:0]
	bl.key = binary.AppendUvarint(bl.key, uint64(g.creator+1))
	if g.cut {
		bl.key = append(bl.key, 0xff)
	}
	for _, f := range g.frames {
		bl.key = binary.AppendUvarint(bl.key, uint64(f))
	}
	s, ok := bl.stacks[string(bl.key)]
	if !ok {
		s = bl.newStack(g)
		bl.stacks[string(bl.key)] = s
	}
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
	s := &Stack{Frames: make([]Frame, len(g.frames)), Cut: g.cut}
	for i, id := range g.frames {
		s.Frames[i] = bl.frames[id]
	}
	if g.creator >= 0 {
		s.Creator = bl.frames[g.creator]
	}
	s.finish()
	return s
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

// merge moves the stacks of others into bl. Builders number frames
// differently, so stacks are matched by value: by a hash of their frames,
// then by comparing them.
func (bl *builder) merge(others []*builder) {
	if len(others) == 0 {
		return
	}
	seed := maphash.MakeSeed()
	byHash := make(map[uint64][]*Stack, len(bl.stacks))
	for _, s := range bl.stacks {
		h := stackHash(seed, s)
		byHash[h] = append(byHash[h], s)
	}
	n := len(bl.stacks)
	for _, o := range others {
		bl.goroutines += o.goroutines
	stacks:
		for _, s := range o.stacks {
			h := stackHash(seed, s)
			for _, t := range byHash[h] {
				if sameStack(s, t) {
					t.Count += s.Count
					t.Leaked += s.Leaked
					t.Locked += s.Locked
					t.IDs.AddSet(&s.IDs)
					for _, sc := range s.States {
						t.addState(sc)
					}
					continue stacks
				}
			}
			byHash[h] = append(byHash[h], s)
			// A key no fold produces: folding is over once builders merge.
			n++
			bl.stacks["\xff"+strconv.Itoa(n)] = s
		}
	}
}

func stackHash(seed maphash.Seed, s *Stack) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	writeFrame := func(f Frame) {
		h.WriteString(f.Func)
		h.WriteByte(0)
		h.WriteString(f.File)
		maphash.WriteComparable(&h, f.Line)
	}
	writeFrame(s.Creator)
	for _, f := range s.Frames {
		writeFrame(f)
	}
	if s.Cut {
		h.WriteByte(1)
	}
	return h.Sum64()
}

// sameStack reports whether two stacks of different builders are the
// same: the same creator, frames and cut.
func sameStack(a, b *Stack) bool {
	if a.Cut != b.Cut || !sameFrame(a.Creator, b.Creator) || len(a.Frames) != len(b.Frames) {
		return false
	}
	for i := range a.Frames {
		if !sameFrame(a.Frames[i], b.Frames[i]) {
			return false
		}
	}
	return true
}

// sameFrame compares frames as the fold keys them: inlining is a property
// of the frame, not part of its identity.
func sameFrame(a, b Frame) bool {
	return a.Func == b.Func && a.File == b.File && a.Line == b.Line
}

// sortedStacks returns the stacks in their documented order: by site,
// then by frames, so that output never depends on worker scheduling.
func (bl *builder) sortedStacks() []*Stack {
	out := make([]*Stack, 0, len(bl.stacks))
	for _, s := range bl.stacks {
		sort.Slice(s.States, func(i, j int) bool { return s.States[i].State < s.States[j].State })
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return stackLess(out[i], out[j]) })
	return out
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
		out.Frames[i] = bl.frames[id]
	}
	if g.creator >= 0 {
		out.Creator = bl.frames[g.creator]
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

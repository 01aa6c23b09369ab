package diff

import (
	"hash/maphash"
	"slices"
	"strings"

	"github.com/leakscan/leakscan/internal/parse"
)

// Counted profiles (debug=1, protobuf) record no creation sites, only
// stacks. When a series also has a full dump (debug=2 or crash output),
// a counted stack is the stack of goroutines some go statement started:
// the same frames, as a counted profile prints them, in a full dump name
// its site. This file keeps those frames of every full dump's stacks, and
// maps the counted stacks to sites through them.

// shape is a stack of a full dump as a counted profile would print it.
type shape struct {
	frames []parse.Frame
	cut    bool // the full dump lost the stack's bottom or middle
	// sites counts the goroutines of the shape per line, in the latest
	// full snapshot that had it.
	sites map[lineKey]int
	seen  int
}

// A stack cut at a counted profile's depth limit (32 or 128 PCs) is
// matched by its top frames: up to maxPrefix of them, as a full dump
// prints at least the top 50 of a deep stack (Go 1.21+: 50, "...N frames
// elided...", 50; before, the top 100), and at least minPrefix, looked
// up by the hash of that many.
const (
	minPrefix = 16
	maxPrefix = 50
)

var sigSeed = maphash.MakeSeed()

// countedView returns the frames a counted profile shows of a stack: the
// goroutine's own code from the innermost frame to its entry, without the
// runtime's frames (which debug=1 hides at the top and debug=2 hides
// everywhere), wrappers and goexit.
func countedView(st *parse.Stack) []parse.Frame {
	entry := len(st.Frames) - 1
	for entry >= 0 && st.Frames[entry] != st.Entry {
		entry--
	}
	out := make([]parse.Frame, 0, entry+1)
	for _, f := range st.Frames[:entry+1] {
		if !runtimeFrame(f.Func) {
			f.Inlined = false
			out = append(out, f)
		}
	}
	return out
}

func runtimeFrame(fn string) bool {
	return strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "internal/runtime/")
}

func frameHash(frames []parse.Frame) uint64 {
	var h maphash.Hash
	h.SetSeed(sigSeed)
	for _, f := range frames {
		h.WriteString(f.Func)
		h.WriteByte(0)
		h.WriteString(f.File)
		maphash.WriteComparable(&h, f.Line)
	}
	return h.Sum64()
}

func sameFrames(a, b []parse.Frame) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Func != b[i].Func || a[i].File != b[i].File || a[i].Line != b[i].Line {
			return false
		}
	}
	return true
}

// shapes indexes the stacks of a series' full dumps.
type shapes struct {
	exact  map[uint64][]*shape
	prefix map[uint64][]*shape // by the hash of the top minPrefix frames
}

func (sh *shapes) add(st *parse.Stack, k lineKey, snapshot, count int) {
	if sh.exact == nil {
		sh.exact = make(map[uint64][]*shape)
		sh.prefix = make(map[uint64][]*shape)
	}
	frames := countedView(st)
	h := frameHash(frames)
	var s *shape
	for _, c := range sh.exact[h] {
		if sameFrames(c.frames, frames) {
			s = c
			break
		}
	}
	if s == nil {
		s = &shape{frames: frames, cut: st.Cut, sites: make(map[lineKey]int), seen: -1}
		sh.exact[h] = append(sh.exact[h], s)
		if len(frames) >= minPrefix {
			p := frameHash(frames[:minPrefix])
			sh.prefix[p] = append(sh.prefix[p], s)
		}
	}
	if s.seen != snapshot {
		s.seen = snapshot
		clear(s.sites)
	}
	s.sites[k] += count
}

// share is part of a counted stack's goroutines that goes to a site.
type share struct {
	key    lineKey
	weight int // goroutines of the stack at that site in a full dump
}

// sites returns the lines of a full dump whose goroutines have the
// counted stack frames, with how many goroutines each had in the latest
// full dump with that stack; nil when none has. A stack cut at the
// profile's depth limit matches by its top frames. One stack can be run
// by goroutines of several sites (one function started by two go
// statements): its goroutines are then shared out in those proportions.
func (sh *shapes) sites(frames []parse.Frame, cut bool) []share {
	var found *shape
	for _, c := range sh.exact[frameHash(frames)] {
		if sameFrames(c.frames, frames) {
			found = c
		}
	}
	if found == nil && cut && len(frames) >= minPrefix {
		for _, c := range sh.prefix[frameHash(frames[:minPrefix])] {
			n := min(len(frames), len(c.frames), maxPrefix)
			if sameFrames(c.frames[:n], frames[:n]) && (found == nil || c.seen > found.seen) {
				found = c
			}
		}
	}
	if found == nil {
		return nil
	}
	var out []share
	for k, c := range found.sites {
		out = append(out, share{key: k, weight: c})
	}
	slices.SortFunc(out, func(a, b share) int {
		if a.weight != b.weight {
			return b.weight - a.weight
		}
		if lineKeyLess(a.key, b.key) {
			return -1
		}
		return 1
	})
	return out
}

// apportion splits n in proportion to weights, by largest remainder, the
// earlier weights first on a tie: the parts add up to n.
func apportion(n int, weights []int) []int {
	total := 0
	for _, w := range weights {
		total += w
	}
	out := make([]int, len(weights))
	if total == 0 {
		out[0] = n
		return out
	}
	type rem struct{ i, r int }
	rems := make([]rem, len(weights))
	given := 0
	for i, w := range weights {
		out[i] = n * w / total
		given += out[i]
		rems[i] = rem{i, n * w % total}
	}
	slices.SortStableFunc(rems, func(a, b rem) int { return b.r - a.r })
	for j := 0; given < n; j++ {
		out[rems[j%len(rems)].i]++
		given++
	}
	return out
}

func lineKeyLess(a, b lineKey) bool {
	if a.site != b.site {
		return parse.SiteLess(a.site, b.site)
	}
	if a.entry != b.entry {
		return a.entry < b.entry
	}
	return a.benign < b.benign
}

// Unmapped returns how many goroutines of a counted snapshot have stacks
// that no full dump added so far has, leaving out the ignored and the
// benign ones (a dump's own writer differs between formats): the
// goroutines whose creation site the series cannot name. A full snapshot
// has none.
func (s *Series) Unmapped(snap *parse.Snapshot) int {
	if snap.Format.HasIDs() {
		return 0
	}
	n := 0
	for _, st := range snap.Stacks {
		if s.ignore(st) || !s.filter.IncludeBenign && Benign(st) != "" {
			continue
		}
		if len(s.shapes.sites(countedView(st), st.Cut)) == 0 {
			n += st.Count
		}
	}
	return n
}

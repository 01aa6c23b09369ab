package parse

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
)

// record is one goroutine as a parser read it, for the committer.
type record struct {
	st      *Stack // in the parser's builder
	id      uint64
	state   string
	minutes int
	line    int    // of its header: in its unit, absolute once committed
	cause   string // the first crash cause line since the goroutine before
	leaked  bool
	locked  bool
	// head marks a goroutine that may begin a dump: the first after text
	// outside blocks, or a running one with a stack (the writer of a
	// debug=2 dump).
	head bool
}

// cause is a crash cause line ("panic: ...") read before record at.
type cause struct {
	at, line int
	text     string
}

// unitResult is what a parser read in one unit of traceback text.
type unitResult struct {
	seq          int
	lines        int
	records      []record
	causes       []cause
	warns        []warning // at most maxWarnings, lines within the unit
	nwarn        int
	trailingText bool // text outside blocks after the last goroutine
	sawHeader    bool
	truncated    bool // the input ends here, inside a goroutine or a line
	truncWhat    string
	truncLine    int
}

// recordPool recycles the records of committed units.
var recordPool = sync.Pool{New: func() any { return new([]record) }}

// sinceMax bounds how far back a second dump's start is looked for: the
// goroutines since the last head are kept, up to this many.
const sinceMax = 4096

// A committer folds the records of units into the snapshot in input
// order, whichever worker read them, so that the snapshot never depends
// on how the input was cut or scheduled. In that order it also sees the
// ids repeat where a second dump of the same process begins, keeps the
// first warnings, and applies the limit on distinct stacks.
type committer struct {
	ctx       context.Context
	maxStacks int
	shared    bool // stacks come from several builders: match them by value
	table     stackTable
	tokens    chan struct{} // one per unit taken and not committed (may be nil)

	mu      sync.Mutex
	err     error
	stop    chan struct{} // closed with the first error: nothing waits for a commit then
	next    int
	waiting map[int]*unitResult

	stacks     []*Stack // every stack of the snapshot, current dump or not
	gen        uint32   // the current dump
	ids        seenIDs  // ids of the current dump
	goroutines int
	lines      int // lines before the next unit
	warns      []warning
	nwarn      int
	sawHeader  bool
	truncated  bool
	truncWhat  string
	truncLine  int
	folded     int

	pendingHead  bool   // the next goroutine follows text outside blocks
	pendingCause string // a cause line since the last goroutine
	dumpCause    string
	since        []record // the current dump's goroutines since its last head
	sinceOK      bool     // since holds them all
	dumps        int      // dumps before the current one
	dumpLine     int      // where the current dump begins, when dumps > 0
	repeat       record   // the goroutine whose id repeated
}

func newCommitter(ctx context.Context, maxStacks int, shared bool, lines0 int) *committer {
	return &committer{
		ctx: ctx, maxStacks: maxStacks, shared: shared, lines: lines0,
		waiting: make(map[int]*unitResult), gen: 1, sinceOK: true, stop: make(chan struct{}),
	}
}

// submit commits r, and every unit after it that was waiting for it.
func (c *committer) submit(r *unitResult) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	c.waiting[r.seq] = r
	for {
		u := c.waiting[c.next]
		if u == nil {
			break
		}
		delete(c.waiting, c.next)
		c.next++
		c.apply(u)
		if c.tokens != nil {
			<-c.tokens
		}
		if c.err != nil {
			return c.err
		}
	}
	return nil
}

// fail records the first error of a reader or worker.
func (c *committer) fail(err error) {
	c.mu.Lock()
	c.setErr(err)
	c.mu.Unlock()
}

// setErr records the first error; c.mu is held.
func (c *committer) setErr(err error) {
	if c.err == nil {
		c.err = err
		close(c.stop)
	}
}

// take waits until fewer than a few units wait to be committed, and
// holds a place for one more; it fails once the read failed.
func (c *committer) take() error {
	select {
	case c.tokens <- struct{}{}:
		return nil
	case <-c.stop:
		return c.failed()
	case <-c.ctx.Done():
		return c.ctx.Err()
	}
}

func (c *committer) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *committer) apply(u *unitResult) {
	base := c.lines
	ci := 0
	for i := range u.records {
		for ; ci < len(u.causes) && u.causes[ci].at <= i; ci++ {
			c.cause(u.causes[ci].text)
		}
		r := u.records[i]
		r.line += base
		if c.pendingHead {
			r.head, c.pendingHead = true, false
		}
		r.cause, c.pendingCause = c.pendingCause, ""
		c.fold(r)
		if c.folded++; c.folded%4096 == 0 {
			if err := c.ctx.Err(); err != nil {
				c.setErr(err)
			}
		}
		if c.err != nil {
			return
		}
	}
	for ; ci < len(u.causes); ci++ {
		c.cause(u.causes[ci].text)
	}
	for _, w := range u.warns {
		if len(c.warns) < maxWarnings {
			c.warns = append(c.warns, warning{base + w.line, w.msg})
		}
	}
	c.nwarn += u.nwarn
	c.lines += u.lines
	clear(u.records)
	recs := u.records[:0]
	recordPool.Put(&recs)
	u.records = nil
	if u.trailingText {
		c.pendingHead = true
	}
	c.sawHeader = c.sawHeader || u.sawHeader
	if u.truncated {
		c.truncated, c.truncWhat, c.truncLine = true, u.truncWhat, base+u.truncLine
	}
}

func (c *committer) cause(text string) {
	if c.pendingCause == "" {
		c.pendingCause = text
	}
}

// fold counts r in the current dump, or starts a new dump when r's id is
// already in it: a second dump of the same process repeats the ids of
// the goroutines that are still alive. The new dump starts at the last
// head before r if there is one within reach, else at r.
func (c *committer) fold(r record) {
	if r.head {
		c.since, c.sinceOK = c.since[:0], true
	}
	if !c.ids.insert(r.id) {
		c.newDump(r)
		return
	}
	if c.sinceOK {
		if len(c.since) < sinceMax {
			c.since = append(c.since, r)
		} else {
			c.since, c.sinceOK = c.since[:0], false
		}
	}
	c.count(r)
}

func (c *committer) newDump(r record) {
	start := len(c.since)
	if c.sinceOK {
		start = 0
		for i, s := range c.since {
			if s.id == r.id {
				start = i + 1 // the new dump cannot hold the id twice
			}
		}
	}
	replay := append(append([]record(nil), c.since[start:]...), r)
	c.dumps++
	c.gen++
	c.ids = seenIDs{}
	c.goroutines = 0
	c.dumpCause = ""
	c.dumpLine, c.repeat = replay[0].line, r
	c.since, c.sinceOK = replay, true
	for _, s := range replay {
		c.ids.insert(s.id)
		c.count(s)
	}
}

// count adds r to its stack of the snapshot.
func (c *committer) count(r record) {
	if c.dumpCause == "" {
		c.dumpCause = r.cause
	}
	s := c.global(r.st)
	if s == nil {
		return
	}
	if s.gen != c.gen {
		s.gen = c.gen
		s.Count, s.Leaked, s.Locked, s.States, s.IDs = 0, 0, 0, s.States[:0], IDSet{}
	}
	c.goroutines++
	s.Count++
	if r.leaked {
		s.Leaked++
	}
	if r.locked {
		s.Locked++
	}
	s.IDs.Add(r.id)
	state := r.state
	if state == "semacquire" {
		state = s.sema
	}
	s.addState(StateCount{State: state, Count: 1, MaxMinutes: r.minutes, Over1m: b2i(r.minutes >= 1), Over10m: b2i(r.minutes >= 10)})
}

// global returns the snapshot's stack for a parser's stack: with several
// builders, the first of the equal stacks to be committed.
func (c *committer) global(ws *Stack) *Stack {
	if ws.global != nil {
		return ws.global
	}
	if c.shared {
		if s := c.table.find(ws); s != nil {
			ws.global = s
			return s
		}
		c.table.add(ws)
	}
	ws.global = ws
	c.stacks = append(c.stacks, ws)
	if c.maxStacks > 0 && len(c.stacks) > c.maxStacks {
		c.setErr(fmt.Errorf("%w: more than %d", ErrTooManyStacks, c.maxStacks))
		return nil
	}
	return ws
}

// snapshot returns what was committed; total is the size of the text.
func (c *committer) snapshot(total int64) *Snapshot {
	snap := &Snapshot{Format: FormatDebug2, Profile: "goroutine", Goroutines: c.goroutines, sawHeader: c.sawHeader}
	if c.dumpCause == "" {
		c.dumpCause = c.pendingCause
	}
	if c.dumpCause != "" {
		snap.Format, snap.Cause = FormatCrash, c.dumpCause
	}
	for _, w := range c.warns {
		snap.Warnings = append(snap.Warnings, fmt.Sprintf("line %d: %s", w.line, w.msg))
	}
	if more := c.nwarn - len(c.warns); more > 0 {
		snap.Warnings = append(snap.Warnings, fmt.Sprintf("%d more warnings not shown", more))
	}
	if c.dumps > 0 {
		snap.EarlierDumps = c.dumps
		snap.Warnings = append(snap.Warnings, fmt.Sprintf(
			"line %d: goroutine %d appears again: the input holds %d dumps; only the last, from line %d, is read",
			c.repeat.line, c.repeat.id, c.dumps+1, c.dumpLine))
	}
	nearLimit := total >= dumpLimit-dumpMargin && total <= dumpLimit+dumpMargin
	switch {
	case c.truncated:
		snap.Truncated = true
		why := "truncated"
		if nearLimit {
			why = "truncated: the runtime cuts debug=2 dumps at 64 MiB"
		}
		snap.Warnings = append(snap.Warnings, fmt.Sprintf("line %d: %s (%s)", c.truncLine, c.truncWhat, why))
	case total == dumpLimit && snap.Format == FormatDebug2:
		snap.Truncated = true
		snap.Warnings = append(snap.Warnings, "input is exactly 64 MiB, where the runtime cuts debug=2 dumps: goroutines may be missing")
	}
	stacks := c.stacks[:0]
	for _, s := range c.stacks {
		if s.gen == c.gen && s.Count > 0 {
			stacks = append(stacks, s)
		}
	}
	sortStacks(stacks)
	snap.Stacks = stacks
	return snap
}

// seenIDs is the set of the ids of a dump, which every goroutine is
// checked against: a bitmap for the ids below 2^22 (512 KiB at most),
// which most programs never pass, and an IDSet for the others.
type seenIDs struct {
	bits []uint64
	big  IDSet
}

const seenBitmap = 1 << 22

// insert adds id and reports whether it was new.
func (s *seenIDs) insert(id uint64) bool {
	if id >= seenBitmap {
		return s.big.insert(id)
	}
	w := int(id >> 6)
	if w >= len(s.bits) {
		s.bits = append(s.bits, make([]uint64, max(w+1, 2*len(s.bits), 64)-len(s.bits))...)
	}
	b := uint64(1) << (id & 63)
	if s.bits[w]&b != 0 {
		return false
	}
	s.bits[w] |= b
	return true
}

// dumpMargin is how far from 64 MiB an input may be for a cut to be
// blamed on the runtime's limit (a line end converted, a newline added).
const dumpMargin = 64 << 10

// ErrTooManyStacks is returned (wrapped) when the input has more distinct
// stacks than Options.MaxStacks.
var ErrTooManyStacks = errors.New("too many distinct stacks")

// stackTable finds a stack of another builder by value: its frames,
// creator and cut.
type stackTable struct {
	seed  maphash.Seed
	slots []stackEntry
	n     int
}

type stackEntry struct {
	hash uint64
	s    *Stack
}

func (t *stackTable) hash(s *Stack) uint64 {
	var h maphash.Hash
	h.SetSeed(t.seed)
	write := func(f Frame) {
		h.WriteString(f.Func)
		h.WriteByte(0)
		h.WriteString(f.File)
		maphash.WriteComparable(&h, f.Line)
		if f.Inlined {
			h.WriteByte(1)
		}
	}
	write(s.Creator)
	for _, f := range s.Frames {
		write(f)
	}
	if s.Cut {
		h.WriteByte(2)
	}
	return h.Sum64()
}

func (t *stackTable) find(s *Stack) *Stack {
	if t.n == 0 {
		return nil
	}
	h := t.hash(s)
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; t.slots[i].s != nil; i = (i + 1) & mask {
		if e := t.slots[i]; e.hash == h && sameStack(e.s, s) {
			return e.s
		}
	}
	return nil
}

func (t *stackTable) add(s *Stack) {
	if t.slots == nil {
		t.seed = maphash.MakeSeed()
	}
	t.n++
	if 2*t.n > len(t.slots) {
		old := t.slots
		t.slots = make([]stackEntry, tableSize(t.n))
		for _, e := range old {
			if e.s != nil {
				t.place(e)
			}
		}
	}
	t.place(stackEntry{t.hash(s), s})
}

func (t *stackTable) place(e stackEntry) {
	mask := uint64(len(t.slots) - 1)
	i := e.hash & mask
	for t.slots[i].s != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = e
}

// sameStack reports whether two stacks of different builders are the
// same: the same creator, frames and cut.
func sameStack(a, b *Stack) bool {
	if a.Cut != b.Cut || a.Creator != b.Creator || len(a.Frames) != len(b.Frames) {
		return false
	}
	for i := range a.Frames {
		if a.Frames[i] != b.Frames[i] {
			return false
		}
	}
	return true
}

package synth

import (
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Config describes a dump. Zero fields other than Goroutines take the
// documented defaults.
type Config struct {
	// Goroutines is the number of goroutines in the dump, at least 1: the
	// dumping goroutine, goroutine 1 (main.main), then Goroutines-2 others
	// spread over the sites.
	Goroutines int
	// Sites is the number of creation sites (go statements) the other
	// goroutines come from; 0 means 200. A few sites are spawner wrappers
	// (sync.(*WaitGroup).Go, errgroup, time.AfterFunc) whose "created by"
	// line is the same for all of them, as in real dumps, so Truth can have
	// fewer sites than this.
	Sites int
	// Seed selects the dump; the same Config always gives the same bytes.
	Seed int64
	// MinFrames and MaxFrames bound the depth of the user stacks; 0 means 5
	// and 40. Library goroutines keep their real depth, and a few small
	// sites (rank >= Sites/2, one in 16) recurse 110 to 300 frames deep so
	// that the runtime's elision shows.
	MinFrames, MaxFrames int
	// Go121 prints as Go 1.21 and later do (the details follow Go 1.26):
	// "created by F in goroutine N", "...N frames elided..." between the
	// first and last 50 frames, internal/sync mutex frames, wg.Go sites and
	// randomised heap addresses. Otherwise the dump looks like Go 1.20's:
	// "created by F", at most 100 frames then "...additional frames
	// elided...".
	Go121 bool
	// FirstID is the id of the first goroutine after goroutine 1; 0 means 6
	// (1 is main, 2 to 5 are runtime goroutines that debug=2 hides). Later
	// ids rise with gaps.
	FirstID uint64
}

// Truth is what a correct parser must find in a dump.
type Truth struct {
	// Goroutines is the number of "goroutine N [...]:" headers.
	Goroutines int
	// Sites counts the goroutines by the "created by" line: every goroutine
	// but goroutine 1 has one.
	Sites map[Site]int
}

// Site is a creation site: the function that ran the go statement, without
// " in goroutine N", and the file and line of the go statement.
type Site struct {
	Func, File string
	Line       int
}

// Change says how the second snapshot of WritePair differs from the first.
// Goroutines of a site that is neither growing nor shrinking churn: a few
// exit and about as many new ones start.
type Change struct {
	Grow          int // sites that gain goroutines
	Shrink        int // sites that lose goroutines
	GrowPercent   int // goroutines a growing site gains, in percent of its count (at least 1)
	ShrinkPercent int // goroutines of a shrinking site that exit, in percent
	ChurnPercent  int // goroutines of other sites that exit and are replaced, in percent
	Minutes       int // minutes between the snapshots: wait times of survivors grow by this
}

// DefaultChange is a typical pair five minutes apart: five sites leak,
// five drain.
var DefaultChange = Change{Grow: 5, Shrink: 5, GrowPercent: 50, ShrinkPercent: 50, ChurnPercent: 2, Minutes: 5}

// Write writes the dump described by c to w and returns its truth. Memory
// use depends on c.Sites and the stack depths, not on c.Goroutines.
func Write(w io.Writer, c Config) (Truth, error) {
	g, err := newGen(c)
	if err != nil {
		return Truth{}, err
	}
	return g.writeA(w)
}

// WritePair writes two snapshots of one process: a is exactly what Write
// writes for c; b is taken ch.Minutes later. In b, ch.Grow sites (chosen by
// the seed among all sites) have gained ch.GrowPercent more goroutines,
// ch.Shrink other sites have lost ch.ShrinkPercent of theirs, and the rest
// churn by ch.ChurnPercent. Goroutines that live on keep their id, stack,
// arguments and parent, and their place in allgs order; new goroutines get
// ids above every id of a, partly in slots freed by exited goroutines (the
// runtime reuses g structs) and the rest at the end. a is written
// completely before b.
func WritePair(a, b io.Writer, c Config, ch Change) (Truth, Truth, error) {
	g, err := newGen(c)
	if err != nil {
		return Truth{}, Truth{}, err
	}
	if ch.Grow < 0 || ch.Shrink < 0 || ch.Grow+ch.Shrink > len(g.sites) {
		return Truth{}, Truth{}, fmt.Errorf("synth: Grow %d + Shrink %d must be at most Sites %d", ch.Grow, ch.Shrink, len(g.sites))
	}
	if ch.GrowPercent < 0 || ch.ShrinkPercent < 0 || ch.ShrinkPercent > 100 || ch.ChurnPercent < 0 || ch.ChurnPercent > 100 || ch.Minutes < 0 {
		return Truth{}, Truth{}, fmt.Errorf("synth: bad Change %+v", ch)
	}
	ta, err := g.writeA(a)
	if err != nil {
		return ta, Truth{}, err
	}
	tb, err := g.writeB(b, ch)
	return ta, tb, err
}

// desc is one goroutine to print.
type desc struct {
	id, parent uint64
	argSeed    uint64 // seeds the argument values
	site       int32  // index into gen.sites
	stack      int16
	runnable   bool
	age        int32 // minutes since creation
	minutes    int32 // wait minutes printed in the header
}

type gen struct {
	c        Config
	sites    []site // by rank: site 0 has the most goroutines
	counts   []int  // goroutines per site in the first snapshot
	dumper   site
	main     site
	heapBase uint64
	uptime   int // minutes the process has been running at the first snapshot
}

func newGen(c Config) (*gen, error) {
	if c.Goroutines < 1 {
		return nil, errors.New("synth: Goroutines must be at least 1")
	}
	if c.Sites == 0 {
		c.Sites = 200
	}
	if c.MinFrames == 0 {
		c.MinFrames = 5
	}
	if c.MaxFrames == 0 {
		c.MaxFrames = 40
	}
	if c.FirstID == 0 {
		c.FirstID = 6
	}
	switch {
	case c.Sites < 1:
		return nil, fmt.Errorf("synth: Sites %d must be positive", c.Sites)
	case c.MinFrames < 1 || c.MaxFrames < c.MinFrames:
		return nil, fmt.Errorf("synth: need 1 <= MinFrames %d <= MaxFrames %d", c.MinFrames, c.MaxFrames)
	case c.FirstID < 2 || c.FirstID > 1<<62:
		return nil, fmt.Errorf("synth: FirstID %d must be in [2, 2^62] (1 is main)", c.FirstID)
	}
	g := &gen{c: c}
	r := newRNG(c.Seed, 1)
	g.uptime = r.between(45, 2880)
	if c.Go121 {
		g.heapBase = 0x200000000000 | (r.next()&0xfffff)<<24
	} else {
		g.heapBase = 0xc000000000
	}
	m := newModule(&r, max(4, c.Sites/3))
	// Stack depths lean to the shallow end (mean a third of the way up);
	// the largest sites get about the mean so that the dump's size (2.4 KB
	// per goroutine with the defaults) does not swing with the seed.
	rank := 0
	depth := func() int {
		a := r.intn(1001)
		if rank < 3 {
			a = r.between(480, 600)
		}
		return c.MinFrames + (c.MaxFrames-c.MinFrames)*a*a/1_000_000
	}
	canned := cannedSites(m.frames, c.Go121)
	byRank := map[int]site{}
	for i, rank := range cannedRanks {
		if rank < c.Sites && len(canned[i].stacks[0].frames) <= c.MaxFrames {
			byRank[rank] = canned[i]
		}
	}
	for rank = range c.Sites {
		if s, ok := byRank[rank]; ok {
			g.sites = append(g.sites, s)
			continue
		}
		deep := rank >= c.Sites/2 && rank%16 == 5
		s := m.userSite(&r, c.Go121, depth, deep, rank%11 == 6)
		if rank < 2 {
			s.leaky = true // the big leaks
		}
		if s.parentMode == parentFixed {
			s.parentID = 1
			if r.permille(700) {
				s.parentID = c.FirstID + uint64(r.intn(200))
			}
		}
		g.sites = append(g.sites, s)
	}
	g.dumper = dumperSite(m.frames)
	g.main = mainSite(m.frames, c.Go121, m.mainDir)
	g.counts = zipf(max(c.Goroutines-2, 0), c.Sites)
	return g, nil
}

// zipf splits n over k ranks in proportion to 1/(rank+1), exactly, with
// integer arithmetic only.
func zipf(n, k int) []int {
	w := make([]int, k)
	total := 0
	for i := range w {
		w[i] = 1_000_000_000 / (i + 1)
		total += w[i]
	}
	counts := make([]int, k)
	left := n
	for i := range w {
		counts[i] = n * w[i] / total
		left -= counts[i]
	}
	for i := 0; left > 0; i = (i + 1) % k {
		counts[i]++
		left--
	}
	return counts
}

// idSeq hands out goroutine ids in creation order: rising, with gaps where
// short-lived goroutines came and went.
type idSeq struct {
	r    rng
	next uint64
}

func (q *idSeq) take() uint64 {
	id := q.next
	q.next++
	switch u := q.r.intn(1000); {
	case u < 650:
	case u < 950:
		q.next += uint64(q.r.between(1, 8))
	case u < 998:
		q.next += uint64(q.r.between(9, 200))
	default:
		q.next += uint64(q.r.between(200, 5000))
	}
	return id
}

// last returns the id the n-th take would return, without taking.
func (q idSeq) last(n int) uint64 {
	id := q.next - 1
	for range n {
		id = q.take()
	}
	return id
}

// window prints goroutines roughly in creation order: allgs order, where a
// recycled g struct puts a newer goroutine before older ones.
type window struct {
	buf [16]desc
	n   int
}

func (w *window) full() bool  { return w.n == len(w.buf) }
func (w *window) push(d desc) { w.buf[w.n] = d; w.n++ }
func (w *window) empty() bool { return w.n == 0 }
func (w *window) pop(r *rng) desc {
	i := 0
	if r.permille(120) {
		i = r.intn(w.n)
	}
	d := w.buf[i]
	copy(w.buf[i:w.n], w.buf[i+1:w.n])
	w.n--
	return d
}

// stream generates the goroutines of the first snapshot in print order.
type stream struct {
	g    *gen
	r    rng
	ids  idSeq
	fw   *fenwick
	n, k int // goroutines to create, created so far
	win  window
}

func (g *gen) stream() *stream {
	return &stream{
		g:   g,
		r:   newRNG(g.c.Seed, 2),
		ids: idSeq{r: newRNG(g.c.Seed, 3), next: g.c.FirstID},
		fw:  newFenwick(g.counts),
		n:   max(g.c.Goroutines-2, 0),
	}
}

func (s *stream) next() (desc, bool) {
	for !s.win.full() && s.fw.total > 0 {
		si := s.fw.take(s.r.intn(s.fw.total))
		age := s.g.uptime * (s.n - s.k) / s.n
		s.win.push(s.g.create(&s.r, si, s.ids.take(), age))
		s.k++
	}
	if s.win.empty() {
		return desc{}, false
	}
	return s.win.pop(&s.r), true
}

// create draws a goroutine of site si.
func (g *gen) create(r *rng, si int, id uint64, age int) desc {
	st := &g.sites[si]
	d := desc{id: id, site: int32(si), age: int32(age), argSeed: r.next()}
	u := r.intn(st.totalW)
	for i, s := range st.stacks {
		if u < s.weight {
			d.stack = int16(i)
			break
		}
		u -= s.weight
	}
	d.minutes = int32(waitMinutes(r, st, age))
	d.runnable = !st.leaky && r.permille(3)
	switch st.parentMode {
	case parentFixed:
		d.parent = st.parentID
	case parentRandom:
		d.parent = 1
		if id > g.c.FirstID {
			d.parent = g.c.FirstID + r.next()%(id-g.c.FirstID)
		}
	}
	return d
}

// waitMinutes draws the ", N minutes" of a goroutine created age minutes
// ago: a leaked goroutine has waited since its creation, others mostly for
// less than a minute (not printed).
func waitMinutes(r *rng, st *site, age int) int {
	if st.leaky {
		return max(age-r.intn(2), 0)
	}
	if age == 0 || !r.permille(150) {
		return 0
	}
	return r.between(1, min(age, 30))
}

// out batches writes and tracks the truth.
type out struct {
	w     io.Writer
	buf   []byte
	err   error
	truth Truth
}

const flushAt = 64 << 10

func newOut(w io.Writer) *out {
	return &out{w: w, buf: make([]byte, 0, flushAt+64<<10), truth: Truth{Sites: map[Site]int{}}}
}

func (o *out) flush() {
	if o.err == nil && len(o.buf) > 0 {
		_, o.err = o.w.Write(o.buf)
	}
	o.buf = o.buf[:0]
}

// goroutine prints d of site st; every block but the first is preceded by
// an empty line.
func (o *out) goroutine(g *gen, st *site, d *desc) {
	if o.truth.Goroutines > 0 {
		o.buf = append(o.buf, '\n')
	}
	o.buf = g.appendGoroutine(o.buf, st, d)
	o.truth.Goroutines++
	if len(o.buf) >= flushAt {
		o.flush()
	}
}

// writeA writes the first snapshot.
func (g *gen) writeA(w io.Writer) (Truth, error) {
	o := newOut(w)
	s := g.stream()
	r := newRNG(g.c.Seed, 4)
	dumperID := s.ids.last(s.n) + uint64(r.between(1, 40))
	counts := make([]int, len(g.sites))
	g.writeHead(o, &r, dumperID, g.uptime)
	for d, ok := s.next(); ok && o.err == nil; d, ok = s.next() {
		o.goroutine(g, &g.sites[d.site], &d)
		counts[d.site]++
	}
	return g.finish(o, counts)
}

// writeHead prints the dumping goroutine and goroutine 1.
func (g *gen) writeHead(o *out, r *rng, dumperID uint64, uptime int) {
	d := desc{id: dumperID, parent: 1, argSeed: r.next()}
	o.goroutine(g, &g.dumper, &d)
	o.truth.Sites[g.dumper.key]++
	if g.c.Goroutines >= 2 {
		d = desc{id: 1, argSeed: r.next(), minutes: int32(uptime)}
		o.goroutine(g, &g.main, &d)
	}
}

func (g *gen) finish(o *out, counts []int) (Truth, error) {
	o.flush()
	for i, n := range counts {
		if n > 0 {
			o.truth.Sites[g.sites[i].key] += n
		}
	}
	if o.err != nil {
		return o.truth, fmt.Errorf("synth: write: %w", o.err)
	}
	return o.truth, nil
}

// writeB writes the second snapshot of WritePair by replaying the first.
func (g *gen) writeB(w io.Writer, ch Change) (Truth, error) {
	r := newRNG(g.c.Seed, 5)
	const (
		stable = iota
		grow
		shrink
	)
	role := make([]int, len(g.sites))
	perm := make([]int, len(g.sites))
	for i := range perm {
		j := r.intn(i + 1)
		perm[i], perm[j] = perm[j], i
	}
	for i, si := range perm[:ch.Grow+ch.Shrink] {
		role[si] = grow
		if i >= ch.Grow {
			role[si] = shrink
		}
	}
	fresh := make([]int, len(g.sites)) // new goroutines per site
	for i, n := range g.counts {
		switch role[i] {
		case grow:
			fresh[i] = max(n*ch.GrowPercent/100, 1)
		case stable:
			fresh[i] = n * ch.ChurnPercent / 100
		}
	}
	fw := newFenwick(fresh)
	m := fw.total

	s := g.stream()
	maxA := s.ids.last(s.n)
	ids := idSeq{r: newRNG(g.c.Seed, 6), next: maxA + uint64(r.between(50, 500))}
	dumperID := max(ids.last(m), maxA) + uint64(r.between(1, 40))
	uptime := g.uptime + ch.Minutes

	o := newOut(w)
	counts := make([]int, len(g.sites))
	g.writeHead(o, &r, dumperID, uptime)
	made := 0
	create := func() desc {
		si := fw.take(r.intn(fw.total))
		age := ch.Minutes * (m - made) / m
		made++
		return g.create(&r, si, ids.take(), age)
	}
	emit := func(d *desc) {
		o.goroutine(g, &g.sites[d.site], d)
		counts[d.site]++
	}
	for d, ok := s.next(); ok && o.err == nil; d, ok = s.next() {
		st := &g.sites[d.site]
		exit := 0
		switch role[d.site] {
		case stable:
			exit = ch.ChurnPercent * 10
		case shrink:
			exit = ch.ShrinkPercent * 10
		}
		if !r.permille(exit) {
			d.age += int32(ch.Minutes)
			if st.leaky {
				d.minutes += int32(ch.Minutes)
			} else {
				d.minutes = int32(waitMinutes(&r, st, int(d.age)))
			}
			emit(&d)
		} else if fw.total > 0 && r.permille(300) {
			n := create()
			emit(&n)
		}
	}
	var win window
	for o.err == nil {
		for !win.full() && fw.total > 0 {
			win.push(create())
		}
		if win.empty() {
			break
		}
		d := win.pop(&r)
		emit(&d)
	}
	return g.finish(o, counts)
}

// appendGoroutine appends the block of goroutine d of site st, without the
// separating empty line.
func (g *gen) appendGoroutine(b []byte, st *site, d *desc) []byte {
	stk := &st.stacks[d.stack]
	b = append(b, "goroutine "...)
	b = strconv.AppendUint(b, d.id, 10)
	b = append(b, " ["...)
	if d.runnable {
		b = append(b, "runnable"...)
	} else {
		b = append(b, stk.state...)
		if d.minutes > 0 {
			b = append(b, ", "...)
			b = strconv.AppendInt(b, int64(d.minutes), 10)
			b = append(b, " minutes"...)
		}
	}
	if st.locked {
		b = append(b, ", locked to thread"...)
	}
	b = append(b, "]:\n"...)

	ar := rng{s: d.argSeed}
	fr := stk.frames
	switch {
	case len(fr) <= 100:
		b = g.appendFrames(b, &ar, fr)
	case g.c.Go121: // traceback.go: tracebackInnerFrames, tracebackOuterFrames
		b = g.appendFrames(b, &ar, fr[:50])
		b = append(b, "..."...)
		b = strconv.AppendInt(b, int64(len(fr)-100), 10)
		b = append(b, " frames elided...\n"...)
		b = g.appendFrames(b, &ar, fr[len(fr)-50:])
	default: // _TracebackMaxFrames
		b = g.appendFrames(b, &ar, fr[:100])
		b = append(b, "...additional frames elided...\n"...)
	}
	if st.created != nil {
		b = append(b, st.created...)
		if g.c.Go121 && d.parent != 0 {
			b = append(b, " in goroutine "...)
			b = strconv.AppendUint(b, d.parent, 10)
		}
		b = append(b, st.createdLoc...)
	}
	return b
}

func (g *gen) appendFrames(b []byte, r *rng, frames []frame) []byte {
	for i := range frames {
		f := &frames[i]
		b = append(b, f.head...)
		for j, t := range f.args {
			if j > 0 {
				b = append(b, ", "...)
			}
			b = g.appendArg(b, r, t)
		}
		b = append(b, f.tail...)
	}
	return b
}

func (g *gen) appendArg(b []byte, r *rng, t argTok) []byte {
	switch t.kind {
	case aPtr:
		return g.appendPtr(b, r)
	case aStale:
		return append(g.appendPtr(b, r), '?')
	case aInt:
		return appendHex(b, smallInt(r))
	case aZero:
		return append(b, "0x0?"...)
	case aMmap:
		return appendHex(b, 0x7f0000000000|r.next()&0xfffffffff8)
	case aStr:
		b = append(b, '{')
		b = appendHex(b, rodata(r))
		b = append(b, ", "...)
		b = appendHex(b, smallInt(r))
		return append(b, '}')
	case aSlice:
		b = append(b, '{')
		b = g.appendPtr(b, r)
		n := uint64(1) << (r.next() % 14)
		b = append(b, ", "...)
		b = appendHex(b, n)
		b = append(b, ", "...)
		b = appendHex(b, n)
		return append(b, '}')
	case aIface:
		b = append(b, '{')
		b = appendHex(b, rodata(r))
		b = append(b, ", "...)
		b = g.appendPtr(b, r)
		return append(b, '}')
	case aEmpty:
		return append(b, "{}"...)
	case aMore:
		return append(b, "..."...)
	case aLit:
		return append(b, t.lit...)
	}
	panic("synth: unknown argument token " + string(t.kind))
}

func (g *gen) appendPtr(b []byte, r *rng) []byte {
	return appendHex(b, g.heapBase+r.next()&0xffffff8)
}

// smallInt is a length, count or flag: mostly tiny.
func smallInt(r *rng) uint64 {
	v := r.next()
	return (v & 0x3f) >> (v >> 62 * 2)
}

// rodata is an address in the binary's read-only data (type descriptors,
// string constants).
func rodata(r *rng) uint64 { return 0x400000 + r.next()%0xc00000 }

func appendHex(b []byte, v uint64) []byte {
	b = append(b, "0x"...)
	return strconv.AppendUint(b, v, 16)
}

package diff

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/leakscan/leakscan/internal/parse"
)

// Filter decides which goroutines a Series looks at, and how it keys them.
type Filter struct {
	// Ignore drops goroutines whose creator or any frame's function
	// matches one of the expressions.
	Ignore []*regexp.Regexp
	// IncludeBenign treats goroutines that Benign knows as ordinary ones;
	// otherwise they are counted apart and kept out of verdicts and gates.
	IncludeBenign bool
	// Spawners name functions of the program that start goroutines for
	// their callers (a "startGoRoutine(f func())"): goroutines created
	// by a matching function are keyed by the function they were given,
	// as for the built-in list in package parse. Helpers are also found
	// from the dumps themselves (see spawnerMin).
	Spawners []*regexp.Regexp
	// SplitRestarts analyses only the snapshots since the target last
	// restarted (watch, trend); otherwise a restart is noted and
	// survival is unknown (diff).
	SplitRestarts bool
}

// Meta is what a Series keeps of a snapshot besides its sites.
type Meta struct {
	Source     string
	Format     parse.Format
	Profile    string
	Time       time.Time // zero when unknown
	Goroutines int       // every goroutine of the input
	Ignored    int       // goroutines dropped by Filter.Ignore
	Cause      string
	Truncated  bool
	Warnings   []string
	// Restart is set on the first snapshot of a process other than the
	// one before it: goroutine ids started over (see Series.Add).
	Restart bool
}

// ErrOutOfOrder is returned (wrapped) by Add for a snapshot taken before
// the one added last.
var ErrOutOfOrder = errors.New("snapshots out of order")

// Series follows creation sites across snapshots of one process, added
// in the order they were taken.
type Series struct {
	filter Filter
	metas  []Meta
	start  int // the first snapshot of the process analysed
	lines  map[lineKey]*line
	// ignored caches Filter.Ignore per function name, so the expressions
	// run once per distinct function rather than per frame.
	ignored map[string]bool
	// prev holds the ids of the snapshot added last, all and by site,
	// to tell a restart (see restarted).
	prev       parse.IDSet
	prevBySite map[parse.Site]*parse.IDSet
	prevIDs    bool // the snapshot added last has ids
	notes      []string
	// shapes are the stacks of the full dumps, to map the stacks of
	// counted profiles to sites (mapping.go).
	shapes shapes
}

// lineKey is the finest grouping a Series keeps: a site, split by what
// the Result may regroup by (entry function for mixed formats, callee for
// spawning helpers) and by benign reason.
type lineKey struct {
	site   parse.Site
	entry  string
	callee string
	benign string
	// sig tells apart the stacks of a counted profile, which are mapped
	// to sites one by one (see Result).
	sig uint64
}

type line struct {
	key     lineKey
	creator parse.Frame
	entry   parse.Frame
	callee  parse.Frame
	cut     bool
	// frames is the stack of a line of a counted profile, as countedView
	// gives it; nil for lines of full dumps.
	frames []parse.Frame
	// stack is the stack with the most goroutines of the line in
	// snapshot seen (stackCount of them): the one a reader looks at.
	stack      []parse.Frame
	stackCount int
	counts     []int // per snapshot
	leaked     []int
	seen       int // the latest snapshot with goroutines of this line
	// Goroutine ids of the process's first snapshot, of snapshot seen,
	// and of every snapshot since the first: survivors and the born are
	// unions and intersections of these over a site's lines.
	firstIDs, lastIDs, allIDs parse.IDSet
	waits                     map[waitKey]*Wait // in snapshot seen
}

type waitKey struct {
	state string
	frame parse.Frame
}

// NewSeries returns an empty series.
func NewSeries(f Filter) *Series {
	return &Series{filter: f, lines: make(map[lineKey]*line), ignored: make(map[string]bool)}
}

// Add folds the next snapshot into the series; the snapshot itself is
// not kept. It fails, adding nothing, when the snapshot was taken before
// the one added last (both times known).
func (s *Series) Add(snap *parse.Snapshot) error {
	i := len(s.metas)
	if i > 0 {
		last := s.metas[i-1]
		if !snap.Time.IsZero() && !last.Time.IsZero() && snap.Time.Before(last.Time) {
			return fmt.Errorf("%w: %s was taken at %s, before %s (%s)", ErrOutOfOrder,
				snap.Source, snap.Time.Format(time.RFC3339), last.Source, last.Time.Format(time.RFC3339))
		}
	}
	m := Meta{
		Source: snap.Source, Format: snap.Format, Profile: snap.Profile, Time: snap.Time,
		Goroutines: snap.Goroutines, Cause: snap.Cause, Truncated: snap.Truncated, Warnings: snap.Warnings,
	}
	hasIDs := snap.Format.HasIDs()
	if i > 0 && onlyLeaked(s.metas[i-1]) != onlyLeaked(m) {
		s.notes = append(s.notes, fmt.Sprintf("%s and %s count different goroutines: a goroutineleak profile (debug=0 or 1) counts only those the runtime proved leaked",
			s.metas[i-1].Source, snap.Source))
	}
	var all parse.IDSet
	bySite := make(map[parse.Site]*parse.IDSet)
	if hasIDs {
		for _, st := range snap.Stacks {
			all.AddSet(&st.IDs)
			set := bySite[st.Site]
			if set == nil {
				set = &parse.IDSet{}
				bySite[st.Site] = set
			}
			set.AddSet(&st.IDs)
		}
		if i > 0 && s.prevIDs {
			timed := !snap.Time.IsZero() && !s.metas[i-1].Time.IsZero()
			if note, restart := s.restarted(&all, bySite, timed); restart {
				m.Restart = true
				s.notes = append(s.notes, fmt.Sprintf("%s: %s", snap.Source, note))
				if s.filter.SplitRestarts {
					s.start = i
					for _, l := range s.lines {
						l.firstIDs, l.allIDs = parse.IDSet{}, parse.IDSet{}
					}
				}
			} else if note != "" {
				s.notes = append(s.notes, fmt.Sprintf("%s: %s", snap.Source, note))
			}
		}
	}
	s.prev, s.prevBySite, s.prevIDs = all, bySite, hasIDs

	// An idle pooled client connection is a reader and a writer; a
	// connection whose response body was never closed has a writer that
	// looks as idle. Writers are benign only as many as idle readers.
	idleReaders := 0
	for _, st := range snap.Stacks {
		if !s.filter.IncludeBenign && st.Entry.Func == "net/http.(*persistConn).readLoop" && Benign(st) == benignClientIdle {
			idleReaders += st.Count
		}
	}
	for _, st := range snap.Stacks {
		if s.ignore(st) {
			m.Ignored += st.Count
			continue
		}
		benign := ""
		if !s.filter.IncludeBenign {
			benign = Benign(st)
		}
		if benign == benignClientIdle && st.Entry.Func == "net/http.(*persistConn).writeLoop" && st.Count > idleReaders {
			idle := idleReaders
			idleReaders = 0
			if idle > 0 {
				s.fold(i, hasIDs, st, benign, idle, false)
			}
			s.fold(i, hasIDs, st, "", st.Count-idle, true)
			continue
		}
		if benign == benignClientIdle && st.Entry.Func == "net/http.(*persistConn).writeLoop" {
			idleReaders -= st.Count
		}
		s.fold(i, hasIDs, st, benign, st.Count, true)
	}
	s.metas = append(s.metas, m)
	return nil
}

// fold adds count goroutines of stack st of snapshot i to their line,
// as benign for benign; withIDs gives the line the stack's ids and
// leaked marks (one part of a stack that is split has them).
func (s *Series) fold(i int, hasIDs bool, st *parse.Stack, benign string, count int, withIDs bool) {
	k := lineKey{site: st.Site, entry: st.Entry.Func, benign: benign}
	callee := st.Callee()
	k.callee = callee.Func
	var frames []parse.Frame
	if hasIDs {
		s.shapes.add(st, k, i, count)
	} else {
		frames = countedView(st)
		k.sig = frameHash(frames)
	}
	l := s.lines[k]
	if l == nil {
		l = &line{key: k, creator: st.Creator, entry: st.Entry, callee: callee, frames: frames, seen: -1}
		s.lines[k] = l
	}
	if l.seen != i {
		l.seen = i
		l.lastIDs = parse.IDSet{}
		l.waits = make(map[waitKey]*Wait)
		l.stackCount = 0
	}
	if count > l.stackCount {
		l.stack, l.stackCount = st.Frames, count
	}
	for len(l.counts) <= i {
		l.counts = append(l.counts, 0)
		l.leaked = append(l.leaked, 0)
	}
	l.counts[i] += count
	l.cut = l.cut || st.Cut
	// A representative line for the entry function and the callee: the
	// smallest seen, whatever order stacks arrive in.
	l.entry.Line = min(l.entry.Line, st.Entry.Line)
	if callee.Line > 0 {
		l.callee.Line = min(l.callee.Line, callee.Line)
	}
	if withIDs {
		l.leaked[i] += st.Leaked
		if i == s.start {
			l.firstIDs.AddSet(&st.IDs)
		}
		l.lastIDs.AddSet(&st.IDs)
		l.allIDs.AddSet(&st.IDs)
	}
	states := st.States
	if count != st.Count {
		states = splitStates(st.States, count, st.Count)
	}
	for _, sc := range states {
		wk := waitKey{state: sc.State, frame: st.Wait}
		w := l.waits[wk]
		if w == nil {
			w = &Wait{State: sc.State, Frame: st.Wait, Benign: benign}
			l.waits[wk] = w
		}
		w.Count += sc.Count
		w.MaxMinutes = max(w.MaxMinutes, sc.MaxMinutes)
		w.Over1m += sc.Over1m
		w.Over10m += sc.Over10m
	}
}

// splitStates returns part of whole goroutines' states, shared out in
// proportion.
func splitStates(states []parse.StateCount, part, whole int) []parse.StateCount {
	weights := make([]int, len(states))
	for i, sc := range states {
		weights[i] = sc.Count
	}
	out := make([]parse.StateCount, 0, len(states))
	for i, n := range apportion(part, weights) {
		if n > 0 {
			sc := states[i]
			sc.Over1m = sc.Over1m * n / max(sc.Count, 1)
			sc.Over10m = sc.Over10m * n / max(sc.Count, 1)
			sc.Count = n
			out = append(out, sc)
		}
	}
	return out
}

// restarted tells whether the snapshot with ids all (by site: bySite)
// comes from another process than the snapshot before it, and otherwise
// may return a note on the pair.
//
// Within one process a goroutine id is never reused, so an id in both
// snapshots is one goroutine, at one site. A restarted process (or
// another program) hands out the same small ids again, to goroutines of
// other sites: more than a few ids that changed site mean a new process.
// New goroutines of a continuing process get ids above those of the
// snapshot before, except for the at most 16 per P that each P keeps in
// its cache (runtime.newproc1, _GoidCacheBatch): many new ids below the
// old maximum, with no id changing site, mean the snapshots are in the
// wrong order.
func (s *Series) restarted(all *parse.IDSet, bySite map[parse.Site]*parse.IDSet, timed bool) (string, bool) {
	common := s.prev.IntersectLen(all)
	same := 0
	for site, ids := range bySite {
		if p := s.prevBySite[site]; p != nil {
			same += p.IntersectLen(ids)
		}
	}
	moved := common - same
	other := ""
	shared := 0
	for site := range bySite {
		if s.prevBySite[site] != nil {
			shared++
		}
	}
	if shared*3 < min(len(bySite), len(s.prevBySite)) {
		other = fmt.Sprintf("; only %d of their creation sites are the same: another program?", shared)
	}
	if moved > 2 && moved*20 > common {
		return fmt.Sprintf("another process than the snapshot before: %d of the %d goroutine ids the two share belong to other sites (the target restarted)%s", moved, common, other), true
	}
	if common == 0 && all.Len() > 0 && s.prev.Len() > 0 && all.Max() < s.prev.Max() {
		return "another process than the snapshot before: no goroutine id in common, and lower ids (the target restarted)" + other, true
	}
	below := func(a, b *parse.IDSet) int {
		n, top := 0, b.Max()
		a.Each(func(id uint64) {
			if id < top && !b.Has(id) {
				n++
			}
		})
		return n
	}
	// A restarted process of the same program starts its goroutines in
	// the same order, so its first ids often belong to the same sites;
	// after those, it hands out again ids the old process used long ago.
	// Most of its new goroutines then have ids below the old maximum, and
	// its own maximum is lower. An earlier snapshot of the same process
	// looks the same (its goroutines that ended since have such ids):
	// only snapshots whose times say they are in order are a restart.
	if back, born := below(all, &s.prev), all.Len()-common; back >= restartMin && 2*back >= born && all.Max() < s.prev.Max() {
		if timed {
			return fmt.Sprintf("another process than the snapshot before: %d of its %d new goroutines have ids the one before had used already (the target restarted)%s", back, born, other), true
		}
		return fmt.Sprintf("looks older than the snapshot before it: %d of its goroutines have ids below the earlier snapshot's highest and are not in it (are the inputs swapped? or did the target restart?)", back), false
	}
	if moved == 0 {
		if back, fwd := below(all, &s.prev), below(&s.prev, all); back >= swapMin && fwd*8 < back {
			return fmt.Sprintf("looks older than the snapshot before it: %d of its goroutines have ids below the earlier snapshot's highest and are not in it (are the inputs swapped?)", back), false
		}
	}
	return "", false
}

// onlyLeaked reports whether a snapshot counts only leaked goroutines:
// the goroutineleak profile's counted formats (its debug=2 lists every
// goroutine, marking the leaked ones).
func onlyLeaked(m Meta) bool { return m.Profile == "goroutineleak" && !m.Format.HasIDs() }

// restartMin is how many reused ids, with the other signs, make a
// restart: more than two P caches hold.
const restartMin = 32

// swapMin is how many out-of-order new ids make a pair look swapped: more
// than the P caches of any but the largest machines hold.
const swapMin = 16 * 64

func (s *Series) ignore(st *parse.Stack) bool {
	if len(s.filter.Ignore) == 0 {
		return false
	}
	if st.Creator.Func != "" && s.matches(st.Creator.Func) {
		return true
	}
	for _, f := range st.Frames {
		if s.matches(f.Func) {
			return true
		}
	}
	return false
}

func (s *Series) matches(fn string) bool {
	m, ok := s.ignored[fn]
	if !ok {
		for _, re := range s.filter.Ignore {
			if re.MatchString(fn) {
				m = true
				break
			}
		}
		s.ignored[fn] = m
	}
	return m
}

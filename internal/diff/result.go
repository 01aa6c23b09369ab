package diff

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/leakscan/leakscan/internal/parse"
)

// Site is one creation site across the series: one go statement (or, for
// a spawning helper, one function handed to it).
type Site struct {
	parse.Site
	// Creator is the "created by" frame: the function with the go
	// statement and its location. For KeyHelper sites it is the spawning
	// helper's (sync.(*WaitGroup).Go ...). Zero for KeyEntry sites.
	Creator parse.Frame
	// Entry is the function most of the goroutines run, at the smallest
	// line seen in it.
	Entry parse.Frame
	// Entries are every function the site's goroutines run, most
	// goroutines first; more than one only when one go statement starts
	// several (go f() with f a func value, or stacks cut short).
	Entries []Entry
	// Benign is why the site's benign goroutines are expected (see
	// Benign), or "" when it has none. AllBenign is set when every
	// goroutine of the site is benign in every snapshot: the site is
	// kept out of verdicts and gates. Otherwise its benign goroutines
	// (BenignCounts) are left out of Delta and of what follows from it.
	Benign    string
	AllBenign bool
	// Cut is set when stacks may lack their bottom, so Entry is a guess.
	Cut bool

	// Counts has the site's goroutines in each snapshot of the series,
	// BenignCounts how many of them are benign.
	Counts, BenignCounts []int
	// Leaked is how many goroutines of the last snapshot the runtime
	// marked leaked.
	Leaked int
	// Delta is the change of the counted goroutines (see Counted) from
	// the process's first snapshot to the last.
	Delta int
	// Survived is how many counted goroutines of the process's first
	// snapshot are still alive in the last (same ids); -1 when ids are
	// unknown.
	Survived int
	// Born is how many distinct goroutines of the site were first seen
	// after the process's first snapshot, BornAlive how many of those
	// are alive in the last; -1 when ids are unknown.
	Born, BornAlive int
	// PerMinute is the growth rate of the counted goroutines over time
	// (a robust fit: the median of the slopes between every two
	// snapshots); valid only when Result.Timed.
	PerMinute float64
	// Status sums up the change from the first snapshot to the last; see
	// the Status constants.
	Status Status
	// Judgement is the verdict on the whole series (see Judge).
	Judgement Judgement
	// Waits are the wait states and locations of the last snapshot that
	// has goroutines of this site, most goroutines first.
	Waits []Wait
	// Stack is the stack (innermost frame first) that most of the site's
	// goroutines had in that snapshot.
	Stack []parse.Frame
}

// Counted is the number of the site's goroutines in snapshot i that
// verdicts and gates count: all of them for a benign site (which is kept
// out of both anyway), the ones that are not benign otherwise.
func (s *Site) Counted(i int) int {
	if s.AllBenign {
		return s.Counts[i]
	}
	return s.Counts[i] - s.BenignCounts[i]
}

// Entry is one function the goroutines of a site run.
type Entry struct {
	Frame parse.Frame
	Count int // goroutines in the latest snapshot with goroutines of the site
}

// Wait is where and in what state goroutines of a site block.
type Wait struct {
	State      string
	Frame      parse.Frame
	Count      int
	MaxMinutes int
	// Over1m and Over10m count the goroutines that have waited at
	// least 1 and at least 10 minutes (the runtime's "N minutes").
	Over1m, Over10m int
	Benign          string // why these goroutines are expected, or ""
}

// Status sums up how a site changed from the first snapshot to the last.
type Status string

const (
	// StatusOnly: a single snapshot, nothing to compare.
	StatusOnly Status = ""
	// StatusNew: no goroutines in the first snapshot.
	StatusNew Status = "new"
	// StatusGone: no goroutines in the last snapshot.
	StatusGone Status = "gone"
	// StatusAccumulating: the count grew and every goroutine of the first
	// snapshot is still alive: the signature of a leak.
	StatusAccumulating Status = "accumulating"
	// StatusGrew: the count grew, but some of the first snapshot's
	// goroutines ended (or ids are unknown).
	StatusGrew Status = "grew"
	// StatusChurn: the count did not grow, and most goroutines of the
	// first snapshot were replaced by new ones.
	StatusChurn Status = "churn"
	// StatusSteady: the same count, the same goroutines (or ids unknown).
	StatusSteady Status = "steady"
	// StatusShrank: fewer goroutines than at first.
	StatusShrank Status = "shrank"
)

// Result is the analysis of a series.
type Result struct {
	// Snapshots are every snapshot of the series; Start is the first of
	// the process analysed (after the last restart, with
	// Filter.SplitRestarts), 0 otherwise.
	Snapshots []Meta
	Start     int
	// Sites, ranked: by growth, then by the last count, then by site.
	Sites []*Site
	// ByEntry is set when some stacks of snapshots that record no
	// creators (debug=1, protobuf) are in no full dump of the series, so
	// they were matched to sites by their entry function, or keyed by it.
	ByEntry bool
	// IDs is set when every snapshot analysed has goroutine ids, all of
	// one process, so Survived is known.
	IDs bool
	// Timed is set when every snapshot analysed has a time, so PerMinute
	// is known.
	Timed bool
	// FullDumps counts the snapshots analysed that have ids and creators
	// (debug=2, crash output); the others are counted profiles.
	FullDumps int
	// BenignDelta is the change of benign goroutines, which verdicts and
	// gates leave out.
	BenignDelta int
	// Notes say what makes the comparison doubtful: a restart between
	// snapshots, another program, inputs in the wrong order.
	Notes []string
}

// spawnerMin is how many different functions the goroutines of one go
// statement must run, each called from the creator's function literal,
// for the creator to be taken for a spawning helper of the program's own
// (nats's startGoRoutine, etcd's goAttach): a literal that calls a fixed
// function, or picks one of two, is an ordinary go statement.
const spawnerMin = 3

// Result returns the analysis of the snapshots added so far.
func (s *Series) Result() *Result {
	n := len(s.metas)
	r := &Result{Snapshots: s.metas, Start: s.start, Notes: s.notes}
	seg := s.metas[s.start:]
	withIDs, restart, lastFull := 0, false, -1
	r.Timed = len(seg) > 1
	for i, m := range seg {
		if m.Format.HasIDs() {
			withIDs++
			lastFull = s.start + i
		}
		if m.Time.IsZero() {
			r.Timed = false
		}
		restart = restart || i > 0 && m.Restart
	}
	// Survival needs ids at the first snapshot and at a later one: a
	// watch that samples counted profiles between full dumps (light
	// sampling) compares its first and last full dumps.
	r.IDs = len(seg) > 0 && seg[0].Format.HasIDs() && !restart && (lastFull > s.start || len(seg) == 1)
	if !r.IDs && len(seg) > 1 {
		for _, m := range seg {
			if !m.Format.HasIDs() {
				r.Notes = append(r.Notes, fmt.Sprintf("%s: %s records no goroutine ids, so which goroutines stayed alive is unknown", m.Source, m.Format))
				break
			}
		}
	}
	r.FullDumps = withIDs

	spawner := s.spawners()
	groups := make(map[parse.Site]*group)
	for _, m := range s.members(r, withIDs > 0 && withIDs < len(seg)) {
		keyed := m.keyed
		k := keyed.key.site
		creator, entry := keyed.creator, keyed.entry
		if k.Kind == parse.KeyCreatedBy && spawner[k] {
			if keyed.callee.Func != "" {
				entry = keyed.callee
			}
			k = parse.Site{Kind: parse.KeyHelper, Func: entry.Func}
		}
		m.entry = entry
		g := groups[k]
		if g == nil {
			g = &group{Site: &Site{Site: k, Creator: creator, Counts: make([]int, n), BenignCounts: make([]int, n),
				Survived: -1, Born: -1, BornAlive: -1}, latest: -1}
			groups[k] = g
		}
		g.add(m)
	}
	last := n - 1
	for _, g := range groups {
		site := g.Site
		site.Entries, site.Entry = g.entries()
		site.Benign, site.AllBenign = g.benign()
		site.Waits = g.waits()
		site.Stack = g.stack()
		if g.latest == last {
			site.Leaked = g.leaked
		}
		if len(seg) > 0 {
			site.Delta = site.Counted(last) - site.Counted(s.start)
		}
		if r.IDs {
			g.survival(site, lastFull)
		}
		ev := Evidence{Counts: make([]int, len(seg)), Survived: site.Survived, Born: site.Born, BornAlive: site.BornAlive}
		for i := range seg {
			ev.Counts[i] = site.Counted(s.start + i)
		}
		if r.Timed {
			ev.Times = make([]time.Time, len(seg))
			for i, m := range seg {
				ev.Times[i] = m.Time
			}
		}
		site.Judgement = Judge(ev)
		if r.Timed {
			site.PerMinute = site.Judgement.PerMinute
		}
		site.Status = status(site, s.start, last)
		if !site.AllBenign && len(seg) > 0 {
			r.BenignDelta += site.BenignCounts[last] - site.BenignCounts[s.start]
		}
		if active(site.Counts, s.start) {
			r.Sites = append(r.Sites, site)
		}
	}
	sort.Slice(r.Sites, func(i, j int) bool { return rankLess(r.Sites[i], r.Sites[j]) })
	return r
}

// spawners returns the created-by sites whose creator is a spawning
// helper: named by Filter.Spawners, or running spawnerMin functions or
// more through its function literal.
func (s *Series) spawners() map[parse.Site]bool {
	callees := make(map[parse.Site]map[string]bool)
	out := make(map[parse.Site]bool)
	for _, l := range s.lines {
		k := l.key.site
		if k.Kind != parse.KeyCreatedBy {
			continue
		}
		for _, re := range s.filter.Spawners {
			if re.MatchString(k.Func) {
				out[k] = true
			}
		}
		if l.key.callee == "" {
			continue
		}
		if callees[k] == nil {
			callees[k] = make(map[string]bool)
		}
		callees[k][l.key.callee] = true
		if len(callees[k]) >= spawnerMin {
			out[k] = true
		}
	}
	return out
}

// member is a line, or its share, in a site.
type member struct {
	l *line
	// keyed is the line that keys it: l itself, or for a stack of a
	// counted profile the line of a full dump it was mapped to.
	keyed *line
	entry parse.Frame
	// counts and leaked are the member's part of the line's: all of
	// them, or a share of a counted stack run at several sites.
	counts, leaked []int
}

// members returns the lines of the series as members of sites. With
// mapCounted set (the process analysed has both full dumps and counted
// profiles), stacks of counted profiles go to the site whose goroutines
// have them in a full dump, else to the site whose goroutines run the
// same entry function (the stack of a goroutine that writes a dump
// differs between formats; r.ByEntry is then set), else to a site of
// their own, keyed by entry.
func (s *Series) members(r *Result, mapCounted bool) []*member {
	var byEntry map[string]*line
	if mapCounted {
		byEntry = make(map[string]*line)
		for _, l := range s.lines {
			if l.frames != nil || !active(l.counts, s.start) {
				continue
			}
			if o := byEntry[l.key.entry]; o == nil || l.counts[l.seen] > o.counts[o.seen] {
				byEntry[l.key.entry] = l
			}
		}
	}
	var out []*member
	for _, l := range s.lines {
		whole := &member{l: l, keyed: l, counts: l.counts, leaked: l.leaked}
		if !mapCounted || l.frames == nil || !active(l.counts, s.start) {
			out = append(out, whole)
			continue
		}
		shares := s.shapes.sites(l.frames, l.cut)
		if len(shares) == 0 {
			if o := byEntry[l.key.entry]; o != nil {
				whole.keyed = o
			}
			r.ByEntry = r.ByEntry || l.key.benign == ""
			out = append(out, whole)
			continue
		}
		weights := make([]int, len(shares))
		parts := make([]*member, len(shares))
		for i, sh := range shares {
			weights[i] = sh.weight
			parts[i] = &member{l: l, keyed: s.lines[sh.key], counts: make([]int, len(l.counts)), leaked: make([]int, len(l.counts))}
		}
		for snap := range l.counts {
			for i, c := range apportion(l.counts[snap], weights) {
				parts[i].counts[snap] = c
			}
			for i, c := range apportion(l.leaked[snap], weights) {
				parts[i].leaked[snap] = c
			}
		}
		out = append(out, parts...)
	}
	return out
}

// group gathers the members of one site.
type group struct {
	*Site
	members []*member
	latest  int // the latest snapshot with goroutines of the site
	leaked  int // in snapshot latest
}

func (g *group) add(m *member) {
	g.members = append(g.members, m)
	l := m.l
	g.Cut = g.Cut || l.cut
	for i, c := range m.counts {
		g.Counts[i] += c
		if l.key.benign != "" {
			g.BenignCounts[i] += c
		}
	}
	switch {
	case l.seen > g.latest:
		g.latest, g.leaked = l.seen, m.leaked[l.seen]
	case l.seen == g.latest:
		g.leaked += m.leaked[l.seen]
	}
}

// entries sums the goroutines per entry function in the site's latest
// snapshot, most first.
func (g *group) entries() ([]Entry, parse.Frame) {
	var out []Entry
	for _, m := range g.members {
		c := 0
		if m.l.seen == g.latest {
			c = m.counts[m.l.seen]
		}
		entry := m.entry
		i := slices.IndexFunc(out, func(e Entry) bool { return e.Frame.Func == entry.Func })
		if i < 0 {
			out = append(out, Entry{Frame: entry, Count: c})
			continue
		}
		out[i].Count += c
		out[i].Frame.Line = min(out[i].Frame.Line, entry.Line)
	}
	slices.SortFunc(out, func(a, b Entry) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return cmp.Compare(a.Frame.Func, b.Frame.Func)
	})
	return out, out[0].Frame
}

// benign returns the reasons of the site's benign goroutines, and whether
// all of its goroutines are.
func (g *group) benign() (string, bool) {
	var reasons []string
	all := true
	for _, m := range g.members {
		if b := m.l.key.benign; b == "" {
			all = false
		} else if !slices.Contains(reasons, b) {
			reasons = append(reasons, b)
		}
	}
	slices.Sort(reasons)
	out := ""
	for i, r := range reasons {
		if i > 0 {
			out += ", "
		}
		out += r
	}
	return out, all && len(reasons) > 0
}

// waits merges the waits of the lines seen in the site's latest
// snapshot, so that they all come from one snapshot.
func (g *group) waits() []Wait {
	var ws []Wait
	for _, m := range g.members {
		if m.l.seen != g.latest {
			continue
		}
		// A member with part of a line's goroutines has that part of
		// its waits.
		part, whole := m.counts[m.l.seen], m.l.counts[m.l.seen]
		for _, lw := range m.l.waits {
			w := *lw
			if part != whole {
				scale := func(n int) int { return int(math.Round(float64(n) * float64(part) / float64(whole))) }
				w.Count, w.Over1m, w.Over10m = scale(w.Count), scale(w.Over1m), scale(w.Over10m)
				if w.Count == 0 {
					continue
				}
			}
			i := slices.IndexFunc(ws, func(v Wait) bool { return v.State == w.State && v.Frame == w.Frame && v.Benign == w.Benign })
			if i < 0 {
				ws = append(ws, w)
				continue
			}
			ws[i].Count += w.Count
			ws[i].MaxMinutes = max(ws[i].MaxMinutes, w.MaxMinutes)
			ws[i].Over1m += w.Over1m
			ws[i].Over10m += w.Over10m
		}
	}
	sort.Slice(ws, func(i, j int) bool { return waitLess(ws[i], ws[j]) })
	return ws
}

// stack returns the stack of the most goroutines of the site in its
// latest snapshot, counted-profile stacks only when no full dump has one.
func (g *group) stack() []parse.Frame {
	var out []parse.Frame
	n, full := -1, false
	for _, m := range g.members {
		l := m.l
		if l.seen != g.latest || l.stack == nil {
			continue
		}
		isFull := l.frames == nil
		if isFull && !full || isFull == full && (l.stackCount > n || l.stackCount == n && framesLess(l.stack, out)) {
			out, n, full = l.stack, l.stackCount, isFull
		}
	}
	return out
}

// framesLess orders stacks by their frames, so that of two stacks with as
// many goroutines the same is shown every time.
func framesLess(a, b []parse.Frame) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i].Func != b[i].Func {
			return a[i].Func < b[i].Func
		}
		if a[i].File != b[i].File {
			return a[i].File < b[i].File
		}
		if a[i].Line != b[i].Line {
			return a[i].Line < b[i].Line
		}
	}
	return len(a) < len(b)
}

// survival counts, from the ids of the site's lines, the goroutines of
// the first snapshot still alive in snapshot last (the last with ids), the goroutines born
// since and how many of those are alive. Only counted goroutines count,
// but a goroutine that was benign at first (an idle connection that
// became busy) was not born since.
func (g *group) survival(site *Site, last int) {
	var firstAll, first, lastIDs, all parse.IDSet
	for _, m := range g.members {
		l := m.l
		firstAll.AddSet(&l.firstIDs)
		if l.key.benign != "" && !site.AllBenign {
			continue
		}
		first.AddSet(&l.firstIDs)
		all.AddSet(&l.allIDs)
		if l.seen == last {
			lastIDs.AddSet(&l.lastIDs)
		}
	}
	site.Survived = first.IntersectLen(&lastIDs)
	site.Born = all.Len() - all.IntersectLen(&firstAll)
	site.BornAlive = lastIDs.Len() - lastIDs.IntersectLen(&firstAll)
}

// active reports whether counts has goroutines from snapshot start on.
func active(counts []int, start int) bool {
	for _, c := range counts[min(start, len(counts)):] {
		if c > 0 {
			return true
		}
	}
	return false
}

func status(g *Site, start, last int) Status {
	if last-start < 1 {
		return StatusOnly
	}
	first, now := g.Counted(start), g.Counted(last)
	switch {
	case first == 0 && now > 0:
		return StatusNew
	case now == 0 && first > 0:
		return StatusGone
	case now > first && g.Survived == first:
		return StatusAccumulating
	case now > first:
		return StatusGrew
	case now < first:
		return StatusShrank
	case g.Survived >= 0 && 2*g.Survived < first:
		return StatusChurn
	}
	return StatusSteady
}

// rankLess orders sites: leaks first, fastest first; then the others
// that grew, most first; then the rest, biggest first.
func rankLess(a, b *Site) bool {
	if ca, cb := rankClass(a), rankClass(b); ca != cb {
		return ca < cb
	}
	if ra, rb := a.Judgement.PerMinute+a.Judgement.PerSample, b.Judgement.PerMinute+b.Judgement.PerSample; rankClass(a) == 0 && ra != rb {
		return ra > rb
	}
	if a.Delta != b.Delta && (a.Delta > 0 || b.Delta > 0) {
		return a.Delta > b.Delta
	}
	la, lb := a.Counts[len(a.Counts)-1], b.Counts[len(b.Counts)-1]
	if la != lb {
		return la > lb
	}
	if a.Site != b.Site {
		return parse.SiteLess(a.Site, b.Site)
	}
	return a.Benign < b.Benign
}

func rankClass(s *Site) int {
	switch {
	case s.AllBenign:
		return 2
	case s.Judgement.Verdict == VerdictLeak:
		return 0
	case s.Delta > 0:
		return 1
	}
	return 2
}

func waitLess(a, b Wait) bool {
	if a.Count != b.Count {
		return a.Count > b.Count
	}
	if a.State != b.State {
		return a.State < b.State
	}
	if a.Frame.Func != b.Frame.Func {
		return a.Frame.Func < b.Frame.Func
	}
	if a.Frame.Line != b.Frame.Line {
		return a.Frame.Line < b.Frame.Line
	}
	return a.Benign < b.Benign
}

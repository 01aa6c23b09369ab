package diff

import (
	"sort"

	"github.com/leakscan/leakscan/internal/parse"
)

// Site is one creation site across the series.
type Site struct {
	parse.Site
	// Creator is the "created by" frame: the function with the go
	// statement and its location. For KeyHelper sites it is the spawning
	// helper's (sync.(*WaitGroup).Go ...). Zero for KeyEntry sites.
	Creator parse.Frame
	// Entry is the function the goroutines run, at the smallest line
	// seen in it.
	Entry parse.Frame
	// Benign is why these goroutines are expected (see Benign), or "".
	Benign string
	// Cut is set when stacks may lack their bottom, so Entry is a guess.
	Cut bool

	// Counts has one count per snapshot.
	Counts []int
	// Leaked is how many goroutines of the last snapshot the runtime
	// marked leaked.
	Leaked int
	// Delta is the last count minus the first.
	Delta int
	// Survived is how many goroutines of the first snapshot are still
	// alive in the last (same ids); -1 when ids are unknown.
	Survived int
	// PerMinute is the growth rate (least-squares slope of the counts
	// over time); valid only when Result.Timed.
	PerMinute float64
	// Status sums up the change; see the Status constants.
	Status Status
	// Waits are the wait states and locations of the last snapshot that
	// has goroutines of this site, most goroutines first.
	Waits []Wait
}

// Wait is where and in what state goroutines of a site block.
type Wait struct {
	State      string
	Frame      parse.Frame
	Count      int
	MaxMinutes int
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
	Snapshots []Meta
	// Sites, ranked: by growth, then by the last count, then by site.
	Sites []*Site
	// ByEntry is set when sites were matched by entry function because
	// some snapshots record no creators (debug=1, protobuf) and others do.
	ByEntry bool
	// IDs is set when every snapshot has goroutine ids, so Survived is
	// known.
	IDs bool
	// Timed is set when every snapshot has a time, so PerMinute is known.
	Timed bool
}

// Result returns the analysis of the snapshots added so far.
func (s *Series) Result() *Result {
	n := len(s.metas)
	r := &Result{Snapshots: s.metas, IDs: n > 0, Timed: n > 1}
	withIDs := 0
	for _, m := range s.metas {
		if m.Format.HasIDs() {
			withIDs++
		}
		if m.Time.IsZero() {
			r.Timed = false
		}
	}
	r.IDs = n > 0 && withIDs == n
	r.ByEntry = withIDs > 0 && withIDs < n

	groups := make(map[lineKey]*Site)
	latest := make(map[*Site]int) // the latest snapshot with goroutines of a site
	members := make(map[*Site][]*line)
	for _, l := range s.lines {
		k := l.key
		if r.ByEntry {
			k = lineKey{site: parse.Site{Kind: parse.KeyEntry, Func: l.key.entry}, entry: l.key.entry, benign: l.key.benign}
		}
		g := groups[k]
		if g == nil {
			g = &Site{Site: k.site, Creator: l.creator, Entry: l.entry, Benign: k.benign, Counts: make([]int, n), Survived: -1}
			if r.ByEntry {
				g.Creator = parse.Frame{}
			}
			groups[k] = g
		} else if g.Entry.Func == l.entry.Func && l.entry.Line < g.Entry.Line {
			g.Entry.Line = l.entry.Line
		}
		g.Cut = g.Cut || l.cut
		for i, c := range l.counts {
			g.Counts[i] += c
		}
		if l.seen == n-1 {
			g.Leaked += l.leaked[n-1]
		}
		if r.IDs {
			if g.Survived < 0 {
				g.Survived = 0
			}
			if l.seen == n-1 {
				g.Survived += l.firstIDs.IntersectLen(&l.lastIDs)
			}
		}
		if n, ok := latest[g]; !ok || l.seen > n {
			latest[g] = l.seen
		}
		members[g] = append(members[g], l)
	}
	for _, g := range groups {
		for _, l := range members[g] {
			if l.seen == latest[g] {
				g.Waits = mergeWaits(g.Waits, l)
			}
		}
		if n > 0 {
			g.Delta = g.Counts[n-1] - g.Counts[0]
		}
		if r.Timed {
			g.PerMinute = slope(s.metas, g.Counts)
		}
		g.Status = status(g, n)
		sort.Slice(g.Waits, func(i, j int) bool { return waitLess(g.Waits[i], g.Waits[j]) })
		r.Sites = append(r.Sites, g)
	}
	sort.Slice(r.Sites, func(i, j int) bool { return rankLess(r.Sites[i], r.Sites[j]) })
	return r
}

// mergeWaits adds the waits of l's latest snapshot to ws. The caller
// passes only lines seen in the latest snapshot of their site, so that a
// site's waits all come from one snapshot.
func mergeWaits(ws []Wait, l *line) []Wait {
	for _, w := range l.waits {
		found := false
		for i := range ws {
			if ws[i].State == w.State && ws[i].Frame == w.Frame {
				ws[i].Count += w.Count
				ws[i].MaxMinutes = max(ws[i].MaxMinutes, w.MaxMinutes)
				found = true
				break
			}
		}
		if !found {
			ws = append(ws, *w)
		}
	}
	return ws
}

func status(g *Site, n int) Status {
	if n < 2 {
		return StatusOnly
	}
	first, last := g.Counts[0], g.Counts[n-1]
	switch {
	case first == 0 && last > 0:
		return StatusNew
	case last == 0 && first > 0:
		return StatusGone
	case last > first && g.Survived == first:
		return StatusAccumulating
	case last > first:
		return StatusGrew
	case last < first:
		return StatusShrank
	case g.Survived >= 0 && 2*g.Survived < first:
		return StatusChurn
	}
	return StatusSteady
}

// slope fits counts over the snapshot times by least squares and returns
// goroutines per minute.
func slope(metas []Meta, counts []int) float64 {
	t0 := metas[0].Time
	var sx, sy, sxx, sxy float64
	n := float64(len(counts))
	for i, c := range counts {
		x := metas[i].Time.Sub(t0).Minutes()
		y := float64(c)
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}

func rankLess(a, b *Site) bool {
	if a.Delta != b.Delta {
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
	return a.Frame.Line < b.Frame.Line
}

package diff

import (
	"regexp"
	"time"

	"github.com/leakscan/leakscan/internal/parse"
)

// Filter decides which goroutines a Series looks at.
type Filter struct {
	// Ignore drops goroutines whose creator or any frame's function
	// matches one of the expressions.
	Ignore []*regexp.Regexp
	// IncludeBenign treats goroutines that Benign knows as ordinary ones;
	// otherwise their sites are marked and kept out of verdicts and gates.
	IncludeBenign bool
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
}

// Series follows creation sites across snapshots of one process, added
// in the order they were taken.
type Series struct {
	filter Filter
	metas  []Meta
	lines  map[lineKey]*line
	// ignored caches Filter.Ignore per function name, so the expressions
	// run once per distinct function rather than per frame.
	ignored map[string]bool
}

// lineKey splits a site by entry function and benign reason, so that
// mixed-format series can be regrouped by entry function afterwards.
type lineKey struct {
	site   parse.Site
	entry  string
	benign string
}

type line struct {
	key     lineKey
	creator parse.Frame
	entry   parse.Frame
	cut     bool
	counts  []int // per snapshot
	leaked  []int
	seen    int // the latest snapshot with goroutines of this line
	// Goroutine ids in the first snapshot of the series and in snapshot
	// seen: their intersection is the goroutines that stayed alive.
	firstIDs, lastIDs parse.IDSet
	waits             map[waitKey]*Wait // in snapshot seen
}

type waitKey struct {
	state string
	frame parse.Frame
}

// NewSeries returns an empty series.
func NewSeries(f Filter) *Series {
	return &Series{filter: f, lines: make(map[lineKey]*line), ignored: make(map[string]bool)}
}

// Add folds the next snapshot into the series. The snapshot itself is not
// kept.
func (s *Series) Add(snap *parse.Snapshot) {
	i := len(s.metas)
	m := Meta{
		Source: snap.Source, Format: snap.Format, Profile: snap.Profile, Time: snap.Time,
		Goroutines: snap.Goroutines, Cause: snap.Cause, Truncated: snap.Truncated, Warnings: snap.Warnings,
	}
	for _, st := range snap.Stacks {
		if s.ignore(st) {
			m.Ignored += st.Count
			continue
		}
		k := lineKey{site: st.Site, entry: st.Entry.Func}
		if !s.filter.IncludeBenign {
			k.benign = Benign(st)
		}
		l := s.lines[k]
		if l == nil {
			l = &line{key: k, creator: st.Creator, entry: st.Entry, seen: -1}
			s.lines[k] = l
		}
		if l.seen != i {
			l.seen = i
			l.lastIDs = parse.IDSet{}
			l.waits = make(map[waitKey]*Wait)
		}
		for len(l.counts) <= i {
			l.counts = append(l.counts, 0)
			l.leaked = append(l.leaked, 0)
		}
		l.counts[i] += st.Count
		l.leaked[i] += st.Leaked
		l.cut = l.cut || st.Cut
		if st.Entry.Line < l.entry.Line {
			// A representative line for the entry function: the smallest
			// seen, whatever order stacks arrive in.
			l.entry.Line = st.Entry.Line
		}
		if i == 0 {
			l.firstIDs.AddSet(&st.IDs)
		}
		l.lastIDs.AddSet(&st.IDs)
		for _, sc := range st.States {
			wk := waitKey{state: sc.State, frame: st.Wait}
			w := l.waits[wk]
			if w == nil {
				w = &Wait{State: sc.State, Frame: st.Wait}
				l.waits[wk] = w
			}
			w.Count += sc.Count
			w.MaxMinutes = max(w.MaxMinutes, sc.MaxMinutes)
		}
	}
	s.metas = append(s.metas, m)
}

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

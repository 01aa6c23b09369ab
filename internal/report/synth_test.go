package report

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
)

// synthResult is an analysed series of samples snapshots over sites
// creation sites, made without dumps: a third of the sites leak in steps,
// a third come and go around a level, the rest stay flat. Each site's
// stack has frames frames; every name is padded to at least nameLen
// bytes. The verdicts are diff.Judge's. It is deterministic.
func synthResult(sites, samples, frames, nameLen int) *diff.Result {
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	r := &diff.Result{IDs: true, Timed: true}
	pad := func(s string) string {
		if len(s) < nameLen {
			s += strings.Repeat("X", nameLen-len(s))
		}
		return s
	}
	totals := make([]int, samples)
	judged := map[string]diff.Judgement{}
	for i := range sites {
		pkg := fmt.Sprintf("github.com/acme/service/internal/pkg%03d", i%97)
		fn := pad(fmt.Sprintf("%s.(*Worker%d).spawn%d", pkg, i%13, i))
		file := fmt.Sprintf("/home/build/src/github.com/acme/service/internal/pkg%03d/worker%d.go", i%97, i%13)
		s := &diff.Site{
			Site:         parse.Site{Kind: parse.KeyCreatedBy, Func: fn, File: file, Line: 40 + i%200},
			Creator:      parse.Frame{Func: fn, File: file, Line: 40 + i%200},
			Counts:       make([]int, samples),
			BenignCounts: make([]int, samples),
		}
		// Fifty shapes of noise, so that the verdicts can be reused.
		base := 1 + rng.IntN(20)
		noise := rand.New(rand.NewPCG(3, uint64(i%50)))
		for j := range samples {
			switch i % 3 {
			case 0:
				s.Counts[j] = base + 4*(j/3)
			case 1:
				s.Counts[j] = base + noise.IntN(5)
			default:
				s.Counts[j] = base
			}
			totals[j] += s.Counts[j]
		}
		for f := range frames {
			s.Stack = append(s.Stack, parse.Frame{
				Func: pad(fmt.Sprintf("%s.(*Worker%d).step%d", pkg, i%13, f)),
				File: fmt.Sprintf("/home/build/src/github.com/acme/service/internal/pkg%03d/step%d.go", i%97, f),
				Line: 10 + f,
			})
		}
		s.Entry = s.Stack[len(s.Stack)-1]
		s.Entries = []diff.Entry{{Frame: s.Entry, Count: s.Counts[samples-1]}}
		s.Waits = []diff.Wait{{State: "chan receive", Frame: s.Stack[0], Count: s.Counts[samples-1], MaxMinutes: i % 7}}
		s.Delta = s.Counts[samples-1] - s.Counts[0]
		born := max(0, s.Delta)
		if i%3 == 1 {
			born = samples * 2
		}
		s.Survived, s.Born, s.BornAlive = s.Counts[0], born, max(0, s.Delta)
		if i%3 == 1 {
			s.Survived = 0
		}
		ev := diff.Evidence{Counts: s.Counts, Times: make([]time.Time, samples), Survived: s.Survived, Born: s.Born, BornAlive: s.BornAlive}
		for j := range samples {
			ev.Times[j] = t0.Add(time.Duration(j) * 10 * time.Second)
		}
		key := fmt.Sprint(s.Counts, s.Survived, s.Born, s.BornAlive)
		j, ok := judged[key]
		if !ok {
			j = diff.Judge(ev)
			judged[key] = j
		}
		s.Judgement = j
		s.PerMinute = s.Judgement.PerMinute
		r.Sites = append(r.Sites, s)
	}
	for j := range samples {
		r.Snapshots = append(r.Snapshots, diff.Meta{
			Source: fmt.Sprintf("dumps/goroutine-%s.txt", t0.Add(time.Duration(j)*10*time.Second).Format("20060102T150405.000Z")),
			Format: parse.FormatDebug2, Profile: "goroutine", Time: t0.Add(time.Duration(j) * 10 * time.Second), Goroutines: totals[j],
		})
	}
	// Ranked as the analysis ranks: leaks first, then by growth.
	rank := func(s *diff.Site) int {
		switch s.Judgement.Verdict {
		case diff.VerdictLeak:
			return 0
		case diff.VerdictGrowing:
			return 1
		}
		return 2
	}
	slicesSortStable(r.Sites, func(a, b *diff.Site) bool {
		if rank(a) != rank(b) {
			return rank(a) < rank(b)
		}
		return a.Delta > b.Delta
	})
	return r
}

func slicesSortStable(xs []*diff.Site, less func(a, b *diff.Site) bool) {
	sort.SliceStable(xs, func(i, j int) bool { return less(xs[i], xs[j]) })
}

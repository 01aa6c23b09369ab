package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/leakscan/leakscan/internal/diff"
)

// This file renders a series of many snapshots (watch, trend): a verdict
// per site, the leaks first, each said in one sentence.

// Summary is the sentence that says what a site did over the series, in
// the shape watch prints and the exporter's alert annotates:
//
//	+16 every 30s from main.(*FileMonitor).pollAllFiles (file_monitor.go:441)
//	+3.2/min from main.(*searcher).handleSearch (search.go:56)
//	stable at 8 from main.startRenderPool (pool.go:35)
func Summary(r *diff.Result, s *diff.Site) string { return summaryOf(r, namesOf(r), s) }

// summaryOf is Summary with the result's file names at hand.
func summaryOf(r *diff.Result, nm names, s *diff.Site) string {
	return change(r, s) + " from " + siteName(nm, s, false)
}

// change says how a site's count moved: by steps, at a rate, or what it
// did instead of growing.
func change(r *diff.Result, s *diff.Site) string {
	j := s.Judgement
	first, last := s.Counted(r.Start), s.Counted(len(s.Counts)-1)
	switch {
	case j.Step > 0 && j.StepEvery > 0:
		return fmt.Sprintf("+%d every %s", j.Step, shortDuration(j.StepEvery))
	case j.Step > 0 && j.StepEverySamples > 0:
		return fmt.Sprintf("+%d every %s samples", j.Step, strconv.FormatFloat(j.StepEverySamples, 'f', -1, 64))
	case j.Verdict == diff.VerdictLeak || j.Verdict == diff.VerdictGrowing:
		if r.Timed && j.PerMinute > 0 {
			return rate(j.PerMinute) + "/min"
		}
		n := len(s.Counts) - r.Start
		return fmt.Sprintf("%+d in %d samples", last-first, n)
	case j.Verdict == diff.VerdictBurst:
		return fmt.Sprintf("a burst to %d, back to %d", peak(s.Counts[r.Start:], s, r.Start), last)
	case j.Verdict == diff.VerdictShrinking:
		return fmt.Sprintf("down from %d to %d", first, last)
	case j.Verdict == diff.VerdictChurn:
		return fmt.Sprintf("churn at %d", last)
	}
	return fmt.Sprintf("stable at %d", last)
}

// rate prints a growth rate with a sign and the digits it needs:
// +3.2, +16, +176.
func rate(perMinute float64) string {
	if math.Abs(perMinute) >= 10 {
		return fmt.Sprintf("%+.0f", perMinute)
	}
	return fmt.Sprintf("%+.1f", perMinute)
}

func peak(counts []int, s *diff.Site, start int) int {
	p := 0
	for i := range counts {
		p = max(p, s.Counted(start+i))
	}
	return p
}

// detail is the second line of a verdict: the counts, the survivors,
// where the goroutines wait and for how long.
//
//	112 → 176 in 2m0s; all 64 new goroutines still alive; blocked in chan send at file_monitor.go:449 for up to 2 minutes
func detail(r *diff.Result, nm names, s *diff.Site) string {
	first, last := s.Counted(r.Start), s.Counted(len(s.Counts)-1)
	parts := []string{fmt.Sprintf("%d → %d", first, last)}
	if r.Timed {
		parts[0] += " in " + shortDuration(r.Snapshots[len(r.Snapshots)-1].Time.Sub(r.Snapshots[r.Start].Time))
	} else {
		parts[0] += fmt.Sprintf(" in %d samples", len(s.Counts)-r.Start)
	}
	switch {
	case !r.IDs:
		parts = append(parts, "survival unknown (no goroutine ids)")
	case s.Born > 0 && s.BornAlive == s.Born:
		parts = append(parts, fmt.Sprintf("all %s still alive", plural(s.Born, "new goroutine", "new goroutines")))
	case s.Born > 0:
		parts = append(parts, fmt.Sprintf("%d of %d new goroutines still alive", s.BornAlive, s.Born))
	}
	if len(s.Waits) > 0 {
		w := s.Waits[0]
		d := "blocked in " + waitName(nm, w, s.Entry.Func)
		if w.MaxMinutes > 0 {
			d += " for up to " + plural(w.MaxMinutes, "minute", "minutes")
		}
		parts = append(parts, d)
	}
	return strings.Join(parts, "; ")
}

// verdicts returns the sites a report names in a sentence: every leak,
// and the growing sites after them, benign ones left out.
func verdicts(r *diff.Result) []*diff.Site {
	var out []*diff.Site
	for _, s := range r.Sites {
		if s.AllBenign {
			continue
		}
		switch s.Judgement.Verdict {
		case diff.VerdictLeak, diff.VerdictGrowing:
			out = append(out, s)
		}
	}
	return out
}

// maxSentences bounds the growing sites said in sentences; every leak is.
const maxSentences = 5

// said returns the sites a report names in a sentence, leaks first.
func said(r *diff.Result) []*diff.Site {
	var out []*diff.Site
	for _, s := range verdicts(r) {
		if s.Judgement.Verdict != diff.VerdictLeak && len(out) >= maxSentences {
			break
		}
		out = append(out, s)
	}
	return out
}

func verdictWord(s *diff.Site) string { return strings.ToUpper(string(s.Judgement.Verdict)) }

// trendSummary is the lines under the verdicts: what was read, restarts,
// notes and warnings. For Markdown (md), what comes from the inputs is
// escaped.
func trendSummary(r *diff.Result, opts Options, md bool) []string {
	code, text := proseFuncs(md)
	seg := r.Snapshots[r.Start:]
	a, b := seg[0], seg[len(seg)-1]
	counts := map[diff.Verdict]int{}
	for _, s := range r.Sites {
		if !s.AllBenign {
			counts[s.Judgement.Verdict]++
		}
	}
	var parts []string
	for _, v := range []diff.Verdict{diff.VerdictLeak, diff.VerdictGrowing, diff.VerdictBurst, diff.VerdictChurn, diff.VerdictShrinking} {
		if c := counts[v]; c > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c, v))
		}
	}
	line := fmt.Sprintf("%s of %s", plural(len(seg), "sample", "samples"), code(sourceOf(seg)))
	if r.Timed {
		line += fmt.Sprintf(" over %s", shortDuration(b.Time.Sub(a.Time)))
	}
	line += fmt.Sprintf(": %d → %d goroutines (%+d)", a.Goroutines, b.Goroutines, b.Goroutines-a.Goroutines)
	if len(parts) > 0 {
		line += "; sites: " + strings.Join(parts, ", ")
	}
	out := []string{line}
	if allByEntry(r.Sites) {
		out = append(out, "the dumps record no creation sites: each site is the function its goroutines run")
	}
	if r.Start > 0 {
		when := text(r.Snapshots[r.Start].Source)
		if t := r.Snapshots[r.Start].Time; !t.IsZero() {
			when = t.Format(time.TimeOnly)
		}
		out = append(out, fmt.Sprintf("target restarted at %s; analysing the %s since", when, plural(len(seg), "sample", "samples")))
	}
	if r.BenignDelta != 0 {
		out = append(out, fmt.Sprintf("%+d in benign goroutines, not counted (--include-benign counts them)", r.BenignDelta))
	}
	for _, n := range append(append([]string(nil), opts.Notes...), r.Notes...) {
		out = append(out, "note: "+text(n))
	}
	warned := 0
	for _, m := range seg {
		for _, w := range m.Warnings {
			if opts.OmitWarnings {
				break
			}
			if warned++; warned <= maxTrendWarnings {
				out = append(out, text(m.Source)+": warning: "+text(w))
			}
		}
	}
	if warned > maxTrendWarnings {
		out = append(out, fmt.Sprintf("%d more warnings (-o json lists them per snapshot)", warned-maxTrendWarnings))
	}
	return out
}

// maxTrendWarnings bounds the warnings a series' table repeats.
const maxTrendWarnings = 5

// sourceOf names where a series' snapshots came from: the one URL of a
// watch, or the first and last file.
func sourceOf(seg []diff.Meta) string {
	a, b := seg[0].Source, seg[len(seg)-1].Source
	if a == b || len(seg) == 1 {
		return a
	}
	return a + " … " + b
}

// trendRows returns the sites a series' table shows: every site that
// changed, then the largest of the others up to trendLargest (all with
// opts.All), benign ones only with opts.All; then opts.Limit.
func trendRows(r *diff.Result, opts Options) (rows []*diff.Site, hidden int) {
	others := 0
	for _, s := range r.Sites {
		changed := !s.AllBenign && (s.Delta != 0 || s.Judgement.Verdict != diff.VerdictStable)
		show := opts.All || changed || !s.AllBenign && others < trendLargest
		if !changed && show && !opts.All {
			others++
		}
		if !show {
			hidden++
			continue
		}
		rows = append(rows, s)
	}
	if opts.Limit > 0 && len(rows) > opts.Limit {
		hidden += len(rows) - opts.Limit
		rows = rows[:opts.Limit]
	}
	return rows, hidden
}

// trendLargest is how many unchanged sites a series' table shows.
const trendLargest = 10

// trendGrid builds a series' table; its sparklines are at most spark
// characters wide.
func trendGrid(r *diff.Result, rows []*diff.Site, color bool, spark int) table {
	nm, allEntry := namesOf(r), allByEntry(rows)
	var t table
	t.col("VERDICT", false, false)
	t.col("FIRST", true, false)
	t.col("LAST", true, false)
	t.col("CHANGE", true, false)
	t.col("TREND", false, false)
	if r.Timed {
		t.col("PER MIN", true, false)
	}
	if r.IDs {
		t.col("NEW ALIVE", true, false)
	}
	t.col("SITE", false, true)
	t.col("WAITING", false, true)
	t.col("NOTE", false, true)
	last := len(r.Snapshots) - 1
	for _, s := range rows {
		leak := s.Judgement.Verdict == diff.VerdictLeak && !s.AllBenign
		v, line := string(s.Judgement.Verdict), Sparkline(countedFrom(r.Start, s), spark)
		if color && leak {
			v, line = red+bold+v+normal, red+line+normal
		}
		if s.AllBenign {
			v = "benign"
		}
		row := []string{v, strconv.Itoa(s.Counted(r.Start)), strconv.Itoa(s.Counted(last)), zeroDash(s.Delta), line}
		if r.Timed {
			row = append(row, fmt.Sprintf("%+.1f", s.PerMinute))
		}
		if r.IDs {
			row = append(row, ofCount(s.BornAlive, s.Born))
		}
		alt := make([][]string, len(row)+3)
		alt[len(row)], alt[len(row)+1] = siteShort(nm, s), waitShort(nm, s)
		row = append(row, siteCell(nm, s), waiting(nm, s), note(s, allEntry))
		t.rows = append(t.rows, row)
		t.alts = append(t.alts, alt)
	}
	return t
}

// tableSpark is how wide the sparklines of a table width columns wide
// are: sparkWidth, less on a narrow terminal, so that the site keeps some
// room.
func tableSpark(width int) int {
	if width <= 0 {
		return sparkWidth
	}
	return min(sparkWidth, max(6, (width-64)/2))
}

func zeroDash(n int) string {
	if n == 0 {
		return "0"
	}
	return fmt.Sprintf("%+d", n)
}

func writeTrendTable(w io.Writer, r *diff.Result, opts Options) error {
	nm := namesOf(r)
	sites := said(r)
	for _, s := range sites {
		line := fmt.Sprintf("%-8s %s", verdictWord(s), summaryOf(r, nm, s))
		if opts.Color && s.Judgement.Verdict == diff.VerdictLeak {
			line = red + bold + line + normal
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
		fmt.Fprintf(w, "%-8s %s\n", "", detail(r, nm, s))
	}
	if len(sites) == 0 {
		fmt.Fprintln(w, "no site grows")
	}
	for _, l := range trendSummary(r, opts, false) {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w)
	rows, hidden := trendRows(r, opts)
	if len(rows) > 0 {
		if err := renderGrid(w, trendGrid(r, rows, opts.Color, tableSpark(opts.Width)), false, opts.Width); err != nil {
			return err
		}
	}
	if hidden > 0 {
		fmt.Fprintf(w, "%s not shown (--all, --limit)\n", plural(hidden, "site", "sites"))
	}
	return nil
}

// Leading names the site that leads the growth of a series so far, in
// short, for a progress line: "pollAllFiles +16 every 30s". It is empty
// when no site grows.
func Leading(r *diff.Result) string {
	for _, s := range r.Sites {
		if s.AllBenign || s.Delta <= 0 {
			continue
		}
		return lastName(s.Func) + " " + change(r, s)
	}
	return ""
}

// lastName is a function's own name, without package or receiver:
// "pollAllFiles"; a function literal keeps the name of the function it is
// in: "main.func1".
func lastName(fn string) string {
	parts := strings.Split(shortFunc(fn), ".")
	n := len(parts) - 1
	if n > 0 && strings.HasPrefix(parts[n], "func") && len(parts[n]) > 4 && parts[n][4] >= '0' && parts[n][4] <= '9' {
		return parts[n-1] + "." + parts[n]
	}
	return parts[n]
}

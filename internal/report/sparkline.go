package report

import (
	"strings"

	"github.com/leakscan/leakscan/internal/diff"
)

// sparkBars are the eight heights of a sparkline, lowest first.
var sparkBars = []rune("▁▂▃▄▅▆▇█")

// sparkWidth is the most characters a sparkline of a table or Markdown
// row takes; a longer series is shown by the largest count of each run
// of samples, so that a burst between two samples still shows.
const sparkWidth = 20

// Sparkline draws counts in at most width characters, one per sample (or
// per run of samples, see sparkWidth):
//
//	[0 16 16 32 48 48 64 80] → "▁▂▂▃▅▅▆█"
//	[6 7 6 7]                → "▄█▄█"
//	[8 8 8]                  → "▄▄▄"
//
// The bars start from zero unless the counts vary little beside their
// size: then from the lowest count less the range, so that a slow rise of
// a big pool shows, while a change of one in six does not look like a
// burst. A series that does not change is drawn at mid height (at the
// bottom when it is zero). It returns "" for no counts.
func Sparkline(counts []int, width int) string {
	if len(counts) == 0 || width <= 0 {
		return ""
	}
	counts = bucketMax(counts, width)
	lo, hi := counts[0], counts[0]
	for _, c := range counts {
		lo, hi = min(lo, c), max(hi, c)
	}
	var b strings.Builder
	b.Grow(len(counts) * 3)
	if lo == hi {
		bar := sparkBars[3]
		if hi <= 0 {
			bar = sparkBars[0]
		}
		for range counts {
			b.WriteRune(bar)
		}
		return b.String()
	}
	base := max(0, lo-(hi-lo))
	top := len(sparkBars) - 1
	for _, c := range counts {
		i := (c - base) * top / (hi - base)
		b.WriteRune(sparkBars[max(0, min(top, i))])
	}
	return b.String()
}

// bucketMax shortens counts to at most n values, each the largest of an
// even share of the samples.
func bucketMax(counts []int, n int) []int {
	if len(counts) <= n {
		return counts
	}
	out := make([]int, n)
	for i := range out {
		from, to := i*len(counts)/n, (i+1)*len(counts)/n
		m := counts[from]
		for _, c := range counts[from:to] {
			m = max(m, c)
		}
		out[i] = m
	}
	return out
}

// countedFrom is a site's counted goroutines from snapshot start on.
func countedFrom(start int, s *diff.Site) []int {
	out := make([]int, max(0, len(s.Counts)-start))
	for i := range out {
		out[i] = s.Counted(start + i)
	}
	return out
}

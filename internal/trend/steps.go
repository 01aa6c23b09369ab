package trend

import (
	"math"
	"slices"
	"time"
)

// Steps is growth that comes in equal jumps at a fixed period: "+16
// every 30s".
type Steps struct {
	Size  int           // the count added by one jump
	Every time.Duration // the period: the roundest value in (MinEvery, MaxEvery)
	Count int           // jumps between the first sample and the last
	// First is when the first jump happened, the middle of what the
	// samples allow at period Every.
	First time.Duration
	// Every period in (MinEvery, MaxEvery) puts each jump in the window
	// between two samples where its count went up, and none elsewhere
	// after the first.
	MinEvery, MaxEvery time.Duration
}

// The limits of FindSteps.
const (
	// MinSteps is the fewest jumps, in as many windows, that make a
	// period: two jumps are one interval, which any period fits.
	MinSteps = 3
	// StepNoise is how far a count may stray from its step's level, as a
	// fraction of the step (strictly less): 1/4, so that the noise of a
	// series never takes a count half way to the next level, a count
	// series that is not quantized passes with probability at most 1/2
	// per sample, and half the true step (whose levels are a quarter
	// off) never passes.
	StepNoise = 0.25
	// TimeSlack widens each window between samples by this fraction of
	// the median interval on both sides, for the time between the moment
	// a sample is stamped and the moment its counts are taken.
	TimeSlack = 0.05
	// MaxPeriodSpread is how loosely the samples may pin the period
	// down: MaxEvery - MinEvery at most half their mean. Looser than that
	// and "every 30s" would be a guess.
	MaxPeriodSpread = 0.5
)

// FindSteps reports whether the counts of s rise in jumps of one size
// (up to StepNoise around each level) at one period, and if so which.
//
// It sees each jump as having happened somewhere in the window between
// the two samples whose counts straddle it, and looks for a period and
// phase that put every jump in its window: that holds when the interval
// does not divide the period (jumps land at irregular sample indices),
// across a missed sample (a window with two jumps), and with jitter in
// the sample times, which are taken as exact. Jumps must go on to the
// last sample: a series that stops growing for longer than a period
// (a pool that reached its cap) has no steps. A series may be flat
// before its first jump (a leak that began during the series).
//
// There are no steps when the jumps are fewer than MinSteps, when a count
// goes down a level, when every window has as many jumps as every other
// (or, for steps of one, when every window has a jump): the sampling does
// not resolve the steps and the growth is a rate. Nor when the times are
// not in order. s must be in the order taken.
func FindSteps(s []Sample) (Steps, bool) {
	n := len(s)
	if n < MinSteps+1 {
		return Steps{}, false
	}
	r := make([]int64, n) // counts less the first, so levels fit in int64
	for i, x := range s {
		if x.Count < 0 || (i > 0 && x.At < s[i-1].At) {
			return Steps{}, false
		}
		r[i] = int64(x.Count) - int64(s[0].Count)
	}
	level := make([]int64, n)
	for _, guess := range stepCandidates(r) {
		// A guess comes from one difference, its noise included: count
		// the jumps of each window by it, refit the size over all of
		// them, and ask whether every count is on a level of the refit
		// size; twice, in case the guess was far enough off to miscount.
		size := guess
		for range 2 {
			if !countJumps(r, size, level) {
				break
			}
			if size = refitSize(r, level); size < 1 {
				break
			}
			// With few levels the refit can be one off; of the sizes
			// around it, the one whose levels fit the counts closest.
			best, bestSpread := int64(0), int64(math.MaxInt64)
			for _, c := range []int64{size, size - 1, size + 1} {
				if v, ok := levels(r, c, level); ok && v < bestSpread {
					best, bestSpread = c, v
				}
			}
			if best > 0 {
				// The largest size that explains the counts is the step;
				// a smaller one only splits it.
				levels(r, best, level)
				return periodic(s, best, level)
			}
		}
	}
	return Steps{}, false
}

// stepCandidates returns the step sizes worth trying on the counts r,
// largest first: every rise between two samples, and its halves, thirds
// and quarters (a window that held several jumps). A guess within 10% of
// a larger one counts the same jumps and is left out.
func stepCandidates(r []int64) []int64 {
	var c []int64
	for i := 1; i < len(r); i++ {
		d := r[i] - r[i-1]
		if d <= 0 {
			continue
		}
		for m := int64(1); m <= 4; m++ {
			if q := roundDiv(d, m); q > 0 {
				c = append(c, q)
			}
		}
	}
	slices.Sort(c)
	slices.Reverse(c)
	out := c[:0]
	for _, x := range c {
		if len(out) == 0 || float64(x) <= 0.9*float64(out[len(out)-1]) {
			out = append(out, x)
		}
	}
	return out
}

// roundDiv is a/b rounded half away from zero, for b > 0, without the
// overflow of a + b/2.
func roundDiv(a, b int64) int64 {
	q, r := a/b, a%b
	switch {
	case r > 0 && r >= b-r:
		q++
	case r < 0 && -r >= b+r:
		q--
	}
	return q
}

// countJumps sets level to the jumps of size each window's rise rounds
// to, counted from 0 at the first sample, and reports whether none is
// negative and some positive.
func countJumps(r []int64, size int64, level []int64) bool {
	level[0] = 0
	for i := 1; i < len(r); i++ {
		m := roundDiv(r[i]-r[i-1], size)
		if m < 0 {
			return false
		}
		level[i] = level[i-1] + m
	}
	return level[len(r)-1] > 0
}

// levels reports whether every count of r lies less than StepNoise*size
// from a level k*size + offset for one offset, the levels never going
// down; if so it stores each sample's k in level and returns the spread
// of the counts about their levels (the largest offset from a level less
// the smallest), in counts.
func levels(r []int64, size int64, level []int64) (spread int64, ok bool) {
	if size < 1 {
		return 0, false
	}
	// Each count's offset from a multiple of size, centred on the first
	// sample's (r[0] = 0). Offsets within size/2 of each other do not
	// wrap, and wider ones fail anyway.
	lo, hi := int64(0), int64(0)
	limit := 2 * StepNoise * float64(size) // the widest spread of offsets
	for _, x := range r {
		v := centred(x, size)
		lo, hi = min(lo, v), max(hi, v)
		if float64(hi-lo) >= limit {
			return 0, false
		}
	}
	for i, x := range r {
		level[i] = (x - centred(x, size)) / size
		if i > 0 && level[i] < level[i-1] {
			return 0, false
		}
	}
	return hi - lo, true
}

// centred is x mod size, in [-size/2, size/2).
func centred(x, size int64) int64 {
	m := x % size
	if m < 0 {
		m += size
	}
	if m >= (size+1)/2 {
		m -= size
	}
	return m
}

// refitSize is the least-squares slope of the counts over their levels,
// rounded: the step size every jump agrees on.
func refitSize(r, level []int64) int64 {
	var sl, sr float64
	for i := range r {
		sl += float64(level[i])
		sr += float64(r[i])
	}
	n := float64(len(r))
	ml, mr := sl/n, sr/n
	var num, den float64
	for i := range r {
		dl := float64(level[i]) - ml
		num += dl * (float64(r[i]) - mr)
		den += dl * dl
	}
	q := math.Round(num / den)
	if den == 0 || !(q >= 1 && q < math.MaxInt64) {
		return 0
	}
	return int64(q)
}

// jumpWindow is a window between two samples that holds jumps first..last
// (numbered from 0 at the first sample's level), which happened in
// (from, to].
type jumpWindow struct {
	from, to    float64 // seconds
	first, last float64
}

// periodic finds the period and phase that put every jump of level in its
// window; see FindSteps.
func periodic(s []Sample, size int64, level []int64) (Steps, bool) {
	n := len(s)
	total := level[n-1] - level[0]
	if total < MinSteps {
		return Steps{}, false
	}
	gaps := make([]float64, 0, n-1)
	for i := 1; i < n; i++ {
		gaps = append(gaps, sub64(int64(s[i].At), int64(s[i-1].At))/1e9)
	}
	slack := TimeSlack * median(gaps)

	// The steps must show in the samples: either some window after the
	// first jump has none (the sampling resolves the steps), or, for
	// steps of more than one, windows hold different numbers of jumps
	// while every count stays on a level. A series that rises by the same
	// amount in every window is a rate as much as it is steps "every
	// interval".
	var ws []jumpWindow
	resolved, uneven := false, false
	var m0 int64 // jumps in the first window that has some
	for i := 1; i < n; i++ {
		m := level[i] - level[i-1]
		if m == 0 {
			resolved = resolved || len(ws) > 0
			continue
		}
		if m0 == 0 {
			m0 = m
		}
		uneven = uneven || m != m0
		ws = append(ws, jumpWindow{
			from:  s[i-1].At.Seconds() - slack,
			to:    s[i].At.Seconds() + slack,
			first: float64(level[i-1] - level[0]),
			last:  float64(level[i] - level[0] - 1),
		})
	}
	if len(ws) < MinSteps || !(resolved || uneven && size > 1) {
		return Steps{}, false
	}

	// Jump k happens at phase + k*period. Jumps j < k in windows u and v
	// need (v.from - u.to)/(k-j) < period < (v.to - u.from)/(k-j); the
	// tightest bounds come from the nearest and the farthest pair of
	// jumps of each two windows.
	lo, hi := 0.0, math.Inf(1)
	end := s[n-1].At.Seconds() - slack // jump number total comes after
	for a, u := range ws {
		if u.last > u.first {
			hi = min(hi, (u.to-u.from)/(u.last-u.first))
		}
		lo = max(lo, (end-u.to)/(float64(total)-u.last))
		for _, v := range ws[a+1:] {
			lo = max(lo, (v.from-u.to)/(v.first-u.last))
			hi = min(hi, (v.to-u.from)/(v.last-u.first))
		}
	}
	if !(lo < hi) || hi-lo > MaxPeriodSpread*(lo+hi)/2 {
		return Steps{}, false
	}
	period := roundest(lo, hi)
	phaseLo, phaseHi := phaseRange(ws, end, float64(total), period)
	if !(phaseLo < phaseHi) {
		// The roundest period sits on the edge of what is allowed.
		period = (lo + hi) / 2
		phaseLo, phaseHi = phaseRange(ws, end, float64(total), period)
	}
	return Steps{
		Size:     int(size),
		Every:    seconds(period),
		Count:    int(total),
		First:    seconds((phaseLo + phaseHi) / 2),
		MinEvery: seconds(lo),
		MaxEvery: seconds(hi),
	}, true
}

// phaseRange is the range of the first jump's time that puts every jump
// in its window at the given period.
func phaseRange(ws []jumpWindow, end, total, period float64) (lo, hi float64) {
	lo, hi = end-total*period, math.Inf(1)
	for _, w := range ws {
		lo = max(lo, w.from-w.first*period)
		hi = min(hi, w.to-w.last*period)
	}
	return lo, hi
}

// roundUnits are the periods people say, coarsest first.
var roundUnits = []time.Duration{
	time.Hour, 30 * time.Minute, 15 * time.Minute, 10 * time.Minute, 5 * time.Minute, 2 * time.Minute, time.Minute,
	30 * time.Second, 15 * time.Second, 10 * time.Second, 5 * time.Second, 2 * time.Second, time.Second,
	500 * time.Millisecond, 200 * time.Millisecond, 100 * time.Millisecond,
	50 * time.Millisecond, 20 * time.Millisecond, 10 * time.Millisecond,
	5 * time.Millisecond, 2 * time.Millisecond, time.Millisecond,
}

// roundest returns the multiple of the coarsest round unit in [lo, hi]
// (seconds) nearest their middle: every period in the range fits the
// samples equally, and "every 30s" reads better than "every 29.83s".
func roundest(lo, hi float64) float64 {
	mid := (lo + hi) / 2
	for _, u := range roundUnits {
		us := u.Seconds()
		k0, k1 := math.Ceil(lo/us), math.Floor(hi/us)
		if k0 < 1 || k0 > k1 {
			continue
		}
		k := math.Round(mid / us)
		return min(max(k, k0), k1) * us
	}
	return mid
}

// seconds converts seconds to a Duration, saturating.
func seconds(x float64) time.Duration {
	ns := x * 1e9
	switch {
	case ns >= math.MaxInt64:
		return math.MaxInt64
	case ns <= math.MinInt64:
		return math.MinInt64
	}
	return time.Duration(math.Round(ns))
}

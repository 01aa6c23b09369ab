// Package trend is the arithmetic of one count series: a robust growth
// fit, step detection ("+16 every 30s") and the shape of the series
// (rising, a plateau, a burst, falling, flat). It knows nothing of
// goroutines or verdicts; package diff gives the numbers their meaning.
//
// Every function is pure and takes the samples in the order they were
// taken. Counts are non-negative and may be as large as an int holds;
// times are offsets from an origin of the caller's choice, and only their
// differences matter.
package trend

import (
	"math"
	"slices"
	"time"
)

// Sample is one observation of a count.
type Sample struct {
	At    time.Duration // since an origin of the caller's choice
	Count int
}

// Line is a robust straight-line fit of counts over time, with how well
// the counts follow it.
type Line struct {
	// Slope is the Theil–Sen estimate, in counts per second: the median
	// of the slopes between every two samples taken at different times.
	// Up to 29% of the samples can be arbitrarily wrong (a spike, a
	// missed sample) without moving it far.
	Slope float64
	// Intercept is the fitted count at At = 0: the median of
	// Count - Slope*At.
	Intercept float64
	// Tau is Kendall's tau-b between time and count, in [-1, 1]: 1 when
	// every later sample is higher than every earlier one, 0 when the
	// order of the counts says nothing about time. It is how steady the
	// growth (or the decline) is: steps sampled a few times per step
	// score about 0.85 to 0.95, a steady rate near 1, counts that wander
	// near 0.
	Tau float64
	// Z is the Mann–Kendall trend statistic, corrected for ties and for
	// continuity; under "no trend" it is about standard normal, so
	// Z >= 2 is a rise that noise alone gives about 2% of the time.
	Z float64
	// N is the number of samples the fit used (see MaxFitSamples).
	N int
}

// PerMinute is Slope in counts per minute.
func (l Line) PerMinute() float64 { return l.Slope * 60 }

// MaxFitSamples bounds Fit's cost: Theil–Sen looks at every pair of
// samples, n²/2 of them (100 samples take about 0.1 ms, 300 about 1 ms,
// 1,000 about 10 ms). Above this many samples Fit thins the series to
// MaxFitSamples samples evenly spaced by index, the first and the last
// among them. That keeps the estimate's robustness and changes it by
// sampling error only; Z, which grows with the samples, is smaller than
// the whole series' would be, so thinning errs toward "no trend".
const MaxFitSamples = 300

// Fit returns the Theil–Sen line through s and its Kendall statistics.
// Samples taken at the same time add nothing to the slope. Fewer than two
// samples at different times give a zero Slope.
func Fit(s []Sample) Line {
	if len(s) > MaxFitSamples {
		s = thin(s, MaxFitSamples)
	}
	n := len(s)
	l := Line{N: n}
	if n == 0 {
		return l
	}
	if flat(s) {
		// The common case of a site that does not change, without n²
		// pairs.
		l.Intercept = float64(s[0].Count)
		return l
	}
	slopes := make([]float64, 0, n*(n-1)/2)
	for i := range s {
		for j := i + 1; j < n; j++ {
			if dt := sub64(int64(s[j].At), int64(s[i].At)); dt != 0 {
				slopes = append(slopes, sub64(int64(s[j].Count), int64(s[i].Count))/dt*1e9)
			}
		}
	}
	if len(slopes) > 0 {
		l.Slope = median(slopes)
	}
	res := slopes[:0]
	for _, x := range s {
		res = append(res, float64(x.Count)-l.Slope*x.At.Seconds())
	}
	l.Intercept = median(res)
	l.Tau, l.Z = Kendall(s)
	return l
}

// Kendall returns Line.Tau and Line.Z for s (thinned as Fit thins it),
// without the cost of the slope.
func Kendall(s []Sample) (tau, z float64) {
	if len(s) > MaxFitSamples {
		s = thin(s, MaxFitSamples)
	}
	n := len(s)
	var conc, disc, tiedT, tiedC int
	for i := range s {
		for j := i + 1; j < n; j++ {
			dt, dc := compare(s[j].At, s[i].At), compare(s[j].Count, s[i].Count)
			switch {
			case dt == 0:
				tiedT++
				if dc == 0 {
					tiedC++
				}
			case dc == 0:
				tiedC++
			case dt == dc:
				conc++
			default:
				disc++
			}
		}
	}
	pairs := n * (n - 1) / 2
	S := float64(conc - disc)
	if d := math.Sqrt(float64(pairs-tiedT) * float64(pairs-tiedC)); d > 0 {
		tau = S / d
	}
	if v := mkVariance(s); v > 0 && S != 0 {
		z = (S - math.Copysign(1, S)) / math.Sqrt(v)
	}
	return tau, z
}

func compare[T int | time.Duration](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// flat reports whether every count of s is the same.
func flat(s []Sample) bool {
	for _, x := range s {
		if x.Count != s[0].Count {
			return false
		}
	}
	return true
}

// mkVariance is the variance of the Mann–Kendall S under "no trend", less
// the share of tied counts and tied times.
func mkVariance(s []Sample) float64 {
	n := len(s)
	counts := make([]int, n)
	times := make([]int, n)
	for i, x := range s {
		counts[i] = x.Count
		times[i] = int(x.At)
	}
	f := func(t float64) float64 { return t * (t - 1) * (2*t + 5) }
	return (f(float64(n)) - tieTerm(counts, f) - tieTerm(times, f)) / 18
}

// tieTerm sorts xs and sums f over the sizes of its groups of equal
// values.
func tieTerm(xs []int, f func(float64) float64) float64 {
	slices.Sort(xs)
	sum := 0.0
	for i := 0; i < len(xs); {
		j := i + 1
		for j < len(xs) && xs[j] == xs[i] {
			j++
		}
		if j-i > 1 {
			sum += f(float64(j - i))
		}
		i = j
	}
	return sum
}

// thin returns m samples of s evenly spaced by index, the first and the
// last among them.
func thin(s []Sample, m int) []Sample {
	out := make([]Sample, m)
	for k := range out {
		out[k] = s[int(int64(k)*int64(len(s)-1)/int64(m-1))]
	}
	return out
}

// sub64 is a - b as a float64, without the int64 overflow of a - b when
// a and b have opposite signs.
func sub64(a, b int64) float64 {
	if (a >= 0) == (b >= 0) {
		return float64(a - b)
	}
	return float64(a) - float64(b)
}

// median returns the median of xs, reordering xs. xs must not be empty.
func median(xs []float64) float64 {
	n := len(xs)
	k := n / 2
	m := selectKth(xs, k)
	if n%2 == 1 {
		return m
	}
	// xs[:k] now holds the k smallest: the other middle value is their
	// largest.
	return (m + slices.Max(xs[:k])) / 2
}

// selectKth reorders xs so that xs[k] is the value a sort would put
// there, everything before it no larger and everything after no smaller,
// and returns it: Hoare's quickselect, expected linear time, with equal
// values (zero slopes between the samples of one step) split evenly.
func selectKth(xs []float64, k int) float64 {
	lo, hi := 0, len(xs)-1
	for lo < hi {
		// Median of three as the pivot keeps sorted input linear.
		mid := lo + (hi-lo)/2
		if xs[mid] < xs[lo] {
			xs[mid], xs[lo] = xs[lo], xs[mid]
		}
		if xs[hi] < xs[lo] {
			xs[hi], xs[lo] = xs[lo], xs[hi]
		}
		if xs[hi] < xs[mid] {
			xs[hi], xs[mid] = xs[mid], xs[hi]
		}
		p := xs[mid]
		i, j := lo, hi
		for i <= j {
			for xs[i] < p {
				i++
			}
			for xs[j] > p {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k]
		}
	}
	return xs[k]
}

package trend

import (
	"math"
	"slices"
)

// Shape is the course of a series as a whole.
type Shape int

const (
	// Flat: no significant rise or fall, and no burst.
	Flat Shape = iota
	// Rising: a significant rise that goes on in the latter half, or
	// steps (which go on to the last sample by definition).
	Rising
	// Plateau: a significant rise that stopped: the latter half is flat.
	// A pool or a cache filling up to its cap.
	Plateau
	// Burst: rose well above the level before its peak and came back
	// well below it (all the way, or on its way).
	Burst
	// Falling: a significant fall.
	Falling
	// Rose: a significant rise whose latter half is too noisy to tell
	// whether it goes on or stopped.
	Rose
)

func (s Shape) String() string {
	switch s {
	case Rising:
		return "rising"
	case Plateau:
		return "plateau"
	case Burst:
		return "burst"
	case Falling:
		return "falling"
	case Rose:
		return "rose"
	}
	return "flat"
}

// The limits of Summarize.
const (
	// MinZ is the Mann–Kendall Z a rise or a fall needs: 2, which a
	// series without trend reaches about 2% of the time. With fewer than
	// 5 samples no Z reaches it: such series are Flat or a Burst.
	MinZ = 2
	// LatterShare is how much of its rise a series must make in its
	// latter half (Levels.End - Levels.Middle, of Levels.End -
	// Levels.Start) for the rise to be going on: 1/4. A steady rise
	// makes half of it there, steps between a third and two thirds; a
	// pool that stopped filling before the middle makes none. Levels
	// rather than a slope: the Theil–Sen slope of a half that is mostly
	// one step is 0.
	LatterShare = 1.0 / 4
	// MinChange and MinBump, in counts and in multiples of Noise
	// (whichever is larger), are the least fitted change over the series
	// that is a rise or a fall, and the least height of a burst above
	// both its start and its end.
	MinChange, ChangeNoise = 2, 2
	MinBump, BumpNoise     = 3, 3
	// MinNoiseSamples is the fewest samples Noise estimates from.
	MinNoiseSamples = 6
)

// Summary is what this package says about one series.
type Summary struct {
	Line    Line // the fit of the whole series
	Steps   Steps
	Stepped bool // whether Steps holds (see FindSteps)
	Levels  Levels
	Noise   float64
	Shape   Shape
}

// Summarize fits s, looks for steps, and finds its shape:
//   - Rising when stepped, or when Z >= MinZ, the fitted change over the
//     series is a rise of MinChange, and the latter half makes
//     LatterShare of the rise from Levels.Start to Levels.End;
//   - else Burst when the peak, after the first sample and before the
//     last sixth, stands MinBump above both Levels.Before and
//     Levels.After;
//   - else Plateau when Z >= MinZ, the fitted change or Levels.End -
//     Levels.Start is a rise of MinChange, and the latter half rose less
//     than a steady rise would (half of Levels.End - Levels.Start) by
//     more than the noise, as much as a burst stands out (MinBump), or
//     did not rise at all (by more than one goroutine, with no noise to
//     speak of) after the series had risen: a cache that filled within
//     the first sixth of the samples leaves Levels.Start near its cap;
//   - else Rose when it rose all the same;
//   - else Falling, the same downward;
//   - else Flat.
func Summarize(s []Sample) Summary {
	sum := Summary{
		Line:   Fit(s),
		Levels: LevelsOf(s),
		Noise:  Noise(s),
	}
	sum.Steps, sum.Stepped = FindSteps(s)
	change := 0.0
	if len(s) > 1 {
		change = sum.Line.Slope * sub64(int64(s[len(s)-1].At), int64(s[0].At)) / 1e9
	}
	minChange := max(MinChange, ChangeNoise*sum.Noise)
	bump := max(MinBump, BumpNoise*sum.Noise)
	// The change from Levels.Start to Levels.End counts too: a series
	// flat for most of its length has a Theil–Sen slope of 0, however
	// far it rose before.
	l := sum.Levels
	levels := l.End - l.Start
	rose := sum.Line.Z >= MinZ && max(change, levels) >= minChange
	fell := sum.Line.Z <= -MinZ && min(change, levels) <= -minChange
	peak := float64(l.Peak)
	switch {
	case sum.Stepped || rose && change >= minChange && levels > 0 && l.End-l.Middle >= LatterShare*levels:
		sum.Shape = Rising
	case l.PeakIndex > 0 && l.PeakIndex < len(s)-l.edge && peak-l.Before >= bump && peak-l.After >= bump:
		sum.Shape = Burst
	case rose && (levels/2-(l.End-l.Middle) >= bump || l.End-l.Middle <= 1 && sum.Noise <= 1 && l.Middle > l.Start):
		sum.Shape = Plateau
	case rose:
		sum.Shape = Rose
	case fell:
		sum.Shape = Falling
	}
	return sum
}

// ShapeOf is Summarize(s).Shape.
func ShapeOf(s []Sample) Shape { return Summarize(s).Shape }

// Levels are where a series starts, ends and peaks.
type Levels struct {
	// Start, Middle and End are the medians of the first, the middle and
	// the last sixth of the samples (at least one each), so that one
	// stray sample does not move them. End - Middle is the growth in the
	// latter part of the series: where a leak still grows and a pool
	// that filled up is flat.
	Start, Middle, End float64
	Peak               int // the largest count
	PeakIndex          int // the first sample with it
	// Before and After are the medians of the samples before the peak
	// and after it (zero when there are none): where a burst rose from
	// and where it came back to.
	Before, After float64
	edge          int // the samples in Start, and in End
}

// LevelsOf returns the levels of s; all zero for an empty series.
func LevelsOf(s []Sample) Levels {
	var l Levels
	if len(s) == 0 {
		return l
	}
	q := max(1, len(s)/6)
	l.edge = q
	l.Start = medianCount(s[:q])
	m := len(s)/2 - q/2
	l.Middle = medianCount(s[m : m+q])
	l.End = medianCount(s[len(s)-q:])
	for i, x := range s {
		if i == 0 || x.Count > l.Peak {
			l.Peak, l.PeakIndex = x.Count, i
		}
	}
	l.Before = medianCount(s[:l.PeakIndex])
	l.After = medianCount(s[l.PeakIndex+1:])
	return l
}

func medianCount(s []Sample) float64 {
	if len(s) == 0 {
		return 0
	}
	xs := make([]float64, len(s))
	for i, x := range s {
		xs[i] = float64(x.Count)
	}
	return median(xs)
}

// Noise is the typical size of the counts' sample-to-sample wobble, as a
// standard deviation: the median absolute deviation of the differences
// between neighbours, scaled to a normal's σ and divided by √2 since each
// difference holds two samples' noise. A steady rise moves every
// difference alike and adds nothing; jumps add a little while fewer than
// half the differences hold one. A series that moves in most windows (a
// short burst) looks noisy. Zero with fewer than MinNoiseSamples samples,
// too few differences to tell noise from change.
func Noise(s []Sample) float64 {
	if len(s) < MinNoiseSamples {
		return 0
	}
	d := make([]float64, len(s)-1)
	for i := 1; i < len(s); i++ {
		d[i-1] = sub64(int64(s[i].Count), int64(s[i-1].Count))
	}
	m := median(slices.Clone(d))
	for i := range d {
		d[i] = math.Abs(d[i] - m)
	}
	return 1.4826 * median(d) / math.Sqrt2
}

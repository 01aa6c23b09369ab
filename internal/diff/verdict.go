package diff

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/leakscan/leakscan/internal/trend"
)

// Evidence is what the series knows about one site over the samples of
// one process.
type Evidence struct {
	Times  []time.Time // one per sample; all zero when the samples record no time
	Counts []int       // one per sample
	// Survived: goroutines of the first sample still alive in the last
	// (same ids); -1 when ids are unknown.
	Survived int
	// Born: distinct goroutines first seen after the first sample;
	// BornAlive: of those, alive in the last sample. -1 when unknown.
	Born, BornAlive int
}

// Verdict is what a site's series says about it. Only VerdictLeak means a
// leak.
type Verdict string

const (
	VerdictLeak      Verdict = "leak"    // keeps growing and the new goroutines stay
	VerdictGrowing   Verdict = "growing" // up, not enough evidence yet
	VerdictStable    Verdict = "stable"
	VerdictChurn     Verdict = "churn" // goroutines come and go, count does not grow
	VerdictBurst     Verdict = "burst" // rose and came back down
	VerdictShrinking Verdict = "shrinking"
)

// Judgement is the verdict on one site, with the numbers behind it.
type Judgement struct {
	Verdict   Verdict
	Reason    string        // one line, plain words, e.g. "grew in 4 steps of 16 every 30s; all 64 new goroutines still alive"
	PerMinute float64       // robust growth rate; 0 when times are unknown
	Step      int           // step size when growth is stepwise, else 0
	StepEvery time.Duration // step period, else 0
	Steady    float64       // 0..1, how steady the growth is
	// PerSample and StepEverySamples stand in for PerMinute and
	// StepEvery when the times are unknown (else 0): the growth per
	// sample, and the step period in samples.
	PerSample        float64
	StepEverySamples float64
}

// The thresholds of Judge.
const (
	// MinLeakSamples is the fewest samples that can be a leak: 6, so that
	// the rise can be significant (a Mann–Kendall Z of 2 needs 5 samples
	// in a row going up) and the latter half that must still be rising
	// has 3 samples of its own. Fewer are `growing` at most.
	MinLeakSamples = 6
	// MinLeakGrowth is the least a leak grows from the first sample to
	// the last: 3 goroutines. One or two more may be a request in flight
	// at the wrong moment.
	MinLeakGrowth = 3
	// Without goroutine ids (debug=1 text, protobuf) nothing tells a leak
	// from short-lived goroutines riding a rising load but the count
	// itself. Such a site is a leak only on more evidence: at least
	// MinBlindSamples samples, twice the minimum, and steps (which load
	// does not make) or growth at least MinBlindSteady steady (Kendall's
	// tau: about four in five pairs of samples in rising order; a noisy
	// slow leak, ±3 around +5/min, scores 0.7 to 0.85). Otherwise it is
	// `growing`, and the reason says survival is unknown either way. It
	// is not `growing` always, because saved protobuf profiles, which have
	// no ids, are what `trend` most often reads.
	MinBlindSamples = 2 * MinLeakSamples
	MinBlindSteady  = 0.6
)

// Judge classifies one site's series, by its shape (package trend) and
// the survival of its goroutines:
//   - leak: the count keeps rising (trend.Rising: a significant rise that
//     goes on in the latter half, or steps), by MinLeakGrowth at least,
//     over MinLeakSamples at least, and the goroutines stay: some of the
//     first sample's are still alive (if it had any and all of them
//     ended, the site's goroutines end, and a rising count is more
//     likely a rising load), and the new ones still alive make at least
//     half the growth (always so when the ids are consistent). Others
//     that came and went besides do not matter: a slow leak among
//     short-lived goroutines of the same site is a leak. Without ids,
//     see MinBlindSamples.
//   - growing: rising without that evidence, a rise whose latter half is
//     too noisy to tell whether it goes on (trend.Rose), or any rise in
//     fewer than MinLeakSamples samples.
//   - stable: flat, or rose and then stayed flat (trend.Plateau: a pool
//     or a cache at its cap).
//   - churn: flat, but its goroutines were replaced at least once over:
//     as many ended as it usually holds.
//   - burst: rose and came back down; shrinking: fell.
//
// Times are known when every sample has one and they do not go back;
// otherwise the samples are taken one apart, PerMinute is 0 and the
// rates are per sample.
func Judge(e Evidence) Judgement {
	n := len(e.Counts)
	switch n {
	case 0:
		return Judgement{Verdict: VerdictStable, Reason: "no samples"}
	case 1:
		return Judgement{Verdict: VerdictStable, Reason: fmt.Sprintf("one sample (%d): nothing to compare", e.Counts[0])}
	}
	timed := timesKnown(e.Times, n)
	samples := make([]trend.Sample, n)
	for i, c := range e.Counts {
		at := time.Duration(i) * time.Second // sample index, when untimed
		if timed {
			at = e.Times[i].Sub(e.Times[0])
		}
		samples[i] = trend.Sample{At: at, Count: c}
	}
	sum := trend.Summarize(samples)
	j := Judgement{Steady: max(0, sum.Line.Tau)}
	if timed {
		j.PerMinute = sum.Line.PerMinute()
	} else {
		j.PerSample = sum.Line.Slope // per second of sample index
	}
	if sum.Stepped {
		j.Step = sum.Steps.Size
		if timed {
			j.StepEvery = sum.Steps.Every
		} else {
			j.StepEverySamples = sum.Steps.Every.Seconds()
		}
	}
	v := judged{Evidence: e, n: n, timed: timed, sum: sum, samples: samples, j: j}
	j.Verdict, j.Reason = v.judge()
	return j
}

// idsKnown reports whether e's survival numbers are known.
func (e Evidence) idsKnown() bool { return e.Survived >= 0 && e.Born >= 0 && e.BornAlive >= 0 }

// judged is what Judge looks at.
type judged struct {
	Evidence
	n       int
	timed   bool
	sum     trend.Summary
	samples []trend.Sample
	j       Judgement // the numbers, before the verdict
}

func (v judged) judge() (Verdict, string) {
	first, last := v.Counts[0], v.Counts[v.n-1]
	grew := last - first

	if v.n < MinLeakSamples {
		switch {
		case v.sum.Shape == trend.Burst:
			return VerdictBurst, v.burst()
		case grew > 0:
			return VerdictGrowing, fmt.Sprintf("grew from %d to %d in %d samples; a leak needs %d", first, last, v.n, MinLeakSamples)
		case grew < 0:
			return VerdictShrinking, fmt.Sprintf("fell from %d to %d", first, last)
		}
		return v.still()
	}

	switch v.sum.Shape {
	case trend.Rising:
		return v.rising()
	case trend.Burst:
		return VerdictBurst, v.burst()
	case trend.Plateau:
		return VerdictStable, v.plateau()
	case trend.Rose:
		return VerdictGrowing, v.growth() + ", but its latter half is too noisy to tell whether it goes on"
	case trend.Falling:
		return VerdictShrinking, fmt.Sprintf("fell from %d to %d at %s", first, last, v.rate())
	}
	return v.still()
}

// rising judges a series that keeps rising.
func (v judged) rising() (Verdict, string) {
	first, last := v.Counts[0], v.Counts[v.n-1]
	grew := last - first
	how := v.growth()
	if grew < MinLeakGrowth {
		return VerdictGrowing, fmt.Sprintf("%s: %d more only, a leak grows by %d at least", how, grew, MinLeakGrowth)
	}
	if !v.idsKnown() {
		const unknown = "survival unknown (no goroutine ids)"
		if v.n < MinBlindSamples {
			return VerdictGrowing, fmt.Sprintf("%s; %s, and without it a leak needs %d samples (%d)", how, unknown, MinBlindSamples, v.n)
		}
		if !v.sum.Stepped && v.j.Steady < MinBlindSteady {
			return VerdictGrowing, fmt.Sprintf("%s; %s, and without it a leak needs steadier growth (%.2f, at least %.2f)", how, unknown, v.j.Steady, MinBlindSteady)
		}
		return VerdictLeak, how + "; " + unknown
	}
	if first > 0 && v.Survived == 0 {
		return VerdictGrowing, fmt.Sprintf("%s, but none of the first sample's %d goroutines is still alive: they end, so the rise may be load", how, first)
	}
	if v.BornAlive < grew-grew/2 {
		return VerdictGrowing, fmt.Sprintf("%s, but only %d of the new goroutines are still alive", how, v.BornAlive)
	}
	if v.BornAlive == v.Born {
		return VerdictLeak, fmt.Sprintf("%s; all %d new goroutines still alive", how, v.Born)
	}
	return VerdictLeak, fmt.Sprintf("%s; %d of %d new goroutines still alive", how, v.BornAlive, v.Born)
}

// growth says how the series rose: in steps, or at a rate.
func (v judged) growth() string {
	first, last := v.Counts[0], v.Counts[v.n-1]
	if v.sum.Stepped {
		st := v.sum.Steps
		return fmt.Sprintf("grew in %d steps of %d every %s", st.Count, st.Size, v.period(st.Every))
	}
	return fmt.Sprintf("grew from %d to %d at %s", first, last, v.rate())
}

func (v judged) period(d time.Duration) string {
	if v.timed {
		return d.String()
	}
	return strconv.FormatFloat(d.Seconds(), 'g', 3, 64) + " samples (times unknown)"
}

// rate is the robust growth rate in words: "+3.2/min".
func (v judged) rate() string {
	if v.timed {
		return signedRate(v.j.PerMinute) + "/min"
	}
	return signedRate(v.j.PerSample) + " per sample (times unknown)"
}

// signedRate formats a rate with its sign and two significant digits, or
// none after the point: +176, +32, +3.2, +3, +0.27.
func signedRate(x float64) string {
	a := math.Abs(x)
	var s string
	if a >= 10 {
		s = strconv.FormatFloat(a, 'f', 0, 64)
	} else {
		s = strconv.FormatFloat(a, 'g', 2, 64)
	}
	if x < 0 {
		return "-" + s
	}
	return "+" + s
}

func (v judged) burst() string {
	l := v.sum.Levels
	return fmt.Sprintf("rose from %d to %d and came back to %d", int(math.Round(l.Before)), l.Peak, v.Counts[v.n-1])
}

// plateau describes a series that rose, then stayed flat: since it first
// came within its noise of where it ended.
func (v judged) plateau() string {
	first, last := v.Counts[0], v.Counts[v.n-1]
	tol := max(1, trend.ChangeNoise*v.sum.Noise)
	i := 0
	for i < v.n-1 && float64(v.Counts[i]) < v.sum.Levels.End-tol {
		i++
	}
	var since string
	if v.timed {
		since = (v.samples[v.n-1].At - v.samples[i].At).Round(time.Second).String()
	} else {
		since = fmt.Sprintf("%d samples", v.n-1-i)
	}
	return fmt.Sprintf("filled from %d to %d, then flat for %s: a pool or cache at its cap", first, last, since)
}

// still judges a series that does not move: stable, or churn when its
// goroutines were replaced at least once over.
func (v judged) still() (Verdict, string) {
	lo, hi := slices.Min(v.Counts), slices.Max(v.Counts)
	near := int(math.Round(v.sum.Levels.End))
	if v.idsKnown() {
		ended := (v.Counts[0] - v.Survived) + (v.Born - v.BornAlive)
		typical := slices.Sorted(slices.Values(v.Counts))[v.n/2]
		if ended > 0 && ended >= max(1, typical) {
			return VerdictChurn, fmt.Sprintf("stays near %d while %d goroutines came and went", near, ended)
		}
	}
	if lo == hi {
		return VerdictStable, fmt.Sprintf("flat at %d", lo)
	}
	return VerdictStable, fmt.Sprintf("stays between %d and %d", lo, hi)
}

// timesKnown reports whether times holds n times that are all set and do
// not go back, the last after the first.
func timesKnown(times []time.Time, n int) bool {
	if len(times) != n || n < 2 {
		return false
	}
	for i, t := range times {
		if t.IsZero() || (i > 0 && t.Before(times[i-1])) {
			return false
		}
	}
	return times[n-1].After(times[0])
}

package trend

import (
	"math/rand/v2"
	"time"
)

// synth describes a synthetic series: samples every interval, each
// moved by up to ±jitter of the interval, some dropped, each count off by
// up to ±noise. The randomness is seeded, so every run sees the same
// series.
type synth struct {
	n        int
	interval time.Duration
	jitter   float64 // fraction of interval
	drop     []int   // indices of samples not taken
	noise    int
	seed     uint64
	count    func(t time.Duration) int
}

func (g synth) samples() []Sample {
	rng := rand.New(rand.NewPCG(g.seed, 42))
	dropped := make(map[int]bool)
	for _, i := range g.drop {
		dropped[i] = true
	}
	var s []Sample
	for i := range g.n {
		at := time.Duration(i) * g.interval
		if g.jitter > 0 {
			at += time.Duration((rng.Float64()*2 - 1) * g.jitter * float64(g.interval))
		}
		if i == 0 {
			at = max(at, 0)
		}
		c := g.count(at)
		if g.noise > 0 {
			c += rng.IntN(2*g.noise+1) - g.noise
		}
		if !dropped[i] {
			s = append(s, Sample{At: at, Count: max(c, 0)})
		}
	}
	return s
}

// stepped is base plus size for every jump at phase, phase+every, ...,
// up to t.
func stepped(base, size int, every, phase time.Duration) func(time.Duration) int {
	return func(t time.Duration) int {
		if t < phase {
			return base
		}
		return base + size*int(1+(t-phase)/every)
	}
}

// capped is stepped until the count reaches limit.
func capped(base, size int, every, phase time.Duration, limit int) func(time.Duration) int {
	f := stepped(base, size, every, phase)
	return func(t time.Duration) int { return min(f(t), limit) }
}

// linear grows by perMinute from base.
func linear(base int, perMinute float64) func(time.Duration) int {
	return func(t time.Duration) int { return base + int(perMinute*t.Minutes()) }
}

// burst is base, and base+height from start to end.
func burst(base, height int, start, end time.Duration) func(time.Duration) int {
	return func(t time.Duration) int {
		if t >= start && t < end {
			return base + height
		}
		return base
	}
}

// arrivals is base plus one for each of the random arrival times, about
// perMinute of them a minute up to horizon: a leak with no period.
func arrivals(base int, perMinute float64, horizon time.Duration, seed uint64) func(time.Duration) int {
	rng := rand.New(rand.NewPCG(seed, 7))
	var at []time.Duration
	for t := time.Duration(0); t < horizon; {
		t += time.Duration(rng.ExpFloat64() / perMinute * float64(time.Minute))
		at = append(at, t)
	}
	return func(t time.Duration) int {
		n := 0
		for _, a := range at {
			if a <= t {
				n++
			}
		}
		return base + n
	}
}

func constant(c int) func(time.Duration) int { return func(time.Duration) int { return c } }

// counts returns s's counts.
func counts(s []Sample) []int {
	out := make([]int, len(s))
	for i, x := range s {
		out[i] = x.Count
	}
	return out
}

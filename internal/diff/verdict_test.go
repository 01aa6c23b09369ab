package diff

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// sampled describes a synthetic site: a count sampled every interval,
// each sample moved by up to ±jitter of the interval, some not taken,
// each count off by up to ±noise. Seeded, so every run sees the same
// series.
type sampled struct {
	n        int
	interval time.Duration
	jitter   float64
	noise    int
	drop     []int
	seed     uint64
	untimed  bool // the samples record no time
	count    func(t time.Duration) int
	// ids returns Survived, Born and BornAlive for the counts.
	ids func(counts []int) (survived, born, bornAlive int)
}

var start = time.Date(2025, 11, 7, 22, 59, 5, 0, time.UTC)

func (g sampled) evidence() Evidence {
	rng := rand.New(rand.NewPCG(g.seed, 99))
	dropped := make(map[int]bool)
	for _, i := range g.drop {
		dropped[i] = true
	}
	var e Evidence
	for i := range g.n {
		at := time.Duration(i) * g.interval
		if g.jitter > 0 && i > 0 {
			at += time.Duration((rng.Float64()*2 - 1) * g.jitter * float64(g.interval))
		}
		c := g.count(at)
		if g.noise > 0 {
			c = max(0, c+rng.IntN(2*g.noise+1)-g.noise)
		}
		if dropped[i] {
			continue
		}
		var t time.Time
		if !g.untimed {
			t = start.Add(at)
		}
		e.Times = append(e.Times, t)
		e.Counts = append(e.Counts, c)
	}
	e.Survived, e.Born, e.BornAlive = -1, -1, -1
	if g.ids != nil && len(e.Counts) > 0 {
		e.Survived, e.Born, e.BornAlive = g.ids(e.Counts)
	}
	return e
}

// stay: every goroutine stays; the new ones are the growth.
func stay(c []int) (int, int, int) {
	grew := max(0, c[len(c)-1]-c[0])
	return c[0], grew, grew
}

// amongShortLived: a leak among short-lived goroutines of the same
// site: a few of the first sample's goroutines were in flight and
// ended, the leaked ones stayed, and many more came and went.
func amongShortLived(c []int) (int, int, int) {
	first, last := c[0], c[len(c)-1]
	survived := first - 3
	alive := last - survived
	return survived, alive + 600, alive
}

// comeAndGo: request handlers: none of the first sample's is left,
// hundreds were born, the ones alive at the end are those in flight.
func comeAndGo(c []int) (int, int, int) { return 0, 480, c[len(c)-1] }

// Count functions of time.
func stepped(base, size int, every, phase time.Duration) func(time.Duration) int {
	return func(t time.Duration) int {
		if t < phase {
			return base
		}
		return base + size*int(1+(t-phase)/every)
	}
}

func capped(f func(time.Duration) int, limit int) func(time.Duration) int {
	return func(t time.Duration) int { return min(f(t), limit) }
}

func linear(base int, perMinute float64) func(time.Duration) int {
	return func(t time.Duration) int { return base + int(perMinute*t.Minutes()) }
}

func constant(c int) func(time.Duration) int { return func(time.Duration) int { return c } }

func burstOf(base, height int, from, to time.Duration) func(time.Duration) int {
	return func(t time.Duration) int {
		if t >= from && t < to {
			return base + height
		}
		return base
	}
}

const sec = time.Second

// The story of the issue: +16 every 30s, sampled every 5s for 3 minutes.
var leak16 = stepped(112, 16, 30*sec, 3*sec)

func TestJudge(t *testing.T) {
	tests := []struct {
		name   string
		e      Evidence
		want   Verdict
		reason []string // substrings of the reason
		step   int
		every  time.Duration
	}{
		// Leaks.
		{"steps", sampled{n: 37, interval: 5 * sec, count: leak16, ids: stay}.evidence(),
			VerdictLeak, []string{"grew in 6 steps of 16 every 30s", "all 96 new goroutines still alive"}, 16, 30 * sec},
		{"steps with jitter and noise", sampled{n: 36, interval: 5 * sec, jitter: 0.1, noise: 2, seed: 1, count: leak16, ids: stay}.evidence(),
			VerdictLeak, []string{"steps of 16 every 30s"}, 16, 30 * sec},
		{"steps, interval not dividing the period, a gap", sampled{n: 40, interval: 7 * sec, jitter: 0.1, drop: []int{9, 10, 11, 12, 13}, seed: 2, count: leak16, ids: stay}.evidence(),
			VerdictLeak, []string{"steps of 16 every 30s"}, 16, 30 * sec},
		{"rate", sampled{n: 36, interval: 5 * sec, jitter: 0.1, seed: 3, count: linear(40, 20), ids: stay}.evidence(),
			VerdictLeak, []string{"grew from 40 to 98 at +20/min", "all 58 new goroutines still alive"}, 0, 0},
		{"slow leak among short-lived goroutines", sampled{n: 36, interval: 5 * sec, noise: 3, seed: 4, count: linear(20, 5), ids: amongShortLived}.evidence(),
			VerdictLeak, []string{"grew from", "+5", "of 6", "new goroutines still alive"}, 0, 0},
		{"steps, ids unknown", sampled{n: 36, interval: 5 * sec, count: leak16}.evidence(),
			VerdictLeak, []string{"steps of 16 every 30s", "survival unknown"}, 16, 30 * sec},
		{"steady rate, ids unknown", sampled{n: 36, interval: 5 * sec, noise: 1, seed: 5, count: linear(40, 20)}.evidence(),
			VerdictLeak, []string{"+20/min", "survival unknown"}, 0, 0},
		{"steps, times unknown", sampled{n: 36, interval: 5 * sec, untimed: true, count: leak16, ids: stay}.evidence(),
			VerdictLeak, []string{"steps of 16 every 6 samples (times unknown)"}, 16, 0},
		{"rate, times unknown", sampled{n: 36, interval: 5 * sec, untimed: true, count: linear(40, 24), ids: stay}.evidence(),
			VerdictLeak, []string{"+2 per sample (times unknown)"}, 0, 0},
		{"huge counts", sampled{n: 36, interval: 5 * sec, count: stepped(1<<62, 16, 30*sec, 3*sec), ids: stay}.evidence(),
			VerdictLeak, []string{"steps of 16 every 30s"}, 16, 30 * sec},

		// Not leaks.
		{"pool started full", sampled{n: 36, interval: 5 * sec, count: constant(64), ids: stay}.evidence(),
			VerdictStable, []string{"flat at 64"}, 0, 0},
		{"pool filling to its cap", sampled{n: 36, interval: 5 * sec, jitter: 0.1, seed: 6, count: capped(stepped(0, 16, 15*sec, sec), 64), ids: stay}.evidence(),
			VerdictStable, []string{"filled from 0 to 64, then flat for 2m", "cap"}, 0, 0},
		{"cache filling to its cap", sampled{n: 36, interval: 5 * sec, noise: 1, seed: 7, count: capped(linear(0, 120), 100), ids: stay}.evidence(),
			VerdictStable, []string{"filled from 0 to", "then flat for", "cap"}, 0, 0},
		{"request handlers", sampled{n: 36, interval: 5 * sec, noise: 3, seed: 8, count: constant(6), ids: comeAndGo}.evidence(),
			VerdictChurn, []string{"came and went"}, 0, 0},
		{"burst that drained", sampled{n: 36, interval: 5 * sec, noise: 2, seed: 9, count: burstOf(10, 60, 40*sec, 80*sec), ids: stay}.evidence(),
			VerdictBurst, []string{"rose from 1", "to 7", "came back to"}, 0, 0},
		{"burst, ids unknown", sampled{n: 36, interval: 5 * sec, count: burstOf(10, 60, 40*sec, 80*sec)}.evidence(),
			VerdictBurst, []string{"rose from 10 to 70 and came back to 10"}, 0, 0},
		{"shrinking", sampled{n: 36, interval: 5 * sec, noise: 1, seed: 10, count: linear(200, -30), ids: stay}.evidence(),
			VerdictShrinking, []string{"fell from", "/min"}, 0, 0},
		{"constant, ids unknown", sampled{n: 20, interval: 5 * sec, count: constant(3)}.evidence(),
			VerdictStable, []string{"flat at 3"}, 0, 0},

		// Not enough evidence.
		{"too few samples", sampled{n: 5, interval: 30 * sec, count: leak16, ids: stay}.evidence(),
			VerdictGrowing, []string{"grew from 112 to 176 in 5 samples; a leak needs 6"}, 0, 0},
		{"burst in three samples", Evidence{Counts: []int{10, 80, 10}, Times: make([]time.Time, 3), Survived: 10, Born: 70, BornAlive: 0},
			VerdictBurst, []string{"rose from 10 to 80 and came back to 10"}, 0, 0},
		{"two samples", sampled{n: 2, interval: 30 * sec, count: leak16, ids: stay}.evidence(),
			VerdictGrowing, []string{"in 2 samples"}, 0, 0},
		{"two samples, fewer", sampled{n: 2, interval: 30 * sec, count: linear(50, -20), ids: stay}.evidence(),
			VerdictShrinking, []string{"fell from 50 to 40"}, 0, 0},
		{"one sample", sampled{n: 1, interval: 30 * sec, count: leak16, ids: stay}.evidence(),
			VerdictStable, []string{"one sample"}, 0, 0},
		{"no samples", Evidence{Survived: -1, Born: -1, BornAlive: -1},
			VerdictStable, []string{"no samples"}, 0, 0},
		{"ids unknown, too few samples", sampled{n: 8, interval: 5 * sec, count: linear(40, 60)}.evidence(),
			VerdictGrowing, []string{"survival unknown", "a leak needs 12 samples (8)"}, 0, 0},
		{"ids unknown, unsteady", sampled{n: 36, interval: 5 * sec, noise: 6, seed: 0, count: linear(20, 5)}.evidence(),
			VerdictGrowing, []string{"survival unknown", "needs steadier growth (0.50, at least 0.60)"}, 0, 0},
		{"too noisy to tell whether it goes on", sampled{n: 36, interval: 5 * sec, noise: 6, seed: 7, count: linear(20, 5), ids: stay}.evidence(),
			VerdictGrowing, []string{"too noisy to tell"}, 0, 0},
		{"rising load of short-lived goroutines", sampled{n: 36, interval: 5 * sec, noise: 1, seed: 12, count: linear(5, 4), ids: comeAndGo}.evidence(),
			VerdictGrowing, []string{"none of the first sample's", "may be load"}, 0, 0},
		{"grew by two", sampled{n: 36, interval: 5 * sec, count: stepped(10, 1, time.Minute, time.Minute), ids: stay}.evidence(),
			VerdictGrowing, []string{"2 more only"}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := Judge(tt.e)
			if j.Verdict != tt.want {
				t.Errorf("Judge(%v) = %s (%s), want %s", tt.e.Counts, j.Verdict, j.Reason, tt.want)
			}
			for _, r := range tt.reason {
				if !strings.Contains(j.Reason, r) {
					t.Errorf("Judge(%v).Reason = %q, want it to say %q", tt.e.Counts, j.Reason, r)
				}
			}
			if j.Step != tt.step || j.StepEvery != tt.every {
				t.Errorf("Judge(%v) steps = %d every %v, want %d every %v", tt.e.Counts, j.Step, j.StepEvery, tt.step, tt.every)
			}
			if strings.Contains(j.Reason, "\n") {
				t.Errorf("Judge(%v).Reason = %q, want one line", tt.e.Counts, j.Reason)
			}
			if j.Steady < 0 || j.Steady > 1 {
				t.Errorf("Judge(%v).Steady = %v, want within [0, 1]", tt.e.Counts, j.Steady)
			}
		})
	}
}

// TestJudgeSeeds runs the cases that matter most over many seeds of
// jitter and noise: the decoys are never a leak, the leaks nearly always
// are.
func TestJudgeSeeds(t *testing.T) {
	const seeds = 100
	tests := []struct {
		name    string
		g       func(seed uint64) sampled
		atLeast int  // leaks of seeds; 0: none may be a leak
		steps   bool // the leaks must read "+16 every 30s"
	}{
		{"pool started full", func(seed uint64) sampled {
			return sampled{n: 36, interval: 5 * sec, jitter: 0.1, noise: 1, seed: seed, count: constant(64), ids: stay}
		}, 0, false},
		{"pool filling to its cap", func(seed uint64) sampled {
			return sampled{n: 36, interval: 5 * sec, jitter: 0.1, noise: 1, seed: seed, count: capped(stepped(0, 16, 15*sec, sec), 64), ids: stay}
		}, 0, false},
		{"cache filling to its cap past the middle", func(seed uint64) sampled {
			return sampled{n: 36, interval: 5 * sec, jitter: 0.1, noise: 1, seed: seed, count: capped(linear(0, 120), 200), ids: stay}
		}, 0, false},
		{"request handlers", func(seed uint64) sampled {
			return sampled{n: 36, interval: 5 * sec, jitter: 0.1, noise: 3, seed: seed, count: constant(6), ids: comeAndGo}
		}, 0, false},
		{"request handlers, ids unknown", func(seed uint64) sampled {
			return sampled{n: 36, interval: 5 * sec, jitter: 0.1, noise: 3, seed: seed, count: constant(6)}
		}, 0, false},
		{"burst that drained", func(seed uint64) sampled {
			return sampled{n: 36, interval: 5 * sec, jitter: 0.1, noise: 2, seed: seed, count: burstOf(10, 60, 40*sec, 80*sec), ids: stay}
		}, 0, false},
		{"steps", func(seed uint64) sampled {
			return sampled{n: 36, interval: 5 * sec, jitter: 0.1, noise: 2, seed: seed, count: leak16, ids: stay}
		}, 100, true},
		{"steps every 30s sampled every 7s, with a gap", func(seed uint64) sampled {
			return sampled{n: 40, interval: 7 * sec, jitter: 0.1, noise: 2, drop: []int{9, 10, 11, 12, 13}, seed: seed, count: leak16, ids: stay}
		}, 100, true},
		{"steps, ids unknown", func(seed uint64) sampled {
			return sampled{n: 36, interval: 5 * sec, jitter: 0.1, noise: 2, seed: seed, count: leak16}
		}, 100, true},
		{"slow leak among short-lived goroutines", func(seed uint64) sampled {
			return sampled{n: 36, interval: 5 * sec, jitter: 0.1, noise: 3, seed: seed, count: linear(20, 5), ids: amongShortLived}
		}, 95, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaks := 0
			var example string
			for seed := range uint64(seeds) {
				e := tt.g(seed).evidence()
				j := Judge(e)
				if j.Verdict == VerdictLeak && (!tt.steps || j.Step == 16 && j.StepEvery == 30*sec) {
					leaks++
				}
				if (j.Verdict == VerdictLeak) == (tt.atLeast == 0) && example == "" {
					example = fmt.Sprintf("%v: %s (%s)", e.Counts, j.Verdict, j.Reason)
				}
			}
			t.Logf("%d of %d seeds judged as wanted a leak", leaks, seeds)
			if tt.atLeast == 0 && leaks > 0 || leaks < tt.atLeast {
				t.Errorf("%d of %d seeds judged a leak, want %s; for example %s", leaks, seeds, map[bool]string{true: "none", false: fmt.Sprintf("at least %d", tt.atLeast)}[tt.atLeast == 0], example)
			}
		})
	}
}

// TestJudgeTimes checks which times Judge trusts, and that without them
// the rates are per sample.
func TestJudgeTimes(t *testing.T) {
	timed := sampled{n: 36, interval: 5 * sec, count: linear(40, 24), ids: stay}.evidence()
	same := timed
	same.Times = slices.Repeat([]time.Time{start}, len(timed.Counts))
	back := timed
	back.Times = slices.Clone(timed.Times)
	back.Times[10], back.Times[11] = back.Times[11], back.Times[10]
	partial := timed
	partial.Times = slices.Clone(timed.Times)
	partial.Times[3] = time.Time{}
	short := timed
	short.Times = timed.Times[:10]
	tests := []struct {
		name      string
		e         Evidence
		perMinute float64 // 0: times unknown, 2 per sample
	}{
		{"timed", timed, 24},
		{"all at one time", same, 0},
		{"a time that goes back", back, 0},
		{"a time missing", partial, 0},
		{"fewer times than counts", short, 0},
	}
	for _, tt := range tests {
		j := Judge(tt.e)
		if j.Verdict != VerdictLeak {
			t.Errorf("%s: Judge() = %s (%s), want leak", tt.name, j.Verdict, j.Reason)
		}
		if tt.perMinute > 0 {
			if math.Abs(j.PerMinute-tt.perMinute) > 0.5 || j.PerSample != 0 || strings.Contains(j.Reason, "per sample") {
				t.Errorf("%s: Judge() = %v/min, %v/sample (%s), want %v/min", tt.name, j.PerMinute, j.PerSample, j.Reason, tt.perMinute)
			}
			continue
		}
		if j.PerMinute != 0 || math.Abs(j.PerSample-2) > 0.01 || !strings.Contains(j.Reason, "+2 per sample (times unknown)") {
			t.Errorf("%s: Judge() = %v/min, %v/sample (%s), want 2 per sample, times unknown", tt.name, j.PerMinute, j.PerSample, j.Reason)
		}
	}
}

func TestSignedRate(t *testing.T) {
	for x, want := range map[float64]string{176.4: "+176", 32.4: "+32", 3.24: "+3.2", 3: "+3", 0.274: "+0.27", -30: "-30", 0: "+0", -0.5: "-0.5"} {
		if got := signedRate(x); got != want {
			t.Errorf("signedRate(%v) = %q, want %q", x, got, want)
		}
	}
}

// BenchmarkJudge judges the story, 36 samples; it runs once per
// site per report.
func BenchmarkJudge(b *testing.B) {
	e := sampled{n: 36, interval: 5 * sec, jitter: 0.1, noise: 2, seed: 1, count: leak16, ids: stay}.evidence()
	for b.Loop() {
		Judge(e)
	}
}

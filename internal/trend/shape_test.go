package trend

import (
	"math"
	"testing"
	"time"
)

func TestShape(t *testing.T) {
	tests := []struct {
		name string
		s    []Sample
		want Shape
	}{
		{"steps", synth{n: 36, interval: 5 * sec, jitter: 0.1, noise: 2, seed: 1, count: stepped(112, 16, 30*sec, 3*sec)}.samples(), Rising},
		{"steady rate", synth{n: 36, interval: 5 * sec, jitter: 0.1, seed: 2, count: linear(40, 20)}.samples(), Rising},
		{"slow leak in churn", synth{n: 36, interval: 5 * sec, noise: 3, seed: 3, count: linear(20, 5)}.samples(), Rising},
		{"a noisy rise that may have stopped", synth{n: 36, interval: 5 * sec, noise: 3, seed: 3, count: arrivals(20, 5, 4*time.Minute, 3)}.samples(), Rose},
		{"noisy steps too coarse to find", synth{n: 36, interval: 5 * sec, noise: 3, seed: 9, count: stepped(40, 8, time.Minute, 20*sec)}.samples(), Rising},
		{"two steps", synth{n: 36, interval: 5 * sec, count: stepped(10, 1, time.Minute, time.Minute)}.samples(), Rising},
		{"pool started full", synth{n: 36, interval: 5 * sec, noise: 1, seed: 4, count: constant(64)}.samples(), Flat},
		{"pool filling to a cap", synth{n: 36, interval: 5 * sec, noise: 1, seed: 5, count: capped(0, 16, 15*sec, sec, 64)}.samples(), Plateau},
		{"cache filling to a cap", synth{n: 36, interval: 5 * sec, count: func(t time.Duration) int { return min(200, 2*int(t/sec)) }}.samples(), Plateau},
		{"cache full within the first sixth", series(1, 3, 6, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8), Plateau},
		{"burst that drained", synth{n: 36, interval: 5 * sec, noise: 2, seed: 6, count: burst(10, 60, 40*sec, 80*sec)}.samples(), Burst},
		{"burst draining", synth{n: 36, interval: 5 * sec, count: func(t time.Duration) int { return 10 + max(0, 100-int(t/sec)) }}.samples(), Falling},
		{"rose and came half way back", series(10, 10, 10, 10, 10, 50, 80, 80, 80, 60, 45, 45, 45, 45, 45, 45), Burst},
		{"burst at the start", series(10, 80, 80, 10, 10, 10, 10, 10, 10, 10, 10, 10), Burst},
		{"falling", synth{n: 36, interval: 5 * sec, noise: 2, seed: 7, count: linear(200, -30)}.samples(), Falling},
		{"constant", synth{n: 36, interval: 5 * sec, count: constant(8)}.samples(), Flat},
		{"churn", synth{n: 36, interval: 5 * sec, noise: 3, seed: 8, count: constant(8)}.samples(), Flat},
		{"too few samples to rise", []Sample{{0, 10}, {sec, 20}, {2 * sec, 30}, {3 * sec, 40}}, Flat},
		{"one sample", []Sample{{0, 10}}, Flat},
		{"three-sample burst", series(10, 80, 10), Burst},
		{"no samples", nil, Flat},
		{"all at one time", []Sample{{0, 10}, {0, 20}, {0, 30}, {0, 40}, {0, 50}, {0, 60}}, Flat},
		{"huge counts rising", synth{n: 36, interval: 5 * sec, count: linear(math.MaxInt-10000, 600)}.samples(), Rising},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ShapeOf(tt.s); got != tt.want {
				sum := Summarize(tt.s)
				t.Errorf("ShapeOf(%v) = %v, want %v (Z %.2f, slope %.3g, levels %+v, noise %.2f)",
					counts(tt.s), got, tt.want, sum.Line.Z, sum.Line.Slope, sum.Levels, sum.Noise)
			}
		})
	}
}

func TestNoise(t *testing.T) {
	tests := []struct {
		name   string
		s      []Sample
		lo, hi float64
	}{
		{"constant", synth{n: 30, interval: sec, count: constant(5)}.samples(), 0, 0},
		{"steps", synth{n: 36, interval: 5 * sec, count: stepped(0, 16, 30*sec, sec)}.samples(), 0, 0},
		{"steady rise", synth{n: 30, interval: sec, count: linear(0, 120)}.samples(), 0, 0},
		// Uniform on -3..3 has σ = 2.
		{"±3", synth{n: 400, interval: sec, noise: 3, seed: 1, count: constant(50)}.samples(), 1.5, 2.5},
		// Jumps in a sixth of the windows inflate it a little.
		{"±3 on steps", synth{n: 400, interval: 5 * sec, noise: 3, seed: 2, count: stepped(0, 16, 30*sec, sec)}.samples(), 1.5, 3.5},
		{"five samples", series(1, 9, 2, 8, 3), 0, 0},
	}
	for _, tt := range tests {
		if got := Noise(tt.s); got < tt.lo || got > tt.hi {
			t.Errorf("Noise(%s) = %v, want in [%v, %v]", tt.name, got, tt.lo, tt.hi)
		}
	}
}

func TestLevels(t *testing.T) {
	s := []Sample{{0, 10}, {1, 300}, {2, 11}, {3, 12}, {4, 80}, {5, 80}, {6, 13}, {7, 40}, {8, 41}, {9, 42}, {10, 43}, {11, 40}}
	want := Levels{Start: 155, Middle: 46.5, End: 41.5, Peak: 300, PeakIndex: 1, Before: 10, After: 40.5, edge: 2}
	if got := LevelsOf(s); got != want {
		t.Errorf("LevelsOf(%v) = %+v, want %+v", counts(s), got, want)
	}
	if got := LevelsOf(nil); got != (Levels{}) {
		t.Errorf("LevelsOf(nil) = %+v, want zero", got)
	}
}

// series is counts one second apart.
func series(counts ...int) []Sample {
	s := make([]Sample, len(counts))
	for i, c := range counts {
		s[i] = Sample{At: time.Duration(i) * time.Second, Count: c}
	}
	return s
}

package trend

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestFit(t *testing.T) {
	sec := time.Second
	wild := synth{n: 50, interval: 5 * sec, count: linear(100, 12), seed: 1}.samples()
	for i := 0; i < len(wild); i += 5 { // every fifth sample far off
		wild[i].Count += 500
	}
	huge := synth{n: 30, interval: sec, count: func(t time.Duration) int { return math.MaxInt - 1000 + int(t/sec) }}.samples()
	tests := []struct {
		name          string
		s             []Sample
		slope, within float64 // per second
		tauLo, tauHi  float64
		zLo, zHi      float64
	}{
		{"exact line", synth{n: 20, interval: 10 * sec, count: linear(100, 60)}.samples(), 1, 0.02, 1, 1, 5, 99},
		{"falling", synth{n: 20, interval: 10 * sec, count: linear(500, -60)}.samples(), -1, 0.02, -1, -1, -99, -5},
		{"noise around a rise", synth{n: 60, interval: 5 * sec, noise: 3, seed: 2, count: linear(50, 6)}.samples(), 0.1, 0.02, 0.5, 1, 5, 99},
		{"a fifth of the samples wild", wild, 0.2, 0.03, 0, 1, 2, 99},
		{"steps", synth{n: 36, interval: 5 * sec, count: stepped(0, 16, 30*sec, sec)}.samples(), 16.0 / 30, 0.1, 0.85, 0.95, 5, 99},
		{"constant", synth{n: 10, interval: sec, count: constant(7)}.samples(), 0, 0, 0, 0, 0, 0},
		{"huge counts", huge, 1, 1e-9, 1, 1, 5, 99},
		{"one sample", []Sample{{At: sec, Count: 3}}, 0, 0, 0, 0, 0, 0},
		{"no samples", nil, 0, 0, 0, 0, 0, 0},
		{"all at one time", []Sample{{0, 1}, {0, 5}, {0, 9}}, 0, 0, 0, 0, 0, 0},
		{"duplicate times", []Sample{{0, 1}, {0, 1}, {sec, 2}, {sec, 2}, {2 * sec, 3}, {2 * sec, 3}}, 1, 0, 1, 1, 2, 99},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Fit(tt.s)
			if math.Abs(l.Slope-tt.slope) > tt.within {
				t.Errorf("Fit(%v).Slope = %v, want %v ± %v", counts(tt.s), l.Slope, tt.slope, tt.within)
			}
			if l.Tau < tt.tauLo-1e-9 || l.Tau > tt.tauHi+1e-9 {
				t.Errorf("Fit(%v).Tau = %v, want in [%v, %v]", counts(tt.s), l.Tau, tt.tauLo, tt.tauHi)
			}
			if l.Z < tt.zLo || l.Z > tt.zHi {
				t.Errorf("Fit(%v).Z = %v, want in [%v, %v]", counts(tt.s), l.Z, tt.zLo, tt.zHi)
			}
			if l.N != len(tt.s) {
				t.Errorf("Fit().N = %d, want %d", l.N, len(tt.s))
			}
		})
	}
}

func TestFitIntercept(t *testing.T) {
	s := synth{n: 20, interval: 10 * time.Second, count: linear(100, 60)}.samples()
	for i := range s {
		s[i].At += time.Minute // the origin is the caller's
	}
	if l := Fit(s); math.Abs(l.Intercept-40) > 0.5 {
		t.Errorf("Fit().Intercept = %v, want 40 (100 at one minute, rising 1/s)", l.Intercept)
	}
}

// TestFitThins checks that a series longer than MaxFitSamples is thinned,
// and that the thinned fit is the same line.
func TestFitThins(t *testing.T) {
	s := synth{n: 5 * MaxFitSamples, interval: time.Second, noise: 3, seed: 3, count: linear(10, 30)}.samples()
	l := Fit(s)
	if l.N != MaxFitSamples {
		t.Errorf("Fit(%d samples).N = %d, want %d", len(s), l.N, MaxFitSamples)
	}
	if math.Abs(l.Slope-0.5) > 0.01 {
		t.Errorf("Fit(%d samples).Slope = %v, want 0.5", len(s), l.Slope)
	}
}

// TestNoTrendZ checks the calibration of Z: on series without trend, Z
// reaches MinZ about as rarely as a standard normal would (2.3%).
func TestNoTrendZ(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	over := 0
	const runs = 2000
	for range runs {
		s := make([]Sample, 30)
		for i := range s {
			s[i] = Sample{At: time.Duration(i) * time.Second, Count: 20 + rng.IntN(7)}
		}
		if Fit(s).Z >= MinZ {
			over++
		}
	}
	if rate := float64(over) / runs; rate > 0.04 {
		t.Errorf("Z >= %v on %.1f%% of trendless series, want about 2.3%%", float64(MinZ), 100*rate)
	}
}

func TestMedian(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for n := 1; n < 60; n++ {
		for range 20 {
			xs := make([]float64, n)
			for i := range xs {
				xs[i] = float64(rng.IntN(10)) // many ties
			}
			sorted := slices.Sorted(slices.Values(xs))
			want := sorted[n/2]
			if n%2 == 0 {
				want = (sorted[n/2-1] + sorted[n/2]) / 2
			}
			if got := median(slices.Clone(xs)); got != want {
				t.Fatalf("median(%v) = %v, want %v", xs, got, want)
			}
		}
	}
}

func TestSub64(t *testing.T) {
	if got := sub64(math.MaxInt64, math.MinInt64); got != 2*math.Pow(2, 63)-1 && got != math.Pow(2, 64) {
		t.Errorf("sub64(max, min) = %v, want about 2^64", got)
	}
	if got := sub64(5, 7); got != -2 {
		t.Errorf("sub64(5, 7) = %v, want -2", got)
	}
}

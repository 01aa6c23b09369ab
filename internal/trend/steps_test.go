package trend

import (
	"math"
	"testing"
	"time"
)

const sec = time.Second

func TestFindSteps(t *testing.T) {
	leak := stepped(112, 16, 30*sec, 3*sec) // +16 every 30s, the first at 3s
	tests := []struct {
		name  string
		s     synth
		size  int
		every time.Duration
		count int // 0: do not check
	}{
		{"interval divides period", synth{n: 36, interval: 5 * sec, count: leak}, 16, 30 * sec, 6},
		{"interval does not divide period", synth{n: 40, interval: 7 * sec, count: leak}, 16, 30 * sec, 10},
		{"jitter", synth{n: 40, interval: 7 * sec, jitter: 0.1, seed: 1, count: leak}, 16, 30 * sec, 0},
		{"noise", synth{n: 36, interval: 5 * sec, noise: 3, seed: 2, count: leak}, 16, 30 * sec, 6},
		{"missed sample", synth{n: 36, interval: 5 * sec, drop: []int{12}, count: leak}, 16, 30 * sec, 6},
		{"two steps in one gap", synth{n: 40, interval: 20 * sec, drop: []int{4, 5}, count: leak}, 16, 30 * sec, 26},
		{"all at once", synth{n: 60, interval: 7 * sec, jitter: 0.1, noise: 3, drop: []int{20, 21, 22, 23, 24}, seed: 3, count: leak}, 16, 30 * sec, 0},
		{"steps of one", synth{n: 60, interval: 10 * sec, count: stepped(5, 1, time.Minute, 5*sec)}, 1, time.Minute, 10},
		{"flat before the first step", synth{n: 40, interval: 5 * sec, count: stepped(8, 4, 20*sec, 90*sec)}, 4, 20 * sec, 0},
		{"period shorter than the interval", synth{n: 30, interval: 10 * sec, jitter: 0.1, seed: 4, count: stepped(0, 16, 7*sec, 0)}, 16, 7 * sec, 0},
		{"huge counts", synth{n: 36, interval: 5 * sec, noise: 2, seed: 5, count: stepped(math.MaxInt-1000, 16, 30*sec, 3*sec)}, 16, 30 * sec, 0},
		{"index for time", synth{n: 30, interval: sec, count: stepped(0, 8, 6*sec, sec/2)}, 8, 6 * sec, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s.samples()
			st, ok := FindSteps(s)
			if !ok {
				t.Fatalf("FindSteps(%v) found no steps, want +%d every %v", counts(s), tt.size, tt.every)
			}
			if st.Size != tt.size || st.Every != tt.every {
				t.Errorf("FindSteps(%v) = +%d every %v, want +%d every %v", counts(s), st.Size, st.Every, tt.size, tt.every)
			}
			if tt.count > 0 && st.Count != tt.count {
				t.Errorf("FindSteps(%v).Count = %d, want %d", counts(s), st.Count, tt.count)
			}
			if !(st.MinEvery < tt.every && tt.every < st.MaxEvery) {
				t.Errorf("FindSteps().MinEvery, MaxEvery = %v, %v, want around %v", st.MinEvery, st.MaxEvery, tt.every)
			}
			// The first jump is in the window where the count first rose.
			i := 1
			for i < len(s) && 2*(s[i].Count-s[0].Count) < tt.size {
				i++
			}
			if i < len(s) && (st.First < s[i-1].At || st.First > s[i].At) {
				t.Errorf("FindSteps().First = %v, want in (%v, %v]", st.First, s[i-1].At, s[i].At)
			}
		})
	}
}

// TestTwoStepsInOneGap checks that the gap case above holds a window with
// two jumps, so that it tests what it says.
func TestTwoStepsInOneGap(t *testing.T) {
	s := synth{n: 40, interval: 20 * sec, drop: []int{4, 5}, count: stepped(112, 16, 30*sec, 3*sec)}.samples()
	double := false
	for i := 1; i < len(s); i++ {
		double = double || s[i].Count-s[i-1].Count == 32
	}
	if !double {
		t.Fatalf("no window with two jumps in %v", counts(s))
	}
}

func TestFindStepsNone(t *testing.T) {
	tests := []struct {
		name string
		s    []Sample
	}{
		{"rate without a period", synth{n: 40, interval: 5 * sec, count: arrivals(10, 6, 4*time.Minute, 1)}.samples()},
		{"rate with noise", synth{n: 40, interval: 5 * sec, noise: 2, seed: 1, count: linear(10, 20)}.samples()},
		{"pool filling to a cap", synth{n: 40, interval: 5 * sec, count: capped(0, 16, 30*sec, 3*sec, 64)}.samples()},
		{"burst", synth{n: 30, interval: 5 * sec, noise: 1, seed: 2, count: burst(10, 60, 40*sec, 80*sec)}.samples()},
		{"constant", synth{n: 30, interval: 5 * sec, count: constant(40)}.samples()},
		{"churn", synth{n: 30, interval: 5 * sec, noise: 3, seed: 3, count: constant(40)}.samples()},
		{"too few samples", synth{n: 3, interval: 30 * sec, count: stepped(0, 16, 30*sec, sec)}.samples()},
		{"two steps", synth{n: 12, interval: 5 * sec, count: stepped(0, 16, 30*sec, sec)}.samples()},
		{"noise as large as half a step", synth{n: 36, interval: 5 * sec, noise: 8, seed: 4, count: stepped(100, 16, 30*sec, 3*sec)}.samples()},
		{"irregular jumps", irregular()},
		{"a jump in every window", synth{n: 30, interval: 5 * sec, count: stepped(0, 16, 2*sec, 0)}.samples()},
		{"all at one time", []Sample{{0, 1}, {0, 17}, {0, 33}, {0, 49}, {0, 65}}},
		{"times out of order", []Sample{{0, 1}, {10 * sec, 17}, {5 * sec, 33}, {20 * sec, 49}, {30 * sec, 49}, {40 * sec, 65}}},
		{"negative count", []Sample{{0, -1}, {10 * sec, 15}, {20 * sec, 15}, {30 * sec, 31}, {40 * sec, 31}, {50 * sec, 47}}},
		{"empty", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if st, ok := FindSteps(tt.s); ok {
				t.Errorf("FindSteps(%v) = +%d every %v, want no steps", counts(tt.s), st.Size, st.Every)
			}
		})
	}
}

// irregular jumps by 16 at uneven times: 10s, 25s, 70s, 80s, 150s.
func irregular() []Sample {
	jumps := []time.Duration{10 * sec, 25 * sec, 70 * sec, 80 * sec, 150 * sec}
	return synth{n: 36, interval: 5 * sec, count: func(t time.Duration) int {
		c := 50
		for _, j := range jumps {
			if t >= j {
				c += 16
			}
		}
		return c
	}}.samples()
}

func TestRoundest(t *testing.T) {
	tests := []struct {
		lo, hi float64
		want   float64
	}{
		{27.5, 32.5, 30},
		{18, 22, 20},
		{43, 47, 45},
		{6.5, 7.5, 7},
		{0.031, 0.034, 0.032},
		{3000, 4000, 3600},
		{1.23456, 1.23457, 1.234565},
	}
	for _, tt := range tests {
		if got := roundest(tt.lo, tt.hi); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("roundest(%v, %v) = %v, want %v", tt.lo, tt.hi, got, tt.want)
		}
	}
}

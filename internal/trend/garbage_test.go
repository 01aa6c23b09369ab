package trend

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestGarbage feeds every function series no caller should send: times
// that go back or repeat, extreme times and counts, negative counts. None
// may panic or hang, and the results stay in their ranges.
func TestGarbage(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	counts := []int{0, 1, 16, math.MaxInt, math.MaxInt - 1, -1, math.MinInt}
	times := []time.Duration{0, 1, time.Second, math.MaxInt64, math.MinInt64, -time.Second}
	for range 3000 {
		s := make([]Sample, rng.IntN(40))
		for i := range s {
			if rng.IntN(3) == 0 {
				s[i] = Sample{At: times[rng.IntN(len(times))], Count: counts[rng.IntN(len(counts))]}
			} else {
				s[i] = Sample{At: time.Duration(i)*time.Second + time.Duration(rng.IntN(3))*time.Second, Count: rng.IntN(50)}
			}
		}
		sum := Summarize(s)
		if math.IsNaN(sum.Line.Slope) || math.IsNaN(sum.Line.Tau) || math.IsNaN(sum.Line.Z) || math.IsNaN(sum.Noise) {
			t.Fatalf("Summarize(%v) = %+v, want no NaN", s, sum)
		}
		if sum.Line.Tau < -1-1e-9 || sum.Line.Tau > 1+1e-9 {
			t.Fatalf("Summarize(%v).Line.Tau = %v, want in [-1, 1]", s, sum.Line.Tau)
		}
		if sum.Stepped && (sum.Steps.Size < 1 || sum.Steps.Count < MinSteps || sum.Steps.Every <= 0) {
			t.Fatalf("Summarize(%v).Steps = %+v, want a size, a count and a period", s, sum.Steps)
		}
	}
}

package trend

import (
	"fmt"
	"testing"
	"time"
)

// The series of the benchmarks: a noisy step leak sampled every 7s, the
// case that exercises every part of FindSteps.
func benchSeries(n int) []Sample {
	return synth{n: n, interval: 7 * time.Second, jitter: 0.1, noise: 3, seed: 1, count: stepped(100, 16, 30*time.Second, 3*time.Second)}.samples()
}

func BenchmarkFit(b *testing.B) {
	for _, n := range []int{100, 1000} {
		s := benchSeries(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				Fit(s)
			}
		})
	}
}

func BenchmarkFindSteps(b *testing.B) {
	for _, n := range []int{100, 1000} {
		s := benchSeries(n)
		if _, ok := FindSteps(s); !ok {
			b.Fatal("no steps in the benchmark series")
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				FindSteps(s)
			}
		})
	}
}

// BenchmarkFindStepsNone runs FindSteps on a rate with noise, where every
// candidate step size is tried and fails.
func BenchmarkFindStepsNone(b *testing.B) {
	for _, n := range []int{100, 1000} {
		s := synth{n: n, interval: 7 * time.Second, jitter: 0.1, noise: 3, seed: 1, count: linear(100, 40)}.samples()
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				FindSteps(s)
			}
		})
	}
}

func BenchmarkSummarize(b *testing.B) {
	for _, n := range []int{100, 1000} {
		s := benchSeries(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				Summarize(s)
			}
		})
	}
}

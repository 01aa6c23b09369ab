package bench

import (
	"bytes"
	"context"
	"flag"
	"io"
	"sync"
	"testing"

	"github.com/leakscan/leakscan/bench/internal/parsers"
	"github.com/leakscan/leakscan/internal/synth"
)

var (
	goroutines = flag.Int("goroutines", 100_000, "goroutines in the synthetic dump")
	sites      = flag.Int("sites", 200, "creation sites in the synthetic dump")
	seed       = flag.Int64("seed", 1, "seed of the synthetic dump")
	go120      = flag.Bool("go120", false, "write the dump as Go 1.20 does (no \"in goroutine N\", 100-frame limit)")
)

// dump is generated once per process and shared by every benchmark, so all
// parsers read the same bytes.
var dump = sync.OnceValues(func() ([]byte, synth.Truth) {
	var buf bytes.Buffer
	t, err := synth.Write(&buf, synth.Config{Goroutines: *goroutines, Sites: *sites, Seed: *seed, Go121: !*go120})
	if err != nil {
		panic(err)
	}
	return buf.Bytes(), t
})

// BenchmarkParse parses the dump with each parser: b.SetBytes makes the
// MB/s column comparable, and the goroutines metric shows what each found
// (gostackparse drops goroutines whose stacks were elided by Go 1.21+).
func BenchmarkParse(b *testing.B) {
	for _, p := range parsers.All {
		b.Run(p.Name, func(b *testing.B) {
			d, truth := dump()
			b.SetBytes(int64(len(d)))
			b.ReportAllocs()
			var res parsers.Result
			for b.Loop() {
				var err error
				if res, err = p.Run(context.Background(), bytes.NewReader(d)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(res.Goroutines), "goroutines")
			b.ReportMetric(float64(truth.Goroutines), "want-goroutines")
		})
	}
}

// pair is the dump's later snapshot (synth.WritePair, synth.DefaultChange):
// the pair's first snapshot is exactly dump, so only the second is kept.
var pair = sync.OnceValues(func() ([]byte, synth.Truth) {
	var buf bytes.Buffer
	c := synth.Config{Goroutines: *goroutines, Sites: *sites, Seed: *seed, Go121: !*go120}
	_, t, err := synth.WritePair(io.Discard, &buf, c, synth.DefaultChange)
	if err != nil {
		panic(err)
	}
	return buf.Bytes(), t
})

// BenchmarkDiff compares `leakscan diff` of a before/after pair (dump, then
// pair) with parsing both dumps: b.SetBytes is the size of both, so the
// MB/s columns compare directly.
func BenchmarkDiff(b *testing.B) {
	for _, p := range parsers.Pairs {
		b.Run(p.Name, func(b *testing.B) {
			da, ta := dump()
			db, tb := pair()
			b.SetBytes(int64(len(da) + len(db)))
			b.ReportAllocs()
			var res parsers.PairResult
			for b.Loop() {
				var err error
				if res, err = p.Run(context.Background(), bytes.NewReader(da), bytes.NewReader(db)); err != nil {
					b.Fatal(err)
				}
			}
			if res.Goroutines != [2]int{ta.Goroutines, tb.Goroutines} {
				b.Errorf("goroutines %v, want [%d %d]", res.Goroutines, ta.Goroutines, tb.Goroutines)
			}
			if res.Sites >= 0 {
				b.ReportMetric(float64(res.Sites), "sites")
				b.ReportMetric(float64(res.Survived), "survived")
			}
		})
	}
}

package bench

import (
	"bytes"
	"context"
	"flag"
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

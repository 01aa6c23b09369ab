package parse

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"

	"github.com/leakscan/leakscan/internal/synth"
)

// syntheticDump is a realistic debug=2 dump of 100k goroutines (~240 MB),
// generated once per process; with -short, 10k.
var syntheticDump = sync.OnceValues(func() ([]byte, synth.Truth) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	var buf bytes.Buffer
	truth, err := synth.Write(&buf, synth.Config{Goroutines: n, Sites: 200, Seed: 1, Go121: true})
	if err != nil {
		panic(err)
	}
	return buf.Bytes(), truth
})

// BenchmarkRead measures parsing throughput (MB/s) of traceback text,
// grouped by site, on both cores.
func BenchmarkRead(b *testing.B) {
	dump, truth := syntheticDump()
	for _, bc := range []struct {
		name    string
		workers int
	}{{"parallel", 0}, {"sequential", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(dump)))
			b.ReportAllocs()
			for b.Loop() {
				snap, err := Read(context.Background(), bytes.NewReader(dump), "bench", Options{Workers: bc.workers})
				if err != nil {
					b.Fatal(err)
				}
				if snap.Goroutines != truth.Goroutines {
					b.Fatalf("read %d goroutines, want %d", snap.Goroutines, truth.Goroutines)
				}
			}
		})
	}
}

// BenchmarkReadPipe reads through an io.Reader that hides the dump's
// length and type, as stdin does.
func BenchmarkReadPipe(b *testing.B) {
	dump, _ := syntheticDump()
	b.SetBytes(int64(len(dump)))
	for b.Loop() {
		pr, pw := io.Pipe()
		go func() {
			pw.Write(dump)
			pw.Close()
		}()
		if _, err := Read(context.Background(), pr, "bench", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

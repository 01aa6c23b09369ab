package parse

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// The hostile cases of issue 8, each at a size that once took seconds or
// gigabytes; -short (make test) runs them small.

// hostileSize returns n, or small with -short.
func hostileSize(n, small int) int {
	if testing.Short() {
		return small
	}
	return n
}

// giantDump is one goroutine block of size bytes (a deep recursion,
// printed whole) between two ordinary ones.
func giantDump(size int) []byte {
	var b bytes.Buffer
	b.WriteString(twoBlocks + "\ngoroutine 9 [running]:\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "main.recurse%d(0x0?)\n\t/app/main.go:%d +0x3c\n", i%1000, i%5000)
	}
	b.WriteString("created by main.main in goroutine 1\n\t/app/main.go:30 +0x45\n")
	return b.Bytes()
}

// BenchmarkGiantBlock reads a 15 MB goroutine block from a file (regions)
// and from a stream: once 2.9 s as a file, the read-ahead rescanning the
// block from its start, and 0.3 s as a stream.
func BenchmarkGiantBlock(b *testing.B) {
	data := giantDump(hostileSize(15<<20, 1<<20))
	for _, bc := range []struct {
		name string
		open func() io.Reader
	}{
		{"file", func() io.Reader { return bytes.NewReader(data) }},
		{"stream", func() io.Reader { return io.MultiReader(bytes.NewReader(data)) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				snap, err := Read(context.Background(), bc.open(), "bench", Options{})
				if err != nil || snap.Goroutines != 3 {
					b.Fatalf("%v, %d goroutines", err, snap.Goroutines)
				}
			}
		})
	}
}

// BenchmarkSparseIDs reads 300,000 goroutines whose ids are 64Ki apart,
// one id container each, with two workers: once 49 s, each container
// inserted into the middle of the set's slice.
func BenchmarkSparseIDs(b *testing.B) {
	n := hostileSize(300_000, 20_000)
	data := []byte(synthDump(n, 1, 1<<16, 1<<16))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		snap, err := Read(context.Background(), bytes.NewReader(data), "bench", Options{Workers: 2})
		if err != nil || snap.Goroutines != n+1 {
			b.Fatalf("%v, %d goroutines", err, snap.Goroutines)
		}
	}
}

// distinctStacks writes a dump of n goroutines whose 3-frame stacks are
// all distinct, every frame its own function, to a file: the input is
// not held in memory, as when leakscan reads a file.
func distinctStacks(b *testing.B, n int) (string, int) {
	b.Helper()
	name := filepath.Join(b.TempDir(), "distinct.txt")
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	names := 0
	for g := range n {
		fmt.Fprintf(w, "goroutine %d [chan receive]:\nexample.com/app/h.leaf%07d(0xc000012345)\n\t/src/app/h/leaf.go:%d +0x2a\nexample.com/app/h.mid%07d(...)\n\t/src/app/h/mid.go:%d\nexample.com/app/h.top%07d()\n\t/src/app/h/top.go:%d +0x45\ncreated by main.main in goroutine 1\n\t/src/app/main.go:40 +0x45\n\n",
			g+2, g, g+1, g, g+1, g, g+1)
		names += len("example.com/app/h.leaf0000000") + len("example.com/app/h.mid0000000") + len("example.com/app/h.top0000000")
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	return name, names
}

// peakHeap samples the heap objects (live, and garbage not yet swept)
// until stop is called, which returns their peak above what there was at
// the start: what a read costs at most, garbage collector slack included.
func peakHeap() (stop func() uint64) {
	runtime.GC()
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(samples)
	base := samples[0].Value.Uint64()
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(samples)
			if held := samples[0].Value.Uint64() - min(base, samples[0].Value.Uint64()); held > peak.Load() {
				peak.Store(held)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

// BenchmarkDistinctStacks reads 1M goroutines with distinct 3-frame
// stacks (310 MB) from a file: once 2.3 GB peak RSS and 20 s. It fails
// when a distinct stack costs 1 KiB or more beyond its function names,
// and reports the peak of the heap during the read (target: under 1 GiB).
func BenchmarkDistinctStacks(b *testing.B) {
	n := hostileSize(1_000_000, 20_000)
	name, names := distinctStacks(b, n)
	for b.Loop() {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		stop := peakHeap()
		f, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		snap, err := Read(context.Background(), f, "bench", Options{})
		f.Close()
		peak := stop()
		if err != nil || len(snap.Stacks) != n {
			b.Fatalf("%v, %d stacks", err, len(snap.Stacks))
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		perStack := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)-int64(names)) / float64(n)
		runtime.KeepAlive(snap)
		b.ReportMetric(perStack, "B/stack")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		if perStack >= 1024 {
			b.Errorf("a distinct stack costs %.0f bytes beyond its names, want less than 1 KiB", perStack)
		}
	}
}

// BenchmarkBinaryGarbage reads binary data that is no dump, within the
// limit: random bytes are refused from their first bytes, and a protobuf
// field claiming 100 MiB is read to the limit (64 MiB here), never past
// it. Random bytes and a gzip bomb once took 2 GiB.
func BenchmarkBinaryGarbage(b *testing.B) {
	size := hostileSize(64<<20, 4<<20)
	random := make([]byte, size)
	rand.NewChaCha8([32]byte{3}).Read(random)
	claim := append([]byte{6<<3 | 2, 0x80, 0x80, 0x80, 0x32}, random...)
	for _, bc := range []struct {
		name string
		data []byte
	}{{"random", random}, {"protobuf claim", claim}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				stop := peakHeap()
				_, err := Read(context.Background(), io.MultiReader(bytes.NewReader(bc.data)), "bench", Options{MaxBytes: int64(size)})
				peak := stop()
				if err == nil {
					b.Fatal("no error")
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			}
		})
	}
}

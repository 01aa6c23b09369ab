//go:build unix

package exporter

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leakscan/leakscan/internal/synth"
)

var bigTarget = flag.Int("bigtarget", 100000, "goroutines of the target of BenchmarkProbeBigTarget (2000 with -short)")

// BenchmarkProbeBigTarget measures what one probe costs a real process
// holding many goroutines (bench/cmd/stalltarget), in each sampling: the
// target's stall (the longest gap of a 1 ms ticker inside it, and the sum
// of its gaps over 5 ms), and the exporter's CPU time and peak heap.
//
//	go test -run '^$' -bench BigTarget -benchtime 3x ./internal/exporter
func BenchmarkProbeBigTarget(b *testing.B) {
	n := *bigTarget
	if testing.Short() {
		n = 2000
	}
	bin := filepath.Join(b.TempDir(), "stalltarget")
	build := exec.Command("go", "build", "-o", bin, "./cmd/stalltarget")
	build.Dir = "../../bench" // a program of the bench module
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build bench/cmd/stalltarget: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-goroutines", strconv.Itoa(n), "-every", "0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	base := strings.TrimPrefix(strings.TrimSpace(line), "listening on ")

	for _, sampling := range []Sampling{SamplingLight, SamplingFull} {
		b.Run(string(sampling), func(b *testing.B) {
			e := New(Options{Sampling: sampling, Timeout: time.Minute})
			var longest, stalled, cpu, heap, wall float64
			for b.Loop() {
				stall(b, base, true)
				time.Sleep(100 * time.Millisecond) // a quiet start
				stall(b, base, true)
				runtime.GC()
				peak := watchHeap()
				before, start := cpuTime(), time.Now()
				body := serve(e, base)
				wall += time.Since(start).Seconds()
				cpu += cpuTime() - before
				heap = max(heap, peak())
				if !strings.Contains(body, "leakscan_probe_success 1") {
					b.Fatalf("probe failed:\n%s", body)
				}
				l, s := stall(b, base, false)
				longest, stalled = max(longest, l), stalled+s
			}
			b.ReportMetric(wall/float64(b.N), "probe-s/op")
			b.ReportMetric(longest, "stall-max-s")
			b.ReportMetric(stalled/float64(b.N), "stall-s/op")
			b.ReportMetric(cpu/float64(b.N), "cpu-s/op")
			b.ReportMetric(heap/(1<<20), "peak-heap-MiB")
		})
	}
}

// stall reads (and with reset, restarts) the target's own measure of how
// long it could not run.
func stall(b *testing.B, base string, reset bool) (longest, over5ms float64) {
	b.Helper()
	u := base + "/stall"
	if reset {
		u += "?reset=1"
	}
	resp, err := http.Get(u)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var s struct {
		Longest float64 `json:"max_ms"`
		Over5ms float64 `json:"over_5ms_ms"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		b.Fatal(err)
	}
	return s.Longest / 1000, s.Over5ms / 1000
}

// BenchmarkProbeStorm probes 50 targets at once with MaxConcurrent 8,
// each a realistic 2,000-goroutine dump (4.2 MB of debug=2 text), and
// reports the exporter's peak heap: what bounded concurrency buys.
//
//	go test -run '^$' -bench Storm -benchtime 3x ./internal/exporter
func BenchmarkProbeStorm(b *testing.B) {
	const targets = 50
	goroutines := 2000
	if testing.Short() {
		goroutines = 200
	}
	var dump bytes.Buffer
	if _, err := synth.Write(&dump, synth.Config{Goroutines: goroutines, Sites: 60, Seed: 1, Go121: true}); err != nil {
		b.Fatal(err)
	}
	var servers []*httptest.Server
	for range targets {
		servers = append(servers, httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write(dump.Bytes())
		})))
	}
	defer func() {
		for _, s := range servers {
			s.Close()
		}
	}()
	e := New(Options{MaxConcurrent: 8, MaxQueue: targets, Sampling: SamplingFull, Timeout: time.Minute})
	b.SetBytes(int64(dump.Len() * targets))
	var heap float64
	for b.Loop() {
		runtime.GC()
		peak := watchHeap()
		var wg sync.WaitGroup
		for _, s := range servers {
			wg.Go(func() {
				if body := serve(e, s.URL); !strings.Contains(body, "leakscan_probe_success 1") {
					b.Errorf("probe failed:\n%s", body)
				}
			})
		}
		wg.Wait()
		heap = max(heap, peak())
	}
	b.ReportMetric(heap/(1<<20), "peak-heap-MiB")
}

// serve asks e for one probe of target.
func serve(e *Exporter, target string) string {
	req := httptest.NewRequest("GET", "/probe?target="+url.QueryEscape(target), nil)
	rec := httptest.NewRecorder()
	e.Handler().ServeHTTP(rec, req)
	return rec.Body.String()
}

// watchHeap samples the live heap every millisecond until the returned
// function is called, which returns the highest sample.
func watchHeap() func() float64 {
	stop, done := make(chan struct{}), make(chan float64)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		peak := 0.0
		for {
			metrics.Read(s)
			peak = max(peak, float64(s[0].Value.Uint64()))
			select {
			case <-stop:
				done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 { close(stop); return <-done }
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

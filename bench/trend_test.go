package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakscan/leakscan/internal/parse"
)

var (
	trendGoroutines = flag.Int("trend-goroutines", 100_000, "goroutines in each snapshot of the trend benchmark")
	trendSnapshots  = flag.Int("trend-snapshots", 100, "snapshots in the trend benchmark")
)

//go:noinline
func parkTrend(ch chan struct{}) { <-ch }

//go:noinline
func leakTrend(ch chan struct{}) { <-ch }

//go:noinline
func churnTrend(ch chan struct{}) { <-ch }

// BenchmarkTrend writes a series of real debug=2 dumps of this process
// (100 snapshots of 100,000 goroutines by default: a pool that stays, a
// site that leaks 16 per snapshot, and goroutines that come and go), then
// runs leakscan trend on them in a process of its own and compares it
// with leakscan top of the last snapshot alone and with parsing every
// snapshot: trend's peak memory is to stay within twice top's (its
// per-site id sets on top), and its time within 1.2 times the parsing's.
//
//	cd bench && go test -run '^$' -bench Trend -benchtime 1x
func BenchmarkTrend(b *testing.B) {
	n, snaps := *trendGoroutines, *trendSnapshots
	if testing.Short() {
		n, snaps = 2000, 10
	}
	dir := b.TempDir()
	leakscan := filepath.Join(dir, "leakscan")
	build := exec.Command("go", "build", "-o", leakscan, "./cmd/leakscan")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build leakscan: %v\n%s", err, out)
	}
	series := filepath.Join(dir, "series")
	if err := writeSeries(series, n, snaps); err != nil {
		b.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(series, "*.txt"))

	var parseTime time.Duration
	for _, f := range files {
		start := time.Now()
		in, err := os.Open(f)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := parse.Read(context.Background(), in, f, parse.Options{}); err != nil {
			b.Fatal(err)
		}
		in.Close()
		parseTime += time.Since(start)
	}
	for range b.N {
		topTime, topRSS := runMeasured(b, leakscan, "top", files[len(files)-1], "-o", "json")
		trendTime, trendRSS := runMeasured(b, leakscan, "trend", series, "-o", "json")
		b.ReportMetric(float64(trendRSS)/(1<<20), "trend-peak-MiB")
		b.ReportMetric(float64(topRSS)/(1<<20), "top-peak-MiB")
		b.ReportMetric(trendTime.Seconds(), "trend-s")
		b.ReportMetric(parseTime.Seconds(), "parse-all-s")
		b.ReportMetric(topTime.Seconds(), "top-one-s")
		b.ReportMetric(float64(trendRSS)/float64(topRSS), "peak-vs-top")
		b.ReportMetric(trendTime.Seconds()/parseTime.Seconds(), "time-vs-parse")
		if !testing.Short() {
			if trendRSS > 2*topRSS {
				b.Errorf("trend peaks at %d MiB, top of one snapshot at %d MiB: more than twice", trendRSS>>20, topRSS>>20)
			}
			if trendTime > parseTime*12/10 {
				b.Errorf("trend took %s, parsing the %d snapshots %s: more than 1.2 times", trendTime, len(files), parseTime)
			}
		}
	}
}

// runMeasured runs a command and returns its wall time and peak RSS, as
// the kernel's high-water mark (VmHWM) of the process read until it
// exits. (The rusage of a child of this large process is no use: a child
// starts as a vfork sharing this process's memory, which its maximum RSS
// counts.)
func runMeasured(b *testing.B, name string, args ...string) (time.Duration, int64) {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdout = io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	var hwm int64
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if data, err := os.ReadFile(status); err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				if kb, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					if n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(kb, "kB")), 10, 64); err == nil {
						hwm = max(hwm, n<<10)
					}
				}
			}
		}
		select {
		case err := <-done:
			if err != nil {
				b.Fatalf("%s %v: %v", name, args, err)
			}
			if hwm == 0 {
				b.Skip("no /proc/PID/status VmHWM on this platform")
			}
			return time.Since(start), hwm
		case <-tick.C:
		}
	}
}

// writeSeries writes snaps debug=2 dumps of this process into dir, named
// as leakscan watch --save names them, a minute apart: n goroutines, of
// which a pool of 70% stays, a site gains 16 per snapshot, and the rest
// come and go (5% replaced every snapshot).
func writeSeries(dir string, n, snaps int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var wg sync.WaitGroup
	start := func(f func(chan struct{}), ch chan struct{}) {
		wg.Add(1)
		go func() { defer wg.Done(); f(ch) }()
	}
	pool, leak := make(chan struct{}), make(chan struct{})
	defer func() {
		close(pool)
		close(leak)
		wg.Wait()
	}()
	for range n * 7 / 10 {
		start(parkTrend, pool)
	}
	churn := n - n*7/10
	gangs := make([]chan struct{}, 20)
	for i := range gangs {
		gangs[i] = make(chan struct{})
		for range churn / len(gangs) {
			start(churnTrend, gangs[i])
		}
	}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range snaps {
		for range 16 {
			start(leakTrend, leak)
		}
		// One gang of twenty (5%) ends and another starts.
		g := i % len(gangs)
		close(gangs[g])
		gangs[g] = make(chan struct{})
		for range churn / len(gangs) {
			start(churnTrend, gangs[g])
		}
		name := fmt.Sprintf("goroutine-%s.txt", t0.Add(time.Duration(i)*time.Minute).Format("20060102T150405.000Z"))
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		err = pprof.Lookup("goroutine").WriteTo(f, 2)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	for _, g := range gangs {
		close(g)
	}
	return nil
}

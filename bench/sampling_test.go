package bench

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	stallGoroutines = flag.Int("stall-goroutines", 100_000, "parked goroutines of the sampling benchmark's target")
	stallSamples    = flag.Int("stall-samples", 14, "samples per watch in the sampling benchmark")
	stallInterval   = flag.Duration("stall-interval", 10*time.Second, "time between samples in the sampling benchmark")
)

// stallReport is what stalltarget's /stall says.
type stallReport struct {
	MaxMS   float64 `json:"max_ms"`
	Over5MS float64 `json:"over_5ms_ms"`
	Gaps    []struct {
		End time.Time `json:"end"`
		MS  float64   `json:"ms"`
	} `json:"gaps"`
}

// watchJSON is the part of leakscan watch -o json the benchmark reads.
type watchJSON struct {
	Snapshots []struct {
		Format string    `json:"format"`
		Time   time.Time `json:"time"`
	} `json:"snapshots"`
	Sites []struct {
		Creator string `json:"creator"`
		Entry   string `json:"entry"`
		Verdict string `json:"verdict"`
		Summary string `json:"summary"`
	} `json:"sites"`
}

// BenchmarkSampling watches a real process holding many goroutines
// (bench/cmd/stalltarget, 100,000 by default, and leaking 16 more at each
// step) with --sampling full and light, and measures what the target
// suffers: its longest stall in the whole watch and the sum of its stalls
// over 5 ms (its 1 ms ticker's late ticks), and the longest stall that one
// sample of each kind causes — a full dump (debug=2) stops the world
// while every stack is printed, a counted profile (debug=1) briefly. Light
// sampling still takes full dumps at the first and the last sample, so
// its longest stall in the whole watch is one full dump's; what it cuts is
// the stall of every sample in between and their sum. Both modes must
// find the leak.
//
//	cd bench && go test -run '^$' -bench Sampling -benchtime 1x
func BenchmarkSampling(b *testing.B) {
	n, samples, interval := *stallGoroutines, *stallSamples, *stallInterval
	if testing.Short() {
		n, samples, interval = 2000, 6, 300*time.Millisecond
	}
	dir := b.TempDir()
	leakscan, target := filepath.Join(dir, "leakscan"), filepath.Join(dir, "stalltarget")
	// leakscan is built in its own module, the target in this one.
	for _, bin := range []struct{ out, dir, pkg string }{{leakscan, "..", "./cmd/leakscan"}, {target, ".", "./cmd/stalltarget"}} {
		build := exec.Command("go", "build", "-o", bin.out, bin.pkg)
		build.Dir = bin.dir
		if out, err := build.CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", bin.pkg, err, out)
		}
	}
	cmd := exec.Command(target, "-goroutines", fmt.Sprint(n), "-every", (interval / 2).String())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	url := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))

	perSample := map[string]float64{}
	for _, mode := range []string{"full", "light"} {
		b.Run(mode, func(b *testing.B) {
			for range b.N {
				stalls(b, url+"/stall?reset=1")
				saved := b.TempDir()
				out, err := exec.Command(leakscan, "watch", url, "--sampling", mode, "--interval", interval.String(),
					"--samples", fmt.Sprint(samples), "--timeout", "2m", "--save", saved, "-o", "json").Output()
				if err != nil {
					b.Fatalf("leakscan watch --sampling %s: %v", mode, err)
				}
				st := stalls(b, url+"/stall?reset=1")
				var w watchJSON
				if err := json.Unmarshal(out, &w); err != nil {
					b.Fatal(err)
				}
				leak := ""
				// By its creator, or by its entry function where the
				// runtime's 64 MiB cut of a full dump left it out.
				for _, s := range w.Sites {
					if s.Creator == "main.main.func1" || s.Creator == "" && s.Entry == "main.leakOne" {
						leak = s.Verdict
					}
				}
				if leak != "leak" {
					b.Errorf("--sampling %s: the leaking site's verdict is %q", mode, leak)
				}
				full, counted := sampleStalls(b, st, saved, interval/2)
				b.ReportMetric(st.MaxMS, "max-stall-ms")
				b.ReportMetric(st.Over5MS, "stall-over-5ms-ms")
				b.ReportMetric(full, "full-sample-stall-ms")
				if mode == "light" {
					b.ReportMetric(counted, "counted-sample-stall-ms")
					perSample["counted"] = counted
				} else {
					perSample["full"] = full
				}
			}
		})
	}
	if !testing.Short() && perSample["full"] > 0 && perSample["counted"]*10 > perSample["full"] {
		b.Errorf("a counted sample stalls the target %.1f ms, a full one %.1f ms: less than 10 times less", perSample["counted"], perSample["full"])
	}
}

func stalls(b *testing.B, url string) stallReport {
	b.Helper()
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var r stallReport
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		b.Fatal(err)
	}
	return r
}

// sampleStalls lays each stall against the request that caused it, the
// first to have answered after it ended (a profile is sent once it is
// collected) and at most window after, and returns the longest stall a
// full dump and a counted profile caused. The requests are the samples
// watch --save kept, named by when they were answered: a counted profile
// .debug1.txt, a full dump .txt (.cut.txt when the runtime cut it).
func sampleStalls(b *testing.B, st stallReport, saved string, window time.Duration) (full, counted float64) {
	b.Helper()
	entries, err := os.ReadDir(saved)
	if err != nil {
		b.Fatal(err)
	}
	type request struct {
		at   time.Time
		full bool
	}
	var reqs []request
	for _, e := range entries {
		name := e.Name()
		stamp, _, ok := strings.Cut(strings.TrimPrefix(name, "goroutine-"), ".")
		if !ok {
			continue
		}
		at, err := time.Parse("20060102T150405", stamp)
		if err != nil {
			continue
		}
		if ms, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(name, "goroutine-"+stamp+"."), "Z", 2)[0]); err == nil {
			at = at.Add(time.Duration(ms) * time.Millisecond)
		}
		reqs = append(reqs, request{at: at, full: !strings.HasSuffix(name, ".debug1.txt")})
	}
	slices.SortFunc(reqs, func(a, b request) int { return a.at.Compare(b.at) })
	for _, g := range st.Gaps {
		i, _ := slices.BinarySearchFunc(reqs, g.End, func(r request, end time.Time) int { return r.at.Compare(end) })
		if i == len(reqs) || reqs[i].at.Sub(g.End) > window {
			continue
		}
		if reqs[i].full {
			full = max(full, g.MS)
		} else {
			counted = max(counted, g.MS)
		}
	}
	return full, counted
}

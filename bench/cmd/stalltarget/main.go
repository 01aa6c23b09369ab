// Command stalltarget is a Go service for leakscan's sampling benchmarks
// (watch's BenchmarkSampling here, the exporter's BenchmarkProbeBigTarget):
// it holds many blocked goroutines at ten sites with stacks 5 to 14
// frames deep, as a real service has (a dump's cost is in rendering its
// stacks), leaks a few more at a steady pace, and measures how long it
// could not run, with a 1 ms ticker whose late ticks are the stalls a
// profile request causes.
//
//	stalltarget -goroutines 100000 -leak 16 -every 2s
//
// It prints "listening on http://ADDR" and serves net/http/pprof and
// /stall, the stalls since the last /stall?reset=1 as JSON: the longest
// gap between ticks, the sum of the gaps over 5 ms, and each of those gaps
// with when it ended, so that a stall can be laid against the profile
// request that caused it:
//
//	{"max_ms": 5120.4, "over_5ms_ms": 5400.1, "ticks": 12000,
//	 "gaps": [{"end": "2026-12-01T10:00:00.123Z", "ms": 5120.4}]}
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"sync"
	"time"
)

// nest calls itself depth times, then blocks, so that a site's stacks
// have depth frames.
//
//go:noinline
func nest(depth int, ch chan struct{}) {
	if depth > 0 {
		nest(depth-1, ch)
		return
	}
	<-ch
}

//go:noinline
func leakOne(ch chan int) { ch <- 1 }

// stalls records the gaps between ticks of a 1 ms ticker.
type stalls struct {
	mu    sync.Mutex
	max   time.Duration
	over5 time.Duration
	ticks int
	gaps  []gap
}

// gap is a stall of more than 5 ms.
type gap struct {
	End time.Time `json:"end"`
	MS  float64   `json:"ms"`
}

// maxGaps bounds the gaps kept between resets.
const maxGaps = 10000

func (s *stalls) run() {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	last := time.Now()
	for range t.C {
		// The time received, not the tick's: a tick sent while this
		// goroutine could not run waits in the channel.
		now := time.Now()
		d := now.Sub(last) - time.Millisecond
		last = now
		s.mu.Lock()
		s.ticks++
		s.max = max(s.max, d)
		if d > 5*time.Millisecond {
			s.over5 += d
			if len(s.gaps) < maxGaps {
				s.gaps = append(s.gaps, gap{End: now.UTC(), MS: float64(d) / 1e6})
			}
		}
		s.mu.Unlock()
	}
}

func (s *stalls) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]any{
		"max_ms":      float64(s.max) / 1e6,
		"over_5ms_ms": float64(s.over5) / 1e6,
		"ticks":       s.ticks,
		"gaps":        s.gaps,
	})
	if r.URL.Query().Get("reset") == "1" {
		s.max, s.over5, s.ticks, s.gaps = 0, 0, 0, nil
	}
}

func main() {
	n := flag.Int("goroutines", 100000, "parked goroutines to hold")
	leak := flag.Int("leak", 16, "goroutines leaked at each step")
	every := flag.Duration("every", 2*time.Second, "time between leak steps (0: no leak)")
	addr := flag.String("addr", "127.0.0.1:0", "loopback address to serve on")
	flag.Parse()

	hold := make(chan struct{})
	for i := range *n {
		go nest(5+i%10, hold)
	}
	leaked := make(chan int)
	if *every > 0 {
		go func() {
			for range time.Tick(*every) {
				for range *leak {
					go leakOne(leaked)
				}
			}
		}()
	}
	s := &stalls{}
	go s.run()
	http.Handle("/stall", s)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stalltarget:", err)
		os.Exit(2)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	go http.Serve(ln, nil)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
}

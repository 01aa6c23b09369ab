// Command bigtarget is a service holding many blocked goroutines, for
// measuring what one probe costs a large target: it serves
// net/http/pprof and /stall, the longest time its own 1 ms ticker could
// not run since the last GET /stall?reset=1, and the sum of such gaps
// over 5 ms, which is how long the process could not run.
//
//	go run ./internal/exporter/testdata/bigtarget -goroutines 100000
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"sync"
	"time"
)

func main() {
	n := flag.Int("goroutines", 100000, "blocked goroutines to hold")
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	flag.Parse()

	// Ten sites at different depths, as a real service has: the stacks
	// are what a dump renders, so their depth is what it costs.
	block := make(chan struct{})
	for i := range *n {
		go nest(i%10, 5+i%10, block)
	}
	var st stall
	go st.watch()
	http.HandleFunc("/stall", st.serve)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bigtarget:", err)
		os.Exit(1)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	if err := http.Serve(ln, nil); err != nil {
		fmt.Fprintln(os.Stderr, "bigtarget:", err)
		os.Exit(1)
	}
}

// nest calls itself depth times, then blocks, so a site's stacks have
// depth frames.
func nest(site, depth int, block chan struct{}) {
	if depth > 0 {
		nest(site, depth-1, block)
		return
	}
	<-block
}

// stall follows a 1 ms ticker: a gap between two ticks longer than the
// tick is time the process could not run it.
type stall struct {
	mu      sync.Mutex
	longest time.Duration
	over5ms time.Duration
}

func (s *stall) watch() {
	t := time.NewTicker(time.Millisecond)
	last := time.Now()
	for range t.C {
		// The time received, not the tick's: a tick sent while this
		// goroutine could not run waits in the channel.
		now := time.Now()
		gap := now.Sub(last) - time.Millisecond
		last = now
		s.mu.Lock()
		s.longest = max(s.longest, gap)
		if gap > 5*time.Millisecond {
			s.over5ms += gap
		}
		s.mu.Unlock()
	}
}

func (s *stall) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	out := map[string]float64{"longest_seconds": s.longest.Seconds(), "over_5ms_seconds": s.over5ms.Seconds()}
	if r.URL.Query().Get("reset") != "" {
		s.longest, s.over5ms = 0, 0
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

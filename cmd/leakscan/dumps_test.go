package main

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"time"
)

// This file makes the dumps the script tests read: it parks goroutines at
// known go statements of this process, one creation site per spawn
// function below, and writes the process's own goroutine profile in every
// format the runtime produces. Both snapshots come from one process, so
// goroutine ids carry over from before to after.
//
// The sites, by the go statement that starts them, and their counts:
//
//	spawnGrowing  (parkGrowing)        3 → 7   grew, the first 3 still alive
//	spawnSteady   (parkSteady)         2 → 2   the same goroutines
//	spawnGone     (parkGone)           2 → 0   gone
//	spawnNew      (parkNew)            0 → 3   new
//	spawnChurn    (parkChurn)          2 → 2   all replaced
//	spawnPool     (wg.Go → parkPool)   1 → 2   grew, the first still alive; sync.(*WaitGroup).Go
//	                                           is the creator, spawnPool.func1 the site
//
// Together the sites grow by 4 + 3 + 1 - 2 = 6.

// The files writeDumps writes into its directory.
var dumpFiles = []string{
	"before.txt", "after.txt", // debug=2
	"before.debug1.txt", "after.debug1.txt", // debug=1
	"before.pb.gz", "after.pb.gz", // debug=0: gzipped protobuf
	"threadcreate.txt", "heap.txt", // other profiles, debug=1
}

// gang is goroutines parked on one channel until release.
type gang struct {
	ch   chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

func newGang() *gang { return &gang{ch: make(chan struct{})} }

// release lets the goroutines of g return and waits until they have. It
// may be called more than once.
func (g *gang) release() {
	g.once.Do(func() { close(g.ch) })
	g.wg.Wait()
}

// The functions the goroutines run. They are not inlined, so that each
// is a frame of its own in every format, protobuf included.

//go:noinline
func parkGrowing(g *gang) { defer g.wg.Done(); <-g.ch }

//go:noinline
func parkSteady(g *gang) { defer g.wg.Done(); <-g.ch }

//go:noinline
func parkGone(g *gang) { defer g.wg.Done(); <-g.ch }

//go:noinline
func parkNew(g *gang) { defer g.wg.Done(); <-g.ch }

//go:noinline
func parkChurn(g *gang) { defer g.wg.Done(); <-g.ch }

//go:noinline
func parkPool(g *gang) { <-g.ch }

// The spawn functions hold the go statements: each is one site. They
// are not inlined either: the closure of an inlined spawnPool would be
// named after each place it is inlined at.

//go:noinline
func spawnGrowing(g *gang, n int) {
	for range n {
		g.wg.Add(1)
		go parkGrowing(g)
	}
}

//go:noinline
func spawnSteady(g *gang, n int) {
	for range n {
		g.wg.Add(1)
		go parkSteady(g)
	}
}

//go:noinline
func spawnGone(g *gang, n int) {
	for range n {
		g.wg.Add(1)
		go parkGone(g)
	}
}

//go:noinline
func spawnNew(g *gang, n int) {
	for range n {
		g.wg.Add(1)
		go parkNew(g)
	}
}

//go:noinline
func spawnChurn(g *gang, n int) {
	for range n {
		g.wg.Add(1)
		go parkChurn(g)
	}
}

//go:noinline
func spawnPool(g *gang, n int) {
	for range n {
		g.wg.Go(func() { parkPool(g) })
	}
}

// writeDumps starts the goroutines of the sites above, writes the dumps
// named in dumpFiles into dir, and stops every goroutine it started.
func writeDumps(dir string) error {
	growing, steady, gone, fresh, churnA, churnB, pool :=
		newGang(), newGang(), newGang(), newGang(), newGang(), newGang(), newGang()
	defer func() {
		for _, g := range []*gang{growing, steady, gone, fresh, churnA, churnB, pool} {
			g.release()
		}
	}()

	spawnGrowing(growing, 3)
	spawnSteady(steady, 2)
	spawnGone(gone, 2)
	spawnChurn(churnA, 2)
	spawnPool(pool, 1)
	if err := waitParked(map[string]int{"parkGrowing": 3, "parkSteady": 2, "parkGone": 2, "parkChurn": 2, "parkPool": 1}); err != nil {
		return err
	}
	if err := writeProfiles(dir, "before"); err != nil {
		return err
	}

	spawnGrowing(growing, 4)
	spawnNew(fresh, 3)
	gone.release()
	churnA.release()
	spawnChurn(churnB, 2)
	spawnPool(pool, 1)
	if err := waitParked(map[string]int{"parkGrowing": 7, "parkSteady": 2, "parkNew": 3, "parkChurn": 2, "parkPool": 2}); err != nil {
		return err
	}
	if err := writeProfiles(dir, "after"); err != nil {
		return err
	}
	for _, name := range []string{"threadcreate", "heap"} {
		var buf bytes.Buffer
		if err := pprof.Lookup(name).WriteTo(&buf, 1); err != nil {
			return fmt.Errorf("%s profile: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".txt"), buf.Bytes(), 0o666); err != nil {
			return err
		}
	}
	return nil
}

// writeProfiles writes the goroutine profile as prefix.txt (debug=2),
// prefix.debug1.txt and prefix.pb.gz.
func writeProfiles(dir, prefix string) error {
	for _, p := range []struct {
		suffix string
		debug  int
	}{{".txt", 2}, {".debug1.txt", 1}, {".pb.gz", 0}} {
		var buf bytes.Buffer
		if err := pprof.Lookup("goroutine").WriteTo(&buf, p.debug); err != nil {
			return fmt.Errorf("goroutine profile, debug=%d: %v", p.debug, err)
		}
		if err := os.WriteFile(filepath.Join(dir, prefix+p.suffix), buf.Bytes(), 0o666); err != nil {
			return err
		}
	}
	return nil
}

// parkFrame finds the park functions of the tests in a traceback.
var parkFrame = regexp.MustCompile(`(?m)^\S+\.(park[A-Z]\w*)\(`)

// waitParked polls the goroutines of the process until, for every park
// function, exactly want[name] goroutines run it (0 if absent) and all of
// them wait in a channel receive: only then does a dump show them as the
// tests expect. It gives up after 10 seconds.
func waitParked(want map[string]int) error {
	deadline := time.Now().Add(10 * time.Second)
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n == len(buf) {
			buf = make([]byte, 2*len(buf))
			continue
		}
		all, parked := parkCounts(buf[:n])
		ok := true
		for _, name := range slices.Concat(slices.Collect(maps.Keys(want)), slices.Collect(maps.Keys(all))) {
			ok = ok && all[name] == want[name] && parked[name] == want[name]
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("goroutines did not park: running %v, parked %v, want %v", all, parked, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// parkCounts counts the goroutines of a debug=2 traceback that run each
// park function, and those of them that wait in a channel receive.
func parkCounts(traceback []byte) (all, parked map[string]int) {
	all, parked = map[string]int{}, map[string]int{}
	for block := range bytes.SplitSeq(traceback, []byte("\n\n")) {
		for _, m := range parkFrame.FindAllSubmatch(block, -1) {
			name := string(m[1])
			all[name]++
			header, _, _ := bytes.Cut(block, []byte("\n"))
			if bytes.Contains(header, []byte("[chan receive")) {
				parked[name]++
			}
		}
	}
	return all, parked
}

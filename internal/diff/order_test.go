package diff

import (
	"bytes"
	"context"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakscan/leakscan/internal/parse"
)

// gang parks n goroutines until released.
type gang struct {
	stop chan struct{}
	wg   sync.WaitGroup
}

//go:noinline
func parkOrder(g *gang) { defer g.wg.Done(); <-g.stop }

func startGang(n int) *gang {
	g := &gang{stop: make(chan struct{})}
	for range n {
		g.wg.Add(1)
		go parkOrder(g)
	}
	return g
}

func (g *gang) release() { close(g.stop); g.wg.Wait() }

// dumpSelf is a debug=2 dump of this test process, once n goroutines
// park in parkOrder.
func dumpSelf(t *testing.T, name string, n int) *parse.Snapshot {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		var buf bytes.Buffer
		if err := pprof.Lookup("goroutine").WriteTo(&buf, 2); err != nil {
			t.Fatal(err)
		}
		if strings.Count(buf.String(), "diff.parkOrder(") == n {
			snap, err := parse.Read(context.Background(), &buf, name, parse.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return snap
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines never parked", n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestSwappedByIDs dumps this process twice, its goroutines all replaced
// in between (1,200 of them: more than the ids any P keeps in its cache):
// in order, nothing is said; given newest first, the ids tell.
func TestSwappedByIDs(t *testing.T) {
	const n = 1200
	a := startGang(n)
	before := dumpSelf(t, "before", n)
	a.release()
	b := startGang(n)
	after := dumpSelf(t, "after", n)
	b.release()

	for _, tc := range []struct {
		first, second *parse.Snapshot
		swapped       bool
	}{{before, after, false}, {after, before, true}} {
		s := NewSeries(Filter{})
		s.Add(tc.first)
		s.Add(tc.second)
		r := s.Result()
		said := len(r.Notes) > 0 && strings.Contains(r.Notes[0], "looks older than the snapshot before it")
		if said != tc.swapped || r.Snapshots[1].Restart {
			t.Errorf("%s → %s: notes %q, restart %v; want swapped said: %v",
				tc.first.Source, tc.second.Source, r.Notes, r.Snapshots[1].Restart, tc.swapped)
		}
	}
}

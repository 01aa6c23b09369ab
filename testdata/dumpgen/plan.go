package main

import (
	"example.com/dumpgen/internal/netio.v2"
	"example.com/dumpgen/internal/truth"
	"example.com/dumpgen/internal/workers"
)

// plan holds what keeps the planned goroutines blocked. It lives in a
// global so that everything it references stays reachable: only the sites
// that are leaks by construction (local channels, nil channels, select {})
// are found by the goroutineleak profile.
type plan struct {
	pure  bool          // only goroutines the deadlock detector sees as blocked
	hold  chan struct{} // never closed
	multi *workers.Multi
	locks *workers.Locks
	keep  []interface{}
}

var plans []*plan // every plan started, kept reachable

// startA starts the goroutines of snapshot a (README.md lists them with
// their counts) and waits until they are blocked. With pure set it leaves
// out everything that keeps a deadlocked process alive or is not a
// goroutine wait (timers, sleeps, I/O, syscalls, a locked thread).
func startA(pure bool) *plan {
	p := &plan{pure: pure, hold: make(chan struct{})}
	plans = append(plans, p)
	workers.LeakyReceiver(10)
	p.multi = workers.StartMulti(3, 2, 2)
	p.keep = append(p.keep, workers.StartServer(2))
	for i := 0; i < 3; i++ {
		workers.Spawner(p.hold)
	}
	workers.Orphans(2, p.hold)
	startGenerics(p)
	workers.SelectForever()
	workers.NilChanReceiver()
	workers.BackgroundDone()
	p.locks = workers.StartLockWaiters(2, 2, 3)
	workers.Labelled(3, p.hold)
	workers.Deep(p.hold)
	workers.InlinedWaiter(make(chan int))
	startWaitGroupGo(p)
	if !pure {
		workers.Sleepers(4)
		workers.LockedToThread(p.hold)
		p.keep = append(p.keep, workers.PipeReaders(2))
		p.keep = append(p.keep, workers.RawSyscall())
		p.keep = append(p.keep, netio.AcceptLoop())
		p.keep = append(p.keep, workers.AfterFuncBlocker(p.hold))
	}
	truth.Settle()
	return p
}

// startB turns snapshot a into snapshot b: two sites grow, two shrink, one
// exits completely and one new site appears.
func startB(p *plan) {
	workers.LeakyReceiver(5) // grows 10 -> 15
	if !p.pure {
		workers.Sleepers(2) // grows 4 -> 6
	}
	p.multi.ReleaseSenders(2)  // shrinks 3 -> 1
	p.multi.ReleaseReceivers() // exits 2 -> 0
	p.locks.SignalOne()        // shrinks 3 -> 2
	workers.NewInB(3, p.hold)  // appears: 0 -> 3
	truth.Settle()
}

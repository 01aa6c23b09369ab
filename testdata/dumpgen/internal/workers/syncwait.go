package workers

import (
	"sync"

	"example.com/dumpgen/internal/truth"
)

// Locks holds the sync primitives that the waiters below block on. They are
// reachable from main for the whole run, so the goroutineleak profile does
// not report these waiters.
type Locks struct {
	mu   sync.Mutex
	rw   sync.RWMutex
	wg   sync.WaitGroup
	cmu  sync.Mutex
	cond *sync.Cond
}

// StartLockWaiters locks a Mutex and an RWMutex for good and starts nMutex
// goroutines in Mutex.Lock, one in RWMutex.RLock, one in RWMutex.Lock,
// nWG in WaitGroup.Wait and nCond in Cond.Wait.
func StartLockWaiters(nMutex, nWG, nCond int) *Locks {
	l := &Locks{}
	l.cond = sync.NewCond(&l.cmu)
	l.mu.Lock()
	l.rw.Lock()
	l.wg.Add(1)
	for i := 0; i < nMutex; i++ {
		s := truth.Next("sync.Mutex.Lock")
		go func() {
			s.Blocking()
			l.mu.Lock()
		}()
	}
	s := truth.Next("sync.RWMutex.RLock")
	go func() {
		s.Blocking()
		l.rw.RLock()
	}()
	s2 := truth.Next("RWMutex.Lock while main holds the write lock: parks in the writer Mutex, state sync.Mutex.Lock (1.20+) or semacquire")
	go func() {
		s2.Blocking()
		l.rw.Lock()
	}()
	for i := 0; i < nWG; i++ {
		s := truth.Next("sync.WaitGroup.Wait")
		go func() {
			s.Blocking()
			l.wg.Wait()
		}()
	}
	for i := 0; i < nCond; i++ {
		s := truth.Next("sync.Cond.Wait; one exits after Signal")
		go condWait(l, s)
	}
	return l
}

func condWait(l *Locks, s *truth.Site) {
	l.cmu.Lock()
	s.Blocking()
	l.cond.Wait()
	l.cmu.Unlock()
	s.Exit()
}

// SignalOne wakes one Cond waiter and waits until it has exited. Call it
// after truth.Settle: a waiter holds cmu until Wait has queued it, so once
// cmu is taken here every waiter is queued.
func (l *Locks) SignalOne() {
	l.cmu.Lock()
	l.cond.Signal()
	l.cmu.Unlock()
	truth.AwaitExits(1)
}

// Package workers starts goroutines at fixed creation sites and leaves them
// blocked in a known way. Every go statement is preceded by truth.Next on
// the line above it (see package truth).
package workers

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"example.com/dumpgen/internal/truth"
)

// LeakyReceiver starts n goroutines that receive from a channel nobody else
// references: a real leak, also found by the goroutineleak profile.
func LeakyReceiver(n int) {
	ch := make(chan int)
	for i := 0; i < n; i++ {
		s := truth.Next("chan receive on a channel only the goroutines reference")
		go func() {
			s.Blocking()
			<-ch
		}()
	}
}

// Multi has three go statements in one function (three sites with the same
// creating function) and can release some of their goroutines.
type Multi struct {
	send chan int
	a, b chan struct{}
	quit chan struct{}
	n    int // goroutines still waiting on quit
}

// StartMulti starts nSend senders, nSelect selecting goroutines and nRecv
// receivers, each group from its own go statement.
func StartMulti(nSend, nSelect, nRecv int) *Multi {
	m := &Multi{send: make(chan int), a: make(chan struct{}), b: make(chan struct{}), quit: make(chan struct{}), n: nRecv}
	for i := 0; i < nSend; i++ {
		s := truth.Next("chan send")
		go func(v int) {
			defer s.Exit()
			s.Blocking()
			m.send <- v
		}(i)
	}
	for i := 0; i < nSelect; i++ {
		s := truth.Next("select on two channels")
		go func() {
			s.Blocking()
			select {
			case <-m.a:
			case <-m.b:
			}
		}()
	}
	for i := 0; i < nRecv; i++ {
		s := truth.Next("chan receive, exits when quit is closed")
		go waitClosed(m.quit, s)
	}
	return m
}

func waitClosed(quit chan struct{}, s *truth.Site) {
	defer s.Exit()
	s.Blocking()
	<-quit
}

// ReleaseSenders lets n senders finish and waits until they have exited.
func (m *Multi) ReleaseSenders(n int) {
	for i := 0; i < n; i++ {
		<-m.send
	}
	truth.AwaitExits(n)
}

// ReleaseReceivers closes quit, so every receiver exits, and waits for them.
func (m *Multi) ReleaseReceivers() {
	close(m.quit)
	truth.AwaitExits(m.n)
}

// Server has goroutines started from method calls and a method value.
type Server struct {
	name string
	in   chan string
	quit chan struct{}
}

// StartServer starts nLoop (*Server).loop goroutines, one Server.valueLoop
// goroutine and one goroutine from the method value s.handle.
func StartServer(nLoop int) *Server {
	srv := &Server{name: "srv", in: make(chan string), quit: make(chan struct{})}
	for i := 0; i < nLoop; i++ {
		s := truth.Next("select in a pointer-receiver method")
		go srv.loop(s)
	}
	s := truth.Next("chan receive in a value-receiver method")
	go srv.valueLoop(s)
	h := srv.handle
	s2 := truth.Next("chan receive in a method value (-fm wrapper)")
	go h(s2)
	return srv
}

func (srv *Server) loop(s *truth.Site) {
	s.Blocking()
	for {
		select {
		case msg := <-srv.in:
			srv.name = msg
		case <-srv.quit:
			return
		}
	}
}

func (srv Server) valueLoop(s *truth.Site) {
	s.Blocking()
	<-srv.quit
}

func (srv *Server) handle(s *truth.Site) {
	s.Blocking()
	for range srv.in {
	}
}

// Spawner starts a goroutine that starts a goroutine that starts a
// goroutine (nested closures); all three stay blocked. Called several times,
// the inner sites get different "in goroutine N" parents.
func Spawner(hold chan struct{}) {
	s1 := truth.Next("chan receive (outer spawner closure)")
	go func() {
		s2 := truth.Next("chan receive (middle spawner closure)")
		go func() {
			s3 := truth.Next("chan receive (innermost spawner closure)")
			go func() {
				s3.Blocking()
				<-hold
			}()
			s2.Blocking()
			<-hold
		}()
		s1.Blocking()
		<-hold
	}()
}

// Orphans starts n goroutines that each start one child and exit, so the
// children's parent goroutines no longer exist.
func Orphans(n int, hold chan struct{}) {
	for i := 0; i < n; i++ {
		parent := truth.Next("starts one child, then exits")
		go func() {
			defer parent.Exit()
			child := truth.Next("chan receive; its parent has exited")
			go func() {
				child.Blocking()
				<-hold
			}()
			parent.Blocking()
		}()
	}
	truth.AwaitExits(n)
}

// SelectForever starts one goroutine blocked in select {}.
func SelectForever() {
	s := truth.Next("select {} (no cases)")
	go func() {
		s.Blocking()
		select {}
	}()
}

// NilChanReceiver starts one goroutine receiving from a nil channel.
func NilChanReceiver() {
	s := truth.Next("receive from a nil channel")
	go nilRecv(s)
}

func nilRecv(s *truth.Site) {
	var c chan int
	s.Blocking()
	<-c
}

// BackgroundDone starts one goroutine waiting for context.Background().Done()
// (a nil channel).
func BackgroundDone() {
	s := truth.Next("<-context.Background().Done() (nil channel)")
	go func() {
		s.Blocking()
		<-context.Background().Done()
	}()
}

// Sleepers starts n goroutines in time.Sleep(time.Hour).
func Sleepers(n int) {
	for i := 0; i < n; i++ {
		s := truth.Next("time.Sleep(time.Hour)")
		go sleeper(s)
	}
}

func sleeper(s *truth.Site) {
	s.Blocking()
	time.Sleep(time.Hour)
}

// LockedToThread starts one goroutine that locks its OS thread and blocks.
func LockedToThread(hold chan struct{}) {
	s := truth.Next("chan receive after runtime.LockOSThread")
	go func() {
		runtime.LockOSThread()
		s.Blocking()
		<-hold
	}()
}

// PipeReaders starts n goroutines, each reading an os.Pipe nobody writes to
// (IO wait in the netpoller). The write ends are returned to keep them open.
func PipeReaders(n int) []*os.File {
	var keep []*os.File
	for i := 0; i < n; i++ {
		r, w, err := os.Pipe()
		if err != nil {
			panic(err)
		}
		keep = append(keep, r, w)
		s := truth.Next("os.File.Read on a pipe (IO wait)")
		go pipeRead(r, s)
	}
	return keep
}

func pipeRead(r *os.File, s *truth.Site) {
	buf := make([]byte, 1)
	s.Blocking()
	_, _ = r.Read(buf)
}

// Labelled starts goroutines inside pprof.Do, so they inherit its labels:
// n with plain labels, one with a value holding ']', '}', a quote, a tab
// and non-ASCII text.
func Labelled(n int, hold chan struct{}) {
	kv := []string{"component", "ingest", "tenant", "t-42"}
	pprof.Do(context.Background(), pprof.Labels(kv...), func(ctx context.Context) {
		for i := 0; i < n; i++ {
			s := truth.Next("chan receive, with pprof labels").SetLabels(kv...)
			go func() {
				s.Blocking()
				<-hold
			}()
		}
	})
	odd := []string{"note", "naïve ]} \"quoted\"\tvalue ✓", "path", "/api/v1?q=[x]"}
	pprof.Do(context.Background(), pprof.Labels(odd...), func(ctx context.Context) {
		s := truth.Next("chan receive, with labels that need quoting").SetLabels(odd...)
		go func() {
			s.Blocking()
			<-hold
		}()
	})
}

// Deep starts one goroutine that recurses 200 calls deep and blocks, so
// tracebacks elide frames.
func Deep(hold chan struct{}) {
	s := truth.Next("chan receive at the bottom of a 200-deep recursion")
	go func() {
		recurse(200, hold, s)
	}()
}

func recurse(n int, hold chan struct{}, s *truth.Site) int {
	if n == 0 {
		s.Blocking()
		<-hold
		return 0
	}
	return recurse(n-1, hold, s) + 1
}

// InlinedWaiter starts one goroutine whose blocking receive is in a function
// that the compiler inlines.
func InlinedWaiter(ch chan int) {
	s := truth.Next("chan receive in an inlined function")
	go func() {
		s.Blocking()
		waitValue(ch)
	}()
}

func waitValue(ch chan int) int {
	return <-ch
}

// AfterFuncBlocker starts a timer whose callback blocks forever; the runtime
// creates its goroutine in time.goFunc.
func AfterFuncBlocker(hold chan struct{}) *time.Timer {
	s := truth.Next("chan receive in a time.AfterFunc callback").SetVia("time.goFunc")
	return time.AfterFunc(time.Millisecond, func() {
		s.Blocking()
		<-hold
	})
}

// NewInB starts n goroutines at a site that exists only in snapshot b.
func NewInB(n int, hold chan struct{}) {
	for i := 0; i < n; i++ {
		s := truth.Next("chan receive (site new in snapshot b)")
		go func() {
			s.Blocking()
			<-hold
		}()
	}
}

// Segfault starts one goroutine that dereferences a nil pointer once start
// is closed: the process dies with a runtime error panic and a SIGSEGV line.
func Segfault(start chan struct{}) {
	s := truth.Next("dereferences a nil pointer once released (crashes the process)")
	go func() {
		s.Blocking()
		<-start
		var p *Server
		println(p.name)
	}()
}

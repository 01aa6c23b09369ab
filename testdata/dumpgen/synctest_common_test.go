//go:build go1.25 || (go1.24 && goexperiment.synctest)
// +build go1.25 go1.24,goexperiment.synctest

package main

import (
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"example.com/dumpgen/internal/truth"
)

// bubble is what startBubble starts inside a synctest bubble; every
// goroutine is durably blocked once synctest.Wait returns.
type bubble struct {
	hold chan struct{}
	wg   sync.WaitGroup
}

func startBubble(sleeper bool) *bubble {
	b := &bubble{hold: make(chan struct{})}
	other := make(chan struct{})
	for i := 0; i < 2; i++ {
		s := truth.Next("chan receive inside a synctest bubble")
		go func() {
			s.Blocking()
			<-b.hold
		}()
	}
	s := truth.Next("select inside a synctest bubble")
	go func() {
		s.Blocking()
		select {
		case <-b.hold:
		case <-other:
		}
	}()
	b.wg.Add(1)
	s2 := truth.Next("sync.WaitGroup.Wait inside a synctest bubble")
	go func() {
		s2.Blocking()
		b.wg.Wait()
	}()
	if sleeper {
		s := truth.Next("time.Sleep inside a synctest bubble (fake clock)")
		go func() {
			s.Blocking()
			time.Sleep(time.Hour)
		}()
	}
	return b
}

// TestSynctestDump writes synctest.debug2.txt: the plan of snapshot a plus
// goroutines durably blocked inside a bubble. It runs only when
// DUMPGEN_OUT names the output directory.
func TestSynctestDump(t *testing.T) {
	dir := os.Getenv("DUMPGEN_OUT")
	if dir == "" {
		t.Skip("generator only: set DUMPGEN_OUT")
	}
	startA(false)
	runBubble(t, func() {
		b := startBubble(true)
		truth.Settle()
		synctestWait()
		f, err := os.Create(filepath.Join(dir, "synctest.debug2.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.Lookup("goroutine").WriteTo(f, 2); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if err := truth.Write(filepath.Join(dir, "synctest.debug2.truth.json"), "synctest.debug2.txt", os.Getenv("DUMPGEN_VARIANT"), noteAll); err != nil {
			t.Fatal(err)
		}
		close(b.hold)
		b.wg.Done()
		time.Sleep(2 * time.Hour) // fake clock: wakes the sleeper
	})
}

// TestSynctestDeadlock starts the plan of snapshot a and a bubble whose
// goroutines, the bubble's root included, all block: the bubble panics with
// a deadlock. It runs only when DUMPGEN_TRUTH names the truth file.
func TestSynctestDeadlock(t *testing.T) {
	path := os.Getenv("DUMPGEN_TRUTH")
	if path == "" {
		t.Skip("generator only: set DUMPGEN_TRUTH")
	}
	startA(false)
	runBubble(t, func() {
		startBubble(false)
		truth.Settle()
		synctestWait()
		name := filepath.Base(path)
		name = name[:len(name)-len(".truth.json")] + ".txt"
		if err := truth.Write(path, name, os.Getenv("DUMPGEN_VARIANT"), noteCrash); err != nil {
			t.Fatal(err)
		}
		<-make(chan struct{})
	})
}

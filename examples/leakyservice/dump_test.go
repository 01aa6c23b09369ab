package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// This file is the test's own reading of debug=2 dumps, deliberately
// apart from leakscan's parser: the story test checks the service with it,
// so it must not share leakscan's mistakes.

// goroutine is what the story test needs of one goroutine of a dump.
type goroutine struct {
	id    int
	state string // "chan send", "select", ...: the header's state without the wait
	entry string // the goroutine's own function: its last frame
	site  string // the go statement that started it, "main.f file.go:12"; "" for none
}

var headerRE = regexp.MustCompile(`^goroutine (\d+) .*?\[([^\]]*)\]:$`)

// parseDump reads a debug=2 dump, whose goroutines are blocks like
//
//	goroutine 42 [chan send, 2 minutes]:
//	main.(*FileMonitor).sendCheckpoint(...)
//		/src/leakyservice/file_monitor.go:104 +0x2a
//	created by main.(*FileMonitor).pollAllFiles in goroutine 9
//		/src/leakyservice/file_monitor.go:97 +0x1b2
//
// and returns {42, "chan send", "main.(*FileMonitor).sendCheckpoint",
// "main.(*FileMonitor).pollAllFiles file_monitor.go:97"} for this one.
func parseDump(r io.Reader) ([]goroutine, error) {
	var (
		gs      []goroutine
		g       *goroutine
		creator string // set while the location line of "created by" is due
		n       int
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case line == "":
			g = nil
		case g == nil:
			m := headerRE.FindStringSubmatch(line)
			if m == nil {
				return nil, fmt.Errorf("line %d: want a goroutine header, got %q", n, line)
			}
			id, _ := strconv.Atoi(m[1])
			state, _, _ := strings.Cut(m[2], ",")
			gs = append(gs, goroutine{id: id, state: state})
			g = &gs[len(gs)-1]
		case creator != "":
			loc, _, _ := strings.Cut(strings.TrimSpace(line), " ")
			g.site = creator + " " + filepath.Base(loc)
			creator = ""
		case strings.HasPrefix(line, "created by "):
			creator, _, _ = strings.Cut(strings.TrimPrefix(line, "created by "), " in goroutine ")
		case strings.HasPrefix(line, "\t"), strings.HasPrefix(line, "..."):
			// a frame's location, or elided frames
		default:
			// A frame: the function, then its arguments, which hold no '('.
			if i := strings.LastIndexByte(line, '('); i > 0 {
				g.entry = line[:i]
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if creator != "" {
		return nil, errors.New("dump ends after a \"created by\" line")
	}
	if len(gs) == 0 {
		return nil, errors.New("no goroutine in the dump")
	}
	return gs, nil
}

// TestParseDump reads real dumps of this process, taken while three
// goroutines of a known go statement block: it dumps until the three
// have reached their channel (a goroutine just started shows none of its
// frames), for at most a few seconds.
func TestParseDump(t *testing.T) {
	release := make(chan struct{})
	var wg sync.WaitGroup
	file, line := blockThree(release, &wg)
	defer wg.Wait()
	defer close(release)

	// In a test binary, package main is named by its import path.
	site := fmt.Sprintf("%s %s:%d", funcName(blockThree), filepath.Base(file), line)
	entry := funcName(blockOn)
	var text string
	var blocked, started map[int]bool
	for try := 0; try < 300 && len(blocked) < 3; try++ {
		if try > 0 {
			time.Sleep(10 * time.Millisecond)
		}
		var buf bytes.Buffer
		if err := pprof.Lookup("goroutine").WriteTo(&buf, 2); err != nil {
			t.Fatal(err)
		}
		text = buf.String()
		gs, err := parseDump(&buf)
		if err != nil {
			t.Fatalf("parseDump(real dump) = %v; dump:\n%s", err, text)
		}
		blocked, started = map[int]bool{}, map[int]bool{}
		for _, g := range gs {
			if g.site == site {
				started[g.id] = true
				if g.state == "chan receive" && g.entry == entry {
					blocked[g.id] = true
				}
			}
		}
	}
	if len(blocked) != 3 || len(started) != 3 {
		t.Errorf("parseDump found %d goroutines at %s, %d of them in chan receive in %s; want 3 and 3; dump:\n%s",
			len(started), site, len(blocked), entry, text)
	}
}

func TestParseDumpRejectsText(t *testing.T) {
	for _, in := range []string{"", "not a dump\n", "goroutine 1 [running]:\nmain.main()\ncreated by main.f in goroutine 1\n"} {
		if _, err := parseDump(strings.NewReader(in)); err == nil {
			t.Errorf("parseDump(%q) = nil error, want one", in)
		}
	}
}

// blockThree starts three goroutines that wait for release, and returns
// the file and line of its go statement.
func blockThree(release chan struct{}, wg *sync.WaitGroup) (file string, line int) {
	wg.Add(3)
	for range 3 {
		_, file, line, _ = runtime.Caller(0)
		go blockOn(release, wg) // on the line after runtime.Caller
	}
	return file, line + 1
}

func funcName(f any) string { return runtime.FuncForPC(reflect.ValueOf(f).Pointer()).Name() }

func blockOn(release chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	<-release
}

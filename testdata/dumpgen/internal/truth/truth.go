// Package truth records, from inside the generator, which goroutines it
// started at which creation site, so that every dump can be checked against
// a ground truth that was not written by hand.
//
// Convention: a goroutine is started by calling Next on the line directly
// above the go statement (or the wg.Go / time.AfterFunc call):
//
//	s := truth.Next("chan receive")
//	go func() {
//		s.Blocking()
//		<-ch
//	}()
//
// Next learns its caller's file and line with runtime.Caller and records the
// site as that line + 1, which is the line the runtime prints under
// "created by" (the line of the go keyword, also for multi-line go
// statements). gen-corpus.sh cross-checks every site against the
// "created by" lines of the level-1 dumps, so a line inserted between the two
// statements is caught at generation time.
package truth

import (
	"bytes"
	"encoding/json"
	"io/ioutil"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Site is one creation site: a go statement in this module.
type Site struct {
	// File is the source file as runtime.Caller reports it, so it is the
	// same string as the file of the "created by" location line (absolute,
	// or module-relative with -trimpath).
	File string `json:"file"`
	// Line is the line of the go statement.
	Line int `json:"line"`
	// Func is the function that contains the go statement, named as
	// runtime.Frame.Function names it.
	Func string `json:"func"`
	// Via is set when the go statement is not ours: the runtime prints this
	// function (and a file:line in GOROOT) under "created by", e.g.
	// "sync.(*WaitGroup).Go" or "time.goFunc". File:Line is then the call
	// of wg.Go / time.AfterFunc in this module.
	Via string `json:"via,omitempty"`
	// What says what the goroutines do when the dump is taken.
	What string `json:"what"`
	// Labels are the pprof labels the goroutines carry, if any.
	Labels map[string]string `json:"labels,omitempty"`
	// Started counts goroutines started here so far in this process.
	Started int `json:"started"`
	// Alive counts the goroutines started here that have not exited.
	Alive int `json:"alive"`
}

var (
	mu      sync.Mutex
	sites   = map[string]*Site{}
	pending sync.WaitGroup
	exits   = make(chan struct{}, 4096)
)

// Key is the short site key used in truth files: file base name and line.
func (s *Site) Key() string {
	return filepath.Base(s.File) + ":" + strconv.Itoa(s.Line)
}

// Next records that one goroutine is started by the go statement on the line
// below the call. The goroutine must call Blocking (once) right before it
// blocks, or before it exits if it does not block.
func Next(what string) *Site {
	pc, file, line, ok := runtime.Caller(1)
	if !ok {
		panic("truth.Next: runtime.Caller failed")
	}
	fn := ""
	frames := runtime.CallersFrames([]uintptr{pc})
	if f, _ := frames.Next(); f.Function != "" {
		fn = f.Function
	}
	key := file + ":" + strconv.Itoa(line+1)
	mu.Lock()
	defer mu.Unlock()
	s := sites[key]
	if s == nil {
		s = &Site{File: file, Line: line + 1, Func: fn, What: what}
		sites[key] = s
	}
	s.Started++
	s.Alive++
	pending.Add(1)
	return s
}

// SetVia records that the runtime names fn under "created by" for this site.
func (s *Site) SetVia(fn string) *Site {
	mu.Lock()
	s.Via = fn
	mu.Unlock()
	return s
}

// SetLabels records the pprof labels (key, value, key, value...) of the site.
func (s *Site) SetLabels(kv ...string) *Site {
	mu.Lock()
	s.Labels = map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		s.Labels[kv[i]] = kv[i+1]
	}
	mu.Unlock()
	return s
}

// Blocking tells Settle that one goroutine of the site is about to block.
func (s *Site) Blocking() { pending.Done() }

// Exit records that one goroutine of the site is exiting; defer it.
func (s *Site) Exit() {
	mu.Lock()
	s.Alive--
	mu.Unlock()
	exits <- struct{}{}
}

// AwaitExits waits until n goroutines have called Exit since the last call.
func AwaitExits(n int) {
	for i := 0; i < n; i++ {
		<-exits
	}
}

// Settle waits until every goroutine started so far has called Blocking,
// gives them time to park, and runs two GC cycles.
func Settle() {
	pending.Wait()
	time.Sleep(300 * time.Millisecond)
	runtime.GC()
	runtime.GC()
}

// File is the content of a NAME.truth.json file.
type File struct {
	// GoVersion is runtime.Version() of the generating binary.
	GoVersion string `json:"go_version"`
	// Dump names the dump file this truth belongs to.
	Dump string `json:"dump"`
	// Variant describes how the binary was built and run (set by the
	// generation script: GOEXPERIMENT, GODEBUG, GOTRACEBACK, -trimpath).
	Variant string `json:"variant,omitempty"`
	// Note says how to read the dump against the truth.
	Note string `json:"note,omitempty"`
	// GoroutinesStarted maps "file base:line" of each go statement to the
	// number of goroutines started there so far in this process.
	GoroutinesStarted map[string]int `json:"goroutines_started"`
	// GoroutinesAlive is the same for goroutines that had not exited when
	// the dump was taken: the number of goroutines the dump shows for the
	// site if it shows all goroutines.
	GoroutinesAlive map[string]int `json:"goroutines_alive"`
	// Sites has the details of every site, sorted by file and line.
	Sites []Site `json:"sites,omitempty"`
}

// Write writes the truth for dump (a file name) to path.
func Write(path, dump, variant, note string) error {
	mu.Lock()
	f := File{
		GoVersion:         runtime.Version(),
		Dump:              dump,
		Variant:           variant,
		Note:              note,
		GoroutinesStarted: map[string]int{},
		GoroutinesAlive:   map[string]int{},
	}
	for _, s := range sites {
		f.GoroutinesStarted[s.Key()] = s.Started
		f.GoroutinesAlive[s.Key()] = s.Alive
		f.Sites = append(f.Sites, *s)
	}
	mu.Unlock()
	sort.Slice(f.Sites, func(i, j int) bool {
		if f.Sites[i].File != f.Sites[j].File {
			return f.Sites[i].File < f.Sites[j].File
		}
		return f.Sites[i].Line < f.Sites[j].Line
	})
	// Indented, except that each site is kept on one line.
	sites := f.Sites
	f.Sites = nil
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	b = bytes.TrimSuffix(b, []byte("\n}"))
	b = append(b, ",\n  \"sites\": ["...)
	for i, s := range sites {
		sb, err := json.Marshal(s)
		if err != nil {
			return err
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n    "...)
		b = append(b, sb...)
	}
	b = append(b, "\n  ]\n}\n"...)
	return ioutil.WriteFile(path, b, 0o644)
}

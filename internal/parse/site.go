package parse

import "strings"

// spawners are functions that start goroutines on behalf of their caller,
// so that "created by" names the helper rather than the code that asked
// for the goroutine. For these the site is the outermost frame of the
// goroutine's own code instead: otherwise every wg.Go in a program would
// fall into one site. Frames of the helper's own package (its wrapper
// closure, such as sync.(*WaitGroup).Go.func1) are skipped to find it.
var spawners = map[string]bool{
	// Go 1.25: wg.Go(f) runs f in a closure of sync.(*WaitGroup).Go.
	"sync.(*WaitGroup).Go": true,
	// time.AfterFunc(d, f) runs f from the timer's goFunc.
	"time.goFunc": true,
	// golang.org/x/sync/errgroup: g.Go(f) and g.TryGo(f).
	"golang.org/x/sync/errgroup.(*Group).Go":    true,
	"golang.org/x/sync/errgroup.(*Group).TryGo": true,
	// github.com/sourcegraph/conc: wg.Go(f).
	"github.com/sourcegraph/conc.(*WaitGroup).Go": true,
	// k8s.io/apimachinery/pkg/util/wait: g.Start(f) and the
	// StartWithChannel/StartWithContext variants built on it.
	"k8s.io/apimachinery/pkg/util/wait.(*Group).Start": true,
	// gopkg.in/tomb.v2: t.Go(f).
	"gopkg.in/tomb%2ev2.(*Tomb).Go": true,
	// github.com/oklog/run: g.Run() starts every actor.
	"github.com/oklog/run.(*Group).Run": true,
}

// pkgPath returns the import path of a function name as the runtime
// prints it: everything up to the last '/', then up to the first '.'.
//
//	"net/http.(*conn).serve"                  → "net/http"
//	"gopkg.in/yaml%2ev3.(*parser).parse"      → "gopkg.in/yaml%2ev3"
//	"main.main.func1"                         → "main"
func pkgPath(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	if slash < 0 {
		slash = 0
	}
	if dot := strings.IndexByte(fn[slash:], '.'); dot >= 0 {
		return fn[:slash+dot]
	}
	return fn
}

// IsStd reports whether fn belongs to the Go distribution: the runtime or
// the standard library (including its vendored golang.org/x packages).
// Import paths of the standard library have no dot in their first
// element; "main" is the exception, and so is every module named without
// a dot, which cannot be told apart by name alone.
func IsStd(fn string) bool {
	pkg := pkgPath(fn)
	if pkg == "main" || pkg == "" {
		return false
	}
	first := pkg
	if i := strings.IndexByte(pkg, '/'); i >= 0 {
		first = pkg[:i]
	}
	return !strings.Contains(first, ".")
}

// isRuntime reports whether fn is the runtime's own code, which the
// traceback text hides at GOTRACEBACK<2 but protobuf profiles keep.
func isRuntime(fn string) bool {
	return strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "internal/runtime/") ||
		fn == "panic"
}

// isWrapper reports whether fn is code the compiler generated around a go
// statement or a method value: "F.gowrap1" (Go 1.22+), "F·dwrap·1" (Go
// 1.17), "T.m-fm". They are printed only at GOTRACEBACK=system.
func isWrapper(fn string) bool {
	if strings.HasSuffix(fn, "-fm") || strings.Contains(fn, "·dwrap·") {
		// "-fm": a method value; "·dwrap·N": Go 1.17's wrapper of a go
		// or defer statement with arguments.
		return true
	}
	i := strings.LastIndex(fn, ".gowrap")
	if i < 0 {
		return false
	}
	for _, c := range fn[i+len(".gowrap"):] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// entryIndex returns the index in frames (innermost first) of the
// goroutine's entry function: the outermost frame that is not the
// runtime's goexit or main, a compiler wrapper, or part of the spawning
// helper's package skip (empty for none). creator is the "created by"
// frame, zero when the format has none. It returns -1 for an empty stack.
//
// The same goroutine must get the same entry whatever the traceback level
// and format: runtime.main is printed below main.main only in crash
// output, debug=1 and protobuf; go statement wrappers only at
// GOTRACEBACK=system and above.
func entryIndex(frames []Frame, creator Frame, skip string) int {
	for i := len(frames) - 1; i >= 0; i-- {
		fn := frames[i].Func
		if fn == "runtime.goexit" || isWrapper(fn) || fn == "runtime.main" && i > 0 {
			continue
		}
		if skip != "" && pkgPath(fn) == skip {
			continue
		}
		if skip == "" && spawnerFrame(fn) {
			continue
		}
		if goWrapper(frames, i, creator) {
			continue
		}
		return i
	}
	if len(frames) > 0 {
		return len(frames) - 1
	}
	return -1
}

// goWrapper reports whether frames[i] is the closure that Go 1.17 to 1.21
// compile around a go statement with arguments, which tracebacks show
// only at GOTRACEBACK=system and above (where every stack ends in
// runtime.goexit), so that the entry is the same at every level:
//
//	net/http.(*conn).serve(0xc0001a2000, ...)
//		/usr/lib/go/src/net/http/server.go:1995 +0x612
//	net/http.(*Server).Serve.func3()                  the wrapper of
//		/usr/lib/go/src/net/http/server.go:3089 +0x2e   "go c.serve(connCtx)"
//	runtime.goexit()
//	created by net/http.(*Server).Serve
//		/usr/lib/go/src/net/http/server.go:3089 +0x5ed
//
// A wrapper is a closure of the creator at the go statement's line that
// calls the goroutine's function, or, for "go func(v int) {...}(i)", a
// closure at the literal's last line that calls the literal (another
// closure of the creator). A one-line "go func() { f() }()" has the same
// shape and is taken for one: its entry is f at every level.
func goWrapper(frames []Frame, i int, creator Frame) bool {
	n := len(frames)
	if i == 0 || creator.Func == "" || frames[n-1].Func != "runtime.goexit" {
		return false
	}
	f, callee := frames[i], frames[i-1]
	if !closureOf(f.Func, creator.Func) || f.File != creator.File || f.Line < creator.Line || isRuntime(callee.Func) {
		return false
	}
	return f.Line == creator.Line || closureOf(callee.Func, creator.Func)
}

// closureOf reports whether fn is a function literal directly inside
// parent: "main.serve.func2" of "main.serve". Nested literals
// ("main.serve.func2.1") are not.
func closureOf(fn, parent string) bool {
	rest, ok := strings.CutPrefix(fn, parent+".func")
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Callee is the function that the entry function calls when the entry is
// a function literal of the creator that passes the goroutine on: the
// "f" of a helper such as
//
//	func (s *Server) startGoRoutine(f func()) { go func() { defer s.done(); f() }() }
//
// It is the zero Frame when the entry is not such a literal or calls
// nothing but the runtime, or when the call is inlined (a call through a
// func value never is). A site whose goroutines have many callees is a
// spawning helper of the program's own (see diff).
func (s *Stack) Callee() Frame {
	if s.Creator.Func == "" || !closureOf(s.Entry.Func, s.Creator.Func) {
		return Frame{}
	}
	for i := len(s.Frames) - 1; i > 0; i-- {
		if s.Frames[i] != s.Entry {
			continue
		}
		c := s.Frames[i-1]
		if c.Inlined || isRuntime(c.Func) || strings.HasPrefix(c.Func, s.Entry.Func+".") {
			return Frame{}
		}
		return c
	}
	return Frame{}
}

// spawnerFrame reports whether fn is a spawning helper's own closure, such
// as "sync.(*WaitGroup).Go.func1", which formats without "created by"
// show at the bottom of the stack.
func spawnerFrame(fn string) bool {
	for {
		i := strings.LastIndexByte(fn, '.')
		if i < 0 || !strings.HasPrefix(fn[i+1:], "func") {
			return false
		}
		fn = fn[:i]
		if spawners[fn] {
			return true
		}
	}
}

// waitIndex returns the index of the frame where a goroutine waits: the
// first frame outside the runtime and the standard library, else the first
// outside the runtime and the standard library's internal packages (whose
// names, such as internal/poll.runtime_pollWait, say little), else the
// first.
func waitIndex(frames []Frame) int {
	firstNonRuntime := -1
	for i, f := range frames {
		if f.File == "<autogenerated>" {
			// A method-value or interface wrapper ("T.m-fm" at
			// <autogenerated>:1) says nothing a reader can open.
			continue
		}
		if !IsStd(f.Func) {
			return i
		}
		if firstNonRuntime < 0 && !isRuntime(f.Func) && !strings.HasPrefix(f.Func, "internal/") {
			firstNonRuntime = i
		}
	}
	if firstNonRuntime >= 0 {
		return firstNonRuntime
	}
	if len(frames) > 0 {
		return 0
	}
	return -1
}

// siteOf derives the grouping key of a stack.
func siteOf(creator Frame, frames []Frame) (site Site, entry int) {
	if creator.Func == "" {
		entry = entryIndex(frames, creator, "")
		if entry < 0 {
			return Site{Kind: KeyEntry}, entry
		}
		return Site{Kind: KeyEntry, Func: frames[entry].Func}, entry
	}
	if spawners[creator.Func] {
		entry = entryIndex(frames, creator, pkgPath(creator.Func))
		if entry >= 0 && pkgPath(frames[entry].Func) != pkgPath(creator.Func) {
			return Site{Kind: KeyHelper, Func: frames[entry].Func}, entry
		}
	}
	return Site{Kind: KeyCreatedBy, Func: creator.Func, File: creator.File, Line: creator.Line},
		entryIndex(frames, creator, "")
}

// refineState names the lock a "semacquire" goroutine waits for, as Go
// 1.20+ (mutexes) and 1.24+ (WaitGroup) do in the header, so that dumps of
// older and newer binaries compare.
func refineState(state string, frames []Frame) string {
	if state != "semacquire" {
		return state
	}
	for _, f := range frames {
		switch f.Func {
		case "sync.(*Mutex).Lock":
			return "sync.Mutex.Lock"
		case "sync.(*RWMutex).Lock":
			return "sync.RWMutex.Lock"
		case "sync.(*RWMutex).RLock":
			return "sync.RWMutex.RLock"
		case "sync.(*WaitGroup).Wait":
			return "sync.WaitGroup.Wait"
		}
	}
	return state
}

// normalizeFunc writes generic instantiations as "[...]", as the
// traceback text does, so that protobuf names of Go 1.21+
// ("Map[go.shape.int,go.shape.string]") match text names.
func normalizeFunc(fn string) string {
	i := strings.IndexByte(fn, '[')
	if i < 0 {
		return fn
	}
	j := strings.LastIndexByte(fn, ']')
	if j < i || fn[i:j+1] == "[...]" {
		return fn
	}
	return fn[:i] + "[...]" + fn[j+1:]
}

package diff

import (
	"strings"

	"github.com/leakscan/leakscan/internal/parse"
)

// Benign says why the goroutines of a stack are expected to be alive in a
// healthy program, or returns "" when they are not known to be. Benign
// goroutines stay in the output (marked) but are left out of verdicts and
// the gate unless the caller asks for them. Each rule is here, with why;
// the list follows the spirit of goleak's default filters.
func Benign(s *parse.Stack) string {
	switch {
	case writesDump(s):
		// The goroutine that was writing this very dump.
		return "writes the dump"
	case runtimeCreator(s.Creator.Func) && (s.Entry.Func == "" || parse.IsStd(s.Entry.Func)):
		// The runtime's own workers (GC, scavenger, finalizers, the
		// unique package's cleanup), shown at GOTRACEBACK=system and in
		// SIGQUIT dumps, where one may be running on another thread
		// with no stack to show.
		return "runtime"
	case s.Entry.Func == "runtime.goexit" && len(s.Frames) <= 1:
		if onlyState(s, "syscall") && s.Locked == s.Count && s.Creator.Func == "" {
			// A thread that entered Go from C (cgo callback), parked in
			// a syscall and locked to its thread: it belongs to the C
			// side.
			return "cgo thread"
		}
		// A goroutine that has not run yet: nothing but goexit on its
		// stack. It runs in a moment, so it cannot be a leak now.
		return "not started"
	case hasFrame(s, "os/signal.signal_recv"), hasFrame(s, "os/signal.loop"), s.Entry.Func == "runtime.ensureSigM":
		// signal.Notify starts one loop for the life of the process.
		return "os/signal"
	case hasFrame(s, "testing.RunTests"), hasFrame(s, "testing.(*T).Run"), hasFrame(s, "testing.(*T).Parallel"),
		hasFrame(s, "testing.(*F).Fuzz"), hasFrame(s, "testing.runFuzzing"), hasFrame(s, "testing.(*M).Run"),
		strings.HasPrefix(s.Entry.Func, "testing.(*M).startAlarm"):
		// The test runner waiting for tests, parallel tests waiting for
		// their turn, and the -timeout alarm (a time.AfterFunc, so
		// created by time.goFunc).
		return "testing"
	case hasFrame(s, "runtime/trace.Start.func1"), hasFrame(s, "runtime.ReadTrace"):
		// The execution tracer's reader, alive while tracing.
		return "runtime/trace"
	case calls(s, "net/http.(*conn).serve", "bufio.(*Reader).Peek"),
		hasFrame(s, "net/http.(*conn).serve") && calls(s, "net/http.readRequest", "net/textproto.(*Reader).ReadLine"):
		// An HTTP server connection kept alive between requests: the
		// server waits for the first bytes of the next one, and the
		// client decides when it ends. Since Go 1.20 the server waits
		// in a Peek; before, and without an IdleTimeout, in reading the
		// next request line. Whatever reads below (a TLS or cmux
		// connection) does not matter. A connection that is reading
		// its request's headers, such as one that sent half of them,
		// is not idle and not benign.
		return "http keep-alive"
	case serverConnClosing(s):
		// A connection whose handler is done: the server flushes the
		// response, closes the connection or runs its deferred
		// cleanup, as for the request that fetched the dump before
		// this one. It ends in a moment.
		return "http connection closing"
	case s.Creator.Func == "net/http.(*connReader).startBackgroundRead",
		s.Entry.Func == "net/http.(*connReader).backgroundRead":
		// The server's read-ahead on a connection whose handler runs:
		// it lives as long as the request, such as the one that
		// fetched this dump.
		return "http read-ahead"
	case calls(s, "net/http.(*persistConn).readLoop", "bufio.(*Reader).Peek"),
		s.Entry.Func == "net/http.(*persistConn).writeLoop" && s.Wait.Func == s.Entry.Func && stateIs(s, "select"):
		// An HTTP client connection idle in the Transport's pool: its
		// reader waits for the server, its writer for the next
		// request. A reader waiting for its response body to be read
		// or closed (a leak when bodies are never closed) is in a
		// select instead, and not benign.
		return benignClientIdle
	}
	return ""
}

// serverConnClosing reports whether the stack is an HTTP server
// connection past its handler, in the server's own bookkeeping.
func serverConnClosing(s *parse.Stack) bool {
	if !hasFrame(s, "net/http.(*conn).serve") || hasFrame(s, "net/http.serverHandler.ServeHTTP") {
		return false
	}
	for _, f := range s.Frames {
		switch f.Func {
		case "net/http.(*response).finishRequest", "net/http.(*conn).closeWriteAndWait", "net/http.(*conn).close",
			"net/http.(*conn).finalFlush", "net/http.(*conn).setState", "net/http.(*conn).serve.func1":
			return true
		}
	}
	return false
}

// runtimeCreator reports whether fn is the runtime, or a hook the
// runtime provides to a package of the standard library
// ("unique.runtime_registerUniqueMapCleanup").
func runtimeCreator(fn string) bool {
	return strings.HasPrefix(fn, "runtime.") || parse.IsStd(fn) && strings.Contains(fn, ".runtime_")
}

// benignClientIdle is the reason of an idle pooled client connection's
// goroutines. A Series lets writers have it only as many as idle readers.
const benignClientIdle = "http client idle"

// calls reports whether the stack has fn calling callee directly.
func calls(s *parse.Stack, fn, callee string) bool {
	for i := 1; i < len(s.Frames); i++ {
		if s.Frames[i].Func == fn && s.Frames[i-1].Func == callee {
			return true
		}
	}
	return false
}

// stateIs reports whether every goroutine of the stack is in state, or
// the format records no states (debug=1, protobuf).
func stateIs(s *parse.Stack, state string) bool {
	for _, sc := range s.States {
		if sc.State != state && sc.State != "" {
			return false
		}
	}
	return true
}

// onlyState reports whether every goroutine of the stack is in state.
func onlyState(s *parse.Stack, state string) bool {
	for _, sc := range s.States {
		if sc.State != state {
			return false
		}
	}
	return len(s.States) > 0
}

// writesDump reports whether the stack is a goroutine profile being
// written: runtime/pprof's writers (writeGoroutineStacks for debug=2,
// writeGoroutine and writeRuntimeProfile for debug=0 and 1, the leak
// profile's), or runtime.Stack and runtime.GoroutineProfile called
// directly.
func writesDump(s *parse.Stack) bool {
	for _, f := range s.Frames {
		if strings.HasPrefix(f.Func, "runtime/pprof.writeGoroutine") || f.Func == "runtime/pprof.writeRuntimeProfile" ||
			f.Func == "runtime.Stack" || f.Func == "runtime.GoroutineProfile" {
			return true
		}
	}
	return false
}

func hasFrame(s *parse.Stack, fn string) bool {
	for _, f := range s.Frames {
		if f.Func == fn {
			return true
		}
	}
	return false
}

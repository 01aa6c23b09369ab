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
	case strings.HasPrefix(s.Creator.Func, "runtime.") && parse.IsStd(s.Entry.Func):
		// The runtime's own workers (GC, scavenger, finalizers), shown at
		// GOTRACEBACK=system and in SIGQUIT dumps.
		return "runtime"
	case s.Creator.Func == "" && len(s.Frames) <= 1 && (len(s.Frames) == 0 || s.Frames[0].Func == "runtime.goexit"):
		// A thread that entered Go from C (cgo callback), parked in a
		// syscall: it belongs to the C side.
		return "cgo thread"
	case hasFrame(s, "os/signal.signal_recv"), hasFrame(s, "os/signal.loop"), s.Entry.Func == "runtime.ensureSigM":
		// signal.Notify starts one loop for the life of the process.
		return "os/signal"
	case hasFrame(s, "testing.RunTests"), hasFrame(s, "testing.(*T).Run"), hasFrame(s, "testing.(*T).Parallel"),
		hasFrame(s, "testing.(*F).Fuzz"), hasFrame(s, "testing.runFuzzing"), hasFrame(s, "testing.(*M).Run"),
		strings.HasPrefix(s.Creator.Func, "testing.(*M).startAlarm"):
		// The test runner waiting for tests, parallel tests waiting for
		// their turn, and the -timeout alarm.
		return "testing"
	case hasFrame(s, "runtime/trace.Start.func1"), hasFrame(s, "runtime.ReadTrace"):
		// The execution tracer's reader, alive while tracing.
		return "runtime/trace"
	case s.Entry.Func == "net/http.(*conn).serve" && allStd(s) &&
		(hasFrame(s, "net/http.(*conn).readRequest") || hasFrame(s, "bufio.(*Reader).Peek")):
		// An HTTP server connection kept alive between requests: the
		// client decides when it ends. (A handler that blocks has frames
		// of its own and is never benign.)
		return "http keep-alive"
	case s.Entry.Func == "net/http.(*connReader).backgroundRead":
		// The server's read-ahead on a connection whose handler runs.
		return "http keep-alive"
	}
	return ""
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

// allStd reports whether every frame is the runtime's or the standard
// library's.
func allStd(s *parse.Stack) bool {
	for _, f := range s.Frames {
		if !parse.IsStd(f.Func) {
			return false
		}
	}
	return true
}

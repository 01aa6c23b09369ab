package diff

import (
	"testing"

	"github.com/leakscan/leakscan/internal/parse"
)

func stack(creator string, funcs ...string) *parse.Stack {
	s := &parse.Stack{Creator: parse.Frame{Func: creator}}
	for _, f := range funcs {
		s.Frames = append(s.Frames, parse.Frame{Func: f})
	}
	if len(s.Frames) > 0 {
		s.Entry = s.Frames[len(s.Frames)-1]
	}
	return s
}

func TestBenign(t *testing.T) {
	tests := []struct {
		name  string
		stack *parse.Stack
		want  string
	}{
		{"dump writer", stack("net/http.(*Server).Serve", "runtime/pprof.writeGoroutineStacks", "net/http.(*conn).serve"), "writes the dump"},
		{"debug=1 writer", stack("", "runtime/pprof.writeRuntimeProfile", "runtime/pprof.writeGoroutine", "runtime/pprof.(*Profile).WriteTo", "main.main"), "writes the dump"},
		{"runtime.Stack caller", stack("main.main", "runtime.Stack", "main.dumpAll"), "writes the dump"},
		{"gc worker", stack("runtime.gcBgMarkStartWorkers", "runtime.gopark", "runtime.gcBgMarkWorker"), "runtime"},
		{"cgo thread", stack("", "runtime.goexit"), "cgo thread"},
		{"signal loop", stack("os/signal.Notify.func1.1", "os/signal.signal_recv", "os/signal.loop"), "os/signal"},
		{"ensureSigM", stack("os/signal.Notify.func1", "runtime.ensureSigM"), "os/signal"},
		{"test runner", stack("", "testing.(*T).Run", "testing.runTests", "testing.(*M).Run", "main.main"), "testing"},
		{"parallel test", stack("testing.(*T).Run", "testing.(*T).Parallel", "testing.tRunner"), "testing"},
		{"test alarm", stack("time.goFunc", "testing.(*M).startAlarm.func1"), ""},
		{"alarm via creator", stack("testing.(*M).startAlarm", "time.Sleep"), "testing"},
		{"tracer", stack("runtime/trace.Start", "runtime.ReadTrace", "runtime/trace.Start.func1"), "runtime/trace"},
		{"keep-alive", stack("net/http.(*Server).Serve", "internal/poll.(*FD).Read", "net/http.(*connReader).Read", "bufio.(*Reader).Peek", "net/http.(*conn).serve"), "http keep-alive"},
		{"background read", stack("net/http.(*connReader).startBackgroundRead", "net/http.(*connReader).backgroundRead"), "http keep-alive"},
		{"blocked handler", stack("net/http.(*Server).Serve", "main.handler", "net/http.HandlerFunc.ServeHTTP", "net/http.(*conn).serve"), ""},
		{"client conn", stack("net/http.(*Transport).dialConn", "net/http.(*persistConn).readLoop"), ""},
		{"user code", stack("main.main", "main.worker"), ""},
		{"runtime-created user code", stack("runtime.main", "main.init.0.func1"), ""},
	}
	for _, tt := range tests {
		if got := Benign(tt.stack); got != tt.want {
			t.Errorf("%s: Benign = %q, want %q", tt.name, got, tt.want)
		}
	}
}

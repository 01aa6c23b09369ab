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

// cgoThread is the stack of a C thread that called into Go: goexit only,
// in a syscall, locked to its thread, created by no one.
func cgoThread() *parse.Stack {
	s := stack("", "runtime.goexit")
	s.Count, s.Locked = 1, 1
	s.States = []parse.StateCount{{State: "syscall", Count: 1}}
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
		{"cgo thread", cgoThread(), "cgo thread"},
		{"not started", stack("net/http.(*Server).Serve", "runtime.goexit"), "not started"},
		{"not started, counted", stack("", "runtime.goexit"), "not started"},
		{"signal loop", stack("os/signal.Notify.func1.1", "os/signal.signal_recv", "os/signal.loop"), "os/signal"},
		{"ensureSigM", stack("os/signal.Notify.func1", "runtime.ensureSigM"), "os/signal"},
		{"test runner", stack("", "testing.(*T).Run", "testing.runTests", "testing.(*M).Run", "main.main"), "testing"},
		{"parallel test", stack("testing.(*T).Run", "testing.(*T).Parallel", "testing.tRunner"), "testing"},
		{"test alarm", stack("time.goFunc", "testing.(*M).startAlarm.func1"), "testing"},
		{"tracer", stack("runtime/trace.Start", "runtime.ReadTrace", "runtime/trace.Start.func1"), "runtime/trace"},
		{"keep-alive", stack("net/http.(*Server).Serve", "internal/poll.(*FD).Read", "net/http.(*connReader).Read", "bufio.(*Reader).Peek", "net/http.(*conn).serve"), "http keep-alive"},
		{"keep-alive before Go 1.20", stack("net/http.(*Server).Serve", "internal/poll.(*FD).Read", "bufio.(*Reader).ReadLine",
			"net/textproto.(*Reader).ReadLine", "net/http.readRequest", "net/http.(*conn).readRequest", "net/http.(*conn).serve"), "http keep-alive"},
		{"half the headers", stack("net/http.(*Server).Serve", "internal/poll.(*FD).Read", "bufio.(*Reader).ReadLine",
			"net/textproto.(*Reader).ReadMIMEHeader", "net/http.readRequest", "net/http.(*conn).readRequest", "net/http.(*conn).serve"), ""},
		{"keep-alive through cmux", stack("net/http.(*Server).Serve", "internal/poll.(*FD).Read", "github.com/soheilhy/cmux.(*MuxConn).Read",
			"net/http.(*connReader).Read", "bufio.(*Reader).Peek", "net/http.(*conn).serve"), "http keep-alive"},
		{"finishing a response", stack("net/http.(*Server).Serve", "syscall.write", "bufio.(*Writer).Flush", "net/http.(*response).finishRequest", "net/http.(*conn).serve"), "http connection closing"},
		{"closing", stack("net/http.(*Server).Serve", "syscall.Close", "net.(*conn).Close", "net/http.(*conn).close", "net/http.(*conn).serve.func1", "net/http.(*conn).serve"), "http connection closing"},
		{"handler closing its own", stack("net/http.(*Server).Serve", "net/http.(*conn).close", "main.handler", "net/http.serverHandler.ServeHTTP", "net/http.(*conn).serve"), ""},
		{"background read", stack("net/http.(*connReader).startBackgroundRead", "net/http.(*connReader).backgroundRead"), "http read-ahead"},
		{"background read not started", stack("net/http.(*connReader).startBackgroundRead", "net/http.(*connReader).startBackgroundRead.gowrap2"), "http read-ahead"},
		{"client idle reader", stack("net/http.(*Transport).dialConn", "internal/poll.(*FD).Read", "bufio.(*Reader).Peek", "net/http.(*persistConn).readLoop"), "http client idle"},
		{"client reader waiting for its body", stack("net/http.(*Transport).dialConn", "runtime.selectgo", "net/http.(*persistConn).readLoop"), ""},
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

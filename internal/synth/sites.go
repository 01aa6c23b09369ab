package synth

import (
	"strconv"
	"strings"
)

// This file builds the creation sites of a dump: for each site the
// "created by" lines and a few stack shapes, pre-rendered into byte slices
// so that writing a goroutine only formats its header and argument values.

const (
	goroot = "/usr/local/go/src/"
	modDir = "/go/pkg/mod/"
)

// Argument tokens. The runtime prints one hex word per scalar argument and
// {...} around aggregates, with "?" after values that may be stale and "..."
// when there are too many (Go 1.17+).
const (
	aPtr   = 'p' // heap pointer: 0xc000123450
	aStale = 'P' // heap pointer that may be dead: 0xc000123450?
	aInt   = 'i' // small integer: 0x5
	aZero  = 'z' // stale zero: 0x0?
	aMmap  = 'm' // non-heap pointer: 0x7f3a5c1e3e08
	aStr   = 's' // string: {0x6f087c, 0x5}
	aSlice = 'l' // slice: {0xc000456000, 0x1000, 0x1000}
	aIface = 'f' // interface: {0x9a8b40, 0xc000123450}
	aEmpty = 'e' // empty aggregate: {}
	aMore  = 'd' // too many words: ...
	aLit   = '#' // a fixed word, "#72" prints 0x72
)

type argTok struct {
	kind byte
	lit  string // for aLit: "0x72"
}

// frame is a pre-rendered frame: head and tail are fixed, the argument
// values between them are drawn per goroutine.
type frame struct {
	head []byte   // "net.(*conn).Read(" or, inlined, "sync.(*Mutex).Lock(..."
	args []argTok // empty for "()" and inlined frames
	tail []byte   // ")\n\t/usr/local/go/src/net/net.go:194 +0x45\n"
}

// fspec describes a frame; off 0 means inlined: "(...)" and no "+0x".
type fspec struct {
	fn, args, file string
	line, off      int
}

func (s fspec) frame() frame {
	var f frame
	if s.off == 0 {
		f.head = []byte(s.fn + "(...")
	} else {
		f.head = []byte(s.fn + "(")
		f.args = parseArgs(s.args)
	}
	t := ")\n\t" + s.file + ":" + strconv.Itoa(s.line)
	if s.off != 0 {
		t += " +0x" + strconv.FormatInt(int64(s.off), 16)
	}
	f.tail = []byte(t + "\n")
	return f
}

// parseArgs turns "p,s,#72" into tokens.
func parseArgs(spec string) []argTok {
	if spec == "" {
		return nil
	}
	var toks []argTok
	for t := range strings.SplitSeq(spec, ",") {
		if t[0] == aLit {
			toks = append(toks, argTok{kind: aLit, lit: "0x" + t[1:]})
		} else {
			toks = append(toks, argTok{kind: t[0]})
		}
	}
	return toks
}

// stack is one stack shape of a site.
type stack struct {
	frames []frame // leaf first; may be longer than the runtime prints
	state  string  // wait reason printed in the header
	weight int
}

// Parent modes: where "in goroutine N" points.
const (
	parentFixed  = iota // one long-lived creator (often goroutine 1)
	parentRandom        // any earlier goroutine (per-request creators)
	parentNone          // no parent printed (timers: created by time.goFunc)
)

// site is one creation site (one go statement) and its stack shapes.
type site struct {
	key        Site
	created    []byte // "created by net/http.(*Server).Serve"; nil for none
	createdLoc []byte // "\n\t/usr/local/go/src/net/http/server.go:3454 +0x485\n"
	parentMode int
	parentID   uint64
	stacks     []stack
	totalW     int
	leaky      bool // blocked since creation: wait minutes grow with age
	locked     bool // runtime.LockOSThread: ", locked to thread"
}

func (s *site) setCreator(fn, file string, line, off int) {
	s.key = Site{Func: fn, File: file, Line: line}
	s.created = []byte("created by " + fn)
	s.createdLoc = []byte("\n\t" + file + ":" + strconv.Itoa(line) + " +0x" + strconv.FormatInt(int64(off), 16) + "\n")
}

// frames renders frames once: sites share library frames, and recursive
// stacks repeat one frame.
type frames map[fspec]frame

func (s *site) addStack(fc frames, state string, weight int, specs []fspec) {
	st := stack{state: state, weight: weight, frames: make([]frame, 0, len(specs))}
	for _, sp := range specs {
		f, ok := fc[sp]
		if !ok {
			f = sp.frame()
			fc[sp] = f
		}
		st.frames = append(st.frames, f)
	}
	s.stacks = append(s.stacks, st)
	s.totalW += weight
}

// Blocking kinds: what the goroutine waits on, its header state and the
// library frames above the user code.
type kind int

const (
	kChanRecv kind = iota
	kChanSend
	kSelect
	kSelectNoCases
	kNilRecv
	kNilSend
	kIORead
	kIOAccept
	kMutex
	kRLock
	kWaitGroup
	kCond
	kSleep
	nKinds
)

// kindPermille is how often user sites block in each way.
var kindPermille = [nKinds]int{
	kChanRecv: 220, kChanSend: 80, kSelect: 280, kSelectNoCases: 10,
	kNilRecv: 10, kNilSend: 10, kIORead: 110, kIOAccept: 15, kMutex: 80,
	kRLock: 25, kWaitGroup: 50, kCond: 30, kSleep: 80,
}

func pickKind(r *rng) kind {
	u := r.intn(1000)
	for k, p := range kindPermille {
		if u < p {
			return kind(k)
		}
		u -= p
	}
	return kChanRecv
}

// tail returns the header state and the library frames, leaf first, of a
// goroutine blocked in k. Go121 mode prints like Go 1.26 (sync.Mutex in
// internal/sync, sync.WaitGroup.Wait reason), the older mode like Go 1.20.
func tail(k kind, go121 bool) (string, []fspec) {
	pollWait := []fspec{
		{"internal/poll.runtime_pollWait", "m,#72", goroot + "runtime/netpoll.go", 351, 0x85},
		{"internal/poll.(*pollDesc).wait", "P,z,#0", goroot + "internal/poll/fd_poll_runtime.go", 84, 0x27},
		{"internal/poll.(*pollDesc).waitRead", "", goroot + "internal/poll/fd_poll_runtime.go", 89, 0},
	}
	switch k {
	case kChanRecv:
		return "chan receive", nil
	case kChanSend:
		return "chan send", nil
	case kSelect:
		return "select", nil
	case kSelectNoCases:
		return "select (no cases)", nil
	case kNilRecv:
		return "chan receive (nil chan)", nil
	case kNilSend:
		return "chan send (nil chan)", nil
	case kIORead:
		return "IO wait", append(pollWait,
			fspec{"internal/poll.(*FD).Read", "p,l", goroot + "internal/poll/fd_unix.go", 165, 0x27a},
			fspec{"net.(*netFD).Read", "p,l", goroot + "net/fd_posix.go", 68, 0x25},
			fspec{"net.(*conn).Read", "p,l", goroot + "net/net.go", 196, 0x45},
		)
	case kIOAccept:
		return "IO wait", append(pollWait,
			fspec{"internal/poll.(*FD).Accept", "p", goroot + "internal/poll/fd_unix.go", 620, 0x295},
			fspec{"net.(*netFD).accept", "p", goroot + "net/fd_unix.go", 172, 0x29},
			fspec{"net.(*TCPListener).accept", "p", goroot + "net/tcpsock_posix.go", 159, 0x1b},
			fspec{"net.(*TCPListener).Accept", "p", goroot + "net/tcpsock.go", 380, 0x30},
		)
	case kMutex:
		if go121 {
			return "sync.Mutex.Lock", []fspec{
				{"internal/sync.runtime_SemacquireMutex", "P,z,#1", goroot + "runtime/sema.go", 95, 0x25},
				{"internal/sync.(*Mutex).lockSlow", "p", goroot + "internal/sync/mutex.go", 149, 0x15d},
				{"internal/sync.(*Mutex).Lock", "", goroot + "internal/sync/mutex.go", 70, 0},
				{"sync.(*Mutex).Lock", "", goroot + "sync/mutex.go", 46, 0},
			}
		}
		return "sync.Mutex.Lock", []fspec{
			{"sync.runtime_SemacquireMutex", "P,z,#1", goroot + "runtime/sema.go", 77, 0x25},
			{"sync.(*Mutex).lockSlow", "p", goroot + "sync/mutex.go", 171, 0x165},
			{"sync.(*Mutex).Lock", "", goroot + "sync/mutex.go", 90, 0},
		}
	case kRLock:
		return "sync.RWMutex.RLock", []fspec{
			{"sync.runtime_SemacquireRWMutexR", "P,z,#0", goroot + "runtime/sema.go", 100, 0x25},
			{"sync.(*RWMutex).RLock", "", goroot + "sync/rwmutex.go", 74, 0},
		}
	case kWaitGroup:
		if go121 {
			return "sync.WaitGroup.Wait", []fspec{
				{"sync.runtime_SemacquireWaitGroup", "P,z", goroot + "runtime/sema.go", 114, 0x2e},
				{"sync.(*WaitGroup).Wait", "p", goroot + "sync/waitgroup.go", 206, 0x85},
			}
		}
		return "semacquire", []fspec{
			{"sync.runtime_Semacquire", "P", goroot + "runtime/sema.go", 62, 0x27},
			{"sync.(*WaitGroup).Wait", "z", goroot + "sync/waitgroup.go", 116, 0x4b},
		}
	case kCond:
		return "sync.Cond.Wait", []fspec{
			{"sync.runtime_notifyListWait", "p,i", goroot + "runtime/sema.go", 597, 0x159},
			{"sync.(*Cond).Wait", "p", goroot + "sync/cond.go", 71, 0x85},
		}
	case kSleep:
		if go121 {
			return "sleep", []fspec{{"time.Sleep", "#3b9aca00", goroot + "runtime/time.go", 338, 0x167}}
		}
		return "sleep", []fspec{{"time.Sleep", "#3b9aca00", goroot + "runtime/time.go", 195, 0x125}}
	}
	panic("synth: unknown kind")
}

// readers are library frames that often sit between a blocked read and
// the user code that called it.
var readers = [][]fspec{
	{
		{"bufio.(*Reader).fill", "p", goroot + "bufio/bufio.go", 113, 0x103},
		{"bufio.(*Reader).Peek", "p,i", goroot + "bufio/bufio.go", 152, 0x53},
	},
	{
		{"bufio.(*Reader).Read", "p,l", goroot + "bufio/bufio.go", 241, 0x197},
		{"io.ReadAtLeast", "f,l,i", goroot + "io/io.go", 335, 0x90},
		{"io.ReadFull", "", goroot + "io/io.go", 354, 0},
	},
}

// libFrames are third-party frames that user stacks pass through.
var libFrames = []fspec{
	{"github.com/sony/gobreaker.(*CircuitBreaker).Execute", "p,f", modDir + "github.com/sony/gobreaker@v0.5.0/gobreaker.go", 194, 0x6f},
	{"github.com/cenkalti/backoff/v4.doRetryNotify[...]", "f,f,f,f", modDir + "github.com/cenkalti/backoff/v4@v4.3.0/retry.go", 96, 0x1e3},
	{"gopkg.in/yaml%2ev3.(*decoder).unmarshal", "p,p,e", modDir + "gopkg.in/yaml.v3@v3.0.1/decode.go", 502, 0x1a5},
	{"google.golang.org/grpc.(*ClientConn).Invoke", "p,f,s,f,f,e,z,d", modDir + "google.golang.org/grpc@v1.64.0/call.go", 35, 0x14f},
	{"github.com/prometheus/client_golang/prometheus.(*Registry).Gather", "p", modDir + "github.com/prometheus/client_golang@v1.19.1/prometheus/registry.go", 457, 0x2cc},
	{"context.(*cancelCtx).Done", "", goroot + "context/context.go", 432, 0},
	{"encoding/json.(*Decoder).Decode", "p,f", goroot + "encoding/json/stream.go", 63, 0x7b},
}

// Name pools for user code.
var (
	orgs     = []string{"acme-corp", "globex", "initech", "umbrella-io", "hooli-labs", "vandelay", "wayne-ent", "stark-ind"}
	repos    = []string{"platform", "monorepo", "backend", "services", "edge"}
	dirTop   = []string{"services", "pkg", "internal", "cmd", "services", "services"}
	dirSvc   = []string{"ingest", "billing", "gateway", "search", "scheduler", "notifier", "auth", "ledger", "catalog", "router", "indexer"}
	dirLeaf  = []string{"pipeline", "transport", "storage", "kv", "cache", "worker", "rpc", "queue", "stream", "batch", "watcher", "replicator", "sink", "client.v2", "proto.v1", "fanout", "lease"}
	types    = []string{"Stage[...]", "Server", "conn", "Pool[...]", "Client", "Batcher[...]", "Reader", "Watcher", "Manager", "Dispatcher", "shard", "Subscriber", "replica", "session", "Queue[...]", "Sink", "Scheduler", "Cache[...]", "Limiter", "Tracker"}
	methods  = []string{"run", "loop", "serve", "handle", "Process", "readLoop", "writeLoop", "dispatch", "flush", "consume", "watch", "pump", "drain", "heartbeat", "retry", "acquire", "Next", "Recv", "Send", "Do", "apply", "commit", "sync", "refresh", "forward", "evict"}
	funcs    = []string{"Run", "Start", "Serve", "startWorkers", "fanOut[...]", "Consume[...]", "NewClient", "Open", "spawn", "pollUpstream", "merge[...]", "handleStream", "process", "worker", "listen", "replay", "Collect[...]"}
	files    = []string{"stage.go", "server.go", "conn.go", "pool.go", "client.go", "worker.go", "loop.go", "handler.go", "queue.go", "batch.go", "watch.go", "retry.go", "stream.go", "sink.go", "scheduler.go", "cache.go"}
	argKinds = []string{"p", "p", "p", "i", "s", "l", "f", "z", "P", "{}", "i", "f"}
)

// pkg is a package of the user's module.
type pkg struct {
	sym string // import path as in symbol names ("%2e" for dots in the last element)
	dir string // directory as in file names
}

// userFunc is a function of user code.
type userFunc struct {
	fn   string // full symbol name
	file string
}

// module is the user's main module and the namer of its functions.
type module struct {
	frames  frames
	pkgs    []pkg
	mainDir string // directory of package main, ends in "/"
}

func newModule(r *rng, npkgs int) *module {
	path := "github.com/" + r.pick(orgs) + "/" + r.pick(repos)
	roots := []string{"/build/", "/app/", "/home/runner/work/src/", "/go/src/" + path + "/"}
	root := r.pick(roots)
	m := &module{frames: frames{}, mainDir: root + "cmd/" + r.pick(dirSvc) + "d/"}
	for range npkgs {
		d := r.pick(dirTop) + "/" + r.pick(dirSvc)
		if r.permille(400) {
			d += "/internal"
		}
		leaf := r.pick(dirLeaf)
		m.pkgs = append(m.pkgs, pkg{
			sym: path + "/" + d + "/" + strings.ReplaceAll(leaf, ".", "%2e"),
			dir: root + d + "/" + leaf,
		})
	}
	return m
}

// fn returns a random function of package p.
func (m *module) fn(r *rng, p pkg) userFunc {
	var name string
	switch u := r.intn(100); {
	case u < 45:
		name = "(*" + r.pick(types) + ")." + r.pick(methods)
	case u < 55:
		name = r.pick(types) + "." + r.pick(methods)
	default:
		name = r.pick(funcs)
	}
	return userFunc{fn: p.sym + "." + name, file: p.dir + "/" + r.pick(files)}
}

func closure(r *rng, fn string) string {
	fn += ".func" + strconv.Itoa(r.between(1, 4))
	if r.permille(300) {
		fn += "." + strconv.Itoa(r.between(1, 3))
	}
	return fn
}

func randArgs(r *rng, receiver bool) string {
	var toks []string
	if receiver {
		toks = append(toks, "p")
	}
	for range r.intn(4) {
		toks = append(toks, r.pick(argKinds))
	}
	if len(toks) > 0 && r.permille(30) {
		toks = append(toks, "d")
	}
	s := strings.Join(toks, ",")
	return strings.ReplaceAll(s, "{}", "e")
}

// spec renders f as a frame at a random line; inlined frames have no
// offset and no arguments.
func (f userFunc) spec(r *rng, inlined bool) fspec {
	s := fspec{fn: f.fn, file: f.file, line: r.between(20, 1400), off: r.between(0x1a, 0x6ff)}
	if inlined {
		s.off = 0
	} else if strings.Contains(f.fn, ".func") && r.permille(600) {
		s.args = ""
	} else {
		s.args = randArgs(r, strings.Contains(f.fn, "(*"))
	}
	return s
}

// userSite builds a site of user code. depth draws a stack depth.
func (m *module) userSite(r *rng, go121 bool, depth func() int, deep bool, wrapper bool) site {
	var s site
	home := m.pkgs[r.intn(len(m.pkgs))]
	creator := m.fn(r, home)
	goLine := r.between(30, 1200)
	s.setCreator(creator.fn, creator.file, goLine, r.between(0x2a, 0x3ff))
	s.parentMode = parentRandom
	if r.permille(400) {
		s.parentMode = parentFixed
	}
	s.leaky = r.permille(400)
	s.locked = r.permille(15)

	// The bottom frames: the goroutine's entry function and, for wrapped
	// sites, the wrapper's closure.
	var entry fspec
	switch u := r.intn(100); {
	case u < 50: // go func() { ... }()
		entry = userFunc{fn: closure(r, creator.fn), file: creator.file}.spec(r, false)
		entry.line = goLine + r.between(1, 30)
	case u < 85 || !go121: // go s.loop()
		entry = m.fn(r, home).spec(r, false)
	default: // go s.loop(), inlined into the hidden gowrap wrapper (1.22+)
		entry = m.fn(r, home).spec(r, true)
	}
	bottom := []fspec{entry}
	if wrapper {
		switch u := r.intn(100); {
		case go121 && u < 50:
			bottom = append(bottom, fspec{"sync.(*WaitGroup).Go.func1", "", goroot + "sync/waitgroup.go", 239, 0x4c})
			s.setCreator("sync.(*WaitGroup).Go", goroot+"sync/waitgroup.go", 237, 0x7c)
		case u < 80:
			ef := modDir + "golang.org/x/sync@v0.7.0/errgroup/errgroup.go"
			bottom = append(bottom, fspec{"golang.org/x/sync/errgroup.(*Group).Go.func1", "", ef, 78, 0x56})
			s.setCreator("golang.org/x/sync/errgroup.(*Group).Go", ef, 75, 0x96)
		default:
			s.setCreator("time.goFunc", goroot+"time/sleep.go", 215, 0x2d)
			s.parentMode = parentNone
		}
	}

	nstacks := 1
	switch u := r.intn(100); {
	case u < 40:
	case u < 75:
		nstacks = 2
	case u < 95:
		nstacks = 3
	default:
		nstacks = 4
	}
	k0 := pickKind(r)
	var shared []fspec // the first stack's frames below the leaf-most user frame
	weight := 1000
	for i := range nstacks {
		k := k0
		if i > 0 && r.permille(300) {
			k = pickKind(r)
		}
		target := depth()
		state, top := tail(k, go121)
		if len(top)+len(bottom) > target {
			k = kChanRecv
			state, top = tail(k, go121)
		}
		if k == kIORead && r.permille(600) {
			top = append(top, readers[r.intn(len(readers))]...)
		}
		n := target - len(top) - len(bottom) // user frames in between
		if deep {
			n = r.between(110, 300)
		}
		var mid []fspec
		if i > 0 && len(shared) > 0 {
			// Share the bottom of the first stack, differ above it.
			keep := r.between(len(shared)/2, len(shared))
			mid = append(mid, shared[len(shared)-keep:]...)
			n -= keep
		}
		var fresh []fspec
		if deep {
			rec := m.fn(r, home).spec(r, false)
			for range n {
				fresh = append(fresh, rec)
			}
		} else {
			for range n {
				switch u := r.intn(100); {
				case u < 70:
					fresh = append(fresh, m.fn(r, home).spec(r, r.permille(120)))
				case u < 92:
					fresh = append(fresh, m.fn(r, m.pkgs[r.intn(len(m.pkgs))]).spec(r, r.permille(120)))
				default:
					fresh = append(fresh, libFrames[r.intn(len(libFrames))])
				}
			}
		}
		mid = append(fresh, mid...)
		if i == 0 {
			shared = mid
		}
		specs := append(append(append([]fspec{}, top...), mid...), bottom...)
		s.addStack(m.frames, state, weight, specs)
		weight = weight/4 + 1
	}
	return s
}

// Library goroutines, identical in every program that uses the library.

var ioRead = func(go121 bool) []fspec { _, t := tail(kIORead, go121); return t }

func cannedSites(fc frames, go121 bool) []site {
	var out []site
	add := func(state string, creator fspec, parent int, leaky bool, parts ...[]fspec) {
		var s site
		s.setCreator(creator.fn, creator.file, creator.line, creator.off)
		s.parentMode = parent
		s.leaky = leaky
		var all []fspec
		for _, p := range parts {
			all = append(all, p...)
		}
		s.addStack(fc, state, 1, all)
		out = append(out, s)
	}
	http := goroot + "net/http/"
	grpc := modDir + "google.golang.org/grpc@v1.64.0/internal/transport/"
	add("IO wait", fspec{fn: "net/http.(*Server).Serve", file: http + "server.go", line: 3454, off: 0x485}, parentFixed, false,
		ioRead(go121), []fspec{
			{"net/http.(*connReader).Read", "p,l", http + "server.go", 789, 0x14b},
			{"bufio.(*Reader).fill", "p", goroot + "bufio/bufio.go", 113, 0x103},
			{"bufio.(*Reader).Peek", "p,#4", goroot + "bufio/bufio.go", 152, 0x53},
			{"net/http.(*conn).serve", "p,f", http + "server.go", 2067, 0x77c},
		})
	add("IO wait", fspec{fn: "net/http.(*Transport).dialConn", file: http + "transport.go", line: 1944, off: 0x174f}, parentRandom, false,
		ioRead(go121), []fspec{
			{"net/http.(*persistConn).Read", "p,l", http + "transport.go", 2122, 0x47},
			{"bufio.(*Reader).fill", "p", goroot + "bufio/bufio.go", 113, 0x103},
			{"bufio.(*Reader).Peek", "p,#1", goroot + "bufio/bufio.go", 152, 0x53},
			{"net/http.(*persistConn).readLoop", "p", http + "transport.go", 2275, 0x172},
		})
	add("select", fspec{fn: "net/http.(*Transport).dialConn", file: http + "transport.go", line: 1945, off: 0x17a5}, parentRandom, false,
		[]fspec{{"net/http.(*persistConn).writeLoop", "p", http + "transport.go", 2519, 0xe7}})
	add("select", fspec{fn: "database/sql.OpenDB", file: goroot + "database/sql/sql.go", line: 833, off: 0x130}, parentFixed, true,
		[]fspec{{"database/sql.(*DB).connectionOpener", "p,f", goroot + "database/sql/sql.go", 1253, 0x87}})
	add("select", fspec{fn: "google.golang.org/grpc/internal/transport.NewHTTP2Client", file: grpc + "http2_client.go", line: 465, off: 0x2c0c}, parentRandom, true,
		[]fspec{
			{"google.golang.org/grpc/internal/transport.(*controlBuffer).get", "p,#1", grpc + "controlbuf.go", 418, 0x14d},
			{"google.golang.org/grpc/internal/transport.(*loopyWriter).run", "p", grpc + "controlbuf.go", 552, 0x7b},
			{"google.golang.org/grpc/internal/transport.NewHTTP2Client.func6", "", grpc + "http2_client.go", 467, 0x6c},
		})
	h2 := modDir + "golang.org/x/net@v0.26.0/http2/frame.go"
	add("IO wait", fspec{fn: "google.golang.org/grpc/internal/transport.NewHTTP2Client", file: grpc + "http2_client.go", line: 410, off: 0x1e9d}, parentRandom, true,
		ioRead(go121), readers[1], []fspec{
			{"golang.org/x/net/http2.readFrameHeader", "l,f", h2, 237, 0x65},
			{"golang.org/x/net/http2.(*Framer).ReadFrame", "p", h2, 501, 0x85},
			{"google.golang.org/grpc/internal/transport.(*http2Client).reader", "p,p", grpc + "http2_client.go", 1620, 0x22d},
		})
	add("select", fspec{fn: "google.golang.org/grpc/internal/transport.NewHTTP2Client", file: grpc + "http2_client.go", line: 400, off: 0x1e4a}, parentRandom, true,
		[]fspec{{"google.golang.org/grpc/internal/transport.(*http2Client).keepalive", "p", grpc + "http2_client.go", 1700, 0x1f6}})
	otel := modDir + "go.opentelemetry.io/otel/sdk@v1.28.0/trace/batch_span_processor.go"
	add("select", fspec{fn: "go.opentelemetry.io/otel/sdk/trace.NewBatchSpanProcessor", file: otel, line: 122, off: 0x2eb}, parentFixed, true,
		[]fspec{
			{"go.opentelemetry.io/otel/sdk/trace.(*batchSpanProcessor).processQueue", "p", otel, 290, 0x3c5},
			{"go.opentelemetry.io/otel/sdk/trace.NewBatchSpanProcessor.func1", "", otel, 127, 0x54},
		})
	nats := modDir + "github.com/nats-io/nats.go@v1.37.0/nats.go"
	add("IO wait", fspec{fn: "github.com/nats-io/nats%2ego.(*Conn).processConnectInit", file: nats, line: 2391, off: 0x1c5}, parentRandom, true,
		ioRead(go121), []fspec{{"github.com/nats-io/nats%2ego.(*Conn).readLoop", "p", nats, 3146, 0x2ba}})
	add("syscall", fspec{fn: "os/signal.Notify.func1.1", file: goroot + "os/signal/signal.go", line: 151, off: 0x1f}, parentFixed, true,
		[]fspec{
			{"os/signal.signal_recv", "", goroot + "runtime/sigqueue.go", 152, 0x29},
			{"os/signal.loop", "", goroot + "os/signal/signal_unix.go", 23, 0x13},
		})
	for i := range out {
		out[i].parentID = 1
	}
	return out
}

// cannedRanks are the site ranks (0 = most goroutines) that library
// goroutines take, in the order of cannedSites.
var cannedRanks = []int{2, 5, 6, 9, 12, 13, 14, 17, 21, 26}

// dumperSite is the goroutine that writes the dump: an HTTP handler of
// net/http/pprof, created like every connection by (*Server).Serve.
func dumperSite(fc frames) site {
	var s site
	http := goroot + "net/http/"
	pp := goroot + "runtime/pprof/pprof.go"
	s.setCreator("net/http.(*Server).Serve", http+"server.go", 3454, 0x485)
	s.addStack(fc, "running", 1, []fspec{
		{"runtime/pprof.writeGoroutineStacks", "f", pp, 764, 0x6a},
		{"runtime/pprof.writeGoroutine", "f,#2", pp, 753, 0x25},
		{"runtime/pprof.(*Profile).WriteTo", "p,f,#2", pp, 377, 0x14b},
		{"net/http/pprof.handler.ServeHTTP", "s,f,p", goroot + "net/http/pprof/pprof.go", 272, 0x4f5},
		{"net/http/pprof.Index", "f,p", goroot + "net/http/pprof/pprof.go", 389, 0xd8},
		{"net/http.HandlerFunc.ServeHTTP", "i,f,p", http + "server.go", 2294, 0x29},
		{"net/http.(*ServeMux).ServeHTTP", "p,f,p", http + "server.go", 2822, 0x1c4},
		{"net/http.serverHandler.ServeHTTP", "e,f,p", http + "server.go", 3301, 0x8e},
		{"net/http.(*conn).serve", "p,f", http + "server.go", 2102, 0x625},
	})
	s.parentMode = parentFixed
	s.parentID = 1
	return s
}

// mainSite is goroutine 1, serving HTTP from main.main. It has no
// "created by" line.
func mainSite(fc frames, go121 bool, root string) site {
	var s site
	http := goroot + "net/http/"
	_, accept := tail(kIOAccept, go121)
	s.addStack(fc, "IO wait", 1, append(accept,
		fspec{"net/http.(*Server).Serve", "p,f", http + "server.go", 3424, 0x30c},
		fspec{"net/http.(*Server).ListenAndServe", "p", http + "server.go", 3350, 0x71},
		fspec{"net/http.ListenAndServe", "", http + "server.go", 3659, 0},
		fspec{"main.run", "f", root + "main.go", 88, 0x3a5},
		fspec{"main.main", "", root + "main.go", 41, 0x6b},
	))
	s.leaky = true
	return s
}

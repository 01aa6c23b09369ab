// Command dumpgen produces real goroutine dumps for leakscan's test corpus.
//
// It starts goroutines at known creation sites (see plan.go and
// ../corpus/README.md), waits until they are blocked, and writes goroutine
// profiles, or crashes in a chosen way so that the runtime prints the
// goroutines to stderr. Next to each full dump it writes NAME.truth.json,
// the sites and counts it started (package internal/truth).
//
// Usage:
//
//	dumpgen -mode snapshot -out DIR          a.* then b.* (goroutine profile, debug 2, 1, 0)
//	dumpgen -mode one -name NAME -out DIR    NAME.debug2.txt of snapshot a (-wait D waits before it)
//	dumpgen -mode leak -out DIR              a.leak.* and b.leak.* (goroutineleak profile)
//	dumpgen -mode crash -kind K -name NAME   writes NAME.truth.json, then dies (K: panic,
//	                                         repanic, sigquit, deadlock, segv)
//	dumpgen -mode http -out DIR              http.debug2.txt, http.debug1.txt, http.debug0.pb.gz
//	                                         fetched from its own /debug/pprof, then SIGQUIT at
//	                                         GOTRACEBACK=system (stderr: http.sigquit.system.txt)
//	dumpgen -mode check DUMP TRUTH ...       compares dumps with their truth files
//
// It is built by ../gen-corpus.sh with every supported toolchain, so it
// uses the standard library only and keeps to Go 1.16; newer features live
// in files with build constraints.
package main

import (
	"flag"
	"fmt"
	"io/ioutil"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"time"

	"example.com/dumpgen/internal/httpsvc"
	"example.com/dumpgen/internal/truth"
	"example.com/dumpgen/internal/workers"
)

const (
	noteAll    = "every goroutine is printed: a site's goroutines_alive count is the number of goroutines the dump shows for it"
	noteCrash  = "truth written just before the crash; how many goroutines the output shows depends on the crash kind and GOTRACEBACK"
	noteLeak   = "goroutineleak debug=2 prints every goroutine; the leaked ones are marked (leaked)"
	noteHTTP   = "fetched over HTTP from the process's own /debug/pprof: the sites of this module are checked; net/http's own goroutines (connections, the request that fetched the dump) come on top"
	noteSticky = "goroutine profile taken after the goroutineleak profile: goroutines found leaked stay marked (leaked)"
)

func main() {
	mode := flag.String("mode", "snapshot", "snapshot, one, leak or crash")
	out := flag.String("out", ".", "output directory")
	name := flag.String("name", "", "output name for -mode one and crash")
	kind := flag.String("kind", "", "crash kind for -mode crash")
	wait := flag.Duration("wait", 0, "-mode one: time to wait (with GCs) before the dump")
	variant := flag.String("variant", "", "build and run settings, recorded in truth files")
	flag.Parse()

	g := &generator{dir: *out, variant: *variant}
	switch *mode {
	case "snapshot":
		p := startA(false)
		g.profile("a", "goroutine", noteAll)
		startB(p)
		g.profile("b", "goroutine", noteAll)
	case "one":
		startA(false)
		if *wait > 0 {
			time.Sleep(*wait)
			runtime.GC()
		}
		g.debug2(*name+".debug2.txt", "goroutine", noteAll)
	case "leak":
		if pprof.Lookup("goroutineleak") == nil {
			fmt.Fprintln(os.Stderr, "dumpgen: this binary has no goroutineleak profile")
			os.Exit(3)
		}
		p := startA(false)
		g.profile("a.leak", "goroutineleak", noteLeak)
		g.debug2("a.afterleak.debug2.txt", "goroutine", noteSticky)
		startB(p)
		g.profile("b.leak", "goroutineleak", noteLeak)
	case "crash":
		crash(g, *kind, *name)
	case "http":
		serveAndDump(g)
	case "check":
		// dumpgen -mode check DUMP TRUTH...: used by gen-corpus.sh.
		args := flag.Args()
		failed := false
		for i := 0; i+1 < len(args); i += 2 {
			bad, err := check(args[i], args[i+1])
			if err != nil {
				fatalf("check: %v", err)
			}
			for _, m := range bad {
				fmt.Println(m)
				failed = true
			}
		}
		if failed {
			os.Exit(1)
		}
	default:
		fatalf("unknown -mode %q", *mode)
	}
}

type generator struct {
	dir     string
	variant string
}

// profile writes PREFIX.debug2.txt with its truth, PREFIX.debug1.txt and
// PREFIX.debug0.pb.gz.
func (g *generator) profile(prefix, profile, note string) {
	g.debug2(prefix+".debug2.txt", profile, note)
	g.write(prefix+".debug1.txt", profile, 1)
	g.write(prefix+".debug0.pb.gz", profile, 0)
}

func (g *generator) debug2(file, profile, note string) {
	g.write(file, profile, 2)
	g.truth(file, note)
}

func (g *generator) truth(dump, note string) {
	base := dump
	if ext := filepath.Ext(base); ext == ".txt" {
		base = base[:len(base)-len(ext)]
	}
	if err := truth.Write(filepath.Join(g.dir, base+".truth.json"), dump, g.variant, note); err != nil {
		fatalf("write truth: %v", err)
	}
}

func (g *generator) write(file, profile string, debug int) {
	pr := pprof.Lookup(profile)
	if pr == nil {
		fatalf("no %q profile in this binary", profile)
	}
	f, err := os.Create(filepath.Join(g.dir, file))
	if err != nil {
		fatalf("%v", err)
	}
	if err := pr.WriteTo(f, debug); err != nil {
		fatalf("write %s: %v", file, err)
	}
	if err := f.Close(); err != nil {
		fatalf("%v", err)
	}
}

// crash starts snapshot a, writes NAME.truth.json (NAME being the name of
// the stderr capture, crash.KIND.GOTRACEBACK.txt without .txt) and dies.
func crash(g *generator, kind, name string) {
	if name == "" {
		fatalf("-mode crash needs -name")
	}
	startA(kind == "deadlock")
	start := make(chan struct{})
	if kind == "segv" {
		workers.Segfault(start)
		truth.Settle()
	}
	g.truth(name+".txt", noteCrash)
	switch kind {
	case "panic":
		panic("dumpgen: deliberate panic")
	case "repanic":
		repanic()
	case "sigquit":
		sigquitSelf()
	case "deadlock":
		<-make(chan struct{})
	case "segv":
		close(start)
	default:
		fatalf("unknown crash kind %q", kind)
	}
	time.Sleep(time.Minute)
	fatalf("crash %q did not end the process", kind)
}

// serveAndDump runs the HTTP service of package httpsvc, fetches its
// goroutine profile in every format from its own /debug/pprof, as a user
// would, and then dies of SIGQUIT at GOTRACEBACK=system: the same process
// in debug=2 text and in crash output, with the same goroutine ids.
func serveAndDump(g *generator) {
	svc, err := httpsvc.Start(httpsvc.Plan{KeepAlive: 4, HalfHeaders: 3, Blocked: 2, Pooled: 2, Unclosed: 3, Spawned: 2})
	if err != nil {
		fatalf("http: %v", err)
	}
	// Its own client, so that the fetches add to no pool the plan made.
	client := &http.Client{Transport: &http.Transport{}}
	for _, d := range []struct{ query, file string }{
		{"?debug=2", "http.debug2.txt"}, {"?debug=1", "http.debug1.txt"}, {"", "http.debug0.pb.gz"},
	} {
		resp, err := client.Get(svc.URL + "/debug/pprof/goroutine" + d.query)
		if err != nil {
			fatalf("http: %v", err)
		}
		body, err := ioutil.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			fatalf("http: %s: %v %s", d.file, err, resp.Status)
		}
		if err := ioutil.WriteFile(filepath.Join(g.dir, d.file), body, 0o644); err != nil {
			fatalf("%v", err)
		}
		if d.query == "?debug=2" {
			g.truth(d.file, noteHTTP)
		}
	}
	debug.SetTraceback("system")
	g.truth("http.sigquit.system.txt", noteHTTP)
	sigquitSelf()
	time.Sleep(time.Minute)
	fatalf("SIGQUIT did not end the process")
}

// repanic recovers a panic with a two-line value and panics again with it.
func repanic() {
	defer func() {
		r := recover()
		panic(r)
	}()
	panic("dumpgen: deliberate panic\nsecond line of the panic value")
}

func fatalf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "dumpgen: "+format+"\n", args...)
	os.Exit(2)
}

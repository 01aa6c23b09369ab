// Command gen writes the demo's goroutine dumps: a small service with the
// classic leak (a file monitor that starts a goroutine per file every poll,
// and nobody reads their results), next to goroutines that are fine (a
// fixed worker pool, short-lived request goroutines, an HTTP server and its
// keep-alive connection). It takes a debug=2 dump after two polls and
// another after four: `make demo-dumps` rewrites testdata/demo.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"time"
)

// FileMonitor polls files; each poll reads them concurrently.
type FileMonitor struct {
	files   []string
	results chan string // nobody reads it since the refactor: the leak
}

func (m *FileMonitor) pollAllFiles() {
	for _, f := range m.files {
		go m.readFile(f)
	}
}

func (m *FileMonitor) readFile(name string) {
	m.results <- name // blocks forever
}

type pool struct{ jobs chan func() }

func startPool(n int) *pool {
	p := &pool{jobs: make(chan func())}
	for range n {
		go p.worker()
	}
	return p
}

func (p *pool) worker() {
	for job := range p.jobs {
		job()
	}
}

func serve() (addr string, stop func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})}
	go srv.Serve(ln)
	return ln.Addr().String(), func() { srv.Close() }
}

func dump(path string) {
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("goroutine").WriteTo(f, 2); err != nil {
		log.Fatal(err)
	}
}

func main() {
	out := flag.String("out", "testdata/demo", "directory for before.txt and after.txt")
	flag.Parse()

	addr, stop := serve()
	defer stop()
	// One request leaves an idle keep-alive connection behind: benign.
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		log.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	p := startPool(8)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { time.Sleep(time.Hour) }) // background refreshers
	}

	m := &FileMonitor{results: make(chan string)}
	for i := range 16 {
		m.files = append(m.files, fmt.Sprintf("/var/log/app/%02d.log", i))
	}
	poll := func() {
		m.pollAllFiles()
		// Requests come and go: each runs briefly on the pool.
		for range 4 {
			p.jobs <- func() { time.Sleep(time.Millisecond) }
		}
	}
	poll()
	poll()
	time.Sleep(100 * time.Millisecond)
	dump(filepath.Join(*out, "before.txt"))
	poll()
	poll()
	time.Sleep(100 * time.Millisecond)
	dump(filepath.Join(*out, "after.txt"))
}

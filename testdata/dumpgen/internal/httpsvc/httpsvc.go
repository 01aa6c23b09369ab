// Package httpsvc runs a small HTTP service inside dumpgen with the
// connection goroutines real services have, so that dumps show what
// net/http leaves behind: idle keep-alive connections, connections that
// sent half their headers, a handler that blocks, a client's idle pooled
// connections, responses whose bodies are never closed, and a spawning
// helper of the program's own (as nats-server's startGoRoutine).
package httpsvc

import (
	"bufio"
	"fmt"
	"io/ioutil"
	"net"
	"net/http"
	_ "net/http/pprof" // the dumps are fetched from the service itself
	"strings"
	"time"

	"example.com/dumpgen/internal/truth"
)

// Plan is how many connections of each kind Start opens.
type Plan struct {
	KeepAlive   int // idle keep-alive connections after one request each
	HalfHeaders int // connections that sent half their headers (slowloris)
	Blocked     int // requests whose handler blocks
	Pooled      int // a client's idle pooled connections
	Unclosed    int // responses whose bodies are never read or closed
	Spawned     int // goroutines of each of the four functions given to startGoRoutine
}

// Service is a running service; everything it holds stays reachable.
type Service struct {
	URL   string
	hold  chan struct{}
	conns []net.Conn
	resps []*http.Response
	ln    net.Listener
}

// Start serves on 127.0.0.1 and opens the connections of p. It returns
// once every connection is in place.
func Start(p Plan) (*Service, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Service{URL: "http://" + ln.Addr().String(), hold: make(chan struct{}), ln: ln}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	blocked := make(chan struct{}, p.Blocked)
	http.HandleFunc("/block", func(w http.ResponseWriter, r *http.Request) {
		blocked <- struct{}{}
		<-s.hold
	})
	go http.Serve(ln, nil)

	for i := 0; i < p.KeepAlive; i++ {
		c, err := s.dial()
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: dumpgen\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return nil, err
		}
		ioutil.ReadAll(resp.Body)
		resp.Body.Close()
	}
	for i := 0; i < p.HalfHeaders; i++ {
		c, err := s.dial()
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: dumpgen\r\nX-Slow: ")
	}
	for i := 0; i < p.Blocked; i++ {
		st := truth.Next("client waiting for a handler that blocks")
		go func() {
			st.Blocking()
			resp, err := http.Get(s.URL + "/block")
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
	for i := 0; i < p.Blocked; i++ {
		<-blocked
	}

	pool := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: p.Pooled + 1}}
	done := make(chan error, p.Pooled)
	for i := 0; i < p.Pooled; i++ {
		// Concurrent requests, so that each gets a connection of its own.
		go func() {
			resp, err := pool.Get(s.URL + "/")
			if err == nil {
				ioutil.ReadAll(resp.Body)
				resp.Body.Close()
			}
			done <- err
		}()
	}
	for i := 0; i < p.Pooled; i++ {
		if err := <-done; err != nil {
			return nil, err
		}
	}
	leaky := &http.Client{Transport: &http.Transport{}}
	for i := 0; i < p.Unclosed; i++ {
		resp, err := leaky.Get(s.URL + "/")
		if err != nil {
			return nil, err
		}
		s.resps = append(s.resps, resp)
	}

	for _, f := range []func(chan struct{}){pollQueue, flushMetrics, watchPeers, expireSessions} {
		for i := 0; i < p.Spawned; i++ {
			s.startGoRoutine(f)
		}
	}
	truth.Settle()
	return s, nil
}

func (s *Service) dial() (net.Conn, error) {
	c, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		return nil, err
	}
	s.conns = append(s.conns, c)
	return c, nil
}

// startGoRoutine is a spawning helper of the program's own: every
// goroutine the service starts through it is created at its one go
// statement, whatever function it runs.
func (s *Service) startGoRoutine(f func(chan struct{})) {
	st := truth.Next("runs a function given to startGoRoutine")
	go func() {
		defer recoverPanic()
		st.Blocking()
		f(s.hold)
	}()
}

func recoverPanic() {
	if r := recover(); r != nil {
		panic(r)
	}
}

func pollQueue(hold chan struct{}) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	select {
	case <-hold:
	case <-t.C:
	}
}

func flushMetrics(hold chan struct{}) { <-hold }

func watchPeers(hold chan struct{}) {
	for range hold {
	}
}

func expireSessions(hold chan struct{}) {
	select {
	case <-hold:
	case <-time.After(time.Hour):
	}
}

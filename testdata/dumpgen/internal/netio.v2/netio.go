// Package netio has an import path whose last element contains a dot, so
// the runtime prints its symbols with the dot escaped: netio%2ev2.
package netio

import (
	"net"

	"example.com/dumpgen/internal/truth"
)

// AcceptLoop listens on a loopback port and starts one goroutine blocked in
// Accept (IO wait). Nothing ever connects.
func AcceptLoop() net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	s := truth.Next("net.Listener.Accept on loopback (IO wait)")
	go acceptLoop(ln, s)
	return ln
}

func acceptLoop(ln net.Listener, s *truth.Site) {
	s.Blocking()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}

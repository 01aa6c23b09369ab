package workers

import (
	"syscall"

	"example.com/dumpgen/internal/truth"
)

// RawSyscall starts one goroutine blocked inside a read(2) system call on a
// blocking pipe (state "syscall", not "IO wait"). It returns the pipe's fds,
// which stay open.
func RawSyscall() [2]int {
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		panic(err)
	}
	s := truth.Next("read(2) on a blocking pipe (syscall)")
	go blockingRead(p[0], s)
	return p
}

func blockingRead(fd int, s *truth.Site) {
	buf := make([]byte, 1)
	s.Blocking()
	_, _ = syscall.Read(fd, buf)
}

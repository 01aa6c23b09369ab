package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// widenPipe raises the kernel buffer of stdin to 1 MiB when it is a pipe
// (kubectl logs | leakscan top -): the default 64 KiB makes the writer and
// leakscan take turns every 64 KiB, and a 240 MB dump then reads at half
// the speed of a file. Best effort: an unprivileged limit (pipe-max-size)
// or another platform leaves it as it is.
func widenPipe(f *os.File) {
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		return
	}
	unix.FcntlInt(f.Fd(), unix.F_SETPIPE_SZ, 1<<20)
}

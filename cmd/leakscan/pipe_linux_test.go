package main

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func TestWidenPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	before, _ := unix.FcntlInt(r.Fd(), unix.F_GETPIPE_SZ, 0)
	widenPipe(r)
	after, err := unix.FcntlInt(r.Fd(), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		t.Fatal(err)
	}
	if after < 1<<20 {
		t.Errorf("pipe buffer %d bytes after widenPipe (was %d), want 1 MiB", after, before)
	}
	// A regular file is left alone, without error or panic.
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	widenPipe(f)
}

package main

import (
	"os"
	"syscall"
)

func sigquitSelf() {
	_ = syscall.Kill(os.Getpid(), syscall.SIGQUIT)
}

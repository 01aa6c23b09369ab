//go:build !linux

package main

import "os"

// widenPipe is a no-op where pipe buffers cannot be resized.
func widenPipe(*os.File) {}

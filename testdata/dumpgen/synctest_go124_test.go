//go:build go1.24 && !go1.25 && goexperiment.synctest
// +build go1.24,!go1.25,goexperiment.synctest

package main

import (
	"testing"
	"testing/synctest"
)

func runBubble(t *testing.T, f func()) {
	synctest.Run(f)
}

func synctestWait() { synctest.Wait() }

//go:build go1.25
// +build go1.25

package main

import (
	"testing"
	"testing/synctest"
)

func runBubble(t *testing.T, f func()) {
	synctest.Test(t, func(*testing.T) { f() })
}

func synctestWait() { synctest.Wait() }

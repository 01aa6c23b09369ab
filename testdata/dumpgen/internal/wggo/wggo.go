//go:build go1.25
// +build go1.25

// Package wggo starts goroutines with sync.WaitGroup.Go (Go 1.25+).
package wggo

import (
	"sync"

	"example.com/dumpgen/internal/truth"
)

// Start starts n goroutines with wg.Go; the runtime reports them as created
// by sync.(*WaitGroup).Go.
func Start(n int, hold chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		s := truth.Next("chan receive in a wg.Go function").SetVia("sync.(*WaitGroup).Go")
		wg.Go(func() {
			s.Blocking()
			<-hold
		})
	}
	return &wg
}

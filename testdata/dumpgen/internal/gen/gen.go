//go:build go1.18
// +build go1.18

// Package gen starts goroutines from generic code (Go 1.18+).
package gen

import "example.com/dumpgen/internal/truth"

// Pool is a generic worker pool whose workers wait for jobs that never come.
type Pool[T any] struct {
	jobs chan T
}

// NewPool starts n workers.
func NewPool[T any](n int) *Pool[T] {
	p := &Pool[T]{jobs: make(chan T)}
	for i := 0; i < n; i++ {
		s := truth.Next("chan receive in a generic method")
		go p.worker(s)
	}
	return p
}

func (p *Pool[T]) worker(s *truth.Site) {
	s.Blocking()
	for j := range p.jobs {
		_ = j
	}
}

// Fanout starts one closure per map entry, each waiting on done.
func Fanout[K comparable, V any](m map[K]V, done chan struct{}) {
	for k, v := range m {
		s := truth.Next("chan receive in a closure of a generic function")
		go func(k K, v V) {
			s.Blocking()
			<-done
			_, _ = k, v
		}(k, v)
	}
}

// Consume drains ch.
func Consume[T any](ch <-chan T, s *truth.Site) {
	s.Blocking()
	for range ch {
	}
}

// StartConsumer starts one Consume[string] goroutine.
func StartConsumer(ch chan string) {
	s := truth.Next("chan receive in a generic function")
	go Consume[string](ch, s)
}

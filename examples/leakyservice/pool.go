package main

import (
	"context"
	"fmt"
	"sync"
)

// renderWorkers is the size of the render pool, all started at once.
const renderWorkers = 8

// renderPool formats quotes for the quote handler: a fixed set of
// workers, all started when the service starts, that live as long as it
// does and take jobs from one channel.
//
// DECOY, a pool started full: renderWorkers goroutines from the first
// dump to the last, always the same ids, idle in chan receive most of
// the time. Verdict it deserves: stable.
type renderPool struct {
	jobs chan renderJob
}

// renderJob is one quote to format; the worker answers on done
// (buffered, so a worker never waits for a handler that gave up).
type renderJob struct {
	tenant string
	price  int
	done   chan string
}

func startRenderPool(ctx context.Context, wg *sync.WaitGroup, n int) *renderPool {
	p := &renderPool{jobs: make(chan renderJob)}
	wg.Add(n)
	for range n {
		go p.worker(ctx, wg)
	}
	return p
}

func (p *renderPool) worker(ctx context.Context, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-p.jobs:
			j.done <- fmt.Sprintf("%s: %d.%02d\n", j.tenant, j.price/100, j.price%100)
		}
	}
}

// render formats a quote on the pool, or gives up when ctx ends.
func (p *renderPool) render(ctx context.Context, tenant string, price int) (string, error) {
	j := renderJob{tenant: tenant, price: price, done: make(chan string, 1)}
	select {
	case p.jobs <- j:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	select {
	case s := <-j.done:
		return s, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

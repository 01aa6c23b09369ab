package exporter

import (
	"context"
	"errors"
)

// Why a probe could not start.
var (
	errQueueFull    = errors.New("too many probes waiting (--max-concurrent, --max-queue)")
	errQueueTimeout = errors.New("deadline reached while waiting for a free probe slot (--max-concurrent)")
)

// limiter bounds the probes that run at once, and those that wait for
// their turn. A waiting probe is only the HTTP server's goroutine for
// its request, blocked on a channel: nothing of the exporter's own runs
// for it until it has a slot, and it gives up at its deadline.
type limiter struct {
	slots chan struct{} // one token per running probe
	queue chan struct{} // one token per waiting probe
}

func newLimiter(running, waiting int) *limiter {
	return &limiter{slots: make(chan struct{}, running), queue: make(chan struct{}, waiting)}
}

// acquire waits for a slot until ctx ends, first come first served, and
// returns the function that frees it. It fails at once when the queue is
// full.
func (l *limiter) acquire(ctx context.Context) (release func(), err error) {
	release = func() { <-l.slots }
	select {
	case l.slots <- struct{}{}:
		return release, nil
	default:
	}
	select {
	case l.queue <- struct{}{}:
	default:
		return nil, errQueueFull
	}
	defer func() { <-l.queue }()
	select {
	case l.slots <- struct{}{}:
		return release, nil
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, errQueueTimeout
		}
		return nil, context.Cause(ctx)
	}
}

// running and waiting are the probes that hold a slot and that wait for
// one, for the exporter's own metrics.
func (l *limiter) running() int { return len(l.slots) }
func (l *limiter) waiting() int { return len(l.queue) }

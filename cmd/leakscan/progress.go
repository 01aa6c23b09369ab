package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// progressAfter is how long a fetch runs before its progress is drawn: a
// quick one stays silent.
const progressAfter = time.Second

// progressEvery is how often the line is redrawn.
const progressEvery = 250 * time.Millisecond

// fetchProgress draws on a terminal how a slow fetch goes, one line on
// stderr redrawn in place and cleared when the fetch ends:
//
//	leakscan: fetching http://localhost:6060/debug/pprof/goroutine?seconds=30: no answer yet after 4s
//	leakscan: fetching http://localhost:6060/debug/pprof/goroutine?debug=2: 212.4 MiB after 6s
type fetchProgress struct {
	w     io.Writer
	name  string
	start time.Time
	bytes atomic.Int64
	body  atomic.Bool // the answer has begun
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// startProgress starts drawing the progress of fetching name on w, after
// the fetch has taken longer than after; end stops it. The drawing ends
// with ctx too, so that an interrupted run leaves its last line alone.
func startProgress(ctx context.Context, w io.Writer, name string, after time.Duration) *fetchProgress {
	p := &fetchProgress{w: w, name: name, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	go p.run(ctx, after)
	return p
}

func (p *fetchProgress) run(ctx context.Context, after time.Duration) {
	defer close(p.done)
	wait := time.NewTimer(after)
	defer wait.Stop()
	select {
	case <-wait.C:
	case <-p.stop:
		return
	case <-ctx.Done():
		return
	}
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for {
		p.draw()
		select {
		case <-tick.C:
		case <-p.stop:
			fmt.Fprint(p.w, "\r\x1b[K")
			return
		case <-ctx.Done():
			fmt.Fprint(p.w, "\r\x1b[K")
			return
		}
	}
}

func (p *fetchProgress) draw() {
	took := time.Since(p.start).Round(time.Second)
	state := fmt.Sprintf("no answer yet after %s", took)
	if p.body.Load() {
		state = fmt.Sprintf("%s after %s", formatSize(p.bytes.Load()), took)
	}
	fmt.Fprintf(p.w, "\r\x1b[Kleakscan: fetching %s: %s", p.name, state)
}

// end stops the drawing, clears the line if one was drawn, and returns
// once nothing more is written. It may be called more than once.
func (p *fetchProgress) end() {
	p.once.Do(func() { close(p.stop) })
	<-p.done
}

// counting returns rc, counting what is read from it for the progress
// line; closing it ends the progress.
func (p *fetchProgress) counting(rc io.ReadCloser) io.ReadCloser {
	p.body.Store(true)
	return &countingBody{rc: rc, p: p}
}

type countingBody struct {
	rc io.ReadCloser
	p  *fetchProgress
}

func (b *countingBody) Read(buf []byte) (int, error) {
	n, err := b.rc.Read(buf)
	b.p.bytes.Add(int64(n))
	return n, err
}

func (b *countingBody) Close() error {
	b.p.end()
	return b.rc.Close()
}

// Package watch follows a live target: it takes goroutine profiles on a
// fixed schedule, folds each into a diff.Series as it arrives, and tells
// its caller about every sample, failure and restart.
//
// It is a package of its own because it owns time: the schedule, what
// counts as late, when to stop. It owns no I/O: the fetcher and the clock
// are values, so that a test runs a 30-second schedule in milliseconds,
// and a restart or a failed sample is a fake's return value. It starts no
// goroutine.
package watch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
)

// Fetcher takes one sample of the target. It must return once ctx is
// done.
type Fetcher interface {
	Fetch(ctx context.Context) (*parse.Snapshot, error)
}

// FetchFunc adapts a function to Fetcher.
type FetchFunc func(ctx context.Context) (*parse.Snapshot, error)

// Fetch calls f.
func (f FetchFunc) Fetch(ctx context.Context) (*parse.Snapshot, error) { return f(ctx) }

// Clock is the time of a watch.
type Clock interface {
	Now() time.Time
	// Sleep blocks until t, or until ctx is done, when it returns
	// ctx's error.
	Sleep(ctx context.Context, until time.Time) error
}

// Sampling says which profile a watch takes at each sample.
type Sampling string

const (
	// Full takes a full dump (debug=2) at every sample.
	Full Sampling = "full"
	// Light takes the counted profile (debug=1), which the target
	// collects with a short stop of its world, and a full dump only when
	// one is needed: at the first sample and the last, when the counted
	// profile has a stack no full dump has placed at a creation site yet,
	// and after a failed sample (the target may have restarted, which
	// only ids tell).
	Light Sampling = "light"
	// Auto is Light when the first sample has AutoThreshold goroutines or
	// more, Full otherwise.
	Auto Sampling = "auto"
)

// AutoThreshold is where Auto turns light. Measured on a 2-core machine
// against a process whose stacks are 5 to 14 frames deep
// (bench/cmd/stalltarget), a full dump stops it for 0.07 s in all at 2,000
// goroutines, 0.5 s at 10,000 and 6 s at 100,000, while a counted profile
// stays in the milliseconds: at the default interval of 10 s, a full dump
// of more than 2,000 goroutines stops the target for more than a hundredth
// of its time.
const AutoThreshold = 2000

// Options tune Run.
type Options struct {
	// Interval is the time between samples; samples are due at fixed
	// times from the start, so a slow sample does not shift the next.
	Interval time.Duration
	// Samples stops after that many samples (taken or failed); 0 means
	// no limit.
	Samples int
	// Duration stops the watch once that much time has passed since the
	// first sample; the sample due at exactly Duration is taken. 0 means
	// no limit.
	Duration time.Duration
	// Filter is the series' filter. A watch always analyses the process
	// since its last restart (SplitRestarts).
	Filter diff.Filter
	// Observe, if set, is called after every sample, in Run's goroutine.
	Observe func(Event)
	// Sampling is Full when empty. Light and Auto need Counted.
	Sampling Sampling
	// Counted takes the counted profile for light sampling.
	Counted Fetcher
	// Kept, if set, is called with every snapshot added to the series,
	// and Dropped with every snapshot fetched and not added (a counted
	// profile replaced by a full dump), so that a caller that saves what
	// it fetches keeps what the analysis used and nothing else. An error
	// from Kept fails the sample.
	Kept    func(*parse.Snapshot) error
	Dropped func(*parse.Snapshot)
}

// Event is one sample, taken or failed.
type Event struct {
	// N numbers the sample from 1; Planned is how many are planned, 0
	// when the watch runs until it is interrupted.
	N, Planned int
	// Due is when the sample was due.
	Due time.Time
	// Err is why the sample failed; nil when it was taken.
	Err error
	// Restart is set when the sample is the first of a new process.
	Restart bool
	// Skipped counts the samples that could not be taken on time because
	// the one before took longer than the interval.
	Skipped int
	// Result is the analysis so far (nil before the first sample).
	Result *diff.Result
	// Full is set when the sample is a full dump; Why says why it was
	// one in light sampling ("first sample", "new stacks", "last sample",
	// "after a failed sample").
	Full bool
	Why  string
	// Fallback is set, once, when light sampling turned full because the
	// target does not serve the counted profile.
	Fallback error
}

// Summary is what a watch gathered.
type Summary struct {
	// Result is the analysis of the samples since the target last
	// restarted; nil when no sample was taken.
	Result *diff.Result
	// Taken and Failed count the samples; Skipped those that a slow
	// sample before them made miss their time.
	Taken, Failed, Skipped int
	// Interrupted is set when ctx ended the watch before its end.
	Interrupted bool
	// LastErr is the error of the last failed sample.
	LastErr error
	// Sampling is how the samples were taken in the end (Auto decides
	// after the first); FullDumps counts the full ones.
	Sampling  Sampling
	FullDumps int
	// Fallback is why light sampling turned full, if it did.
	Fallback error
}

// ErrNoSample is returned (wrapped) when every sample failed.
var ErrNoSample = errors.New("no sample could be taken")

// Run takes samples until opts says to stop or ctx is done, and returns
// what it gathered. An error is returned only when no sample was taken
// at all; a cancelled ctx is an interruption, not an error.
func Run(ctx context.Context, f Fetcher, clk Clock, opts Options) (*Summary, error) {
	if opts.Interval <= 0 {
		return nil, fmt.Errorf("interval must be positive, got %s", opts.Interval)
	}
	filter := opts.Filter
	filter.SplitRestarts = true
	series := diff.NewSeries(filter)
	sum := &Summary{}
	s := &sampler{f: f}
	planned := opts.Samples
	if opts.Duration > 0 {
		n := int(opts.Duration/opts.Interval) + 1
		if planned == 0 || n < planned {
			planned = n
		}
	}
	mode := opts.Sampling
	if mode == "" || opts.Counted == nil {
		mode = Full
	}
	needFull := true // the first sample is full
	start := clk.Now()
	for slot, n := 0, 0; ; slot++ {
		due := start.Add(time.Duration(slot) * opts.Interval)
		if opts.Duration > 0 && due.Sub(start) > opts.Duration || opts.Samples > 0 && n >= opts.Samples {
			break
		}
		if err := clk.Sleep(ctx, due); err != nil {
			sum.Interrupted = true
			break
		}
		n++
		ev := Event{N: n, Planned: planned, Due: due}
		switch {
		case mode == Full:
		case n == 1:
			ev.Why = "first sample"
		case needFull:
			ev.Why = "after a failed sample"
		}
		if mode != Full && planned > 0 && n == planned {
			needFull, ev.Why = true, "last sample"
		}
		snap, err := s.take(ctx, opts, mode, needFull, series, &ev)
		if ctx.Err() != nil {
			// A sample cut short by the interruption is neither taken
			// nor failed.
			sum.Interrupted = true
			break
		}
		if ev.Fallback != nil {
			mode, sum.Fallback = Full, ev.Fallback
		}
		if err == nil {
			if snap.Time.IsZero() {
				snap.Time = due
			}
			err = series.Add(snap)
			switch {
			case err != nil && opts.Dropped != nil:
				opts.Dropped(snap)
			case err == nil && opts.Kept != nil:
				err = opts.Kept(snap)
			}
		}
		if err != nil {
			sum.Failed++
			sum.LastErr = err
			ev.Err = err
			needFull = true
		} else {
			sum.Taken++
			if ev.Full {
				sum.FullDumps++
			}
			needFull = false
			if mode == Auto {
				mode = Full
				if snap.Goroutines >= AutoThreshold {
					mode = Light
				}
			}
			ev.Result = series.Result()
			ev.Restart = ev.Result.Snapshots[len(ev.Result.Snapshots)-1].Restart
		}
		// Slots whose time passed while this sample was taken are
		// skipped, so that the next sample is on schedule.
		if late := clk.Now().Sub(due); late > opts.Interval {
			skip := int(late/opts.Interval) - 1
			if late%opts.Interval != 0 {
				skip++
			}
			slot += skip
			sum.Skipped += skip
			ev.Skipped = skip
		}
		if ev.Result == nil && sum.Taken > 0 {
			ev.Result = series.Result()
		}
		if opts.Observe != nil {
			opts.Observe(ev)
		}
	}
	sum.Sampling = mode
	if sum.Taken == 0 {
		if sum.Failed == 0 {
			return sum, nil
		}
		return sum, fmt.Errorf("%w: %d failed, the last: %w", ErrNoSample, sum.Failed, sum.LastErr)
	}
	sum.Result = series.Result()
	return sum, nil
}

// sampler takes one sample in the way the sampling mode wants.
type sampler struct {
	f Fetcher
}

// take fetches a full dump when the mode or needFull asks for one, else
// the counted profile, which it replaces with a full dump when the series
// cannot place one of its stacks, or with every later sample a full dump
// (ev.Fallback) when the target does not serve it.
func (s *sampler) take(ctx context.Context, opts Options, mode Sampling, needFull bool, series *diff.Series, ev *Event) (*parse.Snapshot, error) {
	if mode == Full || mode == Auto || needFull {
		ev.Full = true
		return s.f.Fetch(ctx)
	}
	snap, err := opts.Counted.Fetch(ctx)
	switch {
	case err == nil && snap.Format.HasIDs():
		// The endpoint answers debug=2 whatever is asked: it is a full
		// dump, and light sampling saves nothing.
		ev.Full, ev.Fallback = true, errors.New("the counted profile's URL answers with a full dump")
		return snap, nil
	case errors.Is(err, ErrNotServed):
		ev.Fallback = err
		ev.Full, ev.Why = true, "no counted profile"
		return s.f.Fetch(ctx)
	case err != nil:
		return nil, err
	}
	if series.Unmapped(snap) > 0 {
		if opts.Dropped != nil {
			opts.Dropped(snap)
		}
		ev.Full, ev.Why = true, "new stacks"
		return s.f.Fetch(ctx)
	}
	return snap, nil
}

// ErrNotServed is what a Counted fetcher's error wraps when the target
// has no counted profile (an HTTP 404 or 400): light sampling then falls
// back to full.
var ErrNotServed = errors.New("the target does not serve the counted profile")

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits until t or until ctx is done.
func (RealClock) Sleep(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

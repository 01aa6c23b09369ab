package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
)

type diffOptions struct {
	input    inputFlags
	output   outputFlags
	analysis analysisFlags
	interval time.Duration
	all      bool
}

func newDiffCmd(s *streams) *cobra.Command {
	opts := diffOptions{}
	c := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Show which creation sites grew between two dumps, and gate CI on it",
		Long: `Diff compares two goroutine dumps of one process, taken one after the other,
site by site: the count before and after, the change, how many of the
earlier goroutines are still alive (same goroutine ids; debug=2 and crash
output only), and the growth per minute when the time between the dumps
is known (protobuf profiles carry it, or give --interval).

Sites are ranked by growth. Goroutines that are expected in any healthy
program (the runtime's, os/signal's, testing's, idle HTTP keep-alive
connections, the goroutine writing the dump) are left out of statuses and
gates unless --include-benign is given.

With any --max-* limit set, leakscan exits 1 when a limit is crossed and
names each offending site on stderr; 0 when none is; 2 for bad input.`,
		Example: `  leakscan diff before.txt after.txt
  leakscan diff before.txt after.txt -o markdown
  leakscan diff before.pb.gz after.pb.gz --max-growth 0
  leakscan diff base.txt new.txt --max-growth 5 --max-total-growth 20 --ignore 'net/http\.' --ignore-file .leakscan-ignore`,
		Args: exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			return runDiff(c, s, &opts, args)
		},
	}
	opts.input.register(c)
	opts.output.register(c)
	opts.analysis.register(c, false)
	f := c.Flags()
	f.DurationVar(&opts.interval, "interval", 0, "time between the two dumps, for dumps that do not record it (two live samples of one target are taken this far apart)")
	f.BoolVar(&opts.all, "all", false, "show unchanged and benign sites in the table too")
	return c
}

func runDiff(c *cobra.Command, s *streams, opts *diffOptions, args []string) error {
	ro, err := opts.output.options(s)
	if err != nil {
		return err
	}
	ro.All = opts.all
	filter, err := opts.analysis.filter()
	if err != nil {
		return err
	}
	if _, _, err := opts.analysis.policy(); err != nil {
		return err
	}
	if opts.interval < 0 {
		return usagef("--interval must not be negative, got %s", opts.interval)
	}
	rd, err := opts.input.reader(s)
	if err != nil {
		return err
	}
	snaps := make([]*parse.Snapshot, len(args))
	var firstAt time.Time
	for i, arg := range args {
		if i > 0 && opts.interval > 0 && isLive(args[0]) && isLive(arg) {
			// Two live samples of one target: take them the interval
			// apart, as the user asked, rather than back to back.
			wait := time.Until(firstAt.Add(opts.interval))
			fmt.Fprintf(s.Err, "leakscan: waiting %s before the second sample (--interval)\n", wait.Round(time.Second))
			if err := sleep(c.Context(), wait); err != nil {
				return err
			}
		}
		snap, err := rd.snapshot(c.Context(), arg)
		if err != nil {
			return err
		}
		snaps[i] = snap
		if i == 0 {
			firstAt = time.Now()
		}
	}
	if note := applyInterval(snaps, opts.interval); note != "" {
		fmt.Fprintln(s.Err, "leakscan: "+note)
	}
	series := diff.NewSeries(filter)
	for _, snap := range snaps {
		if err := series.Add(snap); err != nil {
			if errors.Is(err, diff.ErrOutOfOrder) {
				return fmt.Errorf("%w: give the older dump first", err)
			}
			return err
		}
	}
	g, err := opts.analysis.check(s, series.Result())
	if err != nil {
		return err
	}
	return g.finish(s, &opts.output, ro)
}

// applyInterval gives the snapshots that record no time one, --interval
// apart from a snapshot that does (or from each other), and never changes
// a recorded time. It returns a note for the user when the interval was
// not used.
func applyInterval(snaps []*parse.Snapshot, interval time.Duration) string {
	if interval <= 0 {
		return ""
	}
	known := -1
	for i, snap := range snaps {
		if !snap.Time.IsZero() {
			known = i
			break
		}
	}
	if known < 0 {
		t0 := time.Unix(0, 0).UTC()
		for i, snap := range snaps {
			snap.Time = t0.Add(time.Duration(i) * interval)
		}
		return ""
	}
	missing := 0
	for i, snap := range snaps {
		if snap.Time.IsZero() {
			snap.Time = snaps[known].Time.Add(time.Duration(i-known) * interval)
			missing++
		}
	}
	if missing == 0 {
		span := snaps[len(snaps)-1].Time.Sub(snaps[0].Time)
		return fmt.Sprintf("--interval %s not used: the dumps record when they were taken (%s apart)", interval, span.Round(time.Millisecond))
	}
	return ""
}

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

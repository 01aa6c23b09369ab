package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
	"github.com/leakscan/leakscan/internal/report"
)

type diffOptions struct {
	input  inputFlags
	output outputFlags

	maxGrowth      int
	maxTotalGrowth int
	maxRate        float64
	ignore         []string
	ignoreFile     string
	includeBenign  bool
	spawner        []string
	interval       time.Duration
	all            bool
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
	f := c.Flags()
	f.IntVar(&opts.maxGrowth, "max-growth", -1, "exit 1 if any site grows by more than this many goroutines")
	f.IntVar(&opts.maxTotalGrowth, "max-total-growth", -1, "exit 1 if all sites together grow by more than this")
	f.Float64Var(&opts.maxRate, "max-rate", -1, "exit 1 if any site grows by more than this many goroutines per minute (needs times)")
	f.StringArrayVar(&opts.ignore, "ignore", nil, "drop goroutines whose creator or any frame's function matches this regexp (repeatable)")
	f.StringVar(&opts.ignoreFile, "ignore-file", "", "read --ignore regexps from a file, one per line, # comments")
	f.BoolVar(&opts.includeBenign, "include-benign", false, "count goroutines known to be benign like any other")
	f.DurationVar(&opts.interval, "interval", 0, "time between the two dumps, for dumps that do not record it (two live samples of one target are taken this far apart)")
	f.StringArrayVar(&opts.spawner, "spawner", nil, "a function of the program that starts goroutines for its callers (regexp, repeatable): key them by the function they run")
	f.BoolVar(&opts.all, "all", false, "show unchanged and benign sites in the table too")
	return c
}

func runDiff(c *cobra.Command, s *streams, opts *diffOptions, args []string) error {
	ro, err := opts.output.options(s)
	if err != nil {
		return err
	}
	ro.All = opts.all
	filter, err := opts.filter()
	if err != nil {
		return err
	}
	policy, gated, err := opts.policy()
	if err != nil {
		return err
	}
	if opts.interval < 0 {
		return fmt.Errorf("--interval must not be negative, got %s", opts.interval)
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
	res := series.Result()
	var breaches []diff.Breach
	if gated {
		breaches = res.Check(policy)
		if opts.maxRate >= 0 && !res.Timed {
			fmt.Fprintln(s.Err, "leakscan: --max-rate not checked: the dumps record no time (give --interval)")
		}
	}
	if err := report.Write(s.Out, res, breaches, ro); err != nil {
		return err
	}
	if len(breaches) > 0 {
		for _, b := range breaches {
			fmt.Fprintln(s.Err, "leakscan: "+report.BreachLine(b))
		}
		return &gateError{n: len(breaches)}
	}
	return nil
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

func (o *diffOptions) policy() (diff.Policy, bool, error) {
	p := diff.Policy{MaxGrowth: o.maxGrowth, MaxTotalGrowth: o.maxTotalGrowth, MaxRate: o.maxRate}
	for _, v := range []struct {
		name string
		set  bool
		bad  bool
	}{
		{"--max-growth", o.maxGrowth != -1, o.maxGrowth < -1},
		{"--max-total-growth", o.maxTotalGrowth != -1, o.maxTotalGrowth < -1},
		{"--max-rate", o.maxRate != -1, o.maxRate < 0 && o.maxRate != -1},
	} {
		if v.bad {
			return p, false, fmt.Errorf("%s must not be negative", v.name)
		}
	}
	gated := o.maxGrowth >= 0 || o.maxTotalGrowth >= 0 || o.maxRate >= 0
	return p, gated, nil
}

func (o *diffOptions) filter() (diff.Filter, error) {
	f := diff.Filter{IncludeBenign: o.includeBenign}
	var err error
	if f.Spawners, err = regexps("--spawner", o.spawner); err != nil {
		return f, err
	}
	exprs, err := ignorePatterns(o.ignore, o.ignoreFile)
	if err != nil {
		return f, err
	}
	for _, e := range exprs {
		re, err := regexp.Compile(e)
		if err != nil {
			return f, fmt.Errorf("--ignore %q: %w", e, err)
		}
		f.Ignore = append(f.Ignore, re)
	}
	return f, nil
}

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/report"
)

// analysisFlags are the flags of the commands that compare snapshots
// (diff, watch, trend): which goroutines count, how sites are keyed, and
// the gate.
type analysisFlags struct {
	maxGrowth      int
	maxTotalGrowth int
	maxRate        float64
	failOnLeak     bool
	ignore         []string
	ignoreFile     string
	includeBenign  bool
	spawner        []string
}

// register adds the flags to c; leakGate adds --fail-on-leak, which needs
// a series long enough for verdicts.
func (f *analysisFlags) register(c *cobra.Command, leakGate bool) {
	fs := c.Flags()
	fs.Var(newGateCount(&f.maxGrowth), "max-growth", "exit 1 if any site grows by more than `N` goroutines")
	fs.Var(newGateCount(&f.maxTotalGrowth), "max-total-growth", "exit 1 if the goroutines together (benign and ignored ones left out) grow by more than `N`")
	fs.Var(newGateRate(&f.maxRate), "max-rate", "exit 1 if any site grows by more than `R` goroutines per minute (needs times)")
	if leakGate {
		fs.BoolVar(&f.failOnLeak, "fail-on-leak", false, "exit 1 if any site's verdict is leak")
	}
	fs.StringArrayVar(&f.ignore, "ignore", nil, "drop goroutines whose creator or any frame's function matches this regexp (repeatable)")
	fs.StringVar(&f.ignoreFile, "ignore-file", "", "read --ignore regexps from a file, one per line, # comments")
	fs.BoolVar(&f.includeBenign, "include-benign", false, "count goroutines known to be benign like any other")
	fs.StringArrayVar(&f.spawner, "spawner", nil, "a function of the program that starts goroutines for its callers (regexp, repeatable): key them by the function they run")
}

// policy returns the gate, and whether any limit is set.
func (f *analysisFlags) policy() (diff.Policy, bool, error) {
	p := diff.Policy{MaxGrowth: f.maxGrowth, MaxTotalGrowth: f.maxTotalGrowth, MaxRate: f.maxRate, FailOnLeak: f.failOnLeak}
	for _, v := range []struct {
		name string
		bad  bool
	}{
		{"--max-growth", f.maxGrowth < -1},
		{"--max-total-growth", f.maxTotalGrowth < -1},
		{"--max-rate", f.maxRate < 0 && f.maxRate != -1},
	} {
		if v.bad {
			return p, false, fmt.Errorf("%s must not be negative", v.name)
		}
	}
	gated := f.maxGrowth >= 0 || f.maxTotalGrowth >= 0 || f.maxRate >= 0 || f.failOnLeak
	return p, gated, nil
}

func (f *analysisFlags) filter() (diff.Filter, error) {
	filter := diff.Filter{IncludeBenign: f.includeBenign}
	var err error
	if filter.Spawners, err = regexps("--spawner", f.spawner); err != nil {
		return filter, err
	}
	exprs, err := ignorePatterns(f.ignore, f.ignoreFile)
	if err != nil {
		return filter, err
	}
	if filter.Ignore, err = regexps("--ignore", exprs); err != nil {
		return filter, err
	}
	return filter, nil
}

// gated is an analysis ready to report: its breaches (nil without a
// gate).
type gated struct {
	res      *diff.Result
	breaches []diff.Breach
}

// check applies the gate to res, saying on stderr what it could not check.
func (f *analysisFlags) check(s *streams, res *diff.Result) (gated, error) {
	policy, on, err := f.policy()
	if err != nil || !on {
		return gated{res: res}, err
	}
	if f.maxRate >= 0 && !res.Timed {
		fmt.Fprintln(s.Err, "leakscan: --max-rate not checked: the dumps record no time (give --interval)")
	}
	return gated{res: res, breaches: res.Check(policy)}, nil
}

// finish writes the report (and the HTML report of --html), then one
// line per breach on stderr, and returns a gateError when a limit was
// crossed.
func (g gated) finish(s *streams, out *outputFlags, ro report.Options) error {
	if err := writeReport(s, g.res, g.breaches, ro); err != nil {
		return err
	}
	if err := out.writeHTML(g.res, g.breaches, ro); err != nil {
		return err
	}
	for _, b := range g.breaches {
		fmt.Fprintln(s.Err, "leakscan: "+report.BreachLine(g.res, b))
	}
	if len(g.breaches) > 0 {
		return &gateError{n: len(g.breaches)}
	}
	return nil
}

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/diff"
)

type trendOptions struct {
	input    inputFlags
	output   outputFlags
	analysis analysisFlags
	interval time.Duration
	all      bool
}

func newTrendCmd(s *streams) *cobra.Command {
	opts := trendOptions{}
	c := &cobra.Command{
		Use:   "trend SOURCE...",
		Short: "Analyse a series of saved dumps as watch does",
		Long: `Trend reads a series of saved goroutine dumps of one service, in any format
top reads, and gives the report leakscan watch gives: per creation site a
verdict (leak, growing, stable, churn, burst, shrinking), its growth and
steps, and whether the new goroutines stayed alive.

SOURCE is a file, a directory (every file in it) or a glob. The order and
times come from the names watch --save gives (goroutine-20251107T225905.123Z.txt),
else from the profiles themselves (protobuf records when it was taken),
else from --interval; without any, the dumps are taken in the order given
(sorted by name within a directory) and rates are per sample.

Exit status: 0, 1 when a gate (--max-*, --fail-on-leak) is crossed, 2 for
bad input.`,
		Example: `  leakscan trend dumps/
  leakscan trend 'dumps/*.pb.gz' --fail-on-leak
  leakscan trend before.txt mid.txt after.txt --interval 1m -o markdown`,
		Args: minArgs(1, "file, directory or glob"),
		RunE: func(c *cobra.Command, args []string) error {
			return runTrend(c, s, &opts, args)
		},
	}
	opts.input.register(c)
	opts.output.register(c)
	opts.analysis.register(c, true)
	c.Flags().DurationVar(&opts.interval, "interval", 0, "time between the dumps, for dumps that do not record it")
	c.Flags().BoolVar(&opts.all, "all", false, "show every site in the table, unchanged and benign ones too")
	return c
}

func runTrend(c *cobra.Command, s *streams, opts *trendOptions, args []string) error {
	ro, err := opts.output.options(s)
	if err != nil {
		return err
	}
	ro.Trend, ro.All = true, opts.all
	filter, err := opts.analysis.filter()
	if err != nil {
		return err
	}
	filter.SplitRestarts = true
	if _, _, err := opts.analysis.policy(); err != nil {
		return err
	}
	if opts.interval < 0 {
		return usagef("--interval must not be negative, got %s", opts.interval)
	}
	files, err := expandSources(args)
	if err != nil {
		return err
	}
	rd, err := opts.input.reader(s)
	if err != nil {
		return err
	}
	// Times first, from the names alone, so that the dumps can be read in
	// order one at a time: only one snapshot is ever in memory.
	named := make([]time.Time, len(files))
	allNamed := true
	for i, f := range files {
		named[i] = savedTime(f)
		allNamed = allNamed && !named[i].IsZero()
	}
	if allNamed {
		idx := make([]int, len(files))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int { return named[a].Compare(named[b]) })
		files, named = permute(files, idx), permute(named, idx)
	}
	series := diff.NewSeries(filter)
	var noTime []string
	for i, f := range files {
		snap, err := rd.snapshot(c.Context(), f)
		if err != nil {
			return err
		}
		switch {
		case !named[i].IsZero():
			snap.Time = named[i]
		case snap.Time.IsZero() && opts.interval > 0:
			snap.Time = time.Unix(0, 0).UTC().Add(time.Duration(i) * opts.interval)
		case snap.Time.IsZero():
			noTime = append(noTime, f)
		}
		if err := series.Add(snap); err != nil {
			if errors.Is(err, diff.ErrOutOfOrder) {
				return fmt.Errorf("%w: give the dumps in the order they were taken, or name them as watch --save does", err)
			}
			return err
		}
	}
	if len(noTime) > 0 {
		ro.Notes = append(ro.Notes, fmt.Sprintf("%s no time (%s): taken in the order given, rates are per sample (give --interval)",
			plural(len(noTime), "dump records", "dumps record"), noTime[0]))
	}
	g, err := opts.analysis.check(s, series.Result())
	if err != nil {
		return err
	}
	return g.finish(s, &opts.output, ro)
}

func permute[T any](xs []T, idx []int) []T {
	out := make([]T, len(xs))
	for i, j := range idx {
		out[i] = xs[j]
	}
	return out
}

// savedName matches the names watch --save gives samples.
var savedName = regexp.MustCompile(`^goroutine-(\d{8}T\d{6}\.\d{3}Z)(?:-\d+)?\.(?:txt|debug1\.txt|pb|pb\.gz)$`)

// savedTime returns the time in a name watch --save gave, or zero.
func savedTime(file string) time.Time {
	m := savedName.FindStringSubmatch(filepath.Base(file))
	if m == nil {
		return time.Time{}
	}
	t, err := time.Parse(savedLayout, m[1])
	if err != nil {
		return time.Time{}
	}
	return t
}

// expandSources turns trend's arguments into files: a directory gives its
// files (not hidden ones, such as a sample being saved), sorted by name;
// a pattern with glob characters, the files it matches.
func expandSources(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		if a == "-" {
			files = append(files, a)
			continue
		}
		st, err := os.Stat(a)
		switch {
		case err == nil && st.IsDir():
			entries, err := os.ReadDir(a)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", a, unwrapPath(err))
			}
			n := 0
			for _, e := range entries {
				if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
					files = append(files, filepath.Join(a, e.Name()))
					n++
				}
			}
			if n == 0 {
				return nil, fmt.Errorf("%s: a directory with no dump in it", a)
			}
		case err != nil && strings.ContainsAny(a, "*?["):
			matches, gerr := filepath.Glob(a)
			if gerr != nil {
				return nil, fmt.Errorf("%s: %w", a, gerr)
			}
			if len(matches) == 0 {
				return nil, fmt.Errorf("%s: no file matches", a)
			}
			files = append(files, matches...)
		default:
			files = append(files, a)
		}
	}
	return files, nil
}

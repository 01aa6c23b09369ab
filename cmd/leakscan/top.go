package main

import (
	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/report"
)

// outputFlags are the flags that shape a report.
type outputFlags struct {
	format string
	limit  int
	color  string
}

func (f *outputFlags) register(c *cobra.Command) {
	c.Flags().StringVarP(&f.format, "output", "o", "table", outputHelp())
	_ = c.RegisterFlagCompletionFunc("output", completeFormats)
	c.Flags().VarP(rowLimit{&f.limit}, "limit", "L", "show at most `N` sites in a table (0: all; --top is the same)")
	c.Flags().Var(rowLimit{&f.limit}, "top", "the same as --limit")
	_ = c.Flags().MarkHidden("top")
	f.color = "auto"
	c.Flags().Var(choice{&f.color, colorModes}, "color", "`when` to colour the table: auto, always or never; "+
		"auto colours a terminal unless NO_COLOR is set, and a pipe when CLICOLOR_FORCE is (as for less -R)")
	_ = c.RegisterFlagCompletionFunc("color", completeColors)
}

func (f *outputFlags) options(s *streams) (report.Options, error) {
	format, err := report.ParseFormat(f.format)
	if err != nil {
		return report.Options{}, usagef("--output: %q is not a format: want %s", f.format, formatNames())
	}
	return report.Options{
		Format: format,
		Limit:  f.limit,
		Color:  useColor(f.color, s),
		// Warnings are said on stderr (see writeReport); JSON and
		// Markdown are documents and keep them.
		OmitWarnings: format == report.Table,
	}, nil
}

type topOptions struct {
	input   inputFlags
	output  outputFlags
	spawner []string
}

func newTopCmd(s *streams) *cobra.Command {
	var opts topOptions
	c := &cobra.Command{
		Use:   "top DUMP",
		Short: "Show goroutines grouped by creation site, biggest first",
		Long: `Top reads one goroutine dump and shows one row per creation site (the go
statement that started the goroutines), biggest first: how many, the
function they run, where and in what state they wait, for how long, and
how many the runtime marked leaked.

DUMP is a file, - for stdin, or a live endpoint: host:port, or a URL
(a /debug/pprof/ base gets goroutine?debug=2 appended). Every format Go
writes is recognised by its content: debug=2 text, crash output, debug=1
text, protobuf (gzipped or not), the goroutineleak profile.`,
		Example: `  leakscan top goroutines.txt
  kubectl logs pod | leakscan top -
  leakscan top localhost:6060
  leakscan top http://10.0.0.5:8080/debug/pprof/ -H "Authorization: Bearer $TOKEN" -o json`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runTop(c, s, &opts, args[0])
		},
	}
	opts.input.register(c)
	opts.output.register(c)
	c.Flags().StringArrayVar(&opts.spawner, "spawner", nil, "a function of the program that starts goroutines for its callers (regexp, repeatable): key them by the function they run")
	return c
}

func runTop(c *cobra.Command, s *streams, opts *topOptions, arg string) error {
	spawners, err := regexps("--spawner", opts.spawner)
	if err != nil {
		return err
	}
	ro, err := opts.output.options(s)
	if err != nil {
		return err
	}
	rd, err := opts.input.reader(s)
	if err != nil {
		return err
	}
	snap, err := rd.snapshot(c.Context(), arg)
	if err != nil {
		return err
	}
	// An inventory shows everything: benign goroutines are marked, not
	// hidden, and nothing is ignored.
	series := diff.NewSeries(diff.Filter{Spawners: spawners})
	if err := series.Add(snap); err != nil {
		return err
	}
	return writeReport(s, series.Result(), nil, ro)
}

package main

import (
	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/diff"
)

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
	res := series.Result()
	if err := writeReport(s, res, nil, ro); err != nil {
		return err
	}
	return opts.output.writeHTML(res, nil, ro)
}

// Command synthdump writes a synthetic goroutine dump (debug=2 text, see
// internal/synth) to stdout, for shell pipelines and manual tests:
//
//	synthdump -n 1000000 | leakscan top -
//	synthdump -n 100000 -pair after.txt > before.txt   # two snapshots of one process
//
// The output depends only on the flags. Never commit generated dumps.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/leakscan/leakscan/internal/synth"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("synthdump", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c synth.Config
	fs.IntVar(&c.Goroutines, "n", 100_000, "goroutines")
	fs.IntVar(&c.Sites, "sites", 200, "creation sites")
	fs.Int64Var(&c.Seed, "seed", 1, "seed: the same flags give the same bytes")
	fs.IntVar(&c.MinFrames, "min-frames", 5, "minimum depth of user stacks")
	fs.IntVar(&c.MaxFrames, "max-frames", 40, "maximum depth of user stacks (a few sites recurse deeper than 100 anyway)")
	go120 := fs.Bool("go120", false, "print as Go 1.20 does instead of Go 1.21+")
	fs.Uint64Var(&c.FirstID, "first-id", 6, "id of the first goroutine after goroutine 1")
	pair := fs.String("pair", "", "also write a second snapshot, taken 5 minutes later (synth.DefaultChange), to this file")
	verbose := fs.Bool("v", false, "print the truth (goroutines, sites) to stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "synthdump: unexpected arguments %q\n", fs.Args())
		return 2
	}
	c.Go121 = !*go120
	truths, err := write(stdout, c, *pair)
	if err != nil {
		fmt.Fprintf(stderr, "synthdump: %v\n", err)
		return 1
	}
	if *verbose {
		for i, t := range truths {
			fmt.Fprintf(stderr, "snapshot %d: %d goroutines, %d creation sites\n", i+1, t.Goroutines, len(t.Sites))
		}
	}
	return 0
}

func write(stdout io.Writer, c synth.Config, pair string) ([]synth.Truth, error) {
	if pair == "" {
		t, err := synth.Write(stdout, c)
		return []synth.Truth{t}, err
	}
	f, err := os.Create(pair)
	if err != nil {
		return nil, err
	}
	ta, tb, err := synth.WritePair(stdout, f, c, synth.DefaultChange)
	return []synth.Truth{ta, tb}, errors.Join(err, f.Close())
}

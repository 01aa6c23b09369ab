// Package parsers runs each goroutine-dump parser that the benchmarks
// compare in the same way: parse a whole dump from a reader, then count the
// goroutines and the distinct creation sites found.
package parsers

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/DataDog/gostackparse"
	"github.com/maruel/panicparse/v2/stack"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
)

// Result is what a parser found.
type Result struct {
	Goroutines int `json:"goroutines"`
	// Sites is the number of distinct creation sites ("created by"
	// function without " in goroutine N", file and line), or -1 if the
	// parser does not report them.
	Sites int `json:"sites"`
}

// Parser is one contender.
type Parser struct {
	Name string
	Doc  string
	// Slow marks parsers whose memory grows with the dump (panicparse keeps
	// every goroutine with its arguments): at 1,000,000 goroutines they
	// exhaust memory.
	Slow bool
	Run  func(ctx context.Context, r io.Reader) (Result, error)
}

// All lists the parsers, the baselines first.
var All = []Parser{
	{Name: "linescan", Doc: "bufio.Scanner (64 KiB buffer) counting \"goroutine \" lines: the I/O floor", Run: lineScan},
	{Name: "sitescan", Doc: "linescan plus a map of \"created by\" sites", Run: siteScan},
	{Name: "gostackparse", Doc: "github.com/DataDog/gostackparse Parse", Run: goStackParse},
	{Name: "panicparse", Doc: "github.com/maruel/panicparse/v2 stack.ScanSnapshot, zero Opts (parse only)", Slow: true, Run: panicParse},
	{Name: "leakscan", Doc: "github.com/leakscan/leakscan/internal/parse Read", Run: leakscan},
}

// Lookup returns the parser called name.
func Lookup(name string) (Parser, error) {
	for _, p := range All {
		if p.Name == name {
			return p, nil
		}
	}
	return Parser{}, fmt.Errorf("unknown parser %q", name)
}

const scanBuffer = 64 << 10

var goroutinePrefix = []byte("goroutine ")

func lineScan(_ context.Context, r io.Reader) (Result, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, scanBuffer), scanBuffer)
	n := 0
	for sc.Scan() {
		if bytes.HasPrefix(sc.Bytes(), goroutinePrefix) {
			n++
		}
	}
	return Result{Goroutines: n, Sites: -1}, sc.Err()
}

var (
	createdBy   = []byte("created by ")
	inGoroutine = []byte(" in goroutine ")
	offset      = []byte(" +0x")
)

// siteScan keys sites by "func\nfile:line", built in a reused buffer.
func siteScan(_ context.Context, r io.Reader) (Result, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, scanBuffer), scanBuffer)
	n := 0
	sites := map[string]*int{}
	var key []byte
	inCreated := false
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case inCreated:
			inCreated = false
			loc := bytes.TrimLeft(line, " \t")
			if i := bytes.Index(loc, offset); i >= 0 {
				loc = loc[:i]
			}
			key = append(key, loc...)
			if c, ok := sites[string(key)]; ok {
				*c++
			} else {
				one := 1
				sites[string(key)] = &one
			}
		case bytes.HasPrefix(line, goroutinePrefix):
			n++
		case bytes.HasPrefix(line, createdBy):
			fn := line[len(createdBy):]
			if i := bytes.Index(fn, inGoroutine); i >= 0 {
				fn = fn[:i]
			}
			key = append(append(key[:0], fn...), '\n')
			inCreated = true
		}
	}
	return Result{Goroutines: n, Sites: len(sites)}, sc.Err()
}

type site struct {
	fn, file string
	line     int
}

func goStackParse(_ context.Context, r io.Reader) (Result, error) {
	gs, errs := gostackparse.Parse(r)
	sites := map[site]int{}
	for _, g := range gs {
		if c := g.CreatedBy; c != nil {
			sites[site{c.Func, c.File, c.Line}]++
		}
	}
	// Malformed goroutines are dropped and reported in errs; only an I/O
	// error (the last one) is fatal.
	if len(errs) > 0 && len(gs) == 0 {
		return Result{}, errs[len(errs)-1]
	}
	return Result{Goroutines: len(gs), Sites: len(sites)}, nil
}

func panicParse(_ context.Context, r io.Reader) (Result, error) {
	snap, _, err := stack.ScanSnapshot(r, io.Discard, &stack.Opts{})
	if err != nil && !errors.Is(err, io.EOF) {
		return Result{}, err
	}
	if snap == nil {
		return Result{Sites: 0}, nil
	}
	sites := map[site]int{}
	for _, g := range snap.Goroutines {
		if len(g.CreatedBy.Calls) > 0 {
			c := g.CreatedBy.Calls[0]
			fn, _, _ := strings.Cut(c.Func.Complete, " in goroutine ")
			sites[site{fn, c.RemoteSrcPath, c.Line}]++
		}
	}
	return Result{Goroutines: len(snap.Goroutines), Sites: len(sites)}, nil
}

func leakscan(ctx context.Context, r io.Reader) (Result, error) {
	// As with --max-bytes 1TiB: the 1,000,000-goroutine dump is 2.4 GB,
	// past the default limit of 512 MiB.
	snap, err := parse.Read(ctx, r, "bench", parse.Options{MaxBytes: 1 << 40})
	if err != nil {
		return Result{}, err
	}
	// Count sites as the other parsers do, by the "created by" frame, so
	// the column compares like with like (leakscan's own sites also split
	// spawning helpers such as wg.Go by the code they run).
	sites := map[site]bool{}
	for _, s := range snap.Stacks {
		if c := s.Creator; c.Func != "" {
			sites[site{c.Func, c.File, c.Line}] = true
		}
	}
	return Result{Goroutines: snap.Goroutines, Sites: len(sites)}, nil
}

// PairResult is what a pair runner found in a before/after pair.
type PairResult struct {
	// Goroutines is the number of goroutines of each dump.
	Goroutines [2]int `json:"goroutines"`
	// Sites is the number of sites of the diff whose Survived is known
	// (>= 0), or -1 if the runner does not diff.
	Sites int `json:"sites"`
	// Survived is the sum of Survived over those sites: goroutines of the
	// first dump still alive in the second.
	Survived int `json:"survived"`
}

// Pair reads two dumps of one process, the earlier first.
type Pair struct {
	Name string
	Doc  string
	Run  func(ctx context.Context, a, b io.Reader) (PairResult, error)
}

// Pairs lists the pair runners: the baseline, parsing both dumps, first.
var Pairs = []Pair{
	{Name: "leakscan-x2", Doc: "the leakscan parser on the first dump, then on the second: no diff", Run: leakscanTwice},
	{Name: "leakscan-diff", Doc: "what `leakscan diff a b` does: parse.Read each dump in turn, diff.Series.Add it, then diff.Series.Result", Run: leakscanDiff},
}

// LookupPair returns the pair runner called name.
func LookupPair(name string) (Pair, error) {
	for _, p := range Pairs {
		if p.Name == name {
			return p, nil
		}
	}
	return Pair{}, fmt.Errorf("unknown pair runner %q", name)
}

func leakscanTwice(ctx context.Context, a, b io.Reader) (PairResult, error) {
	res := PairResult{Sites: -1}
	for i, r := range []io.Reader{a, b} {
		one, err := leakscan(ctx, r)
		if err != nil {
			return PairResult{}, fmt.Errorf("dump %d: %w", i+1, err)
		}
		res.Goroutines[i] = one.Goroutines
	}
	return res, nil
}

// leakscanDiff is cmd/leakscan's diff without the report: each dump is
// parsed completely and folded into the series before the next is read,
// so only one snapshot is alive at a time.
func leakscanDiff(ctx context.Context, a, b io.Reader) (PairResult, error) {
	var res PairResult
	series := diff.NewSeries(diff.Filter{})
	for i, r := range []io.Reader{a, b} {
		snap, err := parse.Read(ctx, r, fmt.Sprintf("bench-%c", 'a'+i), parse.Options{MaxBytes: 1 << 40})
		if err != nil {
			return PairResult{}, fmt.Errorf("dump %d: %w", i+1, err)
		}
		res.Goroutines[i] = snap.Goroutines
		series.Add(snap)
	}
	for _, s := range series.Result().Sites {
		if s.Survived >= 0 {
			res.Sites++
			res.Survived += s.Survived
		}
	}
	return res, nil
}

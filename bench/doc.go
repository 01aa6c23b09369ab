// Package bench compares leakscan's dump parser with the alternatives on the
// same synthetic dump (see internal/synth): a bare line scan, a line scan
// that counts creation sites, github.com/DataDog/gostackparse and
// github.com/maruel/panicparse/v2.
//
// It is a module of its own so that the main module never depends on the
// parsers it is compared with. Throughput and allocations:
//
//	cd bench && go test -run xxx -bench . -benchtime 3x
//	go test -run xxx -bench . -args -goroutines 10000 -go120
//
// Wall time and peak memory, each parser in a fresh process, as a Markdown
// table: go run ./cmd/benchtable -n 100000; it also compares leakscan diff
// of a before/after pair with parsing both (BenchmarkDiff does the same
// in-process; -diff=false leaves it out). A dump for shell pipelines:
// go run ./cmd/synthdump -n 1000000 | leakscan top -.
package bench

// Package parse reads goroutine dumps in every format the Go runtime writes
// and folds them into a Snapshot: the distinct stacks of the dump, each keyed
// by the creation site of its goroutines, with counts, wait states and ids.
//
// The pipeline is one pass over the bytes: sniff the format, cut traceback
// text into units at goroutine boundaries (boundary.go), parse the units in
// parallel into records of goroutines (text.go), and fold the records into
// per-stack aggregates in input order (commit.go), so that files, streams
// and small inputs give the same snapshot. Memory grows with the number of
// distinct stacks, not with the size of the dump.
package parse

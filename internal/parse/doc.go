// Package parse reads goroutine dumps in every format the Go runtime writes
// and folds them into a Snapshot: the distinct stacks of the dump, each keyed
// by the creation site of its goroutines, with counts, wait states and ids.
//
// The pipeline is one pass over the bytes: sniff the format, split the
// input at goroutine boundaries, parse each block into a Goroutine and fold
// it into per-stack aggregates. Memory grows with the number of distinct
// stacks, not with the size of the dump.
package parse

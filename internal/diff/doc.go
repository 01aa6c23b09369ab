// Package diff turns snapshots into per-site analysis: how many goroutines
// each creation site holds, where they wait, and across a series of
// snapshots how the counts move, which goroutines survive, how fast a site
// grows, and whether that crosses a Policy.
//
// It is pure: snapshots in, results out, no I/O. A series is built one
// snapshot at a time (Series.Add) and keeps per-site aggregates only, so
// its memory does not grow with the snapshots' sizes. One snapshot is the
// smallest series (leakscan top), two are a diff.
package diff

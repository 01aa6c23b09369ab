package main

import (
	"fmt"
	"io"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/report"
)

// writeReport writes the report of r on stdout, once the warnings of its
// snapshots are said on stderr: stdout holds the report alone, whatever
// its format, and a pipe into a script or a file gets nothing else.
// (JSON lists the warnings too; the table leaves them out, see
// outputFlags.options.)
func writeReport(s *streams, r *diff.Result, breaches []diff.Breach, ro report.Options) error {
	warn(s.Err, r)
	return report.Write(s.Out, r, breaches, ro)
}

// maxWarnings bounds the warning lines of one run; a series of many
// damaged dumps would bury the report otherwise.
const maxWarnings = 20

// warn writes the warnings of r's snapshots, one line each, naming the
// input:
//
//	leakscan: after.txt: warning: line 812: goroutine cut off by the end of the input
func warn(w io.Writer, r *diff.Result) {
	n := 0
	for _, m := range r.Snapshots {
		for _, msg := range m.Warnings {
			if n++; n <= maxWarnings {
				fmt.Fprintf(w, "leakscan: %s: warning: %s\n", m.Source, oneLine(msg))
			}
		}
	}
	if n > maxWarnings {
		fmt.Fprintf(w, "leakscan: %d more warnings (-o json lists them per snapshot)\n", n-maxWarnings)
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// flagHint matches a flag named in a report or a message: "(--all,
// --limit)", "(give --interval)", "(--max-bytes)".
var flagHint = regexp.MustCompile(`(?:^|[\s(])--([a-z][a-z0-9-]*)`)

// TestHintsNameFlags: every flag that leakscan's output tells people to
// use is a flag of the command that printed it. (Series of watch and
// trend are written by the same report, so watch has trend's hints too.)
func TestHintsNameFlags(t *testing.T) {
	dir := t.TempDir()
	if err := writeDumps(dir); err != nil {
		t.Fatal(err)
	}
	before, after := filepath.Join(dir, "before.txt"), filepath.Join(dir, "after.txt")
	noTime := filepath.Join(dir, "before.debug1.txt")
	for _, tc := range []struct {
		args   []string
		also   []string // other commands that print the same report
		silent bool     // names no flag: Markdown, read away from the command line
	}{
		{args: []string{"top", after, "--limit", "1"}},
		{args: []string{"top", after, "--limit", "1", "-o", "markdown"}, silent: true},
		{args: []string{"diff", before, after, "--limit", "1", "--max-rate", "1"}},
		{args: []string{"diff", before, after, "--limit", "1", "-o", "markdown"}, silent: true},
		{args: []string{"trend", before, after, "--limit", "1"}, also: []string{"watch"}},
		{args: []string{"trend", noTime, before, after, "--limit", "1", "--max-rate", "1"}, also: []string{"watch"}},
	} {
		var out, errOut bytes.Buffer
		run(t.Context(), tc.args, &streams{In: strings.NewReader(""), Out: &out, Err: &errOut, Getenv: os.Getenv})
		hints := flagHint.FindAllStringSubmatch(out.String()+"\n"+errOut.String(), -1)
		if len(hints) == 0 && !tc.silent {
			t.Errorf("leakscan %s names no flag; want at least the hint under a cut table", strings.Join(tc.args, " "))
		}
		for _, cmd := range append([]string{tc.args[0]}, tc.also...) {
			c, _, err := newRootCmd(&streams{}).Find([]string{cmd})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hints {
				if c.Flags().Lookup(h[1]) == nil {
					t.Errorf("leakscan %s says %q, but leakscan %s has no flag --%s", strings.Join(tc.args, " "),
						strings.TrimSpace(h[0]), cmd, h[1])
				}
			}
		}
	}
}

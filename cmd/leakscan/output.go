package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/report"
)

// outputFlags are the flags that shape a report.
type outputFlags struct {
	format string
	limit  int
	color  string
	html   string
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
	c.Flags().StringVar(&f.html, "html", "", "also write the report as one self-contained HTML `file`, with charts")
}

// options checks the flags and returns the report's options: colour as
// --color says (useColor), and a table as wide as the terminal (COLUMNS
// when stdout is not one; else no limit).
func (f *outputFlags) options(s *streams) (report.Options, error) {
	format, err := report.ParseFormat(f.format)
	if errors.Is(err, report.ErrHTMLToFile) {
		return report.Options{}, err
	}
	if err != nil {
		return report.Options{}, usagef("--output: %q is not a format: want %s", f.format, formatNames())
	}
	if f.html != "" {
		if err := checkHTMLPath(f.html); err != nil {
			return report.Options{}, err
		}
	}
	width := s.Columns
	if width <= 0 && s.Getenv != nil {
		if n, err := strconv.Atoi(s.Getenv("COLUMNS")); err == nil && n > 0 {
			width = n
		}
	}
	return report.Options{
		Format: format,
		Limit:  f.limit,
		Color:  useColor(f.color, s),
		Width:  width,
		// Warnings are said on stderr (see writeReport); JSON and
		// Markdown are documents and keep them.
		OmitWarnings: format == report.Table,
	}, nil
}

// checkHTMLPath says before any work is done (a watch may run for
// hours) when the report could not be written where --html says.
func checkHTMLPath(name string) error {
	if name == "-" {
		return fmt.Errorf("--html -: give a file name (-o chooses what goes to stdout)")
	}
	if st, err := os.Stat(name); err == nil && st.IsDir() {
		return fmt.Errorf("--html %s: a directory, not a file", name)
	}
	dir := filepath.Dir(name)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("--html %s: %w", name, unwrapPath(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("--html %s: %s is not a directory", name, dir)
	}
	return nil
}

// writeHTML writes the HTML report to the file --html names, when it
// does: into a temporary file beside it, renamed into place once
// complete, so that a failure leaves no half-written report.
func (f *outputFlags) writeHTML(res *diff.Result, breaches []diff.Breach, ro report.Options) error {
	if f.html == "" {
		return nil
	}
	ro.Format = report.HTML
	tmp, err := os.CreateTemp(filepath.Dir(f.html), "."+filepath.Base(f.html)+".*.tmp")
	if err != nil {
		return fmt.Errorf("--html %s: %w", f.html, unwrapPath(err))
	}
	defer os.Remove(tmp.Name())
	if err := report.Write(tmp, res, breaches, ro); err != nil {
		tmp.Close()
		return fmt.Errorf("--html %s: %w", f.html, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("--html %s: %w", f.html, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--html %s: %w", f.html, err)
	}
	if err := os.Rename(tmp.Name(), f.html); err != nil {
		return fmt.Errorf("--html %s: %w", f.html, unwrapPath(err))
	}
	return nil
}

package main

import (
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
	html   string
}

func (f *outputFlags) register(c *cobra.Command) {
	c.Flags().StringVarP(&f.format, "output", "o", "table", "output format: table, json or markdown")
	c.Flags().IntVar(&f.limit, "top", 0, "show at most this many sites in a table (0: all)")
	c.Flags().StringVar(&f.html, "html", "", "also write the report as one self-contained HTML `file`, with charts")
}

// options checks the flags and returns the report's options: colour only
// on a terminal without NO_COLOR, and a table as wide as the terminal
// (COLUMNS when stdout is not one; else no limit).
func (f *outputFlags) options(s *streams) (report.Options, error) {
	format, err := report.ParseFormat(f.format)
	if err != nil {
		return report.Options{}, err
	}
	if f.limit < 0 {
		return report.Options{}, fmt.Errorf("--top must not be negative")
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
		Color:  s.Terminal && s.Getenv("NO_COLOR") == "" && s.Getenv("TERM") != "dumb",
		Width:  width,
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

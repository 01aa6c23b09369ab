package main

import (
	"fmt"
	"regexp"

	"github.com/spf13/cobra"
)

// exactArgs is cobra.ExactArgs with a message that says what is wanted.
func exactArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		switch {
		case len(args) == n:
			return nil
		case n == 0:
			return usagef("want no arguments, got %d", len(args))
		}
		return usagef("want %s, got %d", plural(n, "argument", "arguments"), len(args))
	}
}

// minArgs is cobra.MinimumNArgs with a message that says what is wanted:
// "want at least 1 file, directory or glob".
func minArgs(n int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < n {
			return usagef("want at least %d %s, got %d", n, what, len(args))
		}
		return nil
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// regexps compiles the values of a repeatable regexp flag.
func regexps(flag string, exprs []string) ([]*regexp.Regexp, error) {
	var out []*regexp.Regexp
	for _, e := range exprs {
		re, err := regexp.Compile(e)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", flag, e, err)
		}
		out = append(out, re)
	}
	return out, nil
}

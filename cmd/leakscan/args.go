package main

import (
	"fmt"
	"regexp"

	"github.com/spf13/cobra"
)

// exactArgs is cobra.ExactArgs with a message that says what is wanted.
func exactArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("%s: want %s, got %d (see %s --help)", c.CommandPath(),
				plural(n, "argument", "arguments"), len(args), c.CommandPath())
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

package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// usageError is a mistake in the command line rather than in the input:
// an unknown command or flag, a bad flag value, the wrong number of
// arguments. run says it in one form, with the command it is about and
// where that command's help is:
//
//	leakscan: top: unknown flag --tpo (see 'leakscan top --help')
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usageError; its message names neither the program nor
// the command, which run adds.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// asUsage marks err as a usage error, unless it is nil or one already.
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*usageError](err); ok {
		return err
	}
	return &usageError{err}
}

// usageLine is the message of a usage error of command c:
//
//	top: unknown flag --tpo (see 'leakscan top --help')
//	unknown command "tpo"; did you mean top? (see 'leakscan --help')
func usageLine(c *cobra.Command, err error) string {
	msg := oneLine(err.Error())
	if c.HasParent() {
		name := strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" ")
		msg = name + ": " + msg
	}
	return fmt.Sprintf("%s (see '%s --help')", msg, c.CommandPath())
}

// flagError turns pflag's parse errors into usage errors that say what
// was wrong in the user's words:
//
//	unknown flag: --tpo                          → unknown flag --tpo
//	invalid argument "abc" for "--max-rate" flag:
//	  strconv.ParseFloat: parsing "abc": invalid syntax → --max-rate: "abc" is not a number
//	flag needs an argument: --timeout            → --timeout needs a value
func flagError(c *cobra.Command, err error) error {
	if e, ok := errors.AsType[*pflag.NotExistError](err); ok {
		name := e.GetSpecifiedName()
		if short := e.GetSpecifiedShortnames(); short != "" {
			if len(short) > 1 {
				return usagef("unknown flag -%s in -%s", name[:1], short)
			}
			return usagef("unknown flag -%s", name[:1])
		}
		if s := suggestFlag(c, name); s != "" {
			return usagef("unknown flag --%s; did you mean --%s?", name, s)
		}
		return usagef("unknown flag --%s", name)
	}
	if e, ok := errors.AsType[*pflag.ValueRequiredError](err); ok {
		if short := e.GetSpecifiedShortnames(); short != "" {
			return usagef("-%s needs a value", e.GetSpecifiedName()[:1])
		}
		return usagef("--%s needs a value", e.GetSpecifiedName())
	}
	if e, ok := errors.AsType[*pflag.InvalidValueError](err); ok {
		return usagef("--%s: %s", e.GetFlag().Name, valueProblem(e))
	}
	if e, ok := errors.AsType[*pflag.InvalidSyntaxError](err); ok {
		return usagef("bad flag syntax %s", e.GetSpecifiedFlag())
	}
	return asUsage(err)
}

// valueProblem says what is wrong with a flag's value: the flag's own
// reason for the values of this package (see flagvalue.go), otherwise
// what the flag's type wants.
func valueProblem(e *pflag.InvalidValueError) string {
	if v, ok := errors.AsType[*valueError](e); ok {
		return fmt.Sprintf("%q %s", e.GetValue(), v.why)
	}
	what := ""
	switch e.GetFlag().Value.Type() {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		what = "is not a whole number"
	case "float32", "float64":
		what = "is not a number"
	case "duration":
		what = "is not a duration such as 30s, 5m or 1h30m"
	case "bool":
		what = "is not true or false"
	default:
		return fmt.Sprintf("%q: %s", e.GetValue(), oneLine(errors.Unwrap(e).Error()))
	}
	return fmt.Sprintf("%q %s", e.GetValue(), what)
}

// suggestFlag returns the visible flag of c whose name is nearest name,
// when it is near enough to be a typo, or "".
func suggestFlag(c *cobra.Command, name string) string {
	best, bestDist := "", 3 // at most two edits
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Deprecated != "" {
			return
		}
		if d := editDistance(name, f.Name); d < bestDist {
			best, bestDist = f.Name, d
		}
	})
	return best
}

// editDistance is the Levenshtein distance between a and b, with a swap
// of two neighbours counted as one edit ("tpo" and "top" are 1 apart).
func editDistance(a, b string) int {
	// d[i][j] is the distance between a[:i] and b[:j].
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// groupArgs is the Args of a command that only groups others (the root,
// completion): an argument there is a command that does not exist.
func groupArgs(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return usagef("unknown command %q%s", args[0], didYouMean(c.SuggestionsFor(args[0])))
}

// didYouMean is "; did you mean top?" for cobra's suggestions, or "".
func didYouMean(suggestions []string) string {
	switch len(suggestions) {
	case 0:
		return ""
	case 1:
		return "; did you mean " + suggestions[0] + "?"
	}
	return "; did you mean " + strings.Join(suggestions[:len(suggestions)-1], ", ") +
		" or " + suggestions[len(suggestions)-1] + "?"
}

// helpArgs checks the topic of leakscan help: a command that exists.
func helpArgs(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	found, rest, err := c.Root().Find(args)
	switch {
	case err == nil && len(rest) == 0:
		return nil
	case len(rest) == 0:
		return usagef("unknown help topic %q", strings.Join(args, " "))
	}
	return usagef("unknown help topic %q%s", strings.Join(args, " "), didYouMean(found.SuggestionsFor(rest[0])))
}

// oneFormOfUsage makes every command of the tree under root say its
// usage errors as usageErrors: flags (through root's flag error
// function, which the commands inherit), arguments, and the commands
// that only group others, which cobra would answer with their help.
func oneFormOfUsage(root *cobra.Command) {
	root.SetFlagErrorFunc(flagError)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	// cobra's shell commands take no argument, and would say so with
	// cobra's "unknown command "x" for "leakscan completion bash"".
	if comp, rest, err := root.Find([]string{"completion"}); err == nil && comp != root && len(rest) == 0 {
		for _, shell := range comp.Commands() {
			shell.Args = exactArgs(0)
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.SuggestionsMinimumDistance = 2
		switch {
		case c.Name() == "help" && c.Parent() == root:
			c.Args = helpArgs
		case c.HasAvailableSubCommands() && !c.Runnable():
			c.Args = groupArgs
			c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		case c.Args != nil:
			args := c.Args
			c.Args = func(c *cobra.Command, a []string) error { return asUsage(args(c, a)) }
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

package main

import (
	"strings"

	"github.com/spf13/cobra"
)

// outputFormats are the values -o completes, each with what it is for.
// report.ParseFormat takes them in any case, and the aliases of
// formatAliases too; the help of -o says both.
var outputFormats = []string{
	"table\tan aligned table, for people (the default)",
	"json\tone JSON document, schema leakscan/v1, for scripts",
	"markdown\tGitHub Markdown, for a pull request or a CI job summary",
}

// formatAliases are the other spellings report.ParseFormat accepts, each
// with the format it means.
var formatAliases = [][2]string{{"text", "table"}, {"md", "markdown"}}

// formatNames is "table, json or markdown".
func formatNames() string {
	names := make([]string, len(outputFormats))
	for i, f := range outputFormats {
		names[i], _, _ = strings.Cut(f, "\t")
	}
	return orList(names)
}

// outputHelp is the help of -o: every spelling it accepts.
func outputHelp() string {
	also := make([]string, len(formatAliases))
	for i, a := range formatAliases {
		also[i] = a[0] + " for " + a[1]
	}
	return "output `format`: " + formatNames() + " (also " + strings.Join(also, ", ") + "; any case)"
}

func completeFormats(_ *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return withPrefix(outputFormats, prefix), cobra.ShellCompDirectiveNoFileComp
}

func completeColors(_ *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return withPrefix([]cobra.Completion{
		"auto\tcolour on a terminal unless NO_COLOR is set (the default)",
		"always\tcolour even into a pipe or a file, as for less -R",
		"never\tno colour",
	}, prefix), cobra.ShellCompDirectiveNoFileComp
}

// withPrefix returns the completions that begin with prefix, in any case.
func withPrefix(all []cobra.Completion, prefix string) []cobra.Completion {
	var out []cobra.Completion
	for _, c := range all {
		if len(c) >= len(prefix) && strings.EqualFold(c[:len(prefix)], prefix) {
			out = append(out, c)
		}
	}
	return out
}

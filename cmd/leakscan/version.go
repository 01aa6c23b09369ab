package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is stamped by make build, from git describe:
//
//	go build -ldflags "-X main.version=v0.3.0-4-g1a2b3c4" ./cmd/leakscan
var version = ""

// versionString is the version of this build: the one stamped at build
// time, else the module version the go command recorded (v1.2.0 from
// go install …@v1.2.0, a pseudo-version with +dirty from go build in a
// git checkout), else "(devel)".
func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// versionLine is what leakscan version and leakscan --version print.
func versionLine() string { return "leakscan version " + versionString() }

func newVersionCmd(s *streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of leakscan",
		Args:  exactArgs(0),
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(s.Out, versionLine())
			return err
		},
	}
}

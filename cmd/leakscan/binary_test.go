package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
)

// buildLeakscan builds the command into a directory of t's and returns
// its path: these tests signal a real process, whose main installs the
// handlers.
func buildLeakscan(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds leakscan")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build leakscan with")
	}
	bin := filepath.Join(t.TempDir(), "leakscan")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		return ee.ExitCode()
	}
	return -1
}

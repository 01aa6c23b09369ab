//go:build unix

package parse

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRuntimeStackThenSIGQUIT reads what a terminal shows of a process
// that printed runtime.Stack of all goroutines, logged on, started one
// more goroutine and was then stopped with SIGQUIT: two dumps of one
// process, ids repeating. The snapshot is the SIGQUIT dump, the later
// moment, and says so.
func TestRuntimeStackThenSIGQUIT(t *testing.T) {
	if os.Getenv("LEAKSCAN_DUMP_CHILD") == "1" {
		dumpTwiceAndQuit()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRuntimeStackThenSIGQUIT$")
	cmd.Env = append(os.Environ(), "LEAKSCAN_DUMP_CHILD=1")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("child: %v, want exit status 2 after SIGQUIT\n%s", err, out[:min(len(out), 2000)])
	}
	if !strings.Contains(string(out), "dumping goroutines") || !strings.Contains(string(out), "SIGQUIT: quit") {
		t.Fatalf("child output lacks its two dumps:\n%s", out[:min(len(out), 2000)])
	}
	snap, err := readAll(t, out, somePaths, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if snap.EarlierDumps != 1 || snap.Cause != "SIGQUIT: quit" || snap.Format != FormatCrash {
		t.Errorf("earlier dumps %d, cause %q, format %s; want 1, SIGQUIT, crash (warnings %q)", snap.EarlierDumps, snap.Cause, snap.Format, snap.Warnings)
	}
	if got := sumMatching(snap, "parkA"); got != 6 {
		t.Errorf("%d goroutines in parkA, want the 6 of the SIGQUIT dump", got)
	}
	if n := strings.Count(strings.Join(snap.Warnings, "\n"), "holds 2 dumps"); n != 1 {
		t.Errorf("warnings %q: want one saying the input holds 2 dumps", snap.Warnings)
	}
}

// dumpTwiceAndQuit runs in the child process.
func dumpTwiceAndQuit() {
	stop := make(chan struct{})
	for range 5 {
		go parkA(stop)
	}
	for !parked(5) {
		time.Sleep(time.Millisecond)
	}
	fmt.Fprintln(os.Stderr, "2024/05/01 12:00:00 dumping goroutines")
	buf := make([]byte, 1<<20)
	os.Stderr.Write(buf[:runtime.Stack(buf, true)])
	fmt.Fprintln(os.Stderr, "\n2024/05/01 12:00:01 serving")
	go parkA(stop)
	for !parked(6) {
		time.Sleep(time.Millisecond)
	}
	syscall.Kill(os.Getpid(), syscall.SIGQUIT)
	time.Sleep(time.Minute) // the runtime exits first
}

// parked reports whether n goroutines wait in parkA.
func parked(n int) bool {
	buf := make([]byte, 1<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), "parse.parkA(") >= n
}

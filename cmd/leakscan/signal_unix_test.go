//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// startDelay is how long a test lets leakscan start and block before it
// signals it: main installs its handlers in its first microseconds.
const startDelay = 300 * time.Millisecond

// TestInterruptBinary sends SIGINT or SIGTERM to leakscan where it blocks
// in a system call no context reaches, and checks that it exits 130 with
// one line, within the grace period and not much later.
func TestInterruptBinary(t *testing.T) {
	bin := buildLeakscan(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		args  []string
		stdin bool // an idle pipe on stdin
		sig   syscall.Signal
	}{
		{"FIFO with no writer", []string{"top", fifo}, false, syscall.SIGINT},
		{"idle stdin", []string{"top", "-"}, true, syscall.SIGINT},
		{"idle stdin, SIGTERM", []string{"top", "-"}, true, syscall.SIGTERM},
		{"--ignore-file a FIFO", []string{"diff", "--ignore-file", fifo, "a.txt", "b.txt"}, false, syscall.SIGINT},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if tt.stdin {
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close() // kept open: stdin stays idle, never at EOF
				defer r.Close()
				cmd.Stdin = r
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(startDelay)
			start := time.Now()
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("leakscan %s still running 10s after %v", strings.Join(tt.args, " "), tt.sig)
			}
			elapsed := time.Since(start)
			t.Logf("exited %v after the signal", elapsed.Round(time.Millisecond))
			if code := exitCode(err); code != exitInterrupted {
				t.Errorf("exit status %d (%v), want %d", code, err, exitInterrupted)
			}
			if stderr.String() != "leakscan: interrupted\n" || stdout.Len() != 0 {
				t.Errorf("stdout %q, stderr %q; want nothing and \"leakscan: interrupted\"", stdout.String(), stderr.String())
			}
			// The grace period, and generous room for a loaded machine.
			if limit := interruptGrace + 3*time.Second; elapsed > limit {
				t.Errorf("exited %v after the signal, want under %v", elapsed, limit)
			}
		})
	}
}

// TestInterruptSecondSignal: a second Ctrl-C does not wait for the grace
// period.
func TestInterruptSecondSignal(t *testing.T) {
	bin := buildLeakscan(t)
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "top", fifo)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(startDelay)
	cmd.Process.Signal(syscall.SIGINT)
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	elapsed := time.Since(start)
	if code := exitCode(err); code != exitInterrupted || stderr.String() != "leakscan: interrupted\n" {
		t.Errorf("exit status %d, stderr %q; want %d and \"leakscan: interrupted\"", code, stderr.String(), exitInterrupted)
	}
	t.Logf("exited %v after the second signal", elapsed.Round(time.Millisecond))
}

// TestIgnoreFileDevZero: an endless --ignore-file is refused at once, in
// bounded memory (it used to be read whole, 2.7 GiB and counting, deaf to
// Ctrl-C).
func TestIgnoreFileDevZero(t *testing.T) {
	bin := buildLeakscan(t)
	cmd := exec.Command(bin, "diff", "--ignore-file", "/dev/zero", "a.txt", "b.txt")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	if code := exitCode(err); code != exitInput {
		t.Errorf("exit status %d, want %d", code, exitInput)
	}
	if want := "leakscan: --ignore-file /dev/zero: line 1: a NUL byte: not a text file\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
	if elapsed > 3*time.Second {
		t.Errorf("took %v, want well under a second", elapsed)
	}
}

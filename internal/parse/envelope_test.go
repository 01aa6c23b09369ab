package parse

import (
	"context"
	"strings"
	"testing"
)

const twoBlocks = `goroutine 1 [chan receive]:
main.main()
	/app/main.go:20 +0x1d

goroutine 7 [select]:
main.worker(0x0?)
	/app/main.go:9 +0x2a
created by main.main in goroutine 1
	/app/main.go:15 +0x45
`

func TestCrashEnvelope(t *testing.T) {
	tests := []struct {
		name, text, cause string
	}{
		{"panic", "panic: boom\n\ngoroutine 6 [running]:\nmain.f()\n\t/app/main.go:3 +0x1\ncreated by main.main in goroutine 1\n\t/app/main.go:9 +0x2\nexit status 2\n", "panic: boom"},
		{"repanic", "panic: first [recovered]\n\tpanic: second\n\ngoroutine 6 [running]:\nmain.f()\n\t/app/main.go:3 +0x1\ncreated by main.main in goroutine 1\n\t/app/main.go:9 +0x2\n", "panic: first [recovered]"},
		{"nil deref", "panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x8 pc=0x68b2c0]\n\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:3 +0x1\n", "panic: runtime error: invalid memory address or nil pointer dereference"},
		{"deadlock", "fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan receive]:\nmain.main()\n\t/app/main.go:3 +0x1\n", "fatal error: all goroutines are asleep - deadlock!"},
		{"sigquit", "SIGQUIT: quit\nPC=0x48d601 m=0 sigcode=0\n\ngoroutine 0 gp=0xa5bf20 m=0 mp=0xa5d100 [idle]:\nruntime.futex(0xa5d240, 0x80, 0x0, 0x0, 0x0, 0x0)\n\t/go/src/runtime/sys_linux_amd64.s:557 +0x21 fp=0x7ffd sp=0x7ffd pc=0x48d601\n\ngoroutine 1 gp=0xc000002380 m=nil [chan receive]:\nmain.main()\n\t/app/main.go:3 +0x1 fp=0xc sp=0xc pc=0x4\n\nrax    0xca\nrbx    0x0\n", "SIGQUIT: quit"},
		{"multi-line panic value with a header inside", "panic: line one\ngoroutine 99 [fake]:\n\tstill the value\n\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:3 +0x1\n", "panic: line one"},
		{"go test timeout", "panic: test timed out after 3s\n\trunning tests:\n\t\tTestHang (3s)\n\ngoroutine 5 [running]:\ntesting.(*M).startAlarm.func1()\n\t/go/src/testing/testing.go:2373 +0x265\ncreated by time.goFunc\n\t/go/src/time/sleep.go:215 +0x2d\nFAIL\texample.com/dumpgen\t3.044s\nFAIL\n", "panic: test timed out after 3s"},
	}
	for _, tt := range tests {
		gs, snap := goroutines(t, tt.text)
		if snap.Cause != tt.cause {
			t.Errorf("%s: Cause = %q, want %q", tt.name, snap.Cause, tt.cause)
		}
		if snap.Format != FormatCrash {
			t.Errorf("%s: Format = %q, want crash", tt.name, snap.Format)
		}
		if len(gs) != 1 || snap.Goroutines != 1 {
			t.Errorf("%s: got %d goroutines (%d counted), want 1 (goroutine 0 is a thread, not a goroutine)", tt.name, len(gs), snap.Goroutines)
		}
		if len(snap.Warnings) != 0 {
			t.Errorf("%s: warnings %q", tt.name, snap.Warnings)
		}
	}
}

// TestDamagedText checks that text mangled on its way from a terminal,
// a chat tool or a log pipeline reads the same as the original.
func TestDamagedText(t *testing.T) {
	want := summarize(t, twoBlocks)
	lines := strings.Split(strings.TrimSuffix(twoBlocks, "\n"), "\n")
	mangle := func(f func(i int, l string) string) string {
		var b strings.Builder
		for i, l := range lines {
			b.WriteString(f(i, l))
			b.WriteString("\n")
		}
		return b.String()
	}
	tests := map[string]string{
		"crlf":                strings.ReplaceAll(twoBlocks, "\n", "\r\n"),
		"tabs to spaces":      strings.ReplaceAll(twoBlocks, "\t", "    "),
		"tabs dropped":        strings.ReplaceAll(twoBlocks, "\t", ""),
		"indented":            mangle(func(_ int, l string) string { return "    " + l }),
		"no trailing newline": strings.TrimSuffix(twoBlocks, "\n"),
		"kubectl timestamps": mangle(func(i int, l string) string {
			return "2024-05-01T12:00:0" + string(rune('0'+i%10)) + ".123456789Z stderr F " + l
		}),
		"log package prefix": mangle(func(i int, l string) string { return "2024/05/01 12:00:1" + string(rune('0'+i%10)) + " " + l }),
		"ansi colours":       mangle(func(_ int, l string) string { return "\x1b[31m" + l + "\x1b[0m" }),
		"blank lines lost":   strings.ReplaceAll(twoBlocks, "\n\n", "\n"),
		"preamble of logs":   "starting server\nlistening on :8080\n\n" + twoBlocks,
	}
	for name, text := range tests {
		if got := summarize(t, text); got != want {
			t.Errorf("%s: got\n%s\nwant\n%s", name, got, want)
		}
	}
}

// summarize renders a snapshot's stacks compactly for comparison.
func summarize(t *testing.T, text string) string {
	t.Helper()
	snap, err := Read(context.Background(), strings.NewReader(text), "test", Options{})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	var b strings.Builder
	for _, s := range snap.Stacks {
		b.WriteString(s.Site.Kind.String() + " " + s.Site.Func + " " + s.Site.File)
		for _, f := range s.Frames {
			b.WriteString(" | " + f.Func + " " + f.File)
		}
		for _, sc := range s.States {
			b.WriteString(" [" + sc.State + "]")
		}
		b.WriteString("\n")
	}
	for _, w := range snap.Warnings {
		b.WriteString("warning: " + w + "\n")
	}
	return b.String()
}

func TestTruncated(t *testing.T) {
	for _, cut := range []int{
		strings.Index(twoBlocks, "main.worker") + 6,    // inside a function line
		strings.Index(twoBlocks, "/app/main.go:9") + 5, // inside a location
		strings.Index(twoBlocks, "created by") + 3,
		strings.Index(twoBlocks, "goroutine 7") + 9, // inside the header
	} {
		text := twoBlocks[:cut]
		snap, err := Read(context.Background(), strings.NewReader(text), "test", Options{})
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if !snap.Truncated || snap.Goroutines != 1 {
			t.Errorf("cut at %d (%q): Truncated = %v, Goroutines = %d; want true, 1", cut, text[cut-10:], snap.Truncated, snap.Goroutines)
		}
		if len(snap.Warnings) == 0 || !strings.Contains(strings.Join(snap.Warnings, " "), "truncated") {
			t.Errorf("cut at %d: warnings %q do not say truncated", cut, snap.Warnings)
		}
	}
}

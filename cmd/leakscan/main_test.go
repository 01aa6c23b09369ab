package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"go.uber.org/goleak"
	"golang.org/x/term"
)

// TestMain runs the tests with a leak check at the end, as
// goleak.VerifyTestMain does: leakscan must not leak what it looks for.
// Through testscript.Main the test binary is also the leakscan command of
// the scripts, when it runs under that name.
func TestMain(m *testing.M) {
	testscript.Main(leakCheckedM{m}, map[string]func(){
		"leakscan":   leakscanMain,
		"idleserver": idleServerMain,
	})
}

// leakCheckedM is m whose Run fails when a goroutine is left behind after
// the tests passed.
type leakCheckedM struct{ m *testing.M }

func (l leakCheckedM) Run() int {
	code := l.m.Run()
	if code != 0 {
		return code
	}
	if err := goleak.Find(); err != nil {
		fmt.Fprintf(os.Stderr, "goleak: errors on successful test run: %v\n", err)
		return 1
	}
	return 0
}

// leakscanMain is the leakscan command of the scripts: what main does,
// then a leak check of the command itself, which exits 3 (a status
// leakscan never uses) when run left a goroutine running.
func leakscanMain() {
	code := run(context.Background(), os.Args[1:], &streams{
		In:       os.Stdin,
		Out:      os.Stdout,
		Err:      os.Stderr,
		Terminal: term.IsTerminal(int(os.Stdout.Fd())),
		Getenv:   os.Getenv,
	})
	if err := goleak.Find(); err != nil {
		fmt.Fprintf(os.Stderr, "goleak: leakscan left goroutines running: %v\n", err)
		os.Exit(3)
	}
	os.Exit(code)
}

// TestScripts runs testdata/script/*.txtar. Every script starts with the
// dumps of dumps_test.go in its work directory (see writeDumps).
func TestScripts(t *testing.T) {
	dumps := t.TempDir()
	if err := writeDumps(dumps); err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			// Under -race, every process would sleep a second at exit.
			env.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			for _, name := range dumpFiles {
				data, err := os.ReadFile(filepath.Join(dumps, name))
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(env.WorkDir, name), data, 0o666); err != nil {
					return err
				}
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":     cmdExits,
			"jsonsum":   cmdJSONSum,
			"jsonq":     cmdJSONQ,
			"gzip":      cmdGzip,
			"truncate":  cmdTruncate,
			"randbytes": cmdRandBytes,
		},
	})
}

// cmdExits runs a program as exec does, keeping its stdout and stderr
// for the commands that follow, and checks its exit status: exec only
// tells zero from non-zero, and leakscan's 1 (a gate) and 2 (bad input)
// differ.
//
//	exits 2 leakscan top missing.txt
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits status program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = exitErr.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// cmdJSONSum checks a leakscan JSON report (a file, or stdout of the last
// exec): its schema is leakscan/v1, every site has one count per
// snapshot, and each snapshot's goroutines are its sites' counts plus the
// ignored ones.
//
//	jsonsum stdout
func cmdJSONSum(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! jsonsum")
	}
	if len(args) != 1 {
		ts.Fatalf("usage: jsonsum file")
	}
	var doc struct {
		Schema    string `json:"schema"`
		Snapshots []struct {
			Source     string `json:"source"`
			Goroutines int    `json:"goroutines"`
			Ignored    int    `json:"ignored"`
		} `json:"snapshots"`
		Sites []struct {
			Creator string `json:"creator"`
			Entry   string `json:"entry"`
			Counts  []int  `json:"counts"`
		} `json:"sites"`
	}
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &doc); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	if doc.Schema != "leakscan/v1" {
		ts.Fatalf("%s: schema %q, want leakscan/v1", args[0], doc.Schema)
	}
	if len(doc.Snapshots) == 0 || len(doc.Sites) == 0 {
		ts.Fatalf("%s: %d snapshots, %d sites; want some of each", args[0], len(doc.Snapshots), len(doc.Sites))
	}
	for i, snap := range doc.Snapshots {
		sum := 0
		for _, s := range doc.Sites {
			if len(s.Counts) != len(doc.Snapshots) {
				ts.Fatalf("%s: site %s %s has %d counts, want %d", args[0], s.Creator, s.Entry, len(s.Counts), len(doc.Snapshots))
			}
			sum += s.Counts[i]
		}
		if sum+snap.Ignored != snap.Goroutines {
			ts.Fatalf("%s: snapshots[%d] (%s): goroutines %d, want sum of sites[].counts[%d] %d + ignored %d",
				args[0], i, snap.Source, snap.Goroutines, i, sum, snap.Ignored)
		}
		ts.Logf("snapshots[%d]: %d goroutines = %d in sites + %d ignored", i, snap.Goroutines, sum, snap.Ignored)
	}
}

// cmdJSONQ checks the elements of a list of a leakscan JSON report (a
// file, or stdout of the last exec). The first condition selects exactly
// one element of the list; the others must hold for it. A condition is
// field=value, the field's string, or for other types its compact JSON,
// equal to value; or field~regexp, the same text matching regexp. With !,
// no element matches the one condition given.
//
//	jsonq stdout sites creator~[.]spawnGrowing$ counts=[3,7] per_minute=null
//	! jsonq stdout breaches creator~spawnNew
func cmdJSONQ(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 || neg && len(args) != 3 {
		ts.Fatalf("usage: jsonq file list selector [condition...]; ! jsonq file list selector")
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &doc); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	var list []map[string]json.RawMessage
	if raw, ok := doc[args[1]]; ok {
		if err := json.Unmarshal(raw, &list); err != nil {
			ts.Fatalf("%s: %s: %v", args[0], args[1], err)
		}
	}
	var found []map[string]json.RawMessage
	for _, elem := range list {
		if jsonHolds(ts, elem, args[2]) {
			found = append(found, elem)
		}
	}
	switch {
	case neg && len(found) > 0:
		ts.Fatalf("%s: %s: %d elements match %s, want none", args[0], args[1], len(found), args[2])
	case neg:
		return
	case len(found) != 1:
		ts.Fatalf("%s: %s: %d elements match %s, want 1", args[0], args[1], len(found), args[2])
	}
	for _, cond := range args[3:] {
		if !jsonHolds(ts, found[0], cond) {
			ts.Fatalf("%s: %s[%s]: %s does not hold: %s is %s", args[0], args[1], args[2], cond,
				jsonField(cond), found[0][jsonField(cond)])
		}
	}
}

// jsonField is the field a jsonq condition is about.
func jsonField(cond string) string {
	i := strings.IndexAny(cond, "=~")
	if i < 0 {
		return cond
	}
	return cond[:i]
}

// jsonHolds reports whether a jsonq condition holds for elem.
func jsonHolds(ts *testscript.TestScript, elem map[string]json.RawMessage, cond string) bool {
	i := strings.IndexAny(cond, "=~")
	if i < 0 {
		ts.Fatalf("jsonq: condition %q is neither field=value nor field~regexp", cond)
	}
	raw, ok := elem[cond[:i]]
	if !ok {
		return false
	}
	var text string
	if bytes.HasPrefix(raw, []byte(`"`)) {
		ts.Check(json.Unmarshal(raw, &text))
	} else {
		var buf bytes.Buffer
		ts.Check(json.Compact(&buf, raw))
		text = buf.String()
	}
	if cond[i] == '=' {
		return text == cond[i+1:]
	}
	re, err := regexp.Compile(cond[i+1:])
	ts.Check(err)
	return re.MatchString(text)
}

// cmdGzip compresses a file (or stdout of the last exec) into another.
//
//	gzip notes.txt notes.txt.gz
func cmdGzip(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: gzip src dst")
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write([]byte(ts.ReadFile(args[0])))
	ts.Check(err)
	ts.Check(zw.Close())
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), buf.Bytes(), 0o666))
}

// cmdTruncate writes the first part of a file into another, cut where a
// damaged transfer or the runtime's own limit would cut it:
//
//	truncate before.txt cut.txt frame      in the middle of a function line, past half the file
//	truncate before.pb.gz cut.pb.gz half   after half the bytes
func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: truncate src dst frame|half")
	}
	data := []byte(ts.ReadFile(args[0]))
	cut := len(data) / 2
	switch args[2] {
	case "half":
	case "frame":
		// A function line is one that is not blank, not indented (a
		// location), and not a goroutine header or "created by".
		for {
			i := bytes.IndexByte(data[cut:], '\n')
			if i < 0 {
				ts.Fatalf("%s: no function line after byte %d", args[0], len(data)/2)
			}
			cut += i + 1
			line, _, _ := bytes.Cut(data[cut:], []byte("\n"))
			if len(line) > 8 && line[0] != '\t' && !bytes.HasPrefix(line, []byte("goroutine ")) &&
				!bytes.HasPrefix(line, []byte("created by ")) {
				cut += len(line) / 2
				break
			}
		}
	default:
		ts.Fatalf("truncate: unknown mode %q (want frame or half)", args[2])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), data[:cut], 0o666))
}

// cmdRandBytes writes n bytes of binary garbage, the same on every run.
//
//	randbytes 4096 garbage.bin
func cmdRandBytes(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: randbytes n file")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), data, 0o666))
}

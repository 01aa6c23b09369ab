package parse

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// mangles are the ways a dump is damaged on its way to leakscan, and the
// hostile shapes of text: each must read the same on every path.
var mangles = []struct {
	name string
	f    func([]byte) []byte
}{
	{"as is", func(b []byte) []byte { return b }},
	{"kubectl timestamps", func(b []byte) []byte { return []byte(prefixLines(string(b))) }},
	{"crlf", func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) }},
	{"no blank lines", func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n\n"), []byte("\n")) }},
	{"kubectl, no blank lines", func(b []byte) []byte {
		return []byte(prefixLines(string(bytes.ReplaceAll(b, []byte("\n\n"), []byte("\n")))))
	}},
	{"ansi colours", func(b []byte) []byte {
		return bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\n"), []byte("\x1b[0m\n\x1b[31m")), []byte("\x1b[31m\x1b[0m"), nil)
	}},
	{"cut at 2/3", func(b []byte) []byte { return b[:len(b)*2/3] }},
	{"twice", func(b []byte) []byte { return append(append(append([]byte(nil), b...), "\nlog line\n\n"...), b...) }},
	{"log before", func(b []byte) []byte {
		return append([]byte(strings.Repeat("2024/05/01 12:00:00 INFO serving\n", 200)+"\n"), b...)
	}},
}

// TestEveryPathAgrees reads real dumps of every Go release, in every
// format, mangled every way, through every path to Read, cut into units
// of 2 KiB so that a small dump crosses many cuts: the snapshots must be
// identical (stacks, counts, ids, warnings, truncation).
func TestEveryPathAgrees(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "go*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	mangled := regexp.MustCompile(`go1\.(19\.13|26\.8)/(a\.debug2|ancestors|labels|synctest|crash\.(panic\.(all|system|crash)|sigquit|repanic|gotest-timeout|deadlock\.system))`)
	withSizes(2<<10, 1<<10, 64<<10, func() {
		for _, name := range files {
			if strings.HasSuffix(name, ".json") {
				continue
			}
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(corpusDir, name)
			rel = filepath.ToSlash(rel)
			for _, m := range mangles {
				set := fewPaths
				switch {
				case m.name == "as is" && strings.HasPrefix(rel, "go1.26.8/"):
					set = everyPaths
				case m.name == "as is":
				case mangled.MatchString(rel):
					set = somePaths
				default:
					continue
				}
				t.Run(rel+"/"+m.name, func(t *testing.T) {
					readAll(t, m.f(data), set, Options{})
				})
			}
		}
	})
}

// TestEveryPathAgreesLarge reads large and hostile inputs with the
// default sizes: more than a unit (512 KiB), a giant block, sparse ids,
// two dumps, and (without -short) more than 16 MiB of prefixed text that
// lost its blank lines.
func TestEveryPathAgreesLarge(t *testing.T) {
	var giant strings.Builder
	giant.WriteString(twoBlocks + "\n\ngoroutine 9 [running]:\n")
	for i := 0; giant.Len() < 1300<<10; i++ {
		fmt.Fprintf(&giant, "main.recurse%d(0x0?)\n\t/app/main.go:%d +0x3c\n", i%100, i%500)
	}
	giant.WriteString("created by main.main in goroutine 1\n\t/app/main.go:30 +0x45\n")
	dump := synthDump(12000, 40, 2, 1)
	seeds := []struct {
		name string
		text string
	}{
		{"2 MB", dump},
		{"2 MB, no blank lines", strings.ReplaceAll(dump, "\n\n", "\n")},
		{"2 MB, kubectl", prefixLines(dump)},
		{"giant block", giant.String()},
		{"sparse ids", synthDump(12000, 3, 1<<16, 1<<16)},
		{"two dumps", dump + "\nSIGQUIT: quit\nPC=0x48d601 m=0 sigcode=0\n\n" + synthDump(13000, 40, 2, 1)},
		{"cut mid-line", dump[:len(dump)*3/4+17]},
	}
	if !testing.Short() {
		seeds = append(seeds, struct{ name, text string }{"17 MB, kubectl, no blank lines",
			prefixLines(strings.ReplaceAll(synthDump(40000, 202, 2, 1), "\n\n", "\n"))})
	}
	for _, s := range seeds {
		t.Run(s.name, func(t *testing.T) {
			set := everyPaths
			if len(s.text) > 8<<20 {
				set = fewPaths
			}
			snap, err := readAll(t, []byte(s.text), set, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(snap.Warnings) > 0 && !strings.HasPrefix(s.name, "two dumps") && !strings.HasPrefix(s.name, "cut") {
				t.Errorf("warnings %q", snap.Warnings)
			}
		})
	}
}

// FuzzRead feeds arbitrary bytes to Read through every path, cut into
// units of a size the fuzzer picks too. Whatever the input, Read must not
// panic or hang, the stacks must add up to the snapshot's total, and every
// path must give the same snapshot.
func FuzzRead(f *testing.F) {
	for _, s := range []string{twoBlocks, "panic: x\n\n" + twoBlocks, "panic: x\n" + twoBlocks,
		"goroutine profile: total 1\n1 @ 0x1\n#\t0x1\tmain.f+0x1\t/a.go:1\n",
		prefixLines(twoBlocks), strings.ReplaceAll(twoBlocks, "\n\n", "\n"), twoBlocks + "\n" + twoBlocks} {
		f.Add([]byte(s), uint16(0))
		f.Add([]byte(s), uint16(len(s)/3))
	}
	// Seeds from the corpus of real dumps, first kilobytes of each.
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*"))
	for _, name := range files {
		if filepath.Ext(name) == ".json" {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		f.Add(data[:min(len(data), 8<<10)], uint16(len(data)))
	}
	f.Fuzz(func(t *testing.T, data []byte, unit uint16) {
		withSizes(64+int(unit%2048), 16+int(unit%512), 128+int(unit%4096), func() {
			snap, err := readAll(t, data, fuzzPaths, Options{})
			if err != nil {
				return
			}
			n := 0
			for _, s := range snap.Stacks {
				n += s.Count
				if s.Count != 0 && s.IDs.Len() > s.Count {
					t.Fatalf("stack has %d ids for %d goroutines", s.IDs.Len(), s.Count)
				}
			}
			if n != snap.Goroutines {
				t.Fatalf("stacks count %d goroutines, snapshot %d", n, snap.Goroutines)
			}
		})
	})
}

// gzipped compresses data.
func gzipped(data []byte) io.Reader {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return &buf
}

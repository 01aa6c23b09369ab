package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"os"
	"path/filepath"
	"strings"

	"example.com/dumpgen/internal/truth"
)

// check compares a text dump with its truth file: for every site that the
// runtime reports under its own file:line (no Via), the number of goroutine
// blocks whose "created by" location is that file:line must equal the
// site's alive count, and the function named by "created by" must be the
// site's Func. gen-corpus.sh runs it on the dumps that print every
// goroutine. It returns a list of mismatches.
func check(dumpPath, truthPath string) ([]string, error) {
	b, err := ioutil.ReadFile(truthPath)
	if err != nil {
		return nil, err
	}
	var tf truth.File
	if err := json.Unmarshal(b, &tf); err != nil {
		return nil, fmt.Errorf("%s: %v", truthPath, err)
	}
	f, err := os.Open(dumpPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	counts := map[string]int{}
	funcs := map[string]map[string]bool{}
	fn := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	inAncestor, wantLoc := false, false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "goroutine "):
			inAncestor = false
		case strings.HasPrefix(line, "[originating from goroutine "):
			inAncestor = true
		case strings.HasPrefix(line, "created by ") && !inAncestor:
			fn = strings.TrimPrefix(line, "created by ")
			if i := strings.Index(fn, " in goroutine "); i >= 0 {
				fn = fn[:i]
			}
			wantLoc = true
			continue
		case wantLoc:
			loc := strings.TrimSpace(line)
			if i := strings.Index(loc, " "); i >= 0 {
				loc = loc[:i]
			}
			key := filepath.Base(loc)
			counts[key]++
			if funcs[key] == nil {
				funcs[key] = map[string]bool{}
			}
			funcs[key][fn] = true
		}
		wantLoc = false
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var bad []string
	for _, s := range tf.Sites {
		if s.Via != "" {
			continue
		}
		if got := counts[s.Key()]; got != s.Alive {
			bad = append(bad, fmt.Sprintf("%s: %s: %d goroutines created there, truth says %d alive", dumpPath, s.Key(), got, s.Alive))
		}
		for fn := range funcs[s.Key()] {
			if fn != s.Func {
				bad = append(bad, fmt.Sprintf("%s: %s: created by %s, truth says %s", dumpPath, s.Key(), fn, s.Func))
			}
		}
	}
	return bad, nil
}

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
)

// Limits of an --ignore-file: a list a team commits is a few KiB, and a
// file past them (or /dev/zero) is a mistake better said than read.
const (
	maxIgnoreFile = 1 << 20  // bytes in the file
	maxIgnoreLine = 64 << 10 // bytes in one line
)

// ignorePatterns returns the --ignore regexps followed by those of the
// --ignore-file, if one is named: one per line, blank lines and lines
// starting with # skipped, surrounding spaces trimmed.
func ignorePatterns(flags []string, file string) ([]string, error) {
	exprs := append([]string(nil), flags...)
	if file == "" {
		return exprs, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("--ignore-file %s: %w", file, unwrapPath(err))
	}
	defer f.Close()
	fromFile, err := readIgnore(f)
	if err != nil {
		return nil, fmt.Errorf("--ignore-file %s: %w", file, err)
	}
	return append(exprs, fromFile...), nil
}

// readIgnore reads the patterns of an ignore file, in bounded memory: it
// stops at the first line or byte past the limits, naming the line, and
// never drops a pattern.
func readIgnore(r io.Reader) ([]string, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, maxIgnoreFile+1), maxIgnoreLine+2)
	var exprs []string
	read := 0
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		read += len(line)
		switch {
		case read > maxIgnoreFile:
			return nil, fmt.Errorf("more than %s (the limit for an ignore file)", formatSize(maxIgnoreFile))
		case bytes.IndexByte(line, 0) >= 0:
			return nil, fmt.Errorf("line %d: a NUL byte: not a text file", n)
		case errors.Is(err, bufio.ErrBufferFull) || len(bytes.TrimRight(line, "\r\n")) > maxIgnoreLine:
			return nil, fmt.Errorf("line %d: longer than %s (the limit for a line)", n, formatSize(maxIgnoreLine))
		case err != nil && err != io.EOF:
			return nil, unwrapPath(err)
		}
		if p := string(bytes.TrimSpace(line)); p != "" && p[0] != '#' {
			if _, err := regexp.Compile(p); err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			exprs = append(exprs, p)
		}
		if err == io.EOF {
			return exprs, nil
		}
	}
}

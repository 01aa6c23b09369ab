package parse

import (
	"strconv"
	"time"
)

// Frame is one function call of a stack, in the runtime's words.
type Frame struct {
	// Func is the function as the runtime prints it, without arguments.
	// Generic instantiations are written "[...]" in every format, as
	// text tracebacks do (protobuf profiles since Go 1.21 carry shape
	// types such as "[go.shape.int]" instead).
	Func string
	// File and Line locate the call (for "created by", the go statement).
	File string
	Line int
	// Inlined is set for frames printed with "(...)": calls inlined into
	// their caller, which have no frame of their own.
	Inlined bool
}

// Label is one pprof label (runtime/pprof.Do, pprof.SetGoroutineLabels).
type Label struct {
	Key, Value string
}

// Ancestor is a creator goroutine remembered with
// GODEBUG=tracebackancestors=N: the "[originating from goroutine N]:"
// sections after "created by". The ancestor may have exited long ago.
type Ancestor struct {
	ID      uint64
	Frames  []Frame
	Creator Frame
}

// Goroutine is one goroutine, or for counted formats (debug=1, protobuf)
// one record standing for Count goroutines with the same stack.
type Goroutine struct {
	// ID is the goroutine id ("goroutine 42 [...]"); 0 when the format
	// has none (debug=1, protobuf).
	ID uint64
	// State is the wait reason or scheduler status with the runtime's
	// annotations removed ("chan receive", not "chan receive (leaked)").
	// Empty when the format has none.
	State string
	// WaitMinutes is "N minutes" in the header: whole minutes since a GC
	// cycle first saw the goroutine blocked (the runtime's waitsince), a
	// coarse age that is absent until a GC has run.
	WaitMinutes int
	// Locked is "locked to thread" (runtime.LockOSThread).
	Locked bool
	// Leaked is " (leaked)" in the header (Go 1.26+ leak detection), or
	// membership in a goroutineleak profile.
	Leaked bool
	// Bubble is the synctest group (Go 1.24) or bubble (Go 1.25+) id.
	Bubble uint64
	// Labels are pprof labels: in the header since Go 1.26
	// (GODEBUG=tracebacklabels=1, default for go 1.27 modules) and in
	// debug=1 and protobuf profiles.
	Labels []Label
	// Frames is the stack, innermost call first.
	Frames []Frame
	// Elided counts frames the runtime left out ("...N frames elided...");
	// -1 when it says only "...additional frames elided..." (Go <1.21,
	// where the bottom of the stack is lost).
	Elided int
	// Creator is the "created by" frame: the function holding the go
	// statement, and the statement's location. Zero when there is none
	// (goroutine 1, or formats that do not record it).
	Creator Frame
	// ParentID is N in "created by F in goroutine N" (Go 1.21+).
	ParentID uint64
	// Ancestors are the creator goroutines' stacks, nearest first.
	Ancestors []Ancestor
	// Count is 1 for a goroutine of a full dump, N for a counted record.
	Count int
}

// Format names the kind of input a Snapshot was read from.
type Format string

// The formats Read recognises.
const (
	// FormatDebug2 is the full traceback text of
	// /debug/pprof/goroutine?debug=2 and runtime.Stack(buf, true).
	FormatDebug2 Format = "debug=2"
	// FormatCrash is the same traceback inside crash output: a panic,
	// fatal error, SIGQUIT or "go test" timeout.
	FormatCrash Format = "crash"
	// FormatDebug1 is the counted text of ?debug=1.
	FormatDebug1 Format = "debug=1"
	// FormatProto is the protobuf profile of ?debug=0, gzipped or not.
	FormatProto Format = "protobuf"
)

// HasIDs reports whether goroutines of this format carry ids, states and
// creation sites, which only the traceback text has.
func (f Format) HasIDs() bool { return f == FormatDebug2 || f == FormatCrash }

// Snapshot is one dump, folded into its distinct stacks.
type Snapshot struct {
	// Source names the input: a file name, "-" for stdin, or a URL.
	Source string
	Format Format
	// Profile is "goroutine", or "goroutineleak" for the runtime's leak
	// profile (which counts only goroutines it proved leaked in debug=0/1).
	Profile string
	// Time is when the profile was taken, when the input says
	// (protobuf time_nanos); zero otherwise.
	Time time.Time
	// Goroutines is every goroutine in the input; the Counts of Stacks
	// add up to it. Thread stacks ("goroutine 0") are not goroutines.
	Goroutines int
	// Cause is the first line of the crash that produced the dump
	// ("panic: ...", "fatal error: ...", "SIGQUIT: quit"), if any: of
	// the last dump, for text that holds several (see EarlierDumps).
	Cause string
	// Truncated is set when the input stops inside a goroutine, as the
	// runtime does silently at 64 MiB of debug=2 text.
	Truncated bool
	// Warnings describe what was skipped or doubtful, with line numbers.
	Warnings []string
	// Stacks are the distinct stacks, in a deterministic order: by site,
	// then by frames.
	Stacks []*Stack
	// EarlierDumps counts the dumps before the one read, in traceback
	// text that holds several dumps of one process (a terminal log with
	// runtime.Stack output and a later SIGQUIT, or dumps appended to one
	// file): where goroutine ids start to repeat, a new dump begins, and
	// the snapshot is the last one, the latest moment. Zero for one dump.
	EarlierDumps int

	sawHeader bool // a goroutine header was read, even if nothing counted
}

// Stack aggregates the goroutines of a snapshot that share a creation
// site and a stack (functions and lines; arguments never count).
type Stack struct {
	Site    Site
	Creator Frame
	Frames  []Frame // innermost first
	// Entry is the function the goroutines run: the outermost frame of
	// their own code (wrappers and spawning helpers skipped).
	Entry Frame
	// Wait is where they block: the first frame outside the runtime and
	// the standard library, else the first frame outside the runtime.
	Wait Frame
	// Cut is set when the stack may lack its bottom frames (Go <1.21
	// "additional frames elided", or a counted profile's depth limit), so
	// Entry may not be the entry function.
	Cut bool
	gen uint32 // the dump the counts below belong to (commit.go)

	Count  int
	Leaked int
	Locked int
	// States counts goroutines per state, sorted by state.
	States []StateCount
	// IDs holds the goroutine ids (formats with ids only).
	IDs IDSet

	sema string // what "semacquire" means for this stack (see refineState)

	global *Stack // the snapshot's stack that this one's goroutines count in (commit.go)
}

// StateCount is how many goroutines of a stack are in one state, the
// longest "N minutes" among them, and how many have waited at least 1 and
// at least 10 minutes: goroutines that come and go never wait long, the
// goroutines of a leak wait longer and longer.
type StateCount struct {
	State      string
	Count      int
	MaxMinutes int
	Over1m     int
	Over10m    int
}

// SiteKind says how a Site was derived.
type SiteKind uint8

const (
	// KeyCreatedBy: the "created by" function and the go statement's
	// file:line.
	KeyCreatedBy SiteKind = iota
	// KeyHelper: the creator is a spawning helper (sync.WaitGroup.Go,
	// errgroup.Group.Go, ...), so the site is the entry function of the
	// goroutine's own code above it.
	KeyHelper
	// KeyEntry: the format records no creator (debug=1, protobuf, or
	// goroutine 1), so the site is the goroutine's entry function.
	KeyEntry
)

func (k SiteKind) String() string {
	switch k {
	case KeyCreatedBy:
		return "created-by"
	case KeyHelper:
		return "helper"
	case KeyEntry:
		return "entry"
	}
	return "SiteKind(" + strconv.Itoa(int(k)) + ")"
}

// Site is the grouping key of goroutines: where they were started. It is
// comparable, and stable across snapshots of one binary: arguments, wait
// times, state annotations, labels and parent goroutine ids never enter it.
type Site struct {
	Kind SiteKind
	// Func is the creator function for KeyCreatedBy, the entry function
	// otherwise.
	Func string
	// File and Line are the go statement's location for KeyCreatedBy;
	// empty for the other kinds, whose goroutines may sit at any line of
	// their entry function.
	File string
	Line int
}

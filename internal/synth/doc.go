// Package synth writes synthetic goroutine dumps in the debug=2 text format
// (what /debug/pprof/goroutine?debug=2 and runtime.Stack(buf, true) print),
// together with the truth about them: how many goroutines each creation site
// has.
//
// It exists for benchmarks and fuzz seeds. A dump of 100,000 goroutines is
// about 240 MB and one of 1,000,000 about 2.4 GB, so dumps are generated on the
// fly, streaming in constant memory, and are never committed.
//
// The output is deterministic for a given Config and looks like a real
// server's dump: the dumping goroutine first ([running], runtime/pprof frames),
// goroutine 1 in main.main, then the other goroutines in allgs order (ids
// rising with gaps, locally out of order). Each goroutine belongs to one of
// Config.Sites creation sites: user code with long module paths, generics,
// closures and inlined frames, and well-known library goroutines (net/http
// connections, database/sql, gRPC, OpenTelemetry, NATS, os/signal). Goroutines
// of a site share one of a few stack shapes and differ in ids, argument
// values, wait minutes and parents. Site sizes follow a Zipf law, so the first
// sites dominate as leaking sites do; a few small sites have recursive stacks
// deeper than 100 frames, which the runtime elides.
//
// WritePair writes two snapshots of one process, the second taken
// Change.Minutes later, for diff benchmarks.
package synth

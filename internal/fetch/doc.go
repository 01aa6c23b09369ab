// Package fetch reads a goroutine profile from a live /debug/pprof endpoint.
//
// It is a package of its own because talking to a live service is a
// different job from reading bytes: it owns the URL conventions of
// net/http/pprof, timeouts that cover the whole body, size limits,
// redirects, retries and trusted certificates, and it keeps credentials
// (request headers, URL passwords, query values) out of every message and
// every URL it hands back. It returns a reader and knows nothing of dump
// formats, nor of the command line: its errors are typed, for a caller to
// add its own flag names, and it reports its steps to Options.Trace
// rather than printing them.
package fetch

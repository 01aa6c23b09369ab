// Package fetch reads a goroutine profile from a live /debug/pprof endpoint.
//
// It is a package of its own because talking to a live service is a
// different job from reading bytes: it owns the URL conventions of
// net/http/pprof, timeouts that cover the whole body, size limits,
// redirects and retries, and it keeps request headers (tokens) out of every
// message. It returns a reader and knows nothing of dump formats.
package fetch

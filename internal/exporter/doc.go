// Package exporter is leakscan as a Prometheus probe, in the multi-target
// exporter pattern of blackbox_exporter: each GET /probe?target=… fetches
// one service's goroutine profile, analyses it as leakscan top does, and
// answers with that service's goroutines per creation site in the
// exposition format, from a registry of its own. Prometheus does the
// rest: discovery, schedule, storage, and the growth over time that tells
// a leak, in the rules of deploy/prometheus.
//
// It is a package of its own, above diff and never imported by it,
// because serving is a different job from analysing: it owns an HTTP
// server's concerns (deadlines from Prometheus's scrape timeout, a bound
// on concurrent probes with a queue, label cardinality, per-target
// credentials from a file, its own metrics) and client_golang, which
// nothing below it needs. The analysis stays pure in diff; a probe holds
// no state between requests, so the exporter scales by running more of
// it.
package exporter

// Package report renders an analysis for people and for machines: an
// aligned table for the terminal (with sparklines, fitted to its width),
// Markdown for pull requests (within one GitHub comment), a
// self-contained HTML page with charts, and JSON (schema leakscan/v1,
// documented in the README; keep the two in sync).
//
// Write is the one entry point, a switch over formats. One snapshot is an
// inventory (leakscan top); two or more are a change (leakscan diff), or
// with Options.Trend a series judged site by site (watch, trend).
// tablewriter is used here only, in table.go; the HTML comes from the
// templates under html/, embedded.
package report

// Package report renders an analysis for people and for machines: an
// aligned table for the terminal, Markdown for pull requests, and JSON
// (schema leakscan/v1, documented in the README; keep the two in sync).
//
// Write is the one entry point, a switch over formats. One snapshot is an
// inventory (leakscan top); two or more are a change (leakscan diff).
// tablewriter is used here only, in table.go.
package report

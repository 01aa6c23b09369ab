//go:build go1.25
// +build go1.25

package main

import "example.com/dumpgen/internal/wggo"

func startWaitGroupGo(p *plan) {
	p.keep = append(p.keep, wggo.Start(2, p.hold))
}

//go:build go1.18
// +build go1.18

package main

import "example.com/dumpgen/internal/gen"

func startGenerics(p *plan) {
	p.keep = append(p.keep, gen.NewPool[int](4))
	gen.Fanout(map[string]float64{"a": 1, "b": 2}, p.hold)
	ch := make(chan string)
	p.keep = append(p.keep, ch)
	gen.StartConsumer(ch)
}

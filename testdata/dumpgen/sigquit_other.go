//go:build !linux
// +build !linux

package main

func sigquitSelf() { panic("sigquit: only implemented on linux") }

//go:build !linux
// +build !linux

package workers

// RawSyscall is only implemented on Linux.
func RawSyscall() [2]int { return [2]int{} }

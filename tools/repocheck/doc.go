// Package repocheck holds no code: its tests check that the files of the
// repository agree with one another where no compiler would notice, such
// as the Go version that go.mod requires and the one the README names.
package repocheck

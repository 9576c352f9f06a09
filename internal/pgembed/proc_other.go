//go:build !unix

package pgembed

import (
	"io/fs"
	"syscall"
)

// The stubs below let the package compile where it cannot run; Start refuses
// such platforms.

func sysProcAttr(*osUser) *syscall.SysProcAttr     { return nil }
func isRoot() bool                                 { return false }
func fileOwner(fs.FileInfo) (uint32, uint32, bool) { return 0, 0, false }
func processState(int) procState                   { return procGone }
func chown(string, *osUser) error                  { return nil }
func lockDir(string) (func(), error)               { return func() {}, nil }

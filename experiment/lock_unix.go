//go:build unix

package experiment

import (
	"errors"
	"os"
	"syscall"
)

// processAlive reports whether a process with this id exists (signal 0
// checks without sending anything).
func processAlive(pid int) bool {
	if pid == os.Getpid() {
		return true
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

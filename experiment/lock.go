package experiment

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFile guards a report directory against two concurrent runs, which
// would train the same step twice into one directory.
const LockFile = ".lock"

// lockDir takes the report directory's lock, replacing a stale lock left by
// a process that no longer exists (a run killed with SIGKILL). It returns
// the function that releases it.
func lockDir(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintf(f, "%d\n", os.Getpid())
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("experiment: %w", err)
		}
		b, _ := os.ReadFile(path)
		pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
		if perr == nil && pid > 0 && processAlive(pid) {
			return nil, fmt.Errorf("experiment: %s is in use by process %d (another experiment run); wait for it or stop it", dir, pid)
		}
		os.Remove(path) // stale
	}
	return nil, fmt.Errorf("experiment: cannot take the lock %s", path)
}

package experiment

import (
	"fmt"

	"github.com/nflowjs/nflowjs/internal/runlock"
)

// LockFile guards a report directory against two concurrent runs, which
// would train the same step twice into one directory.
const LockFile = runlock.File

// lockDir takes the report directory's lock (released by the kernel if the
// run is killed, so a killed run leaves no stale lock) and returns the
// function that releases it.
func lockDir(dir string) (func(), error) {
	unlock, err := runlock.Lock(dir)
	if err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	return unlock, nil
}

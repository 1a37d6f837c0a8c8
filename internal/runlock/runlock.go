package runlock

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// File is the lock file's name inside a run directory.
const File = ".lock"

// Lock takes the exclusive lock of dir, creating dir if needed, and returns
// the function that releases it. If another process (or another Lock in
// this one) holds it, the error names the holder.
func Lock(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, File)
	unlock, held, err := lock(path, holderLine())
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	if held {
		b, _ := os.ReadFile(path)
		who := strings.TrimSpace(string(b))
		if who == "" {
			who = "another run"
		}
		return nil, fmt.Errorf("%s is in use by %s; wait for that run to finish or stop it, or choose another output directory", dir, who)
	}
	return unlock, nil
}

// holderLine describes this process for the lock file.
func holderLine() string {
	cmd := strings.Join(os.Args, " ")
	if len(cmd) > 300 {
		cmd = cmd[:300] + "…"
	}
	return fmt.Sprintf("process %d (%s) since %s\n", os.Getpid(), cmd, time.Now().Format(time.RFC3339))
}

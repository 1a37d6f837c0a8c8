package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// tempInfix marks a temporary: ".NAME" + tempInfix + random suffix.
const tempInfix = ".tmp-"

// Stages of a write reported to the test hook.
const (
	StageWritten = "written" // the temporary is complete, not yet renamed
	StageRenamed = "renamed" // path holds the new content
)

// hook, when set, is called at each stage of every write. Tests use it to
// kill a process at every write of a training run (SetTestHook).
var hook func(stage, path string)

// SetTestHook installs f (nil: none) to be called at each stage of every
// write, in the writing goroutine. For tests only: a kill-at-every-write
// test kills its child process from f at the n-th call.
func SetTestHook(f func(stage, path string)) { hook = f }

// Write creates path atomically with the bytes write produces. On any
// error the temporary is removed and path is untouched.
func Write(path string, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+tempInfix+"*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("writing %s: %w", path, err)
		}
	}()
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err = write(w); err != nil {
		return err
	}
	if err = w.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if hook != nil {
		hook(StageWritten, path)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	if hook != nil {
		defer hook(StageRenamed, path)
	}
	// Make the rename durable; not every platform can sync a directory,
	// and the data is already safe, so failure is ignored.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// WriteFile creates path atomically with data.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// IsTemp reports whether a file name is a temporary of Write (or of the
// writers before it, named ".tmp-*").
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, tempInfix)
}

// RemoveTemps removes the temporaries left in dir (not its subdirectories)
// by writes that were interrupted, e.g. by a kill. Call it only while no
// other process writes into dir (with the run directory's lock held).
func RemoveTemps(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	for _, e := range entries {
		if e.Type().IsRegular() && IsTemp(e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
	}
	return nil
}

//go:build unix

package runlock

import (
	"errors"
	"os"
	"syscall"
)

// lock takes flock(2) on path. held reports that another open file holds
// it. The file is removed on release while the lock is still held; a
// process that opened it just before then finds, after locking, that its
// file is no longer the one at path, and tries again.
func lock(path, holder string) (unlock func(), held bool, err error) {
	for range 10 {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return nil, false, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, true, nil
			}
			return nil, false, err
		}
		fi, ferr := f.Stat()
		pi, perr := os.Stat(path)
		if ferr != nil || perr != nil || !os.SameFile(fi, pi) {
			f.Close() // the file was released and removed meanwhile
			continue
		}
		if err := f.Truncate(0); err == nil {
			_, _ = f.WriteAt([]byte(holder), 0)
		}
		return func() {
			os.Remove(path)
			f.Close() // releases the lock
		}, false, nil
	}
	return nil, false, errors.New("the lock file keeps changing")
}

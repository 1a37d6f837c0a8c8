//go:build !unix

package runlock

import (
	"errors"
	"os"
)

// lock creates path exclusively. A lock left by a crashed process stays
// until removed by hand; the error names that process.
func lock(path, holder string) (unlock func(), held bool, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	_, werr := f.WriteString(holder)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return nil, false, werr
	}
	return func() { os.Remove(path) }, false, nil
}

package runlock

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestLockIsExclusive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	unlock, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Lock(dir)
	if err == nil {
		t.Fatal("second lock of one directory succeeded")
	}
	if msg := err.Error(); !strings.Contains(msg, "process "+strconv.Itoa(os.Getpid())) || !strings.Contains(msg, dir) {
		t.Errorf("error does not name the holder and the directory: %v", err)
	}
	unlock()
	if _, err := os.Stat(filepath.Join(dir, File)); !os.IsNotExist(err) {
		t.Errorf("lock file left after release: %v", err)
	}
	unlock, err = Lock(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	unlock()
}

//go:build unix

package runlock

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A holder killed with SIGKILL leaves its lock file behind; the kernel has
// released the lock, so the next run takes it.
func TestLockOfAKilledProcessIsFree(t *testing.T) {
	if os.Getenv("RUNLOCK_CHILD") != "" {
		if _, err := Lock(os.Getenv("RUNLOCK_CHILD")); err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("locked\n")
		time.Sleep(time.Minute)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockOfAKilledProcessIsFree$")
	cmd.Env = append(os.Environ(), "RUNLOCK_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	if _, err := out.Read(buf); err != nil || string(buf) != "locked\n" {
		t.Fatalf("child: %q %v", buf, err)
	}
	if _, err := Lock(dir); err == nil || !strings.Contains(err.Error(), "process "+strconv.Itoa(cmd.Process.Pid)) {
		t.Errorf("lock held by a live child: %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(dir, File)); err != nil {
		t.Fatalf("the killed child's lock file: %v", err)
	}
	unlock, err := Lock(dir)
	if err != nil {
		t.Fatalf("lock of a killed holder: %v", err)
	}
	unlock()
}

// Package killtest drives kill-at-every-write tests: a test re-executes its
// own binary as a child that runs a training stage and SIGKILLs itself at
// the n-th stage of an atomic write (package atomicfile: a temporary
// complete, or renamed into place), then resumes the run in the parent and
// compares it with an uninterrupted one. Unix only (SIGKILL).
package killtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"

	"github.com/nflowjs/nflowjs/checkpoint"
	"github.com/nflowjs/nflowjs/internal/atomicfile"
	"github.com/nflowjs/nflowjs/internal/runlock"
)

// env carries the kill point to the child: a stage number, or "count".
const env = "NFLOWJS_KILLTEST_AT"

// MaybeChild runs run as the child of Count or Kill and exits, if this
// process is one; call it first in TestMain. The child reads its other
// inputs from the environment the test passed.
func MaybeChild(run func() error) {
	at := os.Getenv(env)
	if at == "" {
		return
	}
	n, count := 0, at == "count"
	stop, _ := strconv.Atoi(at)
	atomicfile.SetTestHook(func(stage, path string) {
		n++
		if !count && n == stop {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	})
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if count {
		fmt.Printf("stages %d\n", n)
	}
	os.Exit(0)
}

func child(env2 []string, at string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), env2...), env+"="+at)
	return cmd
}

// Count runs the child to the end and returns the number of write stages.
func Count(t testing.TB, childEnv ...string) int {
	t.Helper()
	out, err := child(childEnv, "count").Output()
	var n int
	if _, serr := fmt.Sscanf(string(out), "stages %d", &n); err != nil || serr != nil || n == 0 {
		t.Fatalf("counting run: %q %v %v", out, err, serr)
	}
	return n
}

// Kill runs the child until it kills itself at write stage at.
func Kill(t testing.TB, at int, childEnv ...string) {
	t.Helper()
	cmd := child(childEnv, strconv.Itoa(at))
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("stage %d: the child was not killed: %v\n%s", at, err, out)
	}
}

// SameCheckpoints fails the test unless every tensor of each named
// safetensors file in dir equals the same file's in want (an uninterrupted
// run), bit for bit. at names the kill stage in messages.
func SameCheckpoints(t testing.TB, at int, dir, want string, names ...string) {
	t.Helper()
	for _, name := range names {
		got, _, err := checkpoint.Load(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("stage %d: %v", at, err)
		}
		ref, _, err := checkpoint.Load(filepath.Join(want, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(ref) {
			t.Fatalf("stage %d: %s has %d tensors, the uninterrupted run's %d", at, name, len(got), len(ref))
		}
		for k, v := range ref {
			if g, ok := got[k]; !ok || !slices.Equal(g.Data, v.Data) {
				t.Fatalf("stage %d: %s %s differs from the uninterrupted run's", at, name, k)
			}
		}
	}
}

// NoLeftovers fails the test if dir holds a temporary of an interrupted
// write or a run lock after the resumed run ended.
func NoLeftovers(t testing.TB, at int, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if atomicfile.IsTemp(e.Name()) || e.Name() == runlock.File {
			t.Errorf("stage %d: %s left behind", at, e.Name())
		}
	}
}

package experiment

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The runner executes steps as subprocesses. These tests re-execute the test
// binary as a tiny fake CLI (fakeMain) so the runner's caching, resuming and
// error handling are exercised without the real training commands; the
// end-to-end run with the real nflowjs commands is in cmd/nflowjs.
const fakeEnv = "EXPERIMENT_FAKE_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(fakeEnv) == "1" {
		if err := fakeMain(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "fake:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fakeMain implements:
//
//	write --out DIR --text S [--in DIR]   writes DIR/out.txt = S (+ the input's text)
//	train --out DIR --steps N [--resume]  one checkpoint file per step, sleeping between
//	print --text S                       prints S on stdout
//	fail                                 exits 1 with a message
//
// Every invocation appends its arguments to $FAKE_CALLS.
func fakeMain(args []string) error {
	if calls := os.Getenv("FAKE_CALLS"); calls != "" {
		f, err := os.OpenFile(calls, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		fmt.Fprintln(f, strings.Join(args, " "))
		f.Close()
	}
	if len(args) == 0 {
		return errors.New("no command")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	out := fs.String("out", "", "")
	text := fs.String("text", "", "")
	in := fs.String("in", "", "")
	steps := fs.Int("steps", 1, "")
	resume := fs.Bool("resume", false, "")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
	}
	switch args[0] {
	case "write":
		s := *text
		if *in != "" {
			b, err := os.ReadFile(filepath.Join(*in, "out.txt"))
			if err != nil {
				return err
			}
			s = string(b) + "+" + s
		}
		return os.WriteFile(filepath.Join(*out, "out.txt"), []byte(s), 0o644)
	case "train":
		start := 0
		if *resume {
			b, err := os.ReadFile(filepath.Join(*out, "ckpt"))
			if err != nil {
				return fmt.Errorf("--resume without checkpoint: %w", err)
			}
			start, _ = strconv.Atoi(string(b))
		}
		for i := start; i < *steps; i++ {
			time.Sleep(30 * time.Millisecond)
			if err := os.WriteFile(filepath.Join(*out, "ckpt"), []byte(strconv.Itoa(i+1)), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "step %d\n", i+1)
		}
		return os.WriteFile(filepath.Join(*out, "final"), []byte(fmt.Sprintf("start=%d", start)), 0o644)
	case "print":
		fmt.Print(*text)
		return nil
	case "fail":
		fmt.Fprintln(os.Stderr, "something went wrong on purpose")
		return errors.New("failed")
	}
	return fmt.Errorf("unknown command %q", args[0])
}

func fakeRunner(t *testing.T, dir string) (*Runner, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	calls := filepath.Join(t.TempDir(), "calls.txt")
	return &Runner{Exe: exe, Env: []string{fakeEnv + "=1", "FAKE_CALLS=" + calls}, Dir: dir}, calls
}

func readCalls(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func chainPlan(text string) *Plan {
	p := &Plan{Name: "chain"}
	p.Add(
		&Step{Name: "a", Args: []string{"write", "--out", "{out}", "--text", "A"}},
		&Step{Name: "b", Args: []string{"write", "--out", "{out}", "--in", "{dep:a}", "--text", text}},
		&Step{Name: "c", Args: []string{"print", "--text", `{"ok":1}`}, Stdout: "c.json", After: []string{"b"}},
	)
	return p
}

func TestRunCachesAndInvalidates(t *testing.T) {
	dir := t.TempDir()
	r, calls := fakeRunner(t, dir)
	sum, err := r.Run(context.Background(), chainPlan("B"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sum.Steps {
		if s.Status != StatusRan {
			t.Errorf("%s: %s", s.Name, s.Status)
		}
	}
	b, err := os.ReadFile(filepath.Join(sum.Get("b").Out(), "out.txt"))
	if err != nil || string(b) != "A+B" {
		t.Fatalf("b output %q, %v", b, err)
	}
	if b, _ := os.ReadFile(filepath.Join(sum.Get("c").Dir, "c.json")); string(b) != `{"ok":1}` {
		t.Fatalf("captured stdout %q", b)
	}
	if n := len(readCalls(t, calls)); n != 3 {
		t.Fatalf("%d calls, want 3", n)
	}

	// Same plan again: everything cached, nothing executed.
	sum, err = r.Run(context.Background(), chainPlan("B"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sum.Steps {
		if s.Status != StatusCached {
			t.Errorf("re-run %s: %s", s.Name, s.Status)
		}
	}
	if n := len(readCalls(t, calls)); n != 3 {
		t.Fatalf("re-run executed commands: %d calls", n)
	}

	// --rerun b: b and its dependent c run again, a stays cached.
	r.Rerun = func(name string) bool { return name == "b" }
	sum, err = r.Run(context.Background(), chainPlan("B"))
	if err != nil {
		t.Fatal(err)
	}
	for name, st := range map[string]Status{"a": StatusCached, "b": StatusRan, "c": StatusRan} {
		if got := sum.Get(name).Status; got != st {
			t.Errorf("rerun %s: %s, want %s", name, got, st)
		}
	}
	r.Rerun = nil

	// Changing b's flag re-runs b and its dependent c, not a.
	sum, err = r.Run(context.Background(), chainPlan("B2"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Status{"a": StatusCached, "b": StatusRan, "c": StatusRan}
	for name, st := range want {
		if got := sum.Get(name).Status; got != st {
			t.Errorf("after change %s: %s, want %s", name, got, st)
		}
	}
}

func TestRunResumesKilledStep(t *testing.T) {
	dir := t.TempDir()
	r, calls := fakeRunner(t, dir)
	p := &Plan{Name: "train"}
	p.Add(&Step{Name: "train", Args: []string{"train", "--out", "{out}", "--steps", "40"},
		Resume: Resume{Flag: "--resume", Marker: "ckpt"}})
	dirs, _, err := r.Dirs(p)
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(Out(dirs["train"]), "ckpt")

	// Kill the step (the context's cancel sends SIGKILL) once it has
	// written a few checkpoints.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for {
			if b, err := os.ReadFile(ckpt); err == nil {
				if n, _ := strconv.Atoi(string(b)); n >= 3 {
					cancel()
					return
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	sum, err := r.Run(ctx, p)
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("killed run: err %v", err)
	}
	if st := sum.Get("train").Status; st != StatusPending {
		t.Fatalf("killed step status %s", st)
	}
	if _, err := ReadDone(dirs["train"]); err == nil {
		t.Fatal("killed step has a DONE marker")
	}

	sum, err = r.Run(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if st := sum.Get("train").Status; st != StatusResumed {
		t.Fatalf("second run status %s, want resumed", st)
	}
	c := readCalls(t, calls)
	if last := c[len(c)-1]; !strings.HasSuffix(last, "--resume") {
		t.Fatalf("second run's command %q lacks --resume", last)
	}
	b, _ := os.ReadFile(filepath.Join(Out(dirs["train"]), "final"))
	if start, _ := strconv.Atoi(strings.TrimPrefix(string(b), "start=")); start < 3 || start >= 40 {
		t.Fatalf("resumed from %q, want a checkpoint in [3, 40)", b)
	}
}

func TestRunRestartsWithoutCheckpoint(t *testing.T) {
	dir := t.TempDir()
	r, _ := fakeRunner(t, dir)
	p := &Plan{}
	p.Add(&Step{Name: "w", Args: []string{"write", "--out", "{out}", "--text", "x"}})
	dirs, _, _ := r.Dirs(p)
	// A leftover unfinished directory with stale content is wiped.
	os.MkdirAll(Out(dirs["w"]), 0o755)
	os.WriteFile(filepath.Join(Out(dirs["w"]), "stale"), []byte("old"), 0o644)
	sum, err := r.Run(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Get("w").Status != StatusRan || fileExists(filepath.Join(Out(dirs["w"]), "stale")) {
		t.Fatalf("status %s, stale file kept: %v", sum.Get("w").Status, fileExists(filepath.Join(Out(dirs["w"]), "stale")))
	}
}

func TestRunFailureBlocksDependentsOnly(t *testing.T) {
	r, _ := fakeRunner(t, t.TempDir())
	p := &Plan{}
	p.Add(
		&Step{Name: "bad", Args: []string{"fail"}},
		&Step{Name: "after-bad", Args: []string{"write", "--out", "{out}", "--in", "{dep:bad}"}},
		&Step{Name: "indep", Args: []string{"write", "--out", "{out}", "--text", "ok"}},
	)
	sum, err := r.Run(context.Background(), p)
	if err == nil {
		t.Fatal("no error")
	}
	if !strings.Contains(err.Error(), "step bad") || !strings.Contains(err.Error(), "something went wrong on purpose") {
		t.Fatalf("error lacks step name or stderr tail: %v", err)
	}
	want := map[string]Status{"bad": StatusFailed, "after-bad": StatusBlocked, "indep": StatusRan}
	for name, st := range want {
		if got := sum.Get(name).Status; got != st {
			t.Errorf("%s: %s, want %s", name, got, st)
		}
	}
}

func TestRunMissingCommand(t *testing.T) {
	r, calls := fakeRunner(t, t.TempDir())
	r.Check = func(args []string) error {
		if args[0] == "train" {
			return &MissingCommandError{Command: "nflowjs train joint"}
		}
		return nil
	}
	p := &Plan{}
	p.Add(
		&Step{Name: "data", Args: []string{"write", "--out", "{out}", "--text", "d"}},
		&Step{Name: "joint", Args: []string{"train", "--out", "{out}"}, After: []string{"data"}},
		&Step{Name: "eval", Args: []string{"print", "--text", "x"}, After: []string{"joint"}},
	)
	_, err := r.Run(context.Background(), p)
	var me *MissingCommandError
	if !errors.As(err, &me) || me.Step != "joint" || !strings.Contains(err.Error(), "nflowjs train joint") {
		t.Fatalf("error %v", err)
	}
	if c := readCalls(t, calls); len(c) != 0 {
		t.Fatalf("ran %v before failing the preflight", c)
	}

	r.SkipMissing = true
	sum, err := r.Run(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Status{"data": StatusRan, "joint": StatusMissing, "eval": StatusBlocked}
	for name, st := range want {
		if got := sum.Get(name).Status; got != st {
			t.Errorf("%s: %s, want %s", name, got, st)
		}
	}
}

func TestPlanValidation(t *testing.T) {
	for name, p := range map[string]*Plan{
		"cycle":     {Steps: []*Step{{Name: "a", Args: []string{"x", "{dep:b}"}}, {Name: "b", Args: []string{"x", "{dep:a}"}}}},
		"unknown":   {Steps: []*Step{{Name: "a", Args: []string{"x", "{dep:zzz}"}}}},
		"duplicate": {Steps: []*Step{{Name: "a", Args: []string{"x"}}, {Name: "a", Args: []string{"y"}}}},
		"bad name":  {Steps: []*Step{{Name: "a/b", Args: []string{"x"}}}},
		"empty":     {Steps: []*Step{{Name: "a"}}},
	} {
		if _, err := p.Order(); err == nil || !strings.HasPrefix(err.Error(), "experiment:") {
			t.Errorf("%s: error %v", name, err)
		}
	}
}

func TestKeysDependOnInputs(t *testing.T) {
	k1, err := chainPlan("B").Keys()
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := chainPlan("B2").Keys()
	if k1["a"] != k2["a"] || k1["b"] == k2["b"] || k1["c"] == k2["c"] {
		t.Fatalf("keys %v vs %v", k1, k2)
	}
}

func TestLockDir(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockDir(dir); err == nil || !strings.Contains(err.Error(), "in use by process") {
		t.Fatalf("second lock: %v", err)
	}
	unlock()
	// A lock left by a dead process is stale and replaced.
	os.WriteFile(filepath.Join(dir, LockFile), []byte("2147483646\n"), 0o644)
	unlock, err = lockDir(dir)
	if err != nil {
		t.Fatalf("stale lock: %v", err)
	}
	unlock()
}

package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nflowjs/nflowjs/internal/atomicfile"
)

// DoneFile is the marker a finished step leaves in its directory.
const DoneFile = "DONE"

// LogFile receives a step's stderr (and stdout unless Step.Stdout is set).
const LogFile = "log.txt"

// CommandChecker reports whether this build of nflowjs can run args (a
// step's command line in placeholder form). The nflowjs command implements
// it by walking its cobra tree: a missing subcommand or flag is a
// *MissingCommandError.
type CommandChecker func(args []string) error

// MissingCommandError says that a step needs a subcommand (or a flag of one)
// that this build of nflowjs does not have.
type MissingCommandError struct {
	Step    string // the step that needs it
	Command string // e.g. "nflowjs train joint"
	Flag    string // set when the command exists but lacks this flag
}

func (e *MissingCommandError) Error() string {
	if e.Flag != "" {
		return fmt.Sprintf("experiment: step %s needs flag --%s of `%s`, which this build does not have", e.Step, e.Flag, e.Command)
	}
	return fmt.Sprintf("experiment: step %s needs `%s`, which this build of nflowjs does not have yet", e.Step, e.Command)
}

// Status is the outcome of one step in a run.
type Status string

// Step outcomes.
const (
	StatusCached  Status = "cached"  // DONE marker found; not run again
	StatusRan     Status = "ran"     // ran from scratch and succeeded
	StatusResumed Status = "resumed" // continued a killed run and succeeded
	StatusFailed  Status = "failed"  // exited with an error
	StatusMissing Status = "missing" // the build lacks its command (SkipMissing)
	StatusBlocked Status = "blocked" // a dependency failed or is missing
	StatusPending Status = "pending" // not reached (run cancelled)
)

// StepResult records what happened to one step.
type StepResult struct {
	Name string
	Key  string
	// Dir is the step directory: the DONE marker, log.txt and the
	// captured stdout live here; the command's own output directory
	// ({out}) is Dir/out, which the command owns entirely.
	Dir      string
	Status   Status
	Seconds  float64 // wall time of this run's attempt (0 when cached)
	Err      error   // for failed, missing and blocked steps
	Step     *Step
	Finished *DoneInfo // the DONE marker's content, when finished
	forced   bool      // selected by Runner.Rerun (or downstream of one)
}

// OK reports whether the step's outputs exist.
func (r *StepResult) OK() bool {
	return r.Status == StatusCached || r.Status == StatusRan || r.Status == StatusResumed
}

// DoneInfo is the JSON content of a DONE marker.
type DoneInfo struct {
	Key      string    `json:"key"`
	Args     []string  `json:"args"`
	Finished time.Time `json:"finished"`
	Seconds  float64   `json:"seconds"` // wall time of the attempt that finished
	Resumed  bool      `json:"resumed"`
	// TotalSeconds adds the wall time of the earlier, interrupted attempts
	// a resumed step continued (0 in markers written before it existed).
	TotalSeconds float64 `json:"total_seconds,omitempty"`
}

// Total is the step's wall time over all its attempts.
func (d *DoneInfo) Total() float64 { return max(d.TotalSeconds, d.Seconds) }

// elapsedFile accumulates a step's wall time over interrupted attempts, so
// a resumed step's cost is not under-reported.
const elapsedFile = "ELAPSED"

func readElapsed(dir string) float64 {
	b, err := os.ReadFile(filepath.Join(dir, elapsedFile))
	if err != nil {
		return 0
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
	if err != nil || v < 0 {
		return 0
	}
	return v
}

// Summary is the outcome of Runner.Run, in execution order.
type Summary struct {
	Steps []*StepResult
}

// Get returns the result of the named step, or nil.
func (s *Summary) Get(name string) *StepResult {
	for _, r := range s.Steps {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Event is passed to Runner.OnStep before (Done false) and after (Done
// true) each step.
type Event struct {
	Index, Total int
	Result       *StepResult
	Done         bool
}

// Runner executes plans.
type Runner struct {
	// Exe is the nflowjs binary run for each step (os.Executable()).
	Exe string
	// Env holds extra KEY=VALUE environment entries for the steps.
	Env []string
	// Dir is the report directory; steps live in Dir/steps.
	Dir string
	// Check validates command lines before anything runs (nil: no check).
	Check CommandChecker
	// SkipMissing runs what the build can run instead of failing when a
	// step's command is missing.
	SkipMissing bool
	// Log receives one line per step (nil: discarded).
	Log io.Writer
	// Passthrough, if set, also receives the steps' stderr live, so their
	// progress bars are visible.
	Passthrough io.Writer
	// OnStep is called around every step (e.g. to drive a progress bar).
	OnStep func(Event)
	// Rerun, if set, selects finished steps to run again from scratch.
	// The cache key covers a step's command line, not the nflowjs binary,
	// so after a command's defaults or code change the affected steps
	// are re-run this way (their dependents re-run too).
	Rerun func(name string) bool
	// ReportOnly runs nothing: Run only finds the finished steps (the
	// others stay pending), so a report can be written while another
	// process is still running the plan. It takes no lock.
	ReportOnly bool
}

func (r *Runner) logf(format string, a ...any) {
	if r.Log != nil {
		fmt.Fprintf(r.Log, format+"\n", a...)
	}
}

// OutDir is the name of the command's output directory ({out}) inside a
// step directory.
const OutDir = "out"

// Out returns the command's output directory of a step directory.
func Out(stepDir string) string { return filepath.Join(stepDir, OutDir) }

// Out is the step's {out} directory.
func (r *StepResult) Out() string { return Out(r.Dir) }

// Dirs returns the step directory of every step of p under r.Dir, whether
// or not it has run, and the steps' keys.
func (r *Runner) Dirs(p *Plan) (map[string]string, map[string]string, error) {
	keys, err := p.Keys()
	if err != nil {
		return nil, nil, err
	}
	dirs := make(map[string]string, len(keys))
	for name, key := range keys {
		dirs[name] = filepath.Join(r.Dir, "steps", stepDirName(name, key))
	}
	return dirs, keys, nil
}

// Run executes the plan's unfinished steps in dependency order. A failed
// step blocks its dependents but not independent steps; the returned
// Summary is complete either way, and the error lists every failure. A
// cancelled context kills the running step (which a later Run resumes).
func (r *Runner) Run(ctx context.Context, p *Plan) (*Summary, error) {
	if r.Exe == "" {
		return nil, errors.New("experiment: Runner.Exe is empty")
	}
	order, err := p.Order()
	if err != nil {
		return nil, err
	}
	if !r.ReportOnly {
		unlock, err := lockDir(r.Dir)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	dirs, keys, err := r.Dirs(p)
	if err != nil {
		return nil, err
	}
	sum := &Summary{}
	res := map[string]*StepResult{}
	for _, s := range order {
		sr := &StepResult{Name: s.Name, Key: keys[s.Name], Dir: dirs[s.Name], Status: StatusPending, Step: s}
		forced := r.Rerun != nil && r.Rerun(s.Name)
		for _, d := range s.Deps() {
			forced = forced || res[d].forced
		}
		sr.forced = forced
		if info, err := ReadDone(sr.Dir); err == nil && info.Key == sr.Key && !forced {
			sr.Status, sr.Finished = StatusCached, info
		}
		sum.Steps = append(sum.Steps, sr)
		res[s.Name] = sr
	}
	if r.ReportOnly {
		return sum, nil
	}

	// Preflight: check every command that still has to run.
	var missing []error
	for _, sr := range sum.Steps {
		if sr.Status == StatusCached || r.Check == nil {
			continue
		}
		if err := r.Check(sr.Step.Args); err != nil {
			var me *MissingCommandError
			if errors.As(err, &me) {
				me.Step = sr.Name
			}
			sr.Status, sr.Err = StatusMissing, err
			if !sr.Step.Optional {
				missing = append(missing, err)
			} else {
				r.logf("%s: skipped (optional): %v", sr.Name, err)
			}
		}
	}
	if len(missing) > 0 && !r.SkipMissing {
		return sum, fmt.Errorf("experiment: %d step(s) cannot run with this build (use --skip-missing to run the rest):\n  %w",
			len(missing), joinLines(missing))
	}

	var failures []error
	for i, sr := range sum.Steps {
		if sr.Status != StatusPending {
			continue
		}
		if err := ctx.Err(); err != nil {
			return sum, fmt.Errorf("experiment: interrupted before step %s: %w", sr.Name, err)
		}
		blocked := ""
		for _, d := range sr.Step.Deps() {
			if !res[d].OK() {
				blocked = d
				break
			}
		}
		if blocked != "" {
			sr.Status = StatusBlocked
			sr.Err = fmt.Errorf("experiment: step %s not run: its input %s is %s", sr.Name, blocked, res[blocked].Status)
			r.logf("[%d/%d] %s: blocked (%s is %s)", i+1, len(sum.Steps), sr.Name, blocked, res[blocked].Status)
			continue
		}
		if r.OnStep != nil {
			r.OnStep(Event{Index: i, Total: len(sum.Steps), Result: sr})
		}
		r.logf("[%d/%d] %s: running", i+1, len(sum.Steps), sr.Name)
		err := r.runStep(ctx, sr, dirs)
		if r.OnStep != nil {
			r.OnStep(Event{Index: i, Total: len(sum.Steps), Result: sr, Done: true})
		}
		if err != nil {
			if ctx.Err() != nil {
				sr.Status, sr.Err = StatusPending, err
				return sum, fmt.Errorf("experiment: interrupted during step %s (re-run to resume): %w", sr.Name, ctx.Err())
			}
			sr.Status, sr.Err = StatusFailed, err
			failures = append(failures, err)
			r.logf("[%d/%d] %s: FAILED after %.1fs", i+1, len(sum.Steps), sr.Name, sr.Seconds)
			continue
		}
		r.logf("[%d/%d] %s: %s in %.1fs", i+1, len(sum.Steps), sr.Name, sr.Status, sr.Seconds)
	}
	if len(failures) > 0 {
		return sum, fmt.Errorf("experiment: %d step(s) failed:\n  %w", len(failures), joinLines(failures))
	}
	return sum, nil
}

// joinLines joins errors one per line (indented), keeping them unwrappable.
func joinLines(errs []error) error {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = strings.ReplaceAll(e.Error(), "\n", "\n  ")
	}
	return &multiError{msg: strings.Join(msgs, "\n  "), errs: errs}
}

type multiError struct {
	msg  string
	errs []error
}

func (m *multiError) Error() string   { return m.msg }
func (m *multiError) Unwrap() []error { return m.errs }

// runStep prepares the step directory and runs one command.
func (r *Runner) runStep(ctx context.Context, sr *StepResult, dirs map[string]string) error {
	s := sr.Step
	outs := make(map[string]string, len(dirs))
	for name, d := range dirs {
		outs[name] = Out(d)
	}
	args, err := resolve(s.Args, sr.Out(), outs)
	if err != nil {
		return err
	}
	resumed := false
	if _, err := os.Stat(sr.Dir); err == nil {
		if !sr.forced && s.Resume.Flag != "" && s.Resume.Marker != "" && fileExists(filepath.Join(sr.Out(), s.Resume.Marker)) {
			args = append(args, s.Resume.Flag)
			resumed = true
		} else if err := os.RemoveAll(sr.Dir); err != nil {
			return fmt.Errorf("experiment: step %s: clearing unfinished directory: %w", s.Name, err)
		}
	}
	if err := os.MkdirAll(sr.Dir, 0o755); err != nil {
		return fmt.Errorf("experiment: step %s: %w", s.Name, err)
	}
	// A resumed step's directory may hold temporaries of the killed run
	// (its captured stdout, interrupted writes): garbage now.
	if err := atomicfile.RemoveTemps(sr.Dir); err != nil {
		return fmt.Errorf("experiment: step %s: %w", s.Name, err)
	}
	if s.CopyFrom != "" && !resumed {
		if err := os.MkdirAll(sr.Out(), 0o755); err != nil {
			return fmt.Errorf("experiment: step %s: %w", s.Name, err)
		}
		if err := copyFiles(outs[s.CopyFrom], sr.Out(), s.CopyFiles); err != nil {
			return fmt.Errorf("experiment: step %s: copying from %s: %w", s.Name, s.CopyFrom, err)
		}
	}
	logf, err := os.OpenFile(filepath.Join(sr.Dir, LogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("experiment: step %s: %w", s.Name, err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "=== %s nflowjs %s\n", time.Now().UTC().Format(time.RFC3339), strings.Join(args, " "))

	cmd := exec.CommandContext(ctx, r.Exe, args...)
	cmd.Env = append(os.Environ(), r.Env...)
	cmd.Dir = r.Dir
	var stderr io.Writer = logf
	if r.Passthrough != nil {
		stderr = io.MultiWriter(logf, r.Passthrough)
	}
	cmd.Stderr = stderr
	var outTmp *os.File
	if s.Stdout != "" {
		outTmp, err = os.CreateTemp(sr.Dir, ".stdout.tmp-*") // removed with the temporaries on resume
		if err != nil {
			return fmt.Errorf("experiment: step %s: %w", s.Name, err)
		}
		defer os.Remove(outTmp.Name())
		defer outTmp.Close()
		cmd.Stdout = outTmp
	} else {
		cmd.Stdout = logf
	}
	prev := 0.0
	if resumed {
		prev = readElapsed(sr.Dir)
	}
	start := time.Now()
	err = cmd.Run()
	sr.Seconds = time.Since(start).Seconds()
	total := prev + sr.Seconds
	// Best effort: only the accounting of a later resume depends on it.
	_ = atomicfile.WriteFile(filepath.Join(sr.Dir, elapsedFile), []byte(strconv.FormatFloat(total, 'f', 3, 64)+"\n"))
	if err != nil {
		return fmt.Errorf("experiment: step %s: `nflowjs %s` failed: %w\n%s", s.Name, strings.Join(args, " "), err,
			indent(tail(filepath.Join(sr.Dir, LogFile), 1500)))
	}
	if outTmp != nil {
		if err := outTmp.Close(); err != nil {
			return fmt.Errorf("experiment: step %s: %w", s.Name, err)
		}
		if err := os.Rename(outTmp.Name(), filepath.Join(sr.Dir, s.Stdout)); err != nil {
			return fmt.Errorf("experiment: step %s: %w", s.Name, err)
		}
	}
	info := &DoneInfo{Key: sr.Key, Args: args, Finished: time.Now().UTC(), Seconds: sr.Seconds, Resumed: resumed, TotalSeconds: total}
	if err := writeDone(sr.Dir, info); err != nil {
		return fmt.Errorf("experiment: step %s: %w", s.Name, err)
	}
	sr.Finished = info
	sr.Status = StatusRan
	if resumed {
		sr.Status = StatusResumed
	}
	return nil
}

// ReadDone reads the DONE marker of a step directory.
func ReadDone(dir string) (*DoneInfo, error) {
	b, err := os.ReadFile(filepath.Join(dir, DoneFile))
	if err != nil {
		return nil, err
	}
	var info DoneInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("experiment: %s: %w", filepath.Join(dir, DoneFile), err)
	}
	return &info, nil
}

func writeDone(dir string, info *DoneInfo) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, DoneFile), append(b, '\n'))
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// copyFiles copies the regular top-level files of src whose names match one
// of patterns (filepath.Match syntax) into dst.
func copyFiles(src, dst string, patterns []string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	n := 0
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		match := false
		for _, p := range patterns {
			if ok, _ := filepath.Match(p, e.Name()); ok {
				match = true
			}
		}
		if !match {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(filepath.Join(dst, e.Name()), b); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("no file in %s matches %v", src, patterns)
	}
	return nil
}

// tail returns at most n bytes from the end of a file.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	off := st.Size() - n
	if off < 0 {
		off = 0
	}
	b := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(b, off); err != nil && err != io.EOF {
		return ""
	}
	// Progress bars redraw with carriage returns; keep the last state.
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if j := strings.LastIndexByte(strings.TrimRight(l, "\r"), '\r'); j >= 0 {
			lines[i] = l[j+1:]
		}
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func indent(s string) string {
	if s == "" {
		return "  (no output)"
	}
	return "  | " + strings.ReplaceAll(s, "\n", "\n  | ")
}

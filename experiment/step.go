package experiment

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Version is mixed into every cache key: bump it when the meaning of a step
// changes in a way its command line does not show, so old results are not
// reused.
const Version = "experiment/v1"

// Placeholders recognised in Step.Args.
const (
	// OutPlaceholder is replaced by the step's own output directory.
	OutPlaceholder = "{out}"
)

// depRef matches {dep:NAME}; NAME is a step name.
var depRef = regexp.MustCompile(`\{dep:([A-Za-z0-9_.\-]+)\}`)

// validName restricts step names to characters safe in directory names.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.\-]*$`)

// Resume says how a step continues after its process was killed.
type Resume struct {
	// Flag is appended to the command line (e.g. "--resume") when the step
	// directory exists without a DONE marker and Marker exists inside it.
	Flag string
	// Marker is the checkpoint file (relative to the step directory) whose
	// presence means the run can continue, e.g. "state.safetensors".
	Marker string
}

// Step is one command of a plan.
type Step struct {
	// Name identifies the step in the plan, logs and report
	// (e.g. "train-closed-road").
	Name string
	// Args are the nflowjs arguments, e.g. {"train", "closed", "--out",
	// "{out}", "--data", "{dep:data-road}"}. A token may embed a
	// placeholder ("{dep:data-road}/test").
	Args []string
	// After lists steps that must finish first although Args does not
	// reference them.
	After []string
	// Stdout, if set, is the file (in the step directory) that receives the
	// command's standard output, written atomically on success; eval steps
	// use it for their JSON. Otherwise stdout goes to the step's log.
	Stdout string
	// CopyFrom names a step whose top-level files matching CopyFiles are
	// copied into this step's directory before the command runs, so a step
	// that edits a model in place (calibrate) never touches another step's
	// cached output.
	CopyFrom  string
	CopyFiles []string
	// Resume enables continuing a killed run; the zero value restarts.
	Resume Resume
	// Optional steps whose command this build lacks are skipped (reported
	// as missing) instead of failing the preflight: e.g. qualitative
	// predictions when `nflowjs predict` is not built.
	Optional bool
	// Meta is free-form information for the report (dataset, method,
	// seed...). It is not part of the cache key.
	Meta map[string]string
}

// Deps returns the names of the steps this step needs, sorted and unique.
func (s *Step) Deps() []string {
	set := map[string]bool{}
	for _, a := range s.Args {
		for _, m := range depRef.FindAllStringSubmatch(a, -1) {
			set[m[1]] = true
		}
	}
	for _, d := range s.After {
		set[d] = true
	}
	if s.CopyFrom != "" {
		set[s.CopyFrom] = true
	}
	out := make([]string, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// Plan is an ordered set of steps; Run executes them in a dependency order
// that keeps the plan's order where it can.
type Plan struct {
	Name  string
	Steps []*Step
}

// Step returns the step called name, or nil.
func (p *Plan) Step(name string) *Step {
	for _, s := range p.Steps {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Add appends steps to the plan and returns the first one (for chaining in
// plan builders).
func (p *Plan) Add(steps ...*Step) *Step {
	p.Steps = append(p.Steps, steps...)
	if len(steps) == 0 {
		return nil
	}
	return steps[0]
}

// Order validates the plan (unique valid names, known dependencies, no
// cycles) and returns its steps in dependency order.
func (p *Plan) Order() ([]*Step, error) {
	byName := map[string]*Step{}
	for _, s := range p.Steps {
		if !validName.MatchString(s.Name) {
			return nil, fmt.Errorf("experiment: invalid step name %q", s.Name)
		}
		if byName[s.Name] != nil {
			return nil, fmt.Errorf("experiment: duplicate step name %q", s.Name)
		}
		if len(s.Args) == 0 {
			return nil, fmt.Errorf("experiment: step %s has no command", s.Name)
		}
		byName[s.Name] = s
	}
	const (
		unseen = iota
		visiting
		done
	)
	state := map[string]int{}
	var order []*Step
	var visit func(s *Step, path []string) error
	visit = func(s *Step, path []string) error {
		switch state[s.Name] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("experiment: dependency cycle %s -> %s", strings.Join(path, " -> "), s.Name)
		}
		state[s.Name] = visiting
		for _, d := range s.Deps() {
			dep := byName[d]
			if dep == nil {
				return fmt.Errorf("experiment: step %s depends on unknown step %q", s.Name, d)
			}
			if err := visit(dep, append(path, s.Name)); err != nil {
				return err
			}
		}
		state[s.Name] = done
		order = append(order, s)
		return nil
	}
	for _, s := range p.Steps {
		if err := visit(s, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// Keys computes every step's cache key: SHA-256 (hex) over Version, the
// step's command line in placeholder form, its Stdout/CopyFrom/Resume
// options, and the keys of its dependencies. Output paths never enter the
// key, so a report directory can be moved without invalidating it.
func (p *Plan) Keys() (map[string]string, error) {
	order, err := p.Order()
	if err != nil {
		return nil, err
	}
	keys := make(map[string]string, len(order))
	for _, s := range order {
		h := sha256.New()
		w := func(parts ...string) {
			for _, x := range parts {
				fmt.Fprintf(h, "%d:%s;", len(x), x)
			}
		}
		w(Version, "args")
		w(s.Args...)
		w("stdout", s.Stdout, "copy", s.CopyFrom)
		w(s.CopyFiles...)
		w("resume", s.Resume.Flag, s.Resume.Marker, "deps")
		for _, d := range s.Deps() {
			w(d, keys[d])
		}
		keys[s.Name] = hex.EncodeToString(h.Sum(nil))
	}
	return keys, nil
}

// stepDirName is the directory of a step under REPORT_DIR/steps.
func stepDirName(name, key string) string { return name + "-" + key[:12] }

// resolve substitutes the placeholders of args.
func resolve(args []string, out string, depDirs map[string]string) ([]string, error) {
	res := make([]string, len(args))
	for i, a := range args {
		var missing string
		a = depRef.ReplaceAllStringFunc(a, func(m string) string {
			name := depRef.FindStringSubmatch(m)[1]
			d, ok := depDirs[name]
			if !ok {
				missing = name
			}
			return d
		})
		if missing != "" {
			return nil, fmt.Errorf("experiment: no output directory for dependency %q", missing)
		}
		res[i] = strings.ReplaceAll(a, OutPlaceholder, out)
	}
	return res, nil
}

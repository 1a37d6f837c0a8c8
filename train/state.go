package train

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/nflowjs/nflowjs/checkpoint"
	"github.com/nflowjs/nflowjs/optim"
	"github.com/nflowjs/nflowjs/tensor"
)

// StateFile is the name of the resumable training state in a run
// directory.
const StateFile = "state.safetensors"

// State is a resumable training checkpoint: named groups of tensors
// ("model", "optim", "flow", ...) and string metadata (epoch, step, seed,
// serialised random generators, optimizer step counters). SaveState
// stores tensor "name" of group "g" as "g/name" in one safetensors file.
type State struct {
	Groups map[string]map[string]*tensor.Tensor
	Meta   map[string]string
}

// Metadata keys written by the trainers of this package.
const (
	MetaEpoch       = "train.epoch" // completed epochs
	MetaStep        = "train.step"  // completed optimizer steps
	MetaSeed        = "train.seed"
	MetaConfig      = "train.config"      // JSON of the training configuration
	MetaDropoutRNG  = "train.rng.dropout" // EncodeRNG of the dropout generator
	groupSeparator  = "/"
	optimGroupName  = "optim"
	modelGroupName  = "model"
	optimStepPrefix = "optim.step."
)

// SaveState writes s to path atomically (package checkpoint writes a
// temporary file and renames it), so a run killed at any moment leaves
// either the previous state or the new one.
func SaveState(path string, s State) error {
	all := map[string]*tensor.Tensor{}
	for g, ts := range s.Groups {
		if g == "" || strings.Contains(g, groupSeparator) {
			return fmt.Errorf("train: state group name %q must be non-empty without %q", g, groupSeparator)
		}
		for name, t := range ts {
			all[g+groupSeparator+name] = t
		}
	}
	if err := checkpoint.Save(path, all, s.Meta); err != nil {
		return fmt.Errorf("train: saving state: %w", err)
	}
	return nil
}

// LoadState reads a file written by SaveState.
func LoadState(path string) (State, error) {
	all, meta, err := checkpoint.Load(path)
	if err != nil {
		return State{}, fmt.Errorf("train: loading state: %w", err)
	}
	s := State{Groups: map[string]map[string]*tensor.Tensor{}, Meta: meta}
	for k, t := range all {
		g, name, ok := strings.Cut(k, groupSeparator)
		if !ok {
			return State{}, fmt.Errorf("train: %s: tensor %q belongs to no group (not a training state?)", path, k)
		}
		if s.Groups[g] == nil {
			s.Groups[g] = map[string]*tensor.Tensor{}
		}
		s.Groups[g][name] = t
	}
	return s, nil
}

// PutOptimizer stores an optimizer's state in s under group "optim" and
// its step counters in the metadata.
func (s *State) PutOptimizer(opt optim.Optimizer) {
	s.putOptimizer(optimGroupName, "", opt)
}

// RestoreOptimizer loads the optimizer state stored by PutOptimizer.
func (s *State) RestoreOptimizer(opt optim.Optimizer) error {
	return s.restoreOptimizer(optimGroupName, "", opt)
}

// PutOptimizerGroup stores an optimizer's state under the given group and
// its step counters in the metadata with the prefix group+"/", so that one
// state can hold several optimizers (the joint trainer's classifier and
// flow optimizers).
func (s *State) PutOptimizerGroup(group string, opt optim.Optimizer) {
	s.putOptimizer(group, group+groupSeparator, opt)
}

// RestoreOptimizerGroup loads the optimizer state stored by
// PutOptimizerGroup under group.
func (s *State) RestoreOptimizerGroup(group string, opt optim.Optimizer) error {
	return s.restoreOptimizer(group, group+groupSeparator, opt)
}

func (s *State) putOptimizer(group, metaPrefix string, opt optim.Optimizer) {
	st := opt.State()
	if s.Groups == nil {
		s.Groups = map[string]map[string]*tensor.Tensor{}
	}
	if s.Meta == nil {
		s.Meta = map[string]string{}
	}
	s.Groups[group] = st.Tensors
	for k, v := range st.StepsMeta() {
		s.Meta[metaPrefix+k] = v
	}
}

func (s *State) restoreOptimizer(group, metaPrefix string, opt optim.Optimizer) error {
	meta := s.Meta
	if metaPrefix != "" {
		meta = map[string]string{}
		for k, v := range s.Meta {
			if rest, ok := strings.CutPrefix(k, metaPrefix); ok {
				meta[rest] = v
			}
		}
	}
	steps, err := optim.ParseStepsMeta(meta)
	if err != nil {
		return fmt.Errorf("train: optimizer step counters: %w", err)
	}
	ts := s.Groups[group]
	if ts == nil {
		ts = map[string]*tensor.Tensor{}
	}
	if err := opt.LoadState(optim.State{Tensors: ts, Steps: steps}); err != nil {
		return fmt.Errorf("train: optimizer state: %w", err)
	}
	return nil
}

// EncodeRNG serialises a PCG generator's state (for State.Meta).
func EncodeRNG(p *rand.PCG) (string, error) {
	b, err := p.MarshalBinary()
	if err != nil {
		return "", fmt.Errorf("train: encoding rng: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// DecodeRNG restores a generator serialised by EncodeRNG.
func DecodeRNG(s string) (*rand.PCG, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("train: decoding rng: %w", err)
	}
	p := rand.NewPCG(0, 0)
	if err := p.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("train: decoding rng: %w", err)
	}
	return p, nil
}

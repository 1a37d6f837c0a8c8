package joint

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nflowjs/nflowjs/checkpoint"
	"github.com/nflowjs/nflowjs/models/flow"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/optim"
	"github.com/nflowjs/nflowjs/tensor"
)

// Prefixes of the entries of RUN/state.safetensors: the classifier's state
// dict, the flow's, and the two optimizers' buffers; step counters of the
// optimizers go to the metadata under the same prefixes.
const (
	statePrefixModel     = "model/"
	statePrefixFlow      = "flow/"
	statePrefixOptim     = "optim/"
	statePrefixFlowOptim = "flowoptim/"
	stateMetaStep        = "joint.step"
	stateMetaConfig      = "joint.config"
)

// trainState is what --resume restores: both models, both optimizers and
// the step counter (all randomness is derived from the seed and the step,
// so no generator state needs saving).
type trainState struct {
	clf     nn.Module
	fl      *flow.Flow // nil without a flow
	clfOpt  optim.Optimizer
	flowOpt optim.Optimizer // nil unless the flow trains
}

// save writes the state after `step` completed steps atomically.
func (s *trainState) save(path string, step int, configJSON string) error {
	tensors := map[string]*tensor.Tensor{}
	meta := map[string]string{stateMetaStep: strconv.Itoa(step), stateMetaConfig: configJSON}
	for k, v := range nn.StateDict(s.clf) {
		tensors[statePrefixModel+k] = v
	}
	if s.fl != nil {
		for k, v := range s.fl.StateDict() {
			tensors[statePrefixFlow+k] = v
		}
	}
	addOpt := func(o optim.Optimizer, prefix string) {
		if o == nil {
			return
		}
		st := o.State()
		for k, v := range st.Tensors {
			tensors[prefix+k] = v
		}
		for k, v := range st.StepsMeta() {
			meta[prefix+k] = v
		}
	}
	addOpt(s.clfOpt, statePrefixOptim)
	addOpt(s.flowOpt, statePrefixFlowOptim)
	return checkpoint.Save(path, tensors, meta)
}

// load restores the state saved by save and returns the step count and
// the configuration JSON it was saved with.
func (s *trainState) load(path string) (step int, configJSON string, err error) {
	tensors, meta, err := checkpoint.Load(path)
	if err != nil {
		return 0, "", err
	}
	step, err = strconv.Atoi(meta[stateMetaStep])
	if err != nil || step < 0 {
		return 0, "", fmt.Errorf("%w: %s: bad %q metadata %q", ErrConfig, path, stateMetaStep, meta[stateMetaStep])
	}
	part := func(prefix string) map[string]*tensor.Tensor {
		out := map[string]*tensor.Tensor{}
		for k, v := range tensors {
			if rest, ok := strings.CutPrefix(k, prefix); ok {
				out[rest] = v
			}
		}
		return out
	}
	metaPart := func(prefix string) map[string]string {
		out := map[string]string{}
		for k, v := range meta {
			if rest, ok := strings.CutPrefix(k, prefix); ok {
				out[rest] = v
			}
		}
		return out
	}
	if err := nn.LoadStateDict(s.clf, part(statePrefixModel)); err != nil {
		return 0, "", fmt.Errorf("%s: classifier: %w", path, err)
	}
	if s.fl != nil {
		sd := part(statePrefixFlow)
		if len(sd) == 0 {
			return 0, "", fmt.Errorf("%w: %s holds no flow state", ErrConfig, path)
		}
		if err := s.fl.LoadStateDict(sd); err != nil {
			return 0, "", fmt.Errorf("%s: flow: %w", path, err)
		}
	}
	loadOpt := func(o optim.Optimizer, prefix, what string) error {
		if o == nil {
			return nil
		}
		steps, err := optim.ParseStepsMeta(metaPart(prefix))
		if err != nil {
			return err
		}
		st := optim.State{Tensors: part(prefix), Steps: steps}
		if err := o.LoadState(st); err != nil {
			return fmt.Errorf("%s: %s optimizer: %w", path, what, err)
		}
		return nil
	}
	if err := loadOpt(s.clfOpt, statePrefixOptim, "classifier"); err != nil {
		return 0, "", err
	}
	if err := loadOpt(s.flowOpt, statePrefixFlowOptim, "flow"); err != nil {
		return 0, "", err
	}
	return step, meta[stateMetaConfig], nil
}

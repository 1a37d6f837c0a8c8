package joint

import (
	"fmt"
	"strconv"

	"github.com/nflowjs/nflowjs/models/flow"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/optim"
	"github.com/nflowjs/nflowjs/tensor"
	"github.com/nflowjs/nflowjs/train"
)

// Groups of RUN/state.safetensors (a train.State): the classifier's state
// dict, the flow's, and the two optimizers' buffers; step counters of the
// optimizers go to the metadata under the optimizers' group names
// (train.State.PutOptimizerGroup).
const (
	stateGroupModel     = "model"
	stateGroupFlow      = "flow"
	stateGroupOptim     = "optim"
	stateGroupFlowOptim = "flowoptim"
	stateMetaStep       = "joint.step"
	stateMetaConfig     = "joint.config"
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
	st := train.State{
		Groups: map[string]map[string]*tensor.Tensor{stateGroupModel: nn.StateDict(s.clf)},
		Meta:   map[string]string{stateMetaStep: strconv.Itoa(step), stateMetaConfig: configJSON},
	}
	if s.fl != nil {
		st.Groups[stateGroupFlow] = s.fl.StateDict()
	}
	if s.clfOpt != nil {
		st.PutOptimizerGroup(stateGroupOptim, s.clfOpt)
	}
	if s.flowOpt != nil {
		st.PutOptimizerGroup(stateGroupFlowOptim, s.flowOpt)
	}
	return train.SaveState(path, st)
}

// load restores the state saved by save and returns the step count and
// the configuration JSON it was saved with.
func (s *trainState) load(path string) (step int, configJSON string, err error) {
	st, err := train.LoadState(path)
	if err != nil {
		return 0, "", err
	}
	step, err = strconv.Atoi(st.Meta[stateMetaStep])
	if err != nil || step < 0 {
		return 0, "", fmt.Errorf("%w: %s: bad %q metadata %q", ErrConfig, path, stateMetaStep, st.Meta[stateMetaStep])
	}
	model := st.Groups[stateGroupModel]
	if model == nil {
		model = map[string]*tensor.Tensor{}
	}
	if err := nn.LoadStateDict(s.clf, model); err != nil {
		return 0, "", fmt.Errorf("%s: classifier: %w", path, err)
	}
	if s.fl != nil {
		sd := st.Groups[stateGroupFlow]
		if len(sd) == 0 {
			return 0, "", fmt.Errorf("%w: %s holds no flow state", ErrConfig, path)
		}
		if err := s.fl.LoadStateDict(sd); err != nil {
			return 0, "", fmt.Errorf("%s: flow: %w", path, err)
		}
	}
	if s.clfOpt != nil {
		if err := st.RestoreOptimizerGroup(stateGroupOptim, s.clfOpt); err != nil {
			return 0, "", fmt.Errorf("%s: classifier optimizer: %w", path, err)
		}
	}
	if s.flowOpt != nil {
		if err := st.RestoreOptimizerGroup(stateGroupFlowOptim, s.flowOpt); err != nil {
			return 0, "", fmt.Errorf("%s: flow optimizer: %w", path, err)
		}
	}
	return step, st.Meta[stateMetaConfig], nil
}

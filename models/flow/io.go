package flow

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/checkpoint"
	"github.com/nflowjs/nflowjs/tensor"
)

// MetaConfig is the safetensors metadata key holding the flow's Config as
// JSON, so that a checkpoint alone is enough to rebuild the model.
const MetaConfig = "flow.config"

// MetaCrop is the metadata key of the square crop side a flow was
// pre-trained on (written by `nflowjs train flow`).
const MetaCrop = "crop"

// Save writes the flow's state dict and configuration to a safetensors file
// atomically (package checkpoint). Extra metadata may be nil; it must not
// use the key MetaConfig.
func (f *Flow) Save(path string, meta map[string]string) error {
	m, err := f.Meta(meta)
	if err != nil {
		return err
	}
	return checkpoint.Save(path, f.StateDict(), m)
}

// Meta returns extra with the flow's configuration added under MetaConfig:
// the metadata that, with StateDict, rebuilds the flow (FromState).
func (f *Flow) Meta(extra map[string]string) (map[string]string, error) {
	cfg, err := json.Marshal(f.cfg)
	if err != nil {
		return nil, fmt.Errorf("flow: encoding config: %w", err)
	}
	m := map[string]string{MetaConfig: string(cfg)}
	for k, v := range extra {
		if k == MetaConfig {
			return nil, fmt.Errorf("%w: metadata key %q is reserved", ErrConfig, k)
		}
		m[k] = v
	}
	return m, nil
}

// Load rebuilds a flow from a file written by Save and returns it with the
// file's metadata.
func Load(path string) (*Flow, map[string]string, error) {
	sd, meta, err := checkpoint.Load(path)
	if err != nil {
		return nil, nil, err
	}
	f, err := FromState(sd, meta)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, meta, nil
}

// FromState rebuilds a flow from its state dict and metadata holding
// MetaConfig (as Meta writes it), e.g. when both are part of a larger
// checkpoint.
func FromState(sd map[string]*tensor.Tensor, meta map[string]string) (*Flow, error) {
	raw, ok := meta[MetaConfig]
	if !ok {
		return nil, fmt.Errorf("%w: no %q metadata (not a flow checkpoint?)", ErrConfig, MetaConfig)
	}
	var cfg Config
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return nil, fmt.Errorf("%w: config metadata: %v", ErrConfig, err)
	}
	// The seed does not matter: every parameter is overwritten.
	f, err := New(cfg, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	if err := f.LoadStateDict(sd); err != nil {
		return nil, err
	}
	return f, nil
}

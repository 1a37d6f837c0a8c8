package flow

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/checkpoint"
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
	cfg, err := json.Marshal(f.cfg)
	if err != nil {
		return fmt.Errorf("flow: encoding config: %w", err)
	}
	m := map[string]string{MetaConfig: string(cfg)}
	for k, v := range meta {
		if k == MetaConfig {
			return fmt.Errorf("%w: metadata key %q is reserved", ErrConfig, k)
		}
		m[k] = v
	}
	return checkpoint.Save(path, f.StateDict(), m)
}

// Load rebuilds a flow from a file written by Save and returns it with the
// file's metadata.
func Load(path string) (*Flow, map[string]string, error) {
	sd, meta, err := checkpoint.Load(path)
	if err != nil {
		return nil, nil, err
	}
	raw, ok := meta[MetaConfig]
	if !ok {
		return nil, nil, fmt.Errorf("%w: %s has no %q metadata (not a flow checkpoint?)", ErrConfig, path, MetaConfig)
	}
	var cfg Config
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: config metadata: %v", ErrConfig, path, err)
	}
	// The seed does not matter: every parameter is overwritten.
	f, err := New(cfg, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := f.LoadStateDict(sd); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, meta, nil
}

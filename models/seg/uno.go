package seg

import (
	"fmt"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

// WithNegativeClass returns a copy of m with a UNO head (Config.Head =
// HeadUNO): every weight is m's, and the classifier gains a (K+1)-th
// output, the negative class, whose weights and bias start at zero. This
// is how the UNO authors extend a closed-set model before fine-tuning it
// on pasted negatives (finetune_UNO_synthetic.py in
// matejgrcic/Open-set-M2F inserts a zero row into the class embedding and
// its bias), so the new model's inlier logits equal m's and its negative
// logit is 0 everywhere until training moves it. A model that already has
// the head is returned as is. The copy starts in m's train/eval mode.
func WithNegativeClass(m *Model) (*Model, error) {
	if m.HasNegativeClass() {
		return m, nil
	}
	cfg := m.Config()
	cfg.Head = HeadUNO
	out, err := New(cfg, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	old := nn.StateDict(m)
	sd := map[string]*tensor.Tensor{}
	k := cfg.NumClasses
	for name, t := range nn.StateDict(out) {
		src, ok := old[name]
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: %s has no %q", ErrConfig, cfg.Arch, name)
		case tensor.ShapeEqual(src.Shape, t.Shape):
			sd[name] = src
		case len(src.Shape) == len(t.Shape) && src.Shape[0] == k && t.Shape[0] == k+1 && tensor.ShapeEqual(src.Shape[1:], t.Shape[1:]):
			// A classifier's output dimension: K rows copied, the
			// negative row left at zero.
			e := tensor.New(t.Shape...)
			copy(e.Data, src.Data)
			sd[name] = e
		default:
			return nil, fmt.Errorf("%w: cannot extend %q of shape %v to %v for a negative class", ErrConfig, name, src.Shape, t.Shape)
		}
	}
	if err := nn.LoadStateDict(out, sd); err != nil {
		return nil, err
	}
	if m.Training() {
		nn.Train(out)
	} else {
		nn.Eval(out)
	}
	return out, nil
}

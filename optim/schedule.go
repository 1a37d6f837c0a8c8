package optim

import "math"

// A Schedule maps a group's initial learning rate and the epoch (or
// iteration) counter, starting at 0, to the learning rate to use.
type Schedule interface {
	LR(initial float64, epoch int) float64
}

// SetLR sets every group's LR from its InitialLR by s at the given epoch.
// Call it before each epoch's first Step (as PyTorch's scheduler.step()
// after an epoch prepares the next one).
func SetLR(o Optimizer, s Schedule, epoch int) {
	for _, g := range o.Groups() {
		g.LR = s.LR(g.InitialLR, epoch)
	}
}

// Constant keeps the initial learning rate.
type Constant struct{}

// LR returns initial.
func (Constant) LR(initial float64, _ int) float64 { return initial }

// Cosine is PyTorch's CosineAnnealingLR (SGDR, Loshchilov & Hutter,
// arXiv:1608.03983, Eq. 5 without restarts):
//
//	η_t = η_min + ½(η_max − η_min)(1 + cos(π·t/T_max))
//
// TMax need not equal the run length: NFlowJS anneals towards MinLR = 1e-7
// with TMax = 50 epochs and stops earlier. Past TMax the curve continues
// periodically, as PyTorch's does. TMax ≤ 0 means a constant rate.
type Cosine struct {
	TMax  int
	MinLR float64
}

// LR returns η_t for the given epoch.
func (c Cosine) LR(initial float64, epoch int) float64 {
	if c.TMax <= 0 {
		return initial
	}
	return c.MinLR + (initial-c.MinLR)*(1+math.Cos(math.Pi*float64(epoch)/float64(c.TMax)))/2
}

// Warmup scales the rate linearly from StartFactor·initial to initial over
// Epochs epochs (PyTorch's LinearLR), then hands over to Then with the epoch
// counter restarted at 0 (PyTorch's SequentialLR). A nil Then is Constant.
type Warmup struct {
	Epochs      int
	StartFactor float64
	Then        Schedule
}

// LR returns the warm-up rate, or Then's rate after the warm-up.
func (w Warmup) LR(initial float64, epoch int) float64 {
	if epoch < w.Epochs {
		return initial * (w.StartFactor + (1-w.StartFactor)*float64(epoch)/float64(w.Epochs))
	}
	if w.Then == nil {
		return initial
	}
	return w.Then.LR(initial, epoch-w.Epochs)
}

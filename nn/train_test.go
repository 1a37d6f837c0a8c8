package nn_test

import (
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/optim"
	"github.com/nflowjs/nflowjs/tensor"
)

// segBatch makes a fixed toy segmentation batch: each image is a few
// random rectangles of K classes on class-0 background; a pixel's colour is
// its class's colour plus noise, so the labels are learnable from local
// evidence but not by a trivial constant.
func segBatch(rng *rand.Rand, n, k, h, w int) (*tensor.Tensor, []int32) {
	colours := tensor.New(k, 3)
	nn.Uniform(rng, colours, -1, 1)
	x := tensor.New(n, 3, h, w)
	labels := make([]int32, n*h*w)
	for b := 0; b < n; b++ {
		lab := labels[b*h*w : (b+1)*h*w]
		for r := 0; r < 4; r++ {
			cls := int32(1 + rng.IntN(k-1))
			y0, x0 := rng.IntN(h-4), rng.IntN(w-4)
			y1, x1 := y0+2+rng.IntN(h-y0-2), x0+2+rng.IntN(w-x0-2)
			for y := y0; y < y1; y++ {
				for xx := x0; xx < x1; xx++ {
					lab[y*w+xx] = cls
				}
			}
		}
		for c := 0; c < 3; c++ {
			for p := 0; p < h*w; p++ {
				x.Data[(b*3+c)*h*w+p] = colours.Data[int(lab[p])*3+c] + float32(0.2*rng.NormFloat64())
			}
		}
	}
	return x, labels
}

// TestTinyConvNetLearns is must-show 5 of issue 2: conv-BN-ReLU-conv trained
// with Adam on one fixed batch drives the pixel cross-entropy from chance
// level (ln 4 ≈ 1.39) to near zero, through the whole stack (layers,
// autograd VJPs, optimizer).
func TestTinyConvNetLearns(t *testing.T) {
	const classes, steps = 4, 300
	rng := rand.New(rand.NewPCG(2024, 1))
	model := nn.NewSequential(
		nn.NewConv2d(rng, 3, 16, 3, 1, 1, 1, false),
		nn.NewBatchNorm2d(16),
		nn.ReLU{},
		nn.NewConv2d(rng, 16, classes, 3, 1, 1, 1, true),
	)
	x, labels := segBatch(rng, 4, classes, 16, 16)
	opt, err := optim.NewAdam([]optim.ParamGroup{optim.Group(1e-2, nn.Parameters(model)...)}, optim.DefaultAdamConfig())
	if err != nil {
		t.Fatal(err)
	}
	input := autograd.Const(x)
	var first, last float32
	for s := 0; s < steps; s++ {
		opt.ZeroGrad()
		loss := autograd.CrossEntropy(model.Forward(input), labels, -1)
		loss.Backward()
		opt.Step()
		last = loss.Value.Data[0]
		if s == 0 {
			first = last
		}
	}
	t.Logf("cross-entropy %.4f -> %.4f after %d Adam steps", first, last, steps)
	if first < 1 {
		t.Fatalf("initial loss %.3f: expected chance level > 1", first)
	}
	if last > 0.05 {
		t.Fatalf("loss %.4f after %d steps, want < 0.05", last, steps)
	}
	// Every pixel is classified correctly in evaluation mode too (running
	// statistics have converged on the fixed batch).
	nn.Eval(model)
	logits := model.Forward(input).Value
	_, k, h, w := logits.NCHW()
	wrong := 0
	for b := 0; b < 4; b++ {
		for p := 0; p < h*w; p++ {
			best := 0
			for c := 1; c < k; c++ {
				if logits.Data[(b*k+c)*h*w+p] > logits.Data[(b*k+best)*h*w+p] {
					best = c
				}
			}
			if int32(best) != labels[b*h*w+p] {
				wrong++
			}
		}
	}
	if wrong > 0 {
		t.Fatalf("%d of %d pixels misclassified in eval mode", wrong, len(labels))
	}
}

package autograd

import (
	"fmt"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/tensor"
)

// Dropout zeroes each element of x with probability p and scales the kept
// ones by 1/(1−p) (inverted dropout: Srivastava et al., "Dropout: A Simple
// Way to Prevent Neural Networks from Overfitting", JMLR 15, 2014), so the
// expected activation is unchanged and evaluation needs no rescaling. The
// mask is drawn from rng, so a seeded rng reproduces it — MC dropout calls
// Dropout with train true at inference time.
//
// With train false or p == 0 it returns x itself. p == 1 drops everything.
// It panics if p lies outside [0,1] or rng is nil when a mask is needed.
func Dropout(x *Var, p float32, train bool, rng *rand.Rand) *Var {
	return dropout("Dropout", x, p, train, rng, 1)
}

// Dropout2d drops whole channels of x[N,C,H,W]: each (n,c) feature map is
// zeroed with probability p and otherwise scaled by 1/(1−p), like PyTorch's
// nn.Dropout2d. Neighbouring pixels of a feature map are strongly
// correlated, so channel-wise dropout regularises convolutional features
// where element-wise dropout barely does.
func Dropout2d(x *Var, p float32, train bool, rng *rand.Rand) *Var {
	_, _, h, w := x.Value.NCHW()
	return dropout("Dropout2d", x, p, train, rng, h*w)
}

// dropout masks x in blocks of block consecutive elements.
func dropout(op string, x *Var, p float32, train bool, rng *rand.Rand, block int) *Var {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("autograd.%s: probability %g outside [0,1]", op, p))
	}
	if !train || p == 0 {
		return x
	}
	if rng == nil {
		panic(fmt.Sprintf("autograd.%s: nil rng", op))
	}
	nb := 0
	if block > 0 {
		nb = len(x.Value.Data) / block
	}
	// mask[b] is the factor applied to block b: 0 or 1/(1−p).
	mask := make([]float32, nb)
	if p < 1 {
		keep := 1 / (1 - p)
		for b := range mask {
			if rng.Float32() >= p {
				mask[b] = keep
			}
		}
	}
	apply := func(src *tensor.Tensor) *tensor.Tensor {
		dst := tensor.NewLike(x.Value)
		for b, m := range mask {
			if m == 0 {
				continue
			}
			s, d := src.Data[b*block:(b+1)*block], dst.Data[b*block:(b+1)*block]
			for i, v := range s {
				d[i] = v * m
			}
		}
		return dst
	}
	return NewOp(apply(x.Value), func(g *tensor.Tensor) {
		x.accumOwned(apply(g))
	}, x)
}

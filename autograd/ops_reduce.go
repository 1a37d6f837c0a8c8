package autograd

import (
	"github.com/nflowjs/nflowjs/tensor"
)

// Sum returns the sum of all elements of x as a scalar Var of shape [1]
// (accumulated in float64); ∂/∂x = g everywhere.
func Sum(x *Var) *Var {
	out := tensor.FromData([]float32{float32(tensor.Sum(x.Value))}, 1)
	return NewOp(out, func(g *tensor.Tensor) {
		x.accumOwned(tensor.Full(g.Data[0], x.Value.Shape...))
	}, x)
}

// Mean returns the mean of all elements of x as a scalar Var of shape [1];
// ∂/∂x = g/n everywhere.
func Mean(x *Var) *Var {
	n := len(x.Value.Data)
	out := tensor.FromData([]float32{float32(tensor.Mean(x.Value))}, 1)
	return NewOp(out, func(g *tensor.Tensor) {
		x.accumOwned(tensor.Full(float32(float64(g.Data[0])/float64(n)), x.Value.Shape...))
	}, x)
}

// SumChannel returns the [C] sums of x ([N,C,H,W] or [N,C]) over every axis
// but the channel axis; ∂/∂x[n,c,…] = g[c].
func SumChannel(x *Var) *Var {
	return NewOp(tensor.SumChannel(x.Value), func(g *tensor.Tensor) {
		x.accumOwned(tensor.AddChannel(tensor.NewLike(x.Value), g))
	}, x)
}

// SoftmaxChannels returns softmax over the channel axis of x ([N,C,H,W] or
// [N,C]). With y = softmax(x) at one pixel, ∂/∂x = y ⊙ (g − Σ_c g_c·y_c).
func SoftmaxChannels(x *Var) *Var {
	y := tensor.SoftmaxChannels(x.Value)
	return NewOp(y, func(g *tensor.Tensor) {
		x.accumOwned(channelVJP(g, y, false))
	}, x)
}

// LogSoftmaxChannels returns log-softmax over the channel axis of x. With
// y = log softmax(x) at one pixel, ∂/∂x = g − eʸ·Σ_c g_c.
func LogSoftmaxChannels(x *Var) *Var {
	y := tensor.LogSoftmaxChannels(x.Value)
	return NewOp(y, func(g *tensor.Tensor) {
		x.accumOwned(channelVJP(g, y, true))
	}, x)
}

// vjpBlock is the pixel block of one channelVJP task: its per-pixel sums
// stay in L1, and a single large image still splits over every core.
const vjpBlock = 2048

// channelVJP computes the softmax (logOut false) or log-softmax (logOut
// true) VJP from the forward output y and the gradient g, per pixel over
// the channel axis.
func channelVJP(g, y *tensor.Tensor, logOut bool) *tensor.Tensor {
	n, k, hw := classLayout("SoftmaxChannels", y)
	gx := tensor.NewLike(y)
	prob := y // softmax probabilities
	if logOut {
		prob = tensor.Exp(y)
	}
	blocks := (hw + vjpBlock - 1) / vjpBlock
	tensor.ParallelFor(n*blocks, func(t0, t1 int) {
		s := make([]float32, vjpBlock) // per-pixel Σ_c g·y (or Σ_c g)
		for t := t0; t < t1; t++ {
			i, b := t/blocks, t%blocks
			p0, p1 := b*vjpBlock, min((b+1)*vjpBlock, hw)
			s := s[:p1-p0]
			clear(s)
			row := func(data []float32, c int) []float32 {
				off := (i*k+c)*hw + p0
				return data[off : off+len(s)]
			}
			for c := 0; c < k; c++ {
				gr := row(g.Data, c)
				if logOut {
					for p, gv := range gr {
						s[p] += gv
					}
					continue
				}
				yr := row(y.Data, c)
				for p, gv := range gr {
					s[p] += gv * yr[p]
				}
			}
			for c := 0; c < k; c++ {
				gr, pr, dr := row(g.Data, c), row(prob.Data, c), row(gx.Data, c)
				if logOut {
					// ∂/∂x = g − softmax·Σg
					for p, gv := range gr {
						dr[p] = gv - pr[p]*s[p]
					}
					continue
				}
				// ∂/∂x = y·(g − Σ g·y)
				for p, gv := range gr {
					dr[p] = pr[p] * (gv - s[p])
				}
			}
		}
	})
	return gx
}

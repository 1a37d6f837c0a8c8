package autograd

import (
	"fmt"
	"math"

	"github.com/nflowjs/nflowjs/tensor"
)

// CrossEntropy is the mean negative log-likelihood of labels under
// softmax(logits) over the channel axis, PyTorch's
// F.cross_entropy(logits, labels, ignore_index=ignoreIndex):
//
//	L = −(1/|P|) Σ_{p∈P} log softmax(z_p)[y_p],   P = {p : y_p ≠ ignoreIndex}
//
// logits is [N,K,H,W] (or [N,K], one "pixel" per row); labels holds N·H·W
// class indices in N,H,W order. The log-softmax subtracts each pixel's
// maximum logit, so large logits cannot overflow; per-pixel terms are
// summed in float64. The result is a scalar
// Var of shape [1]; its gradient is (softmax(z_p) − onehot(y_p))/|P| at
// counted pixels and zero at ignored ones. If every pixel is ignored the
// loss is 0 with a zero gradient (PyTorch would return NaN).
//
// labels is read again by Backward and must not change before it runs.
// It panics if len(labels) does not match or if a label lies outside [0,K)
// without being ignoreIndex; callers validate labels read from files first.
func CrossEntropy(logits *Var, labels []int32, ignoreIndex int32) *Var {
	n, k, hw := classLayout("CrossEntropy", logits.Value)
	if len(labels) != n*hw {
		panic(fmt.Sprintf("autograd.CrossEntropy: %d labels for logits %v (want %d)", len(labels), logits.Value.Shape, n*hw))
	}
	count := 0
	for i, y := range labels {
		if y == ignoreIndex {
			continue
		}
		if y < 0 || int(y) >= k {
			panic(fmt.Sprintf("autograd.CrossEntropy: label %d at position %d is outside [0,%d) and is not the ignore index %d", y, i, k, ignoreIndex))
		}
		count++
	}

	// The forward pass keeps the softmax p for the backward pass, where
	// the gradient is p − onehot: one exp per logit in total. The loss term
	// −log p[y] is exact to float32 rounding unless p[y] underflows (a
	// margin beyond ~87); such pixels take the log-sum-exp route, so the
	// loss stays finite however confident the wrong prediction.
	prob := tensor.SoftmaxChannels(logits.Value)
	pd, z := prob.Data, logits.Value.Data
	// Per-image partial sums, reduced in a fixed order for determinism.
	partial := make([]float64, n)
	tensor.ParallelFor(n, func(i0, i1 int) {
		for i := i0; i < i1; i++ {
			base := i * k * hw
			var s float64
			for p, y := range labels[i*hw : (i+1)*hw] {
				if y == ignoreIndex {
					continue
				}
				if py := pd[base+int(y)*hw+p]; py >= minNormal32 {
					s -= math.Log(float64(py))
				} else {
					s += logSumExp(z, base+p, k, hw) - float64(z[base+int(y)*hw+p])
				}
			}
			partial[i] = s
		}
	})
	var total float64
	for _, s := range partial {
		total += s
	}
	loss := 0.0
	if count > 0 {
		loss = total / float64(count)
	}
	out := tensor.FromData([]float32{float32(loss)}, 1)

	return NewOp(out, func(g *tensor.Tensor) {
		if count == 0 {
			logits.accumOwned(tensor.NewLike(logits.Value))
			return
		}
		scale := float32(float64(g.Data[0]) / float64(count))
		gz := tensor.NewLike(logits.Value)
		// One task per (image, class) row, so a single large image still
		// uses every core.
		tensor.ParallelFor(n*k, func(r0, r1 int) {
			for r := r0; r < r1; r++ {
				i, c := r/k, int32(r%k)
				src, dst := pd[r*hw:(r+1)*hw], gz.Data[r*hw:(r+1)*hw]
				for p, y := range labels[i*hw : (i+1)*hw] {
					switch y {
					case ignoreIndex: // stays 0
					case c:
						dst[p] = scale * (src[p] - 1)
					default:
						dst[p] = scale * src[p]
					}
				}
			}
		})
		logits.accumOwned(gz)
	}, logits)
}

// classLayout views t as N images with K classes and hw pixels each:
// [N,K,H,W] or [N,K].
func classLayout(op string, t *tensor.Tensor) (n, k, hw int) {
	switch len(t.Shape) {
	case 2:
		return t.Shape[0], t.Shape[1], 1
	case 4:
		return t.Shape[0], t.Shape[1], t.Shape[2] * t.Shape[3]
	}
	panic(fmt.Sprintf("autograd.%s: want logits [N,K,H,W] or [N,K], have %v", op, t.Shape))
}

// minNormal32 is the smallest normal float32; below it a probability has
// lost relative precision (or is 0) and its log is recomputed.
const minNormal32 = 0x1p-126

// logSumExp returns log Σ_c exp(z[off+c·stride]) over k classes, stably
// (maximum subtracted) and in float64.
func logSumExp(z []float32, off, k, stride int) float64 {
	mx := math.Inf(-1)
	for c := 0; c < k; c++ {
		mx = math.Max(mx, float64(z[off+c*stride]))
	}
	var s float64
	for c := 0; c < k; c++ {
		s += math.Exp(float64(z[off+c*stride]) - mx)
	}
	return mx + math.Log(s)
}

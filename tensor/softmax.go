package tensor

import "fmt"

// SoftmaxChannels returns softmax over axis 1 of an [N, C, H, W] (or [N, C])
// tensor: y[n,c,p] = exp(x[n,c,p] − m) / Σ_c' exp(x[n,c',p] − m), with m
// the per-pixel maximum for stability.
func SoftmaxChannels(x *Tensor) *Tensor { return softmaxChannels("SoftmaxChannels", x, false) }

// LogSoftmaxChannels returns log-softmax over axis 1:
// y = x − m − log Σ_c exp(x − m).
func LogSoftmaxChannels(x *Tensor) *Tensor {
	return softmaxChannels("LogSoftmaxChannels", x, true)
}

// softmaxPixels is the pixel block processed at once: the block's running
// max and sum live in two small stack arrays, and C rows of it stay in L1.
const softmaxPixels = 256

func softmaxChannels(op string, x *Tensor, logOut bool) *Tensor {
	n, c, r := channelDims(op, x)
	if c == 0 {
		panic(fmt.Sprintf("tensor.%s: zero channels in shape %v", op, x.Shape))
	}
	y := NewLike(x)
	if r == 1 {
		// [N, C] rows are contiguous: one row at a time.
		parallelGrain(n, max(1, elemGrain/c), func(s, e int) {
			for i := s; i < e; i++ {
				softmaxRow(y.Data[i*c:(i+1)*c], x.Data[i*c:(i+1)*c], logOut)
			}
		})
		return y
	}
	blocks := (r + softmaxPixels - 1) / softmaxPixels
	parallelGrain(n*blocks, max(1, elemGrain/(c*softmaxPixels)), func(s, e int) {
		var m, sum, tmp [softmaxPixels]float32
		for t := s; t < e; t++ {
			img, blk := t/blocks, t%blocks
			p0 := blk * softmaxPixels
			w := min(softmaxPixels, r-p0)
			base := img*c*r + p0
			mb, sb := m[:w], sum[:w]
			copy(mb, x.Data[base:base+w])
			for ch := 1; ch < c; ch++ {
				maxInto(mb, x.Data[base+ch*r:base+ch*r+w])
			}
			clear(sb)
			tb := tmp[:w]
			for ch := 0; ch < c; ch++ {
				src := x.Data[base+ch*r : base+ch*r+w]
				dst := y.Data[base+ch*r : base+ch*r+w]
				subSlice(dst, src, mb)
				ev := dst // softmax: exponentiate in place
				if logOut {
					ev = tb // log-softmax: keep x − m, sum the exponentials
				}
				expSlice(ev, dst)
				axpy(1, ev, sb)
			}
			if logOut {
				logSlice(sb, sb)
				for ch := 0; ch < c; ch++ {
					dst := y.Data[base+ch*r : base+ch*r+w]
					subSlice(dst, dst, sb)
				}
			} else {
				for i, v := range sb {
					sb[i] = 1 / v
				}
				for ch := 0; ch < c; ch++ {
					dst := y.Data[base+ch*r : base+ch*r+w]
					mulSlice(dst, dst, sb)
				}
			}
		}
	})
	return y
}

// softmaxRow writes softmax (or log-softmax) of one contiguous row.
func softmaxRow(dst, src []float32, logOut bool) {
	m := src[0]
	for _, v := range src[1:] {
		m = max(m, v)
	}
	for i, v := range src {
		dst[i] = v - m
	}
	var s float32
	if logOut {
		for _, d := range dst {
			s += expf(d)
		}
		ls := logf(s)
		for i := range dst {
			dst[i] -= ls
		}
		return
	}
	expSlice(dst, dst)
	for _, e := range dst {
		s += e
	}
	inv := 1 / s
	for i := range dst {
		dst[i] *= inv
	}
}

package tensor

import "fmt"

// channelDims views x as [N, C, R] with C = x.Shape[1] and R the product of
// the axes after it (H·W for NCHW, 1 for a 2-D [N, C] tensor).
func channelDims(op string, x *Tensor) (n, c, r int) {
	if len(x.Shape) < 2 {
		panic(fmt.Sprintf("tensor.%s: want at least 2 axes [N, C, ...], have shape %v", op, x.Shape))
	}
	n, c, r = x.Shape[0], x.Shape[1], 1
	for _, d := range x.Shape[2:] {
		r *= d
	}
	return n, c, r
}

// nchw returns the four dimensions of a 4-D tensor, panicking with a
// message naming op otherwise.
func nchw(op string, x *Tensor) (n, c, h, w int) {
	if len(x.Shape) != 4 {
		panic(fmt.Sprintf("tensor.%s: want a 4-D NCHW tensor, have shape %v", op, x.Shape))
	}
	return x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
}

func mustChannelVec(op string, x, v *Tensor, c int) {
	if len(v.Shape) != 1 || v.Shape[0] != c {
		panic(fmt.Sprintf("tensor.%s: want a [%d] vector for input %v, have shape %v", op, c, x.Shape, v.Shape))
	}
}

// AddChannel returns x + b with b[C] broadcast over every axis but the
// channel axis 1 (x is [N, C, H, W] or [N, C]): the bias of a convolution
// or a linear layer.
func AddChannel(x, b *Tensor) *Tensor {
	n, c, r := channelDims("AddChannel", x)
	mustChannelVec("AddChannel", x, b, c)
	y := NewLike(x)
	parallelGrain(n*c, max(1, elemGrain/max(r, 1)), func(s, e int) {
		for p := s; p < e; p++ {
			addScalarSlice(y.Data[p*r:(p+1)*r], x.Data[p*r:(p+1)*r], b.Data[p%c])
		}
	})
	return y
}

// MulChannel returns x·s with s[C] broadcast over every axis but axis 1.
func MulChannel(x, s *Tensor) *Tensor {
	n, c, r := channelDims("MulChannel", x)
	mustChannelVec("MulChannel", x, s, c)
	y := NewLike(x)
	parallelGrain(n*c, max(1, elemGrain/max(r, 1)), func(st, e int) {
		for p := st; p < e; p++ {
			scaleSlice(y.Data[p*r:(p+1)*r], x.Data[p*r:(p+1)*r], s.Data[p%c])
		}
	})
	return y
}

// SumChannel returns the [C] vector of sums of x over every axis but axis 1
// (the gradient of AddChannel's bias). Each plane is summed in float32 with
// several accumulators, and the planes are added in float64.
func SumChannel(x *Tensor) *Tensor {
	n, c, r := channelDims("SumChannel", x)
	out := New(c)
	parallelGrain(c, max(1, elemGrain/max(n*r, 1)), func(s, e int) {
		for ch := s; ch < e; ch++ {
			var acc float64
			for i := 0; i < n; i++ {
				acc += float64(sumf(x.Data[(i*c+ch)*r : (i*c+ch+1)*r]))
			}
			out.Data[ch] = float32(acc)
		}
	})
	return out
}

// sumf sums a slice with four interleaved float32 accumulators, which is
// both faster and more accurate than one running sum.
func sumf(x []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i]
		s1 += x[i+1]
		s2 += x[i+2]
		s3 += x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

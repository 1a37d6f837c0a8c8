package tensor

import "fmt"

// Act is an activation applied to a layer's output as it is produced (a
// fused epilogue), so that inference does not allocate and re-read a
// tensor per activation.
type Act int

const (
	ActNone      Act = iota
	ActReLU          // max(x, 0)
	ActHardswish     // x·min(max(x+3, 0), 6)/6, torch.nn.Hardswish
)

func (a Act) String() string {
	switch a {
	case ActNone:
		return "none"
	case ActReLU:
		return "relu"
	case ActHardswish:
		return "hardswish"
	}
	return fmt.Sprintf("Act(%d)", int(a))
}

// applyAct applies a to d in place, serially. Results equal the autograd
// ops' forward passes bit for bit.
func (a Act) applyAct(d []float32) {
	switch a {
	case ActReLU:
		reluSlice(d, d)
	case ActHardswish:
		hardswishSlice(d, d)
	}
}

// ApplyAct applies a to t in place, in parallel.
func ApplyAct(t *Tensor, a Act) {
	if a == ActNone {
		return
	}
	parallelGrain(len(t.Data), 1<<14, func(s, e int) { a.applyAct(t.Data[s:e]) })
}

// Hardswish returns x·min(max(x+3, 0), 6)/6 elementwise (torch.nn.Hardswish).
func Hardswish(x *Tensor) *Tensor {
	y := New(x.Shape...)
	parallelGrain(len(x.Data), 1<<14, func(s, e int) { hardswishSlice(y.Data[s:e], x.Data[s:e]) })
	return y
}

// hardswishGeneric sets dst[i] = hardswish(a[i]) for i < len(dst).
func hardswishGeneric(dst, a []float32) {
	a = a[:len(dst)]
	for i, v := range a {
		dst[i] = v * min(max(v+3, 0), 6) / 6
	}
}

// affineGeneric sets dst[i] = a[i]·s + t for i < len(dst).
func affineGeneric(dst, a []float32, s, t float32) {
	a = a[:len(dst)]
	for i, v := range a {
		dst[i] = v*s + t
	}
}

// ChannelAffineAct returns act(x·scale[c] + shift[c]) for x[N,C,H,W]: an
// evaluation-mode batch norm and its activation in one pass (the product
// and the sum rounded separately, as autograd.BatchNorm2d computes them).
func ChannelAffineAct(x *Tensor, scale, shift []float32, act Act) *Tensor {
	n, c, h, w := x.NCHW()
	if len(scale) != c || len(shift) != c {
		panic(fmt.Sprintf("tensor.ChannelAffineAct: %d scales and %d shifts for input %v", len(scale), len(shift), x.Shape))
	}
	y := NewUninit(x.Shape...) // every element is written
	hw := h * w
	parallelGrain(n*c, max(1, (1<<14)/max(hw, 1)), func(p0, p1 int) {
		for p := p0; p < p1; p++ {
			ch := p % c
			d := y.Data[p*hw : (p+1)*hw]
			affineSlice(d, x.Data[p*hw:(p+1)*hw], scale[ch], shift[ch])
			act.applyAct(d)
		}
	})
	return y
}

// ScaleChannelsInto sets dst = x·scale[n·C+c] per channel plane of
// x[N,C,H,W] (dst may be x: squeeze-and-excitation in place).
func ScaleChannelsInto(dst, x *Tensor, scale []float32) {
	n, c, h, w := x.NCHW()
	if len(scale) != n*c || len(dst.Data) != len(x.Data) {
		panic(fmt.Sprintf("tensor.ScaleChannelsInto: %d scales for input %v, output of %d values", len(scale), x.Shape, len(dst.Data)))
	}
	hw := h * w
	parallelGrain(n*c, max(1, (1<<14)/max(hw, 1)), func(p0, p1 int) {
		for p := p0; p < p1; p++ {
			scaleSlice(dst.Data[p*hw:(p+1)*hw], x.Data[p*hw:(p+1)*hw], scale[p])
		}
	})
}

package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// randTensor returns a tensor of normal(0, scale²) values from a fixed seed.
func randTensor(seed uint64, scale float32, shape ...int) *Tensor {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	t := New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(r.NormFloat64()) * scale
	}
	return t
}

// reportCPU adds the process CPU time per operation since start, in
// milliseconds summed over all threads: on a busy shared machine it is the
// steadier measure of a kernel's own work (wall time ≈ cpu-ms / cores when
// the cores are free).
func reportCPU(b *testing.B, start time.Duration) {
	if start == 0 {
		return
	}
	b.ReportMetric(float64(processCPUTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

// segnetConvs are the convolutions of the segnet-ref benchmark workload
// (../shared/bench/torch_reference.py) at batch 8: 3×3, padding 1.
var segnetConvs = []struct {
	name           string
	ci, h, co, str int
	needGX         bool
}{
	{"c1_3to32_64px", 3, 64, 32, 1, false}, // the image needs no gradient
	{"c2_32to64_s2", 32, 64, 64, 2, true},
	{"c3_64to64_32px", 64, 32, 64, 1, true},
	{"c5_64to32_32px", 64, 32, 32, 1, true},
	{"head_32to10_64px", 32, 64, 10, 1, true},
}

func BenchmarkConv2d(b *testing.B) {
	for _, l := range segnetConvs {
		x := randTensor(1, 1, 8, l.ci, l.h, l.h)
		w := randTensor(2, 0.1, l.co, l.ci, 3, 3)
		bias := randTensor(3, 0.1, l.co)
		o := ConvOpts{Stride: l.str, Pad: 1}
		y := Conv2d(x, w, bias, o)
		flops := 2 * float64(len(y.Data)) * float64(l.ci*9)
		b.Run(l.name+"/fwd", func(b *testing.B) {
			cpu := processCPUTime()
			for b.Loop() {
				Conv2d(x, w, bias, o)
			}
			reportCPU(b, cpu)
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(l.name+"/bwd", func(b *testing.B) {
			cpu := processCPUTime()
			for b.Loop() {
				Conv2dBackward(x, w, y, o, l.needGX)
			}
			reportCPU(b, cpu)
			mul := 1.0
			if l.needGX {
				mul = 2
			}
			b.ReportMetric(mul*flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
	x := randTensor(1, 1, 8, 64, 32, 32)
	w := randTensor(2, 0.1, 32, 64, 1, 1)
	b.Run("1x1_64to32_32px/fwd", func(b *testing.B) {
		cpu := processCPUTime()
		for b.Loop() {
			Conv2d(x, w, nil, ConvOpts{})
		}
		reportCPU(b, cpu)
	})
}

func BenchmarkConvTranspose2d(b *testing.B) {
	x := randTensor(1, 1, 8, 64, 16, 16)
	w := randTensor(2, 0.1, 64, 32, 3, 3)
	o := ConvOpts{Stride: 2, Pad: 1}
	y := ConvTranspose2d(x, w, nil, o, 1)
	b.Run("64to32_16to32px/fwd", func(b *testing.B) {
		cpu := processCPUTime()
		for b.Loop() {
			ConvTranspose2d(x, w, nil, o, 1)
		}
		reportCPU(b, cpu)
	})
	b.Run("64to32_16to32px/bwd", func(b *testing.B) {
		cpu := processCPUTime()
		for b.Loop() {
			ConvTranspose2dBackward(x, w, y, o, 1, true)
		}
		reportCPU(b, cpu)
	})
}

func BenchmarkResizeBilinear(b *testing.B) {
	// The segnet-ref upsampling: [8, 32, 32, 32] → 64×64.
	x := randTensor(1, 1, 8, 32, 32, 32)
	gy := randTensor(2, 1, 8, 32, 64, 64)
	b.Run("x2/fwd", func(b *testing.B) {
		b.SetBytes(int64(4 * len(gy.Data)))
		cpu := processCPUTime()
		for b.Loop() {
			ResizeBilinear(x, 64, 64)
		}
		reportCPU(b, cpu)
	})
	b.Run("x2/bwd", func(b *testing.B) {
		b.SetBytes(int64(4 * len(gy.Data)))
		cpu := processCPUTime()
		for b.Loop() {
			ResizeBilinearBackward(gy, 32, 32)
		}
		reportCPU(b, cpu)
	})
}

func BenchmarkSoftmaxChannels(b *testing.B) {
	for _, shape := range [][]int{{8, 10, 64, 64}, {1, 19, 256, 512}} {
		x := randTensor(1, 3, shape...)
		b.Run(fmt.Sprint(shape), func(b *testing.B) {
			b.SetBytes(int64(4 * len(x.Data)))
			cpu := processCPUTime()
			for b.Loop() {
				SoftmaxChannels(x)
			}
			reportCPU(b, cpu)
		})
		b.Run(fmt.Sprint(shape)+"/log", func(b *testing.B) {
			b.SetBytes(int64(4 * len(x.Data)))
			cpu := processCPUTime()
			for b.Loop() {
				LogSoftmaxChannels(x)
			}
			reportCPU(b, cpu)
		})
	}
}

func BenchmarkElementwise(b *testing.B) {
	x := randTensor(1, 1, 8, 32, 64, 64)
	y := randTensor(2, 1, 8, 32, 64, 64)
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"Add", func() { Add(x, y) }},
		{"Relu", func() { Relu(x) }},
		{"Exp", func() { Exp(x) }},
		{"Sigmoid", func() { Sigmoid(x) }},
		{"SumChannel", func() { SumChannel(x) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(4 * len(x.Data)))
			cpu := processCPUTime()
			for b.Loop() {
				c.f()
			}
			reportCPU(b, cpu)
		})
	}
}

// BenchmarkSegnetForward is the no-grad forward pass of the segnet-ref
// workload built from tensor kernels only (what nflowjs bench times through
// nn/autograd, minus their bookkeeping): five 3×3 convolutions with ReLU,
// bilinear ×2 and the 32→10 head, batch 8×3×64×64.
func BenchmarkSegnetForward(b *testing.B) {
	specs := [][3]int{{3, 32, 1}, {32, 64, 2}, {64, 64, 1}, {64, 64, 1}, {64, 32, 1}, {32, 10, 1}}
	ws := make([]*Tensor, len(specs))
	bs := make([]*Tensor, len(specs))
	for i, s := range specs {
		ws[i] = randTensor(uint64(2*i+2), 0.2, s[1], s[0], 3, 3)
		bs[i] = randTensor(uint64(2*i+3), 0.1, s[1])
	}
	x := randTensor(1, 1, 8, 3, 64, 64)
	fwd := func() *Tensor {
		h := x
		for i := 0; i < 5; i++ {
			h = Relu(Conv2d(h, ws[i], bs[i], ConvOpts{Stride: specs[i][2], Pad: 1}))
		}
		h = ResizeBilinear(h, 64, 64)
		return Conv2d(h, ws[5], bs[5], ConvOpts{Pad: 1})
	}
	cpu := processCPUTime()
	for b.Loop() {
		fwd()
	}
	reportCPU(b, cpu)
}

// BenchmarkConvForwardPaths compares the forward convolution paths
// (implicit GEMM, im2col+Sgemm, Winograd where it applies) on the segnet-ref
// layers (run with -cpu 1 for
// per-core throughput).
func BenchmarkConvForwardPaths(b *testing.B) {
	for _, l := range segnetConvs {
		x := randTensor(1, 1, 8, l.ci, l.h, l.h)
		w := randTensor(2, 0.1, l.co, l.ci, 3, 3)
		bias := randTensor(3, 0.1, l.co)
		n, g := newConvGeom("Conv2d", x, w, ConvOpts{Stride: l.str, Pad: 1})
		flops := 2 * float64(n*g.co*g.oh*g.ow) * float64(g.k())
		for _, p := range []struct {
			name string
			f    func(x []float32, n int, w, bias []float32, g *convGeom) []float32
		}{{"implicit", convForwardImplicit}, {"im2col", im2colNoAct}, {"winograd", convForwardWinograd}} {
			if p.name == "winograd" && !useWinograd(&g) {
				continue
			}
			b.Run(l.name+"/"+p.name, func(b *testing.B) {
				cpu := processCPUTime()
				for b.Loop() {
					p.f(x.Data, n, w.Data, bias.Data, &g)
				}
				reportCPU(b, cpu)
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkWinoTransforms times the Winograd input and output transforms
// on one block of the segnet-ref 64→64 32×32 layer: 64 channels, 32 tiles
// in two runs of 16 (per-element cost = ns/op ÷ 2048).
func BenchmarkWinoTransforms(b *testing.B) {
	const ci, nr, tw1, rows = 64, 32, 17, 34
	src := randTensor(1, 1, 2*ci*rows*tw1).Data
	const vs = ci*nr + 16 // as winoPlan.vStride
	v := make([]float32, 16*vs)
	planeLen := rows * tw1
	b.Run("input", func(b *testing.B) {
		for b.Loop() {
			for c := 0; c < ci; c++ {
				ev, od := src[2*c*planeLen:], src[(2*c+1)*planeLen:]
				winoInput(v[c*nr:], vs, ev, od, tw1, 16)
				winoInput(v[c*nr+16:], vs, ev[2*tw1:], od[2*tw1:], tw1, 16)
			}
		}
	})
	y := make([]float32, ci*32*32)
	b.Run("output", func(b *testing.B) {
		for b.Loop() {
			for o := 0; o < ci; o++ {
				winoOutput(y[o*1024:], 32, 2, 0, v[o*nr:], vs, 16, 0.5)
				winoOutput(y[o*1024+64:], 32, 2, 0, v[o*nr+16:], vs, 16, 0.5)
			}
		}
	})
}

// BenchmarkASPP times DeepLabV3's atrous branches at 512×1024 (output
// stride 16: a 960-channel 32×64 map, 256 outputs): the tap-skipping path
// against the padded implicit GEMM. GFLOP/s counts the products the padded
// convolution would compute, so the two paths are directly comparable.
func BenchmarkASPP(b *testing.B) {
	x := randTensor(1, 1, 1, 960, 32, 64)
	w := randTensor(2, 0.1, 256, 960, 3, 3)
	for _, dil := range []int{12, 24, 36} {
		n, g := newConvGeom("Conv2d", x, w, ConvOpts{Pad: dil, Dilation: dil})
		flops := 2 * float64(n*g.co*g.oh*g.ow) * float64(g.k())
		for _, p := range []struct {
			name string
			f    func(x []float32, n int, w, bias []float32, g *convGeom) []float32
		}{{"tapskip", convForwardTapSkip}, {"implicit", convForwardImplicit}} {
			b.Run(fmt.Sprintf("d%d/%s", dil, p.name), func(b *testing.B) {
				for b.Loop() {
					p.f(x.Data, n, w.Data, nil, &g)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

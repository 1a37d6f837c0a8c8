package flow

import (
	"math"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/dataset"
	nf "github.com/nflowjs/nflowjs/models/flow"
	"github.com/nflowjs/nflowjs/tensor"
)

// sampleBatch is how many images are sampled per inverse pass; it bounds
// memory at large sizes without costing throughput.
const sampleBatch = 8

// SampleGrid draws n samples of size h×w at the given temperature and
// lays them out in a near-square grid with a 2-pixel white gutter, each
// sample upscaled by an integer factor (nearest neighbour) for viewing.
func SampleGrid(f *nf.Flow, n, h, w int, temperature float32, scale int, rng *rand.Rand) (*dataset.Image, error) {
	return Grid(func(m int) (*tensor.Tensor, error) {
		x, err := f.Sample(m, h, w, temperature, rng)
		if err != nil {
			return nil, err
		}
		return x.Value, nil
	}, n, h, w, scale)
}

// Grid lays out n images of h×w drawn by sample (m images in the flow's
// space [-0.5, 0.5] per call, [m,3,h,w]) as SampleGrid does, without
// recording a graph: any generator's sample sheet (a flow's, a GAN's).
func Grid(sample func(m int) (*tensor.Tensor, error), n, h, w, scale int) (*dataset.Image, error) {
	defer autograd.NoGrad()()
	cols := int(math.Ceil(math.Sqrt(float64(n))))
	rows := (n + cols - 1) / cols
	const gap = 2
	ph, pw := h*scale, w*scale
	out := dataset.NewImage(cols*pw+(cols-1)*gap, rows*ph+(rows-1)*gap)
	for i := range out.Pix {
		out.Pix[i] = 255
	}
	for start := 0; start < n; start += sampleBatch {
		m := min(sampleBatch, n-start)
		x, err := sample(m)
		if err != nil {
			return nil, err
		}
		px := nf.ToBytes(x) // [m,3,h,w]
		for k := 0; k < m; k++ {
			r, c := (start+k)/cols, (start+k)%cols
			for y := 0; y < ph; y++ {
				for xx := 0; xx < pw; xx++ {
					o := 3 * ((r*(ph+gap)+y)*out.W + c*(pw+gap) + xx)
					for ch := 0; ch < 3; ch++ {
						out.Pix[o+ch] = px[((k*3+ch)*h+y/scale)*w+xx/scale]
					}
				}
			}
		}
	}
	return out, nil
}

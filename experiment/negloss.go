package experiment

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/models/flow"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/tensor"
	"github.com/nflowjs/nflowjs/train/joint"
)

// NegLossFigure is the file of the paper's Figure 3 (right).
const NegLossFigure = "figure3_right_negloss_hist.png"

// NegLossConfig sets up NegLossHistogram.
type NegLossConfig struct {
	Model, Flow, Data string  // stage-1 bundle, flow run dir or file, dataset
	Out               string  // PNG path
	Lambda            float64 // λ of eq. 3 (paper: 0.03, the same for the three losses here)
	Patch             int     // negative patch side (rounded down to the flow's squeeze factor)
	Images            int     // training images to paste into
	Temperature       float32 // latent temperature of the samples
	Seed              uint64
}

// NegLossHistogram reproduces the paper's Figure 3 (right): the stage-1
// model (before joint training) sees training images with a sample of the
// pre-trained flow pasted in (eq. 2), and the histograms of λ·L_neg over the
// pasted pixels are drawn for L_neg = JS(U‖p), KL(U‖p) and KL(p‖U). Long
// tails mean pixels that resemble inliers produce huge losses and
// gradients; the paper argues JS avoids them.
func NegLossHistogram(cfg NegLossConfig) error {
	b, err := seg.LoadBundle(cfg.Model)
	if err != nil {
		return fmt.Errorf("experiment: negloss: %w", err)
	}
	path := cfg.Flow
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "flow.safetensors")
	}
	fl, _, err := flow.Load(path)
	if err != nil {
		return fmt.Errorf("experiment: negloss: %w", err)
	}
	ds, err := dataset.Open(cfg.Data)
	if err != nil {
		return fmt.Errorf("experiment: negloss: %w", err)
	}
	split, err := ds.Split(dataset.SplitTrain)
	if err != nil {
		return fmt.Errorf("experiment: negloss: %w", err)
	}
	loader, err := dataset.NewLoader(split, dataset.LoaderConfig{BatchSize: 4, Mean: b.Info.Mean, Std: b.Info.Std})
	if err != nil {
		return fmt.Errorf("experiment: negloss: %w", err)
	}
	it := loader.Epoch(context.Background(), 0)
	defer it.Close()
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x3e9))
	nz := joint.Normalizer{Mean: b.Info.Mean, Std: b.Info.Std}
	var js, kl, rkl plotter.Values
	seen := 0
	for seen < cfg.Images {
		batch, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("experiment: negloss: %w", err)
		}
		sq := fl.Config().SqueezeFactor()
		p := min(cfg.Patch, batch.H, batch.W) / sq * sq
		if p < sq {
			return fmt.Errorf("experiment: negloss: images %dx%d are smaller than the flow's squeeze factor %d", batch.H, batch.W, sq)
		}
		images := tensor.FromData(append([]float32(nil), batch.Images...), batch.N, 3, batch.H, batch.W)
		tops, lefts := make([]int, batch.N), make([]int, batch.N)
		func() {
			defer autograd.NoGrad()()
			var x *autograd.Var
			if x, err = fl.Sample(batch.N, p, p, cfg.Temperature, rng); err != nil {
				return
			}
			neg := nz.FromFlow(x).Value
			hw := batch.H * batch.W
			for n := 0; n < batch.N; n++ {
				tops[n], lefts[n] = rng.IntN(batch.H-p+1), rng.IntN(batch.W-p+1)
				for c := 0; c < 3; c++ {
					for y := 0; y < p; y++ {
						dst := images.Data[(n*3+c)*hw+(tops[n]+y)*batch.W+lefts[n]:]
						copy(dst[:p], neg.Data[((n*3+c)*p+y)*p:][:p])
					}
				}
			}
		}()
		if err != nil {
			return fmt.Errorf("experiment: negloss: sampling the flow: %w", err)
		}
		logits, err := b.Model.Logits(images)
		if err != nil {
			return fmt.Errorf("experiment: negloss: %w", err)
		}
		k, hw := logits.Shape[1], batch.H*batch.W
		prob := make([]float64, k)
		for n := 0; n < batch.N; n++ {
			for y := tops[n]; y < tops[n]+p; y++ {
				for x := lefts[n]; x < lefts[n]+p; x++ {
					mx := math.Inf(-1)
					for c := 0; c < k; c++ {
						mx = math.Max(mx, float64(logits.Data[(n*k+c)*hw+y*batch.W+x]))
					}
					var s float64
					for c := 0; c < k; c++ {
						prob[c] = math.Exp(float64(logits.Data[(n*k+c)*hw+y*batch.W+x]) - mx)
						s += prob[c]
					}
					for c := range prob {
						prob[c] /= s
					}
					js = append(js, cfg.Lambda*ood.JSToUniform(prob))
					kl = append(kl, cfg.Lambda*ood.KLUniformTo(prob))
					rkl = append(rkl, cfg.Lambda*ood.ReverseKLToUniform(prob))
				}
			}
		}
		seen += batch.N
	}
	if len(js) == 0 {
		return errors.New("experiment: negloss: no training images")
	}
	pl := plot.New()
	pl.Title.Text = "λ·L_neg on pasted flow samples, start of joint training"
	pl.X.Label.Text = fmt.Sprintf("λ·L_neg (λ = %g)", cfg.Lambda)
	pl.Y.Label.Text = "fraction of negative pixels"
	for _, h := range []struct {
		name string
		v    plotter.Values
		clr  color.Color
	}{
		{"JS(U || p)", js, color.RGBA{200, 30, 30, 255}},
		{"KL(U || p)", kl, color.RGBA{30, 30, 200, 255}},
		{"KL(p || U)", rkl, color.RGBA{20, 140, 20, 255}},
	} {
		hist, err := plotter.NewHist(h.v, 50)
		if err != nil {
			return fmt.Errorf("experiment: negloss: %w", err)
		}
		hist.Normalize(1)
		// Normalize makes the area 1; scale to fractions of pixels per bin.
		for i := range hist.Bins {
			hist.Bins[i].Weight *= hist.Width
		}
		hist.FillColor = nil
		hist.LineStyle.Color = h.clr
		hist.LineStyle.Width = vg.Points(1.5)
		pl.Add(hist)
		pl.Legend.Add(fmt.Sprintf("%s (max %.3f)", h.name, maxOf(h.v)), hist)
	}
	pl.Legend.Top = true
	return savePlot(pl, 6*vg.Inch, 4*vg.Inch, cfg.Out)
}

func maxOf(v plotter.Values) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

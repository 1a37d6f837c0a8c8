package toy

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/nflowjs/nflowjs/dataset/synth"
	"github.com/nflowjs/nflowjs/internal/plotpng"
	"github.com/nflowjs/nflowjs/ood"
)

// FieldBox is the half-width of the square the score fields cover; the
// toy2d outliers are drawn from the same square.
const FieldBox = 6.0

// ScoreField evaluates the anomaly score of m on an n×n grid over
// [−FieldBox, FieldBox]², rows from top (y = +FieldBox) to bottom.
func ScoreField(m *MLP, kind ood.Kind, T float32, n int) ([]float32, error) {
	pts := make([][2]float32, 0, n*n)
	for r := 0; r < n; r++ {
		y := FieldBox - (float64(r)+0.5)*2*FieldBox/float64(n)
		for c := 0; c < n; c++ {
			x := -FieldBox + (float64(c)+0.5)*2*FieldBox/float64(n)
			pts = append(pts, [2]float32{float32(x), float32(y)})
		}
	}
	return m.Score(kind, T, pts)
}

// fieldImage maps a score field to colours, min-max normalised per panel
// (blue = inlier-like, red = anomalous, as in the paper's Figure 2).
func fieldImage(field []float32, n int) (image.Image, error) {
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range field {
		lo, hi = min(lo, v), max(hi, v)
	}
	cm := moreland.SmoothBlueRed()
	cm.SetMin(0)
	cm.SetMax(1)
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	for i, v := range field {
		t := 0.5
		if hi > lo {
			t = float64((v - lo) / (hi - lo))
		}
		c, err := cm.At(t)
		if err != nil {
			return nil, fmt.Errorf("toy: colour map: %w", err)
		}
		img.Set(i%n, i/n, c)
	}
	return img, nil
}

// starGlyph draws a five-pointed star (the paper marks negatives with stars).
type starGlyph struct{}

func (starGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	var pts []vg.Point
	for i := 0; i < 10; i++ {
		r := sty.Radius
		if i%2 == 1 {
			r *= 0.45
		}
		a := math.Pi/2 + float64(i)*math.Pi/5
		pts = append(pts, vg.Point{X: pt.X + r*vg.Length(math.Cos(a)), Y: pt.Y + r*vg.Length(math.Sin(a))})
	}
	c.FillPolygon(sty.Color, pts)
}

func scatter(pts []plotter.XY, glyph draw.GlyphDrawer, clr color.Color, radius vg.Length) (*plotter.Scatter, error) {
	s, err := plotter.NewScatter(plotter.XYs(pts))
	if err != nil {
		return nil, err
	}
	s.GlyphStyle = draw.GlyphStyle{Color: clr, Radius: radius, Shape: glyph}
	return s, nil
}

// fieldPlot draws one panel: the score field, the training inliers and
// optionally the synthetic negatives.
func fieldPlot(title string, field []float32, n int, train []Point, negatives [][2]float32) (*plot.Plot, error) {
	img, err := fieldImage(field, n)
	if err != nil {
		return nil, err
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -FieldBox, FieldBox, -FieldBox, FieldBox
	p.Add(plotter.NewImage(img, -FieldBox, -FieldBox, FieldBox, FieldBox))
	var c0, c1 []plotter.XY
	for i, q := range train {
		if i%3 != 0 { // a third of the points keeps the field visible
			continue
		}
		if q.Label == 0 {
			c0 = append(c0, plotter.XY{X: q.X, Y: q.Y})
		} else if q.Label == 1 {
			c1 = append(c1, plotter.XY{X: q.X, Y: q.Y})
		}
	}
	for _, set := range []struct {
		pts []plotter.XY
		clr color.Color
	}{{c0, color.RGBA{10, 20, 120, 255}}, {c1, color.RGBA{0, 150, 220, 255}}} {
		if len(set.pts) == 0 {
			continue
		}
		s, err := scatter(set.pts, draw.CircleGlyph{}, set.clr, 1.6)
		if err != nil {
			return nil, err
		}
		p.Add(s)
	}
	if len(negatives) > 0 {
		var neg []plotter.XY
		for _, q := range negatives {
			x, y := float64(q[0]), float64(q[1])
			if math.Abs(x) <= FieldBox && math.Abs(y) <= FieldBox {
				neg = append(neg, plotter.XY{X: x, Y: y})
			}
		}
		if len(neg) > 0 {
			s, err := scatter(neg, starGlyph{}, color.RGBA{255, 210, 0, 255}, 3.2)
			if err != nil {
				return nil, err
			}
			p.Add(s)
		}
	}
	return p, nil
}

// Figure2 writes the paper's Figure 2 for a trained Result: the OOD score
// field of max-softmax (baseline classifier, left) and of NFlowJS (joint
// classifier, JS score, right), with the inlier classes in blue and the
// flow's synthetic negatives as yellow stars. Each panel is normalised to
// its own range; red = more anomalous.
func Figure2(r *Result, path string) error {
	const n = 160
	msp, err := ScoreField(r.Baseline, ood.MSP, 1, n)
	if err != nil {
		return err
	}
	js, err := ScoreField(r.Joint, ood.NFlowJS, r.Config.ScoreTemp, n)
	if err != nil {
		return err
	}
	left, err := fieldPlot(fmt.Sprintf("max-softmax (AUROC %.3f)", r.MSP.AUROC), msp, n, r.Train, nil)
	if err != nil {
		return fmt.Errorf("toy: %w", err)
	}
	right, err := fieldPlot(fmt.Sprintf("NFlowJS (AUROC %.3f)", r.NFlowJS.AUROC), js, n, r.Train, r.Negatives)
	if err != nil {
		return fmt.Errorf("toy: %w", err)
	}
	return plotpng.SaveGrid(path, [][]*plot.Plot{{left, right}}, 9*vg.Inch, 4.5*vg.Inch, gridTiles)
}

// Figure3Left writes the f-divergences to the uniform distribution in the
// two-class case against p(y=1) (paper Figure 3, left): JS(U‖p), KL(U‖p)
// and the reverse KL(p‖U), from ood.TwoClassDivergences.
func Figure3Left(path string) error {
	p := plot.New()
	p.Title.Text = "f-divergences to uniform, two classes"
	p.X.Label.Text = "p(y = 1)"
	p.Y.Label.Text = "divergence (nats)"
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 2
	curves := []struct {
		name string
		pick func(js, kl, rkl float64) float64
		clr  color.Color
	}{
		{"JS(U || p)", func(js, _, _ float64) float64 { return js }, color.RGBA{200, 30, 30, 255}},
		{"KL(U || p)", func(_, kl, _ float64) float64 { return kl }, color.RGBA{30, 30, 200, 255}},
		{"KL(p || U) (reverse)", func(_, _, rkl float64) float64 { return rkl }, color.RGBA{20, 140, 20, 255}},
	}
	for i, c := range curves {
		f := plotter.NewFunction(func(x float64) float64 {
			js, kl, rkl := ood.TwoClassDivergences(x)
			return math.Min(c.pick(js, kl, rkl), p.Y.Max)
		})
		f.XMin, f.XMax, f.Samples = 1e-4, 1-1e-4, 400
		f.Color = c.clr
		f.Width = vg.Points(2)
		f.Dashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}}[i]
		p.Add(f)
		p.Legend.Add(c.name, f)
	}
	p.Legend.Top = true
	p.Legend.XOffs = -vg.Points(95)
	p.Legend.YOffs = -vg.Points(15)
	return plotpng.SaveGrid(path, [][]*plot.Plot{{p}}, 5*vg.Inch, 4*vg.Inch, gridTiles)
}

// Outliers returns the test split's outlier points (for plots and tests).
func (r *Result) Outliers() [][2]float32 {
	var out [][2]float32
	for _, p := range r.Test {
		if p.Label == synth.AnomalyLabel {
			out = append(out, [2]float32{float32(p.X), float32(p.Y)})
		}
	}
	return out
}

// gridTiles is the padding of the toy's figures.
var gridTiles = draw.Tiles{PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
	PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2}

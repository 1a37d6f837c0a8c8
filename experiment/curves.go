package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/internal/atomicfile"
	"github.com/nflowjs/nflowjs/internal/plotpng"
	"github.com/nflowjs/nflowjs/metrics"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/tensor"
)

// Files the curves step writes.
const (
	CurvesFigure11 = "figure11_maxlogit_hist.png"
	CurvesPRROC    = "pr_roc.png"
	CurvesDepth    = "depth.json"
)

// DepthEdges are the depth bins of Table 5 (metres).
var DepthEdges = []float32{5, 10, 15, 20, 25, 30, 35, 40, 45, 50}

// DepthColumn is FPR95 per depth bin for one method (Table 5); FPR95 is
// nil for a bin without both anomaly and inlier pixels.
type DepthColumn struct {
	Method string      `json:"method"`
	Bins   []DepthCell `json:"bins"`
}

// DepthCell is one bin of a DepthColumn.
type DepthCell struct {
	Lo        float32  `json:"lo"`
	Hi        float32  `json:"hi"`
	FPR95     *float64 `json:"fpr95"`
	Positives int64    `json:"positives"`
}

// CurveModel is one model of the curve figures: a bundle directory, a label
// and the anomaly score it is judged by.
type CurveModel struct {
	Label string
	Dir   string
	Score ood.Kind
	T     float32
}

// pixelScores holds one model's per-pixel values on the test split.
type pixelScores struct {
	score    []float32 // anomaly score, higher = more anomalous
	maxLogit []float32 // max_k l_k (not negated)
	labels   []uint8   // 1 anomaly, 0 inlier, metrics.DefaultIgnore void
	depth    []float32 // metres, nil if the split has no depth
}

// Curves runs each model over the test split of dataDir and writes the
// max-logit histograms of inlier and anomaly pixels (paper Figure 11: before
// and after training with synthetic negatives) and the PR and ROC curves of
// each model's score into outDir.
func Curves(models []CurveModel, dataDir, outDir string) error {
	if len(models) == 0 {
		return errors.New("experiment: curves: no models")
	}
	ds, err := dataset.Open(dataDir)
	if err != nil {
		return fmt.Errorf("experiment: curves: %w", err)
	}
	split, err := ds.Split(dataset.SplitTest)
	if err != nil {
		return fmt.Errorf("experiment: curves: %w", err)
	}
	all := make([]*pixelScores, len(models))
	for i, m := range models {
		if all[i], err = scorePixels(m, split); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("experiment: %w", err)
	}
	if err := histogramFigure(models, all, filepath.Join(outDir, CurvesFigure11)); err != nil {
		return err
	}
	if err := depthTable(models, all, filepath.Join(outDir, CurvesDepth)); err != nil {
		return err
	}
	return prROCFigure(models, all, filepath.Join(outDir, CurvesPRROC))
}

func scorePixels(m CurveModel, split *dataset.Split) (*pixelScores, error) {
	b, err := seg.LoadBundle(m.Dir)
	if err != nil {
		return nil, fmt.Errorf("experiment: curves: %w", err)
	}
	loader, err := dataset.NewLoader(split, dataset.LoaderConfig{BatchSize: 4, Mean: b.Info.Mean, Std: b.Info.Std})
	if err != nil {
		return nil, fmt.Errorf("experiment: curves: %w", err)
	}
	it := loader.Epoch(context.Background(), 0)
	defer it.Close()
	ps := &pixelScores{}
	meta := split.Meta
	for {
		batch, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("experiment: curves: %w", err)
		}
		logits, err := b.Model.Logits(tensor.FromData(batch.Images, batch.N, 3, batch.H, batch.W))
		if err != nil {
			return nil, fmt.Errorf("experiment: curves: %s: %w", m.Dir, err)
		}
		score, err := ood.Compute(m.Score, logits, m.T)
		if err != nil {
			return nil, fmt.Errorf("experiment: curves: %w", err)
		}
		ml, err := ood.Compute(ood.MaxLogit, logits, 1)
		if err != nil {
			return nil, fmt.Errorf("experiment: curves: %w", err)
		}
		for i, l := range batch.Labels {
			lab := uint8(0)
			switch int(l) {
			case meta.AnomalyLabel:
				lab = 1
			case meta.IgnoreLabel:
				lab = metrics.DefaultIgnore
			}
			ps.labels = append(ps.labels, lab)
			ps.score = append(ps.score, score.Data[i])
			ps.maxLogit = append(ps.maxLogit, -ml.Data[i]) // ood's MaxLogit is −max_k l_k
		}
		if batch.Depth != nil {
			ps.depth = append(ps.depth, batch.Depth...)
		}
	}
	return ps, nil
}

// depthTable writes FPR95 by depth bin (paper Table 5) for each model's
// score and for the max-logit of the first model (the paper's ML column);
// nothing is written when the split has no depth maps.
func depthTable(models []CurveModel, all []*pixelScores, path string) error {
	if len(all[0].depth) != len(all[0].labels) {
		return nil
	}
	var cols []DepthColumn
	add := func(name string, scores []float32, ps *pixelScores) error {
		bins, err := metrics.FPR95ByDepth(scores, ps.labels, ps.depth, metrics.DefaultIgnore, DepthEdges)
		if err != nil {
			return fmt.Errorf("experiment: curves: depth bins: %w", err)
		}
		col := DepthColumn{Method: name}
		for _, b := range bins {
			c := DepthCell{Lo: b.Lo, Hi: b.Hi, Positives: b.Positives}
			if b.Err == nil && !math.IsNaN(b.FPR95) {
				f := b.FPR95
				c.FPR95 = &f
			}
			col.Bins = append(col.Bins, c)
		}
		cols = append(cols, col)
		return nil
	}
	for i := len(models) - 1; i >= 0; i-- { // NFlowJS first, as in the paper
		if err := add(models[i].Label, all[i].score, all[i]); err != nil {
			return err
		}
	}
	neg := make([]float32, len(all[0].maxLogit))
	for i, v := range all[0].maxLogit {
		neg[i] = -v
	}
	if err := add(models[0].Label[:strings.Index(models[0].Label+",", ",")]+", max-logit", neg, all[0]); err != nil {
		return err
	}
	b, err := json.MarshalIndent(cols, "", "  ")
	if err != nil {
		return fmt.Errorf("experiment: %w", err)
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}

// ReadDepth reads the depth.json of a curves step (nil if absent).
func ReadDepth(dir string) ([]DepthColumn, error) {
	b, err := os.ReadFile(filepath.Join(dir, CurvesDepth))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	var cols []DepthColumn
	if err := json.Unmarshal(b, &cols); err != nil {
		return nil, fmt.Errorf("experiment: %s: %w", filepath.Join(dir, CurvesDepth), err)
	}
	return cols, nil
}

// histogramFigure draws one panel per model: normalised histograms of the
// max-logit of inlier and of anomaly pixels.
func histogramFigure(models []CurveModel, all []*pixelScores, path string) error {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, ps := range all {
		for i, v := range ps.maxLogit {
			if ps.labels[i] != metrics.DefaultIgnore {
				lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
			}
		}
	}
	if math.IsInf(lo, 0) || hi <= lo {
		return errors.New("experiment: curves: no labelled pixels")
	}
	row := make([]*plot.Plot, len(models))
	for j, ps := range all {
		p := plot.New()
		p.Title.Text = models[j].Label
		p.X.Label.Text = "max logit"
		p.Y.Label.Text = "density"
		p.X.Min, p.X.Max = lo, hi
		for _, cls := range []struct {
			label uint8
			name  string
			clr   color.Color
		}{{0, "inlier pixels", color.NRGBA{40, 80, 200, 150}}, {1, "anomaly pixels", color.NRGBA{220, 40, 40, 150}}} {
			var vals plotter.Values
			for i, v := range ps.maxLogit {
				if ps.labels[i] == cls.label {
					vals = append(vals, float64(v))
				}
			}
			if len(vals) == 0 {
				continue
			}
			h, err := plotter.NewHist(vals, 40)
			if err != nil {
				return fmt.Errorf("experiment: curves: %w", err)
			}
			h.Normalize(1)
			h.FillColor = cls.clr
			h.LineStyle.Width = 0
			p.Add(h)
			p.Legend.Add(cls.name, h)
		}
		p.Legend.Top = true
		row[j] = p
	}
	return plotpng.SaveGrid(path, [][]*plot.Plot{row}, vg.Length(len(models))*4.5*vg.Inch, 3.5*vg.Inch, curveTiles)
}

// prROCFigure draws the ROC (left) and PR (right) curves of every model.
func prROCFigure(models []CurveModel, all []*pixelScores, path string) error {
	roc, pr := plot.New(), plot.New()
	roc.Title.Text, pr.Title.Text = "ROC", "Precision–recall"
	roc.X.Label.Text, roc.Y.Label.Text = "false-positive rate", "true-positive rate"
	pr.X.Label.Text, pr.Y.Label.Text = "recall", "precision"
	for _, p := range []*plot.Plot{roc, pr} {
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	}
	colors := []color.Color{color.RGBA{60, 90, 200, 255}, color.RGBA{200, 40, 40, 255}, color.RGBA{20, 140, 20, 255}, color.RGBA{140, 60, 160, 255}}
	for j, ps := range all {
		b, curve, err := metrics.ExactCurve(ps.score, ps.labels, metrics.DefaultIgnore)
		if err != nil {
			return fmt.Errorf("experiment: curves: %s: %w", models[j].Label, err)
		}
		fpr, tpr, prec := curve.FPR(), curve.TPR(), curve.Precision()
		var rocXY, prXY plotter.XYs
		step := max(1, len(tpr)/2000) // a few thousand points draw the curve
		for i := 0; i < len(tpr); i += step {
			rocXY = append(rocXY, plotter.XY{X: fpr[i], Y: tpr[i]})
			prXY = append(prXY, plotter.XY{X: tpr[i], Y: prec[i]})
		}
		clr := colors[j%len(colors)]
		for _, c := range []struct {
			p   *plot.Plot
			xy  plotter.XYs
			lbl string
		}{{roc, rocXY, fmt.Sprintf("%s (AUROC %.1f)", models[j].Label, 100*b.AUROC)}, {pr, prXY, fmt.Sprintf("%s (AP %.1f)", models[j].Label, 100*b.AP)}} {
			l, err := plotter.NewLine(c.xy)
			if err != nil {
				return fmt.Errorf("experiment: curves: %w", err)
			}
			l.Color, l.Width = clr, vg.Points(1.5)
			c.p.Add(l)
			c.p.Legend.Add(c.lbl, l)
		}
	}
	roc.Legend.Left, roc.Legend.Top = false, false
	roc.Legend.YOffs = vg.Points(10)
	pr.Legend.Top = true
	return plotpng.SaveGrid(path, [][]*plot.Plot{{roc, pr}}, 9*vg.Inch, 4*vg.Inch, curveTiles)
}

// curveTiles is the padding of the histogram and curve figures.
var curveTiles = draw.Tiles{PadX: vg.Millimeter * 5, PadY: vg.Millimeter * 4,
	PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 3, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2}

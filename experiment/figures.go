package experiment

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/nflowjs/nflowjs/internal/atomicfile"
)

// FiguresDir is the report's figure directory.
const FiguresDir = "figures"

// BuildFigures draws the report's charts from the results and gathers the
// figures the steps produced (toy figures, synthetic negatives, training
// curves, qualitative predictions) into REPORT_DIR/figures.
func BuildFigures(reportDir string, res *Results, sum *Summary) ([]Figure, error) {
	figDir := filepath.Join(reportDir, FiguresDir)
	// The directory is generated as a whole: drop figures of earlier runs
	// (e.g. of steps whose outputs changed names).
	if err := os.RemoveAll(figDir); err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	if err := os.MkdirAll(figDir, 0o755); err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	var figs []Figure
	add := func(name, caption string) {
		figs = append(figs, Figure{Path: FiguresDir + "/" + name, Caption: caption})
	}
	// Step outputs, copied so the report directory is self-contained even
	// if the step cache is deleted.
	copyFig := func(sr *StepResult, src, name, caption string) error {
		b, err := os.ReadFile(filepath.Join(sr.Out(), src))
		if err != nil {
			return nil // the command did not write this figure; leave it out
		}
		if err := atomicfile.WriteFile(filepath.Join(figDir, name), b); err != nil {
			return fmt.Errorf("experiment: %w", err)
		}
		add(name, caption)
		return nil
	}
	firstSeed := map[string]bool{}
	dataDirs := map[string]string{}    // dataset -> generated data
	predictDirs := map[string]string{} // dataset/model -> predict output
	for _, sr := range sum.Steps {
		if !sr.OK() {
			continue
		}
		m := sr.Step.Meta
		ds, model := m["dataset"], m["model"]
		switch m["kind"] {
		case KindData:
			dataDirs[ds] = sr.Out()
		case KindPredict:
			if _, ok := predictDirs[ds+"/"+model]; !ok {
				predictDirs[ds+"/"+model] = sr.Out()
			}
		}
		// Qualitative figures come from the first seed of each dataset.
		key := m["kind"] + "/" + ds + "/" + model
		if firstSeed[key] {
			continue
		}
		firstSeed[key] = true
		var err error
		switch m["kind"] {
		case KindToy:
			if err = copyFig(sr, ToyFigure2, "toy_figure2.png", "Figure 2 (2-D toy): OOD score field of max-softmax (left) and NFlowJS (right); blue dots: the two inlier classes, yellow stars: synthetic negatives sampled from the jointly trained flow; red = more anomalous"); err == nil {
				err = copyFig(sr, ToyFigure3L, "figure3_left.png", "Figure 3 (left): f-divergences to the uniform distribution in the two-class case; JS is bounded by ln 2 and penalises confident predictions mildly")
			}
		case KindJoint:
			if model != VariantNFlowJS {
				continue
			}
			for _, f := range []struct{ src, name, caption string }{
				{"negatives_start.png", ds + "_negatives_start.png", "Synthetic negatives on " + ds + " at the start of joint training (flow after pre-training)"},
				{"negatives_end.png", ds + "_negatives_end.png", "Synthetic negatives on " + ds + " after joint training (paper Figures 9–10)"},
				{"mixed_end.png", ds + "_mixed_end.png", "Mixed-content training images on " + ds + ": negatives pasted into inlier images (eq. 2)"},
				{"loss.png", ds + "_joint_loss.png", "Joint training curves on " + ds},
			} {
				if err = copyFig(sr, f.src, f.name, f.caption); err != nil {
					break
				}
			}
		case KindCurves:
			if err = copyFig(sr, CurvesFigure11, ds+"_figure11_maxlogit.png", "Figure 11 on "+ds+": max-logit of inlier and anomaly test pixels before (stage 1) and after joint training with synthetic negatives"); err == nil {
				err = copyFig(sr, CurvesPRROC, ds+"_pr_roc.png", "ROC and precision-recall curves on "+ds+": stage-1 model with max-softmax vs NFlowJS with the JS score")
			}
			if err == nil {
				err = copyFig(sr, NegLossFigure, ds+"_figure3_right.png", "Figure 3 (right) on "+ds+": λ·L_neg of the stage-1 model on pasted samples of the pre-trained flow, for the three candidate losses (same λ = 0.03 for all; the paper validates λ per loss)")
			}
		case KindClosed:
			err = copyFig(sr, "loss.png", ds+"_closed_loss.png", "Stage-1 (closed-set) training curve on "+ds)
		case KindPredict:
			err = copyPredictions(sr, figDir, ds, model, 1, &figs)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, ds := range res.Datasets() {
		closed, nflow := predictDirs[ds+"/"+ModelClosed], predictDirs[ds+"/"+VariantNFlowJS]
		if dataDirs[ds] != "" && closed != "" && nflow != "" {
			name := ds + "_qualitative.png"
			if ok, err := sideBySide(dataDirs[ds], closed, nflow, filepath.Join(figDir, name)); err != nil {
				return nil, err
			} else if ok {
				add(name, "Figure 7 on "+ds+", the test images with the largest anomalies: input | ground truth (anomaly cyan) | "+
					"stage-1 max-softmax heatmap | its outlier-aware segmentation | NFlowJS JS heatmap | its outlier-aware segmentation "+
					"(thresholds calibrated on val at TPR 95%; the legends mark them)")
			}
		}
		name := "main_ap_" + ds + ".png"
		ok, err := apBarChart(res, ds, filepath.Join(figDir, name))
		if err != nil {
			return nil, err
		}
		if ok {
			add(name, "AP and FPR95 of every method on "+ds+" (main table)")
		}
		name = "temperature_" + ds + ".png"
		if ok, err = temperatureChart(res, ds, filepath.Join(figDir, name)); err != nil {
			return nil, err
		} else if ok {
			add(name, "AP of the JS score against the temperature T on "+ds+" (Table 10)")
		}
	}
	return figs, nil
}

// copyPredictions copies the outlier-aware segmentation (BASE_fused.png,
// paper Figure 7) and the anomaly heatmap (BASE_ood.png) that `nflowjs
// predict` wrote for the first n test images.
func copyPredictions(sr *StepResult, figDir, ds, model string, n int, figs *[]Figure) error {
	entries, err := os.ReadDir(sr.Out())
	if err != nil {
		return fmt.Errorf("experiment: %w", err)
	}
	var bases []string
	for _, e := range entries {
		if b, ok := strings.CutSuffix(e.Name(), "_ood.png"); ok {
			bases = append(bases, b)
		}
	}
	sort.Strings(bases)
	label := "stage-1 model, max-softmax"
	if model != ModelClosed {
		label = "NFlowJS model, JS score"
	}
	for i, base := range bases {
		if i == n {
			break
		}
		for _, kind := range []struct{ suffix, what string }{
			{"_fused.png", "outlier-aware segmentation, anomalies in cyan (paper Figure 7)"},
			{"_ood.png", "anomaly-score heatmap (bright = anomalous)"},
		} {
			src := filepath.Join(sr.Out(), base+kind.suffix)
			b, err := os.ReadFile(src)
			if err != nil {
				continue // e.g. no fused map without a threshold
			}
			name := fmt.Sprintf("%s_%s_%s%s", ds, model, base, kind.suffix)
			if err := atomicfile.WriteFile(filepath.Join(figDir, name), b); err != nil {
				return fmt.Errorf("experiment: %w", err)
			}
			*figs = append(*figs, Figure{Path: FiguresDir + "/" + name, Caption: fmt.Sprintf("%s, test image %s, %s: %s", ds, base, label, kind.what)})
		}
	}
	return nil
}

// apBarChart draws grouped bars of AP and FPR95 for the main-table rows
// that ran.
func apBarChart(res *Results, ds, path string) (bool, error) {
	var labels []string
	var ap, fpr plotter.Values
	for _, row := range mainRows {
		a := res.lookupSpec(ds, row, MetricAP)
		if a.N == 0 {
			continue
		}
		labels = append(labels, shortLabel(row))
		ap = append(ap, 100*a.Mean)
		fpr = append(fpr, 100*res.lookupSpec(ds, row, MetricFPR95).Mean)
	}
	if len(labels) == 0 {
		return false, nil
	}
	p := plot.New()
	p.Title.Text = "Anomaly detection on " + ds
	p.Y.Label.Text = "%"
	w := vg.Points(9)
	barsAP, err := plotter.NewBarChart(ap, w)
	if err != nil {
		return false, fmt.Errorf("experiment: %w", err)
	}
	barsAP.Color = color.RGBA{200, 40, 40, 255}
	barsAP.Offset = -w / 2
	barsF, err := plotter.NewBarChart(fpr, w)
	if err != nil {
		return false, fmt.Errorf("experiment: %w", err)
	}
	barsF.Color = color.RGBA{60, 90, 200, 255}
	barsF.Offset = w / 2
	p.Add(barsAP, barsF)
	p.Legend.Add("AP ↑", barsAP)
	p.Legend.Add("FPR95 ↓", barsF)
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs = vg.Points(8)
	p.NominalX(labels...)
	p.X.Tick.Label.Rotation = 0.6
	p.X.Tick.Label.XAlign = draw.XRight
	p.Y.Min, p.Y.Max = 0, 118 // headroom for the legend above 100%
	return true, savePlot(p, vg.Length(120+45*len(labels))*vg.Points(1), 5*vg.Inch, path)
}

func shortLabel(r rowSpec) string {
	switch r.Model {
	case VariantNFlowJS:
		return "NFlowJS"
	case VariantNoise:
		return "noise neg."
	case VariantReal:
		return "real neg. (OE)"
	case VariantGMM:
		return "GMM features"
	case VariantUNO:
		return "UNO head"
	case VariantGAN:
		return "GAN neg."
	}
	l := strings.TrimSuffix(strings.TrimPrefix(r.Label, "**"), "**")
	if i := strings.Index(l, " ("); i > 0 {
		l = l[:i]
	}
	return l
}

// temperatureChart plots AP against T for the NFlowJS and stage-1 models.
func temperatureChart(res *Results, ds, path string) (bool, error) {
	p := plot.New()
	p.Title.Text = "JS score temperature on " + ds
	p.X.Label.Text = "T"
	p.Y.Label.Text = "AP (%)"
	drawn := false
	for i, m := range []struct{ model, name string }{{VariantNFlowJS, "NFlowJS model"}, {ModelClosed, "stage-1 model"}} {
		var xy plotter.XYs
		for _, t := range Temperatures {
			s := res.Lookup(ds, m.model, jsAt(t), MetricAP)
			if s.N == 0 {
				continue
			}
			x, _ := strconv.ParseFloat(t, 64)
			xy = append(xy, plotter.XY{X: x, Y: 100 * s.Mean})
		}
		if len(xy) < 2 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return false, fmt.Errorf("experiment: %w", err)
		}
		c := []color.Color{color.RGBA{200, 40, 40, 255}, color.RGBA{60, 90, 200, 255}}[i]
		l.Color, pts.Color = c, c
		p.Add(l, pts)
		p.Legend.Add(m.name, l, pts)
		drawn = true
	}
	if !drawn {
		return false, nil
	}
	return true, savePlot(p, 5*vg.Inch, 3.5*vg.Inch, path)
}

func savePlot(p *plot.Plot, w, h vg.Length, path string) error {
	if err := p.Save(w, h, path); err != nil {
		return fmt.Errorf("experiment: writing %s: %w", path, err)
	}
	return nil
}

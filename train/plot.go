package train

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Series is one named curve of a plot.
type Series struct {
	Name string
	X, Y []float64
}

// PlotCurves draws the series as lines (with points) into a PNG at path.
// Non-finite points are skipped; the file is replaced atomically. It fails if no series has a finite point.
func PlotCurves(path, title, xLabel, yLabel string, series ...Series) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Add(plotter.NewGrid())
	palette := []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255}}
	any := false
	for i, s := range series {
		var xy plotter.XYs
		for j := range min(len(s.X), len(s.Y)) {
			if isFinite(s.X[j]) && isFinite(s.Y[j]) {
				xy = append(xy, plotter.XY{X: s.X[j], Y: s.Y[j]})
			}
		}
		if len(xy) == 0 {
			continue
		}
		any = true
		line, points, err := plotter.NewLinePoints(xy)
		if err != nil {
			return fmt.Errorf("train: plot: %w", err)
		}
		c := palette[i%len(palette)]
		line.Color, points.Color = c, c
		points.Radius = vg.Points(2)
		p.Add(line, points)
		p.Legend.Add(s.Name, line, points)
	}
	if !any {
		return fmt.Errorf("train: plot %s: no finite points", path)
	}
	p.Legend.Top = true
	wt, err := p.WriterTo(6*vg.Inch, 4*vg.Inch, "png")
	if err != nil {
		return fmt.Errorf("train: plot: %w", err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return fmt.Errorf("train: plot: %w", err)
	}
	return writeFileAtomic(path, buf.Bytes())
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

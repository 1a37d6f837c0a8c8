package train

import (
	"errors"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/nflowjs/nflowjs/internal/plotpng"
)

// ErrNoFinitePoints is returned (wrapped) by PlotCurves and PlotPanels
// when there is nothing to draw.
var ErrNoFinitePoints = errors.New("train: plot: no finite points")

// Series is one named curve of a plot.
type Series struct {
	Name string // legend entry; empty: not in the legend
	X, Y []float64
	// Color of the curve; nil takes the series' colour of the default
	// palette.
	Color color.Color
}

// Panel is one plot of a PlotPanels figure.
type Panel struct {
	Title, XLabel, YLabel string
	Series                []Series
}

// plotWidth is the width of every plot; PlotCurves' plots are
// curvesHeight high.
const (
	plotWidth    = 6 * vg.Inch
	curvesHeight = 4 * vg.Inch
)

// PlotCurves draws the series as lines (with points) into a PNG at path.
// Non-finite points are skipped; the file is replaced atomically. It fails
// (ErrNoFinitePoints) if no series has a finite point.
func PlotCurves(path, title, xLabel, yLabel string, series ...Series) error {
	return PlotPanels(path, curvesHeight, Panel{Title: title, XLabel: xLabel, YLabel: yLabel, Series: series})
}

// PlotPanels draws the panels one above the other (aligned axes, each
// panelHeight high) into a PNG at path, for curves whose scales differ.
// Panels without a finite point are left out; if none is left it fails
// with ErrNoFinitePoints and leaves path alone. The file is replaced
// atomically.
func PlotPanels(path string, panelHeight vg.Length, panels ...Panel) error {
	var plots []*plot.Plot
	for _, pn := range panels {
		p, err := newPlot(pn)
		if err != nil {
			return err
		}
		if p != nil {
			plots = append(plots, p)
		}
	}
	if len(plots) == 0 {
		return fmt.Errorf("%w: %s", ErrNoFinitePoints, path)
	}
	grid := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		grid[i] = []*plot.Plot{p}
	}
	return plotpng.SaveGrid(path, grid, plotWidth, panelHeight*vg.Length(len(plots)), draw.Tiles{})
}

// newPlot builds the plot of one panel, or nil if it has no finite point.
func newPlot(pn Panel) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = pn.Title
	p.X.Label.Text = pn.XLabel
	p.Y.Label.Text = pn.YLabel
	p.Add(plotter.NewGrid())
	palette := []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255}}
	any := false
	for i, s := range pn.Series {
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
			return nil, fmt.Errorf("train: plot: %w", err)
		}
		var c color.Color = palette[i%len(palette)]
		if s.Color != nil {
			c = s.Color
		}
		line.Color, points.Color = c, c
		points.Radius = vg.Points(2)
		p.Add(line, points)
		if s.Name != "" {
			p.Legend.Add(s.Name, line, points)
		}
	}
	if !any {
		return nil, nil
	}
	p.Legend.Top = true
	return p, nil
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

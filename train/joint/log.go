package joint

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// LogRow is one line of RUN/log.jsonl: means over the steps since the
// previous row. Missing values (NaN) are written as null.
type LogRow struct {
	Step, Epoch int
	CE          float64
	// Neg is the mean L_neg on pasted pixels (before λ).
	Neg float64
	// BPD is the flow's L_nll on the replaced crops, bits/dim.
	BPD                    float64
	LR, BackboneLR, FlowLR float64
	ImagesPerSec, StepSec  float64
	ElapsedSec             float64
	Skipped                int
}

// MarshalJSON writes NaN and Inf as null.
func (r LogRow) MarshalJSON() ([]byte, error) {
	m := map[string]any{
		"step": r.Step, "epoch": r.Epoch, "ce": nullable(r.CE), "neg": nullable(r.Neg), "flow_bpd": nullable(r.BPD),
		"lr": r.LR, "backbone_lr": r.BackboneLR, "flow_lr": nullable(r.FlowLR), "images_per_s": r.ImagesPerSec,
		"step_s": r.StepSec, "elapsed_s": r.ElapsedSec, "skipped_steps": r.Skipped,
	}
	return json.Marshal(m)
}

func nullable(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// appendLog appends rows as JSON lines to path.
func appendLog(path string, rows ...LogRow) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, r := range rows {
		b, err := json.Marshal(r)
		if err != nil {
			f.Close()
			return err
		}
		w.Write(append(b, '\n'))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// rewriteLog replaces the log file with rows, atomically.
func rewriteLog(path string, rows []LogRow) error {
	var buf bytes.Buffer
	for _, r := range rows {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		buf.Write(append(b, '\n'))
	}
	return writeFileAtomic(path, buf.Bytes())
}

// readLog reads the rows of a log.jsonl (a resumed run extends its plot).
func readLog(path string) ([]LogRow, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rows []LogRow
	for i, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var m map[string]*float64
		if err := json.Unmarshal(line, &m); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, i+1, err)
		}
		get := func(k string) float64 {
			if v := m[k]; v != nil {
				return *v
			}
			return math.NaN()
		}
		rows = append(rows, LogRow{Step: int(get("step")), Epoch: int(get("epoch")), CE: get("ce"), Neg: get("neg"), BPD: get("flow_bpd"),
			LR: get("lr"), BackboneLR: get("backbone_lr"), FlowLR: get("flow_lr"), ImagesPerSec: get("images_per_s"),
			StepSec: get("step_s"), ElapsedSec: get("elapsed_s"), Skipped: int(get("skipped_steps"))})
	}
	return rows, nil
}

// plotLosses draws RUN/loss.png: cross-entropy, L_neg and the flow's
// bits/dim against the step, one panel each (their scales differ).
func plotLosses(path string, rows []LogRow, negName string) error {
	series := []struct {
		title string
		get   func(LogRow) float64
		col   color.RGBA
	}{
		{"cross-entropy (inlier pixels)", func(r LogRow) float64 { return r.CE }, color.RGBA{B: 200, A: 255}},
		{"L_neg = " + negName + " (pasted pixels)", func(r LogRow) float64 { return r.Neg }, color.RGBA{R: 200, A: 255}},
		{"flow NLL (bits/dim)", func(r LogRow) float64 { return r.BPD }, color.RGBA{G: 150, A: 255}},
	}
	var plots []*plot.Plot
	for _, s := range series {
		var pts plotter.XYs
		for _, r := range rows {
			if v := s.get(r); !math.IsNaN(v) && !math.IsInf(v, 0) {
				pts = append(pts, plotter.XY{X: float64(r.Step), Y: v})
			}
		}
		if len(pts) == 0 {
			continue
		}
		p := plot.New()
		p.Title.Text = s.title
		p.X.Label.Text = "step"
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		l.Color = s.col
		p.Add(l, plotter.NewGrid())
		plots = append(plots, p)
	}
	if len(plots) == 0 {
		return nil
	}
	const w, hEach = 6 * vg.Inch, 2.4 * vg.Inch
	img := vgimg.New(w, hEach*vg.Length(len(plots)))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(plots), Cols: 1}
	grid := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		grid[i] = []*plot.Plot{p}
	}
	canvases := plot.Align(grid, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[i][0])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return err
	}
	return writeFileAtomic(path, buf.Bytes())
}

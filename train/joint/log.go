package joint

import (
	"encoding/json"
	"errors"
	"image/color"
	"io/fs"
	"math"

	"gonum.org/v1/plot/vg"

	"github.com/nflowjs/nflowjs/train"
)

// LogRow is one line of RUN/log.jsonl: means over the steps since the
// previous row. Missing values (NaN) are written as null.
type LogRow struct {
	Step, Epoch int
	CE          float64
	// Neg is the mean L_neg on pasted pixels (before λ).
	Neg float64
	// BPD is the flow's L_nll on the replaced crops, bits/dim.
	BPD float64
	// OutOfRange is the mean share of flow-sample values outside the
	// image range (clamped before pasting).
	OutOfRange             float64
	LR, BackboneLR, FlowLR float64
	ImagesPerSec, StepSec  float64
	ElapsedSec             float64
	Skipped                int
}

// MarshalJSON writes NaN and Inf as null.
func (r LogRow) MarshalJSON() ([]byte, error) {
	m := map[string]any{
		"step": r.Step, "epoch": r.Epoch, "ce": nullable(r.CE), "neg": nullable(r.Neg), "flow_bpd": nullable(r.BPD),
		"flow_out_of_range": nullable(r.OutOfRange),
		"lr":                r.LR, "backbone_lr": r.BackboneLR, "flow_lr": nullable(r.FlowLR), "images_per_s": r.ImagesPerSec,
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

// logRow converts a row read by train.ReadLog; missing and null values
// become NaN.
func logRow(m map[string]any) LogRow {
	get := func(k string) float64 {
		if v, ok := m[k].(float64); ok {
			return v
		}
		return math.NaN()
	}
	return LogRow{Step: int(get("step")), Epoch: int(get("epoch")), CE: get("ce"), Neg: get("neg"), BPD: get("flow_bpd"), OutOfRange: get("flow_out_of_range"),
		LR: get("lr"), BackboneLR: get("backbone_lr"), FlowLR: get("flow_lr"), ImagesPerSec: get("images_per_s"),
		StepSec: get("step_s"), ElapsedSec: get("elapsed_s"), Skipped: int(get("skipped_steps"))}
}

// readLog reads the rows of a log.jsonl (none if it does not exist).
func readLog(path string) ([]LogRow, error) {
	ms, err := train.ReadLog(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rows := make([]LogRow, len(ms))
	for i, m := range ms {
		rows[i] = logRow(m)
	}
	return rows, nil
}

// openLog opens RUN/log.jsonl for a run that starts (or resumes) after
// `start` completed steps: rows logged after that checkpoint are dropped
// from the file, so that the resumed run's rows replace them. It returns
// the logger and the rows kept (a resumed run extends its plot).
func openLog(path string, start int) (*train.Logger, []LogRow, error) {
	logger, err := train.OpenLog(path, func(m map[string]any) bool {
		step, ok := m["step"].(float64)
		return !ok || step <= float64(start)
	})
	if err != nil {
		return nil, nil, err
	}
	rows, err := readLog(path)
	if err != nil {
		logger.Close()
		return nil, nil, err
	}
	return logger, rows, nil
}

// lossPanelHeight is the height of each panel of RUN/loss.png.
const lossPanelHeight = 2.4 * vg.Inch

// plotLosses draws RUN/loss.png: cross-entropy, L_neg and the flow's
// bits/dim against the step, one panel each (their scales differ). Losses
// never logged (all NaN) get no panel; if none was, no file is written.
func plotLosses(path string, rows []LogRow, negName string) error {
	steps := make([]float64, len(rows))
	for i, r := range rows {
		steps[i] = float64(r.Step)
	}
	panel := func(title string, c color.Color, get func(LogRow) float64) train.Panel {
		y := make([]float64, len(rows))
		for i, r := range rows {
			y[i] = get(r)
		}
		return train.Panel{Title: title, XLabel: "step", Series: []train.Series{{X: steps, Y: y, Color: c}}}
	}
	err := train.PlotPanels(path, lossPanelHeight,
		panel("cross-entropy (inlier pixels)", color.RGBA{B: 200, A: 255}, func(r LogRow) float64 { return r.CE }),
		panel("L_neg = "+negName+" (pasted pixels)", color.RGBA{R: 200, A: 255}, func(r LogRow) float64 { return r.Neg }),
		panel("flow NLL (bits/dim)", color.RGBA{G: 150, A: 255}, func(r LogRow) float64 { return r.BPD }))
	if errors.Is(err, train.ErrNoFinitePoints) {
		return nil
	}
	return err
}

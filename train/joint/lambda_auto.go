package joint

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/internal/atomicfile"
)

// Automatic λ (--lambda auto). The paper validates λ: "chosen so that the
// closed-set segmentation performance is not reduced" (Section 4.3). The
// right λ differs between data sets by more than an order of magnitude in
// our CPU runs — 0.3 halves aerial's FPR95 but makes the tiny road model
// uncertain everywhere (the demo's threshold then flagged 97% of a test
// image) — so a fixed default cannot hold everywhere. AutoLambda runs a
// short pilot per candidate and keeps one by a rule that never looks at
// the test split:
//
//   - with anomalies in the val split (the calibration split, whose
//     anomaly kinds differ from the test split's in every built-in
//     benchmark): the lowest val FPR95 of the JS score, ties broken by the
//     higher val AP, among the pilots whose val mIoU stays within
//     LambdaMIoUTolerance of the stage-1 model's;
//   - without val anomalies: the paper's rule, the largest λ whose pilot
//     keeps the val mIoU within LambdaMIoUTolerance of the stage-1 model's.
//
// The mIoU condition alone does not catch the failure above: on the demo
// the val mIoU rose (33.8 → 35.2) while the FPR95 worsened (61 → 72).

// LambdaGrid are the candidates of --lambda auto: the paper's 0.03 and
// two larger steps (our runs are ~50× shorter than the paper's).
var LambdaGrid = []float64{0.03, 0.1, 0.3}

// LambdaMIoUTolerance is how much val mIoU (absolute, 0-1) a pilot may lose
// against the stage-1 model and still be chosen.
const LambdaMIoUTolerance = 0.01

// PilotFraction is the share of the full run's steps each pilot trains.
const PilotFraction = 4 // pilots train Steps/4

// LambdaAutoFile records the pilots and the choice inside the run directory.
const LambdaAutoFile = "lambda_auto.json"

// LambdaPilot is one candidate's pilot run.
type LambdaPilot struct {
	Lambda   float64 `json:"lambda"`
	Steps    int     `json:"steps"`
	ValMIoU  float64 `json:"val_miou"`
	ValAP    float64 `json:"val_ap"`    // NaN (null) without val anomalies
	ValFPR95 float64 `json:"val_fpr95"` // NaN (null) without val anomalies
}

// LambdaChoice is the outcome of AutoLambda.
type LambdaChoice struct {
	Lambda       float64       `json:"lambda"`
	Rule         string        `json:"rule"`
	StageOneMIoU float64       `json:"val_miou_stage1"`
	Pilots       []LambdaPilot `json:"pilots"`
}

// MarshalJSON writes NaN as null.
func (p LambdaPilot) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"lambda": p.Lambda, "steps": p.Steps, "val_miou": nullable(p.ValMIoU),
		"val_ap": nullable(p.ValAP), "val_fpr95": nullable(p.ValFPR95)})
}

// chooseLambda applies the rule above to finished pilots (in grid order).
func chooseLambda(pilots []LambdaPilot, stage1MIoU float64) (float64, string) {
	keeps := func(p LambdaPilot) bool {
		return math.IsNaN(stage1MIoU) || math.IsNaN(p.ValMIoU) || p.ValMIoU >= stage1MIoU-LambdaMIoUTolerance
	}
	best := -1
	for i, p := range pilots {
		if math.IsNaN(p.ValFPR95) || !keeps(p) {
			continue
		}
		if best < 0 || p.ValFPR95 < pilots[best].ValFPR95 || (p.ValFPR95 == pilots[best].ValFPR95 && p.ValAP > pilots[best].ValAP) {
			best = i
		}
	}
	if best >= 0 {
		return pilots[best].Lambda, "lowest val FPR95 of the model's score (JS; uno for a UNO head) among pilots keeping val mIoU"
	}
	// No val anomalies (or every pilot lost mIoU): the paper's rule.
	chosen, rule := pilots[0].Lambda, "no pilot kept val mIoU: the smallest candidate"
	for _, p := range pilots {
		if keeps(p) {
			chosen, rule = p.Lambda, "largest λ keeping val mIoU (paper Section 4.3)"
		}
	}
	return chosen, rule
}

// AutoLambda runs one pilot per LambdaGrid value in cfg.Out/lambda-pilots
// (each cfg.Steps/PilotFraction steps, same seed and data) and returns the
// chosen λ. Finished pilots are reused, so an interrupted choice resumes.
// The choice is written to cfg.Out/lambda_auto.json.
func AutoLambda(ctx context.Context, cfg Config, stdout io.Writer) (*LambdaChoice, error) {
	if stdout == nil {
		stdout = io.Discard
	}
	choicePath := filepath.Join(cfg.Out, LambdaAutoFile)
	if raw, err := os.ReadFile(choicePath); err == nil {
		var c LambdaChoice
		if json.Unmarshal(raw, &c) == nil && c.Lambda > 0 {
			fmt.Fprintf(stdout, "lambda auto: %g (chosen earlier, %s)\n", c.Lambda, choicePath)
			return &c, nil
		}
	}
	if !hasValSplit(cfg.Data) {
		fmt.Fprintf(stdout, "lambda auto: %s has no val split to choose λ on: using the paper's %g\n", cfg.Data, DefaultLambda)
		return &LambdaChoice{Lambda: DefaultLambda, Rule: "no val split: the paper's value", StageOneMIoU: math.NaN()}, nil
	}
	steps := max(cfg.Steps/PilotFraction, 1)
	choice := &LambdaChoice{StageOneMIoU: math.NaN()}
	for _, lambda := range LambdaGrid {
		pc := cfg
		pc.Lambda, pc.Steps = lambda, steps
		pc.Out = filepath.Join(cfg.Out, "lambda-pilots", "lambda-"+strconv.FormatFloat(lambda, 'g', -1, 64))
		pc.CheckpointEvery = steps
		pc.Resume = true
		fmt.Fprintf(stdout, "lambda auto: pilot λ=%g, %d steps\n", lambda, steps)
		sum, err := Run(ctx, pc, io.Discard, nil)
		if err != nil {
			return nil, fmt.Errorf("joint: lambda pilot %g: %w", lambda, err)
		}
		// A finished pilot resumed here trains no step but is validated
		// again, so its numbers are always fresh.
		p := LambdaPilot{Lambda: lambda, Steps: steps, ValMIoU: sum.ValMIoUEnd, ValAP: sum.ValAPEnd, ValFPR95: sum.ValFPR95End}
		if math.IsNaN(choice.StageOneMIoU) {
			choice.StageOneMIoU = stageOneMIoU(pc.Out, sum.ValMIoUStart)
		}
		fmt.Fprintf(stdout, "lambda auto: λ=%g  val mIoU %.4f  val AP %.4f  val FPR95 %.4f\n", lambda, p.ValMIoU, p.ValAP, p.ValFPR95)
		choice.Pilots = append(choice.Pilots, p)
	}
	choice.Lambda, choice.Rule = chooseLambda(choice.Pilots, choice.StageOneMIoU)
	fmt.Fprintf(stdout, "lambda auto: chose λ=%g (%s; stage-1 val mIoU %.4f)\n", choice.Lambda, choice.Rule, choice.StageOneMIoU)
	raw, err := json.MarshalIndent(map[string]any{"lambda": choice.Lambda, "rule": choice.Rule,
		"val_miou_stage1": nullable(choice.StageOneMIoU), "pilots": choice.Pilots}, "", " ")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(choicePath, append(raw, '\n')); err != nil {
		return nil, err
	}
	return choice, nil
}

// stageOneMIoU is the stage-1 val mIoU a pilot recorded when it started
// (kept across resumes), or fallback.
func stageOneMIoU(dir string, fallback float64) float64 {
	if v, ok := previousExtra(dir)["val_miou_stage1"].(float64); ok {
		return v
	}
	return fallback
}

// hasValSplit reports whether the dataset has a non-empty val split.
func hasValSplit(spec string) bool {
	ds, err := dataset.Open(spec)
	if err != nil {
		return false
	}
	s, err := ds.Split(dataset.SplitVal)
	return err == nil && s.Len() > 0
}

// LambdaOf returns the λ a finished joint run in dir trained with (its
// model.json records it), so that an ablation can change one setting of
// a run whose λ was chosen automatically and keep that λ (train joint
// --lambda from:DIR).
func LambdaOf(dir string) (float64, error) {
	joint, _ := previousExtra(dir)["joint"].(map[string]any)
	lambda, ok := joint["lambda"].(float64)
	if !ok || !(lambda >= 0) {
		return 0, fmt.Errorf("%w: %s holds no finished joint run (model.json records no lambda)", ErrConfig, dir)
	}
	return lambda, nil
}

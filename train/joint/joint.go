package joint

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/internal/atomicfile"
	"github.com/nflowjs/nflowjs/internal/runlock"
	"github.com/nflowjs/nflowjs/models/flow"
	"github.com/nflowjs/nflowjs/models/gan"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/optim"
	"github.com/nflowjs/nflowjs/tensor"
	"github.com/nflowjs/nflowjs/train"
)

// Defaults of a joint (stage-2) run. The paper's values (Section 4.3) are
// for 15 epochs over 25k images at batch 12 (≈31k steps) after a 25-epoch
// stage 1: its stage-2 rates are 1/40 of its stage-1 rates. Our CPU runs
// take a few hundred steps, and Adam moves each weight by about lr per
// step whatever the gradient's scale, so the paper's ratio would leave the
// classifier where it was: on the procedural road benchmark, 300 steps at
// 1e-4 (1/40 of `train closed`'s 4e-3) did not lower L_neg on the
// negatives at all. The defaults are therefore 1/4 of the stage-1 rates
// (with the paper's 4:1 upsampling:backbone ratio), cosine-annealed to
// the paper's floor within the run.
const (
	// DefaultLambda is the paper's λ, the Config default for callers that
	// set no λ and the fallback of AutoLambda without a val split. The
	// command's default is --lambda auto (lambda_auto.go): the right λ for
	// a few hundred CPU steps differs between data sets.
	DefaultLambda     = 0.03   // paper: 3e-2
	DefaultLR         = 1e-3   // upsampling path; paper: 1e-5
	DefaultBackboneLR = 2.5e-4 // paper: 2.5e-6
	DefaultMinLR      = 1e-7   // cosine floor; paper: 1e-7
	// DefaultFlowLR is the Adamax rate of a pre-trained flow (paper: 1e-6
	// over ≈31k steps). λ·L_neg pulls the flow towards samples the
	// classifier already finds uncertain, and only L_nll of inlier crops
	// pulls back — which does not constrain where the samples go: at 1e-4
	// (λ = 0.3, 500 road steps) the flow kept 4.0 bits/dim on inliers while
	// 66% of its sample pixels left the image range (saturated noise after
	// ClampImage), and the anomaly AP fell from 5.9 (frozen flow) to 4.2.
	// At 1e-5 the samples stay images (2% of pixels out of range) and the
	// AP matches the frozen flow's. A flow trained from scratch
	// (--pretrained-flow=false) uses DefaultFlowLRScratch, the rate of
	// `nflowjs train flow`.
	DefaultFlowLR        = 1e-5
	DefaultFlowLRScratch = 1e-3
	// DefaultFlowClip bounds the flow's global gradient norm, as in flow
	// pre-training: the L_neg gradient through the inverse can spike.
	DefaultFlowClip = 50.0
	// The negative patch sides default to a range relative to the
	// training image (see patchRange): the paper draws them from
	// U(16, 216) on 768-pixel road crops (2-28% of the side) and U(16, 64)
	// on 512-pixel aerial images (3-12.5%). Our earlier fixed 16-64 covered
	// 12-50% of the short side of a 128-pixel image and up to two thirds
	// of a 96-pixel fashion-ood scene; on fashion-ood 8-32 gave a lower
	// near-OOD FPR95 than 16-64 (25.0 vs 29.1 at λ = 0.3).
	DefaultPatchFraction = 4 // patch-max = short side / 4
	DefaultSteps         = 600
	DefaultBatch         = 8
	// DefaultFlowTemperature samples the flow's own distribution (the
	// paper draws z from the factorised Gaussian prior).
	DefaultFlowTemperature = 1.0
	DefaultLogEvery        = 10
	DefaultCheckpointEvery = 100
	// maxBadSteps aborts after this many consecutive non-finite steps.
	maxBadSteps = 20
	// gridPatches is the number of synthetic negatives in the PNG grids.
	gridPatches = 16
	// gridImages is the number of mixed-content examples drawn.
	gridImages = 4
)

// File names inside the run directory (besides the seg Bundle's
// model.safetensors and model.json).
const (
	StateFile   = "state.safetensors"
	FlowFile    = "flow.safetensors"
	LogFile     = "log.jsonl"
	LossPlot    = "loss.png"
	ConfigFile  = "joint.json"
	flowRunFile = "flow.safetensors" // inside a `train flow` run directory
	ganRunFile  = "gan.safetensors"  // inside a `train gan` run directory
)

// Config configures Run (the flags of `nflowjs train joint`).
type Config struct {
	Data string // dataset (dataset.Open spec) with a train split
	Seg  string // stage-1 bundle directory
	// Flow is a pre-trained flow: a `train flow` run directory or a
	// flow.safetensors file. With PretrainedFlow false only its
	// configuration is used (or FlowPreset when Flow is empty).
	Flow string
	Out  string

	// Negatives is "flow" (NFlowJS), "noise", "none", "real:DIR" or
	// "gmm" (VOS's virtual outliers in the pre-logit feature space, gmm.go)
	// or "gan" (a pre-trained DCGAN's generator, GAN).
	Negatives string
	// GAN is the `train gan` run directory (or gan.safetensors) of
	// --negatives gan.
	GAN     string
	NegLoss NegLoss
	// Head is "" (K logits, L_neg = NegLoss) or "uno": the classifier
	// gains a (K+1)-th negative class (seg.WithNegativeClass, zero
	// weights) trained with L_neg = NegativeClassLoss on the negatives,
	// and the bundle scores with uno (UNO, Delić et al., BMVC 2024).
	Head   string
	Lambda float64
	// LambdaAuto, if set, is how AutoLambda chose Lambda; it is recorded
	// in the bundle's model.json.
	LambdaAuto     *LambdaChoice
	JointFlow      bool // train the flow (Eq. 4); false keeps it frozen
	PretrainedFlow bool
	// PretrainedSeg false replaces the stage-1 weights by a fresh
	// initialisation of the same architecture (paper Table 9, "neither
	// pre-trained" with PretrainedFlow false); Seg still supplies the
	// architecture, classes and normalisation.
	PretrainedSeg   bool
	FlowPreset      string
	FlowTemperature float64
	// PatchMin and PatchMax bound the negative patch sides; 0 selects
	// them from the training image and the flow's crop (patchRange).
	PatchMin int
	PatchMax int

	Steps, Batch int
	// CropH, CropW give random training crops (0: the first training
	// image's size); Flip, MinScale/MaxScale (0, 0: no scaling) and Jitter
	// augment as in stage 1 (dataset.Augment).
	CropH, CropW       int
	Flip               bool
	MinScale, MaxScale float64
	Jitter             float64
	// LR (upsampling path) and BackboneLR (encoder) are Adam's initial
	// rates, annealed by a cosine to MinLR at the last step.
	LR, BackboneLR, MinLR float64
	// FreezeBN keeps the classifier's batch norms in evaluation mode
	// (stage-1 running statistics, not updated) during joint training.
	FreezeBN        bool
	FlowLR          float64 // Adamax; 0 selects the default for PretrainedFlow
	FlowClip        float64 // 0: no clipping
	Seed            uint64
	Resume          bool
	LogEvery        int
	CheckpointEvery int
	Workers         int
}

// DefaultConfig returns the NFlowJS defaults (flow negatives trained
// jointly with the JS loss).
func DefaultConfig() Config {
	return Config{
		Negatives: "flow", NegLoss: JSD, Lambda: DefaultLambda, JointFlow: true, PretrainedFlow: true, PretrainedSeg: true,
		FlowPreset: "denseflow-tiny", FlowTemperature: DefaultFlowTemperature,
		Steps: DefaultSteps, Batch: DefaultBatch, Flip: true,
		MinScale: train.DefaultMinScale, MaxScale: train.DefaultMaxScale, Jitter: train.DefaultJitter,
		LR: DefaultLR, BackboneLR: DefaultBackboneLR, MinLR: DefaultMinLR, FlowClip: DefaultFlowClip,
		Seed: 1, LogEvery: DefaultLogEvery, CheckpointEvery: DefaultCheckpointEvery,
	}
}

// Validate checks the numbers of a configuration.
func (c *Config) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...)
	}
	switch {
	case c.Data == "" || c.Seg == "" || c.Out == "":
		return bad("data, seg and out are required")
	case c.Steps <= 0 || c.Batch <= 0:
		return bad("steps (%d) and batch (%d) must be positive", c.Steps, c.Batch)
	case c.CropH < 0 || c.CropW < 0 || (c.CropH == 0) != (c.CropW == 0):
		return bad("crop %dx%d must be 0x0 or positive", c.CropH, c.CropW)
	case !(c.Lambda >= 0) || math.IsInf(c.Lambda, 0):
		return bad("lambda %v must be finite and non-negative", c.Lambda)
	case !(c.LR >= 0) || !(c.BackboneLR >= 0) || !(c.MinLR >= 0) || !(c.FlowLR >= 0) || !(c.FlowClip >= 0):
		return bad("learning rates and clip must be non-negative")
	case !(c.FlowTemperature > 0):
		return bad("flow temperature %v must be positive", c.FlowTemperature)
	case c.PatchMin < 0 || c.PatchMax < 0 || (c.PatchMax > 0 && c.PatchMin > c.PatchMax):
		return bad("patch size range [%d, %d] must satisfy 0 <= min <= max (0: automatic)", c.PatchMin, c.PatchMax)
	case c.LogEvery <= 0 || c.CheckpointEvery <= 0:
		return bad("log and checkpoint intervals must be positive")
	}
	kind, _, err := parseNegatives(c.Negatives)
	if err != nil {
		return err
	}
	switch {
	case c.Head != "" && c.Head != seg.HeadUNO:
		return bad("--head %q (want uno, or nothing for K logits)", c.Head)
	case c.Head == seg.HeadUNO && kind == "none":
		return bad("--head uno trains its negative class on negatives; --negatives none leaves it untrained")
	}
	return nil
}

// parseNegatives splits "real:DIR".
func parseNegatives(s string) (kind, dir string, err error) {
	switch {
	case s == "flow" || s == "noise" || s == "none" || s == "gmm" || s == "gan":
		return s, "", nil
	case strings.HasPrefix(s, "real:") && len(s) > len("real:"):
		return "real", s[len("real:"):], nil
	}
	return "", "", fmt.Errorf("%w: --negatives %q (want flow, noise, none, gmm, gan or real:DIR)", ErrConfig, s)
}

// Summary reports a finished run.
type Summary struct {
	Steps        int     // steps completed in total (including before a resume)
	Skipped      int     // non-finite steps skipped in this invocation
	StepSec      float64 // mean wall time per step in this invocation
	ImagesPerSec float64
	Last         LogRow // the last log row
	// ValMIoUStart and ValMIoUEnd are the closed-set mIoU on the val split
	// before and after this invocation's steps (NaN without a val split).
	ValMIoUStart, ValMIoUEnd float64
	// ValAP*/ValFPR95* are the JS score's AP and FPR95 on the val split's
	// anomalies before and after (NaN without a val split or anomalies).
	ValAPStart, ValAPEnd, ValFPR95Start, ValFPR95End float64
}

// loadFlow reads a pre-trained flow from a run directory or file, with
// the crop side it was pre-trained on (0 if the file does not say).
func loadFlow(path string) (*flow.Flow, int, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, flowRunFile)
	}
	f, meta, err := flow.Load(path)
	crop, _ := strconv.Atoi(meta[flow.MetaCrop])
	return f, crop, err
}

// flowCropWarning explains why patches larger than the flow's
// pre-training crops make poor negatives. Measured on fashion-ood with a
// realnvp-tiny flow pre-trained on 16×16 crops: 5.7 bits/dim at 16×16 and
// 5.9 at 8×8, but 11.5 at 24×24 and 167 at 32×32 (max 1794) — the
// convolutions only ever saw the few positions of a 16-pixel input, so
// larger inputs leave the distribution they learned. Such patches are
// saturated noise, not samples from the border of the inliers, and their
// L_nll gradients (clipped, but huge) drag the flow away.
func flowCropWarning(crop, patchMax int) string {
	if crop <= 0 || patchMax <= crop {
		return ""
	}
	return fmt.Sprintf("warning: the flow was pre-trained on %dx%d crops but --patch-max is %d: its likelihood and samples break down "+
		"on patches larger than its crops (pre-train with `train flow --crop %d`, or lower --patch-max)", crop, crop, patchMax, patchMax)
}

// runState bundles what the loop needs.
type runState struct {
	cfg      Config
	bundle   *seg.Bundle
	model    *seg.Model
	fl       *flow.Flow
	negs     Negatives
	gmm      *GMMNegatives // --negatives gmm
	obj      *Objective
	clfOpt   optim.Optimizer
	flowOpt  optim.Optimizer
	sched    optim.Schedule
	norm     Normalizer
	split    *dataset.Split
	examples *tensor.Tensor // fixed images for mixed_*.png
	h, w     int
	val      *dataset.Loader // closed-set validation (nil without a val split)
	extra    map[string]any  // extra bundle info (validation results)
	flowCrop int             // the pre-trained flow's crop side (0: unknown)
}

// Run trains the classifier of a stage-1 bundle jointly with a normalizing
// flow on mixed-content images (paper Section 3.1, Fig. 1) and writes a
// seg Bundle to cfg.Out (default score "js", temperature 2), plus
// state.safetensors (for Resume), flow.safetensors, log.jsonl, loss.png,
// negatives_{start,end}.png and mixed_{start,end}.png. progress receives
// the progress bar (nil: none), stdout one line per log interval.
func Run(ctx context.Context, cfg Config, stdout, progress io.Writer) (*Summary, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if stdout == nil {
		stdout = io.Discard
	}
	rs, err := setup(cfg)
	if err != nil {
		return nil, err
	}
	// One run per directory: a second run into cfg.Out would mix its
	// weights and logs with this one's.
	unlock, err := runlock.Lock(cfg.Out)
	if err != nil {
		return nil, fmt.Errorf("joint: %w", err)
	}
	defer unlock()
	// Files a kill left half-written are garbage once the lock is ours.
	if err := atomicfile.RemoveTemps(cfg.Out); err != nil {
		return nil, fmt.Errorf("joint: %w", err)
	}
	if w := flowCropWarning(rs.flowCrop, rs.cfg.PatchMax); w != "" {
		fmt.Fprintln(stdout, w)
	}
	fmt.Fprintf(stdout, "negative patches: sides %d-%d on %dx%d training images\n", rs.cfg.PatchMin, rs.cfg.PatchMax, rs.h, rs.w)
	rs.extra["patch_sides"] = []int{rs.cfg.PatchMin, rs.cfg.PatchMax}
	cfgJSON, _ := json.Marshal(configRecord(cfg))
	statePath := filepath.Join(cfg.Out, StateFile)
	ts := &trainState{clf: rs.model, fl: rs.fl, clfOpt: rs.clfOpt, flowOpt: rs.flowOpt}
	step := 0
	if _, err := os.Stat(statePath); err == nil {
		if !cfg.Resume {
			return nil, fmt.Errorf("%w: %s already holds a joint run; pass --resume or choose another --out", ErrConfig, cfg.Out)
		}
		var saved string
		if step, saved, err = ts.load(statePath); err != nil {
			return nil, fmt.Errorf("joint: resume: %w", err)
		}
		if saved != string(cfgJSON) {
			fmt.Fprintf(stdout, "warning: resuming with a different configuration\n  saved: %s\n  now:   %s\n", saved, cfgJSON)
		}
		fmt.Fprintf(stdout, "resuming %s at step %d\n", cfg.Out, step)
	} else if err := atomicfile.WriteFile(filepath.Join(cfg.Out, ConfigFile), append(cfgJSON, '\n')); err != nil {
		return nil, err
	}
	if step == 0 {
		if err := rs.drawImages("start"); err != nil {
			return nil, err
		}
	}
	start, err := rs.validate(ctx)
	if err != nil {
		return nil, err
	}
	if step == 0 {
		rs.extra["val_miou_stage1"] = nullable(start.MIoU)
		rs.extra["val_ap_stage1"] = nullable(start.AnomalyAP)
		rs.extra["val_fpr95_stage1"] = nullable(start.AnomalyFPR95)
	} else {
		prev := previousExtra(cfg.Out)
		for _, k := range []string{"val_miou_stage1", "val_ap_stage1", "val_fpr95_stage1"} {
			if v, ok := prev[k]; ok {
				rs.extra[k] = v
			}
		}
	}
	sum, err := rs.loop(ctx, step, ts, string(cfgJSON), stdout, progress)
	if err != nil {
		return sum, err
	}
	end, err := rs.validate(ctx)
	if err != nil {
		return sum, err
	}
	sum.ValMIoUStart, sum.ValMIoUEnd = start.MIoU, end.MIoU
	sum.ValAPStart, sum.ValAPEnd = start.AnomalyAP, end.AnomalyAP
	sum.ValFPR95Start, sum.ValFPR95End = start.AnomalyFPR95, end.AnomalyFPR95
	if !math.IsNaN(end.MIoU) {
		rs.extra["val_miou"] = end.MIoU
		rs.extra["val_ap"] = nullable(end.AnomalyAP)
		rs.extra["val_fpr95"] = nullable(end.AnomalyFPR95)
		fmt.Fprintf(stdout, "val mIoU %.4f before, %.4f after\n", start.MIoU, end.MIoU)
		if !math.IsNaN(end.AnomalyAP) {
			score := "JS"
			if rs.model.HasNegativeClass() {
				score = "uno"
			}
			fmt.Fprintf(stdout, "val anomalies, %s score: AP %.4f before, %.4f after; FPR95 %.4f before, %.4f after\n",
				score, start.AnomalyAP, end.AnomalyAP, start.AnomalyFPR95, end.AnomalyFPR95)
		}
		if err := rs.save(ts, sum.Steps, string(cfgJSON)); err != nil {
			return sum, err
		}
	}
	if err := rs.drawImages("end"); err != nil {
		return sum, err
	}
	return sum, nil
}

// previousExtra returns the Extra map of the bundle info a run directory
// already holds (empty if none), so a resumed run keeps what it recorded.
func previousExtra(dir string) map[string]any {
	var info struct {
		Extra map[string]any `json:"extra"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "model.json"))
	if err == nil {
		_ = json.Unmarshal(raw, &info)
	}
	return info.Extra
}

// validate evaluates the model on the val split in eval mode (the
// training mode is restored): closed-set mIoU and, where val has anomaly
// pixels, the JS score's AP and FPR95; all NaN without a val split.
func (rs *runState) validate(ctx context.Context) (*train.ValResult, error) {
	if rs.val == nil {
		return &train.ValResult{MIoU: math.NaN(), AnomalyAP: math.NaN(), AnomalyFPR95: math.NaN()}, nil
	}
	r, err := train.Validate(ctx, rs.model, rs.val, 0)
	if err != nil {
		return nil, fmt.Errorf("joint: validation: %w", err)
	}
	return r, nil
}

// configRecord is the configuration as saved in joint.json and the state.
func configRecord(c Config) map[string]any {
	return map[string]any{
		"data": c.Data, "seg": c.Seg, "flow": c.Flow, "gan": c.GAN, "negatives": c.Negatives, "neg_loss": c.negLossName(), "head": c.Head,
		"lambda": c.Lambda, "joint_flow": c.JointFlow, "pretrained_flow": c.PretrainedFlow, "pretrained_seg": c.PretrainedSeg, "flow_preset": c.FlowPreset,
		"flow_temperature": c.FlowTemperature, "patch_min": c.PatchMin, "patch_max": c.PatchMax,
		"steps": c.Steps, "batch": c.Batch, "crop": []int{c.CropH, c.CropW}, "flip": c.Flip,
		"scale": []float64{c.MinScale, c.MaxScale}, "jitter": c.Jitter,
		"lr": c.LR, "backbone_lr": c.BackboneLR, "min_lr": c.MinLR, "flow_lr": c.FlowLR, "flow_clip": c.FlowClip, "seed": c.Seed,
		"freeze_bn": c.FreezeBN,
	}
}

func setup(cfg Config) (*runState, error) {
	rs := &runState{cfg: cfg}
	ds, err := dataset.Open(cfg.Data)
	if err != nil {
		return nil, err
	}
	if rs.split, err = ds.Split(dataset.SplitTrain); err != nil {
		return nil, err
	}
	if rs.split.Len() < cfg.Batch {
		return nil, fmt.Errorf("%w: train split has %d images, fewer than the batch %d", ErrConfig, rs.split.Len(), cfg.Batch)
	}
	if rs.bundle, err = seg.LoadBundle(cfg.Seg); err != nil {
		return nil, err
	}
	rs.model = rs.bundle.Model
	info := rs.bundle.Info
	if !cfg.PretrainedSeg {
		if rs.model, err = seg.New(info.Config, rand.New(rand.NewPCG(cfg.Seed, 0x5e9))); err != nil {
			return nil, err
		}
		rs.bundle.Model = rs.model
	}
	if cfg.Head == seg.HeadUNO {
		// Zero weights for the negative class: the inlier logits start as
		// stage 1 left them (the UNO authors' initialisation).
		if rs.model, err = seg.WithNegativeClass(rs.model); err != nil {
			return nil, err
		}
		rs.bundle.Model = rs.model
	}
	if len(rs.split.Meta.Classes) != info.Config.NumClasses {
		return nil, fmt.Errorf("%w: dataset %s has %d classes, model %s %d", ErrConfig, cfg.Data, len(rs.split.Meta.Classes), cfg.Seg, info.Config.NumClasses)
	}
	rs.norm = Normalizer{Mean: info.Mean, Std: info.Std}
	rs.extra = map[string]any{}
	if c := cfg.LambdaAuto; c != nil {
		rs.extra["lambda_auto"] = map[string]any{"lambda": c.Lambda, "rule": c.Rule, "pilots": c.Pilots}
	}
	if vs, err := ds.Split(dataset.SplitVal); err == nil && vs.Len() > 0 {
		if rs.val, err = dataset.NewLoader(vs, dataset.LoaderConfig{BatchSize: cfg.Batch, Cache: true, Mean: info.Mean, Std: info.Std, Workers: cfg.Workers}); err != nil {
			return nil, err
		}
	}

	first, err := rs.split.Load(0)
	if err != nil {
		return nil, err
	}
	rs.h, rs.w = first.H(), first.W()
	if cfg.CropH > 0 {
		rs.h, rs.w = cfg.CropH, cfg.CropW
	}
	if err := rs.loadExamples(first); err != nil {
		return nil, err
	}

	kind, dir, _ := parseNegatives(cfg.Negatives)
	switch kind {
	case "flow":
		if rs.fl, err = rs.buildFlow(); err != nil {
			return nil, err
		}
		rs.negs = &FlowNegatives{Flow: rs.fl, Temperature: float32(cfg.FlowTemperature), Norm: rs.norm}
	case "noise":
		rs.negs = &NoiseNegatives{Norm: rs.norm}
	case "real":
		_, pmax := rs.patchRange(1)
		if rs.negs, err = LoadRealNegatives(dir, pmax, rs.norm); err != nil {
			return nil, err
		}
	case "gan":
		if cfg.GAN == "" {
			return nil, fmt.Errorf("%w: --negatives gan needs --gan (a `train gan` run)", ErrConfig)
		}
		path := cfg.GAN
		if st, err := os.Stat(path); err == nil && st.IsDir() {
			path = filepath.Join(path, ganRunFile)
		}
		g, meta, err := gan.Load(path)
		if err != nil {
			return nil, err
		}
		rs.flowCrop, _ = strconv.Atoi(meta["crop"]) // patches no larger than its training crops
		rs.negs = &GANNegatives{GAN: g, Norm: rs.norm}
	case "gmm":
		// Fitted on the stage-1 model's features, once.
		if rs.gmm, err = FitGMMNegatives(rs.model, rs.split, info.Mean, info.Std, DefaultGMMFitImages, cfg.Batch, cfg.Seed); err != nil {
			return nil, err
		}
	}
	multiple := 1
	if rs.negs != nil {
		multiple = rs.negs.Multiple()
	}
	rs.cfg.PatchMin, rs.cfg.PatchMax = rs.patchRange(multiple)
	cfg = rs.cfg

	rs.obj = &Objective{
		Classifier: rs.model, Negatives: rs.negs, Virtual: rs.gmm, Sizer: PatchSizer{Min: cfg.PatchMin, Max: cfg.PatchMax},
		Lambda: float32(cfg.Lambda), Loss: cfg.NegLoss, NumClasses: info.Config.NumClasses, Norm: rs.norm,
		NegativeClass: rs.model.HasNegativeClass(),
	}
	if rs.fl != nil && cfg.JointFlow {
		rs.obj.Flow = rs.fl
	}
	if err := rs.obj.Validate(rs.h, rs.w); err != nil {
		return nil, err
	}

	groups := []optim.ParamGroup{
		{Name: "backbone", Params: rs.model.EncoderParams(), LR: cfg.BackboneLR},
		{Name: "upsampling", Params: rs.model.DecoderParams(), LR: cfg.LR},
	}
	if rs.clfOpt, err = optim.NewAdam(groups, optim.DefaultAdamConfig()); err != nil {
		return nil, err
	}
	// Cosine annealing over the run, reaching MinLR at the last step
	// (paper: cosine to 1e-7).
	rs.sched = optim.Cosine{TMax: max(cfg.Steps-1, 1), MinLR: cfg.MinLR}
	if rs.obj.Flow != nil {
		lr := cfg.FlowLR
		if lr == 0 {
			lr = DefaultFlowLR
			if !cfg.PretrainedFlow {
				lr = DefaultFlowLRScratch
			}
		}
		rs.cfg.FlowLR = lr
		if rs.flowOpt, err = optim.NewAdamax([]optim.ParamGroup{{Name: "flow", Params: rs.fl.Parameters(), LR: lr}}, optim.DefaultAdamConfig()); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// buildFlow loads the pre-trained flow, or builds a fresh one with the
// same configuration (or FlowPreset) initialised on inlier crops.
func (rs *runState) buildFlow() (*flow.Flow, error) {
	cfg := rs.cfg
	if cfg.PretrainedFlow {
		if cfg.Flow == "" {
			return nil, fmt.Errorf("%w: flow negatives need --flow (a pre-trained flow) or --pretrained-flow=false", ErrConfig)
		}
		f, crop, err := loadFlow(cfg.Flow)
		rs.flowCrop = crop
		return f, err
	}
	var fc flow.Config
	if cfg.Flow != "" {
		pre, _, err := loadFlow(cfg.Flow)
		if err != nil {
			return nil, err
		}
		fc = pre.Config()
	} else {
		var err error
		if fc, err = flow.Preset(cfg.FlowPreset); err != nil {
			return nil, err
		}
	}
	f, err := flow.New(fc, rand.New(rand.NewPCG(cfg.Seed, 0xf10)))
	if err != nil {
		return nil, err
	}
	// Data-dependent actnorm initialisation on inlier crops (the first
	// joint step would do it too, but the start grid samples before).
	k := fc.SqueezeFactor()
	side := max(k, min(rs.h, rs.w)/DefaultPatchFraction/k*k)
	p := Placement{H: side, W: side, Top: make([]int, rs.examples.Shape[0]), Left: make([]int, rs.examples.Shape[0])}
	crops := flow.Dequantize(rs.norm.ToBytes(CropEachTensor(rs.examples, p)), rand.New(rand.NewPCG(cfg.Seed, 0x1a1)))
	defer autograd.NoGrad()()
	if _, err := f.LogProb(autograd.Const(crops), rand.New(rand.NewPCG(cfg.Seed, 0x1a2))); err != nil {
		return nil, err
	}
	return f, nil
}

// patchRange resolves the negative patch sides for patches that must be
// multiples of m: the configured bounds, or automatically a maximum of a
// quarter of the training image's short side (paper: 28% on road, 12.5%
// on aerial), capped by the crop a pre-trained flow was trained on (its
// likelihood and samples break down on larger inputs, see
// flowCropWarning), and a minimum of a quarter of the maximum.
func (rs *runState) patchRange(m int) (lo, hi int) {
	lo, hi = rs.cfg.PatchMin, rs.cfg.PatchMax
	if hi == 0 {
		hi = min(rs.h, rs.w) / DefaultPatchFraction
		if rs.flowCrop > 0 {
			hi = min(hi, rs.flowCrop)
		}
		hi = max(m, hi/m*m)
	}
	if lo == 0 {
		lo = max(m, min(hi, (hi/4+m-1)/m*m))
	}
	return lo, hi
}

// loadExamples reads the first gridImages train images of the same size
// as first, for the mixed-content PNGs.
func (rs *runState) loadExamples(first *dataset.Sample) error {
	var data []float32
	n := 0
	for i := 0; i < rs.split.Len() && n < gridImages; i++ {
		s := first
		if i > 0 {
			var err error
			if s, err = rs.split.Load(i); err != nil {
				return err
			}
		}
		if s.H() != first.H() || s.W() != first.W() {
			continue
		}
		data = append(data, s.CHW(rs.norm.Mean, rs.norm.Std)...)
		n++
	}
	rs.examples = tensor.FromData(data, n, 3, first.H(), first.W())
	return nil
}

// drawImages writes negatives_<tag>.png (a grid of synthetic negatives
// with fixed latents, comparable between start and end — paper Figs.
// 9-10) and mixed_<tag>.png (fixed mixed-content examples with the
// model's anomaly map).
func (rs *runState) drawImages(tag string) error {
	if rs.negs == nil {
		return nil
	}
	defer autograd.NoGrad()()
	rng := rand.New(rand.NewPCG(rs.cfg.Seed, 0x5a3))
	sizer := PatchSizer{Min: rs.cfg.PatchMin, Max: rs.cfg.PatchMax, Multiple: rs.negs.Multiple()}
	sides := sizer.sides(min(rs.h, rs.w))
	side := sides[len(sides)-1]
	grid, err := rs.negs.Patches(gridPatches, side, side, rng)
	if err != nil {
		return err
	}
	if err := writePNG(filepath.Join(rs.cfg.Out, "negatives_"+tag+".png"), PatchGrid(grid.Value, 8, max(1, 96/side), rs.norm)); err != nil {
		return err
	}
	n, _, h, w := rs.examples.NCHW()
	if err := sizer.Validate(h, w); err != nil {
		return nil // examples smaller than the training crops: skip
	}
	p := SamplePlacement(n, h, w, sizer, rng)
	patches, err := rs.negs.Patches(n, p.H, p.W, rng)
	if err != nil {
		return err
	}
	mixed := Paste(autograd.Const(rs.examples), patches, p).Value
	logits, err := rs.model.Logits(mixed)
	if err != nil {
		return err
	}
	img, err := MixedGrid(mixed, p, logits, seg.DefaultTemperature, gridImages, rs.norm)
	if err != nil {
		return err
	}
	return writePNG(filepath.Join(rs.cfg.Out, "mixed_"+tag+".png"), img)
}

// afterStepHook, if set (by tests), is called after every completed step
// with the number of steps done, e.g. to interrupt a run.
var afterStepHook func(done int)

// Random streams derived from the seed (PCG's second word).
const (
	streamDropout = 0xd0
	streamStep    = 0x57
)

// loop runs the steps from start to cfg.Steps.
func (rs *runState) loop(ctx context.Context, start int, ts *trainState, cfgJSON string, stdout, progress io.Writer) (*Summary, error) {
	cfg := rs.cfg
	loader, err := dataset.NewLoader(rs.split, dataset.LoaderConfig{
		BatchSize: cfg.Batch, Workers: cfg.Workers, Shuffle: true, DropLast: true, Seed: cfg.Seed,
		Augment: &dataset.Augment{Flip: cfg.Flip, CropH: rs.h, CropW: rs.w, MinScale: cfg.MinScale, MaxScale: cfg.MaxScale, Jitter: cfg.Jitter},
		Mean:    rs.norm.Mean, Std: rs.norm.Std, Cache: true,
	})
	if err != nil {
		return nil, err
	}
	nb := loader.NumBatches()
	logPath := filepath.Join(cfg.Out, LogFile)
	logger, rows, err := openLog(logPath, start)
	if err != nil {
		return nil, err
	}
	defer logger.Close()

	var bar *progressbar.ProgressBar
	if progress != nil {
		bar = progressbar.NewOptions(cfg.Steps*cfg.Batch,
			progressbar.OptionSetWriter(progress),
			progressbar.OptionSetDescription("joint"),
			progressbar.OptionSetItsString("img"),
			progressbar.OptionShowIts(),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(250*time.Millisecond),
			progressbar.OptionClearOnFinish())
		_ = bar.Set(start * cfg.Batch)
	}

	rs.trainMode()
	var (
		it                    *dataset.Iter
		iterEpoch             = -1
		acc                   accum
		sum                   = &Summary{Steps: start}
		bad                   int
		runStart, windowStart = time.Now(), time.Now()
		ema                   = emaLosses{ce: math.NaN(), neg: math.NaN(), bpd: math.NaN()}
		negName               = cfg.negLossName()
	)
	defer func() {
		if it != nil {
			it.Close()
		}
	}()
	for step := start; step < cfg.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		epoch := step / nb
		if epoch != iterEpoch {
			if it != nil {
				it.Close()
			}
			it = loader.Epoch(ctx, epoch)
			iterEpoch = epoch
			for range step % nb { // resume mid-epoch: skip consumed batches
				if _, err := it.Next(); err != nil {
					return sum, err
				}
			}
		}
		batch, err := it.Next()
		if err != nil {
			return sum, fmt.Errorf("joint: step %d: %w", step, err)
		}
		optim.SetLR(rs.clfOpt, rs.sched, step)
		rs.model.SetDropoutRNG(rand.New(rand.NewPCG(cfg.Seed^streamDropout, uint64(step))))
		rng := rand.New(rand.NewPCG(cfg.Seed^streamStep, uint64(step)))
		images := tensor.FromData(batch.Images, batch.N, 3, batch.H, batch.W)
		t0 := time.Now()
		res, err := rs.obj.Gradients(images, batch.Labels, rng)
		if err != nil {
			return sum, fmt.Errorf("joint: step %d: %w", step, err)
		}
		ok := res.Finite() && (rs.obj.Flow == nil || isFinite(res.BPD))
		ok = ok && isFinite(optim.GradNorm(nn.Parameters(rs.model)))
		if ok && rs.flowOpt != nil {
			ok = isFinite(optim.GradNorm(rs.fl.Parameters()))
			if ok && cfg.FlowClip > 0 {
				optim.ClipGradNorm(rs.fl.Parameters(), cfg.FlowClip)
			}
		}
		if ok {
			rs.clfOpt.Step()
			if rs.flowOpt != nil {
				rs.flowOpt.Step()
			}
			bad = 0
			acc.add(res)
			ema.add(res)
		} else {
			rs.clfOpt.ZeroGrad()
			if rs.flowOpt != nil {
				rs.flowOpt.ZeroGrad()
			}
			sum.Skipped++
			acc.skipped++
			if bad++; bad >= maxBadSteps {
				return sum, fmt.Errorf("joint: %d consecutive non-finite steps at step %d; lower the learning rates or lambda", bad, step)
			}
		}
		acc.sec += time.Since(t0).Seconds()
		acc.images += batch.N
		sum.Steps = step + 1
		if bar != nil {
			bar.Describe(lossText(ema.ce, ema.neg, ema.bpd, negName, 3))
			_ = bar.Add(batch.N)
		}
		last := step+1 == cfg.Steps
		if (step+1)%cfg.LogEvery == 0 || last {
			row := acc.row(step+1, epoch, windowStart)
			row.LR, row.BackboneLR = groupLR(rs.clfOpt, "upsampling"), groupLR(rs.clfOpt, "backbone")
			row.FlowLR = math.NaN()
			if rs.flowOpt != nil {
				row.FlowLR = rs.flowOpt.Groups()[0].LR
			}
			row.ElapsedSec = time.Since(runStart).Seconds()
			rows = append(rows, row)
			sum.Last = row
			if err := logger.Write(row); err != nil {
				return sum, err
			}
			if bar == nil {
				fmt.Fprintf(stdout, "step %d  %s  %.1f img/s  %.3f s/step\n", row.Step, lossText(row.CE, row.Neg, row.BPD, negName, 4), row.ImagesPerSec, row.StepSec)
			}
			acc, windowStart = accum{}, time.Now()
		}
		if (step+1)%cfg.CheckpointEvery == 0 || last {
			if err := rs.save(ts, step+1, cfgJSON); err != nil {
				return sum, err
			}
			if err := plotLosses(filepath.Join(cfg.Out, LossPlot), rows, negName); err != nil {
				return sum, fmt.Errorf("joint: loss plot: %w", err)
			}
		}
		if afterStepHook != nil {
			afterStepHook(step + 1)
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	if done := sum.Steps - start; done > 0 {
		el := time.Since(runStart).Seconds()
		sum.StepSec = el / float64(done)
		sum.ImagesPerSec = float64(done*cfg.Batch) / el
	}
	fmt.Fprintf(stdout, "joint: %d steps, %.3f s/step, %.1f img/s; last %s\n",
		sum.Steps, sum.StepSec, sum.ImagesPerSec, lossText(sum.Last.CE, sum.Last.Neg, sum.Last.BPD, negName, 4))
	return sum, nil
}

// negLossName is L_neg's name in logs: NegLoss's, or "negce" (the
// negative class's cross-entropy) for a UNO head.
func (c Config) negLossName() string {
	if c.Head == seg.HeadUNO {
		return "negce"
	}
	return c.NegLoss.String()
}

// save writes the bundle (model.safetensors + model.json with score "js",
// "uno" for a UNO head), the flow and the resumable state, each
// atomically; the state goes last so that it never points past the
// bundle.
func (rs *runState) save(ts *trainState, step int, cfgJSON string) error {
	info := rs.bundle.Info
	info.Config = rs.model.Config()
	info.Score = "js"
	info.Temperature = seg.DefaultTemperature
	if rs.model.HasNegativeClass() {
		info.Score, info.Temperature = "uno", 1 // uno has no temperature; a bundle needs a valid one
	}
	info.Threshold, info.CalibratedOn = nil, "" // a new model needs a new calibration
	info.Stage = "joint"
	extra := map[string]any{}
	for k, v := range info.Extra {
		extra[k] = v
	}
	var rec map[string]any
	_ = json.Unmarshal([]byte(cfgJSON), &rec)
	extra["joint"] = rec
	extra["joint_step"] = step
	for k, v := range rs.extra {
		extra[k] = v
	}
	info.Extra = extra
	if err := seg.SaveBundle(rs.cfg.Out, rs.model, info); err != nil {
		return err
	}
	rs.trainMode() // SaveBundle does not change the mode, but be explicit
	if rs.fl != nil {
		if err := rs.fl.Save(filepath.Join(rs.cfg.Out, FlowFile), map[string]string{"joint_step": fmt.Sprint(step)}); err != nil {
			return err
		}
	}
	return ts.save(filepath.Join(rs.cfg.Out, StateFile), step, cfgJSON)
}

// trainMode puts the classifier in training mode, with its batch norms
// frozen under FreezeBN.
func (rs *runState) trainMode() {
	nn.Train(rs.model)
	if rs.cfg.FreezeBN {
		nn.FreezeBatchNorm(rs.model)
	}
}

// lossText formats the losses that apply: "CE 0.412 jsd 0.051 bpd 4.71".
func lossText(ce, neg, bpd float64, negName string, digits int) string {
	t := fmt.Sprintf("CE %.*f", digits, ce)
	if !math.IsNaN(neg) {
		t += fmt.Sprintf(" %s %.*f", negName, digits, neg)
	}
	if !math.IsNaN(bpd) {
		t += fmt.Sprintf(" bpd %.*f", digits-1, bpd)
	}
	return t
}

func groupLR(o optim.Optimizer, name string) float64 {
	for _, g := range o.Groups() {
		if g.Name == name {
			return g.LR
		}
	}
	return math.NaN()
}

// accum sums losses over a log interval.
type accum struct {
	ce, neg, bpd, oor float64
	n, nNeg, nBPD     int
	nOOR              int
	skipped, images   int
	sec               float64
}

func (a *accum) add(r Result) {
	a.ce += r.CE
	a.n++
	if !math.IsNaN(r.Neg) {
		a.neg += r.Neg
		a.nNeg++
	}
	if !math.IsNaN(r.BPD) {
		a.bpd += r.BPD
		a.nBPD++
	}
	if !math.IsNaN(r.OutOfRange) {
		a.oor += r.OutOfRange
		a.nOOR++
	}
}

func mean(s float64, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}

func (a *accum) row(step, epoch int, since time.Time) LogRow {
	el := time.Since(since).Seconds()
	r := LogRow{Step: step, Epoch: epoch, CE: mean(a.ce, a.n), Neg: mean(a.neg, a.nNeg), BPD: mean(a.bpd, a.nBPD),
		OutOfRange: mean(a.oor, a.nOOR), Skipped: a.skipped}
	if steps := a.n + a.skipped; steps > 0 {
		r.StepSec = a.sec / float64(steps)
	}
	if el > 0 {
		r.ImagesPerSec = float64(a.images) / el
	}
	return r
}

// emaLosses smooths the progress bar's numbers.
type emaLosses struct{ ce, neg, bpd float64 }

const emaDecay = 0.9

func (e *emaLosses) add(r Result) {
	upd := func(old, v float64) float64 {
		if math.IsNaN(v) {
			return old
		}
		if math.IsNaN(old) {
			return v
		}
		return emaDecay*old + (1-emaDecay)*v
	}
	e.ce, e.neg, e.bpd = upd(e.ce, r.CE), upd(e.neg, r.Neg), upd(e.bpd, r.BPD)
}

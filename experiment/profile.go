package experiment

import (
	"fmt"
	"sort"
	"strings"
)

// DataSpec sizes one generated benchmark.
type DataSpec struct {
	Train, Val, Test int
	Size             string // HxW
}

// Profile sizes a suite: how much data, how long each stage trains, which
// ablations and baselines run and over how many seeds. Profiles trade
// fidelity for time; the report states which one produced it.
type Profile struct {
	Name        string
	Description string
	Datasets    []string // "road", "aerial"
	Seeds       []uint64 // training seeds (the benchmarks always use seed 1)
	// SharedPretraining trains stage 1 and pre-trains the flow once, with
	// the first seed, and repeats only joint training over Seeds: the
	// spread then measures stage 2 alone, at a third of the cost.
	SharedPretraining bool
	// SeedVariants are the variants repeated for seeds after the first
	// (nil: all Variants); the others run with the first seed only.
	SeedVariants []string
	Data         map[string]DataSpec

	// Stage 1 (train closed).
	ClosedEpochs, ClosedStepsPerEpoch, ClosedBatch int
	ClosedValLimit                                 int
	Preset                                         string
	OutputStride                                   int // 0: the preset's
	// Flow pre-training (train flow).
	FlowConfig, FlowPreset string
	FlowSteps, FlowBatch   int
	// FlowCrop should be at least PatchMax: a flow's likelihood and samples
	// break down on patches larger than its pre-training crops (train
	// joint warns; see joint.flowCropWarning).
	FlowCrop, FlowValCrops int
	// Joint training (train joint).
	JointSteps, JointBatch int
	// PatchMin and PatchMax bound the negative patch sides (0: the
	// command's automatic range).
	PatchMin, PatchMax       int
	JointCheckpointEvery     int
	JointLR, JointBackboneLR float64 // 0 = the command's default
	JointFlowTemperature     float64 // 0 = the command's default
	// JointLambda is λ of eq. 3-4 (0 = the command's default, --lambda
	// auto: pilots validated on the val split).
	JointLambda                  float64
	EvalMaxImages                int // 0 = all test images
	MCPasses                     int // 0 = eval's default
	Variants                     []string
	ModelBaselines, Temperatures bool
	// CalibFPR, if positive, calibrates the thresholds that predict and
	// serve use (the calib steps) at this false-positive rate on the val
	// inlier pixels instead of the paper's TPR 95% (calibrate --fpr).
	// Evaluation's open-mIoU always uses TPR 95%.
	CalibFPR float64
	// Predict writes qualitative outlier-aware segmentations (Figure 7) of
	// this many test images (0: none).
	Predict int
	// ToySteps are the pre-training and joint steps of the 2-D toy (0: no
	// toy figure).
	ToySteps int
}

// Joint-training variants (the paper's ablations). Each is one `nflowjs
// train joint` run from the same stage-1 model and pre-trained flow.
const (
	VariantNFlowJS = "nflowjs" // flow negatives, JS loss, joint flow (the method)
	VariantNoise   = "noise"   // uniform-noise patches instead of flow samples
	VariantReal    = "real"    // patches of real auxiliary images (outlier exposure)
	VariantGMM     = "gmm"     // VOS's virtual outlier features from class Gaussians (Table 8's synthetic pre-logit features)
	VariantKL      = "kl"      // L_neg = KL(U‖p)
	VariantRKL     = "rkl"     // L_neg = KL(p‖U)
	VariantFrozen  = "frozen"  // --joint-flow=false: pre-trained flow, not updated
	VariantNone    = "none"    // no negatives: stage 1 continued for the same steps
	VariantScratch = "scratch" // --pretrained-flow=false (Table 9)
	VariantNeither = "neither" // neither model pre-trained (Table 9)
	VariantGAN     = "gan"     // a pre-trained DCGAN's samples (Table 8's GAN row), generator frozen
	VariantUNO     = "uno"     // a (K+1)-th negative class trained on the flow negatives (UNO head), its own λ auto

	// Recipe ablations (issue 14: why the joint stage did not transfer):
	// the default recipe with one setting changed.
	VariantLambdaLow  = "lambda-0.03"  // the paper's λ, fixed (default: --lambda auto)
	VariantLambdaHigh = "lambda-0.3"   // λ = 0.3, fixed (the old profiles' value)
	VariantPatchLarge = "patch-16-64"  // patch sides 16-64 (the old default) instead of a quarter of the image
	VariantPaperLR    = "lr-paper"     // the paper's stage-2 rates (1e-5 upsampling, 2.5e-6 backbone)
	VariantFlowLRHigh = "flow-lr-1e-4" // the flow trained 10x faster (does moving it help?)
	VariantFreezeBN   = "freeze-bn"    // batch norms kept at their stage-1 statistics
)

// variantArgs are the train joint flags of each variant; "{aux}" is
// replaced by the auxiliary image folder.
var variantArgs = map[string][]string{
	VariantNFlowJS: nil,
	VariantNoise:   {"--negatives", "noise"},
	VariantReal:    {"--negatives", "real:{aux}"},
	VariantGMM:     {"--negatives", "gmm"},
	VariantKL:      {"--neg-loss", "kl"},
	VariantRKL:     {"--neg-loss", "rkl"},
	VariantFrozen:  {"--joint-flow=false"},
	VariantNone:    {"--negatives", "none"},
	VariantUNO:     {"--head", "uno"},
	VariantGAN:     {"--negatives", "gan"}, // --gan is the plan's pre-training step
	VariantScratch: {"--pretrained-flow=false"},
	// A classifier from scratch needs stage 1's learning rates
	// (train.DefaultDecoderLR, train.DefaultEncoderLR), not fine-tuning ones.
	VariantNeither: {"--pretrained-flow=false", "--pretrained-seg=false", "--lr", "4e-3", "--backbone-lr", "1e-3"},

	VariantLambdaLow:  {"--lambda", "0.03"},
	VariantLambdaHigh: {"--lambda", "0.3"},
	VariantPatchLarge: {"--patch-min", "16", "--patch-max", "64"},
	VariantPaperLR:    {"--lr", "1e-5", "--backbone-lr", "2.5e-6"},
	VariantFlowLRHigh: {"--flow-lr", "1e-4"},
	VariantFreezeBN:   {"--freeze-bn"},
}

// lambdaFromNFlowJS are the variants that train with the λ the NFlowJS
// run chose (--lambda from:RUN); the others (the KL/RKL losses, no
// negatives, fixed-λ rows) choose or fix their own.
var lambdaFromNFlowJS = map[string]bool{
	VariantNoise: true, VariantReal: true, VariantGMM: true, VariantGAN: true, VariantFrozen: true, VariantScratch: true, VariantNeither: true,
	VariantPatchLarge: true, VariantPaperLR: true, VariantFlowLRHigh: true, VariantFreezeBN: true,
}

// recipeVariants are the recipe ablations.
var recipeVariants = []string{VariantLambdaLow, VariantLambdaHigh, VariantPatchLarge, VariantPaperLR, VariantFlowLRHigh, VariantFreezeBN}

var allVariants = []string{VariantNFlowJS, VariantNoise, VariantReal, VariantGMM, VariantKL, VariantRKL, VariantFrozen, VariantNone, VariantScratch, VariantNeither, VariantUNO, VariantGAN}

var profiles = map[string]Profile{
	// test: the harness's own end-to-end test; tiny everything, seconds.
	"test": {
		Name: "test", Description: "harness test: 32x64 images, a handful of steps (numbers meaningless)",
		Datasets: []string{"road", "aerial"}, Seeds: []uint64{1},
		Data:         map[string]DataSpec{"road": {4, 2, 2, "32x64"}, "aerial": {4, 2, 2, "32x32"}},
		ClosedEpochs: 1, ClosedStepsPerEpoch: 2, ClosedBatch: 2, Preset: "tiny",
		FlowConfig: "realnvp", FlowPreset: "realnvp-tiny", FlowSteps: 2, FlowBatch: 4, FlowCrop: 16, FlowValCrops: 0,
		JointSteps: 2, JointBatch: 2, PatchMin: 8, PatchMax: 16, JointCheckpointEvery: 1,
		MCPasses: 2, Variants: allVariants, ModelBaselines: true, Temperatures: true, Predict: 1, ToySteps: 40,
	},
	// demo: `nflowjs demo` — a small road benchmark, brief training.
	"demo": {
		Name: "demo", Description: "demo: road benchmark (200 training images of 128x256), brief training; MSP vs NFlowJS; served thresholds flag 5% of val inlier pixels",
		Datasets: []string{"road"}, Seeds: []uint64{1},
		Data:         map[string]DataSpec{"road": {200, 40, 40, "128x256"}},
		ClosedEpochs: 40, ClosedBatch: 8, Preset: "tiny", OutputStride: 2,
		FlowConfig: "realnvp", FlowPreset: "realnvp-tiny", FlowSteps: 500, FlowBatch: 16, FlowCrop: 32, FlowValCrops: 32,
		JointSteps: 300, JointBatch: 8, JointCheckpointEvery: 50,
		Variants: []string{VariantNFlowJS}, Temperatures: false, Predict: 4, ToySteps: 600, CalibFPR: 0.05,
	},
	// quick: both benchmarks at reduced size, every ablation, one seed.
	"quick": {
		Name: "quick", Description: "quick: both benchmarks at half resolution (road 64x128, aerial 64x64; 300/40/60 images), short training, every ablation, one seed",
		Datasets: []string{"road", "aerial"}, Seeds: []uint64{1},
		Data:         map[string]DataSpec{"road": {300, 40, 60, "64x128"}, "aerial": {300, 40, 60, "64x64"}},
		ClosedEpochs: 40, ClosedBatch: 8, Preset: "tiny", OutputStride: 2,
		FlowConfig: "realnvp", FlowPreset: "realnvp-tiny", FlowSteps: 1000, FlowBatch: 16, FlowCrop: 32, FlowValCrops: 64,
		JointSteps: 300, JointBatch: 8, JointCheckpointEvery: 50,
		MCPasses: 4, Variants: allVariants, ModelBaselines: true, Temperatures: true, Predict: 4, ToySteps: 1500,
	},
	// full: the three benchmarks at their default size and the commands'
	// default recipes. Stage 1 and flow pre-training run once; NFlowJS is
	// repeated over three seeds, the ablations run once. fashion-ood needs
	// Debian's dataset-fashion-mnist and python3-skimage. About three hours
	// on 2 cores (docs/results.md).
	"full": {
		Name: "full", Description: "full: default benchmarks (road 128x256, aerial 128x128, fashion-ood 96x96 with its far-OOD split; 400/60/100 images) and the commands' default recipes (tiny preset at output stride 2, stage 1 80 epochs, flow 2000 steps, joint 600 steps with --lambda auto); stage 1 and the flow trained once (seed 1); NFlowJS over seeds 1-3, the paper's ablations and the recipe ablations with seed 1",
		Datasets: []string{"road", "aerial", "fashion-ood"}, Seeds: []uint64{1, 2, 3},
		SharedPretraining: true, SeedVariants: []string{VariantNFlowJS},
		Data:         map[string]DataSpec{"road": {400, 60, 100, "128x256"}, "aerial": {400, 60, 100, "128x128"}, "fashion-ood": {400, 60, 100, "96x96"}},
		ClosedEpochs: 80, ClosedBatch: 4, Preset: "tiny", OutputStride: 2,
		FlowConfig: "denseflow", FlowPreset: "denseflow-tiny", FlowSteps: 2000, FlowBatch: 32, FlowCrop: 32, FlowValCrops: 256,
		JointSteps: 600, JointBatch: 8, JointCheckpointEvery: 50,
		Variants:       append([]string{VariantNFlowJS, VariantNone, VariantNoise, VariantReal, VariantGMM, VariantGAN, VariantKL, VariantFrozen, VariantUNO}, recipeVariants...),
		ModelBaselines: true, Temperatures: true, Predict: 6, ToySteps: 1500,
	},
}

// ProfileNames lists the built-in profiles.
func ProfileNames() []string {
	var names []string
	for n := range profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// GetProfile returns a built-in profile by name.
func GetProfile(name string) (Profile, error) {
	p, ok := profiles[name]
	if !ok {
		return Profile{}, fmt.Errorf("experiment: unknown profile %q (have %s)", name, strings.Join(ProfileNames(), ", "))
	}
	return p, nil
}

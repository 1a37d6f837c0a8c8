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
	Data              map[string]DataSpec

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
	// JointLambda is λ of eq. 3-4 (0 = the command's default, the paper's
	// 0.03). The profiles use 0.3: in runs of a few hundred steps λ = 0.03
	// left the classifier unchanged (road, 500 steps: JS AP 1.99 vs 2.08
	// with no negatives at all) while 0.3 doubled AP at an mIoU cost below
	// one point; the paper trains for many more steps.
	JointLambda                  float64
	EvalMaxImages                int // 0 = all test images
	MCPasses                     int // 0 = eval's default
	Variants                     []string
	ModelBaselines, Temperatures bool
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
	VariantKL      = "kl"      // L_neg = KL(U‖p)
	VariantRKL     = "rkl"     // L_neg = KL(p‖U)
	VariantFrozen  = "frozen"  // --joint-flow=false: pre-trained flow, not updated
	VariantNone    = "none"    // no negatives: stage 1 continued for the same steps
	VariantScratch = "scratch" // --pretrained-flow=false (Table 9)
	VariantNeither = "neither" // neither model pre-trained (Table 9)
)

// variantArgs are the train joint flags of each variant; "{aux}" is
// replaced by the auxiliary image folder.
var variantArgs = map[string][]string{
	VariantNFlowJS: nil,
	VariantNoise:   {"--negatives", "noise"},
	VariantReal:    {"--negatives", "real:{aux}"},
	VariantKL:      {"--neg-loss", "kl"},
	VariantRKL:     {"--neg-loss", "rkl"},
	VariantFrozen:  {"--joint-flow=false"},
	VariantNone:    {"--negatives", "none"},
	VariantScratch: {"--pretrained-flow=false"},
	// A classifier from scratch needs stage 1's learning rates
	// (train.DefaultDecoderLR, train.DefaultEncoderLR), not fine-tuning ones.
	VariantNeither: {"--pretrained-flow=false", "--pretrained-seg=false", "--lr", "4e-3", "--backbone-lr", "1e-3"},
}

var allVariants = []string{VariantNFlowJS, VariantNoise, VariantReal, VariantKL, VariantRKL, VariantFrozen, VariantNone, VariantScratch, VariantNeither}

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
		Name: "demo", Description: "demo: small road benchmark (200 training images of 64x128), brief training; MSP vs NFlowJS",
		Datasets: []string{"road"}, Seeds: []uint64{1},
		Data:         map[string]DataSpec{"road": {200, 20, 40, "64x128"}},
		ClosedEpochs: 25, ClosedBatch: 8, Preset: "tiny",
		FlowConfig: "realnvp", FlowPreset: "realnvp-tiny", FlowSteps: 500, FlowBatch: 16, FlowCrop: 32, FlowValCrops: 32,
		JointSteps: 300, JointBatch: 8, PatchMin: 8, PatchMax: 32, JointCheckpointEvery: 50, JointLambda: 0.3,
		Variants: []string{VariantNFlowJS}, Temperatures: false, Predict: 4, ToySteps: 600,
	},
	// quick: both benchmarks at reduced size, every ablation, one seed.
	"quick": {
		Name: "quick", Description: "quick: both benchmarks at half resolution (road 64x128, aerial 64x64; 300/40/60 images), short training, every ablation, one seed",
		Datasets: []string{"road", "aerial"}, Seeds: []uint64{1},
		Data:         map[string]DataSpec{"road": {300, 40, 60, "64x128"}, "aerial": {300, 40, 60, "64x64"}},
		ClosedEpochs: 40, ClosedBatch: 8, Preset: "tiny",
		FlowConfig: "realnvp", FlowPreset: "realnvp-tiny", FlowSteps: 1000, FlowBatch: 16, FlowCrop: 32, FlowValCrops: 64,
		JointSteps: 300, JointBatch: 8, PatchMin: 8, PatchMax: 32, JointCheckpointEvery: 50, JointLambda: 0.3,
		MCPasses: 4, Variants: allVariants, ModelBaselines: true, Temperatures: true, Predict: 4, ToySteps: 1500,
	},
	// full: the benchmarks at their default size and the commands' default
	// recipes, every ablation. Stage 1 and flow pre-training run once;
	// every joint-training run is repeated over three seeds. About two hours
	// on 2 cores (docs/results.md).
	"full": {
		Name: "full", Description: "full: default benchmarks (road 128x256, aerial 128x128; 400/60/100 images) and recipes (stage 1 80 epochs, flow 4000 steps, joint 800 steps), every ablation; stage 1 and the flow trained once (seed 1), every joint-training run over seeds 1-3",
		Datasets: []string{"road", "aerial"}, Seeds: []uint64{1, 2, 3},
		SharedPretraining: true,
		Data:              map[string]DataSpec{"road": {400, 60, 100, "128x256"}, "aerial": {400, 60, 100, "128x128"}},
		ClosedEpochs:      80, ClosedBatch: 4, Preset: "tiny",
		FlowConfig: "denseflow", FlowPreset: "denseflow-tiny", FlowSteps: 4000, FlowBatch: 32, FlowCrop: 32, FlowValCrops: 256,
		JointSteps: 800, JointBatch: 8, PatchMin: 16, PatchMax: 64, JointCheckpointEvery: 50, JointLambda: 0.3,
		Variants: allVariants, ModelBaselines: true, Temperatures: true, Predict: 6, ToySteps: 1500,
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

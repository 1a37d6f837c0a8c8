package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nflowjs/nflowjs/train/joint"
)

func init() {
	trainCmd.AddCommand(newTrainJointCmd())
}

// newTrainJointCmd builds `nflowjs train joint` (a fresh command per call,
// so tests do not share flag state).
func newTrainJointCmd() *cobra.Command {
	cfg := joint.DefaultConfig()
	var negLoss, lambda string
	var crop []int
	var noProgress bool
	cmd := &cobra.Command{
		Use:   "joint",
		Short: "Stage 2 (NFlowJS): fine-tune a segmentation bundle on mixed-content images with synthetic negatives from a jointly trained flow",
		Long: `Fine-tunes the stage-1 model in --seg on mixed-content images (paper Eq. 2): a
patch sampled from the normalizing flow --flow is pasted at a random location of every
training image, the classifier minimises cross-entropy on the inlier pixels plus
lambda times L_neg (JS divergence to the uniform distribution by default) on the pasted
pixels (Eq. 3), and the flow minimises the bits/dim of the inlier crops the patches
replaced plus the same lambda*L_neg, back-propagated through the classifier into the
samples (Eq. 4). Each model is updated with its own loss and optimizer (Adam with
separate backbone/upsampling rates and cosine decay; Adamax for the flow).

The output directory is a segmentation bundle (model.safetensors + model.json with
default score "js" and temperature 2) usable by eval/predict/serve, plus
state.safetensors (--resume), flow.safetensors (the jointly trained flow), log.jsonl,
loss.png, negatives_{start,end}.png and mixed_{start,end}.png.

Ablations: --negatives noise|none|gmm|gan|real:DIR, --neg-loss kl|rkl, --joint-flow=false
(frozen pre-trained flow), --pretrained-flow=false (flow from scratch), --pretrained-seg=false (classifier
from scratch; with --pretrained-flow=false: neither model pre-trained).

--head uno: UNO (Delić, Grcić & Šegvić, BMVC 2024) instead of the JS loss: the classifier
gains a (K+1)-th "negative" class (zero-initialised) trained by cross-entropy on the pasted
negatives (or GMM features); the bundle's score is uno = p_neg − max_k p_k over the K+1
softmax, usable by eval/predict/serve/export like any other.

Lambda: the right weight differs between data sets by an order of magnitude in short
CPU runs (0.3 halves aerial's FPR95 but makes a small road model uncertain everywhere),
so the default, --lambda auto, validates it as the paper does: a pilot of a quarter of
--steps per candidate (0.03, 0.1, 0.3), keeping the lowest FPR95 of the JS score on the
val split's anomalies among the pilots that keep the stage-1 val mIoU within one point
(without val anomalies: the largest lambda that keeps it; without a val split: 0.03).
The pilots live in OUT/lambda-pilots, the choice in OUT/lambda_auto.json and model.json.
The test split is never looked at.

Negative patches: sides default to a quarter of the training image's short side at most
(and at most the flow's pre-training crop: a flow's samples break down on larger
inputs), at least a quarter of that; the paper's U(16, 216) on 768-pixel road crops is
2-28% of the side.`,
		Example: `  nflowjs train joint --seg runs/seg-road --flow runs/flow-road --data runs/data/road --out runs/joint-road --steps 300
  nflowjs train joint --seg runs/seg-road --data runs/data/road --out runs/joint-noise --negatives noise`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if cfg.NegLoss, err = joint.ParseNegLoss(negLoss); err != nil {
				return err
			}
			switch len(crop) {
			case 0:
				cfg.CropH, cfg.CropW = 0, 0
			case 1:
				cfg.CropH, cfg.CropW = crop[0], crop[0]
			case 2:
				cfg.CropH, cfg.CropW = crop[0], crop[1]
			default:
				return fmt.Errorf("train joint: --crop takes H or H,W")
			}
			progress := cmd.ErrOrStderr()
			if noProgress {
				progress = nil
			}
			switch from, isFrom := strings.CutPrefix(lambda, "from:"); {
			case lambda == "auto":
				choice, err := joint.AutoLambda(cmd.Context(), cfg, cmd.OutOrStdout())
				if err != nil {
					return err
				}
				cfg.Lambda, cfg.LambdaAuto = choice.Lambda, choice
			case isFrom:
				if cfg.Lambda, err = joint.LambdaOf(from); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "lambda %g, as in %s\n", cfg.Lambda, from)
			default:
				if cfg.Lambda, err = strconv.ParseFloat(lambda, 64); err != nil {
					return fmt.Errorf("train joint: --lambda %q: want a number, auto or from:RUN_DIR", lambda)
				}
			}
			_, err = joint.Run(cmd.Context(), cfg, cmd.OutOrStdout(), progress)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.Data, "data", "", "dataset with a train split: DIR or KIND:DIR")
	fl.StringVar(&cfg.Seg, "seg", "", "stage-1 segmentation bundle directory")
	fl.StringVar(&cfg.Flow, "flow", "", "pre-trained flow: a \"train flow\" run directory or a flow.safetensors file")
	fl.StringVar(&cfg.Out, "out", "", "output run directory (becomes a segmentation bundle)")
	fl.StringVar(&cfg.Negatives, "negatives", cfg.Negatives, "negatives: flow (NFlowJS), noise, none, real:DIR (auxiliary images), gmm (VOS's virtual outlier features: low-likelihood samples of class Gaussians fitted on the stage-1 features, through the head), or gan (a pre-trained DCGAN's samples, --gan)")
	fl.StringVar(&cfg.GAN, "gan", "", "pre-trained GAN for --negatives gan: a \"train gan\" run directory or gan.safetensors")
	fl.StringVar(&cfg.Head, "head", "", "classifier head: empty for K logits, or uno: a (K+1)-th negative class trained on the negatives by cross-entropy, scored with uno = p_neg − max_k p_k (UNO, Delić et al., BMVC 2024; replaces --neg-loss)")
	fl.StringVar(&negLoss, "neg-loss", cfg.NegLoss.String(), "loss on negative pixels: jsd (paper Eq. 6), kl (KL(U||p)) or rkl (KL(p||U))")
	fl.StringVar(&lambda, "lambda", "auto", fmt.Sprintf("weight of L_neg in both losses (paper: 0.03); auto: short pilots at %v, kept by val FPR95 of the JS score (val mIoU kept); from:RUN_DIR: the lambda of a finished joint run (ablations)", joint.LambdaGrid))
	fl.BoolVar(&cfg.JointFlow, "joint-flow", cfg.JointFlow, "train the flow jointly (false: frozen pre-trained flow)")
	fl.BoolVar(&cfg.PretrainedFlow, "pretrained-flow", cfg.PretrainedFlow, "start from the pre-trained --flow (false: fresh flow with its config, or --flow-preset)")
	fl.BoolVar(&cfg.PretrainedSeg, "pretrained-seg", cfg.PretrainedSeg, "start from the stage-1 weights of --seg (false: fresh weights of its architecture; use stage-1 learning rates)")
	fl.StringVar(&cfg.FlowPreset, "flow-preset", cfg.FlowPreset, "flow preset for --pretrained-flow=false without --flow")
	fl.Float64Var(&cfg.FlowTemperature, "flow-temperature", cfg.FlowTemperature, "latent temperature of the negatives")
	fl.IntVar(&cfg.PatchMin, "patch-min", cfg.PatchMin, "smallest negative patch side in pixels (paper: 16; 0: a quarter of --patch-max)")
	fl.IntVar(&cfg.PatchMax, "patch-max", cfg.PatchMax, "largest negative patch side (paper: 216 on 768 crops, 64 on 512 aerial; 0: a quarter of the image's short side, at most the flow's pre-training crop)")
	fl.IntVar(&cfg.Steps, "steps", cfg.Steps, "training steps")
	fl.IntVar(&cfg.Batch, "batch", cfg.Batch, "images per step")
	fl.IntSliceVar(&crop, "crop", nil, "random training crop H[,W] (default: the training images' size)")
	fl.BoolVar(&cfg.Flip, "flip", cfg.Flip, "random horizontal flips")
	fl.Float64Var(&cfg.MinScale, "min-scale", cfg.MinScale, "smallest random rescaling factor (0 with --max-scale 0: none)")
	fl.Float64Var(&cfg.MaxScale, "max-scale", cfg.MaxScale, "largest random rescaling factor")
	fl.Float64Var(&cfg.Jitter, "jitter", cfg.Jitter, "colour jitter strength (0: none)")
	fl.Float64Var(&cfg.LR, "lr", cfg.LR, "Adam rate of the upsampling path (paper: 1e-5; scaled for short runs)")
	fl.Float64Var(&cfg.BackboneLR, "backbone-lr", cfg.BackboneLR, "Adam rate of the backbone (paper: 2.5e-6)")
	fl.Float64Var(&cfg.MinLR, "min-lr", cfg.MinLR, "cosine schedule floor reached at the last step (paper: 1e-7)")
	fl.Float64Var(&cfg.FlowLR, "flow-lr", 0, fmt.Sprintf("Adamax rate of the flow (0: %g pre-trained, %g from scratch; paper: 1e-6)", joint.DefaultFlowLR, joint.DefaultFlowLRScratch))
	fl.BoolVar(&cfg.FreezeBN, "freeze-bn", false, "keep the classifier's batch norms at their stage-1 statistics (not updated by the mixed-content batches)")
	fl.Float64Var(&cfg.FlowClip, "flow-clip", cfg.FlowClip, "global gradient-norm clip of the flow (0: off)")
	fl.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed (data order, patches, latents)")
	fl.BoolVar(&cfg.Resume, "resume", false, "continue the run in --out from its state.safetensors")
	fl.IntVar(&cfg.LogEvery, "log-every", cfg.LogEvery, "steps per log.jsonl row")
	fl.IntVar(&cfg.CheckpointEvery, "checkpoint-every", cfg.CheckpointEvery, "steps between checkpoints")
	fl.IntVar(&cfg.Workers, "workers", 0, "data loading goroutines (0: number of CPUs)")
	fl.BoolVar(&noProgress, "no-progress", false, "print log lines instead of a progress bar")
	_ = cmd.MarkFlagRequired("data")
	_ = cmd.MarkFlagRequired("seg")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

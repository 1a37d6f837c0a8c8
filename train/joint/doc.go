// Package joint is NFlowJS's second training stage (Grcić, Bevandić,
// Kalafatić & Šegvić, "Dense Out-of-Distribution Detection by Robust
// Learning on Synthetic Negative Data", Sensors 24(4):1248, 2024, Sections
// 3.1-3.2, Fig. 1): a stage-1 segmentation model is fine-tuned on
// mixed-content images whose pasted patches are sampled from a normalizing
// flow that is trained at the same time (`nflowjs train joint`).
//
// # One training step
//
//  1. Draw a patch size h×w, each side uniform over the multiples of the
//     flow's squeeze factor in [PatchMin, PatchMax], and a random location
//     per image (PatchSizer, SamplePlacement).
//  2. Sample x⁻ = f⁻¹(z) and paste it (Paste, paper Eq. 2):
//     x' = (1 − s)·x⁺ + pad(x⁻, s). Pasted pixels form the mask m = s
//     (Placement.Mask); their labels are ignored (MaskLabels).
//  3. Classifier loss (Eq. 3): L_disc = CE over m = 0 + λ·mean_{m=1} L_neg,
//     with L_neg = JS(U, softmax(logits)) (Eq. 6; NegLoss also offers
//     KL(U‖p) and KL(p‖U)).
//  4. Flow loss (Eq. 4): L_gen = bits/dim of the inlier crops the patches
//     replaced + λ·mean_{m=1} L_neg, the latter differentiated through the
//     classifier and the paste into the flow's inverse.
//  5. Adam updates the classifier (backbone and upsampling path at separate
//     rates, cosine decay), Adamax the flow.
//
// Objective.Gradients implements steps 1-4 with exact gradient routing:
// the classifier's parameters receive ∇θ L_disc only and the flow's ∇γ L_gen
// only (see its documentation for how one forward pass serves both).
// Run wraps it in a resumable training loop over a dataset.
//
// # Negatives and ablations
//
// FlowNegatives samples the flow (NFlowJS). NoiseNegatives pastes uniform
// noise, RealNegatives crops real auxiliary images (outlier exposure), and
// a nil source disables negatives (stage 1 continued). Config.JointFlow
// false keeps the flow frozen; Config.PretrainedFlow false starts it from
// scratch (paper Table 9).
//
// # Run directory
//
//	RUN/model.safetensors, RUN/model.json  a models/seg Bundle (score "js", T = 2)
//	RUN/flow.safetensors                   the jointly trained flow (models/flow.Load)
//	RUN/state.safetensors                  both models and optimizers, for Config.Resume (a train.State)
//	RUN/joint.json                         the configuration
//	RUN/log.jsonl, RUN/loss.png            per-interval CE, L_neg, flow bits/dim, rates, speed
//	RUN/negatives_{start,end}.png          synthetic negatives from fixed latents (paper Figs. 9-10)
//	RUN/mixed_{start,end}.png              mixed-content examples and the model's anomaly map
//
// All randomness derives from Config.Seed and the step number, so a resumed
// run ends bit-identical to an uninterrupted one (TestRunResumeAndBundle).
// The state file, the JSON-lines log (trimmed on resume to the rows up to
// the restored step), the atomic file writes and the loss plot use package
// train's helpers (train.SaveState, train.OpenLog, train.WriteFileAtomic,
// train.PlotPanels).
//
// # At CPU scale
//
// On the procedural road benchmark (tiny LDN stage-1 model, 53.0% test
// mIoU, MSP anomaly AP 2.9%), 500 joint steps of batch 8 with λ = 0.3 and
// the default rates reached a JS-score AP of 5.9% with a frozen
// pre-trained flow and 5.8% with the flow trained at 1e-5 (test mIoU
// −0.2/−0.3 points); noise negatives gave 3.5% and the paper's λ = 0.03
// 2.0% (no change from continuing stage 1 without negatives: 2.1%). With
// the flow trained at 1e-4 its samples drifted out of the image domain
// (see DefaultFlowLR) and the AP fell to 4.2%. The clamp in ClampImage
// exists because raw T = 1 samples contain extreme pixels that wrecked
// batch-norm statistics (−10 points of val mIoU in 300 steps).
//
// Those numbers were tuned on road and did not transfer (issue 14): λ = 0.3
// halves aerial's FPR95 but leaves a small road model uncertain
// everywhere, and patches larger than the flow's pre-training crop fed it
// inputs it had never seen (13.6 bits/dim at the first joint step against
// ~5 after pre-training). Hence the defaults: λ validated per run on the
// val split (AutoLambda, lambda_auto.go) and patch sides of at most a
// quarter of the image's short side and at most the flow's crop
// (runState.patchRange; the first joint step's bits/dim is then at or
// below pre-training's). docs/results.md has the recipe ablations on
// road, aerial and fashion-ood.
//
// # Layout and errors
//
// Images are NCHW float32, normalised like the classifier's input; the
// flow works in [-0.5, 0.5] (Normalizer converts). Configuration problems
// are returned as errors wrapping ErrConfig; shape misuse of the tensor
// helpers (Paste, CropEach, Mask) panics like the engine below them.
package joint

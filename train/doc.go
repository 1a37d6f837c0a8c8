// Package train holds nflowjs's training loops and the run-directory
// machinery they share: closed-set segmentation training (stage 1 of
// NFlowJS, RunClosed; `nflowjs train closed`), resumable checkpoints,
// JSON-lines logs, progress bars and loss plots, which the joint NFlowJS
// trainer (package train/joint) reuses.
//
// # Run directory
//
//	RUN/train.json         the configuration the run started with (LoadClosedConfig)
//	RUN/state.safetensors  resumable state: model, optimizer, epoch, step, seed, RNG state (SaveState)
//	RUN/model.safetensors  the model bundle (package models/seg), rewritten after every epoch
//	RUN/model.json         bundle info: classes, normalisation, labels, score "msp", temperature 2
//	RUN/log.jsonl          one JSON object per epoch (Logger)
//	RUN/loss.png           train and validation loss per epoch (PlotCurves)
//
// Every file is replaced atomically (temporary file + rename); the log row
// of an epoch is written before its state, and a resumed run drops rows of
// epochs after its state. So a run killed at any moment resumes from its
// last completed epoch, and — all randomness being derived from the seed
// (weights, data order and augmentation from (seed, epoch, index) in
// package dataset, the dropout generator's PCG state saved in the state
// file) and the engine's kernels being deterministic — reaches bit-identical
// weights to an uninterrupted run.
//
// # Closed-set recipe
//
// The paper fine-tunes an ImageNet-pretrained LDN-121 on Cityscapes with
// Adam (encoder 1e-4, decoder 4e-4), cosine annealing to 1e-7, random scale
// [0.5, 2], flips and crops (section 5). At CPU scale the network trains
// from scratch; the defaults (DefaultClosedConfig) use higher rates with
// the paper's 1:4 encoder:decoder ratio, a per-step cosine to 1e-7, 80
// epochs of batch 4, full-size crops, scale [0.75, 1.5], flips and colour
// jitter 0.1. The
// loss is the pixel-wise cross-entropy over the K inlier classes; ignore,
// anomaly and unknown pixels are ignored (ClassLabels), so closed-set
// training never learns to label anomalies as a class.
//
// Measured with the defaults (tiny preset, `nflowjs train closed --data
// DIR --out RUN [--epochs 40]`, nice 5) on the shared 2-core development
// machine at load average 4–14 (other jobs running):
//
//	dataset (train images)  epochs  wall     train img/s (mean)  final val mIoU
//	road 128×256 (400)      80      20m09s   30                  59.7 % (best 60.0 %)
//	road 128×256 (400)      40      11m44s   26                  53.0 %
//	aerial 128×128 (400)    80      8m19s    69                  53.9 % (best 55.1 %)
//	aerial 128×128 (400)    40      7m15s    40                  47.9 %
//
// The rare thin classes (pole, traffic sign, pedestrian, fence, wall) are
// what keeps the road mIoU down (after 80 epochs: pole 0.17, fence 0.24,
// wall 0.36, pedestrian 0.36, sign 0.41; sky, road, building, vegetation
// 0.84–0.93): a 1/4-resolution oracle (majority label of each 4×4 block)
// reaches 77 %. The default is 80 epochs: about 20 minutes on the shared
// machine, well within the 25-minute budget on 2 idle cores.
//
// # Exported helpers
//
//   - State, SaveState, LoadState, State.PutOptimizer, State.RestoreOptimizer,
//     State.PutOptimizerGroup, State.RestoreOptimizerGroup (several optimizers
//     in one state), EncodeRNG, DecodeRNG: one-file resumable checkpoints of
//     named tensor groups.
//   - Logger (OpenLog, Write), ReadLog: JSON-lines logs with NaN as null;
//     OpenLog's filter drops the rows a resumed run redoes.
//   - WriteFileAtomic: temporary file, sync and rename.
//   - Progress: a progress bar with epoch, step, loss, images/s and run ETA.
//   - PlotCurves, PlotPanels: line plots to PNG (gonum/plot), one plot or
//     panels stacked with aligned axes.
//   - Validate, NewValLoader, ClassLabels, Argmax: closed-set validation
//     (confusion matrix and mIoU from package metrics, inlier pixels only).
//
// # Errors
//
// Configuration and file problems are returned as errors prefixed "train:";
// a NaN or infinite loss or gradient stops training with an error wrapping
// ErrNonFinite and leaves the last good checkpoint untouched.
package train

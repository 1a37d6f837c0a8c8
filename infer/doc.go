// Package infer turns images into outlier-aware segmentations: it runs a
// trained segmentation model, scores every pixel for anomaly, fuses the two,
// and draws and summarises the result. `nflowjs predict` and `nflowjs serve`
// are thin wrappers around it.
//
// # Pipeline
//
// A Pipeline (New, or FromBundle / Load for a model directory) does, per
// image:
//
//  1. normalise the 8-bit RGB image as in training, (v/255 − mean)/std,
//     into a 1×3×H×W tensor (any size: the model pads internally);
//  2. compute the 1×K×H×W logits (ood.Model; calls are serialised);
//  3. score each pixel with a logit score of package ood, by default
//     NFlowJS's s = −JS(U, softmax(l/T)) (paper eq. 7, T = 2), higher =
//     more anomalous — one pass over the logits, so detection costs almost
//     nothing beyond the segmentation (paper Table 6);
//  4. take the closed-set argmax and, with a threshold δ, fuse: label K
//     (anomaly) where s > δ, the argmax elsewhere (paper Figure 4; the same
//     labels as ood.Fuse);
//  5. summarise: score statistics, anomalous-pixel fraction, and the
//     8-connected anomaly components with bounding boxes and mean scores.
//
// # Score resolution
//
// Step 3 costs K exponentials and logarithms per pixel: at 1024×2048 with
// 19 classes, 12–20 % of the tiny model's forward pass and 8 % of the
// small one's (`nflowjs bench --only predict`, keys PRESET_overhead_pct;
// the native mode below brings them to about 2.5 % and 1 %). seg.Model computes its logits at 1/4 resolution and
// upsamples them bilinearly, so Config.ScoreResolution = ScoreResNative
// ("native"; predict and serve --score-res native) scores the 1/4-
// resolution logits instead (NativeModel) and upsamples the one-channel
// score map with the same bilinear ×4 and crop: 16× less scoring work,
// plus one single-channel resize. The argmax, the fusion and the summary
// still run at full resolution on the full-resolution logits. Because the
// scores are non-linear in the logits, the native map is not the full
// one: it is the score of the coarse prediction interpolated, rather than
// the score of interpolated logits. Where two confidently predicted classes
// meet, for instance, the interpolated logits tie and score as uncertain
// at full resolution, while natively two low scores are interpolated. A
// threshold calibrated at full resolution therefore shifts slightly;
// `nflowjs eval --score-res native` measures AP, FPR95, AUROC and the
// calibrated threshold in this mode. ScoreResFull ("full") is the default.
//
// The threshold comes from the bundle (`nflowjs calibrate` stores the one
// reaching TPR 95 % on validation data) or is given. Without one, the
// closed-set segmentation and the score map are still produced and the
// summary carries NoThresholdWarning. Result.WithThreshold re-fuses
// without running the model again.
//
// # Layers
//
// Result.Image / Result.PNG draw the closed-set segmentation (class
// palette), the score heatmap (inferno colour map over the score's natural
// range, e.g. [−JSmax(K), 0] for js, with a legend strip), the outlier-aware
// segmentation (anomalies cyan, as in paper Figure 7), an overlay on the
// input, and the score quantised to 8-bit gray (for clients that choose
// their own threshold). Result.WriteFiles saves them with a JSON Summary.
//
// # Layout and ownership
//
// Images are dataset.Image (HWC, row-major). Result slices are H·W,
// row-major; a Result keeps references to the input image and is not
// modified after Predict returns, so it may be read concurrently.
//
// # Errors
//
// Errors are prefixed "infer:". Bad images wrap ErrInput; a model that
// fails, panics or returns logits of the wrong shape gives an error, never
// a panic. Non-finite scores (a diverged model) are drawn as the lowest
// colour, never anomalous, and left out of the statistics so the JSON
// summary stays valid.
package infer

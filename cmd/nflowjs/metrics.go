package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/nflowjs/nflowjs/metrics"
	"github.com/nflowjs/nflowjs/npy"
)

func init() {
	var scoresPath, labelsPath, protocol, engine string
	var ignore uint8
	var keyBits int
	cmd := &cobra.Command{
		Use:   "metrics --scores S.npy --labels L.npy",
		Short: "Pixel-level OOD metrics (AP, AUROC, FPR95) of a score map against anomaly labels",
		Long: `metrics reads per-pixel anomaly scores (float32 or float16 .npy of any shape,
e.g. N x H x W, higher = more anomalous) and labels (uint8 .npy of the same shape: 1 = anomaly,
0 = inlier, the --ignore value = void) and prints one JSON object with AP
(scikit-learn's average_precision_score), AUROC, FPR at 95% TPR, and the numbers
of non-void and anomaly pixels.

--protocol exact (the default) evaluates all pixels together; per-image averages
over the images (the first axis of a 3-D or higher array) that contain both
anomaly and inlier pixels (StreetHazards); smiyc and smiyc-uniform give the
SegmentMeIfYouCan leaderboard's binned numbers (scores must be in [0, 1], one
frame per image); fishyscapes the Fishyscapes benchmark's. --engine streaming uses
fixed-bin histograms (constant memory) and also prints "error_bound", a bound on
the distance of each metric to the exact value.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if scoresPath == "" || labelsPath == "" {
				return errors.New("metrics: --scores and --labels are required")
			}
			opt := metrics.Options{Ignore: ignore, KeyBits: keyBits}
			var err error
			if opt.Protocol, err = metrics.ParseProtocol(protocol); err != nil {
				return fmt.Errorf("metrics: --protocol: %w", err)
			}
			switch engine {
			case "exact":
				opt.Engine = metrics.EngineExact
			case "streaming":
				opt.Engine = metrics.EngineStreaming
			default:
				return fmt.Errorf("metrics: --engine must be exact or streaming, have %q", engine)
			}
			sShape, scores, err := npy.ReadFloat(scoresPath)
			if err != nil {
				return fmt.Errorf("metrics: --scores: %w", err)
			}
			lShape, labels, err := npy.ReadUint8(labelsPath)
			if err != nil {
				return fmt.Errorf("metrics: --labels: %w", err)
			}
			if !slices.Equal(sShape, lShape) {
				return fmt.Errorf("metrics: scores have shape %v but labels have shape %v", sShape, lShape)
			}
			imageSize := len(scores)
			if len(sShape) >= 3 && sShape[0] > 0 {
				imageSize = len(scores) / sShape[0]
			}
			if imageSize == 0 {
				return fmt.Errorf("metrics: empty arrays (shape %v)", sShape)
			}
			sum, err := metrics.Evaluate(scores, labels, imageSize, opt)
			if err != nil {
				return err
			}
			out := map[string]any{
				"ap": sum.AP, "auroc": sum.AUROC, "fpr95": sum.FPR95,
				"pixels": sum.Pixels, "positives": sum.Positives,
			}
			out["protocol"] = opt.Protocol.String()
			if opt.Protocol == metrics.PerImage {
				out["images"] = sum.Images
				out["skipped_images"] = sum.Skipped
			}
			if sum.Bounds != nil {
				out["error_bound"] = sum.Bounds
			}
			b, err := json.Marshal(out)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(b))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&scoresPath, "scores", "", "float32 .npy of per-pixel anomaly scores")
	f.StringVar(&labelsPath, "labels", "", "uint8 .npy of labels (1 anomaly, 0 inlier, --ignore void)")
	f.Uint8Var(&ignore, "ignore", metrics.DefaultIgnore, "label value of void pixels")
	f.StringVar(&protocol, "protocol", "exact", protocolHelp)
	f.StringVar(&engine, "engine", "exact", "exact | streaming")
	f.IntVar(&keyBits, "bits", metrics.DefaultKeyBits, "streaming engine resolution: 2^bits histogram bins")
	rootCmd.AddCommand(cmd)
}

// protocolHelp is the --protocol flag's text (eval and metrics).
const protocolHelp = `pixel-metric protocol: exact (all pixels pooled), per-image (StreetHazards), ` +
	`smiyc (SegmentMeIfYouCan leaderboard: per-frame percentile bins of float16 scores), ` +
	`smiyc-uniform (its 4096 uniform bins) or fishyscapes`

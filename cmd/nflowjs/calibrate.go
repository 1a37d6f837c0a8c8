package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/evaluate"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/ood"
)

func init() {
	rootCmd.AddCommand(newCalibrateCmd())
}

func newCalibrateCmd() *cobra.Command {
	var f evalFlags
	var score string
	cmd := &cobra.Command{
		Use:   "calibrate --model RUN_DIR --data DIR [--split val] [--tpr 0.95] [--score js]",
		Short: "Calibrate the outlier-aware segmentation threshold and store it in model.json",
		Long: `calibrate runs a trained model bundle over a validation split, finds the
threshold at which the OOD score flags --tpr of the anomaly pixels (TPR 95% by
default, DenseHybrid's open-mIoU protocol, NFlowJS paper section 4.2), and
writes score, temperature, threshold and provenance into RUN_DIR/model.json
(atomically; the weights are not touched). predict and serve then fuse the
closed-set prediction with the anomaly map at that threshold.

--fpr X calibrates instead on the split's inlier pixels: the threshold flags
at most the share X of them, and needs no anomalies in the split. Where
anomalies are small, a TPR-95% threshold flags the FPR95 share of every scene
(more than half of a road image at FPR95 60%); --fpr bounds the false alarms a
user of predict or serve sees (the demo's served model uses --fpr 0.05).

--score-res native calibrates on the scores of the 1/4-resolution logits, the
map 'predict --score-res native' thresholds (model.json then says so).

--score defaults to the bundle's score (model.json "score"). Scores:
` + ood.ScoreHelp(),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opt, err := f.options(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			b, ds, err := f.open()
			if err != nil {
				return err
			}
			if score == "" {
				// The bundle's score at the bundle's temperature: "js" alone
				// would mean the default T and overwrite, say, T = 0.5.
				score = b.Info.Score
				if sp, err := ood.ParseScore(score); err == nil && sp.HasTemperature() && sp.Value == 0 && b.Info.Temperature > 0 {
					score = fmt.Sprintf("%s@%g", score, b.Info.Temperature)
				}
			}
			if _, err := ood.ParseScore(score); err != nil {
				return err
			}
			s, err := evalOpenSplit(ds, f.calibSplit, "calibration")
			if err != nil {
				return err
			}
			if opt.FitSplit, err = f.openFitSplit(ds, []string{score}); err != nil {
				return err
			}
			c, err := evaluate.Calibrate(b, s, score, f.tpr, opt)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if f.jsonOut {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(c)
			}
			what := fmt.Sprintf("flags >= %g of %d anomaly pixels", c.TPR, c.Anomalies)
			if c.FPR > 0 {
				what = fmt.Sprintf("flags <= %g of the inlier pixels", c.FPR)
			}
			_, err = fmt.Fprintf(out, "calibrated %s (%s) on %s %s: threshold %g %s in %d images; wrote %s\n",
				c.Score, c.Detail, c.Dataset, c.Split, c.Threshold, what, c.Images, filepath.Join(b.Dir, seg.InfoFile))
			return err
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.calibSplit, "split", dataset.SplitVal, "split to calibrate on (must contain anomalies, unless --fpr)")
	fl.StringVar(&score, "score", "", "OOD score to calibrate (default: the bundle's score)")
	return cmd
}

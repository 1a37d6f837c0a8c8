package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/nflowjs/nflowjs/experiment"
)

func init() {
	rootCmd.AddCommand(newDemoCmd())
}

func newDemoCmd() *cobra.Command {
	var (
		out     string
		verbose bool
	)
	cmd := &cobra.Command{
		Use:   "demo [--out DIR]",
		Short: "Run the built-in end-to-end demo (road benchmark, MSP vs NFlowJS)",
		Long: `demo is the smallest version of "nflowjs experiment": it generates a road
benchmark (200 training images of 128x256), trains the tiny segmentation model
and a RealNVP flow briefly, trains NFlowJS jointly with the default recipe
(lambda validated on the val split, patch sides up to a quarter of the image),
evaluates max-softmax against NFlowJS on test images with anomaly kinds never
seen in training, writes heatmaps (with "nflowjs predict") and a short report,
and runs the 2-D toy of the paper's Figure 2. The models it offers for predict
and serve are calibrated to flag at most 5% of the val split's inlier pixels
(calibrate --fpr 0.05). About 5 minutes on 2 cores. Re-running with the same
--out reuses what finished.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			plan, p, err := experiment.DemoSuite()
			if err != nil {
				return err
			}
			w := cmd.ErrOrStderr()
			stdout := cmd.OutOrStdout()
			fmt.Fprintf(stdout, "nflowjs demo: %s\nwriting to %s\n\n", p.Description, out)
			start := time.Now()
			var (
				log, pass io.Writer
				onStep    func(experiment.Event)
				bar       *experiment.StepBar
			)
			if verbose {
				log, pass = w, w
			} else {
				bar = experiment.NewStepBar(w, len(plan.Steps))
				onStep = bar.Event
			}
			res, err := runSuite(cmd.Context(), plan, p, "demo", out, runOptions{skipMissing: true}, log, pass, onStep, nil)
			if bar != nil {
				bar.Finish()
			}
			if err != nil {
				return err
			}
			res.WriteDemoSummary(stdout, p.Datasets[0], out, time.Since(start))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "nflowjs-demo", "output directory (re-use it to resume)")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "show every step's own output instead of one progress bar")
	return cmd
}

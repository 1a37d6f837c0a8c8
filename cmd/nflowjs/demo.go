package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
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
			printDemoSummary(stdout, res, p.Datasets[0], out, time.Since(start))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "nflowjs-demo", "output directory (re-use it to resume)")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "show every step's own output instead of one progress bar")
	return cmd
}

func printDemoSummary(w io.Writer, res *experiment.Results, ds, out string, took time.Duration) {
	ran := 0
	for _, s := range res.Steps {
		if s.Status == experiment.StatusRan || s.Status == experiment.StatusResumed {
			ran++
		}
	}
	if ran == 0 {
		fmt.Fprintf(w, "\nEverything was already done in %s (delete it to start over).", out)
	} else {
		fmt.Fprintf(w, "\nFinished in %s.", took.Round(time.Second))
	}
	fmt.Fprintf(w, " These numbers come from a SHORT run (tiny model, small images, a few\n"+
		"hundred training steps, one seed): they show the method working, not the paper's numbers.\n\n")
	fmt.Fprintf(w, "Anomaly detection on the %s test split (anomaly kinds never seen in training):\n", ds)
	fmt.Fprintf(w, "  %-34s %7s %7s %7s %7s\n", "model / score", "AP", "FPR95", "AUROC", "mIoU")
	for _, row := range []struct{ name, model, score string }{
		{"stage-1 model, max-softmax (MSP)", experiment.ModelClosed, "msp"},
		{"NFlowJS model, JS score (T=2)", experiment.VariantNFlowJS, "js"},
	} {
		get := func(m experiment.Metric) string {
			s := res.Lookup(ds, row.model, row.score, m)
			if s.N == 0 {
				return "—"
			}
			return fmt.Sprintf("%.1f%%", 100*s.Mean)
		}
		fmt.Fprintf(w, "  %-34s %7s %7s %7s %7s\n", row.name, get(experiment.MetricAP), get(experiment.MetricFPR95),
			get(experiment.MetricAUROC), get(experiment.MetricMIoU))
	}
	if t := res.Toy; t != nil {
		fmt.Fprintf(w, "\n2-D toy (paper Figure 2): AUROC max-softmax %.1f%%, NFlowJS %.1f%%.\n", 100*t.MSP.AUROC, 100*t.NFlowJS.AUROC)
	}
	fmt.Fprintf(w, "\nOutputs:\n  report   %s\n  figures  %s\n", filepath.Join(out, experiment.ReportFile), filepath.Join(out, experiment.FiguresDir))
	for _, s := range res.Steps {
		if s.Kind == experiment.KindPredict && (s.Status == experiment.StatusRan || s.Status == experiment.StatusCached || s.Status == experiment.StatusResumed) {
			fmt.Fprintf(w, "  heatmaps %s\n", filepath.Join(out, s.Dir, experiment.OutDir))
		}
		done := s.Status == experiment.StatusRan || s.Status == experiment.StatusCached || s.Status == experiment.StatusResumed
		// The calibrated copy carries the threshold, so predict and serve
		// can draw the fused outlier-aware map and its components.
		if s.Kind == experiment.KindCalib && done && strings.Contains(s.Name, "-"+experiment.VariantNFlowJS+"-") {
			fmt.Fprintf(w, "  NFlowJS model, calibrated (use with eval/predict/serve) %s\n", filepath.Join(out, s.Dir, experiment.OutDir))
		}
	}
	fmt.Fprintf(w, "\nNext: \"nflowjs experiment --suite paper --profile quick --out REPORT_DIR\" for every baseline and ablation.\n")
}

package experiment

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// WriteDemoSummary prints what `nflowjs demo` ends with: how long it took,
// MSP against NFlowJS on dataset ds's test split, the toy's AUROCs and
// where the outputs are (out is the report directory as the user gave it).
func (res *Results) WriteDemoSummary(w io.Writer, ds, out string, took time.Duration) {
	ran := 0
	for _, s := range res.Steps {
		if s.Status == StatusRan || s.Status == StatusResumed {
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
		{"stage-1 model, max-softmax (MSP)", ModelClosed, "msp"},
		{"NFlowJS model, JS score (T=2)", VariantNFlowJS, "js"},
	} {
		get := func(m Metric) string {
			s := res.Lookup(ds, row.model, row.score, m)
			if s.N == 0 {
				return "—"
			}
			return fmt.Sprintf("%.1f%%", 100*s.Mean)
		}
		fmt.Fprintf(w, "  %-34s %7s %7s %7s %7s\n", row.name, get(MetricAP), get(MetricFPR95),
			get(MetricAUROC), get(MetricMIoU))
	}
	if t := res.Toy; t != nil {
		fmt.Fprintf(w, "\n2-D toy (paper Figure 2): AUROC max-softmax %.1f%%, NFlowJS %.1f%%.\n", 100*t.MSP.AUROC, 100*t.NFlowJS.AUROC)
	}
	fmt.Fprintf(w, "\nOutputs:\n  report   %s\n  figures  %s\n", filepath.Join(out, ReportFile), filepath.Join(out, FiguresDir))
	for _, s := range res.Steps {
		if s.Kind == KindPredict && (s.Status == StatusRan || s.Status == StatusCached || s.Status == StatusResumed) {
			fmt.Fprintf(w, "  heatmaps %s\n", filepath.Join(out, s.Dir, OutDir))
		}
		done := s.Status == StatusRan || s.Status == StatusCached || s.Status == StatusResumed
		// The calibrated copy carries the threshold, so predict and serve
		// can draw the fused outlier-aware map and its components.
		if s.Kind == KindCalib && done && strings.Contains(s.Name, "-"+VariantNFlowJS+"-") {
			fmt.Fprintf(w, "  NFlowJS model, calibrated (use with eval/predict/serve) %s\n", filepath.Join(out, s.Dir, OutDir))
		}
	}
	fmt.Fprintf(w, "\nNext: \"nflowjs experiment --suite paper --profile quick --out REPORT_DIR\" for every baseline and ablation.\n")
}

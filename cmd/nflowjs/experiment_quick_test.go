//go:build quick

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/experiment"
)

// TestQuickProfile runs `nflowjs experiment --suite paper --profile quick`
// end to end (7-12 minutes on 2 cores; build tag quick, run
// by .ci/run) and checks the harness, not the science: every step
// succeeds, every method of the main tables and every ablation has numbers
// on both benchmarks, and the report and its figures are written. Set
// NFLOWJS_QUICK_OUT to keep the report in a directory of your choice.
func TestQuickProfile(t *testing.T) {
	dir := os.Getenv("NFLOWJS_QUICK_OUT")
	if dir == "" {
		dir = t.TempDir()
	}
	log, err := runExperiment(t, "--suite", "paper", "--profile", "quick", "--out", dir, "--quiet")
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	res, err := experiment.ReadResults(filepath.Join(dir, experiment.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Steps {
		if s.Status != experiment.StatusRan && s.Status != experiment.StatusCached && s.Status != experiment.StatusResumed {
			t.Errorf("step %s: %s %s", s.Name, s.Status, s.Error)
		}
	}
	p, err := experiment.GetProfile("quick")
	if err != nil {
		t.Fatal(err)
	}
	for _, ds := range p.Datasets {
		for _, m := range append([]string{experiment.ModelClosed}, p.Variants...) {
			for _, score := range []string{"msp", "js"} {
				for _, metric := range []experiment.Metric{experiment.MetricAP, experiment.MetricFPR95, experiment.MetricAUROC, experiment.MetricMIoU} {
					if s := res.Lookup(ds, m, score, metric); s.N != 1 {
						t.Errorf("%s %s %s %s: %d values", ds, m, score, metric, s.N)
					}
				}
			}
		}
		for _, score := range []string{"odin", "react"} {
			if s := res.Lookup(ds, experiment.ModelClosed, score, experiment.MetricAP); s.N != 1 {
				t.Errorf("%s: baseline %s missing", ds, score)
			}
		}
	}
	report, err := os.ReadFile(filepath.Join(dir, experiment.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Main results on `road`", "## Main results on `aerial`", "Table 5", "Table 6", "Table 7",
		"Table 8", "Table 9", "Table 10", "## 2-D toy", "## Discussion", "short run"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("REPORT.md lacks %q", want)
		}
	}
	figs, err := os.ReadDir(filepath.Join(dir, experiment.FiguresDir))
	if err != nil || len(figs) < 20 {
		t.Errorf("figures: %d files, %v", len(figs), err)
	}
}

package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/experiment"
)

// runExperiment runs `nflowjs experiment` in-process; its steps run as
// subprocesses of the test binary (see TestMain).
func runExperiment(t *testing.T, args ...string) (string, error) {
	t.Helper()
	t.Setenv(testAsCLIEnv, "1") // inherited by the step subprocesses only
	var errOut bytes.Buffer
	rootCmd.SetArgs(append([]string{"experiment"}, args...))
	rootCmd.SetErr(&errOut)
	defer rootCmd.SetErr(nil)
	err := rootCmd.Execute()
	return errOut.String(), err
}

// TestExperimentEndToEnd runs the whole paper suite with the tiny "test"
// profile through the real commands: data generation, stage 1, flow
// pre-training, every joint variant, calibration, evaluation and the toy;
// then checks the report, the cache on a re-run, and resuming a step whose
// run was cut short.
func TestExperimentEndToEnd(t *testing.T) {
	dir := t.TempDir()
	log, err := runExperiment(t, "--suite", "paper", "--profile", "test", "--out", dir, "--quiet")
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	res, err := experiment.ReadResults(filepath.Join(dir, experiment.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	// Every variant on both benchmarks evaluated, plus the stage-1 model.
	p, _ := experiment.GetProfile("test")
	if want := 2 * (1 + len(p.Variants)); len(res.Runs) != want {
		t.Fatalf("%d evaluated models, want %d", len(res.Runs), want)
	}
	for _, run := range res.Runs {
		if len(run.Rows) < 8 {
			t.Errorf("%s: %d scores", run.Step, len(run.Rows))
		}
		for _, row := range run.Rows {
			if row.AUROC < 0 || row.AUROC > 1 || row.AP < 0 || row.AP > 1 {
				t.Errorf("%s %s: AP %v AUROC %v", run.Step, row.Score, row.AP, row.AUROC)
			}
		}
	}
	if res.Toy == nil {
		t.Fatal("no toy result")
	}
	report, err := os.ReadFile(filepath.Join(dir, experiment.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Main results on `road`", "## Main results on `aerial`", "Table 7", "Table 8", "Table 10", "## Table 5", "Heads and scores", "UNO head, uno (p_neg − max p_k)", "GAN samples (pre-trained DCGAN, frozen)",
		"**NFlowJS** (flow negatives, JS, T=2)", "## Discussion", "figures/toy_figure2.png", "short run"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("REPORT.md lacks %q", want)
		}
	}
	for _, f := range []string{"toy_figure2.png", "figure3_left.png", "main_ap_road.png", "road_negatives_end.png", "road_figure11_maxlogit.png", "road_pr_roc.png", "road_nflowjs_00000_ood.png", "road_figure3_right.png"} {
		if _, err := os.Stat(filepath.Join(dir, experiment.FiguresDir, f)); err != nil {
			t.Errorf("figure: %v", err)
		}
	}

	// A re-run executes nothing and reproduces the results.
	log, err = runExperiment(t, "--suite", "paper", "--profile", "test", "--out", dir, "--quiet")
	if err != nil {
		t.Fatalf("re-run: %v\n%s", err, log)
	}
	if strings.Contains(log, ": ran in") || strings.Contains(log, ": resumed in") {
		t.Fatalf("re-run executed steps:\n%s", log)
	}
	res2, err := experiment.ReadResults(filepath.Join(dir, experiment.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := res.Lookup("road", experiment.VariantNFlowJS, "js", experiment.MetricAP), res2.Lookup("road", experiment.VariantNFlowJS, "js", experiment.MetricAP); a != b {
		t.Fatalf("cached re-run changed results: %+v vs %+v", a, b)
	}

	// Simulate a joint-training step killed after its checkpoint: drop its
	// DONE marker. The next run continues it with --resume (the real
	// `train joint --resume`) and re-runs only what depends on it.
	var joint string
	for _, s := range res.Steps {
		if s.Name == "joint-road-nflowjs-s1" {
			joint = filepath.Join(dir, s.Dir)
		}
	}
	if joint == "" {
		t.Fatal("no joint-road-nflowjs-s1 step")
	}
	if err := os.Remove(filepath.Join(joint, experiment.DoneFile)); err != nil {
		t.Fatal(err)
	}
	// --report-only runs nothing and reports the unfinished step as pending.
	log, err = runExperiment(t, "--suite", "paper", "--profile", "test", "--out", dir, "--quiet", "--report-only")
	if err != nil {
		t.Fatalf("report-only: %v\n%s", err, log)
	}
	if strings.Contains(log, ": running") {
		t.Fatalf("report-only ran steps:\n%s", log)
	}
	if report, err = os.ReadFile(filepath.Join(dir, experiment.ReportFile)); err != nil || !strings.Contains(string(report), ", 1 pending;") {
		t.Fatalf("report-only REPORT.md does not list the pending step (%v)", err)
	}
	// (The command object is reused in-process, so the flag is reset.)
	log, err = runExperiment(t, "--suite", "paper", "--profile", "test", "--out", dir, "--quiet", "--report-only=false")
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, log)
	}
	if !strings.Contains(log, "joint-road-nflowjs-s1: resumed in") {
		t.Fatalf("joint step not resumed:\n%s", log)
	}
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, ": ran in") && !strings.Contains(line, "road-nflowjs-s1") {
			t.Errorf("unrelated step re-ran: %s", line)
		}
	}
	info, err := experiment.ReadDone(joint)
	if err != nil || !info.Resumed || !strings.HasSuffix(strings.Join(info.Args, " "), "--resume") {
		t.Fatalf("DONE after resume: %+v, %v", info, err)
	}
	// The resumed step's wall time includes the earlier attempt's.
	if info.TotalSeconds <= info.Seconds {
		t.Errorf("resumed step: total %.3fs, last attempt %.3fs", info.TotalSeconds, info.Seconds)
	}
}

func TestCheckCommand(t *testing.T) {
	if err := checkCommand([]string{"train", "flow", "--data", "x", "--out", "{out}", "--steps", "3"}); err != nil {
		t.Fatalf("existing command rejected: %v", err)
	}
	var me *experiment.MissingCommandError
	err := checkCommand([]string{"train", "nonexistent", "--out", "{out}"})
	if !errors.As(err, &me) || me.Command != "nflowjs train nonexistent" {
		t.Fatalf("missing subcommand: %v", err)
	}
	err = checkCommand([]string{"frobnicate", "--out", "x"})
	if !errors.As(err, &me) || me.Command != "nflowjs frobnicate" {
		t.Fatalf("missing command: %v", err)
	}
	err = checkCommand([]string{"train", "flow", "--no-such-flag", "1"})
	if !errors.As(err, &me) || me.Flag != "no-such-flag" || me.Command != "nflowjs train flow" {
		t.Fatalf("missing flag: %v", err)
	}
}

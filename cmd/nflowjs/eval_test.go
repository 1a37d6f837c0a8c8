package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/nflowjs/nflowjs/evaluate"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/models/seg/segtest"
)

// evalFixture writes a tiny road dataset (32x64, 3 train / 2 val / 3 test)
// and an untrained tiny-model bundle for it.
func evalFixture(t *testing.T) (data, model string) {
	return segtest.RoadBundle(t, 3, 2, 3, 1, "msp")
}

func runEvalCmd(t *testing.T, cmd *cobra.Command, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), err
}

func TestEvalAndCalibrateCommands(t *testing.T) {
	data, model := evalFixture(t)
	out, err := runEvalCmd(t, newEvalCmd(), "--model", model, "--data", data, "--split", "test",
		"--scores", "msp,maxlogit,js,odin,mcdropout@2,react@0.99", "--json", "--quiet", "--batch", "2")
	if err != nil {
		t.Fatal(err)
	}
	var rows []evaluate.Row
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	want := []string{"msp", "maxlogit", "js", "odin", "mcdropout@2", "react@0.99"}
	if len(rows) != len(want) {
		t.Fatalf("%d rows", len(rows))
	}
	for i, r := range rows {
		if r.Score != want[i] || r.Split != "test" || r.Images != 3 || r.OpenMIoU == nil || r.Threshold == nil ||
			!(r.AP > 0 && r.AP <= 1) || !(r.AUROC >= 0 && r.AUROC <= 1) {
			t.Errorf("row %d: %+v", i, r)
		}
	}

	table, err := runEvalCmd(t, newEvalCmd(), "--model", model, "--data", data, "--scores", "js,energy", "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"closed-set mIoU", "AP", "FPR95", "AUROC", "open-mIoU", "nflowjs(T=2)", "energy(T=1)"} {
		if !strings.Contains(table, s) {
			t.Errorf("table lacks %q:\n%s", s, table)
		}
	}

	out, err = runEvalCmd(t, newCalibrateCmd(), "--model", model, "--data", data, "--split", "val", "--tpr", "0.9", "--score", "js", "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "calibrated js") {
		t.Errorf("calibrate printed %q", out)
	}
	b, err := seg.LoadBundle(model)
	if err != nil {
		t.Fatal(err)
	}
	if b.Info.Threshold == nil || b.Info.Score != "js" || b.Info.CalibratedOn != "synth-road val TPR 0.9" {
		t.Errorf("model.json after calibrate: score %q threshold %v on %q", b.Info.Score, b.Info.Threshold, b.Info.CalibratedOn)
	}
	out, err = runEvalCmd(t, newEvalCmd(), "--model", model, "--data", data, "--scores", "js", "--calib-split", "none", "--json", "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	if rows[0].Threshold == nil || *rows[0].Threshold != *b.Info.Threshold || !strings.HasPrefix(rows[0].ThresholdSource, "model.json") {
		t.Errorf("stored threshold not used: %+v", rows[0])
	}
}

// calibrate without --score keeps the bundle's temperature (it rewrote
// T = 0.5 as 2).
func TestCalibrateKeepsTheBundlesTemperature(t *testing.T) {
	data, model := evalFixture(t)
	b, err := seg.LoadBundle(model)
	if err != nil {
		t.Fatal(err)
	}
	b.Info.Score, b.Info.Temperature = "js", 0.5
	if err := b.SaveInfo(); err != nil {
		t.Fatal(err)
	}
	if _, err := runEvalCmd(t, newCalibrateCmd(), "--model", model, "--data", data, "--fpr", "0.1", "--quiet"); err != nil {
		t.Fatal(err)
	}
	if b, err = seg.LoadBundle(model); err != nil {
		t.Fatal(err)
	}
	if b.Info.Score != "js" || b.Info.Temperature != 0.5 || b.Info.Threshold == nil {
		t.Errorf("after calibrate: score %q T %g threshold %v", b.Info.Score, b.Info.Temperature, b.Info.Threshold)
	}
}

// A label map without its image makes eval fail as data check does (it
// was left out silently).
func TestEvalRefusesAnOrphanLabel(t *testing.T) {
	data, model := evalFixture(t)
	lab, err := os.ReadFile(filepath.Join(data, "test", "labels", "00000.png"))
	if err != nil {
		t.Fatal(err)
	}
	orphan := filepath.Join(data, "test", "labels", "99999.png")
	if err := os.WriteFile(orphan, lab, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = runEvalCmd(t, newEvalCmd(), "--model", model, "--data", data, "--split", "test", "--calib-split", "none", "--quiet")
	if err == nil || !strings.Contains(err.Error(), orphan) || !strings.Contains(err.Error(), "without an image") {
		t.Errorf("eval with an orphan label: %v", err)
	}
}

func TestEvalCommandErrors(t *testing.T) {
	data, model := evalFixture(t)
	other := makeCmdDataset(t) // 2 classes
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", model, "--data", data, "--scores", "msp,nope"}, `unknown score "nope"`},
		{[]string{"--model", model, "--data", other, "--scores", "msp"}, "class-count mismatch"},
		{[]string{"--model", model, "--data", data, "--split", "holdout"}, `no evaluation split "holdout"`},
		{[]string{"--model", model, "--data", data, "--calib-split", "dev"}, `no calibration split "dev"`},
		{[]string{"--model", model, "--data", data, "--protocol", "mean"}, "--protocol"},
		{[]string{"--data", data}, "--model and --data are required"},
		{[]string{"--model", filepath.Join(model, "missing"), "--data", data}, "missing"},
	} {
		_, err := runEvalCmd(t, newEvalCmd(), append(c.args, "--quiet")...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
	_, err := runEvalCmd(t, newCalibrateCmd(), "--model", model, "--data", data, "--split", "train", "--quiet")
	if err == nil || !strings.Contains(err.Error(), "no anomaly pixels") {
		t.Errorf("calibrate on train: %v", err)
	}
}

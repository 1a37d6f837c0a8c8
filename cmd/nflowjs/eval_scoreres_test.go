package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/evaluate"
	"github.com/nflowjs/nflowjs/models/seg"
)

// eval --score-res native runs end to end; the segmentation is the same as
// at full resolution, the logit scores are not.
func TestEvalScoreRes(t *testing.T) {
	data, model := evalFixture(t)
	run := func(extra ...string) []evaluate.Row {
		t.Helper()
		out, err := runEvalCmd(t, newEvalCmd(), append([]string{"--model", model, "--data", data, "--split", "test",
			"--scores", "msp,js", "--json", "--quiet"}, extra...)...)
		if err != nil {
			t.Fatal(err)
		}
		var rows []evaluate.Row
		if err := json.Unmarshal([]byte(out), &rows); err != nil {
			t.Fatalf("%v in %s", err, out)
		}
		if len(rows) != 2 {
			t.Fatalf("%d rows", len(rows))
		}
		return rows
	}
	full, native := run(), run("--score-res", "Native")
	for i := range full {
		if full[i].MIoU != native[i].MIoU || native[i].Threshold == nil {
			t.Errorf("%s: mIoU %v vs %v, native threshold %v", full[i].Score, full[i].MIoU, native[i].MIoU, native[i].Threshold)
		}
	}
	if full[1].AP == native[1].AP && full[1].AUROC == native[1].AUROC {
		t.Error("js: native and full metrics coincide")
	}
	table, err := runEvalCmd(t, newEvalCmd(), "--model", model, "--data", data, "--scores", "js", "--quiet", "--score-res", "native")
	if err != nil || !strings.Contains(table, "score resolution: native") {
		t.Errorf("table: %v\n%s", err, table)
	}
	if _, err := runEvalCmd(t, newEvalCmd(), "--model", model, "--data", data, "--quiet", "--score-res", "half"); err == nil ||
		!strings.Contains(err.Error(), "--score-res") {
		t.Errorf("bad --score-res: %v", err)
	}
}

// calibrate --score-res native calibrates on the 1/4-resolution scores
// (what predict --score-res native thresholds) and says so in model.json.
func TestCalibrateScoreRes(t *testing.T) {
	data, model := evalFixture(t)
	thr := map[string]float32{}
	for _, res := range []string{"full", "native"} {
		if _, err := runEvalCmd(t, newCalibrateCmd(), "--model", model, "--data", data, "--score", "js", "--quiet", "--score-res", res); err != nil {
			t.Fatal(err)
		}
		b, err := seg.LoadBundle(model)
		if err != nil {
			t.Fatal(err)
		}
		if b.Info.Threshold == nil || strings.Contains(b.Info.CalibratedOn, "native") != (res == "native") {
			t.Fatalf("%s: threshold %v calibrated on %q", res, b.Info.Threshold, b.Info.CalibratedOn)
		}
		thr[res] = *b.Info.Threshold
	}
	if thr["full"] == thr["native"] {
		t.Errorf("native and full thresholds coincide (%v)", thr["full"])
	}
	if _, err := runEvalCmd(t, newCalibrateCmd(), "--model", model, "--data", data, "--quiet", "--score-res", "half"); err == nil ||
		!strings.Contains(err.Error(), "--score-res") {
		t.Errorf("bad --score-res: %v", err)
	}
}

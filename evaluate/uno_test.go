package evaluate

import (
	"testing"

	"github.com/nflowjs/nflowjs/metrics"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/ood"
)

// The uno score in eval: its AP, FPR95 and AUROC are those of
// ood.Compute(UNO, ·) on the model's K+1 outputs, the mIoU is the K inlier
// logits' (a UNO head with a zero negative row changes neither), and a
// K-logit model is refused before any pass.
func TestRunUNOScore(t *testing.T) {
	m := tinyModel(t, 13)
	u, err := seg.WithNegativeClass(m)
	if err != nil {
		t.Fatal(err)
	}
	test := openSplit(t, "test")
	rep, err := RunModel(u, tinyInfo(u), test, Options{Scores: []string{"uno", "msp"}, BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	base, err := RunModel(m, tinyInfo(m), test, Options{Scores: []string{"msp"}, BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if rep.MIoU != base.MIoU || rep.Scores[1].AP != base.Scores[0].AP {
		t.Errorf("UNO head changed the inlier logits: mIoU %v vs %v, msp AP %v vs %v", rep.MIoU, base.MIoU, rep.Scores[1].AP, base.Scores[0].AP)
	}
	dt := loadDirect(t, m, test)
	var scores []float32
	var labels []uint8
	for _, x := range dt.images {
		all, err := u.AllLogits(x)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := ood.Compute(ood.UNO, all, 1)
		scores = append(scores, s.Data...)
	}
	_, labels = dt.scores(t, ood.MSP, 1)
	want, err := metrics.Exact(scores, labels, 255)
	if err != nil {
		t.Fatal(err)
	}
	got := rep.Scores[0]
	if !near(got.AP, want.AP) || !near(got.FPR95, want.FPR95) || !near(got.AUROC, want.AUROC) {
		t.Errorf("uno: AP %v FPR95 %v AUROC %v, direct %+v", got.AP, got.FPR95, got.AUROC, want)
	}
	// Native score resolution: the same single pass at 1/s, the closed set
	// from the upsampled inlier channels (as Logits computes them).
	nat, err := RunModel(u, tinyInfo(u), test, Options{Scores: []string{"uno"}, BatchSize: 3, ScoreResolution: "native"})
	if err != nil {
		t.Fatal(err)
	}
	if nat.MIoU != rep.MIoU || !(nat.Scores[0].AUROC > 0) || nat.Scores[0].Detail != "uno" {
		t.Errorf("native: mIoU %v (full %v), uno %+v", nat.MIoU, rep.MIoU, nat.Scores[0])
	}
	if _, err := RunModel(m, tinyInfo(m), test, Options{Scores: []string{"uno"}}); err == nil {
		t.Error("uno on a K-logit model accepted")
	}
}

package joint

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestChooseLambda(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name   string
		pilots []LambdaPilot
		stage1 float64
		want   float64
	}{
		{"lowest val FPR95", []LambdaPilot{{0.03, 1, 0.60, 0.10, 0.70}, {0.1, 1, 0.60, 0.12, 0.60}, {0.3, 1, 0.60, 0.11, 0.65}}, 0.60, 0.1},
		{"tie broken by AP", []LambdaPilot{{0.03, 1, 0.60, 0.10, 0.60}, {0.1, 1, 0.60, 0.14, 0.60}, {0.3, 1, 0.60, 0.12, 0.60}}, 0.60, 0.1},
		// 0.3 has the best FPR95 but loses 2 points of mIoU.
		{"mIoU kept", []LambdaPilot{{0.03, 1, 0.60, 0.10, 0.70}, {0.1, 1, 0.595, 0.12, 0.60}, {0.3, 1, 0.58, 0.2, 0.40}}, 0.60, 0.1},
		// No val anomalies: the paper's rule, the largest λ keeping mIoU.
		{"paper rule", []LambdaPilot{{0.03, 1, 0.60, nan, nan}, {0.1, 1, 0.595, nan, nan}, {0.3, 1, 0.58, nan, nan}}, 0.60, 0.1},
		{"nothing kept", []LambdaPilot{{0.03, 1, 0.50, nan, nan}, {0.1, 1, 0.49, nan, nan}}, 0.60, 0.03},
	}
	for _, c := range cases {
		if got, rule := chooseLambda(c.pilots, c.stage1); got != c.want {
			t.Errorf("%s: chose %g (%s), want %g", c.name, got, rule, c.want)
		}
	}
}

// TestAutoLambda runs the pilots on the tiny fixture (its val split has no
// anomalies, so the paper's mIoU rule decides), then checks that the
// choice is recorded and reused, and that a run with it records it.
func TestAutoLambda(t *testing.T) {
	data, segDir, flowPath := fixture(t)
	out := filepath.Join(t.TempDir(), "auto")
	c := smallConfig(data, segDir, flowPath, out)
	c.Steps = 8 // pilots of 2 steps
	ctx := context.Background()
	choice, err := AutoLambda(ctx, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(choice.Pilots) != len(LambdaGrid) || !slices.Contains(LambdaGrid, choice.Lambda) {
		t.Fatalf("choice %+v", choice)
	}
	for _, p := range choice.Pilots {
		if p.Steps != 2 || math.IsNaN(p.ValMIoU) || !math.IsNaN(p.ValFPR95) {
			t.Errorf("pilot %+v", p)
		}
	}
	if !strings.Contains(choice.Rule, "mIoU") {
		t.Errorf("rule %q: without val anomalies the mIoU rule decides", choice.Rule)
	}
	again, err := AutoLambda(ctx, c, nil)
	if err != nil || again.Lambda != choice.Lambda {
		t.Fatalf("reused choice %v, %v", again, err)
	}
	c.Lambda, c.LambdaAuto = choice.Lambda, choice
	if _, err := Run(ctx, c, nil, nil); err != nil {
		t.Fatal(err)
	}
	ex := previousExtra(out)
	if la, ok := ex["lambda_auto"].(map[string]any); !ok || la["lambda"] != choice.Lambda {
		t.Errorf("model.json lambda_auto = %v", ex["lambda_auto"])
	}
	if l, err := LambdaOf(out); err != nil || l != choice.Lambda {
		t.Errorf("LambdaOf = %v, %v; want %g", l, err, choice.Lambda)
	}
	if _, err := LambdaOf(t.TempDir()); err == nil {
		t.Error("LambdaOf of an empty directory: want an error")
	}
}

package joint

import (
	"math"
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

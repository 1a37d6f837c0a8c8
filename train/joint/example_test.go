package joint_test

import (
	"fmt"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/tensor"
	"github.com/nflowjs/nflowjs/train/joint"
)

// The negative mask and cross-entropy targets of a batch with pasted
// patches: pasted pixels are ignored by the cross-entropy, and L_neg is
// averaged over them instead.
func ExamplePlacement() {
	p := joint.Placement{H: 2, W: 2, Top: []int{1}, Left: []int{2}}
	labels := []uint8{
		0, 0, 1, 1,
		0, 0, 1, 1,
		2, 2, 255, 1,
	}
	fmt.Println(p.Mask(1, 3, 4))
	fmt.Println(joint.MaskLabels(labels, 3, 1, 3, 4, p))
	// Output:
	// [0 0 0 0 0 0 1 1 0 0 1 1]
	// [0 0 1 1 0 0 -1 -1 2 2 -1 -1]
}

// L_neg for three pixels: JS(U, p) is 0 for a uniform posterior and at
// most ln 2 however confident the prediction, unlike KL(U‖p).
func ExampleNegLoss_Mean() {
	logits := tensor.FromData([]float32{
		0, 0, 0, // uniform
		9, 0, 0, // confident
		2, 1, 0,
	}, 3, 3)
	for _, k := range []joint.NegLoss{joint.JSD, joint.KL, joint.RKL} {
		fmt.Printf("%s %.4f\n", k, k.Mean(autograd.Const(logits)).Value.Data[0])
	}
	// Output:
	// jsd 0.1286
	// kl 1.7369
	// rkl 0.4541
}

// Package toy runs the paper's two-dimensional illustration for real: a
// small MLP classifier on the two-class toy2d points (dataset/synth.Toy2D)
// trained jointly with a 2-D RealNVP normalizing flow whose samples are the
// synthetic negatives (Grcić et al., Sensors 2024, section 3.1, Figure 2),
// and the two-class f-divergence curves of Figure 3 (left).
//
// # Method
//
// Stage 1 trains the classifier with cross-entropy and pre-trains the flow
// by maximum likelihood on the inliers. Stage 2 (joint training) alternates
// two updates on every step, exactly eqs. 3-4 in 2-D:
//
//	L_cls(θ) = CE(f_θ(x⁺), y) + λ · mean_{x⁻} L_neg(softmax f_θ(x⁻))     (eq. 3)
//	L_gen(γ) = −ln p_γ(x⁺)    + λ_g · mean_{x⁻} L_neg(softmax f_θ(x⁻))   (eq. 4)
//
// with x⁻ = g_γ(z), z ~ N(0, I), and L_neg = JS(U ‖ p) (eq. 6). The flow's
// loss back-propagates through the classifier into the samples and the flow
// parameters; the classifier's update uses L_cls only (its negatives are the
// detached samples). The NLL pulls the flow onto the inliers while the JS
// term pushes its samples to where the classifier is uncertain, so the
// samples settle around the border of the inlier distribution.
//
// The baseline classifier is trained with cross-entropy alone for the same
// total number of steps; its anomaly score is −max softmax (MSP). NFlowJS
// scores with −JS(U, softmax(l/T)) (eq. 7). Both scores are evaluated on the
// test split's outliers (uniform points far from both classes) with the
// metrics package.
//
// Everything runs on the project's autograd engine in float32; the models
// are a few thousand parameters, so a full run takes seconds.
package toy

// Package flow implements the normalizing flow that generates NFlowJS's
// synthetic negatives: a multi-scale Glow/RealNVP flow with an optional
// DenseFlow-style cross-unit coupling (Grcić, Grubišić & Šegvić, "Densely
// connected normalizing flows", NeurIPS 2021, arXiv:2106.04627).
//
// # Model
//
// A flow f maps an image x to latents z with the change of variables
// formula (paper Eq. 1)
//
//	p(x) = p(z)·|det ∂z/∂x|,  z = f(x),
//
// so log p(x) = log p(z) + Σ_layers log|det J|. The architecture is
//
//	x (8-bit) → uniform dequantisation → [-0.5, 0.5]
//	for each level l = 0..L-1:
//	    squeeze 2×2 (space-to-depth: C,H,W → 4C,H/2,W/2)
//	    units u = 0..U-1, each a stack of steps
//	        actnorm → mixing (invertible 1×1 conv or channel swap) → affine coupling
//	    if l < L-1: factor out half of the channels to a learned per-channel Gaussian
//	the remaining channels go to a learned per-channel Gaussian as well.
//
// With cross-unit coupling (Config.Growth > 0, the "denseflow" kind), unit
// u > 0 first concatenates Growth channels of noise η̂ = μ + exp(ℓ)·ε,
// ε ~ N(0, I), where μ and ℓ are predicted by a small convolutional network
// from the concatenated inputs of all previous units. The flow then models
// p(x, η̂) and the log-likelihood becomes the variational lower bound
//
//	log p(x) ≥ E_ε[ log p(x, η̂) − log q(η̂|x) ],  log q(η̂|x) = log N(ε) − Σ ℓ,
//
// i.e. each unit adds −log N(ε) + Σ ℓ to the log-likelihood. The inverse
// simply drops the noise channels again, so sampling costs nothing extra.
// The flow's total squeeze factor is 2^L; it samples at any height and width
// divisible by it (paper Section 2.4: the latent has the image's shape).
//
// # Differentiable sampling
//
// Sample and Inverse build an autograd graph from the flow's parameters to
// the image, so a loss on sampled pixels (the classifier's L_neg, paper
// Eq. 4) back-propagates into the flow. Wrap the call in autograd.NoGrad
// when no gradient is needed.
//
// # Configurations
//
// Preset returns small CPU configurations in equal-size pairs (RealNVP with
// channel swaps vs DenseFlow with 1×1 convolutions and cross-unit coupling):
// "realnvp-tiny"/"denseflow-tiny" (≈158k degrees of freedom) and
// "realnvp-small"/"denseflow-small" (≈370k). `nflowjs train flow` pre-trains
// one on random inlier crops with Adamax (paper Section 4.3) and
// `nflowjs sample` writes sample grids at any admissible size.
//
// # Layout, ownership and errors
//
// Tensors are NCHW float32. Images live in [-0.5, 0.5] (8-bit value v maps
// to (v + u)/256 − 0.5 with u ~ U[0,1) during training). Public entry points
// (New, Sample, LoadStateDict) validate their input and return errors
// wrapping ErrConfig or ErrShape; deeper shape misuse panics inside the
// engine. Parameters carry stable dotted names such as
// "levels.0.units.1.steps.0.coupling.net.0.weight".
package flow

// Package seg is the dense semantic-segmentation network of nflowjs: a
// ladder-style DenseNet (LDN) at CPU scale, the family of the NFlowJS
// paper's LDN-121 (Grcić, Bevandić, Kalafatić & Šegvić, Sensors 24(4):1248,
// 2024, section 5; Krešo, Krapac & Šegvić, "Efficient Ladder-Style DenseNets
// for Semantic Segmentation of Large Images", IEEE T-ITS 2020).
//
// # Architecture
//
//	input [N,3,H,W] ─ zero-pad bottom/right to a multiple of the stride (32 for 4 blocks)
//	encoder  stem: conv3×3/2 ─BN─ReLU─ conv3×3/2 ─BN─ReLU                 1/4
//	         dense block 1 ── skip₀ ── transition (BN─ReLU─conv1×1 θ, avgpool 2)
//	         dense block 2 ── skip₁ ── transition                           1/8, 1/16, …
//	         …  dense block B                                               1/(4·2^(B−1))
//	decoder  SPP: BN─ReLU─conv1×1, average pools on 1,2,4(,8)-row grids, concat, BN─ReLU─conv1×1
//	         ladder: for skip B−2 … 0: upsample ×2 (bilinear) + BN─ReLU─conv1×1(skip), BN─ReLU─conv3×3
//	         fine level (output stride 2): BN─ReLU─conv1×1 to DecoderWidth/2, upsample ×2
//	         + BN─ReLU─conv1×1(stem's first conv, 1/2), BN─ReLU─conv3×3      1/2
//	         head: BN─ReLU → pre-logit features ─ dropout ─ conv1×1 → logits
//	output   bilinear ×2 (×4 at stride 4), crop to H×W → logits [N,K,H,W]
//
// Dense layers are DenseNet-BC's BN─ReLU─conv1×1(4k)─BN─ReLU─conv3×3(k)
// (Huang et al., CVPR 2017), or BN─ReLU─conv3×3(k) without a bottleneck;
// each layer's k channels are concatenated to its input. State-dict names
// follow torchvision where a counterpart exists
// (encoder.denseblock1.denselayer1.norm1.weight, …).
//
// # Presets
//
// Parameters for K = 13 classes (the procedural road benchmark); FLOPs
// count 2 per multiply-add of the convolutions of one forward pass (Model.FLOPs),
// per megapixel of input and for one 128×256 road image:
//
//	preset  stem growth blocks        bottleneck decoder  params     GFLOP/Mpx  GFLOP/128×256
//	tiny    24   12     2,3,4,3       –          48        155,647     8.94      0.293
//	small   32   16     3,4,6,4       4          96        607,670    35.2       1.15
//	base    64   32     6,12,24,16    4          128     7,869,293   163.5       5.36
//
// Every preset predicts at 1/2 resolution (Config.OutputStride 2): a fine
// ladder level, DecoderWidth/2 wide, merges the stem's first convolution.
// Without it (output_stride 4, LDN's layout and that of bundles written
// before the field existed) tiny has 149,215 parameters and 6.0 GFLOP/Mpx.
//
// base has DenseNet-121's block layout (LDN-121 has ≈9.5 M parameters with
// its 256-wide decoder). All presets use head dropout p = 0.1, so Monte-Carlo
// dropout works on every trained model. On the 2-core development machine
// (AMD EPYC, AVX-512) one tiny training step on 8 road images (128×256:
// forward, cross-entropy, backward, Adam) took 0.18 s at load average 4 and
// 0.25 s at load average 10 (BenchmarkTrainStep); see train/doc.go for the
// closed-set recipe.
//
// # Modes and helpers
//
// Model is an nn.Module: nn.Train / nn.Eval switch batch norm and dropout.
// Forward, ForwardFeatures and Classify build autograd graphs in the current
// mode. The tensor-level helpers (Logits, Features, LogitsFromFeatures,
// StochasticLogits) run in eval mode without a graph and restore the
// previous mode; ForwardVar is the eval-mode forward with a graph, for ODIN.
// They satisfy package ood's Model, GradModel, StochasticModel and
// FeatureModel interfaces. In training mode batch norm needs at least two
// values per channel on the coarsest grid: N·(H'/stride)·(W'/stride) ≥ 2.
//
// # Bundles
//
// A trained model is a directory: model.safetensors (state dict, with the
// Config as JSON metadata) and model.json (BundleInfo: config, class names,
// normalisation, label encoding, default OOD score and temperature,
// calibrated threshold). SaveBundle writes both atomically, weights first;
// LoadBundle validates everything and returns errors that name the file.
//
// # Errors
//
// Constructors, bundle I/O and the tensor-level helpers return errors
// wrapping ErrConfig, ErrBundle or ErrInput (or package checkpoint's typed
// errors). The Var-level methods (Forward, ForwardFeatures, Classify) panic
// with a precise message on shape misuse, like the engine below them.
package seg

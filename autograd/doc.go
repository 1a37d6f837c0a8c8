// Package autograd is nflowjs's reverse-mode automatic differentiation.
//
// A Var wraps a tensor value. Every op in this package computes its forward
// value with a kernel from package tensor and, when any input requires a
// gradient, records a backward closure (its vector–Jacobian product) and its
// parents. Var.Backward orders the recorded graph topologically and runs the
// closures in reverse, accumulating gradients into Var.Grad — the tape is the
// graph reachable from the output, as in micrograd. Each op's VJP is written
// next to its forward code, and a VJP skips the gradients of inputs that do
// not require one (a Conv2d on a constant image computes no input gradient).
//
// # Ops
//
//   - elementwise (ops_elementwise.go): Add, Sub, Mul, Div, Scale, Neg,
//     AddScalar, Square, AddChannel, MulChannel, Exp, Log, Tanh, Sigmoid,
//     Softplus, Relu, LeakyRelu
//   - reductions and softmax (ops_reduce.go): Sum, Mean, SumChannel,
//     SoftmaxChannels, LogSoftmaxChannels
//   - convolution (ops_conv.go): Conv2d, ConvTranspose2d
//   - pooling and resizing (ops_pool.go): MaxPool2d, AvgPool2d,
//     AdaptiveAvgPool2d, ResizeBilinear
//   - data movement (ops_shape.go): Reshape, Concat, Split, Squeeze2d,
//     Unsqueeze2d, Pad2d, Crop2d
//   - dense layers (matmul.go): MatMul, Linear
//   - fused layers: BatchNorm2d (batchnorm.go), CrossEntropy (loss.go),
//     Dropout and Dropout2d (dropout.go)
//
// Every op is checked against central finite differences with GradCheck,
// and a multi-layer network built from them reproduces PyTorch's loss and
// gradients (testdata/gen_torch_fixtures.py writes the reference).
//
// # Gradients of inputs
//
// Parameters are Param leaves. An Input leaf created with requiresGrad true
// receives ∂loss/∂input like a parameter does, which is what input
// perturbation methods such as ODIN need; Const leaves receive nothing.
//
// # Inference without a graph
//
// Ops record nothing when no input requires a gradient, and nothing at all
// inside a NoGrad scope:
//
//	defer autograd.NoGrad()()
//
// NoGrad is a process-wide switch backed by an atomic counter, not a
// per-goroutine one: Go has no goroutine-local state, and threading a
// context through every op would burden all callers for a rare case. The
// rule that follows is simple: do not run a training step concurrently
// with a NoGrad scope in the same process. A goroutine that must infer
// while another trains can use Detach'ed parameters instead, which record
// nothing without touching global state.
//
// # Ownership
//
// Ops keep references to their input and output values for the backward
// pass, so values must not be modified between the forward pass and
// Backward. Reshape returns a view sharing its input's data. Gradients of
// leaves accumulate across Backward calls until ZeroGrad; gradients of
// intermediate nodes are released as soon as they have been propagated.
// BatchNorm2d in training mode updates the running-statistics tensors it is
// given in place.
//
// # Errors
//
// Shape misuse and invalid arguments (an out-of-range label, a dropout
// probability outside [0,1]) panic with a message naming the op and the
// shapes (see package tensor): they are programming errors. Public entry
// points above this package validate user input first. GradCheck returns
// an error, a *GradCheckError for a gradient mismatch.
package autograd

// Package nn builds networks from layers that own their parameters: Conv2d,
// ConvTranspose2d, BatchNorm2d, Linear, activations, dropout, pooling and
// Sequential, with PyTorch's names, argument order and default
// initialization, so state dicts (and safetensors checkpoints of them)
// carry the same keys as torch's, e.g. "encoder.layer1.0.conv1.weight".
//
// # Modules
//
// A Module lists its own parameters and buffers and its direct children,
// each under a local name (Members). NamedParameters, Buffers, StateDict,
// LoadStateDict, Train and Eval walk that tree and build the dotted names;
// NamedParameters (and Parameters) also store each name in the parameter's
// Var.Name so optimizers key their state by it; constructors leave it empty
// because a layer does not know where it sits in the tree.
//
// A Layer is a Module with a single-input Forward; Sequential chains
// layers and ModuleList holds blocks. A model is any struct implementing
// Members: it composes layers and writes its own Forward.
//
// Layers never compute gradients themselves: Forward composes
// differentiable ops of package autograd, whose VJPs do the work.
//
// # Data layout and ownership
//
// Activations are NCHW float32 (*autograd.Var). StateDict returns the live
// tensors (not copies), like torch's state_dict; LoadStateDict copies into
// them. Buffers (BatchNorm running statistics) are plain tensors updated in
// place during training-mode forwards. num_batches_tracked is kept as a
// float32 scalar so a state dict is all float32.
//
// # Initialization
//
// Constructors draw initial weights from a caller-supplied *rand.Rand, so a
// seed reproduces a model exactly. The defaults are PyTorch's
// (reset_parameters): kaiming_uniform_(a=√5) for weights, i.e. U(−1/√fan_in,
// 1/√fan_in), and the same bound for biases (He et al., "Delving Deep into
// Rectifiers", arXiv:1502.01852; Glorot & Bengio, AISTATS 2010, for the
// Xavier variants).
//
// # Errors
//
// Shape misuse in Forward panics with the op's message (see package
// autograd), and constructors panic on impossible sizes (a programming
// error, like a negative slice length). LoadStateDict validates names and shapes and returns an error
// naming the offending tensor instead of panicking.
package nn

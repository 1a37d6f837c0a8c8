// Package optim updates trainable parameters from their gradients: SGD
// (momentum, Nesterov, weight decay), Adam/AdamW and Adamax, with parameter
// groups that carry their own learning rates, learning-rate schedules
// (constant, cosine annealing, linear warm-up) and gradient clipping.
//
// # Update rules
//
// Every rule reproduces PyTorch's single-tensor implementation (torch.optim
// 1.13, the version the fixtures in testdata were generated with): the same
// order of operations, float32 state, bias corrections computed in float64,
// and ε added after dividing √v̂ by √(1−β₂ᵗ). The references are
//
//   - SGD with momentum: Sutskever, Martens, Dahl & Hinton, "On the importance
//     of initialization and momentum in deep learning", ICML 2013 (PyTorch's
//     variant: v ← μv + (1−dampening)g, p ← p − lr·v).
//   - Adam and Adamax: Kingma & Ba, "Adam: A Method for Stochastic
//     Optimization", arXiv:1412.6980 (Algorithms 1 and 2).
//   - AdamW: Loshchilov & Hutter, "Decoupled Weight Decay Regularization",
//     arXiv:1711.05101.
//   - Cosine annealing: Loshchilov & Hutter, "SGDR: Stochastic Gradient
//     Descent with Warm Restarts", arXiv:1608.03983, Eq. 5 without restarts.
//
// The NFlowJS paper (Grcić et al., Sensors 2024) trains with Adam, learning
// rate 1e-4 for the pretrained encoder and 4e-4 for the rest, annealed by a
// cosine schedule towards 1e-7 "which would have been reached at epoch 50":
// that is Cosine{TMax: 50, MinLR: 1e-7} applied for fewer epochs than TMax.
//
// # Ownership
//
// Optimizers operate on []*autograd.Var: they read Var.Grad and update
// Var.Value.Data in place, so the tensors a model holds are the ones updated.
// Parameters whose Grad is nil are skipped, as in PyTorch (their step counter
// does not advance). Optimizer state is private; State returns deep copies
// and LoadState copies in, so a resumed run continues bit for bit.
//
// # Errors
//
// Constructors return an error for invalid hyperparameters or a parameter
// listed twice; LoadState returns an error naming the offending entry.
// Nothing in this package panics on user-supplied values.
package optim

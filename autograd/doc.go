// Package autograd is nflowjs's reverse-mode automatic differentiation.
//
// A Var wraps a tensor value. Every op in this package computes its forward
// value with a kernel from package tensor and, when any input requires a
// gradient, records a backward closure (its vector–Jacobian product) and its
// parents. Var.Backward orders the recorded graph topologically and runs the
// closures in reverse, accumulating gradients into Var.Grad — the tape is the
// graph reachable from the output, as in micrograd.
//
// Ops whose inputs need no gradient record nothing, so inference on Const
// inputs with frozen parameters costs no graph memory.
//
// # Errors
//
// Shape misuse panics with a message naming the op and the shapes (see
// package tensor). Public entry points above this package validate input.
package autograd

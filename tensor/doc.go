// Package tensor holds nflowjs's float32 tensors and the CPU kernels that
// operate on them.
//
// # Layout
//
// A Tensor is a dense, contiguous, row-major float32 array with a shape.
// Image-like tensors are NCHW: batch, channels, height, width, with the last
// axis (width) varying fastest. Reshape returns a view sharing the same Data;
// every other function allocates its result unless its name ends in "Into"
// or its doc comment says it works in place.
//
// # Kernels
//
// Matrix products go through package tensor/gemm (assembly micro-kernels on
// amd64 with a pure-Go twin). Convolutions, pooling, bilinear resize,
// squeeze, concatenation and the elementwise and channel-wise math used by
// the models live here as plain functions over *Tensor, each forward kernel
// next to the backward kernel that autograd uses.
//
// # Errors
//
// Shape misuse inside the engine is a programming error and panics with a
// message naming the operation and the shapes involved (as gonum's mat
// does). Code that handles user input (files, HTTP, CLI) checks shapes
// first and returns errors.
package tensor

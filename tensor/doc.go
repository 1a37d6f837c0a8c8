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
// # Parallelism and assembly
//
// ParallelFor splits a loop over images, channels or pixel blocks across
// GOMAXPROCS goroutines (long-lived helpers that poll for work between
// regions, see internal/parallel); elementwise loops only split tensors
// large enough to pay for it. Forward convolutions run per (image, band of
// output rows) task: 3×3 stride-1 layers with at least 16 input channels by
// Winograd F(2×2, 3×3) (conv_winograd.go), other padded, strided or dilated
// layers by implicit GEMM, gathering each im2col panel straight into the
// micro-kernel's format (conv_implicit.go); both drive the GEMM
// micro-kernel through gemm.TileKernel and fold the bias into the product.
// The backward passes of the Winograd layers stay in the Winograd domain:
// the weight gradient as 16 products over the tiles
// (conv_winograd_gradw.go), the input gradient as the forward Winograd
// convolution of the output gradient with the flipped kernel. 1×1 and
// very narrow convolutions, and the other backward passes, run as
// im2col + GEMM: with at least as many tasks as cores each core runs whole
// tasks with the single-threaded GEMM (gemm.SgemmSerial), otherwise the
// GEMM itself is parallel. Workers claim tasks dynamically, so a core
// slowed by other processes does less. Weight gradients are accumulated per task and summed
// in task order, so results do not depend on the schedule. The hot loops Go
// does not vectorize
// (axpy, add/sub/mul/div, scaling, ReLU, running max, pair
// de-interleaving for strided convolutions, the im2col row gather, the
// Winograd transforms, and the float32 exponential and logarithm) have AVX2 assembly twins on amd64, selected at run time and
// equal to the pure-Go loops bit for bit; the Go loops are the fallback
// (build tag noasm) and the test oracle.
//
// # Errors
//
// Shape misuse inside the engine is a programming error and panics with a
// message naming the operation and the shapes involved (as gonum's mat
// does). Code that handles user input (files, HTTP, CLI) checks shapes
// first and returns errors.
package tensor

// Package parallel runs short parallel regions on long-lived goroutines
// that poll for work, shared by the tensor kernels and the GEMM.
//
// On the 2-vCPU EPYC VM a goroutine started with `go` while the other core
// is idle begins running only ~100 µs later (the idle vCPU must be woken):
// a 256³ product took 270 µs on two cores instead of 170 µs, and a forward
// pass of a small conv net opens a dozen parallel regions (each
// convolution, activation and resize). Helpers that keep polling for
// Spin after each task start the next region within a microsecond, as
// OpenMP's spinning threads do for PyTorch. The cost is at most Spin of
// otherwise idle CPU per region; the polling loop yields to other
// goroutines on every pass.
package parallel

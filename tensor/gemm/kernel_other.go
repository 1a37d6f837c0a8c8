//go:build !amd64 || noasm

package gemm

// defaultKernel is the pure-Go kernel: no assembly on this build.
func defaultKernel() *microKernel { return genericKernel }

// kernels lists the kernels usable on this machine, best first.
func kernels() []*microKernel { return []*microKernel{genericKernel} }

package tensor

import (
	"sync"
	"unsafe"
)

// Recycling activation buffers during inference.
//
// A forward pass allocates one new tensor per layer, and the Go runtime
// zeroes every large allocation: on MobileNets at 512×1024 that zeroing
// was a tenth of the forward time. Inference (nn.Sequential without
// gradients) hands the intermediate tensors it knows to be dead back with
// Recycle, and the ops whose outputs are overwritten entirely take their
// output buffers with NewUninit, which reuses a recycled buffer of the
// same length, so a second pass at the same resolution allocates almost
// nothing.

// recycleLimit bounds the floats the bin holds (1 GiB).
const recycleLimit = 1 << 28

var bin struct {
	sync.Mutex
	free  map[int][][]float32
	total int
}

// NewUninit returns a tensor of the given shape whose contents are
// undefined (a recycled buffer or a new one): for outputs that every
// element of is written.
func NewUninit(shape ...int) *Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	bin.Lock()
	if l := bin.free[n]; len(l) > 0 {
		buf := l[len(l)-1]
		bin.free[n] = l[:len(l)-1]
		bin.total -= n
		bin.Unlock()
		return FromData(buf, shape...)
	}
	bin.Unlock()
	return New(shape...)
}

// Recycle hands t's buffer to NewUninit. The caller guarantees that
// nothing reads or writes t (or a view of its data) afterwards.
func Recycle(t *Tensor) {
	n := len(t.Data)
	if n == 0 || cap(t.Data) != n {
		return // a view into a larger buffer: not ours to give away
	}
	bin.Lock()
	defer bin.Unlock()
	if bin.total+n > recycleLimit {
		return
	}
	if bin.free == nil {
		bin.free = map[int][][]float32{}
	}
	bin.free[n] = append(bin.free[n], t.Data)
	bin.total += n
}

// Overlap reports whether the data of a and b share memory.
func Overlap(a, b *Tensor) bool {
	if len(a.Data) == 0 || len(b.Data) == 0 {
		return false
	}
	a0, b0 := uintptr(unsafe.Pointer(&a.Data[0])), uintptr(unsafe.Pointer(&b.Data[0]))
	a1, b1 := a0+uintptr(cap(a.Data))*4, b0+uintptr(cap(b.Data))*4
	return a0 < b1 && b0 < a1
}

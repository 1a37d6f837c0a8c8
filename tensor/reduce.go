package tensor

import "sync"

// sumBlock is the block of elements summed in float32 before the block
// total is added in float64: short enough that float32 rounding stays at
// the 1e-7 level, long enough to keep the inner loop tight.
const sumBlock = 256

// Sum returns the sum of all elements, accumulated in float64.
func Sum(x *Tensor) float64 {
	var mu sync.Mutex
	var total float64
	parallelGrain(len(x.Data), elemGrain, func(s, e int) {
		var acc float64
		for i := s; i < e; i += sumBlock {
			acc += float64(sumf(x.Data[i:min(i+sumBlock, e)]))
		}
		mu.Lock()
		total += acc
		mu.Unlock()
	})
	return total
}

// Mean returns the mean of all elements (NaN for an empty tensor).
func Mean(x *Tensor) float64 {
	return Sum(x) / float64(len(x.Data))
}

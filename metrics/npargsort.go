package metrics

import "math/bits"

// npArgsort returns the permutation NumPy 1.24's np.argsort(v) (kind
// "quicksort": an introsort with median-of-3 pivots, insertion sort below
// 16 elements and a heapsort fallback) gives for a float64 array without
// NaN. The SMIYC aggregation orders tied thresholds by it, and the order
// of ties reaches its AP through the curve's first point (see
// smiycCurve), so matching the official numbers needs NumPy's exact,
// unstable, order — a stable sort would not do.
func npArgsort(v []float64) []int {
	n := len(v)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if n < 2 {
		return idx
	}
	const smallQuicksort = 15
	type span struct{ l, r, depth int }
	var stack []span
	pl, pr := 0, n-1
	cdepth := (bits.Len(uint(n)) - 1) * 2 // npy_get_msb(n) * 2
	less := func(a, b int) bool { return v[a] < v[b] }
	for {
		if cdepth < 0 {
			npAheapsort(v, idx[pl:pr+1])
		} else {
			for pr-pl > smallQuicksort {
				pm := pl + (pr-pl)>>1
				if less(idx[pm], idx[pl]) {
					idx[pm], idx[pl] = idx[pl], idx[pm]
				}
				if less(idx[pr], idx[pm]) {
					idx[pr], idx[pm] = idx[pm], idx[pr]
				}
				if less(idx[pm], idx[pl]) {
					idx[pm], idx[pl] = idx[pl], idx[pm]
				}
				vp := v[idx[pm]]
				pi, pj := pl, pr-1
				idx[pm], idx[pj] = idx[pj], idx[pm]
				for {
					for pi++; v[idx[pi]] < vp; pi++ {
					}
					for pj--; vp < v[idx[pj]]; pj-- {
					}
					if pi >= pj {
						break
					}
					idx[pi], idx[pj] = idx[pj], idx[pi]
				}
				pk := pr - 1
				idx[pi], idx[pk] = idx[pk], idx[pi]
				// Push the larger partition, go on with the smaller.
				cdepth--
				if pi-pl < pr-pi {
					stack = append(stack, span{pi + 1, pr, cdepth})
					pr = pi - 1
				} else {
					stack = append(stack, span{pl, pi - 1, cdepth})
					pl = pi + 1
				}
			}
			for pi := pl + 1; pi <= pr; pi++ { // insertion sort
				vi := idx[pi]
				vp := v[vi]
				pj := pi
				for pj > pl && vp < v[idx[pj-1]] {
					idx[pj] = idx[pj-1]
					pj--
				}
				idx[pj] = vi
			}
		}
		if len(stack) == 0 {
			return idx
		}
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		pl, pr, cdepth = s.l, s.r, s.depth
	}
}

// npAheapsort is NumPy's aheapsort_ on the index slice tosort (1-based
// heap arithmetic as in its C source).
func npAheapsort(v []float64, tosort []int) {
	a := func(i int) *int { return &tosort[i-1] }
	// siftDown moves tmp down from position i of the heap a[1..n].
	siftDown := func(tmp, i, n int) {
		for j := i << 1; j <= n; {
			if j < n && v[*a(j)] < v[*a(j + 1)] {
				j++
			}
			if !(v[tmp] < v[*a(j)]) {
				break
			}
			*a(i) = *a(j)
			i = j
			j += j
		}
		*a(i) = tmp
	}
	n := len(tosort)
	for l := n >> 1; l > 0; l-- {
		siftDown(*a(l), l, n)
	}
	for ; n > 1; n-- {
		tmp := *a(n)
		*a(n) = *a(1)
		siftDown(tmp, 1, n-1)
	}
}

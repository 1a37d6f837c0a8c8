// Package regions labels connected regions of binary masks: the anomaly
// components that the SMIYC component metrics (package metrics) score and
// that the prediction summary (package infer) lists, so that both count
// the same regions without infer linking the metrics.
package regions

// Label8 labels the 8-connected components of the h×w mask with 1..n
// (0 = off), in raster order of their first pixel, by two-pass
// union-find, and returns the labels and n.
func Label8(mask []bool, h, w int) ([]int32, int) {
	lab := make([]int32, h*w)
	parent := []int32{0}
	find := func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	union := func(a, b int32) {
		a, b = find(a), find(b)
		if a < b {
			parent[b] = a
		} else if b < a {
			parent[a] = b
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if !mask[i] {
				continue
			}
			var l int32
			// Neighbours already visited: W, NW, N, NE.
			try := func(j int) {
				if lab[j] == 0 {
					return
				}
				if l == 0 {
					l = lab[j]
				} else {
					union(l, lab[j])
				}
			}
			if x > 0 {
				try(i - 1)
			}
			if y > 0 {
				if x > 0 {
					try(i - w - 1)
				}
				try(i - w)
				if x+1 < w {
					try(i - w + 1)
				}
			}
			if l == 0 {
				l = int32(len(parent))
				parent = append(parent, l)
			}
			lab[i] = l
		}
	}
	// Compact the roots to 1..n in raster order.
	next := int32(0)
	final := make([]int32, len(parent))
	for i := range lab {
		if lab[i] == 0 {
			continue
		}
		r := find(lab[i])
		if final[r] == 0 {
			next++
			final[r] = next
		}
		lab[i] = final[r]
	}
	return lab, int(next)
}

package tensor

import "fmt"

// A gatherTable lists the source offsets of the rows gatherRows copies,
// with their maximum, so that one comparison bounds every read of the
// (unchecked) vector kernel.
type gatherTable struct {
	offs   []int32
	maxOff int
}

// newGatherTable checks that every offset is in [0, 2³¹) and records the
// largest.
func newGatherTable(offs []int) gatherTable {
	t := gatherTable{offs: make([]int32, len(offs))}
	for i, o := range offs {
		if o < 0 || o > 1<<31-1 {
			panic(fmt.Sprintf("tensor: gather offset %d out of range", o))
		}
		t.offs[i] = int32(o)
		t.maxOff = max(t.maxOff, o)
	}
	return t
}

// rows returns the sub-table of rows [lo, hi). Its maxOff still bounds it.
func (t gatherTable) rows(lo, hi int) gatherTable {
	return gatherTable{offs: t.offs[lo:hi], maxOff: t.maxOff}
}

// gatherRows copies n floats per row: row i of dst (which starts at
// dst[i·ldd]) receives src[t.offs[i] : t.offs[i]+n]. It is how the
// implicit-GEMM convolution assembles a B panel of the micro-kernel from
// the padded image, one panel row per (channel, ky, kx).
func gatherRows(dst []float32, ldd int, src []float32, t gatherTable, n int) {
	if len(t.offs) == 0 || n <= 0 {
		return
	}
	if ldd < n {
		panic(fmt.Sprintf("tensor: gatherRows stride %d < width %d", ldd, n))
	}
	_ = dst[(len(t.offs)-1)*ldd+n-1]
	_ = src[t.maxOff+n-1]
	done := gatherRowsVec(dst, ldd, src, t.offs, n)
	if done < n {
		gatherRowsGeneric(dst[done:], ldd, src[done:], t.offs, n-done)
	}
}

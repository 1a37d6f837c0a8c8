package flow

import (
	"math"
	"math/rand/v2"
)

// Small dense float64 linear algebra for the C×C matrices of the invertible
// 1×1 convolution (C ≤ a few hundred). Matrices are row-major n×n slices.

// randomOrthogonal returns an n×n orthogonal matrix: Gram–Schmidt applied
// to a Gaussian matrix (Glow initialises its 1×1 convolutions this way so
// the layer starts volume-preserving).
func randomOrthogonal(n int, rng *rand.Rand) []float64 {
	for {
		q := make([]float64, n*n)
		for i := range q {
			q[i] = rng.NormFloat64()
		}
		ok := true
		for i := 0; i < n && ok; i++ {
			row := q[i*n : (i+1)*n]
			for j := 0; j < i; j++ {
				prev := q[j*n : (j+1)*n]
				var d float64
				for k := range row {
					d += row[k] * prev[k]
				}
				for k := range row {
					row[k] -= d * prev[k]
				}
			}
			var norm float64
			for _, v := range row {
				norm += v * v
			}
			norm = math.Sqrt(norm)
			if norm < 1e-6 {
				ok = false // numerically dependent draw: try again
				break
			}
			for k := range row {
				row[k] /= norm
			}
		}
		if ok {
			return q
		}
	}
}

// luDecompose factors a = P·L·U with partial pivoting: perm[i] is the row of
// a that ends up in row i of L·U, i.e. (P)[perm[i]][i] = 1. L is unit lower
// triangular, U upper triangular; both are returned packed in one matrix
// (L strictly below the diagonal). ok is false for a singular matrix.
func luDecompose(a []float64, n int) (lu []float64, perm []int, ok bool) {
	lu = append([]float64(nil), a...)
	perm = make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	for k := 0; k < n; k++ {
		p, best := k, math.Abs(lu[k*n+k])
		for i := k + 1; i < n; i++ {
			if v := math.Abs(lu[i*n+k]); v > best {
				p, best = i, v
			}
		}
		if best == 0 {
			return nil, nil, false
		}
		if p != k {
			for j := 0; j < n; j++ {
				lu[k*n+j], lu[p*n+j] = lu[p*n+j], lu[k*n+j]
			}
			perm[k], perm[p] = perm[p], perm[k]
		}
		for i := k + 1; i < n; i++ {
			f := lu[i*n+k] / lu[k*n+k]
			lu[i*n+k] = f
			for j := k + 1; j < n; j++ {
				lu[i*n+j] -= f * lu[k*n+j]
			}
		}
	}
	return lu, perm, true
}

// invert returns a⁻¹ via LU with partial pivoting and per-column forward
// and back substitution (the triangular solves), or ok=false if a is
// singular.
func invert(a []float64, n int) (inv []float64, ok bool) {
	lu, perm, ok := luDecompose(a, n)
	if !ok {
		return nil, false
	}
	inv = make([]float64, n*n)
	col := make([]float64, n)
	for c := 0; c < n; c++ {
		// Solve L·U·x = (P⁻¹ e_c): row i of the permuted system is row
		// perm[i] of the identity.
		for i := 0; i < n; i++ {
			if perm[i] == c {
				col[i] = 1
			} else {
				col[i] = 0
			}
		}
		for i := 0; i < n; i++ {
			s := col[i]
			for j := 0; j < i; j++ {
				s -= lu[i*n+j] * col[j]
			}
			col[i] = s
		}
		for i := n - 1; i >= 0; i-- {
			s := col[i]
			for j := i + 1; j < n; j++ {
				s -= lu[i*n+j] * col[j]
			}
			col[i] = s / lu[i*n+i]
		}
		for i := 0; i < n; i++ {
			inv[i*n+c] = col[i]
		}
	}
	return inv, true
}

// logAbsDet returns log|det a| via LU (float64), or -Inf for singular a.
func logAbsDet(a []float64, n int) float64 {
	lu, _, ok := luDecompose(a, n)
	if !ok {
		return math.Inf(-1)
	}
	var s float64
	for i := 0; i < n; i++ {
		s += math.Log(math.Abs(lu[i*n+i]))
	}
	return s
}

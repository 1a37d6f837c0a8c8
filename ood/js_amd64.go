//go:build amd64 && !noasm

package ood

import (
	"math"

	"golang.org/x/sys/cpu"

	"github.com/nflowjs/nflowjs/internal/cephes"
)

var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// jsConsts is the constant table of jsAVX2: every entry is one float32 (or
// int32 bit pattern) broadcast to the 8 lanes of a YMM register, so the
// kernel can use it as a memory operand. Field order fixes the offsets used
// in js_amd64.s (32 bytes each).
type jsConsts struct {
	invT, fK, invK, logK, halfSign, one, twoLn2, expLo   [8]float32 // 0..224
	log2e, half, c1, c2                                  [8]float32 // 256..352
	ep0, ep1, ep2, ep3, ep4, ep5                         [8]float32 // 384..544
	i127, mantMask, halfBits, sqrthf                     [8]float32 // 576..672
	lp0, lp1, lp2, lp3, lp4, lp5, lp6, lp7, lp8, negHalf [8]float32 // 704..992
	i126                                                 [8]float32 // 1024
}

func bc(v float32) (o [8]float32) {
	for i := range o {
		o[i] = v
	}
	return o
}

func bcBits(v uint32) [8]float32 { return bc(math.Float32frombits(v)) }

func newJSConsts(k int, invT, sign float32) *jsConsts {
	fk := float32(k)
	return &jsConsts{
		invT: bc(invT), fK: bc(fk), invK: bc(1 / fk), logK: bc(log32(fk)), halfSign: bc(0.5 * sign),
		one: bc(1), twoLn2: bc(twoLn2f), expLo: bc(expLo),
		log2e: bc(cephes.Log2e), half: bc(0.5), c1: bc(cephes.LnC1), c2: bc(cephes.LnC2),
		ep0: bc(cephes.ExpP0), ep1: bc(cephes.ExpP1), ep2: bc(cephes.ExpP2), ep3: bc(cephes.ExpP3), ep4: bc(cephes.ExpP4), ep5: bc(cephes.ExpP5),
		i127: bcBits(127), mantMask: bcBits(0x007fffff), halfBits: bcBits(0x3f000000), sqrthf: bc(cephes.SqrtHalf),
		lp0: bc(cephes.LogP0), lp1: bc(cephes.LogP1), lp2: bc(cephes.LogP2), lp3: bc(cephes.LogP3), lp4: bc(cephes.LogP4), lp5: bc(cephes.LogP5),
		lp6: bc(cephes.LogP6), lp7: bc(cephes.LogP7), lp8: bc(cephes.LogP8), negHalf: bc(-0.5),
		i126: bcBits(126),
	}
}

// jsAVX2 computes, for n pixels (n a positive multiple of 8, k >= 2), the
// same values as jsGeneric(dst, src, stride, k, n, invT, sign) with
// invT, sign taken from c; scratch holds at least 8·k floats:
//
//	for i := 0; i < n; i += 8 { the jsGeneric block loop for pixels i..i+7 }
//
//go:noescape
func jsAVX2(dst, src *float32, stride, k, n int, scratch *float32, c *jsConsts)

// jsRange is the kernel entry: assembly for whole blocks of 8, Go for the
// tail (and for everything without AVX2/FMA).
func jsRange(dst, src []float32, stride, k, n int, invT, sign float32) {
	done := 0
	if useAVX2 && k >= 2 && n >= 8 {
		done = n &^ 7
		_ = src[(k-1)*stride+done-1]
		_ = dst[done-1]
		scratch := make([]float32, 8*k)
		jsAVX2(&dst[0], &src[0], stride, k, done, &scratch[0], newJSConsts(k, invT, sign))
	}
	if done < n {
		jsGeneric(dst[done:], src[done:], stride, k, n-done, invT, sign)
	}
}

// statsAVX2 fills the first n entries (n a positive multiple of 8) of the
// m, arg and, if withExp != 0, s, a, zs arrays exactly as
// blockStats(st, src, stride, k, n, invT, withExp != 0) does, up to float32
// rounding of the sums (FMA and a different exp evaluation order).
//
//go:noescape
func statsAVX2(src *float32, stride, k, n int, m, s, a, zs *float32, arg *int32, withExp int, c *jsConsts)

// blockStatsFast is blockStats with the assembly kernel for whole blocks of 8.
func blockStatsFast(st *softmaxStats, src []float32, stride, k, w int, invT float32, withExp bool, c *jsConsts) {
	if !useAVX2 || w < 8 || c == nil {
		blockStats(st, src, stride, k, w, invT, withExp)
		return
	}
	done := w &^ 7
	_ = src[(k-1)*stride+done-1]
	we := 0
	if withExp {
		we = 1
	}
	statsAVX2(&src[0], stride, k, done, &st.m[0], &st.s[0], &st.a[0], &st.zs[0], &st.arg[0], we, c)
	if done < w {
		var tail softmaxStats
		blockStats(&tail, src[done:], stride, k, w-done, invT, withExp)
		copy(st.m[done:w], tail.m[:w-done])
		copy(st.s[done:w], tail.s[:w-done])
		copy(st.a[done:w], tail.a[:w-done])
		copy(st.zs[done:w], tail.zs[:w-done])
		copy(st.arg[done:w], tail.arg[:w-done])
	}
}

// statsConsts returns the constant table of statsAVX2 (nil without AVX2).
func statsConsts(k int, invT float32) *jsConsts {
	if !useAVX2 {
		return nil
	}
	return newJSConsts(k, invT, 1)
}
